//! Keeping records by hand: what an organisation's L&D or compliance team is checked against before it adds one
//! training record (from a certificate or an attendance sheet), corrects or withdraws one, or grants or ends an
//! exemption. Nothing is edited: a correction is a new record that supersedes the old one, a withdrawal supersedes
//! with nothing, and an exemption ended early gets an end while its grant stays on record.

use crate::uploads::{self, MAX_FILE_BYTES};
use crate::{Date, MAX_RECORD_HOURS};

/// What is wrong with a form, by field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        field,
        message: message.into(),
    }
}

/// The earliest completion date taken: older training has long expired, so an earlier date is a typing mistake.
pub const EARLIEST_COMPLETION: Date = match Date::from_ymd_opt(1950, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// The longest provider name, reason or approver kept.
const MAX_TEXT: usize = 500;

/// A training record as someone asks to add it (or to put in place of one they correct).
#[derive(Clone, Debug, PartialEq)]
pub struct ProposedRecord<'a> {
    /// The number of levels the chosen requirement has; None when none was chosen or it is not one Lantern knows.
    pub levels: Option<u8>,
    pub level: u8,
    pub completed_on: Date,
    pub hours: Option<f64>,
    pub provider: &'a str,
    /// The evidence file, if one was attached.
    pub file: Option<&'a [u8]>,
}

/// Everything wrong with a proposed record, as of the organisation's `today`.
pub fn check_record(p: &ProposedRecord<'_>, today: Date) -> Vec<Problem> {
    let mut out = Vec::new();
    match p.levels {
        None => out.push(problem(
            "subject",
            "Choose the requirement the training was for",
        )),
        Some(levels) if p.level == 0 || p.level > levels => out.push(problem(
            "level",
            if levels == 1 {
                "This requirement has one level: choose level 1".to_owned()
            } else {
                format!("This requirement has levels 1 to {levels}")
            },
        )),
        Some(_) => {}
    }
    if p.completed_on > today {
        out.push(problem(
            "completed_on",
            format!("The date it was completed must be today ({today}) or earlier"),
        ));
    } else if p.completed_on < EARLIEST_COMPLETION {
        out.push(problem(
            "completed_on",
            format!("The date it was completed must be {EARLIEST_COMPLETION} or later"),
        ));
    }
    if let Some(h) = p.hours
        && !(h.is_finite() && h > 0.0 && h <= MAX_RECORD_HOURS)
    {
        out.push(problem(
            "hours",
            format!("Hours must be more than 0 and at most {MAX_RECORD_HOURS}"),
        ));
    }
    out.extend(text(
        "provider",
        p.provider,
        2,
        "Enter who provided the training",
    ));
    if let Some(bytes) = p.file {
        out.extend(check_file(bytes));
    }
    out
}

/// What is wrong with an evidence file, if anything.
pub fn check_file(bytes: &[u8]) -> Option<Problem> {
    if bytes.len() > MAX_FILE_BYTES {
        Some(problem(
            "file",
            format!(
                "The file must be {} MB or smaller",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ))
    } else if uploads::file_type(bytes).is_none() {
        Some(problem("file", "The file must be a PDF, PNG or JPEG"))
    } else {
        None
    }
}

/// A reason given for a correction, a withdrawal or the end of an exemption.
pub fn check_reason(reason: &str) -> Option<Problem> {
    text("reason", reason, 3, "Say why, in a few words")
}

/// Free text: at least `min` characters once trimmed, at most `MAX_TEXT`, no control characters.
fn text(field: &'static str, value: &str, min: usize, missing: &str) -> Option<Problem> {
    let value = value.trim();
    let n = value.chars().count();
    if n < min {
        Some(problem(field, missing))
    } else if n > MAX_TEXT {
        Some(problem(field, format!("Keep it to {MAX_TEXT} characters")))
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        Some(problem(field, "Use letters, numbers and punctuation only"))
    } else {
        None
    }
}

/// An exemption as someone asks to grant it, to one person or to a group.
#[derive(Clone, Debug, PartialEq)]
pub struct ProposedExemption<'a> {
    /// False when no requirement was chosen or it is not one of the organisation's.
    pub known_subject: bool,
    pub from: Date,
    /// The last day it covers. Every exemption has one, so that someone looks at it again.
    pub until: Option<Date>,
    pub reason: &'a str,
    /// Who approved it: a name and role, as the approval was given ("Dr A Patel, Director of Nursing").
    pub approved_by: &'a str,
}

/// Everything wrong with a proposed exemption.
pub fn check_exemption(p: &ProposedExemption<'_>) -> Vec<Problem> {
    let mut out = Vec::new();
    if !p.known_subject {
        out.push(problem("subject", "Choose the requirement it exempts from"));
    }
    match p.until {
        None => out.push(problem(
            "until",
            "Enter the last day the exemption covers: every exemption ends, so that someone looks at it again",
        )),
        Some(u) if u < p.from => out.push(problem(
            "until",
            format!("The last day must be on or after the first ({})", p.from),
        )),
        Some(_) => {}
    }
    out.extend(text(
        "reason",
        p.reason,
        3,
        "Say why the person is exempt (for example, long-term sickness absence)",
    ));
    out.extend(text(
        "approved_by",
        p.approved_by,
        2,
        "Enter who approved the exemption, with their role",
    ));
    out
}

/// What is wrong with ending an exemption (from `from` to `until`) with `last_day` as its new last day. A last day
/// before its first means it never applied (granted by mistake); a later one than it had would extend it, which is
/// a new grant's job.
pub fn check_end(from: Date, until: Option<Date>, last_day: Date, reason: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Some(u) = until
        && last_day >= u
    {
        out.push(problem(
            "last_day",
            format!(
                "It already ends on {u}: choose an earlier last day, or grant a new exemption to extend it"
            ),
        ));
    }
    let before = from.pred_opt().unwrap_or(from);
    if last_day < before {
        out.push(problem(
            "last_day",
            format!("Choose {before} or later ({before}, the day before it starts, means it never applied)"),
        ));
    }
    out.extend(check_reason(reason));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn record() -> ProposedRecord<'static> {
        ProposedRecord {
            levels: Some(2),
            level: 1,
            completed_on: d("2026-11-30"),
            hours: Some(1.5),
            provider: "Guy's and St Thomas' NHS Foundation Trust",
            file: Some(b"%PDF-1.7 certificate"),
        }
    }

    fn fields(problems: &[Problem]) -> Vec<&'static str> {
        problems.iter().map(|p| p.field).collect()
    }

    #[test]
    fn a_sound_record_passes() {
        assert!(check_record(&record(), d("2026-12-07")).is_empty());
    }

    #[test]
    fn each_mistake_names_its_field() {
        let today = d("2026-12-07");
        let mut r = record();
        r.levels = None;
        assert_eq!(fields(&check_record(&r, today)), ["subject"]);
        let mut r = record();
        r.level = 3;
        let p = check_record(&r, today);
        assert_eq!(fields(&p), ["level"]);
        assert!(p[0].message.contains("levels 1 to 2"), "{p:?}");
        let mut r = record();
        r.completed_on = d("2026-12-08");
        assert_eq!(fields(&check_record(&r, today)), ["completed_on"]);
        r.completed_on = d("1949-12-31");
        assert_eq!(fields(&check_record(&r, today)), ["completed_on"]);
        let mut r = record();
        for bad in [0.0, -1.0, 201.0, f64::NAN] {
            r.hours = Some(bad);
            assert_eq!(fields(&check_record(&r, today)), ["hours"], "{bad}");
        }
        let mut r = record();
        r.provider = " ";
        assert_eq!(fields(&check_record(&r, today)), ["provider"]);
        let mut r = record();
        r.file = Some(b"<html><script>");
        assert_eq!(fields(&check_record(&r, today)), ["file"]);
    }

    #[test]
    fn a_file_over_the_cap_is_refused_whatever_its_type() {
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_FILE_BYTES + 1, b' ');
        assert!(check_file(&big).unwrap().message.contains("5 MB"));
        big.truncate(MAX_FILE_BYTES);
        assert_eq!(check_file(&big), None);
    }

    #[test]
    fn an_exemption_needs_an_end_a_reason_and_an_approver() {
        let ok = ProposedExemption {
            known_subject: true,
            from: d("2026-12-01"),
            until: Some(d("2027-05-31")),
            reason: "Maternity leave",
            approved_by: "Jo Bloggs, Ward Manager",
        };
        assert!(check_exemption(&ok).is_empty());
        let bad = ProposedExemption {
            known_subject: false,
            until: None,
            reason: "",
            approved_by: "",
            ..ok.clone()
        };
        assert_eq!(
            fields(&check_exemption(&bad)),
            ["subject", "until", "reason", "approved_by"]
        );
        let backwards = ProposedExemption {
            until: Some(d("2026-11-30")),
            ..ok
        };
        assert_eq!(fields(&check_exemption(&backwards)), ["until"]);
    }

    #[test]
    fn an_end_shortens_never_extends() {
        let (from, until) = (d("2026-01-01"), Some(d("2026-12-31")));
        assert!(check_end(from, until, d("2026-06-30"), "Back at work").is_empty());
        // The day before it starts: it never applied.
        assert!(check_end(from, until, d("2025-12-31"), "Granted in error").is_empty());
        assert_eq!(
            fields(&check_end(from, until, d("2026-12-31"), "Back")),
            ["last_day"]
        );
        assert_eq!(
            fields(&check_end(from, until, d("2025-12-30"), "Back")),
            ["last_day"]
        );
        assert_eq!(
            fields(&check_end(from, None, d("2026-06-30"), "")),
            ["reason"]
        );
    }
}
