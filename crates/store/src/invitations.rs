//! Invitations to take a role in an organisation.
//!
//! An account's credentials and status belong to the account, not to any organisation, so an organisation admin
//! cannot attach their organisation's role to someone else's account by typing its email. They invite the address
//! instead; whoever holds it accepts, by signing in to the account they have or by choosing a password for a new
//! one. The admin sees the same answer whether or not the address had an account, and nothing changes for anyone
//! until the invitation is accepted. The emailed token is stored only as a SHA-256 hash.

use crate::Result;
use async_trait::async_trait;
use lantern_domain::access::{Role, RoleGrant};
use lantern_domain::{AccountId, OrgId, PersonId, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InvitationId(pub i64);

/// What an organisation admin asks for.
#[derive(Clone, Debug)]
pub struct NewInvitation {
    pub email: String,
    /// Used if accepting creates a new account.
    pub display_name: String,
    pub org: OrgId,
    pub role: Role,
    /// A manager's unit, by its code in the organisation.
    pub unit: Option<String>,
    /// The staff record (one of the organisation's people) to link the account to.
    pub person: Option<PersonId>,
    pub invited_by: AccountId,
}

/// One invitation of "Invite your staff": the invitation, its link's hash and its email.
#[derive(Clone, Debug)]
pub struct StaffInvitation {
    pub invitation: NewInvitation,
    pub token_hash: String,
    pub mail: crate::OutgoingMail,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationState {
    Pending,
    Accepted,
    Withdrawn,
    Expired,
}

#[derive(Clone, Debug)]
pub struct Invitation {
    pub id: InvitationId,
    pub email: String,
    pub display_name: String,
    pub org_name: String,
    pub grant: RoleGrant,
    pub unit_name: Option<String>,
    pub person: Option<PersonId>,
    pub invited_by: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub state: InvitationState,
}

/// How the person invited accepts.
#[derive(Clone, Copy, Debug)]
pub enum Acceptance<'a> {
    /// Signed in to their existing account (whose email must be the one invited).
    Existing(AccountId),
    /// A new account with this password (argon2id PHC string); refused if the email has an account by now.
    New { password_hash: &'a str },
}

#[async_trait]
pub trait InvitationStore: Send + Sync {
    /// Records an invitation, all-or-nothing; problems name the field (email, unit, role).
    async fn create_invitation(
        &self,
        new: &NewInvitation,
        token_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<InvitationId>;
    /// People in post in the organisation on `today` whose staff record has an email that no account has and no
    /// pending invitation is for: whom "Invite your staff" would invite, by name. (person, name, email).
    async fn staff_to_invite(
        &self,
        org: OrgId,
        today: lantern_domain::Date,
        now: Timestamp,
    ) -> Result<Vec<(PersonId, String, String)>>;
    /// Records learner invitations, each linked to its staff record, with each one's email queued in the same
    /// transaction: all or none. Someone who gained an account or a pending invitation since the list was read is
    /// left out, with their email. Returns how many were invited.
    async fn invite_staff(
        &self,
        invitations: &[StaffInvitation],
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<usize>;
    /// The organisation's invitations that are still waiting or ended in the last 30 days, newest first.
    async fn invitations_in_org(&self, org: OrgId, now: Timestamp) -> Result<Vec<Invitation>>;
    /// The invitation a link names, in whatever state it is.
    async fn invitation(&self, token_hash: &str, now: Timestamp) -> Result<Option<Invitation>>;
    /// Accepts a pending invitation in one transaction: the account (created if new), its role and its link to the
    /// staff record. A second use of the link finds it accepted. Problems name the field.
    async fn accept_invitation(
        &self,
        token_hash: &str,
        how: Acceptance<'_>,
        now: Timestamp,
    ) -> Result<AccountId>;
    /// The person invited says no; true when there was a pending invitation.
    async fn decline_invitation(&self, token_hash: &str, now: Timestamp) -> Result<bool>;
    /// An admin withdraws a pending invitation of their organisation; true when there was one.
    async fn withdraw_invitation(
        &self,
        org: OrgId,
        id: InvitationId,
        now: Timestamp,
    ) -> Result<bool>;
    /// Gives a pending invitation of the organisation a new link (the old one stops working) and a new expiry.
    async fn renew_invitation(
        &self,
        org: OrgId,
        id: InvitationId,
        token_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<Option<Invitation>>;
}

macro_rules! impl_invitation_store {
    ($store:ident, $db:ty) => {
        mod invitation_store {
            use super::$store;
            use crate::accounts::grant_from_parts;
            use crate::batch::BatchProblem;
            use crate::invitations::*;
            use crate::{Result, StoreError};
            use async_trait::async_trait;
            use lantern_domain::{AccountId, OrgId, PersonId, Timestamp};
            use sqlx::Row;

            type DbRow = <$db as sqlx::Database>::Row;

            fn problem(field: &str, message: impl Into<String>) -> BatchProblem {
                BatchProblem { line: 1, field: field.to_owned(), message: message.into() }
            }

            fn rejected(field: &str, message: impl Into<String>) -> StoreError {
                StoreError::Rejected(vec![problem(field, message)])
            }

            const SELECT: &str = "SELECT i.*, o.name AS org_name, u.name AS unit_name, a.display_name AS inviter \
                 FROM role_invitations i JOIN organisations o ON o.id = i.org_id \
                 LEFT JOIN current_units u ON u.id = i.unit_id LEFT JOIN accounts a ON a.id = i.invited_by";

            fn from_row(r: &DbRow, now: Timestamp) -> Result<Invitation> {
                let expires_at: Timestamp = r.try_get("expires_at")?;
                let state = if r.try_get::<Option<Timestamp>, _>("accepted_at")?.is_some() {
                    InvitationState::Accepted
                } else if r.try_get::<Option<Timestamp>, _>("withdrawn_at")?.is_some() {
                    InvitationState::Withdrawn
                } else if expires_at <= now {
                    InvitationState::Expired
                } else {
                    InvitationState::Pending
                };
                Ok(Invitation {
                    id: InvitationId(r.try_get("id")?),
                    email: r.try_get("email")?,
                    display_name: r.try_get("display_name")?,
                    org_name: r.try_get("org_name")?,
                    grant: grant_from_parts(&r.try_get::<String, _>("role")?, r.try_get("org_id")?, r.try_get("unit_id")?)?,
                    unit_name: r.try_get("unit_name")?,
                    person: r.try_get::<Option<i64>, _>("person_id")?.map(PersonId),
                    invited_by: r.try_get("inviter")?,
                    created_at: r.try_get("created_at")?,
                    expires_at,
                    state,
                })
            }

            #[async_trait]
            impl InvitationStore for $store {
                async fn create_invitation(
                    &self,
                    new: &NewInvitation,
                    token_hash: &str,
                    now: Timestamp,
                    expires_at: Timestamp,
                ) -> Result<InvitationId> {
                    let mut problems = Vec::new();
                    let email = new.email.trim().to_lowercase();
                    if crate::accounts::email_problem(&email).is_some() {
                        problems.push(problem("email", format!("{:?} is not an email address", new.email.trim())));
                    }
                    if new.display_name.trim().is_empty() {
                        problems.push(problem("name", "a display name is needed"));
                    }
                    let mut tx = self.begin_write().await?;
                    let unit: Option<i64> = match &new.unit {
                        Some(code) => {
                            let id: Option<i64> = sqlx::query_scalar("SELECT id FROM units WHERE org_id = $1 AND code = $2")
                                .bind(new.org.0).bind(code.trim()).fetch_optional(&mut *tx).await?;
                            if id.is_none() {
                                problems.push(problem("unit", format!("there is no unit {:?} here", code.trim())));
                            }
                            id
                        }
                        None => None,
                    };
                    let grant = lantern_domain::access::RoleGrant {
                        role: new.role,
                        org: Some(new.org),
                        unit: unit.map(lantern_domain::UnitId),
                    };
                    if new.role == lantern_domain::access::Role::PlatformAdmin {
                        problems.push(problem("role", "platform admins are made on the command line"));
                    } else if let (Some(message), true) = (grant.problem(), new.unit.is_none() || unit.is_some()) {
                        problems.push(problem("role", message));
                    }
                    if !problems.is_empty() {
                        tx.rollback().await?;
                        return Err(StoreError::Rejected(problems));
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO role_invitations (token_hash, email, display_name, org_id, role, unit_id, person_id, \
                         invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                    )
                    .bind(token_hash).bind(&email).bind(new.display_name.trim()).bind(new.org.0).bind(new.role.code())
                    .bind(unit).bind(new.person.map(|p| p.0)).bind(new.invited_by.0).bind(now).bind(expires_at)
                    .fetch_one(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(InvitationId(id))
                }

                async fn staff_to_invite(
                    &self,
                    org: OrgId,
                    today: lantern_domain::Date,
                    now: Timestamp,
                ) -> Result<Vec<(PersonId, String, String)>> {
                    let rows = sqlx::query(
                        "SELECT DISTINCT p.id, p.given_name, p.family_name, LOWER(TRIM(p.email)) AS email FROM people p \
                         JOIN current_posts x ON x.person_id = p.id AND x.org_id = $1 \
                         WHERE p.email IS NOT NULL AND TRIM(p.email) <> '' AND x.start_date <= $2 \
                         AND (x.end_date IS NULL OR x.end_date >= $2) \
                         AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.email = LOWER(TRIM(p.email)) OR a.person_id = p.id) \
                         AND NOT EXISTS (SELECT 1 FROM role_invitations i WHERE i.email = LOWER(TRIM(p.email)) \
                           AND i.accepted_at IS NULL AND i.withdrawn_at IS NULL AND i.expires_at > $3) \
                         ORDER BY p.family_name, p.given_name, p.id",
                    )
                    .bind(org.0).bind(today).bind(now).fetch_all(&self.pool).await?;
                    let mut out = Vec::with_capacity(rows.len());
                    let mut seen = std::collections::HashSet::new();
                    for r in rows {
                        let email: String = r.try_get("email")?;
                        // Two staff records with one address: neither can be told apart by it; invite the first.
                        if crate::accounts::email_problem(&email).is_some() || !seen.insert(email.clone()) {
                            continue;
                        }
                        let name = format!("{} {}", r.try_get::<String, _>("given_name")?, r.try_get::<String, _>("family_name")?);
                        out.push((PersonId(r.try_get("id")?), name, email));
                    }
                    Ok(out)
                }

                async fn invite_staff(
                    &self,
                    invitations: &[StaffInvitation],
                    now: Timestamp,
                    expires_at: Timestamp,
                ) -> Result<usize> {
                    let mut tx = self.begin_write().await?;
                    let mut done = 0;
                    for s in invitations {
                        let new = &s.invitation;
                        let taken: i64 = sqlx::query_scalar(
                            "SELECT (SELECT COUNT(*) FROM accounts a WHERE a.email = $1 OR a.person_id = $2) + \
                             (SELECT COUNT(*) FROM role_invitations i WHERE i.email = $1 AND i.accepted_at IS NULL \
                              AND i.withdrawn_at IS NULL AND i.expires_at > $3)",
                        )
                        .bind(&new.email).bind(new.person.map(|p| p.0)).bind(now).fetch_one(&mut *tx).await?;
                        if taken > 0 {
                            continue;
                        }
                        sqlx::query(
                            "INSERT INTO role_invitations (token_hash, email, display_name, org_id, role, unit_id, person_id, \
                             invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9)",
                        )
                        .bind(&s.token_hash).bind(&new.email).bind(new.display_name.trim()).bind(new.org.0)
                        .bind(new.role.code()).bind(new.person.map(|p| p.0)).bind(new.invited_by.0).bind(now).bind(expires_at)
                        .execute(&mut *tx).await?;
                        super::outbox_store::insert_mail(&mut tx, &s.mail, now).await?;
                        done += 1;
                    }
                    tx.commit().await?;
                    Ok(done)
                }

                async fn invitations_in_org(&self, org: OrgId, now: Timestamp) -> Result<Vec<Invitation>> {
                    let since = now - chrono::TimeDelta::days(30);
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "{SELECT} WHERE i.org_id = $1 AND (i.expires_at > $2 OR i.accepted_at > $2 OR i.withdrawn_at > $2) \
                         ORDER BY i.created_at DESC, i.id DESC"
                    )))
                    .bind(org.0).bind(since)
                    .fetch_all(&self.pool).await?
                    .iter().map(|r| from_row(r, now)).collect()
                }

                async fn invitation(&self, token_hash: &str, now: Timestamp) -> Result<Option<Invitation>> {
                    sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE i.token_hash = $1")))
                        .bind(token_hash)
                        .fetch_optional(&self.pool).await?
                        .as_ref().map(|r| from_row(r, now)).transpose()
                }

                async fn accept_invitation(&self, token_hash: &str, how: Acceptance<'_>, now: Timestamp) -> Result<AccountId> {
                    // Every early return drops `tx`, which rolls it back: nothing is half-accepted.
                    let mut tx = self.begin_write().await?;
                    // Claiming the invitation first makes two racing acceptances one success and one refusal.
                    let claimed = sqlx::query(
                        "UPDATE role_invitations SET accepted_at = $1 WHERE token_hash = $2 AND accepted_at IS NULL \
                         AND withdrawn_at IS NULL AND expires_at > $1 \
                         RETURNING id, email, display_name, org_id, role, unit_id, person_id",
                    )
                    .bind(now).bind(token_hash).fetch_optional(&mut *tx).await?;
                    let Some(inv) = claimed else {
                        return Err(rejected("invitation", "This invitation has expired, been withdrawn or been used already."));
                    };
                    let email: String = inv.try_get("email")?;
                    let person: Option<i64> = inv.try_get("person_id")?;
                    let account = match how {
                        Acceptance::Existing(account) => {
                            let row = sqlx::query("SELECT email, person_id, disabled_at FROM accounts WHERE id = $1")
                                .bind(account.0).fetch_optional(&mut *tx).await?;
                            let Some(row) = row else {
                                        return Err(StoreError::NotFound);
                            };
                            if row.try_get::<String, _>("email")? != email {
                                        return Err(rejected("account", format!(
                                    "This invitation is for {email}. Sign out, then sign in as {email} to accept it."
                                )));
                            }
                            if row.try_get::<Option<Timestamp>, _>("disabled_at")?.is_some() {
                                        return Err(rejected("account", "This account is disabled."));
                            }
                            let linked: Option<i64> = row.try_get("person_id")?;
                            match (linked, person) {
                                (Some(a), Some(b)) if a != b => {
                                    return Err(rejected("person",
                                        "Your account is already linked to another staff record, so it cannot also be \
                                         the one this invitation names. Ask the administrator who invited you to check \
                                         your employee number.",
                                    ));
                                }
                                (None, Some(p)) => {
                                    sqlx::query("UPDATE accounts SET person_id = $1 WHERE id = $2")
                                        .bind(p).bind(account.0).execute(&mut *tx).await?;
                                }
                                _ => {}
                            }
                            account.0
                        }
                        Acceptance::New { password_hash } => {
                            let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE email = $1")
                                .bind(&email).fetch_optional(&mut *tx).await?;
                            if taken.is_some() {
                                        return Err(rejected("email", format!(
                                    "{email} has a Lantern account already: sign in to accept the invitation."
                                )));
                            }
                            sqlx::query_scalar(
                                "INSERT INTO accounts (email, display_name, password_hash, person_id, created_at) \
                                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                            )
                            .bind(&email).bind(inv.try_get::<String, _>("display_name")?).bind(password_hash).bind(person).bind(now)
                            .fetch_one(&mut *tx).await?
                        }
                    };
                    sqlx::query(
                        "INSERT INTO role_grants (account_id, role, org_id, unit_id, created_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(account).bind(inv.try_get::<String, _>("role")?).bind(inv.try_get::<i64, _>("org_id")?)
                    .bind(inv.try_get::<Option<i64>, _>("unit_id")?).bind(now)
                    .execute(&mut *tx).await?;
                    sqlx::query("UPDATE role_invitations SET accepted_by = $1 WHERE id = $2")
                        .bind(account).bind(inv.try_get::<i64, _>("id")?).execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(AccountId(account))
                }

                async fn decline_invitation(&self, token_hash: &str, now: Timestamp) -> Result<bool> {
                    let res = sqlx::query(
                        "UPDATE role_invitations SET withdrawn_at = $1 WHERE token_hash = $2 AND accepted_at IS NULL \
                         AND withdrawn_at IS NULL AND expires_at > $1",
                    )
                    .bind(now).bind(token_hash).execute(&self.pool).await?;
                    Ok(res.rows_affected() > 0)
                }

                async fn withdraw_invitation(&self, org: OrgId, id: InvitationId, now: Timestamp) -> Result<bool> {
                    let res = sqlx::query(
                        "UPDATE role_invitations SET withdrawn_at = $1 WHERE id = $2 AND org_id = $3 \
                         AND accepted_at IS NULL AND withdrawn_at IS NULL",
                    )
                    .bind(now).bind(id.0).bind(org.0).execute(&self.pool).await?;
                    Ok(res.rows_affected() > 0)
                }

                async fn renew_invitation(
                    &self,
                    org: OrgId,
                    id: InvitationId,
                    token_hash: &str,
                    now: Timestamp,
                    expires_at: Timestamp,
                ) -> Result<Option<Invitation>> {
                    let res = sqlx::query(
                        "UPDATE role_invitations SET token_hash = $1, expires_at = $2 WHERE id = $3 AND org_id = $4 \
                         AND accepted_at IS NULL AND withdrawn_at IS NULL",
                    )
                    .bind(token_hash).bind(expires_at).bind(id.0).bind(org.0).execute(&self.pool).await?;
                    if res.rows_affected() == 0 {
                        return Ok(None);
                    }
                    self.invitation(token_hash, now).await
                }
            }
        }
    };
}

pub(crate) use impl_invitation_store;
