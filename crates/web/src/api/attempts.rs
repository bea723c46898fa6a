use super::ErrorBody;
use crate::learning::learner;
use crate::views::courses::AttemptView;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{Path, Query, State};

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartQuery {
    /// `true` to test out: take the assessment first. Refused (400) unless the learner's requirement is expiring
    /// or expired and the organisation has turned test-out on for it.
    #[serde(default)]
    pub test_out: bool,
}

/// Starts an attempt at a course on its latest version, or resumes the one under way (on its own version).
#[utoipa::path(post, path = "/api/v1/organisations/{ods}/courses/{code}/attempts", tag = "learning",
    params(("ods" = String, Path, description = "ODS code"), ("code" = String, Path, description = "The course's code"), StartQuery),
    responses(
        (status = 200, description = "The attempt", body = AttemptView),
        (status = 400, description = "Not allowed now (a test-out not offered), with the reason", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller is not a learner here", body = ErrorBody),
        (status = 404, description = "No such organisation or course", body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, code)): Path<(String, String)>,
    Query(q): Query<StartQuery>,
) -> Result<Json<AttemptView>, AppError> {
    let (org, person, scope) = learner(&state, &caller, &ods).await?;
    let attempt = if q.test_out {
        crate::learning::start_test_out(&state, &org, person, &scope, &code).await?
    } else {
        state
            .store
            .start_attempt(&scope, org.id, person, &code, crate::when::now())
            .await?
    };
    Ok(Json(AttemptView::new(org.ods_code.as_ref(), &attempt)))
}

/// One of the learner's own attempts, with its modules and where it stands.
#[utoipa::path(get, path = "/api/v1/organisations/{ods}/attempts/{attempt}", tag = "learning",
    params(("ods" = String, Path, description = "ODS code"), ("attempt" = i64, Path, description = "The attempt's id")),
    responses(
        (status = 200, description = "The attempt", body = AttemptView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller is not a learner here", body = ErrorBody),
        (status = 404, description = "No such attempt of the caller's", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, attempt)): Path<(String, i64)>,
) -> Result<Json<AttemptView>, AppError> {
    let (org, _, scope) = learner(&state, &caller, &ods).await?;
    let attempt = state.store.attempt(&scope, org.id, attempt).await?;
    Ok(Json(AttemptView::new(org.ods_code.as_ref(), &attempt)))
}
