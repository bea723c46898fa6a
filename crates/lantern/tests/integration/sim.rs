//! Simulations over HTTP: NEWS2 through `POST /api/v1/news2`, as other tools would call it.

use crate::test_auth;
use crate::web::Client;
use axum::http::StatusCode;
use serde_json::{Value, json};

fn example() -> Value {
    json!({"respiration_rate": 22, "spo2": 95, "spo2_scale": 1, "on_oxygen": false, "systolic_bp": 105,
           "pulse": 112, "consciousness": "A", "temperature": 38.4})
}

#[tokio::test]
async fn news2_scores_through_the_api_and_refuses_naming_the_field() {
    // NEWS2 reads and stores nothing: one backend is enough.
    let (_, store, _dir) = crate::demo_backends(60, 3).await.remove(0);
    let app = lantern_web::app(lantern_web::AppState::new(store, test_auth()));

    let mut anonymous = Client::new(&app);
    assert_eq!(
        anonymous
            .post_json("/api/v1/news2", &example())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let mut web =
        Client::signed_in(&app, "learner@demo.lantern.test", "learner-demo-password").await;
    let res = web.post_json("/api/v1/news2", &example()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let v = res.json();
    assert_eq!(v["total"], 7);
    assert_eq!(
        v["parts"],
        json!({"respiration_rate": 2, "spo2": 1, "air_or_oxygen": 0, "systolic_bp": 1, "pulse": 2,
               "consciousness": 0, "temperature": 1})
    );
    assert_eq!(v["risk"], "high");
    assert!(v["response"].as_str().unwrap().contains("Emergency"));
    assert!(v["monitoring"].as_str().unwrap().contains("Continuous"));

    // Scale 2 on oxygen at 95%: 2 for the saturation and 2 for the oxygen.
    let mut copd = example();
    copd["spo2_scale"] = json!(2);
    copd["on_oxygen"] = json!(true);
    let v = web.post_json("/api/v1/news2", &copd).await.json();
    assert_eq!(
        (
            v["parts"]["spo2"].as_u64(),
            v["parts"]["air_or_oxygen"].as_u64()
        ),
        (Some(2), Some(2))
    );

    // A single 3 with an aggregate under 5 is low_medium.
    let confused = json!({"respiration_rate": 16, "spo2": 97, "spo2_scale": 1, "on_oxygen": false,
        "systolic_bp": 120, "pulse": 70, "consciousness": "C", "temperature": 37.0});
    let v = web.post_json("/api/v1/news2", &confused).await.json();
    assert_eq!(
        (v["total"].as_u64(), v["risk"].as_str()),
        (Some(3), Some("low_medium"))
    );

    for (change, field, reason) in [
        (
            ("respiration_rate", json!(-2)),
            "respiration_rate",
            "cannot be a real",
        ),
        (("spo2", json!(101)), "spo2", "cannot be a real"),
        (("temperature", json!(38.45)), "temperature", "one decimal"),
        (("age", json!(12)), "age", "16 and over"),
        (("pregnant", json!(true)), "pregnant", "pregnancy"),
        (
            ("consciousness", json!("X")),
            "consciousness",
            "unknown variant",
        ),
        (("heart_rate", json!(80)), "heart_rate", "unknown field"),
    ] {
        let mut body = example();
        body[change.0] = change.1;
        let res = web.post_json("/api/v1/news2", &body).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{field}: {}", res.body);
        let v = res.json();
        assert_eq!(v["field"], field, "{}", res.body);
        assert!(
            v["error"].as_str().unwrap().contains(reason),
            "{}",
            res.body
        );
    }
    let mut missing = example();
    missing.as_object_mut().unwrap().remove("pulse");
    let v = web.post_json("/api/v1/news2", &missing).await.json();
    assert_eq!(v["field"], "pulse", "{v}");
}
