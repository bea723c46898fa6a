//! A SCORM package module on Lantern's side: a launch (a random token, stored as its hash, reaching this attempt's
//! module only) and a page that frames the player from the content origin. This page's CSP lets it frame that
//! origin and no other.

use crate::auth::{new_token, token_hash};
use crate::pages::PageResult;
use crate::pages::layout::Layout;
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use lantern_domain::Organisation;
use lantern_learning::course::{Module, ModuleState};
use lantern_store::Scope;
use lantern_store::learning::Attempt;

#[derive(Template, WebTemplate)]
#[template(path = "learning_package.html")]
pub struct PackagePage {
    layout: Layout,
    ods: String,
    attempt: Attempt,
    module: Module,
    /// The player's address on the content origin.
    player: String,
    done: bool,
}

pub(super) async fn launch(
    state: &AppState,
    layout: Layout,
    scope: &Scope,
    org: Organisation,
    attempt: Attempt,
    module: Module,
) -> PageResult<Response> {
    let Some(content) = state.content.as_ref() else {
        return Err(AppError::BadRequest(
            "E-learning packages cannot be played on this server: it has no content origin (content_url) set up."
                .into(),
        )
        .into());
    };
    let token = new_token();
    let now = chrono::Utc::now();
    state
        .store
        .launch_package(
            scope,
            org.id,
            attempt.id,
            &module.key,
            &token_hash(&token),
            now,
            now + chrono::TimeDelta::hours(crate::content::LAUNCH_HOURS),
        )
        .await?;
    let done = attempt
        .course
        .modules
        .iter()
        .position(|m| m.key == module.key)
        .is_some_and(|i| attempt.states[i] == ModuleState::Completed);
    let page = PackagePage {
        layout,
        ods: org.ods_code.to_string(),
        player: format!("{}/play/{token}/", content.url),
        attempt,
        module,
        done,
    };
    let mut res = page.into_response();
    // Lantern's own policy, with frames from the content origin only.
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'; frame-src {}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; \
         object-src 'none'",
        content.url
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(res)
}
