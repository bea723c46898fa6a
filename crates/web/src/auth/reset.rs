//! Password reset by an emailed one-time link.
//!
//! - `/password-reset`: asking for a link. The request is recorded as asked, and the answer is the same, after the
//!   same work, whether or not the email has an account (OWASP Forgot Password Cheat Sheet: "return a consistent
//!   message for both existent and non-existent accounts" and "ensure that responses return in a consistent amount
//!   of time"). Finding the account, making the token and queueing the email happen in the background
//!   ([`prepare_requested`], which the mail deliverer runs). Requests are limited per email and per client address
//!   ([`ResetRequestPolicy`]), counted alike for addresses with and without an account.
//! - `/password-reset/{token}`: choosing a new password with the link. It works once, within an hour; it ends every
//!   session of the account and clears its sign-in lock.

use super::sign_in::{FieldError, client_address, new_password_problem};
use super::{new_token, password, token_hash};
use crate::AppState;
use crate::auth::csrf::CsrfToken;
use crate::pages::PageError;
use crate::pages::layout::Layout;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{ConnectInfo, Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{TimeDelta, Utc};
use lantern_store::{NewReset, OutgoingMail, ResetLimits, ResetRefused};
use std::net::SocketAddr;
use std::time::Duration;

/// How many links may be asked for, per email and per client address, in a window.
#[derive(Clone, Debug)]
pub struct ResetRequestPolicy {
    pub per_email: i64,
    pub per_address: i64,
    pub window: Duration,
}

impl Default for ResetRequestPolicy {
    fn default() -> Self {
        ResetRequestPolicy {
            per_email: 3,
            per_address: 20,
            window: Duration::from_secs(60 * 60),
        }
    }
}

/// How long a reset link works.
const RESET_VALID_FOR: TimeDelta = TimeDelta::hours(1);
/// How long a server holds the requests it took (another takes them over if it stopped).
const HOLD: TimeDelta = TimeDelta::minutes(5);

#[derive(Template, WebTemplate)]
#[template(path = "password_reset_request.html")]
pub struct ResetRequestPage {
    layout: Layout,
    email: String,
    errors: Vec<FieldError>,
    sent: bool,
}

pub async fn reset_request_page(csrf: CsrfToken) -> ResetRequestPage {
    ResetRequestPage {
        layout: Layout::anonymous(&csrf),
        email: String::new(),
        errors: Vec::new(),
        sent: false,
    }
}

#[derive(serde::Deserialize)]
pub struct ResetRequestForm {
    #[serde(default)]
    email: String,
}

pub async fn reset_request_submit(
    State(state): State<AppState>,
    csrf: CsrfToken,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<ResetRequestForm>,
) -> Result<Response, PageError> {
    let email = form.email.trim().to_lowercase();
    let again = |status: StatusCode, message: String| {
        (
            status,
            ResetRequestPage {
                layout: Layout::anonymous(&csrf),
                email: form.email.trim().to_owned(),
                errors: vec![FieldError {
                    field: "email",
                    message,
                }],
                sent: false,
            },
        )
            .into_response()
    };
    if lantern_domain::email::problem(&email).is_some() {
        return Ok(again(
            StatusCode::BAD_REQUEST,
            "Enter an email address, like name@nhs.net".into(),
        ));
    }
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let peer = connect.as_ref().map(|c| c.0.0.ip());
    let address = client_address(peer, forwarded, &state.auth.trusted_proxies);
    let now = Utc::now();
    let policy = &state.auth.reset_requests;
    let window = TimeDelta::from_std(policy.window).unwrap_or(TimeDelta::hours(1));
    let limits = ResetLimits {
        since: now - window,
        per_email: policy.per_email.max(1),
        per_address: policy.per_address.max(1),
        forget_before: now - window.max(TimeDelta::days(1)),
    };
    // The same work for every email: nothing here looks for an account.
    match state
        .store
        .request_password_reset(&email, &address, now, &limits)
        .await?
    {
        Ok(()) => state.auth.mail_queue.wake(),
        Err(refused) => {
            tracing::info!(email = %email, %address, ?refused, "password reset request refused: too many");
            let message = match refused {
                ResetRefused::Email { until } => format!(
                    "There have been too many requests to reset the password for this email address. Check your \
                     email (and junk folder) for a link already sent, or try again in {}.",
                    super::throttle::wait_text(until - now)
                ),
                ResetRefused::Address { until } => format!(
                    "There have been too many password reset requests from your network. Try again in {}.",
                    super::throttle::wait_text(until - now)
                ),
            };
            return Ok(again(StatusCode::TOO_MANY_REQUESTS, message));
        }
    }
    // The same answer whether or not the address has an account.
    Ok(ResetRequestPage {
        layout: Layout::anonymous(&csrf),
        email,
        errors: Vec::new(),
        sent: true,
    }
    .into_response())
}

/// Turns waiting reset requests into reset links and queued emails, for the emails that have an enabled account;
/// the others are marked handled with nothing sent. Returns how many requests it handled.
pub async fn prepare_requested(state: &AppState) -> anyhow::Result<usize> {
    let mut handled = 0;
    loop {
        let now = Utc::now();
        let batch = state
            .store
            .claim_reset_requests(now, now + HOLD, 20)
            .await?;
        if batch.is_empty() {
            return Ok(handled);
        }
        for request in batch {
            let account = state
                .store
                .account_by_email(&request.email)
                .await?
                .filter(|a| !a.disabled);
            let reset = account.map(|account| {
                let token = new_token();
                let link = format!(
                    "{}/password-reset/{token}",
                    state.auth.public_url.trim_end_matches('/')
                );
                NewReset {
                    token_hash: token_hash(&token),
                    account: account.id,
                    expires_at: now + RESET_VALID_FOR,
                    mail: OutgoingMail {
                        to: account.email.clone(),
                        subject: "Reset your Lantern password".to_owned(),
                        body: format!(
                            "Hello {},\n\nSomeone asked to reset the password of your Lantern account. If it was you, \
                             open this link within an hour and choose a new password:\n\n{link}\n\nIf it was not \
                             you, ignore this email: your password has not changed.\n",
                            account.display_name
                        ),
                    },
                }
            });
            if state
                .store
                .complete_reset_request(request.id, now, reset.as_ref())
                .await?
            {
                handled += 1;
            }
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "password_reset.html")]
pub struct ResetPage {
    layout: Layout,
    token: String,
    errors: Vec<FieldError>,
}

impl ResetPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

pub async fn reset_page(csrf: CsrfToken, Path(token): Path<String>) -> ResetPage {
    ResetPage {
        layout: Layout::anonymous(&csrf),
        token,
        errors: Vec::new(),
    }
}

#[derive(serde::Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn reset_submit(
    State(state): State<AppState>,
    csrf: CsrfToken,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, PageError> {
    let mut errors = Vec::new();
    errors.extend(new_password_problem(&form.password, &form.confirm));
    if errors.is_empty() {
        match state
            .store
            .take_password_reset(&token_hash(&token), Utc::now())
            .await?
        {
            Some(account) => {
                let hash = password::hash(form.password)
                    .await
                    .map_err(crate::AppError::Internal)?;
                // Ends every session, and clears the account's sign-in lock and failures: the link proved the mailbox.
                state.store.set_password(account, &hash).await?;
                tracing::info!(account = %account, "password reset");
                return Ok(Redirect::to("/sign-in?notice=password-changed").into_response());
            }
            None => errors.push(FieldError {
                field: "password",
                message: "This reset link has expired or has been used. Ask for a new one.".into(),
            }),
        }
    }
    Ok((
        StatusCode::BAD_REQUEST,
        ResetPage {
            layout: Layout::anonymous(&csrf),
            token,
            errors,
        },
    )
        .into_response())
}
