//! Scores a run and explains the score: the debrief's content.
//!
//! - Clinical: each expected action on time, late or missed against its window; harmful actions; NEWS2 charted
//!   correctly (against what the monitor showed when it was charted); the time from the patient reaching an urgent
//!   or emergency NEWS2 to the learner escalating.
//! - AI reliance, per suggestion: accepting a correct one or overriding an incorrect one is appropriate;
//!   **automation bias** is accepting an incorrect one, **algorithm aversion** is overriding a correct one; and
//!   whether the learner checked the evidence before deciding (appropriate but unchecked earns three quarters).
//! - Questions: the option chosen and its feedback.
//!
//! A run passes with at least the scenario's pass mark, no critical harm and no critical action missed or late.
//! What comes at a fixed minute counts even when the learner ended the run before it: ending early cannot skip
//! the hard part.

use crate::engine::{Action, Run, Trace, clock};
use crate::news2::Risk;
use crate::scenario::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Score {
    pub earned: u32,
    pub possible: u32,
    pub percent: u8,
    pub passed: bool,
    /// Why a run with enough points still failed, or why it fell short.
    pub failed_because: Vec<String>,
    pub ended_at: u32,
    pub expected: Vec<ExpectedResult>,
    pub harms: Vec<HarmResult>,
    pub news2: News2Result,
    pub escalation: Option<EscalationResult>,
    pub ai: Vec<AiResult>,
    pub questions: Vec<QuestionResult>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    OnTime,
    Late,
    Missed,
    /// Its window never opened and it was not done: not counted.
    NotDue,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExpectedResult {
    pub action: ActionKind,
    pub any_of: Vec<String>,
    pub why: String,
    pub critical: bool,
    /// The minutes its window opened and closed.
    pub window: Option<(u32, u32)>,
    /// The second it was done (the first time).
    pub done_at: Option<u32>,
    pub outcome: Outcome,
    pub earned: u32,
    pub possible: u32,
    /// A remark on how it was done (an SBAR with a part missing).
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HarmResult {
    pub at: u32,
    pub action: ActionKind,
    pub why: String,
    pub points: u32,
    pub critical: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct News2Record {
    pub at: u32,
    pub recorded: u8,
    /// The NEWS2 of the observations showing then.
    pub actual: u8,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct News2Result {
    pub records: Vec<News2Record>,
    pub correct: usize,
    pub earned: u32,
    pub possible: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EscalationResult {
    /// The band the patient reached first: medium (urgent) or high (emergency).
    pub band: Risk,
    pub reached_minute: u32,
    /// The first escalation to a doctor, outreach or the rapid response team at or after it (or before, which
    /// counts as at once).
    pub escalated_at: Option<u32>,
    pub minutes_taken: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reliance {
    /// Accepted a correct suggestion.
    AppropriateAcceptance,
    /// Overrode an incorrect suggestion.
    AppropriateOverride,
    /// Accepted an incorrect suggestion.
    AutomationBias,
    /// Overrode a correct suggestion.
    AlgorithmAversion,
    /// Shown, never decided.
    Undecided,
    /// Never shown in this run.
    NotShown,
}

impl Reliance {
    pub fn label(self) -> &'static str {
        match self {
            Reliance::AppropriateAcceptance => {
                "Appropriate reliance: accepted a correct suggestion"
            }
            Reliance::AppropriateOverride => {
                "Appropriate override: overrode an incorrect suggestion"
            }
            Reliance::AutomationBias => "Automation bias: accepted an incorrect suggestion",
            Reliance::AlgorithmAversion => "Algorithm aversion: overrode a correct suggestion",
            Reliance::Undecided => "Not decided",
            Reliance::NotShown => "Not shown",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AiResult {
    pub id: String,
    pub tool: String,
    pub suggestion_correct: bool,
    pub shown_minute: Option<u32>,
    pub decided_at: Option<u32>,
    pub checked_evidence_first: bool,
    pub reliance: Reliance,
    pub why: String,
    pub earned: u32,
    pub possible: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuestionResult {
    pub id: String,
    pub prompt: String,
    pub asked_minute: Option<u32>,
    pub answer: Option<usize>,
    pub correct: bool,
    pub feedback: Option<String>,
    pub earned: u32,
    pub possible: u32,
}

/// Scores a run at its end (when the learner ended it, or the time limit); a team scenario's run as a whole.
pub fn score(run: &Run) -> Score {
    score_as(run, None)
}

/// Scores a team scenario's run for one of its roles (`Some(role)`): the expected actions that are that role's or
/// everyone's, the harm and the NEWS2 charting that role did; AI decisions, questions and the time to escalation are
/// the team's. An expected action given to a role counts only when that role did it. `None`: the whole team.
pub fn score_as(run: &Run, role: Option<&str>) -> Score {
    let s = run.scenario;
    let end = run.end_time();
    let trace = run.trace(end / 60);
    let actions: Vec<_> = run.actions.iter().filter(|t| t.at <= end).collect();
    let mine: Vec<_> = actions
        .iter()
        .copied()
        .filter(|t| role.is_none() || t.by.as_deref() == role)
        .collect();

    let expected: Vec<ExpectedResult> = s
        .expected
        .iter()
        .enumerate()
        .filter(|(_, e)| role.is_none() || e.role.is_none() || e.role.as_deref() == role)
        .map(|(i, e)| {
            // A window at a fixed minute that the learner ended before still counts: they left before it came.
            let window = trace.windows[i]
                .or_else(|| fixed_minute(&e.from))
                .map(|open| (open, open + e.within_minutes));
            let done = actions
                .iter()
                .filter(|t| e.role.is_none() || t.by == e.role)
                .find(|t| t.action.matches(e.action, &e.any_of));
            let outcome = match (done, window) {
                (Some(t), Some((_, close))) if t.at > close * 60 => Outcome::Late,
                (Some(_), _) => Outcome::OnTime,
                (None, Some(_)) => Outcome::Missed,
                (None, None) => Outcome::NotDue,
            };
            let incomplete_sbar = done.is_some_and(
                |t| matches!(&t.action, Action::Escalate { sbar, .. } if !sbar.is_complete()),
            );
            let full = match outcome {
                Outcome::OnTime => e.points,
                Outcome::Late => e.points / 2,
                Outcome::Missed | Outcome::NotDue => 0,
            };
            ExpectedResult {
                action: e.action,
                any_of: e.any_of.clone(),
                why: e.why.clone(),
                critical: e.critical,
                window,
                done_at: done.map(|t| t.at),
                outcome,
                earned: if incomplete_sbar { full / 2 } else { full },
                possible: if outcome == Outcome::NotDue { 0 } else { e.points },
                note: incomplete_sbar.then(|| {
                    "The handover missed part of SBAR (situation, background, assessment, recommendation)."
                        .to_owned()
                }),
            }
        })
        .collect();

    let harms: Vec<HarmResult> = s
        .harmful
        .iter()
        .filter_map(|h| {
            mine.iter()
                .find(|t| t.action.matches(h.action, &h.any_of))
                .map(|t| HarmResult {
                    at: t.at,
                    action: h.action,
                    why: h.why.clone(),
                    points: h.points,
                    critical: h.critical,
                })
        })
        .collect();

    let records: Vec<News2Record> = mine
        .iter()
        .filter_map(|t| match t.action {
            Action::RecordObservations { news2 } => {
                run.shown(&trace, t.at / 60).map(|shown| News2Record {
                    at: t.at,
                    recorded: news2,
                    actual: shown.news2,
                })
            }
            _ => None,
        })
        .collect();
    let correct = records.iter().filter(|r| r.recorded == r.actual).count();
    let news2 = News2Result {
        earned: if records.is_empty() {
            0
        } else {
            s.news2_points * correct as u32 / records.len() as u32
        },
        possible: s.news2_points,
        correct,
        records,
    };

    let ai =
        s.ai.iter()
            .map(|e| ai_result(e, &trace, &actions))
            .collect::<Vec<_>>();
    let questions = s
        .questions
        .iter()
        .map(|q| {
            let asked = trace
                .fired
                .get(&q.id)
                .copied()
                .or_else(|| fixed_minute(&q.asked));
            let answer = actions.iter().find_map(|t| match &t.action {
                Action::Answer { question, option } if question == &q.id => Some(*option),
                _ => None,
            });
            let correct = answer.is_some_and(|a| q.options[a].correct);
            QuestionResult {
                id: q.id.clone(),
                prompt: q.prompt.clone(),
                asked_minute: asked,
                answer,
                correct,
                feedback: answer.map(|a| q.options[a].feedback.clone()),
                earned: if correct { q.points } else { 0 },
                possible: if asked.is_some() { q.points } else { 0 },
            }
        })
        .collect::<Vec<_>>();

    let harm_points: u32 = harms.iter().map(|h| h.points).sum();
    let earned_gross: u32 = expected.iter().map(|e| e.earned).sum::<u32>()
        + news2.earned
        + ai.iter().map(|a| a.earned).sum::<u32>()
        + questions.iter().map(|q| q.earned).sum::<u32>();
    let possible: u32 = expected.iter().map(|e| e.possible).sum::<u32>()
        + news2.possible
        + ai.iter().map(|a| a.possible).sum::<u32>()
        + questions.iter().map(|q| q.possible).sum::<u32>();
    let earned = earned_gross.saturating_sub(harm_points);
    let percent = if possible == 0 {
        0
    } else {
        (f64::from(earned) * 100.0 / f64::from(possible)).floor() as u8
    };
    let mut failed_because = Vec::new();
    if percent < s.pass_mark {
        failed_because.push(format!(
            "{percent}% is under the pass mark of {}%",
            s.pass_mark
        ));
    }
    for h in harms.iter().filter(|h| h.critical) {
        failed_because.push(format!("At {}: {}", clock(h.at), h.why));
    }
    for e in expected
        .iter()
        .filter(|e| e.critical && matches!(e.outcome, Outcome::Missed | Outcome::Late))
    {
        let how = if e.outcome == Outcome::Late {
            "late"
        } else {
            "missed"
        };
        failed_because.push(format!("{} ({how}): {}", e.action.label(), e.why));
    }
    Score {
        earned,
        possible,
        percent,
        passed: failed_because.is_empty(),
        failed_because,
        ended_at: end,
        expected,
        harms,
        news2,
        escalation: escalation(&trace, &actions),
        ai,
        questions,
    }
}

/// The minute a trigger happens whatever the learner does (a minute with no `unless`): what a run ended before it
/// still owes.
fn fixed_minute(t: &Trigger) -> Option<u32> {
    match t.when {
        When::Minute(m) if t.unless.is_empty() => Some(m),
        _ => None,
    }
}

fn ai_result(e: &AiEvent, trace: &Trace, actions: &[&crate::engine::Timed]) -> AiResult {
    let shown = trace
        .fired
        .get(&e.id)
        .copied()
        .or_else(|| fixed_minute(&e.shows));
    let decision = actions.iter().find_map(|t| match &t.action {
        Action::Accept { event } if event == &e.id => Some((t.at, true)),
        Action::Override { event, .. } if event == &e.id => Some((t.at, false)),
        _ => None,
    });
    let checked = actions.iter().any(|t| {
        matches!(&t.action, Action::CheckEvidence { event } if event == &e.id)
            && decision.is_none_or(|(at, _)| t.at <= at)
    });
    let reliance = match (shown, decision) {
        (None, _) => Reliance::NotShown,
        (Some(_), None) => Reliance::Undecided,
        (Some(_), Some((_, accepted))) => match (accepted, e.correct) {
            (true, true) => Reliance::AppropriateAcceptance,
            (false, false) => Reliance::AppropriateOverride,
            (true, false) => Reliance::AutomationBias,
            (false, true) => Reliance::AlgorithmAversion,
        },
    };
    let appropriate = matches!(
        reliance,
        Reliance::AppropriateAcceptance | Reliance::AppropriateOverride
    );
    AiResult {
        id: e.id.clone(),
        tool: e.tool.clone(),
        suggestion_correct: e.correct,
        shown_minute: shown,
        decided_at: decision.map(|(at, _)| at),
        checked_evidence_first: checked,
        reliance,
        why: e.why.clone(),
        earned: match (appropriate, checked) {
            (true, true) => e.points,
            (true, false) => e.points * 3 / 4,
            (false, _) => 0,
        },
        possible: if shown.is_some() { e.points } else { 0 },
    }
}

/// Time from the patient's first urgent (5 or more) NEWS2 to escalation; emergency when it first reached 7 or more.
fn escalation(trace: &Trace, actions: &[&crate::engine::Timed]) -> Option<EscalationResult> {
    let (reached, total) = trace
        .news2
        .iter()
        .enumerate()
        .find(|(_, n)| **n >= 5)
        .map(|(m, n)| (m as u32, *n))?;
    let escalated_at = actions
        .iter()
        .find(|t| match &t.action {
            Action::Escalate { to, .. } => *to != Role::NurseInCharge,
            Action::CallRapidResponse => true,
            _ => false,
        })
        .map(|t| t.at);
    Some(EscalationResult {
        band: if total >= 7 { Risk::High } else { Risk::Medium },
        reached_minute: reached,
        escalated_at,
        minutes_taken: escalated_at.map(|at| (at / 60).saturating_sub(reached)),
    })
}
