//! "My training": a learner's own requirements in each organisation where they work, overdue first, with what to
//! do about each, their pathway of courses (`views::pathway`: gaps, assigned courses, development, with progress,
//! Start or Resume, and test-out where offered), and the records they hold.

use super::layout::{Layout, Page};
use super::revalidation::RevalidationExt;
use super::{PageResult, StatusExt};
use crate::AppState;
use crate::views::pathway::PathwayView;
use crate::views::where_to_complete::Routes;
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
    /// Where each organisation's requirements are done (by ODS code): its courses, those shared with it, and its
    /// links.
    routes: HashMap<String, Routes>,
    /// Each organisation's pathway (by ODS code), where the learner takes courses; only where they may learn.
    pathways: HashMap<String, PathwayView>,
}

pub async fn page(State(state): State<AppState>, page: Page) -> PageResult<MyTrainingPage> {
    let caller = &page.caller;
    let out = views::my_training(&state, caller).await?;
    let mut routes = HashMap::new();
    let mut pathways = HashMap::new();
    for v in &out {
        let org = state
            .store
            .org_by_code(&caller.scope(), &v.ods_code)
            .await?;
        routes.insert(
            v.ods_code.clone(),
            Routes::load(&state, org.id, &v.ods_code).await?,
        );
        if caller.may(Action::Learn(org.id)) {
            pathways.insert(
                v.ods_code.clone(),
                views::pathway::pathway(&state, caller, v).await?,
            );
        }
    }
    Ok(MyTrainingPage {
        layout: page.layout,
        name: caller.account.display_name.clone(),
        views: out,
        routes,
        pathways,
    })
}

#[derive(serde::Deserialize)]
pub struct ReminderChoice {
    /// "every" (each reminder the organisation sets) or "last" (only the last before a due date).
    #[serde(default)]
    before: String,
}

/// A person's own choice of reminders before a due date: all the organisation sets, or only the last (overdue
/// reminders go regardless: the organisation requires them). Only they may make it.
pub async fn reminder_choice(
    State(state): State<AppState>,
    page: super::layout::Page,
    axum::extract::Path((ods, person_id)): axum::extract::Path<(String, i64)>,
    axum::extract::Form(form): axum::extract::Form<ReminderChoice>,
) -> PageResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let org = state.store.org_by_code(&page.caller.scope(), &ods).await?;
    let person = lantern_domain::PersonId(person_id);
    if !(page.caller.may(Action::ViewOwnTraining(org.id))
        && page.caller.account.person_id == Some(person))
    {
        return Err(crate::AppError::Forbidden(
            "Only the person themselves chooses their reminders.".into(),
        )
        .into());
    }
    let early = match form.before.as_str() {
        "every" => true,
        "last" => false,
        other => {
            return Err(crate::AppError::BadRequest(format!(
                "before must be every or last, not {other:?}"
            ))
            .into());
        }
    };
    state
        .store
        .set_early_reminders(
            org.id,
            person,
            early,
            page.caller.account.id,
            crate::when::now(),
        )
        .await?;
    Ok(axum::response::Redirect::to(&format!(
        "/orgs/{}/people/{person_id}?saved=reminders#reminder-choice",
        org.ods_code
    ))
    .into_response())
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
    /// date or exempt, and only where the learner may take courses (they have a pathway there).
    fn course_for(&self, ods: &str, r: &RequirementStatus) -> Option<&CourseEntry> {
        if r.status.is_in_date() || r.status == Status::Exempt || !self.pathways.contains_key(ods) {
            return None;
        }
        self.routes.get(ods)?.course(&r.subject, r.level)
    }

    /// The organisation's link to where a requirement is done, when it is to do and no course here satisfies it.
    fn link_for(
        &self,
        ods: &str,
        r: &RequirementStatus,
    ) -> Option<&lantern_store::completion_links::CompletionLink> {
        if r.status.is_in_date() || r.status == Status::Exempt || self.course_for(ods, r).is_some()
        {
            return None;
        }
        self.routes.get(ods)?.link(&r.subject)
    }

    /// What to do, in plain English, for a status (the same words as the reminder email's).
    fn action(&self, status: &Status, due: &Option<chrono::NaiveDate>) -> String {
        views::what_to_do(*status, *due)
    }
}
