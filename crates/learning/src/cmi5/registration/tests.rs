use super::*;
use crate::cmi5::launch::{
    self, Actor, AuInRegistration, Launch, LaunchMode, LaunchSetup, WaiveReason,
};
use crate::cmi5::{Au, AuResult, Session};
use serde_json::json;

const BASE: &str = "https://lantern.example/xapi/activities/cmi5/course-9";
const REG: &str = "3c0a1d6e-5b2f-4e8a-9d71-0f6b2c4a8e13";

fn course() -> CourseStructure {
    CourseStructure::parse(
        br#"<courseStructure><course id="https://example.org/c"><title><langstring lang="en">C</langstring></title></course>
        <block id="https://example.org/c/b"><title><langstring lang="en">B</langstring></title>
          <au id="https://example.org/c/au/1" moveOn="Completed"><url>a.html</url></au>
          <au id="https://example.org/c/au/2" moveOn="Passed" masteryScore="0.5"><url>b.html</url></au>
        </block></courseStructure>"#,
    )
    .unwrap()
}

fn actor() -> Actor {
    Actor {
        home_page: "https://lantern.example".into(),
        name: "person-17".into(),
    }
}

fn launch(au: &Au, session: &str) -> Launch {
    Launch::new(
        au,
        LaunchSetup {
            au: AuInRegistration {
                actor: actor(),
                registration: REG.into(),
                publisher_id: au.id.clone(),
                activity_id: launch::lms_activity_id(BASE, NodeKind::Au, &au.id),
            },
            content_url: au.url.resolve("https://content.lantern.example/p/9"),
            endpoint: "https://lantern.example/xapi/".into(),
            fetch: "https://lantern.example/cmi5/fetch/one-time".into(),
            session_id: session.into(),
            launch_mode: LaunchMode::Normal,
            return_url: None,
        },
    )
    .unwrap()
}

/// An AU statement built from the launch, as the AU would send it.
fn from_au(l: &Launch, n: u32, verb: Verb, result: Option<Value>) -> Value {
    let mut context = l.context_template();
    context["registration"] = json!(REG);
    let mut cats = vec![json!({"id": vocab::CATEGORY_CMI5})];
    if matches!(verb, Verb::Completed | Verb::Passed | Verb::Failed) {
        cats.push(json!({"id": vocab::CATEGORY_MOVE_ON}));
    }
    context["contextActivities"]["category"] = json!(cats);
    if let (Some(m), Verb::Passed | Verb::Failed) = (l.mastery_score, verb) {
        context["extensions"][vocab::EXT_MASTERY_SCORE] = json!(m);
    }
    let mut st = json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "timestamp": "2026-12-06T10:00:00Z",
        "actor": l.au.actor.to_json(),
        "verb": {"id": verb.iri()},
        "object": {"id": l.au.activity_id},
        "context": context,
    });
    if let Some(r) = result {
        st["result"] = r;
    }
    st
}

#[test]
fn a_registration_is_read_back_from_its_statements_and_says_what_to_issue() {
    let c = course();
    let aus = c.aus();
    let mut log: Vec<Value> = Vec::new();
    assert!(RegistrationState::read(&c, BASE, &log).due(&c).is_empty());

    // AU 1: launched, initialized, completed, terminated.
    let l1 = launch(aus[0], "s1");
    log.push(l1.launched(
        "10000000-0000-4000-8000-000000000001",
        "2026-12-06T09:59:00Z",
    ));
    let mut s1 = Session::new(l1.clone(), AuResult::default());
    for st in [
        from_au(&l1, 1, Verb::Initialized, None),
        from_au(
            &l1,
            2,
            Verb::Completed,
            Some(json!({"completion": true, "duration": "PT1M"})),
        ),
        from_au(&l1, 3, Verb::Terminated, Some(json!({"duration": "PT2M"}))),
    ] {
        s1.accept(&st).unwrap();
        log.push(st);
    }
    let state = RegistrationState::read(&c, BASE, &log);
    assert!(state.results["https://example.org/c/au/1"].completed);
    assert!(!state.course_satisfied(&c));
    assert!(state.due(&c).is_empty(), "AU 2 still to pass");

    // AU 2: a failed session (abandoned by a new launch), then a waiver.
    let l2 = launch(aus[1], "s2");
    let before = RegistrationState::read(&c, BASE, &log).results[&aus[1].id];
    let mut s2 = Session::new(l2.clone(), before);
    for st in [
        from_au(&l2, 4, Verb::Initialized, None),
        from_au(
            &l2,
            5,
            Verb::Failed,
            Some(json!({"success": false, "score": {"scaled": 0.2}, "duration": "PT1M"})),
        ),
    ] {
        s2.accept(&st).unwrap();
        log.push(st);
    }
    log.push(
        s2.abandon(
            "10000000-0000-4000-8000-000000000002",
            "2026-12-06T10:30:00Z",
            std::time::Duration::from_secs(60),
        )
        .unwrap(),
    );
    let state = RegistrationState::read(&c, BASE, &log);
    assert!(state.results[&aus[1].id].failed && !state.results[&aus[1].id].passed);
    log.push(launch::waived(
        &l2.au,
        &WaiveReason::Administrative,
        "10000000-0000-4000-8000-000000000003",
        "2026-12-06T11:00:00Z",
        "s-waiver",
    ));

    let state = RegistrationState::read(&c, BASE, &log);
    assert!(state.course_satisfied(&c));
    let due = state.due(&c);
    assert_eq!(
        due.iter()
            .map(|d| d.publisher_id.as_str())
            .collect::<Vec<_>>(),
        ["https://example.org/c/b", "https://example.org/c"]
    );
    for (i, d) in due.iter().enumerate() {
        let lms_id = launch::lms_activity_id(BASE, d.kind, &d.publisher_id);
        log.push(launch::satisfied(
            &actor(),
            REG,
            d,
            &lms_id,
            &format!("10000000-0000-4000-8000-00000000001{i}"),
            "2026-12-06T11:00:01Z",
            "s-waiver",
        ));
    }
    let state = RegistrationState::read(&c, BASE, &log);
    assert_eq!(state.satisfied.len(), 2);
    assert!(
        state.due(&c).is_empty(),
        "each satisfied once per registration"
    );
}
