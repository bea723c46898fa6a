//! NMC revalidation, for nurses, midwives and nursing associates.
//!
//! Sources: NMC, "Revalidation: how to revalidate with the NMC" (https://www.nmc.org.uk/revalidation/), and
//! "Find out your revalidation date" (https://www.nmc.org.uk/revalidation/online-application/revalidation-date/):
//! - every 3 years; the renewal date is the last day of the month the registration expires, and the application is
//!   due on the first day of that month; the NMC sends a reminder, and the application opens, 60 days before it;
//! - 450 practice hours in the 3 years (900 for someone renewing as both a nurse and a midwife, or a nurse and a
//!   nursing associate);
//! - 35 hours of CPD, at least 20 of them participatory;
//! - 5 pieces of practice-related feedback; 5 written reflective accounts; a reflective discussion with another
//!   NMC registrant covering them;
//! - a health and character declaration and a professional indemnity arrangement;
//! - confirmation by a confirmer, in the final 12 months of the 3 years.

use super::Evidence;
use super::{
    Check, EvidenceKind, Items, Revalidation, count_check, cycle_end, hours_text, months_before,
    renewal_check,
};
use crate::Date;
use crate::dates::{add_days, sub_days};
use crate::model::{RecordFact, Registration};
use chrono::Datelike;

const PRACTICE_HOURS: f64 = 450.0;
const CPD_HOURS: f64 = 35.0;
const PARTICIPATORY_HOURS: f64 = 20.0;
/// The NMC opens the application, and reminds, this many days before the application date.
const REMINDER_DAYS: u32 = 60;

/// The application date for a renewal date: the first day of its month.
pub fn application_date(renewal: Date) -> Date {
    renewal.with_day(1).unwrap_or(renewal)
}

pub(super) fn summarise(
    reg: &Registration,
    records: &[RecordFact],
    evidence: &[Evidence],
    today: Date,
) -> Revalidation {
    let to = cycle_end(reg, today);
    let from = months_before(to, 36);
    let items = Items::new(reg, records, evidence, from, to, today);
    let practice = items.hours_of(EvidenceKind::PracticeHours);
    let mut checks = vec![renewal_check(reg, today, "Renewal date")];
    checks.push(Check {
        item: "Practice hours".to_owned(),
        needed: format!("{} hours in the 3 years", hours_text(PRACTICE_HOURS)),
        have: format!("{} hours recorded", hours_text(practice)),
        met: practice >= PRACTICE_HOURS,
        evidence: Some(EvidenceKind::PracticeHours),
        detail: Some(
            "900 hours if you renew as both a nurse and a midwife, or a nurse and a nursing associate.".to_owned(),
        ),
    });
    let cpd = items.tally(from, to);
    checks.push(Check {
        item: "CPD".to_owned(),
        needed: format!("{} hours in the 3 years", hours_text(CPD_HOURS)),
        have: format!("{} hours", hours_text(cpd.hours)),
        met: cpd.hours >= CPD_HOURS,
        evidence: Some(EvidenceKind::CpdActivity),
        detail: Some("Your training records count, and CPD activities you record here.".to_owned()),
    });
    checks.push(Check {
        item: "Participatory CPD".to_owned(),
        needed: format!(
            "{} of the CPD hours learning with others",
            hours_text(PARTICIPATORY_HOURS)
        ),
        have: format!("{} hours", hours_text(cpd.participatory_hours)),
        met: cpd.participatory_hours >= PARTICIPATORY_HOURS,
        evidence: Some(EvidenceKind::CpdActivity),
        detail: Some(
            "Classroom sessions and assessments count as participatory, and CPD activities you mark as done with others."
                .to_owned(),
        ),
    });
    checks.push(count_check(
        &items,
        EvidenceKind::PracticeFeedback,
        5,
        "5 pieces in the 3 years",
    ));
    checks.push(count_check(
        &items,
        EvidenceKind::ReflectiveAccount,
        5,
        "5 in the 3 years",
    ));
    checks.push(count_check(
        &items,
        EvidenceKind::ReflectiveDiscussion,
        1,
        "1, with another NMC registrant, covering your 5 reflective accounts",
    ));
    checks.push(count_check(
        &items,
        EvidenceKind::HealthCharacter,
        1,
        "a declaration",
    ));
    checks.push(count_check(
        &items,
        EvidenceKind::Indemnity,
        1,
        "a declaration of your arrangement",
    ));
    // Confirmation counts only in the final 12 months before the renewal date, so it is recent.
    let final_year = months_before(to, 12);
    let confirmed = items
        .of(EvidenceKind::Confirmation)
        .filter(|e| e.on > final_year)
        .count();
    checks.push(Check {
        item: EvidenceKind::Confirmation.label().to_owned(),
        needed: "by a confirmer, in the 12 months before the renewal date".to_owned(),
        have: match (confirmed, items.count(EvidenceKind::Confirmation)) {
            (0, 0) => "none recorded".to_owned(),
            (0, _) => "recorded, but earlier than the final 12 months".to_owned(),
            _ => "recorded".to_owned(),
        },
        met: confirmed > 0,
        evidence: Some(EvidenceKind::Confirmation),
        detail: Some(format!(
            "Confirmations from {} count.",
            add_days(final_year, 1)
        )),
    });

    let mut out = items.summary(reg, from, to, checks);
    out.cpd.target_hours = Some(CPD_HOURS);
    out.cpd.target_participatory = Some(PARTICIPATORY_HOURS);
    out.cpd.target_by = Some("required by the NMC".to_owned());
    out.standard = "NMC: every 3 years, 450 practice hours, 35 hours of CPD (20 participatory), 5 pieces of \
                    feedback, 5 reflective accounts, a reflective discussion, health and character and indemnity \
                    declarations, and confirmation"
        .to_owned();
    if let Some(renewal) = reg.renewal_date {
        let due = application_date(renewal);
        let opens = sub_days(due, REMINDER_DAYS);
        out.application_date = Some(due);
        out.application_opens = Some(opens);
        out.reminder = reminder(today, renewal, due, opens);
    }
    out.notes.push(
        "The NMC does not take evidence with the application: you confirm each requirement online and keep your \
         portfolio, which the NMC may ask to see."
            .to_owned(),
    );
    out
}

fn reminder(today: Date, renewal: Date, due: Date, opens: Date) -> Option<String> {
    if renewal < today {
        Some(format!(
            "The renewal date on the staff record, {renewal}, has passed: ask for it to be updated."
        ))
    } else if today > due {
        Some(format!(
            "The application date, {due}, has passed: apply now. Your registration ends after {renewal} unless the \
             NMC has your application."
        ))
    } else if today >= opens {
        let days = (due - today).num_days();
        Some(format!(
            "Your application is open: apply on NMC Online by {due} ({days} day{} left).",
            if days == 1 { "" } else { "s" }
        ))
    } else {
        None
    }
}
