//! Just-in-time accounts: the first time someone on an organisation's staff list signs in through its provider (one
//! that matches by verified email), Lantern makes them an account with the learner role there, linked to their staff
//! record, so a trust need not invite its whole workforce before go-live. Only a person in post today whose staff
//! record carries that address qualifies; anyone else is refused as before. An account that exists already, linked
//! to that staff record but with no role here (someone who moved from another organisation), is given the learner
//! role here. Other roles are only ever given by an admin.

use crate::AppState;
use lantern_domain::access::STAFF_ROLE;
use lantern_domain::{Date, OrgId, PersonId};
use lantern_store::{Account, GrantSpec, NewAccount, Scope, StoreError};

/// The person on the organisation's staff list, in post on `today`, whose record has this address.
async fn staff_member(
    state: &AppState,
    org: OrgId,
    email: &str,
    today: Date,
) -> Result<Option<(PersonId, lantern_store::PersonBundle)>, StoreError> {
    let person = match state
        .store
        .person_by_email(&Scope::Platform, org, email)
        .await
    {
        Ok(p) => p,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let bundle = state.store.person(&Scope::Platform, org, person).await?;
    let in_post = lantern_domain::history::posts(&bundle.posts, None)
        .iter()
        .any(|p| p.start <= today && p.end.is_none_or(|e| e >= today));
    Ok(in_post.then_some((person, bundle)))
}

fn learner_here(ods: &str) -> GrantSpec {
    GrantSpec {
        role: STAFF_ROLE,
        org: Some(ods.to_owned()),
        unit: None,
    }
}

/// A new learner account for the staff member with this address, if there is one in post; None otherwise.
pub(super) async fn new_account(
    state: &AppState,
    org: OrgId,
    email: &str,
    today: Date,
) -> Result<Option<Account>, StoreError> {
    let Some((_, bundle)) = staff_member(state, org, email, today).await? else {
        return Ok(None);
    };
    let ods = state
        .read_model
        .context(state.store.as_ref(), &Scope::Platform, org)
        .await?
        .org
        .ods_code
        .to_string();
    let created = state
        .store
        .create_account(
            &NewAccount {
                email: email.to_owned(),
                display_name: bundle.person.display_name(),
                // Single sign-on only: a password can be set later through a reset, as for anyone.
                password_hash: None,
                employee_number: Some(bundle.person.employee_number.clone()),
                grants: vec![learner_here(&ods)],
            },
            chrono::Utc::now(),
        )
        .await;
    match created {
        Ok(id) => {
            tracing::info!(org = %ods, account = id.0, "account created at first single sign-on");
            state.store.account(id).await
        }
        // Two sign-ins at once: the other made the account.
        Err(StoreError::Rejected(_)) => state.store.account_by_email(email).await,
        Err(e) => Err(e),
    }
}

/// Gives the learner role here to an account linked to the staff member with this address (in post today) that
/// holds no role here; true when it did.
pub(super) async fn learner_role(
    state: &AppState,
    org: OrgId,
    account: &Account,
    today: Date,
) -> Result<bool, StoreError> {
    let Some((person, _)) = staff_member(state, org, &account.email, today).await? else {
        return Ok(false);
    };
    if account.person_id != Some(person) {
        return Ok(false);
    }
    let ods = state
        .read_model
        .context(state.store.as_ref(), &Scope::Platform, org)
        .await?
        .org
        .ods_code
        .to_string();
    state
        .store
        .add_grants(account.id, &[learner_here(&ods)], chrono::Utc::now())
        .await?;
    Ok(true)
}
