//! A completion rule: one in-date completion, renewed every so many months (from the completion, or from the
//! previous expiry when renewed early).

use super::assess::{KindOutcome, Rejected};
use super::status::{NotCountedReason, UsedRecord, record_ref};
use crate::Date;
use crate::dates::{add_days, add_months, sub_days};
use crate::model::*;

/// The records of a completion rule in completion order, each with its expiry and whether it ran from the previous
/// record's expiry.
pub(super) fn expiry_chain<'r>(
    rule: &Rule,
    months: u32,
    counting: &[&'r RecordFact],
) -> Vec<(&'r RecordFact, Date, bool)> {
    let mut chain: Vec<(&'r RecordFact, Date, bool)> = Vec::with_capacity(counting.len());
    // Validity already earned never shrinks: a later (or duplicate) completion cannot shorten it.
    let mut best: Option<Date> = None;
    for &fact in counting {
        let done = fact.record.completed_on;
        // With "previous expiry", a renewal inside the warning window of any still-valid record runs from that
        // record's expiry (the latest such), so renewing early costs nothing.
        let early_from = if rule.renewal_base == RenewalBase::PreviousExpiry {
            chain
                .iter()
                .map(|(_, e, _)| *e)
                .filter(|&e| done < e && sub_days(e, rule.warning_days) <= done)
                .max()
        } else {
            None
        };
        let own = add_months(early_from.unwrap_or(done), months);
        let expiry = best.map_or(own, |b| b.max(own));
        best = Some(expiry);
        chain.push((fact, expiry, early_from.is_some()));
    }
    chain
}

/// A completion rule's own test on `d`: the latest counting record's expiry, and whether its warning has begun.
pub(super) fn outcome<'a>(
    rule: &Rule,
    refresher_months: u32,
    counting: &[&'a RecordFact],
    d: Date,
    explain: bool,
    rejected: &mut Rejected<'a>,
) -> KindOutcome {
    let chain = expiry_chain(rule, refresher_months, counting);
    let latest = chain.last().copied();
    let mut used = Vec::new();
    if explain {
        for &(fact, expiry, renewed) in chain.iter().rev().take(1) {
            used.push(UsedRecord {
                record: record_ref(&fact.record),
                expires_on: Some(expiry),
                renewed_from_previous_expiry: renewed,
            });
        }
        if let Some(list) = rejected.as_mut() {
            for &(fact, _, _) in chain.iter().rev().skip(1) {
                list.push((fact, NotCountedReason::OlderCompletion));
            }
        }
    }
    KindOutcome {
        in_date: latest.and_then(|(_, expiry, _)| {
            (d < expiry).then(|| (expiry, expiry <= add_days(d, rule.warning_days)))
        }),
        ever_counted: !counting.is_empty(),
        lapsed_on: latest.map(|(_, expiry, _)| expiry),
        used,
        hours: None,
    }
}
