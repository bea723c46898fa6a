//! The State, Activity Profile and Agent Profile resources (Communication 2.3, 2.6, 2.7) with their concurrency
//! rules (3.1): ETags, If-Match, If-None-Match, and the differences between 1.0.3 and 2.0.

use super::*;
use axum::body::Body;

const ACT: &str = "https://elearning.test/courses/fire";

fn state_uri(extra: &str) -> String {
    let agent = enc(&agent("state.learner@nhs.test").to_string());
    format!(
        "/xapi/activities/state?activityId={}&agent={agent}{extra}",
        enc(ACT)
    )
}

#[tokio::test]
async fn state_documents() {
    for w in worlds().await {
        let n = &w.name;
        let lrs = &w.lrs;
        let json_ct = [("content-type", "application/json")];
        // PUT, then GET with its content type, ETag (SHA-1 of the content) and Last-Modified.
        let res = lrs
            .send(
                "PUT",
                &state_uri("&stateId=bookmark"),
                &json_ct,
                r#"{"page":3}"#,
            )
            .await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{n}: {}", res.text());
        let got = lrs.get(&state_uri("&stateId=bookmark")).await;
        assert_eq!(got.status, StatusCode::OK, "{n}");
        assert_eq!(got.json(), json!({"page": 3}), "{n}");
        assert!(
            got.header("content-type").starts_with("application/json"),
            "{n}"
        );
        let etag = got.header("etag").to_owned();
        assert_eq!(
            etag,
            format!(
                "\"{}\"",
                hex::encode(<sha1::Sha1 as sha1::Digest>::digest(br#"{"page":3}"#))
            ),
            "{n}"
        );
        assert!(!got.header("last-modified").is_empty(), "{n}");
        // POST merges top-level properties of JSON objects.
        assert_eq!(
            lrs.send(
                "POST",
                &state_uri("&stateId=bookmark"),
                &json_ct,
                r#"{"score":80,"page":4}"#
            )
            .await
            .status,
            StatusCode::NO_CONTENT,
            "{n}"
        );
        assert_eq!(
            lrs.get(&state_uri("&stateId=bookmark")).await.json(),
            json!({"page": 4, "score": 80}),
            "{n}"
        );
        // ... and refuses to merge what is not a JSON object, leaving the document as it was.
        assert_eq!(
            lrs.send(
                "POST",
                &state_uri("&stateId=bookmark"),
                &[("content-type", "text/plain")],
                "hello"
            )
            .await
            .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        assert_eq!(
            lrs.send("POST", &state_uri("&stateId=bookmark"), &json_ct, "[1,2]")
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        assert_eq!(
            lrs.send(
                "POST",
                &state_uri("&stateId=fresh"),
                &json_ct,
                r#"{"a":1}{"#
            )
            .await
            .status,
            StatusCode::BAD_REQUEST,
            "{n}: not JSON, even as the first write"
        );
        assert_eq!(
            lrs.get(&state_uri("&stateId=bookmark")).await.json(),
            json!({"page": 4, "score": 80}),
            "{n}"
        );
        // Any content may be stored with PUT, and comes back byte for byte.
        let blob: &[u8] = &[0, 159, 146, 150, 255];
        assert_eq!(
            lrs.send(
                "PUT",
                &state_uri("&stateId=blob"),
                &[("content-type", "application/octet-stream")],
                blob.to_vec()
            )
            .await
            .status,
            StatusCode::NO_CONTENT,
            "{n}"
        );
        let got = lrs.get(&state_uri("&stateId=blob")).await;
        assert_eq!(got.body, blob, "{n}");
        assert_eq!(
            got.header("content-type"),
            "application/octet-stream",
            "{n}"
        );
        assert_eq!(
            lrs.send("POST", &state_uri("&stateId=blob"), &json_ct, r#"{"a":1}"#)
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}: a JSON object cannot merge into bytes"
        );
        // A registration keeps its own state.
        let reg = uuid();
        lrs.send(
            "PUT",
            &state_uri(&format!("&stateId=bookmark&registration={reg}")),
            &json_ct,
            r#"{"page":1}"#,
        )
        .await;
        assert_eq!(
            lrs.get(&state_uri(&format!("&stateId=bookmark&registration={reg}")))
                .await
                .json(),
            json!({"page": 1}),
            "{n}"
        );
        assert_eq!(
            lrs.get(&state_uri("&stateId=bookmark")).await.json()["page"],
            json!(4),
            "{n}"
        );
        // Without stateId: the ids (optionally only those changed since).
        let listed = lrs.get(&state_uri("")).await.json();
        assert_eq!(listed, json!(["blob", "bookmark"]), "{n}");
        assert_eq!(
            lrs.get(&state_uri("&since=2999-01-01T00:00:00Z"))
                .await
                .json(),
            json!([]),
            "{n}"
        );
        assert_eq!(
            lrs.get(&state_uri("&since=2000-01-01T00:00:00Z"))
                .await
                .json(),
            json!(["blob", "bookmark"]),
            "{n}"
        );
        // Parameters: required, validated.
        for (what, uri) in [
            (
                "no agent",
                format!("/xapi/activities/state?activityId={}&stateId=x", enc(ACT)),
            ),
            (
                "agent=true",
                format!(
                    "/xapi/activities/state?activityId={}&agent=true&stateId=x",
                    enc(ACT)
                ),
            ),
            (
                "no activity",
                format!(
                    "/xapi/activities/state?agent={}&stateId=x",
                    enc(&agent("a@b.test").to_string())
                ),
            ),
            (
                "registration=true",
                state_uri("&stateId=x&registration=true"),
            ),
            ("since=never", state_uri("&since=never")),
            ("unknown parameter", state_uri("&stateId=x&colour=blue")),
        ] {
            assert_eq!(
                lrs.get(&uri).await.status,
                StatusCode::BAD_REQUEST,
                "{n}: {what}"
            );
        }
        assert_eq!(
            lrs.send("PUT", &state_uri(""), &json_ct, "{}").await.status,
            StatusCode::BAD_REQUEST,
            "{n}: PUT needs a stateId"
        );
        assert_eq!(
            lrs.get(&state_uri("&stateId=missing")).await.status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        // DELETE one, then all under the key (the registration's own state stays for its own key).
        assert_eq!(
            lrs.send("DELETE", &state_uri("&stateId=blob"), &[], Body::empty())
                .await
                .status,
            StatusCode::NO_CONTENT,
            "{n}"
        );
        assert_eq!(
            lrs.get(&state_uri("")).await.json(),
            json!(["bookmark"]),
            "{n}"
        );
        assert_eq!(
            lrs.send("DELETE", &state_uri(""), &[], Body::empty())
                .await
                .status,
            StatusCode::NO_CONTENT,
            "{n}"
        );
        assert_eq!(lrs.get(&state_uri("")).await.json(), json!([]), "{n}");
        // Another organisation's LRS has none of this.
        assert_eq!(
            w.other
                .get(&state_uri(&format!("&stateId=bookmark&registration={reg}")))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
    }
}

#[tokio::test]
async fn concurrency_rules_by_version() {
    for w in worlds().await {
        let n = &w.name;
        let v1 = &w.lrs;
        let v2 = w.lrs.v2();
        let json_ct = ("content-type", "application/json");
        let profile = |id: &str| {
            format!(
                "/xapi/activities/profile?activityId={}&profileId={id}",
                enc(ACT)
            )
        };
        let agent_profile = |id: &str| {
            format!(
                "/xapi/agents/profile?agent={}&profileId={id}",
                enc(&agent("p@nhs.test").to_string())
            )
        };
        for (label, uri) in [
            ("activity profile", profile("prefs")),
            ("agent profile", agent_profile("prefs")),
        ] {
            // Creating without a precondition is refused; If-None-Match: * creates.
            assert_eq!(
                v1.send("PUT", &uri, &[json_ct], r#"{"v":1}"#).await.status,
                StatusCode::BAD_REQUEST,
                "{n}: {label}"
            );
            assert_eq!(
                v1.send(
                    "PUT",
                    &uri,
                    &[json_ct, ("if-none-match", "*")],
                    r#"{"v":1}"#
                )
                .await
                .status,
                StatusCode::NO_CONTENT,
                "{n}: {label}"
            );
            assert_eq!(
                v1.send(
                    "PUT",
                    &uri,
                    &[json_ct, ("if-none-match", "*")],
                    r#"{"v":2}"#
                )
                .await
                .status,
                StatusCode::PRECONDITION_FAILED,
                "{n}: {label}: it exists now"
            );
            let etag = v1.get(&uri).await.header("etag").to_owned();
            // Replacing without a precondition: 409, and nothing changes.
            let res = v1.send("PUT", &uri, &[json_ct], r#"{"v":3}"#).await;
            assert_eq!(res.status, StatusCode::CONFLICT, "{n}: {label}");
            assert!(!res.body.is_empty(), "{n}: {label}: says why");
            // With the wrong ETag: 412; the right one: 204.
            assert_eq!(
                v1.send(
                    "PUT",
                    &uri,
                    &[
                        json_ct,
                        ("if-match", "\"1111111111111111111111111111111111111111\"")
                    ],
                    r#"{"v":4}"#
                )
                .await
                .status,
                StatusCode::PRECONDITION_FAILED,
                "{n}: {label}"
            );
            assert_eq!(v1.get(&uri).await.json(), json!({"v": 1}), "{n}: {label}");
            assert_eq!(
                v1.send(
                    "PUT",
                    &uri,
                    &[json_ct, ("if-match", etag.as_str())],
                    r#"{"v":5}"#
                )
                .await
                .status,
                StatusCode::NO_CONTENT,
                "{n}: {label}"
            );
            let etag = v1.get(&uri).await.header("etag").to_owned();
            // POST and DELETE honour If-Match too.
            assert_eq!(
                v2.send(
                    "POST",
                    &uri,
                    &[json_ct, ("if-match", "\"1234\"")],
                    r#"{"w":1}"#
                )
                .await
                .status,
                StatusCode::PRECONDITION_FAILED,
                "{n}: {label}"
            );
            assert_eq!(
                v2.send(
                    "POST",
                    &uri,
                    &[json_ct, ("if-match", etag.as_str())],
                    r#"{"w":1}"#
                )
                .await
                .status,
                StatusCode::NO_CONTENT,
                "{n}: {label}"
            );
            assert_eq!(
                v2.get(&uri).await.json(),
                json!({"v": 5, "w": 1}),
                "{n}: {label}"
            );
            assert_eq!(
                v2.send("DELETE", &uri, &[("if-match", "\"1234\"")], Body::empty())
                    .await
                    .status,
                StatusCode::PRECONDITION_FAILED,
                "{n}: {label}"
            );
            assert_eq!(
                v2.get(&uri).await.status,
                StatusCode::OK,
                "{n}: {label}: still there"
            );
            assert_eq!(
                v2.send("DELETE", &uri, &[], Body::empty()).await.status,
                StatusCode::NO_CONTENT,
                "{n}: {label}"
            );
            assert_eq!(
                v2.get(&uri).await.status,
                StatusCode::NOT_FOUND,
                "{n}: {label}"
            );
            assert_eq!(
                v2.send("DELETE", &uri, &[], Body::empty()).await.status,
                StatusCode::NO_CONTENT,
                "{n}: {label}: deleting nothing is fine"
            );
        }
        // State: 1.0.3 lets PUT replace without a precondition; 2.0 asks for one, as for profiles.
        let s = state_uri("&stateId=progress");
        assert_eq!(
            v1.send("PUT", &s, &[json_ct], r#"{"p":1}"#).await.status,
            StatusCode::NO_CONTENT,
            "{n}"
        );
        assert_eq!(
            v1.send("PUT", &s, &[json_ct], r#"{"p":2}"#).await.status,
            StatusCode::NO_CONTENT,
            "{n}: 1.0.3 overwrites"
        );
        assert_eq!(
            v2.send("PUT", &s, &[json_ct], r#"{"p":3}"#).await.status,
            StatusCode::CONFLICT,
            "{n}: 2.0 needs If-Match"
        );
        assert_eq!(v1.get(&s).await.json(), json!({"p": 2}), "{n}");
        let etag = v2.get(&s).await.header("etag").to_owned();
        assert_eq!(
            v2.send(
                "PUT",
                &s,
                &[json_ct, ("if-match", etag.as_str())],
                r#"{"p":3}"#
            )
            .await
            .status,
            StatusCode::NO_CONTENT,
            "{n}"
        );
        assert_eq!(
            v2.send("PUT", &state_uri("&stateId=new"), &[json_ct], r#"{"p":1}"#)
                .await
                .status,
            StatusCode::NO_CONTENT,
            "{n}: a new state needs no precondition"
        );
        // Profiles listing.
        let _ = v1
            .send(
                "PUT",
                &profile("a"),
                &[json_ct, ("if-none-match", "*")],
                "{}",
            )
            .await;
        let _ = v1
            .send(
                "PUT",
                &profile("b"),
                &[json_ct, ("if-none-match", "*")],
                "{}",
            )
            .await;
        assert_eq!(
            v1.get(&format!("/xapi/activities/profile?activityId={}", enc(ACT)))
                .await
                .json(),
            json!(["a", "b"]),
            "{n}"
        );
        assert_eq!(
            v1.send(
                "DELETE",
                &format!("/xapi/activities/profile?activityId={}", enc(ACT)),
                &[],
                Body::empty()
            )
            .await
            .status,
            StatusCode::BAD_REQUEST,
            "{n}: a profile is deleted by its id"
        );
    }
}
