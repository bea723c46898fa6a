//! Each organisation's time zone: the IANA zone that decides its "today" and the end of its days
//! (`lantern_domain::local_time`). The zone in force is a column of the organisation, read with it everywhere; every
//! change is also kept, append-only, with who made it and when. A change bumps the organisation's data version, so
//! the cached organisation the read model holds is read afresh.

use crate::Result;
use async_trait::async_trait;
use lantern_domain::local_time::TimeZone;
use lantern_domain::{AccountId, OrgId, Timestamp};

/// One change of an organisation's time zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeZoneChange {
    pub time_zone: TimeZone,
    pub recorded_at: Timestamp,
    pub recorded_by: AccountId,
}

#[async_trait]
pub trait TimeZoneStore: Send + Sync {
    /// Sets the organisation's time zone, as `by` at `now`: the column and the history in one transaction.
    async fn set_time_zone(
        &self,
        org: OrgId,
        zone: TimeZone,
        by: AccountId,
        now: Timestamp,
    ) -> Result<()>;

    /// Every change of the organisation's time zone, oldest first (none while it keeps the default).
    async fn time_zone_history(&self, org: OrgId) -> Result<Vec<TimeZoneChange>>;
}

macro_rules! impl_time_zone_store {
    ($store:ident, $db:ty) => {
        mod time_zone_store {
            use super::$store;
            use crate::time_zones::{TimeZoneChange, TimeZoneStore};
            use crate::{Result, StoreError};
            use async_trait::async_trait;
            use lantern_domain::local_time::TimeZone;
            use lantern_domain::{AccountId, OrgId, Timestamp};
            use sqlx::Row;

            #[async_trait]
            impl TimeZoneStore for $store {
                async fn set_time_zone(&self, org: OrgId, zone: TimeZone, by: AccountId, now: Timestamp) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    let version: i64 = sqlx::query_scalar(
                        "UPDATE organisations SET time_zone = $1, data_version = data_version + 1 WHERE id = $2 \
                         RETURNING data_version",
                    )
                    .bind(zone.name()).bind(org.0)
                    .fetch_optional(&mut *tx).await?
                    .ok_or(StoreError::NotFound)?;
                    sqlx::query(crate::read_model::durable::STAMP_VERSION)
                        .bind(org.0).bind(version)
                        .bind(crate::read_model::durable::micros_down(now))
                        .bind(crate::read_model::durable::micros_up(now))
                        .execute(&mut *tx).await?;
                    sqlx::query(
                        "INSERT INTO organisation_time_zones (org_id, time_zone, recorded_at, recorded_by) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(org.0).bind(zone.name()).bind(now).bind(by.0)
                    .execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn time_zone_history(&self, org: OrgId) -> Result<Vec<TimeZoneChange>> {
                    let rows = sqlx::query(
                        "SELECT time_zone, recorded_at, recorded_by FROM organisation_time_zones WHERE org_id = $1 ORDER BY id",
                    )
                    .bind(org.0)
                    .fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| {
                            let name: String = r.try_get("time_zone")?;
                            Ok(TimeZoneChange {
                                time_zone: TimeZone::parse(&name).ok_or_else(|| StoreError::Corrupt {
                                    column: "organisation_time_zones.time_zone",
                                    message: format!("unknown time zone {name:?}"),
                                })?,
                                recorded_at: r.try_get::<Timestamp, _>("recorded_at")?,
                                recorded_by: AccountId(r.try_get("recorded_by")?),
                            })
                        })
                        .collect()
                }
            }
        }
    };
}

pub(crate) use impl_time_zone_store;
