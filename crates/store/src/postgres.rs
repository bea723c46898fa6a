//! The PostgreSQL backend, for scale: several stateless Lantern servers can share one database.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;

pub struct PgStore {
    pool: sqlx::PgPool,
    /// The pool LRS writes use: the same one (PostgreSQL's writers don't share a page cache per connection).
    lrs_pool: sqlx::PgPool,
    /// Ids of xAPI agents, activities and verbs already stored.
    lrs_ids: crate::lrs::IdCache,
    /// The LRS's group commit.
    lrs_writer: crate::lrs::Writer,
}

impl PgStore {
    pub async fn connect(url: &str) -> crate::Result<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await?;
        crate::migrations::migrator(crate::migrations::POSTGRES)
            .run(&pool)
            .await?;
        Ok(PgStore {
            lrs_pool: pool.clone(),
            pool,
            lrs_ids: crate::lrs::IdCache::default(),
            lrs_writer: crate::lrs::Writer::default(),
        })
    }
}

crate::sql::impl_store!(PgStore, sqlx::Postgres, Backend::Postgres);
crate::versions::impl_versioned_writes!(PgStore, sqlx::Postgres);
crate::batch_write::impl_batch_writes!(PgStore, sqlx::Postgres);
crate::accounts::impl_account_store!(PgStore, sqlx::Postgres);
crate::invitations::impl_invitation_store!(PgStore, sqlx::Postgres);
crate::sso::impl_sso_store!(PgStore, sqlx::Postgres);
crate::lrs::impl_lrs_store!(PgStore, sqlx::Postgres, crate::Backend::Postgres);
crate::reminders::impl_reminder_store!(PgStore, sqlx::Postgres, crate::Backend::Postgres);
crate::revalidation::impl_revalidation_store!(PgStore, sqlx::Postgres);
crate::learning::impl_courses!(PgStore, sqlx::Postgres);
crate::learning::impl_attempts!(PgStore, sqlx::Postgres);
crate::learning::impl_test_out!(PgStore, sqlx::Postgres);
crate::learning::impl_assignments!(PgStore, sqlx::Postgres);
crate::learning::impl_packages!(PgStore, sqlx::Postgres);
crate::learning::impl_cmi5!(PgStore, sqlx::Postgres);
crate::learning::impl_authoring!(PgStore, sqlx::Postgres);
crate::throttle::impl_throttle_store!(PgStore, sqlx::Postgres, crate::Backend::Postgres);
crate::outbox::impl_outbox_store!(PgStore, sqlx::Postgres, crate::Backend::Postgres);
crate::time_zones::impl_time_zone_store!(PgStore, sqlx::Postgres);
crate::regulatory_changes::impl_change_store!(PgStore, sqlx::Postgres);
crate::sims::impl_sim_store!(PgStore, sqlx::Postgres);
crate::virtual_patients::impl_patient_model_store!(PgStore, sqlx::Postgres);
crate::notices::impl_notice_store!(PgStore, sqlx::Postgres);
crate::record_keeping::impl_record_keeping_store!(PgStore, sqlx::Postgres);
crate::calendar::impl_calendar_store!(PgStore, sqlx::Postgres);
crate::saved_views::impl_saved_view_store!(PgStore, sqlx::Postgres);
crate::completion_links::impl_completion_link_store!(PgStore, sqlx::Postgres);
crate::read_model::durable::impl_rollup_store!(PgStore, sqlx::Postgres, crate::Backend::Postgres);
