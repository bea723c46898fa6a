//! The outgoing mail queue, and password-reset requests waiting to become messages.
//!
//! Every email is written here before the request that sends it answers ("accepted for delivery, durably"); the
//! web layer's deliverer sends it later and retries. A server takes messages by holding them for a while
//! (`claimed_until`): on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so servers sharing the database never take the
//! same one; on SQLite, whose single writer does the same.
//!
//! A password-reset request is recorded as asked, whether or not the email has an account, and handled by the
//! deliverer: the request itself does the same work, and takes the same time, either way. Requests are limited per
//! email and per client address.

use crate::Result;
use async_trait::async_trait;
use lantern_domain::{AccountId, Timestamp};

/// One plain-text email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// A message taken for delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub mail: OutgoingMail,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// A message as the queue remembers it (the body is gone once it was sent or given up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailRecord {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub created_at: Timestamp,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    /// When delivery was given up.
    pub failed_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// How many reset requests are accepted in a window.
#[derive(Clone, Copy, Debug)]
pub struct ResetLimits {
    pub since: Timestamp,
    pub per_email: i64,
    pub per_address: i64,
    /// Requests before this are deleted (housekeeping).
    pub forget_before: Timestamp,
}

/// Why a reset request was not accepted, and when one would be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetRefused {
    /// Too many for this email (with or without an account) in the window.
    Email { until: Timestamp },
    /// Too many from this client address.
    Address { until: Timestamp },
}

/// A reset request taken for handling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResetRequest {
    pub id: i64,
    pub email: String,
}

/// What handling a reset request produced for an account: its token and the message carrying the link.
#[derive(Clone, Debug)]
pub struct NewReset {
    pub token_hash: String,
    pub account: AccountId,
    pub expires_at: Timestamp,
    pub mail: OutgoingMail,
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Queues messages, all or none, to be sent as soon as a deliverer takes them.
    async fn queue_mail(&self, mail: &[OutgoingMail], now: Timestamp) -> Result<()>;
    /// Takes up to `limit` messages due now, holding them until `hold_until`; each one's attempts go up by one.
    async fn claim_mail(
        &self,
        now: Timestamp,
        hold_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<QueuedMail>>;
    /// The message was accepted by the relay (or written to the outbox folder).
    async fn mail_sent(&self, id: i64, at: Timestamp) -> Result<()>;
    /// Delivery failed: try again at `retry_at`, or, with none, give up.
    async fn mail_not_sent(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<Timestamp>,
        at: Timestamp,
    ) -> Result<()>;
    /// The latest messages, newest first (for operators and tests).
    async fn mail_log(&self, limit: i64) -> Result<Vec<MailRecord>>;

    /// Records a reset request unless the email or the address has had too many in the window.
    async fn request_password_reset(
        &self,
        email: &str,
        address: &str,
        now: Timestamp,
        limits: &ResetLimits,
    ) -> Result<std::result::Result<(), ResetRefused>>;
    /// Takes up to `limit` unhandled requests, holding them until `hold_until`.
    async fn claim_reset_requests(
        &self,
        now: Timestamp,
        hold_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<ResetRequest>>;
    /// Marks a request handled, with its reset token and message when the email has an account, in one
    /// transaction. False (and nothing written) if another server handled it first.
    async fn complete_reset_request(
        &self,
        id: i64,
        now: Timestamp,
        reset: Option<&NewReset>,
    ) -> Result<bool>;
}

macro_rules! impl_outbox_store {
    ($store:ident, $db:ty, $backend:expr) => {
        mod outbox_store {
            use super::$store;
            use crate::outbox::*;
            use crate::{Backend, Result};
            use async_trait::async_trait;
            use lantern_domain::Timestamp;
            use sqlx::Row;

            type Tx<'c> = sqlx::Transaction<'c, $db>;

            /// PostgreSQL skips rows another server is taking at this moment; SQLite's one writer needs nothing.
            const SKIP_LOCKED: &str = match $backend {
                Backend::Sqlite => "",
                Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            };

            /// Sent messages are kept (without their bodies) this long, for operators to see what went out.
            const KEEP_SENT_DAYS: i64 = 30;

            pub(super) async fn insert_mail(tx: &mut Tx<'_>, m: &OutgoingMail, now: Timestamp) -> Result<()> {
                sqlx::query(
                    "INSERT INTO mail_outbox (recipient, subject, body, created_at, next_attempt_at) \
                     VALUES ($1, $2, $3, $4, $4)",
                )
                .bind(&m.to).bind(&m.subject).bind(&m.body).bind(now)
                .execute(&mut **tx).await?;
                Ok(())
            }

            #[async_trait]
            impl OutboxStore for $store {
                async fn queue_mail(&self, mail: &[OutgoingMail], now: Timestamp) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    for m in mail {
                        insert_mail(&mut tx, m, now).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn claim_mail(&self, now: Timestamp, hold_until: Timestamp, limit: i64) -> Result<Vec<QueuedMail>> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query(
                        "DELETE FROM mail_outbox WHERE created_at < $1 AND (sent_at IS NOT NULL OR failed_at IS NOT NULL)",
                    )
                    .bind(now - chrono::TimeDelta::days(KEEP_SENT_DAYS)).execute(&mut *tx).await?;
                    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "UPDATE mail_outbox SET claimed_until = $2, attempts = attempts + 1 WHERE id IN ( \
                           SELECT id FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL \
                           AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1) \
                           ORDER BY next_attempt_at, id LIMIT $3 {SKIP_LOCKED}) \
                         RETURNING id, recipient, subject, body, attempts"
                    )))
                    .bind(now).bind(hold_until).bind(limit)
                    .fetch_all(&mut *tx).await?;
                    tx.commit().await?;
                    let mut out = rows
                        .iter()
                        .map(|r| Ok(QueuedMail {
                            id: r.try_get("id")?,
                            mail: OutgoingMail { to: r.try_get("recipient")?, subject: r.try_get("subject")?, body: r.try_get("body")? },
                            attempts: r.try_get("attempts")?,
                        }))
                        .collect::<Result<Vec<_>>>()?;
                    out.sort_by_key(|m| m.id);
                    Ok(out)
                }

                async fn mail_sent(&self, id: i64, at: Timestamp) -> Result<()> {
                    sqlx::query(
                        "UPDATE mail_outbox SET sent_at = $2, body = '', claimed_until = NULL, last_error = NULL WHERE id = $1",
                    )
                    .bind(id).bind(at).execute(&self.pool).await?;
                    Ok(())
                }

                async fn mail_not_sent(&self, id: i64, error: &str, retry_at: Option<Timestamp>, at: Timestamp) -> Result<()> {
                    match retry_at {
                        Some(retry) => sqlx::query(
                            "UPDATE mail_outbox SET next_attempt_at = $2, claimed_until = NULL, last_error = $3 WHERE id = $1",
                        )
                        .bind(id).bind(retry).bind(error).execute(&self.pool).await?,
                        None => sqlx::query(
                            "UPDATE mail_outbox SET failed_at = $2, body = '', claimed_until = NULL, last_error = $3 WHERE id = $1",
                        )
                        .bind(id).bind(at).bind(error).execute(&self.pool).await?,
                    };
                    Ok(())
                }

                async fn mail_log(&self, limit: i64) -> Result<Vec<MailRecord>> {
                    sqlx::query("SELECT * FROM mail_outbox ORDER BY id DESC LIMIT $1")
                        .bind(limit).fetch_all(&self.pool).await?
                        .iter()
                        .map(|r| Ok(MailRecord {
                            id: r.try_get("id")?,
                            to: r.try_get("recipient")?,
                            subject: r.try_get("subject")?,
                            created_at: r.try_get("created_at")?,
                            attempts: r.try_get("attempts")?,
                            next_attempt_at: r.try_get("next_attempt_at")?,
                            sent_at: r.try_get("sent_at")?,
                            failed_at: r.try_get("failed_at")?,
                            last_error: r.try_get("last_error")?,
                        }))
                        .collect()
                }

                async fn request_password_reset(
                    &self,
                    email: &str,
                    address: &str,
                    now: Timestamp,
                    limits: &ResetLimits,
                ) -> Result<std::result::Result<(), ResetRefused>> {
                    // Counted and recorded one request at a time, so a burst cannot slip past the limits.
                    let mut tx = match $backend {
                        Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
                        Backend::Postgres => {
                            let mut tx = self.begin_write().await?;
                            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('lantern password reset', 0))")
                                .execute(&mut *tx).await?;
                            tx
                        }
                    };
                    sqlx::query("DELETE FROM password_reset_requests WHERE requested_at < $1 AND handled_at IS NOT NULL")
                        .bind(limits.forget_before).execute(&mut *tx).await?;
                    // The limit-th latest request in the window, if there are that many: a new one is accepted once
                    // it has left the window.
                    let nth = |column: &'static str| {
                        sqlx::AssertSqlSafe(format!(
                            "SELECT requested_at FROM password_reset_requests WHERE {column} = $1 AND requested_at >= $2 \
                             ORDER BY requested_at DESC LIMIT 1 OFFSET $3"
                        ))
                    };
                    let window = now - limits.since;
                    let email_full: Option<Timestamp> = sqlx::query_scalar(nth("email"))
                        .bind(email).bind(limits.since).bind((limits.per_email - 1).max(0))
                        .fetch_optional(&mut *tx).await?;
                    let address_full: Option<Timestamp> = sqlx::query_scalar(nth("address"))
                        .bind(address).bind(limits.since).bind((limits.per_address - 1).max(0))
                        .fetch_optional(&mut *tx).await?;
                    let refused = match (email_full, address_full) {
                        (Some(at), _) => Some(ResetRefused::Email { until: at + window }),
                        (None, Some(at)) => Some(ResetRefused::Address { until: at + window }),
                        (None, None) => None,
                    };
                    if let Some(r) = refused {
                        tx.rollback().await?;
                        return Ok(Err(r));
                    }
                    sqlx::query("INSERT INTO password_reset_requests (email, address, requested_at) VALUES ($1, $2, $3)")
                        .bind(email).bind(address).bind(now).execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(Ok(()))
                }

                async fn claim_reset_requests(&self, now: Timestamp, hold_until: Timestamp, limit: i64) -> Result<Vec<ResetRequest>> {
                    let mut tx = self.begin_write().await?;
                    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "UPDATE password_reset_requests SET claimed_until = $2 WHERE id IN ( \
                           SELECT id FROM password_reset_requests WHERE handled_at IS NULL \
                           AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY id LIMIT $3 {SKIP_LOCKED}) \
                         RETURNING id, email"
                    )))
                    .bind(now).bind(hold_until).bind(limit)
                    .fetch_all(&mut *tx).await?;
                    tx.commit().await?;
                    let mut out = rows
                        .iter()
                        .map(|r| Ok(ResetRequest { id: r.try_get("id")?, email: r.try_get("email")? }))
                        .collect::<Result<Vec<_>>>()?;
                    out.sort_by_key(|r| r.id);
                    Ok(out)
                }

                async fn complete_reset_request(&self, id: i64, now: Timestamp, reset: Option<&NewReset>) -> Result<bool> {
                    let mut tx = self.begin_write().await?;
                    let marked = sqlx::query(
                        "UPDATE password_reset_requests SET handled_at = $2, claimed_until = NULL WHERE id = $1 AND handled_at IS NULL",
                    )
                    .bind(id).bind(now).execute(&mut *tx).await?;
                    if marked.rows_affected() == 0 {
                        tx.rollback().await?;
                        return Ok(false);
                    }
                    if let Some(r) = reset {
                        sqlx::query(
                            "INSERT INTO password_resets (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                        )
                        .bind(&r.token_hash).bind(r.account.0).bind(now).bind(r.expires_at)
                        .execute(&mut *tx).await?;
                        insert_mail(&mut tx, &r.mail, now).await?;
                    }
                    tx.commit().await?;
                    Ok(true)
                }
            }
        }
    };
}

pub(crate) use impl_outbox_store;
