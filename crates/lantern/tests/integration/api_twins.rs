//! The views that pages share with the API, read both ways: My team (its filter and whom to remind), the trends
//! (series, forecast, units below target) and the rules with what a new version may change. A page and its API twin
//! must say the same thing, because both are one view.

use crate::auth::{ADMIN, AUDITOR, MANAGER, world};
use crate::backends;
use crate::test_auth;
use crate::web::Client;
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn team_trends_and_rules_answer_the_same_in_the_api_as_on_their_pages() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));

        // My team: the API's people and reminder targets are the page's rows and "Remind everyone (N)".
        let mut manager = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        let api = manager.get("/api/v1/team").await;
        assert_eq!(api.status, StatusCode::OK, "{name}: {}", api.body);
        let team = api.json();
        let page = manager.get("/team").await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        let people = team["people"].as_array().expect("people");
        assert!(!people.is_empty(), "{name}: the manager's ward has people");
        assert!(
            page.body
                .contains(&format!("{} people by requirement", people.len())),
            "{name}"
        );
        let targets = team["reminder_targets"].as_array().expect("targets");
        assert!(
            !targets.is_empty(),
            "{name}: someone on the ward is overdue"
        );
        assert!(
            page.body.contains(&format!("({})</a>", targets.len())),
            "{name}: the page's Remind everyone counts the same people"
        );
        for t in targets {
            assert!(
                t["overdue"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|s| s["status"] == "expired" || s["status"] == "missing"),
                "{name}: a reminder is about overdue requirements only: {t}"
            );
        }
        // Filtered to one overdue requirement, only those overdue on it are shown, and reminded about it alone.
        let overdue = &targets[0]["overdue"][0];
        let key = format!(
            "{}:{}",
            overdue["subject"].as_str().unwrap(),
            overdue["level"]
        );
        let filtered = manager
            .get(&format!(
                "/api/v1/team?requirement={key}&status={}",
                overdue["status"].as_str().unwrap()
            ))
            .await
            .json();
        assert_eq!(filtered["columns"].as_array().unwrap().len(), 1, "{name}");
        for t in filtered["reminder_targets"].as_array().unwrap() {
            let about: Vec<String> = t["overdue"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| format!("{}:{}", s["subject"].as_str().unwrap(), s["level"]))
                .collect();
            assert_eq!(about, std::slice::from_ref(&key), "{name}");
        }
        let bad = manager.get("/api/v1/team?status=late").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            bad.json()["error"].as_str().unwrap().contains("status"),
            "{name}"
        );
        assert_eq!(
            manager.get("/api/v1/team?unit=999999").await.status,
            StatusCode::NOT_FOUND,
            "{name}: a unit they do not manage"
        );

        // Trends: one series per requirement, 24 points each, a 13-week forecast, units below target only.
        let mut auditor = Client::signed_in(&app, AUDITOR.0, AUDITOR.1).await;
        let api = auditor.get("/api/v1/organisations/RJ1/trends").await;
        assert_eq!(api.status, StatusCode::OK, "{name}: {}", api.body);
        let trends = api.json();
        let series = trends["requirements"].as_array().expect("series");
        assert!(series.len() >= 10, "{name}");
        assert!(
            series
                .iter()
                .all(|s| s["percent"].as_array().unwrap().len() == 24),
            "{name}"
        );
        assert_eq!(trends["forecast"].as_array().unwrap().len(), 13, "{name}");
        let target = trends["target_percent"].as_f64().unwrap();
        for u in trends["worst_units"].as_array().unwrap() {
            assert!(u["percent"].as_f64().unwrap() < target, "{name}: {u}");
        }
        let page = auditor.get("/orgs/RJ1/trends").await;
        assert_eq!(
            page.body.matches("<polyline").count(),
            series
                .iter()
                .filter(|s| s["percent"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| !p.is_null()))
                .count(),
            "{name}: a chart per series"
        );
        let total: u64 = trends["forecast"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["falling_overdue"].as_u64().unwrap())
            .sum();
        assert!(
            page.body
                .contains(&format!("<strong>{total}</strong> more requirements")),
            "{name}: the page's forecast total is the API's"
        );

        // Rules: what may change, the same policy from the form and from the API.
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let rules = admin.get("/api/v1/organisations/RJ1/rules").await.json();
        let requirements = rules["requirements"].as_array().expect("requirements");
        // A CSTF subject whose period the framework gives: a local period needs its risk assessment named.
        let national = requirements
            .iter()
            .find(|r| {
                r["period_needs_assessment"] == true
                    && r["versions"][0]["refresher_months"].is_u64()
            })
            .expect("a CSTF period the framework gives");
        let adjustable = requirements
            .iter()
            .find(|r| r["period_may_change"] == true && r["period_needs_assessment"] == false)
            .expect("an adjustable period");
        let after = |r: &serde_json::Value| {
            chrono::NaiveDate::parse_from_str(r["new_version_after"].as_str().unwrap(), "%Y-%m-%d")
                .unwrap()
        };
        let versions =
            |id: &serde_json::Value| format!("/api/v1/organisations/RJ1/rules/{id}/versions");

        // A date not after the current version's and no reason: both named, nothing written.
        let res = admin
            .post_json(
                &versions(&adjustable["current_rule_id"]),
                &json!({"effective_from": after(adjustable).to_string(), "reason": "no"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: {}", res.body);
        let fields: Vec<String> = res.json()["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["effective_from", "reason"], "{name}");
        let res = admin
            .post_json(
                &versions(&adjustable["current_rule_id"]),
                &json!({"when": "soon"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.json()["error"].as_str().unwrap().contains("JSON"),
            "{name}"
        );

        // An adjustable period changes; a CSTF period the framework gives changes with its risk assessment named.
        let from = after(adjustable) + chrono::Days::new(400);
        let res = admin
            .post_json(
                &versions(&adjustable["versions"].as_array().unwrap().last().unwrap()["rule_id"]),
                &json!({"effective_from": from.to_string(), "refresher_months": 6, "reason": "Local risk assessment 2027"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{name}: {}", res.body);
        let made = res.json();
        assert_eq!(made["refresher_months"], 6, "{name}");
        assert!(
            made["source"]
                .as_str()
                .unwrap()
                .contains("RJ1 local version by"),
            "{name}: {made}"
        );
        let national_months = national["versions"][0]["refresher_months"].clone();
        let from = after(national) + chrono::Days::new(400);
        let local = json!({"effective_from": from.to_string(), "refresher_months": 1, "warning_days": 30, "reason": "Shorter period"});
        let res = admin
            .post_json(&versions(&national["current_rule_id"]), &local)
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: {}", res.body);
        assert_eq!(
            res.json()["problems"][0]["field"],
            "local_reason",
            "{name}: the risk assessment must be named"
        );
        let mut local = local;
        local["local_reason"] = json!("RA-2027-003, Health and Safety Committee");
        let res = admin
            .post_json(&versions(&national["current_rule_id"]), &local)
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{name}: {}", res.body);
        assert_eq!(res.json()["refresher_months"], 1, "{name}: a local period");
        assert_eq!(res.json()["warning_days"], 30, "{name}");
        let listed = admin.get("/api/v1/organisations/RJ1/rules").await.json();
        let listed = listed["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["subject"] == national["subject"] && r["level"] == national["level"])
            .unwrap()
            .clone();
        assert_eq!(
            listed["national_period"],
            json!(format!("Every {national_months} months")),
            "{name}: the national figure beside the local one"
        );
        assert_eq!(
            listed["local_reason"], "RA-2027-003, Health and Safety Committee",
            "{name}"
        );
        let page = admin.get("/orgs/RJ1/admin").await;
        assert!(
            page.body.contains(&format!(
                "Local: Every 1 months; national: Every {national_months} months; reason: RA-2027-003"
            )),
            "{name}: the rules page shows the local period beside the national one"
        );
        let rules = admin.get("/api/v1/organisations/RJ1/rules").await.json();
        let now = rules["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["subject"] == adjustable["subject"] && r["level"] == adjustable["level"])
            .unwrap()
            .clone();
        assert_eq!(
            now["versions"][0]["refresher_months"], 6,
            "{name}: newest first"
        );
        assert_eq!(
            now["versions"][1]["effective_to"],
            json!(after(&now).to_string()),
            "{name}: the version before closes when the new one starts"
        );
        // The admin page's form is refused by the same policy, field by field.
        let res = admin
            .post_form(
                &format!(
                    "/orgs/RJ1/admin/rules/{}/new-version",
                    now["current_rule_id"]
                ),
                &[
                    ("effective_from", &after(&now).to_string()),
                    ("refresher_months", "0"),
                    ("warning_days", "60"),
                    ("new_starter_days", "28"),
                    ("reason", "Same day"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(res.body.contains("must take effect after"), "{name}");
        assert!(
            res.body
                .contains("Enter a refresher period of 1 to 120 months"),
            "{name}"
        );
        // An auditor may read trends but not rules.
        assert_eq!(
            auditor.get("/api/v1/organisations/RJ1/rules").await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
    }
}
