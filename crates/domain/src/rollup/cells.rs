//! An index's cells whole: each (node, requirement) cell's twelve sorted runs of days, taken from an index and given
//! back to a builder that holds the same people, so that restoring an organisation's roll-up is a copy rather than a
//! walk of every person through the unit tree and a sort of every cell (the read model stores them beside a full
//! layer's contributions). Cells depend on the unit tree too, so they travel with the tree they were made under.

use super::{Contribution, Days, Hierarchy, Histogram, Node, RollupBuilder, RollupIndex};
use crate::{PersonId, UnitId};
use std::collections::HashMap;

/// One cell of an index: its node, its requirement (the index's own number, [`RollupIndex::requirement_key`]) and
/// its days by slot (status s starts in slot s and ends in slot 6 + s), each run sorted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellRuns {
    pub node: Node,
    pub requirement: u16,
    pub runs: [Vec<i32>; 12],
}

impl RollupIndex {
    /// Every cell as it stands (changes since the build merged in), in no particular order.
    pub fn cell_runs(&self) -> impl Iterator<Item = CellRuns> + '_ {
        self.cells.iter().map(|(&(node, requirement), h)| CellRuns {
            node,
            requirement,
            runs: std::array::from_fn(|slot| h.days[slot].merged(&self.arena)),
        })
    }
}

impl RollupBuilder {
    /// Adds a person without walking them into cells, for a builder to be finished with cells given whole
    /// ([`Self::finish_with_cells`]). One with no posts or no spans is not in the index.
    pub fn hold_contribution(&mut self, person: PersonId, c: Contribution) {
        if c.posts.is_empty() || c.spans.is_empty() {
            return;
        }
        self.index.hold(&c, true);
        self.index.people.insert(person, c);
    }

    /// The index with these cells: those an index holding exactly the people added (all by
    /// [`Self::hold_contribution`]) under the builder's unit tree gave by [`RollupIndex::cell_runs`], with requirement
    /// numbers this builder's ([`Self::intern`]). It answers as that index did.
    pub fn finish_with_cells(mut self, cells: impl IntoIterator<Item = CellRuns>) -> RollupIndex {
        debug_assert!(
            self.staged.iter().flatten().all(Option::is_none),
            "people were walked into cells that are then replaced"
        );
        let mut arena = Vec::new();
        let mut map = HashMap::new();
        for cell in cells {
            let mut h = Histogram::default();
            for (slot, days) in cell.runs.into_iter().enumerate() {
                debug_assert!(days.is_sorted(), "a cell's run of days is sorted");
                let start =
                    u32::try_from(arena.len()).expect("fewer than 4 billion days in an index");
                arena.extend_from_slice(&days);
                h.days[slot] = Days {
                    start,
                    len: u32::try_from(days.len()).expect("fewer than 4 billion days in a cell"),
                    changes: None,
                };
            }
            map.insert((cell.node, cell.requirement), h);
        }
        arena.shrink_to_fit();
        self.index.cells = map;
        self.index.arena = arena;
        self.index
    }
}

impl Hierarchy {
    /// Each unit with its parent, by unit id: the tree in a form to store.
    pub fn parents(&self) -> Vec<(UnitId, Option<UnitId>)> {
        let mut out: Vec<_> = self.parent.iter().map(|(&u, &p)| (u, p)).collect();
        out.sort_unstable();
        out
    }

    /// The tree from [`Self::parents`].
    pub fn from_parents(parents: impl IntoIterator<Item = (UnitId, Option<UnitId>)>) -> Self {
        Hierarchy {
            parent: parents.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Contribution, Hierarchy, Node, RollupIndex};
    use crate::Subject;
    use crate::model::RequirementKey;
    use crate::{PersonId, UnitId};

    /// An index restored from its people and its cells answers as the index it came from, at every node and day.
    #[test]
    fn an_index_from_its_cells_answers_as_the_one_walked() {
        let hierarchy = Hierarchy::from_parents([
            (UnitId(1), None),
            (UnitId(2), Some(UnitId(1))),
            (UnitId(3), Some(UnitId(1))),
            (UnitId(4), Some(UnitId(2))),
        ]);
        let fire = RequirementKey::new(Subject::from_static("cstf.fire_safety"), 1);
        let resus = RequirementKey::new(Subject::from_static("cstf.resuscitation"), 2);
        let mut walked = RollupIndex::builder(hierarchy.clone());
        let (f, r) = (walked.intern(&fire), walked.intern(&resus));
        let people: Vec<(PersonId, Contribution)> = (0..40)
            .map(|i: i32| {
                let unit = UnitId(i64::from(1 + i % 4));
                let mut posts = vec![(unit, 100 + i, if i % 7 == 0 { 300 } else { i32::MAX })];
                if i % 5 == 0 {
                    posts.push((UnitId(3), 250, i32::MAX));
                }
                let spans = vec![
                    (f, u8::try_from(i % 6).unwrap(), 90 + i, 200 + 3 * i),
                    (f, 3, 200 + 3 * i, i32::MAX),
                    (r, u8::try_from((i + 2) % 6).unwrap(), 150, i32::MAX),
                ];
                (PersonId(i64::from(i)), Contribution { posts, spans })
            })
            .collect();
        for (id, c) in &people {
            walked.add_contribution(*id, c.clone());
        }
        let walked = walked.finish();
        let mut copied = RollupIndex::builder(Hierarchy::from_parents(hierarchy.parents()));
        assert_eq!(Hierarchy::from_parents(hierarchy.parents()), hierarchy);
        // Interned in another order: the cells' numbers must be the new builder's.
        let (r2, f2) = (copied.intern(&resus), copied.intern(&fire));
        let renumber = |ix: u16| if ix == f { f2 } else { r2 };
        for (id, c) in &people {
            let spans = c
                .spans
                .iter()
                .map(|&(ix, s, a, b)| (renumber(ix), s, a, b))
                .collect();
            copied.hold_contribution(
                *id,
                Contribution {
                    posts: c.posts.clone(),
                    spans,
                },
            );
        }
        let copied = copied.finish_with_cells(walked.cell_runs().map(|mut cell| {
            cell.requirement = renumber(cell.requirement);
            cell
        }));
        let nodes = [
            Node::Org,
            Node::Unit(UnitId(1)),
            Node::Unit(UnitId(2)),
            Node::Unit(UnitId(3)),
            Node::Unit(UnitId(4)),
        ];
        let same = |a: &RollupIndex, b: &RollupIndex| {
            for node in nodes {
                for day in (80..420).step_by(7) {
                    let d = crate::dates::from_day_number(day);
                    assert_eq!(a.node(node, d), b.node(node, d), "{node:?} on day {day}");
                }
            }
            assert_eq!(a.requirements(), b.requirements());
            assert_eq!(a.people_indexed(), b.people_indexed());
        };
        same(&walked, &copied);
    }
}
