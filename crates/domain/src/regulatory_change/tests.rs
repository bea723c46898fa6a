//! The diff and impact of a regulatory change, on CSTF 1.1 and a 1.2 that differs only in Fire Safety.

use super::*;
use crate::engine::PersonFacts;
use crate::model::*;
use crate::{PersonId, PostId, RecordId, UnitId};

const ORG: OrgId = OrgId(1);
const CSTF_1_1: &str = include_str!("../../../../frameworks/cstf-england-1.1.toml");

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn ts(s: &str) -> Timestamp {
    d(s).and_hms_opt(9, 0, 0).expect("time").and_utc()
}

/// CSTF 1.2 as the measured defect had it: Fire Safety every 12 months instead of 24, from 2025-01-01.
fn cstf_1_2() -> FrameworkFile {
    let text = CSTF_1_1
        .replace("version = \"1.1\"", "version = \"1.2\"")
        .replace(
            "effective_from = \"2021-07-01\"",
            "effective_from = \"2025-01-01\"",
        )
        .replace(
            "subject = \"cstf.fire_safety\"\nlevel = 1\nkind = \"completion\"\nrefresher_months = 24",
            "subject = \"cstf.fire_safety\"\nlevel = 1\nkind = \"completion\"\nrefresher_months = 12",
        );
    FrameworkFile::parse("cstf-1.2.toml", &text).expect("1.2 parses")
}

fn rules_1_1() -> Vec<Rule> {
    let file = FrameworkFile::parse("cstf.toml", CSTF_1_1).expect("1.1");
    let mut rules = file.instantiate(ORG, ts("2021-01-01"));
    for (i, r) in rules.iter_mut().enumerate() {
        r.id = crate::RuleId(i as i64 + 1);
    }
    rules
}

fn person(id: i64) -> Person {
    Person {
        id: PersonId(id),
        employee_number: format!("E{id}"),
        given_name: "Pat".into(),
        family_name: format!("Nurse{id}"),
        email: Some(format!("p{id}@example.nhs.uk")),
        registrations: Vec::new(),
    }
}

fn post(person: i64, unit: i64, group: StaffGroup) -> Post {
    Post {
        id: PostId(person * 10),
        person_id: PersonId(person),
        org_id: ORG,
        unit_id: UnitId(unit),
        assignment_number: format!("A{person}"),
        staff_group: group,
        job_role: "Staff nurse".into(),
        band: Some("5".into()),
        specialty: None,
        patient_facing: true,
        start: d("2020-01-01"),
        end: None,
        recorded_at: ts("2020-01-01"),
    }
}

fn fire(person: i64, completed: &str) -> RecordFact {
    RecordFact {
        record: TrainingRecord {
            id: RecordId(person * 100),
            person_id: PersonId(person),
            subject: Subject::from_static("cstf.fire_safety"),
            level: 1,
            completed_on: d(completed),
            hours: None,
            provider: "Trust".into(),
            provider_type: ProviderType::NhsTrust,
            provider_org_id: None,
            source: RecordSource::Elearning,
            evidence_ref: None,
            recorded_at: ts(completed),
        },
        superseded: None,
    }
}

fn unit(id: i64, name: &str) -> Unit {
    Unit {
        id: UnitId(id),
        org_id: ORG,
        parent_id: None,
        site_id: None,
        code: format!("U{id}"),
        name: name.into(),
        kind: UnitKind::Ward,
        recorded_at: ts("2020-01-01"),
    }
}

struct World {
    people: Vec<Person>,
    posts: Vec<Vec<Post>>,
    records: Vec<Vec<RecordFact>>,
}

impl World {
    fn inputs(&self) -> Vec<ImpactPerson<'_>> {
        self.people
            .iter()
            .enumerate()
            .map(|(i, p)| ImpactPerson {
                person: p,
                facts: PersonFacts {
                    posts: &self.posts[i],
                    records: &self.records[i],
                    exemptions: &[],
                },
            })
            .collect()
    }
}

/// Three nurses: one trained in 2023 (in date under 24 months, expired under 12), one in late 2024 (in date either
/// way), one never (overdue either way).
fn world() -> World {
    World {
        people: vec![person(1), person(2), person(3)],
        posts: (1..=3)
            .map(|p| vec![post(p, 7, StaffGroup::NursingMidwiferyRegistered)])
            .collect(),
        records: vec![
            vec![fire(1, "2023-06-01")],
            vec![fire(2, "2024-10-01")],
            vec![],
        ],
    }
}

#[test]
fn cstf_1_2_changes_only_fire_safety_and_the_diff_says_so() {
    let rules = rules_1_1();
    let c = diff_framework(&rules, &cstf_1_2(), ORG, ts("2026-12-01"));
    assert!(c.diff.added.is_empty() && c.diff.removed.is_empty());
    assert_eq!(c.diff.changed.len(), 1, "{:?}", c.diff.changed);
    let fire = &c.diff.changed[0];
    assert_eq!(fire.subject, "cstf.fire_safety");
    assert_eq!(fire.kind, Some(ChangeKind::ShorterPeriod));
    assert_eq!(
        fire.fields,
        vec![FieldChange {
            field: "period".into(),
            before: "24 months".into(),
            after: "12 months".into()
        }]
    );
    assert_eq!(c.diff.unchanged.len(), rules.len() - 1);
    assert_eq!(c.diff.kinds(), vec![ChangeKind::ShorterPeriod]);
    assert_eq!(c.effective_from, d("2025-01-01"));
}

#[test]
fn the_impact_finds_the_record_that_stops_counting_and_the_transition_keeps_its_owner_off_overdue()
{
    let rules = rules_1_1();
    let c = diff_framework(&rules, &cstf_1_2(), ORG, ts("2026-12-01"));
    let w = world();
    let units = [unit(7, "Ward 7")];
    let transition = Transition::until(c.effective_from, d("2025-03-31")).expect("valid");
    let with = impact(
        ORG,
        &units,
        &rules,
        &[],
        crate::DEFAULT_REHIRE_BREAK_DAYS,
        &c,
        transition,
        &w.inputs(),
    );
    assert_eq!(with.people_assessed, 3);
    assert_eq!(with.newly_in_scope_people, 0, "nobody is newly in scope");
    assert!(with.newly_in_scope.is_empty());
    assert_eq!(with.stopped_records.len(), 1, "{:?}", with.stopped_records);
    let stopped = &with.stopped_records[0];
    assert_eq!(stopped.person_id, PersonId(1));
    assert_eq!(stopped.completed_on, d("2023-06-01"));
    assert!(!stopped.why.is_empty());
    // Only the first nurse is made overdue by the change; the third was overdue anyway.
    assert_eq!(with.affected.len(), 1);
    assert_eq!(with.affected[0].person_id, PersonId(1));
    assert_eq!(with.affected[0].units, vec![UnitId(7)]);
    let req = &with.affected[0].requirements[0];
    assert_eq!(
        (req.subject.as_str(), req.due_by, req.reason.as_str()),
        ("cstf.fire_safety", d("2025-03-31"), "record stops counting")
    );
    assert_eq!(with.due_by, Some(d("2025-03-31")));
    // Fire safety alone: before, 2 in date of 3; without a transition, 1 of 3; with one, 1 of 2 counted (one due).
    let fire_only = |counts: &crate::rollup::Counts| counts.compliant + counts.expiring;
    assert_eq!(
        fire_only(&with.before) - fire_only(&with.without_transition),
        1
    );
    assert_eq!(
        with.with_transition.pending,
        with.without_transition.pending + 1
    );
    assert_eq!(
        with.with_transition.expired + with.with_transition.missing + 1,
        with.without_transition.expired + with.without_transition.missing
    );
    assert!(with.with_transition_percent > with.without_transition_percent);
    assert!(with.before_percent > with.without_transition_percent);
    // Without a transition, the same person is affected and due on the effective date.
    let without = impact(
        ORG,
        &units,
        &rules,
        &[],
        crate::DEFAULT_REHIRE_BREAK_DAYS,
        &c,
        Transition::NONE,
        &w.inputs(),
    );
    assert_eq!(without.with_transition, without.without_transition);
    assert_eq!(without.affected[0].requirements[0].due_by, d("2025-01-01"));
}

#[test]
fn a_new_requirement_for_one_staff_group_is_newly_in_scope_by_unit_and_group() {
    let rules = rules_1_1();
    let text = r#"
[framework]
code = "omt"
name = "Oliver McGowan"
version = "2"
effective_from = "2027-01-01"
source = "Health and Care Act 2022, s181"

[[competency]]
code = "omt.tier"
name = "Learning disability and autism"
levels = ["Tier 1"]

[[rule]]
subject = "omt.tier"
level = 1
kind = "completion"
refresher_months = 36
applies_to = [{ staff_groups = ["nursing_midwifery_registered"] }]
source = "test"
"#;
    let file = FrameworkFile::parse("omt.toml", text).expect("parses");
    let c = diff_framework(&rules, &file, ORG, ts("2026-12-01"));
    assert_eq!(c.diff.added.len(), 1);
    assert_eq!(c.diff.added[0].kind, Some(ChangeKind::NewRequirement));
    assert!(c.diff.removed.is_empty(), "another framework's rules stay");
    let mut w = world();
    // A porter in another unit is not in scope.
    w.people.push(person(4));
    w.posts.push(vec![post(4, 8, StaffGroup::EstatesAncillary)]);
    w.records.push(vec![]);
    let units = [unit(7, "Ward 7"), unit(8, "Estates")];
    let today = d("2026-12-06");
    let t = Transition::default_for(&c.diff.kinds(), c.effective_from, today);
    assert_eq!(t.ends, Some(d("2028-01-01")), "365 days from 2027-01-01");
    let i = impact(
        ORG,
        &units,
        &rules,
        &[],
        crate::DEFAULT_REHIRE_BREAK_DAYS,
        &c,
        t,
        &w.inputs(),
    );
    assert_eq!(i.newly_in_scope_people, 3);
    assert_eq!(i.newly_in_scope.len(), 1);
    let g = &i.newly_in_scope[0];
    assert_eq!(
        (g.unit.as_str(), g.staff_group.as_str(), g.people),
        ("Ward 7", "Nursing and Midwifery Registered", 3)
    );
    assert_eq!(
        g.requirements,
        vec!["Learning disability and autism (level 1)"]
    );
    assert_eq!(i.affected.len(), 3);
    assert!(
        i.affected
            .iter()
            .all(|a| a.requirements[0].reason == "new requirement"
                && a.requirements[0].due_by == d("2027-12-31"))
    );
}

#[test]
fn a_subject_the_new_version_drops_is_retired_and_leaves_the_counts() {
    let rules = rules_1_1();
    let text = CSTF_1_1
        .replace("version = \"1.1\"", "version = \"1.3\"")
        .replace(
            "effective_from = \"2021-07-01\"",
            "effective_from = \"2025-01-01\"",
        )
        .replace(
            "[[rule]]\nsubject = \"cstf.fire_safety\"",
            "[[rule]]\nsubject = \"cstf.fire_safety_gone\"",
        );
    // Keep the file valid: declare the renamed subject.
    let text = text.replace(
        "[[competency]]\ncode = \"cstf.fire_safety\"",
        "[[competency]]\ncode = \"cstf.fire_safety_gone\"\nname = \"Gone\"\nlevels = [\"Level 1\"]\n\n[[competency]]\ncode = \"cstf.fire_safety\"",
    );
    let file = FrameworkFile::parse("x.toml", &text).expect("parses");
    let c = diff_framework(&rules, &file, ORG, ts("2026-12-01"));
    assert_eq!(c.diff.removed.len(), 1);
    assert_eq!(c.diff.removed[0].subject, "cstf.fire_safety");
    assert_eq!(c.diff.removed[0].kind, Some(ChangeKind::Retired));
    let w = world();
    let i = impact(
        ORG,
        &[],
        &rules,
        &[],
        crate::DEFAULT_REHIRE_BREAK_DAYS,
        &c,
        Transition::NONE,
        &w.inputs(),
    );
    let fire_after = c
        .rules_with(&rules)
        .iter()
        .filter(|r| r.subject == "cstf.fire_safety")
        .count();
    assert_eq!(
        fire_after, 2,
        "the retiring version is added, nothing edited"
    );
    // Three people lose fire safety and gain the new subject: the total of requirements is the same.
    assert_eq!(
        i.before.applicable(),
        i.without_transition.applicable(),
        "one subject out, one in"
    );
}

#[test]
fn one_new_rule_version_is_diffed_against_the_latest() {
    let rules = rules_1_1();
    let mut v = rules
        .iter()
        .find(|r| r.subject == "cstf.fire_safety")
        .expect("fire")
        .clone();
    v.kind = RuleKind::Completion {
        refresher_months: 12,
    };
    v.applies_to = Applicability(vec![Clause {
        staff_groups: vec![StaffGroup::NursingMidwiferyRegistered],
        ..Clause::default()
    }]);
    v.effective_from = d("2027-01-01");
    let c = diff_version(&rules, &v);
    assert_eq!(c.diff.changed.len(), 1);
    let fields: Vec<&str> = c.diff.changed[0]
        .fields
        .iter()
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(fields, ["period", "applies to"]);
    assert_eq!(
        c.diff.changed[0].kind,
        Some(ChangeKind::WiderScope),
        "the longest default of its kinds"
    );
}

#[test]
fn transitions_count_from_today_for_a_backdated_change() {
    let t = Transition::days(d("2025-01-01"), d("2026-12-06"), 90);
    assert_eq!(t.ends, Some(d("2027-03-06")));
    assert_eq!(t.last_day(), Some(d("2027-03-05")));
    assert_eq!(
        Transition::days(d("2027-01-01"), d("2026-12-06"), 0),
        Transition::NONE
    );
    assert!(Transition::until(d("2025-01-01"), d("2024-12-31")).is_err());
    assert_eq!(
        Transition::default_for(
            &[ChangeKind::Relaxed, ChangeKind::ShorterPeriod],
            d("2027-01-01"),
            d("2026-01-01")
        )
        .ends,
        Some(d("2027-04-01"))
    );
    for k in [
        ChangeKind::NewRequirement,
        ChangeKind::WiderScope,
        ChangeKind::ShorterPeriod,
        ChangeKind::MoreDemanding,
        ChangeKind::Relaxed,
        ChangeKind::Retired,
    ] {
        assert!(
            TRANSITION_DEFAULTS.iter().filter(|d| d.kind == k).count() == 1,
            "{k:?} has one default"
        );
    }
}
