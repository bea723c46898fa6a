//! SCORM packages end to end, on every backend: an admin's upload (hostile zips refused with a reason, nothing
//! stored), a learner's launch on Lantern framing the content origin, the player and package files there, commits
//! that resume and complete the course into a training record, and a hostile package's reach: its launch token
//! reaches only its own attempt, Lantern's API answers it nothing, and no cookie crosses between the origins.

use crate::web::Client;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use lantern_store::*;
use std::io::Write;
use tower::ServiceExt;

const LEARNER: (&str, &str) = ("learner@demo.lantern.test", "learner-demo-password");
const ADMIN: (&str, &str) = ("admin@demo.lantern.test", "admin-demo-password");
const CONTENT: &str = "http://content.test:8081";

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

/// A request to the content app, as a browser on the content origin sends it (with a cookie it should not have, to
/// show the app ignores and never sets one).
async fn content(app: &axum::Router, method: &str, uri: &str, body: Option<&str>) -> Reply {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, "lantern_session=stolen")
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
        .expect("request");
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

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    lantern::demo::packages::zip_of(entries).expect("zip")
}

fn apps(store: &std::sync::Arc<dyn Store>) -> (axum::Router, axum::Router) {
    let auth = crate::test_auth();
    let content =
        lantern_web::ContentOrigin::new(CONTENT, &auth.public_url).expect("content origin");
    let state = lantern_web::AppState::new(store.clone(), auth).with_content(content);
    (
        lantern_web::app(state.clone()),
        lantern_web::content_app(state),
    )
}

#[test]
fn the_content_origin_must_not_share_lantern_s_host() {
    let same = lantern_web::ContentOrigin::new("http://127.0.0.1:8081", "http://127.0.0.1:8080");
    assert!(
        same.err()
            .expect("refused")
            .to_string()
            .contains("same host")
    );
    assert!(
        lantern_web::ContentOrigin::new("http://localhost:8081", "http://127.0.0.1:8080").is_ok()
    );
}

#[tokio::test]
async fn hostile_zips_are_refused_with_a_reason_and_nothing_is_stored() {
    let manifest = lantern::demo::packages::scorm_12().expect("zip");
    let mut bomb = Vec::new();
    {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(&mut bomb));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("imsmanifest.xml", opts).unwrap();
        w.write_all(b"<manifest/>").unwrap();
        w.start_file("video.mp4", opts).unwrap();
        w.write_all(&vec![0u8; 50 * 1024 * 1024]).unwrap();
        w.finish().unwrap();
    }
    let xxe = br#"<?xml version="1.0"?><!DOCTYPE manifest [<!ENTITY x SYSTEM "file:///etc/passwd">]><manifest identifier="m">&x;</manifest>"#;
    let mut symlink = Vec::new();
    {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(&mut symlink));
        let opts = zip::write::SimpleFileOptions::default();
        w.add_symlink("passwd", "/etc/passwd", opts).unwrap();
        w.finish().unwrap();
    }
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "zip slip",
            zip_of(&[
                ("../../evil.js", b"alert(1)"),
                ("imsmanifest.xml", b"<manifest/>"),
            ]),
            "climbs out of the package",
        ),
        (
            "absolute path",
            zip_of(&[
                ("/etc/cron.d/evil", b"x"),
                ("imsmanifest.xml", b"<manifest/>"),
            ]),
            "absolute path",
        ),
        ("symlink", symlink, "symbolic links"),
        ("bomb", bomb, "zip bomb"),
        ("xxe", zip_of(&[("imsmanifest.xml", xxe)]), "DOCTYPE"),
        ("not a zip", b"PK but not really".to_vec(), "not a zip"),
    ];
    for (name, store, _dir) in crate::demo_backends(120, 5).await {
        let (app, _) = apps(&store);
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let before = (
            store.packages(rj1.id).await.unwrap().len(),
            store.courses(rj1.id).await.unwrap().len(),
        );
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        for (case, bytes, reason) in &cases {
            let res = admin
                .post_upload(
                    "/orgs/RJ1/learning/packages",
                    &[("code", "hostile")],
                    ("evil.zip", bytes),
                )
                .await;
            assert_eq!(
                res.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name} {case}: {}",
                res.body
            );
            assert!(
                res.body.contains("The package was refused"),
                "{name} {case}: {}",
                res.body
            );
            assert!(
                res.body.to_lowercase().contains(&reason.to_lowercase()),
                "{name} {case}: the reason names {reason:?}: {}",
                res.body
            );
        }
        let after = (
            store.packages(rj1.id).await.unwrap().len(),
            store.courses(rj1.id).await.unwrap().len(),
        );
        assert_eq!(
            before, after,
            "{name}: nothing stored from a refused package"
        );
        // A good one is imported and becomes a course; the same package again is the same package.
        for _ in 0..2 {
            let res = admin
                .post_upload(
                    "/orgs/RJ1/learning/packages",
                    &[
                        ("code", "uploaded-hsw"),
                        ("requirement", "cstf.health_safety_welfare:1"),
                        ("minutes", "15"),
                    ],
                    ("hsw.zip", &manifest),
                )
                .await;
            assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
            assert!(res.body.contains("uploaded-hsw"), "{name}: {}", res.body);
        }
        let course = store.course(rj1.id, "uploaded-hsw").await.unwrap();
        assert_eq!(course.course.version, 2);
        assert_eq!(
            store.packages(rj1.id).await.unwrap().len(),
            before.0,
            "{name}: the demo already had this package"
        );
        let page = admin.get("/orgs/RJ1/learning/packages").await;
        assert!(
            page.body.contains("SCORM 1.2") && page.body.contains("SCORM 2004 4th Edition"),
            "{name}"
        );
    }
}

/// The launch token in the module page's frame.
fn player_path(page: &str) -> String {
    let at = page
        .find(&format!("{CONTENT}/play/"))
        .expect("the frame's source");
    let rest = &page[at + CONTENT.len()..];
    rest[..rest.find('"').expect("end")].to_owned()
}

#[tokio::test]
async fn a_package_plays_resumes_and_completes_the_course_and_a_hostile_one_reaches_only_its_own_attempt()
 {
    for (name, store, _dir) in crate::demo_backends(120, 5).await {
        let (app, content_app) = apps(&store);
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let mut learner = Client::signed_in(&app, LEARNER.0, LEARNER.1).await;
        let started = learner
            .post_form(
                "/orgs/RJ1/learning/courses/demo-scorm12-health-safety/start",
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
        let page = learner.get(&format!("{attempt}/modules/package")).await;
        assert_eq!(page.status, StatusCode::OK, "{name}: {}", page.body);
        let csp = page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains(&format!("frame-src {CONTENT};")),
            "{name}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{name}: {csp}");
        let player = player_path(&page.body);
        let token = player
            .trim_start_matches("/play/")
            .trim_end_matches('/')
            .to_owned();

        // The player: framed by Lantern only, the API script and the SCO's launch URL.
        let p = content(&content_app, "GET", &player, None).await;
        assert_eq!(p.status, StatusCode::OK, "{name}: {}", p.body);
        assert!(
            p.headers.get(header::SET_COOKIE).is_none(),
            "{name}: no cookie from the content origin"
        );
        let pcsp = p.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            pcsp.contains("frame-ancestors http://127.0.0.1:8080"),
            "{name}: {pcsp}"
        );
        assert!(
            p.body.contains("scorm-again.min.js")
                && p.body.contains(&format!("/play/{token}/files/hsw.html")),
            "{name}"
        );
        assert!(
            p.body.contains(r#""cmi.core.entry":"ab-initio""#),
            "{name}: {}",
            p.body
        );
        let asset = p
            .body
            .split("src=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let js = content(&content_app, "GET", &asset, None).await;
        assert_eq!(js.status, StatusCode::OK, "{name}: {asset}");
        assert!(js.body.contains("Scorm12API"), "{name}");

        // Package files, with the package's CSP; nothing outside the package.
        let f = content(
            &content_app,
            "GET",
            &format!("/play/{token}/files/hsw.html"),
            None,
        )
        .await;
        assert_eq!(f.status, StatusCode::OK, "{name}");
        assert!(
            f.body.contains("Health and Safety at Work etc. Act 1974"),
            "{name}"
        );
        let fcsp = f.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            fcsp.contains("connect-src 'self'")
                && fcsp.contains("frame-ancestors 'self' http://127.0.0.1:8080"),
            "{name}: {fcsp}"
        );
        for escape in [
            "../../../etc/passwd",
            "..%2f..%2fCargo.toml",
            "nothing.html",
        ] {
            let r = content(
                &content_app,
                "GET",
                &format!("/play/{token}/files/{escape}"),
                None,
            )
            .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{name}: {escape}");
        }

        // A commit part-way, then the player again: the SCO resumes.
        let part = serde_json::json!({"item": "ITEM-HSW", "cmi": {"cmi.core.lesson_status": "incomplete",
            "cmi.core.lesson_location": "1", "cmi.suspend_data": "page=1", "cmi.core.exit": "suspend"}});
        let r = content(
            &content_app,
            "POST",
            &format!("/play/{token}/commit"),
            Some(&part.to_string()),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.body);
        assert!(
            r.body.contains(r#""ITEM-HSW":"In progress""#),
            "{name}: {}",
            r.body
        );
        let p = content(&content_app, "GET", &player, None).await;
        assert!(
            p.body.contains(r#""cmi.core.entry":"resume""#)
                && p.body.contains(r#""cmi.suspend_data":"page=1""#),
            "{name}: {}",
            p.body
        );

        // A commit that is not CMI is refused; so is one naming another attempt.
        let bad = serde_json::json!({"item": "ITEM-HSW", "cmi": {"document.cookie": "x"}});
        let r = content(
            &content_app,
            "POST",
            &format!("/play/{token}/commit"),
            Some(&bad.to_string()),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            r.body
        );

        // Another attempt, another person's: its own launch.
        let attempt_id: i64 = attempt.rsplit('/').next().unwrap().parse().unwrap();
        let mine = store
            .attempt(&Scope::Platform, rj1.id, attempt_id)
            .await
            .unwrap()
            .person;
        let other_person = store
            .person_ids(&Scope::Platform, rj1.id)
            .await
            .unwrap()
            .into_iter()
            .find(|p| *p != mine)
            .unwrap();
        let other = store
            .start_attempt(
                &Scope::Platform,
                rj1.id,
                other_person,
                "demo-scorm12-health-safety",
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        let other_token = lantern_web::auth::new_token();
        let now = chrono::Utc::now();
        let other_launch = store
            .launch_package(
                &Scope::Platform,
                rj1.id,
                other.id,
                "package",
                &lantern_web::auth::token_hash(&other_token),
                now,
                now + chrono::TimeDelta::hours(1),
            )
            .await
            .unwrap();
        let naming = serde_json::json!({"item": "ITEM-HSW", "attempt": other.id, "cmi": {"cmi.core.lesson_status": "passed"}});
        let r = content(
            &content_app,
            "POST",
            &format!("/play/{token}/commit"),
            Some(&naming.to_string()),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{name}: a body naming an attempt is refused: {}",
            r.body
        );
        for forged in [
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "x",
            &token[..42],
        ] {
            let r = content(
                &content_app,
                "POST",
                &format!("/play/{forged}/commit"),
                Some(&part.to_string()),
            )
            .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{name}: a forged token");
        }
        assert!(
            store
                .latest_commits(&other_launch)
                .await
                .unwrap()
                .is_empty(),
            "{name}: the other attempt is untouched"
        );
        // An expired launch reaches nothing.
        let old_token = lantern_web::auth::new_token();
        store
            .launch_package(
                &Scope::Platform,
                rj1.id,
                other.id,
                "package",
                &lantern_web::auth::token_hash(&old_token),
                now - chrono::TimeDelta::hours(13),
                now - chrono::TimeDelta::hours(1),
            )
            .await
            .unwrap();
        let r = content(&content_app, "GET", &format!("/play/{old_token}/"), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{name}");

        // Lantern's API and pages answer the content origin nothing: no session, no CORS, the CSRF check refuses.
        let api = Request::get("/api/v1/me/training")
            .header(header::ORIGIN, CONTENT)
            .body(Body::empty())
            .unwrap();
        let res = app.clone().oneshot(api).await.unwrap();
        assert!(
            matches!(res.status().as_u16(), 401 | 404),
            "{name}: {}",
            res.status()
        );
        assert!(
            res.headers().get("access-control-allow-origin").is_none(),
            "{name}"
        );
        let mut forged = learner.clone();
        let csrf = forged.csrf().await;
        let post = Request::post(format!("{attempt}/modules/package/complete"))
            .header(header::ORIGIN, CONTENT)
            .header(header::HOST, "127.0.0.1:8080")
            .header(
                header::COOKIE,
                forged
                    .cookies
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf_token={csrf}")))
            .unwrap();
        let res = app.clone().oneshot(post).await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{name}: a post from the content origin is refused"
        );
        // Each origin serves only its own routes.
        for path in ["/me", "/api/v1/organisations", "/sign-in"] {
            assert_eq!(
                content(&content_app, "GET", path, None).await.status,
                StatusCode::NOT_FOUND,
                "{name}: {path}"
            );
        }
        assert_eq!(
            learner.get(&player).await.status,
            StatusCode::NOT_FOUND,
            "{name}: Lantern does not serve the player"
        );

        // Passing completes the module and the course, and makes the training record.
        let pass = serde_json::json!({"item": "ITEM-HSW", "cmi": {"cmi": {"core": {"lesson_status": "passed",
            "score": {"raw": 100, "min": 0, "max": 100}, "exit": ""}}}});
        let r = content(
            &content_app,
            "POST",
            &format!("/play/{token}/commit"),
            Some(&pass.to_string()),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.body);
        assert!(r.body.contains(r#""complete":true"#), "{name}: {}", r.body);
        let a = store
            .attempt(
                &Scope::Platform,
                rj1.id,
                attempt.rsplit('/').next().unwrap().parse().unwrap(),
            )
            .await
            .unwrap();
        assert!(a.completed_at.is_some(), "{name}");
        let person = store
            .person(&Scope::Platform, rj1.id, a.person)
            .await
            .unwrap();
        assert!(
            person
                .records
                .iter()
                .any(|r| r.record.subject == "cstf.health_safety_welfare"
                    && r.record
                        .evidence_ref
                        .as_deref()
                        .is_some_and(|e| e.contains("demo-scorm12-health-safety"))),
            "{name}: the completion is a training record"
        );
        // The sendBeacon form (text/plain) is accepted too, and a commit after completion changes nothing.
        let r = content(
            &content_app,
            "POST",
            &format!("/play/{token}/commit"),
            Some(&part.to_string()),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.body);
        let attempt_page = learner.get(&attempt).await;
        assert!(attempt_page.body.contains("Completed"), "{name}");
    }
}
