//! The embedded SQLite backend: a file in the data folder, WAL mode, durable commits.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    pool: sqlx::SqlitePool,
    /// The LRS's one write connection (see [`LRS_WRITER_CACHE_KIB`]).
    lrs_pool: sqlx::SqlitePool,
    /// Ids of xAPI agents, activities and verbs already stored.
    lrs_ids: crate::lrs::IdCache,
    /// The LRS's group commit.
    lrs_writer: crate::lrs::Writer,
}

impl SqliteStore {
    pub async fn open(path: &str) -> crate::Result<Self> {
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| crate::StoreError::Database(sqlx::Error::Io(e)))?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before the response, even after power loss (NORMAL can lose the last ones).
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Reads come through the memory map below and leave each connection's page cache nearly empty; the cache
            // is for a write transaction's dirty pages, which spill to the log mid-transaction when it is too small.
            .pragma("cache_size", "-16384")
            // Checkpoints run in the background (see `checkpoints`), not inside some writer's commit; this is only
            // the backstop if they fall behind.
            .pragma("wal_autocheckpoint", "65536")
            // Reads go through one shared memory map instead of each connection's private page cache, so a page read
            // by one connection is warm for all (a person's page runs its queries on several at once).
            .pragma("mmap_size", "8589934592")
            .pragma("temp_store", "memory")
            // Keeps the query planner's statistics fresh, as SQLite recommends for long-lived connections.
            .optimize_on_close(true, None);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // An embedded database has no network link to go stale; a ping per checkout only adds a thread hop.
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        crate::migrations::migrator(crate::migrations::SQLITE)
            .run(&pool)
            .await?;
        let lrs_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            // Never closed for idleness or age: its page cache is the point.
            .idle_timeout(None)
            .max_lifetime(None)
            // Foreign keys are not checked by the statement writer's connection: every id it writes comes from its
            // own lookups in the same transaction, and an immediate check makes each multi-row INSERT keep a
            // statement journal (see `INSERT` in lrs/mod.rs), besides six parent lookups a statement. The same code runs
            // on PostgreSQL with the constraints enforced, in every test.
            .connect_with(
                options
                    .pragma("cache_size", format!("-{LRS_WRITER_CACHE_KIB}"))
                    .foreign_keys(false),
            )
            .await?;
        tokio::spawn(checkpoints(pool.clone()));
        Ok(SqliteStore {
            pool,
            lrs_pool,
            lrs_ids: crate::lrs::IdCache::default(),
            lrs_writer: crate::lrs::Writer::default(),
        })
    }
}

/// The page cache of the connection that writes xAPI statements, in KiB. Pages a write changes are read through
/// the connection's own cache, not the shared memory map, and SQLite empties a connection's cache whenever another
/// connection has written. Statements on a pool connection of their own therefore find the index pages they
/// append to still cached from the last group commit, instead of reading them again each time (the cache fills only
/// as an LRS is written to, so a Lantern without xAPI traffic does not pay for it).
const LRS_WRITER_CACHE_KIB: u32 = 65_536;

/// Copies the write-ahead log into the database twice a second, without blocking writers or readers (PASSIVE), so
/// no request's commit pays for a checkpoint. Ends with the pool.
async fn checkpoints(pool: sqlx::SqlitePool) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::debug!(error = %e, "background checkpoint skipped");
        }
    }
}

crate::sql::impl_store!(SqliteStore, sqlx::Sqlite, Backend::Sqlite);
crate::versions::impl_versioned_writes!(SqliteStore, sqlx::Sqlite);
crate::batch_write::impl_batch_writes!(SqliteStore, sqlx::Sqlite);
crate::accounts::impl_account_store!(SqliteStore, sqlx::Sqlite);
crate::invitations::impl_invitation_store!(SqliteStore, sqlx::Sqlite);
crate::sso::impl_sso_store!(SqliteStore, sqlx::Sqlite);
crate::lrs::impl_lrs_store!(SqliteStore, sqlx::Sqlite, crate::Backend::Sqlite);
crate::reminders::impl_reminder_store!(SqliteStore, sqlx::Sqlite, crate::Backend::Sqlite);
crate::revalidation::impl_revalidation_store!(SqliteStore, sqlx::Sqlite);
crate::learning::impl_courses!(SqliteStore, sqlx::Sqlite);
crate::learning::impl_attempts!(SqliteStore, sqlx::Sqlite);
crate::learning::impl_test_out!(SqliteStore, sqlx::Sqlite);
crate::learning::impl_assignments!(SqliteStore, sqlx::Sqlite);
crate::learning::impl_packages!(SqliteStore, sqlx::Sqlite);
crate::learning::impl_cmi5!(SqliteStore, sqlx::Sqlite);
crate::learning::impl_authoring!(SqliteStore, sqlx::Sqlite);
crate::throttle::impl_throttle_store!(SqliteStore, sqlx::Sqlite, crate::Backend::Sqlite);
crate::outbox::impl_outbox_store!(SqliteStore, sqlx::Sqlite, crate::Backend::Sqlite);
crate::time_zones::impl_time_zone_store!(SqliteStore, sqlx::Sqlite);
crate::regulatory_changes::impl_change_store!(SqliteStore, sqlx::Sqlite);
crate::sims::impl_sim_store!(SqliteStore, sqlx::Sqlite);
crate::virtual_patients::impl_patient_model_store!(SqliteStore, sqlx::Sqlite);
crate::notices::impl_notice_store!(SqliteStore, sqlx::Sqlite);
crate::record_keeping::impl_record_keeping_store!(SqliteStore, sqlx::Sqlite);
crate::calendar::impl_calendar_store!(SqliteStore, sqlx::Sqlite);
crate::saved_views::impl_saved_view_store!(SqliteStore, sqlx::Sqlite);
crate::completion_links::impl_completion_link_store!(SqliteStore, sqlx::Sqlite);
crate::read_model::durable::impl_rollup_store!(SqliteStore, sqlx::Sqlite, crate::Backend::Sqlite);
