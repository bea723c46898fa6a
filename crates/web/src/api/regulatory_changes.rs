//! A new framework version through the API: its preview for one organisation, applying it (platform admins: it
//! reaches every organisation), and an organisation's changes. The twins of the admin framework page and the
//! changes page (`views::changes`).

use super::ErrorBody;
use super::organisation_rules::{FieldProblem, VersionProblems};
use crate::views::changes::{
    self, Applied, ApplyError, ChangesView, FrameworkPreview, TransitionChoice,
};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantern_domain::access::Action;
use serde::Deserialize;
use utoipa::ToSchema;

/// A framework file and the transition to preview or apply it with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FrameworkRequest {
    /// The file's name, for messages (default "framework.toml").
    pub file_name: Option<String>,
    /// The framework file's text (TOML, as in frameworks/).
    pub text: String,
    /// "default" (per kind of change; the default), "none", "days" or "until".
    pub transition: Option<String>,
    /// With "days": the transition in days from the later of the effective date and today.
    pub transition_days: Option<u32>,
    /// With "until": the transition's last day.
    pub transition_until: Option<chrono::NaiveDate>,
}

impl FrameworkRequest {
    fn choice(&self) -> Result<TransitionChoice, (&'static str, String)> {
        TransitionChoice::parse(
            self.transition.as_deref().unwrap_or("default"),
            &self
                .transition_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
            &self
                .transition_until
                .map(|d| d.to_string())
                .unwrap_or_default(),
        )
    }

    fn name(&self) -> &str {
        self.file_name.as_deref().unwrap_or("framework.toml")
    }
}

fn problems(error: &str, list: Vec<(String, String)>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(VersionProblems {
            error: error.to_owned(),
            problems: list
                .into_iter()
                .map(|(field, message)| FieldProblem { field, message })
                .collect(),
        }),
    )
        .into_response()
}

fn body_of(
    body: Result<Json<FrameworkRequest>, JsonRejection>,
) -> Result<FrameworkRequest, AppError> {
    body.map(|Json(b)| b).map_err(|e| {
        AppError::BadRequest(format!(
            "the body must be a JSON framework request: {}",
            e.body_text()
        ))
    })
}

/// What a framework file would change in the organisation: rules added, removed and changed, people newly in
/// scope by unit and staff group, records that stop counting, and compliance on the effective date with and without
/// the transition. Nothing is applied. Organisation admins (their own organisation) and platform admins.
#[utoipa::path(post, path = "/api/v1/organisations/{ods}/framework-preview", tag = "rules",
    params(("ods" = String, Path, description = "ODS code")),
    request_body = FrameworkRequest,
    responses(
        (status = 200, description = "The preview for this organisation", body = FrameworkPreview),
        (status = 400, description = "Not a framework file, or a bad transition: the problem names its field", body = VersionProblems),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's role does not allow this", body = ErrorBody),
        (status = 404, description = "No such organisation, or not visible to the caller", body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path(ods): Path<String>,
    body: Result<Json<FrameworkRequest>, JsonRejection>,
) -> Result<Response, AppError> {
    // Access first: a caller without it learns nothing from a malformed body.
    let org = state.store.org_by_code(&caller.scope(), &ods).await?;
    caller.require(Action::PreviewChange(org.id))?;
    let body = body_of(body)?;
    let choice = match body.choice() {
        Ok(c) => c,
        Err((f, m)) => return Ok(problems("not previewed", vec![(f.to_owned(), m)])),
    };
    match changes::preview_framework(&state, &caller, &ods, body.name(), &body.text, choice).await {
        Ok(Ok(p)) => Ok(Json(p).into_response()),
        Ok(Err((f, m))) => Ok(problems("not previewed", vec![(f.to_owned(), m)])),
        Err(AppError::BadRequest(m)) => Ok(problems("not previewed", vec![("text".into(), m)])),
        Err(e) => Err(e),
    }
}

/// Applies a framework file to every organisation, all-or-nothing, with the transition; people it makes due and
/// their managers are emailed once. A version loaded before is refused. Platform admins only.
#[utoipa::path(post, path = "/api/v1/frameworks", tag = "rules",
    request_body = FrameworkRequest,
    responses(
        (status = 201, description = "Applied: each organisation's change", body = Applied),
        (status = 400, description = "Refused and nothing written: each problem names its field", body = VersionProblems),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Only a platform admin applies a framework", body = ErrorBody)))]
pub async fn apply(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    body: Result<Json<FrameworkRequest>, JsonRejection>,
) -> Result<Response, AppError> {
    caller.require(Action::ApplyFramework)?;
    let body = body_of(body)?;
    let choice = match body.choice() {
        Ok(c) => c,
        Err((f, m)) => return Ok(problems("not applied", vec![(f.to_owned(), m)])),
    };
    match changes::apply_framework(&state, &caller, body.name(), &body.text, choice).await {
        Ok(applied) => Ok((StatusCode::CREATED, Json(applied)).into_response()),
        Err(ApplyError::Refused(p)) => Ok(problems("not applied; nothing was written", p)),
        Err(ApplyError::Other(AppError::BadRequest(m))) => Ok(problems(
            "not applied; nothing was written",
            vec![("text".into(), m)],
        )),
        Err(ApplyError::Other(e)) => Err(e),
    }
}

/// The organisation's regulatory changes, newest first: who applied each and when, its effective date and
/// transition, and the preview's summary as confirmed. Organisation admins and auditors.
#[utoipa::path(get, path = "/api/v1/organisations/{ods}/changes", tag = "rules",
    params(("ods" = String, Path, description = "ODS code")),
    responses(
        (status = 200, description = "The changes", body = ChangesView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's role does not allow this", body = ErrorBody),
        (status = 404, description = "No such organisation, or not visible to the caller", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path(ods): Path<String>,
) -> Result<Json<ChangesView>, AppError> {
    Ok(Json(changes::changes(&state, &caller, &ods).await?))
}
