//! PostgreSQL over TLS, as managed PostgreSQL services require (`sslmode=require`, or `verify-full` with the
//! service's CA as `sslrootcert`), against the local server with its self-signed certificate. The store's own
//! connections are checked in `pg_stat_ssl`, found by the `application_name` the URL gives them.

use sqlx::Connection;

/// The server's TLS certificate file, when the server does TLS (`ssl = on`).
async fn server_certificate(base: &str) -> Option<String> {
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .expect("connect to LANTERN_TEST_POSTGRES");
    let ssl: String = sqlx::query_scalar("SHOW ssl")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    if ssl != "on" {
        return None;
    }
    sqlx::query_scalar("SHOW ssl_cert_file")
        .fetch_one(&mut conn)
        .await
        .ok()
}

/// Every connection the store opened under `app` is encrypted, and there is at least one.
async fn encrypted(base: &str, app: &str) -> (i64, bool) {
    let mut conn = sqlx::PgConnection::connect(base).await.unwrap();
    let (n, all): (i64, Option<bool>) = sqlx::query_as(
        "SELECT count(*), bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
         WHERE a.application_name = $1",
    )
    .bind(app)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    (n, all.unwrap_or(false))
}

#[tokio::test]
async fn the_store_connects_to_postgresql_over_tls() {
    let base = match std::env::var("LANTERN_TEST_POSTGRES") {
        Ok(b) if !b.is_empty() => b,
        _ if std::env::var("CI").is_ok() => panic!("CI must set LANTERN_TEST_POSTGRES"),
        _ => return eprintln!("LANTERN_TEST_POSTGRES is not set: PostgreSQL TLS not tested"),
    };
    let Some(cert_file) = server_certificate(&base).await else {
        // Under CI a server without TLS must not let this test pass unseen.
        assert!(
            std::env::var("CI").is_err(),
            "the PostgreSQL at LANTERN_TEST_POSTGRES does not do TLS (ssl = off), so TLS cannot be tested"
        );
        return eprintln!("the PostgreSQL server has ssl = off: TLS not tested");
    };
    let schema = format!("t_{}_{}", std::process::id(), fastrand::u64(..));
    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let with = |params: &str| format!("{base}{sep}options=-c%20search_path%3D{schema}&{params}");

    // sslmode=require: encrypted, the certificate not checked (as libpq does).
    let app = format!("lantern_tls_require_{}", fastrand::u32(..));
    let store = lantern_store::open(&with(&format!("sslmode=require&application_name={app}")))
        .await
        .expect("a store over TLS (sslmode=require)");
    lantern_store::load_built_in_frameworks(store.as_ref())
        .await
        .unwrap();
    let (n, all) = encrypted(&base, &app).await;
    assert!(n >= 1, "the store holds connections");
    assert!(all, "every connection of the store is encrypted");

    // sslmode=verify-full with the server's certificate as the root: checked, including the host name.
    let local = base.contains("@127.0.0.1") || base.contains("@localhost");
    if local && std::path::Path::new(&cert_file).exists() {
        let by_name = with("").replace("@127.0.0.1", "@localhost");
        let app = format!("lantern_tls_verify_{}", fastrand::u32(..));
        let store = lantern_store::open(&format!(
            "{by_name}sslmode=verify-full&sslrootcert={cert_file}&application_name={app}"
        ))
        .await
        .expect("a store over verified TLS (sslmode=verify-full)");
        assert!(store.table_counts().await.is_ok());
        let (n, all) = encrypted(&base, &app).await;
        assert!(n >= 1 && all, "verified connections are encrypted");

        // A root that did not issue the server's certificate is refused: the check is real.
        let wrong =
            std::env::temp_dir().join(format!("lantern-wrong-ca-{}.pem", std::process::id()));
        std::fs::write(&wrong, include_str!("fixtures/test-ca.pem")).unwrap();
        let refused = lantern_store::open(&format!(
            "{by_name}sslmode=verify-full&sslrootcert={}",
            wrong.display()
        ))
        .await;
        let _ = std::fs::remove_file(&wrong);
        assert!(refused.is_err(), "a certificate from another CA is refused");
    } else {
        eprintln!("the PostgreSQL server is not local: verify-full not tested");
    }
}
