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
        matches!(self, EvidenceKind::PracticeHours | EvidenceKind::CpdActivity)
    }

    /// A hint for the form: what the item is and what to write.
    pub fn hint(self) -> &'static str {
        use EvidenceKind::*;
        match self {
            PracticeHours => "Hours practised in your role over a period: give the period's last day and the hours.",
            CpdActivity => "Learning not already in Lantern: a course, conference, reading or supervision, with its hours.",
            PracticeFeedback => "Feedback about your practice from patients, colleagues or an audit, and what you took from it.",
            ReflectiveAccount => "A written account reflecting on your CPD, feedback or an event, against the Code.",
            ReflectiveDiscussion => "Your discussion of your reflective accounts with another NMC registrant: name and PIN.",
            HealthCharacter => "Your declaration of good health and good character.",
            Indemnity => "Your declaration of an appropriate indemnity arrangement (for example your employer's).",
            Confirmation => "Your confirmer's confirmation that you have met the requirements, in your final year.",
            Appraisal => "Your annual appraisal: the appraiser and the date signed off.",
            QualityImprovement => "An audit, review or improvement project you took part in.",
            SignificantEvents => "Significant events you were involved in and your reflection, or that there were none.",
            ColleagueFeedback => "A colleague feedback survey (once in each revalidation cycle).",
            PatientFeedback => "A patient feedback survey (once in each revalidation cycle).",
            ComplimentsComplaints => "Your review of compliments and complaints, or that there were none.",
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
