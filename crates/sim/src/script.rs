//! Action scripts: a run written as text, one action a line, for `lantern scenario run FILE --script ACTIONS` and
//! for educators testing their scenarios (docs/scenarios.md).
//!
//! ```text
//! # minute:second action key=value ...
//! 00:30 record_observations news2=2
//! 14:00 escalate to=registrar situation="NEWS2 6" background="Day 2 post-op" assessment="Sepsis?" recommendation="Review now"
//! 15:00 oxygen target=94-98
//! 16:00 accept event=sepsis-alert
//! 20:00 end
//! ```
//!
//! In a team scenario each action names the role taking it: `16:00 antibiotics as=doctor`.

use crate::engine::{Action, Sbar, Timed};
use crate::scenario::{OxygenTarget, Role};
use std::collections::HashMap;

/// A script: its actions, and when it ends the run (if it does).
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    pub actions: Vec<Timed>,
    pub ended_at: Option<u32>,
}

/// A line of a script that cannot be read, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ScriptError {
    pub line: usize,
    pub reason: String,
}

pub fn parse(text: &str) -> Result<Script, ScriptError> {
    let mut script = Script {
        actions: Vec::new(),
        ended_at: None,
    };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fail = |reason: String| ScriptError {
            line: i + 1,
            reason,
        };
        if script.ended_at.is_some() {
            return Err(fail("nothing may follow `end`".into()));
        }
        let words = split(line).map_err(&fail)?;
        let (time, verb) = match (words.first(), words.get(1)) {
            (Some(t), Some(v)) => (t, v),
            _ => return Err(fail("write MM:SS ACTION [key=value ...]".into())),
        };
        let at = time_of(time).ok_or_else(|| fail(format!("{time:?} is not a time like 12:30")))?;
        let mut args: HashMap<&str, &str> = HashMap::new();
        for w in &words[2..] {
            let (k, v) = w
                .split_once('=')
                .ok_or_else(|| fail(format!("{w:?} is not key=value")))?;
            args.insert(k, v);
        }
        if verb == "end" {
            script.ended_at = Some(at);
            continue;
        }
        // In a team scenario, `as=ROLE` names the role taking the action.
        let by = args.remove("as").map(str::to_owned);
        let action = action(verb, &mut args).map_err(&fail)?;
        if let Some(k) = args.keys().next() {
            return Err(fail(format!("{verb} takes no {k:?}")));
        }
        script.actions.push(Timed { at, action, by });
    }
    Ok(script)
}

fn time_of(t: &str) -> Option<u32> {
    let (m, s) = t.split_once(':')?;
    let (m, s): (u32, u32) = (m.parse().ok()?, s.parse().ok()?);
    (s < 60).then_some(m * 60 + s)
}

/// Words, with double quotes keeping spaces inside a value (`note="Seen by the registrar"`).
fn split(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if quoted {
        return Err("a quote is not closed".into());
    }
    if !word.is_empty() {
        out.push(word);
    }
    Ok(out)
}

/// An action from its name and fields, as a script line or the player's form gives them (`news2`, `to`, the SBAR
/// parts `situation`, `background`, `assessment`, `recommendation`, `target`, `note`, `event`, `reason`,
/// `question`, `option`). Fields it uses are taken out of `args`; the reason names the field at fault.
pub fn action(verb: &str, args: &mut HashMap<&str, &str>) -> Result<Action, String> {
    let mut take = |k: &str| args.remove(k).map(str::to_owned);
    let need = |v: Option<String>, k: &str| v.ok_or_else(|| format!("{verb} needs {k}=..."));
    Ok(match verb {
        "observe" => Action::Observe,
        "record_observations" => {
            let n = need(take("news2"), "news2")?;
            Action::RecordObservations {
                news2: n
                    .parse()
                    .map_err(|_| format!("news2 must be a whole number, not {n:?}"))?,
            }
        }
        "escalate" => {
            let to = need(take("to"), "to")?;
            let role = match to.as_str() {
                "nurse_in_charge" => Role::NurseInCharge,
                "ward_doctor" => Role::WardDoctor,
                "registrar" => Role::Registrar,
                "critical_care_outreach" => Role::CriticalCareOutreach,
                "consultant" => Role::Consultant,
                _ => {
                    return Err(format!(
                        "to must be one of {}, not {to:?}",
                        Role::CODES.join(", ")
                    ));
                }
            };
            Action::Escalate {
                to: role,
                sbar: Sbar {
                    situation: take("situation").unwrap_or_default(),
                    background: take("background").unwrap_or_default(),
                    assessment: take("assessment").unwrap_or_default(),
                    recommendation: take("recommendation").unwrap_or_default(),
                },
            }
        }
        "oxygen" => {
            let t = need(take("target"), "target")?;
            Action::Oxygen {
                target: match t.as_str() {
                    "94-98" => OxygenTarget::Standard,
                    "88-92" => OxygenTarget::Hypercapnic,
                    _ => return Err(format!("target must be 94-98 or 88-92, not {t:?}")),
                },
            }
        }
        "fluids" => Action::Fluids,
        "blood_cultures" => Action::BloodCultures,
        "lactate" => Action::Lactate,
        "antibiotics" => Action::Antibiotics,
        "call_rapid_response" => Action::CallRapidResponse,
        "document" => Action::Document {
            note: take("note").unwrap_or_default(),
        },
        "check_evidence" => Action::CheckEvidence {
            event: need(take("event"), "event")?,
        },
        "accept" => Action::Accept {
            event: need(take("event"), "event")?,
        },
        "override" => Action::Override {
            event: need(take("event"), "event")?,
            reason: take("reason").unwrap_or_default(),
        },
        "answer" => {
            let question = need(take("question"), "question")?;
            let o = need(take("option"), "option")?;
            Action::Answer {
                question,
                option: o
                    .parse()
                    .map_err(|_| format!("option must be a number from 0, not {o:?}"))?,
            }
        }
        "ask" => Action::Ask {
            question: need(take("question"), "question")?,
        },
        // What the patient says back comes from the organisation's model, never from the one talking.
        "talk" => {
            return Err("talk is said to the patient in the player, and answered there".into());
        }
        other => {
            return Err(format!(
                "{other:?} is not an action: observe, record_observations, escalate, oxygen, fluids, \
                 blood_cultures, lactate, antibiotics, call_rapid_response, document, check_evidence, accept, \
                 override, answer, ask or end"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_reads_into_timed_actions() {
        let s = parse(
            "# a comment\n\n00:30 record_observations news2=2\n\
             14:05 escalate to=registrar situation=\"NEWS2 6\" recommendation=\"Review now\"\n\
             15:00 oxygen target=88-92\n16:00 answer question=ppv option=1\n20:00 end\n",
        )
        .unwrap();
        assert_eq!(s.ended_at, Some(1200));
        assert_eq!(s.actions.len(), 4);
        assert_eq!(s.actions[1].at, 14 * 60 + 5);
        match &s.actions[1].action {
            Action::Escalate { to, sbar } => {
                assert_eq!(*to, Role::Registrar);
                assert_eq!(sbar.situation, "NEWS2 6");
                assert!(!sbar.is_complete());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bad_line_is_named_with_its_reason() {
        let e = |t: &str| parse(t).unwrap_err().to_string();
        assert_eq!(
            e("1:00 observe\nx observe"),
            "line 2: \"x\" is not a time like 12:30"
        );
        assert!(e("1:00 escalate to=matron").contains("to must be one of"));
        assert!(e("1:00 oxygen").contains("oxygen needs target="));
        assert!(e("1:00 fluids volume=500").contains("fluids takes no \"volume\""));
        assert!(e("1:00 dance").contains("is not an action"));
        assert!(e("1:00 end\n2:00 observe").contains("line 2: nothing may follow"));
        assert!(e("1:00 document note=\"open").contains("quote is not closed"));
    }
}
