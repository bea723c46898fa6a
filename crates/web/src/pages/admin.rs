//! The organisation admin's pages, under `/orgs/{ods}/admin`:
//! - requirement rules and their versions: a change is a new version with an effective date, never an edit;
//! - settings: the compliance target;
//! - CSV import through the browser (all-or-nothing, with a downloadable report of every problem);
//! - accounts and roles, and password-reset links.
//!
//! Every handler starts with [`admin_org`], which refuses anyone who may not administer the organisation.

use super::layout::{Layout, Page};
use super::{PageError, PageResult};
use crate::auth::sign_in::FieldError;
use crate::auth::{Caller, new_token, token_hash};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, FromRequest, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use lantern_domain::access::{Action, Role};
use lantern_domain::{AccountId, Rule, RuleId, RuleKind};
use lantern_store::csv_import::{self, CsvKind};
use lantern_store::{GrantSpec, NewAccount, OrgContext, OrgRow, RuleRow, StoreError, WriteBatch};

/// The organisation, if the caller may administer it (404 outside their organisations, 403 inside without the role).
pub(crate) async fn admin_org(
    state: &AppState,
    caller: &Caller,
    ods: &str,
) -> Result<OrgContext, AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::Administer(org.id))?;
    Ok(state.store.org_context(&scope, org.id).await?)
}

#[derive(serde::Deserialize, Default)]
pub struct Notice {
    pub saved: Option<String>,
}

// ---------- Overview and rules ----------

/// A requirement with its versions, newest first.
pub struct RuleHistory {
    pub current: Rule,
    pub versions: Vec<Rule>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_rules.html")]
pub struct RulesPage {
    layout: Layout,
    ods: String,
    org_name: String,
    target: f64,
    rules: Vec<RuleHistory>,
    saved: Option<String>,
}

pub fn period(kind: &RuleKind) -> String {
    match kind {
        RuleKind::Completion { refresher_months } if *refresher_months == 0 => "Once".to_owned(),
        RuleKind::Completion { refresher_months } => format!("Every {refresher_months} months"),
        RuleKind::Hours {
            hours,
            window_months,
        } => format!("{hours} hours every {window_months} months"),
    }
}

pub async fn rules(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(n): Query<Notice>,
) -> PageResult<RulesPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let mut by_key: Vec<RuleHistory> = Vec::new();
    let mut all = ctx.rules.clone();
    all.sort_by(|a, b| {
        (&a.title, a.level, std::cmp::Reverse(a.effective_from)).cmp(&(
            &b.title,
            b.level,
            std::cmp::Reverse(b.effective_from),
        ))
    });
    for r in all {
        match by_key.last_mut() {
            Some(h) if h.current.subject == r.subject && h.current.level == r.level => {
                h.versions.push(r)
            }
            _ => by_key.push(RuleHistory {
                current: r.clone(),
                versions: vec![r],
            }),
        }
    }
    Ok(RulesPage {
        layout: page.layout,
        ods: ctx.org.ods_code.clone(),
        org_name: ctx.org.name.clone(),
        target: ctx.org.target_percent,
        rules: by_key,
        saved: n.saved,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_rule_version.html")]
pub struct RuleVersionPage {
    layout: Layout,
    ods: String,
    org_name: String,
    rule: Rule,
    form: RuleVersionForm,
    errors: Vec<FieldError>,
}

impl RuleVersionPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn is_hours(&self) -> bool {
        matches!(self.rule.kind, RuleKind::Hours { .. })
    }
}

#[derive(serde::Deserialize, Default, Clone)]
pub struct RuleVersionForm {
    #[serde(default)]
    effective_from: String,
    #[serde(default)]
    refresher_months: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    window_months: String,
    #[serde(default)]
    warning_days: String,
    #[serde(default)]
    new_starter_days: String,
    #[serde(default)]
    reason: String,
}

fn current_rule(ctx: &OrgContext, id: i64) -> Result<Rule, AppError> {
    let rule = ctx
        .rules
        .iter()
        .find(|r| r.id == RuleId(id))
        .ok_or(AppError::NotFound)?;
    // Always version the one in force (or the latest), whichever version's page was opened.
    Ok(ctx
        .rules
        .iter()
        .filter(|r| r.subject == rule.subject && r.level == rule.level)
        .max_by_key(|r| r.effective_from)
        .cloned()
        .unwrap_or_else(|| rule.clone()))
}

pub async fn rule_version_page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, i64)>,
) -> PageResult<RuleVersionPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let rule = current_rule(&ctx, id)?;
    let (refresher, hours, window) = match rule.kind {
        RuleKind::Completion { refresher_months } => {
            (refresher_months.to_string(), String::new(), String::new())
        }
        RuleKind::Hours {
            hours,
            window_months,
        } => (String::new(), hours.to_string(), window_months.to_string()),
    };
    let form = RuleVersionForm {
        effective_from: String::new(),
        refresher_months: refresher,
        hours,
        window_months: window,
        warning_days: rule.warning_days.to_string(),
        new_starter_days: rule.new_starter_days.to_string(),
        reason: String::new(),
    };
    Ok(RuleVersionPage {
        layout: page.layout,
        ods: ctx.org.ods_code.clone(),
        org_name: ctx.org.name.clone(),
        rule,
        form,
        errors: Vec::new(),
    })
}

fn number<T: std::str::FromStr>(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    what: &str,
    ok: impl Fn(&T) -> bool,
) -> Option<T> {
    match value.trim().parse::<T>() {
        Ok(v) if ok(&v) => Some(v),
        _ => {
            errors.push(FieldError {
                field,
                message: format!("Enter {what}"),
            });
            None
        }
    }
}

pub async fn rule_version_submit(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, i64)>,
    Form(form): Form<RuleVersionForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let current = current_rule(&ctx, id)?;
    let mut errors = Vec::new();
    let effective_from = match form.effective_from.trim().parse::<chrono::NaiveDate>() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError {
                field: "effective_from",
                message: "Enter the date the new version takes effect, like 2027-04-01".into(),
            });
            None
        }
    };
    let kind = match current.kind {
        RuleKind::Completion { refresher_months } => {
            if current.adjustable {
                number::<u32>(
                    &mut errors,
                    "refresher_months",
                    &form.refresher_months,
                    "a refresher period of 1 to 120 months",
                    |m| (1..=120).contains(m),
                )
                .map(|m| RuleKind::Completion {
                    refresher_months: m,
                })
            } else {
                // The framework fixes this period: a new version keeps it.
                Some(RuleKind::Completion { refresher_months })
            }
        }
        RuleKind::Hours { .. } => {
            let h = number::<f64>(
                &mut errors,
                "hours",
                &form.hours,
                "the hours required, more than 0",
                |h| *h > 0.0 && *h <= 500.0,
            );
            let w = number::<u32>(
                &mut errors,
                "window_months",
                &form.window_months,
                "a window of 1 to 120 months",
                |m| (1..=120).contains(m),
            );
            h.zip(w).map(|(hours, window_months)| RuleKind::Hours {
                hours,
                window_months,
            })
        }
    };
    let warning = number::<u32>(
        &mut errors,
        "warning_days",
        &form.warning_days,
        "a warning window of 0 to 365 days",
        |d| *d <= 365,
    );
    let starter = number::<u32>(
        &mut errors,
        "new_starter_days",
        &form.new_starter_days,
        "a new-starter deadline of 0 to 365 days",
        |d| *d <= 365,
    );
    if form.reason.trim().len() < 5 {
        errors.push(FieldError {
            field: "reason",
            message: "Say why the rule changes, for the audit trail".into(),
        });
    }
    if let (true, Some(from), Some(kind), Some(warning_days), Some(new_starter_days)) =
        (errors.is_empty(), effective_from, kind, warning, starter)
    {
        let rule = Rule {
            kind,
            warning_days,
            new_starter_days,
            effective_from: from,
            effective_to: None,
            source: format!(
                "{} local version by {} on {}: {}",
                ctx.org.ods_code,
                page.caller.account.display_name,
                chrono::Utc::now().date_naive(),
                form.reason.trim()
            ),
            ..current.clone()
        };
        let mut batch = WriteBatch {
            only_org: Some(ctx.org.ods_code.clone()),
            ..WriteBatch::default()
        };
        batch.rules.push(RuleRow {
            org: ctx.org.ods_code.clone(),
            rule,
        });
        match state.store.write(&batch).await {
            Ok(_) => {
                tracing::info!(org = %ctx.org.ods_code, subject = %current.subject, %from, "new rule version");
                let to = format!(
                    "/orgs/{}/admin?saved={}",
                    ctx.org.ods_code,
                    urlencode(&current.title)
                );
                return Ok(Redirect::to(&to).into_response());
            }
            Err(StoreError::Rejected(problems)) => {
                for p in problems {
                    errors.push(FieldError {
                        field: "effective_from",
                        message: p.message,
                    });
                }
            }
            Err(e) => return Err(PageError::from(e)),
        }
    }
    Ok((
        axum::http::StatusCode::BAD_REQUEST,
        RuleVersionPage {
            layout: page.layout,
            ods: ctx.org.ods_code.clone(),
            org_name: ctx.org.name.clone(),
            rule: current,
            form,
            errors,
        },
    )
        .into_response())
}

pub(crate) fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

// ---------- Settings ----------

#[derive(Template, WebTemplate)]
#[template(path = "admin_settings.html")]
pub struct SettingsPage {
    layout: Layout,
    ods: String,
    org_name: String,
    target: String,
    errors: Vec<FieldError>,
}

pub async fn settings_page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
) -> PageResult<SettingsPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    Ok(SettingsPage {
        layout: page.layout,
        ods: ctx.org.ods_code.clone(),
        org_name: ctx.org.name.clone(),
        target: ctx.org.target_percent.to_string(),
        errors: Vec::new(),
    })
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
            only_org: Some(ctx.org.ods_code.clone()),
            ..WriteBatch::default()
        };
        batch.orgs.push(OrgRow {
            ods_code: ctx.org.ods_code.clone(),
            name: ctx.org.name.clone(),
            org_type: ctx.org.org_type,
            target_percent: target,
        });
        state.store.write(&batch).await?;
        return Ok(
            Redirect::to(&format!("/orgs/{}/admin?saved=Settings", ctx.org.ods_code))
                .into_response(),
        );
    }
    Ok((
        axum::http::StatusCode::BAD_REQUEST,
        SettingsPage {
            layout: page.layout,
            ods: ctx.org.ods_code.clone(),
            org_name: ctx.org.name.clone(),
            target: form.target,
            errors,
        },
    )
        .into_response())
}

// ---------- Import ----------

/// The largest upload accepted through the browser (the command line takes up to 2 GB).
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;

#[derive(Template, WebTemplate)]
#[template(path = "admin_import.html")]
pub struct ImportPage {
    layout: Layout,
    ods: String,
    org_name: String,
    errors: Vec<FieldError>,
    /// The problems with an uploaded file, one per bad row and column.
    problems: Vec<lantern_store::BatchProblem>,
    /// The full report as a CSV data URL, for download.
    report_href: Option<String>,
    file_name: Option<String>,
    done: Option<String>,
}

pub async fn import_page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
) -> PageResult<ImportPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    Ok(ImportPage {
        layout: page.layout,
        ods: ctx.org.ods_code.clone(),
        org_name: ctx.org.name.clone(),
        errors: Vec::new(),
        problems: Vec::new(),
        report_href: None,
        file_name: None,
        done: None,
    })
}

pub async fn import_submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    req: axum::extract::Request,
) -> PageResult<Response> {
    // The body is read only after the access check, so nobody else learns anything from how an upload is parsed.
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let mut multipart = Multipart::from_request(req, &state).await.map_err(|e| {
        AppError::BadRequest(format!("Upload the file with the form on this page ({e})"))
    })?;
    let mut kind = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut errors = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                errors.push(FieldError {
                    field: "file",
                    message: format!("The upload could not be read: {e}"),
                });
                break;
            }
        };
        match field.name() {
            Some("kind") => {
                kind = match field.text().await.unwrap_or_default().as_str() {
                    "staff" => Some(CsvKind::Staff),
                    "records" => Some(CsvKind::Records),
                    _ => None,
                }
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.csv").to_owned();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(e) => errors.push(FieldError {
                        field: "file",
                        message: format!("The file could not be read: {e}"),
                    }),
                }
            }
            _ => {}
        }
    }
    if kind.is_none() {
        errors.push(FieldError {
            field: "kind-staff",
            message: "Choose what the file holds".into(),
        });
    }
    match &file {
        Some((_, b)) if b.is_empty() => errors.push(FieldError {
            field: "file",
            message: "The selected file is empty".into(),
        }),
        None => errors.push(FieldError {
            field: "file",
            message: "Select a CSV file".into(),
        }),
        _ => {}
    }
    let mut result = ImportPage {
        layout: page.layout,
        ods: ctx.org.ods_code.clone(),
        org_name: ctx.org.name.clone(),
        errors: Vec::new(),
        problems: Vec::new(),
        report_href: None,
        file_name: file.as_ref().map(|f| f.0.clone()),
        done: None,
    };
    if !errors.is_empty() {
        result.errors = errors;
        return Ok((axum::http::StatusCode::BAD_REQUEST, result).into_response());
    }
    let (kind, (_, bytes)) = (kind.expect("checked"), file.expect("checked"));
    let parsed = tokio::task::spawn_blocking(move || csv_import::parse(kind, &bytes, &|_| {}))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let outcome = match parsed {
        Ok(mut batch) => {
            batch.only_org = Some(ctx.org.ods_code.clone());
            match state.store.write(&batch).await {
                Ok(o) => Ok(o),
                Err(StoreError::Rejected(p)) => Err(p),
                Err(e) => return Err(PageError::from(e)),
            }
        }
        Err(problems) => Err(problems),
    };
    match outcome {
        Ok(o) => {
            tracing::info!(org = %ctx.org.ods_code, "browser import written");
            result.done = Some(csv_import::describe(&o));
            Ok(result.into_response())
        }
        Err(problems) => {
            let report = csv_import::report_csv(&problems);
            result.report_href = Some(format!(
                "data:text/csv;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(report.as_bytes())
            ));
            result.problems = problems;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, result).into_response())
        }
    }
}

// ---------- Accounts ----------

#[derive(Template, WebTemplate)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    layout: Layout,
    ods: String,
    org_name: String,
    accounts: Vec<AccountRow>,
    form: NewUserForm,
    errors: Vec<FieldError>,
    saved: Option<String>,
}

impl UsersPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

pub struct AccountRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    /// (label, role code, unit id) of each role held here.
    pub grants: Vec<(String, &'static str, Option<i64>)>,
    pub linked: bool,
    pub disabled: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct NewUserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    employee_number: String,
}

async fn users_view(state: &AppState, ctx: &OrgContext) -> Result<Vec<AccountRow>, AppError> {
    let units: std::collections::HashMap<_, _> =
        ctx.units.iter().map(|u| (u.id, u.name.clone())).collect();
    Ok(state
        .store
        .accounts_in_org(ctx.org.id)
        .await?
        .into_iter()
        .map(|a| AccountRow {
            id: a.account.id.0,
            name: a.account.display_name.clone(),
            email: a.account.email.clone(),
            grants: a
                .grants
                .iter()
                .map(|g| {
                    let label = match g.unit.and_then(|u| units.get(&u)) {
                        Some(unit) => format!("{} of {unit}", g.role.label()),
                        None => g.role.label().to_owned(),
                    };
                    (label, g.role.code(), g.unit.map(|u| u.0))
                })
                .collect(),
            linked: a.account.person_id.is_some(),
            disabled: a.account.disabled,
        })
        .collect())
}

pub async fn users_page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(n): Query<Notice>,
) -> PageResult<UsersPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    Ok(UsersPage {
        layout: page.layout,
        ods: ctx.org.ods_code.clone(),
        org_name: ctx.org.name.clone(),
        accounts: users_view(&state, &ctx).await?,
        form: NewUserForm::default(),
        errors: Vec::new(),
        saved: n.saved,
    })
}

/// An account holding a role in this organisation (404 for any other: admins manage only their own people).
async fn account_here(
    state: &AppState,
    ctx: &OrgContext,
    id: i64,
) -> Result<lantern_store::AccountInOrg, AppError> {
    state
        .store
        .accounts_in_org(ctx.org.id)
        .await?
        .into_iter()
        .find(|a| a.account.id == AccountId(id))
        .ok_or(AppError::NotFound)
}

/// Back to the accounts page, saying what was done.
/// Back to an admin tab (`users`, `sso`, `lrs`...), saying what was done.
pub(crate) fn saved(ctx: &OrgContext, tab: &str, message: &str) -> Response {
    Redirect::to(&format!(
        "/orgs/{}/admin/{tab}?saved={}",
        ctx.org.ods_code,
        urlencode(message)
    ))
    .into_response()
}

fn users_done(ctx: &OrgContext, message: &str) -> Response {
    saved(ctx, "users", message)
}

/// A store problem with an account, shown against the form field it concerns.
fn account_problem(p: lantern_store::BatchProblem) -> FieldError {
    let field = match p.field.as_str() {
        "email" => "email",
        "name" => "name",
        "unit" => "unit",
        "employee_number" => "employee_number",
        _ => "role",
    };
    FieldError {
        field,
        message: p.message,
    }
}

/// Sends a "choose your password" link valid for a day: an admin never sees or sets anyone's password.
async fn send_set_password_link(
    state: &AppState,
    account: AccountId,
    email: &str,
    name: &str,
    org: &str,
) -> Result<(), AppError> {
    let token = new_token();
    let now = chrono::Utc::now();
    state
        .store
        .create_password_reset(
            &token_hash(&token),
            account,
            now,
            now + chrono::TimeDelta::days(1),
        )
        .await?;
    let link = format!(
        "{}/password-reset/{token}",
        state.auth.public_url.trim_end_matches('/')
    );
    crate::mail::send(
        &state.auth,
        email,
        "Your Lantern account",
        &format!(
            "Hello {name},\n\nAn administrator at {org} has set up or reset your Lantern account. Open this link within \
             24 hours to choose your password:\n\n{link}\n\nIf you were not expecting this, tell your L&D team.\n"
        ),
    )
        .await
    .map_err(AppError::Internal)
}

pub async fn users_submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<NewUserForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let mut errors = Vec::new();
    let role = match Role::parse(&form.role) {
        // An organisation admin grants roles in their organisation; platform admins are made on the command line.
        Some(Role::PlatformAdmin) | None => {
            errors.push(FieldError {
                field: "role",
                message: "Choose a role".into(),
            });
            None
        }
        Some(r) => Some(r),
    };
    let unit = form.unit.trim();
    if role == Some(Role::Manager) && unit.is_empty() {
        errors.push(FieldError {
            field: "unit",
            message: "Enter the code of the unit this manager manages".into(),
        });
    }
    if role == Some(Role::Learner) && form.employee_number.trim().is_empty() {
        errors.push(FieldError {
            field: "employee_number",
            message: "Enter the learner's employee number".into(),
        });
    }
    let employee_number = form.employee_number.trim();
    if !employee_number.is_empty()
        && state
            .store
            .person_by_employee_number(&page.caller.scope(), ctx.org.id, employee_number)
            .await
            .is_err()
    {
        // Only someone who works here can be linked: an account must not become a window on another employer's
        // staff record.
        errors.push(FieldError {
            field: "employee_number",
            message: format!(
                "Nobody with employee number {employee_number} has a post at {}",
                ctx.org.name
            ),
        });
    }
    if let (true, Some(role)) = (errors.is_empty(), role) {
        let new = NewAccount {
            email: form.email.clone(),
            display_name: form.name.clone(),
            password_hash: None,
            employee_number: Some(form.employee_number.trim().to_owned()).filter(|e| !e.is_empty()),
            grants: vec![GrantSpec {
                role,
                org: Some(ctx.org.ods_code.clone()),
                unit: (role == Role::Manager).then(|| unit.to_owned()),
            }],
        };
        // Someone who already has an account (a rotating doctor, bank staff) gets the role added to it.
        if let Some(existing) = state.store.account_by_email(&new.email).await? {
            match state
                .store
                .add_grants(existing.id, &new.grants, chrono::Utc::now())
                .await
            {
                Ok(()) => {
                    tracing::info!(org = %ctx.org.ods_code, account = %existing.id, role = role.code(), "role added");
                    let msg = format!(
                        "{} already had an account; the role was added to it",
                        existing.email
                    );
                    return Ok(users_done(&ctx, &msg));
                }
                Err(StoreError::Rejected(problems)) => {
                    errors.extend(problems.into_iter().map(account_problem));
                }
                Err(e) => return Err(PageError::from(e)),
            }
        } else {
            match state.store.create_account(&new, chrono::Utc::now()).await {
                Ok(id) => {
                    send_set_password_link(
                        &state,
                        id,
                        &new.email.trim().to_lowercase(),
                        &new.display_name,
                        &ctx.org.name,
                    )
                    .await?;
                    tracing::info!(org = %ctx.org.ods_code, account = %id, role = role.code(), "account created");
                    return Ok(users_done(&ctx, &new.display_name));
                }
                Err(StoreError::Rejected(problems)) => {
                    errors.extend(problems.into_iter().map(account_problem));
                }
                Err(e) => return Err(PageError::from(e)),
            }
        }
    }
    Ok((
        axum::http::StatusCode::BAD_REQUEST,
        UsersPage {
            layout: page.layout,
            ods: ctx.org.ods_code.clone(),
            org_name: ctx.org.name.clone(),
            accounts: users_view(&state, &ctx).await?,
            form,
            errors,
            saved: None,
        },
    )
        .into_response())
}

/// An admin's password reset: ends the account's sessions and emails a link to choose a new password.
pub async fn user_reset(
    State(state): State<AppState>,
    page: Page,
    Path((ods, account)): Path<(String, i64)>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let found = account_here(&state, &ctx, account).await?;
    // A random password nobody knows ends the old one and its sessions; the link sets a new one.
    let scrambled = crate::auth::password::hash(new_token())
        .await
        .map_err(AppError::Internal)?;
    state
        .store
        .set_password(found.account.id, &scrambled)
        .await?;
    send_set_password_link(
        &state,
        found.account.id,
        &found.account.email,
        &found.account.display_name,
        &ctx.org.name,
    )
    .await?;
    tracing::info!(org = %ctx.org.ods_code, account = %found.account.id, "password reset by an admin");
    Ok(users_done(
        &ctx,
        &format!("A reset link was sent to {}", found.account.email),
    ))
}

// ---------- Units and people ----------

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
    let today = crate::api::today();
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
        ods: ctx.org.ods_code.clone(),
        org_name: ctx.org.name.clone(),
        units,
        q,
        found,
        total,
    })
}

#[derive(serde::Deserialize)]
pub struct AccessForm {
    /// "disable" or "enable".
    #[serde(default)]
    action: String,
}

/// Disables an account (a leaver): it can no longer sign in and its sessions end at once. Or enables it again.
pub async fn user_access(
    State(state): State<AppState>,
    page: Page,
    Path((ods, account)): Path<(String, i64)>,
    Form(form): Form<AccessForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let found = account_here(&state, &ctx, account).await?;
    let disable = match form.action.as_str() {
        "disable" => true,
        "enable" => false,
        other => {
            return Err(AppError::BadRequest(format!(
                "action must be disable or enable, not {other:?}"
            ))
            .into());
        }
    };
    if disable && found.account.id == page.caller.account.id {
        return Err(AppError::BadRequest("You cannot disable your own account.".into()).into());
    }
    state
        .store
        .set_disabled(found.account.id, disable, chrono::Utc::now())
        .await?;
    tracing::info!(org = %ctx.org.ods_code, account = %found.account.id, disable, "account access changed");
    let what = if disable { "disabled" } else { "enabled" };
    Ok(users_done(&ctx, &format!("{} {what}", found.account.email)))
}

#[derive(serde::Deserialize)]
pub struct RemoveGrantForm {
    #[serde(default)]
    role: String,
    unit: Option<i64>,
}

/// Removes one of an account's roles in this organisation. An admin cannot remove their own admin role here, so an
/// organisation is never left without one by accident.
pub async fn grant_remove(
    State(state): State<AppState>,
    page: Page,
    Path((ods, account)): Path<(String, i64)>,
    Form(form): Form<RemoveGrantForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let found = account_here(&state, &ctx, account).await?;
    let role = Role::parse(&form.role)
        .ok_or_else(|| AppError::BadRequest(format!("unknown role {:?}", form.role)))?;
    if role == Role::OrgAdmin && found.account.id == page.caller.account.id {
        return Err(AppError::BadRequest("You cannot remove your own admin role.".into()).into());
    }
    let grant = lantern_domain::access::RoleGrant {
        role,
        org: Some(ctx.org.id),
        unit: form.unit.map(lantern_domain::UnitId),
    };
    if !state.store.remove_grant(found.account.id, &grant).await? {
        return Err(AppError::NotFound.into());
    }
    tracing::info!(org = %ctx.org.ods_code, account = %found.account.id, role = role.code(), "role removed");
    Ok(users_done(
        &ctx,
        &format!("{} removed from {}", role.label(), found.account.email),
    ))
}
