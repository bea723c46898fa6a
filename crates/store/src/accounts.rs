//! Sign-in storage: accounts, role grants, server-side sessions and password-reset tokens (throttling is in
//! `throttle.rs`).
//!
//! Tokens (session cookies, reset links) are stored only as SHA-256 hashes; password hashes are argon2id PHC
//! strings made by the web layer. This module stores and finds; it decides nothing about who may do what.

use crate::Result;
use async_trait::async_trait;
use lantern_domain::access::{Role, RoleGrant};
use lantern_domain::{AccountId, OrgId, PersonId, Timestamp, UnitId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub email: String,
    pub display_name: String,
    pub person_id: Option<PersonId>,
    /// argon2id PHC string; None for single-sign-on-only accounts.
    pub password_hash: Option<String>,
    pub disabled: bool,
}

/// A grant named by natural keys, as the command line and imports give them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantSpec {
    pub role: Role,
    /// ODS code; None only for platform admins.
    pub org: Option<String>,
    /// Unit code within the organisation; managers only.
    pub unit: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    /// Links the account to a person (for "My training"), by employee number.
    pub employee_number: Option<String>,
    pub grants: Vec<GrantSpec>,
}

/// A live session as stored.
#[derive(Clone, Debug)]
pub struct SessionRow {
    pub account: Account,
    pub grants: Vec<RoleGrant>,
    /// Set for a session started by an organisation's single sign-on: only that organisation's roles apply.
    pub only_org: Option<OrgId>,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
}

/// One row of an organisation's account list.
#[derive(Clone, Debug)]
pub struct AccountInOrg {
    pub account: Account,
    /// The account's roles in this organisation.
    pub grants: Vec<RoleGrant>,
    /// Where all its roles lie: whether it holds any outside this organisation (decides who may manage its
    /// credentials; see `lantern_domain::access::AccountSpan`).
    pub span: lantern_domain::access::AccountSpan,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account with its grants, all-or-nothing. Problems name the field: an email already in use, an
    /// unknown organisation, unit or employee number, a malformed grant.
    async fn create_account(&self, new: &NewAccount, now: Timestamp) -> Result<AccountId>;
    /// Adds grants to an existing account (already-held grants are left as they are).
    async fn add_grants(
        &self,
        account: AccountId,
        grants: &[GrantSpec],
        now: Timestamp,
    ) -> Result<()>;
    async fn account_by_email(&self, email: &str) -> Result<Option<Account>>;
    async fn account(&self, id: AccountId) -> Result<Option<Account>>;
    async fn grants(&self, account: AccountId) -> Result<Vec<RoleGrant>>;
    /// Accounts holding any role in the organisation.
    async fn accounts_in_org(&self, org: OrgId) -> Result<Vec<AccountInOrg>>;
    /// Removes one grant; true when there was one to remove.
    async fn remove_grant(&self, account: AccountId, grant: &RoleGrant) -> Result<bool>;
    /// Disables (or re-enables) an account; disabling ends its sessions at once.
    async fn set_disabled(&self, account: AccountId, disabled: bool, now: Timestamp) -> Result<()>;
    /// Sets a new password hash, ends every session of the account, and clears its sign-in lock and failures (a
    /// completed reset proves the mailbox; a change proves the old password).
    async fn set_password(&self, account: AccountId, hash: &str) -> Result<()>;

    /// Starts a session; `only_org` confines it to one organisation's roles (single sign-on).
    async fn create_session(
        &self,
        token_hash: &str,
        account: AccountId,
        only_org: Option<OrgId>,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// The session, if it exists and its account is enabled; expiry is the caller's to judge.
    async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>>;
    async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    async fn create_password_reset(
        &self,
        token_hash: &str,
        account: AccountId,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// Uses a reset token once: the account it belongs to, if the token is known, unused and not expired.
    async fn take_password_reset(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<AccountId>>;
}

/// Why a (trimmed, lower-cased) email address cannot be an account's, if it cannot.
pub(crate) fn email_problem(email: &str) -> Option<&'static str> {
    lantern_domain::email::problem(email)
}

pub(crate) fn grant_from_parts(
    role: &str,
    org: Option<i64>,
    unit: Option<i64>,
) -> Result<RoleGrant> {
    Ok(RoleGrant {
        role: Role::parse(role).ok_or_else(|| crate::StoreError::Corrupt {
            column: "role_grants.role",
            message: format!("unknown role {role:?}"),
        })?,
        org: org.map(OrgId),
        unit: unit.map(UnitId),
    })
}

macro_rules! impl_account_store {
    ($store:ident, $db:ty) => {
        mod account_store {
            use super::$store;
            use crate::accounts::*;
            use crate::batch::BatchProblem;
            use crate::{Result, StoreError};
            use async_trait::async_trait;
            use lantern_domain::access::RoleGrant;
            use lantern_domain::{AccountId, OrgId, PersonId, Timestamp};
            use sqlx::Row;

            type DbRow = <$db as sqlx::Database>::Row;
            type Tx<'c> = sqlx::Transaction<'c, $db>;

            pub(super) fn account_from_row(r: &DbRow) -> Result<Account> {
                Ok(Account {
                    id: AccountId(r.try_get("id")?),
                    email: r.try_get("email")?,
                    display_name: r.try_get("display_name")?,
                    person_id: r.try_get::<Option<i64>, _>("person_id")?.map(PersonId),
                    password_hash: r.try_get("password_hash")?,
                    disabled: r.try_get::<Option<Timestamp>, _>("disabled_at")?.is_some(),
                })
            }

            fn problem(field: &str, message: impl Into<String>) -> BatchProblem {
                BatchProblem { line: 1, field: field.to_owned(), message: message.into() }
            }

            async fn grants_of(exec: &mut Tx<'_>, account: AccountId) -> Result<Vec<RoleGrant>> {
                sqlx::query("SELECT role, org_id, unit_id FROM role_grants WHERE account_id = $1 ORDER BY id")
                    .bind(account.0)
                    .fetch_all(&mut **exec)
                    .await?
                    .iter()
                    .map(|r| grant_from_parts(&r.try_get::<String, _>("role")?, r.try_get("org_id")?, r.try_get("unit_id")?))
                    .collect()
            }

            /// Resolves and inserts grants; problems are collected, not returned early, so every bad one is named.
            async fn insert_grants(
                tx: &mut Tx<'_>,
                account: AccountId,
                grants: &[GrantSpec],
                now: Timestamp,
                problems: &mut Vec<BatchProblem>,
            ) -> Result<()> {
                for g in grants {
                    let org: Option<i64> = match &g.org {
                        Some(code) => {
                            let id: Option<i64> = sqlx::query_scalar("SELECT id FROM organisations WHERE ods_code = $1")
                                .bind(code).fetch_optional(&mut **tx).await?;
                            if id.is_none() {
                                problems.push(problem("org", format!("no organisation with ODS code {code:?}")));
                                continue;
                            }
                            id
                        }
                        None => None,
                    };
                    let unit: Option<i64> = match (&g.unit, org) {
                        (Some(code), Some(org)) => {
                            let id: Option<i64> = sqlx::query_scalar("SELECT id FROM units WHERE org_id = $1 AND code = $2")
                                .bind(org).bind(code).fetch_optional(&mut **tx).await?;
                            if id.is_none() {
                                problems.push(problem("unit", format!("no unit {code:?} in {}", g.org.as_deref().unwrap_or(""))));
                                continue;
                            }
                            id
                        }
                        _ => None,
                    };
                    let grant = RoleGrant { role: g.role, org: org.map(OrgId), unit: unit.map(lantern_domain::UnitId) };
                    if let Some(message) = grant.problem() {
                        problems.push(problem("role", message));
                        continue;
                    }
                    let held: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM role_grants WHERE account_id = $1 AND role = $2 \
                         AND COALESCE(org_id, 0) = COALESCE($3, 0) AND COALESCE(unit_id, 0) = COALESCE($4, 0)",
                    )
                    .bind(account.0).bind(g.role.code()).bind(org).bind(unit)
                    .fetch_optional(&mut **tx).await?;
                    if held.is_none() {
                        sqlx::query(
                            "INSERT INTO role_grants (account_id, role, org_id, unit_id, created_at) VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(account.0).bind(g.role.code()).bind(org).bind(unit).bind(now)
                        .execute(&mut **tx).await?;
                    }
                }
                Ok(())
            }

            #[async_trait]
            impl AccountStore for $store {
                async fn create_account(&self, new: &NewAccount, now: Timestamp) -> Result<AccountId> {
                    let mut tx = self.begin_write().await?;
                    let mut problems = Vec::new();
                    let email = new.email.trim().to_lowercase();
                    if crate::accounts::email_problem(&email).is_some() {
                        problems.push(problem("email", format!("{:?} is not an email address", new.email)));
                    }
                    if new.display_name.trim().is_empty() {
                        problems.push(problem("name", "a display name is needed"));
                    }
                    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE email = $1")
                        .bind(&email).fetch_optional(&mut *tx).await?;
                    if taken.is_some() {
                        problems.push(problem("email", format!("{email} already has an account")));
                    }
                    let person: Option<i64> = match &new.employee_number {
                        Some(n) => {
                            // Employee numbers are each employer's own: look in the organisation the account gets a
                            // role in (its staff, or people its imports created), or the platform's own people.
                            let org: Option<i64> = match new.grants.iter().find_map(|g| g.org.as_deref()) {
                                Some(code) => sqlx::query_scalar("SELECT id FROM organisations WHERE ods_code = $1")
                                    .bind(code).fetch_optional(&mut *tx).await?,
                                None => None,
                            };
                            let id: Option<i64> = sqlx::query_scalar(
                                "SELECT p.id FROM people p WHERE p.employee_number = $1 AND (($2 IS NULL AND p.issuer_org_id IS NULL) \
                                 OR p.issuer_org_id = $2 OR EXISTS (SELECT 1 FROM posts x WHERE x.person_id = p.id AND x.org_id = $2)) \
                                 ORDER BY p.id",
                            )
                            .bind(n).bind(org).fetch_optional(&mut *tx).await?;
                            if id.is_none() {
                                problems.push(problem("employee_number", format!("no person with employee number {n:?}")));
                            }
                            id
                        }
                        None => None,
                    };
                    if !problems.is_empty() {
                        tx.rollback().await?;
                        return Err(StoreError::Rejected(problems));
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO accounts (email, display_name, password_hash, person_id, created_at) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(&email).bind(new.display_name.trim()).bind(&new.password_hash).bind(person).bind(now)
                    .fetch_one(&mut *tx).await?;
                    insert_grants(&mut tx, AccountId(id), &new.grants, now, &mut problems).await?;
                    if !problems.is_empty() {
                        tx.rollback().await?;
                        return Err(StoreError::Rejected(problems));
                    }
                    tx.commit().await?;
                    Ok(AccountId(id))
                }

                async fn add_grants(&self, account: AccountId, grants: &[GrantSpec], now: Timestamp) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    let mut problems = Vec::new();
                    insert_grants(&mut tx, account, grants, now, &mut problems).await?;
                    if !problems.is_empty() {
                        tx.rollback().await?;
                        return Err(StoreError::Rejected(problems));
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn account_by_email(&self, email: &str) -> Result<Option<Account>> {
                    sqlx::query("SELECT * FROM accounts WHERE email = $1")
                        .bind(email.trim().to_lowercase())
                        .fetch_optional(&self.pool).await?
                        .as_ref().map(account_from_row).transpose()
                }

                async fn account(&self, id: AccountId) -> Result<Option<Account>> {
                    sqlx::query("SELECT * FROM accounts WHERE id = $1")
                        .bind(id.0)
                        .fetch_optional(&self.pool).await?
                        .as_ref().map(account_from_row).transpose()
                }

                async fn grants(&self, account: AccountId) -> Result<Vec<RoleGrant>> {
                    let mut tx = self.begin_write().await?;
                    let grants = grants_of(&mut tx, account).await?;
                    tx.commit().await?;
                    Ok(grants)
                }

                async fn accounts_in_org(&self, org: OrgId) -> Result<Vec<AccountInOrg>> {
                    let rows = sqlx::query(
                        "SELECT a.*, g.role, g.org_id, g.unit_id, EXISTS (SELECT 1 FROM role_grants x \
                         WHERE x.account_id = a.id AND (x.org_id IS NULL OR x.org_id <> $1)) AS elsewhere \
                         FROM accounts a JOIN role_grants g ON g.account_id = a.id \
                         WHERE g.org_id = $1 ORDER BY a.display_name, a.id, g.id",
                    )
                    .bind(org.0).fetch_all(&self.pool).await?;
                    let mut out: Vec<AccountInOrg> = Vec::new();
                    for r in &rows {
                        let account = account_from_row(r)?;
                        let grant = grant_from_parts(&r.try_get::<String, _>("role")?, r.try_get("org_id")?, r.try_get("unit_id")?)?;
                        match out.last_mut() {
                            Some(last) if last.account.id == account.id => last.grants.push(grant),
                            _ => {
                                let span = if r.try_get::<bool, _>("elsewhere")? {
                                    lantern_domain::access::AccountSpan::Beyond
                                } else {
                                    lantern_domain::access::AccountSpan::Within
                                };
                                out.push(AccountInOrg { account, grants: vec![grant], span })
                            }
                        }
                    }
                    Ok(out)
                }

                async fn remove_grant(&self, account: AccountId, grant: &RoleGrant) -> Result<bool> {
                    let res = sqlx::query(
                        "DELETE FROM role_grants WHERE account_id = $1 AND role = $2 \
                         AND COALESCE(org_id, 0) = COALESCE($3, 0) AND COALESCE(unit_id, 0) = COALESCE($4, 0)",
                    )
                    .bind(account.0).bind(grant.role.code()).bind(grant.org.map(|o| o.0)).bind(grant.unit.map(|u| u.0))
                    .execute(&self.pool).await?;
                    Ok(res.rows_affected() > 0)
                }

                async fn set_disabled(&self, account: AccountId, disabled: bool, now: Timestamp) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE id = $2")
                        .bind(disabled.then_some(now)).bind(account.0).execute(&mut *tx).await?;
                    if disabled {
                        sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(account.0).execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn set_password(&self, account: AccountId, hash: &str) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
                        .bind(hash).bind(account.0).execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
                        .bind(account.0).execute(&mut *tx).await?;
                    for table in ["sign_in_locks", "sign_in_failures"] {
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DELETE FROM {table} WHERE email = (SELECT email FROM accounts WHERE id = $1)"
                        )))
                        .bind(account.0).execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn create_session(&self, token_hash: &str, account: AccountId, only_org: Option<OrgId>, now: Timestamp, expires_at: Timestamp) -> Result<()> {
                    // Housekeeping at each sign-in: sessions past their absolute expiry are gone for good.
                    sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
                    sqlx::query(
                        "INSERT INTO sessions (token_hash, account_id, only_org_id, created_at, last_seen_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $4, $5)",
                    )
                    .bind(token_hash).bind(account.0).bind(only_org.map(|o| o.0)).bind(now).bind(expires_at)
                    .execute(&self.pool).await?;
                    Ok(())
                }

                async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>> {
                    // One round trip on every request: the session, its account and the account's grants.
                    let rows = sqlx::query(
                        "SELECT a.*, s.created_at AS s_created_at, s.last_seen_at, s.expires_at, s.only_org_id, \
                         g.role AS g_role, g.org_id AS g_org_id, g.unit_id AS g_unit_id \
                         FROM sessions s JOIN accounts a ON a.id = s.account_id \
                         LEFT JOIN role_grants g ON g.account_id = a.id \
                         WHERE s.token_hash = $1 ORDER BY g.id",
                    )
                    .bind(token_hash).fetch_all(&self.pool).await?;
                    let Some(first) = rows.first() else { return Ok(None) };
                    let account = account_from_row(first)?;
                    if account.disabled {
                        return Ok(None);
                    }
                    let only_org = first.try_get::<Option<i64>, _>("only_org_id")?.map(OrgId);
                    let mut grants = Vec::new();
                    for r in &rows {
                        if let Some(role) = r.try_get::<Option<String>, _>("g_role")? {
                            let grant = grant_from_parts(&role, r.try_get("g_org_id")?, r.try_get("g_unit_id")?)?;
                            // A single-sign-on session holds only the roles of the organisation that signed it in.
                            if only_org.is_none_or(|o| grant.org == Some(o)) {
                                grants.push(grant);
                            }
                        }
                    }
                    Ok(Some(SessionRow {
                        account,
                        grants,
                        only_org,
                        created_at: first.try_get("s_created_at")?,
                        last_seen_at: first.try_get("last_seen_at")?,
                        expires_at: first.try_get("expires_at")?,
                    }))
                }

                async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()> {
                    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                        .bind(now).bind(token_hash).execute(&self.pool).await?;
                    Ok(())
                }

                async fn delete_session(&self, token_hash: &str) -> Result<()> {
                    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                        .bind(token_hash).execute(&self.pool).await?;
                    Ok(())
                }

                async fn create_password_reset(&self, token_hash: &str, account: AccountId, now: Timestamp, expires_at: Timestamp) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO password_resets (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(token_hash).bind(account.0).bind(now).bind(expires_at)
                    .execute(&self.pool).await?;
                    Ok(())
                }

                async fn take_password_reset(&self, token_hash: &str, now: Timestamp) -> Result<Option<AccountId>> {
                    // One statement marks the token used only if it is still usable: two racing uses cannot both win.
                    let id: Option<i64> = sqlx::query_scalar(
                        "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
                         RETURNING account_id",
                    )
                    .bind(now).bind(token_hash).fetch_optional(&self.pool).await?;
                    Ok(id.map(AccountId))
                }
            }
        }
    };
}

pub(crate) use impl_account_store;
