//! The auditor's point-in-time report: a page stating what it covers, when it was generated and the content hash,
//! with the counts per requirement, and the downloads (CSV streamed, XLSX, PDF).

use super::PageResult;
use super::layout::{Layout, Page};
use crate::report::{self, CSV_SLICE, Report};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use lantern_domain::UnitId;
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub struct ReportQuery {
    as_at: Option<String>,
    /// The report as Lantern had recorded things at this instant (RFC 3339, or a date meaning the end of that day).
    known_at: Option<String>,
    unit: Option<String>,
}

impl ReportQuery {
    fn parse(&self) -> Result<(crate::when::AsAt, Option<UnitId>), AppError> {
        let as_at = crate::when::AsAt::parse(self.as_at.as_deref(), self.known_at.as_deref())?;
        let unit = match self.unit.as_deref().filter(|u| !u.is_empty()) {
            None => None,
            Some(u) => Some(UnitId(u.parse().map_err(|_| {
                AppError::BadRequest(format!("unit must be a unit id, not {u:?}"))
            })?)),
        };
        Ok((as_at, unit))
    }

    /// The report this query asks for, as the caller may see it.
    async fn build(&self, state: &AppState, page: &Page, ods: &str) -> Result<Report, AppError> {
        let (when, unit) = self.parse()?;
        report::build(state, &page.caller, ods, when, unit).await
    }

    fn query_string(&self, r: &Report) -> String {
        let mut q = format!("as_at={}", r.as_at);
        if let Some(k) = r.known_at {
            q.push_str(&format!(
                "&known_at={}",
                k.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            ));
        }
        if let Some((id, _)) = &r.unit {
            q.push_str(&format!("&unit={id}"));
        }
        q
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "report.html")]
pub struct ReportPage {
    layout: Layout,
    report: Report,
    query: String,
    today: chrono::NaiveDate,
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(q): Query<ReportQuery>,
) -> PageResult<ReportPage> {
    let report = q.build(&state, &page, &ods).await?;
    Ok(ReportPage {
        layout: page.layout,
        query: q.query_string(&report),
        today: report.today,
        report,
    })
}

fn attachment(
    r: &Report,
    ext: &str,
    content_type: &'static str,
) -> [(header::HeaderName, String); 3] {
    [
        (header::CONTENT_TYPE, content_type.to_owned()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.{ext}\"", r.file_stem()),
        ),
        (
            header::HeaderName::from_static("x-content-sha256"),
            r.sha256.clone(),
        ),
    ]
}

/// The CSV, streamed a thousand people at a time.
pub async fn csv(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    let report = Arc::new(q.build(&state, &page, &ods).await?);
    let headers = attachment(&report, "csv", "text/csv; charset=utf-8");
    let pieces = report.rows.len().div_ceil(CSV_SLICE);
    let header_bytes = Bytes::from(report.csv_header());
    let body =
        futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(header_bytes) })
            .chain(futures_util::stream::iter(0..pieces).map(move |i| {
                let end = ((i + 1) * CSV_SLICE).min(report.rows.len());
                Ok(Bytes::from(
                    report.csv_rows(&report.rows[i * CSV_SLICE..end]),
                ))
            }));
    Ok((headers, Body::from_stream(body)).into_response())
}

pub async fn xlsx(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    let report = q.build(&state, &page, &ods).await?;
    let headers = attachment(
        &report,
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    );
    let bytes = tokio::task::spawn_blocking(move || report.xlsx())
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(AppError::Internal)?;
    Ok((headers, bytes).into_response())
}

pub async fn pdf(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    let report = q.build(&state, &page, &ods).await?;
    let headers = attachment(&report, "pdf", "application/pdf");
    let bytes = tokio::task::spawn_blocking(move || report.pdf())
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(AppError::Internal)?;
    Ok((headers, bytes).into_response())
}
