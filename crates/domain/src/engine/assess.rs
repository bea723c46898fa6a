//! Assessing one rule for one person on one date: which rule of a subject applies, which records count, the rule
//! kind's own test (`completion`, `hours`), and the status precedence (exempt, in date, pending, expired, missing)
//! with its explanation. `explain_at` and `timeline` both come here, so they cannot disagree.

use super::status::*;
use super::wording::{not_counted_detail, summarise};
use super::{PersonEngine, completion, hours};
use crate::Date;
use crate::dates::add_days;
use crate::model::*;

/// Records that did not count, with why; collected only when an explanation is being built.
pub(super) type Rejected<'a> = Option<Vec<(&'a RecordFact, NotCountedReason)>>;

/// What a rule kind's own test found on a date.
pub(super) struct KindOutcome {
    /// Some((due, warning)) when in date: the first day it no longer holds, and whether the warning has begun.
    pub in_date: Option<(Date, bool)>,
    /// Whether a record ever counted (for an hours rule, one with hours): Expired rather than Missing.
    pub ever_counted: bool,
    /// When the latest counting record lapsed (completion rules).
    pub lapsed_on: Option<Date>,
    pub used: Vec<UsedRecord>,
    pub hours: Option<HoursTally>,
}

/// The result of assessing one rule on one date; explanations are only built when asked for.
pub(super) struct Assessment<'a> {
    pub rule: &'a Rule,
    pub status: Status,
    pub due_on: Option<Date>,
    pub detail: Option<Explanation>,
}

impl<'a> PersonEngine<'a> {
    /// Which rule of `subject` applies on `d` (the highest level among rules in force whose predicate matches an
    /// active post), and its assessment.
    pub(super) fn assess_subject(
        &self,
        subject: &str,
        d: Date,
        explain: bool,
    ) -> Option<Assessment<'a>> {
        let (rule, active) = self.applicable(subject, d)?;
        Some(self.assess(rule, &active, d, explain))
    }

    /// The rule of `subject` that applies on `d`, with the posts active then; None when none does.
    pub(super) fn applicable(&self, subject: &str, d: Date) -> Option<(&'a Rule, Vec<&'a Post>)> {
        let rules = self.org.rules_by_subject.get(subject)?;
        let active: Vec<&Post> = self
            .posts
            .iter()
            .copied()
            .filter(|p| p.active_on(d))
            .collect();
        if active.is_empty() {
            return None;
        }
        // Development competencies and retired versions count nowhere: only requirements are assessed. A retired
        // version still ends the version before it (`history::rule_versions`), so nothing of its level applies.
        let rule = rules
            .iter()
            .filter(|r| {
                r.is_requirement()
                    && r.in_force_on(d)
                    && active.iter().any(|p| r.applies_to.matches(p))
            })
            .max_by_key(|r| (r.level, r.effective_from, r.id))?;
        Some((rule, active))
    }

    /// Records of the rule's subject that count on `d`, judged against the policy in force on `policy_day`.
    /// Rejected records are reported into `rejected` when it is Some.
    pub(super) fn counting(
        &self,
        rule: &Rule,
        records: &[&'a RecordFact],
        d: Date,
        policy_day: Date,
        rejected: &mut Rejected<'a>,
    ) -> Vec<&'a RecordFact> {
        let k = self.org.known_at;
        let mut out = Vec::with_capacity(records.len());
        for &fact in records {
            let r = &fact.record;
            let reason = if r.completed_on > d {
                Some(NotCountedReason::CompletedAfterDate)
            } else if fact
                .superseded
                .as_ref()
                .is_some_and(|s| k.is_none_or(|k| s.recorded_at <= k))
            {
                Some(NotCountedReason::Superseded)
            } else if r.level < rule.level {
                Some(NotCountedReason::LowerLevel)
            } else if !self.org.accepts(r, policy_day) {
                Some(NotCountedReason::ProviderNotAccepted)
            } else {
                None
            };
            match (reason, rejected.as_mut()) {
                (None, _) => out.push(fact),
                // Records completed after the date are not worth listing.
                (Some(NotCountedReason::CompletedAfterDate), _) => {}
                (Some(reason), Some(list)) => list.push((fact, reason)),
                (Some(_), None) => {}
            }
        }
        out
    }

    fn assess(
        &self,
        rule: &'a Rule,
        active: &[&'a Post],
        d: Date,
        explain: bool,
    ) -> Assessment<'a> {
        let records = self
            .records_by_subject
            .get(rule.subject.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut rejected = explain.then(Vec::new);
        let counting = self.counting(rule, records, d, d, &mut rejected);

        let exemption = self
            .exemptions
            .iter()
            .find(|e| e.subject == rule.subject && e.covers(d));

        // The outcome of the rule's own test.
        let KindOutcome {
            in_date,
            ever_counted,
            lapsed_on,
            used,
            hours: hours_tally,
        } = match rule.kind {
            RuleKind::Completion { refresher_months } => {
                completion::outcome(rule, refresher_months, &counting, d, explain, &mut rejected)
            }
            RuleKind::Hours {
                hours,
                window_months,
                ..
            } => hours::outcome(
                rule,
                hours,
                window_months,
                &counting,
                d,
                explain,
                &mut rejected,
            ),
        };

        // A new starter's deadline counts from their first post the rule applies to in their latest continuous
        // service: a break of the organisation's re-hire length makes a returning person a new starter again.
        let service_start = self.service_start(d);
        let deadline = self
            .posts
            .iter()
            .filter(|p| service_start <= p.start && p.start <= d && rule.applies_to.matches(p))
            .map(|p| p.start)
            .min()
            .map(|start| add_days(start, rule.new_starter_days));

        let (status, due_on) = if exemption.is_some() {
            (Status::Exempt, exemption.and_then(|e| e.until))
        } else if let Some((due, warning)) = in_date {
            (
                if warning {
                    Status::Expiring
                } else {
                    Status::Compliant
                },
                Some(due),
            )
        } else if let Some(deadline) = deadline.filter(|dl| d <= *dl) {
            (Status::Pending, Some(deadline))
        } else if ever_counted {
            (Status::Expired, lapsed_on)
        } else {
            (Status::Missing, None)
        };
        // A version with a transition does not make overdue on its first day someone it found in date.
        let transition = if status.is_overdue() {
            self.transition(rule, d)
        } else {
            None
        };
        let (status, due_on) = match &transition {
            Some(t) => (Status::Pending, Some(t.until)),
            None => (status, due_on),
        };
        // For an hours rule, the due date is the first day a record leaves the window only if that makes it short.
        let due_on = match (rule.kind.clone(), status) {
            (RuleKind::Hours { .. }, Status::Compliant) => None,
            _ => due_on,
        };

        let detail = explain.then(|| {
            let applying_posts = active
                .iter()
                .filter(|p| rule.applies_to.matches(p))
                .map(|p| PostRef {
                    post_id: p.id,
                    assignment_number: p.assignment_number.clone(),
                    job_role: p.job_role.clone(),
                    start: p.start,
                })
                .collect();
            let not_counted = rejected
                .unwrap_or_default()
                .into_iter()
                .map(|(fact, reason)| NotCounted {
                    record: record_ref(&fact.record),
                    reason,
                    detail: not_counted_detail(fact, reason, rule),
                })
                .collect();
            let exemption = exemption.map(|e| ExemptionRef {
                exemption_id: e.id,
                reason: e.reason.clone(),
                until: e.until,
                approved_by: e.approved_by.clone(),
            });
            let mut explanation = Explanation {
                summary: String::new(),
                rule: rule_ref(rule),
                applies_to: rule.applies_to.describe(),
                applying_posts,
                used,
                hours: hours_tally,
                due_on,
                exemption,
                not_counted,
                required_since: None,
                required_by: None,
                transition,
            };
            if let Some((since, by)) = self.required_since(&rule.subject, d) {
                explanation.required_since = Some(since);
                explanation.required_by =
                    Some(format!("{} {}", by.framework, by.framework_version));
            }
            explanation.summary = summarise(status, &explanation, deadline, d);
            explanation
        });
        Assessment {
            rule,
            status,
            due_on,
            detail,
        }
    }
}
