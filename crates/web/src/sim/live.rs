//! A stored run brought back to life: its scenario (the file it was played with), its clock and its engine run,
//! replayed from the stored events. Every page and action starts here, so what the learner sees is always the
//! engine's answer for the events stored, never a copy that could drift. What a learner does to a run (an action, a
//! clock control, ending it) is here too, once, for the player's forms and the JSON API alike.

use super::xapi;
use crate::{AppError, AppState};
use lantern_domain::access::Scope;
use lantern_domain::{Organisation, RequirementKey};
use lantern_sim::clock::{self, ClockState, Control, ControlKind};
use lantern_sim::engine::{Action, Run, Timed};
use lantern_sim::scenario::{self, AiEvent, Question, Scenario};
use lantern_sim::scoring::{self, Score};
use lantern_store::sims::{EventKind, NewEvent, SimResult, StoredRun};

pub struct Live {
    pub stored: StoredRun,
    pub scenario: Scenario,
    pub controls: Vec<Control>,
    pub actions: Vec<Timed>,
}

impl Live {
    pub fn new(stored: StoredRun) -> Result<Live, AppError> {
        let scenario =
            scenario::parse(&stored.scenario_id, &stored.scenario_body).map_err(|e| {
                AppError::Internal(anyhow::anyhow!(
                    "stored scenario {} no longer reads: {e:?}",
                    stored.digest
                ))
            })?;
        let mut controls = Vec::new();
        let mut actions = Vec::new();
        for e in &stored.events {
            let bad = |err: serde_json::Error| {
                AppError::Internal(anyhow::anyhow!(
                    "simulation run {} event {}: {err}",
                    stored.id,
                    e.seq
                ))
            };
            match e.kind {
                EventKind::Control => controls.push(serde_json::from_str(&e.body).map_err(bad)?),
                EventKind::Action => actions.push(Timed::solo(
                    e.sim_at,
                    serde_json::from_str::<Action>(&e.body).map_err(bad)?,
                )),
            }
        }
        Ok(Live {
            stored,
            scenario,
            controls,
            actions,
        })
    }

    /// The next event's number.
    pub fn next_seq(&self) -> u32 {
        self.stored.events.len() as u32
    }

    /// The clock at a wall-clock instant; stopped where the run ended, if it has.
    pub fn clock(&self, now: chrono::DateTime<chrono::Utc>) -> ClockState {
        if let Some(r) = &self.stored.result {
            return ClockState {
                at: r.ended_at_sim,
                speed: None,
                out_of_time: false,
            };
        }
        clock::state(
            &self.controls,
            now.timestamp_millis(),
            self.scenario.minutes * 60,
        )
    }

    /// The engine's run for the stored actions (and its end, if it has ended).
    pub fn run(&self) -> Result<Run<'_>, AppError> {
        let ended = self.stored.result.as_ref().map(|r| r.ended_at_sim);
        Run::replay(&self.scenario, self.stored.seed, &self.actions, ended).map_err(|(i, e)| {
            AppError::Internal(anyhow::anyhow!(
                "simulation run {}: stored action {i} no longer replays: {e}",
                self.stored.id
            ))
        })
    }
}

impl Live {
    pub fn context(&self) -> xapi::RunContext<'_> {
        xapi::RunContext {
            org: self.stored.org,
            person: self.stored.person,
            registration: &self.stored.registration,
            scenario: &self.scenario,
        }
    }

    /// Takes an action at the clock's time now, as event number `seq`. `Ok(Err(reason))` when the engine refuses it
    /// (time up, not possible now, not offered): nothing is stored.
    pub async fn act(
        &self,
        state: &AppState,
        scope: &Scope,
        seq: u32,
        action: Action,
    ) -> Result<Result<(), String>, AppError> {
        let now = chrono::Utc::now();
        let clock = self.clock(now);
        if self.stored.result.is_some() {
            return Ok(Err("This run has ended.".to_owned()));
        }
        if clock.out_of_time {
            return Ok(Err(
                "Time is up: choose \"Time is up: see your debrief\".".to_owned()
            ));
        }
        if let Err(e) = self.run()?.act(clock.at, action.clone()) {
            return Ok(Err(e.0));
        }
        let body = serde_json::to_string(&action).map_err(|e| AppError::Internal(e.into()))?;
        self.append(state, scope, seq, EventKind::Action, clock.at, &body, now)
            .await?;
        xapi::acted(state, &self.context(), &action, clock.at).await?;
        Ok(Ok(()))
    }

    /// Pauses the clock or runs it at a speed, as event number `seq`.
    pub async fn set_clock(
        &self,
        state: &AppState,
        scope: &Scope,
        seq: u32,
        kind: ControlKind,
    ) -> Result<(), AppError> {
        let now = chrono::Utc::now();
        let at = self.clock(now).at;
        let body = serde_json::to_string(&Control {
            wall_ms: now.timestamp_millis(),
            kind,
        })
        .map_err(|e| AppError::Internal(e.into()))?;
        self.append(state, scope, seq, EventKind::Control, at, &body, now)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn append(
        &self,
        state: &AppState,
        scope: &Scope,
        seq: u32,
        kind: EventKind,
        sim_at: u32,
        body: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), AppError> {
        state
            .store
            .append_sim_event(
                scope,
                self.stored.org,
                self.stored.id,
                NewEvent {
                    seq,
                    kind,
                    sim_at,
                    body,
                    now,
                },
            )
            .await?;
        Ok(())
    }

    /// Ends the run now (or at the time limit, if it has passed), scores it and records a pass: its competencies,
    /// and its course module's state when it was played for one. Ending an ended run changes nothing.
    pub async fn end(
        &self,
        state: &AppState,
        scope: &Scope,
        org: &Organisation,
    ) -> Result<(), AppError> {
        if self.stored.result.is_some() {
            return Ok(());
        }
        let now = chrono::Utc::now();
        let at = self.clock(now).at;
        let mut run = self.run()?;
        run.end(at).map_err(|e| AppError::BadRequest(e.0))?;
        let score: Score = scoring::score(&run);
        let result = SimResult {
            ended_at_sim: at,
            percent: score.percent,
            passed: score.passed,
            score: serde_json::to_string(&score).map_err(|e| AppError::Internal(e.into()))?,
            recorded_at: now,
        };
        let records: Vec<RequirementKey> = self
            .scenario
            .competencies
            .iter()
            .map(|c| RequirementKey::new(c.clone(), 1))
            .collect();
        state
            .store
            .finish_sim_run(
                scope,
                org.id,
                self.stored.id,
                &result,
                &records,
                crate::when::today(org),
            )
            .await?;
        xapi::ended(state, &self.context(), &score).await?;
        Ok(())
    }
}

/// An AI suggestion on show, with what the learner has done about it.
pub struct ShownAi<'a> {
    pub event: &'a AiEvent,
    /// The learner has checked the evidence (the patient's own data and the model card).
    pub checked: bool,
    /// Accepted (true) or overridden (false), once decided.
    pub decided: Option<bool>,
}

/// What a run shows at a minute besides the monitor: the notes found by looking at the patient, the AI
/// suggestions on show, and the questions asked and not yet answered. The player and the API both read it.
pub struct Showing<'a> {
    pub notes: Vec<String>,
    pub ai: Vec<ShownAi<'a>>,
    pub questions: Vec<&'a Question>,
}

impl Live {
    pub fn showing(&self, trace: &lantern_sim::engine::Trace, minute: u32) -> Showing<'_> {
        let s = &self.scenario;
        // Notes the learner has found: phases started by the last time they looked at the patient.
        let looked = self
            .actions
            .iter()
            .rev()
            .find(|t| matches!(t.action, Action::Observe))
            .map(|t| t.at / 60);
        let notes = match looked {
            None => Vec::new(),
            Some(m) => s
                .phases
                .iter()
                .filter(|p| trace.fired.get(&p.id).is_some_and(|at| *at <= m))
                .filter_map(|p| p.note.clone())
                .collect(),
        };
        let done = |f: &dyn Fn(&Action) -> bool| self.actions.iter().any(|t| f(&t.action));
        let fired = |id: &str| trace.fired.get(id).is_some_and(|m| *m <= minute);
        let ai = s
            .ai
            .iter()
            .filter(|e| fired(&e.id))
            .map(|e| ShownAi {
                event: e,
                checked: done(&|a| matches!(a, Action::CheckEvidence { event } if *event == e.id)),
                decided: if done(&|a| matches!(a, Action::Accept { event } if *event == e.id)) {
                    Some(true)
                } else if done(&|a| matches!(a, Action::Override { event, .. } if *event == e.id)) {
                    Some(false)
                } else {
                    None
                },
            })
            .collect();
        let questions = s
            .questions
            .iter()
            .filter(|q| fired(&q.id))
            .filter(|q| {
                !done(&|a| matches!(a, Action::Answer { question, .. } if *question == q.id))
            })
            .collect();
        Showing {
            notes,
            ai,
            questions,
        }
    }
}
