//! The point-in-time compliance report for inspection: every person in post on a date, in the whole organisation or
//! one unit, with their status for each requirement, as CSV, XLSX and PDF.
//!
//! It is read from the compliance read model (each person's status spans are already in memory), so a 20,000-person
//! organisation exports in well under a second. Only who is in the report and in what order is held for the whole
//! report (a few dozen bytes a person); statuses are worked out a slice at a time as the CSV streams, so memory stays
//! flat however large the organisation. The CSV is the canonical content:
//! it holds no generation time, so the same data gives the same bytes, and its SHA-256 is stated on the report page,
//! in the XLSX and PDF, and in the `X-Content-SHA256` header, for an inspector to check a file they were given.
//!
//! `csv.rs` writes the canonical CSV, `xlsx.rs` the workbook, `pdf/` the tagged, paginated PDF summary.

mod csv;
pub mod pdf;
mod xlsx;

use crate::auth::Caller;
use crate::{AppError, AppState};
use lantern_domain::access::Action;
use lantern_domain::rollup::{Counts, Node, PersonStatuses};
use lantern_domain::{Date, PersonId, Subject, Timestamp, UnitId};
use lantern_store::read_model::OrgRollup;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

pub use self::csv::CSV_SLICE;

/// Everything a report needs, computed once per request.
pub struct Report {
    pub ods_code: String,
    pub org_name: String,
    pub unit: Option<(i64, String)>,
    pub as_at: Date,
    /// When set, the report as Lantern had recorded things at this instant.
    pub known_at: Option<Timestamp>,
    pub generated_at: Timestamp,
    /// The organisation's date when it was generated.
    pub today: Date,
    /// Column headings: "Fire Safety L1", ...
    pub requirements: Vec<String>,
    pub summary: Vec<(String, Counts)>,
    /// Every unit in the report's scope, in tree order, with its counts over every requirement.
    pub units: Vec<UnitSummary>,
    /// Everyone in the report, in its order.
    pub rows: Arc<Vec<Row>>,
    /// SHA-256 of the CSV, hex.
    pub sha256: String,
    /// The index the statuses are read from, a slice at a time.
    rollup: Arc<OrgRollup>,
}

pub struct Row {
    pub employee_number: String,
    pub name: String,
    pub unit: String,
    person: PersonId,
    unit_id: Option<UnitId>,
}

/// One unit's line of the per-unit summary: its own figures include everything below it, as on the heatmap.
pub struct UnitSummary {
    pub name: String,
    pub code: String,
    /// 0 for the top of the report's scope.
    pub depth: usize,
    /// People in post in the unit or below it on the date.
    pub people: u32,
    /// Every requirement's counts added up.
    pub counts: Counts,
}

/// A cell of the person-level table: text, or a date that the XLSX writes as a real date.
pub(crate) enum Value {
    Text(String),
    Date(Option<Date>),
}

/// Builds the report for an organisation (or one unit of it) on `as_at` (default: the organisation's today);
/// auditors and organisation admins only.
pub async fn build(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    when: crate::when::AsAt,
    unit: Option<UnitId>,
) -> Result<Report, AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::Audit(org.id))?;
    let generated_at = crate::when::now();
    let today = org.today(generated_at);
    let (as_at, known_at) = when.resolve_at(&org, generated_at);
    let rollup = state
        .read_model
        .rollup(state.store.as_ref(), &scope, org.id, known_at)
        .await?;
    let units: HashMap<UnitId, String> = rollup
        .context
        .units_known_at(known_at)
        .iter()
        .map(|u| (u.id, u.name.clone()))
        .collect();
    let node = match unit {
        Some(u) => {
            if !units.contains_key(&u) {
                return Err(AppError::NotFound);
            }
            Node::Unit(u)
        }
        None => Node::Org,
    };
    let mut names: HashMap<_, _> = state
        .store
        .people_directory(&scope, org.id)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let titles: HashMap<(Subject, u8), String> =
        crate::views::titles(&rollup.context.rules, known_at)
            .into_iter()
            .map(|(k, (title, _))| (k, title))
            .collect();
    let requirements: Vec<String> = rollup
        .index
        .requirements()
        .iter()
        .map(|k| {
            let title = titles
                .get(&(k.subject.clone(), k.level))
                .cloned()
                .unwrap_or_else(|| k.subject.to_string());
            format!("{title} L{}", k.level)
        })
        .collect();
    let summary: Vec<(String, Counts)> = requirements
        .iter()
        .cloned()
        .zip(rollup.index.node(node, as_at).into_iter().map(|(_, c)| c))
        .collect();
    let mut rows: Vec<Row> = rollup
        .index
        .members_on(&rollup.hierarchy, node, as_at)
        .into_iter()
        .filter_map(|(person, unit_id)| {
            let n = names.remove(&person)?;
            Some(Row {
                employee_number: n.employee_number,
                name: format!("{} {}", n.given_name, n.family_name),
                unit: unit_id
                    .and_then(|u| units.get(&u).cloned())
                    .unwrap_or_default(),
                person,
                unit_id,
            })
        })
        .collect();
    drop(names);
    rows.sort_by(|a, b| {
        (&a.unit, &a.name, &a.employee_number).cmp(&(&b.unit, &b.name, &b.employee_number))
    });
    let unit_summaries = unit_summaries(&rollup, unit, &rows, as_at);
    let mut report = Report {
        ods_code: org.ods_code.to_string(),
        org_name: org.name.clone(),
        unit: unit.map(|u| (u.0, units[&u].clone())),
        as_at,
        known_at,
        generated_at,
        today,
        requirements,
        summary,
        units: unit_summaries,
        rows: Arc::new(rows),
        sha256: String::new(),
        rollup: rollup.clone(),
    };
    let mut hasher = Sha256::new();
    hasher.update(report.csv_header());
    for chunk in report.rows.chunks(CSV_SLICE) {
        hasher.update(report.csv_rows(chunk));
    }
    report.sha256 = hex::encode(hasher.finalize());
    Ok(report)
}

/// Every unit in scope (the whole organisation, or `top` and what is below it), in tree order, with its figures from
/// the roll-up index and its people counted from the report's rows (one walk up the tree per person).
fn unit_summaries(
    rollup: &OrgRollup,
    top: Option<UnitId>,
    rows: &[Row],
    as_at: Date,
) -> Vec<UnitSummary> {
    let mut people: HashMap<UnitId, u32> = HashMap::new();
    for row in rows {
        if let Some(u) = row.unit_id {
            for node in rollup.hierarchy.path(u) {
                if let Node::Unit(id) = node {
                    *people.entry(id).or_default() += 1;
                }
            }
        }
    }
    let units = rollup.context.units_known_at(rollup.known_at);
    let order = crate::views::tree_order(&units);
    let base = top
        .and_then(|t| order.iter().find(|(u, _)| u.id == t).map(|(_, d)| *d))
        .unwrap_or(1);
    order
        .into_iter()
        .filter(|(u, _)| top.is_none_or(|t| rollup.hierarchy.is_within(u.id, t)))
        .map(|(u, depth)| {
            let mut counts = Counts::default();
            for (_, c) in rollup.index.node(Node::Unit(u.id), as_at) {
                counts.merge(&c);
            }
            UnitSummary {
                name: u.name.clone(),
                code: u.code.clone(),
                depth: depth.saturating_sub(base),
                people: people.get(&u.id).copied().unwrap_or(0),
                counts,
            }
        })
        .collect()
}

impl Report {
    pub fn scope_label(&self) -> String {
        match &self.unit {
            Some((_, name)) => format!("{}, {}", name, self.org_name),
            None => self.org_name.clone(),
        }
    }

    pub fn file_stem(&self) -> String {
        match &self.unit {
            Some((id, _)) => format!("compliance-{}-unit-{id}-{}", self.ods_code, self.as_at),
            None => format!("compliance-{}-{}", self.ods_code, self.as_at),
        }
    }

    /// The generation time as every output states it.
    pub fn generated_label(&self) -> String {
        self.generated_at
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string()
    }

    /// Headings of the person-level table (CSV and the XLSX's people sheet).
    fn headings(&self) -> Vec<String> {
        let mut h = vec![
            "Employee number".to_owned(),
            "Name".to_owned(),
            "Unit".to_owned(),
        ];
        for r in &self.requirements {
            h.push(r.clone());
            h.push(format!("{r} due"));
        }
        h
    }

    /// The statuses of a slice of the report's people, from the index.
    fn statuses(&self, rows: &[Row]) -> Vec<PersonStatuses> {
        let people: Vec<(PersonId, Option<UnitId>)> =
            rows.iter().map(|r| (r.person, r.unit_id)).collect();
        self.rollup.index.statuses_for(&people, self.as_at)
    }

    /// One person's line of the person-level table, in [`Self::headings`] order.
    fn values(&self, row: &Row, statuses: &PersonStatuses) -> Vec<Value> {
        let mut v = vec![
            Value::Text(row.employee_number.clone()),
            Value::Text(row.name.clone()),
            Value::Text(row.unit.clone()),
        ];
        for s in &statuses.statuses {
            match s {
                Some((status, due)) => {
                    v.push(Value::Text(status.label().to_owned()));
                    v.push(Value::Date(*due));
                }
                None => {
                    v.push(Value::Text("Not applicable".to_owned()));
                    v.push(Value::Date(None));
                }
            }
        }
        v
    }
}
