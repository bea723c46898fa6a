use super::ErrorBody;
use crate::views::team::{TeamRequest, TeamView, my_team};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{RawQuery, State};

/// The parameters, for the OpenAPI document: `TeamRequest::parse` reads them (with the page's, so both agree).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct TeamQuery {
    /// Which of the caller's units (a unit id): a unit they manage or, for an organisation's admins and auditors,
    /// any unit of it; default the first.
    pub unit: Option<String>,
    /// Only people with this status (for `requirement` when given, else for any requirement): a status code, or
    /// `overdue` (expired or missing).
    pub status: Option<String>,
    /// Only this staff group, as the view's `groups` name it.
    pub group: Option<String>,
    /// Only this requirement, as `subject:level` (e.g. `cstf.fire_safety:1`), and only its column.
    pub requirement: Option<String>,
    /// `overdue` (most overdue first, the default) or `name`.
    pub sort: Option<String>,
}

/// The team view: one unit's people (with everyone below it) by requirement as of today in the
/// organisation's time zone, filtered and sorted as asked, with what is overdue and whom "Remind everyone" would
/// remind about what. The same view as the My team page.
#[utoipa::path(get, path = "/api/v1/team", tag = "compliance",
    params(TeamQuery),
    responses(
        (status = 200, description = "The team as filtered", body = TeamView),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller manages no unit and oversees no organisation", body = ErrorBody),
        (status = 404, description = "A unit out of the caller's reach", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<TeamView>, AppError> {
    let req = TeamRequest::parse(raw.unwrap_or_default().as_bytes())?;
    Ok(Json(my_team(&state, &caller, &req.filter).await?))
}
