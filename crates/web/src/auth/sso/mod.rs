//! Single sign-on with OpenID Connect, configured per organisation (NHSmail, Entra ID, Okta, Keycloak...).
//!
//! - `flow`: `/sign-in/sso/{ods}` sends the browser to the organisation's provider (authorisation code flow with
//!   PKCE, a nonce and a one-time state bound to the browser by a cookie); `/sign-in/sso/callback` exchanges the
//!   code, verifies the ID token (signature against the provider's published keys, issuer, audience, expiry,
//!   nonce) and maps its subject or verified email to an account.
//! - `settings`: the organisation admin's page, `/orgs/{ods}/admin/sso`.
//! - `network`: what the server may reach when it fetches from a provider (public addresses only, unless the
//!   platform allows private networks), and the organisation's own CA certificates.
//!
//! Trust is confined to the organisation: a provider signs in only accounts that hold a role in its organisation,
//! and the session it starts carries only that organisation's roles (never a platform admin's), so one
//! organisation's identity provider cannot reach another organisation's data even for a person who works in both.

pub mod flow;
pub mod network;
mod provision;
pub mod settings;

use lantern_domain::OrgId;
use lantern_store::SsoProvider;
use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::{ClientId, ClientSecret, IssuerUrl, RedirectUrl};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use network::{BadBundle, Guarded, Reach};

/// Discovery documents (endpoints and signing keys) are fetched once per provider and kept this long, so a sign-in
/// costs no extra round trip while key rotation at the provider is picked up within minutes.
const METADATA_TTL: Duration = Duration::from_secs(10 * 60);

/// Why a single sign-on step failed, in words for the person signing in.
#[derive(Debug)]
pub struct SsoFailure(pub String);

/// The HTTP clients for providers, and their discovery documents.
pub struct Providers {
    reach: Reach,
    /// For providers that use only public certificate authorities.
    public_roots: Guarded,
    /// For providers with their organisation's own CA certificates: one client each, with the bundle it trusts.
    own_roots: Mutex<HashMap<OrgId, (String, Guarded)>>,
    metadata: Mutex<HashMap<OrgId, Cached>>,
}

struct Cached {
    issuer: String,
    ca_bundle: String,
    fetched: Instant,
    metadata: CoreProviderMetadata,
}

impl Default for Providers {
    fn default() -> Self {
        Self::new(Reach::default())
    }
}

impl Providers {
    pub fn new(reach: Reach) -> Self {
        Providers {
            reach,
            public_roots: Guarded::new(reach, "").expect("a client without a CA bundle builds"),
            own_roots: Mutex::new(HashMap::new()),
            metadata: Mutex::new(HashMap::new()),
        }
    }

    pub fn reach(&self) -> Reach {
        self.reach
    }

    /// The client for a provider: trusting its organisation's CA certificates, if it has any, besides the public
    /// roots (those certificates are trusted for no other organisation's provider).
    pub(crate) fn http_for(&self, provider: &SsoProvider) -> Result<Guarded, SsoFailure> {
        if provider.ca_bundle.trim().is_empty() {
            return Ok(self.public_roots.clone());
        }
        let mut clients = self.own_roots.lock().expect("client cache");
        if let Some((_, client)) = clients
            .get(&provider.org)
            .filter(|(bundle, _)| *bundle == provider.ca_bundle)
        {
            return Ok(client.clone());
        }
        let client = Guarded::new(self.reach, &provider.ca_bundle)
            .map_err(|e| SsoFailure(format!("the stored CA bundle: {}", e.0)))?;
        clients.insert(provider.org, (provider.ca_bundle.clone(), client.clone()));
        Ok(client)
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
            .filter(|c| {
                c.issuer == provider.issuer
                    && c.ca_bundle == provider.ca_bundle
                    && c.fetched.elapsed() < METADATA_TTL
            })
        {
            return Ok(c.metadata.clone());
        }
        let metadata = discover(&self.http_for(provider)?, &provider.issuer)
            .await
            .map_err(|e| SsoFailure(e.detail))?;
        self.metadata.lock().expect("metadata cache").insert(
            provider.org,
            Cached {
                issuer: provider.issuer.clone(),
                ca_bundle: provider.ca_bundle.clone(),
                fetched: Instant::now(),
                metadata: metadata.clone(),
            },
        );
        Ok(metadata)
    }

    /// Forgets a provider's document (after its settings change, or when its keys no longer verify a token).
    pub fn forget(&self, org: OrgId) {
        self.metadata.lock().expect("metadata cache").remove(&org);
        self.own_roots.lock().expect("client cache").remove(&org);
    }
}

/// What the admin is told for every failure to get a discovery document: whether the host exists, the port is
/// open, TLS failed or the answer was wrong is the same to them (so the settings page cannot map the server's
/// network), and the detail goes to the server's log.
pub const UNREACHABLE: &str = "Lantern could not get an OpenID Connect discovery document from this issuer. Check \
that the issuer URL is exactly the one your provider gives (Lantern reads ISSUER/.well-known/openid-configuration \
and nothing else), that the provider can be reached from the internet, and, if a certificate authority of your \
organisation issued its certificate, that the CA certificate is pasted below.";

/// A discovery that failed: the one text for the admin, and the detail for the log.
#[derive(Debug)]
pub struct Undiscovered {
    pub detail: String,
}

/// The issuer URL as typed, if it can be an issuer: https (http only in tests), a host, and no user name,
/// password, query or fragment, so the only URL Lantern fetches from it is ISSUER/.well-known/openid-configuration
/// (OpenID Connect Discovery 1.0, section 4). The error names what is wrong with the text.
pub fn issuer_url(issuer: &str, reach: Reach) -> Result<IssuerUrl, String> {
    let url = openidconnect::url::Url::parse(issuer.trim()).map_err(|_| {
        "Enter the issuer as a full URL, like https://login.example.nhs.uk/realm".to_owned()
    })?;
    match url.scheme() {
        "https" => {}
        "http" if reach.plain_http => {}
        _ => return Err("The issuer URL must start with https://".to_owned()),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("The issuer URL must name a host".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("The issuer URL must not contain a user name or password".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("The issuer URL must not contain ? or #".to_owned());
    }
    IssuerUrl::new(issuer.trim().to_owned()).map_err(|_| "The issuer URL is not valid".to_owned())
}

/// Fetches and checks a discovery document: the issuer it states must be the one configured.
pub async fn discover(http: &Guarded, issuer: &str) -> Result<CoreProviderMetadata, Undiscovered> {
    let url = issuer_url(issuer, http.reach()).map_err(|why| Undiscovered {
        detail: format!("issuer {issuer:?}: {why}"),
    })?;
    CoreProviderMetadata::discover_async(url, http)
        .await
        .map_err(|e| {
            let detail = format!(
                "discovery at {}/.well-known/openid-configuration: {}",
                issuer.trim_end_matches('/'),
                error_chain(&e)
            );
            tracing::warn!(%detail, "single sign-on discovery failed");
            Undiscovered { detail }
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
