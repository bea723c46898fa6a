//! A person's status timeline: the same assessment evaluated at every date on which a status can change, with
//! equal neighbours merged. The roll-up index is built from it, so every date that can change a status must be here
//! (a property test compares the timeline with direct evaluation on random dates).

use super::PersonEngine;
use super::completion::expiry_chain;
use super::status::StatusSpan;
use crate::Date;
use crate::dates::{add_days, add_months, sub_days};
use crate::model::*;

impl PersonEngine<'_> {
    /// The person's status spans for every subject, over all time.
    pub fn timeline(&self) -> Vec<StatusSpan> {
        let mut spans = Vec::new();
        for subject in self.org.rules_by_subject.keys() {
            let dates = self.change_dates(subject);
            let mut open: Option<StatusSpan> = None;
            for d in dates {
                let now = self.status_at(subject, d);
                let same = match (&open, &now) {
                    (Some(span), Some((key, status))) => {
                        span.requirement == *key && span.status == *status
                    }
                    (None, None) => true,
                    _ => false,
                };
                if same {
                    continue;
                }
                if let Some(mut span) = open.take() {
                    span.to = Some(d);
                    spans.push(span);
                }
                open = now.map(|(requirement, status)| StatusSpan {
                    requirement,
                    from: d,
                    to: None,
                    status,
                });
            }
            spans.extend(open);
        }
        spans
    }

    /// Every date on which a subject's status may change, sorted and unique.
    pub(super) fn change_dates(&self, subject: &str) -> Vec<Date> {
        let mut dates = Vec::new();
        for p in &self.posts {
            dates.push(p.start);
            if let Some(e) = p.end {
                dates.push(add_days(e, 1));
            }
        }
        for e in self.exemptions.iter().filter(|e| e.subject == subject) {
            dates.push(e.from);
            if let Some(u) = e.until {
                dates.push(add_days(u, 1));
            }
        }
        dates.extend(self.org.policies.iter().map(|p| p.effective_from));
        let records = self
            .records_by_subject
            .get(subject)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        dates.extend(records.iter().map(|r| r.record.completed_on));
        let policy_days: Vec<Date> = std::iter::once(Date::MIN)
            .chain(self.org.policies.iter().map(|p| p.effective_from))
            .collect();
        for rule in self.org.rules_by_subject.get(subject).into_iter().flatten() {
            dates.push(rule.effective_from);
            dates.extend(rule.effective_to);
            // A transition's end turns those it kept due overdue.
            dates.extend(rule.transition_ends);
            for p in self.posts.iter().filter(|p| rule.applies_to.matches(p)) {
                dates.push(add_days(p.start, rule.new_starter_days + 1));
            }
            match rule.kind {
                RuleKind::Completion { refresher_months } => {
                    // Expiries depend on which records count, which depends on the acceptance policy in force.
                    for &policy_day in &policy_days {
                        let counting =
                            self.counting(rule, records, Date::MAX, policy_day, &mut None);
                        for (_, expiry, _) in expiry_chain(rule, refresher_months, &counting) {
                            dates.push(expiry);
                            dates.push(sub_days(expiry, rule.warning_days));
                        }
                    }
                }
                RuleKind::Hours { window_months, .. } => {
                    for r in records {
                        let leaves = add_months(r.record.completed_on, window_months);
                        dates.push(leaves);
                        dates.push(sub_days(leaves, rule.warning_days));
                    }
                }
            }
        }
        dates.sort_unstable();
        dates.dedup();
        dates
    }
}
