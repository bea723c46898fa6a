//! Simulation results across learners, for managers and leaders (`/orgs/{ods}/simulations/results`, and its JSON
//! twin `GET /api/v1/organisations/{ods}/simulations/results`): per scenario, and per staff group, how many people
//! passed first time and at all, time to escalation, automation bias and algorithm aversion. The figures and the
//! suppression of small groups are `lantern_sim::analytics`'s; this reads the runs the caller may see (a manager's
//! units, an organisation's whole for its admins, leaders and auditors) and each person's current staff group.

use crate::auth::Caller;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use lantern_domain::PersonId;
use lantern_domain::access::Action;
use lantern_sim::analytics::{self, Digest, Group, Played, Rate};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// A scenario's results: everyone first, then each staff group.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioResults {
    /// The scenario's id (`sepsis-post-op`).
    pub id: String,
    pub title: String,
    pub groups: Vec<Group>,
}

/// Results across the learners the caller oversees.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimulationResults {
    pub ods_code: String,
    pub organisation: String,
    /// Groups smaller than this show their size and nothing else.
    pub min_group: usize,
    /// Scenarios someone in the caller's view has finished, in the catalogue's order.
    pub scenarios: Vec<ScenarioResults>,
}

pub async fn results(
    state: &AppState,
    caller: &Caller,
    ods: &str,
) -> Result<SimulationResults, AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::ViewCompliance(org.id))?;
    let runs = state.store.ended_sim_runs(&scope, org.id).await?;
    let people: Vec<PersonId> = runs
        .iter()
        .map(|r| r.person)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Each person's staff group: their current post's, or their last post's for a leaver.
    let cohorts: BTreeMap<PersonId, &'static str> = state
        .store
        .people_posts(&scope, org.id, &people)
        .await?
        .into_iter()
        .filter_map(|(name, posts)| {
            posts
                .iter()
                .max_by_key(|p| (p.end.is_none(), p.start))
                .map(|p| (name.id, p.staff_group.label()))
        })
        .collect();
    let played = runs
        .iter()
        .map(|r| {
            let digest = Digest::from_json(&r.score).map_err(|e| {
                AppError::Internal(anyhow::anyhow!("simulation run {}'s score: {e}", r.id))
            })?;
            Ok(Played {
                person: r.person.0,
                scenario: r.scenario_id.clone(),
                cohort: cohorts
                    .get(&r.person)
                    .copied()
                    .unwrap_or("No post")
                    .to_owned(),
                digest,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let mut groups: BTreeMap<String, Vec<Group>> = BTreeMap::new();
    for g in analytics::summarise(&played) {
        groups.entry(g.scenario.clone()).or_default().push(g);
    }
    let scenarios = super::all_scenarios()?
        .into_iter()
        .filter_map(|s| {
            groups.remove(&s.id).map(|groups| ScenarioResults {
                id: s.id,
                title: s.title,
                groups,
            })
        })
        .collect();
    Ok(SimulationResults {
        ods_code: org.ods_code.to_string(),
        organisation: org.name.clone(),
        min_group: analytics::MIN_GROUP,
        scenarios,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "sim_results.html")]
pub struct ResultsPage {
    layout: Layout,
    results: SimulationResults,
}

impl ResultsPage {
    /// "8 of 12 (67%)", or "-" with nothing to count.
    fn rate(&self, r: &Rate) -> String {
        match r.percent() {
            Some(p) => format!("{p}% ({} of {})", r.count, r.of),
            None => "-".to_owned(),
        }
    }

    /// The bar's width for a rate, 0 to 100.
    fn width(&self, r: &Rate) -> u8 {
        r.percent().unwrap_or(0)
    }

    fn minutes(&self, m: &Option<f64>) -> String {
        m.map_or("-".to_owned(), |m| format!("{m:.1} min"))
    }
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
) -> PageResult<ResultsPage> {
    let results = results(&state, &page.caller, &ods).await?;
    Ok(ResultsPage {
        layout: page.layout,
        results,
    })
}
