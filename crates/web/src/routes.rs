//! A router that remembers its routes. Pages and operations endpoints are added through [`Routes`], so the list of
//! (method, path) pairs comes from the same calls that build the router; with the API's OpenAPI paths it makes
//! [`crate::route_list`], which the authorisation matrix test walks, so no route can be left out of it.

use crate::AppState;
use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{get, post};

pub struct Routes {
    pub router: Router<AppState>,
    pub list: Vec<(Method, &'static str)>,
}

impl Routes {
    pub fn new() -> Self {
        Routes {
            router: Router::new(),
            list: Vec::new(),
        }
    }

    pub fn get<H, T>(mut self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.list.push((Method::GET, path));
        self.router = self.router.route(path, get(handler));
        self
    }

    pub fn post<H, T>(mut self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.list.push((Method::POST, path));
        self.router = self.router.route(path, post(handler));
        self
    }

    /// A form page: GET shows it, POST submits it.
    pub fn form<G, TG, P, TP>(mut self, path: &'static str, show: G, submit: P) -> Self
    where
        G: Handler<TG, AppState>,
        TG: 'static,
        P: Handler<TP, AppState>,
        TP: 'static,
    {
        self.list.push((Method::GET, path));
        self.list.push((Method::POST, path));
        self.router = self.router.route(path, get(show).post(submit));
        self
    }
}

impl Routes {
    /// A form page whose POST takes a file upload of up to `limit` bytes (every other request keeps axum's 2 MB).
    pub fn upload<G, TG, P, TP>(
        mut self,
        path: &'static str,
        show: G,
        submit: P,
        limit: usize,
    ) -> Self
    where
        G: Handler<TG, AppState>,
        TG: 'static,
        P: Handler<TP, AppState>,
        TP: 'static,
    {
        self.list.push((Method::GET, path));
        self.list.push((Method::POST, path));
        let submit = post(submit).layer(axum::extract::DefaultBodyLimit::max(limit));
        self.router = self.router.route(path, get(show).merge(submit));
        self
    }
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}
