//! A course's page: what it is, what it satisfies, its modules and how long they take, and "Start" (or "Continue"
//! an attempt already open).

use super::learner;
use crate::AppState;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_learning::course::CourseVersion;
use lantern_store::learning::Attempt;

#[derive(Template, WebTemplate)]
#[template(path = "learning_course.html")]
pub struct CoursePage {
    layout: Layout,
    ods: String,
    /// How the URL names the course (`code@ODS` for one shared by another organisation).
    address: String,
    course: CourseVersion,
    /// "Fire safety level 1", for each requirement it satisfies.
    satisfies: Vec<String>,
    open_attempt: Option<Attempt>,
    completed: usize,
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, code)): Path<(String, String)>,
) -> PageResult<CoursePage> {
    let (org, person, scope) = learner(&state, &page.caller, &ods).await?;
    let entry = state.store.course(org.id, &code).await?;
    let ctx = state
        .read_model
        .context(state.store.as_ref(), &scope, org.id)
        .await?;
    let satisfies = entry
        .course
        .satisfies
        .iter()
        .map(|s| {
            let title = ctx
                .rules
                .iter()
                .find(|r| r.subject == s.subject)
                .map_or(s.subject.as_str(), |r| r.title.as_str());
            format!("{title} level {}", s.level)
        })
        .collect();
    let attempts = state.store.attempts_of(&scope, org.id, person).await?;
    // A course is told apart by its versions' course (two organisations' courses may share a code).
    let mine = attempts
        .iter()
        .filter(|a| a.course.code == entry.course.code && a.course_org == entry.org);
    let completed = mine.clone().filter(|a| a.completed_at.is_some()).count();
    let open_attempt = mine
        .filter(|a| a.completed_at.is_none())
        .max_by_key(|a| a.id)
        .cloned();
    Ok(CoursePage {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        address: entry.address(org.id),
        course: entry.course,
        satisfies,
        open_attempt,
        completed,
    })
}

/// Starts an attempt (or finds the open one) and goes to it.
pub async fn start(
    State(state): State<AppState>,
    page: Page,
    Path((ods, code)): Path<(String, String)>,
) -> PageResult<Response> {
    let (org, person, scope) = learner(&state, &page.caller, &ods).await?;
    let attempt = state
        .store
        .start_attempt(&scope, org.id, person, &code, chrono::Utc::now())
        .await?;
    Ok(Redirect::to(&format!(
        "/orgs/{}/learning/attempts/{}",
        org.ods_code, attempt.id
    ))
    .into_response())
}
