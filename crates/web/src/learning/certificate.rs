//! A learner's certificate for a completed attempt, as a PDF download. Only their own attempts (the store's scope
//! is the learner's person), and only complete ones.

use super::learner;
use crate::pages::PageResult;
use crate::pages::layout::Page;
use crate::report::pdf::certificate::Certificate;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use lantern_learning::course::Mode;

pub async fn download(
    State(state): State<AppState>,
    page: Page,
    Path((ods, attempt)): Path<(String, i64)>,
) -> PageResult<Response> {
    let (org, person, scope) = learner(&state, &page.caller, &ods).await?;
    let attempt = state.store.attempt(&scope, org.id, attempt).await?;
    let Some(completed_at) = attempt.completed_at else {
        return Err(AppError::BadRequest(
            "This attempt is not complete yet, so it has no certificate.".into(),
        )
        .into());
    };
    let who = state.store.person(&scope, org.id, person).await?;
    let ctx = state
        .read_model
        .context(state.store.as_ref(), &scope, org.id)
        .await?;
    let titles = crate::views::titles(&ctx.rules, None);
    let requirements = attempt
        .course
        .satisfies
        .iter()
        .map(|s| {
            let title = titles
                .get(&(s.subject.clone(), s.level))
                .map_or(s.subject.as_str(), |t| t.0.as_str());
            format!("{title} level {}", s.level)
        })
        .collect();
    let certificate = Certificate {
        name: who.person.display_name(),
        employee_number: who.person.employee_number.clone(),
        course_title: attempt.course.title.clone(),
        course_version: attempt.course.version,
        requirements,
        completed_on: org.today(completed_at),
        tested_out: attempt.mode == Mode::TestOut,
        org_name: org.name.clone(),
        ods_code: org.ods_code.to_string(),
        reference: attempt.reference(),
        generated_at: crate::when::now(),
    };
    let bytes = tokio::task::spawn_blocking(move || certificate.pdf())
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(AppError::Internal)?;
    let file = format!(
        "certificate-{}-attempt-{}.pdf",
        attempt.course.code, attempt.id
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
