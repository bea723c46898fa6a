//! What the engine says, checked against what it stores: "valid until" names the last valid day (a record's
//! `expires_on` is the first day it no longer counts), through the 29 February cases; safeguarding's participatory
//! share and records without hours; development competencies that count nowhere; the default accepted providers.

use super::*;
use crate::{PersonId, PostId, RecordId, RuleId};

const ORG: OrgId = OrgId(1);

fn d(s: &str) -> Date {
    s.parse().expect("a valid ISO date")
}

fn at(s: &str) -> Timestamp {
    d(s).and_hms_opt(9, 0, 0).expect("time").and_utc()
}

fn rule(subject: &str, kind: RuleKind) -> Rule {
    Rule {
        id: RuleId(1),
        org_id: ORG,
        framework: "test".into(),
        framework_version: "1".into(),
        subject: Subject::parse(subject).expect("a subject"),
        level: 1,
        title: "Fire Safety".into(),
        kind,
        purpose: RulePurpose::Requirement,
        applies_to: Applicability::everyone(),
        renewal_base: RenewalBase::Completion,
        warning_days: 60,
        new_starter_days: 0,
        effective_from: d("2015-01-01"),
        effective_to: None,
        transition_ends: None,
        retired: false,
        adjustable: false,
        source: "test".into(),
        basis: RuleBasis::default(),
        local_reason: None,
        created_at: at("2015-01-01"),
    }
}

fn post() -> Post {
    Post {
        id: PostId(1),
        person_id: PersonId(1),
        org_id: ORG,
        unit_id: crate::UnitId(1),
        assignment_number: "A1".into(),
        staff_group: StaffGroup::NursingMidwiferyRegistered,
        job_role: "Staff nurse".into(),
        band: None,
        specialty: None,
        patient_facing: true,
        start: d("2015-01-01"),
        end: None,
        recorded_at: at("2015-01-01"),
    }
}

fn record(subject: &str, on: &str, hours: Option<f64>, source: RecordSource) -> RecordFact {
    RecordFact {
        record: TrainingRecord {
            id: RecordId(on.replace('-', "").parse().expect("digits")),
            person_id: PersonId(1),
            subject: Subject::parse(subject).expect("a subject"),
            level: 1,
            completed_on: d(on),
            hours,
            provider: "Trust".into(),
            provider_type: ProviderType::NhsTrust,
            provider_org_id: None,
            source,
            evidence_ref: None,
            recorded_at: at(on),
        },
        superseded: None,
    }
}

/// The one requirement's status on a date, through the engine as pages use it.
fn explain(rules: &[Rule], records: &[RecordFact], on: &str) -> Vec<RequirementStatus> {
    let posts = [post()];
    let engine = OrgEngine::new(ORG, rules, &[], None);
    engine
        .person(PersonFacts {
            posts: &posts,
            records,
            exemptions: &[],
        })
        .explain_at(d(on))
}

fn one(rules: &[Rule], records: &[RecordFact], on: &str) -> RequirementStatus {
    let mut all = explain(rules, records, on);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

fn completion(months: u32) -> Vec<Rule> {
    vec![rule(
        "fire",
        RuleKind::Completion {
            refresher_months: months,
        },
    )]
}

#[test]
fn valid_until_names_the_last_valid_day_across_29_february() {
    // (completed, refresher months, first day no longer valid, last valid day)
    let cases = [
        ("2024-02-29", 12, "2025-02-28", "2025-02-27"),
        ("2020-02-29", 48, "2024-02-29", "2024-02-28"),
        ("2024-01-31", 1, "2024-02-29", "2024-02-28"),
        ("2023-01-31", 1, "2023-02-28", "2023-02-27"),
        ("2023-02-28", 12, "2024-02-28", "2024-02-27"),
        ("2023-03-01", 12, "2024-03-01", "2024-02-29"),
    ];
    for (done, months, expiry, last) in cases {
        let rules = completion(months);
        let records = [record("fire", done, None, RecordSource::Elearning)];
        let on_last = one(&rules, &records, last);
        assert!(
            on_last.status.is_in_date(),
            "{done} + {months}: in date on {last}"
        );
        assert_eq!(on_last.due_on, Some(d(expiry)), "{done} + {months}");
        let used = &on_last.explanation.used[0];
        assert_eq!(used.expires_on, Some(d(expiry)));
        assert_eq!(used.last_valid_day(), Some(d(last)));
        let summary = &on_last.explanation.summary;
        assert!(
            summary.contains(&format!("valid until {last}"))
                && summary.contains(&format!("expires on {expiry}")),
            "{done} + {months}: {summary}"
        );
        assert!(
            !summary.contains(&format!("valid until {expiry}")),
            "{summary}"
        );
        let expired = one(&rules, &records, expiry);
        assert_eq!(
            expired.status,
            Status::Expired,
            "{done} + {months} on {expiry}"
        );
        assert!(
            expired
                .explanation
                .summary
                .contains(&format!("expired on {expiry}")),
            "{}",
            expired.explanation.summary
        );
    }
    // Well before the warning window the summary names only the last valid day.
    let early = one(
        &completion(12),
        &[record("fire", "2024-02-29", None, RecordSource::Elearning)],
        "2024-06-01",
    );
    assert_eq!(early.status, Status::Compliant);
    assert_eq!(
        early.explanation.summary,
        "Completed 2024-02-29; valid until 2025-02-27."
    );
}

#[test]
fn an_hours_record_counts_until_the_day_before_it_leaves_the_window() {
    let rules = vec![rule(
        "safeguarding",
        RuleKind::Hours {
            hours: 2.0,
            window_months: 12,
            participatory_share: None,
        },
    )];
    let records = [record(
        "safeguarding",
        "2024-02-29",
        Some(2.0),
        RecordSource::Elearning,
    )];
    let last = one(&rules, &records, "2025-02-27");
    assert!(last.status.is_in_date());
    assert_eq!(
        last.explanation.used[0].last_valid_day(),
        Some(d("2025-02-27"))
    );
    assert_eq!(one(&rules, &records, "2025-02-28").status, Status::Expired);
}

fn safeguarding(share: Option<f64>) -> Vec<Rule> {
    let mut r = rule(
        "safeguarding",
        RuleKind::Hours {
            hours: 12.0,
            window_months: 36,
            participatory_share: share,
        },
    );
    r.title = "Safeguarding Children".into();
    r.level = 1;
    vec![r]
}

#[test]
fn a_record_without_hours_is_explained_not_called_no_record() {
    let records = [record(
        "safeguarding",
        "2025-06-01",
        None,
        RecordSource::Import,
    )];
    let s = one(&safeguarding(None), &records, "2025-07-01");
    assert_eq!(s.status, Status::Missing);
    assert_eq!(
        s.explanation.summary,
        "A record of Safeguarding Children level 1 was found, with no hours; 12 hours are needed since 2022-07-02."
    );
    assert!(!s.explanation.summary.contains("No record"));
    assert_eq!(
        s.explanation
            .hours
            .as_ref()
            .map(|h| h.records_without_hours),
        Some(1)
    );
    let two = [
        records[0].clone(),
        record("safeguarding", "2025-06-02", None, RecordSource::Import),
    ];
    assert!(
        one(&safeguarding(None), &two, "2025-07-01")
            .explanation
            .summary
            .starts_with("2 records of Safeguarding Children level 1 were found, with no hours")
    );
    // With no record at all it still says so.
    assert!(
        one(&safeguarding(None), &[], "2025-07-01")
            .explanation
            .summary
            .starts_with("No record of")
    );
}

#[test]
fn a_participatory_share_needs_that_many_hours_learning_with_others() {
    let rules = safeguarding(Some(0.5));
    assert_eq!(
        describe_kind(&rules[0].kind),
        "12 hours of learning within the last 3 years, at least 6 of them participatory"
    );
    // Twelve hours of e-learning: enough hours, none participatory.
    let alone = [
        record(
            "safeguarding",
            "2025-01-10",
            Some(6.0),
            RecordSource::Elearning,
        ),
        record(
            "safeguarding",
            "2025-02-10",
            Some(6.0),
            RecordSource::Elearning,
        ),
    ];
    let s = one(&rules, &alone, "2025-07-01");
    assert_eq!(s.status, Status::Expired);
    assert!(
        s.explanation
            .summary
            .contains("but only 0 of them participatory: at least 6 must be"),
        "{}",
        s.explanation.summary
    );
    assert_eq!(
        one(&safeguarding(None), &alone, "2025-07-01").status,
        Status::Compliant,
        "the same hours meet a rule with no share"
    );
    // Half in a classroom: compliant, and the summary says how many were participatory.
    let mixed = [
        record(
            "safeguarding",
            "2025-01-10",
            Some(6.0),
            RecordSource::Classroom,
        ),
        record(
            "safeguarding",
            "2025-02-10",
            Some(6.0),
            RecordSource::Elearning,
        ),
    ];
    let s = one(&rules, &mixed, "2025-07-01");
    assert_eq!(s.status, Status::Compliant);
    assert!(
        s.explanation
            .summary
            .contains("6 of them participatory (6 needed)"),
        "{}",
        s.explanation.summary
    );
    // When the classroom session leaves the window first, the requirement falls due then.
    let leaving = [
        record(
            "safeguarding",
            "2022-09-01",
            Some(6.0),
            RecordSource::Classroom,
        ),
        record(
            "safeguarding",
            "2025-02-10",
            Some(12.0),
            RecordSource::Elearning,
        ),
    ];
    assert_eq!(
        one(&rules, &leaving, "2025-07-01").status,
        Status::Compliant
    );
    let s = one(&rules, &leaving, "2025-07-15");
    assert_eq!(s.status, Status::Expiring);
    assert_eq!(s.due_on, Some(d("2025-09-01")));
    // Twelve e-learning hours stay, so the summary names the participatory hours as what runs short (a property
    // test found the summary saying "only 12 will still count", which is enough).
    assert!(
        s.explanation
            .summary
            .ends_with("Older participatory hours leave the window soon: only 0 participatory will still count in 48 days."),
        "{}",
        s.explanation.summary
    );
    let tally = s.explanation.hours.as_ref().expect("a tally");
    assert_eq!(
        (
            tally.counted_at_warning_end,
            tally.participatory_counted_at_warning_end
        ),
        (12.0, 0.0)
    );
}

#[test]
fn development_competencies_count_nowhere() {
    let mut dev = completion(36);
    dev[0].purpose = RulePurpose::Development;
    let records = [record("fire", "2024-02-29", None, RecordSource::Elearning)];
    assert!(explain(&dev, &records, "2025-01-01").is_empty());
    let posts = [post()];
    let engine = OrgEngine::new(ORG, &dev, &[], None);
    let facts = PersonFacts {
        posts: &posts,
        records: &records,
        exemptions: &[],
    };
    assert!(engine.person(facts).timeline().is_empty());
    // An organisation that makes it a requirement, from a date, is assessed from then on.
    let mut required = dev[0].clone();
    required.id = RuleId(2);
    required.purpose = RulePurpose::Requirement;
    required.effective_from = d("2026-01-01");
    dev[0].effective_to = Some(d("2026-01-01"));
    let both = vec![dev[0].clone(), required];
    assert!(explain(&both, &records, "2025-12-31").is_empty());
    // Training already done counts at once.
    assert_eq!(one(&both, &records, "2026-01-01").status, Status::Compliant);
    assert_eq!(one(&both, &[], "2026-01-01").status, Status::Missing);
}

#[test]
fn community_interest_companies_are_accepted_by_default() {
    let mut r = record("fire", "2025-01-01", None, RecordSource::Classroom);
    r.record.provider_type = ProviderType::CommunityInterestCompany;
    assert!(one(&completion(12), &[r], "2025-02-01").status.is_in_date());
    let mut gp = record("fire", "2025-01-01", None, RecordSource::Classroom);
    gp.record.provider_type = ProviderType::GpPractice;
    assert_eq!(
        one(&completion(12), &[gp], "2025-02-01").status,
        Status::Missing
    );
}
