use super::{AsAtQuery, ErrorBody};
use crate::AppState;
use crate::views::{self, PersonComplianceView};
use axum::Json;
use axum::extract::{Path, Query, State};
use lantern_domain::PersonId;

/// One person's explained compliance in an organisation: every applicable requirement with its status, the rule and
/// version, the record used, the dates computed and why other records did not count.
#[utoipa::path(get, path = "/api/v1/organisations/{ods}/people/{person_id}/compliance", tag = "compliance",
    params(("ods" = String, Path, description = "ODS code"), ("person_id" = i64, Path, description = "Person id"), AsAtQuery),
    responses(
        (status = 200, description = "Explained statuses, worst first", body = PersonComplianceView),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's role does not allow this", body = ErrorBody),
        (status = 404, description = "No such person in this organisation, or not visible to the caller", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, person_id)): Path<(String, i64)>,
    Query(q): Query<AsAtQuery>,
) -> Result<Json<PersonComplianceView>, crate::AppError> {
    Ok(Json(
        views::person_compliance(&state, &caller, &ods, PersonId(person_id), q.parse()?).await?,
    ))
}
