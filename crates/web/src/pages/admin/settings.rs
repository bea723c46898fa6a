//! Settings: the compliance target, how often a person may be reminded about the same requirement, the scheduled
//! reminders (when people and their managers hear before and after a due date), the organisation's time zone (what "today" is for its answers) and the re-hire break (after how long away a returning
//! person is a new starter again). Each is its own form, written on its own, so none can be half-saved with another.

use super::admin_org;
use super::number;
use crate::AppState;
use crate::auth::sign_in::FieldError;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::local_time::TimeZone;
use lantern_store::{OrgRow, WriteBatch};

#[derive(Template, WebTemplate)]
#[template(path = "admin_settings.html")]
pub struct SettingsPage {
    layout: Layout,
    ods: String,
    org_name: String,
    target: String,
    /// Days within which a person is not reminded about the same requirement again.
    reminder_interval: String,
    /// The scheduled reminders: days before a due date ("60, 30, 7"), on overdue, days overdue before managers hear.
    notice_before: String,
    notice_overdue: bool,
    notice_escalate: String,
    notice_digest: bool,
    /// The IANA time zone chosen (or asked for).
    time_zone: String,
    /// Days without a post after which a returning person is a new starter again.
    rehire_break: String,
    errors: Vec<FieldError>,
}

impl SettingsPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// The zones to choose from, by name.
    fn zones(&self) -> Vec<&'static str> {
        TimeZone::all().into_iter().map(TimeZone::name).collect()
    }
}

/// The page with every setting as stored: each form's handler puts back what was typed into its own fields when
/// it shows a mistake.
async fn stored(
    state: &AppState,
    layout: Layout,
    ctx: &lantern_store::OrgContext,
) -> Result<SettingsPage, crate::AppError> {
    let interval = state.store.reminder_interval_days(ctx.org.id).await?;
    let policy = state.store.notice_policy(ctx.org.id).await?;
    Ok(SettingsPage {
        layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        target: ctx.org.target_percent.to_string(),
        reminder_interval: interval.to_string(),
        notice_before: policy
            .before_days
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        notice_overdue: policy.on_overdue,
        notice_digest: policy.weekly_digest,
        notice_escalate: policy
            .escalate_after_days
            .map(|d| d.to_string())
            .unwrap_or_default(),
        time_zone: ctx.org.time_zone.name().to_owned(),
        rehire_break: ctx.rehire_break_known_at(None).to_string(),
        errors: Vec::new(),
    })
}

fn refused(page: SettingsPage) -> Response {
    (axum::http::StatusCode::BAD_REQUEST, page).into_response()
}

pub async fn settings_page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
) -> PageResult<SettingsPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    Ok(stored(&state, page.layout, &ctx).await?)
}

#[derive(serde::Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    target: String,
}

pub async fn settings_submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<SettingsForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let mut errors = Vec::new();
    if let Some(target) = number::<f64>(
        &mut errors,
        "target",
        &form.target,
        "a target between 1 and 100 per cent",
        |t| *t >= 1.0 && *t <= 100.0,
    ) {
        let mut batch = WriteBatch {
            only_org: Some(ctx.org.ods_code.to_string()),
            ..WriteBatch::default()
        };
        batch.orgs.push(OrgRow {
            ods_code: ctx.org.ods_code.to_string(),
            name: ctx.org.name.clone(),
            org_type: ctx.org.org_type,
            target_percent: target,
        });
        match state.store.write(&batch).await {
            Ok(_) => {
                return Ok(Redirect::to(&format!(
                    "/orgs/{}/admin?saved=Settings",
                    ctx.org.ods_code
                ))
                .into_response());
            }
            // A refusal is shown on the form with its reason, like any other mistake.
            Err(lantern_store::StoreError::Rejected(problems)) => errors.extend(
                problems
                    .into_iter()
                    .map(|p| crate::auth::sign_in::FieldError {
                        field: "target",
                        message: p.message,
                    }),
            ),
            Err(e) => return Err(e.into()),
        }
    }
    let mut shown = stored(&state, page.layout, &ctx).await?;
    shown.target = form.target;
    shown.time_zone = ctx.org.time_zone.name().to_owned();
    shown.rehire_break = ctx.rehire_break_known_at(None).to_string();
    shown.errors = errors;
    Ok(refused(shown))
}

#[derive(serde::Deserialize)]
pub struct ReminderSettingsForm {
    #[serde(default)]
    reminder_interval: String,
}

/// How often a person may be reminded about the same requirement, in days.
pub async fn reminder_settings_submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<ReminderSettingsForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let mut errors = Vec::new();
    if let Some(days) = days_within(
        &mut errors,
        "reminder_interval",
        &form.reminder_interval,
        lantern_store::reminders::INTERVAL_DAYS,
    ) {
        state
            .store
            .set_reminder_interval_days(
                ctx.org.id,
                days,
                page.caller.account.id,
                chrono::Utc::now(),
            )
            .await?;
        return Ok(Redirect::to(&format!(
            "/orgs/{}/admin?saved=Reminder+interval",
            ctx.org.ods_code
        ))
        .into_response());
    }
    let mut shown = stored(&state, page.layout, &ctx).await?;
    shown.reminder_interval = form.reminder_interval;
    shown.errors = errors;
    Ok(refused(shown))
}

#[derive(serde::Deserialize)]
pub struct NoticesForm {
    /// Present (perhaps blank, for none) in every submission of the form: a request without it is not the form.
    notice_before: Option<String>,
    /// A checkbox: present when ticked.
    #[serde(default)]
    notice_overdue: Option<String>,
    #[serde(default)]
    notice_escalate: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    notice_digest: Option<String>,
}

/// The scheduled reminders: the days before a due date at which people hear, whether they hear when it becomes
/// overdue, and after how many days overdue their managers hear too (blank: never). A new version of the policy.
pub async fn notices_submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<NoticesForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let Some(notice_before) = form.notice_before else {
        return Err(crate::AppError::BadRequest(
            "notice_before is missing: send the scheduled reminders form".into(),
        )
        .into());
    };
    let mut errors = Vec::new();
    let before = match lantern_domain::notices::NoticePolicy::parse_days(&notice_before) {
        Ok(d) => d,
        Err(e) => {
            errors.push(FieldError {
                field: "notice_before",
                message: format!("Give days as numbers separated by commas, like 60, 30, 7: {e}"),
            });
            Vec::new()
        }
    };
    let escalate = if form.notice_escalate.trim().is_empty() {
        None
    } else {
        days_within(
            &mut errors,
            "notice_escalate",
            &form.notice_escalate,
            1..=365,
        )
    };
    let policy = lantern_domain::notices::NoticePolicy {
        before_days: before,
        on_overdue: form.notice_overdue.is_some(),
        escalate_after_days: escalate,
        weekly_digest: form.notice_digest.is_some(),
    };
    if errors.is_empty() {
        for (field, message) in policy.problems() {
            errors.push(FieldError {
                field: if field == "before_days" {
                    "notice_before"
                } else {
                    "notice_escalate"
                },
                message,
            });
        }
    }
    if errors.is_empty() {
        state
            .store
            .set_notice_policy(
                ctx.org.id,
                &policy,
                page.caller.account.id,
                crate::when::now(),
            )
            .await?;
        return Ok(Redirect::to(&format!(
            "/orgs/{}/admin?saved=Scheduled+reminders",
            ctx.org.ods_code
        ))
        .into_response());
    }
    let mut shown = stored(&state, page.layout, &ctx).await?;
    shown.notice_before = notice_before;
    shown.notice_overdue = form.notice_overdue.is_some();
    shown.notice_escalate = form.notice_escalate;
    shown.notice_digest = form.notice_digest.is_some();
    shown.errors = errors;
    Ok(refused(shown))
}

#[derive(serde::Deserialize)]
pub struct TimeZoneForm {
    #[serde(default)]
    time_zone: String,
}

/// The organisation's time zone: which date "today" is for its dashboards, reminders and reports, and where a day
/// ends for "as known at" a date.
pub async fn time_zone_submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<TimeZoneForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    if let Some(zone) = TimeZone::parse(form.time_zone.trim()) {
        state
            .store
            .set_time_zone(ctx.org.id, zone, page.caller.account.id, crate::when::now())
            .await?;
        return Ok(
            Redirect::to(&format!("/orgs/{}/admin?saved=Time+zone", ctx.org.ods_code))
                .into_response(),
        );
    }
    let mut shown = stored(&state, page.layout, &ctx).await?;
    shown.time_zone = form.time_zone;
    shown.errors = vec![FieldError {
        field: "time_zone",
        message: "Choose a time zone from the list, like Europe/London".into(),
    }];
    Ok(refused(shown))
}

#[derive(serde::Deserialize)]
pub struct RehireForm {
    #[serde(default)]
    rehire_break: String,
}

/// After how many days without a post a returning person counts as a new starter again. Kept as versions, so an
/// answer "as known at" an earlier moment uses the value recorded then.
pub async fn rehire_settings_submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<RehireForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let mut errors = Vec::new();
    if let Some(days) = days_within(
        &mut errors,
        "rehire_break",
        &form.rehire_break,
        lantern_domain::REHIRE_BREAK_DAYS,
    ) {
        state
            .store
            .set_rehire_break_days(ctx.org.id, days, page.caller.account.id, crate::when::now())
            .await?;
        return Ok(Redirect::to(&format!(
            "/orgs/{}/admin?saved=Re-hire+break",
            ctx.org.ods_code
        ))
        .into_response());
    }
    let mut shown = stored(&state, page.layout, &ctx).await?;
    shown.target = ctx.org.target_percent.to_string();
    shown.time_zone = ctx.org.time_zone.name().to_owned();
    shown.rehire_break = form.rehire_break;
    shown.errors = errors;
    Ok(refused(shown))
}

/// A number of days within a setting's range, or a problem naming the field and the range.
fn days_within(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    range: std::ops::RangeInclusive<u32>,
) -> Option<u32> {
    number::<u32>(
        errors,
        field,
        value,
        &format!(
            "a number of days between {} and {}",
            range.start(),
            range.end()
        ),
        |d| range.contains(d),
    )
}
