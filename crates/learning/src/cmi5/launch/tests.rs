use super::*;
use crate::cmi5::{AuUrl, CourseStructure, LaunchMethod};
use lantern_xapi::{Version, validate_statement};

/// The AU of the cmi5 specification's launch example (8.1): `http://www.example.com/LA1/Start.html`.
pub(crate) fn spec_au() -> Au {
    Au {
        id: "http://www.example.com/identifiers/activity/005430bf-b3ba-45e6-b47b-d629603d83d2"
            .into(),
        title: "Intro".into(),
        description: String::new(),
        url: AuUrl::External("http://www.example.com/LA1/Start.html".into()),
        move_on: MoveOn::CompletedAndPassed,
        mastery_score: Some(0.8),
        launch_method: LaunchMethod::AnyWindow,
        launch_parameters: Some(r#"{"mode":"exam"}"#.into()),
        entitlement_key: Some("xyz-123-9999".into()),
        activity_type: None,
    }
}

/// The spec's example values: actor, registration, endpoint and fetch URL (8.1), with an LMS activity id.
pub(crate) fn spec_setup(au: &Au) -> LaunchSetup {
    LaunchSetup {
        au: AuInRegistration {
            actor: Actor {
                home_page: "http://www.example.com".into(),
                name: "1625378".into(),
            },
            registration: "760e3480-ba55-4991-94b0-01820dbd23a2".into(),
            publisher_id: au.id.clone(),
            activity_id: "http://www.example.com/LA1/001/intro".into(),
        },
        content_url: au.url.resolve("unused"),
        endpoint: "http://lrs.example.com/lrslistener/".into(),
        fetch: "http://lms.example.com/tokenGen.htm?k=2390289x0".into(),
        session_id: "4f9d4b3c-2a53-4b8e-9b0c-6a3c1b4b2d10".into(),
        launch_mode: LaunchMode::Normal,
        return_url: Some("http://www.example.com/lms/mod/xapilaunch/view.php?id=12".into()),
    }
}

fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split('#').next().unwrap().split_once('?').unwrap().1;
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

#[test]
fn the_launch_url_carries_the_five_parameters_encoded_as_the_spec_example() {
    let au = spec_au();
    let launch = Launch::new(&au, spec_setup(&au)).unwrap();
    let url = launch.url();
    assert_eq!(
        url,
        "http://www.example.com/LA1/Start.html\
         ?endpoint=http%3A%2F%2Flrs.example.com%2Flrslistener%2F\
         &fetch=http%3A%2F%2Flms.example.com%2FtokenGen.htm%3Fk%3D2390289x0\
         &actor=%7B%22objectType%22%3A%22Agent%22%2C%22account%22%3A%7B%22homePage%22%3A%22http%3A%2F%2Fwww.example.com%22%2C%22name%22%3A%221625378%22%7D%7D\
         &registration=760e3480-ba55-4991-94b0-01820dbd23a2\
         &activityId=http%3A%2F%2Fwww.example.com%2FLA1%2F001%2Fintro"
    );
    // Read back as an AU would: every value decodes to exactly what the LMS meant.
    let pairs = query_pairs(&url);
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).unwrap().1.clone();
    assert_eq!(get("endpoint"), "http://lrs.example.com/lrslistener/");
    assert_eq!(
        get("fetch"),
        "http://lms.example.com/tokenGen.htm?k=2390289x0"
    );
    assert_eq!(get("registration"), "760e3480-ba55-4991-94b0-01820dbd23a2");
    assert_eq!(get("activityId"), "http://www.example.com/LA1/001/intro");
    let actor: Value = serde_json::from_str(&get("actor")).unwrap();
    assert_eq!(
        actor,
        json!({"objectType": "Agent", "account": {"homePage": "http://www.example.com", "name": "1625378"}})
    );
}

#[test]
fn the_aus_own_query_and_fragment_are_kept_and_odd_characters_survive() {
    let mut au = spec_au();
    au.url = AuUrl::Package("au1/index.html?lang=en&x=a+b#start".into());
    let mut setup = spec_setup(&au);
    setup.content_url = au.url.resolve("https://content.lantern.example/p/42/");
    setup.au.actor.name = "Zoë \"O'Brien\" & co + 100% \\".into();
    let launch = Launch::new(&au, setup).unwrap();
    let url = launch.url();
    assert!(
        url.starts_with(
            "https://content.lantern.example/p/42/au1/index.html?lang=en&x=a+b&endpoint="
        ),
        "{url}"
    );
    assert!(url.ends_with("#start"), "{url}");
    let pairs = query_pairs(&url);
    assert_eq!(pairs[0], ("lang".into(), "en".into()));
    let actor = &pairs.iter().find(|(k, _)| k == "actor").unwrap().1;
    let actor: Value = serde_json::from_str(actor).unwrap();
    assert_eq!(actor["account"]["name"], "Zoë \"O'Brien\" & co + 100% \\");
    assert!(!url.contains(' ') && !url.contains('"'), "{url}");
}

#[test]
fn a_launch_refuses_what_8_1_forbids() {
    let au = spec_au();
    type Change = fn(&mut LaunchSetup);
    let cases: [(&str, Change, &str); 6] = [
        (
            "au.activity_id",
            |s| s.au.activity_id = s.au.publisher_id.clone(),
            "8.1.5",
        ),
        (
            "au.registration",
            |s| s.au.registration = "reg-1".into(),
            "not a UUID",
        ),
        (
            "content_url",
            |s| s.content_url = "LA1/Start.html".into(),
            "absolute",
        ),
        (
            "content_url",
            |s| s.content_url = "http://www.example.com/LA1/Start.html?endpoint=x".into(),
            "\"endpoint\"",
        ),
        (
            "fetch",
            |s| s.fetch = "javascript:alert(1)".into(),
            "absolute",
        ),
        (
            "au.publisher_id",
            |s| s.au.publisher_id = "https://other.example/au".into(),
            "not this AU",
        ),
    ];
    for (field, change, reason) in cases {
        let mut setup = spec_setup(&au);
        change(&mut setup);
        let e = Launch::new(&au, setup).expect_err(field);
        assert_eq!(e.field, field, "{e}");
        assert!(e.reason.contains(reason), "{e}");
    }
}

#[test]
fn a_course_whose_au_url_uses_a_launch_parameter_name_is_refused_on_import() {
    let xml = r#"<courseStructure><course id="https://example.org/c"><title><langstring lang="en">C</langstring></title></course>
        <au id="https://example.org/c/au" moveOn="Completed"><url>index.html?activityId=mine</url></au></courseStructure>"#;
    let e = CourseStructure::parse(xml.as_bytes()).unwrap_err();
    assert!(
        e.element.ends_with("au[https://example.org/c/au]/url"),
        "{e}"
    );
    assert!(e.reason.contains("\"activityId\""), "{e}");
}

#[test]
fn launch_data_is_the_document_of_section_10() {
    let au = spec_au();
    let launch = Launch::new(&au, spec_setup(&au)).unwrap();
    let doc = serde_json::to_value(launch.launch_data()).unwrap();
    assert_eq!(
        doc,
        json!({
            "contextTemplate": {
                "contextActivities": {
                    "grouping": [{"objectType": "Activity", "id": au.id}]
                },
                "extensions": {
                    "https://w3id.org/xapi/cmi5/context/extensions/sessionid": "4f9d4b3c-2a53-4b8e-9b0c-6a3c1b4b2d10"
                }
            },
            "launchMode": "Normal",
            "launchParameters": "{\"mode\":\"exam\"}",
            "masteryScore": 0.8,
            "moveOn": "CompletedAndPassed",
            "returnURL": "http://www.example.com/lms/mod/xapilaunch/view.php?id=12",
            "entitlementKey": {"courseStructure": "xyz-123-9999"}
        })
    );
    let back: LaunchData = serde_json::from_value(doc).unwrap();
    assert_eq!(back, launch.launch_data());

    // What the course structure leaves out, the document leaves out (10.2.3, 10.2.4, 10.2.6, 10.2.7).
    let mut plain = spec_au();
    plain.mastery_score = None;
    plain.launch_parameters = None;
    plain.entitlement_key = None;
    plain.move_on = MoveOn::NotApplicable;
    let mut setup = spec_setup(&plain);
    setup.return_url = None;
    setup.launch_mode = LaunchMode::Review;
    let doc = serde_json::to_value(Launch::new(&plain, setup).unwrap().launch_data()).unwrap();
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["contextTemplate", "launchMode", "moveOn"]);
    assert_eq!(doc["launchMode"], "Review");
    assert_eq!(doc["moveOn"], "NotApplicable");
}

#[test]
fn the_launched_statement_carries_the_launch_extensions_and_is_valid_xapi() {
    let au = spec_au();
    let launch = Launch::new(&au, spec_setup(&au)).unwrap();
    let st = launch.launched(
        "5e4d0a51-9c61-4d1e-8b5e-3c1f6f0c2a11",
        "2026-12-06T10:00:00.000Z",
    );
    for v in [Version::V1_0_3, Version::V2_0_0] {
        validate_statement(&st, v).unwrap_or_else(|e| panic!("{v:?}: {e:?}"));
    }
    assert_eq!(st["verb"]["id"], "http://adlnet.gov/expapi/verbs/launched");
    assert_eq!(st["object"]["id"], "http://www.example.com/LA1/001/intro");
    assert_eq!(st["actor"], launch.au.actor.to_json());
    let ctx = &st["context"];
    assert_eq!(ctx["registration"], "760e3480-ba55-4991-94b0-01820dbd23a2");
    assert_eq!(
        ctx["contextActivities"]["category"][0]["id"],
        vocab::CATEGORY_CMI5
    );
    assert_eq!(ctx["contextActivities"]["grouping"][0]["id"], au.id);
    let ext = &ctx["extensions"];
    assert_eq!(
        ext[vocab::EXT_SESSION_ID],
        "4f9d4b3c-2a53-4b8e-9b0c-6a3c1b4b2d10"
    );
    assert_eq!(ext[vocab::EXT_LAUNCH_MODE], "Normal");
    assert_eq!(
        ext[vocab::EXT_LAUNCH_URL],
        "http://www.example.com/LA1/Start.html",
        "without the cmi5 parameters"
    );
    assert_eq!(ext[vocab::EXT_MOVE_ON], "CompletedAndPassed");
    assert_eq!(ext[vocab::EXT_MASTERY_SCORE], 0.8);
    assert_eq!(ext[vocab::EXT_LAUNCH_PARAMETERS], "{\"mode\":\"exam\"}");
    assert!(st.get("result").is_none());

    let mut plain = spec_au();
    plain.mastery_score = None;
    plain.launch_parameters = None;
    let st = Launch::new(&plain, spec_setup(&plain)).unwrap().launched(
        "5e4d0a51-9c61-4d1e-8b5e-3c1f6f0c2a11",
        "2026-12-06T10:00:00Z",
    );
    let ext = st["context"]["extensions"].as_object().unwrap();
    assert!(
        !ext.contains_key(vocab::EXT_MASTERY_SCORE)
            && !ext.contains_key(vocab::EXT_LAUNCH_PARAMETERS)
    );
}

#[test]
fn the_fetch_url_answers_with_a_token_once_then_an_error_body() {
    assert_eq!(
        fetch_token_body("QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        json!({"auth-token": "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="})
    );
    assert_eq!(
        FetchError::AlreadyUsedOrExpired.body("The authorization token has already been returned."),
        json!({"error-code": "1", "error-text": "The authorization token has already been returned."})
    );
    assert_eq!(FetchError::Security.code(), "2");
    assert_eq!(FetchError::Application.code(), "3");
}

#[test]
fn waived_and_satisfied_statements_are_the_lmss_and_valid_xapi() {
    let au = spec_au();
    let launch = Launch::new(&au, spec_setup(&au)).unwrap();
    let w = waived(
        &launch.au,
        &WaiveReason::TestedOut,
        "0b8f4a1e-7d57-4c0e-a3a1-2d4a9f6e5b01",
        "2026-12-06T11:00:00Z",
        "a-new-session-for-the-waiver",
    );
    validate_statement(&w, Version::V1_0_3).unwrap();
    assert_eq!(w["verb"]["id"], "https://w3id.org/xapi/adl/verbs/waived");
    assert_eq!(w["object"]["id"], launch.au.activity_id);
    assert_eq!(w["result"]["success"], true);
    assert_eq!(w["result"]["completion"], true);
    assert_eq!(w["result"]["extensions"][vocab::EXT_REASON], "Tested Out");
    let cats: Vec<&str> = w["context"]["contextActivities"]["category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(cats, [vocab::CATEGORY_CMI5, vocab::CATEGORY_MOVE_ON]);
    assert_eq!(
        w["context"]["extensions"][vocab::EXT_SESSION_ID],
        "a-new-session-for-the-waiver"
    );

    let block = Satisfied {
        kind: NodeKind::Block,
        publisher_id: "https://example.org/course/block/1".into(),
    };
    let lms_id = lms_activity_id(
        "https://lantern.example/xapi/activities/cmi5/7",
        NodeKind::Block,
        &block.publisher_id,
    );
    let s = satisfied(
        &launch.au.actor,
        &launch.au.registration,
        &block,
        &lms_id,
        "7a3c2e10-1f7b-4a55-9e0d-8c2b6a4f3d22",
        "2026-12-06T11:00:01Z",
        &launch.session_id,
    );
    validate_statement(&s, Version::V2_0_0).unwrap();
    assert_eq!(s["verb"]["id"], "https://w3id.org/xapi/adl/verbs/satisfied");
    assert_eq!(s["object"]["id"], lms_id);
    assert_ne!(
        s["object"]["id"], block.publisher_id,
        "9.4: not the publisher's id"
    );
    assert_eq!(s["object"]["definition"]["type"], vocab::TYPE_BLOCK);
    assert_eq!(
        s["context"]["contextActivities"]["grouping"][0]["id"],
        block.publisher_id
    );
    assert_eq!(
        s["context"]["extensions"][vocab::EXT_SESSION_ID],
        launch.session_id
    );
    assert!(s.get("result").is_none());

    let abandoned = launch.abandoned(
        "c1d2e3f4-0000-4000-8000-000000000001",
        "2026-12-06T12:00:00Z",
        Duration::from_millis(754_321),
    );
    validate_statement(&abandoned, Version::V1_0_3).unwrap();
    assert_eq!(abandoned["result"]["duration"], "PT754.32S");
    assert_eq!(
        abandoned["context"]["extensions"][vocab::EXT_SESSION_ID],
        launch.session_id
    );
}

#[test]
fn lms_ids_are_stable_distinct_and_never_the_publishers() {
    let base = "https://lantern.example/xapi/activities/cmi5/course-7/";
    let p = "https://example.org/course/au/1?x=1";
    let au = lms_activity_id(base, NodeKind::Au, p);
    assert_eq!(
        au,
        "https://lantern.example/xapi/activities/cmi5/course-7/au/https%3A%2F%2Fexample.org%2Fcourse%2Fau%2F1%3Fx%3D1"
    );
    assert_eq!(au, lms_activity_id(base, NodeKind::Au, p));
    assert_ne!(au, lms_activity_id(base, NodeKind::Block, p));
    assert_ne!(au, p);
}

#[test]
fn durations_and_uuids() {
    assert_eq!(iso_duration(Duration::ZERO), "PT0S");
    assert_eq!(iso_duration(Duration::from_secs(3600)), "PT3600S");
    assert_eq!(iso_duration(Duration::from_millis(1_005)), "PT1S");
    assert_eq!(iso_duration(Duration::from_millis(1_050)), "PT1.05S");
    assert!(is_uuid("760e3480-ba55-4991-94b0-01820dbd23a2"));
    assert!(!is_uuid("760e3480ba55-4991-94b0-01820dbd23a2"));
    assert!(!is_uuid("760e3480-ba55-4991-94b0-01820dbd23ag"));
}
