//! What a SCO's run-time data means: the CMI elements the player commits, checked and turned into an outcome.
//!
//! The browser runs the SCORM API (the npm package scorm-again) and commits the CMI data model as flattened
//! name/value pairs (`cmi.core.lesson_status` = `completed`). The server keeps every commit for the attempt and asks
//! this module what it means. Sources: SCORM 1.2 Run-Time Environment (ADL, 2001) 3.4 (the `cmi.core` elements;
//! 3.4.2.5: with a mastery score and a raw score the LMS decides passed or failed); SCORM 2004 4th Edition RTE
//! (ADL, 2009) 4.2 (`cmi.completion_status`, `cmi.success_status`, `cmi.score.scaled`, `cmi.progress_measure`;
//! 4.2.4.1 and 4.2.22.1: with a completion threshold, or a scaled passing score, the LMS evaluates them).

use super::ScormVersion;
use super::manifest::Item;
use std::collections::BTreeMap;

/// Most bytes one commit may carry in all (SCORM 2004's largest element, suspend_data, is 64,000 characters; the
/// rest are small).
pub const MAX_COMMIT_BYTES: usize = 256 * 1024;
/// Most elements one commit may carry (interactions and objectives are arrays; real courses stay in the hundreds).
pub const MAX_COMMIT_ELEMENTS: usize = 4_000;

/// Why a commit was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommitError {
    #[error("{element}: not a SCORM data model element")]
    NotCmi { element: String },
    #[error("{element}: {len} characters, more than the {max} SCORM allows")]
    TooLong {
        element: String,
        len: usize,
        max: usize,
    },
    #[error("the commit is too large ({0})")]
    TooLarge(String),
}

/// Checks a commit before it is stored: only `cmi.*` (and 2004's `adl.*`) elements, each within the length its
/// version allows, and the whole within caps.
pub fn check_commit(
    version: ScormVersion,
    values: &BTreeMap<String, String>,
) -> Result<(), CommitError> {
    if values.len() > MAX_COMMIT_ELEMENTS {
        return Err(CommitError::TooLarge(format!(
            "{} elements; the most is {MAX_COMMIT_ELEMENTS}",
            values.len()
        )));
    }
    let total: usize = values.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > MAX_COMMIT_BYTES {
        return Err(CommitError::TooLarge(format!(
            "{total} bytes; the most is {MAX_COMMIT_BYTES}"
        )));
    }
    for (k, v) in values {
        let known_root = k.starts_with("cmi.")
            || (matches!(version, ScormVersion::Scorm2004 { .. }) && k.starts_with("adl."));
        if !known_root
            || k.len() > 255
            || !k
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
        {
            return Err(CommitError::NotCmi { element: k.clone() });
        }
        let max = max_len(version, k);
        let len = v.chars().count();
        if len > max {
            return Err(CommitError::TooLong {
                element: k.clone(),
                len,
                max,
            });
        }
    }
    Ok(())
}

/// The longest value an element may hold (SCORM 1.2 RTE 3.4: CMIString4096 for suspend_data, CMIString255 for
/// most; SCORM 2004 RTE 4.2: 64,000 characters for suspend_data, 4,000 for learner responses and comments).
fn max_len(version: ScormVersion, element: &str) -> usize {
    match version {
        ScormVersion::Scorm12 => match element {
            "cmi.suspend_data" => 4096,
            "cmi.launch_data" => 4096,
            "cmi.comments" => 4096,
            _ => 255,
        },
        ScormVersion::Scorm2004 { .. } => {
            if element == "cmi.suspend_data" {
                64_000
            } else if element == "cmi.location" {
                1_000
            } else {
                4_000
            }
        }
    }
}

/// What a SCO's data says.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct ScoOutcome {
    pub completed: bool,
    /// Some(true) passed, Some(false) failed, None unknown (the SCO does not judge success).
    pub passed: Option<bool>,
    /// The score as a share (0 to 1), where the SCO reported one.
    pub scaled_score: Option<f64>,
}

impl ScoOutcome {
    /// Done for the course's purposes: completed, and not failed.
    pub fn satisfied(self) -> bool {
        (self.completed || self.passed == Some(true)) && self.passed != Some(false)
    }
}

/// The outcome of a SCO's latest data, with the item's mastery score or completion threshold applied as the
/// specification asks the LMS to.
pub fn outcome(version: ScormVersion, item: &Item, cmi: &BTreeMap<String, String>) -> ScoOutcome {
    let get = |k: &str| cmi.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let num = |k: &str| {
        get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite())
    };
    match version {
        ScormVersion::Scorm12 => {
            let status = get("cmi.core.lesson_status").unwrap_or("not attempted");
            let raw = num("cmi.core.score.raw");
            let (min, max) = (
                num("cmi.core.score.min").unwrap_or(0.0),
                num("cmi.core.score.max").unwrap_or(100.0),
            );
            let scaled = raw.map(|r| {
                if max > min {
                    ((r - min) / (max - min)).clamp(0.0, 1.0)
                } else {
                    (r / 100.0).clamp(0.0, 1.0)
                }
            });
            let mut passed = match status {
                "passed" => Some(true),
                "failed" => Some(false),
                _ => None,
            };
            // RTE 3.4.2.5: with a mastery score and a raw score, the LMS sets passed or failed from them.
            if let (Some(mastery), Some(r)) = (item.mastery_score, raw)
                && matches!(status, "completed" | "passed" | "failed" | "incomplete")
            {
                passed = Some(r >= mastery);
            }
            ScoOutcome {
                completed: matches!(status, "completed" | "passed") || passed.is_some(),
                passed,
                scaled_score: scaled,
            }
        }
        ScormVersion::Scorm2004 { .. } => {
            let mut completed = get("cmi.completion_status") == Some("completed");
            // RTE 4.2.4.1: with a completion threshold and a progress measure, the LMS decides completion.
            if let (Some(threshold), Some(progress)) =
                (item.completion_threshold, num("cmi.progress_measure"))
            {
                completed = progress >= threshold;
            }
            let scaled = num("cmi.score.scaled").map(|s| s.clamp(-1.0, 1.0));
            let mut passed = match get("cmi.success_status") {
                Some("passed") => Some(true),
                Some("failed") => Some(false),
                _ => None,
            };
            // RTE 4.2.22.1: with a scaled passing score and a scaled score, the LMS decides success.
            if let (Some(passing), Some(s)) = (num("cmi.scaled_passing_score"), scaled) {
                passed = Some(s >= passing);
            }
            ScoOutcome {
                completed,
                passed,
                scaled_score: scaled.map(|s| s.max(0.0)),
            }
        }
    }
}

/// The learner, as the runtime names them (`cmi.core.student_id`/`student_name` in 1.2, `cmi.learner_id`/
/// `learner_name` in 2004).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Learner {
    pub id: String,
    /// "Family, Given", the form both versions ask for.
    pub name: String,
}

/// The data a SCO starts a session with: who the learner is, what the manifest gives it (mastery score, launch data,
/// completion threshold), and, after an earlier session, what it stored (status, score, location, suspend data,
/// objectives), so the learner resumes where they left off. `entry` is `ab-initio` the first time, `resume` when the
/// last session ended with exit `suspend`, and empty otherwise (SCORM 1.2 RTE 3.4.2.1.4 `cmi.core.entry`; SCORM
/// 2004 RTE 4.2.8 `cmi.entry`). Write-only elements (exit, session time) and the LMS's own (total time) are not
/// carried over.
pub fn initial(
    version: ScormVersion,
    item: &Item,
    learner: &Learner,
    last: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let kept = |k: &str| match version {
        ScormVersion::Scorm12 => matches!(
            k,
            "cmi.core.lesson_status"
                | "cmi.core.lesson_location"
                | "cmi.core.score.raw"
                | "cmi.core.score.min"
                | "cmi.core.score.max"
                | "cmi.suspend_data"
        ),
        ScormVersion::Scorm2004 { .. } => {
            matches!(
                k,
                "cmi.completion_status"
                    | "cmi.success_status"
                    | "cmi.location"
                    | "cmi.suspend_data"
                    | "cmi.progress_measure"
                    | "cmi.score.scaled"
                    | "cmi.score.raw"
                    | "cmi.score.min"
                    | "cmi.score.max"
            ) || (k.starts_with("cmi.objectives.") && !k.ends_with("._count"))
        }
    };
    if let Some(last) = last {
        for (k, v) in last {
            if kept(k) && !v.is_empty() {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    let exit = last.and_then(|l| match version {
        ScormVersion::Scorm12 => l.get("cmi.core.exit"),
        ScormVersion::Scorm2004 { .. } => l.get("cmi.exit"),
    });
    let entry = match (last, exit.map(|e| e.trim())) {
        (None, _) => "ab-initio",
        (Some(_), Some("suspend")) => "resume",
        _ => "",
    };
    match version {
        ScormVersion::Scorm12 => {
            out.insert("cmi.core.student_id".into(), learner.id.clone());
            out.insert("cmi.core.student_name".into(), learner.name.clone());
            out.insert("cmi.core.entry".into(), entry.into());
            // Every launch is for credit, in normal mode (RTE 3.4.2.1.3, 3.4.2.1.9): the LMS must say so.
            out.insert("cmi.core.credit".into(), "credit".into());
            out.insert("cmi.core.lesson_mode".into(), "normal".into());
            if let Some(m) = item.mastery_score {
                out.insert("cmi.student_data.mastery_score".into(), m.to_string());
            }
            if let Some(d) = &item.launch_data {
                out.insert("cmi.launch_data".into(), d.clone());
            }
        }
        ScormVersion::Scorm2004 { .. } => {
            out.insert("cmi.learner_id".into(), learner.id.clone());
            out.insert("cmi.learner_name".into(), learner.name.clone());
            out.insert("cmi.entry".into(), entry.into());
            out.insert("cmi.credit".into(), "credit".into());
            out.insert("cmi.mode".into(), "normal".into());
            // RTE 4.2.17: the objectives the manifest declares for this SCO are there, by id, before it starts;
            // those an earlier session stored keep their place and data, the others follow.
            let mut count = (0..)
                .take_while(|n| out.contains_key(&format!("cmi.objectives.{n}.id")))
                .count();
            for id in &item.objectives {
                let known =
                    (0..count).any(|n| out.get(&format!("cmi.objectives.{n}.id")) == Some(id));
                if !known {
                    out.insert(format!("cmi.objectives.{count}.id"), id.clone());
                    count += 1;
                }
            }
            if let Some(t) = item.completion_threshold {
                out.insert("cmi.completion_threshold".into(), t.to_string());
            }
            if let Some(d) = &item.launch_data {
                out.insert("cmi.launch_data".into(), d.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scorm::manifest::{ControlMode, Item};

    fn item(mastery: Option<f64>, threshold: Option<f64>) -> Item {
        Item {
            identifier: "i".into(),
            title: "t".into(),
            resource: Some("r".into()),
            parameters: None,
            visible: true,
            mastery_score: mastery,
            completion_threshold: threshold,
            launch_data: None,
            control: ControlMode::default(),
            objectives: vec![],
            children: vec![],
        }
    }

    fn cmi(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    const V12: ScormVersion = ScormVersion::Scorm12;
    const V2004: ScormVersion = ScormVersion::Scorm2004 { edition: 4 };

    #[test]
    fn scorm_12_status_and_mastery_score() {
        let o = outcome(
            V12,
            &item(None, None),
            &cmi(&[("cmi.core.lesson_status", "completed")]),
        );
        assert_eq!((o.completed, o.passed), (true, None));
        assert!(o.satisfied());
        let o = outcome(
            V12,
            &item(None, None),
            &cmi(&[("cmi.core.lesson_status", "incomplete")]),
        );
        assert!(!o.completed && !o.satisfied());
        // The mastery score overrides the SCO's own judgement (RTE 3.4.2.5).
        let at = |raw: &str, status: &str| {
            outcome(
                V12,
                &item(Some(80.0), None),
                &cmi(&[
                    ("cmi.core.lesson_status", status),
                    ("cmi.core.score.raw", raw),
                ]),
            )
        };
        assert_eq!(at("85", "completed").passed, Some(true));
        assert_eq!(at("79", "passed").passed, Some(false));
        assert!(!at("79", "passed").satisfied());
        assert_eq!(at("80", "incomplete").passed, Some(true));
        assert_eq!(at("85", "completed").scaled_score, Some(0.85));
        let failed = outcome(
            V12,
            &item(None, None),
            &cmi(&[("cmi.core.lesson_status", "failed")]),
        );
        assert!(
            failed.completed && !failed.satisfied(),
            "failed is finished but not satisfied"
        );
    }

    #[test]
    fn scorm_2004_completion_success_threshold_and_passing_score() {
        let o = outcome(
            V2004,
            &item(None, None),
            &cmi(&[
                ("cmi.completion_status", "completed"),
                ("cmi.success_status", "unknown"),
            ]),
        );
        assert_eq!((o.completed, o.passed, o.satisfied()), (true, None, true));
        let o = outcome(
            V2004,
            &item(None, None),
            &cmi(&[
                ("cmi.completion_status", "completed"),
                ("cmi.success_status", "failed"),
            ]),
        );
        assert!(!o.satisfied());
        // The completion threshold decides from the progress measure (RTE 4.2.4.1).
        let o = outcome(
            V2004,
            &item(None, Some(0.75)),
            &cmi(&[
                ("cmi.completion_status", "completed"),
                ("cmi.progress_measure", "0.5"),
            ]),
        );
        assert!(!o.completed);
        let o = outcome(
            V2004,
            &item(None, Some(0.75)),
            &cmi(&[
                ("cmi.completion_status", "incomplete"),
                ("cmi.progress_measure", "0.8"),
            ]),
        );
        assert!(o.completed);
        // The scaled passing score decides success (RTE 4.2.22.1).
        let o = outcome(
            V2004,
            &item(None, None),
            &cmi(&[
                ("cmi.completion_status", "completed"),
                ("cmi.success_status", "passed"),
                ("cmi.score.scaled", "0.7"),
                ("cmi.scaled_passing_score", "0.8"),
            ]),
        );
        assert_eq!((o.passed, o.scaled_score), (Some(false), Some(0.7)));
        let none = outcome(V2004, &item(None, None), &BTreeMap::new());
        assert_eq!(none, ScoOutcome::default());
    }

    #[test]
    fn commits_are_checked_by_element_and_length() {
        assert!(
            check_commit(
                V12,
                &cmi(&[
                    ("cmi.core.lesson_status", "completed"),
                    ("cmi.suspend_data", &"x".repeat(4096))
                ])
            )
            .is_ok()
        );
        assert_eq!(
            check_commit(V12, &cmi(&[("cmi.suspend_data", &"x".repeat(4097))]))
                .unwrap_err()
                .to_string(),
            "cmi.suspend_data: 4097 characters, more than the 4096 SCORM allows"
        );
        assert!(check_commit(V2004, &cmi(&[("cmi.suspend_data", &"x".repeat(64_000))])).is_ok());
        assert!(check_commit(V2004, &cmi(&[("adl.nav.request", "continue")])).is_ok());
        assert!(matches!(
            check_commit(V12, &cmi(&[("adl.nav.request", "continue")])),
            Err(CommitError::NotCmi { .. })
        ));
        assert!(matches!(
            check_commit(V12, &cmi(&[("document.cookie", "x")])),
            Err(CommitError::NotCmi { .. })
        ));
        assert!(matches!(
            check_commit(V12, &cmi(&[("cmi.core.lesson_status<script>", "x")])),
            Err(CommitError::NotCmi { .. })
        ));
        let many: BTreeMap<String, String> = (0..MAX_COMMIT_ELEMENTS + 1)
            .map(|i| (format!("cmi.interactions.{i}.id"), "q".into()))
            .collect();
        assert!(matches!(
            check_commit(V2004, &many),
            Err(CommitError::TooLarge(_))
        ));
    }

    #[test]
    fn a_session_resumes_with_what_the_last_one_stored() {
        let learner = Learner {
            id: "E1".into(),
            name: "Learner, Ada".into(),
        };
        let first = initial(V12, &item(Some(80.0), None), &learner, None);
        assert_eq!(first["cmi.core.entry"], "ab-initio");
        assert_eq!(first["cmi.student_data.mastery_score"], "80");
        assert_eq!(first["cmi.core.student_name"], "Learner, Ada");
        let last = cmi(&[
            ("cmi.core.lesson_status", "incomplete"),
            ("cmi.core.exit", "suspend"),
            ("cmi.core.session_time", "00:01:00"),
            ("cmi.suspend_data", "page=2"),
            ("cmi.core.lesson_location", "p2"),
        ]);
        let again = initial(V12, &item(None, None), &learner, Some(&last));
        assert_eq!(again["cmi.core.entry"], "resume");
        assert_eq!(again["cmi.suspend_data"], "page=2");
        assert_eq!(again["cmi.core.lesson_location"], "p2");
        assert!(
            !again.contains_key("cmi.core.exit") && !again.contains_key("cmi.core.session_time")
        );
        let last = cmi(&[
            ("cmi.exit", "normal"),
            ("cmi.location", "3"),
            ("cmi.objectives.0.id", "o1"),
        ]);
        let v = initial(V2004, &item(None, Some(0.5)), &learner, Some(&last));
        assert_eq!(v["cmi.entry"], "");
        assert_eq!(v["cmi.location"], "3");
        assert_eq!(v["cmi.objectives.0.id"], "o1");
        assert_eq!(v["cmi.completion_threshold"], "0.5");
        assert_eq!(
            (v["cmi.credit"].as_str(), v["cmi.mode"].as_str()),
            ("credit", "normal")
        );
        assert_eq!(
            (
                first["cmi.core.credit"].as_str(),
                first["cmi.core.lesson_mode"].as_str()
            ),
            ("credit", "normal")
        );
    }

    #[test]
    fn a_2004_sco_starts_with_its_manifest_objectives_by_id() {
        let learner = Learner {
            id: "E1".into(),
            name: "Learner, Ada".into(),
        };
        let mut with = item(None, None);
        with.objectives = vec!["PRIMARYOBJ".into(), "obj_etiquette".into(), "o1".into()];
        let first = initial(V2004, &with, &learner, None);
        assert_eq!(first["cmi.objectives.0.id"], "PRIMARYOBJ");
        assert_eq!(first["cmi.objectives.1.id"], "obj_etiquette");
        assert_eq!(first["cmi.objectives.2.id"], "o1");
        // Resumed: what the last session stored keeps its place; the manifest's others follow, each once.
        let last = cmi(&[
            ("cmi.objectives.0.id", "o1"),
            ("cmi.objectives.0.success_status", "passed"),
        ]);
        let again = initial(V2004, &with, &learner, Some(&last));
        assert_eq!(again["cmi.objectives.0.id"], "o1");
        assert_eq!(again["cmi.objectives.0.success_status"], "passed");
        assert_eq!(again["cmi.objectives.1.id"], "PRIMARYOBJ");
        assert_eq!(again["cmi.objectives.2.id"], "obj_etiquette");
        assert!(!again.contains_key("cmi.objectives.3.id"));
        // SCORM 1.2 has no manifest objectives to give.
        assert!(!initial(V12, &with, &learner, None).contains_key("cmi.objectives.0.id"));
    }
}
