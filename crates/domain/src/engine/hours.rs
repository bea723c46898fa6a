//! An hours rule: so many hours of learning within a rolling window (the safeguarding model of the Intercollegiate
//! Documents), with a participatory share where the rule asks for one.

use super::assess::{KindOutcome, Rejected};
use super::status::{HoursTally, NotCountedReason, UsedRecord, record_ref};
use crate::Date;
use crate::dates::{add_days, add_months, sub_days};
use crate::model::*;

/// The first day of the rolling window that ends on `d`: records completed on or after it count.
pub(super) fn window_start(d: Date, months: u32) -> Date {
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

/// An hours rule's own test on `d`: the hours in the window against those asked for, and the first day a record
/// leaving the window would leave too few.
pub(super) fn outcome<'a>(
    rule: &Rule,
    hours: f64,
    window_months: u32,
    counting: &[&'a RecordFact],
    d: Date,
    explain: bool,
    rejected: &mut Rejected<'a>,
) -> KindOutcome {
    let mut used = Vec::new();
    let mut hours_tally = None;
    let participatory_needed = rule.kind.participatory_hours();
    // Enough hours, and enough of them participatory where the rule asks for a share.
    let met = |all: f64, part: f64| all >= hours && participatory_needed.is_none_or(|n| part >= n);
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
    let ever_counted = counting.iter().any(|f| f.record.hours.unwrap_or(0.0) > 0.0);
    for &fact in counting {
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
            participatory_counted_at_warning_end: part_at_warning_end,
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
    let in_date = met(counted, part_counted).then(|| {
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
    });
    KindOutcome {
        in_date,
        ever_counted,
        lapsed_on: None,
        used,
        hours: hours_tally,
    }
}
