//! The scenario file, engine, scoring and reachability, against the shipped scenarios and small made-up ones.

use crate::check::reachability;
use crate::engine::{Action, Run, Sbar, Timed};
use crate::news2::Risk;
use crate::scenario::{self, OxygenTarget, Role, Scenario};
use crate::scoring::{Outcome, Reliance, score};
use proptest::prelude::*;

fn shipped() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).expect("read"),
            )
        })
        .collect();
    out.sort();
    out
}

fn load(id: &str) -> Scenario {
    let file = format!("{id}.toml");
    let (name, text) = shipped()
        .into_iter()
        .find(|(n, _)| *n == file)
        .expect("a shipped scenario");
    scenario::parse(&name, &text).unwrap_or_else(|e| panic!("{e:?}"))
}

fn sepsis() -> Scenario {
    load("sepsis-post-op")
}

fn sbar() -> Sbar {
    Sbar {
        situation: "Grace Okafor, bay 3, NEWS2 7 and rising".into(),
        background: "Day 2 after an anterior resection, diabetic".into(),
        assessment: "I think she is septic, possibly an anastomotic leak".into(),
        recommendation: "Please review her within 30 minutes; may I start the Sepsis Six?".into(),
    }
}

fn at(minute: u32, action: Action) -> Timed {
    Timed::solo(minute * 60, action)
}

#[test]
fn every_shipped_scenario_parses_and_everything_in_it_can_happen() {
    let files = shipped();
    let mut compiled_in: Vec<&str> = crate::shipped::SHIPPED.iter().map(|(n, _)| *n).collect();
    compiled_in.sort();
    let on_disk: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        compiled_in, on_disk,
        "crate::shipped lists every file in scenarios/"
    );
    for (name, text) in files {
        let s = scenario::parse(&name, &text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(format!("{}.toml", s.id), name, "a file is named by its id");
        assert_eq!(reachability(&s), vec![], "{name}");
    }
}

#[test]
fn untreated_sepsis_rises_from_2_to_8_and_on_to_shock() {
    let s = sepsis();
    let run = Run::new(&s, 1);
    let t = run.trace(s.minutes);
    assert_eq!(t.news2[0], 2, "pulse 96 and 38.2 degrees");
    assert_eq!(t.news2[45], 8, "the sepsis phase at its height");
    assert!(
        t.news2[80] >= 13,
        "shock without antibiotics: {}",
        t.news2[80]
    );
    assert_eq!(t.fired.get("septic-shock"), Some(&55));
    assert!(!t.fired.contains_key("responding"));
    // Nothing done: the urgent escalation and the antibiotics are missed, so the run fails.
    let mut run = Run::new(&s, 1);
    run.end(s.minutes * 60).unwrap();
    let sc = score(&run);
    assert!(!sc.passed);
    assert_eq!(sc.earned, 0);
    assert_eq!(
        sc.expected
            .iter()
            .filter(|e| e.outcome == Outcome::Missed)
            .count(),
        s.expected.len()
    );
    let esc = sc.escalation.expect("NEWS2 reached 5");
    assert_eq!(esc.escalated_at, None);
    assert_eq!(esc.band, Risk::Medium, "5 or 6 is reached before 7");
}

/// The run a well-prepared nurse gives: charts correctly, escalates at once, starts the Sepsis Six.
fn good_run(s: &Scenario) -> Run<'_> {
    let mut run = Run::new(s, 7);
    let shown0 = run.shown(&run.trace(0), 0).unwrap().news2;
    run.act(60, Action::RecordObservations { news2: shown0 })
        .unwrap();
    // Watch until NEWS2 reaches 5, then act.
    let t = run.trace(s.minutes);
    let five = t.news2.iter().position(|n| *n >= 5).unwrap() as u32;
    let shown = run.shown(&run.trace(five), five).unwrap().news2;
    let script = [
        at(five, Action::RecordObservations { news2: shown }),
        at(
            five,
            Action::Escalate {
                to: Role::Registrar,
                sbar: sbar(),
            },
        ),
        at(five + 2, Action::BloodCultures),
        at(five + 2, Action::Lactate),
        at(five + 3, Action::Antibiotics),
        at(five + 3, Action::Fluids),
        at(
            five + 4,
            Action::Oxygen {
                target: OxygenTarget::Standard,
            },
        ),
        at(
            five + 5,
            Action::Document {
                note: "Escalated to the registrar; Sepsis Six started".into(),
            },
        ),
    ];
    for t in script {
        run.act(t.at, t.action).unwrap();
    }
    run.end(70 * 60).unwrap();
    run
}

#[test]
fn a_prompt_sepsis_six_passes_and_turns_her_course() {
    let s = sepsis();
    let run = good_run(&s);
    let t = run.trace(s.minutes);
    assert!(t.fired.contains_key("responding"));
    assert!(!t.fired.contains_key("septic-shock"), "antibiotics in time");
    let sc = score(&run);
    assert!(sc.passed, "{:#?}", sc.failed_because);
    assert_eq!(sc.news2.correct, 2);
    assert!(sc.percent >= 90, "{}", sc.percent);
    // Treated before NEWS2 reached 7: the emergency escalation and the high-risk antibiotics are not due.
    let esc = sc.escalation.unwrap();
    assert_eq!(esc.minutes_taken, Some(0));
    assert!(sc.harms.is_empty());
}

#[test]
fn the_wrong_oxygen_target_and_an_incomplete_handover_cost_points() {
    let s = sepsis();
    let mut run = Run::new(&s, 7);
    run.act(
        20 * 60,
        Action::Oxygen {
            target: OxygenTarget::Hypercapnic,
        },
    )
    .unwrap();
    run.act(
        20 * 60,
        Action::Escalate {
            to: Role::WardDoctor,
            sbar: Sbar {
                situation: "She is unwell".into(),
                ..Sbar::default()
            },
        },
    )
    .unwrap();
    run.end(30 * 60).unwrap();
    let sc = score(&run);
    assert_eq!(sc.harms.len(), 1);
    let escalated = sc
        .expected
        .iter()
        .find(|e| e.done_at == Some(1200) && e.critical)
        .expect("the urgent escalation");
    assert_eq!(escalated.earned, escalated.possible / 2);
    assert!(escalated.note.as_deref().unwrap().contains("SBAR"));
}

#[test]
fn the_same_seed_and_actions_give_the_same_run() {
    let s = sepsis();
    let a = good_run(&s);
    let b = Run::replay(&s, a.seed, &a.actions, a.ended_at).unwrap();
    assert_eq!(score(&a), score(&b));
    for m in 0..s.minutes {
        assert_eq!(a.shown(&a.trace(m), m), b.shown(&b.trace(m), m));
    }
    // Another seed shows other noise on the monitor, but the patient's true course is the same.
    let c = Run::replay(&s, a.seed + 1, &a.actions, a.ended_at).unwrap();
    assert_eq!(a.trace(s.minutes), c.trace(s.minutes));
    assert!((0..s.minutes).any(|m| a.shown(&a.trace(m), m) != c.shown(&c.trace(m), m)));
}

#[test]
fn actions_are_refused_with_a_reason() {
    let s = sepsis();
    let mut run = Run::new(&s, 1);
    run.act(600, Action::Observe).unwrap();
    let e = run.act(300, Action::Observe).unwrap_err();
    assert!(e.0.contains("time runs forwards"), "{e}");
    let e = run
        .act(700, Action::RecordObservations { news2: 21 })
        .unwrap_err();
    assert!(e.0.contains("0 to 20"), "{e}");
    let e = run
        .act(
            700,
            Action::Accept {
                event: "nothing".into(),
            },
        )
        .unwrap_err();
    assert!(e.0.contains("no AI suggestion"), "{e}");
    let e = run.act(s.minutes * 60 + 1, Action::Observe).unwrap_err();
    assert!(e.0.contains("ran out of time"), "{e}");
    run.end(800).unwrap();
    let e = run.act(900, Action::Observe).unwrap_err();
    assert!(e.0.contains("ended at 13:20"), "{e}");
}

/// A scenario with two AI suggestions, one right and one wrong, and a question.
const AI_SCENARIO: &str = r#"
[scenario]
id = "ai-test"
title = "Two suggestions"
summary = "Decide on each."
minutes = 30
sources = ["Made up for a test"]
actions = ["document"]

[[ai]]
id = "right"
tool = "Tool A"
kind = "risk score"
shows = { minute = 1 }
suggestion = "High risk"
confidence = 0.9
model_card = "Validated on 10,000 admissions."
evidence = "The data agree."
correct = true
why = "It was right."

[[ai]]
id = "wrong"
tool = "Tool B"
kind = "triage label"
shows = { after = ["document"] }
suggestion = "Normal"
confidence = 0.95
model_card = "Sensitivity 0.62 for small pneumothoraces."
evidence = "A visible pleural line."
correct = false
why = "It missed a pneumothorax."

[[question]]
id = "ppv"
asked = { minute = 2 }
prompt = "What does a positive mean?"
options = [
  { text = "Certainly ill", feedback = "No." },
  { text = "It depends on prevalence", correct = true, feedback = "Yes." },
]
"#;

#[test]
fn reliance_on_ai_is_judged_per_suggestion() {
    let s = scenario::parse("ai-test.toml", AI_SCENARIO).unwrap();
    let ev = |e: &str| e.to_owned();
    // Accept the right one after checking; accept the wrong one without: automation bias.
    let mut run = Run::new(&s, 1);
    let e = run
        .act(0, Action::Accept { event: ev("right") })
        .unwrap_err();
    assert!(e.0.contains("not showing yet"), "{e}");
    run.act(60, Action::CheckEvidence { event: ev("right") })
        .unwrap();
    run.act(70, Action::Accept { event: ev("right") }).unwrap();
    let e = run
        .act(
            80,
            Action::Override {
                event: ev("right"),
                reason: String::new(),
            },
        )
        .unwrap_err();
    assert!(e.0.contains("already decided"), "{e}");
    run.act(
        120,
        Action::Document {
            note: String::new(),
        },
    )
    .unwrap();
    run.act(
        180,
        Action::Answer {
            question: ev("ppv"),
            option: 1,
        },
    )
    .unwrap();
    run.act(190, Action::Accept { event: ev("wrong") }).unwrap();
    run.end(200).unwrap();
    let sc = score(&run);
    assert_eq!(sc.ai[0].reliance, Reliance::AppropriateAcceptance);
    assert!(sc.ai[0].checked_evidence_first);
    assert_eq!(sc.ai[0].earned, 10);
    assert_eq!(sc.ai[1].reliance, Reliance::AutomationBias);
    assert_eq!(sc.ai[1].earned, 0);
    assert!(sc.questions[0].correct);
    assert_eq!((sc.earned, sc.possible), (20, 30));

    // Override the right one without checking: algorithm aversion; the wrong one is never shown.
    let mut run = Run::new(&s, 1);
    run.act(
        60,
        Action::Override {
            event: ev("right"),
            reason: "I doubt it".into(),
        },
    )
    .unwrap();
    run.end(120).unwrap();
    let sc = score(&run);
    assert_eq!(sc.ai[0].reliance, Reliance::AlgorithmAversion);
    assert_eq!(sc.ai[1].reliance, Reliance::NotShown);
    assert_eq!(sc.ai[1].possible, 0, "not shown, not counted");
}

fn errors(text: &str) -> Vec<String> {
    scenario::parse("bad.toml", text)
        .map(|_| Vec::new())
        .unwrap_or_else(|e| e.iter().map(|e| e.to_string()).collect())
}

#[test]
fn a_bad_file_is_refused_with_line_field_and_reason() {
    // A typo in a field name: TOML's own error, with the line and the key.
    let typo = AI_SCENARIO.replace("confidence = 0.9\n", "confidense = 0.9\n");
    let e = errors(&typo);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("bad.toml:"), "{e:?}");
    assert!(e[0].contains("confidense"), "{e:?}");

    // Checks after reading: each names its line and field.
    let bad = AI_SCENARIO
        .replace(
            "minutes = 30",
            "minutes = 30\ncompetencies = [\"Bad Code\"]",
        )
        .replace(
            "shows = { minute = 1 }",
            "shows = { minute = 1, after = [\"document\"] }",
        )
        .replace("confidence = 0.95", "confidence = 1.5")
        .replace(
            "shows = { after = [\"document\"] }",
            "shows = { after = [\"escalate\"] }",
        );
    let e = errors(&bad);
    let lines: Vec<&str> = e.iter().map(|s| s.as_str()).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("scenario.competencies[0]") && l.contains("\"Bad Code\"")),
        "{e:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ai[0].shows") && l.contains("exactly one")),
        "{e:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ai[1].confidence") && l.contains("1.5")),
        "{e:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ai[1].shows.after")
                && l.contains("not among the scenario's actions")),
        "{e:#?}"
    );
    // The [[ai]] tables start on lines 11 and 24 of the file.
    let line_of = |field: &str| {
        e.iter()
            .find(|l| l.contains(field))
            .and_then(|l| l.split(':').nth(1))
            .map(|n| n.parse::<usize>().unwrap())
    };
    let first_ai = AI_SCENARIO.lines().position(|l| l == "[[ai]]").unwrap() + 1;
    assert_eq!(line_of("ai[0].shows"), Some(first_ai + 1), "{e:#?}");

    // A minute after the end, an unknown option, a question with no right answer.
    let bad = AI_SCENARIO
        .replace("shows = { minute = 1 }", "shows = { minute = 30 }")
        .replace(
            "{ text = \"It depends on prevalence\", correct = true,",
            "{ text = \"It depends\",",
        );
    let e = errors(&bad);
    assert!(
        e.iter().any(|l| l.contains("minute 30 is not before")),
        "{e:#?}"
    );
    assert!(
        e.iter().any(|l| l.contains("no option is marked correct")),
        "{e:#?}"
    );
}

#[test]
fn check_finds_what_can_never_happen() {
    let mut text = AI_SCENARIO.to_owned();
    // A question that only appears as the scenario ends, and a patient-less scenario's NEWS2 trigger is refused.
    text = text.replace("asked = { minute = 2 }", "asked = { minute = 29 }");
    let s = scenario::parse("ai-test.toml", &text).unwrap();
    assert_eq!(reachability(&s), vec![], "minute 29 of 30 leaves a minute");

    let s = sepsis();
    let mut unreachable = s.clone();
    // A phase after antibiotics unless antibiotics: can never start.
    unreachable.phases[2]
        .starts
        .unless
        .push(scenario::ActionMatch {
            action: scenario::ActionKind::Antibiotics,
            option: None,
        });
    // An expectation whose window needs NEWS2 20.
    unreachable.expected[0].from.when = scenario::When::News2AtLeast(20);
    let found = reachability(&unreachable);
    let fields: Vec<&str> = found.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, vec!["phase[2]", "expected[0]"], "{found:#?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any script of allowed actions gives a score within its bounds, and replaying it gives the same score.
    #[test]
    fn scores_stay_in_bounds_and_replay_exactly(
        seed in any::<u64>(),
        steps in prop::collection::vec((0u32..300, 0usize..12, 0u8..12), 0..25),
    ) {
        let s = sepsis();
        let mut run = Run::new(&s, seed);
        let mut now = 0;
        for (gap, which, n) in steps {
            now = (now + gap).min(s.minutes * 60);
            let action = match which {
                0 => Action::Observe,
                1 => Action::RecordObservations { news2: n },
                2 => Action::Escalate { to: Role::Registrar, sbar: sbar() },
                3 => Action::Escalate { to: Role::NurseInCharge, sbar: Sbar::default() },
                4 => Action::Oxygen { target: OxygenTarget::Standard },
                5 => Action::Oxygen { target: OxygenTarget::Hypercapnic },
                6 => Action::Fluids,
                7 => Action::BloodCultures,
                8 => Action::Lactate,
                9 => Action::Antibiotics,
                10 => Action::CallRapidResponse,
                _ => Action::Document { note: String::new() },
            };
            run.act(now, action).unwrap();
        }
        run.end(s.minutes * 60).unwrap();
        let sc = score(&run);
        prop_assert!(sc.earned <= sc.possible);
        prop_assert!(sc.percent <= 100);
        prop_assert_eq!(sc.passed, sc.failed_because.is_empty());
        let again = Run::replay(&s, seed, &run.actions, run.ended_at).unwrap();
        prop_assert_eq!(score(&again), sc);
    }
}

/// scenarios/scenario.schema.json is what the file format reads: regenerate it with `lantern scenario schema`.
#[test]
fn the_shipped_json_schema_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios/scenario.schema.json");
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    let current = scenario::json_schema();
    if std::env::var_os("LANTERN_WRITE_SCHEMA").is_some() {
        std::fs::write(&path, format!("{current}\n")).unwrap();
        return;
    }
    assert_eq!(
        shipped.trim_end(),
        current,
        "run: LANTERN_WRITE_SCHEMA=1 cargo test -p lantern-sim the_shipped_json_schema_is_current"
    );
    let schema: serde_json::Value = serde_json::from_str(&current).unwrap();
    for key in [
        "scenario", "patient", "phase", "expected", "harmful", "ai", "question",
    ] {
        assert!(schema["properties"][key].is_object(), "{key} in {schema}");
    }
}

#[test]
fn over_oxygenating_a_scale_2_patient_harms_him_and_fails() {
    let s = load("copd-scale-2");
    let copd_run = |target: OxygenTarget| {
        let mut run = Run::new(&s, 3);
        run.act(120, Action::Oxygen { target }).unwrap();
        run.act(
            240,
            Action::Escalate {
                to: Role::WardDoctor,
                sbar: sbar(),
            },
        )
        .unwrap();
        run.act(
            300,
            Action::Document {
                note: String::new(),
            },
        )
        .unwrap();
        run.end(50 * 60).unwrap();
        run
    };
    let wrong = copd_run(OxygenTarget::Standard);
    let t = wrong.trace(50);
    assert!(t.fired.contains_key("hypercapnia"));
    assert_eq!(
        t.vitals[40].consciousness,
        crate::news2::Consciousness::Voice,
        "drowsy from CO2"
    );
    // On Scale 2, 94-98% on oxygen scores: the monitor's NEWS2 counts the saturation above target.
    let shown = wrong.shown(&t, 10).unwrap();
    assert!(shown.observations.spo2 >= 93, "{shown:?}");
    assert!(
        crate::news2::score(&shown.observations).parts.spo2 >= 2,
        "{shown:?}"
    );
    assert!(shown.news2 >= 5, "{shown:?}");
    let sc = score(&wrong);
    assert!(!sc.passed);
    assert_eq!(sc.harms.len(), 1);
    assert!(
        sc.failed_because.iter().any(|r| r.contains("hypercapnic")),
        "{:?}",
        sc.failed_because
    );

    let right = copd_run(OxygenTarget::Hypercapnic);
    let t = right.trace(50);
    assert!(t.fired.contains_key("settling") && !t.fired.contains_key("hypercapnia"));
    let shown = right.shown(&t, 10).unwrap();
    assert!((88..=92).contains(&shown.observations.spo2), "{shown:?}");
    let sc = score(&right);
    assert!(sc.harms.is_empty());
    assert!(
        sc.failed_because.iter().all(|r| r.contains("pass mark")),
        "{:?}",
        sc.failed_because
    );
}

#[test]
fn accepting_a_false_sepsis_alert_is_automation_bias() {
    let s = load("ai-sepsis-alert-false-positive");
    let event = || "sepsis-alert".to_owned();
    let mut biased = Run::new(&s, 5);
    biased
        .act(6 * 60, Action::Accept { event: event() })
        .unwrap();
    biased.act(7 * 60, Action::Antibiotics).unwrap();
    biased.end(30 * 60).unwrap();
    let sc = score(&biased);
    assert_eq!(sc.ai[0].reliance, Reliance::AutomationBias);
    assert_eq!(sc.harms.len(), 1);
    assert!(!sc.passed);

    let mut careful = Run::new(&s, 5);
    let first = careful.shown(&careful.trace(1), 1).unwrap().news2;
    careful
        .act(60, Action::RecordObservations { news2: first })
        .unwrap();
    careful
        .act(6 * 60, Action::CheckEvidence { event: event() })
        .unwrap();
    careful
        .act(
            7 * 60,
            Action::Override {
                event: event(),
                reason: "Salbutamol".into(),
            },
        )
        .unwrap();
    careful
        .act(
            8 * 60,
            Action::Document {
                note: String::new(),
            },
        )
        .unwrap();
    let later = careful.shown(&careful.trace(25), 25).unwrap().news2;
    careful
        .act(25 * 60, Action::RecordObservations { news2: later })
        .unwrap();
    careful.end(30 * 60).unwrap();
    let sc = score(&careful);
    assert_eq!(sc.ai[0].reliance, Reliance::AppropriateOverride);
    assert!(sc.ai[0].checked_evidence_first);
    assert!(sc.passed, "{:?}", sc.failed_because);
    assert_eq!(sc.percent, 100);
}

#[test]
fn ending_early_skips_nothing_that_comes_at_a_fixed_minute() {
    let s = scenario::parse("ai-test.toml", AI_SCENARIO).unwrap();
    let mut run = Run::new(&s, 1);
    run.end(0).unwrap();
    let sc = score(&run);
    // "right" shows at minute 1 and the question at minute 2: both owed; "wrong" needs an action, so not.
    assert_eq!(sc.ai[0].possible, 10);
    assert_eq!(sc.ai[0].reliance, Reliance::Undecided);
    assert_eq!(sc.questions[0].possible, 10);
    assert_eq!(sc.ai[1].possible, 0);
    assert_eq!((sc.earned, sc.possible, sc.passed), (0, 20, false));
}

/// The team sepsis scenario: a nurse and a doctor on one patient. Each action names its role, which must take it;
/// each learner is scored on their role's expected actions and the shared ones, done by the right role.
#[test]
fn a_team_scenario_scores_each_role_on_its_part() {
    use crate::scoring::score_as;
    let s = load("sepsis-post-op-team");
    assert_eq!(
        s.roles.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["nurse", "doctor"]
    );
    let mut run = Run::new(&s, 7);
    let standard = || Action::Oxygen {
        target: OxygenTarget::Standard,
    };
    for (by, action, reason) in [
        (None, Action::Observe, "say which role"),
        (Some("porter"), Action::Observe, "no role \"porter\""),
        (
            Some("doctor"),
            standard(),
            "foundation doctor does not take oxygen",
        ),
        (
            Some("nurse"),
            Action::Antibiotics,
            "registered nurse does not take antibiotics",
        ),
    ] {
        let e = run.act_as(60, by, action).unwrap_err();
        assert!(e.0.contains(reason), "{e:?}");
    }
    // A scenario played alone takes no role.
    let solo = sepsis();
    let e = Run::new(&solo, 7)
        .act_as(60, Some("nurse"), Action::Observe)
        .unwrap_err();
    assert!(e.0.contains("played alone"), "{e:?}");

    let five = run
        .trace(s.minutes)
        .news2
        .iter()
        .position(|n| *n >= 5)
        .unwrap() as u32;
    let shown = |run: &Run, m: u32| run.shown(&run.trace(m), m).unwrap().news2;
    let (first, at_five) = (shown(&run, 1), shown(&run, five));
    let escalate = |to| Action::Escalate { to, sbar: sbar() };
    let plays: Vec<(u32, &str, Action)> = vec![
        (1, "nurse", Action::RecordObservations { news2: first }),
        (five, "nurse", Action::RecordObservations { news2: at_five }),
        (five, "nurse", escalate(Role::WardDoctor)),
        (five + 1, "doctor", Action::Observe),
        (five + 2, "doctor", Action::BloodCultures),
        (five + 2, "doctor", Action::Lactate),
        (five + 3, "doctor", Action::Antibiotics),
        (five + 3, "doctor", Action::Fluids),
        (five + 4, "nurse", standard()),
        (
            five + 5,
            "doctor",
            Action::Document {
                note: "Reviewed; Sepsis Six started".into(),
            },
        ),
    ];
    for (m, by, action) in plays.clone() {
        run.act_as(m * 60, Some(by), action).unwrap();
    }
    run.end(70 * 60).unwrap();
    let nurse = score_as(&run, Some("nurse"));
    let doctor = score_as(&run, Some("doctor"));
    assert!(nurse.passed, "{:?}", nurse.failed_because);
    assert!(doctor.passed, "{:?}", doctor.failed_because);
    let kinds = |sc: &crate::scoring::Score| {
        sc.expected
            .iter()
            .map(|e| e.action.code())
            .collect::<Vec<_>>()
    };
    assert!(
        kinds(&nurse).contains(&"record_observations") && !kinds(&nurse).contains(&"antibiotics")
    );
    assert!(
        kinds(&doctor).contains(&"antibiotics") && !kinds(&doctor).contains(&"record_observations")
    );
    assert_eq!(nurse.news2.records.len(), 2, "the nurse charted twice");
    assert!(
        doctor.news2.records.is_empty(),
        "the doctor charted nothing"
    );
    // The shared documentation counts for both, whoever wrote it.
    for sc in [&nurse, &doctor] {
        let doc = sc
            .expected
            .iter()
            .find(|e| e.action.code() == "document")
            .unwrap();
        assert_eq!(doc.outcome, Outcome::OnTime);
    }
    assert!(score(&run).passed, "the team as a whole");

    // The same run where the doctor, not the nurse, raised the alarm: the nurse's escalation is missed (and it is
    // critical), though the team escalated.
    let mut run = Run::new(&s, 7);
    for (m, by, action) in plays {
        let by = match (&action, by) {
            (Action::Escalate { .. }, _) => "doctor",
            (_, by) => by,
        };
        run.act_as(m * 60, Some(by), action).unwrap();
    }
    run.end(70 * 60).unwrap();
    let nurse = score_as(&run, Some("nurse"));
    assert!(!nurse.passed);
    assert!(
        nurse.failed_because.iter().any(|r| r.contains("Escalate")),
        "{:?}",
        nurse.failed_because
    );
    assert!(score_as(&run, Some("doctor")).passed);
}

#[test]
fn a_bad_team_is_refused_naming_the_role() {
    let base = load_text("sepsis-post-op-team");
    for (from, to, field, reason) in [
        (
            "id = \"doctor\"",
            "id = \"nurse\"",
            "role[1].id",
            "used twice",
        ),
        (
            "actions = [\"observe\", \"escalate\", \"blood_cultures\"",
            "actions = [\"observe\", \"escalate\", \"blood_culture\"",
            "role[1].actions[2]",
            "not an action",
        ),
        (
            "action = \"antibiotics\"\nrole = \"doctor\"",
            "action = \"antibiotics\"\nrole = \"nurse\"",
            "expected[5].role",
            "does not take antibiotics",
        ),
        (
            "action = \"lactate\"\nrole = \"doctor\"",
            "action = \"lactate\"\nrole = \"surgeon\"",
            "expected[4].role",
            "not one of the roles (nurse, doctor)",
        ),
        (
            ", \"lactate\", \"antibiotics\", \"fluids\", \"document\"]\n",
            ", \"antibiotics\", \"fluids\", \"document\"]\n",
            "role",
            "no role takes lactate",
        ),
    ] {
        assert!(base.contains(from), "{from}");
        let text = base.replacen(from, to, 1);
        let errors = scenario::parse("team.toml", &text).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.field == field && e.reason.contains(reason)),
            "{field}: {errors:?}"
        );
    }
    // A role in a scenario without roles.
    let solo = load_text("sepsis-post-op").replacen(
        "action = \"lactate\"",
        "action = \"lactate\"\nrole = \"nurse\"",
        1,
    );
    let errors = scenario::parse("solo.toml", &solo).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.reason.contains("only a team scenario")),
        "{errors:?}"
    );
}

fn load_text(id: &str) -> String {
    let file = format!("{id}.toml");
    shipped()
        .into_iter()
        .find(|(n, _)| *n == file)
        .expect("a shipped scenario")
        .1
}
