//! An organisation's changes page (`/orgs/{ods}/changes`): each regulatory change applied, who applied it and
//! when, its effective date and transition, and a page per change with what its preview showed when it was
//! confirmed. Its admins and auditors see it (`Action::ViewChanges`).

use crate::AppState;
use crate::pages::PageResult;
use crate::pages::admin::Notice;
use crate::pages::layout::{Layout, Page};
use crate::views::changes::{self as view, ChangeView, ChangesView};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};

#[derive(Template, WebTemplate)]
#[template(path = "changes.html")]
pub struct ChangesPage {
    layout: Layout,
    view: ChangesView,
    saved: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(n): Query<Notice>,
) -> PageResult<ChangesPage> {
    let view = view::changes(&state, &page.caller, &ods).await?;
    Ok(ChangesPage {
        layout: page.layout,
        view,
        saved: n.saved,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "change.html")]
pub struct ChangePage {
    layout: Layout,
    ods: String,
    org_name: String,
    change: ChangeView,
}

impl ChangePage {
    fn bars(&self) -> Vec<(&'static str, String, u32)> {
        let Some(s) = &self.change.summary else {
            return Vec::new();
        };
        [
            ("Before", s.before_percent),
            (
                "With the change, no transition",
                s.without_transition_percent,
            ),
            (
                "With the change and the transition",
                s.with_transition_percent,
            ),
        ]
        .into_iter()
        .map(|(label, v)| {
            (
                label,
                v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}%")),
                v.map_or(0, |v| (v * 3.0).round() as u32),
            )
        })
        .collect()
    }
}

pub async fn detail(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, i64)>,
) -> PageResult<ChangePage> {
    let (org, change) = view::change_detail(&state, &page.caller, &ods, id).await?;
    Ok(ChangePage {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        org_name: org.name,
        change,
    })
}
