//! Publishing a course and a question bank: the JSON twins of the course and bank editors' "Publish". The same
//! checks apply (the course's own, banks that exist, prerequisites that make no cycle; every question), and a refusal
//! names each problem's field.

use super::ErrorBody;
use super::organisation_rules::FieldProblem;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantern_domain::access::Action;
use lantern_learning::assessment::Question;
use lantern_learning::course::CourseVersion;
use lantern_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// A version just published.
#[derive(Debug, Serialize, ToSchema)]
pub struct Published {
    pub code: String,
    pub version: u32,
}

/// Why nothing was published: each problem names its field (for a bank, `line` is the question's place, from 1).
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishProblems {
    pub error: String,
    pub problems: Vec<FieldProblem>,
}

/// The organisation, if the caller may author there; the body is read only after that.
async fn author(
    state: &AppState,
    caller: &crate::auth::Caller,
    ods: &str,
) -> Result<lantern_domain::Organisation, AppError> {
    let org = state.store.org_by_code(&caller.scope(), ods).await?;
    caller.require(Action::Author(org.id))?;
    Ok(org)
}

fn refused(
    problems: Vec<lantern_store::BatchProblem>,
    field_of: impl Fn(&lantern_store::BatchProblem) -> String,
) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(PublishProblems {
            error: "nothing was published".into(),
            problems: problems
                .iter()
                .map(|p| FieldProblem {
                    field: field_of(p),
                    message: p.message.clone(),
                })
                .collect(),
        }),
    )
        .into_response()
}

/// Publishes a course's next version (the first creates the course). The body is a course as the course files
/// under `courses/` describe one, in JSON: `code`, `title`, `summary`, `satisfies` ([{subject, level}]), `order`
/// (`in_order` or `free`), `modules` ([{key, title, kind: lesson|assessment|..., required, estimated_minutes, and the
/// kind's own fields: `markdown`; `bank` and `rules`}]) and `prerequisites` (course codes).
#[utoipa::path(post, path = "/api/v1/organisations/{ods}/courses", tag = "authoring",
    params(("ods" = String, Path, description = "ODS code, e.g. RJ1")),
    request_body(content = serde_json::Value, description = "A course version"),
    responses(
        (status = 201, description = "The version published", body = Published),
        (status = 400, description = "Not a course that may be published: each problem names its field", body = PublishProblems),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's role does not allow this", body = ErrorBody),
        (status = 404, description = "No such organisation, or not visible to the caller", body = ErrorBody)))]
pub async fn publish_course(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path(ods): Path<String>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response, AppError> {
    let org = author(&state, &caller, &ods).await?;
    let Json(value) = body.map_err(|e| {
        AppError::BadRequest(format!("the body must be a JSON course: {}", e.body_text()))
    })?;
    let course: CourseVersion = serde_json::from_value(value)
        .map_err(|e| AppError::BadRequest(format!("the body is not a course: {e}")))?;
    if let Err(problems) = course.check() {
        let problems = problems
            .into_iter()
            .map(|p| lantern_store::BatchProblem {
                line: 1,
                field: p.field,
                message: p.reason,
            })
            .collect();
        return Ok(refused(problems, |p| p.field.clone()));
    }
    match state
        .store
        .publish_course(org.id, Some(caller.account.id), chrono::Utc::now(), &course)
        .await
    {
        Ok(entry) => Ok((
            StatusCode::CREATED,
            Json(Published {
                code: entry.course.code,
                version: entry.course.version,
            }),
        )
            .into_response()),
        Err(StoreError::Rejected(p)) => Ok(refused(p, |p| p.field.clone())),
        Err(e) => Err(e.into()),
    }
}

/// A bank's questions.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankBody {
    /// Each question: `id`, `outcome` (the learning outcome), `kind` (`single_answer`, `multiple_answer`,
    /// `true_false`), `stem`, `options` ([{id, text, correct, feedback}]) and `explanation`.
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<serde_json::Value>,
}

/// Publishes a question bank's next version (the first creates the bank). Every question must be one that can be
/// asked and marked.
#[utoipa::path(post, path = "/api/v1/organisations/{ods}/banks/{code}", tag = "authoring",
    params(("ods" = String, Path, description = "ODS code, e.g. RJ1"), ("code" = String, Path, description = "The bank's code")),
    request_body = BankBody,
    responses(
        (status = 201, description = "The version published", body = Published),
        (status = 400, description = "Not a bank that may be published: each problem names its question", body = PublishProblems),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's role does not allow this", body = ErrorBody),
        (status = 404, description = "No such organisation, or not visible to the caller", body = ErrorBody)))]
pub async fn publish_bank(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, code)): Path<(String, String)>,
    body: Result<Json<BankBody>, JsonRejection>,
) -> Result<Response, AppError> {
    let org = author(&state, &caller, &ods).await?;
    let Json(body) = body.map_err(|e| {
        AppError::BadRequest(format!("the body must be a JSON bank: {}", e.body_text()))
    })?;
    if !crate::authoring::valid_code(&code) {
        return Err(AppError::BadRequest(format!(
            "{code:?} is not a bank code: use lower-case letters, digits and dashes"
        )));
    }
    let mut questions: Vec<Question> = Vec::new();
    for (i, q) in body.questions.into_iter().enumerate() {
        questions.push(serde_json::from_value(q).map_err(|e| {
            AppError::BadRequest(format!("questions[{}] is not a question: {e}", i + 1))
        })?);
    }
    match state
        .store
        .publish_bank(
            org.id,
            Some(caller.account.id),
            chrono::Utc::now(),
            &code,
            &questions,
        )
        .await
    {
        Ok(version) => Ok((StatusCode::CREATED, Json(Published { code, version })).into_response()),
        Err(StoreError::Rejected(p)) => Ok(refused(p, |p| format!("questions[{}]", p.line))),
        Err(e) => Err(e.into()),
    }
}
