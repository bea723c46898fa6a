//! An attempt: its modules with their states, a lesson to read and mark as done, and an assessment paper to sit,
//! marked on the server. The answer key never reaches the browser before the paper is submitted; the feedback page
//! shows it after.

use super::learner;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_learning::assessment::{Answers, Question};
use lantern_learning::course::{Module, ModuleKind, ModuleState, Progress};
use lantern_store::learning::{At, Attempt, Paper, Submission};

#[derive(Template, WebTemplate)]
#[template(path = "learning_attempt.html")]
pub struct AttemptPage {
    layout: Layout,
    ods: String,
    /// The course in a URL: its code, or `code@ODS` for a shared course.
    course_address: String,
    attempt: Attempt,
    progress: Progress,
    /// Each module with its state's label and whether it is open.
    modules: Vec<(Module, &'static str, bool)>,
}

impl AttemptPage {
    /// The module the "Continue" button opens.
    fn next_module(&self) -> Option<&Module> {
        self.progress
            .next
            .and_then(|i| self.attempt.course.modules.get(i))
    }
}

fn state_label(s: ModuleState) -> &'static str {
    match s {
        ModuleState::NotStarted => "Not started",
        ModuleState::InProgress => "In progress",
        ModuleState::Completed => "Completed",
        ModuleState::Failed => "Not passed yet",
    }
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, attempt)): Path<(String, i64)>,
) -> PageResult<AttemptPage> {
    let (org, _, scope) = learner(&state, &page.caller, &ods).await?;
    let attempt = state.store.attempt(&scope, org.id, attempt).await?;
    // The course as this learner names it in a URL: its code, or `code@ODS` for one another organisation shares
    // (looked up only then).
    let course_address = if attempt.course_org == org.id {
        attempt.course.code.clone()
    } else {
        state
            .store
            .courses(org.id)
            .await?
            .into_iter()
            .find(|c| c.org == attempt.course_org && c.course.code == attempt.course.code)
            .map_or_else(|| attempt.course.code.clone(), |c| c.address(org.id))
    };
    Ok(render_attempt(
        page.layout,
        org.ods_code.to_string(),
        course_address,
        attempt,
    ))
}

fn render_attempt(
    layout: Layout,
    ods: String,
    course_address: String,
    attempt: Attempt,
) -> AttemptPage {
    let open = attempt.course.open_in(attempt.mode, &attempt.states);
    let modules = attempt
        .course
        .modules
        .iter()
        .zip(&attempt.states)
        .zip(open)
        .map(|((m, s), o)| (m.clone(), state_label(*s), o))
        .collect();
    AttemptPage {
        layout,
        ods,
        course_address,
        progress: attempt.course.progress_in(attempt.mode, &attempt.states),
        attempt,
        modules,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "learning_lesson.html")]
pub struct LessonPage {
    layout: Layout,
    ods: String,
    attempt: Attempt,
    module: Module,
    /// The lesson as HTML that cannot carry script (`lantern_learning::lesson`).
    html: String,
    done: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "learning_paper.html")]
pub struct PaperPage {
    layout: Layout,
    ods: String,
    attempt: Attempt,
    module: Module,
    paper: Paper,
    pass_percent: u8,
}

pub async fn module(
    State(state): State<AppState>,
    page: Page,
    Path((ods, attempt, key)): Path<(String, i64, String)>,
) -> PageResult<Response> {
    let (org, _, scope) = learner(&state, &page.caller, &ods).await?;
    let attempt = state.store.attempt(&scope, org.id, attempt).await?;
    let i = attempt
        .course
        .modules
        .iter()
        .position(|m| m.key == key)
        .ok_or(AppError::NotFound)?;
    if !attempt.course.open_in(attempt.mode, &attempt.states)[i] {
        return Err(AppError::BadRequest(
            "This module opens when the modules before it are complete.".into(),
        )
        .into());
    }
    let module = attempt.course.modules[i].clone();
    let ods = org.ods_code.to_string();
    match &module.kind {
        ModuleKind::Lesson { markdown } => {
            let html = lantern_learning::lesson::render(markdown, |_| None);
            let done = attempt.states[i] == ModuleState::Completed;
            Ok(LessonPage {
                layout: page.layout,
                ods,
                attempt,
                module,
                html,
                done,
            }
            .into_response())
        }
        ModuleKind::Assessment { rules, .. } => {
            let pass_percent = rules.pass_percent;
            let mut seed = [0u8; 8];
            getrandom::fill(&mut seed)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("random seed: {e}")))?;
            let paper = state
                .store
                .paper(
                    &scope,
                    org.id,
                    attempt.id,
                    &key,
                    u64::from_le_bytes(seed),
                    chrono::Utc::now(),
                )
                .await?;
            Ok(PaperPage {
                layout: page.layout,
                ods,
                attempt,
                module,
                paper,
                pass_percent,
            }
            .into_response())
        }
        ModuleKind::Scorm { .. } => {
            let page =
                super::package::launch(&state, page.layout, &scope, org, attempt, module).await?;
            Ok(page)
        }
        ModuleKind::Cmi5 { .. } => {
            let page = super::cmi5::page(&state, page.layout, &scope, org, attempt, module).await?;
            Ok(page)
        }
        // The simulation's brief, told which module a run started there counts for.
        ModuleKind::Simulation { scenario } => Ok(Redirect::to(&format!(
            "/orgs/{ods}/simulations/{scenario}?attempt={}&module={key}",
            attempt.id
        ))
        .into_response()),
    }
}

/// Marks a lesson as read.
pub async fn complete(
    State(state): State<AppState>,
    page: Page,
    Path((ods, attempt, key)): Path<(String, i64, String)>,
) -> PageResult<Response> {
    let (org, _, scope) = learner(&state, &page.caller, &ods).await?;
    let now = chrono::Utc::now();
    let attempt = state
        .store
        .record_module(
            &scope,
            org.id,
            attempt,
            &key,
            ModuleState::Completed,
            At {
                now,
                today: org.today(now),
            },
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/orgs/{}/learning/attempts/{}",
        org.ods_code, attempt.id
    ))
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "learning_result.html")]
pub struct ResultPage {
    layout: Layout,
    ods: String,
    module: Module,
    submission: Submission,
}

impl ResultPage {
    fn chose(&self, q: &Question, option: &str) -> bool {
        self.submission
            .answers
            .get(&q.id)
            .is_some_and(|s| s.contains(option))
    }

    fn right(&self, q: &Question) -> bool {
        self.submission
            .marked
            .questions
            .iter()
            .any(|(id, ok)| *ok && *id == q.id)
    }
}

/// Submits a paper. Fields: `paper` (its id) and `q:QUESTION` (an option id; repeated for a multiple answer).
pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    Path((ods, attempt, key)): Path<(String, i64, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let (org, person, scope) = learner(&state, &page.caller, &ods).await?;
    let paper: i64 = fields
        .iter()
        .find(|(k, _)| k == "paper")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| AppError::BadRequest("the form names no paper".into()))?;
    let mut answers = Answers::new();
    for (k, v) in &fields {
        if let Some(q) = k.strip_prefix("q:") {
            answers.entry(q.to_owned()).or_default().insert(v.clone());
        }
    }
    let now = chrono::Utc::now();
    let submission = state
        .store
        .submit_paper(
            &scope,
            org.id,
            attempt,
            paper,
            &answers,
            At {
                now,
                today: org.today(now),
            },
        )
        .await?;
    // A test-out passed: the course's cmi5 units are waived (cmi5 9.3.7), so its registration agrees.
    if submission.attempt.mode == lantern_learning::course::Mode::TestOut
        && submission.attempt.completed_at.is_some()
        && let Err(e) =
            super::cmi5::waive_tested_out(&state, &scope, &org, person, &submission.attempt).await
    {
        tracing::error!(error = %e, "waiving a tested-out course's cmi5 units");
    }
    let module = submission
        .attempt
        .course
        .modules
        .iter()
        .find(|m| m.key == key)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok(ResultPage {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        module,
        submission,
    }
    .into_response())
}
