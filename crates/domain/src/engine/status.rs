//! What the engine answers: a requirement's status, the explanation behind it, and status spans over time. These
//! are the types pages, the API and the roll-up index share.

use super::wording::describe_kind;
use crate::dates::sub_days;
use crate::model::*;
use crate::{Date, ExemptionId, PostId, RecordId, RuleId};
use serde::{Deserialize, Serialize};

/// A requirement's status for a person on a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Status {
    Expired,
    Missing,
    Pending,
    Expiring,
    Compliant,
    Exempt,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Compliant,
        Status::Expiring,
        Status::Expired,
        Status::Missing,
        Status::Pending,
        Status::Exempt,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Compliant => "compliant",
            Status::Expiring => "expiring",
            Status::Expired => "expired",
            Status::Missing => "missing",
            Status::Pending => "pending",
            Status::Exempt => "exempt",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Compliant => "Compliant",
            Status::Expiring => "Expiring soon",
            Status::Expired => "Expired",
            Status::Missing => "Missing",
            Status::Pending => "Not yet due",
            Status::Exempt => "Exempt",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == text)
    }

    /// Counts toward the compliant percentage (expiring records are still in date).
    pub fn is_in_date(self) -> bool {
        matches!(self, Status::Compliant | Status::Expiring)
    }

    /// Overdue: out of date, or never done, with no new-starter grace or exemption left. The one definition of
    /// "overdue" that counts, sorting and reminders use.
    pub fn is_overdue(self) -> bool {
        matches!(self, Status::Expired | Status::Missing)
    }

    pub fn index(self) -> usize {
        Status::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// Why a record did not count toward a requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NotCountedReason {
    /// Its level is below the level required.
    LowerLevel,
    /// The organisation's acceptance policy does not accept its provider type.
    ProviderNotAccepted,
    /// A correction replaced it, or it was withdrawn.
    Superseded,
    /// It was completed after the as-at date.
    CompletedAfterDate,
    /// A later completion is the one used.
    OlderCompletion,
    /// Its hours fall outside the rolling window.
    OutsideWindow,
}

impl NotCountedReason {
    pub fn describe(self) -> &'static str {
        match self {
            NotCountedReason::LowerLevel => "its level is below the level required",
            NotCountedReason::ProviderNotAccepted => {
                "this organisation does not accept training from that type of provider"
            }
            NotCountedReason::Superseded => "it was corrected or withdrawn",
            NotCountedReason::CompletedAfterDate => "it was completed after the date asked about",
            NotCountedReason::OlderCompletion => "a later completion is used instead",
            NotCountedReason::OutsideWindow => "it is outside the rolling window",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleRef {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: RuleId,
    pub framework: String,
    pub framework_version: String,
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub subject: Subject,
    pub level: u8,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
    /// "one in-date completion every 12 months" or "8 hours within 36 months".
    pub requirement: String,
    pub source: String,
    /// The edition and reading the figures follow, and whether they are a local choice.
    pub basis: RuleBasis,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostRef {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub post_id: PostId,
    pub assignment_number: String,
    pub job_role: String,
    pub start: Date,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordRef {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub record_id: RecordId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub subject: Subject,
    pub level: u8,
    pub completed_on: Date,
    pub hours: Option<f64>,
    pub provider: String,
    pub evidence_ref: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsedRecord {
    pub record: RecordRef,
    /// The first day the record no longer counts (its expiry, or the day it leaves an hours rule's window).
    pub expires_on: Option<Date>,
    /// True when the expiry runs from the previous record's expiry (renewal base "previous expiry").
    pub renewed_from_previous_expiry: bool,
}

impl UsedRecord {
    /// The last day the record counts: what "valid until" and "counts until" mean (the day before `expires_on`).
    pub fn last_valid_day(&self) -> Option<Date> {
        self.expires_on.map(|e| sub_days(e, 1))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HoursTally {
    pub counted: f64,
    pub required: f64,
    /// Records completed on or after this date count (the window is `window_months` long).
    pub window_starts: Date,
    pub window_months: u32,
    /// Hours that will still be in the window at the end of the warning period.
    pub counted_at_warning_end: f64,
    /// Participatory hours among those counted (classroom sessions and assessments).
    pub participatory_counted: f64,
    /// Participatory hours the rule asks for, when it asks for a share.
    pub participatory_required: Option<f64>,
    /// Participatory hours that will still be in the window at the end of the warning period: a requirement can fall
    /// due because its last classroom session leaves the window while enough e-learning hours stay.
    #[serde(default)]
    pub participatory_counted_at_warning_end: f64,
    /// Records in the window with no hours recorded: they count for nothing, and the explanation says so.
    pub records_without_hours: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotCounted {
    pub record: RecordRef,
    pub reason: NotCountedReason,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExemptionRef {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub exemption_id: ExemptionId,
    pub reason: String,
    pub until: Option<Date>,
    /// Who approved it (a name and role), for one granted in Lantern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
}

/// Why a status is what it is. A status without an explanation is a bug.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Explanation {
    /// One plain-English sentence.
    pub summary: String,
    pub rule: RuleRef,
    /// Who the rule applies to, and the posts that made it apply.
    pub applies_to: String,
    pub applying_posts: Vec<PostRef>,
    pub used: Vec<UsedRecord>,
    pub hours: Option<HoursTally>,
    /// Expiry of the record used, or the new-starter deadline.
    pub due_on: Option<Date>,
    pub exemption: Option<ExemptionRef>,
    pub not_counted: Vec<NotCounted>,
    /// The first day of the continuous span, up to the date asked about, in which this requirement applied to the
    /// person.
    #[serde(default)]
    pub required_since: Option<Date>,
    /// The framework and version that required it on that day, for example "cstf 1.1".
    #[serde(default)]
    pub required_by: Option<String>,
    /// Set while a rule version's transition keeps the person due rather than overdue.
    #[serde(default)]
    pub transition: Option<TransitionRef>,
}

/// A rule version's transition, as it applies to one person: the version made them overdue, and they are due by
/// `until` instead (status Pending) until it ends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransitionRef {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub rule_id: RuleId,
    pub framework: String,
    pub framework_version: String,
    /// The day the version took effect.
    pub effective_from: Date,
    /// The transition's last day: the person is due by then.
    pub until: Date,
    /// True when the requirement did not apply to the person the day before the version took effect (a new
    /// requirement for them); false when it did and they were in date under the version before (a changed one).
    pub new_requirement: bool,
}

/// One applicable requirement's status on a date, explained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequirementStatus {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub subject: Subject,
    pub level: u8,
    pub status: Status,
    pub due_on: Option<Date>,
    pub explanation: Explanation,
}

impl RequirementStatus {
    /// The status as a person's page tags it: a transition is not a new start. Aggregates say "Not yet due" for
    /// both, since a count of pending people mixes them.
    pub fn tag_label(&self) -> &'static str {
        match &self.explanation.transition {
            Some(t) if t.new_requirement => "New requirement",
            Some(_) => "Changed requirement",
            // Pending with no transition: a new starter (or a re-hire) inside their deadline.
            None if self.status == Status::Pending => "New starter",
            None => self.status.label(),
        }
    }
}

/// A period during which one requirement had one status for a person. `to` is exclusive; None means "from then on".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusSpan {
    pub requirement: RequirementKey,
    pub from: Date,
    pub to: Option<Date>,
    pub status: Status,
}

pub(super) fn record_ref(r: &TrainingRecord) -> RecordRef {
    RecordRef {
        record_id: r.id,
        subject: r.subject.clone(),
        level: r.level,
        completed_on: r.completed_on,
        hours: r.hours,
        provider: r.provider.clone(),
        evidence_ref: r.evidence_ref.clone(),
    }
}

pub(super) fn rule_ref(rule: &Rule) -> RuleRef {
    RuleRef {
        id: rule.id,
        framework: rule.framework.clone(),
        framework_version: rule.framework_version.clone(),
        title: rule.title.clone(),
        subject: rule.subject.clone(),
        level: rule.level,
        effective_from: rule.effective_from,
        effective_to: rule.effective_to,
        requirement: describe_kind(&rule.kind),
        source: rule.source.clone(),
        basis: rule.basis.clone(),
    }
}
