//! `lantern scenario`: check a simulation scenario file, play it headless from an action script, or print the
//! file format's JSON Schema. Nothing here touches the database.

use anyhow::Context;
use clap::Subcommand;
use lantern_sim::engine::{Run, clock};
use lantern_sim::scoring::{Outcome, Score};
use lantern_sim::{check, scenario, scoring, script};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Check scenario files: every error with its file, line, field and reason; then that every phase, AI
    /// suggestion, question and expected action can happen in some run. Exits 1 if any file has a problem.
    Check {
        /// Scenario files (.toml).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Play a scenario headless from an action script (one action a line: `MM:SS action key=value ...`; see
    /// docs/scenarios.md) and print the score and the debrief.
    Run {
        file: PathBuf,
        /// The action script; `-` reads it from standard input.
        #[arg(long)]
        script: PathBuf,
        /// The seed for the monitor's noise: the same seed and script give the same run.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print the score as JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// Print the JSON Schema of scenario files.
    Schema,
}

pub(super) fn run(command: ScenarioCommand) -> anyhow::Result<ExitCode> {
    match command {
        ScenarioCommand::Schema => {
            println!("{}", scenario::json_schema());
            Ok(ExitCode::SUCCESS)
        }
        ScenarioCommand::Check { files } => {
            let mut bad = 0;
            for file in &files {
                let problems = match read(file) {
                    Ok(s) => check::reachability(&s)
                        .into_iter()
                        .map(|f| format!("{}: {f}", file.display()))
                        .collect(),
                    Err(errors) => errors,
                };
                if problems.is_empty() {
                    println!("{}: ok", file.display());
                } else {
                    bad += 1;
                    for p in problems {
                        eprintln!("{p}");
                    }
                }
            }
            Ok(if bad == 0 {
                ExitCode::SUCCESS
            } else {
                eprintln!("{bad} of {} scenario files have problems", files.len());
                ExitCode::FAILURE
            })
        }
        ScenarioCommand::Run {
            file,
            script: script_path,
            seed,
            json,
        } => {
            let s = match read(&file) {
                Ok(s) => s,
                Err(errors) => {
                    for e in errors {
                        eprintln!("{e}");
                    }
                    return Ok(ExitCode::FAILURE);
                }
            };
            let text = if script_path == Path::new("-") {
                std::io::read_to_string(std::io::stdin()).context("reading the script")?
            } else {
                std::fs::read_to_string(&script_path)
                    .with_context(|| format!("reading {}", script_path.display()))?
            };
            let script = match script::parse(&text) {
                Ok(script) => script,
                Err(e) => {
                    eprintln!("{}:{e}", script_path.display());
                    return Ok(ExitCode::FAILURE);
                }
            };
            let run = match Run::replay(&s, seed, &script.actions, script.ended_at) {
                Ok(run) => run,
                Err((i, refused)) => {
                    let at = script.actions.get(i).map_or(String::new(), |t| clock(t.at));
                    eprintln!(
                        "{}: action {} (at {at}) is refused: {refused}",
                        script_path.display(),
                        i + 1
                    );
                    return Ok(ExitCode::FAILURE);
                }
            };
            let score = scoring::score(&run);
            // A team scenario: the team's score, then each role's on its own part.
            let roles: Vec<(&str, Score)> = s
                .roles
                .iter()
                .map(|r| (r.title.as_str(), scoring::score_as(&run, Some(&r.id))))
                .collect();
            if json && roles.is_empty() {
                println!("{}", serde_json::to_string_pretty(&score)?);
            } else if json {
                let by_role: serde_json::Map<String, serde_json::Value> = s
                    .roles
                    .iter()
                    .zip(&roles)
                    .map(|(r, (_, sc))| Ok((r.id.clone(), serde_json::to_value(sc)?)))
                    .collect::<serde_json::Result<_>>()?;
                let both = serde_json::json!({ "team": score, "roles": by_role });
                println!("{}", serde_json::to_string_pretty(&both)?);
            } else {
                print!("{}", report(&s, &score));
                for (title, sc) in &roles {
                    println!("\n== {title} ==");
                    print!("{}", report(&s, sc));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Reads and parses a scenario file, or its errors as lines to print.
fn read(file: &Path) -> Result<scenario::Scenario, Vec<String>> {
    let text =
        std::fs::read_to_string(file).map_err(|e| vec![format!("{}: {e}", file.display())])?;
    scenario::parse(&file.display().to_string(), &text)
        .map_err(|errors| errors.iter().map(ToString::to_string).collect())
}

/// The debrief as text.
fn report(s: &scenario::Scenario, score: &Score) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let verdict = if score.passed { "PASSED" } else { "NOT PASSED" };
    let _ = writeln!(
        out,
        "{}: {verdict}, {}% ({} of {} points; pass mark {}%), ended at {}",
        s.title,
        score.percent,
        score.earned,
        score.possible,
        s.pass_mark,
        clock(score.ended_at)
    );
    for reason in &score.failed_because {
        let _ = writeln!(out, "  - {reason}");
    }
    if !score.expected.is_empty() {
        let _ = writeln!(out, "\nExpected actions:");
    }
    for e in &score.expected {
        let when = match (e.outcome, e.done_at, e.window) {
            (Outcome::NotDue, _, _) => "not due (its moment never came)".to_owned(),
            (Outcome::Missed, _, Some((_, close))) => format!("missed (due by {close:02}:00)"),
            (_, Some(at), Some((_, close))) => format!(
                "{} at {} (due by {close:02}:00)",
                if e.outcome == Outcome::Late {
                    "late"
                } else {
                    "done"
                },
                clock(at)
            ),
            (_, Some(at), None) => format!("done early, at {}", clock(at)),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {:>3}/{:<3} {}: {when}{}",
            e.earned,
            e.possible,
            e.action.label(),
            e.note
                .as_deref()
                .map(|n| format!(". {n}"))
                .unwrap_or_default()
        );
        let _ = writeln!(out, "          {}", e.why);
    }
    for h in &score.harms {
        let _ = writeln!(out, "  -{:<6} harm at {}: {}", h.points, clock(h.at), h.why);
    }
    if score.news2.possible > 0 {
        let _ = writeln!(
            out,
            "\nNEWS2 charted: {} of {} correct ({}/{} points)",
            score.news2.correct,
            score.news2.records.len(),
            score.news2.earned,
            score.news2.possible
        );
        for r in &score.news2.records {
            let _ = writeln!(
                out,
                "  {} recorded {}, the observations scored {}",
                clock(r.at),
                r.recorded,
                r.actual
            );
        }
    }
    if let Some(e) = &score.escalation {
        let taken = e.minutes_taken.map_or("never escalated".to_owned(), |m| {
            format!("escalated after {m} min")
        });
        let _ = writeln!(
            out,
            "\nNEWS2 reached 5 at {:02}:00: {taken}",
            e.reached_minute
        );
    }
    if !score.ai.is_empty() {
        let _ = writeln!(out, "\nAI suggestions:");
    }
    for a in &score.ai {
        let checked = if a.checked_evidence_first {
            ", evidence checked first"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {:>3}/{:<3} {}: {}{checked}",
            a.earned,
            a.possible,
            a.tool,
            a.reliance.label()
        );
        let _ = writeln!(out, "          {}", a.why);
    }
    if !score.questions.is_empty() {
        let _ = writeln!(out, "\nQuestions:");
    }
    for q in &score.questions {
        let _ = writeln!(
            out,
            "  {:>3}/{:<3} {} {}",
            q.earned,
            q.possible,
            q.prompt,
            q.feedback.as_deref().unwrap_or("(not answered)")
        );
    }
    if !s.further_reading.is_empty() {
        let _ = writeln!(out, "\nRead next:");
        for r in &s.further_reading {
            let _ = writeln!(out, "  - {r}");
        }
    }
    out
}
