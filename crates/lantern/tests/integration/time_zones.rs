//! Each organisation's time zone: "today" and "the end of a day" are the organisation's own. The zone's own rules
//! (00:30 on a BST day is that day in London) are unit-tested in `lantern_domain::local_time`; here the whole path is:
//! the settings form, the store's column and append-only history on both backends, and the answers that use them.

use crate::auth::{ADMIN, AUDITOR, world};
use crate::web::Client;
use crate::{backends_with_urls, test_auth};
use axum::http::StatusCode;
use chrono::{Days, NaiveDate, Utc};
use lantern_domain::access::Scope;
use lantern_domain::local_time::TimeZone;
use lantern_domain::{AccountId, PersonId, Subject};
use lantern_store::Store;
use std::sync::Arc;

/// The organisation's date now, as the test sees it, before and after the request (a request may cross midnight).
fn dates_around(zone: TimeZone, before: chrono::DateTime<Utc>) -> [NaiveDate; 2] {
    [zone.date_at(before), zone.date_at(Utc::now())]
}

async fn set_zone(store: &Arc<dyn Store>, zone: &str, by: AccountId) {
    let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
    store
        .set_time_zone(
            rj1.id,
            TimeZone::parse(zone).expect("a zone"),
            by,
            Utc::now(),
        )
        .await
        .expect("set");
}

#[tokio::test]
async fn today_and_the_end_of_a_day_are_the_organisations_own() {
    for (name, store, _dir, url) in backends_with_urls().await {
        world(&store).await;
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        assert_eq!(
            rj1.time_zone,
            TimeZone::DEFAULT,
            "{name}: London by default"
        );
        let admin = store.account_by_email(ADMIN.0).await.unwrap().unwrap();
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));

        // The settings page offers the zones with the organisation's chosen, and refuses one that is not a zone.
        let mut c = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let page = c.get("/orgs/RJ1/admin/settings").await;
        assert!(
            page.body
                .contains(r#"<option value="Europe/London" selected>"#),
            "{name}: {}",
            page.body
        );
        assert!(
            page.body.contains(r#"<option value="Pacific/Kiritimati">"#),
            "{name}"
        );
        let res = c
            .post_form(
                "/orgs/RJ1/admin/settings/time-zone",
                &[("time_zone", "Europe/Londres")],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body.contains("Choose a time zone from the list"),
            "{name}"
        );
        let res = c
            .post_form(
                "/orgs/RJ1/admin/settings/time-zone",
                &[("time_zone", "Pacific/Kiritimati")],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        assert_eq!(rj1.time_zone.name(), "Pacific/Kiritimati", "{name}");
        let history = store.time_zone_history(rj1.id).await.unwrap();
        assert_eq!(history.len(), 1, "{name}");
        assert_eq!(history[0].recorded_by, admin.id, "{name}: who changed it");

        // "Today" is the organisation's date: 14 hours ahead of UTC and 12 behind are different days for 20 hours
        // of every day, and the API's default as_at follows each.
        let mut auditor = Client::signed_in(&app, AUDITOR.0, AUDITOR.1).await;
        for zone in ["Etc/GMT-14", "Etc/GMT+12"] {
            set_zone(&store, zone, admin.id).await;
            let before = Utc::now();
            let res = auditor.get("/api/v1/organisations/RJ1/compliance").await;
            assert_eq!(res.status, StatusCode::OK, "{name}");
            let as_at: NaiveDate = res.json()["as_at"].as_str().unwrap().parse().unwrap();
            let zone = TimeZone::parse(zone).unwrap();
            assert!(
                dates_around(zone, before).contains(&as_at),
                "{name}: today in {zone} is {:?}, the API said {as_at}",
                dates_around(zone, before)
            );
            let res = auditor.get("/api/v1/organisations/RJ1/trends").await;
            let today: NaiveDate = res.json()["today"].as_str().unwrap().parse().unwrap();
            assert!(dates_around(zone, before).contains(&today), "{name}");
        }

        // "Known at a date" is the end of that day where the organisation is. A record written now is known at the
        // end of today there, and not at the end of yesterday, whichever zone; under UTC's days one of the two
        // zones below would get it wrong at any hour.
        let people = store
            .people(&Scope::Platform, rj1.id, &lantern_store::PeopleFilter::All)
            .await
            .unwrap();
        let someone = people
            .iter()
            .find(|p| p.posts.iter().any(|x| x.end.is_none()))
            .expect("someone in post");
        let written = Utc::now();
        let mut batch = lantern_store::WriteBatch::default();
        batch.records.push(lantern_store::RecordRow {
            line: 1,
            employee_number: someone.person.employee_number.clone(),
            subject: Subject::from_static("cstf.fire_safety"),
            level: 1,
            completed_on: TimeZone::DEFAULT.date_at(written) - Days::new(1),
            hours: None,
            provider: "Time zone test".into(),
            provider_type: lantern_domain::ProviderType::NhsTrust,
            provider_org: None,
            source: lantern_domain::RecordSource::Elearning,
            evidence_ref: Some("tz-test".into()),
            recorded_at: None,
        });
        store.write(&batch).await.expect("record written");
        for zone in ["Etc/GMT-14", "Etc/GMT+12"] {
            set_zone(&store, zone, admin.id).await;
            let tz = TimeZone::parse(zone).unwrap();
            let day = tz.date_at(written);
            let has_record = |body: &serde_json::Value| {
                body["records"]
                    .as_array()
                    .expect("records")
                    .iter()
                    .any(|r| r["evidence_ref"] == "tz-test")
            };
            let person = PersonId(someone.person.id.0);
            let on_the_day = auditor
                .get(&format!(
                    "/api/v1/organisations/RJ1/people/{person}/compliance?known_at={day}"
                ))
                .await;
            assert_eq!(
                on_the_day.status,
                StatusCode::OK,
                "{name}: {}",
                on_the_day.body
            );
            assert!(
                has_record(&on_the_day.json()),
                "{name}: written on {day} in {zone}, known at its end"
            );
            let day_before = auditor
                .get(&format!(
                    "/api/v1/organisations/RJ1/people/{person}/compliance?known_at={}",
                    day - Days::new(1)
                ))
                .await;
            assert!(
                !has_record(&day_before.json()),
                "{name}: not known at the end of the day before, in {zone}"
            );
        }

        // The history is append-only in the database itself.
        let is_pg = url.starts_with("postgres");
        for sql in [
            "UPDATE organisation_time_zones SET time_zone = 'UTC'",
            "DELETE FROM organisation_time_zones",
        ] {
            let res = if is_pg {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&url).await.expect("connect");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .map(|_| ())
            } else {
                use sqlx::Connection;
                let mut c = sqlx::SqliteConnection::connect(&url)
                    .await
                    .expect("connect");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .map(|_| ())
            };
            let e = res.expect_err("refused");
            assert!(e.to_string().contains("append-only"), "{name}: {e}");
        }
        assert_eq!(
            store.time_zone_history(rj1.id).await.unwrap().len(),
            5,
            "{name}: every change kept"
        );
    }
}
