//! Roll-ups: counts per status and percentages for (unit, requirement) cells, on any as-at date.
//!
//! The index keeps, per cell and status, the sorted start days and end days of every person's spans. The number of
//! people with that status on day d is `#(starts <= d) - #(ends <= d)`: two binary searches. A dashboard therefore
//! costs O(cells x log n), not O(records), whatever the date (`docs/compliance.md`, "How it stays fast").
//!
//! Units roll up through the hierarchy. A person with posts in two units counts in each, but only once at every level
//! above where the two meet, and once for the organisation as a whole.

use crate::dates::{add_days, day_number};
use crate::engine::{Status, StatusSpan};
use crate::model::{Post, RequirementKey, Unit};
use crate::{Date, PersonId, UnitId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

mod cells;
pub use cells::CellRuns;

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

    /// People overdue ([`Status::is_overdue`]).
    pub fn overdue(&self) -> u32 {
        Status::ALL
            .iter()
            .filter(|s| s.is_overdue())
            .map(|s| self.get(*s))
            .sum()
    }
}

/// A node of the roll-up: a unit (with everything below it), or the whole organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Node {
    Org,
    Unit(UnitId),
}

/// An organisation's unit tree, for walking up from a unit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
/// the build without re-sorting the bulk.
///
/// The bulk is a sorted run in the index's arena: one allocation per organisation holds every cell's runs back to
/// back, so an index is a few large blocks rather than hundreds of thousands of small vectors (which is what kept
/// memory high after builds: freed build-time memory stayed pinned between them). Changes after the build wait in
/// two small sorted layers until they are worth merging; a merged run then lives in its own vector.
#[derive(Clone, Debug, Default)]
struct Days {
    start: u32,
    len: u32,
    changes: Option<Box<DayChanges>>,
}

#[derive(Clone, Debug, Default)]
struct DayChanges {
    /// The merged run, once changes have been merged; it replaces the arena's.
    base: Option<Vec<i32>>,
    added: Vec<i32>,
    removed: Vec<i32>,
}

impl Days {
    fn base<'a>(&'a self, arena: &'a [i32]) -> &'a [i32] {
        match self.changes.as_ref().and_then(|c| c.base.as_deref()) {
            Some(b) => b,
            None => &arena[self.start as usize..(self.start + self.len) as usize],
        }
    }

    fn at_or_before(&self, arena: &[i32], day: i32) -> usize {
        let le = |v: &[i32]| v.partition_point(|&x| x <= day);
        let base = le(self.base(arena));
        match &self.changes {
            None => base,
            Some(c) => (base + le(&c.added)).saturating_sub(le(&c.removed)),
        }
    }

    fn insert(&mut self, arena: &[i32], day: i32) {
        let c = self.changes.get_or_insert_default();
        match c.removed.binary_search(&day) {
            Ok(i) => {
                c.removed.remove(i);
            }
            Err(_) => {
                let i = c.added.partition_point(|&x| x < day);
                c.added.insert(i, day);
            }
        }
        self.compact_if_large(arena);
    }

    fn remove(&mut self, arena: &[i32], day: i32) {
        let c = self.changes.get_or_insert_default();
        match c.added.binary_search(&day) {
            Ok(i) => {
                c.added.remove(i);
            }
            Err(_) => {
                let i = c.removed.partition_point(|&x| x < day);
                c.removed.insert(i, day);
            }
        }
        self.compact_if_large(arena);
    }

    /// Merges the change layers into the run once they are a sizeable fraction of it, so both stay cheap.
    fn compact_if_large(&mut self, arena: &[i32]) {
        let Some(c) = &self.changes else { return };
        if c.added.len() + c.removed.len() > 64.max(self.base(arena).len() / 8) {
            self.compact(arena);
        }
    }

    fn compact(&mut self, arena: &[i32]) {
        if self.changes.is_none() {
            return;
        }
        let out = self.merged(arena);
        self.changes = Some(Box::new(DayChanges {
            base: Some(out),
            ..DayChanges::default()
        }));
    }

    /// The run with its changes merged in, sorted.
    fn merged(&self, arena: &[i32]) -> Vec<i32> {
        let base = self.base(arena);
        let Some(c) = &self.changes else {
            return base.to_vec();
        };
        let mut merged = Vec::with_capacity(base.len() + c.added.len());
        let (mut a, mut b) = (base.iter().peekable(), c.added.iter().peekable());
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
        let mut removed = c.removed.iter().peekable();
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
        out
    }

    fn heap_bytes(&self) -> usize {
        self.changes.as_ref().map_or(0, |c| {
            std::mem::size_of::<DayChanges>()
                + 4 * (c.base.as_ref().map_or(0, Vec::capacity)
                    + c.added.capacity()
                    + c.removed.capacity())
        })
    }
}

/// One cell's people per status over time: status s holds on day d for `days[s] <= d` (starts) minus
/// `days[6 + s] <= d` (ends).
#[derive(Clone, Debug, Default)]
struct Histogram {
    days: [Days; 12],
}

impl Histogram {
    fn count(&self, arena: &[i32], day: i32) -> Counts {
        let mut c = Counts::default();
        for s in Status::ALL {
            let i = s.index();
            let started = self.days[i].at_or_before(arena, day);
            let ended = self.days[6 + i].at_or_before(arena, day);
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

/// What one person put into the index, kept so that a change to them can be taken out again without rebuilding, and
/// so that the store can keep it (`lantern_store::read_model`): an index made from the contributions it held answers
/// exactly as the index did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    /// (unit, first day, first day after; i32::MAX when open) of each post in the organisation.
    pub posts: Vec<(UnitId, i32, i32)>,
    /// (requirement index, status index in [`Status::ALL`], first day, first day after; i32::MAX when open). The
    /// requirement index is the index's own ([`RollupIndex::requirement_key`], [`RollupIndex::intern`]).
    pub spans: Vec<(u16, u8, i32, i32)>,
}

/// Per (node, requirement) status histograms for one organisation.
///
/// Built in one pass with [`RollupIndex::builder`], then kept current person by person with
/// [`RollupIndex::replace_person`] as writes arrive, for as long as the unit tree stays the same.
#[derive(Clone, Debug, Default)]
pub struct RollupIndex {
    /// Requirement keys by index, in order of first appearance; `sorted` is the order to show them in, and holds
    /// only requirements someone in the index has (`holders`), so an index kept current person by person lists the
    /// same requirements as one built afresh from the same people.
    keys: Vec<RequirementKey>,
    sorted: Vec<RequirementKey>,
    /// People in the index with spans of each requirement, by index.
    holders: Vec<u32>,
    requirement_ix: HashMap<RequirementKey, u16>,
    cells: HashMap<(Node, u16), Histogram>,
    /// Every cell's sorted runs of days, back to back (see [`Days`]).
    arena: Vec<i32>,
    people: HashMap<PersonId, Contribution>,
}

impl RollupIndex {
    pub fn builder(hierarchy: Hierarchy) -> RollupBuilder {
        RollupBuilder {
            hierarchy,
            index: RollupIndex::default(),
            nodes: Vec::new(),
            node_numbers: HashMap::new(),
            paths: HashMap::new(),
            staged: Vec::new(),
        }
    }

    /// Requirements that apply to someone in the index on some date, sorted.
    pub fn requirements(&self) -> &[RequirementKey] {
        &self.sorted
    }

    /// The first day of the status a person holds for a requirement on `d`, where it applies to them then: for an
    /// overdue one, the day it became overdue (which, with the due date of an in-date one, names the episode a
    /// scheduled notice is about).
    pub fn status_since(
        &self,
        person: PersonId,
        requirement: &RequirementKey,
        d: Date,
    ) -> Option<Date> {
        let ix = *self.requirement_ix.get(requirement)?;
        let day = day_number(d);
        self.people
            .get(&person)?
            .spans
            .iter()
            .find(|&&(i, _, from, to)| i == ix && from <= day && day < to)
            .map(|&(_, _, from, _)| crate::dates::from_day_number(from))
    }

    /// Approximate heap bytes held: (histograms, per-person contributions). For metrics and benchmarks.
    pub fn heap_bytes(&self) -> (usize, usize) {
        // A hash map entry costs its key, its value and about a control byte and a pointer's worth of slack.
        let entry = std::mem::size_of::<(Node, u16)>() + std::mem::size_of::<Histogram>() + 9;
        let cells: usize = 4 * self.arena.capacity()
            + self
                .cells
                .values()
                .map(|h| entry + h.days.iter().map(Days::heap_bytes).sum::<usize>())
                .sum::<usize>();
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

    /// Every person in the index with what they put into it, in no particular order.
    pub fn contributions(&self) -> impl Iterator<Item = (PersonId, &Contribution)> {
        self.people.iter().map(|(id, c)| (*id, c))
    }

    /// What one person put into the index; None when they are not in it.
    pub fn contribution_of(&self, person: PersonId) -> Option<&Contribution> {
        self.people.get(&person)
    }

    /// The requirement with this index (as a [`Contribution`]'s spans name it).
    pub fn requirement_key(&self, ix: u16) -> Option<&RequirementKey> {
        self.keys.get(usize::from(ix))
    }

    /// The index of a requirement, given one if it has none yet (it is listed once someone holds it).
    pub fn intern(&mut self, key: &RequirementKey) -> u16 {
        self.requirement(key)
    }

    /// Replaces what the index holds for one person with a contribution made earlier (None removes them).
    /// Its requirement indexes must be this index's ([`Self::intern`]).
    pub fn replace_contribution(
        &mut self,
        hierarchy: &Hierarchy,
        person: PersonId,
        contribution: Option<Contribution>,
    ) {
        if let Some(old) = self.people.remove(&person) {
            self.apply(hierarchy, &old, false);
            self.hold(&old, false);
        }
        if let Some(c) = contribution.filter(|c| !c.posts.is_empty() && !c.spans.is_empty()) {
            self.apply(hierarchy, &c, true);
            self.hold(&c, true);
            self.people.insert(person, c);
        }
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
            .map(|h| h.count(&self.arena, day_number(d)))
            .unwrap_or_default()
    }

    /// Every requirement's counts for one node on `d`, in requirement order.
    pub fn node(&self, node: Node, d: Date) -> Vec<(RequirementKey, Counts)> {
        self.sorted
            .iter()
            .map(|key| (key.clone(), self.counts(node, key, d)))
            .collect()
    }

    /// Every indexed person who is a member of `node` on `d` (holds a post at or below it that day), with the unit of
    /// a post they hold that day, sorted by person. Cheap: no statuses are worked out.
    pub fn members_on(
        &self,
        hierarchy: &Hierarchy,
        node: Node,
        d: Date,
    ) -> Vec<(PersonId, Option<UnitId>)> {
        let day = day_number(d);
        let mut out: Vec<(PersonId, Option<UnitId>)> = self
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
                let unit = c
                    .posts
                    .iter()
                    .find(|&&(_, from, to)| from <= day && day < to)
                    .map(|&(unit, _, _)| unit);
                (*id, unit)
            })
            .collect();
        out.sort_by_key(|p| p.0);
        out
    }

    /// These people's statuses on `d` for each requirement (in [`Self::requirements`] order; None where it does not
    /// apply), and the date each next falls out of date (expired or missing) when it is in date, in the order given.
    /// People the index does not hold are left out. This is what a point-in-time report lists, a slice at a time,
    /// read from the index without going back to the records.
    pub fn statuses_for(
        &self,
        people: &[(PersonId, Option<UnitId>)],
        d: Date,
    ) -> Vec<PersonStatuses> {
        let day = day_number(d);
        let order: Vec<u16> = self.sorted.iter().map(|k| self.requirement_ix[k]).collect();
        people
            .iter()
            .filter_map(|&(id, unit)| {
                let c = self.people.get(&id)?;
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
                                    i == ix && from > day && s.is_overdue()
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
                Some(PersonStatuses {
                    person: id,
                    unit,
                    statuses,
                })
            })
            .collect()
    }

    /// Every member of `node` on `d` with their statuses ([`Self::members_on`], then [`Self::statuses_for`]).
    pub fn statuses_on(&self, hierarchy: &Hierarchy, node: Node, d: Date) -> Vec<PersonStatuses> {
        self.statuses_for(&self.members_on(hierarchy, node, d), d)
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
            self.hold(&old, false);
        }
        self.add(hierarchy, person, posts, spans);
    }

    /// Counts a person in (or out of) the holders of each requirement their spans name, keeping `sorted` to the
    /// requirements someone holds.
    fn hold(&mut self, c: &Contribution, add: bool) {
        let mut ixs: Vec<u16> = c.spans.iter().map(|s| s.0).collect();
        ixs.sort_unstable();
        ixs.dedup();
        for ix in ixs {
            let key = &self.keys[usize::from(ix)];
            let n = &mut self.holders[usize::from(ix)];
            if add {
                *n += 1;
                if *n == 1 {
                    let at = self.sorted.partition_point(|k| k < key);
                    self.sorted.insert(at, key.clone());
                }
            } else {
                *n -= 1;
                if *n == 0 {
                    let at = self.sorted.partition_point(|k| k < key);
                    self.sorted.remove(at);
                }
            }
        }
    }

    /// What a person puts into the index: their posts in the organisation and their spans, by requirement index.
    fn make_contribution(&mut self, posts: &[&Post], spans: &[StatusSpan]) -> Option<Contribution> {
        if posts.is_empty() || spans.is_empty() {
            return None;
        }
        Some(Contribution {
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
        })
    }

    fn add(
        &mut self,
        hierarchy: &Hierarchy,
        person: PersonId,
        posts: &[&Post],
        spans: &[StatusSpan],
    ) {
        if let Some(c) = self.make_contribution(posts, spans) {
            self.apply(hierarchy, &c, true);
            self.hold(&c, true);
            self.people.insert(person, c);
        }
    }

    fn apply(&mut self, hierarchy: &Hierarchy, c: &Contribution, add: bool) {
        let (cells, arena) = (&mut self.cells, &self.arena);
        let paths: Vec<Vec<Node>> = c.posts.iter().map(|p| hierarchy.path(p.0)).collect();
        let paths: Vec<&[Node]> = paths.iter().map(Vec::as_slice).collect();
        walk(&paths, c, |node, ix, slot, d| {
            let days = &mut cells.entry((node, ix)).or_default().days[slot];
            if add {
                days.insert(arena, d);
            } else {
                days.remove(arena, d);
            }
        });
    }

    fn requirement(&mut self, key: &RequirementKey) -> u16 {
        if let Some(&ix) = self.requirement_ix.get(key) {
            return ix;
        }
        let ix = u16::try_from(self.keys.len()).expect("fewer than 65536 requirements");
        self.keys.push(key.clone());
        self.holders.push(0);
        self.requirement_ix.insert(key.clone(), ix);
        ix
    }
}

fn status_code(status: Status) -> u8 {
    u8::try_from(status.index()).expect("six statuses")
}

/// Walks a person's contribution: for every node their posts reach, the days where each span starts (slot s) and
/// ends (slot 6 + s) while they are a member of that node. `paths[i]` is the path ([`Hierarchy::path`]) of the unit
/// of the contribution's post i, as nodes or as the builder's node numbers.
fn walk<N: Copy + PartialEq>(
    paths: &[&[N]],
    c: &Contribution,
    mut put: impl FnMut(N, u16, usize, i32),
) {
    let mut emit = |node: N, intervals: &[(i32, i32)]| {
        for &(ix, s, from, to) in &c.spans {
            let s = usize::from(s);
            for &(a, b) in intervals {
                let (lo, hi) = (a.max(from), b.min(to));
                if lo < hi {
                    put(node, ix, s, lo);
                    if hi != i32::MAX {
                        put(node, ix, 6 + s, hi);
                    }
                }
            }
        }
    };
    // Most people hold one post: their membership of each node on its path is that post's period.
    if let ([path], [(_, from, to)]) = (paths, &c.posts[..]) {
        for &node in *path {
            emit(node, &[(*from, *to)]);
        }
        return;
    }
    // Membership of each node over time: the union of the periods of the posts at or below it. Paths are short, so a
    // list searched in order beats a map.
    let mut membership: Vec<(N, Vec<(i32, i32)>)> = Vec::new();
    for (path, &(_, from, to)) in paths.iter().zip(&c.posts) {
        for &node in *path {
            match membership.iter_mut().find(|m| m.0 == node) {
                Some(m) => m.1.push((from, to)),
                None => membership.push((node, vec![(from, to)])),
            }
        }
    }
    for (node, intervals) in membership {
        emit(node, &merge_intervals(intervals));
    }
}

/// One cell's days in each of its twelve slots, as people are added, unsorted.
type Staged = [Vec<i32>; 12];

pub struct RollupBuilder {
    hierarchy: Hierarchy,
    index: RollupIndex,
    /// The nodes met so far, numbered in order of meeting, and each unit's path as those numbers: made once per unit
    /// rather than once per person.
    nodes: Vec<Node>,
    node_numbers: HashMap<Node, u32>,
    paths: HashMap<UnitId, Vec<u32>>,
    /// staged[node number][requirement index]: the cell's days; `finish` sorts them into the arena.
    staged: Vec<Vec<Option<Box<Staged>>>>,
}

impl RollupBuilder {
    /// Adds one person: their posts in the organisation (for unit membership over time) and their status spans.
    pub fn add_person(&mut self, person: PersonId, posts: &[&Post], spans: &[StatusSpan]) {
        if let Some(c) = self.index.make_contribution(posts, spans) {
            self.add_contribution(person, c);
        }
    }

    /// The index of a requirement in the index being built, for contributions made outside it.
    pub fn intern(&mut self, key: &RequirementKey) -> u16 {
        self.index.requirement(key)
    }

    /// Adds one person from a contribution made earlier (its requirement indexes from [`Self::intern`]); one with no
    /// posts or no spans is not in the index. Each person is added once.
    pub fn add_contribution(&mut self, person: PersonId, c: Contribution) {
        if c.posts.is_empty() || c.spans.is_empty() {
            return;
        }
        for &(unit, ..) in &c.posts {
            if !self.paths.contains_key(&unit) {
                let path = self
                    .hierarchy
                    .path(unit)
                    .into_iter()
                    .map(|node| {
                        *self.node_numbers.entry(node).or_insert_with(|| {
                            self.nodes.push(node);
                            self.staged.push(Vec::new());
                            u32::try_from(self.nodes.len() - 1).expect("fewer than 4 billion units")
                        })
                    })
                    .collect();
                self.paths.insert(unit, path);
            }
        }
        let paths: Vec<&[u32]> = c.posts.iter().map(|p| &self.paths[&p.0][..]).collect();
        let staged = &mut self.staged;
        walk(&paths, &c, |node, ix, slot, d| {
            let row = &mut staged[node as usize];
            let ix = usize::from(ix);
            if row.len() <= ix {
                row.resize_with(ix + 1, || None);
            }
            row[ix].get_or_insert_default()[slot].push(d);
        });
        self.index.hold(&c, true);
        self.index.people.insert(person, c);
    }

    /// Sorts every cell's days into one arena allocation of exactly the size needed.
    pub fn finish(mut self) -> RollupIndex {
        let total: usize = self
            .staged
            .iter()
            .flatten()
            .flatten()
            .flat_map(|d| d.iter().map(Vec::len))
            .sum();
        let mut arena: Vec<i32> = Vec::with_capacity(total);
        let mut cells = HashMap::new();
        for (node, row) in self.nodes.iter().zip(std::mem::take(&mut self.staged)) {
            for (ix, staged) in row.into_iter().enumerate() {
                let Some(staged) = staged else { continue };
                let mut h = Histogram::default();
                for (slot, mut days) in (*staged).into_iter().enumerate() {
                    days.sort_unstable();
                    let start =
                        u32::try_from(arena.len()).expect("fewer than 4 billion days in an index");
                    arena.extend_from_slice(&days);
                    h.days[slot] = Days {
                        start,
                        len: u32::try_from(days.len())
                            .expect("fewer than 4 billion days in a cell"),
                        changes: None,
                    };
                }
                let ix = u16::try_from(ix).expect("fewer than 65536 requirements");
                cells.insert((*node, ix), h);
            }
        }
        self.index.cells = cells;
        self.index.arena = arena;
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
            // The run sits in an arena between other cells' runs, as in a built index.
            let mut sorted = initial.clone();
            sorted.sort_unstable();
            let mut arena = vec![i32::MIN, i32::MIN];
            arena.extend_from_slice(&sorted);
            arena.push(i32::MAX);
            let mut days = Days { start: 2, len: u32::try_from(sorted.len()).unwrap(), changes: None };
            let mut plain = initial;
            for (insert, d) in ops {
                if insert {
                    days.insert(&arena, d);
                    plain.push(d);
                } else if let Some(i) = plain.iter().position(|&x| x == d) {
                    // Only what is there is ever removed: the index removes exactly what it once added.
                    days.remove(&arena, d);
                    plain.swap_remove(i);
                }
            }
            for p in probes {
                prop_assert_eq!(days.at_or_before(&arena, p), plain.iter().filter(|&&x| x <= p).count());
            }
        }
    }
}
