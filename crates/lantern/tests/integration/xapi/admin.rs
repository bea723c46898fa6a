//! The organisation admin's LRS pages: a credential made on the page works against /xapi/ and can be revoked; a
//! mapping made on the page feeds compliance; erasure from the page; another organisation's admin sees none of it.

use super::*;
use crate::auth::{ADMIN, FOREIGN, world};
use crate::web::Client;

#[tokio::test]
async fn credentials_mappings_and_erasure_from_the_admin_pages() {
    for (name, store, _dir) in crate::backends().await {
        let n = &name;
        let foreign_ods = world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(
            store.clone(),
            crate::test_auth(),
        ));
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let page = admin.get("/orgs/RJ1/admin/lrs").await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        assert!(
            page.body.contains("http://127.0.0.1:8080/xapi/"),
            "{n}: the endpoint"
        );

        // A credential: the form names what is missing; made, its secret is shown once and works.
        let res = admin
            .post_form("/orgs/RJ1/admin/lrs/credentials", &[], None)
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{n}");
        assert!(
            res.body.contains("Enter what this credential is for")
                && res
                    .body
                    .contains("Choose the xAPI version the client speaks"),
            "{n}"
        );
        let res = admin
            .post_form(
                "/orgs/RJ1/admin/lrs/credentials",
                &[
                    ("name", "Resus simulator"),
                    ("access", "write"),
                    ("version", "2.0.0"),
                ],
                None,
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "{n}: {}",
            &res.body[..300.min(res.body.len())]
        );
        assert_eq!(
            res.headers
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{n}"
        );
        let grab = |class: &str| {
            let at = res.body.find(&format!("class=\"{class}\">")).expect(class) + class.len() + 9;
            res.body[at..at + res.body[at..].find('<').unwrap()].to_owned()
        };
        let (key, secret) = (
            grab("lantern-credential-key"),
            grab("lantern-credential-secret"),
        );
        let lrs = Lrs::new(&app, &key, &secret);
        assert_eq!(
            lrs.get("/xapi/statements").await.status,
            StatusCode::OK,
            "{n}: the new credential works"
        );
        // The version chosen on the form is the one a refusal names when the client sends none.
        let silent = Lrs {
            version: None,
            ..lrs.clone()
        };
        let res = silent.get("/xapi/statements").await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{n}");
        assert_eq!(res.header("x-experience-api-version"), "2.0.0", "{n}");
        let listed = admin.get("/orgs/RJ1/admin/lrs").await.body;
        assert!(
            !listed.contains(&secret),
            "{n}: the secret is never shown again"
        );
        assert!(
            listed.contains("xAPI 2.0.0"),
            "{n}: the page shows the credential's version"
        );

        // A mapping from the page feeds compliance.
        let res = admin
            .post_form(
                "/orgs/RJ1/admin/lrs/mappings",
                &[("activity", "not an iri")],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{n}");
        assert!(
            res.body.contains("Choose the requirement")
                && res.body.contains("Choose at least one verb"),
            "{n}"
        );
        let res = admin
            .post_form(
                "/orgs/RJ1/admin/lrs/mappings",
                &[
                    ("activity", "https://sim.test/resus/*"),
                    ("requirement", "cstf.resuscitation:2"),
                    ("verb", PASSED),
                    ("require_success", "on"),
                    ("min_score", "80"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{n}: {}", res.body);
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let mappings = store.xapi_mappings(rj1.id).await.unwrap();
        assert_eq!(mappings.len(), 1, "{n}");
        assert_eq!(mappings[0].min_scaled_score, Some(0.8), "{n}");
        let learner = store
            .account_by_email(crate::auth::LEARNER.0)
            .await
            .unwrap()
            .unwrap();
        let person = store
            .person(&Scope::Platform, rj1.id, learner.person_id.unwrap())
            .await
            .unwrap();
        let email = person
            .person
            .email
            .clone()
            .expect("the demo learner has an email");
        let s = json!({"actor": agent(&email), "verb": {"id": PASSED}, "object": {"id": "https://sim.test/resus/adult-bls"}, "result": {"success": true, "score": {"scaled": 0.95}}});
        assert_eq!(
            lrs.post("/xapi/statements", &s).await.status,
            StatusCode::OK,
            "{n}"
        );
        let page = admin.get("/orgs/RJ1/admin/lrs").await;
        assert!(
            page.body
                .contains("Latest training records from statements")
                && page.body.contains(&person.person.family_name),
            "{n}: the fed record is listed"
        );

        // Another organisation's admin reaches none of RJ1's LRS pages.
        let mut foreign = Client::signed_in(&app, FOREIGN.0, FOREIGN.1).await;
        assert_eq!(
            foreign.get("/orgs/RJ1/admin/lrs").await.status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        let theirs = foreign.get(&format!("/orgs/{foreign_ods}/admin/lrs")).await;
        assert!(!theirs.body.contains("Resus simulator"), "{n}");

        // Revoked, the credential is refused at once.
        let id = store
            .lrs_credentials(rj1.id)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.name == "Resus simulator")
            .unwrap()
            .id;
        assert_eq!(
            admin
                .post_form(
                    &format!("/orgs/RJ1/admin/lrs/credentials/{id}/revoke"),
                    &[],
                    None
                )
                .await
                .status,
            StatusCode::SEE_OTHER,
            "{n}"
        );
        assert_eq!(
            lrs.get("/xapi/statements").await.status,
            StatusCode::UNAUTHORIZED,
            "{n}"
        );

        // Erasure from the page, by the person's email: their statements carry a pseudonym; the erasure is listed.
        let res = admin
            .post_form("/orgs/RJ1/admin/lrs/erase", &[("identifier", &email)], None)
            .await;
        assert_eq!(
            res.status,
            StatusCode::BAD_REQUEST,
            "{n}: reason and confirmation are needed"
        );
        let res = admin
            .post_form(
                "/orgs/RJ1/admin/lrs/erase",
                &[
                    ("identifier", &email),
                    ("reason", "DSAR-2026-114"),
                    ("confirm", "yes"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{n}: {}", res.body);
        assert!(res.body.contains("Erased: 1 statements"), "{n}");
        assert!(res.body.contains("DSAR-2026-114"), "{n}");
        let all = store
            .query_statements(rj1.id, &lantern_store::lrs::StatementQuery::default())
            .await
            .unwrap();
        assert!(
            all.statements.iter().all(|s| !s.json.contains(&email)),
            "{n}"
        );
    }
}
