//! A run as the JSON API shows it (`/api/v1/organisations/{ods}/simulations/runs/{run}`): the clock, the monitor,
//! what is showing, the timeline and, once it has ended, the score. The same facts as the player's page, from the
//! same replay (`live.rs`), for a client that plays a scenario without the page.

use super::live::Live;
use crate::AppError;
use lantern_sim::engine::{Action, clock as mmss};
use lantern_store::sims::RunModule;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    pub id: i64,
    /// The scenario's id (`sepsis-post-op`).
    pub scenario: String,
    pub title: String,
    /// The number the next action or clock control must carry (so a second client cannot act on a view it has
    /// not seen).
    pub seq: u32,
    pub clock: ClockView,
    /// What the monitor shows now; none for a scenario without a patient.
    pub monitor: Option<MonitorView>,
    /// What looking at the patient has found.
    pub notes: Vec<String>,
    /// AI suggestions on show.
    pub ai: Vec<AiSuggestionView>,
    /// Questions asked and not yet answered.
    pub questions: Vec<QuestionView>,
    /// The actions in order, in words (in a team run, each with who took it).
    pub timeline: Vec<TimelineEntry>,
    /// The history taken so far: who asked (a team member's role title; none when playing alone), what, and what
    /// the patient said.
    pub conversation: Vec<ConversationEntry>,
    /// The scenario's history questions not yet asked: `{"do": "ask", "question": ID}` asks one. Where the
    /// organisation has set a model, `{"do": "talk", "said": "..."}` says anything, and the patient answers.
    pub history_questions: Vec<HistoryQuestionView>,
    /// In a team run: the caller's role, the members (the caller among them), the roles still open, and the code
    /// a colleague joins by (`POST /api/v1/organisations/{ods}/simulations/join/{code}`).
    pub team: Option<TeamView>,
    /// The course module the run counts for.
    pub module: Option<ModuleView>,
    /// Once the run has ended: its score (the caller's role's, in a team run) and debrief (`passed`, `percent`, expected actions with their outcomes,
    /// harms, NEWS2 charting, escalation, AI reliance, questions).
    #[schema(value_type = Option<Object>)]
    pub score: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockView {
    /// Simulated seconds since the start.
    pub at_seconds: u32,
    /// "12:30".
    pub time: String,
    /// Running at this many times real time; none while paused.
    pub speed: Option<u32>,
    pub limit_seconds: u32,
    pub out_of_time: bool,
}

/// The observations on the monitor (the learner works out their NEWS2).
#[derive(Debug, Serialize, ToSchema)]
pub struct MonitorView {
    pub respiration_rate: u16,
    pub spo2: u8,
    /// NEWS2 SpO2 scale, 1 or 2.
    pub spo2_scale: u8,
    /// The oxygen target when on oxygen (`94-98`), none on air.
    pub oxygen_target: Option<String>,
    pub systolic_bp: u16,
    pub pulse: u16,
    /// ACVPU: A, C, V, P or U.
    pub consciousness: lantern_sim::news2::Consciousness,
    /// Degrees Celsius, one decimal.
    pub temperature: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AiSuggestionView {
    /// Name this in `check_evidence`, `accept` and `override` actions.
    pub id: String,
    pub tool: String,
    pub kind: String,
    pub suggestion: String,
    pub confidence_percent: u32,
    /// Once the evidence is checked: the patient's own data and the tool's model card.
    pub evidence: Option<String>,
    pub model_card: Option<String>,
    /// `accepted` or `overridden`, once decided.
    pub decision: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    /// Name this in an `answer` action, with the option's index.
    pub id: String,
    pub prompt: String,
    pub options: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub at_seconds: u32,
    pub what: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationEntry {
    pub who: Option<String>,
    pub asked: String,
    pub answer: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryQuestionView {
    pub id: String,
    pub question: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamView {
    /// The caller's role's id (`nurse`).
    pub role: Option<String>,
    pub members: Vec<MemberView>,
    /// Role ids no one has taken: the clock and actions wait for them.
    pub open_roles: Vec<String>,
    pub join_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub role: String,
    /// "Registered nurse".
    pub title: String,
    pub name: String,
    /// Once the run has ended: their percent and whether they passed.
    pub percent: Option<u8>,
    pub passed: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModuleView {
    pub attempt: i64,
    pub key: String,
}

impl RunView {
    pub fn of(live: &Live) -> Result<RunView, AppError> {
        let clock = live.clock(chrono::Utc::now());
        let run = live.run()?;
        let minute = clock.at / 60;
        let trace = run.trace(minute);
        let s = &live.scenario;
        let monitor = run.shown(&trace, minute).map(|m| {
            let o = m.observations;
            MonitorView {
                respiration_rate: o.respiration_rate,
                spo2: o.spo2,
                spo2_scale: if o.spo2_scale == lantern_sim::news2::Spo2Scale::Two {
                    2
                } else {
                    1
                },
                oxygen_target: m.oxygen.map(|t| t.code().to_owned()),
                systolic_bp: o.systolic_bp,
                pulse: o.pulse,
                consciousness: o.consciousness,
                temperature: f64::from(o.temperature_tenths) / 10.0,
            }
        });
        let showing = live.showing(&trace, minute);
        let ai = showing
            .ai
            .iter()
            .map(|a| AiSuggestionView {
                id: a.event.id.clone(),
                tool: a.event.tool.clone(),
                kind: a.event.kind.clone(),
                suggestion: a.event.suggestion.clone(),
                confidence_percent: (a.event.confidence * 100.0).round() as u32,
                evidence: a.checked.then(|| a.event.evidence.clone()),
                model_card: a.checked.then(|| a.event.model_card.clone()),
                decision: a
                    .decided
                    .map(|yes| if yes { "accepted" } else { "overridden" }.to_owned()),
            })
            .collect();
        let questions = showing
            .questions
            .iter()
            .map(|q| QuestionView {
                id: q.id.clone(),
                prompt: q.prompt.clone(),
                options: q.options.iter().map(|o| o.text.clone()).collect(),
            })
            .collect();
        let timeline = live
            .timeline()
            .into_iter()
            .map(|(at_seconds, what)| TimelineEntry { at_seconds, what })
            .collect();
        let score = match &live.stored.result {
            Some(_) => Some(
                serde_json::to_value(live.score_mine(&run))
                    .map_err(|e| AppError::Internal(e.into()))?,
            ),
            None => None,
        };
        let team = live.stored.team.as_ref().map(|t| TeamView {
            role: live.me.clone(),
            members: t
                .members
                .iter()
                .map(|m| {
                    let result = live.member_result(&m.role);
                    MemberView {
                        role: m.role.clone(),
                        title: live.role_title(&m.role).to_owned(),
                        name: m.name.clone(),
                        percent: result.map(|r| r.percent),
                        passed: result.map(|r| r.passed),
                    }
                })
                .collect(),
            open_roles: live.open_roles().iter().map(|r| r.id.clone()).collect(),
            join_code: t.join_code.clone(),
        });
        Ok(RunView {
            id: live.stored.id,
            scenario: s.id.clone(),
            title: s.title.clone(),
            seq: live.next_seq(),
            clock: ClockView {
                at_seconds: clock.at,
                time: mmss(clock.at),
                speed: clock.speed,
                limit_seconds: s.minutes * 60,
                out_of_time: clock.out_of_time,
            },
            monitor,
            notes: showing.notes,
            ai,
            questions,
            timeline,
            conversation: live
                .conversation()
                .into_iter()
                .map(|(who, asked, answer)| ConversationEntry {
                    who: who.map(str::to_owned),
                    asked: asked.to_owned(),
                    answer: answer.to_owned(),
                })
                .collect(),
            history_questions: live
                .unasked()
                .into_iter()
                .map(|h| HistoryQuestionView {
                    id: h.id.clone(),
                    question: h.question.clone(),
                })
                .collect(),
            team,
            module: live
                .stored
                .module
                .as_ref()
                .map(|RunModule { attempt, key }| ModuleView {
                    attempt: *attempt,
                    key: key.clone(),
                }),
            score,
        })
    }
}

/// An action as the API takes it: the event number the client last saw, and the action (`{"do": "observe"}`,
/// `{"do": "record_observations", "news2": 5}`, `{"do": "escalate", "to": "registrar", "sbar": {...}}`, ...).
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAction {
    pub seq: u32,
    #[schema(value_type = Object)]
    pub action: Action,
}

/// A clock control: the event number the client last saw, and `pause` or a speed (`1`, `2`, `5`, `10`).
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewControl {
    pub seq: u32,
    pub speed: String,
}
