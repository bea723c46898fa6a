//! The unit tree with head counts, and a search for people.

use super::admin_org;
use crate::AppState;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};

pub struct UnitLine {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub depth: usize,
    pub people: usize,
}

pub struct PersonLine {
    pub id: i64,
    pub employee_number: String,
    pub name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_people.html")]
pub struct PeoplePage {
    layout: Layout,
    ods: String,
    org_name: String,
    units: Vec<UnitLine>,
    q: String,
    found: Vec<PersonLine>,
    total: usize,
}

#[derive(serde::Deserialize, Default)]
pub struct PeopleQuery {
    q: Option<String>,
}

/// The unit tree with how many people are in post in each today, and a search for people by name or number.
pub async fn people_page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(pq): Query<PeopleQuery>,
) -> PageResult<PeoplePage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let scope = page.caller.scope();
    let rollup = state
        .read_model
        .rollup(state.store.as_ref(), &scope, ctx.org.id, None)
        .await?;
    let today = crate::when::today(&ctx.org);
    // One pass over the people in post today, counting each at their unit and every unit above it.
    let mut counts: std::collections::HashMap<lantern_domain::UnitId, usize> =
        std::collections::HashMap::new();
    for (_, unit) in
        rollup
            .index
            .members_on(&rollup.hierarchy, lantern_domain::rollup::Node::Org, today)
    {
        if let Some(unit) = unit {
            for node in rollup.hierarchy.path(unit) {
                if let lantern_domain::rollup::Node::Unit(u) = node {
                    *counts.entry(u).or_default() += 1;
                }
            }
        }
    }
    let units = crate::views::tree_order(&ctx.units)
        .into_iter()
        .map(|(u, depth)| UnitLine {
            id: u.id.0,
            code: u.code.clone(),
            name: u.name.clone(),
            kind: u.kind.label().to_owned(),
            depth,
            people: counts.get(&u.id).copied().unwrap_or(0),
        })
        .collect();
    let q = pq.q.unwrap_or_default().trim().to_owned();
    let directory = state.store.people_directory(&scope, ctx.org.id).await?;
    let total = directory.len();
    let needle = q.to_lowercase();
    let mut found: Vec<PersonLine> = if needle.is_empty() {
        Vec::new()
    } else {
        directory
            .into_iter()
            .filter(|p| {
                p.employee_number.to_lowercase().contains(&needle)
                    || format!("{} {}", p.given_name, p.family_name)
                        .to_lowercase()
                        .contains(&needle)
            })
            .map(|p| PersonLine {
                id: p.id.0,
                employee_number: p.employee_number,
                name: format!("{} {}", p.given_name, p.family_name),
            })
            .collect()
    };
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found.truncate(100);
    Ok(PeoplePage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        units,
        q,
        found,
        total,
    })
}
