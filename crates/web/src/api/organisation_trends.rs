use super::ErrorBody;
use crate::views::trends::{TrendsView, trends};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{Path, State};

/// An organisation's trends, as of today in its time zone: each requirement's percentage at every month end over two
/// years, what falls overdue each week for the next 13 weeks if nobody renews, and the units furthest below target.
/// The same view as the trends page; organisation admins and auditors.
#[utoipa::path(get, path = "/api/v1/organisations/{ods}/trends", tag = "compliance",
    params(("ods" = String, Path, description = "ODS code, e.g. RJ1")),
    responses(
        (status = 200, description = "Series, forecast and units below target", body = TrendsView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's role does not allow this", body = ErrorBody),
        (status = 404, description = "No such organisation, or not visible to the caller", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path(ods): Path<String>,
) -> Result<Json<TrendsView>, AppError> {
    Ok(Json(trends(&state, &caller, &ods).await?))
}
