//! Authoring in the browser, under `/orgs/{ods}/authoring`: the organisation's courses and question banks, built,
//! previewed and published without touching a file. One file a page:
//! - `list`: the courses and banks, drafts and published versions, and courses other organisations share;
//! - `course` (with `course_form`, the form to and from a course): the course editor, its preview and publishing;
//! - `bank` (with `bank_form`): the bank editor, CSV import and export, and IMS QTI 2.1 choice item import;
//! - `statistics`: a bank's item statistics (facility, discrimination, flags), drawn as bars;
//! - `images`: lesson images, uploaded (checked by their content) and served;
//! - `sharing`: who a course is shared with (the cross-organisation catalogue).
//!
//! Every handler starts with [`author_org`], which asks the policy for `Action::Author` in the organisation (its
//! authors and admins). What is published goes through the store's checks, as the API's does.

mod bank;
mod bank_form;
mod course;
mod course_form;
mod images;
mod list;
mod sharing;
mod statistics;

pub use bank_form::valid_code;
pub use course_form::course_problems;
pub(crate) use images::lesson_html;

use crate::auth::Caller;
use crate::routes::Routes;
use crate::{AppError, AppState};
use lantern_domain::Organisation;
use lantern_domain::access::Action;
use std::collections::HashMap;

/// The largest bank import (CSV or QTI files) or lesson image upload, before its own, smaller checks.
pub const MAX_AUTHORING_UPLOAD: usize = 8 * 1024 * 1024;

/// The authoring pages' routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/authoring", list::home)
        .get("/orgs/{ods}/authoring", list::page)
        .form("/orgs/{ods}/authoring/course", course::page, course::submit)
        .form("/orgs/{ods}/authoring/bank", bank::page, bank::submit)
        .upload(
            "/orgs/{ods}/authoring/bank/import",
            bank::import_page,
            bank::import_submit,
            MAX_AUTHORING_UPLOAD,
        )
        .get(
            "/orgs/{ods}/authoring/banks/{code}/export.csv",
            bank::export,
        )
        .get(
            "/orgs/{ods}/authoring/banks/{code}/statistics",
            statistics::page,
        )
        .upload(
            "/orgs/{ods}/authoring/images",
            images::page,
            images::upload,
            MAX_AUTHORING_UPLOAD,
        )
        .post("/orgs/{ods}/authoring/lesson-preview", images::preview)
        .get("/orgs/{ods}/learning/images/{image_id}", images::serve)
        .form(
            "/orgs/{ods}/authoring/courses/{code}/sharing",
            sharing::page,
            sharing::submit,
        )
}

/// The organisation, if the caller may author there (404 outside their organisations, 403 inside without the role).
pub(crate) async fn author_org(
    state: &AppState,
    caller: &Caller,
    ods: &str,
) -> Result<Organisation, AppError> {
    let org = state.store.org_by_code(&caller.scope(), ods).await?;
    caller.require(Action::Author(org.id))?;
    Ok(org)
}

/// Back to an editor (`course` or `bank`) on this code, saying what was saved.
pub(crate) fn to_editor(
    org: &Organisation,
    editor: &str,
    code: &str,
    saved: &str,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    axum::response::Redirect::to(&format!(
        "/orgs/{}/authoring/{editor}?code={}&saved={}",
        org.ods_code,
        crate::pages::admin::urlencode(code),
        crate::pages::admin::urlencode(saved)
    ))
    .into_response()
}

/// A problem with a form, by the id of the field it is about (the error summary links to it).
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A posted form's fields: each name with its values in order (checkboxes and multiple selects repeat a name).
pub(crate) struct Fields(HashMap<String, Vec<String>>);

impl Fields {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            map.entry(k).or_default().push(v);
        }
        Fields(map)
    }

    /// The field's first value, trimmed ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .get(name)
            .and_then(|v| v.first())
            .map_or("", |s| s.trim())
    }

    /// The field's first value as written (a lesson's Markdown keeps its leading spaces).
    pub fn raw(&self, name: &str) -> String {
        self.0
            .get(name)
            .and_then(|v| v.first())
            .map(|s| s.replace("\r\n", "\n"))
            .unwrap_or_default()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.get(name).cloned().unwrap_or_default()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The indexes `i` for which a field `{prefix}{i}{suffix}` was posted, in order (`m3_title`: "m", "_title").
    pub fn indexes(&self, prefix: &str, suffix: &str) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .0
            .keys()
            .filter_map(|k| k.strip_prefix(prefix)?.strip_suffix(suffix)?.parse().ok())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Reads a whole number from a field, or records why not.
pub(crate) fn whole<T: std::str::FromStr>(
    problems: &mut Vec<Problem>,
    field: &str,
    value: &str,
    what: &str,
    ok: impl Fn(&T) -> bool,
    default: T,
) -> T {
    match value.trim().parse::<T>() {
        Ok(v) if ok(&v) => v,
        _ => {
            problems.push(Problem::new(field, format!("Enter {what}")));
            default
        }
    }
}
