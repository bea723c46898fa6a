//! Sharing a course with other organisations (a cross-organisation catalogue: a medical school's course used by its
//! teaching trusts, say). Their learners take it in their own organisation, and the records are made there with the
//! authoring organisation as provider. Each change is a new row (the latest is in force), so what was shared when is
//! kept.

use super::{Fields, author_org};
use crate::AppState;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::OrgId;
use lantern_store::learning::authoring::Sharing;

#[derive(Template, WebTemplate)]
#[template(path = "authoring_sharing.html")]
pub struct SharingPage {
    layout: Layout,
    ods: String,
    code: String,
    title: String,
    everyone: bool,
    /// (id, name, ODS code, shared now) of every other organisation.
    orgs: Vec<(i64, String, String, bool)>,
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, code)): Path<(String, String)>,
) -> PageResult<SharingPage> {
    let org = author_org(&state, &page.caller, &ods).await?;
    let course = state.store.course(org.id, &code).await?;
    if course.org != org.id {
        return Err(crate::AppError::NotFound.into());
    }
    let sharing = state.store.course_sharing(org.id, &code).await?;
    // Every organisation's name and code: sharing names them, and says nothing about their people.
    let orgs = state
        .store
        .list_orgs(&lantern_store::Scope::Platform)
        .await?
        .into_iter()
        .filter(|o| o.org.id != org.id)
        .map(|o| {
            let on = sharing.orgs.contains(&o.org.id);
            (o.org.id.0, o.org.name, o.org.ods_code.to_string(), on)
        })
        .collect();
    Ok(SharingPage {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        code,
        title: course.course.title,
        everyone: sharing.everyone,
        orgs,
    })
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    Path((ods, code)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let org = author_org(&state, &page.caller, &ods).await?;
    let course = state.store.course(org.id, &code).await?;
    if course.org != org.id {
        return Err(crate::AppError::NotFound.into());
    }
    let f = Fields::new(pairs);
    let mut orgs = Vec::new();
    for o in f.all("org") {
        let id = o
            .parse::<i64>()
            .map_err(|_| crate::AppError::BadRequest(format!("{o:?} is not an organisation")))?;
        orgs.push(OrgId(id));
    }
    let sharing = Sharing {
        everyone: f.get("everyone") == "yes",
        orgs,
    };
    state
        .store
        .share_course(
            org.id,
            &code,
            &sharing,
            Some(page.caller.account.id),
            chrono::Utc::now(),
        )
        .await?;
    let what = if sharing.everyone {
        "every organisation".to_owned()
    } else if sharing.orgs.is_empty() {
        "no other organisation".to_owned()
    } else {
        format!("{} organisations", sharing.orgs.len())
    };
    Ok(Redirect::to(&format!(
        "/orgs/{}/authoring?saved={}",
        org.ods_code,
        crate::pages::admin::urlencode(&format!(
            "{} is now shared with {what}",
            course.course.title
        ))
    ))
    .into_response())
}
