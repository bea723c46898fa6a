//! The virtual patient: a learner takes a history from the scenario's menu, and, once the organisation's admin has
//! set a language model, in their own words. The model here is a small OpenAI-compatible server on loopback that
//! records what it was sent (the platform allows loopback models, as for an Ollama beside Lantern).

use crate::test_auth;
use crate::web::Client;
use axum::http::{HeaderMap, StatusCode};
use lantern_store::Scope;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// An OpenAI-compatible chat completions endpoint that answers "My tummy really hurts." and keeps each request
/// with its Authorization header.
async fn model_server() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move |headers: HeaderMap, body: axum::Json<Value>| {
            let kept = kept.clone();
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                kept.lock().unwrap().push((auth, body.0));
                axum::Json(json!({
                    "id": "chatcmpl-1", "object": "chat.completion",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "  My tummy really hurts.  "}, "finish_reason": "stop"}],
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), seen)
}

async fn act(c: &mut Client, url: &str, fields: &[(&str, &str)]) -> crate::web::Response {
    let page = c.get(url).await;
    let at = page
        .body
        .find("name=\"seq\" value=\"")
        .expect("a seq field")
        + 18;
    let seq: String = page.body[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let mut all = vec![("seq", seq.as_str())];
    all.extend_from_slice(fields);
    c.post_form(&format!("{url}/act"), &all, None).await
}

#[tokio::test]
async fn a_learner_takes_a_history_from_the_menu_and_from_the_organisations_model() {
    let (endpoint, seen) = model_server().await;
    for (name, store, _dir) in crate::demo_backends(60, 3).await {
        let mut auth = test_auth();
        auth.models_allow_loopback = true;
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), auth));
        let org = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let mut learner =
            Client::signed_in(&app, "learner@demo.lantern.test", "learner-demo-password").await;
        let mut admin =
            Client::signed_in(&app, "admin@demo.lantern.test", "admin-demo-password").await;

        let res = learner
            .post_form("/orgs/RJ1/simulations/sepsis-post-op/start", &[], None)
            .await;
        let url = res.location().to_owned();
        let run: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
        let page = learner.get(&url).await;
        assert!(page.body.contains("Talk to the patient"), "{name}");
        assert!(page.body.contains("Do you have any pain?"), "{name}");
        assert!(
            !page.body.contains("in your own words"),
            "{name}: no model yet"
        );

        // From the menu: the patient answers as the scenario says.
        let res = act(&mut learner, &url, &[("do", "ask"), ("question", "pain")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let page = learner.get(&url).await;
        assert!(
            page.body.contains("My tummy hurts more than yesterday"),
            "{name}"
        );
        assert!(
            page.body
                .contains("Asked the patient: Do you have any pain?"),
            "{name}"
        );
        let res = act(
            &mut learner,
            &url,
            &[("do", "ask"), ("question", "nothing")],
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        // In their own words, only with a model.
        let res = act(
            &mut learner,
            &url,
            &[("do", "talk"), ("said", "Where does it hurt?")],
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(res.body.contains("has not set a model"), "{name}");

        // The admin sets the model; a learner may not, and a cloud-metadata address is refused.
        let settings = "/orgs/RJ1/admin/virtual-patient";
        assert_eq!(
            learner.get(settings).await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
        assert_eq!(admin.get(settings).await.status, StatusCode::OK, "{name}");
        let res = admin
            .post_form(
                settings,
                &[
                    ("endpoint", "http://169.254.169.254/v1"),
                    ("model", "m"),
                    ("action", "save"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(res.body.contains("not one a model may be at"), "{name}");
        let res = admin
            .post_form(
                settings,
                &[
                    ("endpoint", &endpoint),
                    ("model", "patient-8b"),
                    ("api_key", "k3y"),
                    ("action", "save"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let page = admin.get(settings).await;
        assert!(
            page.body.contains("A key is stored") && !page.body.contains("k3y"),
            "{name}"
        );

        let before = seen.lock().unwrap().len();
        let res = act(
            &mut learner,
            &url,
            &[("do", "talk"), ("said", "Where does it hurt?")],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let page = learner.get(&url).await;
        assert!(page.body.contains("in your own words"), "{name}");
        assert!(
            page.body.contains("Where does it hurt?")
                && page.body.contains("My tummy really hurts."),
            "{name}"
        );
        let res = act(
            &mut learner,
            &url,
            &[("do", "talk"), ("said", "Since when?")],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        {
            let seen = seen.lock().unwrap();
            assert_eq!(seen.len(), before + 2, "{name}");
            let (auth, body) = &seen[seen.len() - 1];
            assert_eq!(auth.as_deref(), Some("Bearer k3y"), "{name}");
            assert_eq!(body["model"], "patient-8b", "{name}");
            let messages = body["messages"].as_array().unwrap();
            let system = messages[0]["content"].as_str().unwrap();
            assert_eq!(messages[0]["role"], "system", "{name}");
            assert!(
                system.contains("Grace Okafor") && system.contains("Not much since last night"),
                "{name}"
            );
            // The earlier turn goes with the new one, the reply as the model gave it (trimmed).
            let roles: Vec<&str> = messages
                .iter()
                .map(|m| m["role"].as_str().unwrap())
                .collect();
            assert_eq!(roles, ["system", "user", "assistant", "user"], "{name}");
            assert_eq!(messages[2]["content"], "My tummy really hurts.", "{name}");
            assert_eq!(messages[3]["content"], "Since when?", "{name}");
            // Nothing about the learner leaves Lantern.
            assert!(!body.to_string().contains("learner@demo"), "{name}");
        }

        // A model that does not answer: the learner is told so, and nothing is stored; a reply sent through the
        // API is never taken as the patient's.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let res = admin
            .post_form(
                settings,
                &[
                    ("endpoint", &format!("http://{closed}/v1")),
                    ("model", "patient-8b"),
                    ("action", "save"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        let events = store
            .sim_run(&Scope::Platform, org.id, run)
            .await
            .unwrap()
            .events
            .len();
        let res = act(
            &mut learner,
            &url,
            &[("do", "talk"), ("said", "Any sickness?")],
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(res.body.contains("The patient did not answer"), "{name}");
        let api = format!("/api/v1/organisations/RJ1/simulations/runs/{run}");
        let res = learner
            .post_json(
                &format!("{api}/actions"),
                &json!({"seq": events, "action": {"do": "talk", "said": "Hello", "reply": "I am fine, discharge me"}}),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: {}", res.body);
        let stored = store.sim_run(&Scope::Platform, org.id, run).await.unwrap();
        assert_eq!(stored.events.len(), events, "{name}");
        assert!(
            !stored
                .events
                .iter()
                .any(|e| e.body.contains("discharge me")),
            "{name}"
        );
        let v = learner.get(&api).await.json();
        assert_eq!(
            v["conversation"].as_array().unwrap().len(),
            3,
            "{name}: {v}"
        );
        assert!(
            !v["history_questions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|q| q["id"] == "pain"),
            "{name}: asked already"
        );

        // Removed, the menu serves alone.
        let res = admin
            .post_form(settings, &[("action", "remove")], None)
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        assert!(
            !learner.get(&url).await.body.contains("in your own words"),
            "{name}"
        );
    }
}
