//! The one integration-test binary (one link, not one per file). Storage stories run on every backend: SQLite
//! always, PostgreSQL when LANTERN_TEST_POSTGRES names a server (the README's test command and CI set it; under CI
//! its absence is a failure, so the PostgreSQL run cannot be skipped silently).

mod accounts;
mod admin;
mod api;
mod api_twins;
mod auth;
mod authoring;
mod browser;
mod calendar;
mod cmi5;
mod history;
mod import;
mod learning;
mod learning_content;
mod learning_paths;
mod mail;
mod notices;
mod postgres_tls;
mod read_model;
mod record_keeping;
mod regulators;
mod regulatory_change;
mod reminders;
mod report;
mod report_outputs;
mod reset;
mod revalidation;
mod scorm;
mod server;
mod sim;
mod sim_patient;
mod sim_team;
mod source;
mod sso;
mod story;
mod team_view;
mod throttle;
mod time_zones;
mod tls;
mod transitions;
mod web;
mod xapi;

use lantern_store::Store;
use std::sync::Arc;

/// A fresh, empty database of each backend under test, with the built-in frameworks loaded.
pub async fn backends() -> Vec<(String, Arc<dyn Store>, Option<tempfile::TempDir>)> {
    backends_with_urls()
        .await
        .into_iter()
        .map(|(name, store, dir, _)| (name, store, dir))
        .collect()
}

/// Each backend with the demo world of `staff` people (made with `seed`, as at today) and its demo accounts.
pub async fn demo_backends(
    staff: usize,
    seed: u64,
) -> Vec<(String, Arc<dyn Store>, Option<tempfile::TempDir>)> {
    let out = backends().await;
    for (_, store, _) in &out {
        let today = chrono::Utc::now().date_naive();
        lantern::demo::generate(store.as_ref(), staff, seed, today, false)
            .await
            .expect("demo");
        lantern::users::demo_accounts(store.as_ref())
            .await
            .expect("demo accounts");
    }
    out
}

/// A backend's name, its store, what keeps an SQLite database alive, and the database's URL.
pub type BackendWithUrl = (String, Arc<dyn Store>, Option<tempfile::TempDir>, String);

/// As [`backends`], with each database's URL, for the few tests that must reach past the store (to show that the
/// database itself refuses something, such as an UPDATE of an append-only table).
pub async fn backends_with_urls() -> Vec<BackendWithUrl> {
    let mut out: Vec<BackendWithUrl> = Vec::new();
    let dir = scratch_dir();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = lantern_store::open(&url).await.expect("open sqlite");
    lantern_store::load_built_in_frameworks(store.as_ref())
        .await
        .expect("frameworks");
    out.push(("sqlite".into(), store, Some(dir), url));
    match std::env::var("LANTERN_TEST_POSTGRES") {
        Ok(base) if !base.is_empty() => {
            let (store, url) = fresh_postgres(&base).await;
            lantern_store::load_built_in_frameworks(store.as_ref())
                .await
                .expect("frameworks");
            out.push(("postgres".into(), store, None, url));
        }
        _ if std::env::var("CI").is_ok() => {
            panic!("CI must set LANTERN_TEST_POSTGRES so the PostgreSQL backend is tested")
        }
        _ => eprintln!("LANTERN_TEST_POSTGRES is not set: testing SQLite only"),
    }
    out
}

/// A directory for a test's SQLite database: in memory-backed /dev/shm where there is one, so the database's
/// flushes to disk (synchronous FULL) cost nothing; what the tests check is what is written, not that it survives a
/// power cut.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().expect("temp dir")
}

/// A PostgreSQL store in a schema of its own, so tests run in parallel without seeing each other.
async fn fresh_postgres(base: &str) -> (Arc<dyn Store>, String) {
    use sqlx::Connection;
    let schema = format!("t_{}_{}", std::process::id(), fastrand::u64(..));
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .expect("connect to LANTERN_TEST_POSTGRES");
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SWEPT
        .get_or_init(|| drop_schemas_of_finished_runs(base))
        .await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    // Commits are not flushed to disk before they return: what these tests check is what is written, not that
    // it survives a power cut (PostgreSQL's own guarantee), and waiting on the disk was most of their time.
    let url =
        format!("{base}{sep}options=-c%20search_path%3D{schema}%20-c%20synchronous_commit%3Doff");
    (lantern_store::open(&url).await.expect("open postgres"), url)
}

/// Drops the schemas that earlier test processes left behind (`t_PID_...` whose process has ended), once per
/// process, so the test database does not grow with every run. Schemas of test processes still running are kept.
async fn drop_schemas_of_finished_runs(base: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .expect("connect to LANTERN_TEST_POSTGRES");
    let schemas: Vec<String> =
        sqlx::query_scalar("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%\\_%'")
            .fetch_all(&mut conn)
            .await
            .expect("list test schemas");
    for schema in schemas {
        let Some(pid) = schema.split('_').nth(1).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        // Another process may be sweeping the same schema: either drop is fine.
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE"
        )))
        .execute(&mut conn)
        .await;
    }
}

pub fn d(s: &str) -> chrono::NaiveDate {
    s.parse().expect("date")
}

/// Sign-in settings for tests: no outbox unless a test sets one. An account waiting at an address after failed
/// sign-ins waits ten minutes rather than a second, so no test races the clock: it sees "waiting" or "cleared".
pub fn test_auth() -> lantern_web::AuthConfig {
    lantern_web::AuthConfig {
        throttle: lantern_web::auth::throttle::ThrottlePolicy {
            pair_first_delay: std::time::Duration::from_secs(600),
            ..Default::default()
        },
        ..lantern_web::AuthConfig::default()
    }
}

/// The app and its state, so a test can run the mail deliverer where it chooses.
pub fn app_with(
    store: &std::sync::Arc<dyn Store>,
    auth: lantern_web::AuthConfig,
) -> (axum::Router, lantern_web::AppState) {
    let state = lantern_web::AppState::new(store.clone(), auth);
    (lantern_web::app(state.clone()), state)
}

/// Runs the mail deliverer once, as the background one would, and says what it did.
pub async fn deliver(state: &lantern_web::AppState) -> lantern_web::mail::Delivery {
    lantern_web::mail::deliver_pending(state)
        .await
        .expect("delivery round")
}
