//! What every page shares: the asset version, the CSRF token for its forms, the signed-in user and a navigation
//! made for their roles.

use crate::auth::Caller;
use crate::auth::csrf::CsrfToken;
use crate::pages::PageError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lantern_domain::access::{Action, Area};

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

pub struct Layout {
    pub v: &'static str,
    pub csrf: String,
    pub user: Option<String>,
    pub nav: Vec<NavLink>,
}

impl Layout {
    pub fn anonymous(csrf: &CsrfToken) -> Self {
        Layout {
            v: crate::assets::asset_version(),
            csrf: csrf.0.clone(),
            user: None,
            nav: Vec::new(),
        }
    }

    /// The navigation the access policy offers the caller: their own training, their team, the organisations they
    /// oversee, administration.
    pub fn for_caller(caller: &Caller, csrf: &CsrfToken, path: &str) -> Self {
        const LINKS: [(Area, &str, &str); 5] = [
            (Area::MyTraining, "/me", "My training"),
            (Area::MyTeam, "/team", "My team"),
            (Area::Organisations, "/", "Organisations"),
            (Area::Administration, "/admin", "Admin"),
            (Area::Authoring, "/authoring", "Authoring"),
        ];
        // Admins and auditors who manage no unit of their own open any unit's team: "Teams".
        let manages = !caller.scope().granted_units().is_empty();
        let nav = LINKS
            .into_iter()
            .filter(|(area, _, _)| caller.may(Action::Open(*area)))
            .map(|(area, href, label)| NavLink {
                href,
                label: if area == Area::MyTeam && !manages {
                    "Teams"
                } else {
                    label
                },
                current: match href {
                    "/" => {
                        path == "/"
                            || (path.starts_with("/orgs")
                                && !path.contains("/admin")
                                && !path.contains("/authoring"))
                    }
                    "/admin" => path.starts_with("/admin") || path.contains("/admin"),
                    "/authoring" => path.contains("/authoring"),
                    _ => path.starts_with(href),
                },
            })
            .collect();
        Layout {
            v: crate::assets::asset_version(),
            csrf: csrf.0.clone(),
            user: Some(caller.account.display_name.clone()),
            nav,
        }
    }
}

/// A signed-in page request: the caller and the page chrome. Signed-out visitors are sent to sign in and brought
/// back afterwards.
pub struct Page {
    pub caller: Caller,
    pub layout: Layout,
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let csrf = CsrfToken::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|e| match e {});
        match parts.extensions.get::<Caller>() {
            Some(caller) => Ok(Page {
                layout: Layout::for_caller(caller, &csrf, parts.uri.path()),
                caller: caller.clone(),
            }),
            None => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "/".to_owned());
                Err(PageError::SignIn(next))
            }
        }
    }
}
