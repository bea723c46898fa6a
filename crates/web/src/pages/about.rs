//! Public pages every NHS service is expected to have, linked from every page's footer: the accessibility statement
//! (`/accessibility`, as the Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility
//! Regulations 2018 require of a public body's service) and the privacy notice (`/privacy`, what personal data
//! Lantern holds and why, UK GDPR articles 13 and 14). Both are public, like the sign-in page; they describe what
//! this build does (its session cookies, its tests), so they live with the code that makes them true.

use crate::AppState;
use crate::pages::layout::Layout;
use crate::routes::Routes;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

pub fn routes() -> Routes {
    Routes::new()
        .get("/accessibility", accessibility)
        .get("/privacy", privacy)
}

#[derive(Template, WebTemplate)]
#[template(path = "accessibility.html")]
pub struct AccessibilityPage {
    layout: Layout,
}

#[derive(Template, WebTemplate)]
#[template(path = "privacy.html")]
pub struct PrivacyPage {
    layout: Layout,
    /// Minutes without a request before a session ends, and its longest life in hours.
    idle_minutes: u64,
    absolute_hours: u64,
}

fn layout() -> Layout {
    Layout::anonymous(&crate::auth::csrf::CsrfToken(String::new()))
}

async fn accessibility() -> AccessibilityPage {
    AccessibilityPage { layout: layout() }
}

async fn privacy(State(state): State<AppState>) -> PrivacyPage {
    PrivacyPage {
        layout: layout(),
        idle_minutes: state.auth.idle_timeout.as_secs() / 60,
        absolute_hours: state.auth.absolute_timeout.as_secs() / 3600,
    }
}

/// The page for a path that matches no route: the NHS.UK "Page not found" pattern, or JSON under the API.
pub async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = uri.path();
    if path.starts_with("/api/") {
        return crate::AppError::NotFound.into_response();
    }
    if path.starts_with("/xapi") {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    super::PageError::App(crate::AppError::NotFound).into_response()
}
