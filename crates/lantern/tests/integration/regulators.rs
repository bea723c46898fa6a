//! Regulator-true wording over HTTP, on every backend: the settings page's target, development competencies that
//! count nowhere until an organisation makes one a requirement, and a local reading of the safeguarding hours chosen
//! through the rule-version path.

use crate::web::Client;
use crate::{backends, d, test_auth};
use axum::http::StatusCode;
use lantern_domain::{RuleKind, RulePurpose, StaffGroup};
use lantern_store::{PeopleFilter, Scope};

const ADMIN: (&str, &str) = ("admin@demo.lantern.test", "admin-demo-password");
const LEARNER: (&str, &str) = ("learner@demo.lantern.test", "learner-demo-password");

async fn post(c: &mut Client, uri: &str, fields: &[(&str, &str)]) -> crate::web::Response {
    c.post_form(uri, fields, None).await
}

fn subjects(compliance: &serde_json::Value) -> Vec<String> {
    compliance["requirements"]
        .as_array()
        .expect("requirements")
        .iter()
        .map(|r| r["subject"].as_str().expect("subject").to_owned())
        .collect()
}

#[tokio::test]
async fn wording_development_competencies_and_local_readings() {
    for (name, store, _dir) in backends().await {
        lantern::demo::generate(store.as_ref(), 400, 7, d("2026-11-23"), false)
            .await
            .expect("demo");
        lantern::users::demo_accounts(store.as_ref())
            .await
            .expect("accounts");
        let (app, _state) = crate::app_with(&store, test_auth());
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");

        // Settings: trusts set their own target; no claim about what most use.
        let settings = admin.get("/orgs/RJ1/admin/settings").await.body;
        assert!(settings.contains("85% to 95% is typical"), "{name}");
        assert!(!settings.contains("Most NHS trusts use 90%"), "{name}");

        // The AI and digital framework sets no mandatory training: none of its competencies is in the heatmap.
        let heatmap = admin
            .get("/api/v1/organisations/RJ1/compliance?as_at=2026-11-23")
            .await
            .json();
        let columns = subjects(&heatmap);
        assert!(columns.iter().any(|s| s.starts_with("cstf.")), "{name}");
        assert!(
            !columns.iter().any(|s| s.starts_with("ai.")),
            "{name}: development competencies count nowhere: {columns:?}"
        );
        let page = admin.get("/orgs/RJ1/admin").await.body;
        assert!(page.contains("Development competency"), "{name}");

        // The organisation opts in to one as a requirement, with a new rule version.
        let ctx = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("ctx");
        let ai = ctx
            .rules
            .iter()
            .find(|r| r.subject == "ai.artificial_intelligence" && r.level == 1)
            .expect("AI rule");
        assert_eq!(ai.purpose, RulePurpose::Development, "{name}");
        assert!(
            ai.basis.local_choice,
            "{name}: its period is a local choice"
        );
        let url = format!("/orgs/RJ1/admin/rules/{}/new-version", ai.id);
        let form = admin.get(&url).await;
        assert!(
            form.body.contains("A requirement: counts in compliance"),
            "{name}"
        );
        let res = post(
            &mut admin,
            &url,
            &[
                ("effective_from", "2025-01-01"),
                ("purpose", "requirement"),
                ("refresher_months", "36"),
                ("warning_days", "60"),
                ("new_starter_days", "90"),
                (
                    "reason",
                    "Digital board, 2024-12-01: AI awareness for clinicians",
                ),
                ("confirm", "yes"),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let heatmap = admin
            .get("/api/v1/organisations/RJ1/compliance?as_at=2026-11-23")
            .await
            .json();
        assert!(
            subjects(&heatmap)
                .iter()
                .any(|s| s == "ai.artificial_intelligence"),
            "{name}: now a requirement"
        );
        assert!(
            !subjects(&heatmap).iter().any(|s| s == "ai.human_factors"),
            "{name}: the others are still development competencies"
        );

        // Safeguarding children level 3: the national figures by default, the London reading as a choice.
        let l3 = ctx
            .rules
            .iter()
            .find(|r| r.subject == "cstf.safeguarding_children" && r.level == 3)
            .expect("L3");
        assert!(
            matches!(l3.kind, RuleKind::Hours { hours, participatory_share: Some(s), .. } if hours == 12.0 && s == 0.5),
            "{name}: {:?}",
            l3.kind
        );
        let url = format!("/orgs/RJ1/admin/rules/{}/new-version", l3.id);
        let form = admin.get(&url).await;
        assert!(
            form.body.contains("London ICB reading") && form.body.contains("National figures"),
            "{name}"
        );
        let res = post(
            &mut admin,
            &url,
            &[
                ("effective_from", "2026-01-01"),
                ("reading", "1"),
                ("hours", "99"),
                ("window_months", "36"),
                ("warning_days", "60"),
                ("new_starter_days", "28"),
                (
                    "reason",
                    "Safeguarding committee, 2025-12-01: follow the ICB",
                ),
                ("confirm", "yes"),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let ctx = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("ctx");
        let london = ctx
            .rules
            .iter()
            .find(|r| {
                r.subject == "cstf.safeguarding_children"
                    && r.level == 3
                    && r.effective_from == d("2026-01-01")
            })
            .expect("the new version");
        assert_eq!(
            london.kind,
            RuleKind::Hours {
                hours: 8.0,
                window_months: 36,
                participatory_share: None
            },
            "{name}: the reading's figures, not the typed 99"
        );
        assert_eq!(
            london.basis.reading.as_deref(),
            Some("London ICB reading"),
            "{name}"
        );
        assert!(london.basis.local_choice, "{name}");
        assert!(
            london.source.contains("London integrated care board")
                && london.source.contains("Safeguarding committee"),
            "{name}: {}",
            london.source
        );
        // A person it applies to sees which reading their hours are counted against.
        let people = store
            .people(&Scope::Platform, rj1.id, &PeopleFilter::All)
            .await
            .expect("people");
        let paediatric = people
            .iter()
            .find(|p| {
                p.posts.iter().any(|x| {
                    x.end.is_none()
                        && x.specialty.as_deref() == Some("Paediatrics")
                        && x.staff_group == StaffGroup::NursingMidwiferyRegistered
                })
            })
            .expect("a paediatric nurse in the demo");
        let page = admin
            .get(&format!(
                "/orgs/RJ1/people/{}?as_at=2026-11-23",
                paediatric.person.id
            ))
            .await
            .body;
        assert!(
            page.contains("Reading: London ICB reading") && page.contains("a local choice"),
            "{name}"
        );
        let before = admin
            .get(&format!(
                "/orgs/RJ1/people/{}?as_at=2025-06-01",
                paediatric.person.id
            ))
            .await
            .body;
        assert!(
            before.contains("Reading: National figures")
                && before.contains("at least 6 of them participatory"),
            "{name}: earlier dates keep the national figures"
        );

        // The learner's revalidation card: never "not enough hours", and not on track without the evidence.
        let mut learner = Client::signed_in(&app, LEARNER.0, LEARNER.1).await;
        let me = learner.get("/me").await.body;
        assert!(!me.contains("Not yet enough hours"), "{name}");
        assert!(
            me.contains("Practice hours") && me.contains("Not yet:"),
            "{name}"
        );
        let api = learner.get("/api/v1/me/training").await.json();
        assert_eq!(api[0]["revalidation"][0]["body"], "NMC", "{name}");
        assert_eq!(api[0]["revalidation"][0]["readiness"], "not_yet", "{name}");
    }
}
