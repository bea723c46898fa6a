use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantern_sim::news2::{Input, Score, score};
use serde::Serialize;
use utoipa::ToSchema;

/// Why observations cannot be scored.
#[derive(Debug, Serialize, ToSchema)]
pub struct News2Refusal {
    /// What was wrong, naming the field.
    pub error: String,
    /// The field at fault, when the body names one (none for a body that is not JSON at all).
    pub field: Option<String>,
}

/// Scores one set of observations with NEWS2 (Royal College of Physicians, 2017): each parameter's sub-score, the
/// aggregate, the risk (`low` 0-4, `low_medium` a single parameter scoring 3 with an aggregate under 5, `medium`
/// 5-6, `high` 7 or more), the clinical response and the minimum monitoring. Refused with the field and reason for
/// an impossible value, and where NEWS2 does not apply (`age` under 16, `pregnant` true). Any signed-in user may
/// call it: it reads and stores nothing.
#[utoipa::path(post, path = "/api/v1/news2", tag = "simulation",
    request_body = Input,
    responses(
        (status = 200, description = "The score", body = Score),
        (status = 400, description = "An impossible value, NEWS2 not applicable, or a body that is not observations", body = News2Refusal),
        (status = 401, description = "Not signed in", body = super::ErrorBody)))]
pub async fn post(
    _caller: crate::auth::Caller,
    body: Result<Json<Input>, JsonRejection>,
) -> Result<Json<Score>, Response> {
    let Json(input) = body.map_err(|e| {
        let text = e.body_text();
        refusal(
            named_field(&text),
            format!("the body must be NEWS2 observations: {text}"),
        )
    })?;
    let observations = input
        .check()
        .map_err(|r| refusal(Some(r.field.to_owned()), r.to_string()))?;
    Ok(Json(score(&observations)))
}

fn refusal(field: Option<String>, error: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(News2Refusal { error, field })).into_response()
}

/// The field a JSON error names, if any: "missing field `pulse`", "unknown field `bp`", or the path axum puts
/// before a wrong value ("...: consciousness: unknown variant `X`...").
fn named_field(text: &str) -> Option<String> {
    let quoted = |after: &str| {
        text.split_once(after)
            .and_then(|(_, rest)| rest.strip_prefix('`'))
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| name.to_owned())
    };
    quoted("missing field ")
        .or_else(|| quoted("unknown field "))
        .or_else(|| {
            text.split(": ")
                .find(|part| {
                    !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
                })
                .map(str::to_owned)
        })
}
