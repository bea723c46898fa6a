//! Clinical and AI-assisted simulations, with no I/O: everything here is a function of its inputs and of a seed it
//! is handed.
//!
//! - `news2`: the National Early Warning Score 2 (Royal College of Physicians, 2017): each parameter's sub-score,
//!   the aggregate, the risk band with its clinical response and minimum monitoring frequency, and refusal with a
//!   reason where NEWS2 does not apply or an observation cannot be real. The engine, the player and
//!   `POST /api/v1/news2` all call [`news2::score`].
//! - `scenario`: the scenario model and its TOML file format, read and checked with line, field and reason.
//! - `engine`: plays a scenario from a seed and the learner's timed actions: the patient's course, the monitor,
//!   the AI suggestions and questions as they appear, and which actions are allowed when.
//! - `scoring`: the score and the debrief: expected actions against their windows, harm, NEWS2 charted correctly,
//!   time to escalation, and reliance on AI (automation bias, algorithm aversion).
//! - `script`: a run written as text, one action a line (`lantern scenario run FILE --script ACTIONS`).
//! - `clock`: the simulated clock of a run in the browser (paused, or running at a speed), from the learner's
//!   controls and the wall-clock times they arrived.
//! - `shipped`: the scenarios in `scenarios/`, compiled in.
//! - `virtual_patient`: taking a history, from the scenario's questions or in free text with a language model
//!   told only the patient's facts.
//! - `analytics`: results across learners per scenario and cohort (pass rates, time to escalation, automation bias
//!   and algorithm aversion), with small groups suppressed.
//! - `check`: what `lantern scenario check` adds to parsing: that every phase, AI suggestion, question and
//!   expected action can happen in some run.

pub mod analytics;
pub mod check;
pub mod clock;
pub mod engine;
pub mod news2;
pub mod scenario;
pub mod scoring;
pub mod script;
pub mod shipped;
pub mod virtual_patient;

#[cfg(test)]
mod tests;
