//! The content origin: where SCORM packages play, on a listener and origin of their own (`content_url`, by default
//! `http://localhost:8081` beside Lantern's `http://127.0.0.1:8080`), never on Lantern's.
//!
//! A package is untrusted code. Served from another origin, its script cannot read Lantern's pages, cookies or CSRF
//! token (the same-origin policy), and Lantern's API answers it nothing: no CORS headers, no session cookie (the
//! origins' hosts differ, so the browser sends Lantern's cookies only to Lantern), and the CSRF check refuses a
//! state-changing request from another origin. What a package can reach here is its launch: the random token in the
//! player's URL (`/play/TOKEN/`), made when the learner opened the module on Lantern and stored only as a hash,
//! reaches one attempt's one package module until it expires ([`LAUNCH_HOURS`]). It can read that package's files
//! and commit that module's run-time data, which the server checks (`lantern_learning::scorm::runtime`) and keeps
//! append-only; it cannot name another attempt.
//!
//! cmi5 AUs are served here too, under `/cmi5/{digest}/...` (the package's SHA-256 digest: content-addressed and
//! unguessable without the package): an AU is launched in its own window by the cmi5 launch protocol and reaches
//! Lantern only through the LRS and the fetch URL, with the credential that URL gives it once (`content/cmi5.rs`).
//!
//! Limits, by design of SCORM rather than of Lantern: the SCO and the player share this origin (the SCO finds the API
//! on its parent window), so a package can set its own module's status as it likes, as any SCORM package can; and
//! packages share this origin's storage (localStorage), so one package could read what another left there. Lantern
//! keeps nothing there. Run the content origin on a host that is not a subdomain of Lantern's, so that not even
//! cookies set for a parent domain reach it.

mod cmi5;
mod commit;
mod player;

use crate::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use lantern_store::learning::packages::Launch;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long a launch's token is good for: a working day, so a learner can leave a course open and come back.
pub const LAUNCH_HOURS: i64 = 12;

/// Where the content origin is, and launches recently looked up (a launch never changes, so it can be remembered
/// until it expires).
#[derive(Clone)]
pub struct ContentOrigin {
    /// `scheme://host:port`, without a trailing slash.
    pub url: String,
    /// Lantern's own origin, the only one that may frame the player.
    pub lantern: String,
    launches: Arc<Mutex<HashMap<String, Arc<Launch>>>>,
}

impl ContentOrigin {
    /// The content origin at `url`, framed by Lantern at `lantern_url`. Refused when the two share a host: browsers
    /// send a host's cookies to every port of it, so Lantern's session cookie would reach the packages' server.
    pub fn new(url: &str, lantern_url: &str) -> anyhow::Result<Self> {
        let content = origin_of(url)?;
        let lantern = origin_of(lantern_url)?;
        let host = |u: &str| {
            url::Url::parse(u)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
        };
        if host(&content) == host(&lantern) {
            anyhow::bail!(
                "content_url {content} has the same host as Lantern ({lantern}): browsers send a host's cookies to \
                 every port, so packages would receive Lantern's session cookie. Give the content origin another \
                 host name (for example localhost rather than 127.0.0.1, or a separate domain)."
            );
        }
        Ok(ContentOrigin {
            url: content,
            lantern,
            launches: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    pub(crate) fn remembered(&self, hash: &str) -> Option<Arc<Launch>> {
        self.launches.lock().ok()?.get(hash).cloned()
    }

    pub(crate) fn remember(&self, hash: String, launch: Arc<Launch>) {
        if let Ok(mut m) = self.launches.lock() {
            // A bound on memory: forgetting costs one lookup.
            if m.len() >= 10_000 {
                m.clear();
            }
            m.insert(hash, launch);
        }
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(u: &str) -> anyhow::Result<String> {
    let parsed = url::Url::parse(u).map_err(|e| anyhow::anyhow!("{u:?} is not a URL: {e}"))?;
    match parsed.origin() {
        url::Origin::Tuple(..) => Ok(parsed.origin().ascii_serialization()),
        url::Origin::Opaque(_) => anyhow::bail!("{u:?} has no origin (use http:// or https://)"),
    }
}

/// The content origin's application: the player, package files, commits and the player's assets. Nothing else of
/// Lantern is routed here, and nothing here reads a cookie or sets one.
pub fn content_app(state: AppState) -> Router {
    Router::new()
        .route("/play/{token}/", get(player::page))
        .route("/play/{token}/status", get(player::status))
        .route("/play/{token}/files/{*path}", get(player::file))
        .route(
            "/play/{token}/commit",
            post(commit::commit).layer(axum::extract::DefaultBodyLimit::max(commit::MAX_BODY)),
        )
        .route("/assets/{version}/{file}", get(player::asset))
        .route("/cmi5/{digest}/{*path}", get(cmi5::file))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(state)
        .layer(axum::middleware::from_fn(headers))
}

/// The routes the content app serves, for the tests that walk them.
pub fn content_routes() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GET", "/play/{token}/"),
        ("GET", "/play/{token}/status"),
        ("GET", "/play/{token}/files/{*path}"),
        ("POST", "/play/{token}/commit"),
        ("GET", "/assets/{version}/{file}"),
        ("GET", "/cmi5/{digest}/{*path}"),
        ("GET", "/healthz"),
    ]
}

/// Headers on every content response: no MIME sniffing, no referrer (the token is in the URL), nothing cached
/// unless the response says so, a strict CSP unless the response sets its own (package files and the player do),
/// and no cookie ever.
async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.remove(header::SET_COOKIE);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    res
}
