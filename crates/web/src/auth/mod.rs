//! Sign-in, sessions, CSRF and the caller.
//!
//! - `session`: the middleware that turns the session cookie into a [`Caller`] (idle and absolute expiry, stored
//!   server-side so it works on both backends and across restarts and servers).
//! - `csrf`: every state-changing request must carry the CSRF token (form field or header) and come from this site.
//! - `next`: where sign-in may send the browser afterwards (only this site, as a browser would read the address).
//! - `password`: argon2id.
//! - `sign_in`: the sign-in and sign-out pages, and changing one's password.
//! - `throttle`: how failed sign-ins slow down guessing (per account and address, per account, per address).
//! - `reset`: password reset by an emailed one-time link, asked for in constant time and limited.
//! - `invitation`: accepting (or declining) an invitation to a role, from the emailed link.
//!
//! Handlers take a [`Caller`] (API: 401 when signed out) or a `pages::Page` (pages: redirect to sign-in), then
//! ask [`Caller::require`] for the action they perform. The decision itself is `lantern_domain::access`.

pub mod csrf;
pub mod invitation;
pub mod next;
pub mod password;
pub mod reset;
pub mod session;
pub mod sign_in;
pub mod sso;
pub mod throttle;

use crate::AppError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lantern_domain::access::{Action, Principal, Scope};
use lantern_store::Account;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Sign-in settings.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, however active.
    pub absolute_timeout: Duration,
    /// Cookies are marked Secure (and HSTS is sent) when Lantern is served over HTTPS.
    pub secure_cookies: bool,
    /// How failed sign-ins are throttled.
    pub throttle: throttle::ThrottlePolicy,
    /// How many password-reset links may be asked for.
    pub reset_requests: reset::ResetRequestPolicy,
    /// Where emails go in development, when there is no SMTP relay: one .eml file per message.
    pub outbox: Option<std::path::PathBuf>,
    /// The SMTP relay that sends email in production; it takes precedence over the outbox.
    pub smtp: Option<crate::mail::SmtpRelay>,
    /// The sender of Lantern's emails, e.g. `Lantern <no-reply@trust.nhs.uk>`.
    pub mail_from: String,
    /// The address people reach Lantern at, for links in emails.
    pub public_url: String,
    /// Reverse proxies whose X-Forwarded-For is believed, for throttling by client address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Single sign-on providers may be reached over plain http:// (tests and local identity servers only).
    pub sso_allow_http: bool,
    /// Single sign-on may reach providers at loopback, link-local and private addresses (a platform setting, for
    /// a provider inside the organisation's network); otherwise only public addresses.
    pub sso_allow_private_networks: bool,
    /// The virtual patient's language models may be at loopback addresses (a model server on Lantern's own
    /// machine); otherwise loopback, link-local and unspecified addresses are refused (`sim::patient`).
    pub models_allow_loopback: bool,
    /// The queue every email goes through; `AppState::new` connects it to the store.
    pub mail_queue: crate::mail::Queue,
}

impl AuthConfig {
    /// What single sign-on may reach.
    pub fn sso_reach(&self) -> sso::Reach {
        sso::Reach {
            private_networks: self.sso_allow_private_networks,
            plain_http: self.sso_allow_http,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 60 * 60),
            secure_cookies: false,
            throttle: throttle::ThrottlePolicy::default(),
            reset_requests: reset::ResetRequestPolicy::default(),
            outbox: None,
            smtp: None,
            mail_from: "Lantern <no-reply@lantern.invalid>".to_owned(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            trusted_proxies: Vec::new(),
            sso_allow_http: false,
            sso_allow_private_networks: false,
            models_allow_loopback: false,
            mail_queue: crate::mail::Queue::default(),
        }
    }
}

/// A signed-in caller.
#[derive(Clone, Debug)]
pub struct Caller {
    pub account: Account,
    pub principal: Principal,
    pub(crate) token_hash: String,
    /// The session's CSRF token (`csrf::session_token`), the only one its state-changing requests may carry.
    pub(crate) csrf_token: String,
}

impl Caller {
    /// What the caller may see; every store read takes it.
    pub fn scope(&self) -> Scope {
        self.principal.scope()
    }

    /// Allows the action or refuses it: 404 when the caller holds nothing in the organisation (so its existence
    /// is not revealed), 403 when they do but their role does not allow this.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if self.principal.may(action) {
            return Ok(());
        }
        match action.org() {
            Some(o) if !self.principal.belongs_to(o) => Err(AppError::NotFound),
            _ => Err(AppError::Forbidden(
                "Your role does not allow this. Ask your organisation's Lantern administrator if you need it."
                    .to_owned(),
            )),
        }
    }

    /// May the caller do this? For choices a page makes (a link, a button), where a refusal is not an error.
    pub fn may(&self, action: Action) -> bool {
        self.principal.may(action)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(AppError::Unauthenticated)
    }
}

/// A random token of 256 bits, URL-safe.
pub fn new_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a token: its SHA-256, so the database never holds a usable session or reset link.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
