//! Lantern's HTTP layer: server-rendered pages on the NHS.UK design system, the JSON API under `/api/v1` with its
//! OpenAPI 3.1 document at `/api/openapi.json` (generated from the routes, so it cannot drift) and `/healthz`; and
//! `/metrics` on a listener of its own ([`metrics_app`]).
//!
//! Architecture invariant: handlers hold no compliance logic. They parse the request, take the caller's scope, and
//! call `views` (which calls the domain engine and the store); pages and API answer from the same views.

pub mod api;
pub mod assets;
pub mod auth;
pub mod authoring;
mod calendar;
pub mod content;
mod download;
mod error;
pub mod learning;
pub mod mail;
pub mod notices;
mod ops;
pub mod pages;
mod records;
pub mod reminders;
pub mod report;
#[cfg(test)]
mod role_checks;
mod routes;
pub mod sim;
mod source;
mod upload;
pub mod views;
pub mod when;
pub mod xapi;

use axum::Router;
use lantern_store::Store;
use lantern_store::read_model::ReadModel;
use std::sync::Arc;

pub use auth::AuthConfig;
pub use content::{ContentOrigin, content_app};
pub use error::AppError;
pub use source::SourceArchive;

/// Shared by every request. Holds no state of its own beyond caches derived from the database, so several servers
/// can share one PostgreSQL database.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub read_model: Arc<ReadModel>,
    pub auth: Arc<AuthConfig>,
    /// Single sign-on providers' discovery documents, and the HTTP client that fetches them.
    pub sso: Arc<auth::sso::Providers>,
    /// The running build's source, offered at /source (set by the binary: [`AppState::with_source`]).
    pub source: Option<SourceArchive>,
    /// Where SCORM packages play (a second listener and origin, [`content_app`]); without it, package modules
    /// cannot be opened.
    pub content: Option<ContentOrigin>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, mut auth: AuthConfig) -> Self {
        auth.mail_queue = mail::Queue::new(store.clone());
        AppState {
            store,
            read_model: Arc::new(ReadModel::new()),
            sso: Arc::new(auth::sso::Providers::new(auth.sso_reach())),
            auth: Arc::new(auth),
            source: None,
            content: None,
        }
    }

    /// Plays packages on this content origin ([`content_app`] serves it).
    pub fn with_content(mut self, content: ContentOrigin) -> Self {
        self.content = Some(content);
        self
    }

    /// Offers this source archive at /source.
    pub fn with_source(mut self, archive: SourceArchive) -> Self {
        self.source = Some(archive);
        self
    }
}

/// The whole application: pages, API, OpenAPI document, assets and health, behind the security headers.
///
/// Pages and the API sit behind the session layer (which finds the caller) and, inside it, the CSRF layer (which
/// refuses state-changing requests without the session's token or from another site); assets and health
/// need neither.
pub fn app(state: AppState) -> Router {
    let (api_router, mut openapi) = api::router().split_for_parts();
    let (lrs_router, lrs_openapi) = xapi::mounted();
    openapi.merge(lrs_openapi);
    api::security::apply(&mut openapi);
    let openapi_json = Arc::new(
        openapi
            .to_pretty_json()
            .expect("OpenAPI document serialises"),
    );
    let signed_in = Router::new()
        .merge(pages::routes().router)
        .merge(learning::routes().router)
        .merge(authoring::routes().router)
        .merge(sim::routes().router)
        .merge(records::routes().router)
        .merge(calendar::routes().router)
        .merge(api_router)
        // The outer layer runs first: the session is found before the CSRF check, which needs the session's token.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::csrf::protect,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::session::load,
        ));
    let hsts = state.auth.secure_cookies;
    let routed = Router::new()
        .merge(signed_in)
        // The LRS authenticates each request with a client's Basic credentials: no session, so no CSRF.
        .merge(lrs_router)
        // The cmi5 fetch URL: the AU's one-time request for its LRS credential, from any origin, with no session.
        .merge(learning::cmi5_routes().router)
        .merge(pages::asset_routes().router)
        .merge(ops::routes(openapi_json).router)
        .merge(source::routes().router)
        .merge(pages::about::routes().router)
        // A calendar app fetches the feed with no session: its link is the credential.
        .merge(calendar::public_routes().router)
        // Any other path: the designed "Page not found" (JSON under /api/).
        .fallback(pages::about::not_found)
        .with_state(state.clone())
        .layer(axum::middleware::from_fn(ops::track_metrics))
        .layer(axum::middleware::from_fn_with_state(
            hsts,
            ops::security_headers,
        ));
    // The LRS's edge must run before routing: the alternate request syntax changes the method, and 404s and 405s
    // under /xapi/ carry its headers too.
    Router::new().fallback_service(
        tower::ServiceBuilder::new()
            .layer(axum::middleware::from_fn_with_state(state, xapi::edge))
            .service(routed),
    )
}

/// The metrics listener's application: `/metrics` (Prometheus) and nothing else. It is served on its own address
/// (`--metrics-listen`), which only the monitoring system should reach; the main address does not serve it.
pub fn metrics_app(state: AppState) -> Router {
    ops::metrics_routes().router.with_state(state)
}

/// Every route the application serves, as (method, path template): pages, operations endpoints and assets from
/// the builders that make the router, and the API from its OpenAPI document. The authorisation matrix test walks it.
pub fn route_list() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let ours = [
        pages::routes(),
        learning::routes(),
        learning::cmi5_routes(),
        authoring::routes(),
        sim::routes(),
        records::routes(),
        calendar::routes(),
        calendar::public_routes(),
        pages::asset_routes(),
        ops::routes(Arc::new(String::new())),
        source::routes(),
        pages::about::routes(),
    ];
    for r in ours {
        out.extend(
            r.list
                .into_iter()
                .map(|(m, p)| (m.to_string(), p.to_owned())),
        );
    }
    for (path, item) in &full_openapi().paths.paths {
        let methods = [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
        ];
        for (m, present) in methods {
            if present {
                out.push((m.to_owned(), path.clone()));
            }
        }
    }
    out.sort();
    out
}

/// The OpenAPI document: the JSON API and the LRS.
fn full_openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api::router().split_for_parts().1;
    doc.merge(xapi::router().split_for_parts().1);
    api::security::apply(&mut doc);
    doc
}

/// The OpenAPI document, for tests and `lantern openapi`.
pub fn openapi_json() -> String {
    full_openapi()
        .to_pretty_json()
        .expect("OpenAPI document serialises")
}
