//! The authoring home: the organisation's courses and banks (published versions and drafts not yet published), and
//! the courses other organisations share with it.

use super::author_org;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::access::Action;
use lantern_store::learning::authoring::DraftKind;

/// One course or bank as listed.
pub struct Row {
    pub code: String,
    pub title: String,
    /// "Version 3", or "Not published".
    pub published: String,
    /// A draft newer than the published version.
    pub draft: bool,
    /// Banks: questions and learning outcomes; courses: modules and minutes.
    pub detail: String,
    /// Courses: who it is shared with.
    pub shared: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "authoring_list.html")]
pub struct ListPage {
    layout: Layout,
    ods: String,
    org_name: String,
    courses: Vec<Row>,
    banks: Vec<Row>,
    /// (provider, title, code@ODS) of courses shared with this organisation.
    shared_with_us: Vec<(String, String)>,
    saved: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct Saved {
    saved: Option<String>,
}

/// "Authoring" in the navigation: the first organisation where the caller authors.
pub async fn home(State(state): State<AppState>, page: Page) -> PageResult<Response> {
    let orgs = state.store.list_orgs(&page.caller.scope()).await?;
    let first = orgs
        .iter()
        .find(|o| page.caller.may(Action::Author(o.org.id)))
        .ok_or(AppError::Forbidden(
            "Authoring is for course authors and organisation admins.".into(),
        ))?;
    Ok(Redirect::to(&format!("/orgs/{}/authoring", first.org.ods_code)).into_response())
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(q): Query<Saved>,
) -> PageResult<ListPage> {
    let org = author_org(&state, &page.caller, &ods).await?;
    let published = state.store.courses(org.id).await?;
    let course_drafts = state.store.drafts(org.id, DraftKind::Course).await?;
    let mut courses: Vec<Row> = Vec::new();
    for c in &published {
        let sharing = state.store.course_sharing(org.id, &c.course.code).await?;
        courses.push(Row {
            code: c.course.code.clone(),
            title: c.course.title.clone(),
            published: format!("Version {}", c.course.version),
            draft: course_drafts
                .iter()
                .any(|d| d.code == c.course.code && d.saved_at > c.published_at),
            detail: format!(
                "{} modules, about {} minutes",
                c.course.modules.len(),
                c.course.estimated_minutes()
            ),
            shared: if sharing.everyone {
                "Every organisation".into()
            } else if sharing.orgs.is_empty() {
                "Not shared".into()
            } else {
                format!("{} organisations", sharing.orgs.len())
            },
        });
    }
    for d in &course_drafts {
        if published.iter().any(|c| c.course.code == d.code) {
            continue;
        }
        let title = serde_json::from_str::<lantern_learning::course::CourseVersion>(&d.body)
            .map(|c| c.title)
            .unwrap_or_default();
        courses.push(Row {
            code: d.code.clone(),
            title,
            published: "Not published".into(),
            draft: true,
            detail: String::new(),
            shared: "Not shared".into(),
        });
    }
    let banks_published = state.store.banks(org.id).await?;
    let bank_drafts = state.store.drafts(org.id, DraftKind::Bank).await?;
    let mut banks: Vec<Row> = banks_published
        .iter()
        .map(|b| {
            let outcomes: std::collections::BTreeSet<&str> =
                b.questions.iter().map(|q| q.outcome.as_str()).collect();
            Row {
                code: b.code.clone(),
                title: b.code.clone(),
                published: format!("Version {}", b.version),
                draft: bank_drafts
                    .iter()
                    .any(|d| d.code == b.code && d.saved_at > b.published_at),
                detail: format!(
                    "{} questions over {} learning outcomes",
                    b.questions.len(),
                    outcomes.len()
                ),
                shared: String::new(),
            }
        })
        .collect();
    for d in &bank_drafts {
        if !banks_published.iter().any(|b| b.code == d.code) {
            banks.push(Row {
                code: d.code.clone(),
                title: d.code.clone(),
                published: "Not published".into(),
                draft: true,
                detail: String::new(),
                shared: String::new(),
            });
        }
    }
    let shared_with_us = state
        .store
        .shared_courses(org.id)
        .await?
        .into_iter()
        .map(|c| (c.owner_ods.clone(), c.course.title))
        .collect();
    Ok(ListPage {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        org_name: org.name.clone(),
        courses,
        banks,
        shared_with_us,
        saved: q.saved,
    })
}
