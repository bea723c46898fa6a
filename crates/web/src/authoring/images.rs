//! Lesson images: uploaded by authors (recognised by their first bytes, at most 2 MB, never SVG), stored in the
//! database, and served with the type recognised, `nosniff` and a sandboxing CSP, to the organisation's people and to
//! those of organisations it shares a course with. Also the lesson preview the editor asks for as an author types.

use super::{Problem, author_org};
use crate::AppState;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::{AppError, pages::PageError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, FromRequest, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use lantern_domain::access::Action;
use lantern_learning::lesson;
use lantern_store::learning::authoring::ImageEntry;

/// A lesson as HTML, its images pointing at the organisation's uploads (served under the viewer's `ods`).
pub(crate) fn lesson_html(ods: &str, markdown: &str, images: &[ImageEntry]) -> String {
    lesson::render(markdown, |name| {
        images
            .iter()
            .find(|i| i.name == name)
            .map(|i| format!("/orgs/{ods}/learning/images/{}", i.id))
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "authoring_images.html")]
pub struct ImagesPage {
    layout: Layout,
    ods: String,
    org_name: String,
    images: Vec<ImageEntry>,
    errors: Vec<Problem>,
    saved: Option<String>,
}

impl ImagesPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(serde::Deserialize, Default)]
pub struct Saved {
    saved: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(q): Query<Saved>,
) -> PageResult<ImagesPage> {
    let org = author_org(&state, &page.caller, &ods).await?;
    Ok(ImagesPage {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        org_name: org.name.clone(),
        images: state.store.lesson_images(org.id).await?,
        errors: Vec::new(),
        saved: q.saved,
    })
}

pub async fn upload(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    req: axum::extract::Request,
) -> PageResult<Response> {
    // Read only after the access check.
    let org = author_org(&state, &page.caller, &ods).await?;
    let mut multipart = Multipart::from_request(req, &state).await.map_err(|e| {
        AppError::BadRequest(format!("Upload the image with the form on this page ({e})"))
    })?;
    let mut name = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut errors = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?
    {
        match field.name() {
            Some("name") => name = field.text().await.unwrap_or_default().trim().to_owned(),
            Some("image") => {
                let file_name = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(|e| {
                    AppError::BadRequest(format!("The upload could not be read: {e}"))
                })?;
                if !bytes.is_empty() || !file_name.is_empty() {
                    file = Some((file_name, bytes.to_vec()));
                }
            }
            _ => {}
        }
    }
    let Some((file_name, bytes)) = file else {
        errors.push(Problem::new("image", "Choose an image to upload"));
        return again(&state, page.layout, &org, errors).await;
    };
    // The name a lesson uses: the one typed, else the file's own, made plain.
    if name.is_empty() {
        name = file_name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
            .replace(' ', "-");
    }
    if !lesson::valid_image_name(&name) {
        errors.push(Problem::new(
            "name",
            "Enter a name of letters, digits, dashes, underscores and dots, for example fire-exit.png",
        ));
    }
    let content_type = match lesson::image_type(&bytes) {
        Ok(t) => Some(t),
        Err(e) => {
            errors.push(Problem::new("image", capitalise(&e.to_string())));
            None
        }
    };
    let Some(content_type) = content_type.filter(|_| errors.is_empty()) else {
        return again(&state, page.layout, &org, errors).await;
    };
    state
        .store
        .add_lesson_image(
            org.id,
            &name,
            content_type,
            &bytes,
            Some(page.caller.account.id),
            chrono::Utc::now(),
        )
        .await?;
    Ok(axum::response::Redirect::to(&format!(
        "/orgs/{}/authoring/images?saved={}",
        org.ods_code,
        crate::pages::admin::urlencode(&format!(
            "{name} uploaded: use it in a lesson as ![description]({name})"
        ))
    ))
    .into_response())
}

async fn again(
    state: &AppState,
    layout: Layout,
    org: &lantern_domain::Organisation,
    errors: Vec<Problem>,
) -> PageResult<Response> {
    Ok((
        StatusCode::BAD_REQUEST,
        ImagesPage {
            layout,
            ods: org.ods_code.to_string(),
            org_name: org.name.clone(),
            images: state.store.lesson_images(org.id).await?,
            errors,
            saved: None,
        },
    )
        .into_response())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

#[derive(serde::Deserialize)]
pub struct PreviewForm {
    #[serde(default)]
    markdown: String,
}

/// The lesson as HTML, for the editor's live preview (the same renderer learners get, so no script gets through).
pub async fn preview(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<PreviewForm>,
) -> Result<Response, PageError> {
    let org = author_org(&state, &page.caller, &ods).await?;
    let images = state.store.lesson_images(org.id).await?;
    let html = lesson_html(org.ods_code.as_ref(), &form.markdown, &images);
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

/// An image, for a lesson seen by someone who learns or authors in `ods`. The type comes from its content, as
/// checked when it was uploaded; `nosniff` and a CSP of its own keep a browser from reading it as anything else.
pub async fn serve(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    let caller = page.caller;
    let org = state.store.org_by_code(&caller.scope(), &ods).await?;
    if !caller.may(Action::Learn(org.id)) && !caller.may(Action::Author(org.id)) {
        caller.require(Action::Author(org.id))?;
    }
    let (content_type, bytes) = state.store.lesson_image(org.id, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_owned(),
            ),
            (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
