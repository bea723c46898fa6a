//! How errors become HTTP responses.
//!
//! - `StoreError::NotFound` (absent, or outside the caller's scope: they cannot tell which) becomes 404.
//! - Signed out: 401 from the API; pages send the visitor to sign in instead.
//! - A role that does not allow the action, in an organisation where the caller holds one: 403.
//! - Bad query parameters become 400 with a message naming the parameter.
//! - Anything else is logged with its cause chain and becomes a 500 that reveals nothing.
//!
//! The API answers JSON `{"error": "..."}`; pages answer an NHS.UK-styled page (see `pages`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantern_store::StoreError;

#[derive(Debug)]
pub enum AppError {
    Unauthenticated,
    Forbidden(String),
    NotFound,
    BadRequest(String),
    Internal(anyhow::Error),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated => {
                "Sign in first: send the session cookie from /sign-in.".to_owned()
            }
            AppError::Forbidden(m) => m.clone(),
            AppError::NotFound => "Not found".to_owned(),
            AppError::BadRequest(m) => m.clone(),
            AppError::Internal(_) => {
                "Something went wrong on our side. It has been logged.".to_owned()
            }
        }
    }

    fn log(&self) {
        if let AppError::Internal(e) = self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            // The store refused a write for reasons it names (a field and why): the request was wrong, and the
            // caller is told exactly how, never "something went wrong".
            StoreError::Rejected(problems) => AppError::BadRequest(
                problems
                    .iter()
                    .map(|p| format!("{}: {}", p.field, p.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => AppError::Internal(other.into()),
        }
    }
}

/// API errors: JSON bodies.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        (
            self.status(),
            axum::Json(serde_json::json!({ "error": self.message() })),
        )
            .into_response()
    }
}

/// Parses an optional date query parameter ("" counts as absent), naming the parameter in the error.
pub fn parse_date(name: &str, value: Option<&str>) -> Result<Option<chrono::NaiveDate>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            AppError::BadRequest(format!("{name} must be a date like 2025-03-31, not {v:?}"))
        }),
    }
}
