//! "Remind": `GET /team/remind` asks the manager to confirm ("Send a reminder to 3 people about their overdue
//! training?", listing them); `POST /team/remind` sends. Both carry the team view's filter, and optionally the people
//! picked (`person`, repeated: one for a row's own Remind button, which sends at once, and the confirmation's list),
//! and recompute the people from that filter with the same code the team page uses, so the reminder goes to exactly
//! the people shown. A person picked who is not in the manager's unit is refused (404); one who no longer matches
//! the filter (their training was recorded in the meantime) is left out and counted.

use super::{PageResult, TeamPage, reminded_line, require_unit, team};
use crate::pages::layout::{Layout, Page};
use crate::reminders::{self, Target};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawForm, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::access::Action;

/// The team as the request's filter shows it, and whom to remind in it: everyone shown with something overdue,
/// or those of the people picked who are. Also how many picked no longer match.
async fn targets(
    state: &AppState,
    page: Page,
    raw: &[u8],
    sending: bool,
) -> Result<(TeamPage, Vec<Target>, usize), AppError> {
    let team = team(state, &page.caller, page.layout, raw).await?;
    page.caller.require(Action::Remind(team.view.org.id))?;
    if sending {
        require_unit(&team, "remind")?;
    }
    if team.picked.is_empty() {
        let targets = team.view.reminder_targets.clone();
        return Ok((team, targets, 0));
    }
    let targets: Vec<Target> = team
        .view
        .reminder_targets
        .iter()
        .filter(|t| team.picked.contains(&t.person.0))
        .cloned()
        .collect();
    let mut picked = team.picked.clone();
    picked.sort_unstable();
    picked.dedup();
    let unmatched = picked.len() - targets.len();
    Ok((team, targets, unmatched))
}

#[derive(Template, WebTemplate)]
#[template(path = "team_remind.html")]
pub struct ConfirmPage {
    layout: Layout,
    org_name: String,
    unit_name: String,
    targets: Vec<Target>,
    /// The requirement the view is filtered to, if it is.
    requirement: Option<String>,
    query: String,
    filter_fields: Vec<(&'static str, String)>,
    interval_days: u32,
    last: Vec<Option<String>>,
}

impl ConfirmPage {
    fn last_reminded(&self, i: &usize) -> Option<&str> {
        self.last.get(*i).and_then(|l| l.as_deref())
    }
}

/// The confirmation: how many, who, about what; Send or Cancel. Works without JavaScript.
pub async fn remind_confirm(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> PageResult<ConfirmPage> {
    let (team, targets, _) =
        targets(&state, page, raw.unwrap_or_default().as_bytes(), false).await?;
    let interval_days = state.store.reminder_interval_days(team.view.org.id).await?;
    let last = targets
        .iter()
        .map(|t| team.view.reminders.get(&t.person.0).map(reminded_line))
        .collect();
    Ok(ConfirmPage {
        requirement: team.requirement_heading().map(str::to_owned),
        org_name: team.view.org_name,
        unit_name: team.view.unit_name,
        targets,
        query: team.query,
        filter_fields: team.filter_fields,
        interval_days,
        last,
        layout: team.layout,
    })
}

/// Sends, records, and returns to the same filtered team view with what was done.
pub async fn remind(
    State(state): State<AppState>,
    page: Page,
    RawForm(body): RawForm,
) -> PageResult<Response> {
    let caller = page.caller.clone();
    let (team, targets, unmatched) = targets(&state, page, &body, true).await?;
    let round = reminders::send(&state, &caller, &team.view.org, &targets).await?;
    Ok(Redirect::to(&format!(
        "/team?{}&reminded={}&skipped={}&no_email={}&failed={}&unmatched={unmatched}",
        team.query, round.reminded, round.skipped, round.no_email, round.failed
    ))
    .into_response())
}
