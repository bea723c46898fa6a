//! Plays a scenario: what the learner sees at any simulated moment, and which actions are allowed then.
//!
//! A run's whole state is a function of the scenario, a seed and the learner's timed actions: nothing else. So a run
//! is stored as its actions, a page reload replays them, and the same actions with the same seed always give the
//! same patient, the same alerts and the same score.
//!
//! Time is simulated seconds from 0. The patient's course is worked out a minute at a time: at each whole minute the
//! triggers are tested (with the actions done by then), phases that start set their signs drifting, and the true
//! vital signs and NEWS2 are recorded. What the monitor shows is the true value plus seeded noise.

use crate::news2::{self, Consciousness, Observations, Spo2Scale};
use crate::scenario::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Something the learner does. Serialised as `{"do": "escalate", "to": "registrar", "sbar": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    Observe,
    /// Chart the observations now showing, with the NEWS2 total the learner worked out.
    RecordObservations {
        news2: u8,
    },
    Escalate {
        to: Role,
        #[serde(default)]
        sbar: Sbar,
    },
    Oxygen {
        target: OxygenTarget,
    },
    Fluids,
    BloodCultures,
    Lactate,
    Antibiotics,
    CallRapidResponse,
    Document {
        #[serde(default)]
        note: String,
    },
    /// Look at the patient's data behind an AI suggestion before deciding.
    CheckEvidence {
        event: String,
    },
    /// Act on an AI suggestion.
    Accept {
        event: String,
    },
    /// Decline an AI suggestion.
    Override {
        event: String,
        #[serde(default)]
        reason: String,
    },
    /// Answer a question with one of its options (0-based).
    Answer {
        question: String,
        option: usize,
    },
    /// Ask the patient one of the scenario's history questions (the patient answers as the file says).
    Ask {
        question: String,
    },
    /// Say something to the patient in free text, with what the organisation's language model answered as the
    /// patient (`crate::virtual_patient`): kept with the run, as a model's answer is not reproducible.
    Talk {
        said: String,
        #[serde(default)]
        reply: String,
    },
}

/// A handover in SBAR form (NHS Institute for Innovation and Improvement): situation, background, assessment,
/// recommendation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sbar {
    #[serde(default)]
    pub situation: String,
    #[serde(default)]
    pub background: String,
    #[serde(default)]
    pub assessment: String,
    #[serde(default)]
    pub recommendation: String,
}

impl Sbar {
    /// All four parts said.
    pub fn is_complete(&self) -> bool {
        [
            &self.situation,
            &self.background,
            &self.assessment,
            &self.recommendation,
        ]
        .iter()
        .all(|p| !p.trim().is_empty())
    }
}

impl Action {
    /// The clinical action, or None for AI decisions and answers.
    pub fn kind(&self) -> Option<ActionKind> {
        Some(match self {
            Action::Observe => ActionKind::Observe,
            Action::RecordObservations { .. } => ActionKind::RecordObservations,
            Action::Escalate { .. } => ActionKind::Escalate,
            Action::Oxygen { .. } => ActionKind::Oxygen,
            Action::Fluids => ActionKind::Fluids,
            Action::BloodCultures => ActionKind::BloodCultures,
            Action::Lactate => ActionKind::Lactate,
            Action::Antibiotics => ActionKind::Antibiotics,
            Action::CallRapidResponse => ActionKind::CallRapidResponse,
            Action::Document { .. } => ActionKind::Document,
            Action::CheckEvidence { .. } | Action::Accept { .. } | Action::Override { .. } => {
                return None;
            }
            Action::Answer { .. } | Action::Ask { .. } | Action::Talk { .. } => return None,
        })
    }

    /// The option it was taken with: the role escalated to, the oxygen target.
    pub fn option(&self) -> Option<&'static str> {
        match self {
            Action::Escalate { to, .. } => Some(to.code()),
            Action::Oxygen { target } => Some(target.code()),
            _ => None,
        }
    }

    /// Does this action count as `kind` taken with one of `any_of` (any option when empty)?
    pub fn matches(&self, kind: ActionKind, any_of: &[String]) -> bool {
        self.kind() == Some(kind)
            && (any_of.is_empty() || self.option().is_some_and(|o| any_of.iter().any(|a| a == o)))
    }

    fn matches_one(&self, m: &ActionMatch) -> bool {
        self.kind() == Some(m.action)
            && m.option.as_deref().is_none_or(|o| self.option() == Some(o))
    }
}

/// An action at a simulated second.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timed {
    pub at: u32,
    #[serde(flatten)]
    pub action: Action,
    /// In a team scenario, the role that took it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

impl Timed {
    /// An action in a scenario one learner plays.
    pub fn solo(at: u32, action: Action) -> Timed {
        Timed {
            at,
            action,
            by: None,
        }
    }
}

/// Why an action is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn refuse<T>(reason: impl Into<String>) -> Result<T, Refused> {
    Err(Refused(reason.into()))
}

/// The observations the monitor shows at a minute (true values plus the seeded noise, rounded as charted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Shown {
    pub minute: u32,
    pub observations: Observations,
    pub oxygen: Option<OxygenTarget>,
    /// The NEWS2 of what is shown: what a learner charting these observations should find.
    pub news2: u8,
}

/// The patient's course and the scenario's events, worked out up to a minute.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// True vital signs at each whole minute from 0 (empty without a patient).
    pub vitals: Vec<Vitals>,
    /// The oxygen target in force at each minute (None on air).
    pub oxygen: Vec<Option<OxygenTarget>>,
    /// The true NEWS2 at each minute (empty without a patient).
    pub news2: Vec<u8>,
    /// The minute each phase, AI event and question (by id) started, showed or was asked.
    pub fired: HashMap<String, u32>,
    /// The minute each expected action's window opened (by index), if it has.
    pub windows: Vec<Option<u32>>,
}

impl Trace {
    pub fn last_minute(&self) -> u32 {
        self.oxygen.len().saturating_sub(1) as u32
    }
}

/// One learner's run of a scenario.
#[derive(Clone, Debug)]
pub struct Run<'s> {
    pub scenario: &'s Scenario,
    pub seed: u64,
    pub actions: Vec<Timed>,
    /// When the learner ended it (or the scenario ran out of time).
    pub ended_at: Option<u32>,
}

impl<'s> Run<'s> {
    pub fn new(scenario: &'s Scenario, seed: u64) -> Self {
        Run {
            scenario,
            seed,
            actions: Vec::new(),
            ended_at: None,
        }
    }

    /// A run rebuilt from its stored actions, each checked again; the first refused one is named by its index.
    pub fn replay(
        scenario: &'s Scenario,
        seed: u64,
        actions: &[Timed],
        ended_at: Option<u32>,
    ) -> Result<Self, (usize, Refused)> {
        let mut run = Run::new(scenario, seed);
        for (i, t) in actions.iter().enumerate() {
            run.act_as(t.at, t.by.as_deref(), t.action.clone())
                .map_err(|e| (i, e))?;
        }
        if let Some(at) = ended_at {
            run.end(at).map_err(|e| (actions.len(), e))?;
        }
        Ok(run)
    }

    /// The simulated second at which the scenario runs out.
    pub fn time_limit(&self) -> u32 {
        self.scenario.minutes * 60
    }

    fn check_time(&self, at: u32) -> Result<(), Refused> {
        if let Some(end) = self.ended_at {
            return refuse(format!("the scenario ended at {}", clock(end)));
        }
        if at > self.time_limit() {
            return refuse(format!(
                "the scenario ran out of time at {}",
                clock(self.time_limit())
            ));
        }
        if let Some(last) = self.actions.last()
            && at < last.at
        {
            return refuse(format!(
                "time runs forwards: the last action was at {}",
                clock(last.at)
            ));
        }
        Ok(())
    }

    /// Takes an action at simulated second `at`, or says why it cannot be taken then.
    pub fn act(&mut self, at: u32, action: Action) -> Result<(), Refused> {
        self.act_as(at, None, action)
    }

    /// Takes an action as a role of a team scenario (`by`; None in a scenario one learner plays): the role must take
    /// that action (AI decisions and answers are anyone's).
    pub fn act_as(&mut self, at: u32, by: Option<&str>, action: Action) -> Result<(), Refused> {
        self.check_time(at)?;
        match (by, self.scenario.roles.is_empty()) {
            (None, true) => {}
            (Some(_), true) => return refuse("this scenario is played alone: it has no roles"),
            (None, false) => {
                return refuse("this is a team scenario: say which role takes the action");
            }
            (Some(role), false) => {
                let Some(r) = self.scenario.role(role) else {
                    return refuse(format!("there is no role {role:?} in this scenario"));
                };
                if let Some(kind) = action.kind()
                    && !r.actions.contains(&kind)
                {
                    return refuse(format!(
                        "the {} does not take {}",
                        r.title.to_lowercase(),
                        kind.code()
                    ));
                }
            }
        }
        let minute = at / 60;
        match &action {
            Action::CheckEvidence { event }
            | Action::Accept { event }
            | Action::Override { event, .. } => {
                let trace = self.trace(minute);
                if !self.scenario.ai.iter().any(|e| &e.id == event) {
                    return refuse(format!("there is no AI suggestion {event:?}"));
                }
                if trace.fired.get(event).is_none_or(|m| *m > minute) {
                    return refuse(format!("the AI suggestion {event:?} is not showing yet"));
                }
                let decided = self.actions.iter().any(|t| match &t.action {
                    Action::Accept { event: e } | Action::Override { event: e, .. } => e == event,
                    _ => false,
                });
                if decided && !matches!(action, Action::CheckEvidence { .. }) {
                    return refuse(format!("the AI suggestion {event:?} is already decided"));
                }
            }
            Action::Answer { question, option } => {
                let Some(q) = self.scenario.questions.iter().find(|q| &q.id == question) else {
                    return refuse(format!("there is no question {question:?}"));
                };
                if self
                    .trace(minute)
                    .fired
                    .get(question)
                    .is_none_or(|m| *m > minute)
                {
                    return refuse(format!("the question {question:?} has not been asked yet"));
                }
                if *option >= q.options.len() {
                    return refuse(format!(
                        "the question {question:?} has options 0 to {}",
                        q.options.len() - 1
                    ));
                }
                let answered = self.actions.iter().any(
                    |t| matches!(&t.action, Action::Answer { question: q2, .. } if q2 == question),
                );
                if answered {
                    return refuse(format!("the question {question:?} is already answered"));
                }
            }
            Action::Ask { question } => {
                if !self.scenario.history.iter().any(|h| &h.id == question) {
                    return refuse(format!("there is no history question {question:?}"));
                }
            }
            Action::Talk { said, reply } => {
                if self.scenario.patient.is_none() {
                    return refuse("this scenario has no patient to talk to");
                }
                if said.trim().is_empty() {
                    return refuse("say something to the patient");
                }
                if said.chars().count() > crate::virtual_patient::MAX_SAID {
                    return refuse(format!(
                        "say it in {} characters or fewer",
                        crate::virtual_patient::MAX_SAID
                    ));
                }
                if reply.chars().count() > crate::virtual_patient::MAX_REPLY {
                    return refuse("the patient's answer is too long");
                }
            }
            other => {
                let kind = other.kind().expect("a clinical action");
                if !self.scenario.actions.contains(&kind) {
                    return refuse(format!(
                        "{} is not one of this scenario's actions",
                        kind.code()
                    ));
                }
                if let Action::RecordObservations { news2 } = other {
                    if self.scenario.patient.is_none() {
                        return refuse("this scenario has no patient to observe");
                    }
                    if *news2 > 20 {
                        return refuse("a NEWS2 total is from 0 to 20");
                    }
                }
            }
        }
        self.actions.push(Timed {
            at,
            action,
            by: by.map(str::to_owned),
        });
        Ok(())
    }

    /// Ends the run at `at` (the learner says they are done, or time ran out).
    pub fn end(&mut self, at: u32) -> Result<(), Refused> {
        self.check_time(at)?;
        self.ended_at = Some(at);
        Ok(())
    }

    /// The second the run is scored at: when it ended, or the time limit.
    pub fn end_time(&self) -> u32 {
        self.ended_at.unwrap_or(self.time_limit())
    }

    /// The course of the scenario up to `until` (a minute), with the actions taken so far.
    pub fn trace(&self, until: u32) -> Trace {
        trace(
            self.scenario,
            &self.actions,
            until.min(self.scenario.minutes),
        )
    }

    /// What the monitor shows at minute `minute`, or None without a patient.
    pub fn shown(&self, trace: &Trace, minute: u32) -> Option<Shown> {
        let patient = self.scenario.patient.as_ref()?;
        let m = minute.min(trace.last_minute()) as usize;
        let v = trace.vitals[m];
        let oxygen = trace.oxygen[m];
        let n = |i: u64, amplitude: f64| noise(self.seed, minute, i) * amplitude;
        let spo2 = with_oxygen(v.spo2, oxygen, patient.oxygen_gain) + n(1, patient.noise.spo2);
        let observations = observe(
            &Vitals {
                respiration_rate: v.respiration_rate + n(0, patient.noise.respiration_rate),
                spo2,
                systolic_bp: v.systolic_bp + n(2, patient.noise.systolic_bp),
                pulse: v.pulse + n(3, patient.noise.pulse),
                consciousness: v.consciousness,
                temperature: v.temperature + n(4, patient.noise.temperature),
            },
            patient.spo2_scale,
            oxygen.is_some(),
        );
        Some(Shown {
            minute,
            observations,
            oxygen,
            news2: news2::score(&observations).total,
        })
    }
}

/// `mm:ss` of a simulated second.
pub fn clock(at: u32) -> String {
    format!("{:02}:{:02}", at / 60, at % 60)
}

/// SpO2 on the oxygen in force: titrated towards the target's aim, by at most the patient's gain; oxygen never
/// lowers it.
fn with_oxygen(air: f64, oxygen: Option<OxygenTarget>, gain: f64) -> f64 {
    match oxygen {
        None => air,
        Some(t) => air.max((air + gain).min(t.aim())),
    }
}

/// Vital signs rounded as charted and clamped to what NEWS2 accepts.
fn observe(v: &Vitals, scale: Spo2Scale, on_oxygen: bool) -> Observations {
    Observations {
        respiration_rate: v.respiration_rate.round().clamp(0.0, 80.0) as u16,
        spo2: v.spo2.round().clamp(50.0, 100.0) as u8,
        spo2_scale: scale,
        on_oxygen,
        systolic_bp: v.systolic_bp.round().clamp(40.0, 260.0) as u16,
        pulse: v.pulse.round().clamp(20.0, 220.0) as u16,
        consciousness: v.consciousness,
        temperature_tenths: (v.temperature * 10.0).round().clamp(300.0, 430.0) as i16,
    }
}

/// A number from -1 to 1, the same for the same seed, minute and sign (SplitMix64).
fn noise(seed: u64, minute: u32, sign: u64) -> f64 {
    let mut z = seed ^ (u64::from(minute) << 8) ^ sign;
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

/// A sign's straight-line course: from a value at a minute to a value over some minutes.
#[derive(Clone, Copy)]
struct Drift {
    from: f64,
    start: u32,
    to: f64,
    over: u32,
}

impl Drift {
    fn at(&self, minute: u32) -> f64 {
        if self.over == 0 || minute >= self.start + self.over {
            return self.to;
        }
        let f = f64::from(minute.saturating_sub(self.start)) / f64::from(self.over);
        self.from + (self.to - self.from) * f
    }
}

#[derive(Clone, Copy, PartialEq)]
enum TriggerState {
    Waiting,
    Fired(u32),
    Cancelled,
}

fn done_by(actions: &[Timed], minute: u32) -> impl Iterator<Item = &Action> {
    actions
        .iter()
        .take_while(move |t| t.at <= minute * 60)
        .map(|t| &t.action)
}

/// Tests a trigger at a minute, given the true NEWS2 then.
fn test(trigger: &Trigger, actions: &[Timed], minute: u32, news2: Option<u8>) -> TriggerState {
    let did = |m: &ActionMatch| done_by(actions, minute).any(|a| a.matches_one(m));
    let holds = match &trigger.when {
        When::Minute(at) => minute >= *at,
        When::News2AtLeast(n) => news2.is_some_and(|s| s >= *n),
        When::After(all) => all.iter().all(did),
    };
    if !holds {
        TriggerState::Waiting
    } else if trigger.unless.iter().any(did) {
        TriggerState::Cancelled
    } else {
        TriggerState::Fired(minute)
    }
}

/// Works out the scenario's course from minute 0 to `until`.
pub fn trace(s: &Scenario, actions: &[Timed], until: u32) -> Trace {
    let mut out = Trace {
        vitals: Vec::with_capacity(until as usize + 1),
        oxygen: Vec::with_capacity(until as usize + 1),
        news2: Vec::new(),
        fired: HashMap::new(),
        windows: vec![None; s.expected.len()],
    };
    let start = s.patient.as_ref().map(|p| p.vitals);
    // One drift per numeric sign, and consciousness with the minute it changes.
    let mut drifts: Vec<Drift> = match start {
        Some(v) => [
            v.respiration_rate,
            v.spo2,
            v.systolic_bp,
            v.pulse,
            v.temperature,
        ]
        .iter()
        .map(|x| Drift {
            from: *x,
            start: 0,
            to: *x,
            over: 0,
        })
        .collect(),
        None => Vec::new(),
    };
    let mut consciousness: Vec<(u32, Consciousness)> = start
        .map(|v| vec![(0, v.consciousness)])
        .unwrap_or_default();
    let mut phases = vec![TriggerState::Waiting; s.phases.len()];
    let mut ai = vec![TriggerState::Waiting; s.ai.len()];
    let mut questions = vec![TriggerState::Waiting; s.questions.len()];
    let mut windows = vec![TriggerState::Waiting; s.expected.len()];
    let mut oxygen: Option<OxygenTarget> = None;
    for minute in 0..=until {
        let vitals_now = |drifts: &[Drift], consciousness: &[(u32, Consciousness)]| Vitals {
            respiration_rate: drifts[0].at(minute),
            spo2: drifts[1].at(minute),
            systolic_bp: drifts[2].at(minute),
            pulse: drifts[3].at(minute),
            temperature: drifts[4].at(minute),
            consciousness: consciousness
                .iter()
                .rev()
                .find(|(m, _)| *m <= minute)
                .map(|(_, c)| *c)
                .unwrap_or(Consciousness::Alert),
        };
        // Oxygen in force: the last oxygen action by now.
        for a in done_by(actions, minute) {
            if let Action::Oxygen { target } = a {
                oxygen = Some(*target);
            }
        }
        let news2_now = s.patient.as_ref().map(|p| {
            let v = vitals_now(&drifts, &consciousness);
            let shown = Vitals {
                spo2: with_oxygen(v.spo2, oxygen, p.oxygen_gain),
                ..v
            };
            news2::score(&observe(&shown, p.spo2_scale, oxygen.is_some())).total
        });
        for (i, phase) in s.phases.iter().enumerate() {
            if phases[i] != TriggerState::Waiting {
                continue;
            }
            phases[i] = test(&phase.starts, actions, minute, news2_now);
            if phases[i] == TriggerState::Fired(minute) && !drifts.is_empty() {
                out.fired.insert(phase.id.clone(), minute);
                let targets = [
                    phase.to.respiration_rate,
                    phase.to.spo2,
                    phase.to.systolic_bp,
                    phase.to.pulse,
                    phase.to.temperature,
                ];
                for (d, to) in drifts.iter_mut().zip(targets) {
                    if let Some(to) = to {
                        *d = Drift {
                            from: d.at(minute),
                            start: minute,
                            to,
                            over: phase.over_minutes,
                        };
                    }
                }
                if let Some(c) = phase.to.consciousness {
                    // A later phase replaces a change still to come.
                    consciousness.retain(|(m, _)| *m <= minute);
                    consciousness.push((minute + phase.over_minutes / 2, c));
                }
            }
        }
        for (i, e) in s.ai.iter().enumerate() {
            if ai[i] == TriggerState::Waiting {
                ai[i] = test(&e.shows, actions, minute, news2_now);
                if let TriggerState::Fired(m) = ai[i] {
                    out.fired.insert(e.id.clone(), m);
                }
            }
        }
        for (i, q) in s.questions.iter().enumerate() {
            if questions[i] == TriggerState::Waiting {
                questions[i] = test(&q.asked, actions, minute, news2_now);
                if let TriggerState::Fired(m) = questions[i] {
                    out.fired.insert(q.id.clone(), m);
                }
            }
        }
        for (i, e) in s.expected.iter().enumerate() {
            if windows[i] == TriggerState::Waiting {
                windows[i] = test(&e.from, actions, minute, news2_now);
                if let TriggerState::Fired(m) = windows[i] {
                    out.windows[i] = Some(m);
                }
            }
        }
        if let Some(n) = news2_now {
            out.vitals.push(vitals_now(&drifts, &consciousness));
            out.news2.push(n);
        }
        out.oxygen.push(oxygen);
    }
    out
}
