//! An organisation's own requirements: training it asks of some of its staff beyond the national frameworks (a
//! trust's medical devices course for theatre staff, a ward's own competency). Each is one rule of the `local`
//! framework with a subject of its own (`local.rj1.medical_devices`), applying by staff group, job role, specialty
//! and unit (`Clause`), renewed every so many months. It is written as any new rule version is, as a regulatory change
//! with a preview of whom it makes due and an optional transition; later changes, and retiring it, are new versions
//! on the rules page. Nothing here is national: the organisation's reason is its source.

use crate::model::{DEFAULT_NEW_STARTER_DAYS, DEFAULT_WARNING_DAYS};
use crate::rule_versions::{Author, MAX_TRANSITION_DAYS, MIN_REASON, Problem, REFRESHER_MONTHS};
use crate::{
    Applicability, Clause, Date, OrgId, RenewalBase, Rule, RuleBasis, RuleId, RuleKind,
    RulePurpose, Subject, Timestamp,
};

/// The framework code of every local requirement.
pub const LOCAL_FRAMEWORK: &str = "local";

/// The longest title kept.
const MAX_TITLE: usize = 120;

/// A local requirement as an admin asks for it.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalDraft<'a> {
    pub title: &'a str,
    pub refresher_months: Option<u32>,
    /// Who it applies to (empty lists: anyone).
    pub applies: Clause,
    pub effective_from: Option<Date>,
    /// The last day of a transition during which those it makes due are not yet overdue; None: none.
    pub transition_until: Option<Date>,
    pub reason: &'a str,
}

/// The subject code for a title in an organisation: `local.` the ODS code in lower case, `.`, and the title's words
/// in lower case joined by underscores ("Medical Devices (Theatres)" in RJ1 is `local.rj1.medical_devices_theatres`).
pub fn subject_code(ods: &str, title: &str) -> String {
    let words: Vec<String> = title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut slug = words.join("_");
    slug.truncate(60);
    format!(
        "local.{}.{}",
        ods.to_ascii_lowercase(),
        slug.trim_end_matches('_')
    )
}

/// The rule a draft makes in `org`, or every problem with it. `rules` are the organisation's (a title already in
/// use there is refused: two requirements with one name cannot be told apart on any page).
pub fn new_rule(
    org: OrgId,
    draft: &LocalDraft<'_>,
    rules: &[Rule],
    author: &Author<'_>,
    now: Timestamp,
) -> Result<Rule, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut need = |field: &'static str, message: String| problems.push(Problem { field, message });
    let title = draft.title.trim();
    let subject = Subject::parse(&subject_code(author.org_code, title));
    if title.chars().count() < 3
        || title.chars().count() > MAX_TITLE
        || !title.chars().any(|c| c.is_ascii_alphanumeric())
    {
        need(
            "title",
            format!("Enter the requirement's name, 3 to {MAX_TITLE} characters"),
        );
    } else if rules.iter().any(|r| {
        r.title.eq_ignore_ascii_case(title) || subject.as_ref().is_ok_and(|s| *s == r.subject)
    }) {
        need(
            "title",
            format!(
                "{title:?} is already a requirement here: choose another name, or make a new version of it on the rules page"
            ),
        );
    }
    let kind = match draft.refresher_months {
        Some(m) if REFRESHER_MONTHS.contains(&m) => Some(RuleKind::Completion {
            refresher_months: m,
        }),
        _ => {
            need(
                "refresher_months",
                format!(
                    "Enter how often it is renewed, {} to {} months",
                    REFRESHER_MONTHS.start(),
                    REFRESHER_MONTHS.end()
                ),
            );
            None
        }
    };
    match draft.effective_from {
        None => need(
            "effective_from",
            "Enter the date it takes effect, like 2027-01-01".into(),
        ),
        Some(d) if d < author.today => need(
            "effective_from",
            format!(
                "A new requirement takes effect today ({}) or later: nobody could have done it before it was asked for",
                author.today
            ),
        ),
        Some(_) => {}
    }
    if let (Some(from), Some(until)) = (draft.effective_from, draft.transition_until)
        && (until < from || (until - from).num_days() > MAX_TRANSITION_DAYS)
    {
        need(
            "transition_until",
            format!("The transition ends between {from} and {MAX_TRANSITION_DAYS} days after it"),
        );
    }
    let reason = draft.reason.trim();
    if reason.chars().count() < MIN_REASON {
        need("reason", "Say why the organisation asks for it (for example the committee and date that agreed it)".into());
    }
    match (subject, kind, draft.effective_from, problems.is_empty()) {
        (Ok(subject), Some(kind), Some(from), true) => Ok(Rule {
            id: RuleId(0),
            org_id: org,
            framework: LOCAL_FRAMEWORK.to_owned(),
            framework_version: author.org_code.to_owned(),
            subject,
            level: 1,
            title: title.to_owned(),
            kind,
            purpose: RulePurpose::Requirement,
            applies_to: Applicability(vec![draft.applies.clone()]),
            renewal_base: RenewalBase::PreviousExpiry,
            warning_days: DEFAULT_WARNING_DAYS,
            new_starter_days: DEFAULT_NEW_STARTER_DAYS,
            effective_from: from,
            effective_to: None,
            transition_ends: draft.transition_until.and_then(|u| u.succ_opt()),
            retired: false,
            adjustable: true,
            source: format!(
                "{}'s own requirement, set by {} on {}: {reason}",
                author.org_code, author.name, author.today
            ),
            basis: RuleBasis {
                edition: None,
                reading: None,
                local_choice: true,
            },
            local_reason: None,
            created_at: now,
        }),
        (Err(e), ..) if problems.is_empty() => Err(vec![Problem {
            field: "title",
            message: e,
        }]),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{StaffGroup, UnitId, UnitRef};

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn author() -> Author<'static> {
        Author {
            org_code: "RJ1",
            name: "Lee L&D",
            today: d("2026-12-07"),
        }
    }

    fn draft() -> LocalDraft<'static> {
        LocalDraft {
            title: "Medical Devices (Theatres)",
            refresher_months: Some(24),
            applies: Clause {
                staff_groups: vec![StaffGroup::NursingMidwiferyRegistered],
                units: vec![UnitRef {
                    id: UnitId(7),
                    name: "Theatres".into(),
                }],
                ..Clause::default()
            },
            effective_from: Some(d("2027-01-01")),
            transition_until: Some(d("2027-03-31")),
            reason: "Agreed by the Medical Devices Committee, 12 November 2026",
        }
    }

    #[test]
    fn a_local_requirement_is_a_rule_of_its_own_that_explains_itself() {
        let now = "2026-12-07T10:00:00Z".parse().unwrap();
        let rule = new_rule(OrgId(1), &draft(), &[], &author(), now).expect("sound");
        assert_eq!(rule.subject.as_str(), "local.rj1.medical_devices_theatres");
        assert_eq!(
            rule.kind,
            RuleKind::Completion {
                refresher_months: 24
            }
        );
        assert_eq!(
            rule.transition_ends,
            Some(d("2027-04-01")),
            "the day after the transition's last"
        );
        assert_eq!(
            rule.applies_to.describe(),
            "Nursing and Midwifery Registered staff in Theatres"
        );
        assert!(
            rule.source.contains("Medical Devices Committee"),
            "{}",
            rule.source
        );
        assert!(rule.basis.local_choice);
    }

    #[test]
    fn each_mistake_is_named_and_a_title_cannot_be_used_twice() {
        let now = "2026-12-07T10:00:00Z".parse().unwrap();
        let bad = LocalDraft {
            title: "x",
            refresher_months: Some(0),
            effective_from: Some(d("2026-12-06")),
            transition_until: Some(d("2026-11-01")),
            reason: "",
            ..draft()
        };
        let fields: Vec<&str> = new_rule(OrgId(1), &bad, &[], &author(), now)
            .unwrap_err()
            .iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            [
                "title",
                "refresher_months",
                "effective_from",
                "transition_until",
                "reason"
            ]
        );
        let existing = new_rule(OrgId(1), &draft(), &[], &author(), now).unwrap();
        let again = new_rule(OrgId(1), &draft(), &[existing], &author(), now).unwrap_err();
        assert_eq!(again[0].field, "title");
    }

    #[test]
    fn codes_are_stable_and_safe() {
        assert_eq!(
            subject_code("RJ1", "  Blood   Transfusion: Level 1! "),
            "local.rj1.blood_transfusion_level_1"
        );
        assert!(Subject::parse(&subject_code("RYJ", "Ünïcode only ✓ ok")).is_ok());
    }
}
