//! Cross-site request forgery protection for every state-changing request (POST, PUT, PATCH, DELETE).
//!
//! Two checks, both required (OWASP Cross-Site Request Forgery Prevention Cheat Sheet):
//! 1. The request comes from this site: `Sec-Fetch-Site` is not `cross-site`, and `Origin`, when sent, is this
//!    site's origin, scheme, host and port (RFC 6454): the configured public URL's, or the Host the request was sent
//!    to with the public URL's scheme. So an `http://` page cannot post to a Lantern served at `https://`.
//! 2. It carries the CSRF token, in the `csrf_token` form field or the `X-CSRF-Token` header. Pages put it in every
//!    form; scripts read it from the page's `<meta name="csrf-token">`.
//!    - Signed in, the token belongs to the session: an HMAC-SHA256 keyed by the session's own token (the cheat
//!      sheet's "signed double-submit cookie", with the session secret as the key). A token from another session,
//!      or from before sign-in, is refused whatever cookie comes with it, so a cookie planted by a neighbouring
//!      host cannot vouch for a forged form. The database never holds it (it holds only the session token's hash).
//!    - Signed out (the sign-in and password-reset forms), it is the double-submit cookie `lantern_csrf`
//!      (SameSite=Strict, HttpOnly) that the form must repeat.
//!
//! The session layer runs first, so this layer knows whether the request is signed in. Sign-in sets the cookie to
//! the new session's token; sign-out gives a fresh pre-sign-in one.

use super::{AuthConfig, Caller, new_token};
use crate::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use hmac::{Hmac, Mac};
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

/// The CSRF token of a signed-in session: HMAC-SHA256(key = the session token, "lantern csrf"), URL-safe. Only
/// whoever holds the session token can make it; it reveals nothing of the session token.
pub fn session_token(session_token: &str) -> String {
    use base64::Engine;
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(session_token.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(b"lantern csrf");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
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

/// Why a request is not from this site, if it is not. The origin (scheme, host and port) must be the configured
/// public address's, or the Host the request was sent to served with the public address's scheme (a proxy that
/// passes the Host through, or a server reached by its own address).
fn cross_site(headers: &HeaderMap, public_url: &str) -> Option<&'static str> {
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return Some("the request came from another site");
    }
    let origin = headers.get(header::ORIGIN)?;
    let not_this_site = Some("the request's origin is not this site");
    // "null" (a sandboxed frame, a redirect across sites) and anything unparsable are refused.
    let Some(origin) = origin
        .to_str()
        .ok()
        .and_then(|o| url::Url::parse(o).ok())
        .map(|u| u.origin())
        .filter(url::Origin::is_tuple)
    else {
        return not_this_site;
    };
    let Ok(public) = url::Url::parse(public_url) else {
        return not_this_site;
    };
    if origin == public.origin() {
        return None;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let requested = host
        .filter(|h| !h.is_empty() && !h.contains(['/', '@', '\\', '?', '#']))
        .and_then(|h| url::Url::parse(&format!("{}://{h}/", public.scheme())).ok());
    match requested {
        Some(r) if r.origin() == origin => None,
        _ => not_this_site,
    }
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

/// The token a request must present: its session's when signed in, otherwise the pre-sign-in cookie's (none when
/// the visitor has no cookie yet, so nothing can match).
fn expected(caller: Option<&Caller>, cookie: Option<&str>) -> Option<String> {
    match caller {
        Some(c) => Some(c.csrf_token.clone()),
        None => cookie.map(str::to_owned),
    }
}

/// Middleware: checks state-changing requests, and gives every visitor a token. Runs inside the session layer.
pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let jar = axum_extra::extract::CookieJar::from_headers(req.headers());
    let existing = jar
        .get(cookie_name(&state.auth))
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 43);
    let fresh = existing.is_none();
    let expected = expected(req.extensions().get::<Caller>(), existing.as_deref());
    // What forms on the page carry: the session's token, or the pre-sign-in one (new if the visitor had none).
    let token = expected.clone().unwrap_or_else(new_token);

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
        let matches = match (presented, expected) {
            (Some(p), Some(e)) => bool::from(p.as_bytes().ct_eq(e.as_bytes())),
            _ => false,
        };
        if !matches {
            return refuse("the form had expired or did not come from Lantern");
        }
    }
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    // A visitor without the cookie gets one, unless the answer sets its own (sign-in sets the new session's).
    let name = format!("{}=", cookie_name(&state.auth));
    let answer_sets_it = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(name.as_bytes()));
    if fresh
        && !answer_sets_it
        && let Ok(v) = cookie(&state.auth, token).to_string().parse()
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::{cross_site, expected, session_token};
    use crate::auth::Caller;
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
        assert!(
            ok(&[
                ("host", "10.0.0.5:8080"),
                ("origin", "https://lantern.example.nhs.uk")
            ]),
            "behind a proxy"
        );
        assert!(
            ok(&[
                ("host", "10.0.0.5:8080"),
                ("origin", "https://LANTERN.example.nhs.uk:443")
            ]),
            "the default port and the host's case do not matter"
        );
        assert!(
            ok(&[
                ("host", "lantern-2.example.nhs.uk"),
                ("origin", "https://lantern-2.example.nhs.uk")
            ]),
            "the Host the request was sent to, over the public scheme"
        );
        // Served at https://, an http:// page is another origin, even on the same host (RFC 6454).
        assert!(!ok(&[
            ("host", "lantern.example.nhs.uk"),
            ("origin", "http://lantern.example.nhs.uk")
        ]));
        assert!(!ok(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080")
        ]));
        // Another port is another origin.
        assert!(!ok(&[
            ("host", "10.0.0.5:8080"),
            ("origin", "https://lantern.example.nhs.uk:8443")
        ]));
        assert!(!ok(&[
            ("host", "lantern.example.nhs.uk"),
            ("origin", "https://lantern.example.nhs.uk:8443")
        ]));
        assert!(!ok(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://evil.example")
        ]));
        assert!(!ok(&[
            ("host", "lantern.example.nhs.uk"),
            ("origin", "https://lantern.example.nhs.uk.evil.example")
        ]));
        assert!(!ok(&[("host", "127.0.0.1:8080"), ("origin", "null")]));
        assert!(!ok(&[("host", "127.0.0.1:8080"), ("origin", "not a url")]));
        assert!(!ok(&[
            ("host", "127.0.0.1:8080"),
            ("sec-fetch-site", "cross-site")
        ]));
        assert!(ok(&[
            ("host", "127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin")
        ]));

        // Served over plain http (development), the http origin of the Host is this site, an https one is not.
        let dev = "http://127.0.0.1:8080";
        let ok = |pairs: &[(&'static str, &str)]| cross_site(&headers(pairs), dev).is_none();
        assert!(ok(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080")
        ]));
        assert!(ok(&[
            ("host", "localhost:8080"),
            ("origin", "http://localhost:8080")
        ]));
        assert!(!ok(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://127.0.0.1:8080")
        ]));
        assert!(!ok(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:9090")
        ]));
        assert!(!ok(&[("origin", "http://127.0.0.1:9090")]), "no Host");
    }

    #[test]
    fn a_sessions_token_is_its_own() {
        let (a, b) = (crate::auth::new_token(), crate::auth::new_token());
        assert_eq!(
            session_token(&a),
            session_token(&a),
            "stable for the session"
        );
        assert_ne!(
            session_token(&a),
            session_token(&b),
            "another session, another token"
        );
        assert_eq!(session_token(&a).len(), 43, "256 bits, URL-safe");
        assert_ne!(session_token(&a), a, "not the session token");
        assert_ne!(
            session_token(&a),
            crate::auth::token_hash(&a),
            "not what the database stores"
        );
        // RFC 4231 test case 2 checks the HMAC itself: key "Jefe", this data.
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signed_in_only_the_sessions_token_is_expected() {
        let session = crate::auth::new_token();
        let caller = Caller {
            account: lantern_store::Account {
                id: lantern_domain::AccountId(1),
                email: "a@example.test".into(),
                display_name: "A".into(),
                person_id: None,
                password_hash: None,
                disabled: false,
            },
            principal: lantern_domain::access::Principal {
                person: None,
                grants: Vec::new(),
            },
            token_hash: crate::auth::token_hash(&session),
            csrf_token: session_token(&session),
        };
        let cookie = crate::auth::new_token();
        assert_eq!(
            expected(Some(&caller), Some(&cookie)),
            Some(session_token(&session)),
            "whatever the cookie says"
        );
        assert_eq!(expected(None, Some(&cookie)), Some(cookie.clone()));
        assert_eq!(expected(None, None), None, "no cookie: nothing can match");
    }
}
