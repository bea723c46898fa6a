//! How callers authenticate, in the OpenAPI document (OpenAPI 3.1, "Security Scheme Object" and "Security Requirement
//! Object"): the JSON API takes the browser session's cookie, plus the CSRF header on state-changing requests; the LRS
//! under /xapi/ takes HTTP Basic (RFC 7617) with a client credential.
//!
//! The requirements are set on every operation here, from its path and method, after the routes are gathered, so a new
//! route cannot be documented without them.

use utoipa::openapi::OpenApi;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};

pub const SESSION: &str = "session";
pub const CSRF: &str = "csrf";
pub const LRS_BASIC: &str = "lrsBasic";

/// The LRS resources that need no credential (xAPI 1.0.3 Communication 2.8: "about" is open).
const OPEN: [&str; 1] = ["/xapi/about"];

/// Declares the schemes and sets each operation's requirement.
pub fn apply(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        SESSION,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            "lantern_session",
            "The session cookie set by signing in at /sign-in (named `__Host-lantern_session` when Lantern is \
             served over HTTPS). Sessions end after 30 minutes idle and 12 hours in all by default.",
        ))),
    );
    components.add_security_scheme(
        CSRF,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-CSRF-Token",
            "Needed on every state-changing request (POST, PUT, PATCH, DELETE) with the session: the value of the \
             `lantern_csrf` cookie (`__Host-lantern_csrf` over HTTPS), which pages also carry in \
             `<meta name=\"csrf-token\">`. A request from another origin is refused even with it.",
        ))),
    );
    components.add_security_scheme(
        LRS_BASIC,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Basic)
                .description(Some(
                    "An LRS client credential's key and secret (from `lantern lrs credentials create` or the \
                     organisation admin's LRS page); the credential decides which organisation's LRS it reaches.",
                ))
                .build(),
        ),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations: [(HttpMethod, &mut Option<Operation>); 5] = [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Patch, &mut item.patch),
            (HttpMethod::Delete, &mut item.delete),
        ];
        for (method, op) in operations {
            if let Some(op) = op {
                op.security = requirement(path, &method);
            }
        }
    }
}

/// The requirement for one operation; None where no credential is needed.
fn requirement(path: &str, method: &HttpMethod) -> Option<Vec<SecurityRequirement>> {
    if OPEN.contains(&path) {
        return None;
    }
    if path.starts_with("/xapi/") {
        return Some(vec![SecurityRequirement::new(LRS_BASIC, [""; 0])]);
    }
    // Both schemes in one requirement: the session AND the CSRF header.
    let changes_state = !matches!(
        method,
        HttpMethod::Get | HttpMethod::Head | HttpMethod::Options
    );
    let mut session = SecurityRequirement::new(SESSION, [""; 0]);
    if changes_state {
        session = session.add(CSRF, [""; 0]);
    }
    Some(vec![session])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_changing_api_request_needs_the_session_and_the_csrf_header() {
        let json = |r: Option<Vec<SecurityRequirement>>| serde_json::to_value(r).unwrap();
        assert_eq!(
            json(requirement("/api/v1/x", &HttpMethod::Get)),
            serde_json::json!([{ "session": [] }])
        );
        assert_eq!(
            json(requirement("/api/v1/x", &HttpMethod::Post)),
            serde_json::json!([{ "session": [], "csrf": [] }])
        );
        assert_eq!(
            json(requirement("/xapi/statements", &HttpMethod::Put)),
            serde_json::json!([{ "lrsBasic": [] }])
        );
        assert!(requirement("/xapi/about", &HttpMethod::Get).is_none());
    }
}
