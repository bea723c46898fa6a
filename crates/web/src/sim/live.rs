//! A stored run brought back to life: its scenario (the file it was played with), its clock and its engine run,
//! replayed from the stored events. Every page and action starts here, so what the learner sees is always the
//! engine's answer for the events stored, never a copy that could drift.

use crate::AppError;
use lantern_sim::clock::{self, ClockState, Control};
use lantern_sim::engine::{Action, Run, Timed};
use lantern_sim::scenario::{self, Scenario};
use lantern_store::sims::{EventKind, StoredRun};

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
                EventKind::Action => actions.push(Timed {
                    at: e.sim_at,
                    action: serde_json::from_str::<Action>(&e.body).map_err(bad)?,
                }),
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
