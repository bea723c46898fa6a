//! The shape of a scenario file as serde reads it: every table and key an educator may write, with the doc comments
//! that become the JSON Schema's descriptions (`scenarios/scenario.schema.json`). The checks are `mod.rs`'s.

use crate::news2::Consciousness;
use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

/// A Lantern simulation scenario (docs/scenarios.md).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Lantern scenario")]
pub(super) struct RawFile {
    #[schemars(with = "RawHeader")]
    pub(super) scenario: Spanned<RawHeader>,
    /// The patient; leave out for a scenario of AI suggestions and questions only.
    #[schemars(with = "Option<RawPatient>")]
    pub(super) patient: Option<Spanned<RawPatient>>,
    /// Changes in the patient's course.
    #[serde(default)]
    #[schemars(with = "Vec<RawPhase>")]
    pub(super) phase: Vec<Spanned<RawPhase>>,
    /// What the learner should do, and within what time.
    #[serde(default)]
    #[schemars(with = "Vec<RawExpected>")]
    pub(super) expected: Vec<Spanned<RawExpected>>,
    /// Actions that would harm the patient.
    #[serde(default)]
    #[schemars(with = "Vec<RawHarmful>")]
    pub(super) harmful: Vec<Spanned<RawHarmful>>,
    /// AI tools' suggestions for the learner to accept or override.
    #[serde(default)]
    #[schemars(with = "Vec<RawAi>")]
    pub(super) ai: Vec<Spanned<RawAi>>,
    /// Questions put to the learner.
    #[serde(default)]
    #[schemars(with = "Vec<RawQuestion>")]
    pub(super) question: Vec<Spanned<RawQuestion>>,
    /// Questions the learner may ask the patient, with the patient's answers: the history-taking menu, and the facts
    /// a language model playing the patient keeps to. Needs a patient; not scored.
    #[serde(default)]
    #[schemars(with = "Vec<RawHistory>")]
    pub(super) history: Vec<Spanned<RawHistory>>,
    /// For a team scenario (learners playing one patient together), the roles and what each may do.
    #[serde(default)]
    #[schemars(with = "Vec<RawRole>")]
    pub(super) role: Vec<Spanned<RawRole>>,
}

/// A question the patient can be asked, and their answer.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "History")]
pub(super) struct RawHistory {
    /// Lower-case letters, digits and hyphens (`pain`).
    pub(super) id: String,
    /// As the menu offers it ("Do you have any pain?").
    pub(super) question: String,
    /// What the patient says, in their own words.
    pub(super) answer: String,
}

/// A role in a team scenario.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Role")]
pub(super) struct RawRole {
    /// Lower-case letters, digits and hyphens (`nurse`).
    pub(super) id: String,
    /// As the learners see it ("Ward nurse").
    pub(super) title: String,
    /// The clinical actions this role takes, from the scenario's own.
    pub(super) actions: Vec<String>,
}

/// What the scenario is, how long it runs and what a pass gives.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Header")]
pub(super) struct RawHeader {
    /// Lower-case letters, digits and hyphens; the file is named after it (`ID.toml`).
    pub(super) id: String,
    pub(super) title: String,
    /// What the learner is told before starting.
    pub(super) summary: String,
    /// Simulated minutes, 1 to 720.
    pub(super) minutes: u32,
    /// Percentage of the available points needed to pass (default 70).
    #[serde(default = "default_pass_mark")]
    pub(super) pass_mark: u8,
    /// Competency subject codes a pass records, each at level 1.
    #[serde(default)]
    pub(super) competencies: Vec<String>,
    /// The guidance the content follows: title, edition and date.
    pub(super) sources: Vec<String>,
    /// What to read next, listed in the debrief.
    #[serde(default)]
    pub(super) further_reading: Vec<String>,
    /// The clinical actions offered (default: all of them).
    pub(super) actions: Option<Vec<String>>,
    /// Points for charting observations with the right NEWS2 (default 10 with a patient).
    pub(super) news2_points: Option<u32>,
}

pub(super) fn default_pass_mark() -> u8 {
    70
}

/// The patient: an adult (NEWS2 is for 16 and over).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Patient")]
pub(super) struct RawPatient {
    pub(super) name: String,
    pub(super) age: u8,
    pub(super) sex: String,
    /// Where they are and why ("Surgical ward, day 2 after ...").
    pub(super) setting: String,
    pub(super) history: String,
    /// NEWS2 SpO2 scale: 1, or 2 for a prescribed target of 88-92% in hypercapnic respiratory failure.
    pub(super) spo2_scale: u8,
    /// Percentage points of SpO2 that oxygen can add, titrated to the target (default 4).
    #[serde(default = "default_oxygen_gain")]
    pub(super) oxygen_gain: f64,
    /// Vital signs at minute 0, on air.
    pub(super) vitals: RawVitals,
    /// How far each shown observation may stray from the true value.
    #[serde(default)]
    pub(super) noise: RawNoise,
}

pub(super) fn default_oxygen_gain() -> f64 {
    4.0
}

/// A set of vital signs.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Vitals")]
pub(super) struct RawVitals {
    /// Breaths per minute.
    pub(super) respiration_rate: f64,
    /// Percent, on air.
    pub(super) spo2: f64,
    /// mmHg.
    pub(super) systolic_bp: f64,
    /// Beats per minute.
    pub(super) pulse: f64,
    /// ACVPU: A, C (new confusion), V, P or U.
    pub(super) consciousness: Consciousness,
    /// Degrees Celsius.
    pub(super) temperature: f64,
}

/// The most a shown observation differs from the true one, either way (0 when left out).
#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Noise")]
pub(super) struct RawNoise {
    #[serde(default)]
    pub(super) respiration_rate: f64,
    #[serde(default)]
    pub(super) spo2: f64,
    #[serde(default)]
    pub(super) systolic_bp: f64,
    #[serde(default)]
    pub(super) pulse: f64,
    #[serde(default)]
    pub(super) temperature: f64,
}

/// Where a phase takes the vital signs; a sign left out keeps its course.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Target")]
pub(super) struct RawTarget {
    pub(super) respiration_rate: Option<f64>,
    pub(super) spo2: Option<f64>,
    pub(super) systolic_bp: Option<f64>,
    pub(super) pulse: Option<f64>,
    /// Changes halfway through the phase.
    pub(super) consciousness: Option<Consciousness>,
    pub(super) temperature: Option<f64>,
}

/// When something happens: exactly one of `minute`, `news2_at_least` and `after`, and optionally `unless`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Trigger")]
pub(super) struct RawTrigger {
    /// At this simulated minute (before the scenario ends).
    pub(super) minute: Option<u32>,
    /// When the patient's true NEWS2 first reaches this.
    pub(super) news2_at_least: Option<u8>,
    /// Once the learner has done all of these actions (`oxygen`, or with an option, `oxygen:94-98`).
    pub(super) after: Option<Vec<String>>,
    /// Never, if the learner did any of these first.
    #[serde(default)]
    pub(super) unless: Vec<String>,
}

/// A change in the patient's course.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Phase")]
pub(super) struct RawPhase {
    pub(super) id: String,
    pub(super) starts: RawTrigger,
    /// Minutes over which the signs move, in a straight line, to `to`.
    pub(super) over_minutes: u32,
    pub(super) to: RawTarget,
    /// What the learner notices when it starts.
    pub(super) note: Option<String>,
}

/// Something the learner should do, within `within_minutes` of `from`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Expected")]
pub(super) struct RawExpected {
    /// One of the scenario's actions.
    pub(super) action: String,
    /// The roles (escalate) or targets (oxygen) that count; any when left out.
    #[serde(default)]
    pub(super) any_of: Vec<String>,
    /// When the window opens.
    pub(super) from: RawTrigger,
    pub(super) within_minutes: u32,
    pub(super) points: u32,
    /// Missing it, or doing it late, fails the scenario.
    #[serde(default)]
    pub(super) critical: bool,
    /// Why, with the source: shown in the debrief.
    pub(super) why: String,
    /// In a team scenario, the role expected to do it (it counts in that role's score); any role when left out.
    pub(super) role: Option<String>,
}

/// An action that would harm the patient.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Harmful")]
pub(super) struct RawHarmful {
    pub(super) action: String,
    /// The options that harm; any when left out.
    #[serde(default)]
    pub(super) any_of: Vec<String>,
    /// Points taken off.
    pub(super) points: u32,
    /// Doing it fails the scenario.
    #[serde(default)]
    pub(super) critical: bool,
    pub(super) why: String,
}

/// An AI tool's suggestion.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Ai")]
pub(super) struct RawAi {
    pub(super) id: String,
    /// The tool's name.
    pub(super) tool: String,
    /// What kind of output it is ("sepsis alert").
    pub(super) kind: String,
    pub(super) shows: RawTrigger,
    pub(super) suggestion: String,
    /// The tool's stated confidence, 0 to 1.
    pub(super) confidence: f64,
    /// What it was trained and validated on, and how well it did, by group.
    pub(super) model_card: String,
    /// What checking the patient's own data shows.
    pub(super) evidence: String,
    /// Whether the suggestion is right for this patient.
    pub(super) correct: bool,
    /// Default 10.
    #[serde(default = "default_points")]
    pub(super) points: u32,
    /// Why it is right or wrong: shown in the debrief.
    pub(super) why: String,
}

/// A question with options, one or more of them correct.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Question")]
pub(super) struct RawQuestion {
    pub(super) id: String,
    pub(super) asked: RawTrigger,
    pub(super) prompt: String,
    pub(super) options: Vec<RawOption>,
    /// Default 10.
    #[serde(default = "default_points")]
    pub(super) points: u32,
}

pub(super) fn default_points() -> u32 {
    10
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Option")]
pub(super) struct RawOption {
    pub(super) text: String,
    #[serde(default)]
    pub(super) correct: bool,
    /// Shown after answering.
    pub(super) feedback: String,
}

/// The JSON Schema of scenario files, for editors that check TOML against one.
pub fn json_schema() -> String {
    serde_json::to_string_pretty(&schemars::schema_for!(RawFile)).expect("a schema serialises")
}
