//! A course's page: what it is, what it satisfies, its modules and how long they take, and "Start" (or "Continue"
//! an attempt already open), with "Take the assessment first" where the learner may test out
//! (`views::pathway::test_out_offer`). Starting a test-out asks the same question again: a learner who is not
//! offered one is refused, whatever the form says.

use super::learner;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::views::pathway::{test_out_offer, test_out_possible};
use crate::{AppError, AppState};
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
    /// "Fire safety level 1": the requirement the learner may renew by testing out, when they may.
    test_out: Option<String>,
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
    let open_attempt = mine.filter(|a| a.under_way()).max_by_key(|a| a.id).cloned();
    let test_out = if !test_out_possible(open_attempt.as_ref()) {
        None
    } else {
        test_out_offer(&state, &scope, &org, person, &entry.course)
            .await?
            .map(|r| format!("{} level {}", r.explanation.rule.title, r.level))
    };
    Ok(CoursePage {
        test_out,
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

/// Starts a test-out (or resumes one) and goes to its assessment. Refused unless the learner is offered one now.
pub async fn test_out(
    State(state): State<AppState>,
    page: Page,
    Path((ods, code)): Path<(String, String)>,
) -> PageResult<Response> {
    let (org, person, scope) = learner(&state, &page.caller, &ods).await?;
    let attempt = start_test_out(&state, &org, person, &scope, &code).await?;
    let next = attempt
        .course
        .progress_in(attempt.mode, &attempt.states)
        .next
        .map(|i| format!("/modules/{}", attempt.course.modules[i].key))
        .unwrap_or_default();
    Ok(Redirect::to(&format!(
        "/orgs/{}/learning/attempts/{}{next}",
        org.ods_code, attempt.id
    ))
    .into_response())
}

/// A test-out, if the learner is offered one for this course now (the page and the API share this check).
pub(crate) async fn start_test_out(
    state: &AppState,
    org: &lantern_domain::Organisation,
    person: lantern_domain::PersonId,
    scope: &lantern_domain::access::Scope,
    code: &str,
) -> Result<Attempt, AppError> {
    let entry = state.store.course(org.id, code).await?;
    if test_out_offer(state, scope, org, person, &entry.course)
        .await?
        .is_none()
    {
        return Err(AppError::BadRequest(
            "You cannot test out of this course now: test-out is for renewing a requirement that is expiring or \
             has expired, where your organisation has turned it on. Take the course instead."
                .into(),
        ));
    }
    Ok(state
        .store
        .start_test_out(scope, org.id, person, code, crate::when::now())
        .await?)
}
