//! Client applications authenticate to the LRS with HTTP Basic: the key names the credential (and so the
//! organisation whose LRS it is), the secret proves it. A secret is 256 random bits, so the store keeps its SHA-256:
//! checking it costs one indexed lookup and one hash, microseconds, rather than a deliberately slow password hash
//! on every statement (which is what holds some LRSs to tens of requests a second).

use super::{XapiHttpError, XapiResult};
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use lantern_domain::OrgId;
use lantern_store::lrs::LrsCredential;
use subtle::ConstantTimeEq;

/// The calling application, authenticated.
#[derive(Clone, Debug)]
pub struct LrsClient {
    pub credential: LrsCredential,
    /// A cmi5 AU's session, when the credential is one the fetch URL gave out (`super::cmi5`): it may do only what
    /// that session may.
    pub cmi5: Option<std::sync::Arc<lantern_store::learning::cmi5::Cmi5Session>>,
}

impl LrsClient {
    pub fn org(&self) -> OrgId {
        self.credential.org
    }

    /// Writes need a credential with write access (403 for a read-only one).
    pub fn require_write(&self) -> XapiResult<()> {
        if self.credential.can_write {
            Ok(())
        } else {
            Err(XapiHttpError::new(
                StatusCode::FORBIDDEN,
                "this credential is read-only; ask your organisation's Lantern administrator for one that may write",
            ))
        }
    }

    /// The Agent that statements stored with this credential name as their authority (Data 2.4.9).
    pub fn authority(&self, public_url: &str) -> serde_json::Value {
        serde_json::json!({
            "objectType": "Agent",
            "name": self.credential.name,
            "account": {
                "homePage": format!("{}/xapi", public_url.trim_end_matches('/')),
                "name": self.credential.api_key,
            }
        })
    }
}

/// A new credential: the key (shown and stored) and the secret (shown once, stored as its hash).
pub fn new_credential() -> (String, String, String) {
    let key = format!("lk_{}", &crate::auth::new_token()[..24]);
    let secret = crate::auth::new_token();
    let hash = crate::auth::token_hash(&secret);
    (key, secret, hash)
}

/// 401 with the challenge a client needs to send credentials.
pub struct Unauthorised(pub &'static str);

impl IntoResponse for Unauthorised {
    fn into_response(self) -> Response {
        let mut res = XapiHttpError::new(StatusCode::UNAUTHORIZED, self.0).into_response();
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Lantern LRS\", charset=\"UTF-8\""),
        );
        res
    }
}

impl FromRequestParts<AppState> for LrsClient {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(&parts.headers, state).await
    }
}

/// The client whose HTTP Basic credentials the request carries, or the 401 (or 500) to answer.
pub async fn authenticate(headers: &HeaderMap, state: &AppState) -> Result<LrsClient, Response> {
    let refuse = |why: &'static str| Unauthorised(why).into_response();
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(refuse(
            "send the LRS key and secret as HTTP Basic credentials (Authorization: Basic ...)",
        ));
    };
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Err(refuse("only HTTP Basic credentials are accepted"));
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let Some((key, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Err(refuse("the Basic credentials are not key:secret in base64"));
    };
    if key.starts_with(super::cmi5::KEY_PREFIX) {
        return match super::cmi5::authenticate(state, key, secret).await {
            Ok(Some(client)) => Ok(client),
            Ok(None) => Err(refuse(
                "unknown key or wrong secret, or the cmi5 session has expired",
            )),
            Err(e) => {
                tracing::error!(error = %e, "cmi5 session credential");
                Err(XapiHttpError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. It has been logged.",
                )
                .into_response())
            }
        };
    }
    let found = state
        .store
        .lrs_credential(key)
        .await
        .map_err(|e| XapiHttpError::from(e).into_response())?;
    // Compare in constant time, and compare even for an unknown key, so timing says nothing.
    let presented = crate::auth::token_hash(secret);
    let stored = found
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| "0".repeat(64));
    let matches = bool::from(presented.as_bytes().ct_eq(stored.as_bytes()));
    match found {
        Some((credential, _)) if matches && credential.revoked_at.is_none() => Ok(LrsClient {
            credential,
            cmi5: None,
        }),
        Some((c, _)) if matches => {
            tracing::info!(key = %c.api_key, "revoked LRS credential used");
            Err(refuse("this credential has been revoked"))
        }
        _ => Err(refuse("unknown key or wrong secret")),
    }
}
