//! The auditor's point-in-time report, on every backend: what it covers, its content hash, and the downloads.

use crate::web::Client;
use crate::{backends, d, test_auth};
use axum::http::StatusCode;
use lantern_store::Scope;
use sha2::{Digest, Sha256};

#[tokio::test]
async fn an_auditor_downloads_a_point_in_time_report_with_a_content_hash() {
    for (name, store, _dir) in backends().await {
        lantern::demo::generate(store.as_ref(), 300, 13, d("2026-11-23"), false)
            .await
            .expect("demo");
        lantern::users::demo_accounts(store.as_ref())
            .await
            .expect("accounts");
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let mut auditor =
            Client::signed_in(&app, "auditor@demo.lantern.test", "auditor-demo-password").await;

        let page = auditor.get("/orgs/RJ1/report?as_at=2025-06-30").await;
        assert_eq!(page.status, StatusCode::OK, "{name}: {}", page.body);
        assert!(
            page.body.contains("Compliance report as at 2025-06-30"),
            "{name}"
        );
        assert!(page.body.contains("Generated"), "{name}");

        let csv = auditor.get("/orgs/RJ1/report.csv?as_at=2025-06-30").await;
        assert_eq!(csv.status, StatusCode::OK, "{name}");
        let stated = csv.headers["x-content-sha256"]
            .to_str()
            .expect("hash")
            .to_owned();
        assert_eq!(
            hex::encode(Sha256::digest(csv.body.as_bytes())),
            stated,
            "{name}: the hash is the CSV's"
        );
        assert!(
            page.body.contains(&stated),
            "{name}: the page states the same hash"
        );
        let again = auditor.get("/orgs/RJ1/report.csv?as_at=2025-06-30").await;
        assert_eq!(
            again.body, csv.body,
            "{name}: the same data and date give the same bytes"
        );

        // One row per person in post on the date, one status column pair per requirement.
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        let people = store
            .people(&Scope::Platform, rj1.id, &lantern_store::PeopleFilter::All)
            .await
            .expect("people");
        let in_post = people
            .iter()
            .filter(|p| p.posts.iter().any(|x| x.active_on(d("2025-06-30"))))
            .count();
        let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
        let header = reader.headers().expect("header").clone();
        assert_eq!(&header[0], "Employee number", "{name}");
        assert!(
            header.iter().any(|h| h == "Fire Safety L1"),
            "{name}: {header:?}"
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), in_post, "{name}: everyone in post on the date");
        assert!(rows.iter().all(|r| r.len() == header.len()), "{name}");
        let statuses = [
            "Compliant",
            "Expiring soon",
            "Expired",
            "Missing",
            "Not yet due",
            "Exempt",
            "Not applicable",
        ];
        assert!(rows.iter().all(|r| statuses.contains(&&r[3])), "{name}");
        // A different date gives a different report.
        let later = auditor.get("/orgs/RJ1/report.csv?as_at=2026-11-23").await;
        assert_ne!(
            later.headers["x-content-sha256"], csv.headers["x-content-sha256"],
            "{name}"
        );

        // A unit's report is the unit's people only.
        let ctx = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("ctx");
        let ward = ctx
            .units
            .iter()
            .find(|u| u.parent_id.is_some())
            .expect("a unit");
        let unit_csv = auditor
            .get(&format!(
                "/orgs/RJ1/report.csv?as_at=2025-06-30&unit={}",
                ward.id
            ))
            .await;
        assert_eq!(unit_csv.status, StatusCode::OK, "{name}");
        assert!(
            unit_csv.body.lines().count() < csv.body.lines().count(),
            "{name}"
        );

        let xlsx = auditor.get("/orgs/RJ1/report.xlsx?as_at=2025-06-30").await;
        assert_eq!(xlsx.status, StatusCode::OK, "{name}");
        assert!(
            xlsx.headers["content-type"]
                .to_str()
                .unwrap()
                .contains("spreadsheetml"),
            "{name}"
        );
        let pdf = auditor.get("/orgs/RJ1/report.pdf?as_at=2025-06-30").await;
        assert_eq!(pdf.status, StatusCode::OK, "{name}");
        assert!(pdf.body.starts_with("%PDF-"), "{name}");

        // The leader's view: pictures with their figures beside them.
        let trends = auditor.get("/orgs/RJ1/trends").await;
        assert_eq!(trends.status, StatusCode::OK, "{name}");
        assert!(
            trends.body.matches("<polyline").count() >= 10,
            "{name}: a trend line per requirement"
        );
        assert!(
            trends.body.contains("Falling due in the next 90 days")
                && trends.body.contains("<rect"),
            "{name}"
        );
        assert!(
            trends.body.contains("role=\"img\""),
            "{name}: charts are labelled images"
        );

        let bad = auditor.get("/orgs/RJ1/report?as_at=yesterday").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{name}");
        let mut manager =
            Client::signed_in(&app, "manager@demo.lantern.test", "manager-demo-password").await;
        assert_eq!(
            manager.get("/orgs/RJ1/report.csv").await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
    }
}
