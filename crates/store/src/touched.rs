//! What a write changed (`Touched`: the organisations and people it touched and when its facts were recorded, for
//! data versions, the change log and "as known at" questions) and a batch's organisations by code (`OrgCodes`).

use lantern_domain::*;
use std::collections::BTreeSet;

/// What a batch changed, for the organisations' data versions and the change log behind incremental roll-ups.
///
/// It is made with the instant the write records ([`Touched::at`]) and told of any other `recorded_at` it writes
/// ([`Touched::recorded`]), so each data version is stored with when its facts were recorded (`data_version_times`):
/// that is how a question "as known at T" finds the data version Lantern had then. There is deliberately no
/// `Default`: a write that forgot its instants would make those answers wrong.
pub(crate) struct Touched {
    /// The earliest and latest `recorded_at` the write stores, in microseconds since 1970.
    recorded: (i64, i64),
    /// Organisations changed as a whole: their units, rules, policies or settings.
    whole: BTreeSet<i64>,
    /// (organisation, person) pairs whose posts, records or exemptions changed.
    people: BTreeSet<(i64, i64)>,
    /// Organisations whose posts or units changed, so their head counts need recounting.
    pub(crate) recount: BTreeSet<i64>,
}

impl Touched {
    /// Nothing touched yet, by a write recording its facts at `now`.
    pub(crate) fn at(now: Timestamp) -> Self {
        use crate::read_model::durable::{micros_down, micros_up};
        Touched {
            recorded: (micros_down(now), micros_up(now)),
            whole: BTreeSet::new(),
            people: BTreeSet::new(),
            recount: BTreeSet::new(),
        }
    }

    /// The write also stores a fact recorded at `at` (a record imported with its own `recorded_at`).
    pub(crate) fn recorded(&mut self, at: Timestamp) {
        use crate::read_model::durable::{micros_down, micros_up};
        self.recorded = (
            self.recorded.0.min(micros_down(at)),
            self.recorded.1.max(micros_up(at)),
        );
    }

    /// The earliest and latest `recorded_at` the write stores, in microseconds since 1970.
    pub(crate) fn recorded_span(&self) -> (i64, i64) {
        self.recorded
    }

    pub(crate) fn org(&mut self, org: i64) {
        self.whole.insert(org);
    }

    pub(crate) fn person(&mut self, org: i64, person: i64) {
        self.people.insert((org, person));
    }

    /// A post or unit of the organisation was written: its head counts change.
    pub(crate) fn post_or_unit(&mut self, org: i64) {
        self.recount.insert(org);
    }

    pub(crate) fn orgs(&self) -> BTreeSet<i64> {
        self.whole
            .iter()
            .copied()
            .chain(self.people.iter().map(|(o, _)| *o))
            .collect()
    }

    /// Change-log rows: (org, None) for a whole organisation, else (org, Some(person)).
    pub(crate) fn rows(&self) -> impl Iterator<Item = (i64, Option<i64>)> + '_ {
        self.whole.iter().map(|o| (*o, None)).chain(
            self.people
                .iter()
                .filter(|(o, _)| !self.whole.contains(o))
                .map(|(o, p)| (*o, Some(*p))),
        )
    }
}

/// A batch's organisations by ODS code, and the one organisation it is confined to, if any.
pub(crate) struct OrgCodes<'a> {
    pub(crate) ids: std::collections::HashMap<String, i64>,
    pub(crate) only: Option<&'a str>,
}

impl OrgCodes<'_> {
    /// The organisation a row names in `field`, or a problem: unknown, or not the one the batch is confined to.
    pub(crate) fn id(
        &self,
        code: &str,
        line: usize,
        field: &str,
        problems: &mut Vec<crate::BatchProblem>,
    ) -> Option<i64> {
        let problem = |message: String| crate::BatchProblem {
            line,
            field: field.to_owned(),
            message,
        };
        if let Some(only) = self.only.filter(|o| *o != code) {
            problems.push(problem(format!(
                "{code:?} is another organisation: this import is for {only} only"
            )));
            return None;
        }
        let id = self.ids.get(code).copied();
        if id.is_none() {
            problems.push(problem(format!("no organisation with ODS code {code:?}")));
        }
        id
    }

    /// The organisation's id, without judging the row.
    pub(crate) fn get(&self, code: &str) -> Option<i64> {
        self.ids.get(code).copied()
    }
}
