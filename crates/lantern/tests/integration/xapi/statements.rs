//! The Statement resource's writes and single reads (Communication 2.1.1, 2.1.2, 2.1.3 for statementId), the version
//! header, credentials, attachments, signed statements and the alternate request syntax.

use super::*;
use axum::body::Body;

#[tokio::test]
async fn version_header_credentials_and_about() {
    for w in worlds().await {
        let n = &w.name;
        // About needs neither credentials nor the header, and lists both versions.
        let anon = Lrs {
            auth: None,
            version: None,
            ..w.lrs.clone()
        };
        let about = anon.get("/xapi/about").await;
        assert_eq!(about.status, StatusCode::OK, "{n}");
        // A 2.0 client is told both versions; a 1.0.3 one (or one that says nothing) 1.0.3, as 1.0.3 clients expect.
        assert_eq!(about.json()["version"], json!(["1.0.3"]), "{n}");
        assert_eq!(
            w.lrs.get("/xapi/about").await.json()["version"],
            json!(["1.0.3"]),
            "{n}"
        );
        assert_eq!(
            w.lrs.v2().get("/xapi/about").await.json()["version"],
            json!(["1.0.3", "2.0.0"]),
            "{n}"
        );
        assert_eq!(about.header("x-experience-api-version"), "1.0.3", "{n}");

        // Every other resource: no header is 400 with a reason; a bad one too; each answer names its version.
        let no_version = Lrs {
            version: None,
            ..w.lrs.clone()
        };
        let res = no_version.get("/xapi/statements").await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{n}");
        assert!(
            res.text().contains("X-Experience-API-Version"),
            "{n}: {}",
            res.text()
        );
        for bad in ["0.95", "1.1.0", "BAD", "3.0"] {
            let c = Lrs {
                version: Some(bad),
                ..w.lrs.clone()
            };
            assert_eq!(
                c.get("/xapi/statements").await.status,
                StatusCode::BAD_REQUEST,
                "{n}: {bad}"
            );
        }
        for (sent, echoed) in [
            ("1.0.3", "1.0.3"),
            ("1.0", "1.0.3"),
            ("1.0.1", "1.0.3"),
            ("2.0.0", "2.0.0"),
        ] {
            let c = Lrs {
                version: Some(sent),
                ..w.lrs.clone()
            };
            let res = c.get("/xapi/statements").await;
            assert_eq!(res.status, StatusCode::OK, "{n}: {sent}");
            assert_eq!(
                res.header("x-experience-api-version"),
                echoed,
                "{n}: {sent}"
            );
        }

        // Credentials: none, wrong secret, unknown key, malformed, all 401 with a Basic challenge.
        let none = Lrs {
            auth: None,
            ..w.lrs.clone()
        };
        let res = none.get("/xapi/statements").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{n}");
        assert!(res.header("www-authenticate").starts_with("Basic"), "{n}");
        for auth in [
            basic("lk_unknown", "x"),
            "Basic not-base64!".to_owned(),
            "Bearer abc".to_owned(),
        ] {
            let c = Lrs {
                auth: Some(auth.clone()),
                ..w.lrs.clone()
            };
            assert_eq!(
                c.get("/xapi/statements").await.status,
                StatusCode::UNAUTHORIZED,
                "{n}: {auth}"
            );
        }
        let key = w.lrs.auth.clone().unwrap();
        let wrong = Lrs {
            auth: Some(key.replace('=', "") + "AA"),
            ..w.lrs.clone()
        };
        assert_eq!(
            wrong.get("/xapi/statements").await.status,
            StatusCode::UNAUTHORIZED,
            "{n}"
        );

        // A read-only credential reads but cannot write.
        let s = statement("a.reader@nhs.test", EXPERIENCED, "https://elearning.test/a");
        assert_eq!(
            w.reader.post("/xapi/statements", &s).await.status,
            StatusCode::FORBIDDEN,
            "{n}"
        );
        assert_eq!(
            w.reader.get("/xapi/statements").await.status,
            StatusCode::OK,
            "{n}"
        );

        // Methods a resource does not have are 405, whoever asks.
        assert_eq!(
            none.send("DELETE", "/xapi/statements", &[], Body::empty())
                .await
                .status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{n}"
        );
        assert_eq!(
            w.lrs
                .send("POST", "/xapi/activities", &[], Body::empty())
                .await
                .status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{n}"
        );

        // CORS: a preflight from another origin is answered.
        let pre = anon
            .send(
                "OPTIONS",
                "/xapi/statements",
                &[
                    ("origin", "https://content.example"),
                    ("access-control-request-method", "PUT"),
                ],
                Body::empty(),
            )
            .await;
        assert!(pre.status.is_success(), "{n}: {}", pre.status);
        assert_eq!(pre.header("access-control-allow-origin"), "*", "{n}");
        assert!(
            pre.header("access-control-allow-headers")
                .contains("X-Experience-API-Version"),
            "{n}"
        );
    }
}

#[tokio::test]
async fn put_post_and_get_one_statement() {
    for w in worlds().await {
        let n = &w.name;
        let id = uuid();
        let mut s = statement(
            "ward.nurse@nhs.test",
            COMPLETED,
            "https://elearning.test/fire-safety",
        );
        // PUT stores under the id given; the LRS sets stored, authority, version, timestamp.
        let res = w
            .lrs
            .put(&format!("/xapi/statements?statementId={id}"), &s)
            .await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{n}: {}", res.text());
        assert!(
            !res.header("x-experience-api-consistent-through").is_empty()
                || res.status == StatusCode::NO_CONTENT
        );
        let got = w
            .lrs
            .get(&format!("/xapi/statements?statementId={id}"))
            .await;
        assert_eq!(got.status, StatusCode::OK, "{n}");
        let v = got.json();
        assert_eq!(v["id"], json!(id), "{n}");
        assert_eq!(
            v["actor"]["mbox"],
            json!("mailto:ward.nurse@nhs.test"),
            "{n}"
        );
        assert_eq!(
            v["version"],
            json!("1.0.0"),
            "{n}: a 1.0.3 request's statement without version"
        );
        assert_eq!(
            v["authority"]["name"],
            json!("Fire safety e-learning"),
            "{n}: the credential is the authority"
        );
        assert_eq!(
            v["timestamp"], v["stored"],
            "{n}: no timestamp given, so it is when it was stored"
        );
        assert!(!got.header("last-modified").is_empty(), "{n}");
        assert!(
            got.header("content-type").starts_with("application/json"),
            "{n}"
        );
        let through = got.header("x-experience-api-consistent-through");
        assert!(
            chrono::DateTime::parse_from_rfc3339(through).is_ok(),
            "{n}: {through}"
        );

        // The same statement again is fine and changes nothing; a different one under the id is 409.
        assert_eq!(
            w.lrs
                .put(&format!("/xapi/statements?statementId={id}"), &s)
                .await
                .status,
            StatusCode::NO_CONTENT,
            "{n}"
        );
        s["verb"]["id"] = json!(PASSED);
        let res = w
            .lrs
            .put(&format!("/xapi/statements?statementId={id}"), &s)
            .await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{n}");
        assert!(!res.text().is_empty(), "{n}");
        assert_eq!(
            w.lrs
                .get(&format!("/xapi/statements?statementId={id}"))
                .await
                .json()["verb"]["id"],
            json!(COMPLETED),
            "{n}: unchanged"
        );

        // PUT rules: the id is required, must be a UUID, and must agree with the body.
        assert_eq!(
            w.lrs.put("/xapi/statements", &s).await.status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        assert_eq!(
            w.lrs
                .put("/xapi/statements?statementId=nope", &s)
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        assert_eq!(
            w.lrs
                .put(&format!("/xapi/statements?StatementId={}", uuid()), &s)
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}: parameters are case-sensitive"
        );
        let mut other = s.clone();
        other["id"] = json!(uuid());
        let res = w
            .lrs
            .put(&format!("/xapi/statements?statementId={}", uuid()), &other)
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{n}");
        assert!(res.text().contains("statementId"), "{n}: {}", res.text());

        // POST: one statement or a batch, ids in order; ids are made for statements without one.
        let given = uuid();
        let mut a = statement("a@nhs.test", EXPERIENCED, "https://elearning.test/a");
        a["id"] = json!(given);
        let b = statement("b@nhs.test", EXPERIENCED, "https://elearning.test/b");
        let res = w.lrs.post("/xapi/statements", &json!([a, b])).await;
        assert_eq!(res.status, StatusCode::OK, "{n}: {}", res.text());
        let ids = res.json();
        assert_eq!(ids.as_array().unwrap().len(), 2, "{n}");
        assert_eq!(ids[0], json!(given), "{n}");
        let made = ids[1].as_str().unwrap();
        assert_eq!(
            w.lrs
                .get(&format!("/xapi/statements?statementId={made}"))
                .await
                .json()["actor"]["name"],
            json!("b@nhs.test"),
            "{n}"
        );
        let one = w
            .lrs
            .post(
                "/xapi/statements",
                &statement("c@nhs.test", EXPERIENCED, "https://elearning.test/c"),
            )
            .await;
        assert_eq!(
            one.json().as_array().unwrap().len(),
            1,
            "{n}: one statement gets an array of one id"
        );

        // A 2.0 request gets a 2.0.0 statement version by default.
        let res = w
            .lrs
            .v2()
            .post(
                "/xapi/statements",
                &statement("d@nhs.test", EXPERIENCED, "https://elearning.test/d"),
            )
            .await;
        let id2 = res.json()[0].as_str().unwrap().to_owned();
        assert_eq!(
            w.lrs
                .get(&format!("/xapi/statements?statementId={id2}"))
                .await
                .json()["version"],
            json!("2.0.0"),
            "{n}"
        );

        // Unknown, missing and 404.
        assert_eq!(
            w.lrs
                .get(&format!("/xapi/statements?statementId={}", uuid()))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        assert_eq!(
            w.lrs
                .get(&format!(
                    "/xapi/statements?statementId={id}&verb={}",
                    enc(COMPLETED)
                ))
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}: statementId takes only format and attachments"
        );
        assert_eq!(
            w.lrs
                .get(&format!("/xapi/statements?statementId={id}&format=ids"))
                .await
                .status,
            StatusCode::OK,
            "{n}"
        );
        assert_eq!(
            w.lrs
                .get(&format!(
                    "/xapi/statements?statementId={id}&voidedStatementId={id}"
                ))
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );

        // Another organisation's LRS does not see it.
        assert_eq!(
            w.other
                .get(&format!("/xapi/statements?statementId={id}"))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{n}: one LRS per organisation"
        );
        let theirs = w.other.get("/xapi/statements").await.json();
        assert!(
            theirs["statements"].as_array().unwrap().is_empty(),
            "{n}: {theirs}"
        );
    }
}

#[tokio::test]
async fn bad_statements_are_refused_with_a_reason_and_nothing_is_stored() {
    for w in worlds().await {
        let n = &w.name;
        let good = {
            let mut s = statement("good@nhs.test", EXPERIENCED, "https://elearning.test/good");
            s["id"] = json!(uuid());
            s
        };
        let cases: Vec<(&str, Value, &str)> = vec![
            (
                "no actor",
                json!({"verb": {"id": COMPLETED}, "object": {"id": "https://x.test/a"}}),
                "actor",
            ),
            (
                "mbox without mailto",
                json!({"actor": {"mbox": "nurse@nhs.test"}, "verb": {"id": COMPLETED}, "object": {"id": "https://x.test/a"}}),
                "mbox",
            ),
            (
                "two identifiers",
                json!({"actor": {"mbox": "mailto:a@b.test", "openid": "https://id.test/a"}, "verb": {"id": COMPLETED}, "object": {"id": "https://x.test/a"}}),
                "actor",
            ),
            (
                "verb not an IRI",
                json!({"actor": agent("a@b.test"), "verb": {"id": "completed"}, "object": {"id": "https://x.test/a"}}),
                "verb",
            ),
            (
                "unknown property",
                json!({"actor": agent("a@b.test"), "verb": {"id": COMPLETED}, "object": {"id": "https://x.test/a"}, "mood": "happy"}),
                "mood",
            ),
            (
                "scaled score above 1",
                json!({"actor": agent("a@b.test"), "verb": {"id": PASSED}, "object": {"id": "https://x.test/a"}, "result": {"score": {"scaled": 1.5}}}),
                "scaled",
            ),
            (
                "bad language tag",
                json!({"actor": agent("a@b.test"), "verb": {"id": COMPLETED, "display": {"not a tag!": "x"}}, "object": {"id": "https://x.test/a"}}),
                "display",
            ),
            (
                "voiding without a StatementRef",
                json!({"actor": agent("a@b.test"), "verb": {"id": VOIDED}, "object": {"id": "https://x.test/a"}}),
                "object",
            ),
            (
                "revision with an agent object",
                json!({"actor": agent("a@b.test"), "verb": {"id": COMPLETED}, "object": agent("b@b.test"), "context": {"revision": "2"}}),
                "revision",
            ),
        ];
        for (what, bad, names) in cases {
            let res = w.lrs.post("/xapi/statements", &json!([good, bad])).await;
            assert_eq!(
                res.status,
                StatusCode::BAD_REQUEST,
                "{n}: {what}: {}",
                res.text()
            );
            let message = res.json()["error"].as_str().unwrap_or("").to_owned();
            assert!(
                message.contains("statements[1]"),
                "{n}: {what}: names the statement: {message}"
            );
            assert!(
                message.contains(names),
                "{n}: {what}: names {names}: {message}"
            );
        }
        // All-or-nothing: the good statement of each refused batch was not stored.
        assert_eq!(
            w.lrs
                .get(&format!(
                    "/xapi/statements?statementId={}",
                    good["id"].as_str().unwrap()
                ))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        // Duplicate ids in one batch, malformed JSON, duplicate keys, wrong content types.
        assert_eq!(
            w.lrs
                .post("/xapi/statements", &json!([good, good]))
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        assert_eq!(
            w.lrs
                .send(
                    "POST",
                    "/xapi/statements",
                    &[("content-type", "application/json")],
                    "{not json"
                )
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        let dup = r#"{"actor":{"mbox":"mailto:a@b.test"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://x.test/a"},"object":{"id":"https://x.test/b"}}"#;
        assert_eq!(
            w.lrs
                .send(
                    "POST",
                    "/xapi/statements",
                    &[("content-type", "application/json")],
                    dup
                )
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}: duplicate keys"
        );
        assert_eq!(
            w.lrs
                .send(
                    "POST",
                    "/xapi/statements",
                    &[("content-type", "text/plain")],
                    good.to_string()
                )
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        assert_eq!(
            w.lrs
                .send(
                    "POST",
                    "/xapi/statements",
                    &[("content-type", "multipart/form-data; boundary=x")],
                    good.to_string()
                )
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        // Unknown parameters are refused.
        assert_eq!(
            w.lrs.get("/xapi/statements?foo=bar").await.status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        let res = w.lrs.get("/xapi/statements?LIMIT=1").await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{n}");
        assert_eq!(
            w.lrs
                .post("/xapi/statements?statementId=x", &good)
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        // Nothing of all that was stored.
        let all = w.lrs.get("/xapi/statements").await.json();
        assert!(
            all["statements"].as_array().unwrap().is_empty(),
            "{n}: {all}"
        );
    }
}

#[tokio::test]
async fn voiding() {
    for w in worlds().await {
        let n = &w.name;
        let target = uuid();
        let mut s = statement("voided@nhs.test", COMPLETED, "https://elearning.test/v");
        s["id"] = json!(target);
        w.lrs.post("/xapi/statements", &s).await;
        let void = |t: &str| json!({"actor": agent("admin@nhs.test"), "verb": {"id": VOIDED}, "object": {"objectType": "StatementRef", "id": t}});
        let res = w.lrs.post("/xapi/statements", &void(&target)).await;
        assert_eq!(res.status, StatusCode::OK, "{n}: {}", res.text());
        let voiding = res.json()[0].as_str().unwrap().to_owned();
        // The voided statement is only found as voided; the voiding statement is an ordinary one.
        assert_eq!(
            w.lrs
                .get(&format!("/xapi/statements?statementId={target}"))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        let got = w
            .lrs
            .get(&format!("/xapi/statements?voidedStatementId={target}"))
            .await;
        assert_eq!(got.status, StatusCode::OK, "{n}");
        assert_eq!(got.json()["id"], json!(target), "{n}");
        assert_eq!(
            w.lrs
                .get(&format!("/xapi/statements?voidedStatementId={voiding}"))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        assert_eq!(
            w.lrs
                .get(&format!("/xapi/statements?statementId={voiding}"))
                .await
                .status,
            StatusCode::OK,
            "{n}"
        );
        // Queries leave voided statements out.
        let all = w.lrs.get("/xapi/statements").await.json();
        let ids: Vec<&str> = all["statements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert!(
            !ids.contains(&target.as_str()) && ids.contains(&voiding.as_str()),
            "{n}: {ids:?}"
        );
        // A voiding statement cannot be voided; a statement not (yet) stored can be.
        let res = w.lrs.post("/xapi/statements", &void(&voiding)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{n}");
        assert!(
            res.text().contains("cannot be voided"),
            "{n}: {}",
            res.text()
        );
        assert_eq!(
            w.lrs
                .get(&format!("/xapi/statements?statementId={voiding}"))
                .await
                .status,
            StatusCode::OK,
            "{n}: still there"
        );
        assert_eq!(
            w.lrs.post("/xapi/statements", &void(&uuid())).await.status,
            StatusCode::OK,
            "{n}"
        );
        // Statements stay immutable in the database too.
        let err = w.store.as_ref().table_counts().await;
        assert!(err.is_ok(), "{n}");
    }
}

/// A multipart/mixed body: the statements part, then each attachment part with its hash.
pub fn multipart(statements: &Value, parts: &[(&str, &[u8])], boundary: &str) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(
        format!("--{boundary}\r\nContent-Type: application/json\r\n\r\n{statements}\r\n")
            .as_bytes(),
    );
    for (content_type, bytes) in parts {
        let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
        out.extend_from_slice(
            format!("--{boundary}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {hash}\r\n\r\n").as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

#[tokio::test]
async fn attachments_in_and_out() {
    for w in worlds().await {
        let n = &w.name;
        let certificate = b"%PDF-1.4 a certificate of completion".to_vec();
        let mut s = statement(
            "attach@nhs.test",
            COMPLETED,
            "https://elearning.test/with-certificate",
        );
        s["id"] = json!(uuid());
        s["attachments"] = json!([{
            "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
            "display": {"en-GB": "Certificate"},
            "contentType": "application/pdf",
            "length": certificate.len(),
            "sha2": sha256(&certificate),
        }]);
        let ct = "multipart/mixed; boundary=lantern-test-boundary";
        // The part is missing: refused.
        let res = w
            .lrs
            .send(
                "POST",
                "/xapi/statements",
                &[("content-type", ct)],
                multipart(&s, &[], "lantern-test-boundary"),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{n}: {}", res.text());
        // As application/json without fileUrl: refused.
        assert_eq!(
            w.lrs.post("/xapi/statements", &s).await.status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        // A part nobody declared: refused.
        let extra: &[u8] = b"undeclared";
        let res = w
            .lrs
            .send(
                "POST",
                "/xapi/statements",
                &[("content-type", ct)],
                multipart(
                    &s,
                    &[("application/pdf", &certificate), ("text/plain", extra)],
                    "lantern-test-boundary",
                ),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{n}: {}", res.text());
        // A part whose bytes do not match its hash: refused.
        let mut body = multipart(
            &s,
            &[("application/pdf", &certificate)],
            "lantern-test-boundary",
        );
        let at = body.windows(4).position(|w| w == b"%PDF").unwrap();
        body[at + 1] = b'X';
        assert_eq!(
            w.lrs
                .send("POST", "/xapi/statements", &[("content-type", ct)], body)
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        // No boundary: refused.
        assert_eq!(
            w.lrs
                .send(
                    "POST",
                    "/xapi/statements",
                    &[("content-type", "multipart/mixed")],
                    multipart(&s, &[("application/pdf", &certificate)], "b")
                )
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        // Right: stored; and returned as multipart/mixed with attachments=true, as JSON without.
        let res = w
            .lrs
            .send(
                "POST",
                "/xapi/statements",
                &[("content-type", ct)],
                multipart(
                    &s,
                    &[("application/pdf", &certificate)],
                    "lantern-test-boundary",
                ),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{n}: {}", res.text());
        let id = s["id"].as_str().unwrap();
        let plain = w
            .lrs
            .get(&format!("/xapi/statements?statementId={id}"))
            .await;
        assert!(
            plain.header("content-type").starts_with("application/json"),
            "{n}"
        );
        let with = w
            .lrs
            .get(&format!(
                "/xapi/statements?statementId={id}&attachments=true"
            ))
            .await;
        let ct = with.header("content-type").to_owned();
        assert!(ct.starts_with("multipart/mixed; boundary="), "{n}: {ct}");
        let boundary = ct.split("boundary=").nth(1).unwrap();
        let text = String::from_utf8_lossy(&with.body).into_owned();
        assert!(
            text.starts_with(&format!("--{boundary}\r\nContent-Type: application/json")),
            "{n}"
        );
        assert!(
            text.contains("X-Experience-API-Hash: ")
                && text.contains("%PDF-1.4 a certificate of completion"),
            "{n}"
        );
        assert_eq!(
            text.matches(&sha256(&certificate)).count(),
            2,
            "{n}: the hash appears in the statement and the part header only"
        );
        // A fileUrl attachment needs no part.
        let mut linked = statement(
            "linked@nhs.test",
            COMPLETED,
            "https://elearning.test/linked",
        );
        linked["attachments"] = json!([{"usageType": "http://id.tincanapi.com/attachment/certificate-of-completion", "display": {"en-GB": "Certificate"}, "contentType": "application/pdf", "length": 10, "sha2": sha256(b"elsewhere!"), "fileUrl": "https://files.test/cert.pdf"}]);
        assert_eq!(
            w.lrs.post("/xapi/statements", &linked).await.status,
            StatusCode::OK,
            "{n}"
        );
    }
}

#[tokio::test]
async fn signed_statements() {
    for w in worlds().await {
        let n = &w.name;
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let s = statement(
            "signed@nhs.test",
            COMPLETED,
            "https://elearning.test/signed",
        );
        let jws = |alg: &str, payload: &Value| {
            format!(
                "{}.{}.{}",
                b64(format!("{{\"alg\":\"{alg}\"}}").as_bytes()),
                b64(payload.to_string().as_bytes()),
                b64(b"not checked without a certificate")
            )
        };
        let signed = |token: &str| {
            let mut st = s.clone();
            st["attachments"] = json!([{"usageType": "http://adlnet.gov/expapi/attachments/signature", "display": {"en-US": "Signature"}, "contentType": "application/octet-stream", "length": token.len(), "sha2": sha256(token.as_bytes())}]);
            st
        };
        let send = |st: Value, token: String| {
            let lrs = w.lrs.clone();
            async move {
                lrs.send(
                    "POST",
                    "/xapi/statements",
                    &[("content-type", "multipart/mixed; boundary=sig")],
                    multipart(
                        &st,
                        &[("application/octet-stream", token.as_bytes())],
                        "sig",
                    ),
                )
                .await
            }
        };
        let good = jws("RS256", &s);
        let res = send(signed(&good), good.clone()).await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "{n}: RS256 over the statement: {}",
            res.text()
        );
        let hs = jws("HS256", &s);
        let res = send(signed(&hs), hs.clone()).await;
        assert_eq!(
            res.status,
            StatusCode::BAD_REQUEST,
            "{n}: HS256 is not allowed"
        );
        assert!(res.text().contains("signature"), "{n}: {}", res.text());
        let mut other = s.clone();
        other["verb"]["id"] = json!(PASSED);
        let mismatch = jws("RS256", &other);
        assert_eq!(
            send(signed(&mismatch), mismatch.clone()).await.status,
            StatusCode::BAD_REQUEST,
            "{n}: the payload is another statement"
        );
        let garbage = "not.a.jws!".to_owned();
        assert_eq!(
            send(signed(&garbage), garbage.clone()).await.status,
            StatusCode::BAD_REQUEST,
            "{n}: not a JWS"
        );
    }
}

#[tokio::test]
async fn alternate_request_syntax() {
    for w in worlds().await {
        let n = &w.name;
        let id = uuid();
        let s = statement("alt@nhs.test", COMPLETED, "https://elearning.test/alt");
        let auth = w.lrs.auth.clone().unwrap();
        let form = |fields: &[(&str, &str)]| {
            let mut f = form_urlencoded::Serializer::new(String::new());
            for (k, v) in fields {
                f.append_pair(k, v);
            }
            f.finish()
        };
        let bare = Lrs {
            auth: None,
            version: None,
            ..w.lrs.clone()
        };
        let ct = [("content-type", "application/x-www-form-urlencoded")];
        // PUT through POST, with the headers in the form.
        let body = form(&[
            ("statementId", &id),
            ("content", &s.to_string()),
            ("X-Experience-API-Version", "1.0.3"),
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ]);
        let res = bare
            .send("POST", "/xapi/statements?method=PUT", &ct, body.clone())
            .await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{n}: {}", res.text());
        assert_eq!(
            w.lrs
                .get(&format!("/xapi/statements?statementId={id}"))
                .await
                .status,
            StatusCode::OK,
            "{n}"
        );
        // GET through POST.
        let res = bare
            .send(
                "POST",
                "/xapi/statements?method=GET",
                &ct,
                form(&[
                    ("limit", "1"),
                    ("X-Experience-API-Version", "1.0.3"),
                    ("Authorization", &auth),
                ]),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{n}: {}", res.text());
        assert_eq!(res.json()["statements"].as_array().unwrap().len(), 1, "{n}");
        assert!(res.json().get("more").is_some(), "{n}");
        // Other query parameters, a bad version in the form, a non-form body and 2.0: refused.
        assert_eq!(
            bare.send(
                "POST",
                &format!("/xapi/statements?method=PUT&statementId={id}"),
                &ct,
                body.clone()
            )
            .await
            .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        let old = form(&[
            ("statementId", &uuid()),
            ("content", &s.to_string()),
            ("X-Experience-API-Version", "0.8"),
            ("Authorization", &auth),
        ]);
        assert_eq!(
            bare.send("POST", "/xapi/statements?method=PUT", &ct, old)
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        assert_eq!(
            w.lrs
                .send(
                    "POST",
                    "/xapi/statements?method=PUT",
                    &[("content-type", "application/json")],
                    s.to_string()
                )
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        let v2 = form(&[
            ("statementId", &uuid()),
            ("content", &s.to_string()),
            ("X-Experience-API-Version", "2.0.0"),
            ("Authorization", &auth),
        ]);
        let res = bare
            .send("POST", "/xapi/statements?method=PUT", &ct, v2)
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{n}");
        assert!(res.text().contains("2.0"), "{n}: {}", res.text());
        // Only POST may carry method=.
        assert_eq!(
            w.lrs
                .send("PUT", "/xapi/statements?method=POST", &ct, body)
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
    }
}
