//! Continuing professional development against each regulator's revalidation cycle, from the learner's own records.
//!
//! Sources (shared/domain/README.md section 3):
//! - NMC: revalidation every 3 years; 35 hours of CPD, at least 20 of them participatory.
//! - GMC: revalidation every 5 years after annual appraisals; no GMC minimum, the royal colleges recommend 50 credits
//!   (hours) a year.
//! - HCPC: renewal every 2 years; an audit profile covers 4 to 6 activities from the last 2 years and explains gaps
//!   of 3 months or more.
//!
//! Lantern counts classroom sessions and assessments as participatory (learning with other professionals) and
//! e-learning, imports and transfers as not; a registrant can still claim other participatory activity outside
//! Lantern. Records without hours count as activities but add no hours.

use crate::Date;
use crate::dates::add_months;
use crate::model::{RecordFact, RecordSource, Registration, RegulatoryBody};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CpdSummary {
    pub body: String,
    pub number: String,
    /// The period counted: the current cycle up to its renewal date, or the rolling period before `today`.
    pub from: Date,
    pub to: Date,
    pub hours: f64,
    pub participatory_hours: f64,
    pub activities: usize,
    /// Activities with no hours recorded.
    pub activities_without_hours: usize,
    pub hours_required: Option<f64>,
    pub participatory_required: Option<f64>,
    /// Gaps of three months or more between activities in the period (HCPC asks for them to be explained).
    pub gaps: Vec<(Date, Date)>,
    /// What the regulator asks for, in a sentence.
    pub standard: String,
}

impl CpdSummary {
    /// True when the hour targets the regulator sets are met (always true where it sets none).
    pub fn on_track(&self) -> bool {
        self.hours_required.is_none_or(|h| self.hours >= h)
            && self
                .participatory_required
                .is_none_or(|p| self.participatory_hours >= p)
    }
}

fn participatory(source: RecordSource) -> bool {
    matches!(source, RecordSource::Classroom | RecordSource::Assessment)
}

/// The summary for one registration, counting the person's (unsuperseded) records on or before `today`.
pub fn summarise(reg: &Registration, records: &[RecordFact], today: Date) -> CpdSummary {
    let (cycle_months, hours_required, participatory_required, standard) = match reg.body {
        RegulatoryBody::Nmc => (
            36,
            Some(35.0),
            Some(20.0),
            "NMC: 35 hours of CPD in the 3 years before revalidation, at least 20 participatory",
        ),
        RegulatoryBody::Gmc => (
            12,
            Some(50.0),
            None,
            "GMC: annual appraisal; the royal colleges recommend 50 hours (credits) of CPD a year",
        ),
        RegulatoryBody::Hcpc => (
            24,
            None,
            None,
            "HCPC: CPD across the 2 years before renewal; an audit asks for 4 to 6 activities and gaps of 3 months or more explained",
        ),
        RegulatoryBody::Gphc | RegulatoryBody::Gdc => (
            12,
            None,
            None,
            "Your regulator's CPD requirements apply; these are your activities of the last year",
        ),
    };
    // The cycle ends at the renewal date when it is ahead (NMC, HCPC); GMC's appraisal year, and anything without a
    // renewal date, is the rolling period up to today.
    let to = match (reg.body, reg.renewal_date) {
        (RegulatoryBody::Nmc | RegulatoryBody::Hcpc, Some(r)) if r >= today => r,
        _ => today,
    };
    let from = add_months_back(to, cycle_months);
    let mut counted: Vec<&RecordFact> = records
        .iter()
        .filter(|r| r.superseded.is_none())
        .filter(|r| r.record.completed_on > from && r.record.completed_on <= to.min(today))
        .collect();
    counted.sort_by_key(|r| r.record.completed_on);
    // fold from +0.0: an empty f64 sum is -0.0, which would print as "-0 hours".
    let hours: f64 = counted
        .iter()
        .filter_map(|r| r.record.hours)
        .fold(0.0, |a, h| a + h);
    let participatory_hours: f64 = counted
        .iter()
        .filter(|r| participatory(r.record.source))
        .filter_map(|r| r.record.hours)
        .fold(0.0, |a, h| a + h);
    let mut gaps = Vec::new();
    let mut previous = from;
    for r in &counted {
        if add_months(previous, 3) <= r.record.completed_on {
            gaps.push((previous, r.record.completed_on));
        }
        previous = r.record.completed_on;
    }
    let end = to.min(today);
    if add_months(previous, 3) <= end {
        gaps.push((previous, end));
    }
    CpdSummary {
        body: reg.body.label().to_owned(),
        number: reg.number.clone(),
        from,
        to,
        hours,
        participatory_hours,
        activities: counted.len(),
        activities_without_hours: counted.iter().filter(|r| r.record.hours.is_none()).count(),
        hours_required,
        participatory_required,
        gaps,
        standard: standard.to_owned(),
    }
}

fn add_months_back(d: Date, months: u32) -> Date {
    d.checked_sub_months(chrono::Months::new(months))
        .unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ProviderType, TrainingRecord};
    use crate::{PersonId, RecordId};

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn record(on: &str, hours: Option<f64>, source: RecordSource) -> RecordFact {
        RecordFact {
            record: TrainingRecord {
                id: RecordId(1),
                person_id: PersonId(1),
                subject: "cpd".into(),
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

    #[test]
    fn nmc_counts_the_three_years_before_renewal_and_participatory_hours() {
        let reg = Registration {
            body: RegulatoryBody::Nmc,
            number: "12A".into(),
            renewal_date: Some(d("2027-03-31")),
        };
        let records = vec![
            record("2024-03-31", Some(10.0), RecordSource::Classroom), // the first day of the cycle is not in it
            record("2024-04-01", Some(6.0), RecordSource::Classroom),
            record("2025-01-10", Some(12.0), RecordSource::Elearning),
            record("2026-06-01", Some(15.0), RecordSource::Assessment),
            record("2026-07-01", None, RecordSource::Elearning),
        ];
        let s = summarise(&reg, &records, d("2026-11-23"));
        assert_eq!((s.from, s.to), (d("2024-03-31"), d("2027-03-31")));
        assert_eq!(
            (
                s.hours,
                s.participatory_hours,
                s.activities,
                s.activities_without_hours
            ),
            (33.0, 21.0, 4, 1)
        );
        assert!(!s.on_track(), "33 of 35 hours");
        let mut more = records.clone();
        more.push(record("2026-11-01", Some(2.0), RecordSource::Elearning));
        assert!(summarise(&reg, &more, d("2026-11-23")).on_track());
    }

    #[test]
    fn hcpc_names_gaps_of_three_months_or_more() {
        let reg = Registration {
            body: RegulatoryBody::Hcpc,
            number: "PH1".into(),
            renewal_date: None,
        };
        let records = vec![
            record("2025-01-15", Some(2.0), RecordSource::Classroom),
            record("2025-02-15", Some(2.0), RecordSource::Classroom),
            record("2025-09-01", Some(2.0), RecordSource::Classroom),
        ];
        let s = summarise(&reg, &records, d("2026-01-31"));
        assert_eq!(s.from, d("2024-01-31"));
        assert_eq!(
            s.gaps,
            vec![
                (d("2024-01-31"), d("2025-01-15")),
                (d("2025-02-15"), d("2025-09-01")),
                (d("2025-09-01"), d("2026-01-31"))
            ]
        );
        assert!(s.on_track(), "the HCPC sets no hours");
        let none = summarise(&reg, &[], d("2026-01-31"));
        assert!(
            none.hours.is_sign_positive() && none.participatory_hours.is_sign_positive(),
            "no -0 hours"
        );
    }

    #[test]
    fn gmc_is_the_last_year_against_fifty_hours_and_superseded_records_do_not_count() {
        let reg = Registration {
            body: RegulatoryBody::Gmc,
            number: "7012345".into(),
            renewal_date: Some(d("2029-01-01")),
        };
        let mut withdrawn = record("2026-05-01", Some(40.0), RecordSource::Elearning);
        withdrawn.superseded = Some(crate::model::Supersession {
            record_id: RecordId(1),
            replaced_by: None,
            reason: "entered twice".into(),
            recorded_at: chrono::Utc::now(),
        });
        let records = vec![
            withdrawn,
            record("2026-06-01", Some(30.0), RecordSource::Classroom),
        ];
        let s = summarise(&reg, &records, d("2026-11-23"));
        assert_eq!(
            (s.from, s.to, s.hours),
            (d("2025-11-23"), d("2026-11-23"), 30.0)
        );
        assert_eq!(s.hours_required, Some(50.0));
    }
}
