//! Regulatory change on the engine side, end to end on both backends: a rule version with a transition, made through
//! the API, shown on the person's page and in the API ("required since DATE by VERSION; transition until DATE"); a
//! retired version; and the re-hire break set on the settings page, refused when it is not a number of days, and
//! kept as versions so an answer "as known at" an earlier moment uses the old value. The semantics are unit-tested in
//! `lantern_domain::engine::tests`.

use crate::backends;
use crate::web::Client;
use axum::http::StatusCode;
use lantern_domain::access::{Role, Scope};
use lantern_domain::*;
use lantern_store::*;
use serde_json::{Value, json};
use std::sync::Arc;

const ORG: &str = "TT1";
const ADMIN: (&str, &str) = ("admin@tt1.test", "transitions-admin-password");

fn d(s: &str) -> Date {
    s.parse().expect("a date")
}

fn post(employee: &str, assignment: &str, start: &str, end: Option<&str>) -> PostRow {
    PostRow {
        line: 1,
        employee_number: employee.into(),
        org: ORG.into(),
        unit: "W1".into(),
        assignment_number: assignment.into(),
        staff_group: StaffGroup::NursingMidwiferyRegistered,
        job_role: "Staff nurse".into(),
        band: Some("5".into()),
        specialty: None,
        patient_facing: true,
        start: d(start),
        end: end.map(d),
    }
}

/// One ward; E1 in post since 2020 with fire safety done on 2025-06-01; E2 back on 2025-03-15 after leaving on
/// 2025-01-31 (a 42-day break), with no records.
async fn small_world(store: &Arc<dyn Store>) {
    let mut b = WriteBatch::default();
    b.orgs.push(OrgRow {
        ods_code: ORG.into(),
        name: "Transition Trust".into(),
        org_type: OrgType::NhsTrust,
        target_percent: 90.0,
    });
    b.units.push(UnitRow {
        line: 1,
        org: ORG.into(),
        code: "W1".into(),
        name: "Ward 1".into(),
        kind: UnitKind::Ward,
        parent: None,
        site: None,
    });
    for e in ["E1", "E2"] {
        b.people.push(PersonRow {
            line: 1,
            employee_number: e.into(),
            given_name: e.into(),
            family_name: "Test".into(),
            email: None,
            registrations: vec![],
        });
    }
    b.posts.push(post("E1", "A1", "2020-01-01", None));
    b.posts
        .push(post("E2", "B1", "2015-01-01", Some("2025-01-31")));
    b.posts.push(post("E2", "B2", "2025-03-15", None));
    b.records.push(RecordRow {
        line: 1,
        employee_number: "E1".into(),
        subject: Subject::from_static("cstf.fire_safety"),
        level: 1,
        completed_on: d("2025-06-01"),
        hours: None,
        provider: "Trust".into(),
        provider_type: ProviderType::NhsTrust,
        provider_org: None,
        source: RecordSource::Elearning,
        evidence_ref: None,
        recorded_at: None,
    });
    store.write(&b).await.expect("the small world");
    lantern::users::create(
        store.as_ref(),
        lantern::users::CreateUser {
            email: ADMIN.0.into(),
            name: Some("Tess Admin".into()),
            password: ADMIN.1.into(),
            role: Role::OrgAdmin,
            org: Some(ORG.into()),
            units: vec![],
            employee_number: None,
        },
    )
    .await
    .expect("admin");
}

async fn person_id(store: &Arc<dyn Store>, employee: &str) -> i64 {
    let org = store.org_by_code(&Scope::Platform, ORG).await.expect("org");
    store
        .person_by_employee_number(&Scope::Platform, org.id, employee)
        .await
        .expect("person")
        .0
}

/// The requirement `subject` in the person's compliance API answer, if it applies.
fn requirement<'a>(answer: &'a Value, subject: &str) -> Option<&'a Value> {
    answer["requirements"]
        .as_array()
        .expect("requirements")
        .iter()
        .find(|r| r["subject"] == subject)
}

/// The current version of a requirement's rule, by the rules API.
async fn current_rule(c: &mut Client, subject: &str) -> Value {
    let rules = c
        .get(&format!("/api/v1/organisations/{ORG}/rules"))
        .await
        .json();
    rules["requirements"]
        .as_array()
        .expect("requirements")
        .iter()
        .find(|r| r["subject"] == subject && r["level"] == 1)
        .expect("the requirement")["current_rule_id"]
        .clone()
}

#[tokio::test]
async fn a_transition_is_shown_on_the_persons_page_and_in_the_api_and_ends() {
    for (name, store, _dir) in backends().await {
        small_world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(
            store.clone(),
            crate::test_auth(),
        ));
        let mut c = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let e1 = person_id(&store, "E1").await;
        let api = |as_at: &str| {
            format!("/api/v1/organisations/{ORG}/people/{e1}/compliance?as_at={as_at}")
        };
        let fire = requirement(&c.get(&api("2026-07-01")).await.json(), "cstf.fire_safety")
            .expect("fire safety")
            .clone();
        assert_eq!(
            fire["status"], "compliant",
            "{name}: 24 months from 2025-06-01"
        );

        // Fire safety every 12 months from 2026-01-01, with a transition until 2026-09-30: E1's record lapsed on
        // 2026-06-01 under the new version, but was in date the day before it took effect.
        let rule = current_rule(&mut c, "cstf.fire_safety").await;
        let version = json!({"effective_from": "2026-01-01", "refresher_months": 12,
                        "transition_until": "2026-09-30", "reason": "Fire committee, 2025-12"});
        // Previewed first: the version it would make and the change (E1's record is still in date on the
        // effective date, so no one is made due then); nothing is written.
        let preview = c
            .post_json(
                &format!("/api/v1/organisations/{ORG}/rules/{rule}/versions/preview"),
                &version,
            )
            .await;
        assert_eq!(preview.status, StatusCode::OK, "{name}: {}", preview.body);
        let preview = preview.json();
        assert_eq!(preview["version"]["refresher_months"], 12, "{name}");
        assert_eq!(
            preview["preview"]["transition_ends"], "2026-10-01",
            "{name}"
        );
        assert_eq!(
            preview["preview"]["summary"]["diff"]["changed"][0]["after"],
            "one in-date completion, renewed every year",
            "{name}: {preview}"
        );
        assert_eq!(
            current_rule(&mut c, "cstf.fire_safety").await,
            rule,
            "{name}: a preview writes nothing"
        );
        let res = c
            .post_json(
                &format!("/api/v1/organisations/{ORG}/rules/{rule}/versions"),
                &version,
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{name}: {}", res.body);
        let bad = c
            .post_json(
                &format!("/api/v1/organisations/{ORG}/rules/{rule}/versions"),
                &json!({"effective_from": "2026-02-01", "refresher_months": 12,
                        "transition_until": "2026-01-15", "reason": "Too early an end"}),
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(
            bad.json()["problems"][0]["field"],
            "transition_until",
            "{name}"
        );

        let answer = c.get(&api("2026-07-01")).await.json();
        let fire = requirement(&answer, "cstf.fire_safety").expect("fire safety");
        assert_eq!(fire["status"], "pending", "{name}: {fire}");
        assert_eq!(fire["due_on"], "2026-09-30", "{name}");
        let e = &fire["explanation"];
        assert_eq!(e["transition"]["until"], "2026-09-30", "{name}");
        assert_eq!(e["transition"]["effective_from"], "2026-01-01", "{name}");
        assert_eq!(e["transition"]["new_requirement"], false, "{name}");
        assert_eq!(
            e["required_since"], "2021-07-01",
            "{name}: CSTF 1.1 from its effective date"
        );
        assert_eq!(e["required_by"], "cstf-england 1.1", "{name}");
        assert!(
            e["summary"]
                .as_str()
                .unwrap()
                .starts_with("Due by 2026-09-30 (changed requirement)"),
            "{name}: {e}"
        );
        let page = c
            .get(&format!("/orgs/{ORG}/people/{e1}?as_at=2026-07-01"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert!(
            page.body.contains(
                "Required since 2021-07-01 by cstf-england 1.1; transition until 2026-09-30"
            ),
            "{name}: {}",
            page.body
        );
        assert!(page.body.contains("Changed requirement"), "{name}");
        // After the transition, overdue as usual.
        let after = c.get(&api("2026-10-01")).await.json();
        let fire = requirement(&after, "cstf.fire_safety").expect("fire safety");
        assert_eq!(fire["status"], "expired", "{name}: {fire}");
        assert!(fire["explanation"]["transition"].is_null(), "{name}");

        // A retired requirement applies to no one from its date; before it, it still does.
        let rule = current_rule(&mut c, "cstf.conflict_resolution").await;
        let res = c
            .post_json(
                &format!("/api/v1/organisations/{ORG}/rules/{rule}/versions"),
                &json!({"effective_from": "2026-01-01", "retire": true, "reason": "Dropped locally"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{name}: {}", res.body);
        assert!(
            requirement(
                &c.get(&api("2025-12-31")).await.json(),
                "cstf.conflict_resolution"
            )
            .is_some(),
            "{name}: in force before"
        );
        assert!(
            requirement(
                &c.get(&api("2026-01-01")).await.json(),
                "cstf.conflict_resolution"
            )
            .is_none(),
            "{name}: retired"
        );
        // The admin's form asks the same policy: a last day that is not a date is refused by name; retiring needs
        // only a date and a reason.
        let rule = current_rule(&mut c, "cstf.equality_diversity_human_rights").await;
        let form = format!("/orgs/{ORG}/admin/rules/{rule}/new-version");
        let res = c
            .post_form(
                &form,
                &[
                    ("effective_from", "2026-03-01"),
                    ("refresher_months", "36"),
                    ("warning_days", "60"),
                    ("new_starter_days", "28"),
                    ("transition_until", "31/12/2026"),
                    ("reason", "Equality committee"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(res.body.contains("within 730 days"), "{name}: {}", res.body);
        let res = c
            .post_form(
                &form,
                &[
                    ("effective_from", "2026-03-01"),
                    ("retire", "yes"),
                    ("reason", "Equality committee"),
                    // Past the preview (regulatory_change.rs tests it): the version is made.
                    ("confirm", "yes"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let subject = "cstf.equality_diversity_human_rights";
        assert!(
            requirement(&c.get(&api("2026-02-28")).await.json(), subject).is_some(),
            "{name}"
        );
        assert!(
            requirement(&c.get(&api("2026-03-01")).await.json(), subject).is_none(),
            "{name}"
        );

        let rules = c.get(&format!("/orgs/{ORG}/admin")).await;
        assert!(rules.body.contains("Transition until 2026-09-30"), "{name}");
        assert!(
            rules
                .body
                .contains("<strong>Retired</strong> from 2026-01-01"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_rehire_break_is_a_versioned_setting_that_gives_returners_the_new_starter_deadline() {
    for (name, store, _dir) in backends().await {
        small_world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(
            store.clone(),
            crate::test_auth(),
        ));
        let mut c = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let e2 = person_id(&store, "E2").await;
        let fire = |answer: &Value| {
            requirement(answer, "cstf.fire_safety")
                .expect("fire")
                .clone()
        };
        let api = format!("/api/v1/organisations/{ORG}/people/{e2}/compliance?as_at=2025-03-20");

        // A 42-day break is not a new service under the default of 365 days.
        let page = c.get(&format!("/orgs/{ORG}/admin/settings")).await;
        assert!(
            page.body.contains(
                r#"id="rehire_break" name="rehire_break" inputmode="numeric" value="365""#
            ),
            "{name}: {}",
            page.body
        );
        assert_eq!(
            fire(&c.get(&api).await.json())["status"],
            "missing",
            "{name}"
        );

        for bad in ["0", "ten", "4000"] {
            let res = c
                .post_form(
                    &format!("/orgs/{ORG}/admin/settings/rehire"),
                    &[("rehire_break", bad)],
                    None,
                )
                .await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: {bad}");
            assert!(
                res.body.contains("a number of days between 1 and 3650"),
                "{name}: {}",
                res.body
            );
        }
        let before = chrono::Utc::now();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let res = c
            .post_form(
                &format!("/orgs/{ORG}/admin/settings/rehire"),
                &[("rehire_break", "30")],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);

        // Now a 42-day break starts a new service: due 28 days after the return.
        let now = fire(&c.get(&api).await.json());
        assert_eq!(now["status"], "pending", "{name}: {now}");
        assert_eq!(now["due_on"], "2025-04-12", "{name}");
        assert_eq!(now["explanation"]["required_since"], "2025-03-15", "{name}");
        // As known before the change, the old answer.
        let then = fire(
            &c.get(&format!(
                "{api}&known_at={}",
                before.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            ))
            .await
            .json(),
        );
        assert_eq!(then["status"], "missing", "{name}: {then}");
        let ctx = store
            .org_context(
                &Scope::Platform,
                store.org_by_code(&Scope::Platform, ORG).await.unwrap().id,
            )
            .await
            .unwrap();
        assert_eq!(ctx.rehire_break_known_at(None), 30, "{name}");
        assert_eq!(ctx.rehire_break_known_at(Some(before)), 365, "{name}");
    }
}
