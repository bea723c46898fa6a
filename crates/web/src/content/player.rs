//! The player page, a launch's status and its package's files, on the content origin.

use super::ContentOrigin;
use crate::AppState;
use crate::assets;
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lantern_learning::scorm::manifest::package_path;
use lantern_learning::scorm::runtime::{self, Learner, ScoOutcome};
use lantern_learning::scorm::{ScormVersion, sequencing};
use lantern_store::StoreError;
use lantern_store::learning::packages::Launch;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a content request is refused with: a plain 404 for an unknown or expired token, whatever was asked.
pub(crate) fn gone() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"result":false,"errorCode":101,"message":"This launch has ended or never existed. Open the module again from Lantern."}"#,
    )
        .into_response()
}

/// The content origin, or a 404 when this server has none.
pub(crate) fn origin(state: &AppState) -> Option<&ContentOrigin> {
    state.content.as_ref()
}

/// The launch a token names (remembered, or from the store), unless it has expired.
pub(crate) async fn launch(state: &AppState, token: &str) -> Option<Arc<Launch>> {
    let content = origin(state)?;
    if token.len() != 43 {
        return None;
    }
    let hash = crate::auth::token_hash(token);
    let now = chrono::Utc::now();
    if let Some(l) = content.remembered(&hash) {
        return (l.expires_at > now).then_some(l);
    }
    match state.store.launch(&hash, now).await {
        Ok(l) => {
            let l = Arc::new(l);
            content.remember(hash, l.clone());
            Some(l)
        }
        Err(StoreError::NotFound) => None,
        Err(e) => {
            tracing::error!(error = %e, "looking up a launch failed");
            None
        }
    }
}

/// How an activity stands, in words for the table of contents.
pub(crate) fn label(o: Option<&ScoOutcome>) -> &'static str {
    match o {
        None => "Not started",
        Some(o) if o.passed == Some(false) => "Not passed",
        Some(o) if o.passed == Some(true) => "Passed",
        Some(o) if o.completed => "Completed",
        Some(_) => "In progress",
    }
}

/// Each activity's outcome from its latest data (an asset's is complete once launched).
pub(crate) fn outcomes(
    launch: &Launch,
    latest: &BTreeMap<String, BTreeMap<String, String>>,
) -> BTreeMap<String, ScoOutcome> {
    let m = &launch.package.manifest;
    let items = m.launchable_items();
    sequencing::activities(m)
        .iter()
        .filter_map(|a| {
            let data = latest.get(&a.identifier)?;
            let outcome = if a.sco {
                let item = items.iter().find(|i| i.identifier == a.identifier)?;
                runtime::outcome(m.version, item, data)
            } else {
                ScoOutcome {
                    completed: true,
                    passed: None,
                    scaled_score: None,
                }
            };
            Some((a.identifier.clone(), outcome))
        })
        .collect()
}

#[derive(Template)]
#[template(path = "content_player.html")]
struct PlayerPage {
    v: &'static str,
    title: String,
    version: &'static str,
    data: String,
    /// (index, identifier, title, depth, choosable, status, current)
    toc: Vec<(usize, String, String, usize, bool, &'static str, bool)>,
    current_title: String,
}

#[derive(serde::Deserialize)]
pub struct Start {
    start: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<Start>,
) -> Response {
    let Some(launch) = launch(&state, &token).await else {
        return gone();
    };
    let latest = match state.store.latest_commits(&launch).await {
        Ok(l) => l,
        Err(e) => return internal(e),
    };
    let m = &launch.package.manifest;
    let activities = sequencing::activities(m);
    let items = m.launchable_items();
    let outcomes = outcomes(&launch, &latest);
    // Where to start: the activity asked for, else the first not yet done, else the first.
    let start = q
        .start
        .and_then(|id| activities.iter().position(|a| a.identifier == id))
        .or_else(|| {
            activities
                .iter()
                .position(|a| !outcomes.get(&a.identifier).is_some_and(|o| o.satisfied()))
        })
        .unwrap_or(0);
    let learner = Learner {
        id: launch.learner_id.clone(),
        name: launch.learner_name.clone(),
    };
    let base = format!("/play/{token}/files/");
    let json_activities: Vec<serde_json::Value> = activities
        .iter()
        .map(|a| {
            let item = items.iter().find(|i| i.identifier == a.identifier);
            let url = item
                .and_then(|i| m.launch_url(i))
                .map(|u| format!("{base}{u}"))
                .unwrap_or_default();
            let cmi = item
                .map(|i| runtime::initial(m.version, i, &learner, latest.get(&a.identifier)))
                .unwrap_or_default();
            serde_json::json!({
                "id": a.identifier,
                "title": a.title,
                "url": url,
                "sco": a.sco,
                "choosable": a.choosable,
                "next": a.next,
                "previous": a.previous,
                "cmi": cmi,
            })
        })
        .collect();
    let version = match m.version {
        ScormVersion::Scorm12 => "1.2",
        ScormVersion::Scorm2004 { .. } => "2004",
    };
    let data = serde_json::json!({
        "version": version,
        "commit": format!("/play/{token}/commit"),
        "status": format!("/play/{token}/status"),
        "activities": json_activities,
        "start": start,
    });
    // JSON inside <script type="application/json">: no "<" may close the element early.
    let data = data
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    let toc = activities
        .iter()
        .enumerate()
        .filter(|(i, a)| a.choosable || *i == start)
        .map(|(i, a)| {
            (
                i,
                a.identifier.clone(),
                a.title.clone(),
                a.depth.min(2),
                a.choosable && i != start,
                label(outcomes.get(&a.identifier)),
                i == start,
            )
        })
        .collect();
    let page = PlayerPage {
        v: assets::asset_version(),
        title: launch.package.title.clone(),
        version,
        data,
        toc,
        current_title: activities
            .get(start)
            .map(|a| a.title.clone())
            .unwrap_or_default(),
    };
    let html = match page.render() {
        Ok(h) => h,
        Err(e) => return internal(e),
    };
    let lantern = origin(&state)
        .map(|c| c.lantern.clone())
        .unwrap_or_default();
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         frame-src 'self'; frame-ancestors {lantern}; base-uri 'none'; form-action 'none'"
    );
    let mut res = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// Each activity's status and the module's, for the player after a SCO finishes (its last commit went by beacon).
pub async fn status(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Some(launch) = launch(&state, &token).await else {
        return gone();
    };
    match state.store.latest_commits(&launch).await {
        Ok(latest) => {
            let items = labels(&launch, &outcomes(&launch, &latest));
            axum::Json(serde_json::json!({ "result": true, "items": items })).into_response()
        }
        Err(e) => internal(e),
    }
}

/// Each activity's status in words, by identifier.
pub(crate) fn labels(
    launch: &Launch,
    outcomes: &BTreeMap<String, ScoOutcome>,
) -> BTreeMap<String, &'static str> {
    sequencing::activities(&launch.package.manifest)
        .into_iter()
        .map(|a| {
            let l = label(outcomes.get(&a.identifier));
            (a.identifier, l)
        })
        .collect()
}

/// A file of the launch's package, streamed chunk by chunk from the store, with a CSP that lets package script
/// run but talk only to this origin.
pub async fn file(
    State(state): State<AppState>,
    Path((token, path)): Path<(String, String)>,
) -> Response {
    let Some(launch) = launch(&state, &token).await else {
        return gone();
    };
    let Ok(path) = package_path(&path) else {
        return (StatusCode::NOT_FOUND, "no such file in this package").into_response();
    };
    let file = match state.store.package_file(launch.package.id, &path).await {
        Ok(f) => f,
        Err(StoreError::NotFound) => {
            return (StatusCode::NOT_FOUND, "no such file in this package").into_response();
        }
        Err(e) => return internal(e),
    };
    let lantern = origin(&state)
        .map(|c| c.lantern.clone())
        .unwrap_or_default();
    // Packages need inline script, eval (authoring tools' players use it) and data/blob URLs; they may reach only
    // this origin, and only the player (and Lantern above it) may frame them.
    let csp = format!(
        "default-src 'self' data: blob:; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' data: blob:; \
         font-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'self' {lantern}"
    );
    stream_file(&state, &path, file, &csp)
}

/// A package file's bytes, streamed chunk by chunk from the store, typed by its extension, with `csp`.
pub(crate) fn stream_file(
    state: &AppState,
    path: &str,
    file: lantern_store::learning::packages::PackageFileRef,
    csp: &str,
) -> Response {
    let store = state.store.clone();
    let sha = file.sha256.clone();
    let chunks = futures_util::stream::unfold(0i64, move |seq| {
        let store = store.clone();
        let sha = sha.clone();
        async move {
            match store.package_chunk(&sha, seq).await {
                Ok(Some(bytes)) => Some((Ok::<_, std::io::Error>(bytes), seq + 1)),
                Ok(None) => None,
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), i64::MAX)),
            }
        }
    });
    let mut res = Response::new(Body::from_stream(chunks));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    res
}

/// The player's assets (scorm-again, its script and style), cached for a year under the versioned path.
pub async fn asset(Path((version, file)): Path<(String, String)>) -> Response {
    match assets::content_lookup(&file) {
        Some(a) if version == assets::asset_version() => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            a.bytes,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "content origin");
    (StatusCode::INTERNAL_SERVER_ERROR, "something went wrong").into_response()
}

/// The type a package file is served as, by its extension; anything unknown is a download, never sniffed.
fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("xml" | "xsd") => "application/xml",
        Some("txt") => "text/plain; charset=utf-8",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("svg") => "image/svg+xml",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("mp4" | "m4v") => "video/mp4",
        Some("webm") => "video/webm",
        Some("mp3") => "audio/mpeg",
        Some("m4a") => "audio/mp4",
        Some("wav") => "audio/wav",
        Some("ogg") => "audio/ogg",
        Some("vtt") => "text/vtt; charset=utf-8",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("ttf") => "font/ttf",
        Some("otf") => "font/otf",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}
