//! The virtual patient's language model: an organisation's own OpenAI-compatible endpoint (a llama.cpp server,
//! vLLM or Ollama on its network), set by its admin at `/orgs/{ods}/admin/virtual-patient`, and the call the player
//! makes when a learner talks to the patient in free text. Without a model, the scenario's history questions are
//! a menu (`Action::Ask`), so every scenario can be played without one.
//!
//! What leaves Lantern goes only to the organisation's configured endpoint: the patient's facts from the scenario
//! (`lantern_sim::virtual_patient::messages`) and what the learner said, never their name. The key is stored like
//! the single sign-on secret and never shown again. The endpoint is the organisation's own network by design, so
//! private addresses are allowed; loopback (Lantern's own machine, unless the platform allows it), link-local
//! (cloud metadata), unspecified and multicast addresses are refused where names are resolved, redirects are not
//! followed and no proxy is used, so the setting cannot be turned into a probe of Lantern's host. Every failure
//! reads the same to the learner.

use crate::AppState;
use crate::auth::sign_in::FieldError;
use crate::pages::PageResult;
use crate::pages::admin::{Notice, admin_org, saved};
use crate::pages::layout::{Layout, Page};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantern_sim::virtual_patient::Message;
use lantern_store::PatientModel;
use openidconnect::reqwest;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The most of a model's response body read, in bytes.
const MAX_BODY: usize = 256 * 1024;

/// Whether an address may be a model's: not this machine (unless `loopback`), nor link-local, unspecified or
/// multicast.
fn reachable(ip: IpAddr, loopback: bool) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let link_local = match ip {
        IpAddr::V4(a) => a.is_link_local(),
        IpAddr::V6(a) => (a.segments()[0] & 0xffc0) == 0xfe80,
    };
    (loopback || !ip.is_loopback()) && !link_local && !ip.is_unspecified() && !ip.is_multicast()
}

/// reqwest's resolver for models: the system's answer without the addresses [`reachable`] refuses.
struct Guard {
    loopback: bool,
}

impl reqwest::dns::Resolve for Guard {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let loopback = self.loopback;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ok: Vec<SocketAddr> = all
                .into_iter()
                .filter(|a| reachable(a.ip(), loopback))
                .collect();
            if ok.is_empty() {
                return Err(format!("{host} has no address a model may be at").into());
            }
            Ok(Box::new(ok.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The endpoint as typed, checked: http or https, a host, no credentials in it; an IP-literal host must be
/// [`reachable`]. Returned without a trailing slash.
pub(crate) fn endpoint_url(typed: &str, loopback: bool) -> Result<String, String> {
    let typed = typed.trim().trim_end_matches('/');
    let url = url::Url::parse(typed)
        .map_err(|_| "Enter the endpoint's address, like http://10.2.0.7:8080/v1".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("The endpoint's address starts with http:// or https://".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Put the key in the key field, not in the address".into());
    }
    let literal = match url.host() {
        None => return Err("The endpoint's address needs a host".into()),
        Some(url::Host::Ipv4(a)) => Some(IpAddr::V4(a)),
        Some(url::Host::Ipv6(a)) => Some(IpAddr::V6(a)),
        Some(url::Host::Domain(_)) => None,
    };
    if literal.is_some_and(|ip| !reachable(ip, loopback)) {
        return Err(
            "That address is not one a model may be at (this machine, link-local or unspecified)"
                .into(),
        );
    }
    Ok(typed.to_owned())
}

/// What the learner reads whatever stopped the model: nothing about the network.
pub(crate) const UNANSWERED: &str = "The patient did not answer (the organisation's model could not be reached): try again, or ask from the menu.";

/// Asks the organisation's model for the patient's answer to the conversation so far.
pub(crate) async fn answer(
    state: &AppState,
    model: &PatientModel,
    messages: &[Message],
) -> Result<String, String> {
    let loopback = state.auth.models_allow_loopback;
    let url = format!(
        "{}/chat/completions",
        endpoint_url(&model.endpoint, loopback)?
    );
    let http = reqwest::ClientBuilder::new()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(Guard { loopback }))
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(45))
        .build()
        .map_err(|e| e.to_string())?;
    let body = serde_json::to_vec(&serde_json::json!({
        "model": model.model,
        "messages": messages,
        "temperature": 0.3,
        "max_tokens": 300,
        "stream": false,
    }))
    .map_err(|e| e.to_string())?;
    let mut request = http
        .post(&url)
        .header("content-type", "application/json")
        .body(body);
    if !model.api_key.is_empty() {
        request = request.bearer_auth(&model.api_key);
    }
    let mut response = request.send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("the model answered {}", response.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err("the model's answer is too long".into());
        }
        body.extend_from_slice(&chunk);
    }
    let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let text = v["choices"][0]["message"]["content"]
        .as_str()
        .ok_or("the model's answer has no choices[0].message.content")?;
    let reply = lantern_sim::virtual_patient::clean_reply(text);
    if reply.is_empty() {
        return Err("the model answered nothing".into());
    }
    Ok(reply)
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_virtual_patient.html")]
pub struct SettingsPage {
    layout: Layout,
    ods: String,
    org_name: String,
    endpoint: String,
    model: String,
    /// A key is stored (never shown).
    has_key: bool,
    /// A model is set.
    configured: bool,
    errors: Vec<FieldError>,
    saved: Option<String>,
}

impl SettingsPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(n): Query<Notice>,
) -> PageResult<SettingsPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let stored = state.store.patient_model(ctx.org.id).await?;
    Ok(SettingsPage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        endpoint: stored
            .as_ref()
            .map_or(String::new(), |m| m.endpoint.clone()),
        model: stored.as_ref().map_or(String::new(), |m| m.model.clone()),
        has_key: stored.as_ref().is_some_and(|m| !m.api_key.is_empty()),
        configured: stored.is_some(),
        errors: Vec::new(),
        saved: n.saved,
    })
}

#[derive(serde::Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    api_key: String,
    /// "save" or "remove".
    #[serde(default)]
    action: String,
}

pub async fn save(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<SettingsForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let by = page.caller.account.id;
    if form.action == "remove" {
        state
            .store
            .set_patient_model(ctx.org.id, None, by, chrono::Utc::now())
            .await?;
        return Ok(saved(
            &ctx,
            "virtual-patient",
            "The model is removed: learners ask the patient from the menu",
        ));
    }
    let stored = state.store.patient_model(ctx.org.id).await?;
    let mut errors = Vec::new();
    let endpoint =
        endpoint_url(&form.endpoint, state.auth.models_allow_loopback).unwrap_or_else(|message| {
            errors.push(FieldError {
                field: "endpoint",
                message,
            });
            String::new()
        });
    let model = form.model.trim().to_owned();
    if model.is_empty() || model.len() > 200 {
        errors.push(FieldError {
            field: "model",
            message: "Enter the model's name as the endpoint knows it, like llama3.1:8b".into(),
        });
    }
    let api_key = match form.api_key.trim() {
        "" => stored.map(|m| m.api_key).unwrap_or_default(),
        k => k.to_owned(),
    };
    if !errors.is_empty() {
        let p = SettingsPage {
            layout: page.layout,
            ods: ctx.org.ods_code.to_string(),
            org_name: ctx.org.name.clone(),
            endpoint: form.endpoint,
            model: form.model,
            has_key: !api_key.is_empty(),
            configured: false,
            errors,
            saved: None,
        };
        return Ok((StatusCode::BAD_REQUEST, p).into_response());
    }
    let m = PatientModel {
        endpoint,
        model,
        api_key,
    };
    state
        .store
        .set_patient_model(ctx.org.id, Some(&m), by, chrono::Utc::now())
        .await?;
    Ok(saved(
        &ctx,
        "virtual-patient",
        "Saved: learners can talk to the patient in their own words",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_is_checked_where_it_is_typed() {
        assert_eq!(
            endpoint_url(" http://10.2.0.7:8080/v1/ ", false).as_deref(),
            Ok("http://10.2.0.7:8080/v1")
        );
        assert!(endpoint_url("https://models.trust.nhs.uk/v1", false).is_ok());
        for bad in [
            "10.2.0.7:8080",
            "ftp://10.2.0.7/v1",
            "http://user:pw@10.2.0.7/v1",
            "http://127.0.0.1:11434/v1",
            "http://[::1]:11434/v1",
            "http://169.254.169.254/latest",
            "http://0.0.0.0/v1",
            "http://[::ffff:127.0.0.1]/v1",
        ] {
            assert!(endpoint_url(bad, false).is_err(), "{bad}");
        }
        assert!(endpoint_url("http://127.0.0.1:11434/v1", true).is_ok());
        assert!(endpoint_url("http://169.254.169.254/latest", true).is_err());
    }
}
