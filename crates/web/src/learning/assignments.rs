//! Assigning courses: a manager (within their units) or an organisation admin assigns a course to a person or to a
//! unit with a due date, sees what is assigned, and cancels an assignment. The view (`views::assignments`) asks the
//! policy (`Action::Assign`) and the store keeps to the caller's scope.

use crate::AppState;
use crate::auth::sign_in::FieldError;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::views::assignments::{self, AssignForm, AssignmentsView};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lantern_store::learning::AssignTo;

#[derive(Template, WebTemplate)]
#[template(path = "learning_assignments.html")]
pub struct AssignmentsPage {
    layout: Layout,
    view: AssignmentsView,
    form: AssignForm,
    errors: Vec<FieldError>,
    saved: Option<String>,
}

impl AssignmentsPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// "Person" or "Unit", for the table.
    fn kind(&self, to: &AssignTo) -> &'static str {
        match to {
            AssignTo::Person(_) => "Person",
            AssignTo::Unit(_) => "Everyone in the unit",
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct AssignmentsQuery {
    saved: Option<String>,
    /// An employee number to fill in (from a person's page or My team).
    person: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(q): Query<AssignmentsQuery>,
) -> PageResult<AssignmentsPage> {
    let view = assignments::assignments(&state, &page.caller, &ods).await?;
    let form = AssignForm {
        person: q.person.unwrap_or_default(),
        due_on: lantern_domain::dates::add_days(view.today, 28).to_string(),
        ..AssignForm::default()
    };
    Ok(AssignmentsPage {
        layout: page.layout,
        view,
        form,
        errors: Vec::new(),
        saved: q.saved,
    })
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<AssignForm>,
) -> PageResult<Response> {
    match assignments::assign(&state, &page.caller, &ods, &form).await? {
        Ok(a) => Ok(Redirect::to(&format!(
            "/orgs/{}/learning/assignments?saved={}",
            ods,
            crate::pages::admin::urlencode(&format!(
                "{} assigned to {}, due {}",
                a.course_title, a.to_name, a.due_on
            ))
        ))
        .into_response()),
        Err(problems) => {
            let view = assignments::assignments(&state, &page.caller, &ods).await?;
            Ok((
                StatusCode::BAD_REQUEST,
                AssignmentsPage {
                    layout: page.layout,
                    view,
                    form,
                    errors: problems
                        .into_iter()
                        .map(|p| FieldError {
                            field: p.field,
                            message: p.message,
                        })
                        .collect(),
                    saved: None,
                },
            )
                .into_response())
        }
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, i64)>,
) -> PageResult<Response> {
    assignments::cancel(&state, &page.caller, &ods, id).await?;
    Ok(Redirect::to(&format!(
        "/orgs/{ods}/learning/assignments?saved=Assignment+cancelled"
    ))
    .into_response())
}
