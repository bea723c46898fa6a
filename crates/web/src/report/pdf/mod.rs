//! The report as a PDF for the inspection file: a title block saying what it covers, when it was generated and the
//! hash of the person-level CSV; the summary by requirement; the summary by unit. Every page's footer repeats the
//! page number, the generation time and the hash, so a single page taken out of the file still says where it is from.
//! (The person-level detail is in the CSV and XLSX, whose hash the PDF states.)
//!
//! It is written as PDF/UA-1 (ISO 14289-1): tagged, with its language and title, embedded fonts and an outline;
//! krilla checks those rules as it writes, and the download fails rather than hand out a document that breaks them.

pub mod certificate;
mod fonts;
mod layout;

use super::Report;
use krilla::configure::{Accessibility, ConfigurationBuilder, Validator};
use krilla::metadata::{DateTime, Metadata};
use krilla::{Document, SerializeSettings};
use lantern_domain::rollup::Counts;
use layout::{Block, Column, Content, Table, TableRow, WIDTH};

/// Indent per level of the unit tree, in points.
const INDENT: f32 = 9.0;

const COUNT_HEADINGS: [&str; 8] = [
    "Applicable",
    "Compliant",
    "Expiring",
    "Expired",
    "Missing",
    "Not yet due",
    "Exempt",
    "Compliance",
];

/// Explains the percentage, under the first table.
const PERCENT_NOTE: &str = "Compliance = (compliant + expiring) / (applicable - exempt - not yet due). Not yet due: \
new starters, and people a rule change made due, inside their deadline. Each unit's figures include the units below it.";

fn count_cells(c: &Counts) -> Vec<String> {
    vec![
        c.applicable().to_string(),
        c.compliant.to_string(),
        c.expiring.to_string(),
        c.expired.to_string(),
        c.missing.to_string(),
        c.pending.to_string(),
        c.exempt.to_string(),
        c.percent().map_or("n/a".to_owned(), |p| format!("{p:.0}%")),
    ]
}

/// Columns: the count columns as wide as their widest heading word (so no heading word is ever cut), and the leading
/// columns sharing what is left in the given proportions.
fn columns(leading: &[(&str, f32)], numeric: &[&str]) -> Vec<Column> {
    let numeric: Vec<Column> = numeric
        .iter()
        .map(|h| Column {
            heading: (*h).to_owned(),
            width: layout::min_width(h),
            numeric: true,
        })
        .collect();
    let left = WIDTH - numeric.iter().map(|c| c.width).sum::<f32>();
    let parts: f32 = leading.iter().map(|(_, p)| p).sum();
    leading
        .iter()
        .map(|(h, p)| Column {
            heading: (*h).to_owned(),
            width: left * p / parts,
            numeric: false,
        })
        .chain(numeric)
        .collect()
}

impl Report {
    /// The document's title, in its metadata (shown by viewers in place of the file name) and as its first heading.
    fn pdf_title(&self) -> String {
        format!(
            "Statutory and mandatory training compliance: {} as at {}",
            self.scope_label(),
            self.as_at
        )
    }

    fn pdf_blocks(&self) -> Vec<Block> {
        let para = |label: &str, text: String| Block::Para {
            label: Some(format!("{label}: ")),
            text,
            size: 9.5,
        };
        let mut blocks = vec![
            Block::Heading {
                level: 1,
                text: self.pdf_title(),
            },
            para(
                "Organisation",
                format!("{} ({})", self.org_name, self.ods_code),
            ),
            para(
                "Scope",
                self.unit
                    .as_ref()
                    .map_or("the whole organisation".to_owned(), |(_, n)| n.clone()),
            ),
            para("As at", self.as_at.to_string()),
            para("Generated", self.generated_label()),
            para("People in post", self.rows.len().to_string()),
            para("SHA-256 of the person-level CSV", self.sha256.clone()),
            Block::Heading {
                level: 2,
                text: "Compliance by requirement".into(),
            },
        ];
        blocks.push(Block::Table(Table {
            summary: "For each requirement: how many people it applies to, how many are in each status, and the \
                      compliance percentage."
                .into(),
            columns: columns(&[("Requirement", 1.0)], &COUNT_HEADINGS),
            rows: self
                .summary
                .iter()
                .map(|(title, c)| TableRow {
                    cells: std::iter::once(title.clone())
                        .chain(count_cells(c))
                        .collect(),
                    indent: 0.0,
                })
                .collect(),
        }));
        blocks.push(Block::Para {
            label: None,
            text: PERCENT_NOTE.into(),
            size: 8.0,
        });
        blocks.push(Block::Heading {
            level: 2,
            text: "Compliance by unit".into(),
        });
        let mut unit_columns = vec!["People"];
        unit_columns.extend(COUNT_HEADINGS);
        blocks.push(Block::Table(Table {
            summary: "For each unit, with the units below it: the people in post, and their statuses added up over \
                      every requirement, with the compliance percentage."
                .into(),
            columns: columns(&[("Unit", 4.0), ("Code", 1.0)], &unit_columns),
            rows: self
                .units
                .iter()
                .map(|u| TableRow {
                    cells: [u.name.clone(), u.code.clone(), u.people.to_string()]
                        .into_iter()
                        .chain(count_cells(&u.counts))
                        .collect(),
                    indent: INDENT * u.depth as f32,
                })
                .collect(),
        }));
        blocks
    }

    /// The PDF; an error if krilla finds it breaks PDF/UA-1 (a bug here, never the data's fault).
    pub fn pdf(&self) -> anyhow::Result<Vec<u8>> {
        let footer_head = format!(
            "Compliance report: {}, as at {}",
            self.scope_label(),
            self.as_at
        );
        let footer_tail = format!(
            "Generated {}. SHA-256 of the person-level CSV: {}",
            self.generated_label(),
            self.sha256
        );
        let content = Content {
            blocks: self.pdf_blocks(),
            footer: Box::new(move |page, total| {
                [
                    format!("{footer_head}. Page {page} of {total}"),
                    footer_tail.clone(),
                ]
            }),
        };
        write(
            &content,
            self.pdf_title(),
            format!("SHA-256 of the person-level CSV: {}", self.sha256),
            self.generated_at,
        )
        .map_err(|e| e.context("writing the report's PDF"))
    }
}

/// Writes a document as tagged PDF/UA-1 with its title, language, description and creation time; an error if
/// krilla finds it breaks PDF/UA-1. The report and the certificates share it.
fn write(
    content: &Content,
    title: String,
    description: String,
    created: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<u8>> {
    let configuration = ConfigurationBuilder::new()
        .set_validator(Validator::Ua(Accessibility::UA1))
        .finish()
        .map_err(|e| anyhow::anyhow!("PDF configuration: {e:?}"))?;
    let mut doc = Document::new_with(SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    });
    layout::draw(&mut doc, content);
    let g = created;
    use chrono::{Datelike, Timelike};
    doc.set_metadata(
        Metadata::new()
            .title(title)
            .language("en-GB".into())
            .creator("Lantern".into())
            .description(description)
            .creation_date(
                DateTime::new(g.year() as u16)
                    .month(g.month() as u8)
                    .day(g.day() as u8)
                    .hour(g.hour() as u8)
                    .minute(g.minute() as u8)
                    .second(g.second() as u8)
                    .utc_offset_hour(0)
                    .utc_offset_minute(0),
            ),
    );
    doc.finish().map_err(|e| anyhow::anyhow!("{e:?}"))
}
