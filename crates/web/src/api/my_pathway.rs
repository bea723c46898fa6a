use super::ErrorBody;
use crate::views::pathway::PathwayView;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use lantern_domain::access::Action;

/// The signed-in learner's pathway in each organisation where they are a learner: their mandatory gaps (overdue
/// first, then by due date), then assigned courses, then development, prerequisites first, each with progress,
/// estimated minutes and whether they may test out. The same as the pathway on "My training".
#[utoipa::path(get, path = "/api/v1/me/pathway", tag = "learning",
    responses(
        (status = 200, description = "One pathway per organisation", body = Vec<PathwayView>),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "The account is not linked to a staff record", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
) -> Result<Json<Vec<PathwayView>>, AppError> {
    let mut out = Vec::new();
    for v in crate::views::my_training(&state, &caller).await? {
        let org = state
            .store
            .org_by_code(&caller.scope(), &v.ods_code)
            .await?;
        if caller.may(Action::Learn(org.id)) {
            out.push(crate::views::pathway::pathway(&state, &caller, &v).await?);
        }
    }
    Ok(Json(out))
}
