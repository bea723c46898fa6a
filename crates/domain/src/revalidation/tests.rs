//! Each regulator's requirements, from records and evidence.

use super::*;
use crate::Subject;
use crate::model::{ProviderType, RecordSource, Supersession, TrainingRecord};
use crate::{EvidenceId, PersonId, RecordId};

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn record(on: &str, hours: Option<f64>, source: RecordSource) -> RecordFact {
    RecordFact {
        record: TrainingRecord {
            id: RecordId(1),
            person_id: PersonId(1),
            subject: Subject::from_static("cpd"),
            level: 1,
            completed_on: d(on),
            hours,
            provider: "Trust".into(),
            provider_type: ProviderType::NhsTrust,
            provider_org_id: None,
            source,
            evidence_ref: None,
            recorded_at: chrono::Utc::now(),
        },
        superseded: None,
    }
}

fn item(body: RegulatoryBody, kind: EvidenceKind, on: &str, hours: Option<f64>) -> Evidence {
    Evidence {
        id: EvidenceId(1),
        person_id: PersonId(1),
        body,
        kind,
        on: d(on),
        hours,
        participatory: false,
        note: "test".into(),
        recorded_at: chrono::Utc::now(),
        withdrawn_at: None,
    }
}

fn reg(body: RegulatoryBody, renewal: Option<&str>) -> Registration {
    Registration {
        body,
        number: "X1".into(),
        renewal_date: renewal.map(d),
    }
}

fn check<'a>(r: &'a Revalidation, item: &str) -> &'a Check {
    r.checks
        .iter()
        .find(|c| c.item == item)
        .unwrap_or_else(|| panic!("no check {item:?} in {:?}", r.checks))
}

/// Every NMC requirement met for a renewal on 2027-03-31, as of 2026-11-23.
fn nmc_portfolio() -> Vec<Evidence> {
    use EvidenceKind::*;
    let nmc = |k, on: &str, h| item(RegulatoryBody::Nmc, k, on, h);
    let mut e = vec![
        nmc(PracticeHours, "2025-03-31", Some(300.0)),
        nmc(PracticeHours, "2026-03-31", Some(160.0)),
        nmc(ReflectiveDiscussion, "2026-10-01", None),
        nmc(HealthCharacter, "2026-10-01", None),
        nmc(Indemnity, "2026-10-01", None),
        nmc(Confirmation, "2026-11-01", None),
    ];
    for m in 1..=5 {
        e.push(nmc(PracticeFeedback, &format!("2025-0{m}-10"), None));
        e.push(nmc(ReflectiveAccount, &format!("2025-0{m}-20"), None));
    }
    e
}

#[test]
fn nmc_counts_the_three_years_before_renewal_and_participatory_hours() {
    let reg = reg(RegulatoryBody::Nmc, Some("2027-03-31"));
    let records = vec![
        record("2024-03-31", Some(10.0), RecordSource::Classroom), // the first day of the cycle is not in it
        record("2024-04-01", Some(6.0), RecordSource::Classroom),
        record("2025-01-10", Some(12.0), RecordSource::Elearning),
        record("2026-06-01", Some(15.0), RecordSource::Assessment),
        record("2026-07-01", None, RecordSource::Elearning),
    ];
    let s = summarise(&reg, &records, &nmc_portfolio(), d("2026-11-23"));
    assert_eq!((s.from, s.to), (d("2024-03-31"), d("2027-03-31")));
    assert_eq!(
        (
            s.cpd.hours,
            s.cpd.participatory_hours,
            s.cpd.activities,
            s.cpd.activities_without_hours
        ),
        (33.0, 21.0, 4, 1)
    );
    assert!(!check(&s, "CPD").met, "33 of 35 hours");
    assert!(!s.on_track(), "CPD short: not on track");
    let mut more = records.clone();
    more.push(record("2026-11-01", Some(2.0), RecordSource::Elearning));
    let s = summarise(&reg, &more, &nmc_portfolio(), d("2026-11-23"));
    assert!(s.on_track(), "{:?}", s.checks);
    assert_eq!(s.readiness.label(), "On track");
}

#[test]
fn nmc_is_on_track_only_with_every_requirement_not_just_the_hours() {
    let reg = reg(RegulatoryBody::Nmc, Some("2027-03-31"));
    let records = vec![
        record("2025-01-10", Some(20.0), RecordSource::Classroom),
        record("2026-01-10", Some(20.0), RecordSource::Elearning),
    ];
    // Enough CPD alone was "On track" before; without the rest it is not.
    let bare = summarise(&reg, &records, &[], d("2026-11-23"));
    assert!(check(&bare, "CPD").met && check(&bare, "Participatory CPD").met);
    assert!(!bare.on_track());
    assert_eq!(bare.readiness, Readiness::NotYet);
    for kind in [
        "Practice hours",
        "Practice-related feedback",
        "Written reflective account",
        "Reflective discussion",
        "Health and character declaration",
        "Professional indemnity arrangement",
        "Confirmation",
    ] {
        assert!(
            !check(&bare, kind).met,
            "{kind} is not met without evidence"
        );
    }
    assert!(summarise(&reg, &records, &nmc_portfolio(), d("2026-11-23")).on_track());
    // Each item missing in turn keeps it off track.
    let full = nmc_portfolio();
    for i in 0..full.len() {
        let mut less = full.clone();
        let gone = less.remove(i);
        let s = summarise(&reg, &records, &less, d("2026-11-23"));
        assert!(!s.on_track(), "without {:?} on {}", gone.kind, gone.on);
    }
    // A withdrawn item counts for nothing; another regulator's evidence neither.
    let mut withdrawn = full.clone();
    withdrawn[5].withdrawn_at = Some(chrono::Utc::now());
    assert!(!summarise(&reg, &records, &withdrawn, d("2026-11-23")).on_track());
    let mut elsewhere = full;
    elsewhere[5].body = RegulatoryBody::Hcpc;
    assert!(!summarise(&reg, &records, &elsewhere, d("2026-11-23")).on_track());
}

#[test]
fn nmc_application_date_is_the_first_of_the_renewal_month_with_a_reminder_sixty_days_before() {
    let reg = reg(RegulatoryBody::Nmc, Some("2027-03-31"));
    let on = |today: &str| summarise(&reg, &[], &[], d(today));
    let s = on("2026-11-23");
    assert_eq!(s.application_date, Some(d("2027-03-01")));
    assert_eq!(s.application_opens, Some(d("2026-12-31")));
    assert_eq!(s.reminder, None, "not yet open");
    let open = on("2026-12-31").reminder.expect("open");
    assert!(open.contains("by 2027-03-01 (60 days left)"), "{open}");
    let last = on("2027-02-28").reminder.expect("open");
    assert!(last.contains("(1 day left)"), "{last}");
    let late = on("2027-03-02").reminder.expect("late");
    assert!(late.contains("has passed: apply now"), "{late}");
    let stale = on("2027-04-01");
    assert!(
        stale
            .reminder
            .clone()
            .expect("stale")
            .contains("has passed: ask for it to be updated")
    );
    assert!(!check(&stale, "Renewal date").met);
}

#[test]
fn nmc_confirmation_counts_only_in_the_final_year() {
    let reg = reg(RegulatoryBody::Nmc, Some("2027-03-31"));
    let early = [item(
        RegulatoryBody::Nmc,
        EvidenceKind::Confirmation,
        "2026-03-31",
        None,
    )];
    let s = summarise(&reg, &[], &early, d("2026-11-23"));
    assert!(!check(&s, "Confirmation").met);
    assert!(
        check(&s, "Confirmation")
            .have
            .contains("earlier than the final 12 months")
    );
    let recent = [item(
        RegulatoryBody::Nmc,
        EvidenceKind::Confirmation,
        "2026-04-01",
        None,
    )];
    assert!(
        check(
            &summarise(&reg, &[], &recent, d("2026-11-23")),
            "Confirmation"
        )
        .met
    );
}

#[test]
fn hcpc_is_a_two_year_cycle_that_names_gaps_and_explains_the_standards() {
    let reg = reg(RegulatoryBody::Hcpc, None);
    let records = vec![
        record("2025-01-15", Some(2.0), RecordSource::Classroom),
        record("2025-02-15", Some(2.0), RecordSource::Classroom),
        record("2025-09-01", Some(2.0), RecordSource::Classroom),
    ];
    let s = summarise(&reg, &records, &[], d("2026-01-31"));
    assert_eq!(s.from, d("2024-01-31"));
    assert_eq!(
        s.gaps,
        vec![
            (d("2024-01-31"), d("2025-01-15")),
            (d("2025-02-15"), d("2025-09-01")),
            (d("2025-09-01"), d("2026-01-31"))
        ]
    );
    assert!(
        !s.on_track(),
        "3 activities: not enough for an audit profile"
    );
    let notes = s.notes.join(" ");
    assert!(notes.contains("2.5% of each profession") && notes.contains("five standards"));
    let mut more = records.clone();
    more.push(record("2026-01-02", None, RecordSource::Elearning));
    assert!(summarise(&reg, &more, &[], d("2026-01-31")).on_track());
    // With a renewal date ahead, the cycle is the 2 years before it.
    let dated = summarise(
        &super::tests::reg(RegulatoryBody::Hcpc, Some("2027-06-30")),
        &[],
        &[],
        d("2026-01-31"),
    );
    assert_eq!((dated.from, dated.to), (d("2025-06-30"), d("2027-06-30")));
    assert_eq!(
        dated.gaps,
        vec![(d("2025-06-30"), d("2026-01-31"))],
        "a gap runs to today, not into the future"
    );
}

#[test]
fn hcpc_with_no_activities_is_never_on_track() {
    let none = summarise(&reg(RegulatoryBody::Hcpc, None), &[], &[], d("2026-01-31"));
    assert!(!none.on_track());
    assert_eq!(none.readiness, Readiness::NotYet);
    assert!(
        none.cpd.hours.is_sign_positive() && none.cpd.participatory_hours.is_sign_positive(),
        "no -0 hours"
    );
}

#[test]
fn gmc_sets_no_hours_and_checks_appraisals_and_the_six_types() {
    let reg = reg(RegulatoryBody::Gmc, Some("2029-01-01"));
    let mut withdrawn = record("2026-05-01", Some(40.0), RecordSource::Elearning);
    withdrawn.superseded = Some(Supersession {
        record_id: RecordId(1),
        replaced_by: None,
        reason: "entered twice".into(),
        recorded_at: chrono::Utc::now(),
    });
    let records = vec![
        withdrawn,
        record("2026-06-01", Some(30.0), RecordSource::Classroom),
    ];
    let s = summarise(&reg, &records, &[], d("2026-11-23"));
    assert_eq!((s.from, s.to), (d("2024-01-01"), d("2029-01-01")));
    // The hours shown are the last year's, against the colleges' recommendation, which is never a check.
    assert_eq!((s.cpd.from, s.cpd.hours), (d("2025-11-23"), 30.0));
    assert_eq!(s.cpd.target_hours, Some(50.0));
    assert!(
        s.cpd
            .target_by
            .as_deref()
            .is_some_and(|b| b.contains("royal colleges") && b.contains("not a GMC requirement"))
    );
    assert!(
        s.checks
            .iter()
            .all(|c| !c.item.contains("hours") && !c.have.contains("hours")),
        "no hours check for the GMC: {:?}",
        s.checks
    );
    assert!(
        s.notes
            .join(" ")
            .contains("The GMC sets no minimum CPD hours")
    );
    // Appraisal year 2024-01-01..2025-01-01 ended with no appraisal; the six types are not all there.
    assert!(!check(&s, "Annual appraisal").met);
    assert!(!s.on_track());

    use EvidenceKind::*;
    let gmc = |k, on: &str| item(RegulatoryBody::Gmc, k, on, None);
    let portfolio = vec![
        gmc(Appraisal, "2024-11-01"),
        gmc(Appraisal, "2025-10-01"),
        gmc(QualityImprovement, "2025-03-01"),
        gmc(SignificantEvents, "2025-10-01"),
        gmc(ColleagueFeedback, "2025-05-01"),
        gmc(PatientFeedback, "2025-06-01"),
        gmc(ComplimentsComplaints, "2025-10-01"),
    ];
    let s = summarise(&reg, &records, &portfolio, d("2026-11-23"));
    assert!(s.on_track(), "{:?}", s.checks);
    let appraisal = check(&s, "Annual appraisal");
    assert_eq!(appraisal.have, "2 of the 2 years ended so far");
    assert!(
        appraisal
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("runs to 2027-01-01: it needs an appraisal")),
        "{appraisal:?}"
    );
    // Both appraisals in one year leave the other without.
    let mut doubled = portfolio.clone();
    doubled[0].on = d("2025-09-01");
    assert!(!summarise(&reg, &records, &doubled, d("2026-11-23")).on_track());
    // Each of the six types is needed.
    for i in 2..portfolio.len() {
        let mut less = portfolio.clone();
        less.remove(i);
        assert!(!summarise(&reg, &records, &less, d("2026-11-23")).on_track());
    }
}

#[test]
fn regulators_lantern_does_not_check_are_not_called_on_track() {
    let s = summarise(
        &reg(RegulatoryBody::Gphc, Some("2027-01-01")),
        &[record("2026-06-01", Some(30.0), RecordSource::Classroom)],
        &[],
        d("2026-11-23"),
    );
    assert_eq!(s.readiness, Readiness::NotAssessed);
    assert!(!s.on_track());
    assert_eq!(s.cpd.activities, 1);
}
