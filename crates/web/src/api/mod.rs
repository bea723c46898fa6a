//! The JSON API under `/api/v1`. The router is built with utoipa-axum's `routes!`, so every route is in the OpenAPI
//! document by construction. One handler per file, named by what it serves.

mod attempts;
mod authoring;
mod my_courses;
mod my_pathway;
mod my_training;
mod news2;
pub(crate) mod organisation_compliance;
mod organisation_rules;
mod organisation_trends;
mod organisations;
mod papers;
mod person_compliance;
mod person_revalidation;
mod regulatory_changes;
pub mod security;
mod simulation_results;
mod simulation_runs;
mod team;
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
    tags(
        (name = "compliance", description = "Who is compliant with what, and why"),
        (name = "rules", description = "Requirement rules and their versions"),
        (name = "authoring", description = "Publishing courses and question banks"),
        (name = "learning", description = "A learner's courses, attempts, papers and pathway"),
        (name = "simulation", description = "Clinical scores the simulations use, for other tools to call too, and results across learners")
    )
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
        .routes(routes!(organisation_trends::get))
        .routes(routes!(organisation_rules::list))
        .routes(routes!(organisation_rules::add_version))
        .routes(routes!(organisation_rules::preview_version))
        .routes(routes!(team::get))
        .routes(routes!(regulatory_changes::preview))
        .routes(routes!(regulatory_changes::apply))
        .routes(routes!(regulatory_changes::list))
        .routes(routes!(authoring::publish_course))
        .routes(routes!(authoring::publish_bank))
        .routes(routes!(my_courses::list))
        .routes(routes!(my_pathway::get))
        .routes(routes!(attempts::start))
        .routes(routes!(attempts::get))
        .routes(routes!(papers::paper))
        .routes(routes!(papers::submit))
        .routes(routes!(news2::post))
        .routes(routes!(simulation_results::get))
        .routes(routes!(simulation_runs::start))
        .routes(routes!(simulation_runs::join))
        .routes(routes!(simulation_runs::get))
        .routes(routes!(simulation_runs::act))
        .routes(routes!(simulation_runs::clock))
        .routes(routes!(simulation_runs::end))
}

/// Query parameters shared by the as-at endpoints.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsAtQuery {
    /// The date to answer for (YYYY-MM-DD). Default: today in the organisation's time zone.
    pub as_at: Option<String>,
    /// Answer with only what Lantern knew at this instant (RFC 3339, or a date meaning the end of that day in the
    /// organisation's time zone).
    pub known_at: Option<String>,
}

impl AsAtQuery {
    pub fn parse(&self) -> Result<crate::when::AsAt, crate::AppError> {
        crate::when::AsAt::parse(self.as_at.as_deref(), self.known_at.as_deref())
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What was wrong, naming the parameter at fault.
    pub error: String,
}
