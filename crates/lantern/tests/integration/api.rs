//! The JSON API and pages, through the real router (no network needed).

use crate::web::Client;
use crate::{backends, d, test_auth};
use axum::http::StatusCode;

async fn get(client: &mut Client, uri: &str) -> (StatusCode, String) {
    let res = client.get(uri).await;
    (res.status, res.body)
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[tokio::test]
async fn api_and_pages_answer_as_at_any_date() {
    for (name, store, _dir) in backends().await {
        lantern::demo::generate(store.as_ref(), 400, 9, d("2026-11-23"), false)
            .await
            .expect("demo");
        lantern::users::demo_accounts(store.as_ref())
            .await
            .expect("demo accounts");
        let app = lantern_web::app(lantern_web::AppState::new(store, test_auth()));
        let mut admin =
            Client::signed_in(&app, "platform@demo.lantern.test", "platform-demo-password").await;
        let app = &mut admin;

        let (s, body) = get(app, "/healthz").await;
        assert_eq!(s, StatusCode::OK, "{name}: {body}");

        let (s, body) = get(app, "/api/v1/organisations").await;
        assert_eq!(s, StatusCode::OK, "{name}");
        let orgs = json(&body);
        assert!(
            orgs.as_array()
                .expect("list")
                .iter()
                .any(|o| o["ods_code"] == "RJ1"),
            "{name}"
        );

        let (s, body) = get(app, "/api/v1/organisations/RJ1/compliance?as_at=2026-11-23").await;
        assert_eq!(s, StatusCode::OK, "{name}: {body}");
        let now = json(&body);
        let columns = now["requirements"].as_array().expect("requirements").len();
        assert!(columns >= 11, "{name}: CSTF subjects are columns");
        let org_row = &now["rows"][0];
        assert_eq!(
            org_row["unit_id"],
            serde_json::Value::Null,
            "{name}: the organisation's row comes first"
        );
        assert_eq!(
            org_row["cells"].as_array().expect("cells").len(),
            columns,
            "{name}"
        );
        let (_, past) = get(app, "/api/v1/organisations/RJ1/compliance?as_at=2023-01-31").await;
        assert_ne!(
            json(&past)["rows"][0]["overall"],
            org_row["overall"],
            "{name}: as-at changes the answer"
        );

        // Drill down: a unit's people, then one person's explanation.
        let unit = now["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["kind"] == "Ward")
            .expect("a ward")["unit_id"]
            .clone();
        let (s, body) = get(
            app,
            &format!("/api/v1/organisations/RJ1/units/{unit}/people?as_at=2026-11-23"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{name}: {body}");
        let people = json(&body);
        let person = people["people"][0]["person_id"].clone();
        let (s, body) = get(
            app,
            &format!("/api/v1/organisations/RJ1/people/{person}/compliance?as_at=2026-11-23"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{name}: {body}");
        let explained = json(&body);
        for r in explained["requirements"].as_array().expect("requirements") {
            assert!(
                r["subject"]
                    .as_str()
                    .is_some_and(|s| s.parse::<lantern_domain::Subject>().is_ok()),
                "{name}: a subject is its plain code: {r}"
            );
            assert!(
                !r["explanation"]["summary"]
                    .as_str()
                    .unwrap_or("")
                    .is_empty(),
                "{name}: {r}"
            );
            assert!(
                r["explanation"]["rule"]["framework_version"].is_string(),
                "{name}"
            );
        }

        // Pages render the same views.
        for uri in [
            "/",
            "/orgs/RJ1?as_at=2024-02-29",
            &format!("/orgs/RJ1/units/{unit}"),
            &format!("/orgs/RJ1/people/{person}"),
        ] {
            let (s, html) = get(app, uri).await;
            assert_eq!(s, StatusCode::OK, "{name}: {uri}");
            assert!(
                html.contains("nhsuk-header") && html.contains("<h1"),
                "{name}: {uri}"
            );
        }

        // Errors: precise 400s, and 404 for what does not exist.
        let (s, body) = get(app, "/api/v1/organisations/RJ1/compliance?as_at=31-02-2024").await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            json(&body)["error"]
                .as_str()
                .expect("error")
                .contains("as_at"),
            "{name}: {body}"
        );
        let (s, _) = get(app, "/api/v1/organisations/XXX/compliance").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{name}");
        let (s, _) = get(app, "/api/v1/organisations/RJ1/people/999999/compliance").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{name}");
        let (s, _) = get(app, "/api/v1/organisations/RJ1/units/1/people?status=great").await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{name}");
        let people = format!("/api/v1/organisations/RJ1/units/{unit}/people?level=1&subject=");
        let (s, body) = get(app, &format!("{people}cstf.fire_safety")).await;
        assert_eq!(s, StatusCode::OK, "{name}: {body}");
        let (s, body) = get(app, &format!("{people}Fire%20Safety")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{name}: {body}");
        let error = json(&body)["error"].as_str().expect("error").to_owned();
        assert!(
            error.starts_with("subject: ")
                && error.contains("\"Fire Safety\" is not a competency subject"),
            "{name}: {error}"
        );
    }
}

/// A trust's heatmap shows the levels of units that fit on a page, and each unit with more below it leads to the
/// same heatmap within that unit; the API answers for the whole tree, or within a unit to the levels asked, with the
/// same figures.
#[tokio::test]
async fn the_heatmap_shows_the_levels_that_fit_and_opens_within_a_unit() {
    for (name, store, _dir) in backends().await {
        lantern::demo::generate(store.as_ref(), 400, 9, d("2026-11-23"), false)
            .await
            .expect("demo");
        lantern::users::demo_accounts(store.as_ref())
            .await
            .expect("demo accounts");
        let app = lantern_web::app(lantern_web::AppState::new(store, test_auth()));
        let mut admin =
            Client::signed_in(&app, "platform@demo.lantern.test", "platform-demo-password").await;
        let app = &mut admin;
        let when = "as_at=2026-11-23";

        // The API's whole tree: every unit with someone in post, nothing left out.
        let (s, body) = get(app, &format!("/api/v1/organisations/RJ1/compliance?{when}")).await;
        assert_eq!(s, StatusCode::OK, "{name}: {body}");
        let whole = json(&body);
        let rows = whole["rows"].as_array().expect("rows");
        assert!(rows.iter().all(|r| r["units_not_shown"] == 0), "{name}");
        let depths: Vec<u64> = rows.iter().map(|r| r["depth"].as_u64().unwrap()).collect();
        assert_eq!(
            depths.iter().max(),
            Some(&3),
            "{name}: directorate > department > ward"
        );
        let ward_count = depths.iter().filter(|d| **d == 3).count();
        assert!(
            rows.len() > 40,
            "{name}: {} rows; the test needs a tree that does not fit",
            rows.len()
        );

        // One level: directorates, each saying how many departments are below it.
        let (s, body) = get(
            app,
            &format!("/api/v1/organisations/RJ1/compliance?{when}&levels=1"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{name}: {body}");
        let top = json(&body);
        let top_rows = top["rows"].as_array().expect("rows");
        assert!(
            top_rows.iter().all(|r| r["depth"].as_u64() <= Some(1)),
            "{name}"
        );
        let directorate = top_rows
            .iter()
            .find(|r| r["depth"] == 1 && r["units_not_shown"].as_u64() > Some(0))
            .expect("a directorate with departments below");
        let dir_id = directorate["unit_id"].as_i64().expect("id");

        // Within that directorate: it comes first, with the same figures as in the whole tree, then its units.
        let (s, body) = get(
            app,
            &format!("/api/v1/organisations/RJ1/compliance?{when}&unit={dir_id}"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{name}: {body}");
        let within = json(&body);
        assert_eq!(within["within"]["unit_id"], dir_id, "{name}");
        let within_rows = within["rows"].as_array().expect("rows");
        assert_eq!(within_rows[0]["unit_id"], dir_id, "{name}");
        assert_eq!(within_rows[0]["depth"], 0, "{name}");
        let same_in_whole = rows
            .iter()
            .find(|r| r["unit_id"] == dir_id)
            .expect("in whole");
        assert_eq!(
            within_rows[0]["overall"], same_in_whole["overall"],
            "{name}"
        );
        assert_eq!(within_rows[0]["cells"], same_in_whole["cells"], "{name}");
        assert_eq!(
            within_rows[1..].len() as u64,
            directorate["units_not_shown"].as_u64().unwrap()
                + within_rows.iter().filter(|r| r["depth"] == 2).count() as u64,
            "{name}: its departments and their wards"
        );

        // Bad parameters are named; a unit that does not exist is not found.
        for (query, field) in [
            ("levels=0", "levels"),
            ("levels=all", "levels"),
            ("unit=ward", "unit"),
        ] {
            let (s, body) = get(
                app,
                &format!("/api/v1/organisations/RJ1/compliance?{query}"),
            )
            .await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{name}: {query}");
            assert!(
                json(&body)["error"].as_str().unwrap().contains(field),
                "{name}: {body}"
            );
        }
        let (s, _) = get(app, "/api/v1/organisations/RJ1/compliance?unit=999999").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{name}");

        // The page: the levels that fit in its rows, no ward among them, and departments lead on to their wards.
        let (s, page) = get(app, &format!("/orgs/RJ1?{when}")).await;
        assert_eq!(s, StatusCode::OK, "{name}");
        let ward_ids: Vec<i64> = rows
            .iter()
            .filter(|r| r["depth"] == 3)
            .map(|r| r["unit_id"].as_i64().unwrap())
            .collect();
        assert_eq!(ward_ids.len(), ward_count);
        for id in &ward_ids {
            assert!(
                !page.contains(&format!("/units/{id}?")),
                "{name}: ward {id} is not a row"
            );
        }
        let department = rows.iter().find(|r| r["depth"] == 2).expect("a department");
        let dept_id = department["unit_id"].as_i64().unwrap();
        let drill = format!("/orgs/RJ1?unit={dept_id}&amp;{when}");
        assert!(page.contains(&drill), "{name}: {drill} in the page");
        let (s, dept_page) = get(app, &drill.replace("&amp;", "&")).await;
        assert_eq!(s, StatusCode::OK, "{name}");
        let wards_here: Vec<&i64> = ward_ids
            .iter()
            .filter(|id| dept_page.contains(&format!("/units/{id}?{when}")))
            .collect();
        assert!(
            !wards_here.is_empty(),
            "{name}: the department's page shows its wards"
        );
        // Breadcrumbs lead back to the organisation and the directorate above.
        assert!(
            dept_page.contains(&format!("href=\"/orgs/RJ1?{when}\"")),
            "{name}: breadcrumb to the organisation"
        );
        let parent_dir = rows
            .iter()
            .take_while(|r| r["unit_id"] != dept_id)
            .filter(|r| r["depth"] == 1)
            .last()
            .expect("its directorate")["unit_id"]
            .as_i64()
            .unwrap();
        assert!(
            dept_page.contains(&format!("/orgs/RJ1?unit={parent_dir}&amp;{when}")),
            "{name}: breadcrumb to the directorate"
        );
    }
}

#[tokio::test]
async fn openapi_describes_every_api_route_and_metrics_are_served() {
    let (_, store, _dir) = backends().await.remove(0);
    let state = lantern_web::AppState::new(store, test_auth());
    let router = lantern_web::app(state.clone());
    let app = &mut Client::new(&router);
    let (s, body) = get(app, "/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    let doc = json(&body);
    assert!(
        doc["openapi"].as_str().expect("version").starts_with("3.1"),
        "OpenAPI 3.1"
    );
    let paths: Vec<&String> = doc["paths"].as_object().expect("paths").keys().collect();
    for p in [
        "/api/v1/organisations",
        "/api/v1/organisations/{ods}/compliance",
        "/api/v1/organisations/{ods}/units/{unit_id}/people",
        "/api/v1/organisations/{ods}/people/{person_id}/compliance",
    ] {
        assert!(
            paths.iter().any(|x| x.as_str() == p),
            "{p} missing from {paths:?}"
        );
    }
    let _ = get(app, "/healthz").await;
    // Metrics are on their own listener's application, never the main one.
    let (s, metrics) = get(
        &mut Client::new(&lantern_web::metrics_app(state)),
        "/metrics",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(metrics.contains("lantern_http_requests_total"), "{metrics}");
    let res = app.get("/sign-in").await;
    let page = res.body.clone();
    let csp = res
        .headers
        .get("content-security-policy")
        .expect("CSP header")
        .to_str()
        .expect("ascii");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(!page.contains("<script>"), "no inline script");
}

/// The OpenAPI document says how to authenticate (OpenAPI 3.1 security schemes), on every operation: the session
/// cookie for the JSON API (with the CSRF header when the request changes state), HTTP Basic for the LRS, nothing for
/// `/xapi/about`; and the server behaves as it says.
#[tokio::test]
async fn the_openapi_document_says_how_each_operation_authenticates() {
    let doc: serde_json::Value = serde_json::from_str(&lantern_web::openapi_json()).expect("JSON");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["type"], "apiKey", "{schemes}");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "lantern_session");
    assert_eq!(schemes["csrf"]["type"], "apiKey");
    assert_eq!(schemes["csrf"]["in"], "header");
    assert_eq!(schemes["csrf"]["name"], "X-CSRF-Token");
    assert_eq!(schemes["lrsBasic"]["type"], "http");
    assert_eq!(schemes["lrsBasic"]["scheme"], "basic");
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            seen += 1;
            let security = &op["security"];
            let expected = if path == "/xapi/about" {
                serde_json::Value::Null
            } else if path.starts_with("/xapi/") {
                serde_json::json!([{ "lrsBasic": [] }])
            } else if method == "get" {
                serde_json::json!([{ "session": [] }])
            } else {
                serde_json::json!([{ "session": [], "csrf": [] }])
            };
            assert_eq!(security, &expected, "{method} {path}");
        }
    }
    assert!(seen > 15, "{seen} operations");

    // The served document is the same, and the server asks for what it declares.
    let (_, store, _dir) = backends().await.remove(0);
    let router = lantern_web::app(lantern_web::AppState::new(store, test_auth()));
    let app = &mut Client::new(&router);
    let (s, body) = get(app, "/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&body)["components"]["securitySchemes"], *schemes);
    let (s, _) = get(app, "/api/v1/organisations").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "no session cookie");
    let res = app
        .send(
            axum::http::Request::get("/xapi/statements")
                .header("X-Experience-API-Version", "1.0.3")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "no Basic credential");
    assert!(
        res.headers
            .get("www-authenticate")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("Basic")),
        "{:?}",
        res.headers
    );
}
