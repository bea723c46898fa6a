//! The sign-in and sign-out pages, and changing one's own password (resetting a forgotten one is `reset`).
//!
//! - Failed sign-ins are throttled (see `throttle`): an account from one address waits longer after each failure, an
//!   account is locked for every address only after many failures, and an address has a high ceiling of its own;
//!   all counted in the database so that every server sharing it agrees. The message says what happened and when
//!   to try again.
//! - Sign-in always starts a new session (the session token is rotated) and a new CSRF token.

use super::next::{NextPath, safe_next};
use super::{csrf, new_token, password, session, token_hash};
use crate::AppState;
use crate::auth::Caller;
use crate::auth::csrf::CsrfToken;
use crate::pages::PageError;
use crate::pages::layout::Layout;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use std::net::{IpAddr, SocketAddr};

/// One problem with a form field, for the NHS.UK error summary and the field's error message.
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// What is wrong with a new password typed twice, if anything: too short or long, or the two do not match.
pub(crate) fn new_password_problem(password: &str, confirm: &str) -> Option<FieldError> {
    if let Some(w) = super::password::weakness(password) {
        return Some(FieldError {
            field: "password",
            message: w,
        });
    }
    (password != confirm).then(|| FieldError {
        field: "confirm",
        message: "The passwords do not match".into(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    layout: Layout,
    email: String,
    next: String,
    errors: Vec<FieldError>,
    notice: Option<String>,
    /// Organisations whose staff can sign in with their own identity provider.
    sso: Vec<lantern_store::SsoChoice>,
}

impl SignInPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(serde::Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    notice: Option<String>,
}

fn notice_text(code: Option<&str>) -> Option<String> {
    match code? {
        "signed-out" => Some("You have signed out.".to_owned()),
        "password-changed" => {
            Some("Your password has been changed. Sign in with your new password.".to_owned())
        }
        _ => None,
    }
}

pub async fn page(
    State(state): State<AppState>,
    csrf: CsrfToken,
    caller: Option<Extension<Caller>>,
    Query(q): Query<SignInQuery>,
) -> Result<Response, PageError> {
    if caller.is_some() {
        return Ok(Redirect::to(safe_next(q.next.as_deref()).as_str()).into_response());
    }
    Ok(SignInPage {
        layout: Layout::anonymous(&csrf),
        email: String::new(),
        next: safe_next(q.next.as_deref()).to_string(),
        errors: Vec::new(),
        notice: notice_text(q.notice.as_deref()),
        sso: state.store.sso_choices().await?,
    }
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// The client's address for throttling. Behind a trusted proxy (`AuthConfig::trusted_proxies`) it is the last
/// address in X-Forwarded-For that is not itself a trusted proxy; otherwise the connection's peer. A client cannot
/// choose its address by sending the header straight to Lantern.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> String {
    let Some(peer) = peer else {
        return "unknown".to_owned();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    forwarded_for
        .into_iter()
        .flat_map(|h| h.rsplit(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
        .to_string()
}

pub async fn submit(
    State(state): State<AppState>,
    csrf: CsrfToken,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    previous: Option<Extension<Caller>>,
    headers: axum::http::HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, PageError> {
    let next = safe_next(form.next.as_deref());
    let email = form.email.trim().to_lowercase();
    let sso = state.store.sso_choices().await?;
    let again = |errors: Vec<FieldError>, status: StatusCode| {
        (
            status,
            SignInPage {
                layout: Layout::anonymous(&csrf),
                email: form.email.trim().to_owned(),
                next: next.to_string(),
                errors,
                notice: None,
                sso: sso.clone(),
            },
        )
            .into_response()
    };
    let mut errors = Vec::new();
    if email.is_empty() {
        errors.push(FieldError {
            field: "email",
            message: "Enter your email address".into(),
        });
    }
    if form.password.is_empty() {
        errors.push(FieldError {
            field: "password",
            message: "Enter your password".into(),
        });
    }
    if !errors.is_empty() {
        return Ok(again(errors, StatusCode::BAD_REQUEST));
    }

    let now = Utc::now();
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let peer = connect.as_ref().map(|c| c.0.0.ip());
    let address = client_address(peer, forwarded, &state.auth.trusted_proxies);
    let policy = &state.auth.throttle;
    // The attempt counts as a failure from here until the password proves otherwise (see `throttle`).
    let (attempt, before) = state
        .store
        .begin_sign_in(&email, &address, now, &policy.windows(now))
        .await?;
    if let Some(refusal) = policy.refusal(&before, now) {
        state.store.withdraw_sign_in(attempt).await?;
        tracing::info!(email = %email, %address, ?refusal, "sign-in turned away by throttling");
        return Ok(again(
            vec![FieldError {
                field: "email",
                message: refusal.message(now),
            }],
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }

    let account = state
        .store
        .account_by_email(&email)
        .await?
        .filter(|a| !a.disabled);
    let ok = password::verify(
        form.password.clone(),
        account.as_ref().and_then(|a| a.password_hash.clone()),
    )
    .await;
    let Some(account) = account.filter(|_| ok) else {
        // Counted for the email whether or not it has an account, so the limits say nothing about which do.
        let since = policy.windows(now).since;
        let failures = state.store.sign_in_failures_since(&email, since).await?;
        if let Some(until) = policy.account_lock(failures, now) {
            state
                .store
                .lock_sign_in(&email, now, until, failures)
                .await?;
            tracing::warn!(email = %email, failures, %until, "account locked for every address after failed sign-ins");
        }
        tracing::info!(email = %email, %address, "failed sign-in");
        return Ok(again(
            vec![FieldError {
                field: "email",
                message: "Enter a correct email address and password".into(),
            }],
            StatusCode::UNAUTHORIZED,
        ));
    };
    state.store.sign_in_succeeded(&email, &address).await?;

    start_session(
        &state,
        &account,
        None,
        previous.as_ref().map(|e| &e.0),
        &next,
    )
    .await
}

/// Starts a new session for the account and sends the browser to `next`, with a new session token and a new CSRF
/// token: nothing from before sign-in carries over, and the session before it (if any) ends. `only_org` confines
/// the session to one organisation's roles (single sign-on).
pub(crate) async fn start_session(
    state: &AppState,
    account: &lantern_store::Account,
    only_org: Option<lantern_domain::OrgId>,
    previous: Option<&Caller>,
    next: &NextPath,
) -> Result<Response, PageError> {
    if let Some(old) = previous {
        state.store.delete_session(&old.token_hash).await?;
    }
    let now = Utc::now();
    let token = new_token();
    let expires = now
        + chrono::TimeDelta::from_std(state.auth.absolute_timeout)
            .unwrap_or(chrono::TimeDelta::hours(12));
    state
        .store
        .create_session(&token_hash(&token), account.id, only_org, now, expires)
        .await?;
    tracing::info!(account = %account.id, single_sign_on = only_org.is_some(), "signed in");
    let mut res = Redirect::to(next.as_str()).into_response();
    // The new session's CSRF token: the one its forms carry, and the only one its requests are checked against.
    let csrf_token = csrf::session_token(&token);
    append_cookie(&mut res, session::cookie(&state.auth, token));
    append_cookie(&mut res, csrf::cookie(&state.auth, csrf_token));
    Ok(res)
}

pub(crate) fn append_cookie(res: &mut Response, c: axum_extra::extract::cookie::Cookie<'static>) {
    if let Ok(v) = c.to_string().parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub async fn sign_out(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
) -> Result<Response, PageError> {
    if let Some(Extension(c)) = caller {
        state.store.delete_session(&c.token_hash).await?;
        tracing::info!(account = %c.account.id, "signed out");
    }
    let mut res = Redirect::to("/sign-in?notice=signed-out").into_response();
    append_cookie(&mut res, session::removal(&state.auth));
    // A fresh pre-sign-in token: nothing of the ended session is used again.
    append_cookie(&mut res, csrf::cookie(&state.auth, new_token()));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::client_address;
    use std::net::IpAddr;

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        // Straight to Lantern: the header is ignored, whatever it claims.
        assert_eq!(
            client_address(Some(client), Some("1.2.3.4"), &[proxy]),
            "203.0.113.9"
        );
        // Through the proxy: the last hop the proxy saw, not what the client wrote first.
        assert_eq!(
            client_address(Some(proxy), Some("1.2.3.4, 203.0.113.9"), &[proxy]),
            "203.0.113.9"
        );
        assert_eq!(client_address(Some(proxy), None, &[proxy]), "10.0.0.2");
        assert_eq!(client_address(None, None, &[]), "unknown");
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "change_password.html")]
pub struct ChangePasswordPage {
    layout: Layout,
    errors: Vec<FieldError>,
}

impl ChangePasswordPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

pub async fn change_password_page(page: crate::pages::layout::Page) -> ChangePasswordPage {
    ChangePasswordPage {
        layout: page.layout,
        errors: Vec::new(),
    }
}

#[derive(serde::Deserialize)]
pub struct ChangePasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// A signed-in person changes their password: the current one first, then the new one twice. Every session of the
/// account ends, this one included, and they sign in again.
pub async fn change_password_submit(
    State(state): State<AppState>,
    page: crate::pages::layout::Page,
    Form(form): Form<ChangePasswordForm>,
) -> Result<Response, PageError> {
    let mut errors = Vec::new();
    let account = &page.caller.account;
    if !password::verify(form.current.clone(), account.password_hash.clone()).await {
        errors.push(FieldError {
            field: "current",
            message: "Enter your current password".into(),
        });
    }
    errors.extend(new_password_problem(&form.password, &form.confirm));
    if !errors.is_empty() {
        return Ok((
            StatusCode::BAD_REQUEST,
            ChangePasswordPage {
                layout: page.layout,
                errors,
            },
        )
            .into_response());
    }
    let hash = password::hash(form.password)
        .await
        .map_err(crate::AppError::Internal)?;
    state.store.set_password(account.id, &hash).await?;
    tracing::info!(account = %account.id, "password changed");
    let mut res = Redirect::to("/sign-in?notice=password-changed").into_response();
    append_cookie(&mut res, session::removal(&state.auth));
    append_cookie(&mut res, csrf::cookie(&state.auth, new_token()));
    Ok(res)
}
