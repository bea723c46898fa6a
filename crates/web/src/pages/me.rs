//! "My training": a learner's own requirements in each organisation where they work, overdue first, with what to
//! do about each, and the records they hold.

use super::layout::{Layout, Page};
use super::revalidation::RevalidationExt;
use super::{PageResult, StatusExt};
use crate::AppState;
use crate::views::{self, PersonComplianceView};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
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
    let out = views::my_training(&state, caller).await?;
    Ok(MyTrainingPage {
        layout: page.layout,
        name: caller.account.display_name.clone(),
        views: out,
    })
}

/// Records shown at once; the rest sit behind a toggle.
const LATEST: usize = 15;

impl MyTrainingPage {
    fn latest<'a>(
        &self,
        records: &'a [crate::views::RecordView],
    ) -> &'a [crate::views::RecordView] {
        &records[..records.len().min(LATEST)]
    }

    fn older<'a>(&self, records: &'a [crate::views::RecordView]) -> &'a [crate::views::RecordView] {
        &records[records.len().min(LATEST)..]
    }

    /// What to do, in plain English, for a status (the same words as the reminder email's).
    fn action(&self, status: &Status, due: &Option<chrono::NaiveDate>) -> String {
        views::what_to_do(*status, *due)
    }
}
