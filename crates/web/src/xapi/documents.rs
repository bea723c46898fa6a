//! The document resources (Communication 2.3, 2.6, 2.7): State (`/xapi/activities/state`: activity, agent, optional
//! registration, stateId), Activity Profile (`/xapi/activities/profile`: activity, profileId) and Agent Profile
//! (`/xapi/agents/profile`: agent, profileId).
//!
//! - GET with an id returns the document with its ETag (the SHA-1 of its content) and Last-Modified; without one,
//!   the ids under the key (optionally only those changed `since`).
//! - PUT replaces; POST merges JSON objects' top-level properties (400 when either is not a JSON object).
//! - DELETE removes one document, or (State without stateId) every state document under the key.
//! - If-Match and If-None-Match make writes conditional (412 when they fail); replacing a profile needs one of them
//!   (409 otherwise), so two clients cannot silently overwrite each other.

use super::auth::LrsClient;
use super::{
    RequestVersion, XapiHttpError, XapiResult, http_date, media_type, query_params, time_param,
};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use lantern_store::lrs::{DocumentKey, DocumentKind, DocumentWrite, Precondition};
use lantern_xapi::Version;
use std::collections::BTreeMap;

/// What one resource's requests carry.
struct Spec {
    kind: DocumentKind,
    id_param: &'static str,
    params: &'static [&'static str],
}

const STATE: Spec = Spec {
    kind: DocumentKind::State,
    id_param: "stateId",
    params: &["activityId", "agent", "registration", "stateId", "since"],
};
const ACTIVITY_PROFILE: Spec = Spec {
    kind: DocumentKind::ActivityProfile,
    id_param: "profileId",
    params: &["activityId", "profileId", "since"],
};
const AGENT_PROFILE: Spec = Spec {
    kind: DocumentKind::AgentProfile,
    id_param: "profileId",
    params: &["agent", "profileId", "since"],
};

fn required<'a>(params: &'a BTreeMap<String, String>, name: &str) -> XapiResult<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| XapiHttpError::bad_request(format!("the {name} parameter is required")))
}

/// The document key a request names; `need_id` when the request must name one document.
fn key_of(
    spec: &Spec,
    params: &BTreeMap<String, String>,
    version: Version,
    need_id: bool,
) -> XapiResult<DocumentKey> {
    let activity = if spec.params.contains(&"activityId") {
        let a = required(params, "activityId")?;
        oxiri::Iri::parse(a)
            .map_err(|e| XapiHttpError::bad_request(format!("activityId must be an IRI: {e}")))?;
        a.to_owned()
    } else {
        String::new()
    };
    let agent = if spec.params.contains(&"agent") {
        lantern_xapi::parse_agent_param(required(params, "agent")?, version)?
            .0
            .0
    } else {
        String::new()
    };
    let registration = match params.get("registration") {
        Some(r) => super::uuid_param("registration", r)?.to_string(),
        None => String::new(),
    };
    let id = if need_id {
        required(params, spec.id_param)?.to_owned()
    } else {
        params.get(spec.id_param).cloned().unwrap_or_default()
    };
    Ok(DocumentKey {
        kind: spec.kind,
        activity,
        agent,
        registration,
        id,
    })
}

/// Entity tags in If-Match / If-None-Match: `*` or a comma-separated list of quoted tags.
fn tags(headers: &HeaderMap, name: header::HeaderName) -> Option<Vec<String>> {
    let v = headers.get(name)?.to_str().ok()?;
    Some(
        v.split(',')
            .map(|t| t.trim().trim_start_matches("W/").to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
    )
}

/// The preconditions of a write. `required`: replacing an existing document needs one (409 otherwise).
fn precondition(headers: &HeaderMap, required: bool) -> Precondition {
    let none = tags(headers, header::IF_NONE_MATCH).unwrap_or_default();
    Precondition {
        if_match: tags(headers, header::IF_MATCH),
        if_none_match_any: none.iter().any(|t| t == "*"),
        if_none_match: none.into_iter().filter(|t| t != "*").collect(),
        required,
    }
}

/// A request to one of the document resources: which resource, the server, the client, its version and the URI.
struct DocRequest<'a> {
    spec: &'a Spec,
    state: &'a AppState,
    client: &'a LrsClient,
    version: Version,
    uri: &'a Uri,
}

async fn get_doc(r: DocRequest<'_>) -> XapiResult<Response> {
    let DocRequest {
        spec,
        state,
        client,
        version,
        uri,
    } = r;
    let params = query_params(uri, spec.params)?;
    // xAPI's own rules first (a missing or malformed parameter is 400), then a cmi5 session's (403).
    let key = key_of(spec, &params, version, false)?;
    super::cmi5::check_document(client, spec.kind, &params, false, None)?;
    // cmi5 11.0.0.0-3: the AU has read the learner preferences (found or not), so it may send "initialized".
    if let Some(session) = &client.cmi5
        && spec.kind == DocumentKind::AgentProfile
        && key.id == lantern_learning::cmi5::documents::LEARNER_PREFERENCES_PROFILE_ID
        && !session.preferences_read
    {
        state
            .store
            .record_cmi5_preferences_read(session.id, chrono::Utc::now())
            .await?;
    }
    if key.id.is_empty() {
        let since = params
            .get("since")
            .map(|s| time_param("since", s, version))
            .transpose()?;
        let ids = state.store.document_ids(client.org(), &key, since).await?;
        return Ok(axum::Json(ids).into_response());
    }
    if params.contains_key("since") {
        return Err(XapiHttpError::bad_request(format!(
            "since lists ids; it cannot be combined with {}",
            spec.id_param
        )));
    }
    let Some(doc) = state.store.document(client.org(), &key).await? else {
        return Err(XapiHttpError::new(
            StatusCode::NOT_FOUND,
            format!("no document with {} {:?}", spec.id_param, key.id),
        ));
    };
    let mut res = doc.content.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&doc.content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(etag) = HeaderValue::from_str(&doc.etag) {
        h.insert(header::ETAG, etag);
    }
    h.insert(header::LAST_MODIFIED, http_date(doc.updated));
    Ok(res)
}

async fn write_doc(
    r: DocRequest<'_>,
    headers: &HeaderMap,
    body: Bytes,
    how: DocumentWrite,
) -> XapiResult<Response> {
    let DocRequest {
        spec,
        state,
        client,
        version,
        uri,
    } = r;
    client.require_write()?;
    let mut allowed: Vec<&str> = spec.params.to_vec();
    allowed.retain(|p| *p != "since");
    let params = query_params(uri, &allowed)?;
    let key = key_of(spec, &params, version, true)?;
    super::cmi5::check_document(client, spec.kind, &params, true, Some(&body))?;
    // cmi5 11: the learner preferences an AU stores are a JSON document.
    if client.cmi5.is_some()
        && spec.kind == DocumentKind::AgentProfile
        && media_type(headers) != "application/json"
    {
        return Err(XapiHttpError::new(
            StatusCode::FORBIDDEN,
            "cmi5 11: the learner preferences document must be sent as application/json",
        ));
    }
    let content_type = match media_type(headers) {
        t if t.is_empty() => "application/octet-stream".to_owned(),
        _ => headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned(),
    };
    // Replacing a document unconditionally could lose another client's change: a PUT needs If-Match or
    // If-None-Match. 1.0.3 asks it of the profiles only (Communication 3.1); 2.0 of State too.
    let pre = precondition(headers, how == DocumentWrite::Replace);
    let profile = spec.kind != DocumentKind::State;
    let conditioned =
        pre.if_match.is_some() || pre.if_none_match_any || !pre.if_none_match.is_empty();
    let required = how == DocumentWrite::Replace && (profile || version == Version::V2_0_0);
    if how == DocumentWrite::Replace
        && profile
        && !conditioned
        && state.store.document(client.org(), &key).await?.is_none()
    {
        // A profile is created with If-None-Match: * so two clients cannot both create it (the conformance
        // suite asks for 400 here, as for any other malformed profile PUT).
        return Err(XapiHttpError::bad_request(
            "a profile PUT needs If-Match with the current ETag, or If-None-Match: * to create it",
        ));
    }
    let doc = state
        .store
        .write_document(
            client.org(),
            &key,
            &content_type,
            &body,
            how,
            &Precondition { required, ..pre },
        )
        .await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(etag) = HeaderValue::from_str(&doc.etag) {
        res.headers_mut().insert(header::ETAG, etag);
    }
    Ok(res)
}

async fn delete_doc(r: DocRequest<'_>, headers: &HeaderMap) -> XapiResult<Response> {
    let DocRequest {
        spec,
        state,
        client,
        version,
        uri,
    } = r;
    client.require_write()?;
    let mut allowed: Vec<&str> = spec.params.to_vec();
    allowed.retain(|p| *p != "since");
    let params = query_params(uri, &allowed)?;
    // Only State deletes several at once; a profile is deleted by its id.
    let key = key_of(spec, &params, version, spec.kind != DocumentKind::State)?;
    super::cmi5::check_document(client, spec.kind, &params, true, None)?;
    state
        .store
        .delete_documents(client.org(), &key, &precondition(headers, false))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Four handlers (GET, PUT, POST, DELETE) for one document resource, each in the OpenAPI document.
macro_rules! document_resource {
    ($spec:expr, $path:literal, $what:literal, $get:ident, $put:ident, $post:ident, $delete:ident) => {
        #[doc = concat!("A ", $what, " document, or the ids of those under the key.")]
        #[utoipa::path(get, path = $path, tag = "xapi",
            params(("X-Experience-API-Version" = String, Header, description = "1.0.3 or 2.0.0")),
            responses(
                (status = 200, description = "The document (with ETag and Last-Modified), or a JSON array of ids"),
                (status = 400, description = "A parameter is missing or invalid", body = crate::api::ErrorBody),
                (status = 401, description = "No or wrong credentials"),
                (status = 404, description = "No such document"),
            ))]
        pub async fn $get(
            State(state): State<AppState>,
            client: LrsClient,
            RequestVersion(v): RequestVersion,
            uri: Uri,
        ) -> XapiResult<Response> {
            get_doc(DocRequest { spec: &$spec, state: &state, client: &client, version: v, uri: &uri }).await
        }

        #[doc = concat!("Stores (replaces) a ", $what, " document.")]
        #[utoipa::path(put, path = $path, tag = "xapi",
            params(("X-Experience-API-Version" = String, Header, description = "1.0.3 or 2.0.0")),
            request_body(content = Vec<u8>, description = "The document, any content type", content_type = "application/octet-stream"),
            responses(
                (status = 204, description = "Stored"),
                (status = 400, description = "A parameter is missing or invalid", body = crate::api::ErrorBody),
                (status = 409, description = "The document exists and neither If-Match nor If-None-Match was sent"),
                (status = 412, description = "If-Match or If-None-Match failed"),
            ))]
        pub async fn $put(
            State(state): State<AppState>,
            client: LrsClient,
            RequestVersion(v): RequestVersion,
            uri: Uri,
            headers: HeaderMap,
            body: Bytes,
        ) -> XapiResult<Response> {
            let r = DocRequest { spec: &$spec, state: &state, client: &client, version: v, uri: &uri };
            write_doc(r, &headers, body, DocumentWrite::Replace).await
        }

        #[doc = concat!("Merges a JSON object into a ", $what, " document.")]
        #[utoipa::path(post, path = $path, tag = "xapi",
            params(("X-Experience-API-Version" = String, Header, description = "1.0.3 or 2.0.0")),
            request_body(content = serde_json::Value, description = "A JSON object", content_type = "application/json"),
            responses(
                (status = 204, description = "Merged"),
                (status = 400, description = "Not a JSON object, or a parameter is invalid", body = crate::api::ErrorBody),
                (status = 412, description = "If-Match or If-None-Match failed"),
            ))]
        pub async fn $post(
            State(state): State<AppState>,
            client: LrsClient,
            RequestVersion(v): RequestVersion,
            uri: Uri,
            headers: HeaderMap,
            body: Bytes,
        ) -> XapiResult<Response> {
            let r = DocRequest { spec: &$spec, state: &state, client: &client, version: v, uri: &uri };
            write_doc(r, &headers, body, DocumentWrite::Merge).await
        }

        #[doc = concat!("Deletes a ", $what, " document.")]
        #[utoipa::path(delete, path = $path, tag = "xapi",
            params(("X-Experience-API-Version" = String, Header, description = "1.0.3 or 2.0.0")),
            responses(
                (status = 204, description = "Deleted (or there was nothing to delete)"),
                (status = 400, description = "A parameter is missing or invalid", body = crate::api::ErrorBody),
                (status = 412, description = "If-Match or If-None-Match failed"),
            ))]
        pub async fn $delete(
            State(state): State<AppState>,
            client: LrsClient,
            RequestVersion(v): RequestVersion,
            uri: Uri,
            headers: HeaderMap,
        ) -> XapiResult<Response> {
            let r = DocRequest { spec: &$spec, state: &state, client: &client, version: v, uri: &uri };
            delete_doc(r, &headers).await
        }
    };
}

document_resource!(
    STATE,
    "/xapi/activities/state",
    "State",
    state_get,
    state_put,
    state_post,
    state_delete
);
document_resource!(
    ACTIVITY_PROFILE,
    "/xapi/activities/profile",
    "Activity Profile",
    activity_profile_get,
    activity_profile_put,
    activity_profile_post,
    activity_profile_delete
);
document_resource!(
    AGENT_PROFILE,
    "/xapi/agents/profile",
    "Agent Profile",
    agent_profile_get,
    agent_profile_put,
    agent_profile_post,
    agent_profile_delete
);
