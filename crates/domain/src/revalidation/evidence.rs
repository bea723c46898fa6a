//! Revalidation evidence: what a registrant (or their manager) records beside their training, one item at a time.
//! Items are append-only; a mistaken one is withdrawn, never edited.

use crate::model::{RegulatoryBody, vocabulary};
use crate::{Date, EvidenceId, PersonId, Timestamp};
use serde::{Deserialize, Serialize};

vocabulary!(
    /// The kinds of evidence each regulator asks for (see `for_body`).
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    EvidenceKind {
        PracticeHours = "practice_hours" / "Practice hours",
        CpdActivity = "cpd_activity" / "CPD activity",
        PracticeFeedback = "practice_feedback" / "Practice-related feedback",
        ReflectiveAccount = "reflective_account" / "Written reflective account",
        ReflectiveDiscussion = "reflective_discussion" / "Reflective discussion",
        HealthCharacter = "health_character" / "Health and character declaration",
        Indemnity = "indemnity" / "Professional indemnity arrangement",
        Confirmation = "confirmation" / "Confirmation",
        Appraisal = "appraisal" / "Annual appraisal",
        QualityImprovement = "quality_improvement" / "Quality improvement activity",
        SignificantEvents = "significant_events" / "Significant events",
        ColleagueFeedback = "colleague_feedback" / "Feedback from colleagues",
        PatientFeedback = "patient_feedback" / "Feedback from patients",
        ComplimentsComplaints = "compliments_complaints" / "Review of compliments and complaints",
    }
);

impl EvidenceKind {
    /// What one records for a regulator, in the order its guidance lists them.
    pub fn for_body(body: RegulatoryBody) -> &'static [EvidenceKind] {
        use EvidenceKind::*;
        match body {
            RegulatoryBody::Nmc => &[
                PracticeHours,
                CpdActivity,
                PracticeFeedback,
                ReflectiveAccount,
                ReflectiveDiscussion,
                HealthCharacter,
                Indemnity,
                Confirmation,
            ],
            RegulatoryBody::Gmc => &[
                Appraisal,
                CpdActivity,
                QualityImprovement,
                SignificantEvents,
                ColleagueFeedback,
                PatientFeedback,
                ComplimentsComplaints,
            ],
            RegulatoryBody::Hcpc | RegulatoryBody::Gphc | RegulatoryBody::Gdc => &[CpdActivity],
        }
    }

    /// True for the kinds that carry hours (practice hours; a CPD activity's learning hours).
    pub fn has_hours(self) -> bool {
        matches!(
            self,
            EvidenceKind::PracticeHours | EvidenceKind::CpdActivity
        )
    }

    /// A hint for the form: what the item is and what to write.
    pub fn hint(self) -> &'static str {
        use EvidenceKind::*;
        match self {
            PracticeHours => {
                "Hours practised in your role over a period: give the period's last day and the hours."
            }
            CpdActivity => {
                "Learning not already in Lantern: a course, conference, reading or supervision, with its hours."
            }
            PracticeFeedback => {
                "Feedback about your practice from patients, colleagues or an audit, and what you took from it."
            }
            ReflectiveAccount => {
                "A written account reflecting on your CPD, feedback or an event, against the Code."
            }
            ReflectiveDiscussion => {
                "Your discussion of your reflective accounts with another NMC registrant: name and PIN."
            }
            HealthCharacter => "Your declaration of good health and good character.",
            Indemnity => {
                "Your declaration of an appropriate indemnity arrangement (for example your employer's)."
            }
            Confirmation => {
                "Your confirmer's confirmation that you have met the requirements, in your final year."
            }
            Appraisal => "Your annual appraisal: the appraiser and the date signed off.",
            QualityImprovement => "An audit, review or improvement project you took part in.",
            SignificantEvents => {
                "Significant events you were involved in and your reflection, or that there were none."
            }
            ColleagueFeedback => "A colleague feedback survey (once in each revalidation cycle).",
            PatientFeedback => "A patient feedback survey (once in each revalidation cycle).",
            ComplimentsComplaints => {
                "Your review of compliments and complaints, or that there were none."
            }
        }
    }
}

/// One item of evidence, as the revalidation summary counts it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub id: EvidenceId,
    pub person_id: PersonId,
    /// The registration it supports.
    pub body: RegulatoryBody,
    pub kind: EvidenceKind,
    /// The day it happened, was signed or (for practice hours) the last day of the period.
    pub on: Date,
    /// Practice hours, or a CPD activity's learning hours.
    pub hours: Option<f64>,
    /// A CPD activity done with other people (the NMC's participatory learning).
    pub participatory: bool,
    /// What it was, in the recorder's words.
    pub note: String,
    pub recorded_at: Timestamp,
    /// When it was withdrawn as a mistake; a withdrawn item counts for nothing.
    pub withdrawn_at: Option<Timestamp>,
}

pub use crate::uploads::{FileType, MAX_FILE_BYTES, file_type, is_accepted_content_type};

/// The most hours one item may carry: practice hours are recorded a period at a time (a year of full-time work is
/// under 2,000 hours); a CPD activity is a course or a conference, not a year.
const MAX_PRACTICE_HOURS: f64 = 2500.0;
const MAX_CPD_HOURS: f64 = 200.0;
const MAX_NOTE: usize = 2000;

/// What is wrong with an item, by form field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

/// An item as someone asks to record it, before it is checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposed<'a> {
    pub body: RegulatoryBody,
    pub kind: EvidenceKind,
    pub on: Date,
    pub hours: Option<f64>,
    pub note: &'a str,
    /// The file's content, when one is attached.
    pub file: Option<&'a [u8]>,
}

/// Every problem with an item, field by field: the person must hold the registration, the kind must be one that
/// regulator asks for, the date no later than `today`, hours only where they mean something, and a note saying what
/// it was. A file must be a PDF, PNG or JPEG of at most [`MAX_FILE_BYTES`].
pub fn check(p: &Proposed<'_>, registrations: &[RegulatoryBody], today: Date) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut fail = |field, message: String| out.push(Problem { field, message });
    if !registrations.contains(&p.body) {
        fail(
            "body",
            format!(
                "{} is not a registration on this person's staff record",
                p.body.label()
            ),
        );
    } else if !EvidenceKind::for_body(p.body).contains(&p.kind) {
        fail(
            "kind",
            format!(
                "{} is not evidence the {} asks for",
                p.kind.label(),
                p.body.label()
            ),
        );
    }
    if p.on > today {
        fail("on", format!("{} is in the future", p.on));
    }
    match (p.kind, p.hours) {
        (EvidenceKind::PracticeHours, None) => fail(
            "hours",
            "Enter the hours practised in the period".to_owned(),
        ),
        (EvidenceKind::PracticeHours, Some(h)) if !(h > 0.0 && h <= MAX_PRACTICE_HOURS) => fail(
            "hours",
            format!("Enter practice hours between 1 and {MAX_PRACTICE_HOURS} for one period"),
        ),
        (EvidenceKind::CpdActivity, Some(h)) if !(h > 0.0 && h <= MAX_CPD_HOURS) => fail(
            "hours",
            format!("Enter the activity's hours, more than 0 and at most {MAX_CPD_HOURS}"),
        ),
        (k, Some(_)) if !k.has_hours() => fail(
            "hours",
            format!("{} has no hours: leave them empty", k.label()),
        ),
        _ => {}
    }
    let note = p.note.trim();
    if note.chars().count() < 3 {
        fail("note", "Say what it was, in a few words".to_owned());
    } else if note.chars().count() > MAX_NOTE {
        fail("note", format!("Keep the note to {MAX_NOTE} characters"));
    }
    if let Some(bytes) = p.file {
        if bytes.is_empty() {
            fail("file", "The selected file is empty".to_owned());
        } else if bytes.len() > MAX_FILE_BYTES {
            fail(
                "file",
                format!(
                    "The file must be {} MB or smaller",
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
            );
        } else if file_type(bytes).is_none() {
            fail("file", "The file must be a PDF, PNG or JPEG".to_owned());
        }
    }
    out
}

/// The evidence as Lantern knew it at `known_at`: items recorded by then, withdrawn only if withdrawn by then.
pub fn as_known_at(items: &[Evidence], known_at: Option<Timestamp>) -> Vec<Evidence> {
    let Some(k) = known_at else {
        return items.to_vec();
    };
    items
        .iter()
        .filter(|e| e.recorded_at <= k)
        .map(|e| Evidence {
            withdrawn_at: e.withdrawn_at.filter(|w| *w <= k),
            ..e.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn proposed(kind: EvidenceKind, hours: Option<f64>) -> Proposed<'static> {
        Proposed {
            body: RegulatoryBody::Nmc,
            kind,
            on: d("2026-05-01"),
            hours,
            note: "Ward audit feedback",
            file: None,
        }
    }

    fn fields(p: &Proposed<'_>) -> Vec<&'static str> {
        check(p, &[RegulatoryBody::Nmc], d("2026-06-01"))
            .iter()
            .map(|x| x.field)
            .collect()
    }

    #[test]
    fn an_item_is_checked_field_by_field() {
        assert!(fields(&proposed(EvidenceKind::PracticeFeedback, None)).is_empty());
        assert!(fields(&proposed(EvidenceKind::PracticeHours, Some(450.0))).is_empty());
        assert_eq!(
            fields(&proposed(EvidenceKind::PracticeHours, None)),
            ["hours"]
        );
        assert_eq!(
            fields(&proposed(EvidenceKind::PracticeFeedback, Some(2.0))),
            ["hours"]
        );
        assert_eq!(
            fields(&proposed(EvidenceKind::CpdActivity, Some(0.0))),
            ["hours"]
        );
        assert_eq!(
            fields(&proposed(EvidenceKind::Appraisal, None)),
            ["kind"],
            "a GMC kind"
        );
        let mut gmc = proposed(EvidenceKind::Appraisal, None);
        gmc.body = RegulatoryBody::Gmc;
        assert_eq!(fields(&gmc), ["body"], "not this person's registration");
        let mut future = proposed(EvidenceKind::Indemnity, None);
        future.on = d("2026-06-02");
        assert_eq!(fields(&future), ["on"]);
        let mut empty = proposed(EvidenceKind::Indemnity, None);
        empty.note = "  ";
        assert_eq!(fields(&empty), ["note"]);
    }

    #[test]
    fn files_are_recognised_by_content_and_capped() {
        assert_eq!(
            file_type(b"%PDF-1.7\n...").map(|t| t.content_type),
            Some("application/pdf")
        );
        assert_eq!(
            file_type(b"\x89PNG\r\n\x1a\nrest").map(|t| t.extension),
            Some("png")
        );
        assert_eq!(
            file_type(b"\xff\xd8\xff\xe0").map(|t| t.extension),
            Some("jpg")
        );
        assert_eq!(file_type(b"<html><script>"), None);
        assert_eq!(
            file_type(b"PK\x03\x04"),
            None,
            "no office files or archives"
        );
        let mut p = proposed(EvidenceKind::Confirmation, None);
        let html = b"<html><script>alert(1)</script>".to_vec();
        p.file = Some(&html);
        assert_eq!(fields(&p), ["file"]);
        let big = [b"%PDF-".as_slice(), &vec![0u8; MAX_FILE_BYTES]].concat();
        p.file = Some(&big);
        assert_eq!(fields(&p), ["file"]);
        let pdf = b"%PDF-1.4 signed form".to_vec();
        p.file = Some(&pdf);
        assert!(fields(&p).is_empty());
        assert!(is_accepted_content_type("image/png") && !is_accepted_content_type("text/html"));
    }

    #[test]
    fn known_at_sees_items_and_withdrawals_as_they_were() {
        let at = |s: &str| d(s).and_hms_opt(12, 0, 0).expect("time").and_utc();
        let item = Evidence {
            id: EvidenceId(1),
            person_id: PersonId(1),
            body: RegulatoryBody::Nmc,
            kind: EvidenceKind::Indemnity,
            on: d("2026-01-01"),
            hours: None,
            participatory: false,
            note: "x".into(),
            recorded_at: at("2026-01-02"),
            withdrawn_at: Some(at("2026-03-01")),
        };
        let items = [item];
        assert!(as_known_at(&items, Some(at("2026-01-01"))).is_empty());
        assert_eq!(
            as_known_at(&items, Some(at("2026-02-01")))[0].withdrawn_at,
            None
        );
        assert!(as_known_at(&items, None)[0].withdrawn_at.is_some());
    }
}
