use super::ErrorBody;
use crate::sim::view::{NewAction, NewControl, RunView};
use crate::sim::{ForModule, player, start_run};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

/// Starts one of the caller's runs of a scenario, paused at 0:00 (as the player's Start does), for a course module
/// when `attempt` and `module` name one of the learner's open simulation modules for this scenario. A team
/// scenario needs `role`: the run's `team.join_code` is what a colleague joins by, and its clock and actions wait
/// until every role is taken.
#[utoipa::path(post, path = "/api/v1/organisations/{ods}/simulations/{scenario}/runs", tag = "simulation",
    params(("ods" = String, Path, description = "ODS code"), ("scenario" = String, Path, description = "The scenario's id"),
           ForModule),
    responses(
        (status = 201, description = "The run, as it starts", body = RunView),
        (status = 400, description = "Not an open simulation module of the learner's for this scenario, or a role missing, unknown or not wanted", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller is not a learner here", body = ErrorBody),
        (status = 404, description = "No such scenario", body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, scenario)): Path<(String, String)>,
    Query(wanted): Query<ForModule>,
) -> Result<(StatusCode, Json<RunView>), AppError> {
    let (_, run) = start_run(&state, &caller, &ods, &scenario, &wanted).await?;
    let (_, _, live) = player::load_for(&state, &caller, &ods, run).await?;
    Ok((StatusCode::CREATED, Json(RunView::of(&live)?)))
}

/// The role a colleague joins a team run in.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JoinAs {
    /// One of the scenario's roles no one has taken (`doctor`). Required; read after the access check.
    #[param(required = true)]
    role: Option<String>,
}

/// Joins a colleague's team run by its join code, in a free role; joining a run one is already in returns it.
#[utoipa::path(post, path = "/api/v1/organisations/{ods}/simulations/join/{code}", tag = "simulation",
    params(("ods" = String, Path, description = "ODS code"), ("code" = String, Path, description = "The run's join code"), JoinAs),
    responses(
        (status = 200, description = "The run, as the joiner sees it", body = RunView),
        (status = 400, description = "The role is taken or unknown, or the run has ended", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller is not a learner here", body = ErrorBody),
        (status = 404, description = "No team run with that code here", body = ErrorBody)))]
pub async fn join(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, code)): Path<(String, String)>,
    Query(who): Query<JoinAs>,
) -> Result<Json<RunView>, AppError> {
    let (_, run) = crate::sim::team::join_run(
        &state,
        &caller,
        &ods,
        &code,
        who.role.as_deref().unwrap_or_default(),
    )
    .await?;
    let (_, _, live) = player::load_for(&state, &caller, &ods, run).await?;
    Ok(Json(RunView::of(&live)?))
}

/// One of the caller's runs now: its clock, the monitor, what is showing, the timeline and, once ended, the score.
#[utoipa::path(get, path = "/api/v1/organisations/{ods}/simulations/runs/{run}", tag = "simulation",
    params(("ods" = String, Path, description = "ODS code"), ("run" = i64, Path, description = "The run's id")),
    responses(
        (status = 200, description = "The run", body = RunView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller is not a learner here", body = ErrorBody),
        (status = 404, description = "No such run of the caller's", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, run)): Path<(String, i64)>,
) -> Result<Json<RunView>, AppError> {
    let (_, _, live) = player::load_for(&state, &caller, &ods, run).await?;
    Ok(Json(RunView::of(&live)?))
}

/// The caller's run, with its JSON body read only once the caller is known to be a learner there.
async fn with_body<T>(
    state: &AppState,
    caller: &crate::auth::Caller,
    ods: &str,
    run: i64,
    body: Result<Json<T>, JsonRejection>,
) -> Result<(player::Loaded, T), AppError> {
    crate::learning::learner(state, caller, ods).await?;
    let Json(body) = body.map_err(|e| AppError::BadRequest(e.body_text()))?;
    Ok((player::load_for(state, caller, ods, run).await?, body))
}

/// Takes an action at the server's simulated time now. `seq` is the run's `seq` the client last saw: an action
/// drawn on an older view (another client of the caller's acted since; in a team run, a colleague's action in
/// between is fine) is refused, as is one the scenario does not allow then (with the reason); nothing is stored for
/// a refusal. `{"do": "talk", "said": "..."}` is answered by the organisation's model; any `reply` sent is ignored.
#[utoipa::path(post, path = "/api/v1/organisations/{ods}/simulations/runs/{run}/actions", tag = "simulation",
    params(("ods" = String, Path, description = "ODS code"), ("run" = i64, Path, description = "The run's id")),
    request_body = NewAction,
    responses(
        (status = 200, description = "The run after the action", body = RunView),
        (status = 400, description = "The action is refused, with the reason", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller is not a learner here", body = ErrorBody),
        (status = 404, description = "No such run of the caller's", body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, run)): Path<(String, i64)>,
    body: Result<Json<NewAction>, JsonRejection>,
) -> Result<Json<RunView>, AppError> {
    let ((_, scope, live), body) = with_body(&state, &caller, &ods, run, body).await?;
    if let Err(reason) = live.act(&state, &scope, body.seq, body.action).await? {
        return Err(AppError::BadRequest(reason));
    }
    let (_, _, live) = player::load_for(&state, &caller, &ods, run).await?;
    Ok(Json(RunView::of(&live)?))
}

/// Pauses the clock or runs it at a speed (`pause`, `1`, `2`, `5` or `10`), as event number `seq`.
#[utoipa::path(post, path = "/api/v1/organisations/{ods}/simulations/runs/{run}/clock", tag = "simulation",
    params(("ods" = String, Path, description = "ODS code"), ("run" = i64, Path, description = "The run's id")),
    request_body = NewControl,
    responses(
        (status = 200, description = "The run with its clock set", body = RunView),
        (status = 400, description = "Not a speed, or drawn on an older view", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller is not a learner here", body = ErrorBody),
        (status = 404, description = "No such run of the caller's", body = ErrorBody)))]
pub async fn clock(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, run)): Path<(String, i64)>,
    body: Result<Json<NewControl>, JsonRejection>,
) -> Result<Json<RunView>, AppError> {
    let ((_, scope, live), body) = with_body(&state, &caller, &ods, run, body).await?;
    live.set_clock(&state, &scope, body.seq, player::control(&body.speed)?)
        .await?;
    let (_, _, live) = player::load_for(&state, &caller, &ods, run).await?;
    Ok(Json(RunView::of(&live)?))
}

/// Ends the run now (or at its time limit) and scores it; a pass records the scenario's competencies and, for a
/// course module, the module's state. Ending an ended run changes nothing.
#[utoipa::path(post, path = "/api/v1/organisations/{ods}/simulations/runs/{run}/end", tag = "simulation",
    params(("ods" = String, Path, description = "ODS code"), ("run" = i64, Path, description = "The run's id")),
    responses(
        (status = 200, description = "The ended run, with its score", body = RunView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller is not a learner here", body = ErrorBody),
        (status = 404, description = "No such run of the caller's", body = ErrorBody)))]
pub async fn end(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, run)): Path<(String, i64)>,
) -> Result<Json<RunView>, AppError> {
    let (org, scope, live) = player::load_for(&state, &caller, &ods, run).await?;
    live.end(&state, &scope, &org).await?;
    let (_, _, live) = player::load_for(&state, &caller, &ods, run).await?;
    Ok(Json(RunView::of(&live)?))
}
