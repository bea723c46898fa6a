use super::ErrorBody;
use crate::AppState;
use crate::views::{self, PersonComplianceView};
use axum::Json;
use axum::extract::State;

/// The signed-in learner's own training: in each organisation where they are a learner and hold a post, every
/// requirement explained, their records and their CPD against their revalidation cycle. The same as "My training".
#[utoipa::path(get, path = "/api/v1/me/training", tag = "compliance",
    responses(
        (status = 200, description = "One entry per organisation", body = Vec<PersonComplianceView>),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "The account is not linked to a staff record", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
) -> Result<Json<Vec<PersonComplianceView>>, crate::AppError> {
    Ok(Json(views::my_training(&state, &caller).await?))
}
