//! Lantern's HTTP layer: server-rendered pages on the NHS.UK design system, the JSON API under `/api/v1` with its
//! OpenAPI 3.1 document at `/api/openapi.json` (generated from the routes, so it cannot drift), `/healthz` and
//! `/metrics`.
//!
//! Architecture invariant: handlers hold no compliance logic. They parse the request, take the caller's scope, and
//! call `views` (which calls the domain engine and the store); pages and API answer from the same views.

pub mod api;
pub mod assets;
mod error;
mod ops;
pub mod pages;
pub mod views;

use axum::Router;
use lantern_store::read_model::ReadModel;
use lantern_store::{Scope, Store};
use std::sync::Arc;

pub use error::AppError;

/// Shared by every request. Holds no state of its own beyond caches derived from the database, so several servers
/// can share one PostgreSQL database.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub read_model: Arc<ReadModel>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> Self {
        AppState {
            store,
            read_model: Arc::new(ReadModel::new()),
        }
    }

    /// The caller's scope. Sign-in arrives with the next issue; until then every caller is a platform reader, and the
    /// store API is already scoped so that only this function has to change.
    pub fn scope_of_caller(&self) -> Scope {
        Scope::Platform
    }
}

/// The whole application: pages, API, OpenAPI document, assets, health and metrics, behind the security headers.
pub fn app(state: AppState) -> Router {
    let (api_router, openapi) = api::router().split_for_parts();
    let openapi_json = Arc::new(
        openapi
            .to_pretty_json()
            .expect("OpenAPI document serialises"),
    );
    Router::new()
        .merge(pages::router())
        .merge(api_router)
        .merge(ops::router(openapi_json))
        .with_state(state)
        .layer(axum::middleware::from_fn(ops::track_metrics))
        .layer(ops::security_headers())
}

/// The OpenAPI document, for tests and `lantern openapi`.
pub fn openapi_json() -> String {
    api::router()
        .split_for_parts()
        .1
        .to_pretty_json()
        .expect("OpenAPI document serialises")
}
