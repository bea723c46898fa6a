//! Cross-site request forgery protection for every state-changing request (POST, PUT, PATCH, DELETE).
//!
//! Two checks, both required:
//! 1. The request comes from this site: `Sec-Fetch-Site` is not `cross-site`, and `Origin`, when sent, names the
//!    host the request was made to.
//! 2. It carries the CSRF token (OWASP's double-submit cookie pattern): the `lantern_csrf` cookie (SameSite=Strict,
//!    HttpOnly) must equal the `csrf_token` form field or the `X-CSRF-Token` header. Pages put the token in every
//!    form; scripts read it from the page's `<meta name="csrf-token">`.
//!
//! The token is rotated at sign-in, with the session.

use super::{AuthConfig, new_token};
use crate::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use subtle::ConstantTimeEq;

/// The largest form body the check will read (file uploads send the token in a header or the query string).
const MAX_FORM: usize = 2 * 1024 * 1024;

pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

pub fn cookie_name(cfg: &AuthConfig) -> &'static str {
    if cfg.secure_cookies {
        "__Host-lantern_csrf"
    } else {
        "lantern_csrf"
    }
}

pub fn cookie(cfg: &AuthConfig, token: String) -> Cookie<'static> {
    Cookie::build((cookie_name(cfg), token))
        .path("/")
        .http_only(true)
        .secure(cfg.secure_cookies)
        .same_site(SameSite::Strict)
        .build()
}

/// The caller's CSRF token, for templates to put in forms.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .unwrap_or_else(|| CsrfToken(String::new())))
    }
}

fn is_state_changing(m: &Method) -> bool {
    !matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Why a request is not from this site, if it is not. The origin must name the host the request was sent to, or
/// the configured public address (behind a proxy that rewrites the Host header).
fn cross_site(headers: &HeaderMap, public_url: &str) -> Option<&'static str> {
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return Some("the request came from another site");
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split("://").nth(1).unwrap_or("");
        let public = public_url.trim_end_matches('/');
        if origin == "null" || (origin_host != host && origin != public) {
            return Some("the request's origin is not this site");
        }
    }
    None
}

fn refuse(why: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "This request was refused because {why}. If you were filling in a form, go back, reload the page and \
             try again."
        ),
    )
        .into_response()
}

/// Middleware: checks state-changing requests, and gives every visitor a token.
pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let jar = axum_extra::extract::CookieJar::from_headers(req.headers());
    let existing = jar
        .get(cookie_name(&state.auth))
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 43);
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(new_token);

    let mut req = req;
    if is_state_changing(req.method()) {
        if let Some(why) = cross_site(req.headers(), &state.auth.public_url) {
            return refuse(why);
        }
        let mut presented: Option<String> = req
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if presented.is_none() {
            presented = req.uri().query().and_then(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == FIELD)
                    .map(|(_, v)| v.into_owned())
            });
        }
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if presented.is_none() && is_form {
            let (parts, body) = req.into_parts();
            let bytes = match axum::body::to_bytes(body, MAX_FORM).await {
                Ok(b) => b,
                Err(_) => return refuse("the form was too large"),
            };
            presented = form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == FIELD)
                .map(|(_, v)| v.into_owned());
            req = Request::from_parts(parts, Body::from(bytes));
        }
        let matches =
            presented.is_some_and(|p| !fresh && bool::from(p.as_bytes().ct_eq(token.as_bytes())));
        if !matches {
            return refuse("the form had expired or did not come from Lantern");
        }
    }
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if fresh {
        if let Ok(v) = cookie(&state.auth, token).to_string().parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::cross_site;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header"));
        }
        h
    }

    #[test]
    fn only_this_sites_origin_is_accepted() {
        let public = "https://lantern.example.nhs.uk";
        let ok = |pairs: &[(&'static str, &str)]| cross_site(&headers(pairs), public).is_none();
        assert!(
            ok(&[("host", "127.0.0.1:8080")]),
            "no Origin: a same-site form from an older browser"
        );
        assert!(ok(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080")
        ]));
        assert!(
            ok(&[
                ("host", "10.0.0.5:8080"),
                ("origin", "https://lantern.example.nhs.uk")
            ]),
            "behind a proxy"
        );
        assert!(!ok(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://evil.example")
        ]));
        assert!(!ok(&[("host", "127.0.0.1:8080"), ("origin", "null")]));
        assert!(!ok(&[
            ("host", "127.0.0.1:8080"),
            ("sec-fetch-site", "cross-site")
        ]));
        assert!(ok(&[
            ("host", "127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin")
        ]));
    }
}
