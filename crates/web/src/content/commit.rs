//! A SCO's commit, on the content origin: authorised by the launch token in the URL and nothing else, so it can
//! write only its own attempt's module. The body is `{"item": ID, "cmi": {...}}` (flattened or nested CMI
//! elements), sent by the player as JSON, or as text by sendBeacon; it is checked (`runtime::check_commit`), stored
//! before the answer, and its rolled-up outcome applied to the module.

use super::player::{gone, internal, labels, launch};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantern_learning::course::ModuleState;
use lantern_learning::scorm::runtime::MAX_COMMIT_BYTES;
use lantern_store::StoreError;
use lantern_store::learning::At;
use std::collections::BTreeMap;

/// The largest commit body read: the CMI data's own cap with room for JSON's quoting.
pub const MAX_BODY: usize = 2 * MAX_COMMIT_BYTES;

/// Only these two fields: a body that names anything else (another attempt, say) is refused.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    item: String,
    #[serde(default)]
    cmi: serde_json::Value,
}

/// Flattens nested CMI JSON to dotted names with string values (numbers and booleans as their text; nulls dropped).
fn flatten(value: &serde_json::Value, prefix: &str, out: &mut BTreeMap<String, String>) {
    use serde_json::Value;
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match value {
        Value::Object(m) => m.iter().for_each(|(k, v)| flatten(v, &key(k), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| flatten(v, &key(&i.to_string()), out)),
        Value::Null => {}
        Value::String(s) if !prefix.is_empty() => {
            out.insert(prefix.to_owned(), s.clone());
        }
        Value::Bool(b) if !prefix.is_empty() => {
            out.insert(prefix.to_owned(), b.to_string());
        }
        Value::Number(n) if !prefix.is_empty() => {
            out.insert(prefix.to_owned(), n.to_string());
        }
        _ => {}
    }
}

fn refused(status: StatusCode, message: String) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "result": false, "errorCode": 101, "message": message })),
    )
        .into_response()
}

pub async fn commit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let Some(launch) = launch(&state, &token).await else {
        return gone();
    };
    let parsed: Body = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return refused(
                StatusCode::BAD_REQUEST,
                format!("The commit is not the player's JSON ({e})."),
            );
        }
    };
    let mut cmi = BTreeMap::new();
    flatten(&parsed.cmi, "", &mut cmi);
    let now = chrono::Utc::now();
    let today = match state
        .store
        .org_by_code(&lantern_store::Scope::Platform, &launch.org_code)
        .await
    {
        Ok(org) => org.today(now),
        Err(e) => return internal(e),
    };
    match state
        .store
        .commit_sco(&launch, &parsed.item, &cmi, At { now, today })
        .await
    {
        Ok(outcome) => {
            let message = match (outcome.course_complete, outcome.state) {
                (true, _) => "Saved. You have completed the course.",
                (false, ModuleState::Completed) => {
                    "Saved. This module is complete: go back to the course to carry on."
                }
                (false, ModuleState::Failed) => "Saved. This module is not passed yet.",
                _ => "Saved.",
            };
            axum::Json(serde_json::json!({
                "result": true,
                "errorCode": 0,
                "items": labels(&launch, &outcome.items),
                "state": match outcome.state {
                    ModuleState::NotStarted => "not_started",
                    ModuleState::InProgress => "in_progress",
                    ModuleState::Completed => "completed",
                    ModuleState::Failed => "failed",
                },
                "complete": outcome.course_complete,
                "message": message,
            }))
            .into_response()
        }
        Err(StoreError::Rejected(problems)) => refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(StoreError::NotFound) => gone(),
        Err(e) => internal(e),
    }
}

#[cfg(test)]
mod tests {
    use super::flatten;
    use std::collections::BTreeMap;

    #[test]
    fn nested_and_flat_cmi_flatten_alike() {
        let nested = serde_json::json!({"cmi": {"core": {"lesson_status": "completed", "score": {"raw": 85}},
            "interactions": [{"id": "q1"}], "suspend_data": null}});
        let flat = serde_json::json!({"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "85",
            "cmi.interactions.0.id": "q1"});
        let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
        flatten(&nested, "", &mut a);
        flatten(&flat, "", &mut b);
        assert_eq!(a, b);
        assert_eq!(a["cmi.core.score.raw"], "85");
    }
}
