//! The organisation admin's single sign-on page, `/orgs/{ods}/admin/sso`: the provider (issuer, client ID and secret,
//! how tokens find accounts, the button's label, on or off), the redirect URI to register at the provider, and the
//! identities linked to accounts (with a form to link one by subject, and a button to unlink).
//!
//! Saving an enabled provider fetches its discovery document first (through `network::Guarded`, trusting the CA
//! certificates on the form, if any), so a typing mistake in the issuer is reported on the form rather than
//! discovered by the first person who tries to sign in. Whatever stopped the fetch, the form says the same
//! (`UNREACHABLE`), so the page cannot be used to learn which hosts and ports the server can reach.

use super::callback_url;
use crate::auth::sign_in::FieldError;
use crate::pages::admin::{Notice, admin_org, saved};
use crate::pages::layout::{Layout, Page};
use crate::pages::{PageError, PageResult};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantern_domain::AccountId;
use lantern_store::{OrgContext, SsoIdentity, SsoMatch, SsoProvider, StoreError};

#[derive(Template, WebTemplate)]
#[template(path = "admin_sso.html")]
pub struct SsoPage {
    layout: Layout,
    ods: String,
    org_name: String,
    form: SsoForm,
    /// A client secret is stored (it is never shown again).
    has_secret: bool,
    redirect_uri: String,
    identities: Vec<SsoIdentity>,
    link: LinkForm,
    errors: Vec<FieldError>,
    saved: Option<String>,
}

impl SsoPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn secret_hint(&self) -> &'static str {
        if self.has_secret {
            "A secret is stored and is never shown. Leave this blank to keep it."
        } else {
            "The client secret the provider gave Lantern."
        }
    }

    fn match_on_subject(&self) -> bool {
        self.form.match_on == "subject"
    }
}

#[derive(serde::Deserialize, Default, Clone)]
pub struct SsoForm {
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    /// Blank keeps the stored secret.
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    match_on: String,
    #[serde(default)]
    label: String,
    /// A checkbox: present when ticked.
    enabled: Option<String>,
    /// The organisation's own CA certificates (PEM), for a provider whose certificate they issued.
    #[serde(default)]
    ca_bundle: String,
}

#[derive(serde::Deserialize, Default, Clone)]
pub struct LinkForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    subject: String,
}

fn form_from(p: Option<&SsoProvider>) -> SsoForm {
    match p {
        Some(p) => SsoForm {
            issuer: p.issuer.clone(),
            client_id: p.client_id.clone(),
            client_secret: String::new(),
            match_on: p.match_on.code().to_owned(),
            label: p.label.clone(),
            enabled: p.enabled.then(|| "on".to_owned()),
            ca_bundle: p.ca_bundle.clone(),
        },
        None => SsoForm {
            match_on: "email".to_owned(),
            ..SsoForm::default()
        },
    }
}

async fn page_for(
    state: &AppState,
    page: Page,
    ctx: &OrgContext,
    form: Option<SsoForm>,
    link: LinkForm,
    errors: Vec<FieldError>,
    saved: Option<String>,
) -> Result<SsoPage, PageError> {
    let stored = state.store.sso_provider(ctx.org.id).await?;
    let identities = match &stored {
        Some(p) => state.store.sso_identities(ctx.org.id, &p.issuer).await?,
        None => Vec::new(),
    };
    Ok(SsoPage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        form: form.unwrap_or_else(|| form_from(stored.as_ref())),
        has_secret: stored.as_ref().is_some_and(|p| !p.client_secret.is_empty()),
        redirect_uri: callback_url(&state.auth.public_url),
        identities,
        link,
        errors,
        saved,
    })
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(n): Query<Notice>,
) -> PageResult<SsoPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    page_for(
        &state,
        page,
        &ctx,
        None,
        LinkForm::default(),
        Vec::new(),
        n.saved,
    )
    .await
}

fn done(ctx: &OrgContext, message: &str) -> Response {
    saved(ctx, "sso", message)
}

pub async fn save(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<SsoForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let stored = state.store.sso_provider(ctx.org.id).await?;
    let mut errors = Vec::new();
    let issuer = form.issuer.trim().trim_end_matches('/').to_owned();
    if issuer.is_empty() {
        errors.push(FieldError {
            field: "issuer",
            message: "Enter the issuer URL your identity provider gives, like https://login.microsoftonline.com/TENANT/v2.0".into(),
        });
    } else if let Err(message) = super::issuer_url(&issuer, state.sso.reach()) {
        errors.push(FieldError {
            field: "issuer",
            message,
        });
    }
    if form.client_id.trim().is_empty() {
        errors.push(FieldError {
            field: "client_id",
            message: "Enter the client ID (application ID) that the provider gave Lantern".into(),
        });
    }
    let secret = match form.client_secret.trim() {
        "" => stored
            .as_ref()
            .map(|p| p.client_secret.clone())
            .unwrap_or_default(),
        s => s.to_owned(),
    };
    if secret.is_empty() {
        errors.push(FieldError {
            field: "client_secret",
            message: "Enter the client secret that the provider gave Lantern".into(),
        });
    }
    let match_on = SsoMatch::parse(&form.match_on);
    if match_on.is_none() {
        errors.push(FieldError {
            field: "match_on-email",
            message: "Choose how a sign-in finds its Lantern account".into(),
        });
    }
    let label = form.label.trim().to_owned();
    if label.is_empty() {
        errors.push(FieldError {
            field: "label",
            message: "Enter what the sign-in button should say, like NHSmail".into(),
        });
    }
    let ca_bundle = form.ca_bundle.trim().to_owned();
    let http = match super::Guarded::new(state.sso.reach(), &ca_bundle) {
        Ok(h) => Some(h),
        Err(e) => {
            errors.push(FieldError {
                field: "ca_bundle",
                message: e.0,
            });
            None
        }
    };
    let enabled = form.enabled.is_some();
    if let (true, true, Some(http)) = (errors.is_empty(), enabled, &http) {
        // One text for every failure, whatever the cause (see `UNREACHABLE`); the cause is in the server's log.
        if let Err(e) = super::discover(http, &issuer).await {
            tracing::warn!(org = %ctx.org.ods_code, detail = %e.detail, "single sign-on settings: discovery failed");
            errors.push(FieldError {
                field: "issuer",
                message: super::UNREACHABLE.to_owned(),
            });
        }
    }
    if !errors.is_empty() {
        let page = page_for(
            &state,
            page,
            &ctx,
            Some(form),
            LinkForm::default(),
            errors,
            None,
        )
        .await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    let provider = SsoProvider {
        org: ctx.org.id,
        issuer,
        client_id: form.client_id.trim().to_owned(),
        client_secret: secret,
        match_on: match_on.expect("checked"),
        label,
        enabled,
        ca_bundle,
    };
    state
        .store
        .set_sso_provider(&provider, page.caller.account.id, chrono::Utc::now())
        .await?;
    state.sso.forget(ctx.org.id);
    tracing::info!(org = %ctx.org.ods_code, enabled, issuer = %provider.issuer, "single sign-on settings saved");
    Ok(done(
        &ctx,
        if enabled {
            "Single sign-on is on"
        } else {
            "Single sign-on settings saved; it is off"
        },
    ))
}

/// Links an account (by email) to a subject at the provider, for providers matched by subject.
pub async fn link(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<LinkForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let Some(provider) = state.store.sso_provider(ctx.org.id).await? else {
        return Err(
            AppError::BadRequest("Set up single sign-on before linking accounts.".into()).into(),
        );
    };
    let mut errors = Vec::new();
    let subject = form.subject.trim();
    if subject.is_empty() {
        errors.push(FieldError {
            field: "subject",
            message: "Enter the subject (sub) the provider gives this person".into(),
        });
    }
    let here = state.store.accounts_in_org(ctx.org.id).await?;
    let email = form.email.trim().to_lowercase();
    let account = here.iter().find(|a| a.account.email == email);
    if account.is_none() {
        errors.push(FieldError {
            field: "link-email",
            message: format!(
                "No account with a role at {} has the email address {email:?}",
                ctx.org.name
            ),
        });
    }
    if let (true, Some(a)) = (errors.is_empty(), account) {
        match state
            .store
            .link_sso_identity(
                ctx.org.id,
                &provider.issuer,
                subject,
                a.account.id,
                chrono::Utc::now(),
            )
            .await
        {
            Ok(()) => {
                tracing::info!(org = %ctx.org.ods_code, account = %a.account.id, "single sign-on identity linked");
                return Ok(done(&ctx, &format!("{email} is linked")));
            }
            Err(StoreError::Rejected(problems)) => {
                errors.extend(problems.into_iter().map(|p| FieldError {
                    field: if p.field == "subject" {
                        "subject"
                    } else {
                        "link-email"
                    },
                    message: p.message,
                }))
            }
            Err(e) => return Err(e.into()),
        }
    }
    let page = page_for(&state, page, &ctx, None, form, errors, None).await?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

/// Removes an account's link to its identity at the provider (a reissued mailbox, a corrected mistake).
pub async fn unlink(
    State(state): State<AppState>,
    page: Page,
    Path((ods, account)): Path<(String, i64)>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    if !state
        .store
        .unlink_sso_identity(ctx.org.id, AccountId(account))
        .await?
    {
        return Err(AppError::NotFound.into());
    }
    tracing::info!(org = %ctx.org.ods_code, account, "single sign-on identity unlinked");
    Ok(done(&ctx, "The link was removed"))
}
