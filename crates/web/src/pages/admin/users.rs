//! Accounts and roles in the organisation, invitations, and password-reset links.
//!
//! An account's credentials and status belong to the account, not to any one organisation
//! (`lantern_domain::access::Action::ManageAccount`):
//! - an organisation admin grants and removes roles in their organisation, and removing the last one ends the
//!   account's access here at once;
//! - they disable, enable or reset the password of an account only when every role it holds is in their
//!   organisation; anything wider is a platform admin's action;
//! - a role for an address that is not already one of their accounts is an invitation the person accepts
//!   (`lantern_store::InvitationStore`), and the admin is told the same thing whether or not the address had an
//!   account anywhere.

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
use lantern_domain::access::{Action, Role, RoleGrant, Whose};
use lantern_domain::{AccountId, UnitId};
use lantern_store::{
    AccountInOrg, GrantSpec, InvitationId, InvitationState, NewInvitation, OrgContext, StoreError,
};
use std::collections::HashMap;

/// How long an invitation link works.
pub(super) const INVITATION_VALID_FOR: chrono::TimeDelta = chrono::TimeDelta::days(7);

#[derive(Template, WebTemplate)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    layout: Layout,
    ods: String,
    org_name: String,
    accounts: Vec<AccountRow>,
    invitations: Vec<InvitationRow>,
    form: NewUserForm,
    errors: Vec<FieldError>,
    saved: Option<String>,
    /// People in post with an email on their staff record and no account or pending invitation.
    to_invite: usize,
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
    /// Whether this admin may disable it or reset its password (every role it holds is here).
    pub manageable: bool,
}

pub struct InvitationRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    pub invited: String,
    /// "Waiting until 13 Dec 2026", "Accepted", "Expired", "Withdrawn".
    pub state: String,
    pub pending: bool,
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

fn role_label(g: &RoleGrant, unit_name: Option<&str>) -> String {
    match unit_name {
        Some(unit) => format!("{} of {unit}", g.role.label()),
        None => g.role.label().to_owned(),
    }
}

async fn users_view(
    state: &AppState,
    page: &Page,
    ctx: &OrgContext,
) -> Result<(Vec<AccountRow>, Vec<InvitationRow>), AppError> {
    let units: HashMap<UnitId, &str> = ctx.units.iter().map(|u| (u.id, u.name.as_str())).collect();
    let accounts = state
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
                    let label = role_label(g, g.unit.and_then(|u| units.get(&u).copied()));
                    (label, g.role.code(), g.unit.map(|u| u.0))
                })
                .collect(),
            linked: a.account.person_id.is_some(),
            disabled: a.account.disabled,
            manageable: page
                .caller
                .principal
                .may(Action::ManageAccount(ctx.org.id, a.span)),
        })
        .collect();
    let now = chrono::Utc::now();
    let invitations = state
        .store
        .invitations_in_org(ctx.org.id, now)
        .await?
        .into_iter()
        .map(|i| InvitationRow {
            id: i.id.0,
            name: i.display_name.clone(),
            email: i.email.clone(),
            role: role_label(&i.grant, i.unit_name.as_deref()),
            invited: format!(
                "{}{}",
                i.created_at.format("%-d %b %Y"),
                i.invited_by.map(|b| format!(" by {b}")).unwrap_or_default()
            ),
            state: match i.state {
                InvitationState::Pending => {
                    format!("Waiting until {}", i.expires_at.format("%-d %b %Y"))
                }
                InvitationState::Accepted => "Accepted".to_owned(),
                InvitationState::Withdrawn => "Withdrawn or declined".to_owned(),
                InvitationState::Expired => "Expired".to_owned(),
            },
            pending: i.state == InvitationState::Pending,
        })
        .collect();
    Ok((accounts, invitations))
}

pub async fn users_page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(n): Query<Notice>,
) -> PageResult<UsersPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let (accounts, invitations) = users_view(&state, &page, &ctx).await?;
    Ok(UsersPage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        accounts,
        invitations,
        form: NewUserForm::default(),
        errors: Vec::new(),
        saved: n.saved,
        to_invite: super::invite_staff::count(&state, &ctx).await?,
    })
}

/// An account holding a role in this organisation (404 for any other: admins manage only their own people).
pub(super) async fn account_here(
    state: &AppState,
    ctx: &OrgContext,
    id: i64,
) -> Result<AccountInOrg, AppError> {
    state
        .store
        .accounts_in_org(ctx.org.id)
        .await?
        .into_iter()
        .find(|a| a.account.id == AccountId(id))
        .ok_or(AppError::NotFound)
}

/// Refuses an action on an account's credentials or status unless the caller may take it from here.
pub(super) fn may_manage(
    page: &Page,
    ctx: &OrgContext,
    found: &AccountInOrg,
) -> Result<(), AppError> {
    if page
        .caller
        .principal
        .may(Action::ManageAccount(ctx.org.id, found.span))
    {
        return Ok(());
    }
    Err(AppError::Forbidden(format!(
        "This account is not {org}'s alone, so only a platform admin can disable it, enable it, unlock it or reset \
         its password. You can remove its roles here instead, which ends its access to {org} at once.",
        org = ctx.org.name
    )))
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
            "Hello {name},\n\nAn administrator at {org} has reset your Lantern password. Open this link within 24 \
             hours to choose a new one:\n\n{link}\n\nIf you were not expecting this, tell your L&D team.\n"
        ),
    )
    .await
    .map_err(AppError::Internal)
}

/// Emails an invitation link (the token is new each time: a resent invitation's old link stops working).
/// The invitation email: who invites them, as what, and the link (valid for 7 days).
pub(super) fn invitation_mail(
    state: &AppState,
    token: &str,
    to: &str,
    name: &str,
    inviter: &str,
    org: &str,
    role: &str,
) -> lantern_store::OutgoingMail {
    let link = format!(
        "{}/invitations/{token}",
        state.auth.public_url.trim_end_matches('/')
    );
    lantern_store::OutgoingMail {
        to: to.to_owned(),
        subject: format!("{org} invites you to Lantern"),
        body: format!(
            "Hello {name},\n\n{inviter} at {org} has invited you to use Lantern, its training and compliance \
             system, as {role}. Open this link within 7 days to accept:\n\n{link}\n\nIf you already have a Lantern \
             account you will be asked to sign in to it; if not, you will choose a password. Nothing changes \
             unless you accept. If you were not expecting this, you can ignore this email or decline.\n"
        ),
    }
}

async fn send_invitation(
    state: &AppState,
    token: &str,
    to: &str,
    name: &str,
    inviter: &str,
    org: &str,
    role: &str,
) -> Result<(), AppError> {
    let mail = invitation_mail(state, token, to, name, inviter, org, role);
    crate::mail::send_all(&state.auth, &[mail])
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
    if form.name.trim().is_empty() {
        errors.push(FieldError {
            field: "name",
            message: "Enter their full name".into(),
        });
    }
    let email = form.email.trim().to_lowercase();
    if lantern_domain::email::problem(&email).is_some() {
        errors.push(FieldError {
            field: "email",
            message: "Enter an email address, like name@nhs.net".into(),
        });
    }
    let role = match Role::parse(&form.role) {
        Some(r) if page.caller.may(Action::Grant(ctx.org.id, r)) => Some(r),
        _ => {
            errors.push(FieldError {
                field: "role",
                message: "Choose a role".into(),
            });
            None
        }
    };
    let unit = form.unit.trim();
    if role.is_some_and(Role::needs_unit) && unit.is_empty() {
        errors.push(FieldError {
            field: "unit",
            message: "Enter the code of the unit this manager manages".into(),
        });
    }
    if role.is_some_and(Role::needs_staff_record) && form.employee_number.trim().is_empty() {
        errors.push(FieldError {
            field: "employee_number",
            message: "Enter the learner's employee number".into(),
        });
    }
    let employee_number = form.employee_number.trim();
    let mut person = None;
    if !employee_number.is_empty() {
        // Only someone who works here can be linked: an account must not become a window on another employer's
        // staff record.
        match state
            .store
            .person_by_employee_number(&page.caller.scope(), ctx.org.id, employee_number)
            .await
        {
            Ok(p) => person = Some(p),
            Err(_) => errors.push(FieldError {
                field: "employee_number",
                message: format!(
                    "Nobody with employee number {employee_number} has a post at {}",
                    ctx.org.name
                ),
            }),
        }
    }
    if let (true, Some(role)) = (errors.is_empty(), role) {
        let unit = role.needs_unit().then(|| unit.to_owned());
        // Someone who is already one of this organisation's accounts gets the role at once: the admin already
        // manages them (unless it would link their account to a staff record it is not linked to: they confirm
        // that by accepting an invitation). Anyone else is invited, and the answer is the same whether or not the
        // address has an account somewhere, so the form reveals nothing about other organisations.
        let here = state
            .store
            .accounts_in_org(ctx.org.id)
            .await?
            .into_iter()
            .find(|a| {
                a.account.email == email && (person.is_none() || a.account.person_id == person)
            });
        let result = match &here {
            Some(existing) => state
                .store
                .add_grants(
                    existing.account.id,
                    &[GrantSpec {
                        role,
                        org: Some(ctx.org.ods_code.to_string()),
                        unit: unit.clone(),
                    }],
                    chrono::Utc::now(),
                )
                .await
                .map(|()| format!("{} given to {}", role.label(), existing.account.email)),
            None => {
                let token = new_token();
                let now = chrono::Utc::now();
                let invited = state
                    .store
                    .create_invitation(
                        &NewInvitation {
                            email: email.clone(),
                            display_name: form.name.clone(),
                            org: ctx.org.id,
                            role,
                            unit: unit.clone(),
                            person,
                            invited_by: page.caller.account.id,
                        },
                        &token_hash(&token),
                        now,
                        now + INVITATION_VALID_FOR,
                    )
                    .await;
                match invited {
                    Ok(id) => {
                        send_invitation(
                            &state,
                            &token,
                            &email,
                            form.name.trim(),
                            &page.caller.account.display_name,
                            &ctx.org.name,
                            role.label(),
                        )
                        .await?;
                        tracing::info!(org = %ctx.org.ods_code, invitation = id.0, role = role.code(), "invitation sent");
                        Ok(format!(
                            "An invitation was sent to {email}. The role applies once they accept it"
                        ))
                    }
                    Err(e) => Err(e),
                }
            }
        };
        match result {
            Ok(message) => return Ok(users_done(&ctx, &message)),
            Err(StoreError::Rejected(problems)) => {
                errors.extend(problems.into_iter().map(account_problem));
            }
            Err(e) => return Err(PageError::from(e)),
        }
    }
    let (accounts, invitations) = users_view(&state, &page, &ctx).await?;
    Ok((
        axum::http::StatusCode::BAD_REQUEST,
        UsersPage {
            layout: page.layout,
            ods: ctx.org.ods_code.to_string(),
            org_name: ctx.org.name.clone(),
            accounts,
            invitations,
            form,
            errors,
            saved: None,
            to_invite: super::invite_staff::count(&state, &ctx).await?,
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
    may_manage(&page, &ctx, &found)?;
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
    may_manage(&page, &ctx, &found)?;
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
    let whose = if found.account.id == page.caller.account.id {
        Whose::Own
    } else {
        Whose::Other
    };
    if !page.caller.may(Action::Revoke(ctx.org.id, role, whose)) {
        return Err(AppError::BadRequest("You cannot remove your own admin role.".into()).into());
    }
    let grant = RoleGrant {
        role,
        org: Some(ctx.org.id),
        unit: form.unit.map(UnitId),
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

/// Withdraws a pending invitation: its link stops working.
pub async fn invitation_withdraw(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, i64)>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    if !state
        .store
        .withdraw_invitation(ctx.org.id, InvitationId(id), chrono::Utc::now())
        .await?
    {
        return Err(AppError::NotFound.into());
    }
    tracing::info!(org = %ctx.org.ods_code, invitation = id, "invitation withdrawn");
    Ok(users_done(&ctx, "Invitation withdrawn"))
}

/// Sends a pending invitation again with a new link and a new week to accept; the old link stops working.
pub async fn invitation_resend(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, i64)>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let token = new_token();
    let now = chrono::Utc::now();
    let Some(inv) = state
        .store
        .renew_invitation(
            ctx.org.id,
            InvitationId(id),
            &token_hash(&token),
            now,
            now + INVITATION_VALID_FOR,
        )
        .await?
    else {
        return Err(AppError::NotFound.into());
    };
    send_invitation(
        &state,
        &token,
        &inv.email,
        &inv.display_name,
        &page.caller.account.display_name,
        &ctx.org.name,
        &role_label(&inv.grant, inv.unit_name.as_deref()),
    )
    .await?;
    tracing::info!(org = %ctx.org.ods_code, invitation = id, "invitation sent again");
    Ok(users_done(
        &ctx,
        &format!("The invitation was sent again to {}", inv.email),
    ))
}
