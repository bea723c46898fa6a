//! Reminders from "My team": every time a manager reminds someone about an overdue requirement, one append-only row
//! per person and requirement says what came of it (sent, skipped as a repeat, no email address, refused by the
//! relay), when and by whom; and each organisation's interval within which the same requirement is not reminded
//! again. Deciding what is a repeat and recording the round happen in one transaction under the organisation's
//! reminder lock, so two managers (or a double-clicked button) cannot both send the same reminder.

use crate::Result;
use async_trait::async_trait;
use lantern_domain::access::Scope;
use lantern_domain::{AccountId, OrgId, PersonId, Subject, Timestamp};

/// The interval when an organisation has not set one: a week. Managers review overdue training weekly (the usual
/// rhythm of ward huddles and rota planning), so a reminder a week apart is a nudge, not noise; a shorter default
/// would let two managers of overlapping units chase the same person every day.
pub const DEFAULT_INTERVAL_DAYS: u32 = 7;

/// The interval an organisation may choose, in days.
pub const INTERVAL_DAYS: std::ops::RangeInclusive<u32> = 1..=365;

/// What came of reminding one person about one requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReminderOutcome {
    /// Its email was queued for delivery (the mail deliverer sends it, retrying as it needs).
    Sent,
    /// Not sent: the same requirement was reminded within the interval.
    SkippedRecent,
    /// Not sent: the staff record has no email address.
    NoEmail,
    /// The email of an earlier `Sent` row could not be queued (`failure_of`), so it counts as never sent.
    Failed,
}

impl ReminderOutcome {
    pub fn code(self) -> &'static str {
        match self {
            ReminderOutcome::Sent => "sent",
            ReminderOutcome::SkippedRecent => "skipped_recent",
            ReminderOutcome::NoEmail => "no_email",
            ReminderOutcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            ReminderOutcome::Sent,
            ReminderOutcome::SkippedRecent,
            ReminderOutcome::NoEmail,
            ReminderOutcome::Failed,
        ]
        .into_iter()
        .find(|o| o.code() == s)
    }
}

/// One person and requirement to remind, with the address the reminder goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReminder {
    pub person: PersonId,
    pub subject: Subject,
    pub level: u8,
    /// The staff record's email; None records the reminder as `NoEmail`.
    pub address: Option<String>,
}

/// A recorded reminder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reminder {
    pub id: i64,
    pub org: OrgId,
    pub person: PersonId,
    pub subject: Subject,
    pub level: u8,
    pub outcome: ReminderOutcome,
    /// Always "email" today.
    pub channel: String,
    pub address: Option<String>,
    pub sent_at: Timestamp,
    pub sent_by: AccountId,
    /// The account's display name.
    pub sent_by_name: String,
    /// For a skipped repeat, the reminder it would have repeated.
    pub repeat_of: Option<i64>,
    /// For a failure, the reminder whose email was refused.
    pub failure_of: Option<i64>,
}

#[async_trait]
pub trait ReminderStore: Send + Sync {
    /// Records one round of reminders by `by` at `now`, all-or-nothing, and decides each: `NoEmail` without an
    /// address, `SkippedRecent` when the same person and requirement has a sent (and not failed) reminder within
    /// `interval_days` before `now`, else `Sent` (the caller then queues its email, and records a failure to
    /// queue with [`ReminderStore::record_reminder_failures`]). Returns the rows in the order asked. NotFound, with nothing
    /// written, when any person is outside the caller's scope or holds no post in the organisation.
    async fn record_reminders(
        &self,
        scope: &Scope,
        org: OrgId,
        by: AccountId,
        now: Timestamp,
        interval_days: u32,
        wanted: &[NewReminder],
    ) -> Result<Vec<Reminder>>;

    /// Records that the emails of these `Sent` reminders could not be queued, so they count as never sent.
    async fn record_reminder_failures(
        &self,
        org: OrgId,
        by: AccountId,
        now: Timestamp,
        sent: &[i64],
    ) -> Result<()>;

    /// Each person's latest sent reminder (any requirement), for those of these people in the caller's scope.
    async fn last_reminders(
        &self,
        scope: &Scope,
        org: OrgId,
        people: &[PersonId],
    ) -> Result<Vec<Reminder>>;

    /// A person's reminders in the organisation, newest first, at most `limit`. NotFound outside the caller's scope.
    async fn person_reminders(
        &self,
        scope: &Scope,
        org: OrgId,
        person: PersonId,
        limit: u32,
    ) -> Result<Vec<Reminder>>;

    /// The organisation's interval in days ([`DEFAULT_INTERVAL_DAYS`] when it has not set one).
    async fn reminder_interval_days(&self, org: OrgId) -> Result<u32>;

    /// Sets the organisation's interval. Rejected, naming the field, outside [`INTERVAL_DAYS`].
    async fn set_reminder_interval_days(
        &self,
        org: OrgId,
        days: u32,
        by: AccountId,
        now: Timestamp,
    ) -> Result<()>;
}

macro_rules! impl_reminder_store {
    ($store:ident, $db:ty, $backend:expr) => {
        mod reminder_store {
            use super::{$store, push_ids};
            use crate::batch::BatchProblem;
            use crate::reminders::*;
            use crate::sql::CHUNK;
            use crate::{Backend, Result, StoreError};
            use async_trait::async_trait;
            use lantern_domain::access::Scope;
            use lantern_domain::{AccountId, OrgId, PersonId, Timestamp, Unit, UnitId};
            use sqlx::{QueryBuilder, Row};
            use std::collections::{HashMap, HashSet};

            type DbRow = <$db as sqlx::Database>::Row;
            type Tx<'c> = sqlx::Transaction<'c, $db>;

            /// The advisory lock class (with the organisation as the key) that serialises reminder rounds on
            /// PostgreSQL; SQLite's single writer does the same from BEGIN IMMEDIATE.
            const LOCK_CLASS: i32 = 19797;

            const COLUMNS: &str = "r.id, r.org_id, r.person_id, r.subject, r.level, r.outcome, r.channel, r.address, \
                r.sent_at, r.sent_by, r.repeat_of, r.failure_of, a.display_name";

            fn reminder_from_row(r: &DbRow) -> Result<Reminder> {
                let outcome: String = r.try_get("outcome")?;
                Ok(Reminder {
                    id: r.try_get("id")?,
                    org: OrgId(r.try_get("org_id")?),
                    person: PersonId(r.try_get("person_id")?),
                    subject: crate::sql::read_subject("reminders.subject", r.try_get("subject")?)?,
                    level: u8::try_from(r.try_get::<i16, _>("level")?).unwrap_or(0),
                    outcome: ReminderOutcome::parse(&outcome).ok_or_else(|| StoreError::Corrupt {
                        column: "reminders.outcome",
                        message: format!("unknown value {outcome:?}"),
                    })?,
                    channel: r.try_get("channel")?,
                    address: r.try_get("address")?,
                    sent_at: r.try_get("sent_at")?,
                    sent_by: AccountId(r.try_get("sent_by")?),
                    sent_by_name: r.try_get("display_name")?,
                    repeat_of: r.try_get("repeat_of")?,
                    failure_of: r.try_get("failure_of")?,
                })
            }

            impl $store {
                /// Those of `people` who hold a post in the organisation and are in the caller's scope (by where
                /// they work now). Reminders and revalidation evidence both ask it.
                pub(crate) async fn visible_people(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    people: &[PersonId],
                ) -> Result<HashSet<i64>> {
                    if !scope.sees_org(org) {
                        return Ok(HashSet::new());
                    }
                    let mut posts: Vec<(i64, i64)> = Vec::new();
                    for chunk in people.chunks(CHUNK) {
                        let mut q = QueryBuilder::<$db>::new("SELECT person_id, unit_id FROM current_posts WHERE org_id = ");
                        q.push_bind(org.0);
                        q.push(" AND person_id IN (");
                        push_ids(&mut q, chunk.iter().map(|p| p.0));
                        for r in q.build().fetch_all(&self.pool).await? {
                            posts.push((r.try_get("person_id")?, r.try_get("unit_id")?));
                        }
                    }
                    if scope.sees_whole_org(org) {
                        return Ok(posts.into_iter().map(|(p, _)| p).collect());
                    }
                    let units: Vec<Unit> = sqlx::query("SELECT * FROM current_units WHERE org_id = $1")
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(super::unit_from_row).collect::<Result<_>>()?;
                    let hierarchy = lantern_domain::rollup::Hierarchy::new(&units);
                    Ok(posts
                        .into_iter()
                        .filter(|(p, u)| scope.sees_person(org, PersonId(*p), [UnitId(*u)], &hierarchy))
                        .map(|(p, _)| p)
                        .collect())
                }

                /// A write transaction holding the organisation's reminder lock.
                async fn reminder_tx(&self, org: OrgId) -> Result<Tx<'_>> {
                    match $backend {
                        Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
                        Backend::Postgres => {
                            let mut tx = self.pool.begin().await?;
                            sqlx::query("SELECT pg_advisory_xact_lock($1, $2::int4)")
                                .bind(LOCK_CLASS)
                                .bind(i32::try_from(org.0).unwrap_or(i32::MAX))
                                .execute(&mut *tx).await?;
                            Ok(tx)
                        }
                    }
                }
            }

            #[async_trait]
            impl ReminderStore for $store {
                async fn record_reminders(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    by: AccountId,
                    now: Timestamp,
                    interval_days: u32,
                    wanted: &[NewReminder],
                ) -> Result<Vec<Reminder>> {
                    if wanted.is_empty() {
                        return Ok(Vec::new());
                    }
                    let people: Vec<PersonId> = {
                        let set: std::collections::BTreeSet<i64> = wanted.iter().map(|w| w.person.0).collect();
                        set.into_iter().map(PersonId).collect()
                    };
                    let visible = self.visible_people(scope, org, &people).await?;
                    if people.iter().any(|p| !visible.contains(&p.0)) {
                        return Err(StoreError::NotFound);
                    }
                    let since = now - chrono::Duration::days(i64::from(interval_days));
                    let mut tx = self.reminder_tx(org).await?;
                    // The latest sent reminder within the interval of each person and requirement, unless its email
                    // was refused. Read under the lock, so a concurrent round sees this one's rows or waits for them.
                    let mut recent: HashMap<(i64, lantern_domain::Subject, u8), i64> = HashMap::new();
                    for chunk in people.chunks(CHUNK) {
                        let mut q = QueryBuilder::<$db>::new(
                            "SELECT r.id, r.person_id, r.subject, r.level FROM reminders r WHERE r.outcome = 'sent' AND r.org_id = ",
                        );
                        q.push_bind(org.0);
                        q.push(" AND r.sent_at > ");
                        q.push_bind(since);
                        q.push(" AND NOT EXISTS (SELECT 1 FROM reminders f WHERE f.failure_of = r.id) AND r.person_id IN (");
                        push_ids(&mut q, chunk.iter().map(|p| p.0));
                        for r in q.build().fetch_all(&mut *tx).await? {
                            let key = (
                                r.try_get::<i64, _>("person_id")?,
                                crate::sql::read_subject("reminders.subject", r.try_get("subject")?)?,
                                u8::try_from(r.try_get::<i16, _>("level")?).unwrap_or(0),
                            );
                            let id: i64 = r.try_get("id")?;
                            let e = recent.entry(key).or_insert(id);
                            *e = (*e).max(id);
                        }
                    }
                    let sent_by_name: String = sqlx::query_scalar("SELECT display_name FROM accounts WHERE id = $1")
                        .bind(by.0).fetch_one(&mut *tx).await?;
                    let mut out = Vec::with_capacity(wanted.len());
                    let mut seen: HashSet<(i64, &str, u8)> = HashSet::new();
                    for w in wanted {
                        // The same person and requirement twice in one round is one reminder.
                        if !seen.insert((w.person.0, w.subject.as_str(), w.level)) {
                            continue;
                        }
                        let repeat_of = recent.get(&(w.person.0, w.subject.clone(), w.level)).copied();
                        let outcome = match (&w.address, repeat_of) {
                            (None, _) => ReminderOutcome::NoEmail,
                            (Some(_), Some(_)) => ReminderOutcome::SkippedRecent,
                            (Some(_), None) => ReminderOutcome::Sent,
                        };
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO reminders (org_id, person_id, subject, level, outcome, channel, address, sent_at, sent_by, repeat_of) \
                             VALUES ($1, $2, $3, $4, $5, 'email', $6, $7, $8, $9) RETURNING id",
                        )
                        .bind(org.0).bind(w.person.0).bind(w.subject.as_str()).bind(i16::from(w.level))
                        .bind(outcome.code()).bind(&w.address).bind(now).bind(by.0)
                        .bind(if outcome == ReminderOutcome::SkippedRecent { repeat_of } else { None })
                        .fetch_one(&mut *tx).await?;
                        // The row as written, without reading it back: one statement a reminder under the lock.
                        out.push(Reminder {
                            id,
                            org,
                            person: w.person,
                            subject: w.subject.clone(),
                            level: w.level,
                            outcome,
                            channel: "email".to_owned(),
                            address: w.address.clone(),
                            sent_at: now,
                            sent_by: by,
                            sent_by_name: sent_by_name.clone(),
                            repeat_of: repeat_of.filter(|_| outcome == ReminderOutcome::SkippedRecent),
                            failure_of: None,
                        });
                    }
                    tx.commit().await?;
                    Ok(out)
                }

                async fn record_reminder_failures(&self, org: OrgId, by: AccountId, now: Timestamp, sent: &[i64]) -> Result<()> {
                    let mut tx = self.reminder_tx(org).await?;
                    for id in sent {
                        // Copies the sent row's person, requirement and address, and only from a sent row of this
                        // organisation: a failure cannot be pinned on another organisation's reminder.
                        let n = sqlx::query(
                            "INSERT INTO reminders (org_id, person_id, subject, level, outcome, channel, address, sent_at, sent_by, failure_of) \
                             SELECT org_id, person_id, subject, level, 'failed', channel, address, $1, $2, id FROM reminders \
                             WHERE id = $3 AND org_id = $4 AND outcome = 'sent'",
                        )
                        .bind(now).bind(by.0).bind(id).bind(org.0)
                        .execute(&mut *tx).await?
                        .rows_affected();
                        if n != 1 {
                            return Err(StoreError::NotFound);
                        }
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn last_reminders(&self, scope: &Scope, org: OrgId, people: &[PersonId]) -> Result<Vec<Reminder>> {
                    let visible = self.visible_people(scope, org, people).await?;
                    let ids: Vec<i64> = people.iter().map(|p| p.0).filter(|p| visible.contains(p)).collect();
                    let mut out = Vec::new();
                    for chunk in ids.chunks(CHUNK) {
                        let mut q = QueryBuilder::<$db>::new(format!(
                            "SELECT {COLUMNS} FROM reminders r JOIN accounts a ON a.id = r.sent_by WHERE r.id IN \
                             (SELECT MAX(s.id) FROM reminders s WHERE s.outcome = 'sent' \
                             AND NOT EXISTS (SELECT 1 FROM reminders f WHERE f.failure_of = s.id) AND s.org_id = "
                        ));
                        q.push_bind(org.0);
                        q.push(" AND s.person_id IN (");
                        push_ids(&mut q, chunk.iter().copied());
                        q.push(" GROUP BY s.person_id) ORDER BY r.person_id");
                        for r in q.build().fetch_all(&self.pool).await? {
                            out.push(reminder_from_row(&r)?);
                        }
                    }
                    Ok(out)
                }

                async fn person_reminders(&self, scope: &Scope, org: OrgId, person: PersonId, limit: u32) -> Result<Vec<Reminder>> {
                    if !self.visible_people(scope, org, &[person]).await?.contains(&person.0) {
                        return Err(StoreError::NotFound);
                    }
                    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {COLUMNS} FROM reminders r JOIN accounts a ON a.id = r.sent_by \
                         WHERE r.org_id = $1 AND r.person_id = $2 ORDER BY r.id DESC LIMIT $3"
                    )))
                    .bind(org.0).bind(person.0).bind(i64::from(limit))
                    .fetch_all(&self.pool).await?;
                    rows.iter().map(reminder_from_row).collect()
                }

                async fn reminder_interval_days(&self, org: OrgId) -> Result<u32> {
                    let days: Option<i32> = sqlx::query_scalar("SELECT interval_days FROM reminder_settings WHERE org_id = $1")
                        .bind(org.0).fetch_optional(&self.pool).await?;
                    Ok(days.and_then(|d| u32::try_from(d).ok()).unwrap_or(DEFAULT_INTERVAL_DAYS))
                }

                async fn set_reminder_interval_days(&self, org: OrgId, days: u32, by: AccountId, now: Timestamp) -> Result<()> {
                    if !INTERVAL_DAYS.contains(&days) {
                        return Err(StoreError::Rejected(vec![BatchProblem {
                            line: 1,
                            field: "reminder_interval_days".to_owned(),
                            message: format!(
                                "must be between {} and {} days, not {days}",
                                INTERVAL_DAYS.start(),
                                INTERVAL_DAYS.end()
                            ),
                        }]));
                    }
                    sqlx::query(
                        "INSERT INTO reminder_settings (org_id, interval_days, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (org_id) DO UPDATE SET interval_days = excluded.interval_days, \
                         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                    )
                    .bind(org.0).bind(i32::try_from(days).unwrap_or(i32::MAX)).bind(now).bind(by.0)
                    .execute(&self.pool).await?;
                    Ok(())
                }
            }
        }
    };
}

pub(crate) use impl_reminder_store;
