//! GMC revalidation, for doctors.
//!
//! Sources: GMC, "Guidance on supporting information for appraisal and revalidation" (2018,
//! https://www.gmc-uk.org/registration-and-licensing/managing-your-registration/revalidation), and the Academy of
//! Medical Royal Colleges' CPD guidance:
//! - a doctor's licence is revalidated every 5 years, on the recommendation of their responsible officer, after an
//!   appraisal every year;
//! - six types of supporting information are discussed at appraisal at least once in each 5-year cycle: CPD, quality
//!   improvement activity, significant events, feedback from colleagues, feedback from patients, and a review of
//!   compliments and complaints;
//! - the GMC sets no minimum CPD hours; the royal colleges recommend at least 50 credits (hours) a year. Lantern
//!   shows that as their recommendation and never as a shortfall.

use super::{
    Check, Evidence, EvidenceKind, Items, Revalidation, cycle_end, hours_text, months_before,
    renewal_check,
};
use crate::Date;
use crate::dates::add_months;
use crate::model::{RecordFact, Registration};

/// The royal colleges' recommendation, not a GMC requirement.
const RECOMMENDED_HOURS_A_YEAR: f64 = 50.0;

pub(super) fn summarise(
    reg: &Registration,
    records: &[RecordFact],
    evidence: &[Evidence],
    today: Date,
) -> Revalidation {
    let to = cycle_end(reg, today);
    let from = months_before(to, 60);
    let cycle = Items::new(reg, records, evidence, from, to, today);
    let mut checks = vec![renewal_check(reg, today, "Revalidation date")];
    checks.push(appraisals(&cycle, from, today));
    checks.push(Check {
        item: "Continuing professional development".to_owned(),
        needed: "at least once in the 5-year cycle, across your whole scope of practice".to_owned(),
        have: match cycle.activities() {
            0 => "none recorded".to_owned(),
            1 => "1 activity".to_owned(),
            n => format!("{n} activities"),
        },
        met: cycle.activities() > 0,
        evidence: Some(EvidenceKind::CpdActivity),
        detail: Some("Your training records count, and CPD activities you record here.".to_owned()),
    });
    for (kind, detail) in [
        (EvidenceKind::QualityImprovement, None),
        (
            EvidenceKind::SignificantEvents,
            Some("If there were none, record that there were none."),
        ),
        (EvidenceKind::ColleagueFeedback, None),
        (EvidenceKind::PatientFeedback, None),
        (
            EvidenceKind::ComplimentsComplaints,
            Some("If there were none, record that there were none."),
        ),
    ] {
        let mut c = super::count_check(&cycle, kind, 1, "at least once in the 5-year cycle");
        c.detail = detail.map(str::to_owned);
        checks.push(c);
    }

    let mut out = cycle.summary(reg, from, to, checks);
    // CPD hours are shown for the last year, against the colleges' recommendation: informative, never a check.
    let year_from = months_before(today, 12);
    let year = Items::new(reg, records, evidence, year_from, today, today);
    out.cpd = year.tally(year_from, today);
    out.cpd.target_hours = Some(RECOMMENDED_HOURS_A_YEAR);
    out.cpd.target_by =
        Some("a year, recommended by the royal colleges; not a GMC requirement".to_owned());
    out.standard = "GMC: revalidation every 5 years on your responsible officer's recommendation, after an annual \
                    appraisal, with the six types of supporting information in each cycle"
        .to_owned();
    out.notes.push(format!(
        "The GMC sets no minimum CPD hours. The royal colleges recommend {} credits (hours) a year; you have {} in \
         the last 12 months. That is their recommendation, not a GMC requirement, so it never makes you \"not on \
         track\".",
        hours_text(RECOMMENDED_HOURS_A_YEAR),
        hours_text(out.cpd.hours)
    ));
    out.notes.push(
        "Your responsible officer makes the recommendation to the GMC; Lantern only shows what is recorded here."
            .to_owned(),
    );
    out
}

/// An appraisal in every appraisal year of the cycle that has ended, and a word on the current one.
fn appraisals(cycle: &Items<'_>, from: Date, today: Date) -> Check {
    // Appraisal year i runs after `from + 12 i months` up to and including `from + 12 (i + 1) months`.
    let years: Vec<(Date, Date)> = (0..5)
        .map(|i| (add_months(from, 12 * i), add_months(from, 12 * (i + 1))))
        .collect();
    let has = |(start, end): (Date, Date)| {
        cycle
            .of(EvidenceKind::Appraisal)
            .any(|e| e.on > start && e.on <= end)
    };
    let ended: Vec<(Date, Date)> = years.iter().copied().filter(|y| y.1 < today).collect();
    let missing: Vec<(Date, Date)> = ended.iter().copied().filter(|y| !has(*y)).collect();
    let current = years.iter().copied().find(|y| y.0 < today && today <= y.1);
    let detail = match current {
        Some(y) if has(y) => format!("This appraisal year, to {}, has its appraisal.", y.1),
        Some(y) => format!(
            "This appraisal year runs to {}: it needs an appraisal.",
            y.1
        ),
        None => String::new(),
    };
    let missing_text = missing
        .iter()
        .map(|y| format!("the year to {}", y.1))
        .collect::<Vec<_>>()
        .join(", ");
    Check {
        item: EvidenceKind::Appraisal.label().to_owned(),
        needed: "one in every appraisal year of the cycle".to_owned(),
        have: if ended.is_empty() {
            "no appraisal year has ended yet".to_owned()
        } else {
            format!(
                "{} of the {} years ended so far",
                ended.len() - missing.len(),
                ended.len()
            )
        },
        met: missing.is_empty(),
        evidence: Some(EvidenceKind::Appraisal),
        detail: Some(if missing.is_empty() {
            detail
        } else {
            format!("No appraisal recorded for {missing_text}. {detail}")
        }),
    }
}
