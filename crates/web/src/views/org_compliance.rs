//! An organisation's compliance by unit and requirement: the heatmap page (`/orgs/{ods}`) and its API twin
//! (`/api/v1/organisations/{ods}/compliance`).
//!
//! A trust has hundreds of wards, and a heatmap of all of them is a page nobody can read (or download quickly on a
//! phone). So the view answers for a part of the unit tree: the organisation, or one unit (`within`), with the levels
//! below it that `Levels` asks for. A row whose children are not shown says how many there are, and the page links
//! it to the same view within that unit. The API shows the whole tree unless asked otherwise.

use super::{Cell, RequirementColumn, titles, tree_order};
use crate::auth::Caller;
use crate::when::AsAt;
use crate::{AppError, AppState};
use chrono::NaiveDate;
use lantern_domain::access::Action;
use lantern_domain::rollup::{Counts, Node};
use lantern_domain::*;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UnitRowView {
    /// Null for the organisation's own row.
    pub unit_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub kind: String,
    /// Depth below the top of the view: 0 for the organisation (or the unit asked for with `unit`), 1 for the
    /// level below it, and so on.
    pub depth: usize,
    pub cells: Vec<Cell>,
    /// All requirements together.
    pub overall: Cell,
    /// Units directly below this one that are not rows of this view (ask again with `unit` set to this row's
    /// unit to see them). 0 when they are all shown or there are none.
    pub units_not_shown: usize,
}

/// A unit above the top of the view, for breadcrumbs.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UnitLink {
    pub unit_id: i64,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrgComplianceView {
    pub ods_code: String,
    pub name: String,
    pub target_percent: f64,
    pub as_at: NaiveDate,
    pub known_at: Option<chrono::DateTime<chrono::Utc>>,
    pub requirements: Vec<RequirementColumn>,
    /// The unit the view is within (null for the whole organisation), with the units above it that the caller
    /// may see, from the top of the tree down.
    pub within: Option<UnitLink>,
    pub within_path: Vec<UnitLink>,
    /// The top row (the organisation, or the unit asked for) first, then units in tree order.
    pub rows: Vec<UnitRowView>,
}

/// How many levels of units below the top a view shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Levels {
    /// Every unit.
    All,
    /// At most this many levels (at least 1).
    UpTo(usize),
    /// As many whole levels as fit in this many unit rows (at least the first level, however many that is):
    /// what the page shows, so a small organisation sees every unit and a trust sees its directorates and
    /// departments.
    Fit(usize),
}

/// The unit rows a page shows before it asks the reader to choose a unit.
pub const PAGE_ROWS: usize = 40;

pub async fn org_compliance(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    when: AsAt,
    within: Option<UnitId>,
    levels: Levels,
) -> Result<OrgComplianceView, AppError> {
    let scope = &caller.scope();
    let org = state.store.org_by_code(scope, ods).await?;
    caller.require(Action::ViewCompliance(org.id))?;
    let (as_at, known_at) = when.resolve(&org);
    let rollup = state
        .read_model
        .rollup(state.store.as_ref(), scope, org.id, known_at)
        .await?;
    let titles = titles(&rollup.context.rules, known_at);
    // Columns: requirements that apply to someone on the date, in framework then subject order.
    let org_cells = rollup.index.node(Node::Org, as_at);
    let mut columns: Vec<(RequirementKey, RequirementColumn)> = org_cells
        .iter()
        .filter(|(_, c)| c.applicable() > 0)
        .map(|(k, _)| {
            let (title, framework) = titles
                .get(&(k.subject.clone(), k.level))
                .cloned()
                .unwrap_or_default();
            (
                k.clone(),
                RequirementColumn {
                    subject: k.subject.clone(),
                    level: k.level,
                    title,
                    framework,
                },
            )
        })
        .collect();
    columns.sort_by(|a, b| {
        (&a.1.framework, &a.1.title, a.1.level).cmp(&(&b.1.framework, &b.1.title, b.1.level))
    });

    let units = rollup.context.units_known_at(known_at);
    let ordered = tree_order(&units);
    let sees = |u: &Unit| scope.sees_unit(org.id, u.id, &rollup.hierarchy);
    // The units the view may show, with their depth below its top.
    let (top, candidates) = match within {
        Some(id) => {
            let at = ordered
                .iter()
                .position(|(u, _)| u.id == id && sees(u))
                .ok_or(AppError::NotFound)?;
            let (focus, depth) = ordered[at];
            // Depth-first order: the unit's subtree is the run after it that is deeper.
            let below = ordered[at + 1..]
                .iter()
                .take_while(|(_, d)| *d > depth)
                .map(|(u, d)| (*u, d - depth));
            (Some(focus), below.collect::<Vec<_>>())
        }
        None => (None, visible_below_org(&ordered, sees)),
    };
    let shown_levels = match levels {
        Levels::All => usize::MAX,
        Levels::UpTo(n) => n.max(1),
        Levels::Fit(rows) => fitting_levels(&candidates, rows),
    };
    let mut children: HashMap<UnitId, usize> = HashMap::new();
    for (u, _) in &candidates {
        if let Some(parent) = u.parent_id {
            *children.entry(parent).or_default() += 1;
        }
    }

    let row = |node: Node, unit: Option<&Unit>, depth: usize| -> Option<UnitRowView> {
        let mut overall = Counts::default();
        let cells: Vec<Cell> = columns
            .iter()
            .map(|(k, _)| {
                let c = rollup.index.counts(node, k, as_at);
                overall.merge(&c);
                Cell::new(c)
            })
            .collect();
        if depth > 0 && overall.applicable() == 0 {
            return None; // nobody in post there on that date
        }
        let units_not_shown = match unit {
            Some(u) if depth >= shown_levels => children.get(&u.id).copied().unwrap_or(0),
            _ => 0,
        };
        Some(UnitRowView {
            unit_id: unit.map(|u| u.id.0),
            code: unit
                .map(|u| u.code.clone())
                .unwrap_or_else(|| org.ods_code.to_string()),
            name: unit
                .map(|u| u.name.clone())
                .unwrap_or_else(|| org.name.clone()),
            kind: unit
                .map(|u| u.kind.label().to_owned())
                .unwrap_or_else(|| "Organisation".to_owned()),
            depth,
            cells,
            overall: Cell::new(overall),
            units_not_shown,
        })
    };
    let mut rows = Vec::new();
    match top {
        Some(unit) => rows.extend(row(Node::Unit(unit.id), Some(unit), 0)),
        None if scope.sees_whole_org(org.id) => rows.extend(row(Node::Org, None, 0)),
        None => {}
    }
    for (unit, depth) in candidates {
        if depth <= shown_levels {
            rows.extend(row(Node::Unit(unit.id), Some(unit), depth));
        }
    }
    let within_path = match top {
        Some(unit) => path_above(&units, unit, sees),
        None => Vec::new(),
    };
    Ok(OrgComplianceView {
        ods_code: org.ods_code.to_string(),
        name: org.name,
        target_percent: rollup.context.target_known_at(known_at),
        as_at,
        known_at,
        requirements: columns.into_iter().map(|(_, c)| c).collect(),
        within: top.map(|u| UnitLink {
            unit_id: u.id.0,
            name: u.name.clone(),
        }),
        within_path,
        rows,
    })
}

/// The units the caller sees, with their depth below the organisation as the caller sees it: a manager granted
/// two wards sees them both at depth 1. Seeing a unit means seeing everything below it, so in depth-first order
/// a unit the caller sees that is not inside the current visible subtree starts a new one.
fn visible_below_org<'a>(
    ordered: &[(&'a Unit, usize)],
    sees: impl Fn(&Unit) -> bool,
) -> Vec<(&'a Unit, usize)> {
    let mut out = Vec::new();
    let mut root_depth: Option<usize> = None;
    for &(unit, depth) in ordered {
        if root_depth.is_some_and(|r| depth <= r) {
            root_depth = None;
        }
        if root_depth.is_none() && sees(unit) {
            root_depth = Some(depth);
        }
        if let Some(r) = root_depth {
            out.push((unit, depth - r + 1));
        }
    }
    out
}

/// The most whole levels whose units fit in `rows` (at least 1).
fn fitting_levels(candidates: &[(&Unit, usize)], rows: usize) -> usize {
    let mut per_level: Vec<usize> = Vec::new();
    for (_, depth) in candidates {
        if per_level.len() < *depth {
            per_level.resize(*depth, 0);
        }
        per_level[depth - 1] += 1;
    }
    let mut total = 0;
    let mut levels = 0;
    for count in per_level {
        total += count;
        if total > rows && levels > 0 {
            break;
        }
        levels += 1;
    }
    levels.max(1)
}

/// The units above `unit` that the caller sees, from the top down.
fn path_above(units: &[Unit], unit: &Unit, sees: impl Fn(&Unit) -> bool) -> Vec<UnitLink> {
    let by_id: HashMap<UnitId, &Unit> = units.iter().map(|u| (u.id, u)).collect();
    let mut path = Vec::new();
    let mut parent = unit.parent_id;
    while let Some(p) = parent.and_then(|id| by_id.get(&id)) {
        if sees(p) {
            path.push(UnitLink {
                unit_id: p.id.0,
                name: p.name.clone(),
            });
        }
        parent = p.parent_id;
    }
    path.reverse();
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: i64, parent: Option<i64>) -> Unit {
        Unit {
            id: UnitId(id),
            org_id: OrgId(1),
            parent_id: parent.map(UnitId),
            site_id: None,
            code: format!("U{id}"),
            name: format!("Unit {id:03}"),
            kind: UnitKind::Ward,
            recorded_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    /// Two directorates (1, 2), each with two departments, each with three wards: 2 + 4 + 12 units.
    fn trust() -> Vec<Unit> {
        let mut units = vec![unit(1, None), unit(2, None)];
        for d in [1, 2] {
            for p in 0..2 {
                let dept = d * 10 + p;
                units.push(unit(dept, Some(d)));
                for w in 0..3 {
                    units.push(unit(dept * 10 + w, Some(dept)));
                }
            }
        }
        units
    }

    #[test]
    fn a_page_shows_the_whole_levels_that_fit() {
        let units = trust();
        let ordered = tree_order(&units);
        let all = visible_below_org(&ordered, |_| true);
        assert_eq!(all.len(), 18);
        assert_eq!(fitting_levels(&all, 40), 3, "everything fits");
        assert_eq!(fitting_levels(&all, 17), 2, "the wards do not");
        assert_eq!(
            fitting_levels(&all, 6),
            2,
            "directorates and departments exactly"
        );
        assert_eq!(fitting_levels(&all, 5), 1);
        assert_eq!(fitting_levels(&all, 1), 1, "never fewer than one level");
    }

    #[test]
    fn a_manager_sees_their_units_from_the_top() {
        let units = trust();
        let ordered = tree_order(&units);
        // Granted department 11 (under directorate 1) and ward 200 (under department 20).
        let granted = [
            UnitId(11),
            UnitId(110),
            UnitId(111),
            UnitId(112),
            UnitId(200),
        ];
        let seen = visible_below_org(&ordered, |u| granted.contains(&u.id));
        let depths: Vec<(i64, usize)> = seen.iter().map(|(u, d)| (u.id.0, *d)).collect();
        assert_eq!(
            depths,
            vec![(11, 1), (110, 2), (111, 2), (112, 2), (200, 1)]
        );
    }

    #[test]
    fn the_path_above_a_unit_names_only_units_the_caller_sees() {
        let units = trust();
        let ward = units.iter().find(|u| u.id == UnitId(201)).unwrap();
        let names = |path: Vec<UnitLink>| path.into_iter().map(|l| l.unit_id).collect::<Vec<_>>();
        assert_eq!(names(path_above(&units, ward, |_| true)), vec![2, 20]);
        assert_eq!(
            names(path_above(&units, ward, |u| u.id != UnitId(2))),
            vec![20]
        );
    }
}
