//! Roll-ups: counts per status and percentages for (unit, requirement) cells, on any as-at date.
//!
//! The index keeps, per cell and status, the sorted start days and end days of every person's spans. The number of
//! people with that status on day d is `#(starts <= d) - #(ends <= d)`: two binary searches. A dashboard therefore
//! costs O(cells x log n), not O(records), whatever the date (`shared/design/compliance-semantics.md`, "Speed").
//!
//! Units roll up through the hierarchy. A person with posts in two units counts in each, but only once at every level
//! above where the two meet, and once for the organisation as a whole.

use crate::dates::{add_days, day_number};
use crate::engine::{Status, StatusSpan};
use crate::model::{Post, RequirementKey, Unit};
use crate::{Date, PersonId, UnitId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// People per status in one cell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    pub compliant: u32,
    pub expiring: u32,
    pub expired: u32,
    pub missing: u32,
    pub pending: u32,
    pub exempt: u32,
}

impl Counts {
    pub fn add(&mut self, status: Status, n: u32) {
        *self.slot(status) += n;
    }

    pub fn get(&self, status: Status) -> u32 {
        match status {
            Status::Compliant => self.compliant,
            Status::Expiring => self.expiring,
            Status::Expired => self.expired,
            Status::Missing => self.missing,
            Status::Pending => self.pending,
            Status::Exempt => self.exempt,
        }
    }

    fn slot(&mut self, status: Status) -> &mut u32 {
        match status {
            Status::Compliant => &mut self.compliant,
            Status::Expiring => &mut self.expiring,
            Status::Expired => &mut self.expired,
            Status::Missing => &mut self.missing,
            Status::Pending => &mut self.pending,
            Status::Exempt => &mut self.exempt,
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        for s in Status::ALL {
            self.add(s, other.get(s));
        }
    }

    /// Everyone the requirement applies to.
    pub fn applicable(&self) -> u32 {
        Status::ALL.iter().map(|s| self.get(*s)).sum()
    }

    /// People the percentage is taken over: applicable less exempt and new starters still inside their deadline.
    pub fn denominator(&self) -> u32 {
        self.applicable() - self.exempt - self.pending
    }

    /// (compliant + expiring) / (applicable - exempt - pending), in percent; None ("n/a") when nobody is counted.
    pub fn percent(&self) -> Option<f64> {
        let den = self.denominator();
        (den > 0).then(|| 100.0 * f64::from(self.compliant + self.expiring) / f64::from(den))
    }

    /// People out of date: expired or missing.
    pub fn overdue(&self) -> u32 {
        self.expired + self.missing
    }
}

/// A node of the roll-up: a unit (with everything below it), or the whole organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Node {
    Org,
    Unit(UnitId),
}

/// An organisation's unit tree, for walking up from a unit.
#[derive(Clone, Debug, Default)]
pub struct Hierarchy {
    parent: HashMap<UnitId, Option<UnitId>>,
}

impl Hierarchy {
    pub fn new(units: &[Unit]) -> Self {
        Hierarchy {
            parent: units.iter().map(|u| (u.id, u.parent_id)).collect(),
        }
    }

    /// The unit itself, then its ancestors up to the root, then the organisation. Stops on a cycle.
    pub fn path(&self, unit: UnitId) -> Vec<Node> {
        let mut out = vec![Node::Unit(unit)];
        let mut cur = unit;
        while let Some(Some(p)) = self.parent.get(&cur) {
            if out.contains(&Node::Unit(*p)) {
                break;
            }
            out.push(Node::Unit(*p));
            cur = *p;
        }
        out.push(Node::Org);
        out
    }

    /// True when `unit` is `ancestor` or below it.
    pub fn is_within(&self, unit: UnitId, ancestor: UnitId) -> bool {
        self.path(unit).contains(&Node::Unit(ancestor))
    }
}

/// A multiset of day numbers that counts "how many are <= d" in O(log n) and takes insertions and removals after
/// the build without re-sorting the bulk: changes wait in two small sorted layers until they are worth merging.
#[derive(Clone, Debug, Default)]
struct Days {
    base: Vec<i32>,
    added: Vec<i32>,
    removed: Vec<i32>,
}

impl Days {
    fn at_or_before(&self, day: i32) -> usize {
        let le = |v: &Vec<i32>| v.partition_point(|&x| x <= day);
        (le(&self.base) + le(&self.added)).saturating_sub(le(&self.removed))
    }

    fn insert(&mut self, day: i32) {
        match self.removed.binary_search(&day) {
            Ok(i) => {
                self.removed.remove(i);
            }
            Err(_) => {
                let i = self.added.partition_point(|&x| x < day);
                self.added.insert(i, day);
            }
        }
        self.compact_if_large();
    }

    fn remove(&mut self, day: i32) {
        match self.added.binary_search(&day) {
            Ok(i) => {
                self.added.remove(i);
            }
            Err(_) => {
                let i = self.removed.partition_point(|&x| x < day);
                self.removed.insert(i, day);
            }
        }
        self.compact_if_large();
    }

    /// Merges the change layers into the bulk once they are a sizeable fraction of it, so both stay cheap.
    fn compact_if_large(&mut self) {
        if self.added.len() + self.removed.len() > 64.max(self.base.len() / 8) {
            self.compact();
        }
    }

    fn compact(&mut self) {
        let mut merged = Vec::with_capacity(self.base.len() + self.added.len());
        let (mut a, mut b) = (self.base.iter().peekable(), self.added.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&&x), Some(&&y)) if x <= y => a.next(),
                (Some(_), Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            merged.extend(next.copied());
        }
        // Remove one occurrence per removed day; both lists are sorted, so one pass does it.
        let mut out = Vec::with_capacity(merged.len());
        let mut removed = self.removed.iter().peekable();
        for x in merged {
            while removed.peek().is_some_and(|&&r| r < x) {
                removed.next();
            }
            if removed.peek() == Some(&&x) {
                removed.next();
            } else {
                out.push(x);
            }
        }
        out.shrink_to_fit();
        self.base = out;
        self.added.clear();
        self.removed.clear();
    }

    fn finish(&mut self) {
        self.base.sort_unstable();
        self.compact();
    }
}

/// One cell's people per status over time: status s holds on day d for `starts[s] <= d` minus `ends[s] <= d`.
#[derive(Clone, Debug, Default)]
struct Histogram {
    starts: [Days; 6],
    ends: [Days; 6],
}

impl Histogram {
    fn count(&self, day: i32) -> Counts {
        let mut c = Counts::default();
        for s in Status::ALL {
            let i = s.index();
            let started = self.starts[i].at_or_before(day);
            let ended = self.ends[i].at_or_before(day);
            c.add(s, u32::try_from(started.saturating_sub(ended)).unwrap_or(0));
        }
        c
    }
}

/// One person's statuses on a day, as [`RollupIndex::statuses_on`] gives them.
#[derive(Clone, Debug, PartialEq)]
pub struct PersonStatuses {
    pub person: PersonId,
    /// The unit of a post they hold that day.
    pub unit: Option<UnitId>,
    /// Per requirement, in the index's requirement order: the status and, when in date, the day it falls due.
    pub statuses: Vec<Option<(Status, Option<Date>)>>,
}

/// What one person put into the index, kept so that a change to them can be taken out again without rebuilding.
#[derive(Clone, Debug)]
struct Contribution {
    /// (unit, first day, first day after) of each post in the organisation.
    posts: Vec<(UnitId, i32, i32)>,
    /// (requirement index, status index, first day, first day after; i32::MAX when open).
    spans: Vec<(u16, u8, i32, i32)>,
}

/// Per (node, requirement) status histograms for one organisation.
///
/// Built in one pass with [`RollupIndex::builder`], then kept current person by person with
/// [`RollupIndex::replace_person`] as writes arrive, for as long as the unit tree stays the same.
#[derive(Clone, Debug, Default)]
pub struct RollupIndex {
    /// Requirement keys by index, in order of first appearance; `sorted` is the order to show them in.
    keys: Vec<RequirementKey>,
    sorted: Vec<RequirementKey>,
    requirement_ix: HashMap<RequirementKey, u16>,
    cells: HashMap<(Node, u16), Histogram>,
    people: HashMap<PersonId, Contribution>,
}

impl RollupIndex {
    pub fn builder(hierarchy: Hierarchy) -> RollupBuilder {
        RollupBuilder {
            hierarchy,
            index: RollupIndex::default(),
        }
    }

    /// Requirements that ever applied to anyone, sorted.
    pub fn requirements(&self) -> &[RequirementKey] {
        &self.sorted
    }

    /// Approximate heap bytes held: (histograms, per-person contributions). For metrics and benchmarks.
    pub fn heap_bytes(&self) -> (usize, usize) {
        let days = |d: &Days| 4 * (d.base.capacity() + d.added.capacity() + d.removed.capacity());
        let cells: usize = self
            .cells
            .values()
            .map(|h| {
                std::mem::size_of::<Histogram>()
                    + h.starts
                        .iter()
                        .chain(h.ends.iter())
                        .map(days)
                        .sum::<usize>()
            })
            .sum();
        let people: usize = self
            .people
            .values()
            .map(|c| {
                std::mem::size_of::<Contribution>()
                    + 16
                    + c.posts.capacity() * std::mem::size_of::<(UnitId, i32, i32)>()
                    + c.spans.capacity() * std::mem::size_of::<(u16, u8, i32, i32)>()
            })
            .sum();
        (cells, people)
    }

    /// People with at least one applicable requirement in the organisation.
    pub fn people_indexed(&self) -> usize {
        self.people.len()
    }

    pub fn counts(&self, node: Node, requirement: &RequirementKey, d: Date) -> Counts {
        let Some(&ix) = self.requirement_ix.get(requirement) else {
            return Counts::default();
        };
        self.cells
            .get(&(node, ix))
            .map(|h| h.count(day_number(d)))
            .unwrap_or_default()
    }

    /// Every requirement's counts for one node on `d`, in requirement order.
    pub fn node(&self, node: Node, d: Date) -> Vec<(RequirementKey, Counts)> {
        self.sorted
            .iter()
            .map(|key| (key.clone(), self.counts(node, key, d)))
            .collect()
    }

    /// Every indexed person who is a member of `node` on `d`, with their status on `d` for each requirement (in
    /// [`Self::requirements`] order; None where it does not apply), and the date it next falls out of date
    /// (expired or missing) when it is in date. Sorted by person. This is what a point-in-time report lists, read
    /// from the index without going back to the records.
    pub fn statuses_on(&self, hierarchy: &Hierarchy, node: Node, d: Date) -> Vec<PersonStatuses> {
        let day = day_number(d);
        let order: Vec<u16> = self.sorted.iter().map(|k| self.requirement_ix[k]).collect();
        let mut out: Vec<PersonStatuses> = self
            .people
            .iter()
            .filter(|(_, c)| {
                c.posts.iter().any(|&(unit, from, to)| {
                    from <= day
                        && day < to
                        && (node == Node::Org || hierarchy.path(unit).contains(&node))
                })
            })
            .map(|(id, c)| {
                let statuses = order
                    .iter()
                    .map(|&ix| {
                        let now = c
                            .spans
                            .iter()
                            .find(|&&(i, _, from, to)| i == ix && from <= day && day < to)?;
                        let status = Status::ALL[usize::from(now.1)];
                        let due = if status.is_in_date() {
                            c.spans
                                .iter()
                                .filter(|&&(i, s, from, _)| {
                                    let s = Status::ALL[usize::from(s)];
                                    i == ix
                                        && from > day
                                        && matches!(s, Status::Expired | Status::Missing)
                                })
                                .map(|&(_, _, from, _)| from)
                                .min()
                                .map(crate::dates::from_day_number)
                        } else {
                            None
                        };
                        Some((status, due))
                    })
                    .collect();
                let unit = c
                    .posts
                    .iter()
                    .find(|&&(_, from, to)| from <= day && day < to)
                    .map(|&(unit, _, _)| unit);
                PersonStatuses {
                    person: *id,
                    unit,
                    statuses,
                }
            })
            .collect();
        out.sort_by_key(|p| p.person);
        out
    }

    /// Replaces what the index holds for one person with their new posts and spans (both may be empty, which
    /// removes them). `hierarchy` must be the unit tree the index was built with.
    pub fn replace_person(
        &mut self,
        hierarchy: &Hierarchy,
        person: PersonId,
        posts: &[&Post],
        spans: &[StatusSpan],
    ) {
        if let Some(old) = self.people.remove(&person) {
            self.apply(hierarchy, &old, false);
        }
        self.add(hierarchy, person, posts, spans, true);
    }

    fn add(
        &mut self,
        hierarchy: &Hierarchy,
        person: PersonId,
        posts: &[&Post],
        spans: &[StatusSpan],
        built: bool,
    ) {
        if posts.is_empty() || spans.is_empty() {
            return;
        }
        let contribution = Contribution {
            posts: posts
                .iter()
                .map(|p| {
                    let to = p.end.map_or(i32::MAX, |e| day_number(add_days(e, 1)));
                    (p.unit_id, day_number(p.start), to)
                })
                .collect(),
            spans: spans
                .iter()
                .map(|s| {
                    let ix = self.requirement(&s.requirement);
                    let to = s.to.map_or(i32::MAX, day_number);
                    (ix, status_code(s.status), day_number(s.from), to)
                })
                .collect(),
        };
        self.apply_with(hierarchy, &contribution, |days, d| {
            if built {
                days.insert(d);
            } else {
                days.base.push(d);
            }
        });
        self.people.insert(person, contribution);
    }

    fn apply(&mut self, hierarchy: &Hierarchy, c: &Contribution, add: bool) {
        self.apply_with(hierarchy, c, |days, d| {
            if add {
                days.insert(d);
            } else {
                days.remove(d);
            }
        });
    }

    /// Walks a person's contribution: for every node their posts reach, the days where each span starts and ends
    /// while they are a member of that node.
    fn apply_with(
        &mut self,
        hierarchy: &Hierarchy,
        c: &Contribution,
        mut put: impl FnMut(&mut Days, i32),
    ) {
        // Membership of each node over time: the union of the periods of the posts at or below it.
        let mut membership: HashMap<Node, Vec<(i32, i32)>> = HashMap::new();
        for &(unit, from, to) in &c.posts {
            for node in hierarchy.path(unit) {
                membership.entry(node).or_default().push((from, to));
            }
        }
        for intervals in membership.values_mut() {
            *intervals = merge_intervals(std::mem::take(intervals));
        }
        for &(ix, s, from, to) in &c.spans {
            let s = usize::from(s);
            for (node, intervals) in &membership {
                let cell = self.cells.entry((*node, ix)).or_default();
                for &(a, b) in intervals {
                    let (lo, hi) = (a.max(from), b.min(to));
                    if lo < hi {
                        put(&mut cell.starts[s], lo);
                        if hi != i32::MAX {
                            put(&mut cell.ends[s], hi);
                        }
                    }
                }
            }
        }
    }

    fn requirement(&mut self, key: &RequirementKey) -> u16 {
        if let Some(&ix) = self.requirement_ix.get(key) {
            return ix;
        }
        let ix = u16::try_from(self.keys.len()).expect("fewer than 65536 requirements");
        self.keys.push(key.clone());
        self.requirement_ix.insert(key.clone(), ix);
        let at = self.sorted.partition_point(|k| k < key);
        self.sorted.insert(at, key.clone());
        ix
    }
}

fn status_code(status: Status) -> u8 {
    u8::try_from(status.index()).expect("six statuses")
}

pub struct RollupBuilder {
    hierarchy: Hierarchy,
    index: RollupIndex,
}

impl RollupBuilder {
    /// Adds one person: their posts in the organisation (for unit membership over time) and their status spans.
    pub fn add_person(&mut self, person: PersonId, posts: &[&Post], spans: &[StatusSpan]) {
        self.index.add(&self.hierarchy, person, posts, spans, false);
    }

    pub fn finish(mut self) -> RollupIndex {
        for cell in self.index.cells.values_mut() {
            for days in cell.starts.iter_mut().chain(cell.ends.iter_mut()) {
                days.finish();
            }
        }
        self.index
    }
}

fn merge_intervals(mut v: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    v.sort_unstable();
    let mut out: Vec<(i32, i32)> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Days;
    use proptest::prelude::*;

    proptest! {
        /// Inserting and removing days, across compactions, counts like a plain multiset.
        #[test]
        fn days_count_like_a_multiset(
            initial in prop::collection::vec(-50i32..50, 0..300),
            ops in prop::collection::vec((any::<bool>(), -50i32..50), 0..400),
            probes in prop::collection::vec(-60i32..60, 10),
        ) {
            let mut days = Days { base: initial.clone(), ..Days::default() };
            days.finish();
            let mut plain = initial;
            for (insert, d) in ops {
                if insert {
                    days.insert(d);
                    plain.push(d);
                } else if let Some(i) = plain.iter().position(|&x| x == d) {
                    // Only what is there is ever removed: the index removes exactly what it once added.
                    days.remove(d);
                    plain.swap_remove(i);
                }
            }
            for p in probes {
                prop_assert_eq!(days.at_or_before(p), plain.iter().filter(|&&x| x <= p).count());
            }
        }
    }
}
