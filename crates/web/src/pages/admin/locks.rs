//! Sign-in locks: the organisation's accounts that cannot sign in just now because of failed attempts (locked for
//! every address, or waiting at one address), with when that ends and a button that clears it. Clearing forgets the
//! account's failures too, as a completed password reset does (see `auth::throttle`).

use super::users::{account_here, may_manage};
use super::{Notice, admin_org, saved};
use crate::AppState;
use crate::auth::throttle::wait_text;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::Utc;
use lantern_domain::{AccountId, Timestamp};

/// One way an account is held up, in words.
pub struct Hold {
    /// The client address that waits; none when the account is locked for every address.
    pub address: Option<String>,
    pub until: Timestamp,
    /// "in 12 minutes".
    pub ends_in: String,
    pub failures: i64,
}

pub struct LockedAccount {
    pub id: i64,
    /// Whether this admin may unlock it (every role it holds is in this organisation).
    pub manageable: bool,
    pub name: String,
    pub email: String,
    pub holds: Vec<Hold>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_locks.html")]
pub struct LocksPage {
    layout: Layout,
    ods: String,
    org_name: String,
    accounts: Vec<LockedAccount>,
    saved: Option<String>,
}

pub async fn locks_page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(n): Query<Notice>,
) -> PageResult<LocksPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let now = Utc::now();
    let policy = &state.auth.throttle;
    let troubles = state
        .store
        .sign_in_troubles(ctx.org.id, policy.windows(now).since)
        .await?;
    let hold = |address: Option<String>, until: Timestamp, failures: i64| Hold {
        address,
        until,
        ends_in: wait_text(until - now),
        failures,
    };
    let spans: std::collections::HashMap<AccountId, lantern_domain::access::AccountSpan> = state
        .store
        .accounts_in_org(ctx.org.id)
        .await?
        .into_iter()
        .map(|a| (a.account.id, a.span))
        .collect();
    let mut accounts = Vec::new();
    for t in troubles {
        let mut holds = Vec::new();
        if let Some(until) = t.locked_until.filter(|u| *u > now) {
            let failures = t.addresses.iter().map(|a| a.failures).sum();
            holds.push(hold(None, until, failures));
        }
        for a in &t.addresses {
            if let Some(until) = policy
                .pair_until(a.failures, Some(a.latest))
                .filter(|u| *u > now)
            {
                holds.push(hold(Some(a.address.clone()), until, a.failures));
            }
        }
        if !holds.is_empty() {
            let manageable = spans.get(&t.account.id).is_some_and(|span| {
                page.caller
                    .principal
                    .may(lantern_domain::access::Action::ManageAccount(
                        ctx.org.id, *span,
                    ))
            });
            accounts.push(LockedAccount {
                id: t.account.id.0,
                manageable,
                name: t.account.display_name,
                email: t.account.email,
                holds,
            });
        }
    }
    Ok(LocksPage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        accounts,
        saved: n.saved,
    })
}

/// Clears an account's sign-in lock and failures. Only for an account holding a role in this organisation (404
/// otherwise, as for any account outside it), and only where the caller may manage its credentials: an account
/// with roles beyond this organisation is a platform admin's to unlock (`Action::ManageAccount`), so no
/// organisation admin can keep lifting the throttle on someone else's account.
pub async fn lock_clear(
    State(state): State<AppState>,
    page: Page,
    Path((ods, account)): Path<(String, i64)>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let found = account_here(&state, &ctx, account).await?;
    may_manage(&page, &ctx, &found)?;
    let target = found.account;
    state.store.clear_sign_in_lock(&target.email).await?;
    tracing::info!(org = %ctx.org.ods_code, account = %target.id, by = %page.caller.account.id,
        "sign-in lock cleared by an admin");
    Ok(saved(
        &ctx,
        "locks",
        &format!("{} can sign in again", target.display_name),
    ))
}
