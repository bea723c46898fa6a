//! The canonical CSV: no generation time in it, so the same data as at the same date gives the same bytes (and hash).

use super::{Report, Row, Value};

/// Rows per streamed CSV piece.
pub const CSV_SLICE: usize = 1000;

fn cell(s: &str) -> String {
    // A leading = + - @ is neutralised so that no spreadsheet runs a cell as a formula (OWASP, "CSV Injection").
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

fn value(v: &Value) -> String {
    match v {
        Value::Text(s) => cell(s),
        // ISO 8601 dates: unambiguous, and sort as text.
        Value::Date(d) => d.map(|d| d.to_string()).unwrap_or_default(),
    }
}

impl Report {
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
                    .map(value)
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push_str("\r\n");
        }
        out.into_bytes()
    }
}
