use super::{AsAtQuery, ErrorBody};
use crate::AppState;
use crate::views::{self, OrgComplianceView};
use axum::Json;
use axum::extract::{Path, Query, State};

/// An organisation's compliance: units (through the hierarchy) by requirement, with counts per status and the
/// percentage against the organisation's target.
#[utoipa::path(get, path = "/api/v1/organisations/{ods}/compliance", tag = "compliance",
    params(("ods" = String, Path, description = "ODS code, e.g. RJ1"), AsAtQuery),
    responses(
        (status = 200, description = "Unit x requirement compliance", body = OrgComplianceView),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's role does not allow this", body = ErrorBody),
        (status = 404, description = "No such organisation, or not visible to the caller", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path(ods): Path<String>,
    Query(q): Query<AsAtQuery>,
) -> Result<Json<OrgComplianceView>, crate::AppError> {
    Ok(Json(
        views::org_compliance(&state, &caller, &ods, q.parse()?).await?,
    ))
}
