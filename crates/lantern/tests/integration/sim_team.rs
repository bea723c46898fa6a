//! The team sepsis scenario played by two learners at once (the demo's nurse and doctor): one starts it in a role
//! and shares the join link, the other joins in the other role; the clock waits for both; each takes only their
//! role's actions on one shared timeline; each is scored on their part, and each who passes has it recorded.

use crate::test_auth;
use crate::web::Client;
use axum::http::StatusCode;
use lantern_store::Scope;
use serde_json::json;

const NURSE: (&str, &str) = ("learner@demo.lantern.test", "learner-demo-password");
const DOCTOR: (&str, &str) = ("doctor@demo.lantern.test", "doctor-demo-password");

/// Sets a team run's clock going at normal speed `minutes` ago, as the nurse (so the test does not wait); a team
/// run's events must say who took them.
async fn clock_started_minutes_ago(
    store: &std::sync::Arc<dyn lantern_store::Store>,
    org: lantern_domain::OrgId,
    run: i64,
    minutes: i64,
) {
    use lantern_store::sims::{EventKind, NewEvent};
    let unnamed = NewEvent {
        seq: 0,
        kind: EventKind::Control,
        sim_at: 0,
        body: "{}",
        now: chrono::Utc::now(),
        role: None,
    };
    let refused = store
        .append_sim_event(&Scope::Platform, org, run, unnamed)
        .await;
    assert!(refused.is_err(), "{refused:?}");
    crate::sim::clock_started_minutes_ago_as(store, org, run, minutes, Some("nurse")).await;
}

async fn act(c: &mut Client, url: &str, seq: u32, fields: &[(&str, &str)]) -> crate::web::Response {
    let s = seq.to_string();
    let mut all = vec![("seq", s.as_str())];
    all.extend_from_slice(fields);
    c.post_form(&format!("{url}/act"), &all, None).await
}

/// The join link in the player's page.
fn join_link(body: &str) -> String {
    let at = body.find("/simulations/join/").expect("a join link");
    let rest = &body[at..];
    let end = rest.find('"').unwrap();
    format!("/orgs/RJ1{}", &rest[..end])
}

#[tokio::test]
async fn a_nurse_and_a_doctor_play_the_team_scenario_together() {
    for (name, store, _dir) in crate::demo_backends(60, 3).await {
        let state = lantern_web::AppState::new(store.clone(), test_auth());
        let app = lantern_web::app(state.clone());
        let org = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let mut nurse = Client::signed_in(&app, NURSE.0, NURSE.1).await;
        let mut doctor = Client::signed_in(&app, DOCTOR.0, DOCTOR.1).await;
        let person_of = |email: &'static str| {
            let store = store.clone();
            async move {
                store
                    .account_by_email(email)
                    .await
                    .unwrap()
                    .unwrap()
                    .person_id
                    .unwrap()
            }
        };
        let (nurse_person, doctor_person) = (person_of(NURSE.0).await, person_of(DOCTOR.0).await);

        let list = nurse.get("/orgs/RJ1/simulations").await;
        assert!(
            list.body
                .contains("For 2 colleagues at once: registered nurse and foundation doctor"),
            "{name}"
        );
        let brief = nurse.get("/orgs/RJ1/simulations/sepsis-post-op-team").await;
        assert!(
            brief.body.contains("Start as the registered nurse"),
            "{name}"
        );
        let start = "/orgs/RJ1/simulations/sepsis-post-op-team/start";
        for (fields, reason) in [
            (vec![], "role: choose the role you will play"),
            (
                vec![("role", "surgeon")],
                "is not a role in this simulation",
            ),
        ] {
            let res = nurse.post_form(start, &fields, None).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: {fields:?}");
            assert!(res.body.contains(reason), "{name}: {}", res.body);
        }
        // A scenario played alone takes no role.
        let res = nurse
            .post_form(
                "/orgs/RJ1/simulations/sepsis-post-op/start",
                &[("role", "nurse")],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");

        let res = nurse.post_form(start, &[("role", "nurse")], None).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let url = res.location().to_owned();
        let run: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
        let page = nurse.get(&url).await;
        assert!(page.body.contains("You are the registered nurse"), "{name}");
        assert!(
            page.body.contains("waiting for a colleague to join"),
            "{name}"
        );
        let join = join_link(&page.body);
        // Nothing starts until the doctor is here.
        let res = nurse
            .post_form(
                &format!("{url}/clock"),
                &[("seq", "0"), ("speed", "1")],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body
                .contains("Waiting for a colleague to join as foundation doctor"),
            "{name}"
        );
        let res = act(&mut nurse, &url, 0, &[("do", "observe")]).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        let res = nurse.post_form(&format!("{url}/end"), &[], None).await;
        assert_eq!(
            res.status,
            StatusCode::BAD_REQUEST,
            "{name}: nothing to score yet"
        );
        // The run is not the doctor's until they join; a manager cannot join (no learner).
        assert_eq!(
            doctor.get(&url).await.status,
            StatusCode::NOT_FOUND,
            "{name}"
        );
        let mut manager =
            Client::signed_in(&app, "manager@demo.lantern.test", "manager-demo-password").await;
        assert_eq!(
            manager.get(&join).await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
        // A made-up code opens nothing.
        let res = doctor
            .get("/orgs/RJ1/simulations/join/0123456789abcdef0123456789abcdef")
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{name}");

        let invite = doctor.get(&join).await;
        assert_eq!(invite.status, StatusCode::OK, "{name}");
        assert!(
            invite.body.contains("Join as the foundation doctor"),
            "{name}"
        );
        assert!(
            !invite.body.contains("Join as the registered nurse"),
            "{name}: taken"
        );
        let res = doctor.post_form(&join, &[("role", "nurse")], None).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body.contains("the nurse role has been taken"),
            "{name}: {}",
            res.body
        );
        let res = doctor.post_form(&join, &[("role", "doctor")], None).await;
        assert_eq!(
            (res.status, res.location()),
            (StatusCode::SEE_OTHER, url.as_str()),
            "{name}"
        );
        // Joining again is going back to the run.
        assert_eq!(doctor.get(&join).await.location(), url, "{name}");

        // Twelve minutes in (the clock set going then, by the nurse).
        clock_started_minutes_ago(&store, org.id, run, 12).await;
        let stored = store.sim_run(&Scope::Platform, org.id, run).await.unwrap();
        let scenario = lantern_sim::scenario::parse("s", &stored.scenario_body).unwrap();
        let engine = lantern_sim::engine::Run::new(&scenario, stored.seed);
        let news2 = engine
            .shown(&engine.trace(12), 12)
            .unwrap()
            .news2
            .to_string();

        // Each sees only their role's actions.
        let doctor_page = doctor.get(&url).await;
        assert!(
            doctor_page
                .body
                .contains("Your actions as the foundation doctor"),
            "{name}"
        );
        assert!(doctor_page.body.contains("value=\"antibiotics\""), "{name}");
        assert!(
            !doctor_page.body.contains("value=\"record_observations\""),
            "{name}"
        );
        let nurse_page = nurse.get(&url).await;
        assert!(
            nurse_page.body.contains("value=\"record_observations\""),
            "{name}"
        );
        assert!(!nurse_page.body.contains("value=\"antibiotics\""), "{name}");
        // And the server holds them to it.
        let res = act(&mut nurse, &url, 1, &[("do", "antibiotics")]).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body.contains("does not take antibiotics"),
            "{name}: {}",
            res.body
        );

        let sbar = [
            ("situation", "NEWS2 rising, rigors"),
            ("background", "Day 2 after anterior resection"),
            ("assessment", "Possible sepsis"),
            ("recommendation", "Please review her now"),
        ];
        let mut escalate = vec![("do", "escalate"), ("to", "ward_doctor")];
        escalate.extend_from_slice(&sbar);
        // Both act on pages drawn at event 1: a colleague's action in between does not stop either of them.
        let nurse_steps: Vec<Vec<(&str, &str)>> = vec![
            vec![("do", "record_observations"), ("news2", &news2)],
            escalate,
            vec![("do", "oxygen"), ("target", "94-98")],
            vec![("do", "document"), ("note", "Escalated to the ward doctor")],
        ];
        let doctor_steps: Vec<Vec<(&str, &str)>> = vec![
            vec![("do", "blood_cultures")],
            vec![("do", "lactate")],
            vec![("do", "antibiotics")],
            vec![("do", "fluids")],
            vec![("do", "document"), ("note", "Sepsis Six started")],
        ];
        let mut seq = 1;
        let res = act(&mut nurse, &url, seq, &nurse_steps[0]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let res = act(&mut doctor, &url, seq, &doctor_steps[0]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        // But one's own earlier page (a second window, a double click) is refused.
        let res = act(&mut nurse, &url, seq, &[("do", "observe")]).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(res.body.contains("another window"), "{name}: {}", res.body);
        seq = 3;
        for step in nurse_steps.iter().skip(1) {
            let res = act(&mut nurse, &url, seq, step).await;
            assert_eq!(
                res.status,
                StatusCode::SEE_OTHER,
                "{name}: {step:?}: {}",
                res.body
            );
            seq += 1;
        }
        for step in doctor_steps.iter().skip(1) {
            let res = act(&mut doctor, &url, seq, step).await;
            assert_eq!(
                res.status,
                StatusCode::SEE_OTHER,
                "{name}: {step:?}: {}",
                res.body
            );
            seq += 1;
        }
        let doctor_page = doctor.get(&url).await;
        assert!(
            doctor_page.body.contains("What the team has done"),
            "{name}"
        );
        let stored = store.sim_run(&Scope::Platform, org.id, run).await.unwrap();
        let nurse_name = &stored.team.as_ref().unwrap().members[0].name;
        assert!(
            doctor_page.body.contains(&format!(
                "Registered nurse ({nurse_name}): Escalated to ward doctor"
            )),
            "{name}: {}",
            doctor_page.body
        );

        // The JSON twin shows the team as the caller sees it.
        let v = doctor
            .get(&format!("/api/v1/organisations/RJ1/simulations/runs/{run}"))
            .await
            .json();
        assert_eq!(v["team"]["role"], "doctor", "{name}: {v}");
        assert_eq!(v["team"]["members"].as_array().unwrap().len(), 2, "{name}");
        assert_eq!(v["team"]["open_roles"], json!([]), "{name}");

        // Either may end it, for both; each reads their own part's debrief and the team's result.
        let res = doctor.post_form(&format!("{url}/end"), &[], None).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        let debrief = nurse.get(&url).await;
        assert!(
            debrief.body.contains("This score is the registered nurse"),
            "{name}"
        );
        assert!(debrief.body.contains("Passed:"), "{name}: {}", debrief.body);
        let debrief = doctor.get(&url).await;
        assert!(
            debrief.body.contains("This score is the foundation doctor"),
            "{name}"
        );
        assert!(debrief.body.contains("Passed:"), "{name}: {}", debrief.body);

        let stored = store.sim_run(&Scope::Platform, org.id, run).await.unwrap();
        let members = &stored.result.as_ref().unwrap().members;
        assert_eq!(members.len(), 2, "{name}");
        assert!(members.iter().all(|m| m.passed), "{name}");
        // Each who passed has the competency recorded, from this run.
        for person in [nurse_person, doctor_person] {
            let bundle = store
                .person(&Scope::Platform, org.id, person)
                .await
                .unwrap();
            let from_run = bundle
                .records
                .iter()
                .filter(|r| r.record.subject == "clinical.deterioration")
                .filter(|r| {
                    r.record.evidence_ref.as_deref() == Some(&format!("simulation run {run}"))
                })
                .count();
            assert_eq!(from_run, 1, "{name}: {person:?}");
            let runs = store
                .sim_runs(&Scope::Platform, org.id, person)
                .await
                .unwrap();
            let mine = runs
                .iter()
                .find(|r| r.id == run)
                .expect("listed for each member");
            assert!(
                mine.role.is_some() && mine.result.is_some_and(|(_, passed, _)| passed),
                "{name}"
            );
        }
        // Results across learners count each member once.
        let ended = store
            .ended_sim_runs(&Scope::Platform, org.id)
            .await
            .unwrap();
        let people: Vec<_> = ended
            .iter()
            .filter(|e| e.id == run)
            .map(|e| e.person)
            .collect();
        assert_eq!(people.len(), 2, "{name}");
        assert!(
            people.contains(&nurse_person) && people.contains(&doctor_person),
            "{name}"
        );

        // Statements by each actor: the joiner's attempt, each one's actions, and each one's result.
        let statements =
            lantern_web::xapi::cmi5::registration_statements(&state, org.id, &stored.registration)
                .await
                .unwrap();
        let actors: std::collections::BTreeSet<String> = statements
            .iter()
            .map(|s| s["actor"]["account"]["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(actors.len(), 2, "{name}");
        let verbs = |v: &str| {
            statements
                .iter()
                .filter(|s| s["verb"]["id"].as_str().unwrap().ends_with(v))
                .count()
        };
        assert_eq!(
            (verbs("attempted"), verbs("passed"), verbs("completed")),
            (2, 2, 2),
            "{name}"
        );
        assert_eq!(verbs("interacted"), 9, "{name}");

        // The nurse's manager reads the nurse's part from the nurse's page.
        let overseen = format!("/orgs/RJ1/people/{}/simulations/{run}", nurse_person.0);
        let res = manager.get(&overseen).await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        assert!(
            res.body.contains("This score is the registered nurse"),
            "{name}"
        );

        // Through the API: the doctor starts a run as the doctor; the nurse joins it by its code.
        let base = "/api/v1/organisations/RJ1/simulations";
        let res = doctor
            .post_json(&format!("{base}/sepsis-post-op-team/runs"), &json!({}))
            .await;
        assert_eq!(
            res.status,
            StatusCode::BAD_REQUEST,
            "{name}: a role is needed"
        );
        let res = doctor
            .post_json(
                &format!("{base}/sepsis-post-op-team/runs?role=doctor"),
                &json!({}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{name}: {}", res.body);
        let v = res.json();
        assert_eq!(v["team"]["open_roles"], json!(["nurse"]), "{name}");
        let code = v["team"]["join_code"].as_str().unwrap().to_owned();
        let res = nurse
            .post_json(&format!("{base}/join/{code}?role=doctor"), &json!({}))
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: taken");
        let res = nurse
            .post_json(&format!("{base}/join/{code}?role=nurse"), &json!({}))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        assert_eq!(res.json()["team"]["role"], "nurse", "{name}");
    }
}
