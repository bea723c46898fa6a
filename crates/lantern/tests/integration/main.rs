//! The one integration-test binary (one link, not one per file). Storage stories run on every backend: SQLite
//! always, PostgreSQL when LANTERN_TEST_POSTGRES names a server (the README's test command and CI set it; under CI
//! its absence is a failure, so the PostgreSQL run cannot be skipped silently).

mod admin;
mod api;
mod auth;
mod browser;
mod import;
mod mail;
mod report;
mod report_outputs;
mod source;
mod sso;
mod story;
mod web;
mod xapi;

use lantern_store::Store;
use std::sync::Arc;

/// A fresh, empty database of each backend under test, with the built-in frameworks loaded.
pub async fn backends() -> Vec<(String, Arc<dyn Store>, Option<tempfile::TempDir>)> {
    let mut out: Vec<(String, Arc<dyn Store>, Option<tempfile::TempDir>)> = Vec::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = lantern_store::open(&url).await.expect("open sqlite");
    lantern_store::load_built_in_frameworks(store.as_ref())
        .await
        .expect("frameworks");
    out.push(("sqlite".into(), store, Some(dir)));
    match std::env::var("LANTERN_TEST_POSTGRES") {
        Ok(base) if !base.is_empty() => {
            let store = fresh_postgres(&base).await;
            lantern_store::load_built_in_frameworks(store.as_ref())
                .await
                .expect("frameworks");
            out.push(("postgres".into(), store, None));
        }
        _ if std::env::var("CI").is_ok() => {
            panic!("CI must set LANTERN_TEST_POSTGRES so the PostgreSQL backend is tested")
        }
        _ => eprintln!("LANTERN_TEST_POSTGRES is not set: testing SQLite only"),
    }
    out
}

/// A PostgreSQL store in a schema of its own, so tests run in parallel without seeing each other.
async fn fresh_postgres(base: &str) -> Arc<dyn Store> {
    use sqlx::Connection;
    let schema = format!("t_{}_{}", std::process::id(), fastrand::u64(..));
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .expect("connect to LANTERN_TEST_POSTGRES");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    lantern_store::open(&url).await.expect("open postgres")
}

pub fn d(s: &str) -> chrono::NaiveDate {
    s.parse().expect("date")
}

/// Sign-in settings for tests: no outbox unless a test sets one.
pub fn test_auth() -> lantern_web::AuthConfig {
    lantern_web::AuthConfig::default()
}
