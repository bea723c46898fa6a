//! cmi5 end to end, on every backend: an admin's import (a good package, hostile zips and a bad cmi5.xml refused
//! with the element and line, nothing stored), a learner's launch by the cmi5 launch protocol (the launch URL's
//! parameters per cmi5 section 8, "launched" and LMS.LaunchData stored before the redirect, the AU's files on the
//! content origin), the one-time fetch URL, the LRS holding a session credential to its session (statements out of
//! order refused with their index and reason and nothing stored, documents only its own), abandonment on relaunch,
//! and passed and completed turning into "satisfied" statements, a completed course and a compliant requirement,
//! with one training record even where an xAPI mapping would also match.

use crate::web::Client;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use lantern_domain::Subject;
use lantern_domain::engine::{OrgEngine, PersonFacts, Status};
use lantern_store::*;
use serde_json::{Value, json};
use tower::ServiceExt;

const LEARNER: (&str, &str) = ("learner@demo.lantern.test", "learner-demo-password");
const ADMIN: (&str, &str) = ("admin@demo.lantern.test", "admin-demo-password");
const CONTENT: &str = "http://content.test:8081";
const COURSE: &str = lantern::demo::packages::CMI5_COURSE;
const CMI5: &str = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
const MOVE_ON: &str = "https://w3id.org/xapi/cmi5/context/categories/moveon";
const MASTERY: &str = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
const SATISFIED: &str = "https://w3id.org/xapi/adl/verbs/satisfied";

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

async fn send(app: &axum::Router, req: Request<Body>) -> Reply {
    let res = app.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// An LRS request as an AU sends it: Basic credentials (the auth token) and the version header.
async fn lrs(
    app: &axum::Router,
    method: &str,
    uri: &str,
    auth: &str,
    body: Option<&Value>,
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Basic {auth}"))
        .header("X-Experience-API-Version", "1.0.3")
        .header(header::ORIGIN, CONTENT);
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    send(app, req.body(body).expect("request")).await
}

async fn fetch(app: &axum::Router, path: &str) -> Reply {
    let req = Request::post(path)
        .header(header::ORIGIN, CONTENT)
        .body(Body::empty())
        .expect("request");
    send(app, req).await
}

fn state(store: &std::sync::Arc<dyn Store>) -> lantern_web::AppState {
    let auth = crate::test_auth();
    let content =
        lantern_web::ContentOrigin::new(CONTENT, &auth.public_url).expect("content origin");
    lantern_web::AppState::new(store.clone(), auth).with_content(content)
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    lantern::demo::packages::zip_of(entries).expect("zip")
}

const GOOD_XML: &str = r#"<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.org/uploaded"><title><langstring lang="en">Uploaded</langstring></title></course>
  <au id="https://example.org/uploaded/au" moveOn="Completed"><title><langstring lang="en">AU</langstring></title><url>au.html</url></au>
</courseStructure>"#;

#[tokio::test]
async fn cmi5_packages_import_and_bad_ones_are_refused_naming_the_line_with_nothing_stored() {
    let bad_xml = GOOD_XML.replace(r#"moveOn="Completed""#, r#"moveOn="Sometimes""#);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "zip slip",
            zip_of(&[("../../evil.js", b"x"), ("cmi5.xml", GOOD_XML.as_bytes())]),
            "climbs out of the package",
        ),
        (
            "missing AU file",
            zip_of(&[("cmi5.xml", GOOD_XML.as_bytes())]),
            "au.html",
        ),
        (
            "bad moveOn",
            zip_of(&[("cmi5.xml", bad_xml.as_bytes()), ("au.html", b"x")]),
            "line 3",
        ),
        (
            "doctype",
            zip_of(&[(
                "cmi5.xml",
                br#"<?xml version="1.0"?><!DOCTYPE courseStructure [<!ENTITY x SYSTEM "file:///etc/passwd">]><courseStructure>&x;</courseStructure>"#,
            )]),
            "DOCTYPE",
        ),
        (
            "bare cmi5.xml with a relative AU",
            GOOD_XML.as_bytes().to_vec(),
            "absolute AU URLs",
        ),
    ];
    for (name, store, _dir) in crate::demo_backends(120, 5).await {
        let app = lantern_web::app(state(&store));
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let before = (
            store.cmi5_packages(rj1.id).await.unwrap().len(),
            store.courses(rj1.id).await.unwrap().len(),
        );
        assert_eq!(before.0, 1, "{name}: the demo's cmi5 course");
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        for (case, bytes, reason) in &cases {
            let res = admin
                .post_upload(
                    "/orgs/RJ1/learning/packages",
                    &[("code", "hostile")],
                    ("course.zip", bytes),
                )
                .await;
            assert_eq!(
                res.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name} {case}: {}",
                res.body
            );
            assert!(
                res.body.contains(reason),
                "{name} {case}: the reason names {reason:?}: {}",
                res.body
            );
        }
        let after = (
            store.cmi5_packages(rj1.id).await.unwrap().len(),
            store.courses(rj1.id).await.unwrap().len(),
        );
        assert_eq!(
            before, after,
            "{name}: nothing stored from a refused package"
        );
        // A good zip, and a bare cmi5.xml whose AU is on another site, become courses.
        let res = admin
            .post_upload(
                "/orgs/RJ1/learning/packages",
                &[("code", "uploaded-cmi5")],
                (
                    "course.zip",
                    &zip_of(&[("cmi5.xml", GOOD_XML.as_bytes()), ("au.html", b"<p>AU")]),
                ),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        let external = GOOD_XML.replace("<url>au.html", "<url>https://au.example.org/au.html");
        let res = admin
            .post_upload(
                "/orgs/RJ1/learning/packages",
                &[("code", "external-cmi5")],
                ("cmi5.xml", external.as_bytes()),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        assert_eq!(
            store.cmi5_packages(rj1.id).await.unwrap().len(),
            3,
            "{name}"
        );
        let course = store.course(rj1.id, "uploaded-cmi5").await.unwrap();
        assert!(
            matches!(
                course.course.modules[0].kind,
                lantern_learning::course::ModuleKind::Cmi5 { .. }
            ),
            "{name}"
        );
        let page = admin.get("/orgs/RJ1/learning/packages").await;
        assert!(
            page.body.contains("cmi5 courses") && page.body.contains("Uploaded"),
            "{name}"
        );
    }
}

/// The launch URL's query parameters, decoded.
fn query(url: &str) -> std::collections::BTreeMap<String, String> {
    let q = url.split_once('?').expect("a query").1;
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// A statement of the session, built from LMS.LaunchData's context template as an AU must (cmi5 9.6, 10.2.1).
fn statement(
    launch: &Launch,
    verb: &str,
    result: Option<Value>,
    move_on: bool,
    extra: Option<(&str, Value)>,
) -> Value {
    let mut context = launch.template.clone();
    context["registration"] = json!(launch.registration);
    let mut category = vec![json!({"id": CMI5})];
    if move_on {
        category.push(json!({"id": MOVE_ON}));
    }
    context["contextActivities"]["category"] = json!(category);
    if let Some((k, v)) = extra {
        context["extensions"][k] = v;
    }
    let mut s = json!({
        "id": lantern_web::xapi::cmi5::new_uuid(),
        "timestamp": "2026-01-01T10:00:00.000Z",
        "actor": launch.actor,
        "verb": {"id": format!("http://adlnet.gov/expapi/verbs/{verb}")},
        "object": {"id": launch.activity},
        "context": context,
    });
    if let Some(r) = result {
        s["result"] = r;
    }
    s
}

struct Launch {
    url: String,
    actor: Value,
    registration: String,
    activity: String,
    auth: String,
    template: Value,
    /// LMS.LaunchData's launchMode.
    mode: String,
}

/// Launches the AU as the learner's browser does and fetches its token as the AU does.
async fn launch(app: &axum::Router, learner: &mut Client, attempt: &str, name: &str) -> Launch {
    launch_reading(app, learner, attempt, name, true).await
}

/// A launch as [`launch`], reading the learner preferences or not.
async fn launch_reading(
    app: &axum::Router,
    learner: &mut Client,
    attempt: &str,
    name: &str,
    read_preferences: bool,
) -> Launch {
    launch_in(app, learner, attempt, name, read_preferences, None).await
}

/// A launch as [`launch_reading`], in a launch mode the form asks for (Normal when none).
async fn launch_in(
    app: &axum::Router,
    learner: &mut Client,
    attempt: &str,
    name: &str,
    read_preferences: bool,
    mode: Option<&str>,
) -> Launch {
    let mut fields = vec![("au", "0")];
    fields.extend(mode.map(|m| ("mode", m)));
    let res = learner
        .post_form(&format!("{attempt}/modules/cmi5/launch"), &fields, None)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
    let url = res.location().to_owned();
    let q = query(&url);
    let fetch_path = q["fetch"]
        .trim_start_matches("http://127.0.0.1:8080")
        .to_owned();
    let token = fetch(app, &fetch_path).await;
    assert_eq!(token.status, StatusCode::OK, "{name}");
    let auth = token.json()["auth-token"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: {}", token.body))
        .to_owned();
    let actor: Value = serde_json::from_str(&q["actor"]).unwrap();
    let agent = form_urlencoded::byte_serialize(q["actor"].as_bytes()).collect::<String>();
    let activity = form_urlencoded::byte_serialize(q["activityId"].as_bytes()).collect::<String>();
    let data = lrs(
        app,
        "GET",
        &format!(
            "/xapi/activities/state?stateId=LMS.LaunchData&activityId={activity}&agent={agent}&registration={}",
            q["registration"]
        ),
        &auth,
        None,
    )
    .await;
    assert_eq!(data.status, StatusCode::OK, "{name}: {}", data.body);
    // 11.0.0.0-3: the AU reads the learner preferences before "initialized" (none are stored: 404).
    if read_preferences {
        let prefs = lrs(
            app,
            "GET",
            &format!("/xapi/agents/profile?profileId=cmi5LearnerPreferences&agent={agent}"),
            &auth,
            None,
        )
        .await;
        assert_eq!(
            prefs.status,
            StatusCode::NOT_FOUND,
            "{name}: {}",
            prefs.body
        );
    }
    Launch {
        url,
        actor,
        registration: q["registration"].clone(),
        activity: q["activityId"].clone(),
        auth,
        template: data.json()["contextTemplate"].clone(),
        mode: data.json()["launchMode"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    }
}

#[tokio::test]
async fn a_cmi5_au_launches_fetches_once_reports_in_order_and_makes_the_requirement_compliant() {
    for (name, store, _dir) in crate::demo_backends(120, 5).await {
        let state = state(&store);
        let app = lantern_web::app(state.clone());
        let content_app = lantern_web::content_app(state.clone());
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let mut learner = Client::signed_in(&app, LEARNER.0, LEARNER.1).await;
        let started = learner
            .post_form(
                &format!("/orgs/RJ1/learning/courses/{COURSE}/start"),
                &[],
                None,
            )
            .await;
        assert_eq!(
            started.status,
            StatusCode::SEE_OTHER,
            "{name}: {}",
            started.body
        );
        let attempt = started.location().to_owned();
        let attempt_id: i64 = attempt.rsplit('/').next().unwrap().parse().unwrap();
        let page = learner.get(&format!("{attempt}/modules/cmi5")).await;
        assert_eq!(page.status, StatusCode::OK, "{name}: {}", page.body);
        assert!(
            page.body.contains("Fire safety in healthcare") && page.body.contains("Not started"),
            "{name}"
        );
        // The launch redirects the form to the content origin, so the page's form-action allows it (and no more).
        let csp = page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            csp.contains(&format!("form-action 'self' {CONTENT};")),
            "{name}: {csp}"
        );

        // An xAPI mapping that would also match the AU's "passed": the completion must still count once.
        let package = store.cmi5_packages(rj1.id).await.unwrap().remove(0);
        let base = lantern_web::xapi::cmi5::lms_base("http://127.0.0.1:8080", &package.digest);
        let au_id = package.structure.aus()[0].id.clone();
        let activity_id = lantern_learning::cmi5::launch::lms_activity_id(
            &base,
            lantern_learning::cmi5::NodeKind::Au,
            &au_id,
        );
        store
            .create_xapi_mapping(
                &lantern_store::lrs::XapiMapping {
                    id: 0,
                    org: rj1.id,
                    activity: activity_id.clone(),
                    subject: Subject::from_static("cstf.fire_safety"),
                    level: 1,
                    verbs: vec!["http://adlnet.gov/expapi/verbs/passed".into()],
                    require_success: false,
                    min_scaled_score: None,
                    hours: None,
                    created_at: chrono::Utc::now(),
                    retired_at: None,
                },
                None,
            )
            .await
            .unwrap();

        // The first launch: the URL's five parameters (cmi5 8.1), the AU on the content origin.
        let first = launch(&app, &mut learner, &attempt, &name).await;
        let q = query(&first.url);
        assert!(
            first
                .url
                .starts_with(&format!("{CONTENT}/cmi5/{}/fire.html?", package.digest)),
            "{name}: {}",
            first.url
        );
        assert_eq!(q["endpoint"], "http://127.0.0.1:8080/xapi/", "{name}");
        assert!(
            q["fetch"].starts_with("http://127.0.0.1:8080/cmi5/fetch/"),
            "{name}"
        );
        assert_eq!(
            first.actor["account"]["homePage"], "http://127.0.0.1:8080",
            "{name}"
        );
        let actor_name = first.actor["account"]["name"].as_str().unwrap().to_owned();
        assert!(
            !actor_name.contains('@') && !actor_name.to_lowercase().contains("learner"),
            "{name}: an opaque actor name, not {actor_name}"
        );
        assert!(
            first.actor.get("mbox").is_none() && first.actor.get("name").is_none(),
            "{name}"
        );
        assert!(uuid::Uuid::parse_str(&first.registration).is_ok(), "{name}");
        assert_eq!(first.activity, activity_id, "{name}");
        assert_ne!(
            first.activity, au_id,
            "{name}: the LMS's activity id, not the publisher's"
        );
        // The URL's own order: endpoint, fetch, actor, registration, activityId.
        let names: Vec<&str> = first
            .url
            .split('?')
            .nth(1)
            .unwrap()
            .split('&')
            .map(|p| p.split('=').next().unwrap())
            .collect();
        assert_eq!(
            names,
            ["endpoint", "fetch", "actor", "registration", "activityId"],
            "{name}"
        );

        // The AU's files on the content origin may reach Lantern (the LRS, the fetch URL) and nothing else.
        let file = send(
            &content_app,
            Request::get(first.url.trim_start_matches(CONTENT))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(file.status, StatusCode::OK, "{name}");
        assert!(file.body.contains("au.js"), "{name}");
        let csp = file.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("connect-src 'self' http://127.0.0.1:8080"),
            "{name}: {csp}"
        );
        assert!(file.headers.get(header::SET_COOKIE).is_none(), "{name}");

        // "launched" and LMS.LaunchData were stored before the redirect.
        let statements =
            lantern_web::xapi::cmi5::registration_statements(&state, rj1.id, &first.registration)
                .await
                .unwrap();
        assert_eq!(statements.len(), 1, "{name}");
        assert_eq!(
            statements[0]["verb"]["id"], "http://adlnet.gov/expapi/verbs/launched",
            "{name}"
        );
        let data_uri = format!(
            "/xapi/activities/state?stateId=LMS.LaunchData&activityId={}&agent={}&registration={}",
            form_urlencoded::byte_serialize(first.activity.as_bytes()).collect::<String>(),
            form_urlencoded::byte_serialize(first.actor.to_string().as_bytes()).collect::<String>(),
            first.registration
        );
        let data = lrs(&app, "GET", &data_uri, &first.auth, None).await.json();
        assert_eq!(data["moveOn"], "CompletedAndPassed", "{name}: {data}");
        assert_eq!(data["masteryScore"], 0.8, "{name}");
        assert_eq!(data["launchMode"], "Normal", "{name}");
        assert!(
            data["returnURL"]
                .as_str()
                .unwrap()
                .ends_with("/modules/cmi5"),
            "{name}"
        );

        // The fetch URL answers once (8.2.3): then error 1; an unknown one error 2.
        let again = fetch(&app, q["fetch"].trim_start_matches("http://127.0.0.1:8080")).await;
        assert_eq!(again.status, StatusCode::OK, "{name}");
        assert_eq!(again.json()["error-code"], "1", "{name}: {}", again.body);
        assert!(again.json().get("auth-token").is_none(), "{name}");
        assert_eq!(again.headers["access-control-allow-origin"], "*", "{name}");
        let unknown = fetch(
            &app,
            &format!("/cmi5/fetch/{}", lantern_web::auth::new_token()),
        )
        .await;
        assert_eq!(
            unknown.json()["error-code"],
            "2",
            "{name}: {}",
            unknown.body
        );

        // What a session credential may not do: change LMS.LaunchData, query statements, read another's state.
        let put = lrs(
            &app,
            "PUT",
            &data_uri,
            &first.auth,
            Some(&json!({"moveOn": "NotApplicable"})),
        )
        .await;
        assert_eq!(put.status, StatusCode::FORBIDDEN, "{name}: {}", put.body);
        assert!(put.body.contains("10.2.1"), "{name}: {}", put.body);
        let query_all = lrs(&app, "GET", "/xapi/statements", &first.auth, None).await;
        assert_eq!(query_all.status, StatusCode::FORBIDDEN, "{name}");
        let other = json!({"objectType": "Agent", "account": {"homePage": "http://127.0.0.1:8080", "name": "someone-else"}});
        let other_uri = format!(
            "/xapi/activities/state?stateId=bookmark&activityId={}&agent={}&registration={}",
            form_urlencoded::byte_serialize(first.activity.as_bytes()).collect::<String>(),
            form_urlencoded::byte_serialize(other.to_string().as_bytes()).collect::<String>(),
            first.registration
        );
        let r = lrs(&app, "GET", &other_uri, &first.auth, None).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{name}: another learner's state: {}",
            r.body
        );
        let r = lrs(
            &app,
            "PUT",
            &other_uri,
            &first.auth,
            Some(&json!({"page": 2})),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}");

        // Out of order: "completed" before "initialized" is refused, naming the statement and the rule; nothing is
        // stored from a refused batch, even its valid first statement.
        let completed = statement(
            &first,
            "completed",
            Some(json!({"completion": true, "duration": "PT1M"})),
            true,
            None,
        );
        let r = lrs(
            &app,
            "POST",
            "/xapi/statements",
            &first.auth,
            Some(&json!([completed])),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {}", r.body);
        assert!(
            r.body.contains("statements[0]") && r.body.contains("9.3.2"),
            "{name}: {}",
            r.body
        );
        let low = statement(
            &first,
            "passed",
            Some(json!({"success": true, "duration": "PT1M", "score": {"scaled": 0.5}})),
            true,
            Some((MASTERY, json!(0.8))),
        );
        let init = statement(&first, "initialized", None, false, None);
        let r = lrs(
            &app,
            "POST",
            "/xapi/statements",
            &first.auth,
            Some(&json!([init, low])),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {}", r.body);
        assert!(
            r.body.contains("statements[1]") && r.body.contains("9.3.4"),
            "{name}: {}",
            r.body
        );
        let stored =
            lantern_web::xapi::cmi5::registration_statements(&state, rj1.id, &first.registration)
                .await
                .unwrap();
        assert_eq!(
            stored.len(),
            1,
            "{name}: nothing stored from the refused batches"
        );
        // "initialized" alone is accepted.
        let init = statement(&first, "initialized", None, false, None);
        let r = lrs(
            &app,
            "POST",
            "/xapi/statements",
            &first.auth,
            Some(&json!([init])),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.body);

        // Launched again before "terminated": the first session is abandoned (9.3.6) and its credential can record
        // nothing more.
        let second = launch(&app, &mut learner, &attempt, &name).await;
        assert_eq!(
            second.registration, first.registration,
            "{name}: one registration"
        );
        let stored =
            lantern_web::xapi::cmi5::registration_statements(&state, rj1.id, &first.registration)
                .await
                .unwrap();
        let verbs: Vec<&str> = stored
            .iter()
            .filter_map(|s| s["verb"]["id"].as_str())
            .collect();
        assert!(
            verbs.contains(&"https://w3id.org/xapi/adl/verbs/abandoned"),
            "{name}: {verbs:?}"
        );
        let late = statement(
            &first,
            "terminated",
            Some(json!({"duration": "PT2M"})),
            false,
            None,
        );
        let r = lrs(
            &app,
            "POST",
            "/xapi/statements",
            &first.auth,
            Some(&json!([late])),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {}", r.body);
        assert!(r.body.contains("9.3.6"), "{name}: {}", r.body);

        // The second session passes and completes: the LMS issues "satisfied" for the block and the course, the
        // course completes, and fire safety is compliant with one training record.
        let batch = json!([
            statement(&second, "initialized", None, false, None),
            statement(
                &second,
                "passed",
                Some(
                    json!({"success": true, "duration": "PT3M", "score": {"scaled": 1.0, "raw": 3, "min": 0, "max": 3}})
                ),
                true,
                Some((MASTERY, json!(0.8))),
            ),
            statement(
                &second,
                "completed",
                Some(json!({"completion": true, "duration": "PT3M"})),
                true,
                None
            ),
            statement(
                &second,
                "terminated",
                Some(json!({"duration": "PT3M"})),
                false,
                None
            ),
        ]);
        let r = lrs(&app, "POST", "/xapi/statements", &second.auth, Some(&batch)).await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.body);
        let stored =
            lantern_web::xapi::cmi5::registration_statements(&state, rj1.id, &first.registration)
                .await
                .unwrap();
        let satisfied: Vec<&Value> = stored
            .iter()
            .filter(|s| s["verb"]["id"] == SATISFIED)
            .collect();
        assert_eq!(satisfied.len(), 2, "{name}: the block and the course");
        assert!(
            satisfied[1]["object"]["definition"]["type"]
                == "https://w3id.org/xapi/cmi5/activitytype/course",
            "{name}: the course last: {}",
            satisfied[1]
        );
        let after = statement(
            &second,
            "completed",
            Some(json!({"completion": true, "duration": "PT3M"})),
            true,
            None,
        );
        let r = lrs(
            &app,
            "POST",
            "/xapi/statements",
            &second.auth,
            Some(&json!([after])),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{name}: nothing after terminated: {}",
            r.body
        );

        let a = store
            .attempt(&Scope::Platform, rj1.id, attempt_id)
            .await
            .unwrap();
        assert!(a.completed_at.is_some(), "{name}: the course is complete");
        let today = rj1.today(chrono::Utc::now());
        let bundle = store
            .person(&Scope::Platform, rj1.id, a.person)
            .await
            .unwrap();
        let fire_today: Vec<_> = bundle
            .records
            .iter()
            .filter(|r| r.record.subject == "cstf.fire_safety" && r.record.completed_on == today)
            .collect();
        assert_eq!(
            fire_today.len(),
            1,
            "{name}: one record, not one per path: {fire_today:?}"
        );
        assert!(
            fire_today[0]
                .record
                .evidence_ref
                .as_deref()
                .is_some_and(|e| e.contains(COURSE)),
            "{name}: {:?}",
            fire_today[0].record.evidence_ref
        );
        let ctx = store.org_context(&Scope::Platform, rj1.id).await.unwrap();
        let engine = OrgEngine::new(rj1.id, &ctx.rules, &ctx.policies, None);
        let facts = PersonFacts {
            posts: &bundle.posts,
            records: &bundle.records,
            exemptions: &bundle.exemptions,
        };
        let (_, status) = engine
            .person(facts)
            .status_at("cstf.fire_safety", today)
            .expect("fire safety applies");
        assert_eq!(status, Status::Compliant, "{name}");
        let page = learner.get(&format!("{attempt}/modules/cmi5")).await;
        assert!(page.body.contains("Passed"), "{name}");

        // 10.2.2: the completed attempt's unit opens for review only, and a Review session records no result.
        assert!(page.body.contains("id=\"review-0\""), "{name}");
        assert!(!page.body.contains("id=\"launch-0\""), "{name}");
        let normal = learner
            .post_form(
                &format!("{attempt}/modules/cmi5/launch"),
                &[("au", "0"), ("mode", "Normal")],
                None,
            )
            .await;
        assert_eq!(normal.status, StatusCode::BAD_REQUEST, "{name}");
        let odd = learner
            .post_form(
                &format!("{attempt}/modules/cmi5/launch"),
                &[("au", "0"), ("mode", "Practice")],
                None,
            )
            .await;
        assert_eq!(odd.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(odd.body.contains("Normal, Browse or Review"), "{name}");
        let review = launch_in(&app, &mut learner, &attempt, &name, true, Some("Review")).await;
        assert_eq!(review.mode, "Review", "{name}");
        assert_eq!(review.registration, first.registration, "{name}");
        no_credit(&app, &review, &name).await;

        // Browse, in a new attempt: a look through without credit, and the unit stays not started.
        let again = learner
            .post_form(
                &format!("/orgs/RJ1/learning/courses/{COURSE}/start"),
                &[],
                None,
            )
            .await;
        let next = again.location().to_owned();
        assert_ne!(next, attempt, "{name}");
        let page = learner.get(&format!("{next}/modules/cmi5")).await;
        assert!(
            page.body.contains("id=\"launch-0\"") && page.body.contains("id=\"browse-0\""),
            "{name}"
        );
        assert!(!page.body.contains("id=\"review-0\""), "{name}");
        let browse = launch_in(&app, &mut learner, &next, &name, true, Some("Browse")).await;
        assert_eq!(browse.mode, "Browse", "{name}");
        assert_ne!(browse.registration, first.registration, "{name}");
        no_credit(&app, &browse, &name).await;
        let page = learner.get(&format!("{next}/modules/cmi5")).await;
        assert!(page.body.contains("Not started"), "{name}");
    }
}

/// A Browse or Review session: "initialized" and "terminated" are accepted, a result is refused naming 10.2.2.
async fn no_credit(app: &axum::Router, s: &Launch, name: &str) {
    let post =
        async |st: Value| lrs(app, "POST", "/xapi/statements", &s.auth, Some(&json!([st]))).await;
    let r = post(statement(s, "initialized", None, false, None)).await;
    assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.body);
    let passed = statement(
        s,
        "passed",
        Some(json!({"success": true, "duration": "PT1M", "score": {"scaled": 1.0}})),
        true,
        Some((MASTERY, json!(0.8))),
    );
    let r = post(passed).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {}", r.body);
    assert!(r.body.contains("10.2.2"), "{name}: {}", r.body);
    let r = post(statement(
        s,
        "terminated",
        Some(json!({"duration": "PT1M"})),
        false,
        None,
    ))
    .await;
    assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.body);
}

/// A test-out passed for a course with a cmi5 module: the LMS records the module's AU as waived ("Tested Out", cmi5
/// 9.3.7) and the block and course as satisfied, so the cmi5 registration agrees with the completed course.
#[tokio::test]
async fn a_test_out_pass_waives_the_course_s_cmi5_units() {
    use lantern_learning::assessment::Rules;
    use lantern_learning::course::{CourseVersion, Module, ModuleKind, ModuleOrder, Satisfies};
    for (name, store, _dir) in crate::demo_backends(120, 5).await {
        let state = state(&store);
        let app = lantern_web::app(state.clone());
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let person = store
            .account_by_email(LEARNER.0)
            .await
            .unwrap()
            .unwrap()
            .person_id
            .unwrap();
        crate::learning_paths::expire(&store, &rj1, person, "cstf.fire_safety", 1).await;
        let now = chrono::Utc::now();
        store
            .publish_bank(
                rj1.id,
                None,
                now,
                "cmi5-waiver-bank",
                &crate::learning::bank(),
            )
            .await
            .unwrap();
        let package = store.cmi5_packages(rj1.id).await.unwrap().remove(0);
        let course = CourseVersion {
            code: "cmi5-test-out".into(),
            version: 0,
            title: "Fire safety with a cmi5 unit".into(),
            summary: "A cmi5 unit, then an assessment".into(),
            satisfies: vec![Satisfies {
                subject: Subject::from_static("cstf.fire_safety"),
                level: 1,
            }],
            order: ModuleOrder::InOrder,
            modules: vec![
                Module {
                    key: "cmi5".into(),
                    title: "Fire safety in healthcare".into(),
                    kind: ModuleKind::Cmi5 {
                        package: package.digest.clone(),
                    },
                    required: true,
                    estimated_minutes: 5,
                },
                Module {
                    key: "check".into(),
                    title: "Check your understanding".into(),
                    kind: ModuleKind::Assessment {
                        bank: "cmi5-waiver-bank".into(),
                        rules: Rules {
                            per_outcome: 1,
                            pass_percent: 80,
                            attempt_limit: Some(2),
                            time_limit_minutes: None,
                        },
                    },
                    required: true,
                    estimated_minutes: 10,
                },
            ],
            prerequisites: vec![],
        };
        store
            .publish_course(rj1.id, None, now, &course)
            .await
            .unwrap();
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let on = admin
            .post_form(
                "/orgs/RJ1/admin/test-out",
                &[
                    ("subject", "cstf.fire_safety"),
                    ("level", "1"),
                    ("test_out", "on"),
                ],
                None,
            )
            .await;
        assert_eq!(on.status, StatusCode::SEE_OTHER, "{name}: {}", on.body);
        let mut learner = Client::signed_in(&app, LEARNER.0, LEARNER.1).await;
        let started = learner
            .post_form(
                "/orgs/RJ1/learning/courses/cmi5-test-out/test-out",
                &[],
                None,
            )
            .await;
        assert_eq!(
            started.status,
            StatusCode::SEE_OTHER,
            "{name}: {}",
            started.body
        );
        let check = started.location().to_owned();
        let attempt = check.trim_end_matches("/modules/check").to_owned();
        let attempt_id: i64 = attempt.rsplit('/').next().unwrap().parse().unwrap();
        let paper = learner.get(&check).await;
        let (paper_id, questions) = crate::learning_paths::paper_fields(&paper.body);
        let keys: Vec<String> = questions.iter().map(|q| format!("q:{q}")).collect();
        let mut fields: Vec<(&str, &str)> = vec![("paper", &paper_id)];
        fields.extend(keys.iter().map(|k| (k.as_str(), "b")));
        let result = learner
            .post_form(&format!("{attempt}/modules/check/submit"), &fields, None)
            .await;
        assert!(
            result.body.contains("Passed: 100%"),
            "{name}: {}",
            result.body
        );

        let reg = store
            .cmi5_waiver_registration(
                &Scope::Platform,
                rj1.id,
                attempt_id,
                "cmi5",
                &lantern_web::xapi::cmi5::new_uuid(),
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        let stored =
            lantern_web::xapi::cmi5::registration_statements(&state, rj1.id, &reg.registration)
                .await
                .unwrap();
        let waived: Vec<&Value> = stored
            .iter()
            .filter(|s| s["verb"]["id"] == "https://w3id.org/xapi/adl/verbs/waived")
            .collect();
        assert_eq!(waived.len(), 1, "{name}: {stored:?}");
        assert_eq!(
            waived[0]["result"]["extensions"]["https://w3id.org/xapi/cmi5/result/extensions/reason"],
            "Tested Out",
            "{name}: {}",
            waived[0]
        );
        let satisfied = stored
            .iter()
            .filter(|s| s["verb"]["id"] == SATISFIED)
            .count();
        assert_eq!(satisfied, 2, "{name}: the block and the course");
        let a = store
            .attempt(&Scope::Platform, rj1.id, attempt_id)
            .await
            .unwrap();
        assert!(a.completed_at.is_some(), "{name}");
    }
}

/// Cases from ADL's cmi5 LMS test suite (CATAPULT `lts/`, docs/cmi5.md): course structures it expects refused
/// (a duplicated objective id, an objective id that is no IRI, an AU URL with a space, AU elements out of the
/// schema's order), an AU that joins its own slash to the endpoint (`/xapi//activities/state`), and a NotApplicable
/// AU whose block and course are satisfied before "launched".
#[tokio::test]
async fn adl_cmi5_test_suite_cases() {
    const OBJECTIVES: &str = r#"<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.org/lts"><title><langstring lang="en">LTS</langstring></title></course>
  <objectives>
    <objective id="https://example.org/lts/objective/1"><title><langstring lang="en">O</langstring></title></objective>
    <objective id="OBJECTIVE"><title><langstring lang="en">O</langstring></title></objective>
  </objectives>
  <au id="https://example.org/lts/au" moveOn="Completed"><title><langstring lang="en">AU</langstring></title>
    <objectives><objective idref="https://example.org/lts/objective/1"/></objectives><url>au.html</url></au>
</courseStructure>"#;
    let refused: Vec<(&str, String, &str)> = vec![
        (
            "205-2 duplicated objective",
            OBJECTIVES.replace("OBJECTIVE", "https://example.org/lts/objective/1"),
            "is used twice",
        ),
        (
            "201-4 objective id not an IRI",
            OBJECTIVES.replace("OBJECTIVE", "example.org/lts/objective/2"),
            "is not an IRI",
        ),
        (
            "an objective idref naming no objective",
            OBJECTIVES
                .replace("OBJECTIVE", "https://example.org/lts/objective/2")
                .replace(
                    r#"idref="https://example.org/lts/objective/1""#,
                    r#"idref="https://example.org/lts/objective/3""#,
                ),
            "names no objective",
        ),
        (
            "206-1 AU URL with a space",
            GOOD_XML.replace("<url>au.html", "<url>http://example.com au.html"),
            "is not a valid URL",
        ),
        (
            "207-1 url before title",
            GOOD_XML.replace(
                r#"<title><langstring lang="en">AU</langstring></title><url>au.html</url>"#,
                r#"<url>au.html</url><title><langstring lang="en">AU</langstring></title>"#,
            ),
            "must come before",
        ),
    ];
    let not_applicable = r#"<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.org/na"><title><langstring lang="en">NA</langstring></title></course>
  <block id="https://example.org/na/block"><title><langstring lang="en">B</langstring></title>
    <au id="https://example.org/na/au" moveOn="NotApplicable"><title><langstring lang="en">AU</langstring></title><url>au.html</url></au>
  </block>
</courseStructure>"#;
    for (name, store, _dir) in crate::demo_backends(120, 5).await {
        let state = state(&store);
        let app = lantern_web::app(state.clone());
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        for (case, xml, reason) in &refused {
            let res = admin
                .post_upload(
                    "/orgs/RJ1/learning/packages",
                    &[("code", "lts-refused")],
                    (
                        "course.zip",
                        &zip_of(&[("cmi5.xml", xml.as_bytes()), ("au.html", b"<p>AU")]),
                    ),
                )
                .await;
            assert_eq!(
                res.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name} {case}: {}",
                res.body
            );
            assert!(
                res.body.contains(reason),
                "{name} {case}: the reason names {reason:?}: {}",
                res.body
            );
        }
        // The same structure with distinct, declared objectives is a course.
        let good = OBJECTIVES.replace("OBJECTIVE", "https://example.org/lts/objective/2");
        let res = admin
            .post_upload(
                "/orgs/RJ1/learning/packages",
                &[("code", "lts-objectives")],
                (
                    "course.zip",
                    &zip_of(&[("cmi5.xml", good.as_bytes()), ("au.html", b"<p>AU")]),
                ),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);

        // 004-5: a NotApplicable AU's block and course are satisfied first, then "launched".
        let res = admin
            .post_upload(
                "/orgs/RJ1/learning/packages",
                &[("code", "lts-not-applicable")],
                (
                    "course.zip",
                    &zip_of(&[
                        ("cmi5.xml", not_applicable.as_bytes()),
                        ("au.html", b"<p>AU"),
                    ]),
                ),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        let mut learner = Client::signed_in(&app, LEARNER.0, LEARNER.1).await;
        let started = learner
            .post_form(
                "/orgs/RJ1/learning/courses/lts-not-applicable/start",
                &[],
                None,
            )
            .await;
        assert_eq!(
            started.status,
            StatusCode::SEE_OTHER,
            "{name}: {}",
            started.body
        );
        let attempt = started.location().to_owned();
        // 005-1 (11.0.0.0-3): "initialized" before the AU has read the learner preferences is refused; after, not.
        let au = launch_reading(&app, &mut learner, &attempt, &name, false).await;
        let init = statement(&au, "initialized", None, false, None);
        let res = lrs(&app, "POST", "/xapi/statements", &au.auth, Some(&init)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}: {}", res.body);
        assert!(res.body.contains("cmi5 11"), "{name}: {}", res.body);
        let agent =
            form_urlencoded::byte_serialize(au.actor.to_string().as_bytes()).collect::<String>();
        let prefs = lrs(
            &app,
            "GET",
            &format!("/xapi/agents/profile?profileId=cmi5LearnerPreferences&agent={agent}"),
            &au.auth,
            None,
        )
        .await;
        assert_eq!(
            prefs.status,
            StatusCode::NOT_FOUND,
            "{name}: {}",
            prefs.body
        );
        let stored =
            lantern_web::xapi::cmi5::registration_statements(&state, rj1.id, &au.registration)
                .await
                .unwrap();
        let verbs: Vec<&str> = stored
            .iter()
            .map(|s| s["verb"]["id"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(
            verbs[..3],
            [
                SATISFIED,
                SATISFIED,
                "http://adlnet.gov/expapi/verbs/launched"
            ],
            "{name}"
        );
        assert_eq!(
            stored[0]["context"]["contextActivities"]["grouping"][0]["id"],
            "https://example.org/na/block",
            "{name}: {}",
            stored[0]
        );
        assert_eq!(
            stored[1]["context"]["contextActivities"]["grouping"][0]["id"],
            "https://example.org/na",
            "{name}: {}",
            stored[1]
        );

        // An AU that adds its own slash to the endpoint ("{endpoint}/activities/state") reaches the LRS.
        let doubled = format!(
            "/xapi//activities/state?stateId=LMS.LaunchData&activityId={}&agent={}&registration={}",
            form_urlencoded::byte_serialize(au.activity.as_bytes()).collect::<String>(),
            form_urlencoded::byte_serialize(au.actor.to_string().as_bytes()).collect::<String>(),
            au.registration
        );
        let data = lrs(&app, "GET", &doubled, &au.auth, None).await;
        assert_eq!(data.status, StatusCode::OK, "{name}: {}", data.body);
        assert_eq!(data.json()["moveOn"], "NotApplicable", "{name}");
        let init = statement(&au, "initialized", None, false, None);
        let res = lrs(&app, "POST", "/xapi//statements", &au.auth, Some(&init)).await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);

        // 005-1: a learner preferences write without the agent parameter breaks xAPI's rules first: 400, not 403.
        let prefs = json!({"languagePreference": "en-US", "audioPreference": "on"});
        let res = lrs(
            &app,
            "PUT",
            "/xapi/agents/profile?profileId=cmi5LearnerPreferences",
            &au.auth,
            Some(&prefs),
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: {}", res.body);
        // 005-1 (11.0.0.0-5): a preferences document without audioPreference is the session's to be refused: 403.
        let agent =
            form_urlencoded::byte_serialize(au.actor.to_string().as_bytes()).collect::<String>();
        let res = lrs(
            &app,
            "PUT",
            &format!("/xapi/agents/profile?profileId=cmi5LearnerPreferences&agent={agent}"),
            &au.auth,
            Some(&json!({"languagePreference": "en-US"})),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}: {}", res.body);
        assert!(res.body.contains("audioPreference"), "{name}: {}", res.body);
        // 005-1 (9.1, 9.7): the AU's own id and timestamp, not ones the LRS would fill in; UTC only.
        let mut no_id = statement(&au, "experienced", None, false, None);
        no_id.as_object_mut().unwrap().remove("id");
        let res = lrs(&app, "POST", "/xapi/statements", &au.auth, Some(&no_id)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}: {}", res.body);
        assert!(res.body.contains("cmi5 9.1"), "{name}: {}", res.body);
        for (case, timestamp) in [
            ("none", None),
            ("not UTC", Some("2026-01-01T10:00:00.000-06:00")),
        ] {
            let mut st = statement(&au, "experienced", None, false, None);
            match timestamp {
                Some(t) => st["timestamp"] = json!(t),
                None => {
                    st.as_object_mut().unwrap().remove("timestamp");
                }
            }
            let uri = format!(
                "/xapi/statements?statementId={}",
                st["id"].as_str().unwrap()
            );
            let res = lrs(&app, "PUT", &uri, &au.auth, Some(&st)).await;
            assert_eq!(
                res.status,
                StatusCode::FORBIDDEN,
                "{name} {case}: {}",
                res.body
            );
            assert!(res.body.contains("cmi5 9.7"), "{name} {case}: {}", res.body);
        }
    }
}
