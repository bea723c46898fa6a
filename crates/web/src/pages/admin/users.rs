//! Accounts and roles in the organisation, and password-reset links.

use super::saved;
use super::{Notice, admin_org};
use crate::auth::sign_in::FieldError;
use crate::auth::{new_token, token_hash};
use crate::pages::layout::{Layout, Page};
use crate::pages::{PageError, PageResult};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Response};
use lantern_domain::AccountId;
use lantern_domain::access::Role;
use lantern_store::{GrantSpec, NewAccount, OrgContext, StoreError};

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
