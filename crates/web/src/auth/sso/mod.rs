//! Single sign-on with OpenID Connect, configured per organisation (NHSmail, Entra ID, Okta, Keycloak...).
//!
//! - `flow`: `/sign-in/sso/{ods}` sends the browser to the organisation's provider (authorisation code flow with
//!   PKCE, a nonce and a one-time state bound to the browser by a cookie); `/sign-in/sso/callback` exchanges the
//!   code, verifies the ID token (signature against the provider's published keys, issuer, audience, expiry,
//!   nonce) and maps its subject or verified email to an account.
//! - `settings`: the organisation admin's page, `/orgs/{ods}/admin/sso`.
//!
//! Trust is confined to the organisation: a provider signs in only accounts that hold a role in its organisation,
//! and the session it starts carries only that organisation's roles (never a platform admin's), so one
//! organisation's identity provider cannot reach another organisation's data even for a person who works in both.

pub mod flow;
pub mod settings;

use lantern_domain::OrgId;
use lantern_store::SsoProvider;
use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::{ClientId, ClientSecret, IssuerUrl, RedirectUrl};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Discovery documents (endpoints and signing keys) are fetched once per provider and kept this long, so a sign-in
/// costs no extra round trip while key rotation at the provider is picked up within minutes.
const METADATA_TTL: Duration = Duration::from_secs(10 * 60);

/// Why a single sign-on step failed, in words for the person signing in.
#[derive(Debug)]
pub struct SsoFailure(pub String);

/// The HTTP client for providers, and their discovery documents.
pub struct Providers {
    http: openidconnect::reqwest::Client,
    metadata: Mutex<HashMap<OrgId, Cached>>,
}

struct Cached {
    issuer: String,
    fetched: Instant,
    metadata: CoreProviderMetadata,
}

impl Default for Providers {
    fn default() -> Self {
        Self::new()
    }
}

impl Providers {
    pub fn new() -> Self {
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Never follow redirects: a provider's answer must come from the provider (server-side request forgery).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .expect("the HTTP client builds");
        Providers {
            http,
            metadata: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn http(&self) -> &openidconnect::reqwest::Client {
        &self.http
    }

    /// The provider's discovery document, from the cache or fetched anew.
    pub async fn metadata(
        &self,
        provider: &SsoProvider,
    ) -> Result<CoreProviderMetadata, SsoFailure> {
        if let Some(c) = self
            .metadata
            .lock()
            .expect("metadata cache")
            .get(&provider.org)
            .filter(|c| c.issuer == provider.issuer && c.fetched.elapsed() < METADATA_TTL)
        {
            return Ok(c.metadata.clone());
        }
        let metadata = discover(&self.http, &provider.issuer).await?;
        self.metadata.lock().expect("metadata cache").insert(
            provider.org,
            Cached {
                issuer: provider.issuer.clone(),
                fetched: Instant::now(),
                metadata: metadata.clone(),
            },
        );
        Ok(metadata)
    }

    /// Forgets a provider's document (after its settings change, or when its keys no longer verify a token).
    pub fn forget(&self, org: OrgId) {
        self.metadata.lock().expect("metadata cache").remove(&org);
    }
}

/// Fetches and checks a discovery document: the issuer it states must be the one configured.
pub async fn discover(
    http: &openidconnect::reqwest::Client,
    issuer: &str,
) -> Result<CoreProviderMetadata, SsoFailure> {
    let url = IssuerUrl::new(issuer.trim().to_owned())
        .map_err(|_| SsoFailure(format!("{issuer:?} is not a URL")))?;
    CoreProviderMetadata::discover_async(url, http)
        .await
        .map_err(|e| {
            SsoFailure(format!(
                "Lantern could not read the provider's discovery document at {}/.well-known/openid-configuration: {}",
                issuer.trim_end_matches('/'),
                error_chain(&e)
            ))
        })
}

/// The address providers send people back to; registered at the provider as the redirect URI.
pub fn callback_url(public_url: &str) -> String {
    format!("{}/sign-in/sso/callback", public_url.trim_end_matches('/'))
}

/// An OpenID Connect client for the provider, from its discovery document.
pub(crate) fn client(
    provider: &SsoProvider,
    metadata: CoreProviderMetadata,
    public_url: &str,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    SsoFailure,
> {
    let redirect = RedirectUrl::new(callback_url(public_url))
        .map_err(|_| SsoFailure("Lantern's public URL is not a valid URL".to_owned()))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(provider.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

/// An error with its causes, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
