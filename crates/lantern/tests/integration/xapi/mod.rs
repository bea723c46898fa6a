//! The built-in xAPI LRS over HTTP, on every backend, grouped by resource as the specification is: statements
//! (writes, reads, queries), documents, the other resources, concurrency, feeding compliance and erasure. Requests go
//! through the whole application router (version check, alternate syntax, CORS, Basic credentials) exactly as a
//! client's would.

mod admin;
mod compliance;
mod concurrency;
mod documents;
mod queries;
mod resources;
mod statements;
mod versions;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use lantern_store::{Scope, Store};
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

/// An xAPI client: Basic credentials and a version header on every request unless told otherwise.
#[derive(Clone)]
pub struct Lrs {
    pub app: axum::Router,
    pub auth: Option<String>,
    pub version: Option<&'static str>,
}

pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Res {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl Lrs {
    pub fn new(app: &axum::Router, key: &str, secret: &str) -> Self {
        Lrs {
            app: app.clone(),
            auth: Some(basic(key, secret)),
            version: Some("1.0.3"),
        }
    }

    pub fn v2(&self) -> Self {
        Lrs {
            version: Some("2.0.0"),
            ..self.clone()
        }
    }

    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Res {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(a) = &self.auth {
            req = req.header("authorization", a);
        }
        if let Some(v) = self.version {
            req = req.header("x-experience-api-version", v);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = self
            .app
            .clone()
            .oneshot(req.body(body.into()).expect("request"))
            .await
            .expect("response");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Res {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Res {
        self.send("GET", uri, &[], Body::empty()).await
    }

    pub async fn post(&self, uri: &str, v: &Value) -> Res {
        self.send(
            "POST",
            uri,
            &[("content-type", "application/json")],
            v.to_string(),
        )
        .await
    }

    pub async fn put(&self, uri: &str, v: &Value) -> Res {
        self.send(
            "PUT",
            uri,
            &[("content-type", "application/json")],
            v.to_string(),
        )
        .await
    }
}

pub fn basic(key: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"))
    )
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn uuid() -> String {
    let mut b = [0u8; 16];
    for x in &mut b {
        *x = fastrand::u8(..);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

pub const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
pub const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
pub const EXPERIENCED: &str = "http://adlnet.gov/expapi/verbs/experienced";
pub const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

pub fn agent(email: &str) -> Value {
    json!({ "objectType": "Agent", "mbox": format!("mailto:{email}"), "name": email })
}

/// A small valid statement.
pub fn statement(actor: &str, verb: &str, activity: &str) -> Value {
    json!({
        "actor": agent(actor),
        "verb": { "id": verb, "display": { "en-US": verb.rsplit('/').next().unwrap_or(verb) } },
        "object": { "objectType": "Activity", "id": activity },
    })
}

/// A test world on one backend: two organisations, each with its own LRS credentials.
pub struct World {
    pub name: String,
    pub store: Arc<dyn Store>,
    /// Read-write client of RJ1.
    pub lrs: Lrs,
    /// Read-only client of RJ1.
    pub reader: Lrs,
    /// Read-write client of another organisation.
    pub other: Lrs,
    _dir: Option<tempfile::TempDir>,
}

async fn credential(
    store: &Arc<dyn Store>,
    ods: &str,
    name: &str,
    write: bool,
) -> (String, String) {
    credential_speaking(store, ods, name, write, lantern_xapi::Version::V1_0_3).await
}

/// A credential whose client speaks `version`.
async fn credential_speaking(
    store: &Arc<dyn Store>,
    ods: &str,
    name: &str,
    write: bool,
    version: lantern_xapi::Version,
) -> (String, String) {
    let org = store.org_by_code(&Scope::Platform, ods).await.expect("org");
    let (key, secret, hash) = lantern_web::xapi::auth::new_credential();
    store
        .create_lrs_credential(
            &lantern_store::lrs::NewLrsCredential {
                org: org.id,
                name,
                api_key: &key,
                secret_hash: &hash,
                can_write: write,
                default_version: version,
            },
            chrono::Utc::now(),
        )
        .await
        .expect("credential");
    (key, secret)
}

/// The demo world's organisations (a small one) with LRS credentials, on every backend.
pub async fn worlds() -> Vec<World> {
    let mut out = Vec::new();
    for (name, store, dir) in crate::backends().await {
        lantern::demo::generate(store.as_ref(), 300, 5, crate::d("2026-11-23"), false)
            .await
            .expect("demo");
        let other_ods = store
            .list_orgs(&Scope::Platform)
            .await
            .expect("orgs")
            .into_iter()
            .find(|o| o.org.ods_code != "RJ1" && o.people > 0)
            .expect("another organisation")
            .org
            .ods_code;
        let app = lantern_web::app(lantern_web::AppState::new(
            store.clone(),
            crate::test_auth(),
        ));
        let (k, s) = credential(&store, "RJ1", "Fire safety e-learning", true).await;
        let (rk, rs) = credential(&store, "RJ1", "Dashboard (read only)", false).await;
        let (ok, os) = credential(&store, &other_ods, "Other trust's LMS", true).await;
        out.push(World {
            lrs: Lrs::new(&app, &k, &s),
            reader: Lrs::new(&app, &rk, &rs),
            other: Lrs::new(&app, &ok, &os),
            name,
            store,
            _dir: dir,
        });
    }
    out
}
