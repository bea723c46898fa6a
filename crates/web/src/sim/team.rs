//! Joining a team run: the link a learner sends a colleague (`/orgs/{ods}/simulations/join/{code}`) shows the
//! scenario, who is in it and the roles still open; "Join as ..." takes one and opens the shared player. The code
//! is random (128 bits), so only those sent the link find the run; joining is for learners of the same
//! organisation, and the store refuses a role someone already took.

use super::{player, shipped_scenario, xapi};
use crate::learning::learner;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_sim::scenario::{Scenario, TeamRole};
use lantern_store::sims::{Join, TeamInvite};

/// A team scenario needs a role, one of its own; a scenario one learner plays takes none.
pub(crate) fn check_role(s: &Scenario, role: Option<&str>) -> Result<(), AppError> {
    let roles = || {
        s.roles
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>()
            .join(" or ")
    };
    match (role, s.roles.is_empty()) {
        (None, true) => Ok(()),
        (Some(_), true) => Err(AppError::BadRequest(
            "role: this simulation is played alone, without roles".into(),
        )),
        (None, false) => Err(AppError::BadRequest(format!(
            "role: choose the role you will play ({})",
            roles()
        ))),
        (Some(r), false) if s.role(r).is_none() => Err(AppError::BadRequest(format!(
            "role: {r:?} is not a role in this simulation ({})",
            roles()
        ))),
        (Some(_), false) => Ok(()),
    }
}

/// 128 random bits, as 32 hex digits.
pub(crate) fn new_join_code() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    hex::encode(bytes)
}

#[derive(Template, WebTemplate)]
#[template(path = "sim_join.html")]
pub struct JoinPage {
    layout: Layout,
    ods: String,
    code: String,
    scenario: Scenario,
    /// Role title and name of those in the run.
    members: Vec<(String, String)>,
    /// The roles still open.
    open: Vec<TeamRole>,
    ended: bool,
    error: Option<String>,
}

fn join_page_for(
    layout: Layout,
    ods: &str,
    code: &str,
    invite: &TeamInvite,
    error: Option<String>,
) -> Result<JoinPage, AppError> {
    let (_, scenario) = shipped_scenario(&invite.scenario_id)?;
    let title = |role: &str| {
        scenario
            .role(role)
            .map_or(role.to_owned(), |r| r.title.clone())
    };
    let members = invite
        .members
        .iter()
        .map(|m| (title(&m.role), m.name.clone()))
        .collect();
    let open = scenario
        .roles
        .iter()
        .filter(|r| !invite.members.iter().any(|m| m.plays(&r.id)))
        .cloned()
        .collect();
    Ok(JoinPage {
        layout,
        ods: ods.to_owned(),
        code: code.to_owned(),
        members,
        open,
        ended: invite.ended,
        error,
        scenario,
    })
}

pub enum JoinResponse {
    Page(Box<JoinPage>),
    Player(Response),
}

impl IntoResponse for JoinResponse {
    fn into_response(self) -> Response {
        match self {
            JoinResponse::Page(p) => p.into_response(),
            JoinResponse::Player(r) => r,
        }
    }
}

fn to_player(ods: &str, run: i64) -> Response {
    Redirect::to(&format!("/orgs/{ods}/simulations/runs/{run}")).into_response()
}

/// The join link: who is in the run and the roles open, or straight to the player for a member.
pub async fn join_page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, code)): Path<(String, String)>,
) -> PageResult<JoinResponse> {
    let (org, person, scope) = learner(&state, &page.caller, &ods).await?;
    let invite = state.store.sim_team_invite(&scope, org.id, &code).await?;
    if invite.members.iter().any(|m| m.person == person) {
        return Ok(JoinResponse::Player(to_player(
            org.ods_code.as_str(),
            invite.run,
        )));
    }
    let p = join_page_for(page.layout, org.ods_code.as_str(), &code, &invite, None)?;
    Ok(JoinResponse::Page(Box::new(p)))
}

#[derive(serde::Deserialize)]
pub struct JoinForm {
    /// Read after the access check: a missing role is refused then, naming the field.
    #[serde(default)]
    role: String,
}

/// Joins in a role; a role taken meanwhile shows the page again with the reason.
pub async fn join(
    State(state): State<AppState>,
    page: Page,
    Path((ods, code)): Path<(String, String)>,
    Form(form): Form<JoinForm>,
) -> PageResult<Response> {
    match join_run(&state, &page.caller, &ods, &code, &form.role).await {
        Ok((org, run)) => Ok(to_player(org.ods_code.as_str(), run)),
        Err(AppError::BadRequest(reason)) => {
            let (org, _, scope) = learner(&state, &page.caller, &ods).await?;
            let invite = state.store.sim_team_invite(&scope, org.id, &code).await?;
            let p = join_page_for(
                page.layout,
                org.ods_code.as_str(),
                &code,
                &invite,
                Some(reason),
            )?;
            Ok((axum::http::StatusCode::BAD_REQUEST, p).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Joins the caller to the team run a code opens, in `role`: the run's id. The joiner's first statement says they
/// attempted the scenario, under the run's registration.
pub(crate) async fn join_run(
    state: &AppState,
    caller: &crate::auth::Caller,
    ods: &str,
    code: &str,
    role: &str,
) -> Result<(lantern_domain::Organisation, i64), AppError> {
    let (org, person, scope) = learner(state, caller, ods).await?;
    let invite = state.store.sim_team_invite(&scope, org.id, code).await?;
    let already = invite.members.iter().any(|m| m.person == person);
    if !already {
        let (_, scenario) = shipped_scenario(&invite.scenario_id)?;
        check_role(&scenario, Some(role))?;
    }
    let run = state
        .store
        .join_sim_run(
            &scope,
            org.id,
            &Join {
                code,
                person,
                account: caller.account.id,
                role,
            },
            chrono::Utc::now(),
        )
        .await?;
    if !already {
        let (_, _, live): player::Loaded = player::load_for(state, caller, ods, run).await?;
        xapi::started(state, &live.context()).await?;
    }
    Ok((org, run))
}
