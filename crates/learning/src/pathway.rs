//! Course prerequisites and the order of a person's pathway.
//!
//! Prerequisites form a directed graph (a course requires others). A cycle would make some course impossible to
//! start, so authoring refuses one and names it ([`find_cycle`]). A pathway takes the courses a person needs, each
//! with a rank (for example: mandatory gaps by due date first, then development for their role), pulls in any
//! prerequisite they have not completed, and orders everything so that no course comes before what it requires and,
//! among the courses free to start, the most urgent comes first ([`order`]).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

/// The first cycle found among the prerequisite edges `(course, requires)`, as the path that closes it
/// (`[a, b, c, a]`: a requires b requires c requires a), or None.
pub fn find_cycle<'a>(edges: &[(&'a str, &'a str)]) -> Option<Vec<&'a str>> {
    let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for &(course, requires) in edges {
        graph.entry(course).or_default().push(requires);
        graph.entry(requires).or_default();
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Unseen,
        OnPath,
        Done,
    }
    let mut mark: BTreeMap<&str, Mark> = graph.keys().map(|k| (*k, Mark::Unseen)).collect();
    // Iterative depth-first search (no recursion: an authored graph may be long).
    for &start in graph.keys() {
        if mark[start] != Mark::Unseen {
            continue;
        }
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        mark.insert(start, Mark::OnPath);
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            let edges = &graph[node];
            if *next < edges.len() {
                let to = edges[*next];
                *next += 1;
                match mark[to] {
                    Mark::OnPath => {
                        let from = path
                            .iter()
                            .position(|(n, _)| *n == to)
                            .expect("on the path");
                        let mut cycle: Vec<&str> = path[from..].iter().map(|(n, _)| *n).collect();
                        cycle.push(to);
                        return Some(cycle);
                    }
                    Mark::Unseen => {
                        mark.insert(to, Mark::OnPath);
                        path.push((to, 0));
                    }
                    Mark::Done => {}
                }
            } else {
                mark.insert(node, Mark::Done);
                path.pop();
            }
        }
    }
    None
}

/// Why a course is on a pathway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why<'a> {
    /// The person needs it (a requirement, an assignment, a development goal).
    Needed,
    /// It is required before this course.
    PrerequisiteOf(&'a str),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step<'a, R> {
    pub course: &'a str,
    pub rank: R,
    pub why: Why<'a>,
}

/// Orders a pathway. `needed` are the courses the person needs with their ranks (lower is more urgent);
/// `edges` are `(course, requires)`; `completed` courses are neither added nor waited for. A prerequisite takes the
/// most urgent rank of the courses that need it. The graph must be acyclic (authoring refuses cycles); should one
/// slip through, the courses on it are left out rather than looping.
pub fn order<'a, R: Ord + Clone>(
    needed: &[(&'a str, R)],
    edges: &[(&'a str, &'a str)],
    completed: &BTreeSet<&str>,
) -> Vec<Step<'a, R>> {
    let mut requires: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for &(course, req) in edges {
        requires.entry(course).or_default().push(req);
    }
    // Every course on the pathway with its rank and why, pulling in prerequisites not yet completed.
    let mut on: BTreeMap<&'a str, (R, Why<'a>)> = BTreeMap::new();
    let mut todo: Vec<(&'a str, R, Why<'a>)> = needed
        .iter()
        .filter(|(c, _)| !completed.contains(c))
        .map(|(c, r)| (*c, r.clone(), Why::Needed))
        .collect();
    while let Some((course, rank, why)) = todo.pop() {
        match on.get_mut(course) {
            Some((have, have_why)) => {
                if rank < *have {
                    *have = rank.clone();
                } else {
                    continue;
                }
                if why == Why::Needed {
                    *have_why = Why::Needed;
                }
            }
            None => {
                on.insert(course, (rank.clone(), why));
            }
        }
        for req in requires.get(course).into_iter().flatten() {
            if !completed.contains(req) {
                todo.push((req, rank.clone(), Why::PrerequisiteOf(course)));
            }
        }
    }
    // Kahn's algorithm: a course is free once all its prerequisites on the pathway are placed; the most urgent free
    // course goes next (ties by name, so the order is stable).
    let mut waiting: BTreeMap<&str, usize> = on
        .keys()
        .map(|c| {
            let n = requires
                .get(c)
                .into_iter()
                .flatten()
                .filter(|r| on.contains_key(*r))
                .count();
            (*c, n)
        })
        .collect();
    let mut unlocks: BTreeMap<&str, Vec<&'a str>> = BTreeMap::new();
    for (&course, reqs) in &requires {
        if on.contains_key(course) {
            for r in reqs.iter().filter(|r| on.contains_key(*r)) {
                unlocks.entry(r).or_default().push(course);
            }
        }
    }
    let mut free: BinaryHeap<Reverse<(R, &'a str)>> = on
        .iter()
        .filter(|(c, _)| waiting[*c] == 0)
        .map(|(c, (r, _))| Reverse((r.clone(), *c)))
        .collect();
    let mut out = Vec::with_capacity(on.len());
    while let Some(Reverse((rank, course))) = free.pop() {
        for &next in unlocks.get(course).into_iter().flatten() {
            let w = waiting.get_mut(next).expect("on the pathway");
            *w -= 1;
            if *w == 0 {
                free.push(Reverse((on[next].0.clone(), next)));
            }
        }
        out.push(Step {
            course,
            rank,
            why: on[course].1.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_is_found_and_named_as_a_path() {
        assert_eq!(find_cycle(&[("b", "a"), ("c", "b")]), None);
        assert_eq!(
            find_cycle(&[("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]),
            Some(vec!["a", "b", "c", "a"])
        );
        assert_eq!(find_cycle(&[("x", "x")]), Some(vec!["x", "x"]));
        // A long chain is walked without recursion.
        let names: Vec<String> = (0..100_000).map(|i| format!("c{i:06}")).collect();
        let chain: Vec<(&str, &str)> = names
            .windows(2)
            .map(|w| (w[0].as_str(), w[1].as_str()))
            .collect();
        assert_eq!(find_cycle(&chain), None);
    }

    #[test]
    fn prerequisites_come_first_and_the_most_urgent_free_course_leads() {
        // Resuscitation L2 requires L1; the person needs L2 (due in 10 days) and fire safety (due in 30).
        let needed = [("resus-2", 10), ("fire", 30), ("ai-basics", 90)];
        let edges = [("resus-2", "resus-1"), ("ai-advanced", "ai-basics")];
        let steps = order(&needed, &edges, &BTreeSet::new());
        let courses: Vec<&str> = steps.iter().map(|s| s.course).collect();
        assert_eq!(courses, ["resus-1", "resus-2", "fire", "ai-basics"]);
        assert_eq!(steps[0].why, Why::PrerequisiteOf("resus-2"));
        assert_eq!(
            steps[0].rank, 10,
            "a prerequisite takes its dependant's urgency"
        );
        assert_eq!(steps[1].why, Why::Needed);
    }

    #[test]
    fn completed_courses_are_neither_added_nor_waited_for() {
        let needed = [("resus-2", 10)];
        let edges = [("resus-2", "resus-1")];
        let done = BTreeSet::from(["resus-1"]);
        let steps = order(&needed, &edges, &done);
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].course, "resus-2");
        assert!(order(&needed, &edges, &BTreeSet::from(["resus-2"])).is_empty());
    }

    #[test]
    fn a_shared_prerequisite_takes_the_most_urgent_rank_and_appears_once() {
        let needed = [("late", 50), ("soon", 5), ("other", 20)];
        let edges = [("late", "base"), ("soon", "base")];
        let steps = order(&needed, &edges, &BTreeSet::new());
        let courses: Vec<(&str, i32)> = steps.iter().map(|s| (s.course, s.rank)).collect();
        assert_eq!(
            courses,
            [("base", 5), ("soon", 5), ("other", 20), ("late", 50)]
        );
    }

    #[test]
    fn a_cycle_that_slipped_through_leaves_its_courses_out_rather_than_looping() {
        let needed = [("a", 1), ("z", 2)];
        let edges = [("a", "b"), ("b", "a")];
        let steps = order(&needed, &edges, &BTreeSet::new());
        assert_eq!(steps.iter().map(|s| s.course).collect::<Vec<_>>(), ["z"]);
    }
}
