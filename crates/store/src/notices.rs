//! Scheduled notices (`lantern_domain::notices`): each organisation's policy in versions, one append-only row per
//! notice with its email queued in the same transaction, and the lease that lets servers sharing a database run
//! the job once at a time. A notice's unique key (person, requirement, due date, stage, recipient) makes the job
//! idempotent: run twice, or by two servers, or again after a crash, nobody hears twice.

use crate::Result;
use crate::outbox::OutgoingMail;
use async_trait::async_trait;
use lantern_domain::access::Scope;
use lantern_domain::notices::{NoticePolicy, Stage};
use lantern_domain::{AccountId, Date, OrgId, PersonId, Subject, Timestamp};
use std::collections::HashSet;

/// Who a notice is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// The person whose requirement it is.
    Person,
    /// One of their managers (an escalation).
    Manager(AccountId),
}

impl Recipient {
    pub fn code(self) -> String {
        match self {
            Recipient::Person => "person".to_owned(),
            Recipient::Manager(a) => format!("manager:{}", a.0),
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "person" => Some(Recipient::Person),
            t => t
                .strip_prefix("manager:")
                .and_then(|a| a.parse().ok())
                .map(|a| Recipient::Manager(AccountId(a))),
        }
    }
}

/// What identifies a notice: sent once, ever.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NoticeKey {
    pub person: PersonId,
    pub subject: Subject,
    pub level: u8,
    /// The episode's due date; None for a missing requirement with none.
    pub due_on: Option<Date>,
    pub stage: Stage,
    pub recipient: Recipient,
}

/// A notice to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotice {
    pub key: NoticeKey,
    /// Where its email goes; None records it as having no address.
    pub address: Option<String>,
}

/// The notices one email carries, and that email (None when there is no address to send it to).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeGroup {
    pub notices: Vec<NewNotice>,
    pub mail: Option<OutgoingMail>,
}

/// One manager's weekly digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    pub account: AccountId,
    /// The ISO week, "2026-W50".
    pub week: String,
    pub mail: OutgoingMail,
}

/// A recorded notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub id: i64,
    pub key: NoticeKey,
    pub address: Option<String>,
    /// Its email went to the outbox (false: there was no address).
    pub queued: bool,
    pub created_at: Timestamp,
}

/// What recording a run's notices did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoticeRun {
    /// Notices recorded.
    pub recorded: usize,
    /// Emails queued.
    pub mailed: usize,
    /// Groups left alone because another run had recorded some of their notices already.
    pub already: usize,
    /// Managers' weekly digests queued.
    pub digests: usize,
}

#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// The organisation's policy in force (the default without one).
    async fn notice_policy(&self, org: OrgId) -> Result<NoticePolicy>;

    /// Records a new version of the policy. Rejected, naming the field, when it is not sound.
    async fn set_notice_policy(
        &self,
        org: OrgId,
        policy: &NoticePolicy,
        by: AccountId,
        now: Timestamp,
    ) -> Result<()>;

    /// The keys of every notice recorded for these people in the organisation, however long ago: what a run must
    /// not send again (an episode can last years: a requirement missing since a person started).
    async fn notice_keys(
        &self,
        org: OrgId,
        people: &[PersonId],
    ) -> Result<std::collections::HashSet<NoticeKey>>;

    /// Records each group's notices as of the run's instant `now` and queues its email to go at `send_from` (the
    /// present: a run may be for another instant, as in tests), in one transaction. A group any of whose notices is
    /// already recorded (another run got there first) is left out whole, so nobody gets a second email.
    async fn record_notices(
        &self,
        org: OrgId,
        now: Timestamp,
        send_from: Timestamp,
        groups: &[NoticeGroup],
    ) -> Result<NoticeRun>;

    /// Records each manager's digest for the week and queues its email (to go at `send_from`), in one transaction;
    /// a digest already recorded for that manager and week is left out. Returns how many were queued.
    async fn record_digests(
        &self,
        org: OrgId,
        now: Timestamp,
        send_from: Timestamp,
        digests: &[Digest],
    ) -> Result<usize>;

    /// The ISO weeks for which this manager's digest is recorded, newest first, at most `limit`.
    async fn digest_weeks(&self, org: OrgId, account: AccountId, limit: u32)
    -> Result<Vec<String>>;

    /// Whether a person takes every reminder before a due date (true, the default) or only the last.
    async fn early_reminders(&self, org: OrgId, person: PersonId) -> Result<bool>;

    /// Records a person's choice (a new version).
    async fn set_early_reminders(
        &self,
        org: OrgId,
        person: PersonId,
        early: bool,
        by: AccountId,
        now: Timestamp,
    ) -> Result<()>;

    /// The people of the organisation who chose only the last reminder before a due date.
    async fn only_last_reminder(&self, org: OrgId) -> Result<HashSet<PersonId>>;

    /// A person's notices, newest first, at most `limit`. NotFound outside the caller's scope.
    async fn person_notices(
        &self,
        scope: &Scope,
        org: OrgId,
        person: PersonId,
        limit: u32,
    ) -> Result<Vec<Notice>>;

    /// Takes the lease on a background job until `until` if it is free, expired or already this holder's.
    async fn take_lease(
        &self,
        job: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool>;

    /// Gives the lease back (if this holder still holds it).
    async fn release_lease(&self, job: &str, holder: &str) -> Result<()>;
}

/// The days as the policy table keeps them: "60,30,7".
pub(crate) fn days_text(days: &[u32]) -> String {
    days.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

macro_rules! impl_notice_store {
    ($store:ident, $db:ty) => {
        mod notice_store {
            use super::{$store, push_ids};
            use crate::batch::BatchProblem;
            use crate::notices::*;
            use crate::sql::CHUNK;
            use crate::{Result, StoreError};
            use async_trait::async_trait;
            use lantern_domain::access::Scope;
            use lantern_domain::notices::{NoticePolicy, Stage};
            use lantern_domain::{AccountId, OrgId, PersonId, Subject, Timestamp};
            use sqlx::{QueryBuilder, Row};
            use std::collections::HashSet;

            type DbRow = <$db as sqlx::Database>::Row;

            fn corrupt(column: &'static str, message: String) -> StoreError {
                StoreError::Corrupt { column, message }
            }

            fn key_from_row(r: &DbRow) -> Result<NoticeKey> {
                let subject: String = r.try_get("subject")?;
                let due: String = r.try_get("due_on")?;
                let stage: String = r.try_get("stage")?;
                let recipient: String = r.try_get("recipient")?;
                Ok(NoticeKey {
                    person: PersonId(r.try_get("person_id")?),
                    subject: Subject::parse(&subject).map_err(|e| corrupt("notices.subject", e.to_string()))?,
                    level: u8::try_from(r.try_get::<i16, _>("level")?).map_err(|e| corrupt("notices.level", e.to_string()))?,
                    due_on: if due.is_empty() {
                        None
                    } else {
                        Some(due.parse().map_err(|e: chrono::ParseError| corrupt("notices.due_on", e.to_string()))?)
                    },
                    stage: Stage::parse(&stage).ok_or_else(|| corrupt("notices.stage", stage.clone()))?,
                    recipient: Recipient::parse(&recipient).ok_or_else(|| corrupt("notices.recipient", recipient.clone()))?,
                })
            }

            #[async_trait]
            impl NoticeStore for $store {
                async fn notice_policy(&self, org: OrgId) -> Result<NoticePolicy> {
                    let row = sqlx::query(
                        "SELECT before_days, on_overdue, escalate_after_days, weekly_digest FROM notice_policies \
                         WHERE org_id = $1 ORDER BY id DESC LIMIT 1",
                    )
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?;
                    let Some(r) = row else {
                        return Ok(NoticePolicy::default());
                    };
                    let days: String = r.try_get("before_days")?;
                    Ok(NoticePolicy {
                        before_days: NoticePolicy::parse_days(&days).map_err(|e| corrupt("notice_policies.before_days", e))?,
                        on_overdue: r.try_get("on_overdue")?,
                        escalate_after_days: r
                            .try_get::<Option<i32>, _>("escalate_after_days")?
                            .map(|d| u32::try_from(d).unwrap_or(0)),
                        weekly_digest: r.try_get("weekly_digest")?,
                    })
                }

                async fn set_notice_policy(&self, org: OrgId, policy: &NoticePolicy, by: AccountId, now: Timestamp) -> Result<()> {
                    let problems = policy.problems();
                    if !problems.is_empty() {
                        return Err(StoreError::Rejected(
                            problems
                                .into_iter()
                                .map(|(field, message)| BatchProblem { line: 1, field: field.to_owned(), message })
                                .collect(),
                        ));
                    }
                    sqlx::query(
                        "INSERT INTO notice_policies (org_id, before_days, on_overdue, escalate_after_days, weekly_digest, recorded_at, recorded_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(org.0)
                    .bind(days_text(&policy.before_days))
                    .bind(policy.on_overdue)
                    .bind(policy.escalate_after_days.map(|d| i32::try_from(d).unwrap_or(i32::MAX)))
                    .bind(policy.weekly_digest)
                    .bind(now)
                    .bind(by.0)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn notice_keys(&self, org: OrgId, people: &[PersonId]) -> Result<HashSet<NoticeKey>> {
                    let mut out = HashSet::new();
                    for chunk in people.chunks(CHUNK) {
                        let mut q = QueryBuilder::<$db>::new(
                            "SELECT person_id, subject, level, due_on, stage, recipient FROM notices WHERE org_id = ",
                        );
                        q.push_bind(org.0);
                        q.push(" AND person_id IN (");
                        push_ids(&mut q, chunk.iter().map(|p| p.0));
                        for r in q.build().fetch_all(&self.pool).await? {
                            out.insert(key_from_row(&r)?);
                        }
                    }
                    Ok(out)
                }

                async fn record_notices(&self, org: OrgId, now: Timestamp, send_from: Timestamp, groups: &[NoticeGroup]) -> Result<NoticeRun> {
                    let mut run = NoticeRun::default();
                    let mut tx = self.begin_write().await?;
                    for g in groups {
                        // Each group in a savepoint: one whose notices another run recorded is rolled back whole.
                        let mut sp = sqlx::Acquire::begin(&mut tx).await?;
                        let mut fresh = true;
                        for n in &g.notices {
                            let k = &n.key;
                            let done = sqlx::query(
                                "INSERT INTO notices (org_id, person_id, subject, level, due_on, stage, recipient, address, outcome, created_at) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                                 ON CONFLICT (org_id, person_id, subject, level, due_on, stage, recipient) DO NOTHING",
                            )
                            .bind(org.0)
                            .bind(k.person.0)
                            .bind(k.subject.as_str())
                            .bind(i16::from(k.level))
                            .bind(k.due_on.map(|d| d.to_string()).unwrap_or_default())
                            .bind(k.stage.code())
                            .bind(k.recipient.code())
                            .bind(n.address.as_deref())
                            .bind(if g.mail.is_some() && n.address.is_some() { "queued" } else { "no_email" })
                            .bind(now)
                            .execute(&mut *sp)
                            .await?;
                            if done.rows_affected() == 0 {
                                fresh = false;
                                break;
                            }
                        }
                        if !fresh {
                            sp.rollback().await?;
                            run.already += 1;
                            continue;
                        }
                        if let Some(m) = &g.mail {
                            super::outbox_store::insert_mail(&mut sp, m, send_from).await?;
                            run.mailed += 1;
                        }
                        sp.commit().await?;
                        run.recorded += g.notices.len();
                    }
                    tx.commit().await?;
                    Ok(run)
                }

                async fn record_digests(&self, org: OrgId, now: Timestamp, send_from: Timestamp, digests: &[Digest]) -> Result<usize> {
                    let mut queued = 0;
                    let mut tx = self.begin_write().await?;
                    for d in digests {
                        let done = sqlx::query(
                            "INSERT INTO digests (org_id, account_id, week, address, created_at) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (org_id, account_id, week) DO NOTHING",
                        )
                        .bind(org.0)
                        .bind(d.account.0)
                        .bind(&d.week)
                        .bind(&d.mail.to)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        if done.rows_affected() == 1 {
                            super::outbox_store::insert_mail(&mut tx, &d.mail, send_from).await?;
                            queued += 1;
                        }
                    }
                    tx.commit().await?;
                    Ok(queued)
                }

                async fn digest_weeks(&self, org: OrgId, account: AccountId, limit: u32) -> Result<Vec<String>> {
                    let rows = sqlx::query("SELECT week FROM digests WHERE org_id = $1 AND account_id = $2 ORDER BY id DESC LIMIT $3")
                        .bind(org.0)
                        .bind(account.0)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(|r| Ok(r.try_get("week")?)).collect()
                }

                async fn early_reminders(&self, org: OrgId, person: PersonId) -> Result<bool> {
                    let row = sqlx::query(
                        "SELECT early_reminders FROM notice_preferences WHERE org_id = $1 AND person_id = $2 ORDER BY id DESC LIMIT 1",
                    )
                    .bind(org.0)
                    .bind(person.0)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(match row {
                        Some(r) => r.try_get("early_reminders")?,
                        None => true,
                    })
                }

                async fn set_early_reminders(&self, org: OrgId, person: PersonId, early: bool, by: AccountId, now: Timestamp) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO notice_preferences (org_id, person_id, early_reminders, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(org.0)
                    .bind(person.0)
                    .bind(early)
                    .bind(now)
                    .bind(by.0)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn only_last_reminder(&self, org: OrgId) -> Result<HashSet<PersonId>> {
                    let rows = sqlx::query(
                        "SELECT p.person_id FROM notice_preferences p WHERE p.org_id = $1 AND p.early_reminders = $2 \
                         AND p.id = (SELECT MAX(q.id) FROM notice_preferences q WHERE q.org_id = p.org_id AND q.person_id = p.person_id)",
                    )
                    .bind(org.0)
                    .bind(false)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(|r| Ok(PersonId(r.try_get("person_id")?))).collect()
                }

                async fn person_notices(&self, scope: &Scope, org: OrgId, person: PersonId, limit: u32) -> Result<Vec<Notice>> {
                    if !self.visible_people(scope, org, &[person]).await?.contains(&person.0) {
                        return Err(StoreError::NotFound);
                    }
                    let rows = sqlx::query(
                        "SELECT id, person_id, subject, level, due_on, stage, recipient, address, outcome, created_at \
                         FROM notices WHERE org_id = $1 AND person_id = $2 ORDER BY id DESC LIMIT $3",
                    )
                    .bind(org.0)
                    .bind(person.0)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(Notice {
                                id: r.try_get("id")?,
                                key: key_from_row(r)?,
                                address: r.try_get("address")?,
                                queued: r.try_get::<String, _>("outcome")? == "queued",
                                created_at: r.try_get("created_at")?,
                            })
                        })
                        .collect()
                }

                async fn take_lease(&self, job: &str, holder: &str, now: Timestamp, until: Timestamp) -> Result<bool> {
                    let row = sqlx::query(
                        "INSERT INTO job_leases (name, holder, held_until) VALUES ($1, $2, $3) \
                         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until \
                         WHERE job_leases.held_until <= $4 OR job_leases.holder = excluded.holder \
                         RETURNING name",
                    )
                    .bind(job)
                    .bind(holder)
                    .bind(until)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(row.is_some())
                }

                async fn release_lease(&self, job: &str, holder: &str) -> Result<()> {
                    sqlx::query("DELETE FROM job_leases WHERE name = $1 AND holder = $2")
                        .bind(job)
                        .bind(holder)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }
            }
        }
    };
}

pub(crate) use impl_notice_store;
