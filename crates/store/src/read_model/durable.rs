//! What the read model keeps in the database: when each data version's facts were recorded
//! (`data_version_times`), and layers of people's roll-up contributions (`rollup_layers`, `rollup_parts`).
//!
//! A layer at data version V with base B holds the contributions, computed at V, of everyone whose facts changed
//! after B (B = 0: everyone), so the roll-up at V is the one at B with the layer laid over it. A chain of layers from
//! a full one gives an organisation's roll-up at each of their versions without the engine. Layers are a cache:
//! derived from the facts, written whole or not at all, idempotently (several servers may share one PostgreSQL),
//! and stored under the fingerprint of the code that computed them, so a new build never reads an old one's.

use crate::{Changes, Result};
use async_trait::async_trait;
use lantern_domain::{OrgId, PersonId, Timestamp};
use std::collections::HashMap;
use std::sync::Arc;

/// Stores when a data version's facts were recorded: binds (org, version, earliest, latest), instants in
/// microseconds. `known_to` is the latest of this and every earlier version of the organisation's.
pub(crate) const STAMP_VERSION: &str = "INSERT INTO data_version_times \
     (org_id, data_version, recorded_from, recorded_to, known_to) \
     SELECT $1, $2, $3, $4, CASE WHEN p.k > $4 THEN p.k ELSE $4 END \
     FROM (SELECT MAX(known_to) AS k FROM data_version_times WHERE org_id = $1) p";

/// An instant in microseconds, rounded down. Facts may carry nanoseconds (SQLite keeps them), so the bounds stored
/// are rounded outwards: the earliest down, the latest up ([`micros_up`]), and questions compare conservatively.
pub(crate) fn micros_down(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

/// An instant in microseconds, rounded up.
pub(crate) fn micros_up(t: Timestamp) -> i64 {
    t.timestamp_micros() + i64::from(!t.timestamp_subsec_nanos().is_multiple_of(1000))
}

/// The code that computed a layer: a hash of the domain and store crates' source, made at build time, and the
/// layout's number.
pub fn engine_fingerprint() -> String {
    format!(
        "{}-{}",
        super::codec::FORMAT,
        env!("LANTERN_ROLLUP_FINGERPRINT")
    )
}

/// A stored layer, without its contributions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerHead {
    pub version: i64,
    /// 0: everyone; else only people whose facts changed after this version.
    pub base: i64,
    pub people: i64,
    pub parts: i64,
}

/// The read model's own storage.
#[async_trait]
pub trait RollupStore: Send + Sync {
    /// The latest data version of the organisation such that it and every earlier one hold only facts recorded at
    /// or before `at`; None when no version is known to (versions from before `data_version_times` count as
    /// recorded when it was made).
    async fn version_known_at(&self, org: OrgId, at: Timestamp) -> Result<Option<i64>>;
    /// What the versions after `after`, up to and including `until`, that hold a fact recorded at or before `at`
    /// changed: facts that were late for their version (a backdated `recorded_at`, or writes committed out of the
    /// order of their instants).
    async fn recorded_late(
        &self,
        org: OrgId,
        after: i64,
        until: i64,
        at: Timestamp,
    ) -> Result<Changes>;
    /// The organisation's layers computed by `engine` from its latest full layer at or before `upto` to `upto`,
    /// ordered by version.
    async fn layers(&self, org: OrgId, engine: &str, upto: i64) -> Result<Vec<LayerHead>>;
    /// A layer's parts, in order.
    async fn layer_parts(
        &self,
        org: OrgId,
        engine: &str,
        layer: &LayerHead,
    ) -> Result<Vec<Vec<u8>>>;
    /// Stores a layer whole, unless it is there already (then false).
    async fn put_layer(
        &self,
        org: OrgId,
        engine: &str,
        head: &LayerHead,
        parts: Vec<Vec<u8>>,
    ) -> Result<bool>;
}

/// A store that can hand out its [`RollupStore`] to background tasks.
pub trait Rollups {
    fn rollups(&self) -> Arc<dyn RollupStore>;
}

/// The oldest version whose layers are kept once a new full layer at `version` is stored, the newest full layer of
/// the code that runs; `previous` is its full layer before that, if any.
///
/// The rule: keep the newest two chains (the new full layer, and the full layer before it with the layers built on
/// it); delete the layers of older versions and layers built on them, whichever build of Lantern computed them (so
/// an older build's layers go once they are that old, while a server of that build sharing the database during an
/// upgrade still finds its current ones). Kept so, a restart reads the newest chain and questions "as known at" a
/// recent instant find their version's layers. No answer depends on a layer being kept: with none for the version
/// Lantern had at an instant, the engine assesses everyone as known then, exactly (only slower), and that layer is
/// stored again. What is kept stays bounded: a chain ends with a full layer after at most `CHAIN_LAYERS` layers.
pub fn keep_from(version: i64, previous: Option<i64>) -> i64 {
    previous.unwrap_or(version)
}

/// The chain of layers giving the roll-up at the latest version it can: a full layer, then layers each based on the
/// one before. None when there is no full layer.
pub fn best_chain(heads: &[LayerHead]) -> Option<Vec<LayerHead>> {
    let mut chains: HashMap<i64, Vec<LayerHead>> = HashMap::new();
    for h in heads {
        let chain = if h.base == 0 {
            Some(vec![h.clone()])
        } else {
            chains.get(&h.base).map(|c| {
                let mut c = c.clone();
                c.push(h.clone());
                c
            })
        };
        if let Some(chain) = chain {
            // The shortest chain to a version is the cheapest to load.
            match chains.get(&h.version) {
                Some(old) if old.len() <= chain.len() => {}
                _ => {
                    chains.insert(h.version, chain);
                }
            }
        }
    }
    chains.into_iter().max_by_key(|(v, _)| *v).map(|(_, c)| c)
}

/// What a chain's layers hold: each person's latest contribution (None: not in the index at the chain's end), and,
/// when the chain is one full layer that holds them, its cells and the unit tree they were made under.
pub(crate) struct Loaded {
    pub people: HashMap<PersonId, Option<lantern_domain::rollup::Contribution>>,
    pub cells: Option<(
        lantern_domain::rollup::Hierarchy,
        Vec<lantern_domain::rollup::CellRuns>,
    )>,
    /// How long reading the parts from the database took.
    pub read: std::time::Duration,
}

/// Decodes a chain's layers (see [`Loaded`]).
pub(crate) async fn load_chain(
    rollups: &dyn RollupStore,
    org: OrgId,
    engine: &str,
    chain: &[LayerHead],
    builder: &mut lantern_domain::rollup::RollupBuilder,
) -> Result<Loaded> {
    let mut loaded = Loaded {
        people: HashMap::new(),
        cells: None,
        read: std::time::Duration::ZERO,
    };
    let mut cells: Option<(lantern_domain::rollup::Hierarchy, Vec<_>)> = None;
    let mut same_tree = true;
    for layer in chain {
        let started = std::time::Instant::now();
        let parts = rollups.layer_parts(org, engine, layer).await?;
        loaded.read += started.elapsed();
        for body in parts {
            if body.first() == Some(&super::codec::CELLS) {
                // A later layer changes people, so the full layer's cells are only of use alone.
                if chain.len() == 1 {
                    let (tree, more) = super::codec::decode_cells(&body, |k| builder.intern(k))?;
                    match &mut cells {
                        None => cells = Some((tree, more)),
                        Some((t, all)) => {
                            same_tree &= *t == tree;
                            all.extend(more);
                        }
                    }
                }
                continue;
            }
            super::codec::decode(
                &body,
                |k| builder.intern(k),
                |id, c| {
                    loaded.people.insert(id, c);
                },
            )?;
        }
    }
    loaded.cells = cells.filter(|_| same_tree);
    Ok(loaded)
}

macro_rules! impl_rollup_store {
    ($store:ident, $db:ty, $backend:expr) => {
        mod rollup_store {
            use super::$store;
            use crate::read_model::durable::{LayerHead, RollupStore, Rollups};
            use crate::{Changes, Result, StoreError};
            use async_trait::async_trait;
            use lantern_domain::{OrgId, PersonId, Timestamp};
            use std::sync::Arc;

            /// The pool, for the read model's background writes.
            pub struct Handle {
                pool: sqlx::Pool<$db>,
            }

            impl Rollups for $store {
                fn rollups(&self) -> Arc<dyn RollupStore> {
                    Arc::new(Handle { pool: self.pool.clone() })
                }
            }

            #[async_trait]
            impl RollupStore for Handle {
                async fn version_known_at(&self, org: OrgId, at: Timestamp) -> Result<Option<i64>> {
                    Ok(sqlx::query_scalar(
                        "SELECT MAX(data_version) FROM data_version_times WHERE org_id = $1 AND known_to <= $2",
                    )
                    .bind(org.0).bind(crate::read_model::durable::micros_down(at))
                    .fetch_one(&self.pool).await?)
                }

                async fn recorded_late(&self, org: OrgId, after: i64, until: i64, at: Timestamp) -> Result<Changes> {
                    let rows: Vec<Option<i64>> = sqlx::query_scalar(
                        "SELECT DISTINCT c.person_id FROM compliance_changes c WHERE c.org_id = $1 \
                         AND c.data_version > $2 AND c.data_version <= $3 AND c.data_version IN \
                         (SELECT t.data_version FROM data_version_times t WHERE t.org_id = $1 AND t.data_version > $2 \
                          AND t.data_version <= $3 AND t.recorded_from <= $4)",
                    )
                    .bind(org.0).bind(after).bind(until).bind(crate::read_model::durable::micros_up(at))
                    .fetch_all(&self.pool).await?;
                    if rows.iter().any(Option::is_none) {
                        return Ok(Changes::Everyone);
                    }
                    Ok(Changes::People(rows.into_iter().flatten().map(PersonId).collect()))
                }

                async fn layers(&self, org: OrgId, engine: &str, upto: i64) -> Result<Vec<LayerHead>> {
                    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
                        "SELECT data_version, base_version, people, parts FROM rollup_layers \
                         WHERE org_id = $1 AND engine = $2 AND data_version <= $3 AND data_version >= \
                         (SELECT COALESCE(MAX(data_version), 0) FROM rollup_layers WHERE org_id = $1 AND engine = $2 \
                          AND base_version = 0 AND data_version <= $3) \
                         ORDER BY data_version, base_version",
                    )
                    .bind(org.0).bind(engine).bind(upto)
                    .fetch_all(&self.pool).await?;
                    Ok(rows
                        .into_iter()
                        .map(|(version, base, people, parts)| LayerHead { version, base, people, parts })
                        .collect())
                }

                async fn layer_parts(&self, org: OrgId, engine: &str, layer: &LayerHead) -> Result<Vec<Vec<u8>>> {
                    let parts: Vec<Vec<u8>> = sqlx::query_scalar(
                        "SELECT body FROM rollup_parts WHERE org_id = $1 AND engine = $2 AND data_version = $3 \
                         AND base_version = $4 ORDER BY part",
                    )
                    .bind(org.0).bind(engine).bind(layer.version).bind(layer.base)
                    .fetch_all(&self.pool).await?;
                    if i64::try_from(parts.len()).ok() != Some(layer.parts) {
                        return Err(StoreError::Corrupt {
                            column: "rollup_parts",
                            message: format!("a layer of {} parts has {}", layer.parts, parts.len()),
                        });
                    }
                    Ok(parts)
                }

                async fn put_layer(&self, org: OrgId, engine: &str, head: &LayerHead, parts: Vec<Vec<u8>>) -> Result<bool> {
                    // SQLite: the write lock from the start, waiting its turn behind other writers.
                    let mut tx = match $backend {
                        crate::Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
                        crate::Backend::Postgres => self.pool.begin().await?,
                    };
                    let n = sqlx::query(
                        "INSERT INTO rollup_layers (org_id, engine, data_version, base_version, people, parts) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                    )
                    .bind(org.0).bind(engine).bind(head.version).bind(head.base).bind(head.people)
                    .bind(i64::try_from(parts.len()).unwrap_or(i64::MAX))
                    .execute(&mut *tx).await?
                    .rows_affected();
                    if n == 0 {
                        // Another server (or an earlier request) stored it: the same contributions.
                        tx.rollback().await?;
                        return Ok(false);
                    }
                    for (i, body) in parts.into_iter().enumerate() {
                        sqlx::query(
                            "INSERT INTO rollup_parts (org_id, engine, data_version, base_version, part, body) \
                             VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(org.0).bind(engine).bind(head.version).bind(head.base)
                        .bind(i64::try_from(i).unwrap_or(i64::MAX)).bind(body)
                        .execute(&mut *tx).await?;
                    }
                    if head.base == 0 {
                        prune(&mut tx, org, engine, head.version).await?;
                    }
                    tx.commit().await?;
                    Ok(true)
                }
            }

            /// Deletes the layers nothing needs once a new full layer at `version` is stored, by the rule in
            /// `durable`'s comment (`keep_from`).
            async fn prune(
                tx: &mut sqlx::Transaction<'_, $db>,
                org: OrgId,
                engine: &str,
                version: i64,
            ) -> Result<()> {
                let (newest, previous): (Option<i64>, Option<i64>) = sqlx::query_as(
                    "SELECT MAX(data_version), MAX(CASE WHEN data_version < $3 THEN data_version END) \
                     FROM rollup_layers WHERE org_id = $1 AND engine = $2 AND base_version = 0",
                )
                .bind(org.0).bind(engine).bind(version)
                .fetch_one(&mut **tx).await?;
                if newest != Some(version) {
                    // A layer for an older version (asked about "as known at"): the newest chains stay as they are.
                    return Ok(());
                }
                let keep_from = crate::read_model::durable::keep_from(version, previous);
                let mut gone = 0;
                for delete in [
                    "DELETE FROM rollup_parts WHERE org_id = $1 AND (data_version < $2 \
                     OR (base_version <> 0 AND base_version < $2))",
                    "DELETE FROM rollup_layers WHERE org_id = $1 AND (data_version < $2 \
                     OR (base_version <> 0 AND base_version < $2))",
                ] {
                    gone += sqlx::query(delete)
                        .bind(org.0).bind(keep_from)
                        .execute(&mut **tx).await?
                        .rows_affected();
                }
                if gone > 0 {
                    tracing::debug!(org = org.0, keep_from, rows = gone, "older roll-up layers deleted");
                }
                Ok(())
            }
        }
    };
}

pub(crate) use impl_rollup_store;
