//! "Assign a course to those ticked": `GET /team/assign` shows the people (those ticked, else everyone shown) and
//! asks for a course and a due date, offering first the courses that satisfy the requirement the view is filtered
//! to; `POST /team/assign` assigns it to all of them in one transaction (the store refuses the lot if anyone is
//! beyond the caller's reach) and returns to the same team view saying what was done. Someone who already has the
//! course assigned and not done is left as they were, and counted.

use super::{PageResult, TeamPage, require_unit, team};
use crate::auth::sign_in::FieldError;
use crate::pages::admin::urlencode;
use crate::pages::layout::{Layout, Page};
use crate::views::assignments::due_date;
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawForm, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::PersonId;
use lantern_domain::access::Action;
use lantern_store::PeopleFilter;
use std::collections::{HashMap, HashSet};

/// A course offered: its code, its title, and whether it satisfies the requirement the view is filtered to.
pub struct CourseChoice {
    code: String,
    title: String,
    fits: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "team_assign.html")]
pub struct AssignPage {
    layout: Layout,
    org_name: String,
    unit_name: String,
    /// The requirement the view is filtered to, if it is.
    requirement: Option<String>,
    /// Whom it goes to: (person id, name).
    people: Vec<(i64, String)>,
    /// Whether those are the people ticked (else everyone shown).
    ticked: bool,
    courses: Vec<CourseChoice>,
    course: String,
    due_on: String,
    errors: Vec<FieldError>,
    query: String,
    filter_fields: Vec<(&'static str, String)>,
}

impl AssignPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

/// The course and due date the form sends (the filter and the people are the team view's own fields).
fn fields(raw: &[u8]) -> (String, String) {
    let (mut course, mut due) = (String::new(), String::new());
    for (k, v) in form_urlencoded::parse(raw) {
        match k.as_ref() {
            "course" => course = v.trim().to_owned(),
            "due_on" => due = v.trim().to_owned(),
            _ => {}
        }
    }
    (course, due)
}

/// The team as the request shows it, and the people the course would go to: those ticked (each in the unit, or
/// `team` refuses the request), even one the filter no longer shows; else everyone shown.
async fn whom(
    state: &AppState,
    page: Page,
    raw: &[u8],
) -> Result<(TeamPage, Vec<(i64, String)>), AppError> {
    let caller = page.caller.clone();
    let team = team(state, &caller, page.layout, raw).await?;
    caller.require(Action::Assign(team.view.org.id))?;
    let shown = |id: i64| team.view.people.iter().find(|r| r.person_id == id);
    if team.picked.is_empty() {
        let people = team
            .view
            .people
            .iter()
            .map(|r| (r.person_id, r.name.clone()))
            .collect();
        return Ok((team, people));
    }
    let mut picked = team.picked.clone();
    picked.sort_unstable();
    picked.dedup();
    // Someone ticked whom the filter no longer shows (their training was recorded meanwhile) is named from the store.
    let unseen: Vec<PersonId> = picked
        .iter()
        .filter(|id| shown(**id).is_none())
        .map(|id| PersonId(*id))
        .collect();
    let mut names: HashMap<i64, String> = HashMap::new();
    if !unseen.is_empty() {
        for p in state
            .store
            .people(
                &caller.scope(),
                team.view.org.id,
                &PeopleFilter::People(unseen),
            )
            .await?
        {
            names.insert(p.person.id.0, p.person.display_name());
        }
    }
    let mut people: Vec<(i64, String)> = picked
        .iter()
        .filter_map(|id| {
            let name = shown(*id)
                .map(|r| r.name.clone())
                .or_else(|| names.remove(id))?;
            Some((*id, name))
        })
        .collect();
    people.sort_by(|a, b| a.1.cmp(&b.1));
    Ok((team, people))
}

async fn form_page(
    state: &AppState,
    team: TeamPage,
    people: Vec<(i64, String)>,
    course: String,
    due_on: String,
    errors: Vec<FieldError>,
) -> Result<AssignPage, AppError> {
    let wanted = team.filter.requirement.clone();
    let mut courses: Vec<CourseChoice> = state
        .store
        .courses(team.view.org.id)
        .await?
        .into_iter()
        .map(|c| CourseChoice {
            fits: wanted.as_ref().is_some_and(|w| {
                c.course
                    .satisfies
                    .iter()
                    .any(|s| s.subject == w.subject && s.level >= w.level)
            }),
            code: c.course.code,
            title: c.course.title,
        })
        .collect();
    // Those that satisfy the filtered requirement first; the store gives them by title.
    courses.sort_by_key(|c| !c.fits);
    let course = if course.is_empty() {
        courses
            .iter()
            .find(|c| c.fits)
            .map(|c| c.code.clone())
            .unwrap_or_default()
    } else {
        course
    };
    let today = team.view.as_at;
    // With nobody to assign to there is no form, so nothing to correct in it.
    let errors = if people.is_empty() {
        Vec::new()
    } else {
        errors
    };
    Ok(AssignPage {
        requirement: team.requirement_heading().map(str::to_owned),
        org_name: team.view.org_name,
        unit_name: team.view.unit_name,
        ticked: !team.picked.is_empty(),
        people,
        courses,
        course,
        due_on: if due_on.is_empty() {
            lantern_domain::dates::add_days(today, 28).to_string()
        } else {
            due_on
        },
        errors,
        query: team.query,
        filter_fields: team.filter_fields,
        layout: team.layout,
    })
}

/// The form: whom, which course, by when. Works without JavaScript.
pub async fn assign_confirm(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> PageResult<AssignPage> {
    let raw = raw.unwrap_or_default();
    let (team, people) = whom(&state, page, raw.as_bytes()).await?;
    let (course, due_on) = fields(raw.as_bytes());
    Ok(form_page(&state, team, people, course, due_on, Vec::new()).await?)
}

/// Assigns, all or none, and returns to the same team view with what was done.
pub async fn assign(
    State(state): State<AppState>,
    page: Page,
    RawForm(body): RawForm,
) -> PageResult<Response> {
    let caller = page.caller.clone();
    let (team, people) = whom(&state, page, &body).await?;
    require_unit(&team, "assign a course to")?;
    let (course, due_on) = fields(&body);
    let mut errors = Vec::new();
    let org = team.view.org.clone();
    let courses = state.store.courses(org.id).await?;
    let chosen = courses.iter().find(|c| c.course.code == course);
    if chosen.is_none() {
        errors.push(FieldError {
            field: "course",
            message: "Choose a course to assign".into(),
        });
    }
    let due = due_date(&due_on, team.view.as_at).map_err(|m| {
        errors.push(FieldError {
            field: "due_on",
            message: m.into(),
        })
    });
    // Nobody shown: the page says so (there is no form to correct).
    let (Some(chosen), Ok(due), false) = (chosen, due, people.is_empty()) else {
        let page = form_page(&state, team, people, course, due_on, errors).await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    };
    // Who already has this course assigned and not done keeps that assignment (and its due date).
    let scope = caller.scope();
    let ids: Vec<PersonId> = people.iter().map(|p| PersonId(p.0)).collect();
    let open: HashSet<i64> = state
        .store
        .assignments_of(&scope, org.id, &ids, team.view.as_at)
        .await?
        .into_iter()
        .filter(|a| a.done.is_none() && a.assignment.course_code == chosen.course.code)
        .map(|a| a.person.0)
        .collect();
    let to: Vec<PersonId> = ids.into_iter().filter(|p| !open.contains(&p.0)).collect();
    let made = state
        .store
        .assign_course_to_people(
            &scope,
            org.id,
            &chosen.course.code,
            &to,
            due,
            caller.account.id,
            crate::when::now(),
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/team?{}&assigned={}&already={}&course={}&due={due}",
        team.query,
        made.len(),
        open.len(),
        urlencode(&chosen.course.title),
    ))
    .into_response())
}
