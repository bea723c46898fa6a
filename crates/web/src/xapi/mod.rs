//! The built-in xAPI Learning Record Store under `/xapi/`, for xAPI 1.0.3 and 2.0 (IEEE 9274.1.1): one LRS per
//! organisation, reached with HTTP Basic credentials of a client application (`auth.rs`), never a browser session.
//!
//! - `statements.rs`: PUT, POST and GET /xapi/statements (single and batch writes, voiding, queries, `more` paging,
//!   formats, attachments and signed statements).
//! - `documents.rs`: the State, Activity Profile and Agent Profile resources with ETag concurrency and JSON merge.
//! - `resources.rs`: /xapi/activities, /xapi/agents and /xapi/about.
//! - `multipart.rs`: multipart/mixed requests and responses (statements with attachments).
//! - `alternate.rs`: the 1.0.3 alternate request syntax (`?method=`), which 2.0 removed.
//! - `admin.rs`: the organisation admin's pages (credentials, mappings to training records, erasure).
//!
//! Every request but /xapi/about must send `X-Experience-API-Version` (1.0.x or 2.0.x; 400 otherwise), and every
//! response says which version served it; a refused request that named none says its credential's version (chosen
//! when the credential was made), so a 2.0 client hears 2.0.0 and a 1.0.3 client 1.0.3. Validation is `lantern_xapi`'s; storage is the store's `LrsStore`. Browser
//! content on other origins may call the LRS: CORS preflights are answered and credentials travel in the
//! Authorization header, so no cookie is ever involved and CSRF does not arise.

pub mod admin;
pub mod alternate;
pub mod auth;
pub mod cmi5;
pub mod documents;
pub mod multipart;
pub mod resources;
pub mod statements;

use crate::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lantern_xapi::Version;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest request body the LRS takes: a batch of statements with their attachments.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

pub const VERSION_HEADER: &str = "x-experience-api-version";
pub const CONSISTENT_THROUGH: &str = "x-experience-api-consistent-through";

#[derive(OpenApi)]
#[openapi(tags((
    name = "xapi",
    description = "The built-in xAPI Learning Record Store (xAPI 1.0.3 and 2.0). Authenticate with HTTP Basic using \
                   a key and secret from `lantern lrs credentials create` or the organisation admin's LRS page, and \
                   send `X-Experience-API-Version`. Statements that meet the organisation's mappings become training \
                   records, with the statement as evidence."
)))]
struct XapiDoc;

/// The LRS's routes, documented in the OpenAPI document under the `xapi` tag.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(XapiDoc::openapi())
        .routes(routes!(statements::put, statements::post, statements::get))
        .routes(routes!(
            documents::state_get,
            documents::state_put,
            documents::state_post,
            documents::state_delete
        ))
        .routes(routes!(
            documents::activity_profile_get,
            documents::activity_profile_put,
            documents::activity_profile_post,
            documents::activity_profile_delete
        ))
        .routes(routes!(
            documents::agent_profile_get,
            documents::agent_profile_put,
            documents::agent_profile_post,
            documents::agent_profile_delete
        ))
        .routes(routes!(resources::activities))
        .routes(routes!(resources::agents))
        .routes(routes!(resources::about))
}

/// The LRS's routes as mounted in the application, with its larger body limit. Its [`edge`] runs before routing.
pub fn mounted() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = router().split_for_parts();
    // Statements with attachments can be large; everything else stays small.
    let router = router.layer(axum::extract::DefaultBodyLimit::max(MAX_BODY));
    (router, doc)
}

/// What every /xapi request passes through before it is routed (so that it also covers 404s and 405s, and so that
/// the alternate request syntax can change the method): CORS preflights, the alternate request syntax, the version
/// header; and on the way out the version and consistency headers and CORS.
pub async fn edge(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !(path == "/xapi" || path.starts_with("/xapi/")) {
        return next.run(req).await;
    }
    if req.method() == Method::OPTIONS {
        return cors(preflight(), true);
    }
    let req = single_slashes(req);
    let path = req.uri().path();
    let statements = path.starts_with("/xapi/statements");
    let req = match alternate::rewritten(req).await {
        Ok(r) => r,
        Err(e) => return cors(stamped(e.into_response(), None, statements), false),
    };
    cors(version(&state, req, next).await, false)
}

/// An error from the LRS: a status and a message saying what was wrong, as JSON `{"error": "..."}`.
/// An xAPI client joins a resource to the endpoint it was given, and the cmi5 launch's `endpoint` ends in a slash
/// (`{public_url}/xapi/`), so a client that adds its own slash asks for `/xapi//statements` (ADL's cmi5 test AUs
/// do). A run of slashes in an LRS path is read as one, as most LRSs do, so such a request reaches its resource.
fn single_slashes(mut req: Request) -> Request {
    let path = req.uri().path();
    if !path.contains("//") {
        return req;
    }
    let mut collapsed = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && collapsed.ends_with('/')) {
            collapsed.push(c);
        }
    }
    let path_and_query = match req.uri().query() {
        Some(q) => format!("{collapsed}?{q}"),
        None => collapsed,
    };
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = path_and_query.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    req
}

#[derive(Debug)]
pub struct XapiHttpError {
    pub status: StatusCode,
    pub message: String,
}

impl XapiHttpError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        XapiHttpError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        XapiHttpError {
            status,
            message: message.into(),
        }
    }
}

impl From<lantern_xapi::XapiError> for XapiHttpError {
    fn from(e: lantern_xapi::XapiError) -> Self {
        XapiHttpError::bad_request(e.to_string())
    }
}

impl From<lantern_store::StoreError> for XapiHttpError {
    fn from(e: lantern_store::StoreError) -> Self {
        match e {
            lantern_store::StoreError::NotFound => {
                XapiHttpError::new(StatusCode::NOT_FOUND, "not found")
            }
            other => {
                tracing::error!(error = format!("{other:#}"), "LRS request failed");
                XapiHttpError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. It has been logged.",
                )
            }
        }
    }
}

impl From<lantern_store::lrs::LrsError> for XapiHttpError {
    fn from(e: lantern_store::lrs::LrsError) -> Self {
        use lantern_store::lrs::LrsError;
        match e {
            LrsError::Conflict(m) => XapiHttpError::new(StatusCode::CONFLICT, m),
            LrsError::Invalid(m) => XapiHttpError::bad_request(m),
            LrsError::PreconditionFailed(m) => {
                XapiHttpError::new(StatusCode::PRECONDITION_FAILED, m)
            }
            LrsError::Store(s) => s.into(),
        }
    }
}

impl IntoResponse for XapiHttpError {
    fn into_response(self) -> Response {
        if self.status.is_client_error() {
            tracing::debug!(status = %self.status, message = %self.message, "LRS request refused");
        }
        (
            self.status,
            axum::Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}

pub type XapiResult<T> = Result<T, XapiHttpError>;

/// The request's xAPI version, as the version middleware found it.
#[derive(Clone, Copy, Debug)]
pub struct RequestVersion(pub Version);

impl<S: Send + Sync> FromRequestParts<S> for RequestVersion {
    type Rejection = XapiHttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestVersion>()
            .copied()
            .ok_or_else(|| {
                XapiHttpError::bad_request("the X-Experience-API-Version header is required")
            })
    }
}

/// Requires `X-Experience-API-Version` (except for /xapi/about, which says which versions there are) and announces
/// the version that served each response.
async fn version(state: &AppState, mut req: Request, next: Next) -> Response {
    let about = req.uri().path().trim_end_matches('/') == "/xapi/about";
    let sent = req
        .headers()
        .get(VERSION_HEADER)
        .map(|v| v.to_str().unwrap_or("(not text)").to_owned());
    let statements = req.uri().path().starts_with("/xapi/statements");
    let refused = match sent.as_deref().map(Version::from_header) {
        Some(Ok(v)) => {
            req.extensions_mut().insert(RequestVersion(v));
            let res = next.run(req).await;
            return stamped(res, Some(v), statements);
        }
        Some(Err(e)) if !about => XapiHttpError::from(e),
        None if !about => XapiHttpError::bad_request(
            "the X-Experience-API-Version header is required: send 1.0.3 or 2.0.0",
        ),
        _ => return stamped(next.run(req).await, None, statements),
    };
    let announced = announced_version(state, req.headers()).await;
    stamped(refused.into_response(), Some(announced), statements)
}

/// The version to announce when a request names none the LRS can use: its credential's (chosen when the admin made
/// it, so that a 2.0 client is answered in 2.0), or 1.0.3 when the request does not authenticate (which tells a
/// stranger nothing about any credential).
async fn announced_version(state: &AppState, headers: &HeaderMap) -> Version {
    match auth::authenticate(headers, state).await {
        Ok(client) => client.credential.default_version,
        Err(_) => Version::V1_0_3,
    }
}

/// Every response says which version served it: the request's, or 1.0.3 when it named none (which 1.0.3 and 2.0
/// clients both understand). Every Statement resource response also says how far reads are consistent.
fn stamped(mut res: Response, v: Option<Version>, statements: bool) -> Response {
    let v = v.unwrap_or(Version::V1_0_3);
    res.headers_mut()
        .insert(VERSION_HEADER, HeaderValue::from_static(v.as_str()));
    if statements && !res.headers().contains_key(CONSISTENT_THROUGH) {
        let now = lantern_xapi::format_timestamp(chrono::Utc::now());
        if let Ok(h) = HeaderValue::from_str(&now) {
            res.headers_mut().insert(CONSISTENT_THROUGH, h);
        }
    }
    res
}

fn preflight() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// CORS for content served from other origins (a SCORM or xAPI package in another domain's player). Credentials
/// are the Authorization header, never cookies, so any origin may call.
fn cors(mut res: Response, preflight: bool) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(
            "ETag, Last-Modified, Content-Type, X-Experience-API-Version, X-Experience-API-Consistent-Through",
        ),
    );
    if preflight {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, HEAD, PUT, POST, DELETE, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(
                "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match, Accept-Language",
            ),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("86400"),
        );
    }
    res
}

/// The query string's parameters, refusing any not in `allowed` (Communication 3.2: the LRS rejects parameters it
/// does not recognise) and any given twice.
pub fn query_params(
    uri: &axum::http::Uri,
    allowed: &[&str],
) -> XapiResult<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if !allowed.contains(&k.as_ref()) {
            return Err(XapiHttpError::bad_request(format!(
                "unknown parameter {k:?}; this resource takes {}",
                allowed.join(", ")
            )));
        }
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(XapiHttpError::bad_request(format!(
                "the parameter {k:?} is given more than once"
            )));
        }
    }
    Ok(out)
}

/// A boolean parameter: "true" or "false".
pub fn bool_param(
    params: &std::collections::BTreeMap<String, String>,
    name: &str,
) -> XapiResult<bool> {
    match params.get(name).map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(XapiHttpError::bad_request(format!(
            "{name} must be true or false, got {other:?}"
        ))),
    }
}

/// A UUID parameter.
pub fn uuid_param(name: &str, value: &str) -> XapiResult<uuid::Uuid> {
    uuid::Uuid::parse_str(value)
        .ok()
        .filter(|_| value.len() == 36)
        .ok_or_else(|| XapiHttpError::bad_request(format!("{name} must be a UUID, got {value:?}")))
}

/// A timestamp parameter (since, until).
pub fn time_param(
    name: &str,
    value: &str,
    v: Version,
) -> XapiResult<chrono::DateTime<chrono::Utc>> {
    lantern_xapi::parse_timestamp(value, v).ok_or_else(|| {
        XapiHttpError::bad_request(format!(
            "{name} must be an ISO 8601 timestamp like 2026-11-30T09:00:00Z, got {value:?}"
        ))
    })
}

/// The media type of a request, lower-cased, without parameters.
pub fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// An HTTP date for Last-Modified.
pub fn http_date(t: chrono::DateTime<chrono::Utc>) -> HeaderValue {
    HeaderValue::from_str(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}
