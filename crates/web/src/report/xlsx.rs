//! The report as an Excel workbook: the people (written in constant memory, a slice at a time), the summary by
//! requirement, the summary by unit, and what the report is. Each table has a frozen header row, an autofilter and
//! column widths set for its content; due dates and the as-at date are real dates (a serial number with a date format),
//! so they sort and filter as dates.

use super::{CSV_SLICE, Report, Value};
use lantern_domain::rollup::Counts;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

/// ISO 8601, as in the CSV: unambiguous whatever the reader's locale.
const DATE_FORMAT: &str = "yyyy-mm-dd";

/// Width in characters of a requirement's status column and of its due-date column.
const STATUS_WIDTH: f64 = 16.0;
const DUE_WIDTH: f64 = 12.0;

/// The count columns of both summaries, after their first column(s).
const COUNT_HEADINGS: [&str; 8] = [
    "Applicable",
    "Compliant",
    "Expiring",
    "Expired",
    "Missing",
    "Not yet due",
    "Exempt",
    "%",
];

impl Report {
    pub fn xlsx(&self) -> anyhow::Result<Vec<u8>> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let date = Format::new().set_num_format(DATE_FORMAT);
        self.people_sheet(wb.add_worksheet_with_constant_memory()?, &bold, &date)?;
        self.summary_sheet(wb.add_worksheet(), &bold)?;
        self.units_sheet(wb.add_worksheet(), &bold)?;
        self.about_sheet(wb.add_worksheet(), &bold, &date)?;
        Ok(wb.save_to_buffer()?)
    }

    /// Constant-memory mode writes rows in order and cannot go back, so everything about the sheet (widths, the
    /// frozen pane, the autofilter's range: the row count is known) is set before the first row.
    fn people_sheet(
        &self,
        sheet: &mut Worksheet,
        bold: &Format,
        date: &Format,
    ) -> Result<(), XlsxError> {
        sheet.set_name("People")?;
        let headings = self.headings();
        let last_col = (headings.len() - 1) as u16;
        sheet.set_column_width(0, 16)?;
        sheet.set_column_width(1, 28)?;
        sheet.set_column_width(2, 36)?;
        for c in 3..=last_col {
            let width = if c % 2 == 1 { STATUS_WIDTH } else { DUE_WIDTH };
            sheet.set_column_width(c, width)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, self.rows.len() as u32, last_col)?;
        for (c, h) in headings.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, bold)?;
        }
        for (slice, rows) in self.rows.chunks(CSV_SLICE).enumerate() {
            for (i, (r, s)) in rows.iter().zip(self.statuses(rows)).enumerate() {
                let line = (slice * CSV_SLICE + i) as u32 + 1;
                for (c, v) in self.values(r, &s).iter().enumerate() {
                    match v {
                        Value::Text(t) => {
                            sheet.write_string(line, c as u16, t)?;
                        }
                        Value::Date(Some(d)) => {
                            sheet.write_date_with_format(line, c as u16, d, date)?;
                        }
                        Value::Date(None) => {}
                    }
                }
            }
        }
        Ok(())
    }

    fn summary_sheet(&self, sheet: &mut Worksheet, bold: &Format) -> Result<(), XlsxError> {
        sheet.set_name("By requirement")?;
        sheet.set_column_width(0, 44)?;
        table_header(sheet, &["Requirement"], bold)?;
        for (i, (title, c)) in self.summary.iter().enumerate() {
            let r = i as u32 + 1;
            sheet.write_string(r, 0, title)?;
            counts(sheet, r, 1, c)?;
        }
        sheet.autofilter(0, 0, self.summary.len() as u32, COUNT_HEADINGS.len() as u16)?;
        Ok(())
    }

    fn units_sheet(&self, sheet: &mut Worksheet, bold: &Format) -> Result<(), XlsxError> {
        sheet.set_name("By unit")?;
        sheet.set_column_width(0, 44)?;
        sheet.set_column_width(1, 12)?;
        sheet.set_column_width(2, 10)?;
        table_header(sheet, &["Unit", "Code", "People"], bold)?;
        for (i, u) in self.units.iter().enumerate() {
            let r = i as u32 + 1;
            sheet.write_string(r, 0, &u.name)?;
            sheet.write_string(r, 1, &u.code)?;
            sheet.write_number(r, 2, f64::from(u.people))?;
            counts(sheet, r, 3, &u.counts)?;
        }
        sheet.autofilter(
            0,
            0,
            self.units.len() as u32,
            2 + COUNT_HEADINGS.len() as u16,
        )?;
        Ok(())
    }

    fn about_sheet(
        &self,
        sheet: &mut Worksheet,
        bold: &Format,
        date: &Format,
    ) -> Result<(), XlsxError> {
        sheet.set_name("About")?;
        sheet.set_column_width(0, 22)?;
        sheet.set_column_width(1, 70)?;
        let text = [
            (
                "Report",
                format!(
                    "Statutory and mandatory training compliance: {}",
                    self.scope_label()
                ),
            ),
            (
                "Organisation",
                format!("{} ({})", self.org_name, self.ods_code),
            ),
        ];
        let mut r = 0;
        for (k, v) in &text {
            sheet.write_string_with_format(r, 0, *k, bold)?;
            sheet.write_string(r, 1, v)?;
            r += 1;
        }
        sheet.write_string_with_format(r, 0, "As at", bold)?;
        sheet.write_date_with_format(r, 1, self.as_at, date)?;
        r += 1;
        sheet.write_string_with_format(r, 0, "Generated", bold)?;
        sheet.write_string(r, 1, self.generated_label())?;
        r += 1;
        sheet.write_string_with_format(r, 0, "People", bold)?;
        sheet.write_number(r, 1, self.rows.len() as f64)?;
        r += 1;
        sheet.write_string_with_format(r, 0, "SHA-256 of the CSV", bold)?;
        sheet.write_string(r, 1, &self.sha256)?;
        r += 2;
        sheet.write_string(
            r,
            0,
            "% = (compliant + expiring) / (applicable - exempt - not yet due). Not yet due: new starters, and people a rule change made due, inside their deadline.",
        )?;
        Ok(())
    }
}

/// The header row of a summary table: its leading headings, then the count headings; frozen.
fn table_header(sheet: &mut Worksheet, leading: &[&str], bold: &Format) -> Result<(), XlsxError> {
    for (c, h) in leading.iter().chain(COUNT_HEADINGS.iter()).enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, bold)?;
        if c >= leading.len() {
            sheet.set_column_width(c as u16, 12)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// A summary line's counts from column `first`, in [`COUNT_HEADINGS`] order; the percentage to one decimal, or
/// empty when nobody is counted.
fn counts(sheet: &mut Worksheet, r: u32, first: u16, c: &Counts) -> Result<(), XlsxError> {
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
        sheet.write_number(r, first + j as u16, f64::from(*n))?;
    }
    if let Some(p) = c.percent() {
        sheet.write_number(r, first + nums.len() as u16, (p * 10.0).round() / 10.0)?;
    }
    Ok(())
}
