//! The group commit: statement writes queue, and whoever holds the turn writes every waiting request in one
//! transaction under the organisations' write lock, then answers each once it is durable (see ARCHITECTURE.md).
//! Also the lock every LRS write takes, and the refresh of PostgreSQL's statistics as the tables grow.

use super::{AttachmentPayload, LrsError, Serialised, StoreOutcome};
use crate::StoreError;
use lantern_domain::OrgId;
use lantern_xapi::Prepared;

/// Statements waiting to be written, and the lock whose holder writes every waiting request in one transaction
/// (group commit: one commit and one fsync for as many requests as arrived meanwhile).
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) queue: std::sync::Mutex<Vec<Job>>,
    pub(crate) turn: tokio::sync::Mutex<()>,
    pub(crate) statistics: std::sync::Arc<Statistics>,
}

/// When to refresh PostgreSQL's planner statistics for the LRS tables. A table that has grown tenfold since it was
/// last analysed gets plans made for its old size: checking 500 ids against 300,000 statements never analysed took
/// about 200 ms instead of 1 ms. Autovacuum normally analyses as tables grow, but it may be off or slow to start, so
/// the writer asks for ANALYZE itself, in the background, once the statements written since the last one reach a
/// fifth of the table (and at least [`ANALYZE_AFTER`]).
#[derive(Default)]
pub(crate) struct Statistics {
    written: std::sync::atomic::AtomicU64,
    /// Statements in the table when it was last analysed by this process (0 before the first time).
    basis: std::sync::atomic::AtomicU64,
    running: std::sync::atomic::AtomicBool,
}

const ANALYZE_AFTER: u64 = 10_000;

impl Statistics {
    /// Counts `n` statements written; true when the caller should analyse now (it then calls [`Statistics::done`]).
    pub(crate) fn wrote(&self, n: u64) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let written = self.written.fetch_add(n, Relaxed) + n;
        written >= ANALYZE_AFTER.max(self.basis.load(Relaxed) / 5)
            && !self.running.swap(true, Relaxed)
    }

    /// The analysis finished with `rows` statements in the table (None if it failed: tried again later).
    pub(crate) fn done(&self, rows: Option<u64>) {
        use std::sync::atomic::Ordering::Relaxed;
        if let Some(rows) = rows {
            self.written.store(0, Relaxed);
            self.basis.store(rows, Relaxed);
        }
        self.running.store(false, Relaxed);
    }
}

/// Why one request's statements were not stored in a group commit.
pub(crate) enum JobError {
    /// Refused by the store's checks (a conflicting id, voiding a voiding statement) before anything was written:
    /// the group goes on without it.
    Refused(LrsError),
    /// Failed part-way through writing: what it wrote cannot be taken back without a savepoint.
    Failed(LrsError),
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        JobError::Failed(LrsError::Store(e))
    }
}

impl From<sqlx::Error> for JobError {
    fn from(e: sqlx::Error) -> Self {
        JobError::Failed(LrsError::from(e))
    }
}

impl JobError {
    pub(crate) fn into_inner(self) -> LrsError {
        match self {
            JobError::Refused(e) | JobError::Failed(e) => e,
        }
    }
}

/// A group commit that did not happen: `PartWritten` is redone with each request in a savepoint; `Failed` (the
/// transaction could not start or commit) is every request's answer.
pub(crate) enum GroupError {
    PartWritten,
    Failed(String),
}

pub(crate) struct Job {
    pub(crate) org: OrgId,
    pub(crate) credential: i64,
    pub(crate) statements: Vec<Prepared>,
    /// Each statement as it will be stored, serialised before the writer's turn (see [`Serialised`]).
    pub(crate) serialised: Vec<Serialised>,
    pub(crate) attachments: Vec<AttachmentPayload>,
    pub(crate) home_page: String,
    pub(crate) reply: tokio::sync::oneshot::Sender<std::result::Result<StoreOutcome, LrsError>>,
}

/// Requests written in one transaction, at most: enough to amortise the commit, few enough to answer promptly.
pub(crate) const GROUP_STATEMENTS: usize = 5_000;

/// The writer's SQL, for one backend (expanded by `impl_lrs_store!`).
macro_rules! writer_sql {
    ($store:ident, $db:ty, $backend:expr) => {
        mod writer {
            use super::*;

            impl $store {
                /// A write transaction that holds the organisation's LRS write lock: SQLite's one writer from the
                /// start (BEGIN IMMEDIATE, so a read-then-write cannot fail to upgrade), PostgreSQL's advisory lock.
                pub(super) async fn lrs_write_tx(&self, orgs: &[OrgId]) -> Result<Tx<'_>> {
                    match $backend {
                        Backend::Sqlite => Ok(self.lrs_pool.begin_with("BEGIN IMMEDIATE").await?),
                        Backend::Postgres => {
                            let mut tx = self.lrs_pool.begin().await?;
                            // In a fixed order, so two servers locking the same organisations cannot deadlock.
                            for org in orgs {
                                sqlx::query("SELECT pg_advisory_xact_lock(19796, $1::int4)")
                                    .bind(i32::try_from(org.0).unwrap_or(i32::MAX))
                                    .execute(&mut *tx).await?;
                            }
                            Ok(tx)
                        }
                    }
                }

                /// Writes a group of requests in one transaction and answers each once it is durable. Requests go
                /// straight into the transaction: a savepoint for each would copy every page a request first changes
                /// into a sub-journal (in memory, allocated and freed each time), about as much work as the writes. A
                /// request the store refuses has written nothing by then, so the others go on; should one fail
                /// part-way (a database error), the transaction is rolled back and the group redone with each request
                /// in a savepoint of its own, so one bad request still leaves the others stored.
                async fn write_group(&self, mut group: Vec<Job>) {
                    let result = match self.write_jobs(&mut group, false).await {
                        Err(GroupError::PartWritten) => self.write_jobs(&mut group, true).await,
                        other => other,
                    };
                    // The parsed statements are freed off the writer's path, which every waiting request is behind.
                    let (replies, parsed): (Vec<_>, Vec<_>) = group.into_iter().map(|j| (j.reply, j.statements)).unzip();
                    tokio::spawn(async move { drop(parsed) });
                    match result {
                        Ok((answers, writes)) => {
                            writes.apply(&self.lrs_ids);
                            let written: usize = answers.iter().map(|r| r.as_ref().map_or(0, |o| o.stored)).sum();
                            for (reply, r) in replies.into_iter().zip(answers) {
                                let _ = reply.send(r);
                            }
                            if $backend == Backend::Postgres && self.lrs_writer.statistics.wrote(written as u64) {
                                self.refresh_lrs_statistics();
                            }
                        }
                        Err(e) => {
                            let message = match e {
                                GroupError::Failed(m) => m,
                                GroupError::PartWritten => "a request failed part-way through its write".to_owned(),
                            };
                            for reply in replies {
                                let _ = reply.send(Err(LrsError::Store(StoreError::Corrupt { column: "xapi write", message: message.clone() })));
                            }
                        }
                    }
                }

                /// One attempt at a group commit: each request's answer, and what the id cache learns once it commits.
                async fn write_jobs(
                    &self,
                    group: &mut [Job],
                    savepoints: bool,
                ) -> std::result::Result<(Vec<std::result::Result<StoreOutcome, LrsError>>, CacheWrites), GroupError> {
                    let mut orgs: Vec<OrgId> = group.iter().map(|j| j.org).collect();
                    orgs.sort();
                    orgs.dedup();
                    let mut tx = self.lrs_write_tx(&orgs).await.map_err(|e| GroupError::Failed(e.to_string()))?;
                    // `stored`, under the lock: later than anything committed before in each LRS, to the millisecond
                    // as statements say it, the same for the whole group (it becomes visible at once), so storage
                    // order and `stored` agree.
                    let mut stored_at: HashMap<OrgId, Timestamp> = HashMap::new();
                    let now_ms = chrono::Utc::now().timestamp_millis();
                    let mut answers = Vec::with_capacity(group.len());
                    let mut writes = CacheWrites::default();
                    for job in group.iter_mut() {
                        let stored = match stored_at.get(&job.org) {
                            Some(t) => *t,
                            None => {
                                let last: Option<i64> =
                                    sqlx::query_scalar("SELECT MAX(stored_us) FROM xapi_statements WHERE org_id = $1")
                                        .bind(job.org.0).fetch_one(&mut *tx).await
                                        .map_err(|e| GroupError::Failed(e.to_string()))?;
                                let ms = now_ms.max(last.map_or(i64::MIN, |l| l / 1000 + 1));
                                let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
                                stored_at.insert(job.org, t);
                                t
                            }
                        };
                        let mut job_writes = CacheWrites::default();
                        let result = if savepoints {
                            match sqlx::Acquire::begin(&mut tx).await {
                                Ok(mut sp) => {
                                    let r = self.store_one(&mut sp, job.org, job.credential, &mut job.statements, &job.serialised, &job.attachments, &job.home_page, stored, &mut job_writes).await;
                                    match r {
                                        Ok(out) => sp.commit().await.map(|()| out).map_err(LrsError::from),
                                        Err(e) => {
                                            let _ = sp.rollback().await;
                                            Err(e.into_inner())
                                        }
                                    }
                                }
                                Err(e) => Err(LrsError::from(e)),
                            }
                        } else {
                            match self.store_one(&mut tx, job.org, job.credential, &mut job.statements, &job.serialised, &job.attachments, &job.home_page, stored, &mut job_writes).await {
                                Ok(out) => Ok(out),
                                Err(JobError::Refused(e)) => Err(e),
                                Err(JobError::Failed(_)) => {
                                    let _ = tx.rollback().await;
                                    return Err(GroupError::PartWritten);
                                }
                            }
                        };
                        if result.is_ok() {
                            writes.merge(job_writes);
                        }
                        answers.push(result);
                    }
                    tx.commit().await.map_err(|e| GroupError::Failed(e.to_string()))?;
                    Ok((answers, writes))
                }

                /// ANALYZE of the tables LRS queries plan on, in the background (see [`Statistics`]).
                fn refresh_lrs_statistics(&self) {
                    let pool = self.pool.clone();
                    let statistics = std::sync::Arc::clone(&self.lrs_writer.statistics);
                    tokio::spawn(async move {
                        let analysed = async {
                            sqlx::query("ANALYZE xapi_statements, xapi_statement_agents, xapi_statement_activities, xapi_agents, xapi_activities")
                                .execute(&pool).await?;
                            sqlx::query_scalar::<_, f64>("SELECT reltuples::float8 FROM pg_class WHERE oid = 'xapi_statements'::regclass")
                                .fetch_one(&pool).await
                        }.await;
                        match analysed {
                            Ok(rows) => statistics.done(Some(rows.max(0.0) as u64)),
                            Err(e) => {
                                tracing::warn!(error = %e, "refreshing the LRS tables' statistics failed");
                                statistics.done(None);
                            }
                        }
                    });
                }
            }

            pub(super) async fn store_statements(
                store: &$store,
                org: OrgId,
                credential: i64,
                statements: Vec<Prepared>,
                attachments: &[AttachmentPayload],
                home_page: &str,
            ) -> Result<StoreOutcome, LrsError> {
                let (reply, mut answer) = tokio::sync::oneshot::channel();
                let mut statements = statements;
                let serialised: Vec<Serialised> = statements.iter_mut().map(serialise).collect();
                store.lrs_writer.queue.lock().expect("write queue").push(Job {
                    org,
                    credential,
                    statements,
                    serialised,
                    attachments: attachments.to_vec(),
                    home_page: home_page.to_owned(),
                    reply,
                });
                // Whoever holds the turn writes everything queued, this request's included if it came in time.
                let turn = store.lrs_writer.turn.lock().await;
                if let Ok(done) = answer.try_recv() {
                    return done;
                }
                loop {
                    let group: Vec<Job> = {
                        let mut queue = store.lrs_writer.queue.lock().expect("write queue");
                        let mut size = 0;
                        let take = queue
                            .iter()
                            .take_while(|j| {
                                size += j.statements.len();
                                size <= GROUP_STATEMENTS || size == j.statements.len()
                            })
                            .count()
                            .max(1)
                            .min(queue.len());
                        queue.drain(..take).collect()
                    };
                    if group.is_empty() {
                        break;
                    }
                    store.write_group(group).await;
                    if let Ok(done) = answer.try_recv() {
                        drop(turn);
                        return done;
                    }
                }
                drop(turn);
                answer.await.unwrap_or_else(|_| {
                    Err(LrsError::Store(StoreError::Corrupt { column: "xapi write", message: "the writer stopped".into() }))
                })
            }
        }
    };
}

pub(crate) use writer_sql;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_are_refreshed_as_the_table_grows_by_a_fifth() {
        let s = Statistics::default();
        assert!(!s.wrote(ANALYZE_AFTER - 1));
        assert!(
            s.wrote(1),
            "the first analysis comes after {ANALYZE_AFTER} statements"
        );
        assert!(!s.wrote(50_000), "one analysis at a time");
        s.done(Some(100_000));
        assert!(!s.wrote(19_999));
        assert!(s.wrote(1), "a fifth of 100,000");
        s.done(None);
        assert!(s.wrote(1), "a failed analysis is tried again");
    }
}
