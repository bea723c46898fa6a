//! The point-in-time compliance report for inspection: every person in post on a date, in the whole organisation or
//! one unit, with their status for each requirement, as CSV, XLSX and PDF.
//!
//! It is read from the compliance read model (each person's status spans are already in memory), so a 20,000-person
//! organisation exports in well under a second. Only who is in the report and in what order is held for the whole
//! report (a few dozen bytes a person); statuses are worked out a slice at a time as the CSV streams, so memory stays
//! flat however large the organisation. The CSV is the canonical content:
//! it holds no generation time, so the same data gives the same bytes, and its SHA-256 is stated on the report page,
//! in the XLSX and PDF, and in the `X-Content-SHA256` header, for an inspector to check a file they were given.

use crate::auth::Caller;
use crate::{AppError, AppState};
use lantern_domain::access::Action;
use lantern_domain::rollup::{Counts, Node, PersonStatuses};
use lantern_domain::{Date, PersonId, Timestamp, UnitId};
use lantern_store::read_model::OrgRollup;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// Everything a report needs, computed once per request.
pub struct Report {
    pub ods_code: String,
    pub org_name: String,
    pub unit: Option<(i64, String)>,
    pub as_at: Date,
    pub generated_at: Timestamp,
    /// Column headings: "Fire Safety L1", ...
    pub requirements: Vec<String>,
    pub summary: Vec<(String, Counts)>,
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

/// Builds the report for an organisation (or one unit of it) on `as_at`; auditors and organisation admins only.
pub async fn build(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    as_at: Date,
    unit: Option<UnitId>,
) -> Result<Report, AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::Audit(org.id))?;
    let rollup = state
        .read_model
        .rollup(state.store.as_ref(), &scope, org.id, None)
        .await?;
    let units: HashMap<UnitId, String> = rollup
        .context
        .units
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
    let titles: HashMap<(String, u8), String> = rollup
        .context
        .rules
        .iter()
        .map(|r| ((r.subject.clone(), r.level), r.title.clone()))
        .collect();
    let requirements: Vec<String> = rollup
        .index
        .requirements()
        .iter()
        .map(|k| {
            let title = titles
                .get(&(k.subject.clone(), k.level))
                .cloned()
                .unwrap_or_else(|| k.subject.clone());
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
    let mut report = Report {
        ods_code: org.ods_code.clone(),
        org_name: org.name.clone(),
        unit: unit.map(|u| (u.0, units[&u].clone())),
        as_at,
        generated_at: chrono::Utc::now(),
        requirements,
        summary,
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

/// Rows per streamed CSV piece.
pub const CSV_SLICE: usize = 1000;

fn cell(s: &str) -> String {
    // A leading = + - @ is neutralised so that no spreadsheet runs a cell as a formula.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
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

    fn values(&self, row: &Row, statuses: &PersonStatuses) -> Vec<String> {
        let mut v = vec![
            row.employee_number.clone(),
            row.name.clone(),
            row.unit.clone(),
        ];
        for s in &statuses.statuses {
            match s {
                Some((status, due)) => {
                    v.push(status.label().to_owned());
                    v.push(due.map(|d| d.to_string()).unwrap_or_default());
                }
                None => {
                    v.push("Not applicable".to_owned());
                    v.push(String::new());
                }
            }
        }
        v
    }

    pub fn csv_header(&self) -> Vec<u8> {
        let mut out = self
            .headings()
            .iter()
            .map(|h| cell(h))
            .collect::<Vec<_>>()
            .join(",");
        out.push_str("\r\n");
        out.into_bytes()
    }

    pub fn csv_rows(&self, rows: &[Row]) -> Vec<u8> {
        let mut out = String::with_capacity(rows.len() * 256);
        for (r, s) in rows.iter().zip(self.statuses(rows)) {
            out.push_str(
                &self
                    .values(r, &s)
                    .iter()
                    .map(|c| cell(c))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push_str("\r\n");
        }
        out.into_bytes()
    }

    /// The report as an Excel workbook: the people on the first sheet (written in constant memory), the summary and
    /// what the report is on the second.
    pub fn xlsx(&self) -> anyhow::Result<Vec<u8>> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let people = wb.add_worksheet_with_constant_memory()?;
        people.set_name("People")?;
        for (c, h) in self.headings().iter().enumerate() {
            people.write_string_with_format(0, c as u16, h, &bold)?;
        }
        for (slice, rows) in self.rows.chunks(CSV_SLICE).enumerate() {
            for (i, (r, s)) in rows.iter().zip(self.statuses(rows)).enumerate() {
                let line = (slice * CSV_SLICE + i) as u32 + 1;
                for (c, v) in self.values(r, &s).iter().enumerate() {
                    people.write_string(line, c as u16, v)?;
                }
            }
        }
        let about = wb.add_worksheet();
        about.set_name("About")?;
        let lines = [
            (
                "Report",
                format!(
                    "Statutory and mandatory training compliance: {}",
                    self.scope_label()
                ),
            ),
            ("As at", self.as_at.to_string()),
            (
                "Generated",
                self.generated_at
                    .format("%Y-%m-%d %H:%M:%S UTC")
                    .to_string(),
            ),
            ("People", self.rows.len().to_string()),
            ("SHA-256 of the CSV", self.sha256.clone()),
        ];
        for (i, (k, v)) in lines.iter().enumerate() {
            about.write_string_with_format(i as u32, 0, *k, &bold)?;
            about.write_string(i as u32, 1, v)?;
        }
        let top = lines.len() as u32 + 1;
        for (c, h) in [
            "Requirement",
            "Applicable",
            "Compliant",
            "Expiring",
            "Expired",
            "Missing",
            "Pending",
            "Exempt",
            "%",
        ]
        .iter()
        .enumerate()
        {
            about.write_string_with_format(top, c as u16, *h, &bold)?;
        }
        for (i, (title, c)) in self.summary.iter().enumerate() {
            let r = top + 1 + i as u32;
            about.write_string(r, 0, title)?;
            let nums = [
                c.applicable(),
                c.compliant,
                c.expiring,
                c.expired,
                c.missing,
                c.pending,
                c.exempt,
            ];
            for (j, n) in nums.iter().enumerate() {
                about.write_number(r, j as u16 + 1, f64::from(*n))?;
            }
            if let Some(p) = c.percent() {
                about.write_number(r, 8, (p * 10.0).round() / 10.0)?;
            }
        }
        Ok(wb.save_to_buffer()?)
    }

    /// The report as a PDF for the inspection file: what it is, when, its hash, and the counts per requirement.
    /// (The person-level detail is in the CSV and XLSX, whose hash the PDF states.)
    pub fn pdf(&self) -> Vec<u8> {
        use printpdf::*;
        let font = |size: f32, bold: bool| Op::SetFont {
            font: PdfFontHandle::Builtin(if bold {
                BuiltinFont::HelveticaBold
            } else {
                BuiltinFont::Helvetica
            }),
            size: Pt(size),
        };
        let text = |s: String| Op::ShowText {
            items: vec![TextItem::Text(s)],
        };
        let at = |x: f32, y: f32| Op::SetTextCursor {
            pos: Point {
                x: Mm(x).into(),
                y: Mm(y).into(),
            },
        };
        let mut ops = vec![Op::StartTextSection, font(16.0, true), at(20.0, 275.0)];
        ops.push(text("Statutory and mandatory training compliance".into()));
        ops.extend([
            Op::EndTextSection,
            Op::StartTextSection,
            font(10.0, false),
            at(20.0, 265.0),
        ]);
        let meta = [
            format!("Organisation: {} ({})", self.org_name, self.ods_code),
            format!(
                "Scope: {}",
                self.unit
                    .as_ref()
                    .map_or("the whole organisation".to_owned(), |(_, n)| n.clone())
            ),
            format!("As at: {}", self.as_at),
            format!(
                "Generated: {}",
                self.generated_at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            format!("People in post: {}", self.rows.len()),
            format!("SHA-256 of the person-level CSV: {}", self.sha256),
        ];
        ops.push(Op::SetLineHeight { lh: Pt(14.0) });
        for m in meta {
            ops.push(text(m));
            ops.push(Op::AddLineBreak);
        }
        ops.push(Op::EndTextSection);
        let cols: [(f32, &str); 9] = [
            (20.0, "Requirement"),
            (100.0, "Applies"),
            (115.0, "Compliant"),
            (132.0, "Expiring"),
            (148.0, "Expired"),
            (162.0, "Missing"),
            (176.0, "New"),
            (186.0, "Exempt"),
            (198.0, "%"),
        ];
        let mut y = 170.0;
        ops.extend([Op::StartTextSection, font(8.5, true)]);
        for (x, h) in cols {
            ops.push(at(x, y));
            ops.push(text(h.into()));
        }
        ops.push(Op::EndTextSection);
        ops.extend([Op::StartTextSection, font(8.5, false)]);
        for (title, c) in &self.summary {
            y -= 6.0;
            let cells = [
                title.chars().take(48).collect::<String>(),
                c.applicable().to_string(),
                c.compliant.to_string(),
                c.expiring.to_string(),
                c.expired.to_string(),
                c.missing.to_string(),
                c.pending.to_string(),
                c.exempt.to_string(),
                c.percent().map_or("n/a".to_owned(), |p| format!("{p:.0}")),
            ];
            for ((x, _), v) in cols.iter().zip(cells) {
                ops.push(at(*x, y));
                ops.push(text(v));
            }
        }
        ops.push(Op::EndTextSection);
        ops.extend([Op::StartTextSection, font(8.0, false), at(20.0, y - 12.0)]);
        ops.push(text(
            "Percent = (compliant + expiring) / (applicable - exempt - new starters inside their deadline).".into(),
        ));
        ops.push(Op::EndTextSection);
        let page = PdfPage::new(Mm(210.0), Mm(297.0), ops);
        let mut warnings = Vec::new();
        PdfDocument::new(&format!(
            "Compliance {} as at {}",
            self.ods_code, self.as_at
        ))
        .with_pages(vec![page])
        .save(&PdfSaveOptions::default(), &mut warnings)
    }
}
