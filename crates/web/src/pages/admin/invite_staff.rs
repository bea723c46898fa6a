//! "Invite your staff": in one action, a learner invitation for everyone in post whose staff record has an email and
//! who has no account or pending invitation, each linked to their staff record, all recorded with their emails in one
//! transaction. Each person accepts as they would any invitation (choosing a password, or signing in with single
//! sign-on, which also makes their account on its own: `auth::sso::provision`).

use super::admin_org;
use super::users::{INVITATION_VALID_FOR, invitation_mail};
use crate::auth::{new_token, token_hash};
use crate::pages::PageResult;
use crate::pages::layout::Page;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::response::Response;
use lantern_domain::access::STAFF_ROLE;
use lantern_store::{NewInvitation, OrgContext, StaffInvitation};

/// How many "Invite your staff" would invite today.
pub(super) async fn count(state: &AppState, ctx: &OrgContext) -> Result<usize, AppError> {
    let today = crate::when::today(&ctx.org);
    Ok(state
        .store
        .staff_to_invite(ctx.org.id, today, chrono::Utc::now())
        .await?
        .len())
}

pub async fn invite_staff(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let now = chrono::Utc::now();
    let today = crate::when::today(&ctx.org);
    let people = state.store.staff_to_invite(ctx.org.id, today, now).await?;
    let invitations: Vec<StaffInvitation> = people
        .into_iter()
        .map(|(person, name, email)| {
            let token = new_token();
            StaffInvitation {
                mail: invitation_mail(
                    &state,
                    &token,
                    &email,
                    &name,
                    &page.caller.account.display_name,
                    &ctx.org.name,
                    STAFF_ROLE.label(),
                ),
                token_hash: token_hash(&token),
                invitation: NewInvitation {
                    email,
                    display_name: name,
                    org: ctx.org.id,
                    role: STAFF_ROLE,
                    unit: None,
                    person: Some(person),
                    invited_by: page.caller.account.id,
                },
            }
        })
        .collect();
    let n = state
        .store
        .invite_staff(&invitations, now, now + INVITATION_VALID_FOR)
        .await?;
    state.auth.mail_queue.wake();
    tracing::info!(org = %ctx.org.ods_code, invited = n, "staff invited");
    let message = match n {
        0 => "Nobody to invite: everyone in post with an email has an account or an invitation"
            .to_owned(),
        1 => "1 invitation sent".to_owned(),
        n => format!("{n} invitations sent"),
    };
    Ok(super::saved(&ctx, "users", &message))
}
