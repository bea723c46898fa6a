//! Calendars of what falls due (`lantern_domain::calendar`): a learner's own dates over the next year with a feed to
//! subscribe to from any calendar app, and a team's over the next weeks for its manager (or an admin or auditor), as
//! a page and as a file to import.
//!
//! - `/me/calendar`: the learner's dates; `POST /me/calendar/link` makes their secret feed link (shown once: only
//!   its hash is kept) and ends any other, `POST /me/calendar/link/end` ends it.
//! - `/calendar/{token}`: the feed itself (iCalendar, RFC 5545). A calendar app has no session, so the unguessable
//!   link is the credential: it shows only the account's own requirement names and dates, never anyone else's, and
//!   stops working when the account is disabled or the link is ended.
//! - `/team/calendar` and `/team/calendar.ics`: a unit's dates, with who and what.

mod feed;

use crate::auth::{Caller, new_token, token_hash};
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::routes::Routes;
use crate::views::team::{TeamFilter, TeamView, my_team};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use lantern_domain::UnitId;
use lantern_domain::access::Principal;
use lantern_domain::calendar::{Due, due_kind, upcoming};

/// How far ahead a person's calendar looks.
const PERSON_DAYS: u64 = 365;
/// How far ahead a team's calendar looks by default, and at most.
const TEAM_DAYS: u32 = 90;
const TEAM_DAYS_MAX: u32 = 365;

pub fn routes() -> Routes {
    Routes::new()
        .get("/me/calendar", me)
        .post("/me/calendar/link", make_link)
        .post("/me/calendar/link/end", end_link)
        .get("/team/calendar", team)
        .get("/team/calendar.ics", team_ics)
}

/// The feed, which calendar apps fetch without a session.
pub fn public_routes() -> Routes {
    Routes::new().get("/calendar/{token}", subscription)
}

/// One entry of a calendar page or file.
pub struct Entry {
    pub due: Due,
    /// Whose it is (a team's calendar), with their id.
    pub person: Option<(i64, String)>,
    /// The organisation's code and name.
    pub ods: String,
    pub org_name: String,
}

/// Entries by month ("December 2026"), soonest first.
pub fn by_month(entries: Vec<Entry>) -> Vec<(String, Vec<Entry>)> {
    let mut out: Vec<(String, Vec<Entry>)> = Vec::new();
    for e in entries {
        let month = e.due.on.format("%B %Y").to_string();
        match out.last_mut() {
            Some((m, list)) if *m == month => list.push(e),
            _ => out.push((month, vec![e])),
        }
    }
    out
}

/// The learner's own dates in every organisation where they are one, soonest first.
async fn own_entries(state: &AppState, caller: &Caller) -> Result<Vec<Entry>, AppError> {
    let mut out = Vec::new();
    for view in crate::views::my_training(state, caller).await? {
        let today = view.as_at;
        for due in upcoming(
            &view.requirements,
            today,
            today + chrono::Days::new(PERSON_DAYS),
        ) {
            out.push(Entry {
                due,
                person: None,
                ods: view.ods_code.clone(),
                org_name: view.org_name.clone(),
            });
        }
    }
    out.sort_by(|a, b| (a.due.on, &a.due.title).cmp(&(b.due.on, &b.due.title)));
    Ok(out)
}

#[derive(Template, WebTemplate)]
#[template(path = "calendar_me.html")]
pub struct MyCalendarPage {
    layout: Layout,
    months: Vec<(String, Vec<Entry>)>,
    /// When the current feed link was made.
    link_made: Option<chrono::DateTime<chrono::Utc>>,
    /// The learner trains in more than one organisation: each entry names its own.
    several_orgs: bool,
    /// The link just made, shown this once.
    new_link: Option<String>,
    ended: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct Notice {
    ended: Option<String>,
}

async fn my_page(
    state: &AppState,
    page: Page,
    new_link: Option<String>,
    ended: bool,
) -> Result<MyCalendarPage, AppError> {
    let entries = own_entries(state, &page.caller).await?;
    let link_made = state.store.calendar_link(page.caller.account.id).await?;
    let several_orgs = entries.iter().any(|e| e.ods != entries[0].ods);
    Ok(MyCalendarPage {
        several_orgs,
        layout: page.layout,
        months: by_month(entries),
        link_made,
        new_link,
        ended,
    })
}

pub async fn me(
    State(state): State<AppState>,
    page: Page,
    Query(n): Query<Notice>,
) -> PageResult<MyCalendarPage> {
    Ok(my_page(&state, page, None, n.ended.is_some()).await?)
}

pub async fn make_link(State(state): State<AppState>, page: Page) -> PageResult<Response> {
    // Only someone with training of their own has a calendar (404 otherwise, as for My training).
    crate::views::my_training(&state, &page.caller).await?;
    let token = new_token();
    state
        .store
        .set_calendar_link(
            page.caller.account.id,
            &token_hash(&token),
            chrono::Utc::now(),
        )
        .await?;
    let link = format!(
        "{}/calendar/{token}",
        state.auth.public_url.trim_end_matches('/')
    );
    Ok(my_page(&state, page, Some(link), false)
        .await?
        .into_response())
}

pub async fn end_link(State(state): State<AppState>, page: Page) -> PageResult<Response> {
    state
        .store
        .end_calendar_link(page.caller.account.id, chrono::Utc::now())
        .await?;
    Ok(Redirect::to("/me/calendar?ended=yes").into_response())
}

/// The feed for a link: the account's own dates, as its owner would see them signed in.
pub async fn subscription(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let token = token.strip_suffix(".ics").unwrap_or(&token);
    let account = match state.store.calendar_account(&token_hash(token)).await? {
        Some(id) => state.store.account(id).await?,
        None => None,
    }
    .filter(|a| !a.disabled)
    .ok_or(AppError::NotFound)?;
    let grants = state.store.grants(account.id).await?;
    let caller = Caller {
        principal: Principal {
            person: account.person_id,
            grants,
        },
        account,
        token_hash: String::new(),
        csrf_token: String::new(),
    };
    let entries = match own_entries(&state, &caller).await {
        Ok(e) => e,
        // No longer a learner anywhere: an empty calendar rather than an error the app keeps retrying.
        Err(AppError::NotFound) => Vec::new(),
        Err(e) => return Err(e),
    };
    let ics = feed::calendar("Lantern: my training", &entries, &state.auth.public_url);
    Ok(feed::response(ics, None))
}

#[derive(serde::Deserialize, Default)]
pub struct TeamQuery {
    unit: Option<i64>,
    days: Option<u32>,
}

#[derive(Template, WebTemplate)]
#[template(path = "calendar_team.html")]
pub struct TeamCalendarPage {
    layout: Layout,
    view: TeamView,
    days: u32,
    until: NaiveDate,
    months: Vec<(String, Vec<Entry>)>,
    /// People overdue now (due now, not coming up).
    overdue_people: usize,
}

/// A unit's dates coming up within `days`: (the team view, its entries, the last day).
async fn team_entries(
    state: &AppState,
    caller: &Caller,
    q: &TeamQuery,
) -> Result<(TeamView, Vec<Entry>, u32, NaiveDate), AppError> {
    let days = q.days.unwrap_or(TEAM_DAYS).clamp(1, TEAM_DAYS_MAX);
    let filter = TeamFilter {
        unit: q.unit.map(UnitId),
        ..TeamFilter::default()
    };
    let view = my_team(state, caller, &filter).await?;
    let today = view.as_at;
    let until = today + chrono::Days::new(u64::from(days));
    let mut entries = Vec::new();
    for p in &view.people {
        for s in &p.statuses {
            let (Some(kind), Some(on)) = (due_kind(s.status), s.due_on) else {
                continue;
            };
            if on < today || on > until {
                continue;
            }
            entries.push(Entry {
                due: Due {
                    on,
                    kind,
                    subject: s.subject.clone(),
                    level: s.level,
                    title: format!("{} level {}", s.title, s.level),
                },
                person: Some((p.person_id, p.name.clone())),
                ods: view.ods_code.clone(),
                org_name: view.org_name.clone(),
            });
        }
    }
    entries.sort_by(|a, b| {
        (a.due.on, &a.person, &a.due.title).cmp(&(b.due.on, &b.person, &b.due.title))
    });
    Ok((view, entries, days, until))
}

pub async fn team(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<TeamQuery>,
) -> PageResult<TeamCalendarPage> {
    let (view, entries, days, until) = team_entries(&state, &page.caller, &q).await?;
    Ok(TeamCalendarPage {
        layout: page.layout,
        overdue_people: view.whole.overdue_people,
        view,
        days,
        until,
        months: by_month(entries),
    })
}

pub async fn team_ics(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<TeamQuery>,
) -> PageResult<Response> {
    let (view, entries, _, _) = team_entries(&state, &page.caller, &q).await?;
    let name = format!("Lantern: {}", view.unit_name);
    let ics = feed::calendar(&name, &entries, &state.auth.public_url);
    let file = format!(
        "team-{}-{}.ics",
        view.unit_id,
        view.as_at.format("%Y-%m-%d")
    );
    Ok(feed::response(ics, Some(&file)))
}

impl TeamCalendarPage {
    /// The day's label: "Mon 7".
    fn day(&self, d: &NaiveDate) -> String {
        format!("{} {}", d.format("%a"), d.day())
    }
}

impl MyCalendarPage {
    fn day(&self, d: &NaiveDate) -> String {
        format!("{} {}", d.format("%a"), d.day())
    }
}
