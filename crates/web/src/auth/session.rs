//! Server-side sessions. The cookie holds a random 256-bit token; the database holds its SHA-256 with the account,
//! the absolute expiry and the last request time, so sessions survive restarts, work on both backends and are
//! shared by every server. A session ends after `idle_timeout` without a request or `absolute_timeout` after
//! sign-in, whichever comes first, and at sign-out or a password change.

use super::{AuthConfig, Caller, token_hash};
use crate::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::Utc;
use lantern_domain::access::Principal;

/// The session cookie's name: with the `__Host-` prefix over HTTPS, so no other host or path can set it.
pub fn cookie_name(cfg: &AuthConfig) -> &'static str {
    if cfg.secure_cookies {
        "__Host-lantern_session"
    } else {
        "lantern_session"
    }
}

/// The cookie that carries a new session's token. It has no Max-Age: closing the browser ends it, which suits
/// shared ward computers; the server-side expiry applies regardless.
pub fn cookie(cfg: &AuthConfig, token: String) -> Cookie<'static> {
    Cookie::build((cookie_name(cfg), token))
        .path("/")
        .http_only(true)
        .secure(cfg.secure_cookies)
        .same_site(SameSite::Lax)
        .build()
}

/// A cookie that removes the session cookie.
pub fn removal(cfg: &AuthConfig) -> Cookie<'static> {
    let mut c = cookie(cfg, String::new());
    c.make_removal();
    c
}

/// Don't write "last seen" on every request: once a minute is precise enough for a 30-minute idle timeout.
const TOUCH_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// Middleware: finds the caller's session and puts a [`Caller`] in the request, or nothing when signed out.
pub async fn load(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let jar = axum_extra::extract::CookieJar::from_headers(req.headers());
    if let Some(c) = jar.get(cookie_name(&state.auth)) {
        let hash = token_hash(c.value());
        match state.store.session(&hash).await {
            Ok(Some(row)) => {
                let now = Utc::now();
                let idle = chrono::TimeDelta::from_std(state.auth.idle_timeout)
                    .unwrap_or(chrono::TimeDelta::MAX);
                if now >= row.expires_at || now >= row.last_seen_at + idle {
                    if let Err(e) = state.store.delete_session(&hash).await {
                        return crate::AppError::Internal(e.into()).into_response();
                    }
                } else {
                    if now - row.last_seen_at >= TOUCH_EVERY
                        && let Err(e) = state.store.touch_session(&hash, now).await
                    {
                        return crate::AppError::Internal(e.into()).into_response();
                    }
                    req.extensions_mut().insert(Caller {
                        principal: Principal {
                            person: row.account.person_id,
                            grants: row.grants,
                        },
                        account: row.account,
                        token_hash: hash,
                        csrf_token: super::csrf::session_token(c.value()),
                    });
                }
            }
            Ok(None) => {}
            Err(e) => return crate::AppError::Internal(e.into()).into_response(),
        }
    }
    next.run(req).await
}
