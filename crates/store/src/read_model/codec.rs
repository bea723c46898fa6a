//! The stored form of roll-up contributions: a small hand-rolled binary format (variable-length integers), so a
//! trust's 27,000 people fit in a few megabytes and decode in milliseconds without a serialisation dependency.
//!
//! A part is: the format byte, the requirement keys it uses (subject, level), then its people in id order, each as
//! the gap from the previous id, their posts (unit, first day, length) and their spans (key, status, first day,
//! length). A length of 0 means open-ended. A person with no posts or no spans is not in the index: a layer of
//! changes uses that to take someone out.
//!
//! A full layer also holds the index's cells whole (parts starting with the byte `CELLS`): the unit tree they were
//! made under (each unit and its parent), the requirement keys, then each cell's node, requirement and twelve runs of
//! days (the first day, then the gaps, which a sorted run keeps small). A restore under the same tree copies them
//! instead of walking every person into the cells again.

use crate::{Result, StoreError};
use lantern_domain::rollup::{CellRuns, Contribution, Hierarchy, Node, RollupIndex};
use lantern_domain::{PersonId, RequirementKey, Subject, UnitId};
use std::collections::HashMap;

/// Bumped whenever the layout below changes; a part in another format is never read (the fingerprint the layers are
/// stored under includes it too).
pub const FORMAT: u8 = 1;

/// The first byte of a part holding cells rather than people.
pub const CELLS: u8 = 2;

/// Encodes these people's contributions (None: not in the index) as one part, requirement indexes resolved through
/// `index`. `people` must be sorted by id.
pub fn encode(index: &RollupIndex, people: &[(PersonId, Option<&Contribution>)]) -> Vec<u8> {
    let mut local: HashMap<u16, u32> = HashMap::new();
    let mut keys: Vec<&RequirementKey> = Vec::new();
    for (_, c) in people {
        for &(ix, ..) in c.map_or(&[][..], |c| &c.spans[..]) {
            local.entry(ix).or_insert_with(|| {
                keys.push(
                    index
                        .requirement_key(ix)
                        .expect("a span's requirement is in its index"),
                );
                u32::try_from(keys.len() - 1).expect("few requirements")
            });
        }
    }
    let mut out = Vec::with_capacity(16 + people.len() * 64);
    out.push(FORMAT);
    put(&mut out, keys.len() as u64);
    for k in keys {
        put(&mut out, k.subject.len() as u64);
        out.extend_from_slice(k.subject.as_bytes());
        out.push(k.level);
    }
    put(&mut out, people.len() as u64);
    let mut previous = 0i64;
    for (id, c) in people {
        put_signed(&mut out, id.0 - previous);
        previous = id.0;
        let (posts, spans) = c.map_or((&[][..], &[][..]), |c| (&c.posts[..], &c.spans[..]));
        put(&mut out, posts.len() as u64);
        for &(unit, from, to) in posts {
            put_signed(&mut out, unit.0);
            put_signed(&mut out, i64::from(from));
            put(&mut out, length(from, to));
        }
        put(&mut out, spans.len() as u64);
        for &(ix, status, from, to) in spans {
            put(&mut out, u64::from(local[&ix]));
            out.push(status);
            put_signed(&mut out, i64::from(from));
            put(&mut out, length(from, to));
        }
    }
    out
}

/// Decodes a part, giving each requirement the index `intern` gives it, and hands every person to `f` (None: not
/// in the index).
pub fn decode(
    body: &[u8],
    mut intern: impl FnMut(&RequirementKey) -> u16,
    mut f: impl FnMut(PersonId, Option<Contribution>),
) -> Result<()> {
    let mut r = Reader { body, at: 0 };
    if r.byte()? != FORMAT {
        return Err(corrupt("a roll-up part in another format"));
    }
    let n = r.count()?;
    let mut ixs = Vec::with_capacity(n);
    for _ in 0..n {
        let len = r.count()?;
        let subject = std::str::from_utf8(r.bytes(len)?)
            .map_err(|_| corrupt("a requirement that is not UTF-8"))?;
        let subject = Subject::parse(subject).map_err(|e| corrupt(&e))?;
        let level = r.byte()?;
        ixs.push(intern(&RequirementKey { subject, level }));
    }
    let people = r.count()?;
    let mut id = 0i64;
    for _ in 0..people {
        id += r.signed()?;
        let n = r.count()?;
        let mut posts = Vec::with_capacity(n);
        for _ in 0..n {
            let unit = UnitId(r.signed()?);
            let from = r.day()?;
            posts.push((unit, from, r.end(from)?));
        }
        let n = r.count()?;
        let mut spans = Vec::with_capacity(n);
        for _ in 0..n {
            let ix = *ixs
                .get(r.count()?)
                .ok_or_else(|| corrupt("a span names no requirement"))?;
            let status = r.byte()?;
            if usize::from(status) >= lantern_domain::engine::Status::ALL.len() {
                return Err(corrupt("a span with no such status"));
            }
            let from = r.day()?;
            spans.push((ix, status, from, r.end(from)?));
        }
        let c = (!posts.is_empty() && !spans.is_empty()).then_some(Contribution { posts, spans });
        f(PersonId(id), c);
    }
    if r.at != body.len() {
        return Err(corrupt("bytes after the last person of a roll-up part"));
    }
    Ok(())
}

/// Encodes cells (as [`RollupIndex::cell_runs`] gives them) made under `hierarchy` as one part, requirement numbers
/// resolved through `index`.
pub fn encode_cells(index: &RollupIndex, hierarchy: &Hierarchy, cells: &[CellRuns]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + cells.len() * 64);
    out.push(CELLS);
    let parents = hierarchy.parents();
    put(&mut out, parents.len() as u64);
    for (unit, parent) in parents {
        put_signed(&mut out, unit.0);
        match parent {
            None => out.push(0),
            Some(p) => {
                out.push(1);
                put_signed(&mut out, p.0);
            }
        }
    }
    let mut local: HashMap<u16, u64> = HashMap::new();
    let mut keys = Vec::new();
    for cell in cells {
        local.entry(cell.requirement).or_insert_with(|| {
            keys.push(
                index
                    .requirement_key(cell.requirement)
                    .expect("a cell's requirement is in its index"),
            );
            keys.len() as u64 - 1
        });
    }
    put(&mut out, keys.len() as u64);
    for k in keys {
        put(&mut out, k.subject.len() as u64);
        out.extend_from_slice(k.subject.as_bytes());
        out.push(k.level);
    }
    put(&mut out, cells.len() as u64);
    for cell in cells {
        match cell.node {
            Node::Org => out.push(0),
            Node::Unit(u) => {
                out.push(1);
                put_signed(&mut out, u.0);
            }
        }
        put(&mut out, local[&cell.requirement]);
        for run in &cell.runs {
            put(&mut out, run.len() as u64);
            let mut previous = None;
            for &d in run {
                match previous {
                    None => put_signed(&mut out, i64::from(d)),
                    Some(p) => put(
                        &mut out,
                        u64::try_from(i64::from(d) - i64::from(p)).expect("a sorted run"),
                    ),
                }
                previous = Some(d);
            }
        }
    }
    out
}

/// Decodes a part of cells: the unit tree they were made under, and the cells with requirement numbers from
/// `intern`.
pub fn decode_cells(
    body: &[u8],
    mut intern: impl FnMut(&RequirementKey) -> u16,
) -> Result<(Hierarchy, Vec<CellRuns>)> {
    let mut r = Reader { body, at: 0 };
    if r.byte()? != CELLS {
        return Err(corrupt("a roll-up part that holds no cells"));
    }
    let n = r.count()?;
    let mut parents = Vec::with_capacity(n);
    for _ in 0..n {
        let unit = UnitId(r.signed()?);
        let parent = match r.byte()? {
            0 => None,
            1 => Some(UnitId(r.signed()?)),
            _ => return Err(corrupt("a unit's parent is neither none nor a unit")),
        };
        parents.push((unit, parent));
    }
    let n = r.count()?;
    let mut ixs = Vec::with_capacity(n);
    for _ in 0..n {
        let len = r.count()?;
        let subject = std::str::from_utf8(r.bytes(len)?)
            .map_err(|_| corrupt("a requirement that is not UTF-8"))?;
        let subject = Subject::parse(subject).map_err(|e| corrupt(&e))?;
        let level = r.byte()?;
        ixs.push(intern(&RequirementKey { subject, level }));
    }
    let n = r.count()?;
    let mut cells = Vec::with_capacity(n);
    for _ in 0..n {
        let node = match r.byte()? {
            0 => Node::Org,
            1 => Node::Unit(UnitId(r.signed()?)),
            _ => {
                return Err(corrupt(
                    "a cell's node is neither the organisation nor a unit",
                ));
            }
        };
        let requirement = *ixs
            .get(r.count()?)
            .ok_or_else(|| corrupt("a cell names no requirement"))?;
        let mut runs: [Vec<i32>; 12] = Default::default();
        for run in &mut runs {
            let len = r.count()?;
            run.reserve_exact(len);
            let mut day = 0i64;
            for i in 0..len {
                day = if i == 0 {
                    r.signed()?
                } else {
                    i64::try_from(r.unsigned()?)
                        .ok()
                        .and_then(|gap| day.checked_add(gap))
                        .ok_or_else(|| corrupt("a day out of range"))?
                };
                run.push(i32::try_from(day).map_err(|_| corrupt("a day out of range"))?);
            }
        }
        cells.push(CellRuns {
            node,
            requirement,
            runs,
        });
    }
    if r.at != body.len() {
        return Err(corrupt("bytes after the last cell of a roll-up part"));
    }
    Ok((Hierarchy::from_parents(parents), cells))
}

fn corrupt(message: &str) -> StoreError {
    StoreError::Corrupt {
        column: "rollup_parts.body",
        message: message.to_owned(),
    }
}

/// 0 for open-ended, else the number of days plus one.
fn length(from: i32, to: i32) -> u64 {
    if to == i32::MAX {
        0
    } else {
        u64::try_from(i64::from(to) - i64::from(from) + 1).unwrap_or(1)
    }
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_signed(out: &mut Vec<u8>, v: i64) {
    put(out, ((v << 1) ^ (v >> 63)) as u64);
}

struct Reader<'a> {
    body: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8> {
        let b = *self
            .body
            .get(self.at)
            .ok_or_else(|| corrupt("a roll-up part ends early"))?;
        self.at += 1;
        Ok(b)
    }

    fn bytes(&mut self, n: usize) -> Result<&[u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.body.len());
        let end = end.ok_or_else(|| corrupt("a roll-up part ends early"))?;
        let out = &self.body[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn unsigned(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(corrupt("an integer too long in a roll-up part"))
    }

    fn signed(&mut self) -> Result<i64> {
        let v = self.unsigned()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    /// A count, bounded by the bytes left so a corrupt part cannot ask for a huge allocation.
    fn count(&mut self) -> Result<usize> {
        let v = self.unsigned()?;
        usize::try_from(v)
            .ok()
            .filter(|&n| n <= self.body.len())
            .ok_or_else(|| corrupt("a count larger than the roll-up part"))
    }

    fn day(&mut self) -> Result<i32> {
        i32::try_from(self.signed()?).map_err(|_| corrupt("a day out of range"))
    }

    fn end(&mut self, from: i32) -> Result<i32> {
        match self.unsigned()? {
            0 => Ok(i32::MAX),
            n => i64::try_from(n)
                .ok()
                .and_then(|n| i64::from(from).checked_add(n - 1))
                .and_then(|to| i32::try_from(to).ok())
                .filter(|&to| to != i32::MAX)
                .ok_or_else(|| corrupt("a day out of range")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lantern_domain::rollup::Hierarchy;

    /// A part decodes to the contributions it was made from, including someone taken out.
    #[test]
    fn parts_round_trip() {
        let mut index = RollupIndex::builder(Hierarchy::default()).finish();
        let a = index.intern(&RequirementKey {
            subject: Subject::from_static("cstf.fire_safety"),
            level: 1,
        });
        let b = index.intern(&RequirementKey {
            subject: Subject::from_static("cstf.resuscitation"),
            level: 2,
        });
        let one = Contribution {
            posts: vec![(UnitId(7), 738_000, i32::MAX), (UnitId(-3), -5, 12)],
            spans: vec![(b, 2, 738_000, 738_400), (a, 0, 738_001, i32::MAX)],
        };
        let people = vec![(PersonId(5), Some(&one)), (PersonId(900), None)];
        let body = encode(&index, &people);
        let mut fresh = RollupIndex::builder(Hierarchy::default()).finish();
        let mut out = Vec::new();
        decode(&body, |k| fresh.intern(k), |id, c| out.push((id, c))).expect("decodes");
        let key = |ix: u16| fresh.requirement_key(ix).cloned();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].0, PersonId(5));
        let got = out[0].1.clone().expect("in the index");
        assert_eq!(got.posts, one.posts);
        let spans: Vec<_> = got
            .spans
            .iter()
            .map(|&(ix, s, f, t)| (key(ix), s, f, t))
            .collect();
        let want: Vec<_> = one
            .spans
            .iter()
            .map(|&(ix, s, f, t)| (index.requirement_key(ix).cloned(), s, f, t))
            .collect();
        assert_eq!(spans, want);
        assert_eq!(out[1], (PersonId(900), None));
        assert!(decode(&body[..body.len() - 1], |k| fresh.intern(k), |_, _| {}).is_err());
    }

    /// Cells decode to the runs and tree they were made from, under the decoding index's requirement numbers.
    #[test]
    fn cells_round_trip() {
        let mut index = RollupIndex::builder(Hierarchy::default()).finish();
        let fire = RequirementKey::new(Subject::from_static("cstf.fire_safety"), 1);
        let a = index.intern(&fire);
        let tree = Hierarchy::from_parents([(UnitId(4), None), (UnitId(9), Some(UnitId(4)))]);
        let mut runs: [Vec<i32>; 12] = Default::default();
        runs[0] = vec![-40, 738_000, 738_000, 738_365];
        runs[6] = vec![738_100];
        let cells = vec![
            CellRuns {
                node: Node::Unit(UnitId(9)),
                requirement: a,
                runs: runs.clone(),
            },
            CellRuns {
                node: Node::Org,
                requirement: a,
                runs: Default::default(),
            },
        ];
        let body = encode_cells(&index, &tree, &cells);
        let mut fresh = RollupIndex::builder(Hierarchy::default()).finish();
        fresh.intern(&RequirementKey::new(
            Subject::from_static("cstf.resuscitation"),
            2,
        ));
        let (got_tree, got) = decode_cells(&body, |k| fresh.intern(k)).expect("decodes");
        assert_eq!(got_tree, tree);
        assert_eq!(got.len(), 2);
        assert_eq!(fresh.requirement_key(got[0].requirement), Some(&fire));
        assert_eq!((got[0].node, &got[0].runs), (Node::Unit(UnitId(9)), &runs));
        assert_eq!(got[1].node, Node::Org);
        assert!(decode_cells(&body[..body.len() - 1], |k| fresh.intern(k)).is_err());
        // A part of people is not a part of cells, nor the other way round.
        assert!(decode(&body, |k| fresh.intern(k), |_, _| {}).is_err());
    }
}
