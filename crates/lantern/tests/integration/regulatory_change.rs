//! A regulatory change on every backend: CSTF 1.2, which differs from 1.1 only in Fire Safety (every 12 months
//! instead of 24, from 2025-01-01). The measured defect was that `lantern framework load` applied it at once with no
//! preview. Now: the command line and the API preview it and change nothing; an organisation admin may preview but
//! not apply; a platform admin applies it with a transition, once (a second time is refused, nothing sent again); the
//! changes page and API list it with who applied it; the people it makes due and their managers are emailed once.

use crate::auth::{ADMIN, AUDITOR, PLATFORM, world};
use crate::web::Client;
use crate::{backends_with_urls, test_auth};
use axum::http::StatusCode;
use lantern_store::{Scope, Store};
use std::sync::Arc;

const CSTF_1_1: &str = include_str!("../../../../frameworks/cstf-england-1.1.toml");

/// CSTF 1.2 as the measured defect had it.
pub fn cstf_1_2() -> String {
    CSTF_1_1
        .replace("version = \"1.1\"", "version = \"1.2\"")
        .replace(
            "effective_from = \"2021-07-01\"",
            "effective_from = \"2025-01-01\"",
        )
        .replace(
            "subject = \"cstf.fire_safety\"\nlevel = 1\nkind = \"completion\"\nrefresher_months = 24",
            "subject = \"cstf.fire_safety\"\nlevel = 1\nkind = \"completion\"\nrefresher_months = 12",
        )
}

/// Everything the database holds that a change could write, for "nothing changed".
async fn footprint(store: &Arc<dyn Store>) -> (Vec<(String, i64)>, usize, usize) {
    let rj1 = store
        .org_by_code(&Scope::Platform, "RJ1")
        .await
        .expect("RJ1");
    (
        store.table_counts().await.expect("counts"),
        store.mail_log(10_000).await.expect("mail").len(),
        store.applied_changes(rj1.id).await.expect("changes").len(),
    )
}

fn cli(url: &str, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lantern"))
        .arg("--database")
        .arg(url)
        .args(args)
        .env("LANTERN_LOG", "warn")
        .output()
        .expect("run lantern");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_new_cstf_version_is_previewed_then_applied_once_with_a_transition() {
    for (name, store, dir, url) in backends_with_urls().await {
        world(&store).await;
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), cstf_1_2()).expect("write 1.2");
        let path = file.path().to_str().expect("path");
        let before = footprint(&store).await;

        // The command line: without --yes it shows the preview and applies nothing.
        let (ok, out, err) = cli(&url, &["framework", "load", path]);
        assert!(ok, "{name}: {err}");
        assert!(
            out.contains(
                "Core Skills Training Framework (England) 1.2 (cstf-england), effective 2025-01-01"
            ),
            "{name}: {out}"
        );
        assert!(
            out.contains("Rules: 0 added, 0 removed, 1 changed"),
            "{name}: {out}"
        );
        assert!(
            out.contains("~ Fire Safety (level 1) [Shorter refresher period]")
                && out.contains("period: 24 months -> 12 months"),
            "{name}: {out}"
        );
        assert!(out.contains("Records that stop counting:"), "{name}");
        assert!(out.contains("Compliance on 2025-01-01: now"), "{name}");
        assert!(out.contains("Nothing was applied."), "{name}: {out}");
        let (ok, out_dry, _) = cli(&url, &["framework", "load", path, "--yes", "--dry-run"]);
        assert!(ok && out_dry.contains("Nothing was applied."), "{name}");
        let (ok, out_preview, _) = cli(&url, &["framework", "preview", path, "--no-transition"]);
        assert!(ok && out_preview.contains("Transition: none"), "{name}");
        assert_eq!(
            footprint(&store).await,
            before,
            "{name}: previews write nothing"
        );
        // Contradictory flags are refused before anything is read.
        let (ok, _, err) = cli(
            &url,
            &[
                "framework",
                "load",
                path,
                "--transition-days",
                "30",
                "--no-transition",
            ],
        );
        assert!(!ok && err.contains("choose one of"), "{name}: {err}");

        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let request = serde_json::json!({
            "file_name": "cstf-england-1.2.toml",
            "text": cstf_1_2(),
            "transition": "until",
            "transition_until": "2027-03-31",
        });

        // An organisation admin previews their own organisation's impact, and may not apply.
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let res = admin
            .post_json("/api/v1/organisations/RJ1/framework-preview", &request)
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        let preview = res.json();
        assert_eq!(preview["version"], "1.2");
        assert_eq!(preview["already_loaded"], false);
        let rj1 = &preview["organisations"][0];
        assert_eq!(rj1["ods_code"], "RJ1");
        assert_eq!(rj1["transition_ends"], "2027-04-01", "{name}");
        assert_eq!(rj1["summary"]["due_by"], "2027-03-31", "{name}");
        let changed = rj1["summary"]["diff"]["changed"]
            .as_array()
            .expect("changed");
        assert_eq!(changed.len(), 1, "{name}");
        assert_eq!(changed[0]["subject"], "cstf.fire_safety");
        assert!(
            rj1["summary"]["diff"]["added"]
                .as_array()
                .expect("added")
                .is_empty()
                && rj1["summary"]["diff"]["removed"]
                    .as_array()
                    .expect("removed")
                    .is_empty()
        );
        let affected_ids: Vec<i64> = rj1["affected"]
            .as_array()
            .expect("affected")
            .iter()
            .take(25)
            .map(|a| a["person_id"].as_i64().expect("a person"))
            .collect();
        let stopped = rj1["stopped_records"].as_array().expect("stopped").len();
        let affected = rj1["affected"].as_array().expect("affected").len();
        assert!(
            stopped > 0 && affected > 0,
            "{name}: the demo has fire safety done 13 to 24 months before 2025"
        );
        let pct = |k: &str| rj1["summary"][k].as_f64().expect(k);
        assert!(
            pct("with_transition_percent") > pct("without_transition_percent"),
            "{name}: the transition keeps people off overdue"
        );
        let res = admin.post_json("/api/v1/frameworks", &request).await;
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "{name}: a national change is a platform admin's"
        );
        assert_eq!(footprint(&store).await, before, "{name}: nothing written");

        // A bad transition is refused naming the field.
        let mut platform = Client::signed_in(&app, PLATFORM.0, PLATFORM.1).await;
        let mut bad = request.clone();
        bad["transition_until"] = serde_json::json!("2024-12-31");
        let res = platform.post_json("/api/v1/frameworks", &bad).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(
            res.json()["problems"][0]["field"],
            "transition_until",
            "{name}"
        );
        assert_eq!(footprint(&store).await, before, "{name}: nothing written");

        // The platform admin applies it.
        let res = platform.post_json("/api/v1/frameworks", &request).await;
        assert_eq!(res.status, StatusCode::CREATED, "{name}: {}", res.body);
        let applied = res.json();
        let orgs = applied["organisations"].as_array().expect("orgs");
        assert_eq!(
            orgs.len(),
            store.list_orgs(&Scope::Platform).await.expect("orgs").len(),
            "{name}: every organisation at once"
        );
        let rj1_applied = orgs.iter().find(|o| o["ods_code"] == "RJ1").expect("RJ1");
        assert_eq!(
            rj1_applied["affected_people"], affected as u64,
            "{name}: as previewed"
        );
        let emails: u64 = orgs
            .iter()
            .map(|o| o["emails"].as_u64().expect("emails"))
            .sum();
        let mail = store.mail_log(10_000).await.expect("mail");
        assert_eq!(
            mail.len() as u64,
            before.1 as u64 + emails,
            "{name}: the emails are in the outbox"
        );
        assert!(emails > 0, "{name}");
        let fire_mail: Vec<_> = mail
            .iter()
            .filter(|m| {
                m.subject.contains(
                    "new training requirements from Core Skills Training Framework (England) 1.2",
                )
            })
            .collect();
        assert_eq!(fire_mail.len() as u64, emails, "{name}");
        let recipients: std::collections::BTreeSet<_> = fire_mail.iter().map(|m| &m.to).collect();
        assert_eq!(
            recipients.len(),
            fire_mail.len(),
            "{name}: one email per person or manager"
        );

        // The people it made due, through the person page's API twin: in date again (renewed since) or due by the
        // transition's last day, with why; never overdue while it runs.
        let mut due = None;
        for id in &affected_ids {
            let res = admin
                .get(&format!("/api/v1/organisations/RJ1/people/{id}/compliance"))
                .await;
            assert_eq!(res.status, StatusCode::OK, "{name}");
            let person = res.json();
            let fire = person["requirements"]
                .as_array()
                .expect("requirements")
                .iter()
                .find(|r| r["subject"] == "cstf.fire_safety")
                .unwrap_or_else(|| panic!("{name}: fire safety applies: {person}"))
                .clone();
            let status = fire["status"].as_str().expect("status").to_owned();
            assert!(
                ["compliant", "expiring", "pending"].contains(&status.as_str()),
                "{name}: {fire}"
            );
            if status == "pending" {
                assert_eq!(fire["due_on"], "2027-03-31", "{name}: {fire}");
                let t = &fire["explanation"]["transition"];
                assert_eq!(t["framework_version"], "1.2", "{name}: {fire}");
                assert_eq!(t["until"], "2027-03-31", "{name}: {fire}");
                due = Some(*id);
            }
        }
        let due = due.unwrap_or_else(|| panic!("{name}: someone is within the transition"));
        let page = admin.get(&format!("/orgs/RJ1/people/{due}")).await;
        assert!(
            page.body.contains("2027-03-31"),
            "{name}: the person's page says until when"
        );

        // Applied once: the same version again is refused and nothing more is sent.
        let res = platform.post_json("/api/v1/frameworks", &request).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(res.body.contains("already loaded"), "{name}: {}", res.body);
        let (ok, _, err) = cli(&url, &["framework", "load", path, "--yes"]);
        assert!(!ok && err.contains("already loaded"), "{name}: {err}");
        assert_eq!(
            store.mail_log(10_000).await.expect("mail").len(),
            mail.len(),
            "{name}: nothing sent twice"
        );

        // The record of a change is append-only in the database itself.
        for sql in [
            "UPDATE regulatory_changes SET emails = 0",
            "DELETE FROM regulatory_changes",
        ] {
            use sqlx::Connection;
            let res = if url.starts_with("postgres") {
                let mut c = sqlx::PgConnection::connect(&url).await.expect("connect");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .map(|_| ())
            } else {
                let mut c = sqlx::SqliteConnection::connect(&url)
                    .await
                    .expect("connect");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .map(|_| ())
            };
            let err = res.expect_err(&format!("{name}: {sql} is refused"));
            assert!(err.to_string().contains("append-only"), "{name}: {err}");
        }

        // The changes page and its API twin, for admins and auditors.
        let res = admin.get("/api/v1/organisations/RJ1/changes").await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        let list = res.json();
        let change = &list["changes"][0];
        assert_eq!(change["framework_version"], "1.2");
        assert_eq!(change["due_by"], "2027-03-31");
        assert_eq!(change["effective_from"], "2025-01-01");
        assert_eq!(change["applied_by"], "Platform admin", "{name}: {change}");
        let id = change["id"].as_i64().expect("id");
        let mut auditor = Client::signed_in(&app, AUDITOR.0, AUDITOR.1).await;
        let page = auditor.get("/orgs/RJ1/changes").await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert!(
            page.body
                .contains("Core Skills Training Framework (England) 1.2")
                && page.body.contains("Platform admin")
                && page.body.contains("2027-03-31"),
            "{name}"
        );
        let detail = auditor.get(&format!("/orgs/RJ1/changes/{id}")).await;
        assert_eq!(detail.status, StatusCode::OK, "{name}");
        assert!(
            detail.body.contains("24 months") && detail.body.contains("12 months"),
            "{name}"
        );
        drop(dir);
    }
}
