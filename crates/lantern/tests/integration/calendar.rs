//! Calendars of what falls due, on every backend: a learner's dates over the next year as a page and as a feed any
//! calendar app can subscribe to (read back as iCalendar: one all-day event per date, stable identifiers, no name of
//! the person), whose secret link is shown once, replaced and ended; and a team's dates for its manager, as a page and
//! a file whose events are exactly the team's due dates.

use crate::auth::{AUDITOR, LEARNER, MANAGER, world};
use crate::backends;
use crate::test_auth;
use crate::web::Client;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde_json::Value;

/// The events of an iCalendar text: (UID, SUMMARY, DTSTART, DTEND) each.
fn events(ics: &str) -> Vec<(String, String, String, String)> {
    let unfolded = icalendar::parser::unfold(ics);
    let cal = icalendar::parser::read_calendar(&unfolded).expect("a calendar");
    cal.components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .map(|c| {
            let prop = |name: &str| {
                c.find_prop(name)
                    .map(|p| p.val.to_string())
                    .unwrap_or_else(|| panic!("{name} in every event"))
            };
            (prop("UID"), prop("SUMMARY"), prop("DTSTART"), prop("DTEND"))
        })
        .collect()
}

/// How many of these explained requirements fall due from `today` to `until`: in date (expires), pending (due)
/// or exempt (the exemption ends).
fn due_between(reqs: &[Value], today: NaiveDate, until: NaiveDate) -> usize {
    reqs.iter()
        .filter(|r| {
            matches!(
                r["status"].as_str(),
                Some("compliant" | "expiring" | "pending" | "exempt")
            )
        })
        .filter_map(|r| r["due_on"].as_str()?.parse::<NaiveDate>().ok())
        .filter(|d| today <= *d && *d <= until)
        .count()
}

#[tokio::test]
async fn a_learner_subscribes_to_their_dates_and_a_manager_sees_the_teams() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let mut learner = Client::signed_in(&app, LEARNER.0, LEARNER.1).await;
        let training = learner.get("/api/v1/me/training").await.json();
        let mine = &training.as_array().expect("organisations")[0];
        let today: NaiveDate = mine["as_at"].as_str().unwrap().parse().unwrap();
        let expected = due_between(
            mine["requirements"].as_array().unwrap(),
            today,
            today + chrono::Days::new(365),
        );
        assert!(expected > 0, "{name}: the demo learner has dates coming up");

        let page = learner.get("/me/calendar").await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert_eq!(
            page.body.matches("lantern-calendar__day").count(),
            expected,
            "{name}: one line per date"
        );

        // The link is shown once; the feed needs no session and says nothing of who it is for.
        let res = learner.post_form("/me/calendar/link", &[], None).await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        let link = res
            .body
            .split("<code>")
            .nth(1)
            .and_then(|s| s.split("</code>").next())
            .expect("the link")
            .to_owned();
        let path = link
            .strip_prefix("http://127.0.0.1:8080")
            .expect("on the public URL")
            .to_owned();
        assert!(
            !learner.get("/me/calendar").await.body.contains(&path),
            "{name}: never shown again"
        );
        let mut app_client = Client::new(&app);
        let feed = app_client.get(&path).await;
        assert_eq!(feed.status, StatusCode::OK, "{name}");
        assert_eq!(
            feed.headers["content-type"], "text/calendar; charset=utf-8",
            "{name}"
        );
        let got = events(&feed.body);
        assert_eq!(got.len(), expected, "{name}: one event per date");
        for (uid, summary, start, end) in &got {
            assert!(uid.ends_with("@lantern"), "{name}: {uid}");
            assert!(
                summary.ends_with(" expires")
                    || summary.ends_with(" due")
                    || summary.ends_with(" exemption ends"),
                "{name}: {summary}"
            );
            let start = NaiveDate::parse_from_str(start, "%Y%m%d").expect("an all-day date");
            let end = NaiveDate::parse_from_str(end, "%Y%m%d").expect("an all-day date");
            assert_eq!(end, start + chrono::Days::new(1), "{name}: one whole day");
            assert!(today <= start, "{name}: coming up");
        }
        let person = store
            .account_by_email(LEARNER.0)
            .await
            .unwrap()
            .unwrap()
            .display_name;
        assert!(!feed.body.contains(&person), "{name}: no name in the feed");
        let again = events(&app_client.get(&path).await.body);
        assert_eq!(again, got, "{name}: stable identifiers, the same events");

        // A new link ends the old; ending it ends it.
        let res = learner.post_form("/me/calendar/link", &[], None).await;
        let second = res
            .body
            .split("<code>http://127.0.0.1:8080")
            .nth(1)
            .and_then(|s| s.split("</code>").next())
            .expect("a new link")
            .to_owned();
        assert_eq!(
            app_client.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{name}"
        );
        assert_eq!(
            app_client.get(&second).await.status,
            StatusCode::OK,
            "{name}"
        );
        let res = learner.post_form("/me/calendar/link/end", &[], None).await;
        assert_eq!(res.location(), "/me/calendar?ended=yes", "{name}");
        assert_eq!(
            app_client.get(&second).await.status,
            StatusCode::NOT_FOUND,
            "{name}"
        );

        // The manager's team: the page and the file hold exactly the team's dates in the next 90 days.
        let mut manager = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        let team = manager.get("/api/v1/team").await.json();
        let until = today + chrono::Days::new(90);
        let people = team["people"].as_array().unwrap();
        let expected: usize = people
            .iter()
            .map(|p| due_between(p["statuses"].as_array().unwrap(), today, until))
            .sum();
        let unit = team["unit_id"].as_i64().unwrap();
        let page = manager.get(&format!("/team/calendar?unit={unit}")).await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert_eq!(
            page.body.matches("lantern-calendar__day").count(),
            expected,
            "{name}"
        );
        let file = manager
            .get(&format!("/team/calendar.ics?unit={unit}&days=90"))
            .await;
        assert_eq!(file.status, StatusCode::OK, "{name}");
        assert!(
            file.headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with(&format!("attachment; filename=\"team-{unit}-")),
            "{name}"
        );
        let got = events(&file.body);
        assert_eq!(got.len(), expected, "{name}");
        let names: Vec<&str> = people.iter().map(|p| p["name"].as_str().unwrap()).collect();
        for (_, summary, _, _) in &got {
            assert!(
                names.iter().any(|n| summary.starts_with(&format!("{n}: "))),
                "{name}: whose it is: {summary}"
            );
        }
        let mut auditor = Client::signed_in(&app, AUDITOR.0, AUDITOR.1).await;
        assert_eq!(
            auditor
                .get(&format!("/team/calendar?unit={unit}"))
                .await
                .status,
            StatusCode::OK,
            "{name}"
        );
        assert_eq!(
            learner.get("/team/calendar").await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
    }
}
