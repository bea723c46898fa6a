//! Where to do each requirement when Lantern holds no course for it (`lantern_domain::how_to_complete`): the admin
//! sets a link per requirement (a national e-learning course, a booking page for a classroom session), which My
//! training shows a learner who has it to do. The page lists every requirement with its course here, if any, and its
//! link, so the gaps show.

use super::{Notice, admin_org, saved};
use crate::auth::sign_in::FieldError;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::views::where_to_complete::Routes;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantern_domain::Subject;
use lantern_store::completion_links::CompletionLink;
use lantern_store::{OrgContext, StoreError};

/// One requirement, with what is there for it.
pub struct Row {
    pub subject: String,
    pub title: String,
    /// The course here (or shared with the organisation) that satisfies it, if any.
    pub course: Option<String>,
    pub link: Option<CompletionLink>,
}

#[derive(serde::Deserialize, Default, Clone)]
pub struct LinkForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    label: String,
    /// "yes" to remove the subject's link.
    #[serde(default)]
    remove: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_how_to_complete.html")]
pub struct HowToCompletePage {
    layout: Layout,
    ods: String,
    org_name: String,
    rows: Vec<Row>,
    form: LinkForm,
    errors: Vec<FieldError>,
    saved: Option<String>,
}

impl HowToCompletePage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

/// Every requirement in force, once per subject (under the title of its lowest level), with the course that
/// satisfies that level and the link, as learners are offered them (`views::where_to_complete`).
async fn rows(state: &crate::AppState, ctx: &OrgContext) -> Result<Vec<Row>, crate::AppError> {
    let routes = Routes::load(state, ctx.org.id, ctx.org.ods_code.as_str()).await?;
    let mut out: Vec<Row> = Vec::new();
    for r in lantern_domain::history::latest_requirements(&ctx.rules) {
        if out.iter().any(|x| x.subject == r.subject.as_str()) {
            continue;
        }
        out.push(Row {
            subject: r.subject.to_string(),
            title: r.title.clone(),
            course: routes
                .course(&r.subject, r.level)
                .map(|c| c.course.title.clone()),
            link: routes.link(&r.subject).cloned(),
        });
    }
    out.sort_by(|a, b| a.title.cmp(&b.title));
    Ok(out)
}

pub async fn page(
    State(state): State<crate::AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(n): Query<Notice>,
) -> PageResult<HowToCompletePage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    Ok(HowToCompletePage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        rows: rows(&state, &ctx).await?,
        form: LinkForm::default(),
        errors: Vec::new(),
        saved: n.saved,
    })
}

pub async fn submit(
    State(state): State<crate::AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<LinkForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let mut errors = Vec::new();
    match Subject::parse(&form.subject) {
        Err(_) => errors.push(FieldError {
            field: "subject",
            message: "Choose the requirement".into(),
        }),
        Ok(subject) => {
            let url = if form.remove == "yes" {
                ""
            } else {
                form.url.as_str()
            };
            if url.trim().is_empty() && form.remove != "yes" {
                errors.push(FieldError {
                    field: "url",
                    message: "Enter the full address, starting https://, like https://portal.e-lfh.org.uk/".into(),
                });
            } else {
                match state
                    .store
                    .set_completion_link(
                        ctx.org.id,
                        &subject,
                        url,
                        &form.label,
                        page.caller.account.id,
                        chrono::Utc::now(),
                    )
                    .await
                {
                    Ok(()) => {
                        let what = if url.is_empty() {
                            "Link removed"
                        } else {
                            "Link saved"
                        };
                        return Ok(saved(&ctx, "how-to-complete", what));
                    }
                    Err(StoreError::Rejected(problems)) => {
                        for p in problems {
                            errors.push(FieldError {
                                field: match p.field.as_str() {
                                    "url" => "url",
                                    "label" => "label",
                                    _ => "subject",
                                },
                                message: p.message,
                            });
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    let page = HowToCompletePage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        rows: rows(&state, &ctx).await?,
        form,
        errors,
        saved: None,
    };
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}
