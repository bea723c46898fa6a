use super::ErrorBody;
use crate::AppState;
use crate::views::courses::{CourseListing, my_courses};
use axum::Json;
use axum::extract::State;

/// The courses the signed-in learner may take, in each organisation where they are a learner: each course's latest
/// version, what it records, their attempt under way and whether they may test out of it now.
#[utoipa::path(get, path = "/api/v1/me/courses", tag = "learning",
    responses(
        (status = 200, description = "Courses, by organisation then title", body = Vec<CourseListing>),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
) -> Result<Json<Vec<CourseListing>>, crate::AppError> {
    Ok(Json(my_courses(&state, &caller).await?))
}
