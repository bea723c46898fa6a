//! "Revalidation" under My team: a manager's registrants, in the unit chosen and below it, with their renewal and
//! application dates and readiness, soonest first, each linking to the person's revalidation page.

use crate::AppState;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::views::revalidation::{TeamRevalidationView, team_revalidation};
use crate::views::team::{ManagedUnit, Selection, select};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};

#[derive(Debug, Default, serde::Deserialize)]
pub struct RevalidationQuery {
    /// Which of the manager's units; default the first.
    unit: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "team_revalidation.html")]
pub struct TeamRevalidationPage {
    layout: Layout,
    units: Vec<ManagedUnit>,
    view: TeamRevalidationView,
}

impl TeamRevalidationPage {
    /// What the regulator calls the date: the GMC revalidates a licence, the others renew a registration.
    fn date_name(&self, body: &str) -> &'static str {
        if body == "GMC" {
            "Revalidation"
        } else {
            "Renewal"
        }
    }

    fn tag(&self, readiness: &str) -> &'static str {
        match readiness {
            "on_track" => "nhsuk-tag--green",
            "not_yet" => "nhsuk-tag--yellow",
            _ => "nhsuk-tag--grey",
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<RevalidationQuery>,
) -> PageResult<TeamRevalidationPage> {
    let Selection { units, ods, unit } =
        select(&state, &page.caller, q.unit.map(lantern_domain::UnitId)).await?;
    let org = state.store.org_by_code(&page.caller.scope(), &ods).await?;
    let view =
        team_revalidation(&state, &page.caller, &ods, unit, crate::when::today(&org)).await?;
    Ok(TeamRevalidationPage {
        layout: page.layout,
        units,
        view,
    })
}
