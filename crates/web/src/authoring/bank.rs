//! The bank editor (questions tagged by learning outcome: single answer, multiple answer, true/false, with feedback
//! per option and an explanation), importing questions from CSV or IMS QTI 2.1 choice items into a draft, and the
//! CSV export of a published bank.

use super::bank_form::{BankForm, QuestionRow, valid_code};
use super::{Fields, Problem, author_org};
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, FromRequest, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::Organisation;
use lantern_learning::assessment::Question;
use lantern_store::StoreError;
use lantern_store::learning::authoring::DraftKind;

#[derive(Template, WebTemplate)]
#[template(path = "authoring_bank.html")]
pub struct BankEditor {
    layout: Layout,
    ods: String,
    org_name: String,
    form: BankForm,
    existing: bool,
    published: Option<u32>,
    errors: Vec<Problem>,
    saved: Option<String>,
}

impl BankEditor {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn qerr(&self, i: &usize, name: &str) -> Option<&str> {
        self.error(&format!("q{i}_{name}"))
    }

    fn same(&self, a: impl AsRef<str>, b: impl AsRef<str>) -> bool {
        a.as_ref() == b.as_ref()
    }

    fn kinds(&self) -> [(&'static str, &'static str); 3] {
        [
            ("single", "Single answer: one option is right"),
            (
                "multiple",
                "Multiple answer: all the right options, and only them",
            ),
            ("true_false", "True or false"),
        ]
    }
}

#[derive(serde::Deserialize, Default)]
pub struct EditorQuery {
    code: Option<String>,
    saved: Option<String>,
}

/// The bank as the author last left it: the latest draft when newer than the published version. Returns the form
/// and the published version number.
async fn latest(
    state: &AppState,
    org: &Organisation,
    code: &str,
) -> Result<(Option<BankForm>, Option<u32>), AppError> {
    let published = match state.store.bank(org.id, code).await {
        Ok(b) => Some(b),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let draft = state
        .store
        .drafts(org.id, DraftKind::Bank)
        .await?
        .into_iter()
        .find(|d| d.code == code);
    let version = published.as_ref().map(|p| p.version);
    let form = match (draft, published) {
        (Some(d), p) if p.as_ref().is_none_or(|p| d.saved_at > p.published_at) => {
            serde_json::from_str::<Vec<Question>>(&d.body)
                .ok()
                .map(|q| BankForm::from_questions(code, &q))
        }
        (_, Some(p)) => Some(BankForm::from_questions(code, &p.questions)),
        (_, None) => None,
    };
    Ok((form, version))
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(q): Query<EditorQuery>,
) -> PageResult<BankEditor> {
    let org = author_org(&state, &page.caller, &ods).await?;
    let (form, published, existing) = match q.code.filter(|c| !c.is_empty()) {
        None => (
            BankForm {
                code: String::new(),
                questions: vec![QuestionRow::blank(1)],
            },
            None,
            false,
        ),
        Some(code) => {
            let (form, published) = latest(&state, &org, &code).await?;
            (form.ok_or(AppError::NotFound)?, published, true)
        }
    };
    Ok(BankEditor {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        org_name: org.name.clone(),
        form,
        existing,
        published,
        errors: Vec::new(),
        saved: q.saved,
    })
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let org = author_org(&state, &page.caller, &ods).await?;
    let fields = Fields::new(pairs);
    let mut form = BankForm::from_fields(&fields);
    let existing = fields.get("existing") == "yes";
    let action = fields.get("action").to_owned();
    let published = match state.store.bank(org.id, &form.code).await {
        Ok(b) => Some(b.version),
        Err(_) => None,
    };
    let render = |form, errors: Vec<Problem>, status: StatusCode| {
        (
            status,
            BankEditor {
                layout: page.layout,
                ods: org.ods_code.to_string(),
                org_name: org.name.clone(),
                form,
                existing,
                published,
                errors,
                saved: None,
            },
        )
            .into_response()
    };
    if action == "add_question" {
        form.questions
            .push(QuestionRow::blank(form.questions.len() + 1));
        return Ok(render(form, Vec::new(), StatusCode::OK));
    }
    let (questions, mut problems) = form.to_questions();
    if !valid_code(&form.code) {
        problems.insert(
            0,
            Problem::new(
                "code",
                "Enter a bank code of lower-case letters, digits and dashes, for example fire-safety",
            ),
        );
    } else if !existing && latest(&state, &org, &form.code).await?.0.is_some() {
        problems.insert(
            0,
            Problem::new(
                "code",
                format!(
                    "The code {:?} is already used by a bank here: choose another, or edit that bank",
                    form.code
                ),
            ),
        );
    }
    match action.as_str() {
        "save" => {
            // A draft may be unfinished: only its code must be right.
            problems.retain(|p| p.field == "code");
            if !problems.is_empty() {
                return Ok(render(form, problems, StatusCode::BAD_REQUEST));
            }
            let body = serde_json::to_string(&questions)
                .map_err(|e| crate::AppError::Internal(e.into()))?;
            state
                .store
                .save_draft(
                    org.id,
                    DraftKind::Bank,
                    &form.code,
                    &body,
                    Some(page.caller.account.id),
                    chrono::Utc::now(),
                )
                .await?;
            Ok(to_editor(&org, &form.code, "Draft saved"))
        }
        "publish" => {
            if !problems.is_empty() {
                return Ok(render(form, problems, StatusCode::BAD_REQUEST));
            }
            match state
                .store
                .publish_bank(
                    org.id,
                    Some(page.caller.account.id),
                    chrono::Utc::now(),
                    &form.code,
                    &questions,
                )
                .await
            {
                Ok(version) => Ok(Redirect::to(&format!(
                    "/orgs/{}/authoring?saved={}",
                    org.ods_code,
                    crate::pages::admin::urlencode(&format!(
                        "Bank {} published as version {version}",
                        form.code
                    ))
                ))
                .into_response()),
                Err(StoreError::Rejected(p)) => {
                    let problems = p
                        .into_iter()
                        .map(|p| {
                            Problem::new(format!("q{}_stem", p.line.saturating_sub(1)), p.message)
                        })
                        .collect();
                    Ok(render(form, problems, StatusCode::BAD_REQUEST))
                }
                Err(e) => Err(e.into()),
            }
        }
        other => Err(AppError::BadRequest(format!(
            "{other:?} is not something the bank editor does: use its buttons"
        ))
        .into()),
    }
}

fn to_editor(org: &Organisation, code: &str, saved: &str) -> Response {
    super::to_editor(org, "bank", code, saved)
}

#[derive(Template, WebTemplate)]
#[template(path = "authoring_import.html")]
pub struct ImportPage {
    layout: Layout,
    ods: String,
    org_name: String,
    banks: Vec<String>,
    code: String,
    outcome: String,
    errors: Vec<Problem>,
    /// Every problem in the files, by file, row or line, and column.
    problems: Vec<String>,
}

impl ImportPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

pub async fn import_page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
) -> PageResult<ImportPage> {
    let org = author_org(&state, &page.caller, &ods).await?;
    Ok(ImportPage {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        org_name: org.name.clone(),
        banks: state
            .store
            .banks(org.id)
            .await?
            .into_iter()
            .map(|b| b.code)
            .collect(),
        code: String::new(),
        outcome: String::new(),
        errors: Vec::new(),
        problems: Vec::new(),
    })
}

/// Questions from CSV files (a whole bank each) and QTI 2.1 choice items (one question each, for the learning
/// outcome given), added to the bank's draft: a question with the same id is replaced. All or nothing: any problem in
/// any file and nothing is taken.
pub async fn import_submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    req: axum::extract::Request,
) -> PageResult<Response> {
    let org = author_org(&state, &page.caller, &ods).await?;
    let mut multipart = Multipart::from_request(req, &state).await.map_err(|e| {
        AppError::BadRequest(format!("Upload the files with the form on this page ({e})"))
    })?;
    let (mut code, mut outcome) = (String::new(), String::new());
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?
    {
        match field.name() {
            Some("code") => code = field.text().await.unwrap_or_default().trim().to_owned(),
            Some("outcome") => outcome = field.text().await.unwrap_or_default().trim().to_owned(),
            Some("files") => {
                let name = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(|e| {
                    AppError::BadRequest(format!("The upload could not be read: {e}"))
                })?;
                if !bytes.is_empty() || !name.is_empty() {
                    files.push((name, bytes.to_vec()));
                }
            }
            _ => {}
        }
    }
    let mut errors = Vec::new();
    let mut problems = Vec::new();
    if !valid_code(&code) {
        errors.push(Problem::new(
            "code",
            "Enter the code of the bank to import into, for example fire-safety",
        ));
    }
    if files.is_empty() {
        errors.push(Problem::new("files", "Choose one or more CSV or QTI files"));
    }
    let mut imported: Vec<Question> = Vec::new();
    for (name, bytes) in &files {
        let xml = name.to_ascii_lowercase().ends_with(".xml")
            || bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
        if xml {
            if outcome.is_empty() {
                errors.push(Problem::new(
                    "outcome",
                    "Enter the learning outcome the QTI items test (QTI items do not say)",
                ));
                continue;
            }
            match lantern_learning::qti::parse_choice_item(bytes, &outcome) {
                Ok(q) => imported.push(q),
                Err(e) => problems.push(format!("{name}: {e}")),
            }
        } else {
            match lantern_learning::bank_csv::import(bytes) {
                Ok(qs) => imported.extend(qs),
                Err(ps) => problems.extend(ps.into_iter().map(|p| format!("{name}: {p}"))),
            }
        }
    }
    if errors.is_empty() && problems.is_empty() {
        let mut questions: Vec<Question> = match latest(&state, &org, &code).await?.0 {
            Some(form) => form.to_questions().0,
            None => Vec::new(),
        };
        let count = imported.len();
        for q in imported {
            match questions.iter_mut().find(|x| x.id == q.id) {
                Some(x) => *x = q,
                None => questions.push(q),
            }
        }
        let body =
            serde_json::to_string(&questions).map_err(|e| crate::AppError::Internal(e.into()))?;
        state
            .store
            .save_draft(
                org.id,
                DraftKind::Bank,
                &code,
                &body,
                Some(page.caller.account.id),
                chrono::Utc::now(),
            )
            .await?;
        return Ok(to_editor(
            &org,
            &code,
            &format!("{count} questions imported into the draft: check them, then publish"),
        ));
    }
    errors.dedup();
    Ok((
        StatusCode::BAD_REQUEST,
        ImportPage {
            layout: page.layout,
            ods: org.ods_code.to_string(),
            org_name: org.name.clone(),
            banks: state
                .store
                .banks(org.id)
                .await?
                .into_iter()
                .map(|b| b.code)
                .collect(),
            code,
            outcome,
            errors,
            problems,
        },
    )
        .into_response())
}

/// The published bank as CSV, in the columns import reads (docs/authoring.md).
pub async fn export(
    State(state): State<AppState>,
    page: Page,
    Path((ods, code)): Path<(String, String)>,
) -> PageResult<Response> {
    let org = author_org(&state, &page.caller, &ods).await?;
    let bank = state.store.bank(org.id, &code).await?;
    let csv = lantern_learning::bank_csv::export(&bank.questions);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"bank-{}-v{}.csv\"",
                    bank.code, bank.version
                ),
            ),
        ],
        csv,
    )
        .into_response())
}
