use super::ErrorBody;
use crate::sim::results::{SimulationResults, results};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{Path, State};

/// Simulation results across the learners the caller oversees (a manager's units, the whole organisation for its
/// admins, leaders and auditors): per scenario, everyone and each staff group, with people who passed first time and
/// at all, escalation and its median time, automation bias, algorithm aversion and evidence checked, from each
/// person's first run. A group under `min_group` people has its size and no figures (nor has the next smallest,
/// where subtraction would reveal it).
#[utoipa::path(get, path = "/api/v1/organisations/{ods}/simulations/results", tag = "simulation",
    params(("ods" = String, Path, description = "ODS code")),
    responses(
        (status = 200, description = "The results", body = SimulationResults),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller oversees no one here", body = ErrorBody),
        (status = 404, description = "No such organisation in the caller's view", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path(ods): Path<String>,
) -> Result<Json<SimulationResults>, AppError> {
    Ok(Json(results(&state, &caller, &ods).await?))
}
