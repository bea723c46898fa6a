//! The explainable compliance engine.
//!
//! Semantics are those of `docs/compliance.md`: which requirements apply to a person in an organisation
//! on a date, which records count, the status of each (first match wins: exempt, compliant/expiring, pending, expired,
//! missing), and an explanation for every status. `known_at` answers "what would Lantern have shown then".
//!
//! Two entry points share one assessment function, so they cannot disagree:
//! - [`PersonEngine::explain_at`] gives every applicable requirement on a date with its explanation;
//! - [`PersonEngine::timeline`] gives the person's status spans over all time, for the roll-up index. It evaluates the
//!   same assessment at every date where a status can change (post starts and ends, rule dates, completions, warning
//!   starts, expiries, window exits, deadlines, exemptions, policy changes) and merges equal neighbours.
//!
//! Modules: `status` (the answer's types), `assess` (one rule on one date, and the status precedence), `completion`
//! and `hours` (each rule kind's own test), `transition` (re-hired staff, when a requirement began to apply, and a
//! rule version's transition), `timeline` (status spans over time) and `wording` (every sentence the engine
//! writes).

mod assess;
mod completion;
mod hours;
mod status;
mod timeline;
mod transition;
mod wording;

pub use status::*;
pub use wording::describe_kind;

use crate::history;
use crate::model::*;
use crate::{Date, OrgId, Timestamp};
use std::collections::BTreeMap;

/// An organisation's rules and policies as known at `known_at`, ready to assess its people.
pub struct OrgEngine<'a> {
    org_id: OrgId,
    /// Rule versions known at `known_at`, grouped by subject, each with its derived end (`history::rule_versions`).
    rules_by_subject: BTreeMap<Subject, Vec<Rule>>,
    policies: Vec<&'a AcceptancePolicy>,
    known_at: Option<Timestamp>,
    /// A break in service of at least this many days makes a returning person a new starter again.
    rehire_break_days: u32,
}

/// The facts about one person that matter to one organisation.
#[derive(Clone, Copy)]
pub struct PersonFacts<'a> {
    /// The person's posts in this organisation, every recorded version (other organisations' posts are ignored).
    pub posts: &'a [Post],
    /// All the person's records: records follow the person between employers.
    pub records: &'a [RecordFact],
    pub exemptions: &'a [Exemption],
}

impl<'a> OrgEngine<'a> {
    pub fn new(
        org_id: OrgId,
        rules: &'a [Rule],
        policies: &'a [AcceptancePolicy],
        known_at: Option<Timestamp>,
    ) -> Self {
        let mut rules_by_subject: BTreeMap<Subject, Vec<Rule>> = BTreeMap::new();
        for rule in history::rule_versions(rules, known_at)
            .into_iter()
            .filter(|r| r.org_id == org_id)
        {
            rules_by_subject
                .entry(rule.subject.clone())
                .or_default()
                .push(rule);
        }
        let mut policies: Vec<_> = policies
            .iter()
            .filter(|p| p.org_id == org_id && history::known(p.created_at, known_at))
            .collect();
        policies.sort_by_key(|p| (p.effective_from, p.created_at));
        OrgEngine {
            org_id,
            rules_by_subject,
            policies,
            known_at,
            rehire_break_days: DEFAULT_REHIRE_BREAK_DAYS,
        }
    }

    /// The organisation's re-hire break as known at `known_at` (the default, `DEFAULT_REHIRE_BREAK_DAYS`, unless set).
    pub fn with_rehire_break_days(mut self, days: u32) -> Self {
        self.rehire_break_days = days.max(1);
        self
    }

    pub fn known_at(&self) -> Option<Timestamp> {
        self.known_at
    }

    /// Prepares one person for assessment.
    pub fn person(&'a self, facts: PersonFacts<'a>) -> PersonEngine<'a> {
        let known = |t: Timestamp| history::known(t, self.known_at);
        let posts: Vec<&Post> = history::posts(facts.posts, self.known_at)
            .into_iter()
            .filter(|p| p.org_id == self.org_id)
            .collect();
        let mut records_by_subject: BTreeMap<&str, Vec<&RecordFact>> = BTreeMap::new();
        // A record Lantern had not recorded at `known_at` is not part of that answer at all: the answer is the one
        // Lantern gave then.
        for r in facts.records.iter().filter(|r| known(r.record.recorded_at)) {
            records_by_subject
                .entry(r.record.subject.as_str())
                .or_default()
                .push(r);
        }
        for list in records_by_subject.values_mut() {
            list.sort_by_key(|r| (r.record.completed_on, r.record.recorded_at, r.record.id));
        }
        let exemptions = facts
            .exemptions
            .iter()
            .filter(|e| e.org_id == self.org_id && known(e.recorded_at))
            .map(|e| e.as_known(known))
            .collect();
        PersonEngine {
            org: self,
            posts,
            records_by_subject,
            exemptions,
        }
    }

    fn accepted_on(&self, d: Date) -> Option<&'a AcceptancePolicy> {
        self.policies
            .iter()
            .rev()
            .find(|p| p.effective_from <= d)
            .copied()
    }

    fn accepts(&self, record: &TrainingRecord, d: Date) -> bool {
        if record.provider_org_id == Some(self.org_id) {
            return true; // an organisation always accepts the training it delivered itself
        }
        match self.accepted_on(d) {
            Some(p) => p.accepted.contains(&record.provider_type),
            None => DEFAULT_ACCEPTED_PROVIDERS.contains(&record.provider_type),
        }
    }
}

/// One person, ready to be assessed on any date.
pub struct PersonEngine<'a> {
    org: &'a OrgEngine<'a>,
    posts: Vec<&'a Post>,
    records_by_subject: BTreeMap<&'a str, Vec<&'a RecordFact>>,
    /// As known at the time asked about (an end recorded later does not shorten one).
    exemptions: Vec<Exemption>,
}

impl<'a> PersonEngine<'a> {
    /// Every requirement that applies on `d`, with status and explanation, worst first.
    pub fn explain_at(&self, d: Date) -> Vec<RequirementStatus> {
        let mut out: Vec<RequirementStatus> = self
            .org
            .rules_by_subject
            .keys()
            .filter_map(|subject| self.assess_subject(subject, d, true))
            .map(|a| {
                let explanation = a.detail.expect("explanations are built when asked for");
                RequirementStatus {
                    subject: a.rule.subject.clone(),
                    level: a.rule.level,
                    status: a.status,
                    due_on: a.due_on,
                    explanation,
                }
            })
            .collect();
        out.sort_by(|a, b| (a.status, a.due_on, &a.subject).cmp(&(b.status, b.due_on, &b.subject)));
        out
    }

    /// The status of one subject on `d`, without building an explanation. None when it does not apply.
    pub fn status_at(&self, subject: &str, d: Date) -> Option<(RequirementKey, Status)> {
        self.assess_subject(subject, d, false)
            .map(|a| (a.rule.requirement(), a.status))
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod wording_tests;
