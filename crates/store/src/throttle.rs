//! Sign-in throttling storage: failed sign-ins by email and client address, and locks on an email for every address.
//!
//! The policy (how many failures, how long a delay, when an account locks) is the web layer's (`auth::throttle`);
//! this module records and counts. An attempt is recorded *before* its password is checked and withdrawn if it
//! succeeds or is turned away, so a burst of parallel guesses sees itself and cannot outrun the count.

use crate::Result;
use crate::accounts::Account;
use async_trait::async_trait;
use lantern_domain::{OrgId, Timestamp};

/// What decides whether a sign-in for an email from an address may go ahead, as it stood before this attempt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInFailures {
    /// Failures for this email from this address since `since` (a success clears them), and the latest.
    pub pair: i64,
    pub pair_latest: Option<Timestamp>,
    /// When the email's lock for every address ends, if it has one (it may have ended already).
    pub locked_until: Option<Timestamp>,
    /// The `address_limit`-th latest failure from this address since `address_since`, if there were that many:
    /// the address stays at its ceiling until that one is older than the window.
    pub address_at_limit: Option<Timestamp>,
}

/// The windows [`ThrottleStore::begin_sign_in`] counts in.
#[derive(Clone, Copy, Debug)]
pub struct SignInWindows {
    /// Failures of a pair since then count.
    pub since: Timestamp,
    /// Failures from an address since then count towards its ceiling...
    pub address_since: Timestamp,
    /// ...which is this many.
    pub address_limit: i64,
    /// Failures before this are deleted (housekeeping).
    pub forget_before: Timestamp,
}

/// An attempt recorded as a failure until it is known to be otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptId(pub i64);

/// Failures from one address against an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressFailures {
    pub address: String,
    pub failures: i64,
    pub latest: Timestamp,
}

/// An account of an organisation with a lock or recent failures, for the admin's page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInTrouble {
    pub account: Account,
    /// The end of its lock for every address, if it has one (it may have ended already).
    pub locked_until: Option<Timestamp>,
    /// Addresses with failures against it since the window began, most failures first.
    pub addresses: Vec<AddressFailures>,
}

#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// Records an attempt to sign in as `email` from `address` as a failure, and returns it with what stood before
    /// it. Attempts for the same email are taken one at a time, so parallel ones each see the others.
    async fn begin_sign_in(
        &self,
        email: &str,
        address: &str,
        now: Timestamp,
        windows: &SignInWindows,
    ) -> Result<(AttemptId, SignInFailures)>;
    /// Removes an attempt that was turned away before its password was checked.
    async fn withdraw_sign_in(&self, attempt: AttemptId) -> Result<()>;
    /// After a successful sign-in: the pair's failures (this attempt's too) are forgotten.
    async fn sign_in_succeeded(&self, email: &str, address: &str) -> Result<()>;
    /// The email's failures from every address since a time.
    async fn sign_in_failures_since(&self, email: &str, since: Timestamp) -> Result<i64>;
    /// Locks the email for every address until `until`.
    async fn lock_sign_in(
        &self,
        email: &str,
        now: Timestamp,
        until: Timestamp,
        failures: i64,
    ) -> Result<()>;
    /// Clears the email's lock and every failure recorded for it (a completed password reset, an admin).
    async fn clear_sign_in_lock(&self, email: &str) -> Result<()>;
    /// Accounts holding a role in the organisation that have a lock, or failures since `since`.
    async fn sign_in_troubles(&self, org: OrgId, since: Timestamp) -> Result<Vec<SignInTrouble>>;
}

macro_rules! impl_throttle_store {
    ($store:ident, $db:ty, $backend:expr) => {
        mod throttle_store {
            use super::$store;
            use super::account_store::account_from_row;
            use crate::accounts::AccountStore;
            use crate::throttle::*;
            use crate::{Backend, Result};
            use async_trait::async_trait;
            use lantern_domain::{AccountId, OrgId, Timestamp};
            use sqlx::Row;

            #[async_trait]
            impl ThrottleStore for $store {
                async fn begin_sign_in(
                    &self,
                    email: &str,
                    address: &str,
                    now: Timestamp,
                    w: &SignInWindows,
                ) -> Result<(AttemptId, SignInFailures)> {
                    // One attempt per email at a time: SQLite has one writer (an immediate transaction takes it at
                    // once); PostgreSQL takes a lock on the email's hash for the transaction.
                    let mut tx = match $backend {
                        Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
                        Backend::Postgres => {
                            let mut tx = self.begin_write().await?;
                            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('lantern sign-in ' || $1, 0))")
                                .bind(email).execute(&mut *tx).await?;
                            tx
                        }
                    };
                    sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
                        .bind(w.forget_before).execute(&mut *tx).await?;
                    let pair = sqlx::query(
                        "SELECT COUNT(*) AS n, MAX(at) AS latest FROM sign_in_failures \
                         WHERE email = $1 AND address = $2 AND at >= $3",
                    )
                    .bind(email).bind(address).bind(w.since)
                    .fetch_one(&mut *tx).await?;
                    let locked_until: Option<Timestamp> =
                        sqlx::query_scalar("SELECT locked_until FROM sign_in_locks WHERE email = $1")
                            .bind(email).fetch_optional(&mut *tx).await?;
                    let address_at_limit: Option<Timestamp> = sqlx::query_scalar(
                        "SELECT at FROM sign_in_failures WHERE address = $1 AND at >= $2 \
                         ORDER BY at DESC LIMIT 1 OFFSET $3",
                    )
                    .bind(address).bind(w.address_since).bind((w.address_limit - 1).max(0))
                    .fetch_optional(&mut *tx).await?;
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO sign_in_failures (email, address, at) VALUES ($1, $2, $3) RETURNING id",
                    )
                    .bind(email).bind(address).bind(now)
                    .fetch_one(&mut *tx).await?;
                    tx.commit().await?;
                    Ok((
                        AttemptId(id),
                        SignInFailures {
                            pair: pair.try_get("n")?,
                            pair_latest: pair.try_get("latest")?,
                            locked_until,
                            address_at_limit,
                        },
                    ))
                }

                async fn withdraw_sign_in(&self, attempt: AttemptId) -> Result<()> {
                    sqlx::query("DELETE FROM sign_in_failures WHERE id = $1")
                        .bind(attempt.0).execute(&self.pool).await?;
                    Ok(())
                }

                async fn sign_in_succeeded(&self, email: &str, address: &str) -> Result<()> {
                    sqlx::query("DELETE FROM sign_in_failures WHERE email = $1 AND address = $2")
                        .bind(email).bind(address).execute(&self.pool).await?;
                    Ok(())
                }

                async fn sign_in_failures_since(&self, email: &str, since: Timestamp) -> Result<i64> {
                    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_failures WHERE email = $1 AND at >= $2")
                        .bind(email).bind(since).fetch_one(&self.pool).await?)
                }

                async fn lock_sign_in(&self, email: &str, now: Timestamp, until: Timestamp, failures: i64) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO sign_in_locks (email, locked_at, locked_until, failures) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (email) DO UPDATE SET locked_at = excluded.locked_at, \
                         locked_until = excluded.locked_until, failures = excluded.failures",
                    )
                    .bind(email).bind(now).bind(until).bind(failures)
                    .execute(&self.pool).await?;
                    Ok(())
                }

                async fn clear_sign_in_lock(&self, email: &str) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query("DELETE FROM sign_in_locks WHERE email = $1").bind(email).execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM sign_in_failures WHERE email = $1").bind(email).execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn sign_in_troubles(&self, org: OrgId, since: Timestamp) -> Result<Vec<SignInTrouble>> {
                    let members = "SELECT DISTINCT account_id FROM role_grants WHERE org_id = $1";
                    let locked = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT a.*, l.locked_until FROM sign_in_locks l JOIN accounts a ON a.email = l.email \
                         WHERE a.id IN ({members})"
                    )))
                    .bind(org.0).fetch_all(&self.pool).await?;
                    let failing = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT a.id AS account_id, f.address, COUNT(*) AS n, MAX(f.at) AS latest \
                         FROM sign_in_failures f JOIN accounts a ON a.email = f.email \
                         WHERE a.id IN ({members}) AND f.at >= $2 \
                         GROUP BY a.id, f.address ORDER BY n DESC, f.address"
                    )))
                    .bind(org.0).bind(since).fetch_all(&self.pool).await?;
                    let mut out: Vec<SignInTrouble> = Vec::new();
                    for r in &locked {
                        out.push(SignInTrouble {
                            account: account_from_row(r)?,
                            locked_until: r.try_get("locked_until")?,
                            addresses: Vec::new(),
                        });
                    }
                    for r in &failing {
                        let id = AccountId(r.try_get("account_id")?);
                        let failures = AddressFailures {
                            address: r.try_get("address")?,
                            failures: r.try_get("n")?,
                            latest: r.try_get("latest")?,
                        };
                        match out.iter_mut().find(|t| t.account.id == id) {
                            Some(t) => t.addresses.push(failures),
                            None => {
                                let Some(account) = self.account(id).await? else { continue };
                                out.push(SignInTrouble { account, locked_until: None, addresses: vec![failures] });
                            }
                        }
                    }
                    out.sort_by(|a, b| {
                        a.account.display_name.cmp(&b.account.display_name).then(a.account.id.0.cmp(&b.account.id.0))
                    });
                    Ok(out)
                }
            }
        }
    };
}

pub(crate) use impl_throttle_store;
