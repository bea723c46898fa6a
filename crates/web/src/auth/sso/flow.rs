//! The sign-in round trip through an organisation's provider.
//!
//! 1. `GET /sign-in/sso/{ods}` makes a state, a nonce and a PKCE verifier, stores them (the state hashed) for ten
//!    minutes, puts the state in a cookie for this browser, and redirects to the provider.
//! 2. `GET /sign-in/sso/callback?code&state`: the state must match the cookie (so nobody can finish a sign-in they
//!    did not start in this browser) and is used once. The code is exchanged with the PKCE verifier; the ID token
//!    is verified; its subject or verified email finds the account (or, by email, makes a learner account for
//!    someone in post on the staff list: `provision.rs`); a session confined to the organisation starts.

use super::{SsoFailure, client};
use crate::AppState;
use crate::auth::Caller;
use crate::auth::csrf::CsrfToken;
use crate::auth::next::safe_next;
use crate::auth::sign_in::{append_cookie, start_session};
use crate::auth::token_hash;
use crate::pages::PageError;
use crate::pages::layout::Layout;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::Utc;
use lantern_store::{Account, Scope, SsoLogin, SsoMatch, SsoProvider};
use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{
    AuthorizationCode, CsrfToken as OidcState, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    TokenResponse,
};
use subtle::ConstantTimeEq;

/// How long a person has to finish signing in at their provider.
const LOGIN_VALID_FOR: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

const STATE_COOKIE: &str = "lantern_sso_state";

#[derive(Template, WebTemplate)]
#[template(path = "sso_problem.html")]
pub struct ProblemPage {
    layout: Layout,
    title: String,
    message: String,
}

fn problem(csrf: &CsrfToken, status: StatusCode, title: &str, message: String) -> Response {
    (
        status,
        ProblemPage {
            layout: Layout::anonymous(csrf),
            title: title.to_owned(),
            message,
        },
    )
        .into_response()
}

#[derive(serde::Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// The organisation's enabled provider, or 404 (no organisation, or no single sign-on there).
async fn enabled_provider(
    state: &AppState,
    ods: &str,
) -> Result<(lantern_domain::Organisation, SsoProvider), PageError> {
    // The organisation is looked up as the platform would: this page is for people not yet signed in, and says
    // only what the sign-in page already lists.
    let org = state.store.org_by_code(&Scope::Platform, ods).await?;
    match state.store.sso_provider(org.id).await? {
        Some(p) if p.enabled => Ok((org, p)),
        _ => Err(crate::AppError::NotFound.into()),
    }
}

pub async fn start(
    State(state): State<AppState>,
    csrf: CsrfToken,
    Path(ods): Path<String>,
    Query(q): Query<StartQuery>,
) -> Result<Response, PageError> {
    let (org, provider) = enabled_provider(&state, &ods).await?;
    let unavailable = |e: SsoFailure| {
        tracing::warn!(org = %org.ods_code, error = %e.0, "single sign-on unavailable");
        problem(
            &csrf,
            StatusCode::BAD_GATEWAY,
            &format!("Sign-in with {} is not available", provider.label),
            format!(
                "Lantern could not reach {}'s sign-in service just now. Try again in a few minutes, or sign in \
                 with your Lantern password.",
                org.name
            ),
        )
    };
    let metadata = match state.sso.metadata(&provider).await {
        Ok(m) => m,
        Err(e) => return Ok(unavailable(e)),
    };
    let client = match client(&provider, metadata, &state.auth.public_url) {
        Ok(c) => c,
        Err(e) => return Ok(unavailable(e)),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, oidc_state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            OidcState::new_random,
            Nonce::new_random,
        )
        .add_scope(openidconnect::Scope::new("email".to_owned()))
        .add_scope(openidconnect::Scope::new("profile".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    let now = Utc::now();
    state
        .store
        .create_sso_login(
            &token_hash(oidc_state.secret()),
            &SsoLogin {
                org: org.id,
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                next: safe_next(q.next.as_deref()).to_string(),
            },
            now,
            now + LOGIN_VALID_FOR,
        )
        .await?;
    let mut res = Redirect::to(url.as_str()).into_response();
    // Lax, not Strict: the provider's redirect back is a cross-site top-level navigation, which Lax allows.
    let cookie = Cookie::build((STATE_COOKIE, oidc_state.secret().clone()))
        .path("/sign-in/sso")
        .http_only(true)
        .secure(state.auth.secure_cookies)
        .same_site(SameSite::Lax)
        .build();
    append_cookie(&mut res, cookie);
    Ok(res)
}

#[derive(serde::Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

pub async fn callback(
    State(state): State<AppState>,
    csrf: CsrfToken,
    previous: Option<Extension<Caller>>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, PageError> {
    let start_again = "Go back to the sign-in page and start again.";
    let Some(returned_state) = q.state.as_deref().filter(|s| !s.is_empty()) else {
        return Ok(problem(
            &csrf,
            StatusCode::BAD_REQUEST,
            "Sign-in did not complete",
            format!(
                "The answer from your organisation's sign-in service was incomplete. {start_again}"
            ),
        ));
    };
    let jar = axum_extra::extract::CookieJar::from_headers(&headers);
    let same_browser = jar
        .get(STATE_COOKIE)
        .is_some_and(|c| bool::from(c.value().as_bytes().ct_eq(returned_state.as_bytes())));
    let login = state
        .store
        .take_sso_login(&token_hash(returned_state), Utc::now())
        .await?;
    let (Some(login), true) = (login, same_browser) else {
        return Ok(problem(
            &csrf,
            StatusCode::BAD_REQUEST,
            "Sign-in did not complete",
            format!(
                "This sign-in has expired, was already used, or was started in another browser. {start_again}"
            ),
        ));
    };
    let Some(provider) = state
        .store
        .sso_provider(login.org)
        .await?
        .filter(|p| p.enabled)
    else {
        return Ok(problem(
            &csrf,
            StatusCode::BAD_REQUEST,
            "Sign-in did not complete",
            "Single sign-on has been turned off for this organisation. Sign in with your Lantern password.".into(),
        ));
    };
    let failed = |status: StatusCode, message: String| {
        problem(
            &csrf,
            status,
            &format!("Sign-in with {} did not work", provider.label),
            message,
        )
    };
    if let Some(error) = &q.error {
        tracing::info!(org = %login.org, %error, description = ?q.error_description, "provider refused sign-in");
        let message = match error.as_str() {
            "access_denied" => format!(
                "Sign-in was cancelled or refused at {}. {start_again}",
                provider.label
            ),
            _ => format!(
                "{} answered: {}. {start_again}",
                provider.label,
                q.error_description.as_deref().unwrap_or(error)
            ),
        };
        return Ok(failed(StatusCode::BAD_REQUEST, message));
    }
    let Some(code) = q.code.clone() else {
        return Ok(failed(
            StatusCode::BAD_REQUEST,
            format!("The provider sent no authorisation code. {start_again}"),
        ));
    };

    let account = match verified_account(&state, &provider, &login, code).await {
        Ok(a) => a,
        Err(Refusal::Provider(e)) => {
            tracing::warn!(org = %login.org, error = %e.0, "single sign-on failed");
            return Ok(failed(
                StatusCode::BAD_GATEWAY,
                format!(
                    "Lantern could not verify the answer from {}. {start_again} If it keeps happening, tell your \
                     Lantern administrator.",
                    provider.label
                ),
            ));
        }
        Err(Refusal::NoAccount(message)) => return Ok(failed(StatusCode::FORBIDDEN, message)),
        Err(Refusal::Store(e)) => return Err(e.into()),
    };
    start_session(
        &state,
        &account,
        Some(login.org),
        previous.as_ref().map(|e| &e.0),
        // Checked again on the way out: a sign-in stored before this rule existed goes home.
        &safe_next(Some(&login.next)),
    )
    .await
    .map(|mut res| {
        let mut gone = Cookie::build((STATE_COOKIE, ""))
            .path("/sign-in/sso")
            .build();
        gone.make_removal();
        append_cookie(&mut res, gone);
        res
    })
}

enum Refusal {
    /// The provider's answer could not be used (token exchange failed, or the ID token did not verify).
    Provider(SsoFailure),
    /// A verified identity with no account for it here: the message says who they were and what to do.
    NoAccount(String),
    Store(lantern_store::StoreError),
}

impl From<lantern_store::StoreError> for Refusal {
    fn from(e: lantern_store::StoreError) -> Self {
        Refusal::Store(e)
    }
}

/// Exchanges the code, verifies the ID token and finds the account it names.
async fn verified_account(
    state: &AppState,
    provider: &SsoProvider,
    login: &SsoLogin,
    code: String,
) -> Result<Account, Refusal> {
    let metadata = state
        .sso
        .metadata(provider)
        .await
        .map_err(Refusal::Provider)?;
    let client = client(provider, metadata, &state.auth.public_url).map_err(Refusal::Provider)?;
    let request = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| Refusal::Provider(SsoFailure(format!("no token endpoint: {e}"))))?
        .set_pkce_verifier(PkceCodeVerifier::new(login.pkce_verifier.clone()));
    let http = state.sso.http_for(provider).map_err(Refusal::Provider)?;
    let tokens = request.request_async(&http).await.map_err(|e| {
        Refusal::Provider(SsoFailure(format!(
            "token exchange: {}",
            super::error_chain(&e)
        )))
    })?;
    let id_token = tokens.id_token().ok_or_else(|| {
        Refusal::Provider(SsoFailure("the token response has no ID token".into()))
    })?;
    let claims = match id_token.claims(
        &client.id_token_verifier(),
        &Nonce::new(login.nonce.clone()),
    ) {
        Ok(c) => c.clone(),
        Err(e) => {
            // Perhaps the provider rotated its keys: the next attempt fetches its document again.
            state.sso.forget(provider.org);
            return Err(Refusal::Provider(SsoFailure(format!(
                "ID token: {}",
                super::error_chain(&e)
            ))));
        }
    };
    let subject = claims.subject().as_str();
    let email = claims
        .email()
        .map(|e| e.as_str().trim().to_lowercase())
        // A provider that says the address is unverified is not trusted with it; one that says nothing (as Entra
        // ID does for organisation accounts) vouches for the addresses it issues.
        .filter(|_| claims.email_verified() != Some(false));
    let now = Utc::now();
    let org = state
        .read_model
        .context(state.store.as_ref(), &Scope::Platform, provider.org)
        .await?
        .org
        .clone();
    let org_name = org.name.clone();
    let today = crate::when::today(&org);
    let who = email
        .clone()
        .unwrap_or_else(|| format!("the identity {subject:?}"));
    let no_account = |why: &str| {
        Refusal::NoAccount(format!(
            "You signed in as {who} at {}, but {why}. Ask your organisation's Lantern administrator.",
            provider.label
        ))
    };

    let bound = state
        .store
        .sso_account(provider.org, &provider.issuer, subject, now)
        .await?;
    let account = match (bound, provider.match_on) {
        (Some(a), _) => a,
        (None, SsoMatch::Subject) => {
            return Err(no_account(&format!(
                "no Lantern account at {org_name} is linked to that identity"
            )));
        }
        (None, SsoMatch::Email) => {
            let Some(email) = &email else {
                return Err(no_account(
                    "the sign-in service did not share a verified email address with Lantern",
                ));
            };
            let a = match state.store.account_by_email(email).await? {
                Some(a) => a,
                // Someone on the staff list signing in for the first time: a learner account of their own.
                None => {
                    match super::provision::new_account(state, provider.org, email, today).await? {
                        Some(a) => a,
                        None => {
                            return Err(no_account(&format!(
                                "there is no Lantern account for that address at {org_name}, and nobody in post there \
                             has it on their staff record"
                            )));
                        }
                    }
                }
            };
            if let Some(other) = state
                .store
                .sso_subject_of(provider.org, &provider.issuer, a.id)
                .await?
            {
                // The address now belongs to a different identity than the one first bound to this account
                // (a reissued mailbox): refuse rather than hand the account to someone else.
                tracing::warn!(account = %a.id, bound = %other, presented = %subject, "single sign-on subject mismatch");
                return Err(no_account(
                    "the Lantern account with that address is linked to a different identity",
                ));
            }
            a
        }
    };
    if account.disabled {
        return Err(no_account("that Lantern account has been disabled"));
    }
    let holds_role_here = state
        .store
        .grants(account.id)
        .await?
        .iter()
        .any(|g| g.org == Some(provider.org));
    let provisioned = !holds_role_here
        && provider.match_on == SsoMatch::Email
        && super::provision::learner_role(state, provider.org, &account, today).await?;
    if !holds_role_here && !provisioned {
        return Err(no_account(&format!(
            "that Lantern account has no role at {org_name}"
        )));
    }
    if provider.match_on == SsoMatch::Email {
        // Bind the subject at first sign-in, so later sign-ins follow the identity rather than the address.
        state
            .store
            .link_sso_identity(provider.org, &provider.issuer, subject, account.id, now)
            .await?;
    }
    Ok(account)
}
