//! "My training": a learner's own requirements in each organisation where they work, overdue first, with what to
//! do about each, and the records they hold.

use super::layout::{Layout, Page};
use super::{PageError, PageResult, StatusExt};
use crate::views::{self, PersonComplianceView};
use crate::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use lantern_domain::access::Role;
use lantern_domain::Status;

#[derive(Template, WebTemplate)]
#[template(path = "me.html")]
pub struct MyTrainingPage {
    layout: Layout,
    name: String,
    /// One view per organisation where the learner holds a post.
    views: Vec<PersonComplianceView>,
}

pub async fn page(State(state): State<AppState>, page: Page) -> PageResult<MyTrainingPage> {
    let caller = &page.caller;
    let Some(person) = caller.principal.person else {
        return Err(PageError::App(crate::AppError::NotFound));
    };
    let orgs = state.store.list_orgs(&caller.scope()).await?;
    let mut out = Vec::new();
    for o in orgs {
        if !caller.roles_in(o.org.id).contains(&Role::Learner) {
            continue;
        }
        match views::person_compliance(&state, caller, &o.org.ods_code, person, crate::api::today(), None).await {
            Ok(v) => out.push(v),
            // A learner grant where they hold no post (yet): nothing to show there.
            Err(crate::AppError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if out.is_empty() {
        return Err(PageError::App(crate::AppError::NotFound));
    }
    Ok(MyTrainingPage {
        layout: page.layout,
        name: caller.account.display_name.clone(),
        views: out,
    })
}

impl MyTrainingPage {
    /// What to do, in plain English, for a status.
    fn action(&self, status: &Status, due: &Option<chrono::NaiveDate>) -> String {
        match (*status, *due) {
            (Status::Missing, _) => "Complete this training now.".to_owned(),
            (Status::Expired, _) => "This has expired: complete the refresher now.".to_owned(),
            (Status::Expiring, Some(d)) => format!("Renew before {d}."),
            (Status::Pending, Some(d)) => format!("As a new starter, complete this by {d}."),
            (Status::Compliant, Some(d)) => format!("In date until {d}."),
            (Status::Exempt, _) => "You are exempt from this.".to_owned(),
            (_, None) => String::new(),
        }
    }
}
