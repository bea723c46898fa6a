//! Simulations in the browser: the catalogue of scenarios (`/orgs/{ods}/simulations`), a scenario's brief with
//! "Start", the player (a monitor and observation chart that advance in simulated time, the actions, an AI tool
//! panel, questions) and, once a run ends, its debrief with the score, the timeline against what was expected and
//! a chart of the vital signs with NEWS2.
//!
//! A run is stored as its events and replayed by the engine on every request (`live.rs`), so a reload resumes
//! exactly where the learner was. The server keeps the clock: each action's simulated time is the clock's when it
//! arrives, never a time the browser sends. Every route is the learner's own (`Action::Learn`, with a scope that
//! reaches only their person), like courses. A pass records the scenario's competencies as training records, and
//! every step is an xAPI statement in the organisation's LRS under the run's registration (`xapi.rs`).

mod chart;
mod live;
mod player;
mod xapi;

use crate::learning::learner;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::routes::Routes;
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_sim::scenario::{self, Scenario};
use lantern_sim::shipped;
use lantern_store::sims::{NewRun, RunSummary};
use sha2::Digest;

pub fn routes() -> Routes {
    Routes::new()
        .get("/orgs/{ods}/simulations", list)
        .get("/orgs/{ods}/simulations/{scenario}", brief)
        .post("/orgs/{ods}/simulations/{scenario}/start", start)
        .get("/orgs/{ods}/simulations/runs/{run}", player::page)
        .post("/orgs/{ods}/simulations/runs/{run}/act", player::act)
        .post("/orgs/{ods}/simulations/runs/{run}/clock", player::clock)
        .post("/orgs/{ods}/simulations/runs/{run}/end", player::end)
}

/// A shipped scenario, read. The shipped files are checked by the sim crate's tests, so one that does not read is a
/// bug, not bad input.
fn shipped_scenario(id: &str) -> Result<(&'static str, Scenario), AppError> {
    let (name, text) = shipped::find(id).ok_or(AppError::NotFound)?;
    let s = scenario::parse(name, text)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("shipped scenario {name}: {e:?}")))?;
    Ok((text, s))
}

fn all_scenarios() -> Result<Vec<Scenario>, AppError> {
    shipped::SHIPPED
        .iter()
        .map(|(name, _)| shipped_scenario(name.trim_end_matches(".toml")).map(|(_, s)| s))
        .collect()
}

/// "12 min" / "1 h 30 min".
fn duration(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// A scenario as the catalogue lists it, with the learner's latest run.
struct Entry {
    scenario: Scenario,
    latest: Option<RunSummary>,
}

#[derive(Template, WebTemplate)]
#[template(path = "sim_list.html")]
pub struct ListPage {
    layout: Layout,
    ods: String,
    entries: Vec<Entry>,
}

impl ListPage {
    fn duration(&self, minutes: &u32) -> String {
        duration(*minutes)
    }
}

async fn list(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
) -> PageResult<ListPage> {
    let (org, person, scope) = learner(&state, &page.caller, &ods).await?;
    let runs = state.store.sim_runs(&scope, org.id, person).await?;
    let entries = all_scenarios()?
        .into_iter()
        .map(|scenario| Entry {
            latest: runs.iter().find(|r| r.scenario_id == scenario.id).cloned(),
            scenario,
        })
        .collect();
    Ok(ListPage {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        entries,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "sim_brief.html")]
pub struct BriefPage {
    layout: Layout,
    ods: String,
    scenario: Scenario,
    runs: Vec<RunSummary>,
    /// A run not yet ended, to continue.
    open: Option<i64>,
}

impl BriefPage {
    fn duration(&self) -> String {
        duration(self.scenario.minutes)
    }
}

async fn brief(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, String)>,
) -> PageResult<BriefPage> {
    let (org, person, scope) = learner(&state, &page.caller, &ods).await?;
    let (_, scenario) = shipped_scenario(&id)?;
    let runs: Vec<RunSummary> = state
        .store
        .sim_runs(&scope, org.id, person)
        .await?
        .into_iter()
        .filter(|r| r.scenario_id == scenario.id)
        .collect();
    let open = runs.iter().find(|r| r.result.is_none()).map(|r| r.id);
    Ok(BriefPage {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        scenario,
        runs,
        open,
    })
}

/// Starts a run (paused at 0:00, so the learner reads the patient first) and goes to the player.
async fn start(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, String)>,
) -> PageResult<Response> {
    let (org, person, scope) = learner(&state, &page.caller, &ods).await?;
    let (text, scenario) = shipped_scenario(&id)?;
    let account = page.caller.account.id;
    let mut seed = [0u8; 8];
    getrandom::fill(&mut seed).expect("the operating system's random source works");
    let digest = hex::encode(sha2::Sha256::digest(text.as_bytes()));
    let registration = crate::xapi::cmi5::new_uuid();
    let run = state
        .store
        .start_sim_run(
            &scope,
            &NewRun {
                org: org.id,
                person,
                account,
                scenario_id: &scenario.id,
                scenario_body: text,
                digest: &digest,
                seed: u64::from_le_bytes(seed),
                registration: &registration,
            },
            chrono::Utc::now(),
        )
        .await?;
    let ctx = xapi::RunContext {
        org: org.id,
        person,
        registration: &registration,
        scenario: &scenario,
    };
    xapi::started(&state, &ctx).await?;
    Ok(Redirect::to(&format!("/orgs/{}/simulations/runs/{run}", org.ods_code)).into_response())
}
