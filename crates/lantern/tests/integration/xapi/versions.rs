//! The version a refusal names. A request without `X-Experience-API-Version` (or with one the LRS does not speak) is
//! refused with 400, and the answer's own version header is its credential's version, chosen when the credential
//! was made: the ADL conformance suite for 2.0.0 requires 2.0.0 there, the 1.0.3 suite a 1.0.x version. A request
//! that does not authenticate is answered 1.0.3, so a refusal says nothing about anyone's credential.

use super::*;
use lantern_xapi::Version;

#[tokio::test]
async fn a_request_without_a_version_is_refused_in_its_credentials_version() {
    for w in worlds().await {
        let n = &w.name;
        let (k2, s2) =
            credential_speaking(&w.store, "RJ1", "cmi5 player", true, Version::V2_0_0).await;
        let two = Lrs {
            version: None,
            ..Lrs::new(&w.lrs.app, &k2, &s2)
        };
        let one = Lrs {
            version: None,
            ..w.lrs.clone()
        };
        let id = uuid();
        let s = statement(
            "a.nurse@nhs.test",
            COMPLETED,
            "https://elearning.test/versions",
        );
        let activity = enc("https://elearning.test/versions");
        let state = format!(
            "/xapi/activities/state?activityId={activity}&agent={}&stateId=s",
            enc(&agent("a.nurse@nhs.test").to_string())
        );
        for (client, expected) in [(&two, "2.0.0"), (&one, "1.0.3")] {
            let answers = [
                ("GET statements", client.get("/xapi/statements").await),
                ("POST statements", client.post("/xapi/statements", &s).await),
                (
                    "PUT statements",
                    client
                        .put(&format!("/xapi/statements?statementId={id}"), &s)
                        .await,
                ),
                ("GET state", client.get(&state).await),
            ];
            for (what, res) in answers {
                assert_eq!(res.status, StatusCode::BAD_REQUEST, "{n}: {what}");
                assert_eq!(
                    res.header("x-experience-api-version"),
                    expected,
                    "{n}: {what} with a {expected} credential"
                );
                assert!(
                    res.text().contains("X-Experience-API-Version"),
                    "{n}: {what}: {}",
                    res.text()
                );
            }
            // A version the LRS does not speak is refused the same way.
            let bad = Lrs {
                version: Some("0.95"),
                ..client.clone()
            };
            let res = bad.get("/xapi/statements").await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{n}");
            assert_eq!(res.header("x-experience-api-version"), expected, "{n}");
        }
        // Nothing was stored by the refused writes.
        assert_eq!(
            w.lrs
                .get(&format!("/xapi/statements?statementId={id}"))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{n}"
        );

        // The credential's version never changes what a request that names one is served in.
        for (sent, served) in [("1.0.3", "1.0.3"), ("2.0.0", "2.0.0")] {
            let c = Lrs {
                version: Some(sent),
                ..two.clone()
            };
            let res = c.get("/xapi/statements").await;
            assert_eq!(res.status, StatusCode::OK, "{n}: {sent}");
            assert_eq!(res.header("x-experience-api-version"), served, "{n}");
        }

        // Without valid credentials the answer is 1.0.3 whatever the key's credential speaks.
        let wrong = Lrs {
            auth: Some(basic(&k2, "not the secret")),
            ..two.clone()
        };
        let res = wrong.get("/xapi/statements").await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{n}");
        assert_eq!(res.header("x-experience-api-version"), "1.0.3", "{n}");
        let anonymous = Lrs {
            auth: None,
            ..two.clone()
        };
        let res = anonymous.get("/xapi/statements").await;
        assert_eq!(res.header("x-experience-api-version"), "1.0.3", "{n}");

        // The store keeps the choice with the credential.
        let rj1 = w.store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let versions: Vec<(String, Version)> = w
            .store
            .lrs_credentials(rj1.id)
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.api_key, c.default_version))
            .collect();
        assert!(
            versions.contains(&(k2.clone(), Version::V2_0_0)),
            "{n}: {versions:?}"
        );
        assert!(
            versions
                .iter()
                .filter(|(k, _)| *k != k2)
                .all(|(_, v)| *v == Version::V1_0_3),
            "{n}: {versions:?}"
        );
    }
}
