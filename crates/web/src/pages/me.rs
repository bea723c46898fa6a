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
use lantern_domain::access::Action;
use lantern_domain::engine::RequirementStatus;
use lantern_store::learning::CourseEntry;
use std::collections::HashMap;

#[derive(Template, WebTemplate)]
#[template(path = "me.html")]
pub struct MyTrainingPage {
    layout: Layout,
    name: String,
    /// One view per organisation where the learner holds a post.
    views: Vec<PersonComplianceView>,
    /// Each organisation's courses (by ODS code), to offer the one that satisfies a requirement.
    courses: HashMap<String, Vec<CourseEntry>>,
}

pub async fn page(State(state): State<AppState>, page: Page) -> PageResult<MyTrainingPage> {
    let caller = &page.caller;
    let out = views::my_training(&state, caller).await?;
    let mut courses = HashMap::new();
    for v in &out {
        let org = state
            .store
            .org_by_code(&caller.scope(), &v.ods_code)
            .await?;
        if caller.may(Action::Learn(org.id)) {
            // The organisation's own courses, and those other organisations share with it.
            let mut list = state.store.courses(org.id).await?;
            list.extend(state.store.shared_courses(org.id).await?);
            courses.insert(v.ods_code.clone(), list);
        }
    }
    Ok(MyTrainingPage {
        layout: page.layout,
        name: caller.account.display_name.clone(),
        views: out,
        courses,
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

    /// The course that satisfies a requirement here (the lowest level that does, then by title), unless it is in
    /// date or exempt.
    fn course_for(&self, ods: &str, r: &RequirementStatus) -> Option<&CourseEntry> {
        if r.status.is_in_date() || r.status == Status::Exempt {
            return None;
        }
        self.courses
            .get(ods)?
            .iter()
            .filter_map(|c| {
                let level = c
                    .course
                    .satisfies
                    .iter()
                    .filter(|s| s.subject == r.subject && s.level >= r.level)
                    .map(|s| s.level)
                    .min()?;
                Some((level, c))
            })
            .min_by(|a, b| (a.0, &a.1.course.title).cmp(&(b.0, &b.1.course.title)))
            .map(|(_, c)| c)
    }

    /// What to do, in plain English, for a status (the same words as the reminder email's).
    fn action(&self, status: &Status, due: &Option<chrono::NaiveDate>) -> String {
        views::what_to_do(*status, *due)
    }
}
