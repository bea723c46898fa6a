//! A stored run brought back to life: its scenario (the file it was played with), its clock and its engine run,
//! replayed from the stored events. Every page and action starts here, so what the learner sees is always the
//! engine's answer for the events stored, never a copy that could drift. What a learner does to a run (an action, a
//! clock control, ending it) is here too, once, for the player's forms and the JSON API alike.
//!
//! In a team run each learner acts as their role (`Live::me`), the clock waits until every role is taken, and
//! either member may pause, resume or end it for both.

use super::xapi;
use crate::{AppError, AppState};
use lantern_domain::access::Scope;
use lantern_domain::{Organisation, RequirementKey};
use lantern_sim::clock::{self, ClockState, Control, ControlKind};
use lantern_sim::engine::{Action, Run, Timed};
use lantern_sim::scenario::{self, AiEvent, Question, Scenario};
use lantern_sim::scoring::{self, Score};
use lantern_store::sims::{EventKind, Member, MemberResult, NewEvent, SimResult, StoredRun};

pub struct Live {
    pub stored: StoredRun,
    pub scenario: Scenario,
    pub controls: Vec<Control>,
    pub actions: Vec<Timed>,
    /// In a team run, the role of the person it was loaded for (the learner playing, or the person whose debrief
    /// a manager reads); None in a run one learner plays.
    pub me: Option<String>,
}

impl Live {
    /// A run as `person` plays it (or, for a manager, as that person played it).
    pub fn new(stored: StoredRun, person: lantern_domain::PersonId) -> Result<Live, AppError> {
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
                    by: e.role.clone(),
                }),
            }
        }
        let me = stored.team.as_ref().and_then(|t| {
            t.members
                .iter()
                .find(|m| m.person == person)
                .map(|m| m.role.clone())
        });
        Ok(Live {
            stored,
            scenario,
            controls,
            actions,
            me,
        })
    }

    /// A team run's members, in the order they joined (empty for a run one learner plays).
    pub fn members(&self) -> &[Member] {
        self.stored.team.as_ref().map_or(&[], |t| &t.members)
    }

    /// The roles no one has taken yet, with their titles.
    pub fn open_roles(&self) -> Vec<&lantern_sim::scenario::TeamRole> {
        self.scenario
            .roles
            .iter()
            .filter(|r| !self.members().iter().any(|m| m.plays(&r.id)))
            .collect()
    }

    /// A role's title ("Registered nurse"), or the id when the scenario no longer has it.
    pub fn role_title<'a>(&'a self, role: &'a str) -> &'a str {
        self.scenario.role(role).map_or(role, |r| r.title.as_str())
    }

    /// A team member's own result, once the run has ended.
    pub fn member_result(&self, role: &str) -> Option<&MemberResult> {
        self.stored
            .result
            .iter()
            .flat_map(|r| &r.members)
            .find(|r| r.plays(role))
    }

    /// The person the run was loaded for: the member playing `me` in a team run, the run's learner otherwise.
    pub fn my_person(&self) -> lantern_domain::PersonId {
        self.me
            .as_deref()
            .and_then(|me| self.members().iter().find(|m| m.plays(me)))
            .map_or(self.stored.person, |m| m.person)
    }

    /// The scenario's history questions not asked yet in this run.
    pub fn unasked(&self) -> Vec<&lantern_sim::scenario::HistoryQuestion> {
        self.scenario
            .history
            .iter()
            .filter(|h| {
                !self
                    .actions
                    .iter()
                    .any(|t| matches!(&t.action, Action::Ask { question } if *question == h.id))
            })
            .collect()
    }

    /// The run's score for the person it was loaded for: their role's in a team run, the whole run's otherwise.
    pub fn score_mine(&self, run: &Run) -> Score {
        scoring::score_as(run, self.me.as_deref())
    }

    /// The actions in order with their simulated second, in words; in a team run each says who took it
    /// ("Registered nurse (Ada Lovelace): Escalated to ...").
    pub fn timeline(&self) -> Vec<(u32, String)> {
        self.actions
            .iter()
            .map(|t| {
                let what = super::player::describe(&t.action, &self.scenario);
                let who = t.by.as_deref().map(|role| {
                    let name = self.members().iter().find(|m| m.plays(role));
                    match name {
                        Some(m) => format!("{} ({})", self.role_title(role), m.name),
                        None => self.role_title(role).to_owned(),
                    }
                });
                let line = match who {
                    Some(who) => format!("{who}: {what}"),
                    None => what,
                };
                (t.at, line)
            })
            .collect()
    }

    /// Why the caller cannot act on this run now, if they cannot: a team run waits for every role to be taken.
    pub fn waiting(&self) -> Option<String> {
        let open = self.open_roles();
        (!open.is_empty()).then(|| {
            format!(
                "Waiting for a colleague to join as {}: share the join link first.",
                open.iter()
                    .map(|r| r.title.to_lowercase())
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        })
    }

    /// The event number to append at, given the number the caller's page was drawn with. Alone, it must be the
    /// next: a second window or a double click cannot add what the learner did not see. In a team a colleague may
    /// have acted since; only the caller's own events since then (another window of theirs, a double click) make
    /// it stale.
    fn seq_for(&self, seen: u32) -> Result<u32, String> {
        let next = self.next_seq();
        match &self.me {
            None => Ok(seen),
            Some(me) => {
                let mine_since = self
                    .stored
                    .events
                    .iter()
                    .skip(seen as usize)
                    .any(|e| e.role.as_deref() == Some(me.as_str()));
                match mine_since || seen > next {
                    true => Err(
                        "You did something else in another window: check the page and try again."
                            .into(),
                    ),
                    false => Ok(next),
                }
            }
        }
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
    /// The xAPI context of the caller's statements (a team member's own, as the actor).
    pub fn context(&self) -> xapi::RunContext<'_> {
        xapi::RunContext {
            org: self.stored.org,
            person: self.my_person(),
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
        match action {
            // What the patient says back is the organisation's model's, never the caller's.
            Action::Talk { said, .. } => self.talk(state, scope, seq, said).await,
            action => self.take(state, scope, seq, action).await,
        }
    }

    /// Says something to the patient in free text: the organisation's model answers as the patient, and the two
    /// are kept together as one action. Refused, with nothing stored, when there is no model or it does not answer.
    async fn talk(
        &self,
        state: &AppState,
        scope: &Scope,
        seq: u32,
        said: String,
    ) -> Result<Result<(), String>, AppError> {
        let now = chrono::Utc::now();
        let at = match self.ready(now, seq) {
            Ok((_, at)) => at,
            Err(why) => return Ok(Err(why)),
        };
        // Alone, the page must be the run as it is (the store checks other actions when they are stored).
        if self.me.is_none() && seq != self.next_seq() {
            return Ok(Err(
                "the run changed in another window: reload the page and try again".into(),
            ));
        }
        // How the patient is now, and whether they can be talked to now, from one replay.
        let mut run = self.run()?;
        let minute = at / 60;
        let now_notes = self.patient_now(&run.trace(minute), minute);
        let blank = Action::Talk {
            said: said.clone(),
            reply: String::new(),
        };
        if let Err(e) = run.act_as(at, self.me.as_deref(), blank) {
            return Ok(Err(e.0));
        }
        let Some(model) = state.store.patient_model(self.stored.org).await? else {
            return Ok(Err(
                "This organisation has not set a model for the virtual patient: ask from the menu."
                    .into(),
            ));
        };
        let earlier: Vec<(&str, &str)> = self
            .actions
            .iter()
            .filter_map(|t| match &t.action {
                Action::Talk { said, reply } => Some((said.as_str(), reply.as_str())),
                _ => None,
            })
            .collect();
        let Some(messages) =
            lantern_sim::virtual_patient::messages(&self.scenario, &now_notes, &earlier, &said)
        else {
            return Ok(Err("This scenario has no patient to talk to.".into()));
        };
        let reply = match super::patient::answer(state, &model, &messages).await {
            Ok(reply) => reply,
            Err(why) => {
                tracing::warn!(
                    org = self.stored.org.0,
                    run = self.stored.id,
                    "virtual patient: {why}"
                );
                return Ok(Err(super::patient::UNANSWERED.into()));
            }
        };
        // The model took a while: the action is taken now, where the clock is, on the run as it is now.
        let fresh = state
            .store
            .sim_run(scope, self.stored.org, self.stored.id)
            .await?;
        let fresh = Live::new(fresh, self.my_person())?;
        fresh
            .take(state, scope, fresh.next_seq(), Action::Talk { said, reply })
            .await
    }

    /// Takes an action at the clock's time now, as event number `seq`.
    async fn take(
        &self,
        state: &AppState,
        scope: &Scope,
        seq: u32,
        action: Action,
    ) -> Result<Result<(), String>, AppError> {
        let now = chrono::Utc::now();
        let (seq, at) = match self.ready(now, seq) {
            Ok(ready) => ready,
            Err(why) => return Ok(Err(why)),
        };
        if let Err(e) = self.run()?.act_as(at, self.me.as_deref(), action.clone()) {
            return Ok(Err(e.0));
        }
        let body = serde_json::to_string(&action).map_err(|e| AppError::Internal(e.into()))?;
        self.append(state, scope, seq, EventKind::Action, at, &body, now)
            .await?;
        xapi::acted(state, &self.context(), &action, at).await?;
        Ok(Ok(()))
    }

    /// Whether the caller may act now, and if so the event number to take and the simulated second.
    fn ready(&self, now: chrono::DateTime<chrono::Utc>, seq: u32) -> Result<(u32, u32), String> {
        let clock = self.clock(now);
        if self.stored.result.is_some() {
            return Err("This run has ended.".to_owned());
        }
        if clock.out_of_time {
            return Err("Time is up: choose \"Time is up: see your debrief\".".to_owned());
        }
        if let Some(why) = self.waiting() {
            return Err(why);
        }
        Ok((self.seq_for(seq)?, clock.at))
    }

    /// Pauses the clock or runs it at a speed, as event number `seq`. In a team run, refused until everyone has
    /// joined.
    pub async fn set_clock(
        &self,
        state: &AppState,
        scope: &Scope,
        seq: u32,
        kind: ControlKind,
    ) -> Result<(), AppError> {
        if let Some(why) = self.waiting() {
            return Err(AppError::BadRequest(why));
        }
        let seq = self.seq_for(seq).map_err(AppError::BadRequest)?;
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
                    role: self.me.as_deref(),
                },
            )
            .await?;
        Ok(())
    }

    /// Ends the run now (or at the time limit, if it has passed), scores it and records a pass: its competencies,
    /// and its course module's state when it was played for one. Ending an ended run changes nothing. A team run
    /// is scored for the team and for each member's role; each member who passes has the competencies recorded.
    pub async fn end(
        &self,
        state: &AppState,
        scope: &Scope,
        org: &Organisation,
    ) -> Result<(), AppError> {
        if self.stored.result.is_some() {
            return Ok(());
        }
        // A team run no colleague has joined has nothing to score; it stays open for them.
        if let Some(why) = self.waiting() {
            return Err(AppError::BadRequest(why));
        }
        let now = chrono::Utc::now();
        let at = self.clock(now).at;
        let mut run = self.run()?;
        run.end(at).map_err(|e| AppError::BadRequest(e.0))?;
        let score: Score = scoring::score(&run);
        let mut members = Vec::new();
        for m in self.members() {
            let mine = scoring::score_as(&run, Some(&m.role));
            members.push((
                MemberResult {
                    role: m.role.clone(),
                    person: m.person,
                    percent: mine.percent,
                    passed: mine.passed,
                    score: serde_json::to_string(&mine)
                        .map_err(|e| AppError::Internal(e.into()))?,
                },
                mine,
            ));
        }
        let result = SimResult {
            ended_at_sim: at,
            percent: score.percent,
            passed: score.passed,
            score: serde_json::to_string(&score).map_err(|e| AppError::Internal(e.into()))?,
            recorded_at: now,
            members: members.iter().map(|(m, _)| m.clone()).collect(),
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
        if members.is_empty() {
            xapi::ended(state, &self.context(), &score).await?;
        }
        for (m, mine) in &members {
            let ctx = xapi::RunContext {
                person: m.person,
                ..self.context()
            };
            xapi::ended(state, &ctx, mine).await?;
        }
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
    /// How the patient is at `minute`: the notes of the phases under way then (what the model playing them is told).
    pub fn patient_now(&self, trace: &lantern_sim::engine::Trace, minute: u32) -> Vec<String> {
        self.scenario
            .phases
            .iter()
            .filter(|p| trace.fired.get(&p.id).is_some_and(|at| *at <= minute))
            .filter_map(|p| p.note.clone())
            .collect()
    }

    /// The history taken so far, in order: who asked (a team member's role title, or None when playing alone),
    /// what was asked and what the patient said.
    pub fn conversation(&self) -> Vec<(Option<&str>, &str, &str)> {
        self.actions
            .iter()
            .filter_map(|t| {
                let who = t.by.as_deref().map(|r| self.role_title(r));
                match &t.action {
                    Action::Ask { question } => self
                        .scenario
                        .history
                        .iter()
                        .find(|h| &h.id == question)
                        .map(|h| (who, h.question.as_str(), h.answer.as_str())),
                    Action::Talk { said, reply } => Some((who, said.as_str(), reply.as_str())),
                    _ => None,
                }
            })
            .collect()
    }

    pub fn showing(&self, trace: &lantern_sim::engine::Trace, minute: u32) -> Showing<'_> {
        let s = &self.scenario;
        // Notes the learner has found: phases started by the last time they looked at the patient.
        // In a team, what the caller has looked at themselves.
        let looked = self
            .actions
            .iter()
            .rev()
            .filter(|t| t.by == self.me)
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
