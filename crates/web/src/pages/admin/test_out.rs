//! Test-out, per requirement: whether a person whose requirement is expiring or expired may take the assessment of
//! a course that satisfies it first, and renew it with a pass without the course. Each change is a new version of
//! the setting (append-only), so what was in force at any moment stays on record.

use super::admin_org;
use crate::AppState;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Response};
use lantern_domain::{RulePurpose, Subject};
use lantern_store::learning::test_out_on;

/// One requirement's row.
pub struct TestOutRow {
    pub subject: Subject,
    pub level: u8,
    pub title: String,
    pub enabled: bool,
    /// Courses here that satisfy it and have an assessment to test out with.
    pub courses: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_test_out.html")]
pub struct TestOutPage {
    layout: Layout,
    ods: String,
    org_name: String,
    rows: Vec<TestOutRow>,
    saved: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(notice): Query<super::Notice>,
) -> PageResult<TestOutPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let settings = state.store.test_out_settings(ctx.org.id).await?;
    let courses = state.store.courses(ctx.org.id).await?;
    let mut rows: Vec<TestOutRow> = Vec::new();
    for r in lantern_domain::history::rule_versions(&ctx.rules, None)
        .into_iter()
        .rev()
        .filter(|r| r.purpose == RulePurpose::Requirement && !r.retired)
    {
        if rows
            .iter()
            .any(|x| x.subject == r.subject && x.level == r.level)
        {
            continue;
        }
        rows.push(TestOutRow {
            enabled: test_out_on(&settings, &r.subject, r.level, None),
            courses: courses
                .iter()
                .filter(|c| {
                    c.course.can_test_out()
                        && c.course
                            .satisfies
                            .iter()
                            .any(|s| s.subject == r.subject && s.level >= r.level)
                })
                .map(|c| c.course.title.clone())
                .collect(),
            subject: r.subject.clone(),
            level: r.level,
            title: r.title.clone(),
        });
    }
    rows.sort_by(|a, b| (&a.title, a.level).cmp(&(&b.title, b.level)));
    Ok(TestOutPage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        rows,
        saved: notice.saved,
    })
}

#[derive(serde::Deserialize)]
pub struct TestOutForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    level: String,
    /// `on` or `off`.
    #[serde(default)]
    test_out: String,
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<TestOutForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let enabled = match form.test_out.as_str() {
        "on" => true,
        "off" => false,
        _ => {
            return Err(
                crate::AppError::BadRequest("test_out must be \"on\" or \"off\"".into()).into(),
            );
        }
    };
    let subject = Subject::parse(&form.subject)
        .map_err(|e| crate::AppError::BadRequest(format!("subject: {e}")))?;
    let level: u8 = form.level.trim().parse().map_err(|_| {
        crate::AppError::BadRequest(format!("level must be a number, not {:?}", form.level))
    })?;
    state
        .store
        .set_test_out(
            ctx.org.id,
            &subject,
            level,
            enabled,
            page.caller.account.id,
            crate::when::now(),
        )
        .await?;
    let what = if enabled {
        "Test-out turned on"
    } else {
        "Test-out turned off"
    };
    Ok(super::saved(&ctx, "test-out", what).into_response())
}
