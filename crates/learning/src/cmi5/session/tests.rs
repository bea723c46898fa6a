use super::*;
use crate::cmi5::launch::tests::{spec_au, spec_setup};
use crate::cmi5::launch::{self, Launch, NodeKind, WaiveReason};
use crate::cmi5::{AuUrl, CourseStructure, MoveOn};
use lantern_xapi::{Version, validate_statement};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

fn launch() -> Launch {
    let au = spec_au();
    Launch::new(&au, spec_setup(&au)).unwrap()
}

/// A statement as an AU sends it: the launch's actor and activity id, `context` from the contextTemplate with the
/// registration added, and for a cmi5 verb the cmi5 category (and the moveOn one when the result has success or
/// completion), as the cmi5 specification's sections 9.4 to 9.6 and the `@xapi/cmi5` client build them.
fn au_statement(l: &Launch, n: u32, verb: &str, result: Option<Value>) -> Value {
    let mut context = l.launch_data().context_template;
    context["registration"] = json!(l.au.registration);
    let defined = Verb::from_iri(verb).is_some();
    if defined {
        let mut cats = vec![json!({"id": vocab::CATEGORY_CMI5})];
        let r = result.as_ref();
        if r.is_some_and(|r| r.get("success").is_some() || r.get("completion").is_some()) {
            cats.push(json!({"id": vocab::CATEGORY_MOVE_ON}));
        }
        context["contextActivities"]["category"] = json!(cats);
        if let Some(m) = l
            .mastery_score
            .filter(|_| r.is_some_and(|r| r.get("score").is_some()))
        {
            context["extensions"][vocab::EXT_MASTERY_SCORE] = json!(m);
        }
    }
    let mut st = json!({
        "id": format!("2b6b1a9e-0000-4000-8000-{n:012}"),
        "timestamp": format!("2026-12-06T10:{:02}:00.000Z", n % 60),
        "actor": {"objectType": "Agent", "account": {"homePage": "http://www.example.com", "name": "1625378"}},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit('/').next().unwrap()}},
        "object": {"objectType": "Activity", "id": l.au.activity_id},
        "context": context,
    });
    if let Some(r) = result {
        st["result"] = r;
    }
    validate_statement(&st, Version::V1_0_3).expect("the test's statements are valid xAPI");
    st
}

const INITIALIZED: &str = "http://adlnet.gov/expapi/verbs/initialized";
const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
const FAILED: &str = "http://adlnet.gov/expapi/verbs/failed";
const TERMINATED: &str = "http://adlnet.gov/expapi/verbs/terminated";
const EXPERIENCED: &str = "http://adlnet.gov/expapi/verbs/experienced";

fn initialized(l: &Launch) -> Value {
    au_statement(l, 1, INITIALIZED, None)
}
fn completed(l: &Launch) -> Value {
    au_statement(
        l,
        2,
        COMPLETED,
        Some(json!({"completion": true, "duration": "PT4M30S"})),
    )
}
fn passed(l: &Launch, scaled: f64) -> Value {
    au_statement(
        l,
        3,
        PASSED,
        Some(json!({"success": true, "score": {"scaled": scaled}, "duration": "PT5M"})),
    )
}
fn failed(l: &Launch, scaled: f64) -> Value {
    au_statement(
        l,
        4,
        FAILED,
        Some(json!({"success": false, "score": {"scaled": scaled}, "duration": "PT5M"})),
    )
}
fn terminated(l: &Launch) -> Value {
    au_statement(l, 5, TERMINATED, Some(json!({"duration": "PT6M"})))
}

#[test]
fn a_full_session_satisfies_completed_and_passed_and_then_the_block_and_course() {
    // A course whose one block holds this AU (moveOn CompletedAndPassed, masteryScore 0.8).
    let xml = format!(
        r#"<courseStructure><course id="https://example.org/course"><title><langstring lang="en">C</langstring></title></course>
        <block id="https://example.org/course/block"><title><langstring lang="en">B</langstring></title>
        <au id="{}" moveOn="CompletedAndPassed" masteryScore="0.8"><url>http://www.example.com/LA1/Start.html</url></au>
        </block></courseStructure>"#,
        spec_au().id
    );
    let course = CourseStructure::parse(xml.as_bytes()).unwrap();
    let au = course.aus()[0].clone();
    assert_eq!(
        au.url,
        AuUrl::External("http://www.example.com/LA1/Start.html".into())
    );
    let l = Launch::new(&au, spec_setup(&au)).unwrap();
    let launched = l.launched(
        "9d0f3c1a-0000-4000-8000-000000000000",
        "2026-12-06T09:59:59Z",
    );
    validate_statement(&launched, Version::V1_0_3).unwrap();

    let mut s = Session::new(l.clone(), AuResult::default());
    assert_eq!(s.phase(), Phase::Launched);
    let a = s.accept(&initialized(&l)).unwrap();
    assert_eq!(
        (a.verb, a.satisfied_now, s.phase()),
        (Some(Verb::Initialized), false, Phase::Initialized)
    );
    let a = s.accept(&completed(&l)).unwrap();
    assert!(
        a.result.completed && !a.satisfied_now,
        "completed alone is not CompletedAndPassed"
    );
    // A "cmi5 allowed" statement between them: recorded, counts for nothing.
    let a = s.accept(&au_statement(&l, 9, EXPERIENCED, None)).unwrap();
    assert_eq!(a.verb, None);
    let a = s.accept(&passed(&l, 0.92)).unwrap();
    assert!(a.satisfied_now, "completed and passed: moveOn met");
    let a = s.accept(&terminated(&l)).unwrap();
    assert!(a.ended && !a.satisfied_now);
    assert_eq!(s.phase(), Phase::Terminated);
    assert!(!s.is_open());
    let result = s.result();
    assert_eq!(
        result,
        AuResult {
            completed: true,
            passed: true,
            ..AuResult::default()
        }
    );
    assert!(result.satisfies(MoveOn::CompletedAndPassed));

    // The LMS then issues "satisfied" for the block, then the course, once each.
    let results = BTreeMap::from([(au.id.clone(), result)]);
    let due = course.newly_satisfied(&results, &BTreeSet::new());
    assert_eq!(
        due.iter()
            .map(|d| (d.kind, d.publisher_id.as_str()))
            .collect::<Vec<_>>(),
        [
            (NodeKind::Block, "https://example.org/course/block"),
            (NodeKind::Course, "https://example.org/course")
        ]
    );
    let already: BTreeSet<String> = due.iter().map(|d| d.publisher_id.clone()).collect();
    assert!(course.newly_satisfied(&results, &already).is_empty());
    for (i, d) in due.iter().enumerate() {
        let lms_id = launch::lms_activity_id(
            "https://lantern.example/xapi/activities/cmi5/1",
            d.kind,
            &d.publisher_id,
        );
        let st = launch::satisfied(
            &l.au.actor,
            &l.au.registration,
            d,
            &lms_id,
            &format!("9d0f3c1a-0000-4000-8000-00000000001{i}"),
            "2026-12-06T10:06:01Z",
            &l.session_id,
        );
        validate_statement(&st, Version::V1_0_3).unwrap();
    }

    // The statements of the registration, read back, add up to the same result.
    let all = [
        launched,
        initialized(&l),
        completed(&l),
        passed(&l, 0.92),
        terminated(&l),
    ];
    assert_eq!(AuResult::from_statements(&l.au.activity_id, &all), result);
    assert_eq!(
        AuResult::from_statements("http://other.example/au", &all),
        AuResult::default()
    );
}

#[test]
fn passed_below_the_mastery_score_and_failed_at_it_are_refused() {
    let l = launch();
    let mut s = Session::new(l.clone(), AuResult::default());
    s.accept(&initialized(&l)).unwrap();
    let e = s.accept(&passed(&l, 0.79)).unwrap_err();
    assert_eq!(e.section, "9.3.4", "{e}");
    assert!(e.reason.contains("0.79") && e.reason.contains("0.8"), "{e}");
    let e = s.accept(&failed(&l, 0.8)).unwrap_err();
    assert_eq!(e.section, "9.3.5", "{e}");
    // At the mastery score exactly, passed is right; and nothing refused was taken in.
    let a = s.accept(&passed(&l, 0.8)).unwrap();
    assert!(a.result.passed);
    assert_eq!(Rejection::HTTP_STATUS, 403);
}

#[test]
fn nothing_is_accepted_after_terminated() {
    let l = launch();
    let mut s = Session::new(l.clone(), AuResult::default());
    s.accept(&initialized(&l)).unwrap();
    s.accept(&terminated(&l)).unwrap();
    for late in [
        completed(&l),
        au_statement(&l, 7, EXPERIENCED, None),
        terminated(&l),
    ] {
        let e = s.accept(&late).unwrap_err();
        assert_eq!(e.section, "9.3.8", "{e}");
    }
    assert_eq!(s.result(), AuResult::default());
}

#[test]
fn the_first_statement_must_be_initialized() {
    let l = launch();
    for first in [
        completed(&l),
        au_statement(&l, 7, EXPERIENCED, None),
        terminated(&l),
    ] {
        let mut s = Session::new(l.clone(), AuResult::default());
        let e = s.accept(&first).unwrap_err();
        assert_eq!(e.section, "9.3.2", "{e}");
        assert_eq!(s.phase(), Phase::Launched);
    }
    let mut s = Session::new(l.clone(), AuResult::default());
    s.accept(&initialized(&l)).unwrap();
    let e = s.accept(&initialized(&l)).unwrap_err();
    assert!(e.section == "9.3" && e.reason.contains("already"), "{e}");
}

#[test]
fn a_new_launch_abandons_a_session_left_open() {
    let l = launch();
    let mut old = Session::new(l.clone(), AuResult::default());
    old.accept(&initialized(&l)).unwrap();
    old.accept(&completed(&l)).unwrap();
    // The learner closed the window; a new launch in the same registration finds the old session open.
    assert!(old.is_open());
    let st = old
        .abandon(
            "e0e0e0e0-0000-4000-8000-000000000001",
            "2026-12-06T11:00:00Z",
            Duration::from_secs(300),
        )
        .expect("an open session is abandoned");
    validate_statement(&st, Version::V1_0_3).unwrap();
    assert_eq!(
        st["verb"]["id"],
        "https://w3id.org/xapi/adl/verbs/abandoned"
    );
    assert_eq!(st["object"]["id"], l.au.activity_id);
    assert_eq!(st["result"]["duration"], "PT300S");
    assert_eq!(
        st["context"]["extensions"][vocab::EXT_SESSION_ID],
        l.session_id
    );
    assert_eq!(st["context"]["registration"], l.au.registration);
    assert_eq!(old.phase(), Phase::Abandoned);
    // One abandoned per session; nothing more from the old session.
    assert!(
        old.abandon(
            "e0e0e0e0-0000-4000-8000-000000000002",
            "2026-12-06T11:00:01Z",
            Duration::ZERO
        )
        .is_none()
    );
    let e = old.accept(&terminated(&l)).unwrap_err();
    assert_eq!(e.section, "9.3.6", "{e}");

    // A terminated session is not abandoned.
    let mut done = Session::new(l.clone(), AuResult::default());
    done.accept_all(&[initialized(&l), terminated(&l)]).unwrap();
    assert!(
        done.abandon(
            "e0e0e0e0-0000-4000-8000-000000000003",
            "2026-12-06T11:00:02Z",
            Duration::ZERO
        )
        .is_none()
    );

    // The new session carries what the registration has: completed stays, and may not be sent again (9.3.3).
    let mut setup = spec_setup(&spec_au());
    setup.session_id = "second-session".into();
    let l2 = Launch::new(&spec_au(), setup).unwrap();
    let mut new = Session::new(l2.clone(), old.result());
    new.accept(&initialized(&l2)).unwrap();
    let e = new.accept(&completed(&l2)).unwrap_err();
    assert_eq!(e.section, "9.3.3", "{e}");
    assert!(new.accept(&passed(&l2, 0.9)).unwrap().satisfied_now);
}

#[test]
fn registration_rules_hold_across_sessions() {
    let l = launch();
    let before = AuResult {
        passed: true,
        ..AuResult::default()
    };
    let mut s = Session::new(l.clone(), before);
    s.accept(&initialized(&l)).unwrap();
    assert_eq!(s.accept(&passed(&l, 0.95)).unwrap_err().section, "9.3.4");
    let e = s.accept(&failed(&l, 0.2)).unwrap_err();
    assert!(e.reason.contains("may not follow"), "{e}");

    // A fail then a pass in later sessions is fine; a pass and a fail in one session is not.
    let mut s = Session::new(
        l.clone(),
        AuResult {
            failed: true,
            ..AuResult::default()
        },
    );
    s.accept(&initialized(&l)).unwrap();
    s.accept(&failed(&l, 0.3)).unwrap();
    let e = s.accept(&passed(&l, 0.9)).unwrap_err();
    assert!(e.reason.contains("not both"), "{e}");
    let mut s = Session::new(
        l.clone(),
        AuResult {
            failed: true,
            ..AuResult::default()
        },
    );
    s.accept(&initialized(&l)).unwrap();
    assert!(s.accept(&passed(&l, 0.9)).unwrap().result.passed);
}

/// Each broken statement, what cmi5 section it breaks and a word the reason must use.
#[test]
fn each_statement_rule_names_its_section() {
    let l = launch();
    type Break = fn(&Launch) -> Value;
    let cases: Vec<(&str, Break, &str, &str)> = vec![
        (
            "completed without duration",
            |l| au_statement(l, 2, COMPLETED, Some(json!({"completion": true}))),
            "9.5.4.1",
            "duration",
        ),
        (
            "terminated without duration",
            |l| au_statement(l, 5, TERMINATED, None),
            "9.5.4.1",
            "duration",
        ),
        (
            "completed with completion false",
            |l| {
                au_statement(
                    l,
                    2,
                    COMPLETED,
                    Some(json!({"completion": false, "duration": "PT1S"})),
                )
            },
            "9.5.3",
            "completion true",
        ),
        (
            "terminated with completion",
            |l| {
                strip_category(
                    au_statement(
                        l,
                        5,
                        TERMINATED,
                        Some(json!({"completion": true, "duration": "PT1S"})),
                    ),
                    vocab::CATEGORY_MOVE_ON,
                )
            },
            "9.5.3",
            "must not",
        ),
        (
            "terminated with the moveOn category",
            |l| add_category(terminated(l), vocab::CATEGORY_MOVE_ON),
            "9.6.2.2",
            "only",
        ),
        (
            "passed with success false",
            |l| {
                au_statement(
                    l,
                    3,
                    PASSED,
                    Some(json!({"success": false, "duration": "PT1S"})),
                )
            },
            "9.5.2",
            "success true",
        ),
        (
            "completed with success",
            |l| {
                au_statement(
                    l,
                    2,
                    COMPLETED,
                    Some(json!({"completion": true, "success": true, "duration": "PT1S"})),
                )
            },
            "9.5.2",
            "must not",
        ),
        (
            "completed with a score",
            |l| {
                au_statement(
                    l,
                    2,
                    COMPLETED,
                    Some(json!({"completion": true, "score": {"scaled": 1.0}, "duration": "PT1S"})),
                )
            },
            "9.5.1",
            "score",
        ),
        (
            "raw score without min and max",
            |l| {
                au_statement(
                    l,
                    3,
                    PASSED,
                    Some(json!({"success": true, "score": {"raw": 9}, "duration": "PT1S"})),
                )
            },
            "9.5.1",
            "min and max",
        ),
        (
            "progress over 100",
            |l| {
                au_statement(
                    l,
                    5,
                    TERMINATED,
                    Some(json!({"duration": "PT1S", "extensions": {vocab::EXT_PROGRESS: 150}})),
                )
            },
            "9.5.5.1",
            "0 to 100",
        ),
        (
            "passed without the moveOn category",
            |l| strip_category(passed(l, 0.9), vocab::CATEGORY_MOVE_ON),
            "9.6.2.2",
            "moveOn",
        ),
        (
            "moveOn category on a cmi5-allowed statement",
            |l| {
                add_category(
                    au_statement(l, 6, EXPERIENCED, None),
                    vocab::CATEGORY_MOVE_ON,
                )
            },
            "9.6.2.2",
            "only",
        ),
        (
            "scored pass without the mastery score extension",
            |l| drop_ext(passed(l, 0.9), vocab::EXT_MASTERY_SCORE),
            "9.6.3.2",
            "mastery",
        ),
        (
            "another session's id",
            |l| {
                set(
                    completed(l),
                    "/context/extensions/https:~1~1w3id.org~1xapi~1cmi5~1context~1extensions~1sessionid",
                    json!("other"),
                )
            },
            "9.6.3.1",
            "session",
        ),
        (
            "another registration",
            |l| {
                set(
                    completed(l),
                    "/context/registration",
                    json!("11111111-2222-4333-8444-555555555555"),
                )
            },
            "9.6.1",
            "registration",
        ),
        (
            "the publisher id left out of the grouping",
            |l| {
                set(
                    completed(l),
                    "/context/contextActivities/grouping",
                    json!([{"id": "https://example.org/x"}]),
                )
            },
            "10.2.1",
            "contextActivities",
        ),
        (
            "another learner",
            |l| set(completed(l), "/actor/account/name", json!("999")),
            "9.2",
            "actor",
        ),
        (
            "an email in place of the account",
            |l| {
                set(
                    completed(l),
                    "/actor",
                    json!({"mbox": "mailto:learner@example.org"}),
                )
            },
            "9.2",
            "actor",
        ),
        (
            "the publisher's id as object",
            |l| set(completed(l), "/object/id", json!(spec_au().id)),
            "9.4",
            "activityId",
        ),
        (
            "a voiding statement",
            |l| {
                set(
                    au_statement(l, 6, EXPERIENCED, None),
                    "/verb/id",
                    json!(vocab::VERB_VOIDED),
                )
            },
            "6.3",
            "void",
        ),
        (
            "an AU claiming a waiver",
            |l| au_statement(l, 6, "https://w3id.org/xapi/adl/verbs/waived", None),
            "9.3",
            "only the LMS",
        ),
        (
            "an unknown verb with the cmi5 category",
            |l| add_category(au_statement(l, 6, EXPERIENCED, None), vocab::CATEGORY_CMI5),
            "9.3",
            "not a cmi5 verb",
        ),
        (
            "no timestamp",
            |l| remove(completed(l), "timestamp"),
            "9.7",
            "timestamp",
        ),
        (
            "a timestamp not in UTC",
            |l| {
                set(
                    completed(l),
                    "/timestamp",
                    json!("2026-12-06T10:00:00+01:00"),
                )
            },
            "9.7",
            "UTC",
        ),
        ("no id", |l| remove(completed(l), "id"), "9.1", "id"),
        (
            "no context",
            |l| remove(completed(l), "context"),
            "9.6",
            "contextTemplate",
        ),
    ];
    for (name, make, section, word) in cases {
        let mut s = Session::new(l.clone(), AuResult::default());
        s.accept(&initialized(&l)).unwrap();
        let before = s.clone();
        let e = s.accept(&make(&l)).expect_err(name);
        assert_eq!(e.section, section, "{name}: {e}");
        assert!(e.reason.contains(word), "{name}: {e}");
        assert_eq!(s, before, "{name}: a refused statement changes nothing");
    }
}

#[test]
fn browse_and_review_modes_record_no_satisfaction() {
    for mode in [LaunchMode::Browse, LaunchMode::Review] {
        let mut setup = spec_setup(&spec_au());
        setup.launch_mode = mode;
        let l = Launch::new(&spec_au(), setup).unwrap();
        let mut s = Session::new(l.clone(), AuResult::default());
        s.accept(&initialized(&l)).unwrap();
        let e = s.accept(&completed(&l)).unwrap_err();
        assert_eq!(e.section, "10.2.2", "{e}");
        assert!(e.reason.contains(mode.as_str()), "{e}");
        s.accept(&terminated(&l)).unwrap();
    }
}

#[test]
fn a_batch_is_all_or_nothing_and_a_session_replays_and_round_trips() {
    let l = launch();
    let mut s = Session::new(l.clone(), AuResult::default());
    let bad = [
        initialized(&l),
        completed(&l),
        passed(&l, 0.1),
        terminated(&l),
    ];
    let (i, e) = s.accept_all(&bad).unwrap_err();
    assert_eq!((i, e.section), (2, "9.3.4"));
    assert_eq!(
        s,
        Session::new(l.clone(), AuResult::default()),
        "nothing of the batch taken in"
    );

    let good = [initialized(&l), completed(&l), passed(&l, 0.85)];
    let accepted = s.accept_all(&good).unwrap();
    assert_eq!(accepted.len(), 3);
    assert!(accepted[2].satisfied_now);
    let again = Session::replay(l.clone(), AuResult::default(), &good).unwrap();
    assert_eq!(again, s);
    let kept: Session = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(kept, s);
    assert!(kept.is_open(), "not yet terminated");
}

#[test]
fn a_waiver_counts_for_the_au_and_its_course() {
    let l = launch();
    let w = launch::waived(
        &l.au,
        &WaiveReason::Administrative,
        "f0f0f0f0-0000-4000-8000-000000000001",
        "2026-12-06T12:00:00Z",
        "waiver-session",
    );
    // An AU's own statement with a waived verb but no cmi5 category would not count (and is refused anyway).
    let r = AuResult::from_statements(&l.au.activity_id, [&w]);
    assert!(r.waived && r.satisfies(MoveOn::CompletedAndPassed));
}

#[test]
fn not_applicable_aus_satisfy_their_block_and_course_at_registration() {
    let xml = r#"<courseStructure><course id="https://example.org/c"><title><langstring lang="en">C</langstring></title></course>
        <block id="https://example.org/c/b1"><title><langstring lang="en">B1</langstring></title>
          <block id="https://example.org/c/b1/inner"><title><langstring lang="en">Inner</langstring></title>
            <au id="https://example.org/c/au/1" moveOn="NotApplicable"><url>a.html</url></au>
          </block>
        </block>
        <block id="https://example.org/c/b2"><title><langstring lang="en">B2</langstring></title>
          <au id="https://example.org/c/au/2" moveOn="Completed"><url>b.html</url></au>
        </block></courseStructure>"#;
    let course = CourseStructure::parse(xml.as_bytes()).unwrap();
    let due = course.newly_satisfied(&BTreeMap::new(), &BTreeSet::new());
    let ids: Vec<&str> = due.iter().map(|d| d.publisher_id.as_str()).collect();
    assert_eq!(
        ids,
        ["https://example.org/c/b1/inner", "https://example.org/c/b1"],
        "inner first; b2 and the course wait"
    );
    let done = BTreeMap::from([(
        "https://example.org/c/au/2".to_string(),
        AuResult {
            completed: true,
            ..AuResult::default()
        },
    )]);
    let already: BTreeSet<String> = ids.iter().map(|s| s.to_string()).collect();
    let due = course.newly_satisfied(&done, &already);
    let ids: Vec<&str> = due.iter().map(|d| d.publisher_id.as_str()).collect();
    assert_eq!(ids, ["https://example.org/c/b2", "https://example.org/c"]);
}

fn set(mut st: Value, pointer: &str, v: Value) -> Value {
    *st.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer}")) = v;
    st
}

fn remove(mut st: Value, key: &str) -> Value {
    st.as_object_mut().unwrap().remove(key);
    st
}

fn drop_ext(mut st: Value, ext: &str) -> Value {
    st["context"]["extensions"]
        .as_object_mut()
        .unwrap()
        .remove(ext);
    st
}

fn add_category(mut st: Value, id: &str) -> Value {
    let cats = st["context"]["contextActivities"]
        .as_object_mut()
        .unwrap()
        .entry("category")
        .or_insert(json!([]));
    cats.as_array_mut().unwrap().push(json!({"id": id}));
    st
}

fn strip_category(mut st: Value, id: &str) -> Value {
    st["context"]["contextActivities"]["category"]
        .as_array_mut()
        .unwrap()
        .retain(|c| c["id"] != id);
    st
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Valid and broken statements an AU might send, in any order.
    fn pool(l: &Launch) -> Vec<Value> {
        vec![
            initialized(l),
            completed(l),
            passed(l, 0.9),
            passed(l, 0.5),
            failed(l, 0.3),
            failed(l, 0.95),
            terminated(l),
            au_statement(l, 6, EXPERIENCED, None),
            au_statement(l, 7, COMPLETED, Some(json!({"completion": true}))),
            au_statement(l, 8, "https://w3id.org/xapi/adl/verbs/waived", None),
        ]
    }

    fn before_strategy() -> impl Strategy<Value = AuResult> {
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(completed, passed, failed)| {
            AuResult {
                completed,
                passed,
                failed,
                waived: false,
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Whatever an AU sends, the session keeps cmi5's order rules, its result only grows, a refusal changes
        /// nothing, a batch is the same as one at a time, and replaying what it accepted rebuilds it.
        #[test]
        fn the_rules_hold_for_any_sequence(
            picks in proptest::collection::vec(0usize..10, 0..14),
            before in before_strategy(),
        ) {
            let l = launch();
            let pool = pool(&l);
            let sent: Vec<Value> = picks.iter().map(|&i| pool[i].clone()).collect();
            let mut s = Session::new(l.clone(), before);
            let mut accepted: Vec<Value> = Vec::new();
            let mut verbs: Vec<Verb> = Vec::new();
            let mut first_refusal = None;
            for (i, st) in sent.iter().enumerate() {
                let was = s.clone();
                match s.accept(st) {
                    Ok(a) => {
                        prop_assert!(was.phase() != Phase::Terminated);
                        if accepted.is_empty() {
                            prop_assert_eq!(a.verb, Some(Verb::Initialized));
                        }
                        let (r0, r1) = (was.result(), a.result);
                        prop_assert!((!r0.completed || r1.completed) && (!r0.passed || r1.passed) && (!r0.failed || r1.failed));
                        if let Some(v) = a.verb { verbs.push(v); }
                        accepted.push(st.clone());
                    }
                    Err(_) => {
                        prop_assert_eq!(&s, &was);
                        first_refusal.get_or_insert(i);
                    }
                }
            }
            let count = |v: Verb| verbs.iter().filter(|x| **x == v).count();
            prop_assert!(count(Verb::Initialized) <= 1 && count(Verb::Terminated) <= 1);
            prop_assert!(count(Verb::Completed) + usize::from(before.completed) <= 1);
            prop_assert!(count(Verb::Passed) + usize::from(before.passed) <= 1);
            prop_assert!(count(Verb::Passed) + count(Verb::Failed) <= 1);
            prop_assert!(!(before.passed && count(Verb::Failed) > 0));
            if let Some(t) = verbs.iter().position(|v| *v == Verb::Terminated) {
                prop_assert_eq!(t, verbs.len() - 1);
            }
            let result = s.result();
            prop_assert!(result.completed == (before.completed || count(Verb::Completed) == 1));
            prop_assert!(result.passed == (before.passed || count(Verb::Passed) == 1));

            let again = Session::replay(l.clone(), before, &accepted).unwrap();
            prop_assert_eq!(&again, &s);

            let mut batch = Session::new(l.clone(), before);
            match (batch.accept_all(&sent), first_refusal) {
                (Ok(_), None) => prop_assert_eq!(&batch, &s),
                (Err((i, _)), Some(j)) => {
                    prop_assert_eq!(i, j);
                    prop_assert_eq!(&batch, &Session::new(l.clone(), before));
                }
                (got, want) => prop_assert!(false, "batch {:?} but one at a time refused {:?}", got.map(|v| v.len()), want),
            }
        }
    }
}
