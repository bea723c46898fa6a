//! Views saved on the team view: a name for the unit, filters, order and layout in force, kept per account
//! (`lantern_store::SavedViewStore`) and listed above the table, so a manager's "Fire safety, overdue" or an L&D
//! admin's "Theatres, new starters" is one click away. Saving a name again replaces that view.

use super::super::PageResult;
use super::super::layout::Page;
use crate::views::team::{TeamRequest, query_string, select};
use crate::{AppError, AppState};
use axum::extract::{Path, RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_store::StoreError;

/// The page the team view's views are saved for.
pub const PAGE: &str = "team";
/// The longest name kept.
const MAX_NAME: usize = 60;

pub async fn save(
    State(state): State<AppState>,
    page: Page,
    RawForm(body): RawForm,
) -> PageResult<Response> {
    let TeamRequest { filter, .. } = TeamRequest::parse(&body)?;
    // The unit must be one the caller may open (403 or 404 otherwise, as for the view itself).
    let chosen = select(&state, &page.caller, filter.unit).await?;
    let name: String = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "view_name")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(AppError::BadRequest(format!(
            "Give the view a name of at most {MAX_NAME} characters, like \"Fire safety, overdue\", and save it again"
        ))
        .into());
    }
    let query = query_string(&filter.fields(chosen.unit));
    match state
        .store
        .save_view(
            page.caller.account.id,
            PAGE,
            &name,
            &query,
            chrono::Utc::now(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/team?{query}")).into_response()),
        Err(StoreError::Rejected(p)) => Err(AppError::BadRequest(
            p.into_iter()
                .map(|p| p.message)
                .collect::<Vec<_>>()
                .join("; "),
        )
        .into()),
        Err(e) => Err(e.into()),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    if !state
        .store
        .remove_view(page.caller.account.id, id, chrono::Utc::now())
        .await?
    {
        return Err(AppError::NotFound.into());
    }
    Ok(Redirect::to("/team").into_response())
}
