//! A new framework version through the browser: upload the file, see what it would change in this organisation
//! (`views::changes`), choose the transition and, as a platform admin, apply it to every organisation. An
//! organisation admin sees their own organisation's impact; nothing is applied until confirmed.

use crate::auth::sign_in::FieldError;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::views::changes::{self, ApplyError, DefaultView, OrgPreview, TransitionChoice};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, FromRequest, Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::access::Action;

/// The largest framework file accepted (the built-in CSTF file is about 12 kB).
pub const MAX_FRAMEWORK: usize = 1024 * 1024;

#[derive(Template, WebTemplate)]
#[template(path = "admin_framework.html")]
pub struct FrameworkPage {
    layout: Layout,
    ods: String,
    org_name: String,
    errors: Vec<FieldError>,
    /// May the caller apply (a platform admin), or only preview?
    may_apply: bool,
    defaults: Vec<DefaultView>,
    /// After an upload: the file and its preview for this organisation.
    file_name: String,
    text: String,
    title: String,
    effective_from: String,
    already_loaded: bool,
    preview: Option<OrgPreview>,
    form: TransitionForm,
}

impl FrameworkPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(serde::Deserialize, Default, Clone)]
pub struct TransitionForm {
    #[serde(default)]
    transition: String,
    #[serde(default)]
    transition_days: String,
    #[serde(default)]
    transition_until: String,
}

impl TransitionForm {
    fn choice(&self) -> Result<TransitionChoice, FieldError> {
        TransitionChoice::parse(
            &self.transition,
            &self.transition_days,
            &self.transition_until,
        )
        .map_err(|(field, message)| FieldError { field, message })
    }

    fn is(&self, v: &str) -> bool {
        self.transition == v || (v == "default" && self.transition.is_empty())
    }
}

async fn org_for(
    state: &AppState,
    page: &Page,
    ods: &str,
) -> Result<lantern_domain::Organisation, AppError> {
    let scope = page.caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    page.caller.require(Action::PreviewChange(org.id))?;
    Ok(org)
}

fn empty(page: Page, org: &lantern_domain::Organisation) -> FrameworkPage {
    FrameworkPage {
        may_apply: page.caller.may(Action::ApplyFramework),
        layout: page.layout,
        ods: org.ods_code.to_string(),
        org_name: org.name.clone(),
        errors: Vec::new(),
        defaults: changes::defaults(),
        file_name: String::new(),
        text: String::new(),
        title: String::new(),
        effective_from: String::new(),
        already_loaded: false,
        preview: None,
        form: TransitionForm::default(),
    }
}

pub async fn framework_page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
) -> PageResult<FrameworkPage> {
    let org = org_for(&state, &page, &ods).await?;
    Ok(empty(page, &org))
}

/// Fills the page with the preview of `text` under `form`'s transition, or the problems.
async fn previewed(
    state: &AppState,
    mut out: FrameworkPage,
    caller: &crate::auth::Caller,
    file_name: String,
    text: String,
    form: TransitionForm,
) -> Result<FrameworkPage, AppError> {
    out.file_name = file_name;
    out.text = text;
    out.form = form.clone();
    let choice = match form.choice() {
        Ok(c) => c,
        Err(e) => {
            out.errors.push(e);
            return Ok(out);
        }
    };
    if out.text.trim().is_empty() {
        out.errors.push(FieldError {
            field: "file",
            message: "Select a framework file (TOML, as in frameworks/)".into(),
        });
        return Ok(out);
    }
    match changes::preview_framework(
        state,
        caller,
        &out.ods.clone(),
        &out.file_name,
        &out.text,
        choice,
    )
    .await
    {
        Ok(Ok(p)) => {
            out.title = format!("{} {}", p.name, p.version);
            out.effective_from = p.effective_from.to_string();
            out.already_loaded = p.already_loaded;
            out.preview = p.organisations.into_iter().next();
        }
        Ok(Err((field, message))) => out.errors.push(FieldError { field, message }),
        Err(AppError::BadRequest(message)) => out.errors.push(FieldError {
            field: "file",
            message,
        }),
        Err(e) => return Err(e),
    }
    Ok(out)
}

pub async fn framework_preview(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    req: axum::extract::Request,
) -> PageResult<Response> {
    // The body is read only after the access check.
    let org = org_for(&state, &page, &ods).await?;
    let mut multipart = Multipart::from_request(req, &state).await.map_err(|e| {
        AppError::BadRequest(format!("Upload the file with the form on this page ({e})"))
    })?;
    let mut form = TransitionForm::default();
    let mut file_name = "framework.toml".to_owned();
    let mut text = String::new();
    let mut errors = Vec::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name().unwrap_or_default() {
            "file" => {
                file_name = field.file_name().unwrap_or("framework.toml").to_owned();
                match field.text().await {
                    Ok(t) => text = t,
                    Err(e) => errors.push(FieldError {
                        field: "file",
                        message: format!("The file could not be read as text: {e}"),
                    }),
                }
            }
            "transition" => form.transition = field.text().await.unwrap_or_default(),
            "transition_days" => form.transition_days = field.text().await.unwrap_or_default(),
            "transition_until" => form.transition_until = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    let caller = page.caller.clone();
    let mut out = empty(page, &org);
    if !errors.is_empty() {
        out.errors = errors;
        return Ok((axum::http::StatusCode::BAD_REQUEST, out).into_response());
    }
    let out = previewed(&state, out, &caller, file_name, text, form).await?;
    let status = if out.errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::BAD_REQUEST
    };
    Ok((status, out).into_response())
}

#[derive(serde::Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    file_name: String,
    #[serde(default)]
    text: String,
    #[serde(flatten)]
    transition: TransitionForm,
}

pub async fn framework_apply(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<ApplyForm>,
) -> PageResult<Response> {
    let org = org_for(&state, &page, &ods).await?;
    page.caller.require(Action::ApplyFramework)?;
    let choice = form.transition.choice();
    let result = match choice {
        Ok(choice) => {
            changes::apply_framework(&state, &page.caller, &form.file_name, &form.text, choice)
                .await
        }
        Err(e) => Err(ApplyError::Refused(vec![(e.field.to_owned(), e.message)])),
    };
    let problems = match result {
        Ok(applied) => {
            let to = format!(
                "/orgs/{}/changes?saved={}",
                org.ods_code,
                super::urlencode(&format!(
                    "{} {} applied to {} organisations",
                    applied.framework,
                    applied.version,
                    applied.organisations.len()
                ))
            );
            return Ok(Redirect::to(&to).into_response());
        }
        Err(ApplyError::Refused(p)) => p,
        Err(ApplyError::Other(AppError::BadRequest(m))) => vec![("file".to_owned(), m)],
        Err(ApplyError::Other(e)) => return Err(e.into()),
    };
    let caller = page.caller.clone();
    let out = empty(page, &org);
    let mut out = previewed(
        &state,
        out,
        &caller,
        form.file_name,
        form.text,
        form.transition,
    )
    .await?;
    for (field, message) in problems {
        let field = match field.as_str() {
            "transition_days" => "transition_days",
            "transition_until" => "transition_until",
            "transition" => "transition",
            _ => "file",
        };
        out.errors.push(FieldError { field, message });
    }
    Ok((axum::http::StatusCode::BAD_REQUEST, out).into_response())
}

/// Bars for the compliance chart: (label, percent text, width out of 300).
pub fn bars(p: &OrgPreview) -> Vec<(&'static str, String, u32)> {
    let s = &p.summary;
    [
        ("Now", s.before_percent),
        (
            "With the change, no transition",
            s.without_transition_percent,
        ),
        (
            "With the change and the transition",
            s.with_transition_percent,
        ),
    ]
    .into_iter()
    .map(|(label, v)| {
        (
            label,
            v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}%")),
            v.map_or(0, |v| (v * 3.0).round() as u32),
        )
    })
    .collect()
}
