//! The Activities and Agents resources (Communication 2.4, 2.5).

use super::*;

#[tokio::test]
async fn activities_and_agents() {
    for w in worlds().await {
        let n = &w.name;
        let id = "https://elearning.test/courses/resus";
        let with = |name: Value| {
            let mut s = statement("resus@nhs.test", EXPERIENCED, id);
            s["object"]["definition"] =
                json!({"name": name, "type": "http://adlnet.gov/expapi/activities/course"});
            s
        };
        // Two descriptions of the activity: the canonical one has both languages.
        let res = w
            .lrs
            .post(
                "/xapi/statements",
                &json!([
                    with(json!({"en-US": "Resuscitation", "en-GB": "Resus"})),
                    with(json!({"en-GB": "Resuscitation L2", "fr-FR": "Réanimation"}))
                ]),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{n}: {}", res.text());
        let a = w
            .lrs
            .get(&format!("/xapi/activities?activityId={}", enc(id)))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{n}");
        let a = a.json();
        assert_eq!(a["objectType"], json!("Activity"), "{n}");
        assert_eq!(a["id"], json!(id), "{n}");
        let name = &a["definition"]["name"];
        assert_eq!(name["en-US"], json!("Resuscitation"), "{n}: {a}");
        assert_eq!(name["fr-FR"], json!("Réanimation"), "{n}: {a}");
        assert_eq!(
            name["en-GB"],
            json!("Resuscitation L2"),
            "{n}: the latest wins"
        );
        // An activity nobody described is still an Activity.
        let unknown = w
            .lrs
            .get(&format!(
                "/xapi/activities?activityId={}",
                enc("https://elearning.test/nothing")
            ))
            .await;
        assert_eq!(
            unknown.json(),
            json!({"objectType": "Activity", "id": "https://elearning.test/nothing"}),
            "{n}"
        );
        assert_eq!(
            w.lrs.get("/xapi/activities").await.status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        assert_eq!(
            w.lrs
                .get("/xapi/activities?activityId=not%20an%20iri")
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        // Another organisation's LRS never saw it.
        let theirs = w
            .other
            .get(&format!("/xapi/activities?activityId={}", enc(id)))
            .await
            .json();
        assert!(theirs.get("definition").is_none(), "{n}: {theirs}");

        // Agents: the Person object.
        let p = w
            .lrs
            .get(&format!(
                "/xapi/agents?agent={}",
                enc(&json!({"mbox": "mailto:resus@nhs.test"}).to_string())
            ))
            .await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        let p = p.json();
        assert_eq!(p["objectType"], json!("Person"), "{n}");
        assert_eq!(p["mbox"], json!(["mailto:resus@nhs.test"]), "{n}");
        assert_eq!(p["name"], json!(["resus@nhs.test"]), "{n}: {p}");
        let stranger = w.lrs.get(&format!("/xapi/agents?agent={}", enc(&json!({"name": "Rick", "account": {"homePage": "https://lms.test", "name": "r1"}}).to_string()))).await.json();
        assert_eq!(
            stranger["account"],
            json!([{"homePage": "https://lms.test", "name": "r1"}]),
            "{n}"
        );
        assert_eq!(
            w.lrs
                .get(&format!(
                    "/xapi/agents?agent={}",
                    enc(r#"{"name":"no identifier"}"#)
                ))
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        assert_eq!(
            w.lrs.get("/xapi/agents").await.status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
    }
}
