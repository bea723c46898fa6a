//! A simulated scenario, as the engine plays it: the patient and their physiology over simulated time, the phases
//! that change it (started by the clock, by the patient's own NEWS2, or by what the learner does), the actions the
//! learner may take, what is expected of them and when, what would harm the patient, and the AI tools' suggestions
//! and the questions put to the learner along the way.
//!
//! Scenarios are written as TOML files (`file`, documented in docs/scenarios.md); [`parse`] reads and checks one,
//! and refuses a bad one with its line, field and reason.

mod file;

pub use file::{FileError, json_schema, parse};

use crate::news2::{Consciousness, Spo2Scale};
use lantern_domain::Subject;
use serde::{Deserialize, Serialize};

/// A checked scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    /// Stable identifier, lower case with hyphens (`sepsis-post-op`).
    pub id: String,
    pub title: String,
    /// What the learner is told before starting.
    pub summary: String,
    /// Simulated minutes; the scenario ends then, or earlier when the learner ends it.
    pub minutes: u32,
    /// Percentage of the available points needed to pass (with no critical harm and no critical miss).
    pub pass_mark: u8,
    /// Competency subjects a pass records (each at level 1).
    pub competencies: Vec<Subject>,
    /// The guidance the scenario follows, cited (title, edition, date).
    pub sources: Vec<String>,
    /// What to read next, shown in the debrief.
    pub further_reading: Vec<String>,
    /// The actions the learner may take in this scenario (AI decisions and answers are always available when an
    /// AI suggestion or a question is showing).
    pub actions: Vec<ActionKind>,
    /// The roles of a team scenario (a nurse and a doctor playing one patient together), each with the actions it
    /// takes; empty for a scenario one learner plays.
    pub roles: Vec<TeamRole>,
    pub patient: Option<Patient>,
    pub phases: Vec<Phase>,
    pub expected: Vec<Expected>,
    pub harmful: Vec<Harmful>,
    pub ai: Vec<AiEvent>,
    pub questions: Vec<Question>,
    /// What the patient answers when asked (taking a history): the scripted menu, and the facts a language model
    /// playing the patient keeps to. Not scored.
    pub history: Vec<HistoryQuestion>,
    /// Points for charting observations with the right NEWS2 total (0 when the scenario has no patient).
    pub news2_points: u32,
}

/// A question the learner may ask the patient, and the patient's answer, in the patient's words.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HistoryQuestion {
    pub id: String,
    /// As the menu offers it ("Do you have any pain?").
    pub question: String,
    pub answer: String,
}

/// A role in a team scenario: who plays it and what they may do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TeamRole {
    /// Lower case with hyphens (`nurse`).
    pub id: String,
    /// As the learners see it ("Ward nurse").
    pub title: String,
    /// The clinical actions this role takes (AI decisions and answers are anyone's).
    pub actions: Vec<ActionKind>,
}

impl Scenario {
    /// A team scenario's role, by id.
    pub fn role(&self, id: &str) -> Option<&TeamRole> {
        self.roles.iter().find(|r| r.id == id)
    }
}

/// The patient, and their vital signs at minute 0.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Patient {
    pub name: String,
    pub age: u8,
    pub sex: String,
    pub setting: String,
    pub history: String,
    pub spo2_scale: Spo2Scale,
    pub vitals: Vitals,
    /// How far each shown observation may stray from the true value (seeded, so the same seed shows the same).
    pub noise: Noise,
    /// Percentage points of SpO2 that supplemental oxygen can add, titrated to the prescribed target.
    pub oxygen_gain: f64,
}

/// A set of vital signs; numbers are kept as reals while they drift and rounded when shown or scored.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Vitals {
    pub respiration_rate: f64,
    pub spo2: f64,
    pub systolic_bp: f64,
    pub pulse: f64,
    pub consciousness: Consciousness,
    pub temperature: f64,
}

/// Where a phase takes the vital signs; a sign it does not name keeps its course.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Target {
    pub respiration_rate: Option<f64>,
    pub spo2: Option<f64>,
    pub systolic_bp: Option<f64>,
    pub pulse: Option<f64>,
    pub consciousness: Option<Consciousness>,
    pub temperature: Option<f64>,
}

/// The most each shown observation may differ from the true one, either way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Noise {
    pub respiration_rate: f64,
    pub spo2: f64,
    pub systolic_bp: f64,
    pub pulse: f64,
    pub temperature: f64,
}

/// When something happens: at a simulated minute, when the patient's NEWS2 first reaches a score, or once the
/// learner has done all of some actions. `unless` cancels it if the learner did any of those actions first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trigger {
    pub when: When,
    pub unless: Vec<ActionMatch>,
}

/// An action, and the option it must have been taken with when one is named: written `oxygen` or
/// `oxygen:94-98`, `escalate:registrar`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionMatch {
    pub action: ActionKind,
    pub option: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    Minute(u32),
    News2AtLeast(u8),
    After(Vec<ActionMatch>),
}

/// A change in the patient's course: from the moment it starts, the named signs move in a straight line from
/// where they are to where the phase takes them, over `over_minutes`; consciousness changes halfway.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Phase {
    pub id: String,
    pub starts: Trigger,
    pub over_minutes: u32,
    pub to: Target,
    /// What the learner notices when the phase starts ("She says she feels hot and shivery").
    pub note: Option<String>,
}

/// Something the learner should do, within a window that opens when `from` happens.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expected {
    pub action: ActionKind,
    /// For escalation, the roles that count; for oxygen, the targets that count; empty when any does.
    pub any_of: Vec<String>,
    pub from: Trigger,
    pub within_minutes: u32,
    pub points: u32,
    /// A miss fails the scenario whatever the score.
    pub critical: bool,
    /// Why, with its source: shown in the debrief.
    pub why: String,
    /// In a team scenario, the role expected to do it: it counts in that role's score only, done by that role. None:
    /// it counts for every role, done by anyone.
    pub role: Option<String>,
}

/// Something that would harm the patient: points off, and a critical harm fails the scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Harmful {
    pub action: ActionKind,
    /// The options that harm (an oxygen target, a role); empty when any does.
    pub any_of: Vec<String>,
    pub points: u32,
    pub critical: bool,
    pub why: String,
}

/// An AI tool's suggestion, which the learner accepts or overrides, having checked the evidence or not.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AiEvent {
    pub id: String,
    /// The tool's name as the ward knows it.
    pub tool: String,
    /// What kind of output it is ("sepsis alert", "chest X-ray triage", "discharge summary draft", "risk score").
    pub kind: String,
    pub shows: Trigger,
    pub suggestion: String,
    /// The tool's stated confidence, 0 to 1.
    pub confidence: f64,
    /// The tool's model card: what it was trained and validated on, and how well it did, by group.
    pub model_card: String,
    /// What checking shows: the patient's own data behind the suggestion.
    pub evidence: String,
    /// Whether the suggestion is right for this patient.
    pub correct: bool,
    pub points: u32,
    /// Why it is right or wrong, shown in the debrief.
    pub why: String,
}

/// A question put to the learner (what a positive result means here; what to do about a colleague's chatbot).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Question {
    pub id: String,
    pub asked: Trigger,
    pub prompt: String,
    pub options: Vec<AnswerOption>,
    pub points: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnswerOption {
    pub text: String,
    pub correct: bool,
    pub feedback: String,
}

/// The clinical actions a scenario may offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Look at the patient: what a phase's note says.
    Observe,
    /// Chart a set of observations with their NEWS2.
    RecordObservations,
    /// Escalate to a named role, with an SBAR handover.
    Escalate,
    /// Start oxygen to a prescribed target.
    Oxygen,
    /// An intravenous fluid bolus (500 mL).
    Fluids,
    BloodCultures,
    Lactate,
    Antibiotics,
    /// Call the rapid response (outreach) team.
    CallRapidResponse,
    /// Write in the notes.
    Document,
}

impl ActionKind {
    pub const ALL: [ActionKind; 10] = [
        ActionKind::Observe,
        ActionKind::RecordObservations,
        ActionKind::Escalate,
        ActionKind::Oxygen,
        ActionKind::Fluids,
        ActionKind::BloodCultures,
        ActionKind::Lactate,
        ActionKind::Antibiotics,
        ActionKind::CallRapidResponse,
        ActionKind::Document,
    ];

    /// The name used in scenario files and scripts.
    pub fn code(self) -> &'static str {
        match self {
            ActionKind::Observe => "observe",
            ActionKind::RecordObservations => "record_observations",
            ActionKind::Escalate => "escalate",
            ActionKind::Oxygen => "oxygen",
            ActionKind::Fluids => "fluids",
            ActionKind::BloodCultures => "blood_cultures",
            ActionKind::Lactate => "lactate",
            ActionKind::Antibiotics => "antibiotics",
            ActionKind::CallRapidResponse => "call_rapid_response",
            ActionKind::Document => "document",
        }
    }

    pub fn from_code(code: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|a| a.code() == code)
    }

    /// What the player's button says.
    pub fn label(self) -> &'static str {
        match self {
            ActionKind::Observe => "Look at the patient",
            ActionKind::RecordObservations => "Record observations",
            ActionKind::Escalate => "Escalate (SBAR)",
            ActionKind::Oxygen => "Give oxygen",
            ActionKind::Fluids => "IV fluid bolus (500 mL)",
            ActionKind::BloodCultures => "Take blood cultures",
            ActionKind::Lactate => "Measure lactate",
            ActionKind::Antibiotics => "Give IV antibiotics",
            ActionKind::CallRapidResponse => "Call the rapid response team",
            ActionKind::Document => "Document in the notes",
        }
    }

    /// The options an action takes (roles, oxygen targets); empty when it takes none.
    pub fn options(self) -> &'static [&'static str] {
        match self {
            ActionKind::Escalate => Role::CODES,
            ActionKind::Oxygen => OxygenTarget::CODES,
            _ => &[],
        }
    }
}

/// Whom a learner may escalate to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    NurseInCharge,
    WardDoctor,
    Registrar,
    CriticalCareOutreach,
    Consultant,
}

impl Role {
    pub const CODES: &'static [&'static str] = &[
        "nurse_in_charge",
        "ward_doctor",
        "registrar",
        "critical_care_outreach",
        "consultant",
    ];

    pub fn code(self) -> &'static str {
        Role::CODES[self as usize]
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::NurseInCharge => "Nurse in charge",
            Role::WardDoctor => "Ward doctor (foundation or core trainee)",
            Role::Registrar => "Medical registrar",
            Role::CriticalCareOutreach => "Critical care outreach",
            Role::Consultant => "Consultant",
        }
    }
}

/// The oxygen target a learner prescribes (BTS guideline for oxygen use in adults, 2017): 94-98% for most
/// acutely ill patients, 88-92% for those at risk of hypercapnic respiratory failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OxygenTarget {
    #[serde(rename = "94-98")]
    Standard,
    #[serde(rename = "88-92")]
    Hypercapnic,
}

impl OxygenTarget {
    pub const CODES: &'static [&'static str] = &["94-98", "88-92"];

    pub fn code(self) -> &'static str {
        OxygenTarget::CODES[self as usize]
    }

    /// The saturation titration aims for: the middle of the range.
    pub fn aim(self) -> f64 {
        match self {
            OxygenTarget::Standard => 96.0,
            OxygenTarget::Hypercapnic => 90.0,
        }
    }
}
