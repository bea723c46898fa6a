//! Every journey in a real browser, on every backend: a Lantern server on a free port with the demo world and its
//! accounts, walked by e2e/journeys.mjs (playwright-core driving Debian's Chromium, axe-core on every page).
//! Screenshots are kept in target/e2e-screenshots as artefacts.

use crate::{backends, d, test_auth};
use std::path::PathBuf;
use std::process::Command;

fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
}

/// The demo learner's person.
async fn demo_learner(
    store: &std::sync::Arc<dyn lantern_store::Store>,
) -> lantern_domain::PersonId {
    store
        .account_by_email("learner@demo.lantern.test")
        .await
        .expect("the demo learner's account")
        .and_then(|a| a.person_id)
        .expect("the demo learner is a person")
}

/// Withdraws the demo learner's current records of these subjects (so the journey's course is what makes them
/// compliant); the learner.
async fn withdraw_learner_records(
    store: &std::sync::Arc<dyn lantern_store::Store>,
    subjects: &[&str],
    reason: &str,
) -> lantern_domain::PersonId {
    use lantern_store::{Scope, SupersessionRow, WriteBatch};
    let rj1 = store
        .org_by_code(&Scope::Platform, "RJ1")
        .await
        .expect("RJ1");
    let person = demo_learner(store).await;
    let bundle = store
        .person(&Scope::Platform, rj1.id, person)
        .await
        .expect("person");
    let withdrawn: Vec<SupersessionRow> = bundle
        .records
        .iter()
        .filter(|r| r.superseded.is_none() && subjects.contains(&r.record.subject.as_str()))
        .map(|r| SupersessionRow {
            record_id: r.record.id,
            replaced_by: None,
            reason: reason.into(),
        })
        .collect();
    // The journey itself checks that the requirements start out of date: a learner who never had them has nothing
    // to withdraw.
    if !withdrawn.is_empty() {
        store
            .write(&WriteBatch {
                supersessions: withdrawn,
                ..WriteBatch::default()
            })
            .await
            .expect("withdrawn");
    }
    person
}

/// Serves Lantern and its content origin on two listeners and two hosts (127.0.0.1 and localhost), Lantern's public
/// URL its own address (so a cmi5 AU's endpoint and fetch URL reach it), and runs an e2e script against them, told
/// the demo learner's person id (`LEARNER_PERSON`) and where to keep screenshots.
async fn run_with_content_origin(
    store: &std::sync::Arc<dyn lantern_store::Store>,
    script: &str,
    label: &str,
    learner: lantern_domain::PersonId,
) -> std::process::Output {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let content_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let content_url = format!(
        "http://localhost:{}",
        content_listener.local_addr().expect("addr").port()
    );
    let mut auth = test_auth();
    auth.public_url = format!("http://{addr}");
    let content =
        lantern_web::ContentOrigin::new(&content_url, &auth.public_url).expect("content origin");
    let state = lantern_web::AppState::new(store.clone(), auth).with_content(content);
    let server = tokio::spawn(lantern::server::serve(
        listener,
        lantern_web::app(state.clone()),
        lantern::server::Limits::default(),
        std::future::pending(),
    ));
    let content_server = tokio::spawn(lantern::server::serve(
        content_listener,
        lantern_web::content_app(state),
        lantern::server::Limits::default(),
        std::future::pending(),
    ));
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-screenshots");
    let (script, label) = (e2e_dir().join(script), label.to_owned());
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .env("BASE_URL", format!("http://{addr}"))
            .env("CONTENT_URL", content_url)
            .env("SCREENSHOTS", &shots)
            .env("LABEL", &label)
            .env("LEARNER_PERSON", learner.0.to_string())
            .output()
            .expect("run node")
    })
    .await
    .expect("the journey runs");
    server.abort();
    content_server.abort();
    out
}

/// A journey script's run passed: it exited 0 (every check held) and ran axe on its pages.
fn assert_journey(out: &std::process::Output, name: &str, what: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name}: the {what} failed\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("pages checked with axe"),
        "{name}: {stdout}"
    );
}

/// Makes sure Chromium and the npm packages are there (installing them when this machine allows). Once per test
/// process: the browser tests run in parallel, and two installers at once fight over apt's lock.
fn setup() {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(install);
}

fn install() {
    let dir = e2e_dir();
    let ready = std::path::Path::new("/usr/bin/chromium").exists()
        && dir.join("node_modules/playwright-core").exists()
        && dir.join("node_modules/axe-core").exists()
        && dir.join("node_modules/@xapi/xapi").exists()
        && dir.join("node_modules/@xapi/cmi5").exists();
    if !ready {
        let status = Command::new("bash")
            .arg(dir.join("setup.sh"))
            .status()
            .expect("run e2e/setup.sh");
        assert!(
            status.success(),
            "e2e/setup.sh failed: the browser tests need Chromium and npm"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_journeys_in_chromium() {
    tokio::task::spawn_blocking(setup).await.expect("setup");
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-screenshots");
    for (name, store, _dir) in backends().await {
        lantern::demo::generate(store.as_ref(), 400, 3, d("2026-11-23"), false)
            .await
            .expect("demo");
        lantern::users::demo_accounts(store.as_ref())
            .await
            .expect("demo accounts");
        // The learner's fire safety has expired, and a course renews it (the test-out journey).
        let rj1 = store
            .org_by_code(&lantern_store::Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        let learner = demo_learner(&store).await;
        crate::learning_paths::renewal(
            &store,
            &rj1,
            learner,
            "cstf.fire_safety",
            1,
            "A fire safety renewal",
        )
        .await;
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        // The server the binary runs (timeouts, connection limit), so the browser meets it as people do.
        let server = tokio::spawn(lantern::server::serve(
            listener,
            app,
            lantern::server::Limits::default(),
            std::future::pending(),
        ));
        let shots = shots.clone();
        let label = name.clone();
        let out = tokio::task::spawn_blocking(move || {
            Command::new("node")
                .arg(e2e_dir().join("journeys.mjs"))
                .env("BASE_URL", format!("http://{addr}"))
                .env("SCREENSHOTS", &shots)
                .env("LABEL", &label)
                .env("LEARNER_PERSON", learner.0.to_string())
                .output()
                .expect("run node")
        })
        .await
        .expect("journeys");
        server.abort();
        assert_journey(&out, &name, "browser journeys");
    }
}

/// SCORM packages in Chromium, on every backend (e2e/scorm.mjs): Lantern and the content origin on two listeners
/// and two hosts (127.0.0.1 and localhost), the demo learner out of date with the two requirements the demo packages
/// satisfy, and a hostile package imported beside them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scorm_packages_in_chromium() {
    use lantern_store::*;
    tokio::task::spawn_blocking(setup).await.expect("setup");
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/integration/fixtures/hostile-package");
    for (name, store, _dir) in crate::demo_backends(200, 3).await {
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        // Both out of date until the packages are done.
        let person = withdraw_learner_records(
            &store,
            &[
                "cstf.health_safety_welfare",
                "cstf.equality_diversity_human_rights",
            ],
            "withdrawn for the SCORM journey",
        )
        .await;
        let files: Vec<(String, Vec<u8>)> = ["imsmanifest.xml", "hostile.html", "hostile.js"]
            .iter()
            .map(|f| {
                (
                    (*f).to_owned(),
                    std::fs::read(fixtures.join(f)).expect("fixture"),
                )
            })
            .collect();
        let entries: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let zip = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            zip.path(),
            lantern::demo::packages::zip_of(&entries).unwrap(),
        )
        .unwrap();
        lantern_web::learning::import_package(
            store.as_ref(),
            rj1.id,
            None,
            chrono::Utc::now(),
            zip.path(),
            lantern_web::learning::CourseSettings {
                code: "hostile-package".into(),
                ..Default::default()
            },
        )
        .await
        .expect("the hostile package imports: it is well formed");

        let out = run_with_content_origin(&store, "scorm.mjs", &name, person).await;
        assert_journey(&out, &name, "SCORM journeys");
    }
}

/// An off-the-shelf xAPI client (xAPI.js, from npm) pointed at /xapi/ with a Basic key exercises every resource it
/// knows, on every backend (e2e/xapi-client.mjs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_the_shelf_xapi_client() {
    tokio::task::spawn_blocking(setup).await.expect("setup");
    for (name, store, _dir) in backends().await {
        lantern::demo::generate(store.as_ref(), 100, 3, d("2026-11-23"), false)
            .await
            .expect("demo");
        let org = store
            .org_by_code(&lantern_store::Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        let (key, secret, hash) = lantern_web::xapi::auth::new_credential();
        store
            .create_lrs_credential(
                &lantern_store::lrs::NewLrsCredential {
                    org: org.id,
                    name: "xAPI.js",
                    api_key: &key,
                    secret_hash: &hash,
                    can_write: true,
                    default_version: lantern_xapi::Version::V1_0_3,
                },
                chrono::Utc::now(),
            )
            .await
            .expect("credential");
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        let out = tokio::task::spawn_blocking(move || {
            Command::new("node")
                .arg(e2e_dir().join("xapi-client.mjs"))
                .env("BASE_URL", format!("http://{addr}"))
                .env("LRS_KEY", key)
                .env("LRS_SECRET", secret)
                .output()
                .expect("run node")
        })
        .await
        .expect("client");
        server.abort();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{name}: the xAPI client failed\n{stdout}\n{stderr}"
        );
        assert!(stdout.contains("xAPI.js: "), "{name}: {stdout}");
    }
}

/// A cmi5 AU written with the npm package @xapi/cmi5, a real client library, in Chromium on every backend
/// (e2e/cmi5-client.mjs): the package is e2e/cmi5-client/ with the library's browser build from e2e/node_modules,
/// zipped here and imported as an organisation admin's upload would be; the library's launch, token, LaunchData and
/// statements make fire safety compliant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cmi5_client_library_in_chromium() {
    tokio::task::spawn_blocking(setup).await.expect("setup");
    let dir = e2e_dir();
    let read = |p: PathBuf| std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let files = [
        ("cmi5.xml", read(dir.join("cmi5-client/cmi5.xml"))),
        ("au.html", read(dir.join("cmi5-client/au.html"))),
        ("au.js", read(dir.join("cmi5-client/au.js"))),
        (
            "Cmi5.umd.js",
            read(dir.join("node_modules/@xapi/cmi5/dist/Cmi5.umd.js")),
        ),
    ];
    let entries: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let package = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        package.path(),
        lantern::demo::packages::zip_of(&entries).expect("zip"),
    )
    .expect("write the package");
    for (name, store, _dir) in crate::demo_backends(200, 3).await {
        let rj1 = store
            .org_by_code(&lantern_store::Scope::Platform, "RJ1")
            .await
            .unwrap();
        lantern_web::learning::cmi5::import_cmi5(
            store.as_ref(),
            rj1.id,
            None,
            chrono::Utc::now(),
            package.path(),
            lantern_web::learning::CourseSettings {
                code: "e2e-cmi5-client".into(),
                satisfies: vec![lantern_learning::course::Satisfies {
                    subject: lantern_domain::Subject::from_static("cstf.fire_safety"),
                    level: 1,
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let person = withdraw_learner_records(
            &store,
            &["cstf.fire_safety"],
            "withdrawn for the cmi5 client library journey",
        )
        .await;
        let out = run_with_content_origin(&store, "cmi5-client.mjs", &name, person).await;
        assert_journey(&out, &name, "cmi5 client library journey");
    }
}

/// The demo cmi5 course in Chromium, on every backend (e2e/cmi5.mjs): Lantern (whose public URL is the server's own
/// address, so the AU's endpoint and fetch URL reach it) and the content origin on two listeners and two hosts, the
/// demo learner's fire safety records withdrawn so that the cmi5 course is what makes it compliant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cmi5_course_in_chromium() {
    tokio::task::spawn_blocking(setup).await.expect("setup");
    for (name, store, _dir) in crate::demo_backends(200, 3).await {
        let person = withdraw_learner_records(
            &store,
            &["cstf.fire_safety"],
            "withdrawn for the cmi5 journey",
        )
        .await;
        let out = run_with_content_origin(&store, "cmi5.mjs", &name, person).await;
        assert_journey(&out, &name, "cmi5 journey");
    }
}

/// The deterioration course and its sepsis simulation in Chromium, on every backend (e2e/simulation.mjs): the lesson,
/// the simulation played in the player to a passing debrief, and the course's module complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sepsis_simulation_in_chromium() {
    tokio::task::spawn_blocking(setup).await.expect("setup");
    for (name, store, _dir) in crate::demo_backends(60, 3).await {
        let learner = demo_learner(&store).await;
        let out = run_with_content_origin(&store, "simulation.mjs", &name, learner).await;
        assert_journey(&out, &name, "simulation journey");
    }
}
