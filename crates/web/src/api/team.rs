use super::ErrorBody;
use crate::views::team::{TeamFilter, TeamView, my_team};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{Query, State};

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TeamQuery {
    /// Which of the caller's managed units (a unit id); default the first.
    pub unit: Option<String>,
    /// Only people with this status (for `requirement` when given, else for any requirement).
    pub status: Option<String>,
    /// Only this staff group, as the view's `groups` name it.
    pub group: Option<String>,
    /// Only this requirement, as `subject:level` (e.g. `cstf.fire_safety:1`), and only its column.
    pub requirement: Option<String>,
    /// `overdue` (most overdue first, the default) or `name`.
    pub sort: Option<String>,
}

/// "My team" for a manager: one of their units' people (with everyone below it) by requirement as of today in the
/// organisation's time zone, filtered and sorted as asked, with what is overdue and whom "Remind everyone" would
/// remind about what. The same view as the My team page.
#[utoipa::path(get, path = "/api/v1/team", tag = "compliance",
    params(TeamQuery),
    responses(
        (status = 200, description = "The team as filtered", body = TeamView),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller manages no unit", body = ErrorBody),
        (status = 404, description = "A unit the caller does not manage", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Query(q): Query<TeamQuery>,
) -> Result<Json<TeamView>, AppError> {
    let filter = TeamFilter::parse(
        q.unit.as_deref(),
        q.status.as_deref(),
        q.group.as_deref(),
        q.requirement.as_deref(),
        q.sort.as_deref(),
    )?;
    Ok(Json(my_team(&state, &caller, &filter).await?))
}
