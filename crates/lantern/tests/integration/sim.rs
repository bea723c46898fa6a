//! Simulations over HTTP: NEWS2 through `POST /api/v1/news2`, as other tools would call it.

use crate::test_auth;
use crate::web::Client;
use axum::http::StatusCode;
use serde_json::{Value, json};

fn example() -> Value {
    json!({"respiration_rate": 22, "spo2": 95, "spo2_scale": 1, "on_oxygen": false, "systolic_bp": 105,
           "pulse": 112, "consciousness": "A", "temperature": 38.4})
}

#[tokio::test]
async fn news2_scores_through_the_api_and_refuses_naming_the_field() {
    // NEWS2 reads and stores nothing: one backend is enough.
    let (_, store, _dir) = crate::demo_backends(60, 3).await.remove(0);
    let app = lantern_web::app(lantern_web::AppState::new(store, test_auth()));

    let mut anonymous = Client::new(&app);
    assert_eq!(
        anonymous
            .post_json("/api/v1/news2", &example())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let mut web =
        Client::signed_in(&app, "learner@demo.lantern.test", "learner-demo-password").await;
    let res = web.post_json("/api/v1/news2", &example()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let v = res.json();
    assert_eq!(v["total"], 7);
    assert_eq!(
        v["parts"],
        json!({"respiration_rate": 2, "spo2": 1, "air_or_oxygen": 0, "systolic_bp": 1, "pulse": 2,
               "consciousness": 0, "temperature": 1})
    );
    assert_eq!(v["risk"], "high");
    assert!(v["response"].as_str().unwrap().contains("Emergency"));
    assert!(v["monitoring"].as_str().unwrap().contains("Continuous"));

    // Scale 2 on oxygen at 95%: 2 for the saturation and 2 for the oxygen.
    let mut copd = example();
    copd["spo2_scale"] = json!(2);
    copd["on_oxygen"] = json!(true);
    let v = web.post_json("/api/v1/news2", &copd).await.json();
    assert_eq!(
        (
            v["parts"]["spo2"].as_u64(),
            v["parts"]["air_or_oxygen"].as_u64()
        ),
        (Some(2), Some(2))
    );

    // A single 3 with an aggregate under 5 is low_medium.
    let confused = json!({"respiration_rate": 16, "spo2": 97, "spo2_scale": 1, "on_oxygen": false,
        "systolic_bp": 120, "pulse": 70, "consciousness": "C", "temperature": 37.0});
    let v = web.post_json("/api/v1/news2", &confused).await.json();
    assert_eq!(
        (v["total"].as_u64(), v["risk"].as_str()),
        (Some(3), Some("low_medium"))
    );

    for (change, field, reason) in [
        (
            ("respiration_rate", json!(-2)),
            "respiration_rate",
            "cannot be a real",
        ),
        (("spo2", json!(101)), "spo2", "cannot be a real"),
        (("temperature", json!(38.45)), "temperature", "one decimal"),
        (("age", json!(12)), "age", "16 and over"),
        (("pregnant", json!(true)), "pregnant", "pregnancy"),
        (
            ("consciousness", json!("X")),
            "consciousness",
            "unknown variant",
        ),
        (("heart_rate", json!(80)), "heart_rate", "unknown field"),
    ] {
        let mut body = example();
        body[change.0] = change.1;
        let res = web.post_json("/api/v1/news2", &body).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{field}: {}", res.body);
        let v = res.json();
        assert_eq!(v["field"], field, "{}", res.body);
        assert!(
            v["error"].as_str().unwrap().contains(reason),
            "{}",
            res.body
        );
    }
    let mut missing = example();
    missing.as_object_mut().unwrap().remove("pulse");
    let v = web.post_json("/api/v1/news2", &missing).await.json();
    assert_eq!(v["field"], "pulse", "{v}");
}

/// A learner plays the sepsis scenario through the pages to a passing debrief, and the pass is recorded as the
/// "Recognising and responding to deterioration" competency; refusals name their reason and store nothing.
#[tokio::test]
async fn a_learner_plays_the_sepsis_scenario_to_a_passing_debrief() {
    use lantern_store::Scope;
    for (name, store, _dir) in crate::demo_backends(60, 3).await {
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let mut learner =
            Client::signed_in(&app, "learner@demo.lantern.test", "learner-demo-password").await;
        let list = learner.get("/orgs/RJ1/simulations").await;
        assert_eq!(list.status, StatusCode::OK, "{name}");
        assert!(
            list.body.contains("/orgs/RJ1/simulations/sepsis-post-op\""),
            "{name}"
        );
        let brief = learner.get("/orgs/RJ1/simulations/sepsis-post-op").await;
        assert!(brief.body.contains("Grace Okafor"), "{name}");

        let res = learner
            .post_form("/orgs/RJ1/simulations/sepsis-post-op/start", &[], None)
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let url = res.location().to_owned();
        let run_id: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
        let page = learner.get(&url).await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert!(
            page.body.contains("Start the clock") && page.body.contains("Respiration rate"),
            "{name}"
        );
        assert!(
            page.body.contains("00:00"),
            "{name}: a run starts paused at 0:00"
        );

        // Ten minutes of simulated time pass (the clock set going ten minutes ago, so the test does not wait).
        let org = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        clock_started_minutes_ago(&store, org.id, run_id, 10).await;
        let stored = store
            .sim_run(&Scope::Platform, org.id, run_id)
            .await
            .unwrap();
        let scenario = lantern_sim::scenario::parse("s", &stored.scenario_body).unwrap();
        let run = lantern_sim::engine::Run::new(&scenario, stored.seed);
        let news2 = run.shown(&run.trace(10), 10).unwrap().news2.to_string();

        let mut seq = 1;
        // Refusals: a NEWS2 over 20, an unknown action, an AI suggestion this scenario does not have.
        for (fields, reason) in [
            (
                vec![("do", "record_observations"), ("news2", "25")],
                "0 to 20",
            ),
            (vec![("do", "dance")], "is not an action"),
            (
                vec![("do", "accept"), ("event", "nothing")],
                "no AI suggestion",
            ),
        ] {
            let res = act(&mut learner, &url, &fields, &mut seq).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: {fields:?}");
            assert!(res.body.contains(reason), "{name}: {reason}");
        }
        let script = sepsis_pass(&news2);
        for fields in &script {
            let res = act(&mut learner, &url, fields, &mut seq).await;
            assert_eq!(
                res.status,
                StatusCode::SEE_OTHER,
                "{name}: {fields:?}: {}",
                res.body
            );
        }
        // A form drawn before the last action (a second window, a double click) is refused.
        let res = act(&mut learner, &url, &[("do", "observe")], &mut (seq - 1)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(res.body.contains("another window"), "{name}: {}", res.body);

        let page = learner.get(&url).await;
        assert!(page.body.contains("Observation chart"), "{name}");
        assert!(page.body.contains("Recorded observations, NEWS2"), "{name}");
        assert!(
            page.body.contains("cold and shivery"),
            "{name}: looking at her shows the phase's note"
        );

        let res = learner.post_form(&format!("{url}/end"), &[], None).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        let debrief = learner.get(&url).await;
        assert_eq!(debrief.status, StatusCode::OK, "{name}");
        assert!(debrief.body.contains("Passed:"), "{name}: {}", debrief.body);
        assert!(
            debrief.body.contains("<svg class=\"lantern-sim-chart\""),
            "{name}"
        );
        assert!(
            debrief
                .body
                .contains("Recorded in your training: clinical.deterioration"),
            "{name}"
        );
        // Ending again changes nothing; acting after the end is refused.
        let res = learner.post_form(&format!("{url}/end"), &[], None).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        let res = act(&mut learner, &url, &[("do", "observe")], &mut seq).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");

        // The pass is a training record for the competency, from a simulation, once.
        let account = store
            .account_by_email("learner@demo.lantern.test")
            .await
            .unwrap()
            .unwrap();
        let person = account.person_id.unwrap();
        let bundle = store
            .person(&Scope::Platform, org.id, person)
            .await
            .unwrap();
        let records: Vec<_> = bundle
            .records
            .iter()
            .filter(|r| r.record.subject == "clinical.deterioration")
            .filter(|r| r.record.source == lantern_domain::RecordSource::Simulation)
            .collect();
        assert_eq!(records.len(), 1, "{name}");
        assert_eq!(
            records[0].record.evidence_ref.as_deref(),
            Some(format!("simulation run {run_id}").as_str())
        );

        // Every step is a statement in the organisation's LRS under the run's registration, by the learner's opaque
        // account: attempted, each action, then completed and passed with the score.
        let state = lantern_web::AppState::new(store.clone(), test_auth());
        let statements =
            lantern_web::xapi::cmi5::registration_statements(&state, org.id, &stored.registration)
                .await
                .unwrap();
        let verbs: Vec<&str> = statements
            .iter()
            .map(|s| {
                s["verb"]["id"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
            })
            .collect();
        assert_eq!(verbs.first(), Some(&"attempted"), "{name}: {verbs:?}");
        assert_eq!(
            verbs.iter().filter(|v| **v == "interacted").count(),
            script.len(),
            "{name}: {verbs:?}"
        );
        assert_eq!(
            &verbs[verbs.len() - 2..],
            &["completed", "passed"],
            "{name}: {verbs:?}"
        );
        let passed = statements.last().unwrap();
        assert_eq!(passed["result"]["success"], true, "{name}");
        assert!(
            passed["result"]["score"]["scaled"].as_f64().unwrap() >= 0.7,
            "{name}"
        );
        assert!(
            passed["actor"]["account"]["name"]
                .as_str()
                .unwrap()
                .starts_with("lantern-"),
            "{name}"
        );
        assert!(
            !statements
                .iter()
                .any(|s| s.to_string().contains("learner@demo")),
            "{name}: no email in the LRS"
        );

        // A manager is no learner here: the run is not theirs to play.
        let mut manager =
            Client::signed_in(&app, "manager@demo.lantern.test", "manager-demo-password").await;
        assert_eq!(
            manager.get(&url).await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
        // But the learner's page lists it, and the manager reads its debrief there, with nothing to play.
        let person_page = manager.get(&format!("/orgs/RJ1/people/{}", person.0)).await;
        let overseen = format!("/orgs/RJ1/people/{}/simulations/{run_id}", person.0);
        assert!(
            person_page.body.contains("<h2>Simulations</h2>")
                && person_page.body.contains(&format!("href=\"{overseen}\"")),
            "{name}"
        );
        let debrief = manager.get(&overseen).await;
        assert_eq!(debrief.status, StatusCode::OK, "{name}");
        assert!(debrief.body.contains("s debrief</span>"), "{name}");
        assert!(
            debrief.body.contains("Recorded in their training"),
            "{name}"
        );
        assert!(!debrief.body.contains("Try it again"), "{name}");
        // Another person's id with this run is no way in.
        let other = format!("/orgs/RJ1/people/{}/simulations/{run_id}", person.0 + 1);
        assert_eq!(
            manager.get(&other).await.status,
            StatusCode::NOT_FOUND,
            "{name}"
        );
    }
}

/// Sets a run's clock going at normal speed `minutes` ago, through the store (as if the learner had pressed Start
/// then), so a test does not wait for simulated time to pass. The run must have no events yet.
async fn clock_started_minutes_ago(
    store: &std::sync::Arc<dyn lantern_store::Store>,
    org: lantern_domain::OrgId,
    run: i64,
    minutes: i64,
) {
    clock_started_minutes_ago_as(store, org, run, minutes, None).await
}

/// The same for a team run, by the member playing `role`.
pub(crate) async fn clock_started_minutes_ago_as(
    store: &std::sync::Arc<dyn lantern_store::Store>,
    org: lantern_domain::OrgId,
    run: i64,
    minutes: i64,
    role: Option<&str>,
) {
    use lantern_sim::clock::{Control, ControlKind};
    use lantern_store::sims::{EventKind, NewEvent};
    let then = chrono::Utc::now() - chrono::Duration::minutes(minutes);
    let control = Control {
        wall_ms: then.timestamp_millis(),
        kind: ControlKind::Run { speed: 1 },
    };
    store
        .append_sim_event(
            &lantern_store::Scope::Platform,
            org,
            run,
            NewEvent {
                seq: 0,
                kind: EventKind::Control,
                sim_at: 0,
                body: &serde_json::to_string(&control).unwrap(),
                now: then,
                role,
            },
        )
        .await
        .unwrap();
}

/// The sepsis scenario's actions that pass it when taken at minute 10, `news2` being what the monitor shows then.
fn sepsis_pass(news2: &str) -> Vec<Vec<(&'static str, &str)>> {
    vec![
        vec![("do", "record_observations"), ("news2", news2)],
        vec![("do", "observe")],
        vec![
            ("do", "escalate"),
            ("to", "registrar"),
            ("situation", "NEWS2 rising, rigors"),
            ("background", "Day 2 after anterior resection"),
            ("assessment", "Possible sepsis, anastomotic leak"),
            ("recommendation", "Review within 30 minutes"),
        ],
        vec![("do", "blood_cultures")],
        vec![("do", "lactate")],
        vec![("do", "antibiotics")],
        vec![("do", "fluids")],
        vec![("do", "oxygen"), ("target", "94-98")],
        vec![
            ("do", "document"),
            ("note", "Escalated; Sepsis Six started"),
        ],
    ]
}

/// Posts a player form with the event number `seq`, counting it on when the action is stored.
async fn act(
    c: &mut Client,
    url: &str,
    fields: &[(&str, &str)],
    seq: &mut u32,
) -> crate::web::Response {
    let s = seq.to_string();
    let mut all = vec![("seq", s.as_str())];
    all.extend_from_slice(fields);
    let res = c.post_form(&format!("{url}/act"), &all, None).await;
    if res.status == StatusCode::SEE_OTHER {
        *seq += 1;
    }
    res
}

/// ARCHITECTURE.md: a shipped scenario's competencies are competency codes of a built-in framework, so a pass can
/// always be recorded.
#[test]
fn every_shipped_scenario_gives_competencies_that_exist() {
    let codes: Vec<lantern_domain::Subject> = lantern_domain::framework::BUILT_IN
        .iter()
        .flat_map(|(name, text)| {
            lantern_domain::framework::FrameworkFile::parse(name, text)
                .expect("framework")
                .competencies
                .into_iter()
                .map(|c| c.code)
        })
        .collect();
    for (name, text) in lantern_sim::shipped::SHIPPED {
        let s = lantern_sim::scenario::parse(name, text).expect("scenario");
        assert!(!s.competencies.is_empty(), "{name} gives no competency");
        for c in &s.competencies {
            assert!(codes.contains(c), "{name}: {c} is no built-in competency");
        }
    }
}

/// `lantern scenario check` and `run`, as an educator uses them: the shipped files pass; a bad file is refused with
/// its line, field and reason; the shipped scripts pass and fail as they say.
#[test]
fn scenario_check_and_run_from_the_command_line() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let lantern = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lantern"))
            .current_dir(&root)
            .args(args)
            .output()
            .expect("lantern runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let mut args = vec!["scenario", "check"];
    let files: Vec<String> = lantern_sim::shipped::SHIPPED
        .iter()
        .map(|(n, _)| format!("scenarios/{n}"))
        .collect();
    args.extend(files.iter().map(String::as_str));
    let (code, out, err) = lantern(&args);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(
        out.lines().filter(|l| l.ends_with(": ok")).count(),
        files.len()
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(root.join("scenarios/sepsis-post-op.toml"))
        .unwrap()
        .replace("action = \"lactate\"", "action = \"lactat\"");
    std::fs::write(&bad, &text).unwrap();
    let line = text.lines().position(|l| l.contains("\"lactat\"")).unwrap();
    let (code, _, err) = lantern(&["scenario", "check", bad.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    // The error names the [[expected]] table's line (the one before the action), the field and the reason.
    assert!(
        err.contains(&format!(
            "bad.toml:{line}: expected[4].action: \"lactat\" is not an action"
        )),
        "{err}"
    );

    let (code, out, err) = lantern(&[
        "scenario",
        "run",
        "scenarios/sepsis-post-op.toml",
        "--script",
        "scenarios/scripts/sepsis-post-op.pass.txt",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with("The deteriorating patient: sepsis after surgery: PASSED"),
        "{out}"
    );
    let (_, out, _) = lantern(&[
        "scenario",
        "run",
        "scenarios/sepsis-post-op.toml",
        "--script",
        "scenarios/scripts/sepsis-post-op.fail.txt",
        "--json",
    ]);
    let score: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(score["passed"], false);
    assert!(
        score["failed_because"].to_string().contains("antibiotics"),
        "{score}"
    );

    // The team scenario: the team's score, then each role's; as JSON, both.
    let (code, out, err) = lantern(&[
        "scenario",
        "run",
        "scenarios/sepsis-post-op-team.toml",
        "--script",
        "scenarios/scripts/sepsis-post-op-team.pass.txt",
        "--json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["team"]["passed"], true, "{out}");
    for role in ["nurse", "doctor"] {
        assert_eq!(
            v["roles"][role]["passed"], true,
            "{role}: {}",
            v["roles"][role]
        );
    }
    let team_refused = dir.path().join("team-refused.txt");
    std::fs::write(
        &team_refused,
        "05:00 antibiotics as=nurse
",
    )
    .unwrap();
    let (code, _, err) = lantern(&[
        "scenario",
        "run",
        "scenarios/sepsis-post-op-team.toml",
        "--script",
        team_refused.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("the registered nurse does not take antibiotics"),
        "{err}"
    );

    let refused = dir.path().join("refused.txt");
    std::fs::write(&refused, "05:00 observe\n02:00 fluids\n").unwrap();
    let (code, _, err) = lantern(&[
        "scenario",
        "run",
        "scenarios/sepsis-post-op.toml",
        "--script",
        refused.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("action 2 (at 02:00) is refused: time runs forwards"),
        "{err}"
    );

    let (code, schema, _) = lantern(&["scenario", "schema"]);
    assert_eq!(code, Some(0));
    let shipped = std::fs::read_to_string(root.join("scenarios/scenario.schema.json")).unwrap();
    assert_eq!(schema.trim_end(), shipped.trim_end());
}

/// A scenario with no patient (questions only) plays through the same pages: a question is answered once it has been
/// asked, and the debrief gives each answer's feedback.
#[tokio::test]
async fn a_questions_only_scenario_plays_to_its_debrief() {
    let (name, store, _dir) = crate::demo_backends(60, 3).await.remove(0);
    let app = lantern_web::app(lantern_web::AppState::new(store, test_auth()));
    let mut learner =
        Client::signed_in(&app, "learner@demo.lantern.test", "learner-demo-password").await;
    let res = learner
        .post_form("/orgs/RJ1/simulations/ai-test-prevalence/start", &[], None)
        .await;
    let url = res.location().to_owned();
    let page = learner.get(&url).await;
    assert!(
        page.body.contains("emergency department (30% prevalence)"),
        "{name}"
    );
    assert!(
        !page.body.contains("Respiration rate"),
        "{name}: no patient, no monitor"
    );
    let mut seq = 0;
    let res = act(
        &mut learner,
        &url,
        &[
            ("do", "answer"),
            ("question", "ppv-screening"),
            ("option", "2"),
        ],
        &mut seq,
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
    assert!(res.body.contains("has not been asked yet"), "{name}");
    let res = act(
        &mut learner,
        &url,
        &[
            ("do", "answer"),
            ("question", "ppv-emergency"),
            ("option", "1"),
        ],
        &mut seq,
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
    let res = act(
        &mut learner,
        &url,
        &[
            ("do", "answer"),
            ("question", "ppv-emergency"),
            ("option", "0"),
        ],
        &mut seq,
    )
    .await;
    assert!(res.body.contains("already answered"), "{name}");
    learner.post_form(&format!("{url}/end"), &[], None).await;
    let debrief = learner.get(&url).await;
    // Ended at 0:00: the two questions still to come count as unanswered (ending early skips nothing).
    assert!(
        debrief.body.contains("Not passed: 33%"),
        "{name}: {}",
        debrief.body
    );
    assert!(
        debrief.body.contains("270 of 340 positives have AF"),
        "{name}: the chosen option's feedback"
    );
}

/// The NEWS2 a run's monitor shows at `minute`, as a learner would read it off the player.
async fn news2_shown(
    store: &std::sync::Arc<dyn lantern_store::Store>,
    org: lantern_domain::OrgId,
    run: i64,
    minute: u32,
) -> String {
    let stored = store
        .sim_run(&lantern_store::Scope::Platform, org, run)
        .await
        .unwrap();
    let scenario = lantern_sim::scenario::parse("s", &stored.scenario_body).unwrap();
    let engine = lantern_sim::engine::Run::new(&scenario, stored.seed);
    engine
        .shown(&engine.trace(minute), minute)
        .unwrap()
        .news2
        .to_string()
}

/// A course with a simulation module (the built-in "Recognising and responding to deterioration"): the module opens
/// the simulation's brief for that module, only a run started from there counts, a failed run leaves the module "not
/// passed yet", a passing one completes it, and the module cannot be marked done any other way.
#[tokio::test]
async fn a_simulation_in_a_course_counts_for_its_module() {
    use lantern_learning::course::ModuleState;
    use lantern_store::Scope;
    for (name, store, _dir) in crate::demo_backends(60, 3).await {
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let org = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let mut learner =
            Client::signed_in(&app, "learner@demo.lantern.test", "learner-demo-password").await;
        let started = learner
            .post_form(
                "/orgs/RJ1/learning/courses/clinical-deterioration-1/start",
                &[],
                None,
            )
            .await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{name}");
        let attempt_url = started.location().to_owned();
        let attempt: i64 = attempt_url.rsplit('/').next().unwrap().parse().unwrap();
        let res = learner
            .post_form(&format!("{attempt_url}/modules/news2/complete"), &[], None)
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");

        // The module is played, never ticked off.
        let res = learner
            .post_form(
                &format!("{attempt_url}/modules/sepsis-simulation/complete"),
                &[],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body.contains("result comes from its runs"),
            "{name}: {}",
            res.body
        );
        let module = learner
            .get(&format!("{attempt_url}/modules/sepsis-simulation"))
            .await;
        assert_eq!(module.status, StatusCode::SEE_OTHER, "{name}");
        let brief_url = module.location().to_owned();
        assert_eq!(
            brief_url,
            format!(
                "/orgs/RJ1/simulations/sepsis-post-op?attempt={attempt}&module=sepsis-simulation"
            )
        );
        let brief = learner.get(&brief_url).await;
        assert!(
            brief.body.contains("This simulation is a module of")
                && brief
                    .body
                    .contains("Recognising and responding to deterioration"),
            "{name}"
        );
        assert!(
            brief
                .body
                .contains("name=\"module\" value=\"sepsis-simulation\""),
            "{name}"
        );

        // A run can only count for the learner's own open module for this scenario.
        let attempt_s = attempt.to_string();
        for (module, reason) in [
            ("news2", "is not a module for the simulation"),
            ("check", "opens when the modules before it are complete"),
        ] {
            let res = learner
                .post_form(
                    "/orgs/RJ1/simulations/sepsis-post-op/start",
                    &[("attempt", &attempt_s), ("module", module)],
                    None,
                )
                .await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: {module}");
            assert!(res.body.contains(reason), "{name}: {module}: {}", res.body);
        }
        // Ended at once, nothing done: not passed, and the module says so.
        let url = start_for_module(&mut learner, &attempt_s).await;
        let res = learner.post_form(&format!("{url}/end"), &[], None).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        let debrief = learner.get(&url).await;
        assert!(debrief.body.contains("Not passed"), "{name}");
        assert!(
            debrief
                .body
                .contains(&format!("href=\"{attempt_url}\">Back to your course")),
            "{name}"
        );
        let a = store
            .attempt(&Scope::Platform, org.id, attempt)
            .await
            .unwrap();
        assert_eq!(a.states[1], ModuleState::Failed, "{name}");

        // Played again, to a pass: the module is complete; the course waits for its assessment.
        let url = start_for_module(&mut learner, &attempt_s).await;
        let run: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
        clock_started_minutes_ago(&store, org.id, run, 10).await;
        let news2 = news2_shown(&store, org.id, run, 10).await;
        let mut seq = 1;
        for fields in &sepsis_pass(&news2) {
            let res = act(&mut learner, &url, fields, &mut seq).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {fields:?}");
        }
        learner.post_form(&format!("{url}/end"), &[], None).await;
        assert!(learner.get(&url).await.body.contains("Passed:"), "{name}");
        let a = store
            .attempt(&Scope::Platform, org.id, attempt)
            .await
            .unwrap();
        assert_eq!(
            (a.states[1], a.states[2], a.completed_at),
            (ModuleState::Completed, ModuleState::NotStarted, None),
            "{name}: the optional practice stays open and the assessment is next"
        );
        let page = learner.get(&attempt_url).await;
        assert!(page.body.contains("Check your understanding"), "{name}");

        // A run from the catalogue counts for no module.
        let res = learner
            .post_form("/orgs/RJ1/simulations/sepsis-post-op/start", &[], None)
            .await;
        let run: i64 = res.location().rsplit('/').next().unwrap().parse().unwrap();
        let stored = store.sim_run(&Scope::Platform, org.id, run).await.unwrap();
        assert_eq!(stored.module, None, "{name}");
    }
}

/// Starts the sepsis simulation for the deterioration course's module in `attempt`; the run's address.
async fn start_for_module(learner: &mut Client, attempt: &str) -> String {
    let res = learner
        .post_form(
            "/orgs/RJ1/simulations/sepsis-post-op/start",
            &[("attempt", attempt), ("module", "sepsis-simulation")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    res.location().to_owned()
}

/// Results across learners: 12 people of one staff group and 3 of another finish the sepsis scenario (8 and 3 of
/// them passing first time). The organisation's admin sees everyone's figures and neither group's (the small one is
/// under 10, and the other would reveal it by subtraction); a manager sees only their units' people; a learner is
/// refused.
#[tokio::test]
async fn simulation_results_suppress_small_groups() {
    use lantern_store::Scope;
    use lantern_store::sims::{NewRun, SimResult};
    let pass_script = lantern_sim::script::parse(include_str!(
        "../../../../scenarios/scripts/sepsis-post-op.pass.txt"
    ))
    .unwrap();
    let (file, text) = lantern_sim::shipped::find("sepsis-post-op").unwrap();
    let scenario = lantern_sim::scenario::parse(file, text).unwrap();
    for (name, store, _dir) in crate::demo_backends(400, 3).await {
        let org = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let account = store
            .account_by_email("learner@demo.lantern.test")
            .await
            .unwrap()
            .unwrap();
        let ids = store.person_ids(&Scope::Platform, org.id).await.unwrap();
        let posts = store
            .people_posts(&Scope::Platform, org.id, &ids)
            .await
            .unwrap();
        let mut by_group: std::collections::BTreeMap<&str, Vec<lantern_domain::PersonId>> =
            Default::default();
        for (p, posts) in &posts {
            if let Some(post) = posts.iter().find(|p| p.end.is_none()) {
                by_group
                    .entry(post.staff_group.label())
                    .or_default()
                    .push(p.id);
            }
        }
        let mut groups: Vec<_> = by_group.into_values().collect();
        groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
        assert!(groups[0].len() >= 12 && groups[1].len() >= 3, "{name}");
        let players: Vec<(lantern_domain::PersonId, bool)> = groups[0][..12]
            .iter()
            .enumerate()
            .map(|(i, p)| (*p, i < 8))
            .chain(groups[1][..3].iter().map(|p| (*p, true)))
            .collect();
        for (i, (person, passes)) in players.iter().enumerate() {
            let registration = lantern_web::xapi::cmi5::new_uuid();
            let run_id = store
                .start_sim_run(
                    &Scope::Platform,
                    &NewRun {
                        org: org.id,
                        person: *person,
                        account: account.id,
                        scenario_id: "sepsis-post-op",
                        scenario_body: text,
                        digest: "sepsis-post-op-digest-for-results",
                        seed: i as u64,
                        registration: &registration,
                        module: None,
                        team: None,
                    },
                    chrono::Utc::now(),
                )
                .await
                .unwrap();
            let mut run = lantern_sim::engine::Run::new(&scenario, i as u64);
            if *passes {
                for t in &pass_script.actions {
                    run.act(t.at, t.action.clone()).unwrap();
                }
            }
            run.end(40 * 60).unwrap();
            let score = lantern_sim::scoring::score(&run);
            assert_eq!(score.passed, *passes, "{name}: {:?}", score.failed_because);
            store
                .finish_sim_run(
                    &Scope::Platform,
                    org.id,
                    run_id,
                    &SimResult {
                        ended_at_sim: 40 * 60,
                        percent: score.percent,
                        passed: score.passed,
                        score: serde_json::to_string(&score).unwrap(),
                        recorded_at: chrono::Utc::now(),
                        members: Vec::new(),
                    },
                    &[],
                    chrono::Utc::now().date_naive(),
                )
                .await
                .unwrap();
        }

        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let mut admin =
            Client::signed_in(&app, "admin@demo.lantern.test", "admin-demo-password").await;
        let res = admin
            .get("/api/v1/organisations/RJ1/simulations/results")
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        let v = res.json();
        assert_eq!(v["min_group"], 10);
        let sepsis = &v["scenarios"][0];
        assert_eq!(sepsis["id"], "sepsis-post-op", "{name}: {v}");
        let everyone = &sepsis["groups"][0];
        assert_eq!(everyone["cohort"], Value::Null);
        assert_eq!(everyone["people"], 15, "{name}");
        assert_eq!(
            everyone["figures"]["passed_first_time"],
            json!({"count": 11, "of": 15}),
            "{name}"
        );
        assert_eq!(everyone["figures"]["runs"], 15);
        let cohorts: Vec<(u64, bool)> = sepsis["groups"].as_array().unwrap()[1..]
            .iter()
            .map(|g| (g["people"].as_u64().unwrap(), g["figures"].is_null()))
            .collect();
        assert_eq!(
            cohorts.iter().map(|c| c.0).sum::<u64>(),
            15,
            "{name}: {cohorts:?}"
        );
        assert!(
            cohorts.iter().all(|(_, hidden)| *hidden),
            "{name}: the small group is hidden, and the other would reveal it: {cohorts:?}"
        );
        let page = admin.get("/orgs/RJ1/simulations/results").await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert!(page.body.contains("73% (11 of 15)"), "{name}");
        assert!(page.body.contains("too few people"), "{name}");

        // A manager sees their units' people only.
        let mut manager =
            Client::signed_in(&app, "manager@demo.lantern.test", "manager-demo-password").await;
        let v = manager
            .get("/api/v1/organisations/RJ1/simulations/results")
            .await
            .json();
        let seen = v["scenarios"]
            .as_array()
            .unwrap()
            .first()
            .map_or(0, |s| s["groups"][0]["people"].as_u64().unwrap());
        assert!(seen < 15, "{name}: a manager sees {seen} of 15");
        let mut learner =
            Client::signed_in(&app, "learner@demo.lantern.test", "learner-demo-password").await;
        assert_eq!(
            learner.get("/orgs/RJ1/simulations/results").await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
    }
}

/// The player's JSON twin: a learner plays the sepsis scenario through `/api/v1/.../simulations`, charting the NEWS2
/// that `POST /api/v1/news2` gives for the monitor the run shows, to a passing score; refusals name their reason.
#[tokio::test]
async fn the_player_has_a_json_api_twin() {
    use lantern_store::Scope;
    for (name, store, _dir) in crate::demo_backends(60, 3).await {
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let org = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let mut learner =
            Client::signed_in(&app, "learner@demo.lantern.test", "learner-demo-password").await;
        let base = "/api/v1/organisations/RJ1/simulations";
        let res = learner
            .post_json(&format!("{base}/sepsis-post-op/runs"), &json!({}))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{name}: {}", res.body);
        let v = res.json();
        let run = v["id"].as_i64().unwrap();
        assert_eq!(
            (v["seq"].as_u64(), v["clock"]["at_seconds"].as_u64()),
            (Some(0), Some(0)),
            "{name}: {v}"
        );
        assert!(v["clock"]["speed"].is_null(), "{name}: paused");
        assert!(v["score"].is_null());
        clock_started_minutes_ago(&store, org.id, run, 10).await;
        let url = format!("{base}/runs/{run}");
        let v = learner.get(&url).await.json();
        assert!(
            v["clock"]["at_seconds"].as_u64().unwrap() >= 600,
            "{name}: {v}"
        );
        let m = &v["monitor"];
        let observations = json!({
            "respiration_rate": m["respiration_rate"], "spo2": m["spo2"], "spo2_scale": m["spo2_scale"],
            "on_oxygen": !m["oxygen_target"].is_null(), "systolic_bp": m["systolic_bp"], "pulse": m["pulse"],
            "consciousness": m["consciousness"], "temperature": m["temperature"],
        });
        let news2 = learner.post_json("/api/v1/news2", &observations).await;
        assert_eq!(news2.status, StatusCode::OK, "{name}: {}", news2.body);
        let total = news2.json()["total"].as_u64().unwrap();

        let act = |seq: u64, action: Value| json!({ "seq": seq, "action": action });
        let res = learner
            .post_json(
                &format!("{url}/actions"),
                &act(1, json!({"do": "record_observations", "news2": total})),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        assert_eq!(res.json()["seq"], 2);
        // Refused, naming why; nothing stored.
        for (body, reason) in [
            (
                act(2, json!({"do": "accept", "event": "nothing"})),
                "no AI suggestion",
            ),
            (act(1, json!({"do": "observe"})), "another window"),
            (act(2, json!({"do": "dance"})), "unknown variant"),
        ] {
            let res = learner.post_json(&format!("{url}/actions"), &body).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: {body}");
            assert!(res.body.contains(reason), "{name}: {reason}: {}", res.body);
        }
        let sbar = json!({"situation": "NEWS2 rising, rigors", "background": "Day 2 after anterior resection",
            "assessment": "Possible sepsis", "recommendation": "Review within 30 minutes"});
        let mut seq = 2;
        for action in [
            json!({"do": "observe"}),
            json!({"do": "escalate", "to": "registrar", "sbar": sbar}),
            json!({"do": "blood_cultures"}),
            json!({"do": "lactate"}),
            json!({"do": "antibiotics"}),
            json!({"do": "fluids"}),
            json!({"do": "oxygen", "target": "94-98"}),
            json!({"do": "document", "note": "Escalated; Sepsis Six started"}),
        ] {
            let res = learner
                .post_json(&format!("{url}/actions"), &act(seq, action.clone()))
                .await;
            assert_eq!(res.status, StatusCode::OK, "{name}: {action}: {}", res.body);
            seq += 1;
        }
        let v = learner.get(&url).await.json();
        assert_eq!(v["timeline"].as_array().unwrap().len(), 9, "{name}");
        assert!(
            v["notes"].to_string().contains("cold and shivery"),
            "{name}: looking at her found the phase's note"
        );
        let res = learner
            .post_json(&format!("{url}/clock"), &json!({"seq": seq, "speed": "3"}))
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        let res = learner
            .post_json(
                &format!("{url}/clock"),
                &json!({"seq": seq, "speed": "pause"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        assert!(res.json()["clock"]["speed"].is_null(), "{name}");
        let res = learner.post_json(&format!("{url}/end"), &json!({})).await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        let v = res.json();
        assert_eq!(v["score"]["passed"], true, "{name}: {}", v["score"]);
        // The page says the same.
        let page = learner
            .get(&format!("/orgs/RJ1/simulations/runs/{run}"))
            .await;
        assert!(
            page.body
                .contains(&format!("Passed: {}%", v["score"]["percent"])),
            "{name}"
        );
    }
}
