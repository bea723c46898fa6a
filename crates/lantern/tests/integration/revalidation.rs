//! Revalidation evidence over HTTP, on every backend: a nurse records the NMC's items (with a file) until her card
//! says "On track"; bad input is refused field by field; files come back only as downloads of the type recognised;
//! a withdrawn item stops counting; evidence is append-only in the database; her manager sees the team's dates and
//! readiness and may record for her; an auditor reads but does not write.

use crate::web::Client;
use crate::{backends_with_urls, d, test_auth};
use axum::http::StatusCode;
use chrono::Datelike;
use lantern_domain::{Registration, RegulatoryBody};
use lantern_store::{PersonRow, Scope, WriteBatch};

const LEARNER: (&str, &str) = ("learner@demo.lantern.test", "learner-demo-password");
const MANAGER: (&str, &str) = ("manager@demo.lantern.test", "manager-demo-password");
const AUDITOR: (&str, &str) = ("auditor@demo.lantern.test", "auditor-demo-password");

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

/// Records one item through the form; returns the response.
async fn record(
    c: &mut Client,
    page: &str,
    kind: &str,
    on: &str,
    hours: &str,
    note: &str,
    file: (&str, &[u8]),
) -> crate::web::Response {
    c.post_upload(
        page,
        &[
            ("kind", kind),
            ("on", on),
            ("hours", hours),
            ("participatory", "yes"),
            ("note", note),
        ],
        file,
    )
    .await
}

#[tokio::test]
async fn a_nurse_records_her_nmc_evidence_until_she_is_on_track() {
    for (name, store, _dir, url) in backends_with_urls().await {
        lantern::demo::generate(store.as_ref(), 300, 11, d("2026-11-23"), false)
            .await
            .expect("demo");
        lantern::users::demo_accounts(store.as_ref())
            .await
            .expect("accounts");
        let (app, _state) = crate::app_with(&store, test_auth());
        let account = store
            .account_by_email(LEARNER.0)
            .await
            .expect("learner")
            .expect("exists");
        let person = account.person_id.expect("a person");
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        let bundle = store
            .person(&Scope::Platform, rj1.id, person)
            .await
            .expect("bundle");
        // Her renewal date: the last day of the month about seven weeks ahead, so the application window is open.
        let today = chrono::Utc::now().date_naive();
        let ahead = today + chrono::Days::new(50);
        let renewal = ahead
            .with_day(1)
            .and_then(|f| f.checked_add_months(chrono::Months::new(1)))
            .and_then(|n| n.pred_opt())
            .expect("month end");
        let application = ahead.with_day(1).expect("first");
        store
            .write(&WriteBatch {
                people: vec![PersonRow {
                    line: 1,
                    employee_number: bundle.person.employee_number.clone(),
                    given_name: bundle.person.given_name.clone(),
                    family_name: bundle.person.family_name.clone(),
                    email: bundle.person.email.clone(),
                    registrations: vec![Registration {
                        body: RegulatoryBody::Nmc,
                        number: "18A1234E".into(),
                        renewal_date: Some(renewal),
                    }],
                }],
                ..WriteBatch::default()
            })
            .await
            .expect("registration");

        let mut learner = Client::signed_in(&app, LEARNER.0, LEARNER.1).await;
        let page = format!("/orgs/RJ1/people/{person}/revalidation");
        let res = learner.get(&page).await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        assert!(res.body.contains("Record evidence"), "{name}");
        assert!(
            res.body.contains(&format!("Apply by {application}")),
            "{name}: the application date"
        );
        assert!(
            res.body
                .contains("Your application is open: apply on NMC Online by"),
            "{name}: the reminder"
        );
        assert!(res.body.contains("Not yet:"), "{name}");

        // Bad input: each field named, nothing written.
        let day = today.to_string();
        let tomorrow = (today + chrono::Days::new(1)).to_string();
        let html = b"<html><script>alert(1)</script></html>";
        // (kind, on, hours, note, (file name, bytes), the field named)
        type Case<'a> = (
            &'a str,
            &'a str,
            &'a str,
            &'a str,
            (&'a str, &'a [u8]),
            &'a str,
        );
        let cases: [Case; 5] = [
            (
                "nmc.practice_feedback",
                &day,
                "",
                "Ward feedback",
                ("x.html", html),
                "must be a PDF, PNG or JPEG",
            ),
            (
                "nmc.practice_feedback",
                &day,
                "3",
                "Ward feedback",
                ("", b""),
                "has no hours",
            ),
            (
                "gmc.appraisal",
                &day,
                "",
                "Appraisal",
                ("", b""),
                "GMC is not a registration on this person",
            ),
            (
                "nmc.indemnity",
                &tomorrow,
                "",
                "Trust scheme",
                ("", b""),
                "is in the future",
            ),
            (
                "nmc.practice_hours",
                &day,
                "",
                "Ward 10",
                ("", b""),
                "Enter the hours practised",
            ),
        ];
        for (kind, on, hours, note, file, says) in cases {
            let res = record(&mut learner, &page, kind, on, hours, note, file).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: {kind}");
            assert!(res.body.contains(says), "{name}: {kind}: {says}");
            assert!(
                res.body.contains("There is a problem"),
                "{name}: the error summary"
            );
        }
        let api = format!("/api/v1/organisations/RJ1/people/{person}/revalidation");
        assert!(
            learner.get(&api).await.json()["evidence"]
                .as_array()
                .is_some_and(|e| e.is_empty()),
            "{name}: nothing was written"
        );

        // The NMC's items, one by one; practice hours with a signed timesheet.
        let earlier = (today - chrono::Days::new(30)).to_string();
        let res = record(
            &mut learner,
            &page,
            "nmc.practice_hours",
            &earlier,
            "460",
            "Ward 10, three years",
            ("timesheet.pdf", PDF),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert!(res.location().contains("saved=Practice+hours"), "{name}");
        let mut items: Vec<(&str, &str, &str)> = vec![
            ("nmc.cpd_activity", "40", "Paediatric simulation course"),
            (
                "nmc.reflective_discussion",
                "",
                "With J Smith, NMC 12A3456B",
            ),
            ("nmc.health_character", "", "Declared"),
            ("nmc.indemnity", "", "Trust scheme"),
        ];
        for _ in 0..5 {
            items.push(("nmc.practice_feedback", "", "Patient thank-you card"));
            items.push((
                "nmc.reflective_account",
                "",
                "Reflection on a deteriorating patient",
            ));
        }
        for (kind, hours, note) in &items {
            let res = record(&mut learner, &page, kind, &earlier, hours, note, ("", b"")).await;
            assert_eq!(
                res.status,
                StatusCode::SEE_OTHER,
                "{name}: {kind}: {}",
                res.body
            );
        }
        let json = learner.get(&api).await.json();
        assert_eq!(
            json["registrations"][0]["readiness"], "not_yet",
            "{name}: no confirmation yet"
        );
        let confirmation = json["registrations"][0]["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["item"] == "Confirmation")
            .cloned()
            .expect("confirmation check");
        assert_eq!(confirmation["met"], false, "{name}");

        // Her manager records the confirmation, and sees the team's dates and readiness.
        let mut manager = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        let res = record(
            &mut manager,
            &page,
            "nmc.confirmation",
            &day,
            "",
            "Confirmation discussion with her line manager",
            ("", b""),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let json = learner.get(&api).await.json();
        assert_eq!(
            json["registrations"][0]["readiness"], "on_track",
            "{name}: {}",
            json["registrations"][0]["checks"]
        );
        let me = learner.get("/me").await.body;
        assert!(me.contains("On track"), "{name}");
        let team = manager.get("/team/revalidation").await;
        assert_eq!(team.status, StatusCode::OK, "{name}: {}", team.body);
        assert!(
            team.body
                .contains(&format!("/orgs/RJ1/people/{person}/revalidation"))
                && team.body.contains(&format!("Apply by {application}"))
                && team.body.contains("On track"),
            "{name}: the team's dates and readiness"
        );

        // The file comes back as a download of the type recognised, named by Lantern.
        let evidence = json["evidence"].as_array().expect("evidence").clone();
        let hours_item = evidence
            .iter()
            .find(|e| e["kind"] == "practice_hours")
            .expect("practice hours");
        assert_eq!(hours_item["file_name"], "timesheet.pdf", "{name}");
        let id = hours_item["id"].as_i64().expect("id");
        let file_url = format!("{page}/evidence/{id}/file");
        let res = learner.get(&file_url).await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        assert_eq!(res.headers["content-type"], "application/pdf", "{name}");
        assert_eq!(
            res.headers["content-disposition"],
            format!("attachment; filename=\"evidence-{id}.pdf\"").as_str(),
            "{name}"
        );
        assert_eq!(res.headers["x-content-type-options"], "nosniff", "{name}");
        let (status, bytes) = learner.get_bytes(&file_url).await;
        assert_eq!((status, bytes.as_slice()), (StatusCode::OK, PDF), "{name}");
        let other = evidence
            .iter()
            .find(|e| e["kind"] == "indemnity")
            .expect("indemnity")["id"]
            .as_i64()
            .expect("id");
        assert_eq!(
            learner
                .get(&format!("{page}/evidence/{other}/file"))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{name}: an item without a file"
        );

        // An auditor reads and downloads, but records nothing.
        let mut auditor = Client::signed_in(&app, AUDITOR.0, AUDITOR.1).await;
        assert_eq!(
            auditor.get(&file_url).await.status,
            StatusCode::OK,
            "{name}"
        );
        let res = record(
            &mut auditor,
            &page,
            "nmc.indemnity",
            &day,
            "",
            "x y z",
            ("", b""),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}");
        assert!(
            !auditor.get(&page).await.body.contains("Record evidence"),
            "{name}"
        );

        // Withdrawing the confirmation: a reason is needed; then it counts for nothing and says why.
        let confirmation_id = learner.get(&api).await.json()["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .find(|e| e["kind"] == "confirmation")
            .expect("confirmation")["id"]
            .as_i64()
            .expect("id");
        let withdraw = format!("{page}/evidence/{confirmation_id}/withdraw");
        let res = learner.post_form(&withdraw, &[("reason", "")], None).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(res.body.contains("Say why it is withdrawn"), "{name}");
        let res = learner
            .post_form(&withdraw, &[("reason", "Recorded on the wrong date")], None)
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        let json = learner.get(&api).await.json();
        assert_eq!(json["registrations"][0]["readiness"], "not_yet", "{name}");
        let withdrawn = json["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .find(|e| e["id"] == confirmation_id)
            .expect("still listed")["withdrawn"]
            .as_str()
            .expect("withdrawn")
            .to_owned();
        assert!(withdrawn.contains("Recorded on the wrong date"), "{name}");
        let res = learner
            .post_form(&withdraw, &[("reason", "again please")], None)
            .await;
        assert!(res.body.contains("withdrawn already"), "{name}");

        // The database itself refuses to rewrite evidence.
        for sql in [
            "UPDATE revalidation_evidence SET note = 'rewritten'",
            "DELETE FROM revalidation_evidence_files",
            "UPDATE revalidation_evidence_withdrawals SET reason = 'other'",
        ] {
            use sqlx::Connection;
            let res = if url.starts_with("postgres") {
                let mut c = sqlx::PgConnection::connect(&url).await.expect("connect");
                sqlx::query(sql).execute(&mut c).await.map(|_| ())
            } else {
                let mut c = sqlx::SqliteConnection::connect(&url)
                    .await
                    .expect("connect");
                sqlx::query(sql).execute(&mut c).await.map(|_| ())
            };
            let err = res.expect_err(&format!("{name}: {sql} is refused"));
            assert!(err.to_string().contains("append-only"), "{name}: {err}");
        }
    }
}
