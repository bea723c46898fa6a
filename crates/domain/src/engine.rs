//! The explainable compliance engine.
//!
//! Semantics are those of `docs/compliance.md`: which requirements apply to a person in an organisation
//! on a date, which records count, the status of each (first match wins: exempt, compliant/expiring, pending, expired,
//! missing), and an explanation for every status. `known_at` answers "what would Lantern have shown then".
//!
//! Two entry points share one assessment function, so they cannot disagree:
//! - [`PersonEngine::explain_at`] gives every applicable requirement on a date with its explanation;
//! - [`PersonEngine::timeline`] gives the person's status spans over all time, for the roll-up index. It evaluates the
//!   same assessment at every date where a status can change (post starts and ends, rule dates, completions, warning
//!   starts, expiries, window exits, deadlines, exemptions, policy changes) and merges equal neighbours.

use crate::dates::{add_days, add_months, sub_days};
use crate::history;
use crate::model::*;
use crate::{Date, ExemptionId, OrgId, PostId, RecordId, RuleId, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
            Status::Pending => "New starter",
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
    pub subject: String,
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
    pub subject: String,
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
}

/// One applicable requirement's status on a date, explained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequirementStatus {
    pub subject: String,
    pub level: u8,
    pub status: Status,
    pub due_on: Option<Date>,
    pub explanation: Explanation,
}

/// A period during which one requirement had one status for a person. `to` is exclusive; None means "from then on".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusSpan {
    pub requirement: RequirementKey,
    pub from: Date,
    pub to: Option<Date>,
    pub status: Status,
}

/// An organisation's rules and policies as known at `known_at`, ready to assess its people.
pub struct OrgEngine<'a> {
    org_id: OrgId,
    /// Rule versions known at `known_at`, grouped by subject, each with its derived end (`history::rule_versions`).
    rules_by_subject: BTreeMap<String, Vec<Rule>>,
    policies: Vec<&'a AcceptancePolicy>,
    known_at: Option<Timestamp>,
    /// A break in service of at least this many days makes a returning person a new starter again.
    rehire_break_days: u32,
}

/// The facts about one person that matter to one organisation.
#[derive(Clone, Copy)]
pub struct PersonFacts<'a> {
    /// The person's posts in this organisation, every recorded version (other organisations' posts are ignored).
    pub posts: &'a [Post],
    /// All the person's records: records follow the person between employers.
    pub records: &'a [RecordFact],
    pub exemptions: &'a [Exemption],
}

impl<'a> OrgEngine<'a> {
    pub fn new(
        org_id: OrgId,
        rules: &'a [Rule],
        policies: &'a [AcceptancePolicy],
        known_at: Option<Timestamp>,
    ) -> Self {
        let mut rules_by_subject: BTreeMap<String, Vec<Rule>> = BTreeMap::new();
        for rule in history::rule_versions(rules, known_at)
            .into_iter()
            .filter(|r| r.org_id == org_id)
        {
            rules_by_subject
                .entry(rule.subject.clone())
                .or_default()
                .push(rule);
        }
        let mut policies: Vec<_> = policies
            .iter()
            .filter(|p| p.org_id == org_id && history::known(p.created_at, known_at))
            .collect();
        policies.sort_by_key(|p| (p.effective_from, p.created_at));
        OrgEngine {
            org_id,
            rules_by_subject,
            policies,
            known_at,
            rehire_break_days: DEFAULT_REHIRE_BREAK_DAYS,
        }
    }

    /// The organisation's re-hire break as known at `known_at` (the default, `DEFAULT_REHIRE_BREAK_DAYS`, unless set).
    pub fn with_rehire_break_days(mut self, days: u32) -> Self {
        self.rehire_break_days = days.max(1);
        self
    }

    pub fn known_at(&self) -> Option<Timestamp> {
        self.known_at
    }

    /// Prepares one person for assessment.
    pub fn person(&'a self, facts: PersonFacts<'a>) -> PersonEngine<'a> {
        let known = |t: Timestamp| history::known(t, self.known_at);
        let posts: Vec<&Post> = history::posts(facts.posts, self.known_at)
            .into_iter()
            .filter(|p| p.org_id == self.org_id)
            .collect();
        let mut records_by_subject: BTreeMap<&str, Vec<&RecordFact>> = BTreeMap::new();
        // A record Lantern had not recorded at `known_at` is not part of that answer at all: the answer is the one
        // Lantern gave then.
        for r in facts.records.iter().filter(|r| known(r.record.recorded_at)) {
            records_by_subject
                .entry(r.record.subject.as_str())
                .or_default()
                .push(r);
        }
        for list in records_by_subject.values_mut() {
            list.sort_by_key(|r| (r.record.completed_on, r.record.recorded_at, r.record.id));
        }
        let exemptions = facts
            .exemptions
            .iter()
            .filter(|e| e.org_id == self.org_id && known(e.recorded_at))
            .collect();
        PersonEngine {
            org: self,
            posts,
            records_by_subject,
            exemptions,
        }
    }

    fn accepted_on(&self, d: Date) -> Option<&'a AcceptancePolicy> {
        self.policies
            .iter()
            .rev()
            .find(|p| p.effective_from <= d)
            .copied()
    }

    fn accepts(&self, record: &TrainingRecord, d: Date) -> bool {
        if record.provider_org_id == Some(self.org_id) {
            return true; // an organisation always accepts the training it delivered itself
        }
        match self.accepted_on(d) {
            Some(p) => p.accepted.contains(&record.provider_type),
            None => DEFAULT_ACCEPTED_PROVIDERS.contains(&record.provider_type),
        }
    }
}

/// One person, ready to be assessed on any date.
pub struct PersonEngine<'a> {
    org: &'a OrgEngine<'a>,
    posts: Vec<&'a Post>,
    records_by_subject: BTreeMap<&'a str, Vec<&'a RecordFact>>,
    exemptions: Vec<&'a Exemption>,
}

/// The result of assessing one rule on one date; explanations are only built when asked for.
struct Assessment<'a> {
    rule: &'a Rule,
    status: Status,
    due_on: Option<Date>,
    detail: Option<Explanation>,
}

impl<'a> PersonEngine<'a> {
    /// Every requirement that applies on `d`, with status and explanation, worst first.
    pub fn explain_at(&self, d: Date) -> Vec<RequirementStatus> {
        let mut out: Vec<RequirementStatus> = self
            .org
            .rules_by_subject
            .keys()
            .filter_map(|subject| self.assess_subject(subject, d, true))
            .map(|a| {
                let explanation = a.detail.expect("explanations are built when asked for");
                RequirementStatus {
                    subject: a.rule.subject.clone(),
                    level: a.rule.level,
                    status: a.status,
                    due_on: a.due_on,
                    explanation,
                }
            })
            .collect();
        out.sort_by(|a, b| (a.status, a.due_on, &a.subject).cmp(&(b.status, b.due_on, &b.subject)));
        out
    }

    /// The status of one subject on `d`, without building an explanation. None when it does not apply.
    pub fn status_at(&self, subject: &str, d: Date) -> Option<(RequirementKey, Status)> {
        self.assess_subject(subject, d, false)
            .map(|a| (a.rule.requirement(), a.status))
    }

    /// The person's status spans for every subject, over all time.
    pub fn timeline(&self) -> Vec<StatusSpan> {
        let mut spans = Vec::new();
        for subject in self.org.rules_by_subject.keys() {
            let dates = self.change_dates(subject);
            let mut open: Option<StatusSpan> = None;
            for d in dates {
                let now = self.status_at(subject, d);
                let same = match (&open, &now) {
                    (Some(span), Some((key, status))) => {
                        span.requirement == *key && span.status == *status
                    }
                    (None, None) => true,
                    _ => false,
                };
                if same {
                    continue;
                }
                if let Some(mut span) = open.take() {
                    span.to = Some(d);
                    spans.push(span);
                }
                open = now.map(|(requirement, status)| StatusSpan {
                    requirement,
                    from: d,
                    to: None,
                    status,
                });
            }
            spans.extend(open);
        }
        spans
    }

    /// Every date on which a subject's status may change, sorted and unique.
    fn change_dates(&self, subject: &str) -> Vec<Date> {
        let mut dates = Vec::new();
        for p in &self.posts {
            dates.push(p.start);
            if let Some(e) = p.end {
                dates.push(add_days(e, 1));
            }
        }
        for e in self.exemptions.iter().filter(|e| e.subject == subject) {
            dates.push(e.from);
            if let Some(u) = e.until {
                dates.push(add_days(u, 1));
            }
        }
        dates.extend(self.org.policies.iter().map(|p| p.effective_from));
        let records = self
            .records_by_subject
            .get(subject)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        dates.extend(records.iter().map(|r| r.record.completed_on));
        let policy_days: Vec<Date> = std::iter::once(Date::MIN)
            .chain(self.org.policies.iter().map(|p| p.effective_from))
            .collect();
        for rule in self.org.rules_by_subject.get(subject).into_iter().flatten() {
            dates.push(rule.effective_from);
            dates.extend(rule.effective_to);
            for p in self.posts.iter().filter(|p| rule.applies_to.matches(p)) {
                dates.push(add_days(p.start, rule.new_starter_days + 1));
            }
            match rule.kind {
                RuleKind::Completion { refresher_months } => {
                    // Expiries depend on which records count, which depends on the acceptance policy in force.
                    for &policy_day in &policy_days {
                        let counting =
                            self.counting(rule, records, Date::MAX, policy_day, &mut None);
                        for (_, expiry, _) in expiry_chain(rule, refresher_months, &counting) {
                            dates.push(expiry);
                            dates.push(sub_days(expiry, rule.warning_days));
                        }
                    }
                }
                RuleKind::Hours { window_months, .. } => {
                    for r in records {
                        let leaves = add_months(r.record.completed_on, window_months);
                        dates.push(leaves);
                        dates.push(sub_days(leaves, rule.warning_days));
                    }
                }
            }
        }
        dates.sort_unstable();
        dates.dedup();
        dates
    }

    /// Which rule of `subject` applies on `d` (the highest level among rules in force whose predicate matches an
    /// active post), and its assessment.
    fn assess_subject(&self, subject: &str, d: Date, explain: bool) -> Option<Assessment<'a>> {
        let rules = self.org.rules_by_subject.get(subject)?;
        let active: Vec<&Post> = self
            .posts
            .iter()
            .copied()
            .filter(|p| p.active_on(d))
            .collect();
        if active.is_empty() {
            return None;
        }
        // Development competencies count nowhere: only requirements are assessed.
        let rule = rules
            .iter()
            .filter(|r| {
                r.is_requirement()
                    && r.in_force_on(d)
                    && active.iter().any(|p| r.applies_to.matches(p))
            })
            .max_by_key(|r| (r.level, r.effective_from, r.id))?;
        Some(self.assess(rule, &active, d, explain))
    }

    /// Records of the rule's subject that count on `d`, judged against the policy in force on `policy_day`.
    /// Rejected records are reported into `rejected` when it is Some.
    fn counting(
        &self,
        rule: &Rule,
        records: &[&'a RecordFact],
        d: Date,
        policy_day: Date,
        rejected: &mut Option<Vec<(&'a RecordFact, NotCountedReason)>>,
    ) -> Vec<&'a RecordFact> {
        let k = self.org.known_at;
        let mut out = Vec::with_capacity(records.len());
        for &fact in records {
            let r = &fact.record;
            let reason = if r.completed_on > d {
                Some(NotCountedReason::CompletedAfterDate)
            } else if fact
                .superseded
                .as_ref()
                .is_some_and(|s| k.is_none_or(|k| s.recorded_at <= k))
            {
                Some(NotCountedReason::Superseded)
            } else if r.level < rule.level {
                Some(NotCountedReason::LowerLevel)
            } else if !self.org.accepts(r, policy_day) {
                Some(NotCountedReason::ProviderNotAccepted)
            } else {
                None
            };
            match (reason, rejected.as_mut()) {
                (None, _) => out.push(fact),
                // Records completed after the date are not worth listing.
                (Some(NotCountedReason::CompletedAfterDate), _) => {}
                (Some(reason), Some(list)) => list.push((fact, reason)),
                (Some(_), None) => {}
            }
        }
        out
    }

    fn assess(
        &self,
        rule: &'a Rule,
        active: &[&'a Post],
        d: Date,
        explain: bool,
    ) -> Assessment<'a> {
        let records = self
            .records_by_subject
            .get(rule.subject.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut rejected = explain.then(Vec::new);
        let counting = self.counting(rule, records, d, d, &mut rejected);
        let mut used = Vec::new();
        let mut hours_tally = None;

        let exemption = self
            .exemptions
            .iter()
            .find(|e| e.subject == rule.subject && e.covers(d))
            .copied();

        // The outcome of the rule's own test: Some(due) when in date, with whether the warning window has begun.
        let mut ever_counted = !counting.is_empty();
        let mut lapsed_on: Option<Date> = None;
        let in_date: Option<(Date, bool)> = match rule.kind {
            RuleKind::Completion { refresher_months } => {
                let chain = expiry_chain(rule, refresher_months, &counting);
                let latest = chain.last().copied();
                if explain {
                    for &(fact, expiry, renewed) in chain.iter().rev().take(1) {
                        used.push(UsedRecord {
                            record: record_ref(&fact.record),
                            expires_on: Some(expiry),
                            renewed_from_previous_expiry: renewed,
                        });
                    }
                    if let Some(list) = rejected.as_mut() {
                        for &(fact, _, _) in chain.iter().rev().skip(1) {
                            list.push((fact, NotCountedReason::OlderCompletion));
                        }
                    }
                }
                lapsed_on = latest.map(|(_, expiry, _)| expiry);
                latest.and_then(|(_, expiry, _)| {
                    (d < expiry).then(|| (expiry, expiry <= add_days(d, rule.warning_days)))
                })
            }
            RuleKind::Hours {
                hours,
                window_months,
                ..
            } => {
                let participatory_needed = rule.kind.participatory_hours();
                // Enough hours, and enough of them participatory where the rule asks for a share.
                let met = |all: f64, part: f64| {
                    all >= hours && participatory_needed.is_none_or(|n| part >= n)
                };
                let participatory_h = |f: &RecordFact| {
                    if f.record.source.is_participatory() {
                        f.record.hours.unwrap_or(0.0)
                    } else {
                        0.0
                    }
                };
                let mut counted = 0.0;
                let mut part_counted = 0.0;
                let mut at_warning_end = 0.0;
                let mut part_at_warning_end = 0.0;
                let mut without_hours = 0;
                let warning_end = add_days(d, rule.warning_days);
                ever_counted = counting.iter().any(|f| f.record.hours.unwrap_or(0.0) > 0.0);
                for &fact in &counting {
                    let h = fact.record.hours.unwrap_or(0.0);
                    let leaves = add_months(fact.record.completed_on, window_months);
                    if d < leaves {
                        counted += h;
                        part_counted += participatory_h(fact);
                        if fact.record.hours.is_none() {
                            without_hours += 1;
                        }
                        if warning_end < leaves {
                            at_warning_end += h;
                            part_at_warning_end += participatory_h(fact);
                        }
                        if explain {
                            used.push(UsedRecord {
                                record: record_ref(&fact.record),
                                expires_on: Some(leaves),
                                renewed_from_previous_expiry: false,
                            });
                        }
                    } else if let Some(list) = rejected.as_mut() {
                        list.push((fact, NotCountedReason::OutsideWindow));
                    }
                }
                if explain {
                    hours_tally = Some(HoursTally {
                        counted,
                        required: hours,
                        window_starts: window_start(d, window_months),
                        window_months,
                        counted_at_warning_end: at_warning_end,
                        participatory_counted: part_counted,
                        participatory_required: participatory_needed,
                        records_without_hours: without_hours,
                    });
                }
                // Due on the first day a record leaves the window and leaves fewer hours (or participatory hours)
                // than the rule asks for.
                let leaves = |f: &RecordFact| add_months(f.record.completed_on, window_months);
                let met_after = |day: Date| -> bool {
                    let still_in = || {
                        counting
                            .iter()
                            .filter(move |f| d < leaves(f) && day < leaves(f))
                    };
                    met(
                        still_in().map(|f| f.record.hours.unwrap_or(0.0)).sum(),
                        still_in().map(|f| participatory_h(f)).sum(),
                    )
                };
                met(counted, part_counted).then(|| {
                    let mut exits: Vec<Date> = counting
                        .iter()
                        .map(|f| leaves(f))
                        .filter(|&l| d < l)
                        .collect();
                    exits.sort_unstable();
                    let short_on = exits.into_iter().find(|&exit| !met_after(exit));
                    (
                        short_on.unwrap_or(Date::MAX),
                        !met(at_warning_end, part_at_warning_end),
                    )
                })
            }
        };

        let deadline = self
            .posts
            .iter()
            .filter(|p| p.start <= d && rule.applies_to.matches(p))
            .map(|p| p.start)
            .min()
            .map(|start| add_days(start, rule.new_starter_days));

        let (status, due_on) = if exemption.is_some() {
            (Status::Exempt, exemption.and_then(|e| e.until))
        } else if let Some((due, warning)) = in_date {
            (
                if warning {
                    Status::Expiring
                } else {
                    Status::Compliant
                },
                Some(due),
            )
        } else if let Some(deadline) = deadline.filter(|dl| d <= *dl) {
            (Status::Pending, Some(deadline))
        } else if ever_counted {
            (Status::Expired, lapsed_on)
        } else {
            (Status::Missing, None)
        };
        // For an hours rule, the due date is the first day a record leaves the window only if that makes it short.
        let due_on = match (rule.kind.clone(), status) {
            (RuleKind::Hours { .. }, Status::Compliant) => None,
            _ => due_on,
        };

        let detail = explain.then(|| {
            let applying_posts = active
                .iter()
                .filter(|p| rule.applies_to.matches(p))
                .map(|p| PostRef {
                    post_id: p.id,
                    assignment_number: p.assignment_number.clone(),
                    job_role: p.job_role.clone(),
                    start: p.start,
                })
                .collect();
            let not_counted = rejected
                .unwrap_or_default()
                .into_iter()
                .map(|(fact, reason)| NotCounted {
                    record: record_ref(&fact.record),
                    reason,
                    detail: not_counted_detail(fact, reason, rule),
                })
                .collect();
            let exemption = exemption.map(|e| ExemptionRef {
                exemption_id: e.id,
                reason: e.reason.clone(),
                until: e.until,
            });
            let mut explanation = Explanation {
                summary: String::new(),
                rule: rule_ref(rule),
                applies_to: rule.applies_to.describe(),
                applying_posts,
                used,
                hours: hours_tally,
                due_on,
                exemption,
                not_counted,
            };
            explanation.summary = summarise(status, &explanation, deadline, d);
            explanation
        });
        Assessment {
            rule,
            status,
            due_on,
            detail,
        }
    }
}

/// The records of a completion rule in completion order, each with its expiry and whether it ran from the previous
/// record's expiry.
fn expiry_chain<'r>(
    rule: &Rule,
    months: u32,
    counting: &[&'r RecordFact],
) -> Vec<(&'r RecordFact, Date, bool)> {
    let mut chain: Vec<(&'r RecordFact, Date, bool)> = Vec::with_capacity(counting.len());
    // Validity already earned never shrinks: a later (or duplicate) completion cannot shorten it.
    let mut best: Option<Date> = None;
    for &fact in counting {
        let done = fact.record.completed_on;
        // With "previous expiry", a renewal inside the warning window of any still-valid record runs from that
        // record's expiry (the latest such), so renewing early costs nothing.
        let early_from = if rule.renewal_base == RenewalBase::PreviousExpiry {
            chain
                .iter()
                .map(|(_, e, _)| *e)
                .filter(|&e| done < e && sub_days(e, rule.warning_days) <= done)
                .max()
        } else {
            None
        };
        let own = add_months(early_from.unwrap_or(done), months);
        let expiry = best.map_or(own, |b| b.max(own));
        best = Some(expiry);
        chain.push((fact, expiry, early_from.is_some()));
    }
    chain
}

/// The first day of the rolling window that ends on `d`: records completed on or after it count.
fn window_start(d: Date, months: u32) -> Date {
    // A record counts while d < completed + months; the earliest such completion day.
    let mut start = d
        .checked_sub_months(chrono::Months::new(months))
        .unwrap_or(Date::MIN);
    while add_months(start, months) <= d {
        start = add_days(start, 1);
    }
    while start > Date::MIN && add_months(sub_days(start, 1), months) > d {
        start = sub_days(start, 1);
    }
    start
}

fn record_ref(r: &TrainingRecord) -> RecordRef {
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

pub fn describe_kind(kind: &RuleKind) -> String {
    match kind {
        RuleKind::Completion { refresher_months } => {
            format!(
                "one in-date completion, renewed every {}",
                months_text(*refresher_months)
            )
        }
        RuleKind::Hours {
            hours,
            window_months,
            ..
        } => {
            let mut s = format!(
                "{} hours of learning within the last {}",
                trim_hours(*hours),
                months_text(*window_months)
            );
            if let Some(p) = kind.participatory_hours() {
                s.push_str(&format!(
                    ", at least {} of them participatory",
                    trim_hours(p)
                ));
            }
            s
        }
    }
}

fn months_text(m: u32) -> String {
    match m {
        12 => "year".to_owned(),
        m if m % 12 == 0 => format!("{} years", m / 12),
        1 => "month".to_owned(),
        m => format!("{m} months"),
    }
}

fn trim_hours(h: f64) -> String {
    let s = format!("{h:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

fn rule_ref(rule: &Rule) -> RuleRef {
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

fn not_counted_detail(fact: &RecordFact, reason: NotCountedReason, rule: &Rule) -> String {
    let r = &fact.record;
    let what = format!(
        "{} (level {}) completed {}",
        r.provider, r.level, r.completed_on
    );
    match reason {
        NotCountedReason::LowerLevel => format!(
            "{what}: level {} is below the level {} required",
            r.level, rule.level
        ),
        NotCountedReason::ProviderNotAccepted => {
            format!(
                "{what}: training from a {} is not accepted by this organisation",
                r.provider_type.label()
            )
        }
        NotCountedReason::Superseded => {
            let why = fact
                .superseded
                .as_ref()
                .map(|s| s.reason.as_str())
                .unwrap_or("superseded");
            format!("{what}: superseded ({why})")
        }
        other => format!("{what}: {}", other.describe()),
    }
}

fn summarise(status: Status, e: &Explanation, deadline: Option<Date>, d: Date) -> String {
    let rule = format!("{} level {}", e.rule.title, e.rule.level);
    match status {
        Status::Exempt => {
            let ex = e.exemption.as_ref();
            let reason = ex.map(|x| x.reason.as_str()).unwrap_or("exempt");
            match ex.and_then(|x| x.until) {
                Some(u) => format!("Exempt from {rule} until {u}: {reason}."),
                None => format!("Exempt from {rule}: {reason}."),
            }
        }
        Status::Compliant | Status::Expiring => match &e.hours {
            Some(h) => {
                let mut s = format!(
                    "{} of {} hours completed since {}",
                    trim_hours(h.counted),
                    trim_hours(h.required),
                    h.window_starts
                );
                if let Some(p) = h.participatory_required {
                    s.push_str(&format!(
                        ", {} of them participatory ({} needed)",
                        trim_hours(h.participatory_counted),
                        trim_hours(p)
                    ));
                }
                s.push('.');
                if status == Status::Expiring {
                    s.push_str(&format!(
                        " Older hours leave the window soon: only {} will still count in {} days.",
                        trim_hours(h.counted_at_warning_end),
                        (e.due_on.unwrap_or(d) - d).num_days().max(0)
                    ));
                }
                s
            }
            None => {
                let used = e.used.first();
                let done = used
                    .map(|u| u.record.completed_on.to_string())
                    .unwrap_or_default();
                // `due_on` is the expiry: the first day the record no longer counts. "Valid until" names the last
                // day it does, so the words and the stored date agree.
                let expiry = e.due_on.map(|x| x.to_string()).unwrap_or_default();
                let last_day = e
                    .due_on
                    .map(|x| sub_days(x, 1).to_string())
                    .unwrap_or_default();
                if status == Status::Expiring {
                    let days = e.due_on.map(|x| (x - d).num_days()).unwrap_or(0);
                    format!(
                        "Completed {done}; valid until {last_day} (expires on {expiry}, in {days} days). Book a refresher now."
                    )
                } else {
                    format!("Completed {done}; valid until {last_day}.")
                }
            }
        },
        Status::Pending => format!(
            "New starter: {rule} is due by {}.",
            deadline.map(|x| x.to_string()).unwrap_or_default()
        ),
        Status::Expired => match &e.hours {
            Some(h) if h.counted >= h.required => format!(
                "{} of {} hours completed since {}, but only {} of them participatory: at least {} must be.",
                trim_hours(h.counted),
                trim_hours(h.required),
                h.window_starts,
                trim_hours(h.participatory_counted),
                trim_hours(h.participatory_required.unwrap_or(0.0))
            ),
            Some(h) => format!(
                "Only {} of {} hours completed since {}: {} more needed.",
                trim_hours(h.counted),
                trim_hours(h.required),
                h.window_starts,
                trim_hours((h.required - h.counted).max(0.0))
            ),
            None => match e.used.first() {
                Some(u) => format!(
                    "{rule} expired on {}: last completed {}.",
                    u.expires_on.map(|x| x.to_string()).unwrap_or_default(),
                    u.record.completed_on
                ),
                None => format!("{rule} has expired."),
            },
        },
        Status::Missing => {
            if let Some(h) = e.hours.as_ref().filter(|h| h.records_without_hours > 0) {
                // A record exists but says nothing about hours: say so, rather than "No record".
                let records = if h.records_without_hours == 1 {
                    format!("A record of {rule} was found, with no hours")
                } else {
                    format!(
                        "{} records of {rule} were found, with no hours",
                        h.records_without_hours
                    )
                };
                format!(
                    "{records}; {} hours are needed since {}.",
                    trim_hours(h.required),
                    h.window_starts
                )
            } else if e.not_counted.is_empty() {
                format!("No record of {rule}.")
            } else {
                format!(
                    "No record that counts for {rule}; {} record(s) did not count.",
                    e.not_counted.len()
                )
            }
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod wording_tests;
