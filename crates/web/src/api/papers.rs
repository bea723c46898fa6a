use super::ErrorBody;
use crate::learning::learner;
use crate::views::courses::{AnswerSheet, PaperView, SubmissionView};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use lantern_learning::course::ModuleKind;
use lantern_store::learning::At;
use serde::Deserialize;
use utoipa::ToSchema;

/// The paper for an assessment module of the learner's attempt: the one open, or a new one drawn (questions and
/// options shuffled). No answer key: that comes back only with the submission.
#[utoipa::path(get, path = "/api/v1/organisations/{ods}/attempts/{attempt}/modules/{key}/paper", tag = "learning",
    params(("ods" = String, Path, description = "ODS code"), ("attempt" = i64, Path, description = "The attempt's id"),
           ("key" = String, Path, description = "The assessment module's key")),
    responses(
        (status = 200, description = "The paper", body = PaperView),
        (status = 400, description = "Not open yet, already passed, or every try used, with the reason", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller is not a learner here", body = ErrorBody),
        (status = 404, description = "No such attempt or module of the caller's", body = ErrorBody)))]
pub async fn paper(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, attempt, key)): Path<(String, i64, String)>,
) -> Result<Json<PaperView>, AppError> {
    let (org, _, scope) = learner(&state, &caller, &ods).await?;
    let a = state.store.attempt(&scope, org.id, attempt).await?;
    let pass_percent = match a
        .course
        .modules
        .iter()
        .find(|m| m.key == key)
        .map(|m| &m.kind)
    {
        Some(ModuleKind::Assessment { rules, .. }) => rules.pass_percent,
        Some(_) => {
            return Err(AppError::BadRequest(format!(
                "{key:?} is not an assessment"
            )));
        }
        None => return Err(AppError::NotFound),
    };
    let mut seed = [0u8; 8];
    getrandom::fill(&mut seed)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("random seed: {e}")))?;
    let paper = state
        .store
        .paper(
            &scope,
            org.id,
            a.id,
            &key,
            u64::from_le_bytes(seed),
            crate::when::now(),
        )
        .await?;
    Ok(Json(PaperView::new(a.id, paper, pass_percent)))
}

/// Answers to a paper.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubmission {
    /// For each question id, the option ids chosen (one for a single answer).
    #[schema(value_type = std::collections::BTreeMap<String, Vec<String>>)]
    pub answers: AnswerSheet,
}

/// Submits answers to a paper, marked on the server. A paper is marked once: submitting it again (a replay, a
/// second click) returns the first mark and changes nothing. A pass may complete the course, and the training
/// records are written in the same transaction.
#[utoipa::path(post, path = "/api/v1/organisations/{ods}/attempts/{attempt}/papers/{paper}/submission", tag = "learning",
    params(("ods" = String, Path, description = "ODS code"), ("attempt" = i64, Path, description = "The attempt's id"),
           ("paper" = i64, Path, description = "The paper's id")),
    request_body = NewSubmission,
    responses(
        (status = 200, description = "The mark, with feedback and the attempt after it", body = SubmissionView),
        (status = 400, description = "Answers to questions not on the paper, or a body that is not a submission", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller is not a learner here", body = ErrorBody),
        (status = 404, description = "No such attempt or paper of the caller's", body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, attempt, paper)): Path<(String, i64, i64)>,
    body: Result<Json<NewSubmission>, JsonRejection>,
) -> Result<Json<SubmissionView>, AppError> {
    // Access first, so a caller without it learns nothing from a malformed body.
    let (org, _, scope) = learner(&state, &caller, &ods).await?;
    let Json(body) = body.map_err(|e| {
        AppError::BadRequest(format!(
            "the body must be a JSON submission: {}",
            e.body_text()
        ))
    })?;
    let now = crate::when::now();
    let s = state
        .store
        .submit_paper(
            &scope,
            org.id,
            attempt,
            paper,
            &body.answers,
            At {
                now,
                today: org.today(now),
            },
        )
        .await?;
    Ok(Json(SubmissionView::new(org.ods_code.as_ref(), &s)))
}
