//! Tests for the compliance engine (`engine/`) and the roll-up index (`rollup.rs`), against the product semantics of
//! `docs/compliance.md`.
//!
//! Layout:
//! 1. fixtures: a small `World` (rules, policies, posts, records, exemptions, known_at) and builders;
//! 2. scenario tests, one semantic rule each;
//! 3. property tests over random small worlds (proptest);
//! 4. roll-up tests, including a brute-force comparison.

use super::*;
use crate::dates::{add_days, add_months, sub_days};
use crate::rollup::{Counts, Hierarchy, Node, RollupIndex};
use crate::{Date, ExemptionId, OrgId, PersonId, PostId, RecordId, RuleId, Timestamp, UnitId};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

// ---------------------------------------------------------------------------------------------------------------------
// 1. Fixtures
// ---------------------------------------------------------------------------------------------------------------------

const ORG: OrgId = OrgId(1);
const OTHER_ORG: OrgId = OrgId(2);
const PERSON: PersonId = PersonId(1);

fn d(s: &str) -> Date {
    s.parse().expect("a valid ISO date")
}

/// A timestamp during the working day of `date`.
fn at(date: Date) -> Timestamp {
    date.and_hms_opt(9, 0, 0).expect("a valid time").and_utc()
}

fn ts(s: &str) -> Timestamp {
    at(d(s))
}

/// A completion rule for everyone in ORG, in force since 2015, with the default warning and new-starter windows.
fn completion_rule(id: i64, subject: &str, level: u8, refresher_months: u32) -> Rule {
    Rule {
        id: RuleId(id),
        org_id: ORG,
        framework: "CSTF".to_owned(),
        framework_version: "1.1".to_owned(),
        subject: Subject::parse(subject).expect("a subject"),
        level,
        title: format!("Title of {subject}"),
        kind: RuleKind::Completion { refresher_months },
        purpose: RulePurpose::Requirement,
        applies_to: Applicability::everyone(),
        renewal_base: RenewalBase::Completion,
        warning_days: DEFAULT_WARNING_DAYS,
        new_starter_days: DEFAULT_NEW_STARTER_DAYS,
        effective_from: d("2015-01-01"),
        effective_to: None,
        transition_ends: None,
        retired: false,
        adjustable: false,
        source: "test".to_owned(),
        basis: RuleBasis::default(),
        local_reason: None,
        created_at: ts("2015-01-01"),
    }
}

/// An hours rule (the safeguarding model): `hours` within a rolling window of `window_months`.
fn hours_rule(id: i64, subject: &str, level: u8, hours: f64, window_months: u32) -> Rule {
    Rule {
        kind: RuleKind::Hours {
            hours,
            window_months,
            participatory_share: None,
        },
        ..completion_rule(id, subject, level, 12)
    }
}

/// A patient-facing nursing post in ward 10 of ORG.
fn post(id: i64, start: &str, end: Option<&str>) -> Post {
    Post {
        id: PostId(id),
        person_id: PERSON,
        org_id: ORG,
        unit_id: UnitId(10),
        assignment_number: format!("A{id}"),
        staff_group: StaffGroup::NursingMidwiferyRegistered,
        job_role: "Staff nurse".to_owned(),
        band: Some("5".to_owned()),
        specialty: None,
        patient_facing: true,
        start: d(start),
        end: end.map(d),
        recorded_at: ts("2015-01-01"),
    }
}

/// A record from an NHS trust (accepted by default), recorded on the day it was completed.
fn record(id: i64, subject: &str, level: u8, completed: &str) -> RecordFact {
    RecordFact {
        record: TrainingRecord {
            id: RecordId(id),
            person_id: PERSON,
            subject: Subject::parse(subject).expect("a subject"),
            level,
            completed_on: d(completed),
            hours: None,
            provider: format!("Provider {id}"),
            provider_type: ProviderType::NhsTrust,
            provider_org_id: None,
            source: RecordSource::Elearning,
            evidence_ref: None,
            recorded_at: ts(completed),
        },
        superseded: None,
    }
}

fn hours_record(id: i64, subject: &str, level: u8, completed: &str, hours: f64) -> RecordFact {
    let mut r = record(id, subject, level, completed);
    r.record.hours = Some(hours);
    r
}

fn exemption(id: i64, subject: &str, reason: &str, from: &str, until: Option<&str>) -> Exemption {
    Exemption {
        id: ExemptionId(id),
        person_id: PERSON,
        org_id: ORG,
        subject: Subject::parse(subject).expect("a subject"),
        reason: reason.to_owned(),
        from: d(from),
        until: until.map(d),
        recorded_at: ts("2015-01-01"),
        approved_by: None,
        ended: None,
    }
}

fn policy(accepted: &[ProviderType], from: &str) -> AcceptancePolicy {
    AcceptancePolicy {
        org_id: ORG,
        accepted: accepted.to_vec(),
        effective_from: d(from),
        created_at: ts(from),
    }
}

/// Everything the engine needs about one organisation and one person.
#[derive(Clone, Debug, Default)]
struct World {
    rules: Vec<Rule>,
    policies: Vec<AcceptancePolicy>,
    posts: Vec<Post>,
    records: Vec<RecordFact>,
    exemptions: Vec<Exemption>,
    known_at: Option<Timestamp>,
    /// The organisation's re-hire break; None: the default.
    rehire_break_days: Option<u32>,
}

impl World {
    fn new(rules: Vec<Rule>, posts: Vec<Post>, records: Vec<RecordFact>) -> Self {
        World {
            rules,
            posts,
            records,
            ..World::default()
        }
    }

    fn with<R>(&self, f: impl FnOnce(&PersonEngine<'_>) -> R) -> R {
        let mut org = OrgEngine::new(ORG, &self.rules, &self.policies, self.known_at);
        if let Some(days) = self.rehire_break_days {
            org = org.with_rehire_break_days(days);
        }
        let person = org.person(PersonFacts {
            posts: &self.posts,
            records: &self.records,
            exemptions: &self.exemptions,
        });
        f(&person)
    }

    fn explain(&self, on: Date) -> Vec<RequirementStatus> {
        self.with(|p| p.explain_at(on))
    }

    fn status(&self, subject: &str, on: Date) -> Option<(RequirementKey, Status)> {
        self.with(|p| p.status_at(subject, on))
    }

    fn timeline(&self) -> Vec<StatusSpan> {
        self.with(|p| p.timeline())
    }

    /// The one explained status of `subject` on `on`; panics when it does not apply.
    fn one(&self, subject: &str, on: &str) -> RequirementStatus {
        let all = self.explain(d(on));
        let mine: Vec<_> = all.into_iter().filter(|s| s.subject == subject).collect();
        assert_eq!(
            mine.len(),
            1,
            "exactly one status for {subject} on {on}: {mine:#?}"
        );
        mine.into_iter().next().expect("one status")
    }

    /// Shorthand: the status of `subject` on `on` through `explain_at`, checked against `status_at`.
    fn st(&self, subject: &str, on: &str) -> Status {
        let s = self.one(subject, on);
        assert_eq!(
            self.status(subject, d(on)).map(|x| x.1),
            Some(s.status),
            "explain_at and status_at agree"
        );
        s.status
    }
}

fn not_counted(s: &RequirementStatus, id: i64) -> Option<NotCountedReason> {
    s.explanation
        .not_counted
        .iter()
        .find(|n| n.record.record_id == RecordId(id))
        .map(|n| n.reason)
}

fn used_ids(s: &RequirementStatus) -> Vec<RecordId> {
    s.explanation
        .used
        .iter()
        .map(|u| u.record.record_id)
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------------
// 2. Scenario tests
// ---------------------------------------------------------------------------------------------------------------------

/// Fire safety, level 1, renewed every 12 months; a post held since 2020.
fn fire_world(records: Vec<RecordFact>) -> World {
    World::new(
        vec![completion_rule(1, "fire", 1, 12)],
        vec![post(1, "2020-01-01", None)],
        records,
    )
}

// --- Completion rule: the five statuses ------------------------------------------------------------------------------

#[test]
fn completion_compliant_with_an_in_date_record() {
    let w = fire_world(vec![record(1, "fire", 1, "2024-01-10")]);
    let s = w.one("fire", "2024-06-01");
    assert_eq!(s.status, Status::Compliant);
    assert_eq!((s.subject.as_str(), s.level), ("fire", 1));
    assert_eq!(s.due_on, Some(d("2025-01-10")));
    assert_eq!(s.explanation.due_on, Some(d("2025-01-10")));
    assert_eq!(used_ids(&s), vec![RecordId(1)]);
    assert_eq!(s.explanation.used[0].expires_on, Some(d("2025-01-10")));
    assert!(!s.explanation.used[0].renewed_from_previous_expiry);
    assert_eq!(
        s.explanation
            .applying_posts
            .iter()
            .map(|p| p.post_id)
            .collect::<Vec<_>>(),
        vec![PostId(1)]
    );
    assert_eq!(s.explanation.rule.id, RuleId(1));
    assert_eq!(s.explanation.rule.framework_version, "1.1");
    // Expiry is the first day it no longer counts; "valid until" names the last day it does.
    assert!(
        s.explanation.summary.contains("2024-01-10")
            && s.explanation.summary.contains("valid until 2025-01-09")
    );
    assert!(s.explanation.exemption.is_none());
}

#[test]
fn completion_is_expiring_inside_the_warning_window() {
    // Expiry 2025-01-10; the 60-day warning window starts on 2024-11-11.
    let w = fire_world(vec![record(1, "fire", 1, "2024-01-10")]);
    assert_eq!(sub_days(d("2025-01-10"), 60), d("2024-11-11"));
    assert_eq!(w.st("fire", "2024-11-10"), Status::Compliant);
    assert_eq!(w.st("fire", "2024-11-11"), Status::Expiring);
    let s = w.one("fire", "2025-01-09");
    assert_eq!(s.status, Status::Expiring);
    assert_eq!(s.due_on, Some(d("2025-01-10")));
    assert!(
        s.explanation.summary.contains("in 1 days"),
        "{}",
        s.explanation.summary
    );
}

#[test]
fn completion_expires_on_the_expiry_date() {
    let w = fire_world(vec![record(1, "fire", 1, "2024-01-10")]);
    let s = w.one("fire", "2025-01-10");
    assert_eq!(s.status, Status::Expired);
    assert_eq!(
        s.due_on,
        Some(d("2025-01-10")),
        "an expired status is due on its lapse date"
    );
    assert_eq!(used_ids(&s), vec![RecordId(1)]);
    assert!(
        s.explanation.summary.contains("expired on 2025-01-10"),
        "{}",
        s.explanation.summary
    );
    // Long after, still expired (not missing): a counting record existed.
    assert_eq!(w.st("fire", "2027-01-01"), Status::Expired);
}

#[test]
fn completion_missing_without_any_record() {
    let w = fire_world(vec![]);
    let s = w.one("fire", "2024-06-01");
    assert_eq!(s.status, Status::Missing);
    assert_eq!(s.due_on, None);
    assert!(s.explanation.used.is_empty());
    assert!(
        s.explanation.summary.contains("No record"),
        "{}",
        s.explanation.summary
    );
    // A record of another subject does not help.
    let w = fire_world(vec![record(1, "resus", 1, "2024-01-10")]);
    assert_eq!(w.st("fire", "2024-06-01"), Status::Missing);
}

#[test]
fn a_record_completed_after_the_date_does_not_count_yet() {
    let w = fire_world(vec![record(1, "fire", 1, "2024-01-10")]);
    assert_eq!(w.st("fire", "2024-01-09"), Status::Missing);
    assert_eq!(w.st("fire", "2024-01-10"), Status::Compliant);
}

#[test]
fn new_starter_is_pending_until_the_deadline() {
    // Post starts 2024-03-01; the 28-day deadline is 2024-03-29 (inclusive).
    let mut w = fire_world(vec![]);
    w.posts = vec![post(1, "2024-03-01", None)];
    assert_eq!(w.st("fire", "2024-03-01"), Status::Pending);
    let s = w.one("fire", "2024-03-29");
    assert_eq!(s.status, Status::Pending);
    assert_eq!(s.due_on, Some(d("2024-03-29")));
    assert!(
        s.explanation.summary.contains("2024-03-29"),
        "{}",
        s.explanation.summary
    );
    assert_eq!(w.st("fire", "2024-03-30"), Status::Missing);

    // A lapsed record from a previous employer follows the person: after the deadline it is expired, not missing.
    w.records = vec![record(1, "fire", 1, "2021-05-01")];
    assert_eq!(w.st("fire", "2024-03-15"), Status::Pending);
    assert_eq!(w.st("fire", "2024-03-30"), Status::Expired);

    // An in-date record beats pending.
    w.records = vec![record(2, "fire", 1, "2024-03-10")];
    assert_eq!(w.st("fire", "2024-03-05"), Status::Pending);
    assert_eq!(w.st("fire", "2024-03-10"), Status::Compliant);
}

#[test]
fn new_starter_deadline_runs_from_the_earliest_applying_post() {
    let mut w = fire_world(vec![]);
    let mut second = post(2, "2024-04-15", None);
    second.unit_id = UnitId(11);
    w.posts = vec![post(1, "2024-03-01", None), second];
    // The second post started five days ago, but the deadline counts from the first.
    assert_eq!(w.st("fire", "2024-04-20"), Status::Missing);

    // When the rule only applies to the second post's attributes, its start is what counts.
    w.rules[0].applies_to = Applicability(vec![Clause {
        staff_groups: vec![StaffGroup::MedicalDental],
        ..Clause::default()
    }]);
    w.posts[1].staff_group = StaffGroup::MedicalDental;
    assert!(
        w.explain(d("2024-04-14")).is_empty(),
        "the rule does not apply to the first post"
    );
    let s = w.one("fire", "2024-04-20");
    assert_eq!(s.status, Status::Pending);
    assert_eq!(s.due_on, Some(d("2024-05-13")));
    assert_eq!(
        s.explanation
            .applying_posts
            .iter()
            .map(|p| p.post_id)
            .collect::<Vec<_>>(),
        vec![PostId(2)]
    );
}

#[test]
fn exemption_wins_and_shows_its_reason() {
    let mut w = fire_world(vec![record(1, "fire", 1, "2024-01-10")]);
    w.exemptions = vec![exemption(
        7,
        "fire",
        "Long-term sick leave",
        "2024-05-01",
        Some("2024-12-31"),
    )];
    let s = w.one("fire", "2024-06-01");
    assert_eq!(s.status, Status::Exempt, "exempt wins even over compliant");
    assert_eq!(s.due_on, Some(d("2024-12-31")));
    assert!(
        s.explanation.summary.contains("Long-term sick leave"),
        "{}",
        s.explanation.summary
    );
    let ex = s
        .explanation
        .exemption
        .as_ref()
        .expect("the exemption is cited");
    assert_eq!(
        (ex.exemption_id, ex.reason.as_str(), ex.until),
        (
            ExemptionId(7),
            "Long-term sick leave",
            Some(d("2024-12-31"))
        )
    );
    // Bounds are inclusive at both ends.
    assert_eq!(w.st("fire", "2024-04-30"), Status::Compliant);
    assert_eq!(w.st("fire", "2024-05-01"), Status::Exempt);
    assert_eq!(w.st("fire", "2024-12-31"), Status::Exempt);
    assert_eq!(w.st("fire", "2025-01-01"), Status::Expiring);
    assert_eq!(w.st("fire", "2025-01-10"), Status::Expired);
}

#[test]
fn an_exemption_ended_early_stops_covering_from_its_new_last_day_once_the_end_is_known() {
    let mut w = fire_world(vec![record(1, "fire", 1, "2024-01-10")]);
    let mut e = exemption(
        7,
        "fire",
        "Maternity leave",
        "2024-05-01",
        Some("2025-04-30"),
    );
    e.approved_by = Some("A Patel, Ward Manager".to_owned());
    e.ended = Some(ExemptionEnd {
        last_day: d("2024-09-30"),
        reason: "Back at work early".to_owned(),
        recorded_at: ts("2024-10-02"),
    });
    w.exemptions = vec![e];
    let s = w.one("fire", "2024-09-30");
    assert_eq!(
        (s.status, s.due_on),
        (Status::Exempt, Some(d("2024-09-30")))
    );
    assert_eq!(
        s.explanation
            .exemption
            .as_ref()
            .and_then(|x| x.approved_by.as_deref()),
        Some("A Patel, Ward Manager")
    );
    assert!(
        s.explanation
            .summary
            .ends_with("Approved by A Patel, Ward Manager."),
        "{}",
        s.explanation.summary
    );
    assert_eq!(w.st("fire", "2024-10-01"), Status::Compliant);
    assert_eq!(w.st("fire", "2025-01-10"), Status::Expired);
    // Before the end was recorded, Lantern answered with the exemption's own last day, and still does for then.
    w.known_at = Some(ts("2024-10-01"));
    assert_eq!(w.st("fire", "2025-01-10"), Status::Exempt);
    assert_eq!(w.st("fire", "2025-05-01"), Status::Expired);
}

#[test]
fn exemptions_only_cover_their_subject_and_organisation() {
    let mut w = fire_world(vec![]);
    let mut elsewhere = exemption(1, "fire", "Granted by another trust", "2020-01-01", None);
    elsewhere.org_id = OTHER_ORG;
    w.exemptions = vec![
        elsewhere,
        exemption(2, "resus", "Wrong subject", "2020-01-01", None),
    ];
    assert_eq!(w.st("fire", "2024-06-01"), Status::Missing);
}

// --- Expiry arithmetic and renewal base ------------------------------------------------------------------------------

#[test]
fn expiry_clamps_to_the_last_day_of_the_month() {
    let mut w = fire_world(vec![record(1, "fire", 1, "2024-01-31")]);
    w.rules = vec![completion_rule(1, "fire", 1, 1)];
    let s = w.one("fire", "2024-02-01");
    assert_eq!(s.explanation.used[0].expires_on, Some(d("2024-02-29")));
    assert_eq!(s.due_on, Some(d("2024-02-29")));
    assert_eq!(w.st("fire", "2024-02-28"), Status::Expiring);
    assert_eq!(w.st("fire", "2024-02-29"), Status::Expired);

    // Not a leap year: 28 February.
    w.records = vec![record(2, "fire", 1, "2023-01-31")];
    assert_eq!(
        w.one("fire", "2023-02-01").explanation.used[0].expires_on,
        Some(d("2023-02-28"))
    );
    assert_eq!(w.st("fire", "2023-02-28"), Status::Expired);
}

#[test]
fn renewal_from_previous_expiry_inside_the_warning_window() {
    // First completion expires 2024-03-01; its warning window opens 2024-01-01. Renewed on 2024-02-01.
    let mut w = fire_world(vec![
        record(1, "fire", 1, "2023-03-01"),
        record(2, "fire", 1, "2024-02-01"),
    ]);
    w.rules[0].renewal_base = RenewalBase::PreviousExpiry;
    let s = w.one("fire", "2024-06-01");
    assert_eq!(s.status, Status::Compliant);
    assert_eq!(used_ids(&s), vec![RecordId(2)]);
    assert_eq!(
        s.explanation.used[0].expires_on,
        Some(d("2025-03-01")),
        "runs from the previous expiry"
    );
    assert!(s.explanation.used[0].renewed_from_previous_expiry);
    assert_eq!(not_counted(&s, 1), Some(NotCountedReason::OlderCompletion));
    assert_eq!(w.st("fire", "2025-02-28"), Status::Expiring);
    assert_eq!(w.st("fire", "2025-03-01"), Status::Expired);

    // Same records with the default base: validity runs from the completion date.
    w.rules[0].renewal_base = RenewalBase::Completion;
    let s = w.one("fire", "2024-06-01");
    assert_eq!(s.explanation.used[0].expires_on, Some(d("2025-02-01")));
    assert!(!s.explanation.used[0].renewed_from_previous_expiry);
}

#[test]
fn renewal_from_previous_expiry_only_applies_inside_the_window() {
    let mut w = fire_world(vec![
        record(1, "fire", 1, "2023-03-01"),
        record(2, "fire", 1, "2023-12-31"),
    ]);
    w.rules[0].renewal_base = RenewalBase::PreviousExpiry;
    // Renewed one day before the warning window opened: runs from completion.
    let s = w.one("fire", "2024-06-01");
    assert_eq!(s.explanation.used[0].expires_on, Some(d("2024-12-31")));
    assert!(!s.explanation.used[0].renewed_from_previous_expiry);
    // Renewed on the first day of the window: runs from the previous expiry.
    w.records[1] = record(2, "fire", 1, "2024-01-01");
    assert_eq!(
        w.one("fire", "2024-06-01").explanation.used[0].expires_on,
        Some(d("2025-03-01"))
    );
    // Renewed after the previous record lapsed: runs from completion.
    w.records[1] = record(2, "fire", 1, "2024-03-05");
    let s = w.one("fire", "2024-06-01");
    assert_eq!(s.explanation.used[0].expires_on, Some(d("2025-03-05")));
    assert!(!s.explanation.used[0].renewed_from_previous_expiry);
}

// --- Levels ----------------------------------------------------------------------------------------------------------

#[test]
fn a_higher_level_record_satisfies_a_lower_level_rule() {
    let w = World::new(
        vec![completion_rule(1, "resus", 2, 12)],
        vec![post(1, "2020-01-01", None)],
        vec![record(1, "resus", 3, "2024-01-10")],
    );
    let s = w.one("resus", "2024-06-01");
    assert_eq!(s.status, Status::Compliant);
    assert_eq!(used_ids(&s), vec![RecordId(1)]);
}

#[test]
fn a_lower_level_record_is_listed_as_not_counted() {
    let w = World::new(
        vec![completion_rule(1, "resus", 2, 12)],
        vec![post(1, "2020-01-01", None)],
        vec![record(1, "resus", 1, "2024-01-10")],
    );
    let s = w.one("resus", "2024-06-01");
    assert_eq!(s.status, Status::Missing);
    assert!(s.explanation.used.is_empty());
    assert_eq!(not_counted(&s, 1), Some(NotCountedReason::LowerLevel));
    let detail = &s.explanation.not_counted[0].detail;
    assert!(
        detail.contains("level 1") && detail.contains("level 2"),
        "{detail}"
    );
    assert!(
        s.explanation.summary.contains("did not count"),
        "{}",
        s.explanation.summary
    );
}

#[test]
fn only_the_highest_applicable_level_is_required() {
    let level1 = completion_rule(1, "resus", 1, 12);
    let mut level2 = completion_rule(2, "resus", 2, 12);
    level2.applies_to = Applicability(vec![Clause {
        patient_facing: Some(true),
        ..Clause::default()
    }]);
    let mut w = World::new(
        vec![level1, level2],
        vec![post(1, "2020-01-01", None)],
        vec![record(1, "resus", 1, "2024-01-10")],
    );

    // Patient-facing: both rules apply, only level 2 is required, so the level-1 record does not count.
    let all = w.explain(d("2024-06-01"));
    assert_eq!(all.len(), 1, "one requirement per subject: {all:#?}");
    assert_eq!((all[0].level, all[0].status), (2, Status::Missing));
    assert_eq!(all[0].explanation.rule.id, RuleId(2));
    assert_eq!(not_counted(&all[0], 1), Some(NotCountedReason::LowerLevel));
    let key = RequirementKey {
        subject: Subject::from_static("resus"),
        level: 2,
    };
    assert_eq!(
        w.status("resus", d("2024-06-01")),
        Some((key, Status::Missing))
    );

    // Not patient-facing: only level 1 applies, and the record satisfies it.
    w.posts[0].patient_facing = false;
    let s = w.one("resus", "2024-06-01");
    assert_eq!((s.level, s.status), (1, Status::Compliant));

    // Two posts, one of each: level 2, explained by the patient-facing post only.
    let mut pf = post(2, "2020-01-01", None);
    pf.unit_id = UnitId(11);
    w.posts.push(pf);
    let s = w.one("resus", "2024-06-01");
    assert_eq!(s.level, 2);
    assert_eq!(
        s.explanation
            .applying_posts
            .iter()
            .map(|p| p.post_id)
            .collect::<Vec<_>>(),
        vec![PostId(2)]
    );
}

// --- Hours rule (safeguarding model) ---------------------------------------------------------------------------------

/// Safeguarding level 3: 8 hours within 36 months. One old record and three recent ones (3 + 3 + 2 hours).
fn safeguarding_world() -> World {
    World::new(
        vec![hours_rule(1, "safeguarding", 3, 8.0, 36)],
        vec![post(1, "2019-01-01", None)],
        vec![
            hours_record(1, "safeguarding", 3, "2020-01-01", 5.0),
            hours_record(2, "safeguarding", 3, "2022-01-15", 3.0),
            hours_record(3, "safeguarding", 3, "2023-06-01", 3.0),
            hours_record(4, "safeguarding", 3, "2024-02-01", 2.0),
        ],
    )
}

#[test]
fn hours_sums_records_inside_the_rolling_window() {
    let w = safeguarding_world();
    let s = w.one("safeguarding", "2024-06-01");
    assert_eq!(s.status, Status::Compliant);
    let h = s.explanation.hours.as_ref().expect("an hours tally");
    assert_eq!((h.counted, h.required, h.window_months), (8.0, 8.0, 36));
    assert_eq!(h.window_starts, d("2021-06-02"));
    assert_eq!(h.counted_at_warning_end, 8.0);
    assert_eq!(
        s.due_on, None,
        "a comfortably compliant hours rule has no due date"
    );
    let mut used = used_ids(&s);
    used.sort();
    assert_eq!(used, vec![RecordId(2), RecordId(3), RecordId(4)]);
    assert_eq!(not_counted(&s, 1), Some(NotCountedReason::OutsideWindow));
    assert!(
        s.explanation.summary.contains("8 of 8 hours"),
        "{}",
        s.explanation.summary
    );
}

#[test]
fn hours_expiring_when_old_records_leave_within_the_warning_window() {
    // Record 2 (3 hours) leaves the window on 2025-01-15; the warning starts 60 days before, on 2024-11-16.
    let w = safeguarding_world();
    assert_eq!(w.st("safeguarding", "2024-11-15"), Status::Compliant);
    let s = w.one("safeguarding", "2024-11-16");
    assert_eq!(s.status, Status::Expiring);
    assert_eq!(s.due_on, Some(d("2025-01-15")));
    let h = s.explanation.hours.as_ref().expect("an hours tally");
    assert_eq!((h.counted, h.counted_at_warning_end), (8.0, 5.0));
    assert_eq!(w.st("safeguarding", "2025-01-14"), Status::Expiring);
}

#[test]
fn hours_expired_when_short_but_some_existed() {
    let w = safeguarding_world();
    let s = w.one("safeguarding", "2025-01-15");
    assert_eq!(s.status, Status::Expired);
    let h = s.explanation.hours.as_ref().expect("an hours tally");
    assert_eq!(h.counted, 5.0);
    assert!(
        s.explanation.summary.contains("3 more needed"),
        "{}",
        s.explanation.summary
    );
    assert_eq!(not_counted(&s, 2), Some(NotCountedReason::OutsideWindow));

    // Some hours, never enough: expired rather than missing.
    let mut w = safeguarding_world();
    w.records = vec![hours_record(1, "safeguarding", 3, "2024-02-01", 2.0)];
    assert_eq!(w.st("safeguarding", "2024-06-01"), Status::Expired);
    // No hours at all: missing.
    w.records.clear();
    let s = w.one("safeguarding", "2024-06-01");
    assert_eq!(s.status, Status::Missing);
    assert_eq!(s.explanation.hours.as_ref().map(|h| h.counted), Some(0.0));
}

#[test]
fn hours_due_date_is_when_the_hours_fall_short() {
    // 4 hours within 12 months. 1 hour leaves on 2024-07-01 (still 4 left: in date), 4 hours leave on 2024-08-01.
    let w = World::new(
        vec![hours_rule(1, "safeguarding", 2, 4.0, 12)],
        vec![post(1, "2019-01-01", None)],
        vec![
            hours_record(1, "safeguarding", 2, "2023-07-01", 1.0),
            hours_record(2, "safeguarding", 2, "2023-08-01", 4.0),
        ],
    );
    let s = w.one("safeguarding", "2024-06-15");
    assert_eq!(s.status, Status::Expiring);
    assert_eq!(
        s.due_on,
        Some(d("2024-08-01")),
        "due when the total falls below 4 hours, not when the first hour leaves"
    );
    assert_eq!(s.explanation.due_on, s.due_on);
    assert_eq!(w.st("safeguarding", "2024-07-01"), Status::Expiring);
    assert_eq!(w.st("safeguarding", "2024-07-31"), Status::Expiring);
    assert_eq!(w.st("safeguarding", "2024-08-01"), Status::Expired);
}

// --- Acceptance policy -----------------------------------------------------------------------------------------------

fn commercial_fire_world() -> World {
    let mut r = record(1, "fire", 1, "2023-06-01");
    r.record.provider_type = ProviderType::Commercial;
    let mut w = fire_world(vec![r]);
    w.rules = vec![completion_rule(1, "fire", 1, 36)];
    w
}

#[test]
fn commercial_training_is_not_accepted_by_default() {
    let w = commercial_fire_world();
    let s = w.one("fire", "2024-06-01");
    assert_eq!(s.status, Status::Missing);
    assert_eq!(
        not_counted(&s, 1),
        Some(NotCountedReason::ProviderNotAccepted)
    );
    assert!(
        s.explanation.not_counted[0]
            .detail
            .contains("Commercial provider"),
        "{}",
        s.explanation.not_counted[0].detail
    );
}

#[test]
fn a_policy_accepting_commercial_training_counts_it_from_its_effective_date() {
    let mut w = commercial_fire_world();
    w.policies = vec![policy(
        &[ProviderType::NhsTrust, ProviderType::Commercial],
        "2024-01-01",
    )];
    assert_eq!(w.st("fire", "2023-12-31"), Status::Missing);
    assert_eq!(
        not_counted(&w.one("fire", "2023-12-31"), 1),
        Some(NotCountedReason::ProviderNotAccepted)
    );
    let s = w.one("fire", "2024-01-01");
    assert_eq!(s.status, Status::Compliant);
    assert_eq!(used_ids(&s), vec![RecordId(1)]);

    // A later policy version replaces it.
    w.policies
        .push(policy(&[ProviderType::NhsTrust], "2025-01-01"));
    assert_eq!(w.st("fire", "2024-12-31"), Status::Compliant);
    assert_eq!(w.st("fire", "2025-01-01"), Status::Missing);
}

#[test]
fn a_policy_replaces_the_default_list() {
    // A policy that only lists NHS trusts rejects national e-learning, which the defaults accept.
    let mut r = record(1, "fire", 1, "2024-01-10");
    r.record.provider_type = ProviderType::NationalElearning;
    let mut w = fire_world(vec![r]);
    assert_eq!(w.st("fire", "2024-06-01"), Status::Compliant);
    w.policies = vec![policy(&[ProviderType::NhsTrust], "2020-01-01")];
    assert_eq!(
        not_counted(&w.one("fire", "2024-06-01"), 1),
        Some(NotCountedReason::ProviderNotAccepted)
    );
}

#[test]
fn an_organisation_always_accepts_its_own_training() {
    let mut w = commercial_fire_world();
    w.records[0].record.provider_org_id = Some(ORG);
    assert_eq!(w.st("fire", "2024-06-01"), Status::Compliant);
    // Even under a policy that accepts nothing.
    w.policies = vec![policy(&[], "2020-01-01")];
    assert_eq!(w.st("fire", "2024-06-01"), Status::Compliant);
    // Another known organisation's training gets no such favour.
    w.records[0].record.provider_org_id = Some(OTHER_ORG);
    assert_eq!(w.st("fire", "2024-06-01"), Status::Missing);
}

// --- Supersession and known_at ---------------------------------------------------------------------------------------

fn superseded_world() -> World {
    let mut r = record(1, "fire", 1, "2024-01-10");
    r.superseded = Some(Supersession {
        record_id: RecordId(1),
        replaced_by: None,
        reason: "Entered against the wrong person".to_owned(),
        recorded_at: ts("2024-05-01"),
    });
    fire_world(vec![r])
}

#[test]
fn a_superseded_record_does_not_count() {
    let w = superseded_world();
    let s = w.one("fire", "2024-06-01");
    assert_eq!(s.status, Status::Missing);
    assert_eq!(not_counted(&s, 1), Some(NotCountedReason::Superseded));
    assert!(
        s.explanation.not_counted[0].detail.contains("wrong person"),
        "{}",
        s.explanation.not_counted[0].detail
    );
    // Superseded means it never counted, also on dates before the correction was recorded.
    assert_eq!(w.st("fire", "2024-02-01"), Status::Missing);
}

#[test]
fn a_superseded_record_counts_as_known_before_the_supersession() {
    let mut w = superseded_world();
    w.known_at = Some(ts("2024-04-30"));
    let s = w.one("fire", "2024-06-01");
    assert_eq!(s.status, Status::Compliant);
    assert_eq!(used_ids(&s), vec![RecordId(1)]);
    w.known_at = Some(ts("2024-05-01"));
    assert_eq!(w.st("fire", "2024-06-01"), Status::Missing);
}

#[test]
fn a_correction_replaces_the_superseded_record() {
    let mut w = superseded_world();
    w.records[0]
        .superseded
        .as_mut()
        .expect("superseded")
        .replaced_by = Some(RecordId(2));
    w.records.push(record(2, "fire", 1, "2024-01-12"));
    let s = w.one("fire", "2024-06-01");
    assert_eq!(s.status, Status::Compliant);
    assert_eq!(used_ids(&s), vec![RecordId(2)]);
    assert_eq!(s.due_on, Some(d("2025-01-12")));
}

#[test]
fn a_record_recorded_after_known_at_does_not_count() {
    let mut r = record(1, "fire", 1, "2024-06-01");
    r.record.recorded_at = ts("2024-07-01");
    let mut w = fire_world(vec![r]);
    assert_eq!(w.st("fire", "2024-06-10"), Status::Compliant);
    w.known_at = Some(ts("2024-06-15"));
    let s = w.one("fire", "2024-06-10");
    assert_eq!(s.status, Status::Missing);
    // The answer is the one Lantern gave then: a record it had not yet recorded is not part of it at all.
    assert_eq!(not_counted(&s, 1), None);
    assert!(s.explanation.not_counted.is_empty());
    w.known_at = Some(ts("2024-07-01"));
    assert_eq!(w.st("fire", "2024-06-10"), Status::Compliant);
}

#[test]
fn records_completed_after_the_date_are_not_listed() {
    let w = fire_world(vec![record(1, "fire", 1, "2024-06-01")]);
    let s = w.one("fire", "2024-05-01");
    assert_eq!(s.status, Status::Missing);
    assert!(
        s.explanation.not_counted.is_empty(),
        "{:#?}",
        s.explanation.not_counted
    );
}

#[test]
fn a_rule_created_after_known_at_does_not_apply() {
    let mut w = fire_world(vec![]);
    w.rules[0].effective_from = d("2024-01-01");
    w.rules[0].created_at = ts("2024-07-01");
    assert_eq!(w.explain(d("2024-06-10")).len(), 1);
    w.known_at = Some(ts("2024-06-15"));
    assert!(w.explain(d("2024-06-10")).is_empty());
    assert_eq!(w.status("fire", d("2024-06-10")), None);
    assert!(w.timeline().is_empty());
}

#[test]
fn a_policy_created_after_known_at_is_ignored() {
    let mut w = commercial_fire_world();
    let mut p = policy(&[ProviderType::Commercial], "2024-01-01");
    p.created_at = ts("2024-07-01");
    w.policies = vec![p];
    assert_eq!(w.st("fire", "2024-06-10"), Status::Compliant);
    w.known_at = Some(ts("2024-06-15"));
    assert_eq!(w.st("fire", "2024-06-10"), Status::Missing);
}

// --- Posts and rule dates --------------------------------------------------------------------------------------------

#[test]
fn a_post_in_another_organisation_makes_nothing_apply() {
    let mut w = fire_world(vec![record(1, "fire", 1, "2024-01-10")]);
    w.posts[0].org_id = OTHER_ORG;
    assert!(w.explain(d("2024-06-01")).is_empty());
    assert_eq!(w.status("fire", d("2024-06-01")), None);
    assert!(w.timeline().is_empty());
}

#[test]
fn nothing_applies_without_an_active_post() {
    let w = World::new(
        vec![completion_rule(1, "fire", 1, 12)],
        vec![post(1, "2020-01-01", Some("2023-12-31"))],
        vec![],
    );
    assert!(
        w.explain(d("2019-12-31")).is_empty(),
        "before the post starts"
    );
    assert_eq!(
        w.explain(d("2023-12-31")).len(),
        1,
        "the end date is the last day in post"
    );
    assert!(w.explain(d("2024-01-01")).is_empty());
    assert_eq!(w.status("fire", d("2024-01-01")), None);
}

#[test]
fn a_rule_version_is_in_force_until_the_next_version_takes_effect() {
    // A stored end date means nothing: where a version stops is derived from the next version known.
    let mut v1 = completion_rule(1, "fire", 1, 12);
    v1.effective_to = Some(d("2024-07-01"));
    let w = World::new(
        vec![v1.clone()],
        vec![post(1, "2020-01-01", None)],
        vec![record(1, "fire", 1, "2023-01-10")],
    );
    assert_eq!(w.explain(d("2024-06-30")).len(), 1);
    assert_eq!(
        w.explain(d("2024-07-01")).len(),
        1,
        "no later version: still in force"
    );
    v1.effective_to = None;

    // A new version with a longer period takes over on that date.
    let mut v2 = completion_rule(2, "fire", 1, 36);
    v2.framework_version = "2.0".to_owned();
    v2.effective_from = d("2024-07-01");
    let w = World {
        rules: vec![v1, v2],
        ..w
    };
    let s = w.one("fire", "2024-06-30");
    assert_eq!(
        (s.status, s.explanation.rule.id),
        (Status::Expired, RuleId(1))
    );
    let s = w.one("fire", "2024-07-01");
    assert_eq!(
        (s.status, s.explanation.rule.id),
        (Status::Compliant, RuleId(2))
    );
    assert_eq!(s.explanation.rule.framework_version, "2.0");
    assert_eq!(s.due_on, Some(d("2026-01-10")));
}

#[test]
fn a_rule_does_not_apply_before_its_effective_from_date() {
    let mut w = fire_world(vec![]);
    w.rules[0].effective_from = d("2024-03-01");
    assert!(w.explain(d("2024-02-29")).is_empty());
    // The new-starter deadline runs from the post start, not from the rule's start.
    assert_eq!(w.st("fire", "2024-03-01"), Status::Missing);
}

// --- Timeline --------------------------------------------------------------------------------------------------------

#[test]
fn timeline_of_a_new_starter_who_completes_then_lapses() {
    let mut w = fire_world(vec![record(1, "fire", 1, "2024-01-15")]);
    w.posts = vec![post(1, "2024-01-01", Some("2025-06-30"))];
    let key = RequirementKey {
        subject: Subject::from_static("fire"),
        level: 1,
    };
    let span = |from: &str, to: &str, status| StatusSpan {
        requirement: key.clone(),
        from: d(from),
        to: Some(d(to)),
        status,
    };
    assert_eq!(
        w.timeline(),
        vec![
            span("2024-01-01", "2024-01-15", Status::Pending),
            span("2024-01-15", "2024-11-16", Status::Compliant),
            span("2024-11-16", "2025-01-15", Status::Expiring),
            span("2025-01-15", "2025-07-01", Status::Expired),
        ]
    );
}

// --- Transitions, retired versions and re-hired staff (docs/compliance.md) ----------------------------------------

/// Fire safety for administrative staff only until 2024; from 2024-01-01 (CSTF 1.2) for everyone, with a transition
/// until 2024-03-31. A nurse in post since 2020 with no record.
fn widened_world() -> World {
    let mut v1 = completion_rule(1, "fire", 1, 12);
    v1.applies_to = Applicability(vec![Clause {
        staff_groups: vec![StaffGroup::AdministrativeClerical],
        ..Clause::default()
    }]);
    let mut v2 = completion_rule(2, "fire", 1, 12);
    v2.framework_version = "1.2".to_owned();
    v2.effective_from = d("2024-01-01");
    v2.transition_ends = Some(d("2024-04-01"));
    v2.created_at = ts("2023-12-01");
    World::new(vec![v1, v2], vec![post(1, "2020-01-01", None)], vec![])
}

#[test]
fn someone_newly_in_scope_is_due_by_the_end_of_the_transition() {
    let w = widened_world();
    assert!(w.explain(d("2023-12-31")).is_empty(), "not required before");
    let s = w.one("fire", "2024-02-01");
    assert_eq!(s.status, Status::Pending);
    assert_eq!(s.due_on, Some(d("2024-03-31")), "the transition's last day");
    let t = s.explanation.transition.as_ref().expect("a transition");
    assert_eq!(
        (t.rule_id, t.effective_from, t.until, t.new_requirement),
        (RuleId(2), d("2024-01-01"), d("2024-03-31"), true)
    );
    assert_eq!(s.explanation.required_since, Some(d("2024-01-01")));
    assert_eq!(s.explanation.required_by.as_deref(), Some("CSTF 1.2"));
    assert_eq!(
        s.explanation.summary,
        "Due by 2024-03-31 (new requirement): Title of fire level 1 is required from 2024-01-01 by CSTF 1.2, \
         with a transition until 2024-03-31."
    );
    assert_eq!(s.tag_label(), "New requirement");
    assert_eq!(w.st("fire", "2024-03-31"), Status::Pending);
    // After the transition, overdue as usual, and the explanation no longer mentions it.
    let s = w.one("fire", "2024-04-01");
    assert_eq!(s.status, Status::Missing);
    assert!(s.explanation.transition.is_none());
    assert_eq!(s.explanation.required_since, Some(d("2024-01-01")));
}

#[test]
fn a_transition_does_not_hold_back_someone_in_date() {
    let mut w = widened_world();
    w.records = vec![record(1, "fire", 1, "2024-01-20")];
    let s = w.one("fire", "2024-02-01");
    assert_eq!(s.status, Status::Compliant);
    assert!(s.explanation.transition.is_none());
}

/// Fire safety every 24 months until 2024; CSTF 1.2 cuts it to 12 from 2024-01-01 with a transition until
/// 2024-06-30.
fn shortened_world(completed: &str) -> World {
    let v1 = completion_rule(1, "fire", 1, 24);
    let mut v2 = completion_rule(2, "fire", 1, 12);
    v2.framework_version = "1.2".to_owned();
    v2.effective_from = d("2024-01-01");
    v2.transition_ends = Some(d("2024-07-01"));
    v2.created_at = ts("2023-12-01");
    World::new(
        vec![v1, v2],
        vec![post(1, "2020-01-01", None)],
        vec![record(1, "fire", 1, completed)],
    )
}

#[test]
fn a_shortened_period_gives_those_it_makes_overdue_until_the_transition_ends() {
    // Valid until 2024-05-31 under 24 months; expired since 2023-06-01 under 12.
    let w = shortened_world("2022-06-01");
    assert_eq!(w.st("fire", "2023-12-31"), Status::Compliant);
    let s = w.one("fire", "2024-01-01");
    assert_eq!(s.status, Status::Pending);
    assert_eq!(s.due_on, Some(d("2024-06-30")));
    let t = s.explanation.transition.as_ref().expect("a transition");
    assert!(
        !t.new_requirement,
        "it applied before: a changed requirement"
    );
    assert!(
        s.explanation
            .summary
            .starts_with("Due by 2024-06-30 (changed requirement)"),
        "{}",
        s.explanation.summary
    );
    assert_eq!(s.tag_label(), "Changed requirement");
    assert_eq!(
        s.explanation.required_since,
        Some(d("2020-01-01")),
        "required continuously since the post began"
    );
    assert_eq!(s.explanation.required_by.as_deref(), Some("CSTF 1.1"));
    assert_eq!(w.st("fire", "2024-06-30"), Status::Pending);
    assert_eq!(w.st("fire", "2024-07-01"), Status::Expired);
    // The timeline has the transition's end as a change date.
    let spans: Vec<(Date, Status)> = w
        .timeline()
        .into_iter()
        .filter(|s| s.from >= d("2023-01-01"))
        .map(|s| (s.from, s.status))
        .collect();
    assert_eq!(
        spans,
        vec![
            (d("2024-01-01"), Status::Pending),
            (d("2024-07-01"), Status::Expired)
        ]
    );
}

#[test]
fn someone_already_overdue_before_the_change_stays_overdue() {
    // Expired on 2023-06-01 under 24 months already.
    let w = shortened_world("2021-06-01");
    assert_eq!(w.st("fire", "2023-12-31"), Status::Expired);
    let s = w.one("fire", "2024-02-01");
    assert_eq!(s.status, Status::Expired);
    assert!(s.explanation.transition.is_none());
}

#[test]
fn a_transition_is_not_known_before_its_version_was_recorded() {
    let mut w = shortened_world("2022-06-01");
    w.known_at = Some(ts("2023-11-30"));
    assert_eq!(
        w.st("fire", "2024-02-01"),
        Status::Compliant,
        "only 1.1 known"
    );
    w.known_at = Some(ts("2023-12-02"));
    assert_eq!(w.st("fire", "2024-02-01"), Status::Pending);
}

#[test]
fn a_starter_after_the_change_has_the_new_starter_deadline_not_the_transition() {
    let mut w = widened_world();
    w.posts = vec![post(1, "2024-02-01", None)];
    let s = w.one("fire", "2024-02-10");
    assert_eq!(
        (s.status, s.due_on),
        (Status::Pending, Some(d("2024-02-29")))
    );
    assert!(s.explanation.transition.is_none());
    assert_eq!(w.st("fire", "2024-03-01"), Status::Missing);
}

#[test]
fn a_retired_version_ends_the_requirement_for_everyone() {
    let v1 = completion_rule(1, "fire", 1, 12);
    let mut v2 = completion_rule(2, "fire", 1, 12);
    v2.effective_from = d("2024-01-01");
    v2.retired = true;
    let w = World::new(vec![v1, v2], vec![post(1, "2020-01-01", None)], vec![]);
    assert_eq!(w.st("fire", "2023-12-31"), Status::Missing);
    assert!(w.explain(d("2024-01-01")).is_empty());
    assert_eq!(w.status("fire", d("2024-01-01")), None);
    let last = w.timeline().pop().expect("a span");
    assert_eq!(
        (last.status, last.to),
        (Status::Missing, Some(d("2024-01-01")))
    );
    // Retiring a higher level leaves the lower one required.
    let mut l2 = completion_rule(3, "fire", 2, 12);
    l2.effective_from = d("2015-01-01");
    let mut l2_retired = l2.clone();
    l2_retired.id = RuleId(4);
    l2_retired.effective_from = d("2024-01-01");
    l2_retired.retired = true;
    let w = World::new(
        vec![completion_rule(1, "fire", 1, 12), l2, l2_retired],
        vec![post(1, "2020-01-01", None)],
        vec![record(1, "fire", 1, "2023-10-01")],
    );
    assert_eq!(w.one("fire", "2023-12-31").level, 2);
    let s = w.one("fire", "2024-01-01");
    assert_eq!((s.level, s.status), (1, Status::Compliant));
}

/// A nurse who left on 2019-12-31 and came back on `back`, with no fire safety record.
fn returner(back: &str) -> World {
    let mut w = fire_world(vec![]);
    w.posts = vec![
        post(1, "2015-01-01", Some("2019-12-31")),
        post(2, back, None),
    ];
    w
}

#[test]
fn a_returner_after_a_long_break_is_a_new_starter_again() {
    // 365 days with no post (2020-01-01 to 2020-12-30): a new service from 2020-12-31.
    let w = returner("2020-12-31");
    let s = w.one("fire", "2021-01-05");
    assert_eq!(
        (s.status, s.due_on),
        (Status::Pending, Some(d("2021-01-28")))
    );
    assert_eq!(w.st("fire", "2021-01-29"), Status::Missing);
    assert_eq!(s.explanation.required_since, Some(d("2020-12-31")));
    // One day shorter: the same service, so no new grace.
    let w = returner("2020-12-30");
    assert_eq!(w.st("fire", "2021-01-05"), Status::Missing);
    // The organisation's own setting decides.
    let mut w = returner("2020-12-31");
    w.rehire_break_days = Some(400);
    assert_eq!(w.st("fire", "2021-01-05"), Status::Missing);
    w.rehire_break_days = Some(30);
    let w = World {
        posts: vec![
            post(1, "2015-01-01", Some("2019-12-31")),
            post(2, "2020-02-15", None),
        ],
        ..w
    };
    assert_eq!(w.st("fire", "2020-02-20"), Status::Pending);
}

#[test]
fn overlapping_posts_are_one_service() {
    let mut w = fire_world(vec![]);
    w.posts = vec![
        post(1, "2015-01-01", None),
        post(2, "2019-01-01", Some("2019-06-30")),
        post(3, "2022-01-01", None),
    ];
    assert_eq!(w.st("fire", "2022-01-05"), Status::Missing);
}

// ---------------------------------------------------------------------------------------------------------------------
// 3. Property tests over random small worlds
// ---------------------------------------------------------------------------------------------------------------------

const SUBJECTS: [&str; 3] = ["fire", "resus", "safeguarding"];
const GROUPS: [StaffGroup; 3] = [
    StaffGroup::NursingMidwiferyRegistered,
    StaffGroup::AdministrativeClerical,
    StaffGroup::MedicalDental,
];
const PROVIDERS: [ProviderType; 4] = [
    ProviderType::NhsTrust,
    ProviderType::NationalElearning,
    ProviderType::Commercial,
    ProviderType::University,
];
/// Wards of the roll-up hierarchy (see `hierarchy_units`); unit 7 is unknown to the hierarchy.
const WARDS: [i64; 4] = [3, 4, 6, 7];

/// Days from 2019-01-01 to 2027-12-31 inclusive.
const SPAN_DAYS: u32 = 3287;

fn day0() -> Date {
    d("2019-01-01")
}

fn arb_date() -> impl Strategy<Value = Date> {
    (0..SPAN_DAYS).prop_map(|n| add_days(day0(), n))
}

/// Dates to ask about: a little before the world begins until after the last expiry can happen.
fn arb_query_date() -> impl Strategy<Value = Date> {
    (0u32..4800).prop_map(|n| add_days(d("2018-06-01"), n))
}

fn arb_applicability() -> impl Strategy<Value = Applicability> {
    prop_oneof![
        Just(Applicability::everyone()),
        Just(Applicability(vec![Clause {
            staff_groups: vec![
                StaffGroup::NursingMidwiferyRegistered,
                StaffGroup::MedicalDental
            ],
            ..Clause::default()
        }])),
        Just(Applicability(vec![Clause {
            patient_facing: Some(true),
            ..Clause::default()
        }])),
        Just(Applicability(vec![
            Clause {
                staff_groups: vec![StaffGroup::AdministrativeClerical],
                ..Clause::default()
            },
            Clause {
                patient_facing: Some(false),
                ..Clause::default()
            },
        ])),
    ]
}

fn arb_kind() -> impl Strategy<Value = RuleKind> {
    prop_oneof![
        prop::sample::select(vec![1u32, 3, 12, 24, 36]).prop_map(|m| RuleKind::Completion {
            refresher_months: m
        }),
        (
            prop::sample::select(vec![2.0, 4.0, 8.0]),
            prop::sample::select(vec![6u32, 12, 36]),
            prop::sample::select(vec![None, Some(0.5)])
        )
            .prop_map(
                |(hours, window_months, participatory_share)| RuleKind::Hours {
                    hours,
                    window_months,
                    participatory_share
                }
            ),
    ]
}

fn arb_rule() -> impl Strategy<Value = Rule> {
    (
        (
            0..SUBJECTS.len(),
            1u8..=3,
            arb_kind(),
            arb_applicability(),
            any::<bool>(),
        ),
        (
            prop::sample::select(vec![0u32, 30, 60]),
            prop::sample::select(vec![0u32, 28, 90]),
            prop_oneof![Just(d("2018-01-01")), arb_date()],
            prop::option::of(1u32..2500),
            arb_date(),
        ),
        (
            prop::option::weighted(0.3, 1u32..400),
            prop::bool::weighted(0.1),
        ),
    )
        .prop_map(
            |(
                (s, level, kind, applies_to, previous),
                (warning, starter, from, len, created),
                (transition, retired),
            )| {
                Rule {
                    kind,
                    applies_to,
                    renewal_base: if previous {
                        RenewalBase::PreviousExpiry
                    } else {
                        RenewalBase::Completion
                    },
                    warning_days: warning,
                    new_starter_days: starter,
                    effective_from: from,
                    effective_to: len.map(|n| add_days(from, n)),
                    transition_ends: transition.map(|n| add_days(from, n)),
                    retired,
                    created_at: at(created),
                    ..completion_rule(0, SUBJECTS[s], level, 12)
                }
            },
        )
}

fn arb_post() -> impl Strategy<Value = Post> {
    (
        0..GROUPS.len(),
        any::<bool>(),
        arb_date(),
        prop::option::of(0u32..2000),
        0..WARDS.len(),
        prop::bool::weighted(0.1),
        0u32..60,
    )
        .prop_map(
            |(g, patient_facing, start, len, unit, other_org, late)| Post {
                org_id: if other_org { OTHER_ORG } else { ORG },
                unit_id: UnitId(WARDS[unit]),
                staff_group: GROUPS[g],
                patient_facing,
                start,
                end: len.map(|n| add_days(start, n)),
                recorded_at: at(add_days(start, late)),
                ..post(0, "2019-01-01", None)
            },
        )
}

fn arb_record() -> impl Strategy<Value = RecordFact> {
    (
        (0..SUBJECTS.len(), 1u8..=3, arb_date()),
        prop::sample::select(vec![
            None,
            Some(0.5),
            Some(1.0),
            Some(2.0),
            Some(3.0),
            Some(8.0),
        ]),
        (0..PROVIDERS.len(), prop::bool::weighted(0.15), 0u32..120),
        prop::option::weighted(0.2, 0u32..1500),
    )
        .prop_map(
            |((s, level, completed), hours, (p, own, delay), superseded)| {
                let mut r = record(0, SUBJECTS[s], level, "2019-01-01");
                r.record.completed_on = completed;
                r.record.hours = hours;
                r.record.provider_type = PROVIDERS[p];
                r.record.provider_org_id = own.then_some(ORG);
                // Some classroom sessions, for rules with a participatory share.
                if delay % 3 == 0 {
                    r.record.source = RecordSource::Classroom;
                }
                r.record.recorded_at = at(add_days(completed, delay));
                r.superseded = superseded.map(|n| Supersession {
                    record_id: RecordId(0),
                    replaced_by: None,
                    reason: "corrected".to_owned(),
                    recorded_at: at(add_days(completed, delay + n)),
                });
                r
            },
        )
}

fn arb_exemption() -> impl Strategy<Value = Exemption> {
    (
        0..SUBJECTS.len(),
        arb_date(),
        prop::option::of(0u32..800),
        0u32..60,
    )
        .prop_map(|(s, from, len, late)| Exemption {
            subject: Subject::parse(SUBJECTS[s]).expect("a subject"),
            from,
            until: len.map(|n| add_days(from, n)),
            recorded_at: at(add_days(from, late)),
            ..exemption(0, "fire", "Random exemption", "2019-01-01", None)
        })
}

fn arb_policy() -> impl Strategy<Value = AcceptancePolicy> {
    (prop::array::uniform4(any::<bool>()), arb_date(), arb_date()).prop_map(
        |(mask, from, created)| AcceptancePolicy {
            org_id: ORG,
            accepted: PROVIDERS
                .iter()
                .zip(mask)
                .filter(|(_, on)| *on)
                .map(|(p, _)| *p)
                .collect(),
            effective_from: from,
            created_at: at(created),
        },
    )
}

/// A random small world with unique ids. known_at is left None; properties set it.
fn arb_world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec(arb_post(), 1..=3),
        prop::collection::vec(arb_record(), 0..=8),
        prop::collection::vec(arb_rule(), 2..=5),
        prop::option::weighted(0.3, arb_exemption()),
        prop::collection::vec(arb_policy(), 0..=2),
        prop::sample::select(vec![None, Some(30u32), Some(365)]),
    )
        .prop_map(
            |(mut posts, mut records, mut rules, exemption, policies, rehire_break_days)| {
                for (i, p) in posts.iter_mut().enumerate() {
                    p.id = PostId(i as i64 + 1);
                    p.assignment_number = format!("A{}", i + 1);
                }
                for (i, r) in records.iter_mut().enumerate() {
                    r.record.id = RecordId(i as i64 + 1);
                    if let Some(s) = r.superseded.as_mut() {
                        s.record_id = r.record.id;
                    }
                }
                for (i, r) in rules.iter_mut().enumerate() {
                    r.id = RuleId(i as i64 + 1);
                }
                World {
                    rules,
                    policies,
                    posts,
                    records,
                    exemptions: exemption.into_iter().collect(),
                    known_at: None,
                    rehire_break_days,
                }
            },
        )
}

fn arb_known_at() -> impl Strategy<Value = Option<Timestamp>> {
    prop_oneof![Just(None), arb_date().prop_map(|x| Some(at(x)))]
}

/// Compact configuration: no regression files are written into the source tree.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The status the timeline gives for `subject` on `on`.
fn status_from_timeline(
    spans: &[StatusSpan],
    subject: &str,
    on: Date,
) -> Option<(RequirementKey, Status)> {
    let covering: Vec<_> = spans
        .iter()
        .filter(|s| s.requirement.subject == subject && s.from <= on && s.to.is_none_or(|t| on < t))
        .collect();
    assert!(
        covering.len() <= 1,
        "overlapping spans for {subject} on {on}: {covering:?}"
    );
    covering.first().map(|s| (s.requirement.clone(), s.status))
}

/// Spans of one subject are sorted, non-empty, non-overlapping, only the last is open, and equal neighbours are merged.
fn check_span_shape(spans: &[StatusSpan]) -> Result<(), TestCaseError> {
    for subject in SUBJECTS {
        let mine: Vec<&StatusSpan> = spans
            .iter()
            .filter(|s| s.requirement.subject == subject)
            .collect();
        for s in &mine {
            prop_assert!(s.to.is_none_or(|t| s.from < t), "empty span {s:?}");
        }
        for pair in mine.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let a_to = a.to.expect("only the last span of a subject is open");
            prop_assert!(
                a_to <= b.from,
                "spans overlap or are unsorted: {a:?} then {b:?}"
            );
            if a_to == b.from {
                prop_assert!(
                    (a.requirement.clone(), a.status) != (b.requirement.clone(), b.status),
                    "equal neighbours not merged: {a:?} then {b:?}"
                );
            }
        }
    }
    Ok(())
}

fn check_timeline_matches(w: &World, dates: &[Date]) -> Result<(), TestCaseError> {
    let spans = w.timeline();
    check_span_shape(&spans)?;
    w.with(|p| {
        for &on in dates {
            for subject in SUBJECTS {
                let direct = p.status_at(subject, on);
                let from_spans = status_from_timeline(&spans, subject, on);
                prop_assert_eq!(
                    &from_spans,
                    &direct,
                    "{} on {}; spans {:?}",
                    subject,
                    on,
                    spans
                );
            }
        }
        Ok(())
    })
}

/// Statuses ordered for "no worse": `new` is acceptable after `old` gained a counting record.
fn no_worse(old: Status, new: Status) -> bool {
    use Status::*;
    match old {
        Exempt => new == Exempt,
        Compliant => new == Compliant,
        Expiring => matches!(new, Expiring | Compliant),
        Pending => matches!(new, Pending | Expiring | Compliant),
        // A record that kept someone in date the day before a version with a transition took effect makes them due
        // by its end (Pending) rather than overdue.
        Expired => matches!(new, Expired | Pending | Expiring | Compliant),
        Missing => matches!(new, Missing | Expired | Pending | Expiring | Compliant),
    }
}

/// Monotonicity only holds for the default renewal base. Under "previous expiry" an extra record can move a later
/// renewal out of the warning window it used to fall into: with 12 months and 60 days, records on 2022-01-01 and
/// 2022-12-01 are valid until 2024-01-01, but adding one on 2022-04-01 (or a duplicate of the 2022-12-01 record)
/// makes the 2022-12-01 renewal run from its completion, so validity ends on 2023-12-01.
fn with_completion_base(mut w: World) -> World {
    for r in &mut w.rules {
        r.renewal_base = RenewalBase::Completion;
    }
    w
}

proptest! {
    #![proptest_config(config(256))]

    /// `timeline()` agrees with `status_at` on random dates, for every subject, under any known_at.
    #[test]
    fn timeline_agrees_with_status_at_on_random_dates(
        w in arb_world(),
        known_at in arb_known_at(),
        dates in prop::collection::vec(arb_query_date(), 40),
    ) {
        let w = World { known_at, ..w };
        check_timeline_matches(&w, &dates)?;
        // Every span's first and last day, and the day before it, agree too.
        let spans = w.timeline();
        let mut edges = Vec::new();
        for s in &spans {
            edges.extend([sub_days(s.from, 1), s.from]);
            edges.extend(s.to.map(|t| sub_days(t, 1)));
        }
        check_timeline_matches(&w, &edges)?;
    }

    /// Every explained status is complete and coherent with `status_at`.
    #[test]
    fn every_status_is_explained(
        w in arb_world(),
        known_at in arb_known_at(),
        dates in prop::collection::vec(arb_query_date(), 12),
    ) {
        let w = World { known_at, ..w };
        for on in dates {
            let all = w.explain(on);
            // One status per applicable subject, the same as status_at, worst first.
            for subject in SUBJECTS {
                let here: Vec<_> = all.iter().filter(|s| s.subject == subject).collect();
                let direct = w.status(subject, on);
                prop_assert_eq!(here.len(), usize::from(direct.is_some()));
                if let (Some(s), Some((key, status))) = (here.first(), direct) {
                    prop_assert_eq!((&s.subject, s.level, s.status), (&key.subject, key.level, status));
                }
            }
            prop_assert!(all.windows(2).all(|p| p[0].status <= p[1].status), "worst first");
            for s in &all {
                let e = &s.explanation;
                let versions = crate::history::rule_versions(&w.rules, w.known_at);
                let rule = versions.iter().find(|r| r.id == e.rule.id).expect("the cited rule exists");
                prop_assert!(!e.summary.trim().is_empty(), "empty summary: {:?}", s);
                prop_assert_eq!((&e.rule.subject, e.rule.level), (&s.subject, s.level));
                prop_assert!(rule.in_force_on(on));
                prop_assert_eq!(e.due_on, s.due_on);
                prop_assert!(!e.applying_posts.is_empty(), "no post made it apply: {:?}", s);
                for pr in &e.applying_posts {
                    let p = w.posts.iter().find(|p| p.id == pr.post_id).expect("the cited post exists");
                    prop_assert!(p.org_id == ORG && p.active_on(on) && rule.applies_to.matches(p));
                }
                for u in &e.used {
                    let r = w.records.iter().find(|r| r.record.id == u.record.record_id).expect("used record exists");
                    let r = &r.record;
                    prop_assert!(r.subject == s.subject && r.level >= s.level && r.completed_on <= on);
                }
                prop_assert_eq!(s.status == Status::Exempt, e.exemption.is_some());
                match (&rule.kind, s.status) {
                    (RuleKind::Completion { .. }, Status::Compliant | Status::Expiring) => {
                        let u = e.used.first().expect("an in-date completion cites its record");
                        let expiry = u.expires_on.expect("with its expiry");
                        prop_assert_eq!(s.due_on, Some(expiry));
                        prop_assert!(on < expiry);
                        let warning = expiry <= add_days(on, rule.warning_days);
                        prop_assert_eq!(warning, s.status == Status::Expiring);
                    }
                    (RuleKind::Hours { hours, .. }, status) => {
                        let h = e.hours.as_ref().expect("an hours status has a tally");
                        prop_assert_eq!(h.required, *hours);
                        let used: f64 = e.used.iter().filter_map(|u| u.record.hours).sum();
                        prop_assert!((used - h.counted).abs() < 1e-9, "tally equals the hours of the records used");
                        if status.is_in_date() {
                            prop_assert!(h.counted >= *hours);
                            // Expiring when, at the end of the warning period, too few hours or too few
                            // participatory hours will still count.
                            let short = h.counted_at_warning_end < *hours
                                || h.participatory_required.is_some_and(|p| h.participatory_counted_at_warning_end < p);
                            prop_assert_eq!(short, status == Status::Expiring);
                        }
                        if status == Status::Expiring {
                            let due = s.due_on.expect("expiring hours have a due date");
                            prop_assert!(on < due && due <= add_days(on, rule.warning_days));
                        }
                    }
                    _ => {}
                }
                // A transition keeps someone due, only within its version's transition; the requirement began to
                // apply on or before the date asked about.
                if let Some(t) = &e.transition {
                    prop_assert_eq!(s.status, Status::Pending);
                    prop_assert_eq!(t.rule_id, rule.id);
                    prop_assert!(rule.transition_ends.is_some_and(|end| on < end && t.until == sub_days(end, 1)));
                }
                prop_assert!(e.required_since.is_some_and(|since| since <= on), "required since: {:?}", s);
                match s.status {
                    Status::Pending => prop_assert!(s.due_on.is_some_and(|due| on <= due)),
                    Status::Missing => {
                        let hours_rule = matches!(rule.kind, RuleKind::Hours { .. });
                        prop_assert!(e.used.is_empty() || hours_rule, "missing cites no record: {:?}", s);
                    }
                    _ => {}
                }
            }
        }
    }

    /// known_at far in the future changes nothing.
    #[test]
    fn known_at_in_the_far_future_equals_no_known_at(
        w in arb_world(),
        dates in prop::collection::vec(arb_query_date(), 8),
    ) {
        let later = World { known_at: Some(ts("2100-01-01")), ..w.clone() };
        for on in dates {
            prop_assert_eq!(w.explain(on), later.explain(on));
        }
        prop_assert_eq!(w.timeline(), later.timeline());
    }

    /// A higher-level record never makes an in-date requirement lapse (default renewal base).
    #[test]
    fn raising_a_record_level_never_makes_things_worse(
        w in arb_world(),
        extra in arb_record(),
        pick in any::<prop::sample::Index>(),
        raise in 1u8..=2,
        dates in prop::collection::vec(arb_query_date(), 20),
    ) {
        let mut w = with_completion_base(w);
        if w.records.is_empty() {
            let record = TrainingRecord { id: RecordId(99), ..extra.record };
            w.records.push(RecordFact { record, superseded: None });
        }
        let i = pick.index(w.records.len());
        let mut higher = w.clone();
        higher.records[i].record.level = (w.records[i].record.level + raise).min(3);
        for on in dates {
            for subject in SUBJECTS {
                let (before, after) = (w.status(subject, on), higher.status(subject, on));
                prop_assert_eq!(before.as_ref().map(|x| &x.0), after.as_ref().map(|x| &x.0), "same requirement");
                if let (Some((_, old)), Some((_, new))) = (before, after) {
                    prop_assert!(no_worse(old, new), "{} on {}: {:?} became {:?}", subject, on, old, new);
                    prop_assert!(!(old.is_in_date() && matches!(new, Status::Expired | Status::Missing)));
                }
            }
        }
    }

    /// Adding a counting record (own organisation's, not superseded, highest level) never makes a status worse
    /// (default renewal base).
    #[test]
    fn adding_a_counting_record_never_makes_things_worse(
        w in arb_world(),
        subject in 0..SUBJECTS.len(),
        completed in arb_date(),
        hours in prop::sample::select(vec![0.5, 2.0, 8.0]),
        dates in prop::collection::vec(arb_query_date(), 20),
    ) {
        let w = with_completion_base(w);
        let mut more = w.clone();
        let mut r = hours_record(99, SUBJECTS[subject], 3, "2019-01-01", hours);
        r.record.completed_on = completed;
        r.record.provider_org_id = Some(ORG);
        more.records.push(r);
        for on in dates {
            for subject in SUBJECTS {
                let (before, after) = (w.status(subject, on), more.status(subject, on));
                prop_assert_eq!(before.as_ref().map(|x| &x.0), after.as_ref().map(|x| &x.0), "same requirement");
                if let (Some((_, old)), Some((_, new))) = (before, after) {
                    prop_assert!(no_worse(old, new), "{} on {}: {:?} became {:?}", subject, on, old, new);
                }
            }
        }
    }

    /// A counting record completed on d, with enough hours, makes the requirement in date on d (any renewal base),
    /// unless the person is exempt.
    #[test]
    fn completing_today_puts_the_requirement_in_date(
        w in arb_world(),
        subject in 0..SUBJECTS.len(),
        on in arb_date(),
    ) {
        let subject = SUBJECTS[subject];
        let mut more = w.clone();
        let mut r = hours_record(99, subject, 3, "2019-01-01", 100.0);
        r.record.completed_on = on;
        r.record.provider_org_id = Some(ORG);
        r.record.source = RecordSource::Classroom; // participatory, for rules that ask for a share

        more.records.push(r);
        let before = w.status(subject, on);
        let after = more.status(subject, on);
        prop_assert_eq!(before.as_ref().map(|x| &x.0), after.as_ref().map(|x| &x.0));
        if let Some((_, status)) = after {
            let exempt = w.exemptions.iter().any(|e| e.org_id == ORG && e.subject == subject && e.covers(on));
            prop_assert_eq!(status == Status::Exempt, exempt);
            prop_assert!(matches!(status, Status::Compliant | Status::Expiring | Status::Exempt), "{:?}", status);
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// The change-date enumeration is complete: timeline and status_at agree on every day of the world's span.
    #[test]
    fn timeline_agrees_with_status_at_on_every_day(w in arb_world(), known_at in arb_known_at()) {
        let w = World { known_at, ..w };
        let first = d("2018-12-01");
        let dates: Vec<Date> = (0..4500).map(|n| add_days(first, n)).collect();
        check_timeline_matches(&w, &dates)?;
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// 4. Roll-up
// ---------------------------------------------------------------------------------------------------------------------

/// Directorate 1 > departments 2 and 5; department 2 > wards 3 and 4; department 5 > ward 6. Unit 7 is not listed.
fn hierarchy_units() -> Vec<Unit> {
    let unit = |id: i64, parent: Option<i64>, kind| Unit {
        id: UnitId(id),
        org_id: ORG,
        parent_id: parent.map(UnitId),
        site_id: None,
        code: format!("U{id}"),
        name: format!("Unit {id}"),
        kind,
        recorded_at: ts("2020-01-01"),
    };
    vec![
        unit(1, None, UnitKind::Directorate),
        unit(2, Some(1), UnitKind::Department),
        unit(3, Some(2), UnitKind::Ward),
        unit(4, Some(2), UnitKind::Ward),
        unit(5, Some(1), UnitKind::Department),
        unit(6, Some(5), UnitKind::Ward),
    ]
}

const NODES: [Node; 8] = [
    Node::Org,
    Node::Unit(UnitId(1)),
    Node::Unit(UnitId(2)),
    Node::Unit(UnitId(3)),
    Node::Unit(UnitId(4)),
    Node::Unit(UnitId(5)),
    Node::Unit(UnitId(6)),
    Node::Unit(UnitId(7)),
];

fn fire_key() -> RequirementKey {
    RequirementKey {
        subject: Subject::from_static("fire"),
        level: 1,
    }
}

fn posted(id: i64, unit: i64, start: &str, end: Option<&str>) -> Post {
    Post {
        unit_id: UnitId(unit),
        ..post(id, start, end)
    }
}

/// Builds an index from people given as worlds that share the first world's rules and policies.
fn index_of(people: &[World]) -> RollupIndex {
    let hierarchy = Hierarchy::new(&hierarchy_units());
    let mut builder = RollupIndex::builder(hierarchy);
    for (i, person) in people.iter().enumerate() {
        let (posts, spans) = contribution_of(&people[0], person);
        builder.add_person(PersonId(i as i64 + 1), &posts, &spans);
    }
    builder.finish()
}

/// A person's posts in ORG and timeline, assessed under `rules_from`'s rules, policies and re-hire break.
fn contribution_of<'a>(rules_from: &World, person: &'a World) -> (Vec<&'a Post>, Vec<StatusSpan>) {
    let mut org = OrgEngine::new(ORG, &rules_from.rules, &rules_from.policies, None);
    if let Some(days) = rules_from.rehire_break_days {
        org = org.with_rehire_break_days(days);
    }
    let engine = org.person(PersonFacts {
        posts: &person.posts,
        records: &person.records,
        exemptions: &person.exemptions,
    });
    let posts: Vec<&Post> = person.posts.iter().filter(|p| p.org_id == ORG).collect();
    (posts, engine.timeline())
}

fn counts(
    compliant: u32,
    expiring: u32,
    expired: u32,
    missing: u32,
    pending: u32,
    exempt: u32,
) -> Counts {
    Counts {
        compliant,
        expiring,
        expired,
        missing,
        pending,
        exempt,
    }
}

#[test]
fn hierarchy_paths_walk_up_to_the_organisation() {
    let h = Hierarchy::new(&hierarchy_units());
    assert_eq!(
        h.path(UnitId(3)),
        vec![
            Node::Unit(UnitId(3)),
            Node::Unit(UnitId(2)),
            Node::Unit(UnitId(1)),
            Node::Org
        ]
    );
    assert_eq!(h.path(UnitId(7)), vec![Node::Unit(UnitId(7)), Node::Org]);
    assert!(h.is_within(UnitId(6), UnitId(1)));
    assert!(!h.is_within(UnitId(6), UnitId(2)));
}

#[test]
fn a_person_in_two_wards_counts_once_above_them() {
    let one = fire_world(vec![record(1, "fire", 1, "2024-01-10")]);
    let one = World {
        posts: vec![
            posted(1, 3, "2020-01-01", None),
            posted(2, 4, "2020-01-01", None),
        ],
        ..one
    };
    let other = World {
        posts: vec![posted(3, 6, "2020-01-01", None)],
        records: vec![],
        ..one.clone()
    };
    let index = index_of(&[one, other]);
    let on = d("2024-06-01");
    let key = fire_key();
    let compliant = counts(1, 0, 0, 0, 0, 0);
    let missing = counts(0, 0, 0, 1, 0, 0);
    assert_eq!(
        index.counts(Node::Unit(UnitId(3)), &key, on),
        compliant,
        "counted in each ward"
    );
    assert_eq!(index.counts(Node::Unit(UnitId(4)), &key, on), compliant);
    assert_eq!(
        index.counts(Node::Unit(UnitId(2)), &key, on),
        compliant,
        "once in the department"
    );
    assert_eq!(index.counts(Node::Unit(UnitId(6)), &key, on), missing);
    assert_eq!(index.counts(Node::Unit(UnitId(5)), &key, on), missing);
    assert_eq!(
        index.counts(Node::Unit(UnitId(1)), &key, on),
        counts(1, 0, 0, 1, 0, 0),
        "once each in the directorate"
    );
    assert_eq!(
        index.counts(Node::Org, &key, on),
        counts(1, 0, 0, 1, 0, 0),
        "once each in the organisation"
    );
    assert_eq!(index.people_indexed(), 2);
}

#[test]
fn posts_in_two_departments_meet_at_the_directorate() {
    let w = fire_world(vec![record(1, "fire", 1, "2024-01-10")]);
    let w = World {
        posts: vec![
            posted(1, 3, "2020-01-01", None),
            posted(2, 6, "2020-01-01", None),
        ],
        ..w
    };
    let index = index_of(&[w]);
    let on = d("2024-06-01");
    for node in [3, 2, 6, 5, 1]
        .map(|u| Node::Unit(UnitId(u)))
        .into_iter()
        .chain([Node::Org])
    {
        assert_eq!(index.counts(node, &fire_key(), on).compliant, 1, "{node:?}");
    }
    assert_eq!(
        index
            .counts(Node::Unit(UnitId(4)), &fire_key(), on)
            .applicable(),
        0
    );
}

#[test]
fn membership_follows_post_dates() {
    // Ward 3 until 2024-06-30 (inclusive), then ward 4.
    let w = fire_world(vec![record(1, "fire", 1, "2024-01-10")]);
    let w = World {
        posts: vec![
            posted(1, 3, "2020-01-01", Some("2024-06-30")),
            posted(2, 4, "2024-07-01", None),
        ],
        ..w
    };
    let index = index_of(&[w]);
    let (w3, w4, dep) = (
        Node::Unit(UnitId(3)),
        Node::Unit(UnitId(4)),
        Node::Unit(UnitId(2)),
    );
    let key = fire_key();
    assert_eq!(index.counts(w3, &key, d("2024-06-30")).compliant, 1);
    assert_eq!(index.counts(w4, &key, d("2024-06-30")).compliant, 0);
    assert_eq!(index.counts(w3, &key, d("2024-07-01")).compliant, 0);
    assert_eq!(index.counts(w4, &key, d("2024-07-01")).compliant, 1);
    assert_eq!(index.counts(dep, &key, d("2024-06-30")).compliant, 1);
    assert_eq!(index.counts(dep, &key, d("2024-07-01")).compliant, 1);
    // Statuses move with time in the index too.
    assert_eq!(
        index.counts(w4, &key, d("2024-12-01")),
        counts(0, 1, 0, 0, 0, 0)
    );
    assert_eq!(
        index.counts(w4, &key, d("2025-01-10")),
        counts(0, 0, 1, 0, 0, 0)
    );
}

#[test]
fn counts_are_zero_before_a_post_starts() {
    let mut w = fire_world(vec![]);
    w.posts = vec![posted(1, 3, "2024-03-01", None)];
    let index = index_of(&[w]);
    for node in NODES {
        assert_eq!(
            index.counts(node, &fire_key(), d("2024-02-29")),
            Counts::default(),
            "{node:?}"
        );
    }
    assert_eq!(
        index.counts(Node::Unit(UnitId(3)), &fire_key(), d("2024-03-01")),
        counts(0, 0, 0, 0, 1, 0)
    );
    assert_eq!(
        index.counts(Node::Org, &fire_key(), d("2024-03-30")),
        counts(0, 0, 0, 1, 0, 0)
    );
    // An unknown requirement counts nobody.
    let unknown = RequirementKey {
        subject: Subject::from_static("fire"),
        level: 2,
    };
    assert_eq!(
        index.counts(Node::Org, &unknown, d("2024-03-30")),
        Counts::default()
    );
}

#[test]
fn node_lists_every_requirement_in_order() {
    let mut w = fire_world(vec![record(1, "fire", 1, "2024-01-10")]);
    w.rules.push(completion_rule(2, "resus", 2, 12));
    w.rules.push(completion_rule(3, "anaphylaxis", 1, 12));
    w.posts = vec![posted(1, 3, "2020-01-01", None)];
    let index = index_of(&[w]);
    let keys: Vec<_> = index
        .requirements()
        .iter()
        .map(|k| (k.subject.as_str(), k.level))
        .collect();
    assert_eq!(keys, vec![("anaphylaxis", 1), ("fire", 1), ("resus", 2)]);
    let node = index.node(Node::Unit(UnitId(3)), d("2024-06-01"));
    let got: Vec<_> = node.iter().map(|(k, c)| (k.subject.as_str(), *c)).collect();
    assert_eq!(
        got,
        vec![
            ("anaphylaxis", counts(0, 0, 0, 1, 0, 0)),
            ("fire", counts(1, 0, 0, 0, 0, 0)),
            ("resus", counts(0, 0, 0, 1, 0, 0))
        ]
    );
    // Same answers through counts().
    for (key, c) in &node {
        assert_eq!(
            index.counts(Node::Unit(UnitId(3)), key, d("2024-06-01")),
            *c
        );
    }
    // A node nobody is in: zero counts for every requirement.
    assert!(
        index
            .node(Node::Unit(UnitId(6)), d("2024-06-01"))
            .iter()
            .all(|(_, c)| *c == Counts::default())
    );
}

#[test]
fn percent_excludes_exempt_and_pending_and_is_none_without_a_denominator() {
    assert_eq!(Counts::default().percent(), None);
    assert_eq!(
        counts(0, 0, 0, 0, 3, 2).percent(),
        None,
        "only pending and exempt people: n/a, not 100%"
    );
    let c = counts(3, 1, 2, 1, 2, 1);
    assert_eq!(c.applicable(), 10);
    assert_eq!(c.denominator(), 7);
    assert_eq!(c.overdue(), 3);
    let pct = c.percent().expect("a denominator");
    assert!((pct - 400.0 / 7.0).abs() < 1e-9, "{pct}");
    assert_eq!(counts(0, 0, 1, 0, 0, 0).percent(), Some(0.0));
    assert_eq!(counts(2, 2, 0, 0, 5, 0).percent(), Some(100.0));
    let mut merged = c;
    merged.merge(&counts(1, 0, 0, 0, 0, 0));
    assert_eq!(merged, counts(4, 1, 2, 1, 2, 1));
}

/// Ancestors of a unit computed directly from the unit list, for the brute force.
fn nodes_of(unit: UnitId) -> Vec<Node> {
    let units = hierarchy_units();
    let mut out = vec![Node::Unit(unit), Node::Org];
    let mut cur = unit;
    while let Some(parent) = units.iter().find(|u| u.id == cur).and_then(|u| u.parent_id) {
        out.push(Node::Unit(parent));
        cur = parent;
    }
    out
}

proptest! {
    #![proptest_config(config(256))]

    /// The index's counts equal a brute-force count over people's timelines and posts.
    #[test]
    fn rollup_counts_equal_a_brute_force_count(
        people in prop::collection::vec(arb_world(), 1..=4),
        dates in prop::collection::vec(arb_query_date(), 25),
    ) {
        let index = index_of(&people);
        let (rules, policies) = (&people[0].rules, &people[0].policies);
        let timelines: Vec<Vec<StatusSpan>> = people
            .iter()
            .map(|p| World {
                rules: rules.clone(),
                policies: policies.clone(),
                rehire_break_days: people[0].rehire_break_days,
                ..p.clone()
            }.timeline())
            .collect();
        let mut keys: Vec<RequirementKey> = timelines.iter().flatten().map(|s| s.requirement.clone()).collect();
        keys.sort();
        keys.dedup();
        prop_assert_eq!(index.requirements(), keys.as_slice());
        let in_org = |p: &World| p.posts.iter().any(|x| x.org_id == ORG);
        let with_spans = people.iter().zip(&timelines).filter(|(p, t)| !t.is_empty() && in_org(p)).count();
        prop_assert_eq!(index.people_indexed(), with_spans);
        for on in dates {
            for key in &keys {
                for node in NODES {
                    let mut expected = Counts::default();
                    for (person, spans) in people.iter().zip(&timelines) {
                        let member = person
                            .posts
                            .iter()
                            .any(|p| p.org_id == ORG && p.active_on(on) && nodes_of(p.unit_id).contains(&node));
                        let status = spans
                            .iter()
                            .find(|s| &s.requirement == key && s.from <= on && s.to.is_none_or(|t| on < t))
                            .map(|s| s.status);
                        if let (true, Some(status)) = (member, status) {
                            expected.add(status, 1);
                        }
                    }
                    prop_assert_eq!(index.counts(node, key, on), expected, "{:?} {:?} on {}", node, key, on);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Replacing people one by one in a built index (as writes arrive) gives the counts of an index built afresh
    /// from the final people, including people removed altogether.
    #[test]
    fn replacing_people_in_an_index_equals_building_it_afresh(
        before in prop::collection::vec(arb_world(), 1..=4),
        after in prop::collection::vec(prop::option::weighted(0.7, arb_world()), 1..=4),
        dates in prop::collection::vec(arb_query_date(), 15),
    ) {
        let hierarchy = Hierarchy::new(&hierarchy_units());
        let mut index = index_of(&before);
        // Person i+1 becomes after[i] (or leaves the index when None); the rules stay the first world's.
        let mut finals: Vec<World> = before.clone();
        for (i, next) in after.iter().enumerate() {
            let id = PersonId(i as i64 + 1);
            let person = match next {
                Some(w) => World {
                    rules: before[0].rules.clone(),
                    policies: before[0].policies.clone(),
                    rehire_break_days: before[0].rehire_break_days,
                    ..w.clone()
                },
                None => World { posts: Vec::new(), ..before[0].clone() },
            };
            let (posts, spans) = contribution_of(&before[0], &person);
            index.replace_person(&hierarchy, id, &posts, &spans);
            if i < finals.len() { finals[i] = person } else { finals.push(person) }
        }
        let expected = index_of(&finals);
        prop_assert_eq!(index.people_indexed(), expected.people_indexed());
        for on in dates {
            for key in expected.requirements() {
                for node in NODES {
                    prop_assert_eq!(index.counts(node, key, on), expected.counts(node, key, on), "{:?} {:?} on {}", node, key, on);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// A point-in-time report read from the index gives each person the status their own timeline gives on that
    /// day, for everyone in post in the organisation then, and a due date only when in date.
    #[test]
    fn report_statuses_match_each_persons_timeline(
        people in prop::collection::vec(arb_world(), 1..=4),
        dates in prop::collection::vec(arb_query_date(), 10),
    ) {
        let index = index_of(&people);
        let hierarchy = Hierarchy::new(&hierarchy_units());
        for on in dates {
            let rows = index.statuses_on(&hierarchy, Node::Org, on);
            for (i, person) in people.iter().enumerate() {
                let id = PersonId(i as i64 + 1);
                let (posts, spans) = contribution_of(&people[0], person);
                let in_post = posts.iter().any(|p| p.active_on(on));
                let row = rows.iter().find(|r| r.person == id);
                prop_assert_eq!(row.is_some(), in_post && !spans.is_empty(), "person {} on {}", i, on);
                let Some(row) = row else { continue };
                for (key, got) in index.requirements().iter().zip(&row.statuses) {
                    let want = spans
                        .iter()
                        .find(|s| &s.requirement == key && s.from <= on && s.to.is_none_or(|t| on < t))
                        .map(|s| s.status);
                    prop_assert_eq!(got.map(|g| g.0), want, "{:?} on {}", key, on);
                    if let Some((status, due)) = got {
                        prop_assert!(due.is_none() || status.is_in_date());
                        prop_assert!(due.is_none_or(|d| d > on));
                    }
                }
            }
        }
    }
}

/// The builder's fixtures agree with `add_months`, so hard-coded dates above are what the engine computes.
#[test]
fn fixture_dates_are_consistent() {
    assert_eq!(add_months(d("2024-01-10"), 12), d("2025-01-10"));
    assert_eq!(sub_days(d("2025-01-15"), 60), d("2024-11-16"));
    assert_eq!(sub_days(d("2024-03-01"), 60), d("2024-01-01"));
}

// --- What is coming up (calendar) -----------------------------------------------------------------------------------

#[test]
fn the_calendar_lists_expiries_and_exemption_ends_coming_up_and_never_what_is_overdue() {
    use crate::calendar::{DueKind, upcoming};
    let mut w = fire_world(vec![record(1, "fire", 1, "2024-01-10")]);
    let reqs = w.explain(d("2024-06-01"));
    let due = reqs[0].due_on.expect("a due date");
    let coming = upcoming(&reqs, d("2024-06-01"), d("2025-06-01"));
    assert_eq!(coming.len(), 1);
    assert_eq!((coming[0].on, coming[0].kind), (due, DueKind::Expires));
    assert!(
        coming[0].summary().ends_with("level 1 expires"),
        "{}",
        coming[0].summary()
    );
    // Outside the window: nothing.
    assert!(upcoming(&reqs, d("2024-06-01"), due.pred_opt().unwrap()).is_empty());
    // Overdue: due now, not coming up.
    let later = w.explain(d("2025-06-01"));
    assert!(upcoming(&later, d("2025-06-01"), d("2026-06-01")).is_empty());
    // An exemption's last day.
    w.exemptions = vec![exemption(
        3,
        "fire",
        "Maternity leave",
        "2025-05-01",
        Some("2025-10-31"),
    )];
    let exempt = w.explain(d("2025-06-01"));
    let coming = upcoming(&exempt, d("2025-06-01"), d("2026-06-01"));
    assert_eq!(
        coming.iter().map(|c| (c.on, c.kind)).collect::<Vec<_>>(),
        [(d("2025-10-31"), DueKind::ExemptionEnds)]
    );
}
