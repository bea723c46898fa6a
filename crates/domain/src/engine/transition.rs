//! How a person came to be required to do something: the span of service a new starter's deadline counts from (a
//! long enough break makes a returning person a new starter again), the day a requirement began to apply to them,
//! and a rule version's transition, which keeps someone the version made overdue due by its last day instead.
//!
//! "The version made them overdue" means: under it they are Missing or Expired on the date asked about, while on the
//! day before it took effect they were in post and not overdue for that subject (it did not apply to them, or their
//! record still counted under the version before). Someone already overdue then stays overdue; someone who starts
//! after the version took effect has the new-starter deadline, not the transition.

use super::PersonEngine;
use super::status::TransitionRef;
use crate::Date;
use crate::dates::{add_days, sub_days};
use crate::model::*;

impl<'a> PersonEngine<'a> {
    /// The transition that applies to `rule` on `d` for this person, if one does (see the module's words).
    pub(super) fn transition(&self, rule: &Rule, d: Date) -> Option<TransitionRef> {
        let ends = rule
            .transition_ends
            .filter(|&t| rule.effective_from <= d && d < t && rule.effective_from > Date::MIN)?;
        let before = sub_days(rule.effective_from, 1);
        if !self.posts.iter().any(|p| p.active_on(before)) {
            return None;
        }
        // The day before is assessed under the versions in force then, so a chain of changes each with its own
        // transition is judged one step at a time.
        let then = self.assess_subject(&rule.subject, before, false);
        if then.as_ref().is_some_and(|a| a.status.is_overdue()) {
            return None;
        }
        Some(TransitionRef {
            rule_id: rule.id,
            framework: rule.framework.clone(),
            framework_version: rule.framework_version.clone(),
            effective_from: rule.effective_from,
            until: sub_days(ends, 1),
            new_requirement: then.is_none(),
        })
    }

    /// The first day of the continuous span, up to `d`, in which some rule of `subject` applied to this person, with
    /// the rule that applied on that day. Whether a rule applies changes only on the dates the timeline visits.
    pub(super) fn required_since(&self, subject: &str, d: Date) -> Option<(Date, &'a Rule)> {
        self.applicable(subject, d)?;
        let mut since = d;
        for c in self
            .change_dates(subject)
            .into_iter()
            .rev()
            .filter(|&c| c <= d)
        {
            since = c;
            if c == Date::MIN || self.applicable(subject, sub_days(c, 1)).is_none() {
                break;
            }
        }
        self.applicable(subject, since)
            .map(|(rule, _)| (since, rule))
    }

    /// The first day of the person's latest continuous service in the organisation that began on or before `d`:
    /// posts are one service unless a break between them (days with no post) lasts at least the organisation's
    /// re-hire break.
    pub(super) fn service_start(&self, d: Date) -> Date {
        let mut posts: Vec<&Post> = self
            .posts
            .iter()
            .copied()
            .filter(|p| p.start <= d)
            .collect();
        posts.sort_by_key(|p| p.start);
        let mut start = Date::MIN;
        // The last day of service so far; None while a post is open-ended.
        let mut last: Option<Option<Date>> = None;
        for p in posts {
            let continues = match last {
                None => false,
                Some(None) => true,
                Some(Some(end)) => p.start < add_days(end, self.org.rehire_break_days + 1),
            };
            if continues {
                last = Some(match (last.flatten(), p.end) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                });
            } else {
                start = p.start;
                last = Some(p.end);
            }
        }
        start
    }
}
