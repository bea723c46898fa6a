//! Server-rendered pages on the NHS.UK design system. Each page is a GET with its state in the URL (so it can be
//! bookmarked, shared and used without JavaScript), rendered by an askama template in `templates/`.

pub mod about;
pub(crate) mod admin;
mod changes;
mod heatmap;
pub mod layout;
mod me;
mod report;
pub(crate) mod revalidation;
mod team;
mod trends;

use crate::routes::Routes;
use crate::views;
use crate::when::AsAt;
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use lantern_domain::access::{Action, Area};
use lantern_domain::{PersonId, RequirementKey, Status, UnitId};
use layout::{Layout, Page};
use revalidation::RevalidationExt;

/// Every page route. Each handler names the action it needs (see `views` and `lantern_domain::access`).
pub fn routes() -> Routes {
    use crate::auth::{reset, sign_in};
    Routes::new()
        .get("/", home)
        .get("/orgs/{ods}", heatmap::page)
        .get("/orgs/{ods}/units/{unit_id}", unit)
        .get("/orgs/{ods}/people/{person_id}", person)
        .post(
            "/orgs/{ods}/people/{person_id}/reminders",
            me::reminder_choice,
        )
        .upload(
            "/orgs/{ods}/people/{person_id}/revalidation",
            revalidation::person::page,
            revalidation::person::record,
            revalidation::person::MAX_REQUEST,
        )
        .get(
            "/orgs/{ods}/people/{person_id}/revalidation/evidence/{evidence_id}/file",
            revalidation::person::file,
        )
        .post(
            "/orgs/{ods}/people/{person_id}/revalidation/evidence/{evidence_id}/withdraw",
            revalidation::person::withdraw,
        )
        .get("/admin", admin_home)
        .get("/orgs/{ods}/admin", admin::rules)
        .form(
            "/orgs/{ods}/admin/rules/{rule_id}/new-version",
            admin::rule_version_page,
            admin::rule_version_submit,
        )
        .form(
            "/orgs/{ods}/admin/how-to-complete",
            admin::how_to_complete_page,
            admin::how_to_complete_submit,
        )
        .form(
            "/orgs/{ods}/admin/local-requirements",
            admin::local_page,
            admin::local_submit,
        )
        .form(
            "/orgs/{ods}/admin/settings",
            admin::settings_page,
            admin::settings_submit,
        )
        .post(
            "/orgs/{ods}/admin/settings/reminders",
            admin::reminder_settings_submit,
        )
        .post("/orgs/{ods}/admin/settings/notices", admin::notices_submit)
        .post(
            "/orgs/{ods}/admin/settings/time-zone",
            admin::time_zone_submit,
        )
        .post(
            "/orgs/{ods}/admin/settings/rehire",
            admin::rehire_settings_submit,
        )
        .form(
            "/orgs/{ods}/admin/test-out",
            admin::test_out::page,
            admin::test_out::submit,
        )
        .get("/orgs/{ods}/admin/people", admin::people_page)
        .upload(
            "/orgs/{ods}/admin/framework",
            admin::framework_page,
            admin::framework_preview,
            admin::MAX_FRAMEWORK,
        )
        .post("/orgs/{ods}/admin/framework/apply", admin::framework_apply)
        .get("/orgs/{ods}/changes", changes::page)
        .get("/orgs/{ods}/changes/{change_id}", changes::detail)
        .get(
            "/orgs/{ods}/admin/import/template.csv",
            admin::import_template,
        )
        .upload(
            "/orgs/{ods}/admin/import",
            admin::import_page,
            admin::import_submit,
            admin::MAX_UPLOAD,
        )
        .form(
            "/orgs/{ods}/admin/users",
            admin::users_page,
            admin::users_submit,
        )
        .post("/orgs/{ods}/admin/users/invite-staff", admin::invite_staff)
        .post(
            "/orgs/{ods}/admin/users/{account_id}/reset",
            admin::user_reset,
        )
        .post(
            "/orgs/{ods}/admin/users/{account_id}/access",
            admin::user_access,
        )
        .post(
            "/orgs/{ods}/admin/users/{account_id}/grants/remove",
            admin::grant_remove,
        )
        .post(
            "/orgs/{ods}/admin/invitations/{invitation_id}/resend",
            admin::invitation_resend,
        )
        .post(
            "/orgs/{ods}/admin/invitations/{invitation_id}/withdraw",
            admin::invitation_withdraw,
        )
        .get("/orgs/{ods}/admin/locks", admin::locks_page)
        .post(
            "/orgs/{ods}/admin/locks/{account_id}/clear",
            admin::lock_clear,
        )
        .form(
            "/orgs/{ods}/admin/sso",
            crate::auth::sso::settings::show,
            crate::auth::sso::settings::save,
        )
        .post(
            "/orgs/{ods}/admin/sso/links",
            crate::auth::sso::settings::link,
        )
        .post(
            "/orgs/{ods}/admin/sso/links/{account_id}/remove",
            crate::auth::sso::settings::unlink,
        )
        .get("/orgs/{ods}/admin/lrs", crate::xapi::admin::show)
        .post(
            "/orgs/{ods}/admin/lrs/credentials",
            crate::xapi::admin::create_credential,
        )
        .post(
            "/orgs/{ods}/admin/lrs/credentials/{credential_id}/revoke",
            crate::xapi::admin::revoke_credential,
        )
        .post(
            "/orgs/{ods}/admin/lrs/mappings",
            crate::xapi::admin::create_mapping,
        )
        .post(
            "/orgs/{ods}/admin/lrs/mappings/{mapping_id}/retire",
            crate::xapi::admin::retire_mapping,
        )
        .form(
            "/orgs/{ods}/admin/lrs/erase",
            crate::xapi::admin::erase_page,
            crate::xapi::admin::erase_submit,
        )
        .get("/orgs/{ods}/trends", trends::page)
        .get("/orgs/{ods}/report", report::page)
        .get("/orgs/{ods}/report.csv", report::csv)
        .get("/orgs/{ods}/report.xlsx", report::xlsx)
        .get("/orgs/{ods}/report.pdf", report::pdf)
        .get("/me", me::page)
        .get("/team", team::page)
        .get("/team.csv", team::csv)
        .get("/team.xlsx", team::xlsx)
        .form("/team/remind", team::remind_confirm, team::remind)
        .form("/team/assign", team::assign_confirm, team::assign)
        .get("/team/revalidation", team::revalidation)
        .post("/team/views", team::save_view)
        .post("/team/views/{view_id}/remove", team::remove_view)
        .form("/sign-in", sign_in::page, sign_in::submit)
        .post("/sign-out", sign_in::sign_out)
        .get("/sign-in/sso/callback", crate::auth::sso::flow::callback)
        .get("/sign-in/sso/{ods}", crate::auth::sso::flow::start)
        .form(
            "/account/password",
            sign_in::change_password_page,
            sign_in::change_password_submit,
        )
        .form(
            "/password-reset",
            reset::reset_request_page,
            reset::reset_request_submit,
        )
        .form(
            "/password-reset/{token}",
            reset::reset_page,
            reset::reset_submit,
        )
        .form(
            "/invitations/{token}",
            crate::auth::invitation::show,
            crate::auth::invitation::submit,
        )
}

/// Static assets, outside the session layer: they need no caller.
pub fn asset_routes() -> Routes {
    Routes::new().get("/assets/{version}/{*file}", asset)
}

/// A page-rendering error: an NHS.UK error page with the right status, or a trip to the sign-in page.
pub enum PageError {
    App(AppError),
    /// Signed out: sign in, then come back to this path.
    SignIn(String),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError::App(e)
    }
}

impl From<lantern_store::StoreError> for PageError {
    fn from(e: lantern_store::StoreError) -> Self {
        PageError::App(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: String,
    message: String,
    layout: Layout,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = match self {
            PageError::SignIn(next) => {
                let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
                return axum::response::Redirect::to(&format!("/sign-in?next={next}"))
                    .into_response();
            }
            PageError::App(AppError::Unauthenticated) => {
                return axum::response::Redirect::to("/sign-in").into_response();
            }
            PageError::App(e) => e,
        };
        let status = e.status();
        let message = e.message();
        if let AppError::Internal(err) = &e {
            tracing::error!(error = format!("{err:#}"), "page failed");
        }
        let title = match status {
            StatusCode::NOT_FOUND => "Page not found".to_owned(),
            StatusCode::BAD_REQUEST => "There is a problem".to_owned(),
            StatusCode::FORBIDDEN => "You do not have access to this page".to_owned(),
            _ => "Sorry, there is a problem with the service".to_owned(),
        };
        let page = ErrorPage {
            title,
            message,
            layout: Layout::anonymous(&crate::auth::csrf::CsrfToken(String::new())),
        };
        match page.render() {
            Ok(html) => (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response(),
            Err(_) => status.into_response(),
        }
    }
}

pub(crate) type PageResult<T> = Result<T, PageError>;

#[derive(Template, WebTemplate)]
#[template(path = "orgs.html")]
struct OrgListPage {
    orgs: Vec<lantern_store::OrgSummary>,
    layout: Layout,
}

/// Home: the organisations the caller oversees; people who only have their own training go straight to it, and
/// managers to their team.
async fn home(State(state): State<AppState>, page: Page) -> PageResult<Response> {
    let orgs: Vec<lantern_store::OrgSummary> = state
        .store
        .list_orgs(&page.caller.scope())
        .await?
        .into_iter()
        .filter(|o| page.caller.may(Action::Audit(o.org.id)))
        .collect();
    if orgs.is_empty() {
        let to = if page.caller.may(Action::Open(Area::MyTeam)) {
            "/team"
        } else if !page.caller.may(Action::Open(Area::MyTraining))
            && page.caller.may(Action::Open(Area::Authoring))
        {
            "/authoring"
        } else {
            "/me"
        };
        return Ok(axum::response::Redirect::to(to).into_response());
    }
    Ok(OrgListPage {
        orgs,
        layout: page.layout,
    }
    .into_response())
}

/// "Admin" in the navigation: the administration of the (first) organisation the caller administers.
async fn admin_home(State(state): State<AppState>, page: Page) -> PageResult<Response> {
    let orgs = state.store.list_orgs(&page.caller.scope()).await?;
    let first = orgs
        .iter()
        .find(|o| page.caller.may(Action::Administer(o.org.id)))
        .ok_or(AppError::Forbidden(
            "Administration is for organisation admins.".into(),
        ))?;
    Ok(
        axum::response::Redirect::to(&format!("/orgs/{}/admin", first.org.ods_code))
            .into_response(),
    )
}

#[derive(serde::Deserialize)]
struct AsAtParams {
    as_at: Option<String>,
    known_at: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "unit.html")]
struct UnitPage {
    view: views::UnitPeopleView,
    requirement: Option<RequirementKey>,
    requirement_title: Option<String>,
    status: Option<Status>,
    layout: Layout,
}

async fn unit(
    State(state): State<AppState>,
    page: Page,
    Path((ods, unit_id)): Path<(String, i64)>,
    Query(q): Query<crate::api::unit_people::UnitPeopleQuery>,
) -> PageResult<UnitPage> {
    // The page and the API read the same parameters the same way.
    let (as_at, requirement, status) = q.parse()?;
    let view = views::unit_people(
        &state,
        &page.caller,
        &ods,
        UnitId(unit_id),
        as_at,
        requirement.as_ref(),
        status,
    )
    .await?;
    let requirement_title = requirement.as_ref().and_then(|r| {
        view.people
            .iter()
            .flat_map(|p| p.statuses.iter())
            .find(|s| s.subject == r.subject && s.level == r.level)
            .map(|s| format!("{} level {}", s.title, s.level))
    });
    Ok(UnitPage {
        view,
        requirement,
        requirement_title,
        status,
        layout: page.layout,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "person.html")]
struct PersonPage {
    view: views::PersonComplianceView,
    /// Reminders about their training, newest first.
    reminders: Vec<ReminderRow>,
    /// "Last reminded 3 Dec 2026 by Sam Ward", from the latest reminder that went out.
    last_reminded: Option<String>,
    /// The reminders Lantern sent on its own (the organisation's scheduled reminders), newest first.
    notices: Vec<NoticeRow>,
    /// For the person themselves: their choice of reminders before a due date, and the organisation's days.
    reminder_choice: Option<(bool, Vec<u32>)>,
    /// The way back, as (href, label): only to pages the caller may open (a learner's My training, a manager's
    /// team, an overseer's organisation), never to a 403.
    crumbs: Vec<(String, String)>,
    /// The caller may assign them a course (a manager of their unit, an admin).
    may_assign: bool,
    /// Their simulation runs, newest first, with each scenario's title.
    simulations: Vec<(lantern_store::sims::RunSummary, String)>,
    /// Records entered by hand and the caller's record keeping (`crate::records`).
    kept: crate::records::PersonRecords,
    /// Where each requirement is done (a course here, or the organisation's link).
    routes: views::where_to_complete::Routes,
    layout: Layout,
}

impl PersonPage {
    /// Where a requirement to do is done, as (href, text); nothing for one in date or exempt.
    fn where_to_complete(
        &self,
        r: &lantern_domain::engine::RequirementStatus,
    ) -> Option<(String, String)> {
        use views::where_to_complete::Where;
        if r.status.is_in_date() || r.status == lantern_domain::Status::Exempt {
            return None;
        }
        Some(match self.routes.find(&r.subject, r.level)? {
            Where::Course(c) => (
                self.routes.course_path(c),
                format!(
                    "In Lantern: {} (about {} minutes)",
                    c.course.title,
                    c.course.estimated_minutes()
                ),
            ),
            Where::Link(l) => (l.url.clone(), l.label.clone()),
        })
    }
}

/// One reminder as the person's page lists it.
struct ReminderRow {
    date: String,
    requirement: String,
    by: String,
    outcome: String,
}

/// A scheduled reminder as the person's page lists it: when, about what, why, to whom.
struct NoticeRow {
    date: String,
    requirement: String,
    why: String,
    outcome: String,
}

/// Reminders shown on a person's page.
const REMINDER_HISTORY: u32 = 50;

fn notice_row(n: &lantern_store::notices::Notice, view: &views::PersonComplianceView) -> NoticeRow {
    use lantern_store::notices::Recipient;
    let k = &n.key;
    let title = requirement_title(view, &k.subject, k.level);
    let to = match k.recipient {
        Recipient::Person => "to them",
        Recipient::Manager(_) => "to their manager",
    };
    NoticeRow {
        date: n.created_at.format("%-d %b %Y").to_string(),
        requirement: format!("{title} level {}", k.level),
        why: k.stage.describe(),
        outcome: match (&n.address, n.queued) {
            (Some(a), true) => format!("Sent by email {to} ({a})"),
            _ => "Not sent: no email address on the staff record".to_owned(),
        },
    }
}

async fn person(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id)): Path<(String, i64)>,
    Query(q): Query<AsAtParams>,
    Query(n): Query<admin::Notice>,
) -> PageResult<PersonPage> {
    let when = AsAt::parse(q.as_at.as_deref(), q.known_at.as_deref())?;
    let view =
        views::person_compliance(&state, &page.caller, &ods, PersonId(person_id), when).await?;
    let org = state
        .store
        .org_by_code(&page.caller.scope(), &view.ods_code)
        .await?;
    let history = state
        .store
        .person_reminders(
            &page.caller.scope(),
            org.id,
            PersonId(person_id),
            REMINDER_HISTORY,
        )
        .await?;
    let reminders = history
        .iter()
        .map(|r| reminder_row(r, &history, &view))
        .collect();
    let last_reminded = history
        .iter()
        .find(|r| {
            r.outcome == lantern_store::reminders::ReminderOutcome::Sent
                && !history.iter().any(|f| f.failure_of == Some(r.id))
        })
        .map(team::reminded_line);
    let notices = state
        .store
        .person_notices(
            &page.caller.scope(),
            org.id,
            PersonId(person_id),
            REMINDER_HISTORY,
        )
        .await?
        .iter()
        .map(|n| notice_row(n, &view))
        .collect();
    let simulations =
        crate::sim::runs_of(&state, &page.caller.scope(), org.id, PersonId(person_id)).await?;
    let own = page
        .caller
        .may(lantern_domain::access::Action::ViewOwnTraining(org.id))
        && page.caller.account.person_id == Some(PersonId(person_id));
    let reminder_choice = if own {
        let policy = state.store.notice_policy(org.id).await?;
        let early = state
            .store
            .early_reminders(org.id, PersonId(person_id))
            .await?;
        (policy.before_days.len() > 1).then_some((early, policy.before_days))
    } else {
        None
    };
    let caller = &page.caller;
    let crumbs = if caller.may(Action::Audit(org.id)) {
        vec![
            ("/".to_owned(), "Organisations".to_owned()),
            (
                format!("/orgs/{}?as_at={}", view.ods_code, view.as_at),
                view.org_name.clone(),
            ),
        ]
    } else if caller.may(Action::Open(Area::MyTeam)) {
        vec![("/team".to_owned(), "Team".to_owned())]
    } else {
        vec![("/me".to_owned(), "My training".to_owned())]
    };
    let kept = crate::records::for_person(
        &state,
        caller,
        org.id,
        PersonId(person_id),
        n.saved.as_deref(),
    )
    .await?;
    let routes =
        views::where_to_complete::Routes::load(&state, org.id, org.ods_code.as_str()).await?;
    Ok(PersonPage {
        routes,
        kept,
        crumbs,
        reminder_choice,
        notices,
        simulations,
        may_assign: page
            .caller
            .may(lantern_domain::access::Action::Assign(org.id)),
        view,
        reminders,
        last_reminded,
        layout: page.layout,
    })
}

/// A requirement's title as the person's page names it (its code, for one no longer in force).
fn requirement_title(
    view: &views::PersonComplianceView,
    subject: &lantern_domain::Subject,
    level: u8,
) -> String {
    view.requirements
        .iter()
        .find(|q| &q.subject == subject && q.level == level)
        .map(|q| q.explanation.rule.title.clone())
        .unwrap_or_else(|| subject.to_string())
}

/// A reminder in words: when, about what, by whom, and what came of it.
fn reminder_row(
    r: &lantern_store::reminders::Reminder,
    history: &[lantern_store::reminders::Reminder],
    view: &views::PersonComplianceView,
) -> ReminderRow {
    use lantern_store::reminders::ReminderOutcome;
    let title = requirement_title(view, &r.subject, r.level);
    let earlier = |id: Option<i64>| {
        history
            .iter()
            .find(|h| Some(h.id) == id)
            .map(|h| h.sent_at.format("%-d %b %Y").to_string())
    };
    let outcome = match r.outcome {
        ReminderOutcome::Sent => format!(
            "Sent by email{}",
            r.address
                .as_deref()
                .map(|a| format!(" to {a}"))
                .unwrap_or_default()
        ),
        ReminderOutcome::SkippedRecent => match earlier(r.repeat_of) {
            Some(d) => format!("Not sent: already reminded on {d}"),
            None => "Not sent: already reminded recently".to_owned(),
        },
        ReminderOutcome::NoEmail => "Not sent: no email address on the staff record".to_owned(),
        ReminderOutcome::Failed => "Not sent: the mail server refused it".to_owned(),
    };
    ReminderRow {
        date: r.sent_at.format("%-d %b %Y %H:%M").to_string(),
        requirement: format!("{title} level {}", r.level),
        by: r.sent_by_name.clone(),
        outcome,
    }
}

/// Embedded front-end assets, cached for a year: the URL carries their content hash.
async fn asset(Path((_version, file)): Path<(String, String)>) -> Response {
    match crate::assets::lookup(&file) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            a.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Status presentation, callable from templates.
pub(crate) trait StatusExt {
    fn tag_class(&self) -> &'static str;
}

impl StatusExt for Status {
    fn tag_class(&self) -> &'static str {
        match self {
            Status::Compliant => "nhsuk-tag--green",
            Status::Expiring => "nhsuk-tag--yellow",
            Status::Expired | Status::Missing => "nhsuk-tag--red",
            Status::Pending => "nhsuk-tag--blue",
            Status::Exempt => "nhsuk-tag--grey",
        }
    }
}
