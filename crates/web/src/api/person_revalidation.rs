use super::ErrorBody;
use crate::AppState;
use crate::views::revalidation::{PersonRevalidationView, person_revalidation};
use axum::Json;
use axum::extract::{Path, State};
use lantern_domain::PersonId;

/// One person's revalidation: each registration's cycle, dates and reminder, every requirement its regulator asks
/// for with what is recorded, whether they are on track, and the evidence recorded (files are downloaded from the
/// revalidation page).
#[utoipa::path(get, path = "/api/v1/organisations/{ods}/people/{person_id}/revalidation", tag = "compliance",
    params(("ods" = String, Path, description = "ODS code"), ("person_id" = i64, Path, description = "Person id")),
    responses(
        (status = 200, description = "Each registration's revalidation, and the evidence", body = PersonRevalidationView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's role does not allow this", body = ErrorBody),
        (status = 404, description = "No such person in this organisation, or not visible to the caller", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, person_id)): Path<(String, i64)>,
) -> Result<Json<PersonRevalidationView>, crate::AppError> {
    Ok(Json(
        person_revalidation(&state, &caller, &ods, PersonId(person_id), None).await?,
    ))
}
