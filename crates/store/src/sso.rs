//! Single sign-on storage: each organisation's OpenID Connect provider, the identities bound to accounts, and sign-ins
//! in flight. The protocol itself is the web layer's; this module stores and finds.

use crate::Result;
use crate::accounts::Account;
use async_trait::async_trait;
use lantern_domain::{AccountId, OrgId, Timestamp};

/// How an ID token finds its Lantern account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsoMatch {
    /// The token's verified `email` claim names an account holding a role in the organisation; the provider's
    /// subject is then bound to it, so later sign-ins follow the subject even if the email changes.
    Email,
    /// The token's `sub` claim, which an admin has linked to an account beforehand.
    Subject,
}

impl SsoMatch {
    pub fn code(self) -> &'static str {
        match self {
            SsoMatch::Email => "email",
            SsoMatch::Subject => "subject",
        }
    }

    pub fn parse(s: &str) -> Option<SsoMatch> {
        match s {
            "email" => Some(SsoMatch::Email),
            "subject" => Some(SsoMatch::Subject),
            _ => None,
        }
    }
}

/// An organisation's identity provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoProvider {
    pub org: OrgId,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub match_on: SsoMatch,
    /// What the sign-in button says.
    pub label: String,
    pub enabled: bool,
    /// The organisation's own CA certificates (PEM) trusted for this provider besides the public roots; empty for
    /// none.
    pub ca_bundle: String,
}

/// An enabled provider with its organisation's names, for the sign-in page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoChoice {
    pub ods_code: String,
    pub org_name: String,
    pub label: String,
}

/// A sign-in in flight, taken once at the callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoLogin {
    pub org: OrgId,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next: String,
}

/// An identity at a provider bound to an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoIdentity {
    pub issuer: String,
    pub subject: String,
    pub account: Account,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

#[async_trait]
pub trait SsoStore: Send + Sync {
    async fn sso_provider(&self, org: OrgId) -> Result<Option<SsoProvider>>;
    /// Creates or replaces the organisation's provider.
    async fn set_sso_provider(&self, p: &SsoProvider, by: AccountId, now: Timestamp) -> Result<()>;
    /// Enabled providers, by organisation name.
    async fn sso_choices(&self) -> Result<Vec<SsoChoice>>;

    async fn create_sso_login(
        &self,
        state_hash: &str,
        login: &SsoLogin,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// Uses a sign-in once: it is deleted, and returned only if it has not expired.
    async fn take_sso_login(&self, state_hash: &str, now: Timestamp) -> Result<Option<SsoLogin>>;

    /// The account bound to an identity, marking it used.
    async fn sso_account(
        &self,
        org: OrgId,
        issuer: &str,
        subject: &str,
        now: Timestamp,
    ) -> Result<Option<Account>>;
    /// The identity an account is bound to at the organisation's provider, if any.
    async fn sso_subject_of(
        &self,
        org: OrgId,
        issuer: &str,
        account: AccountId,
    ) -> Result<Option<String>>;
    /// Binds an identity to an account. Refused (Rejected, naming the field) when the subject or the account is
    /// already bound to another.
    async fn link_sso_identity(
        &self,
        org: OrgId,
        issuer: &str,
        subject: &str,
        account: AccountId,
        now: Timestamp,
    ) -> Result<()>;
    /// Removes an account's binding at the organisation's provider; true when there was one.
    async fn unlink_sso_identity(&self, org: OrgId, account: AccountId) -> Result<bool>;
    /// Every identity bound at the organisation's current provider.
    async fn sso_identities(&self, org: OrgId, issuer: &str) -> Result<Vec<SsoIdentity>>;
}

macro_rules! impl_sso_store {
    ($store:ident, $db:ty) => {
        mod sso_store {
            use super::$store;
            use super::account_store::account_from_row;
            use crate::accounts::Account;
            use crate::batch::BatchProblem;
            use crate::sso::*;
            use crate::{Result, StoreError};
            use async_trait::async_trait;
            use lantern_domain::{AccountId, OrgId, Timestamp};
            use sqlx::Row;

            type DbRow = <$db as sqlx::Database>::Row;

            fn provider_from_row(r: &DbRow) -> Result<SsoProvider> {
                let code: String = r.try_get("match_on")?;
                Ok(SsoProvider {
                    org: OrgId(r.try_get("org_id")?),
                    issuer: r.try_get("issuer")?,
                    client_id: r.try_get("client_id")?,
                    client_secret: r.try_get("client_secret")?,
                    match_on: SsoMatch::parse(&code).ok_or_else(|| StoreError::Corrupt {
                        column: "sso_providers.match_on",
                        message: format!("unknown value {code:?}"),
                    })?,
                    label: r.try_get("label")?,
                    enabled: r.try_get("enabled")?,
                    ca_bundle: r.try_get("ca_bundle")?,
                })
            }

            fn rejected(field: &str, message: String) -> StoreError {
                StoreError::Rejected(vec![BatchProblem { line: 1, field: field.to_owned(), message }])
            }

            #[async_trait]
            impl SsoStore for $store {
                async fn sso_provider(&self, org: OrgId) -> Result<Option<SsoProvider>> {
                    sqlx::query("SELECT * FROM sso_providers WHERE org_id = $1")
                        .bind(org.0)
                        .fetch_optional(&self.pool).await?
                        .as_ref().map(provider_from_row).transpose()
                }

                async fn set_sso_provider(&self, p: &SsoProvider, by: AccountId, now: Timestamp) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO sso_providers (org_id, issuer, client_id, client_secret, match_on, label, enabled, updated_at, updated_by, ca_bundle) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                         ON CONFLICT (org_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id, \
                         client_secret = excluded.client_secret, match_on = excluded.match_on, label = excluded.label, \
                         enabled = excluded.enabled, updated_at = excluded.updated_at, updated_by = excluded.updated_by, \
                         ca_bundle = excluded.ca_bundle",
                    )
                    .bind(p.org.0).bind(&p.issuer).bind(&p.client_id).bind(&p.client_secret)
                    .bind(p.match_on.code()).bind(&p.label).bind(p.enabled).bind(now).bind(by.0)
                    .bind(&p.ca_bundle)
                    .execute(&self.pool).await?;
                    Ok(())
                }

                async fn sso_choices(&self) -> Result<Vec<SsoChoice>> {
                    let rows = sqlx::query(
                        "SELECT o.ods_code, o.name, p.label FROM sso_providers p JOIN organisations o ON o.id = p.org_id \
                         WHERE p.enabled ORDER BY o.name",
                    )
                    .fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| Ok(SsoChoice { ods_code: r.try_get("ods_code")?, org_name: r.try_get("name")?, label: r.try_get("label")? }))
                        .collect()
                }

                async fn create_sso_login(&self, state_hash: &str, login: &SsoLogin, now: Timestamp, expires_at: Timestamp) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    // Abandoned sign-ins (the person closed the provider's page) are cleared as new ones start.
                    sqlx::query("DELETE FROM sso_logins WHERE expires_at < $1").bind(now).execute(&mut *tx).await?;
                    sqlx::query(
                        "INSERT INTO sso_logins (state_hash, org_id, nonce, pkce_verifier, next, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(state_hash).bind(login.org.0).bind(&login.nonce).bind(&login.pkce_verifier).bind(&login.next)
                    .bind(now).bind(expires_at)
                    .execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn take_sso_login(&self, state_hash: &str, now: Timestamp) -> Result<Option<SsoLogin>> {
                    // DELETE ... RETURNING: of two racing callbacks with the same state, only one gets the row.
                    let row = sqlx::query(
                        "DELETE FROM sso_logins WHERE state_hash = $1 RETURNING org_id, nonce, pkce_verifier, next, expires_at",
                    )
                    .bind(state_hash).fetch_optional(&self.pool).await?;
                    let Some(r) = row else { return Ok(None) };
                    let expires: Timestamp = r.try_get("expires_at")?;
                    if expires <= now {
                        return Ok(None);
                    }
                    Ok(Some(SsoLogin {
                        org: OrgId(r.try_get("org_id")?),
                        nonce: r.try_get("nonce")?,
                        pkce_verifier: r.try_get("pkce_verifier")?,
                        next: r.try_get("next")?,
                    }))
                }

                async fn sso_account(&self, org: OrgId, issuer: &str, subject: &str, now: Timestamp) -> Result<Option<Account>> {
                    let row = sqlx::query(
                        "UPDATE sso_identities SET last_used_at = $1 WHERE org_id = $2 AND issuer = $3 AND subject = $4 \
                         RETURNING account_id",
                    )
                    .bind(now).bind(org.0).bind(issuer).bind(subject)
                    .fetch_optional(&self.pool).await?;
                    let Some(r) = row else { return Ok(None) };
                    let id: i64 = r.try_get("account_id")?;
                    sqlx::query("SELECT * FROM accounts WHERE id = $1")
                        .bind(id).fetch_optional(&self.pool).await?
                        .as_ref().map(account_from_row).transpose()
                }

                async fn sso_subject_of(&self, org: OrgId, issuer: &str, account: AccountId) -> Result<Option<String>> {
                    Ok(sqlx::query_scalar(
                        "SELECT subject FROM sso_identities WHERE org_id = $1 AND issuer = $2 AND account_id = $3",
                    )
                    .bind(org.0).bind(issuer).bind(account.0)
                    .fetch_optional(&self.pool).await?)
                }

                async fn link_sso_identity(&self, org: OrgId, issuer: &str, subject: &str, account: AccountId, now: Timestamp) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    let holder: Option<i64> = sqlx::query_scalar(
                        "SELECT account_id FROM sso_identities WHERE org_id = $1 AND issuer = $2 AND subject = $3",
                    )
                    .bind(org.0).bind(issuer).bind(subject).fetch_optional(&mut *tx).await?;
                    match holder {
                        Some(a) if a == account.0 => return Ok(()),
                        Some(_) => return Err(rejected("subject", format!("the subject {subject:?} is already linked to another account"))),
                        None => {}
                    }
                    let bound: Option<String> = sqlx::query_scalar(
                        "SELECT subject FROM sso_identities WHERE org_id = $1 AND issuer = $2 AND account_id = $3",
                    )
                    .bind(org.0).bind(issuer).bind(account.0).fetch_optional(&mut *tx).await?;
                    if let Some(s) = bound {
                        return Err(rejected("email", format!("this account is already linked to the subject {s:?}; unlink it first")));
                    }
                    sqlx::query(
                        "INSERT INTO sso_identities (org_id, issuer, subject, account_id, created_at) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(org.0).bind(issuer).bind(subject).bind(account.0).bind(now)
                    .execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn unlink_sso_identity(&self, org: OrgId, account: AccountId) -> Result<bool> {
                    let res = sqlx::query("DELETE FROM sso_identities WHERE org_id = $1 AND account_id = $2")
                        .bind(org.0).bind(account.0).execute(&self.pool).await?;
                    Ok(res.rows_affected() > 0)
                }

                async fn sso_identities(&self, org: OrgId, issuer: &str) -> Result<Vec<SsoIdentity>> {
                    let rows = sqlx::query(
                        "SELECT a.*, i.issuer, i.subject, i.created_at AS i_created_at, i.last_used_at \
                         FROM sso_identities i JOIN accounts a ON a.id = i.account_id \
                         WHERE i.org_id = $1 AND i.issuer = $2 ORDER BY a.display_name, a.id",
                    )
                    .bind(org.0).bind(issuer).fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| {
                            Ok(SsoIdentity {
                                issuer: r.try_get("issuer")?,
                                subject: r.try_get("subject")?,
                                account: account_from_row(r)?,
                                created_at: r.try_get("i_created_at")?,
                                last_used_at: r.try_get("last_used_at")?,
                            })
                        })
                        .collect()
                }
            }
        }
    };
}

pub(crate) use impl_sso_store;
