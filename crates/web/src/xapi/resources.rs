//! The Activities resource (the LRS's canonical Activity object), the Agents resource (the Person object for an
//! agent) and the About resource (which versions this LRS speaks).

use super::auth::LrsClient;
use super::{RequestVersion, XapiHttpError, XapiResult, query_params};
use crate::AppState;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};

/// The canonical definition of an activity, as merged from every statement that described it.
#[utoipa::path(get, path = "/xapi/activities", tag = "xapi",
    params(
        ("X-Experience-API-Version" = String, Header, description = "1.0.3 or 2.0.0"),
        ("activityId" = String, Query, description = "The activity's IRI."),
    ),
    responses(
        (status = 200, description = "The Activity object", body = serde_json::Value),
        (status = 400, description = "activityId is missing or not an IRI", body = crate::api::ErrorBody),
    ))]
pub async fn activities(
    State(state): State<AppState>,
    client: LrsClient,
    _v: RequestVersion,
    uri: Uri,
) -> XapiResult<Response> {
    super::cmi5::refuse_session_reads(&client)?;
    let params = query_params(&uri, &["activityId"])?;
    let id = params
        .get("activityId")
        .ok_or_else(|| XapiHttpError::bad_request("the activityId parameter is required"))?;
    oxiri::Iri::parse(id.as_str())
        .map_err(|e| XapiHttpError::bad_request(format!("activityId must be an IRI: {e}")))?;
    // An activity no statement has described is still an Activity: its id, nothing more (Communication 2.5).
    let json = match state.store.activity(client.org(), id).await? {
        Some(json) => json,
        None => lantern_xapi::activity_object(id, None).to_string(),
    };
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        json,
    )
        .into_response())
}

/// Everything this LRS knows of an agent, as a Person object.
#[utoipa::path(get, path = "/xapi/agents", tag = "xapi",
    params(
        ("X-Experience-API-Version" = String, Header, description = "1.0.3 or 2.0.0"),
        ("agent" = String, Query, description = "An Agent as JSON."),
    ),
    responses(
        (status = 200, description = "The Person object", body = serde_json::Value),
        (status = 400, description = "agent is missing or not a valid Agent", body = crate::api::ErrorBody),
    ))]
pub async fn agents(
    State(state): State<AppState>,
    client: LrsClient,
    RequestVersion(version): RequestVersion,
    uri: Uri,
) -> XapiResult<Response> {
    super::cmi5::refuse_session_reads(&client)?;
    let params = query_params(&uri, &["agent"])?;
    let agent = params
        .get("agent")
        .ok_or_else(|| XapiHttpError::bad_request("the agent parameter is required"))?;
    let (key, given) = lantern_xapi::parse_agent_param(agent, version)?;
    let mut known: Vec<serde_json::Value> = state
        .store
        .agent_objects(client.org(), &key.0)
        .await?
        .iter()
        .filter_map(|j| serde_json::from_str(j).ok())
        .collect();
    // An agent never seen is still a Person: the one the request describes (Communication 2.4).
    known.push(given);
    Ok(axum::Json(lantern_xapi::person_object(&known)).into_response())
}

/// The versions this LRS speaks; it needs neither credentials nor the version header.
///
/// A 2.0 client is told both versions. Others are told 1.0.3: 1.0.3 clients (and the 1.0.3 conformance suite)
/// expect only 1.0.x versions in the list, and a 1.0.3 client can use nothing of 2.0 anyway.
#[utoipa::path(get, path = "/xapi/about", tag = "xapi",
    responses((status = 200, description = "{\"version\": [...], \"extensions\": {}}", body = serde_json::Value)))]
pub async fn about(headers: axum::http::HeaderMap) -> Response {
    let two = headers
        .get(super::VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            matches!(
                lantern_xapi::Version::from_header(v),
                Ok(lantern_xapi::Version::V2_0_0)
            )
        });
    let versions: &[&str] = if two { &["1.0.3", "2.0.0"] } else { &["1.0.3"] };
    axum::Json(serde_json::json!({
        "version": versions,
        "extensions": {
            "https://lantern.invalid/xapi/extensions/lrs": {
                "name": "Lantern",
                "version": env!("CARGO_PKG_VERSION"),
            }
        }
    }))
    .into_response()
}
