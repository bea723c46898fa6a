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
use crate::{Date, UnitId};
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

#[derive(Clone, Debug, Default)]
struct Histogram {
    starts: [Vec<i32>; 6],
    ends: [Vec<i32>; 6],
}

impl Histogram {
    fn count(&self, day: i32) -> Counts {
        let mut c = Counts::default();
        for s in Status::ALL {
            let i = s.index();
            let started = self.starts[i].partition_point(|&x| x <= day);
            let ended = self.ends[i].partition_point(|&x| x <= day);
            c.add(s, u32::try_from(started - ended).unwrap_or(0));
        }
        c
    }

    fn finish(&mut self) {
        for v in self.starts.iter_mut().chain(self.ends.iter_mut()) {
            v.sort_unstable();
            v.shrink_to_fit();
        }
    }
}

/// Per (node, requirement) status histograms for one organisation.
#[derive(Clone, Debug, Default)]
pub struct RollupIndex {
    requirements: Vec<RequirementKey>,
    requirement_ix: HashMap<RequirementKey, u16>,
    cells: HashMap<(Node, u16), Histogram>,
    people: usize,
}

impl RollupIndex {
    pub fn builder(hierarchy: &Hierarchy) -> RollupBuilder<'_> {
        RollupBuilder {
            hierarchy,
            index: RollupIndex::default(),
        }
    }

    /// Requirements that ever applied to anyone, sorted.
    pub fn requirements(&self) -> &[RequirementKey] {
        &self.requirements
    }

    pub fn people_indexed(&self) -> usize {
        self.people
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

    /// Every requirement's counts for one node on `d`.
    pub fn node(&self, node: Node, d: Date) -> Vec<(RequirementKey, Counts)> {
        let day = day_number(d);
        self.requirements
            .iter()
            .enumerate()
            .map(|(ix, key)| {
                let ix = u16::try_from(ix).unwrap_or(u16::MAX);
                (
                    key.clone(),
                    self.cells
                        .get(&(node, ix))
                        .map(|h| h.count(day))
                        .unwrap_or_default(),
                )
            })
            .collect()
    }
}

pub struct RollupBuilder<'h> {
    hierarchy: &'h Hierarchy,
    index: RollupIndex,
}

impl RollupBuilder<'_> {
    /// Adds one person: their posts in the organisation (for unit membership over time) and their status spans.
    pub fn add_person(&mut self, posts: &[&Post], spans: &[StatusSpan]) {
        if posts.is_empty() || spans.is_empty() {
            return;
        }
        self.index.people += 1;
        // Membership of each node over time: the union of the periods of the posts at or below it.
        let mut membership: HashMap<Node, Vec<(i32, i32)>> = HashMap::new();
        for post in posts {
            let from = day_number(post.start);
            let to = post.end.map_or(i32::MAX, |e| day_number(add_days(e, 1)));
            for node in self.hierarchy.path(post.unit_id) {
                membership.entry(node).or_default().push((from, to));
            }
        }
        for intervals in membership.values_mut() {
            *intervals = merge_intervals(std::mem::take(intervals));
        }
        for span in spans {
            let ix = self.requirement(&span.requirement);
            let from = day_number(span.from);
            let to = span.to.map_or(i32::MAX, day_number);
            for (node, intervals) in &membership {
                let cell = self.index.cells.entry((*node, ix)).or_default();
                let s = span.status.index();
                for &(a, b) in intervals {
                    let (lo, hi) = (a.max(from), b.min(to));
                    if lo < hi {
                        cell.starts[s].push(lo);
                        if hi != i32::MAX {
                            cell.ends[s].push(hi);
                        }
                    }
                }
            }
        }
    }

    fn requirement(&mut self, key: &RequirementKey) -> u16 {
        if let Some(&ix) = self.index.requirement_ix.get(key) {
            return ix;
        }
        let ix =
            u16::try_from(self.index.requirements.len()).expect("fewer than 65536 requirements");
        self.index.requirements.push(key.clone());
        self.index.requirement_ix.insert(key.clone(), ix);
        ix
    }

    pub fn finish(mut self) -> RollupIndex {
        for cell in self.index.cells.values_mut() {
            cell.finish();
        }
        // Keep requirement order stable (by subject, then level) while the ids stay as built.
        let mut order: Vec<(RequirementKey, u16)> =
            self.index.requirement_ix.clone().into_iter().collect();
        order.sort();
        self.index.requirements = order.iter().map(|(k, _)| k.clone()).collect();
        let remap: HashMap<u16, u16> = order
            .iter()
            .enumerate()
            .map(|(new, (_, old))| (*old, u16::try_from(new).unwrap_or(u16::MAX)))
            .collect();
        self.index.requirement_ix = order
            .iter()
            .map(|(k, old)| (k.clone(), remap[old]))
            .collect();
        self.index.cells = std::mem::take(&mut self.index.cells)
            .into_iter()
            .map(|((node, old), h)| ((node, remap[&old]), h))
            .collect();
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
