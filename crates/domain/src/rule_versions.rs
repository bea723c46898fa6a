//! What an organisation may change in a requirement rule, and when: a change is always a new version of the version
//! in force (or the latest), taking effect after it; history is never edited.
//!
//! - The refresher period of a completion rule may change only where the framework marks it adjustable (its source
//!   leaves the period to local risk assessment); elsewhere the framework fixes it and a new version keeps it.
//! - The hours and rolling window of an hours rule, the warning window and the new-starter deadline may change within
//!   the bounds below.
//! - A new version takes effect strictly after the current version took effect, and says why it was made (for the
//!   audit trail).
//!
//! The admin page and `POST /api/v1/organisations/{ods}/rules/{rule_id}/versions` both ask [`new_version`]; the store
//! refuses a version that would take effect before the one in force as well.

use crate::dates::Date;
use crate::framework::Reading;
use crate::model::{Rule, RuleBasis, RuleKind, RulePurpose};
use std::ops::RangeInclusive;

/// A refresher period, in months.
pub const REFRESHER_MONTHS: RangeInclusive<u32> = 1..=120;
/// The hours an hours rule may ask for: more than 0, at most this.
pub const MAX_HOURS: f64 = 500.0;
/// An hours rule's rolling window, in months.
pub const WINDOW_MONTHS: RangeInclusive<u32> = 1..=120;
/// The warning window before expiry, in days.
pub const WARNING_DAYS: RangeInclusive<u32> = 0..=365;
/// The new-starter deadline, in days from the start of the post.
pub const NEW_STARTER_DAYS: RangeInclusive<u32> = 0..=365;
/// The shortest reason accepted, in characters.
pub const MIN_REASON: usize = 5;
/// The longest transition, in days after the version takes effect: a guard against a mistyped year, not a
/// regulatory figure (a transition is the organisation's choice).
pub const MAX_TRANSITION_DAYS: i64 = 730;

/// A new version as asked for. A number that was not given, or was not a number, is None.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VersionDraft {
    pub effective_from: Option<Date>,
    /// Completion rules only; ignored where the period is fixed.
    pub refresher_months: Option<u32>,
    /// Hours rules only.
    pub hours: Option<f64>,
    /// Hours rules only.
    pub window_months: Option<u32>,
    /// Hours rules only: the per cent of the hours that must be participatory (None: no share).
    pub participatory_percent: Option<f64>,
    /// A reading of the rule's source (its own figures and basis) chosen instead of figures typed.
    pub reading: Option<Reading>,
    /// Requirement or development competency, where the rule offers the choice; None keeps the current purpose.
    pub purpose: Option<RulePurpose>,
    pub warning_days: Option<u32>,
    pub new_starter_days: Option<u32>,
    /// The first day after the transition (exclusive; forms and the API ask for the last day, `transition_until`,
    /// and add one). None: no transition, the version applies in full from its first day.
    pub transition_ends: Option<Date>,
    /// The version retires the requirement from `effective_from` (it then applies to no one); figures are ignored.
    pub retire: bool,
    /// The reference of the local risk assessment behind a local refresher period; required where the framework
    /// gives a figure of its own (`period_needs_assessment`) and the period changes.
    pub local_reason: Option<String>,
    pub reason: String,
}

/// Who makes a version, and when: for its source line.
#[derive(Clone, Debug)]
pub struct Author<'a> {
    pub org_code: &'a str,
    pub name: &'a str,
    /// The organisation's date when it is made.
    pub today: Date,
}

/// Why a draft was refused, naming the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

/// The version a change builds on: of `rule`'s requirement (subject and level), the one that takes effect latest.
pub fn current<'a>(rules: &'a [Rule], rule: &Rule) -> &'a Rule {
    rules
        .iter()
        .filter(|r| r.subject == rule.subject && r.level == rule.level)
        .max_by_key(|r| r.effective_from)
        .unwrap_or_else(|| {
            rules
                .iter()
                .find(|r| r.id == rule.id)
                .expect("the rule is one of the rules")
        })
}

/// Whether a new version of this rule may set its own refresher period: a completion rule whose framework marks the
/// period adjustable, or any CSTF subject's completion rule. The CSTF's refresher periods are recommendations: an
/// organisation may set a local period after a local risk assessment (docs/compliance.md, "Local refresher
/// periods"), and must then say which assessment ([`period_needs_assessment`]).
pub fn period_may_change(current: &Rule) -> bool {
    matches!(current.kind, RuleKind::Completion { .. }) && (current.adjustable || is_cstf(current))
}

/// Whether a new refresher period on this rule needs the reference of a local risk assessment: the framework gives
/// a figure of its own (a CSTF subject whose period it does not mark uncertain).
pub fn period_needs_assessment(current: &Rule) -> bool {
    period_may_change(current) && !current.adjustable
}

/// A Core Skills Training Framework subject (every version of the framework names its subjects `cstf.*`).
fn is_cstf(rule: &Rule) -> bool {
    rule.subject.starts_with("cstf.")
}

/// The new version of `current` a draft asks for, or every problem with it.
pub fn new_version(
    current: &Rule,
    draft: &VersionDraft,
    author: &Author,
) -> Result<Rule, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut need = |field: &'static str, message: String| problems.push(Problem { field, message });
    let effective_from = match draft.effective_from {
        None => {
            need(
                "effective_from",
                "Enter the date the new version takes effect, like 2027-04-01".into(),
            );
            None
        }
        Some(d) if d <= current.effective_from => {
            need(
                "effective_from",
                format!(
                    "The new version must take effect after {}, when the current version took effect: history is \
                     never edited",
                    current.effective_from
                ),
            );
            None
        }
        Some(d) => Some(d),
    };
    let transition_ends = match (draft.transition_ends, effective_from) {
        (Some(t), Some(from)) if t <= from || (t - from).num_days() > MAX_TRANSITION_DAYS => {
            need(
                "transition_until",
                format!(
                    "The transition's last day must be on or after {from}, when the version takes effect, and \
                     within {MAX_TRANSITION_DAYS} days of it"
                ),
            );
            None
        }
        (t, _) => t,
    };
    if draft.retire {
        if current.retired {
            need(
                "retire",
                "This requirement is already retired: a new version with figures brings it back"
                    .into(),
            );
        }
        if transition_ends.is_some() {
            need(
                "transition_until",
                "A retired requirement applies to no one: it has no transition".into(),
            );
        }
        let reason = draft.reason.trim();
        if reason.chars().count() < MIN_REASON {
            need(
                "reason",
                "Say why the requirement is retired, for the audit trail".into(),
            );
        }
        return match effective_from {
            Some(from) if problems.is_empty() => Ok(Rule {
                effective_from: from,
                effective_to: None,
                transition_ends: None,
                retired: true,
                source: format!(
                    "{} retired by {} on {}: {reason}",
                    author.org_code, author.name, author.today
                ),
                ..current.clone()
            }),
            _ => Err(problems),
        };
    }
    let kind = match current.kind {
        RuleKind::Completion { refresher_months } if !period_may_change(current) => {
            // The framework fixes this period: a new version keeps it.
            Some(RuleKind::Completion { refresher_months })
        }
        RuleKind::Completion { .. } => match draft.refresher_months {
            Some(m) if REFRESHER_MONTHS.contains(&m) => Some(RuleKind::Completion {
                refresher_months: m,
            }),
            _ => {
                need(
                    "refresher_months",
                    format!(
                        "Enter a refresher period of {}",
                        span(&REFRESHER_MONTHS, "months")
                    ),
                );
                None
            }
        },
        RuleKind::Hours { .. } if draft.reading.is_some() => {
            draft.reading.as_ref().map(|r| r.kind.clone())
        }
        RuleKind::Hours { .. } => {
            let share = match draft.participatory_percent {
                None => Some(None),
                Some(p) if p > 0.0 && p <= 100.0 => Some(Some(p / 100.0)),
                Some(_) => {
                    need(
                        "participatory_percent",
                        "Enter a participatory share of 1 to 100 per cent, or leave it empty"
                            .into(),
                    );
                    None
                }
            };
            let hours = draft.hours.filter(|h| *h > 0.0 && *h <= MAX_HOURS);
            if hours.is_none() {
                need(
                    "hours",
                    format!("Enter the hours required, more than 0 and at most {MAX_HOURS}"),
                );
            }
            let window = draft.window_months.filter(|w| WINDOW_MONTHS.contains(w));
            if window.is_none() {
                need(
                    "window_months",
                    format!("Enter a window of {}", span(&WINDOW_MONTHS, "months")),
                );
            }
            hours
                .zip(window)
                .zip(share)
                .map(
                    |((hours, window_months), participatory_share)| RuleKind::Hours {
                        hours,
                        window_months,
                        participatory_share,
                    },
                )
        }
    };
    let local_reason = draft
        .local_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    let period_changes = kind.as_ref().is_some_and(|k| *k != current.kind);
    if period_changes
        && period_needs_assessment(current)
        && local_reason
            .as_ref()
            .is_none_or(|r| r.chars().count() < MIN_REASON)
    {
        need(
            "local_reason",
            format!(
                "Give the reference of the local risk assessment that sets this period: {} gives {}",
                current.framework,
                match current.kind {
                    RuleKind::Completion { refresher_months } =>
                        format!("{refresher_months} months"),
                    _ => "its own figures".to_owned(),
                }
            ),
        );
    }
    let warning_days = draft.warning_days.filter(|d| WARNING_DAYS.contains(d));
    if warning_days.is_none() {
        need(
            "warning_days",
            format!("Enter a warning window of {}", span(&WARNING_DAYS, "days")),
        );
    }
    let new_starter_days = draft
        .new_starter_days
        .filter(|d| NEW_STARTER_DAYS.contains(d));
    if new_starter_days.is_none() {
        need(
            "new_starter_days",
            format!(
                "Enter a new-starter deadline of {}",
                span(&NEW_STARTER_DAYS, "days")
            ),
        );
    }
    let reason = draft.reason.trim();
    if reason.chars().count() < MIN_REASON {
        need(
            "reason",
            "Say why the rule changes, for the audit trail".into(),
        );
    }
    match (effective_from, kind, warning_days, new_starter_days) {
        (Some(from), Some(kind), Some(warning_days), Some(new_starter_days))
            if problems.is_empty() =>
        {
            let local = format!(
                "{} local version by {} on {}: {reason}",
                author.org_code, author.name, author.today
            );
            // Where the figures come from: a chosen reading's own basis and citation; unchanged figures keep
            // theirs; anything else is the organisation's own choice.
            let (basis, source) = match &draft.reading {
                Some(r) => (r.basis.clone(), format!("{}. {local}", r.source)),
                None if kind == current.kind => (current.basis.clone(), local),
                None => (
                    RuleBasis {
                        edition: current.basis.edition.clone(),
                        reading: Some("Local choice".to_owned()),
                        local_choice: true,
                    },
                    local,
                ),
            };
            // The assessment behind a local period stays with the versions that keep that period.
            let local_reason = if kind == current.kind {
                local_reason.or_else(|| current.local_reason.clone())
            } else {
                local_reason
            };
            Ok(Rule {
                kind,
                local_reason,
                purpose: draft.purpose.unwrap_or(current.purpose),
                warning_days,
                new_starter_days,
                effective_from: from,
                effective_to: None,
                transition_ends,
                retired: false,
                source,
                basis,
                ..current.clone()
            })
        }
        _ => Err(problems),
    }
}

fn span(range: &RangeInclusive<u32>, unit: &str) -> String {
    format!("{} to {} {unit}", range.start(), range.end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Subject;
    use crate::model::{Applicability, RenewalBase};
    use crate::{OrgId, RuleId};

    fn date(s: &str) -> Date {
        s.parse().expect("a date")
    }

    fn rule(id: i64, kind: RuleKind, adjustable: bool, from: &str) -> Rule {
        Rule {
            id: RuleId(id),
            org_id: OrgId(1),
            framework: "cstf".into(),
            framework_version: "1.1".into(),
            subject: Subject::from_static("cstf.fire_safety"),
            level: 1,
            title: "Fire Safety".into(),
            kind,
            applies_to: Applicability::everyone(),
            renewal_base: RenewalBase::Completion,
            warning_days: 60,
            new_starter_days: 28,
            effective_from: date(from),
            effective_to: None,
            transition_ends: None,
            retired: false,
            adjustable,
            source: "CSTF".into(),
            purpose: RulePurpose::Requirement,
            basis: RuleBasis::default(),
            local_reason: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn author() -> Author<'static> {
        Author {
            org_code: "RJ1",
            name: "Sam Admin",
            today: date("2026-05-01"),
        }
    }

    fn draft() -> VersionDraft {
        VersionDraft {
            effective_from: Some(date("2026-06-01")),
            refresher_months: Some(12),
            hours: None,
            window_months: None,
            participatory_percent: None,
            reading: None,
            purpose: None,
            warning_days: Some(30),
            new_starter_days: Some(14),
            transition_ends: None,
            retire: false,
            local_reason: None,
            reason: "Local risk assessment".into(),
        }
    }

    const YEARLY: RuleKind = RuleKind::Completion {
        refresher_months: 24,
    };

    #[test]
    fn an_adjustable_period_may_change_and_the_version_says_who_made_it() {
        let current = rule(1, YEARLY, true, "2020-01-01");
        let v = new_version(&current, &draft(), &author()).expect("accepted");
        assert_eq!(
            v.kind,
            RuleKind::Completion {
                refresher_months: 12
            }
        );
        assert_eq!((v.warning_days, v.new_starter_days), (30, 14));
        assert_eq!(v.effective_from, date("2026-06-01"));
        assert_eq!(v.effective_to, None);
        assert_eq!(
            v.source,
            "RJ1 local version by Sam Admin on 2026-05-01: Local risk assessment"
        );
        assert_eq!(v.subject, current.subject);
    }

    #[test]
    fn a_period_the_framework_fixes_is_kept_outside_the_cstf() {
        let mut current = rule(1, YEARLY, false, "2020-01-01");
        current.subject = Subject::from_static("omt.learning_disability_autism");
        assert!(!period_may_change(&current));
        let v = new_version(&current, &draft(), &author()).expect("accepted");
        assert_eq!(v.kind, YEARLY, "the asked-for 12 months are ignored");
    }

    #[test]
    fn a_cstf_period_may_be_set_locally_with_the_risk_assessment_named() {
        let current = rule(1, YEARLY, false, "2020-01-01");
        assert!(period_may_change(&current) && period_needs_assessment(&current));
        let problems = new_version(&current, &draft(), &author()).expect_err("no assessment named");
        assert_eq!(
            problems.iter().map(|p| p.field).collect::<Vec<_>>(),
            ["local_reason"]
        );
        assert!(problems[0].message.contains("24 months"), "{problems:?}");
        let v = new_version(
            &current,
            &VersionDraft {
                local_reason: Some(" RA-2026-014 fire committee ".into()),
                ..draft()
            },
            &author(),
        )
        .expect("accepted");
        assert_eq!(
            v.kind,
            RuleKind::Completion {
                refresher_months: 12
            }
        );
        assert_eq!(
            v.local_reason.as_deref(),
            Some("RA-2026-014 fire committee")
        );
        assert!(v.basis.local_choice);
        // A later version keeping the local period keeps the assessment; the same period needs none.
        let later = new_version(
            &v,
            &VersionDraft {
                effective_from: Some(date("2027-01-01")),
                ..draft()
            },
            &author(),
        )
        .expect("accepted");
        assert_eq!(later.local_reason, v.local_reason);
        // An adjustable period needs no assessment reference.
        let adjustable = rule(1, YEARLY, true, "2020-01-01");
        assert!(!period_needs_assessment(&adjustable));
        assert!(new_version(&adjustable, &draft(), &author()).is_ok());
    }

    #[test]
    fn a_transition_ends_after_the_version_takes_effect() {
        let current = rule(1, YEARLY, true, "2020-01-01");
        let v = new_version(
            &current,
            &VersionDraft {
                transition_ends: Some(date("2026-09-01")),
                ..draft()
            },
            &author(),
        )
        .expect("accepted");
        assert_eq!(v.transition_ends, Some(date("2026-09-01")));
        for bad in ["2026-06-01", "2028-06-02"] {
            let problems = new_version(
                &current,
                &VersionDraft {
                    transition_ends: Some(date(bad)),
                    ..draft()
                },
                &author(),
            )
            .expect_err("refused");
            assert_eq!(problems[0].field, "transition_until", "{bad}");
        }
    }

    #[test]
    fn a_retired_version_needs_only_a_date_and_a_reason() {
        let current = rule(1, YEARLY, false, "2020-01-01");
        let v = new_version(
            &current,
            &VersionDraft {
                effective_from: Some(date("2026-06-01")),
                retire: true,
                reason: "Dropped by CSTF 1.2".into(),
                ..VersionDraft::default()
            },
            &author(),
        )
        .expect("accepted");
        assert!(v.retired && !v.is_requirement());
        assert_eq!(v.effective_from, date("2026-06-01"));
        assert!(v.source.contains("retired by Sam Admin"), "{}", v.source);
        let again = new_version(
            &v,
            &VersionDraft {
                effective_from: Some(date("2026-07-01")),
                retire: true,
                reason: "Twice".into(),
                ..VersionDraft::default()
            },
            &author(),
        )
        .expect_err("already retired");
        assert_eq!(again[0].field, "retire");
    }

    #[test]
    fn a_version_takes_effect_after_the_current_one_and_gives_a_reason() {
        let current = rule(1, YEARLY, true, "2026-06-01");
        let problems = new_version(
            &current,
            &VersionDraft {
                reason: " no ".into(),
                ..draft()
            },
            &author(),
        )
        .expect_err("refused");
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["effective_from", "reason"]);
        assert!(problems[0].message.contains("after 2026-06-01"));
        let none = new_version(&current, &VersionDraft::default(), &author()).unwrap_err();
        let fields: Vec<&str> = none.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "effective_from",
                "refresher_months",
                "warning_days",
                "new_starter_days",
                "reason"
            ]
        );
    }

    #[test]
    fn an_hours_rule_takes_its_hours_and_window_within_bounds() {
        let current = rule(
            1,
            RuleKind::Hours {
                hours: 8.0,
                window_months: 36,
                participatory_share: None,
            },
            false,
            "2020-01-01",
        );
        let ok = new_version(
            &current,
            &VersionDraft {
                hours: Some(12.0),
                window_months: Some(36),
                ..draft()
            },
            &author(),
        )
        .expect("accepted");
        assert_eq!(
            ok.kind,
            RuleKind::Hours {
                hours: 12.0,
                window_months: 36,
                participatory_share: None,
            }
        );
        for (hours, window) in [
            (Some(0.0), Some(36)),
            (Some(501.0), Some(36)),
            (None, Some(0)),
        ] {
            let bad = new_version(
                &current,
                &VersionDraft {
                    hours,
                    window_months: window,
                    ..draft()
                },
                &author(),
            )
            .unwrap_err();
            assert!(
                bad.iter()
                    .any(|p| p.field == "hours" || p.field == "window_months"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_change_builds_on_the_latest_version_whichever_was_opened() {
        let old = rule(1, YEARLY, true, "2020-01-01");
        let newer = rule(2, YEARLY, true, "2024-01-01");
        let mut other = rule(3, YEARLY, true, "2025-01-01");
        other.level = 2;
        let rules = [old.clone(), newer.clone(), other];
        assert_eq!(current(&rules, &old).id, RuleId(2));
        assert_eq!(current(&rules, &newer).id, RuleId(2));
    }
}
