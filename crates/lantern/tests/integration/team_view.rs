//! The team view for a ward or a department, on every backend: an organisation's admins and auditors open any unit
//! (auditors only look), requirements are grouped by framework with the most overdue first, a heatmap cell's
//! "N overdue" opens exactly those N, filters compose and each can be removed, the summary cards keep their meaning
//! whatever the filter, and the people ticked are exactly what the downloads hold (read back as CSV and Excel).

use crate::auth::{ADMIN, AUDITOR, MANAGER, world};
use crate::backends;
use crate::test_auth;
use crate::web::Client;
use axum::http::StatusCode;
use serde_json::Value;

/// Every link in a page whose href begins with `prefix`, unescaped as a browser would.
fn links(body: &str, prefix: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.starts_with(prefix))
        .map(|h| h.replace("&amp;", "&"))
        .collect()
}

#[tokio::test]
async fn admins_and_auditors_open_any_unit_and_the_view_is_ordered_for_the_task() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));

        // A manager's view: the columns are grouped by framework, the groups and the columns within each most
        // overdue first, and the groups' spans cover every column.
        let mut manager = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        let mine = manager.get("/api/v1/team").await.json();
        let managed = mine["unit_id"].as_i64().expect("a unit");
        let columns = mine["columns"].as_array().expect("columns");
        let spans: u64 = mine["column_groups"]
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| g["span"].as_u64().unwrap())
            .sum();
        assert_eq!(spans as usize, columns.len(), "{name}");
        let mut group_totals: Vec<(String, u64)> = Vec::new();
        for pair in columns.windows(2) {
            if pair[0]["group"] == pair[1]["group"] {
                assert!(
                    pair[0]["overdue"].as_u64() >= pair[1]["overdue"].as_u64(),
                    "{name}: most overdue first within a framework: {} then {}",
                    pair[0],
                    pair[1]
                );
            }
        }
        for c in columns {
            let g = c["group"].as_str().unwrap().to_owned();
            assert!(!g.is_empty(), "{name}: every column names its framework");
            match group_totals.last_mut() {
                Some((last, n)) if *last == g => *n += c["overdue"].as_u64().unwrap(),
                _ => group_totals.push((g, c["overdue"].as_u64().unwrap())),
            }
        }
        assert!(
            group_totals.windows(2).all(|w| w[0].1 >= w[1].1),
            "{name}: the framework with most overdue first: {group_totals:?}"
        );
        assert!(group_totals.len() >= 2, "{name}: {group_totals:?}");

        // The org admin: "Teams" in the navigation, every unit of the organisation to choose from, the manager's
        // ward among them with the same people; reminders offered.
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let page = admin.get("/team").await;
        assert_eq!(page.status, StatusCode::OK, "{name}: {}", page.body);
        assert!(
            page.body.contains(">Teams</a>"),
            "{name}: the admin's navigation"
        );
        let all = admin.get("/api/v1/team").await.json();
        let units = all["units"].as_array().expect("units");
        assert!(units.len() > 3, "{name}: every unit of the trust");
        assert!(
            units.iter().all(|u| u["ods_code"] == "RJ1"),
            "{name}: only their own organisation's units"
        );
        let ward = admin
            .get(&format!("/api/v1/team?unit={managed}"))
            .await
            .json();
        assert_eq!(
            ward["people"].as_array().unwrap().len(),
            mine["people"].as_array().unwrap().len(),
            "{name}: the admin sees the ward as its manager does"
        );
        assert_eq!(ward["may_remind"], true, "{name}");
        let other = units
            .iter()
            .map(|u| u["unit_id"].as_i64().unwrap())
            .find(|u| *u != managed && *u != all["unit_id"].as_i64().unwrap())
            .expect("another unit");
        assert_eq!(
            admin.get(&format!("/team?unit={other}")).await.status,
            StatusCode::OK,
            "{name}: any unit of the organisation"
        );
        assert_eq!(
            manager.get(&format!("/team?unit={other}")).await.status,
            StatusCode::NOT_FOUND,
            "{name}: a manager opens only their own units"
        );

        // A manager's way back from a person's page is their team, never the organisation's heatmap (403 to them).
        let someone = mine["people"][0]["person_id"].as_i64().unwrap();
        let person = manager.get(&format!("/orgs/RJ1/people/{someone}")).await;
        assert!(
            person.body.contains("href=\"/team\">Team</a>")
                && !person.body.contains("href=\"/orgs/RJ1?"),
            "{name}: the manager's breadcrumbs"
        );

        // The auditor looks but does not remind: no remind buttons, and sending is refused.
        let mut auditor = Client::signed_in(&app, AUDITOR.0, AUDITOR.1).await;
        let seen = auditor.get(&format!("/team?unit={managed}")).await;
        assert_eq!(seen.status, StatusCode::OK, "{name}");
        assert!(
            !seen.body.contains("/team/remind"),
            "{name}: no reminders for an auditor"
        );
        let unit = managed.to_string();
        let res = auditor
            .post_form("/team/remind", &[("unit", unit.as_str())], None)
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}");

        // A heatmap cell's "N overdue" opens those N in the team view (lantern.js builds the address from the row's
        // unit and the column's requirement, as here).
        let heatmap = admin.get("/orgs/RJ1").await;
        assert!(
            heatmap.body.contains("data-team=\"yes\""),
            "{name}: an admin's map opens the team view"
        );
        let columns: Vec<&str> = heatmap
            .body
            .split("data-r=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .collect();
        let (first, said) = heatmap
            .body
            .split("<tr data-unit=\"")
            .skip(1)
            .find_map(|row| {
                let (unit, rest) = row.split_once('"')?;
                // The first cell is "All"; the others follow the columns.
                let cells: Vec<&str> = rest.split("<td ").skip(2).collect();
                cells.iter().enumerate().find_map(|(i, c)| {
                    let n: usize = c.split("<small>").nth(1)?.split(' ').next()?.parse().ok()?;
                    Some((
                        format!(
                            "/team?unit={unit}&requirement={}&status=overdue",
                            columns[i]
                        ),
                        n,
                    ))
                })
            })
            .expect("a cell with people overdue");
        let first = &first;
        let api = admin
            .get(&first.replacen("/team?", "/api/v1/team?", 1))
            .await
            .json();
        assert_eq!(
            api["people"].as_array().unwrap().len(),
            said,
            "{name}: {first} shows the people the cell counts"
        );
        let requirement = first
            .split("requirement=")
            .nth(1)
            .and_then(|s| s.split('&').next())
            .unwrap()
            .to_owned();
        for p in api["people"].as_array().unwrap() {
            assert!(
                p["statuses"].as_array().unwrap().iter().any(|s| {
                    format!("{}:{}", s["subject"].as_str().unwrap(), s["level"]) == requirement
                        && (s["status"] == "expired" || s["status"] == "missing")
                }),
                "{name}: each is overdue on it: {p}"
            );
        }

        // Filters compose; each can be removed alone; the cards keep describing the whole unit.
        let filtered = admin
            .get(&format!(
                "{first}&group={}",
                api["people"][0]["staff_group"]
                    .as_str()
                    .unwrap()
                    .replace(' ', "+")
            ))
            .await;
        assert_eq!(filtered.status, StatusCode::OK, "{name}");
        assert!(filtered.body.contains("Clear all filters"), "{name}");
        let removes = links(&filtered.body, "/team?");
        assert!(
            removes.iter().any(|h| !h.contains("status=")
                && h.contains("group=")
                && h.contains("requirement=")),
            "{name}: the status alone can be removed: {removes:?}"
        );
        let unfiltered_cards = admin.get(&format!("/team?unit={}", api["unit_id"])).await;
        let card = |body: &str| -> String {
            body.split("have something overdue")
                .next()
                .unwrap()
                .rsplit("nhsuk-heading-xl nhsuk-u-margin-bottom-1\">")
                .next()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            card(&filtered.body),
            card(&unfiltered_cards.body),
            "{name}: the summary cards are the unit's whatever the filter"
        );
        let compact = admin
            .get(&format!("/team?unit={}&view=compact", api["unit_id"]))
            .await;
        assert!(
            compact.body.contains("lantern-matrix--compact")
                && compact.body.contains("view=compact"),
            "{name}: the compact layout, kept in the links"
        );

        // The people ticked are what the downloads hold, and a person from elsewhere cannot be ticked.
        let people: Vec<&Value> = ward["people"].as_array().unwrap().iter().take(2).collect();
        let ticked = format!(
            "unit={managed}&person={}&person={}",
            people[0]["person_id"], people[1]["person_id"]
        );
        let csv = admin.get(&format!("/team.csv?{ticked}")).await;
        assert_eq!(csv.status, StatusCode::OK, "{name}");
        let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
        let headers = reader.headers().expect("header").clone();
        assert_eq!(&headers[4], "Summary", "{name}");
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        let names: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
        assert_eq!(
            names,
            [
                people[0]["name"].as_str().unwrap(),
                people[1]["name"].as_str().unwrap()
            ],
            "{name}"
        );
        let (status, bytes) = admin.get_bytes(&format!("/team.xlsx?{ticked}")).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        {
            use calamine::{Reader, Xlsx};
            let mut wb: Xlsx<_> =
                calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
            let sheet = wb.worksheet_range("Team").expect("the team sheet");
            assert_eq!(
                sheet.rows().count(),
                3,
                "{name}: the header and the two ticked"
            );
        }
        let outsider = units
            .iter()
            .map(|u| u["unit_id"].as_i64().unwrap())
            .find(|u| *u != managed)
            .unwrap();
        let elsewhere = admin
            .get(&format!("/api/v1/team?unit={outsider}"))
            .await
            .json();
        let stranger = elsewhere["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["person_id"].as_i64().unwrap())
            .find(|id| {
                !ward["people"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["person_id"] == *id)
            });
        if let Some(id) = stranger {
            assert_eq!(
                admin
                    .get(&format!("/team.csv?unit={managed}&person={id}"))
                    .await
                    .status,
                StatusCode::NOT_FOUND,
                "{name}: a person outside the unit cannot be ticked"
            );
        }
    }
}

#[tokio::test]
async fn a_manager_saves_views_of_the_team_and_only_they_see_them() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let mut manager = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        let unit = manager.get("/api/v1/team").await.json()["unit_id"]
            .as_i64()
            .unwrap()
            .to_string();
        let save = |status: &'static str, view_name: &'static str| {
            vec![
                ("unit", unit.clone()),
                ("status", status.to_owned()),
                ("sort", "name".to_owned()),
                ("view_name", view_name.to_owned()),
            ]
        };
        let form = save("overdue", "Overdue first");
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = manager.post_form("/team/views", &fields, None).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let href = format!("/team?unit={unit}&status=overdue&sort=name");
        assert_eq!(res.location(), href, "{name}: back to the view saved");
        let page = manager.get("/team").await;
        assert!(
            page.body.contains(&format!(
                "href=\"{}\">Overdue first</a>",
                href.replace('&', "&#38;")
            )),
            "{name}: listed, with its link"
        );
        // The same name again replaces it; an empty name is refused.
        let form = save("expiring", "overdue FIRST");
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        manager.post_form("/team/views", &fields, None).await;
        let page = manager.get("/team").await;
        assert_eq!(
            page.body.matches("/team/views/").count(),
            1,
            "{name}: one view"
        );
        assert!(page.body.contains("status=expiring"), "{name}: the new one");
        let form = save("expiring", "  ");
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = manager.post_form("/team/views", &fields, None).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(res.body.contains("Give the view a name"), "{name}");

        // Nobody else sees or removes it.
        let id: i64 = page
            .body
            .split("/team/views/")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .and_then(|s| s.parse().ok())
            .expect("its id");
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        assert!(
            !admin.get("/team").await.body.contains("overdue FIRST"),
            "{name}"
        );
        let res = admin
            .post_form(&format!("/team/views/{id}/remove"), &[], None)
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{name}");
        let res = manager
            .post_form(&format!("/team/views/{id}/remove"), &[], None)
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        assert!(
            !manager.get("/team").await.body.contains("overdue FIRST"),
            "{name}: removed"
        );
    }
}
