//! CSV import through the browser: all-or-nothing, with a downloadable report of every problem; the page explains
//! every column of each kind of file and offers a template of each to fill in (`template`).

use super::admin_org;
use crate::auth::sign_in::FieldError;
use crate::pages::layout::{Layout, Page};
use crate::pages::{PageError, PageResult};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequest, Multipart};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use lantern_store::StoreError;
use lantern_store::csv_import::{self, CsvKind};

/// The largest upload accepted through the browser (the command line takes up to 2 GB).
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;

#[derive(Template, WebTemplate)]
#[template(path = "admin_import.html")]
pub struct ImportPage {
    layout: Layout,
    ods: String,
    org_name: String,
    errors: Vec<FieldError>,
    /// The problems with an uploaded file, one per bad row and column.
    problems: Vec<lantern_store::BatchProblem>,
    /// The full report as a CSV data URL, for download.
    report_href: Option<String>,
    file_name: Option<String>,
    done: Option<String>,
}

impl ImportPage {
    /// Each kind of file with its columns, for the page's explanations: (code, heading, columns).
    fn kinds(&self) -> [(&'static str, &'static str, &'static [csv_import::Column]); 2] {
        [
            ("staff", "Staff and their posts", CsvKind::Staff.columns()),
            ("records", "Training records", CsvKind::Records.columns()),
        ]
    }
}

#[derive(serde::Deserialize)]
pub struct TemplateQuery {
    kind: Option<String>,
}

/// A CSV file to fill in: the kind's columns as the header row, and one example row.
pub async fn template(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    axum::extract::Query(q): axum::extract::Query<TemplateQuery>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let kind = q
        .kind
        .as_deref()
        .and_then(CsvKind::parse)
        .ok_or_else(|| AppError::BadRequest("kind must be staff or records".into()))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"lantern-{}-template.csv\"",
                    kind.code()
                ),
            ),
        ],
        csv_import::template(kind, ctx.org.ods_code.as_ref()),
    )
        .into_response())
}

pub async fn import_page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
) -> PageResult<ImportPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    Ok(ImportPage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        errors: Vec::new(),
        problems: Vec::new(),
        report_href: None,
        file_name: None,
        done: None,
    })
}

pub async fn import_submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    req: axum::extract::Request,
) -> PageResult<Response> {
    // The body is read only after the access check, so nobody else learns anything from how an upload is parsed.
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let mut multipart = Multipart::from_request(req, &state).await.map_err(|e| {
        AppError::BadRequest(format!("Upload the file with the form on this page ({e})"))
    })?;
    let mut kind = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut errors = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                errors.push(FieldError {
                    field: "file",
                    message: format!("The upload could not be read: {e}"),
                });
                break;
            }
        };
        match field.name() {
            Some("kind") => {
                kind = CsvKind::parse(&field.text().await.unwrap_or_default());
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.csv").to_owned();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(e) => errors.push(FieldError {
                        field: "file",
                        message: format!("The file could not be read: {e}"),
                    }),
                }
            }
            _ => {}
        }
    }
    if kind.is_none() {
        errors.push(FieldError {
            field: "kind-staff",
            message: "Choose what the file holds".into(),
        });
    }
    match &file {
        Some((_, b)) if b.is_empty() => errors.push(FieldError {
            field: "file",
            message: "The selected file is empty".into(),
        }),
        None => errors.push(FieldError {
            field: "file",
            message: "Select a CSV file".into(),
        }),
        _ => {}
    }
    let mut result = ImportPage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        errors: Vec::new(),
        problems: Vec::new(),
        report_href: None,
        file_name: file.as_ref().map(|f| f.0.clone()),
        done: None,
    };
    if !errors.is_empty() {
        result.errors = errors;
        return Ok((axum::http::StatusCode::BAD_REQUEST, result).into_response());
    }
    let (kind, (_, bytes)) = (kind.expect("checked"), file.expect("checked"));
    let parsed = tokio::task::spawn_blocking(move || csv_import::parse(kind, &bytes, &|_| {}))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let outcome = match parsed {
        Ok(mut batch) => {
            batch.only_org = Some(ctx.org.ods_code.to_string());
            match state.store.write(&batch).await {
                Ok(o) => Ok(o),
                Err(StoreError::Rejected(p)) => Err(p),
                Err(e) => return Err(PageError::from(e)),
            }
        }
        Err(problems) => Err(problems),
    };
    match outcome {
        Ok(o) => {
            tracing::info!(org = %ctx.org.ods_code, "browser import written");
            result.done = Some(csv_import::describe(&o));
            Ok(result.into_response())
        }
        Err(problems) => {
            let report = csv_import::report_csv(&problems);
            result.report_href = Some(format!(
                "data:text/csv;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(report.as_bytes())
            ));
            result.problems = problems;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, result).into_response())
        }
    }
}
