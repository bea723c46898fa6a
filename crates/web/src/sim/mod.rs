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
//!
//! Those who may see a person (their manager, the organisation's admins and auditors) read that person's ended runs
//! as a debrief with nothing to play, from the person's page (`/orgs/{ods}/people/{person_id}/simulations/{run}`).
//! Managers and leaders see results across the learners they oversee at `/orgs/{ods}/simulations/results`
//! (`results.rs`), with small groups suppressed.
//!
//! A team scenario (a nurse and a doctor) is played by two learners at once: one starts it in a role ("Start as the
//! registered nurse") and sends the join link (`/orgs/{ods}/simulations/join/{code}`, unguessable) to a colleague
//! in the same organisation, who joins in the other. They share the patient, the clock and the timeline; each sees
//! and takes only their role's actions, and each is scored on their own part and the team's (`live.rs`). The
//! player's page follows the colleague's actions as they happen (`lantern.js`).
//!
//! Learners take a history from the patient: from the scenario's questions, or, where the organisation has set a
//! language model (`patient.rs`, `/orgs/{ods}/admin/virtual-patient`), in their own words.
//!
//! A course may include a simulation as a module: its module page opens the brief with `?attempt=&module=`, and a
//! run started from there counts for that module (the store checks it is the learner's open module for this
//! scenario, and sets the module's state when the run ends).

mod chart;
pub(crate) mod live;
pub(crate) mod patient;
pub(crate) mod player;
pub(crate) mod results;
pub(crate) mod team;
pub(crate) mod view;
mod xapi;

use crate::learning::learner;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::routes::Routes;
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_sim::scenario::{self, Scenario};
use lantern_sim::shipped;
use lantern_store::sims::{NewRun, NewTeam, RunModule, RunSummary};
use sha2::Digest;

pub fn routes() -> Routes {
    Routes::new()
        .get("/orgs/{ods}/simulations", list)
        .get("/orgs/{ods}/simulations/results", results::page)
        .get("/orgs/{ods}/simulations/{scenario}", brief)
        .post("/orgs/{ods}/simulations/{scenario}/start", start)
        .get("/orgs/{ods}/simulations/join/{code}", team::join_page)
        .post("/orgs/{ods}/simulations/join/{code}", team::join)
        .get("/orgs/{ods}/admin/virtual-patient", patient::show)
        .post("/orgs/{ods}/admin/virtual-patient", patient::save)
        .get("/orgs/{ods}/simulations/runs/{run}", player::page)
        .post("/orgs/{ods}/simulations/runs/{run}/act", player::act)
        .post("/orgs/{ods}/simulations/runs/{run}/clock", player::clock)
        .post("/orgs/{ods}/simulations/runs/{run}/end", player::end)
        .get(
            "/orgs/{ods}/people/{person_id}/simulations/{run}",
            player::overseen,
        )
}

/// A shipped scenario, read. The shipped files are checked by the sim crate's tests, so one that does not read is a
/// bug, not bad input.
fn shipped_scenario(id: &str) -> Result<(&'static str, Scenario), AppError> {
    let (name, text) = shipped::find(id).ok_or(AppError::NotFound)?;
    let s = scenario::parse(name, text)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("shipped scenario {name}: {e:?}")))?;
    Ok((text, s))
}

/// A person's runs as their page lists them, newest first, with each scenario's title.
pub(crate) async fn runs_of(
    state: &AppState,
    scope: &lantern_domain::access::Scope,
    org: lantern_domain::OrgId,
    person: lantern_domain::PersonId,
) -> Result<Vec<(RunSummary, String)>, AppError> {
    let titles: std::collections::HashMap<String, String> = all_scenarios()?
        .into_iter()
        .map(|s| (s.id, s.title))
        .collect();
    Ok(state
        .store
        .sim_runs(scope, org, person)
        .await?
        .into_iter()
        .map(|r| {
            let title = titles
                .get(&r.scenario_id)
                .cloned()
                .unwrap_or_else(|| r.scenario_id.clone());
            (r, title)
        })
        .collect())
}

fn all_scenarios() -> Result<Vec<Scenario>, AppError> {
    let mut out = Vec::new();
    for (name, _) in shipped::SHIPPED {
        match shipped_scenario(name.trim_end_matches(".toml")) {
            Ok((_, s)) => out.push(s),
            Err(AppError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
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

/// What a run is started for: the course module (`?attempt=&module=` on the brief; hidden fields of its Start
/// form), and in a team scenario the role the learner takes.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForModule {
    /// The learner's attempt of a course with a simulation module for this scenario.
    attempt: Option<i64>,
    /// That module's key.
    module: Option<String>,
    /// In a team scenario, the role the learner starting it plays (`nurse`); a colleague joins in another.
    role: Option<String>,
}

impl ForModule {
    pub(crate) fn module(&self) -> Option<RunModule> {
        match (self.attempt, &self.module) {
            (Some(attempt), Some(key)) => Some(RunModule {
                attempt,
                key: key.clone(),
            }),
            _ => None,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "sim_brief.html")]
pub struct BriefPage {
    layout: Layout,
    ods: String,
    scenario: Scenario,
    runs: Vec<RunSummary>,
    /// A run not yet ended, to continue: one for the same course module (or for none).
    open: Option<i64>,
    /// The course module this brief was opened for, with the course's title.
    course: Option<(RunModule, String)>,
}

impl BriefPage {
    fn duration(&self) -> String {
        duration(self.scenario.minutes)
    }

    /// What a team role does, in words ("Look at the patient, record observations, give IV antibiotics"): each
    /// label after the first starts lower case, unless it starts with an abbreviation.
    fn role_actions(&self, r: &lantern_sim::scenario::TeamRole) -> String {
        r.actions
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let label = a.label();
                let mut chars = label.chars();
                match (i, chars.next(), chars.next()) {
                    (0, _, _) => label.to_owned(),
                    (_, Some(first), Some(second)) if second.is_lowercase() => {
                        format!("{}{}", first.to_lowercase(), &label[first.len_utf8()..])
                    }
                    _ => label.to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn role_title(&self, role: &str) -> String {
        self.scenario
            .role(role)
            .map_or(role.to_owned(), |r| r.title.clone())
    }
}

async fn brief(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, String)>,
    Query(wanted): Query<ForModule>,
) -> PageResult<BriefPage> {
    let (org, person, scope) = learner(&state, &page.caller, &ods).await?;
    let (_, scenario) = shipped_scenario(&id)?;
    let module = wanted.module();
    let course = match &module {
        Some(m) => {
            let attempt = state.store.attempt(&scope, org.id, m.attempt).await?;
            Some((m.clone(), attempt.course.title))
        }
        None => None,
    };
    let runs: Vec<RunSummary> = state
        .store
        .sim_runs(&scope, org.id, person)
        .await?
        .into_iter()
        .filter(|r| r.scenario_id == scenario.id)
        .collect();
    let open = runs
        .iter()
        .find(|r| r.result.is_none() && r.module == module)
        .map(|r| r.id);
    Ok(BriefPage {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        scenario,
        runs,
        open,
        course,
    })
}

/// Starts a run (paused at 0:00, so the learner reads the patient first) and goes to the player. The form's
/// `attempt` and `module` name the course module it counts for, if any.
async fn start(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, String)>,
    Form(wanted): Form<ForModule>,
) -> PageResult<Response> {
    let (org, run) = start_run(&state, &page.caller, &ods, &id, &wanted).await?;
    Ok(Redirect::to(&format!("/orgs/{}/simulations/runs/{run}", org.ods_code)).into_response())
}

/// Starts the caller's run of a scenario, for a course module or none (in a team scenario, in a role): stored, and
/// its first statement sent.
pub(crate) async fn start_run(
    state: &AppState,
    caller: &crate::auth::Caller,
    ods: &str,
    id: &str,
    wanted: &ForModule,
) -> Result<(lantern_domain::Organisation, i64), AppError> {
    let (org, person, scope) = learner(state, caller, ods).await?;
    let (text, scenario) = shipped_scenario(id)?;
    let role = wanted.role.as_deref().filter(|r| !r.is_empty());
    team::check_role(&scenario, role)?;
    let join_code = role.map(|_| team::new_join_code());
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
                account: caller.account.id,
                scenario_id: &scenario.id,
                scenario_body: text,
                digest: &digest,
                seed: u64::from_le_bytes(seed),
                registration: &registration,
                module: wanted.module(),
                team: role
                    .zip(join_code.as_deref())
                    .map(|(role, join_code)| NewTeam { role, join_code }),
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
    xapi::started(state, &ctx).await?;
    Ok((org, run))
}
