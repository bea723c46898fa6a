//! Reachability: that everything a scenario describes can happen in some run.
//!
//! Parsing already refuses what can never be done (an action the scenario does not offer, a minute after its end).
//! This plays the scenario through many scripts (no action at all; and every combination of the actions its
//! triggers and expectations name, done at once or as late as possible) and reports each phase, AI suggestion and
//! question that never happens, each expected action whose window never opens, and each suggestion or question
//! that only ever appears as the scenario ends (a dead end: nothing can be done about it). The true course is used,
//! without noise, so a finding does not depend on a seed.

use crate::engine::{Action, Sbar, Timed, trace};
use crate::scenario::*;
use std::collections::{BTreeSet, HashMap};

/// Something in the scenario that no run reaches, or reaches only too late.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Where, as in a parse error (`phase[1]`, `expected[0]`), with its id where it has one.
    pub field: String,
    pub reason: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// The most action combinations tried (all subsets of up to 10 actions).
const MOST_SUBSETS: usize = 1 << 10;

/// Plays the scenario through its scripts and reports what is never reached.
pub fn reachability(s: &Scenario) -> Vec<Finding> {
    let significant = significant_actions(s);
    let subsets: Vec<Vec<&ActionMatch>> = if (1usize << significant.len()) <= MOST_SUBSETS {
        (0..1usize << significant.len())
            .map(|mask| {
                significant
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, m)| m)
                    .collect()
            })
            .collect()
    } else {
        // Too many to try every combination: none, each alone, all but each, and all.
        let mut out = vec![Vec::new(), significant.iter().collect()];
        for i in 0..significant.len() {
            out.push(vec![&significant[i]]);
            out.push(
                significant
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, m)| m)
                    .collect(),
            );
        }
        out
    };
    let last = s.minutes;
    // For each id, the minutes it happened at across all runs; for each expected action, whether its window opened.
    let mut happened: HashMap<String, BTreeSet<u32>> = HashMap::new();
    let mut opened = vec![false; s.expected.len()];
    for subset in &subsets {
        for at_minute in [0, last / 4, last / 2, last.saturating_sub(1)] {
            let script: Vec<Timed> = subset
                .iter()
                .map(|m| Timed::solo(at_minute * 60, example(m)))
                .collect();
            let t = trace(s, &script, last);
            for (id, minute) in t.fired {
                happened.entry(id).or_default().insert(minute);
            }
            for (i, w) in t.windows.iter().enumerate() {
                opened[i] |= w.is_some();
            }
        }
    }
    let mut findings = Vec::new();
    let mut never = |field: String, id: &str, what: &str| match happened.get(id) {
        None => findings.push(Finding {
            field,
            reason: format!("{what} {id:?} never happens in any run: check its trigger"),
        }),
        Some(minutes) if what != "phase" && minutes.iter().all(|m| *m >= last) => {
            findings.push(Finding {
                field,
                reason: format!(
                    "{what} {id:?} only ever appears as the scenario ends, with no time to respond"
                ),
            })
        }
        Some(_) => {}
    };
    for (i, p) in s.phases.iter().enumerate() {
        never(format!("phase[{i}]"), &p.id, "phase");
    }
    for (i, e) in s.ai.iter().enumerate() {
        never(format!("ai[{i}]"), &e.id, "AI suggestion");
    }
    for (i, q) in s.questions.iter().enumerate() {
        never(format!("question[{i}]"), &q.id, "question");
    }
    for (i, e) in s.expected.iter().enumerate() {
        if !opened[i] {
            findings.push(Finding {
                field: format!("expected[{i}]"),
                reason: format!(
                    "the window for {} never opens in any run, so it can never be scored",
                    e.action.code()
                ),
            });
        }
    }
    findings
}

/// Every action (with its option) that a trigger names or an expectation asks for.
fn significant_actions(s: &Scenario) -> Vec<ActionMatch> {
    let mut out: Vec<ActionMatch> = Vec::new();
    let mut add = |m: ActionMatch| {
        if !out.contains(&m) {
            out.push(m);
        }
    };
    let triggers = s
        .phases
        .iter()
        .map(|p| &p.starts)
        .chain(s.expected.iter().map(|e| &e.from))
        .chain(s.ai.iter().map(|e| &e.shows))
        .chain(s.questions.iter().map(|q| &q.asked));
    for t in triggers {
        if let When::After(all) = &t.when {
            all.iter().cloned().for_each(&mut add);
        }
        t.unless.iter().cloned().for_each(&mut add);
    }
    for e in &s.expected {
        add(ActionMatch {
            action: e.action,
            option: e.any_of.first().cloned(),
        });
    }
    out
}

/// An action that matches `m`.
fn example(m: &ActionMatch) -> Action {
    let option = m.option.as_deref();
    match m.action {
        ActionKind::Observe => Action::Observe,
        ActionKind::RecordObservations => Action::RecordObservations { news2: 0 },
        ActionKind::Escalate => Action::Escalate {
            to: match option {
                Some("nurse_in_charge") => Role::NurseInCharge,
                Some("ward_doctor") => Role::WardDoctor,
                Some("critical_care_outreach") => Role::CriticalCareOutreach,
                Some("consultant") => Role::Consultant,
                _ => Role::Registrar,
            },
            sbar: Sbar::default(),
        },
        ActionKind::Oxygen => Action::Oxygen {
            target: if option == Some("88-92") {
                OxygenTarget::Hypercapnic
            } else {
                OxygenTarget::Standard
            },
        },
        ActionKind::Fluids => Action::Fluids,
        ActionKind::BloodCultures => Action::BloodCultures,
        ActionKind::Lactate => Action::Lactate,
        ActionKind::Antibiotics => Action::Antibiotics,
        ActionKind::CallRapidResponse => Action::CallRapidResponse,
        ActionKind::Document => Action::Document {
            note: String::new(),
        },
    }
}
