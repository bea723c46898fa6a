//! The JSON API under `/api/v1`. The router is built with utoipa-axum's `routes!`, so every route is in the OpenAPI
//! document by construction. One handler per file, named by what it serves.

mod my_training;
mod organisation_compliance;
mod organisations;
mod person_compliance;
mod person_revalidation;
pub mod security;
pub(crate) mod unit_people;

use crate::AppState;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Lantern API",
        description = "Workforce learning and compliance for healthcare. Every answer can be asked `as_at` any date; \
                       `known_at` answers what Lantern would have shown at that moment.",
        license(name = "AGPL-3.0-only")
    ),
    tags((name = "compliance", description = "Who is compliant with what, and why"))
)]
struct ApiDoc;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(organisations::list))
        .routes(routes!(organisation_compliance::get))
        .routes(routes!(unit_people::get))
        .routes(routes!(person_compliance::get))
        .routes(routes!(person_revalidation::get))
        .routes(routes!(my_training::get))
}

/// Query parameters shared by the as-at endpoints.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsAtQuery {
    /// The date to answer for (YYYY-MM-DD). Default: today.
    pub as_at: Option<String>,
    /// Answer with only what Lantern knew at this instant (RFC 3339, or a date meaning the end of that day, UTC).
    pub known_at: Option<String>,
}

impl AsAtQuery {
    pub fn parse(
        &self,
    ) -> Result<(chrono::NaiveDate, Option<lantern_domain::Timestamp>), crate::AppError> {
        let as_at = crate::error::parse_date("as_at", self.as_at.as_deref())?.unwrap_or_else(today);
        let known_at = crate::error::parse_instant("known_at", self.known_at.as_deref())?;
        Ok((as_at, known_at))
    }
}

pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What was wrong, naming the parameter at fault.
    pub error: String,
}
