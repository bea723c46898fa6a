//! The compliance read model: each organisation's roll-up index, built from the store with the engine's timelines and
//! kept in memory and, as layers of people's contributions, in the database (`durable`), so it survives a restart
//! and answers questions "as known at" an instant without re-assessing everyone.
//!
//! It is a cache, never a source of truth: every read checks the organisation's data version (one indexed query),
//! so several servers can share one database. When writes touched only some people (a completion, an import of
//! records) it re-assesses just them from the change log; when they touched rules, units or policies it rebuilds
//! the organisation.
//!
//! "As known at T" (docs/history.md): the data version Lantern had at T is the latest whose facts, and every earlier
//! version's, were all recorded by T (`RollupStore::version_known_at`). The contributions stored for that version are
//! then exactly those the engine gives asked as known at T, except for people with facts recorded by T but written
//! in a later version (a backdated `recorded_at`): they, and anyone changed since the stored layer, are re-assessed
//! with the engine as known at T. A change to rules, units or policies among them means the engine assesses
//! everyone, as before. When every fact Lantern holds was recorded by T, the answer is the current roll-up itself.
//!
//! Builds (and restores) take their organisation's lock, so a second request for it waits and reuses the result,
//! and at most `BUILDS_AT_ONCE` run at once. The warm-up after a start (`ReadModel::warm`) starts no organisation
//! while a request is waiting for one, so a request never queues behind the warming of another organisation.

pub mod codec;
pub mod durable;

use crate::{Changes, OrgContext, PeopleFilter, PersonBundle, Result, Scope, Store};
use durable::{LayerHead, RollupStore};
use lantern_domain::engine::PersonFacts;
use lantern_domain::rollup::{Hierarchy, RollupBuilder, RollupIndex};
use lantern_domain::{OrgId, PersonId, Post, Timestamp};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An incremental update re-assesses at most this many people, or a tenth of the organisation if more; beyond that
/// a rebuild is as quick.
const INCREMENTAL_PEOPLE: usize = 5_000;

/// People loaded and assessed at a time by a full build.
const BUILD_SLICE: usize = 2_000;

/// People per stored part of a layer.
const PART_PEOPLE: usize = 4_000;

/// Cells (unit and requirement) per stored part of a full layer's cells.
const PART_CELLS: usize = 2_000;

/// A chain of stored layers is ended with a full layer once it has this many layers after its full one, or they
/// hold more than a quarter of the organisation's people, so a restart never reads much more than one full layer.
const CHAIN_LAYERS: usize = 16;

/// Roll-ups asked "as known at" an instant that are kept in memory, and the heap they may hold between them.
const KNOWN_AT_KEPT: usize = 4;
const KNOWN_AT_BYTES: usize = 1 << 30;

/// Builds (and restores) running at once in a process: the warm-up's and one a request is waiting for. Each holds a
/// build's working memory (about one organisation's index), so warming stays well under twice the steady memory.
const BUILDS_AT_ONCE: usize = 2;

/// How often the warm-up looks again whether requests are still waiting for a build.
const WARM_PAUSE: Duration = Duration::from_millis(20);

/// One organisation's roll-up, as of one data version.
#[derive(Clone)]
pub struct OrgRollup {
    pub version: i64,
    /// None for the current roll-up; else the instant it answers "as recorded at".
    pub known_at: Option<Timestamp>,
    pub context: OrgContext,
    pub hierarchy: Hierarchy,
    pub index: RollupIndex,
    stored: Stored,
}

/// Where a current roll-up stands against the stored layers.
#[derive(Clone, Copy, Debug, Default)]
struct Stored {
    /// No write landed while its people were read, so it is exactly the roll-up at its version.
    exact: bool,
    /// A layer for its version is stored (or being stored), ending a chain of this many layers after a full one...
    layer: bool,
    chain_layers: usize,
    /// ...holding this many people.
    chain_people: usize,
}

/// A roll-up asked "as known at" an instant, valid while no version after `checked` holds a fact recorded by then.
struct Known {
    org: OrgId,
    at: Timestamp,
    checked: i64,
    rollup: Arc<OrgRollup>,
}

/// A layer to store: its head and whose contributions (None: everyone in the index).
struct Plan {
    head: LayerHead,
    people: Option<Vec<PersonId>>,
}

/// Who asked for a current roll-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asker {
    Request,
    WarmUp,
}

/// Counts a request in `ReadModel::asking` for as long as it lives.
struct Asking<'a>(&'a AtomicUsize);

impl<'a> Asking<'a> {
    fn new(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::AcqRel);
        Asking(n)
    }
}

impl Drop for Asking<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

pub struct ReadModel {
    cache: Mutex<HashMap<OrgId, Arc<OrgRollup>>>,
    /// Organisation contexts (units, rules, policies) by data version: every page needs one.
    contexts: Mutex<HashMap<OrgId, (i64, Arc<OrgContext>)>>,
    /// Roll-ups asked "as known at", least recently used first.
    known: Mutex<VecDeque<Known>>,
    /// One build at a time per organisation: a second request for the same organisation waits and reuses the result.
    building: Mutex<HashMap<OrgId, Arc<tokio::sync::Mutex<()>>>>,
    /// Builds running at once (`BUILDS_AT_ONCE`), so that a request never waits for another organisation's build
    /// while memory stays bounded: the warm-up's one build and a request's.
    builds: tokio::sync::Semaphore,
    /// Requests waiting for or running a build: the warm-up starts no organisation while there are any, so a request
    /// after a restart has the cores to itself rather than sharing them with the warming of organisations nobody
    /// asked for yet.
    asking: AtomicUsize,
    /// Layers being written in the background.
    writes: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// One layer encoded and written at a time: an encoded full layer is about an index's worth of bytes, and on a
    /// first start (every organisation built and stored) writes wait for the database while builds go on, so
    /// without this bound encoded layers piled up in memory.
    layer_writes: Arc<tokio::sync::Semaphore>,
    engine: String,
}

impl Default for ReadModel {
    fn default() -> Self {
        ReadModel {
            cache: Mutex::default(),
            contexts: Mutex::default(),
            known: Mutex::default(),
            building: Mutex::default(),
            builds: tokio::sync::Semaphore::new(BUILDS_AT_ONCE),
            asking: AtomicUsize::new(0),
            writes: Mutex::default(),
            layer_writes: Arc::new(tokio::sync::Semaphore::new(1)),
            engine: durable::engine_fingerprint(),
        }
    }
}

impl ReadModel {
    pub fn new() -> Self {
        Self::default()
    }

    /// The organisation's current roll-up, or as Lantern knew things at `known_at`.
    pub async fn rollup(
        &self,
        store: &dyn Store,
        scope: &Scope,
        org: OrgId,
        known_at: Option<Timestamp>,
    ) -> Result<Arc<OrgRollup>> {
        if !scope.sees_org(org) {
            return Err(crate::StoreError::NotFound);
        }
        if let Some(at) = known_at {
            return self.known_at(store, org, at).await;
        }
        self.current(store, org, Asker::Request).await
    }

    /// Makes the organisation's current roll-up ready ahead of any request, giving way to requests: it starts
    /// nothing while a request is waiting for a build, so the first request after a restart does not queue behind
    /// (or share the cores with) the warming of another organisation.
    pub async fn warm(&self, store: &dyn Store, org: OrgId) -> Result<()> {
        while self.asking.load(Ordering::Acquire) > 0 {
            tokio::time::sleep(WARM_PAUSE).await;
        }
        self.current(store, org, Asker::WarmUp).await.map(drop)
    }

    /// The current roll-up: the cached one if it is at the organisation's data version, else brought up to it (or
    /// restored, or built) under the organisation's build lock.
    async fn current(&self, store: &dyn Store, org: OrgId, asker: Asker) -> Result<Arc<OrgRollup>> {
        if let Some(hit) = self.cached(org, store.org_data_version(org).await?) {
            return Ok(hit);
        }
        let _asking = (asker == Asker::Request).then(|| Asking::new(&self.asking));
        let asked = Instant::now();
        let lock = self.org_lock(org);
        let _guard = lock.lock().await;
        let version = store.org_data_version(org).await?;
        if let Some(hit) = self.cached(org, version) {
            return Ok(hit);
        }
        let _permit = self
            .builds
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let waited = asked.elapsed();
        let previous = self.cache.lock().expect("cache lock").remove(&org);
        let (mut built, delta) = match previous {
            Some(previous) => update(store, previous, version).await?,
            None => self.restore(store, org, version).await?,
        };
        built.stored.exact = store.org_data_version(org).await? == version;
        let plan = plan(&mut built, delta);
        let built = Arc::new(built);
        self.cache
            .lock()
            .expect("cache lock")
            .insert(org, built.clone());
        if let Some(plan) = plan {
            self.store_layer(store, &built, plan);
        }
        tracing::debug!(
            org = org.0,
            version,
            ?asker,
            waited_ms = waited.as_millis() as u64,
            total_ms = asked.elapsed().as_millis() as u64,
            "current roll-up made"
        );
        Ok(built)
    }

    /// The build lock of one organisation.
    fn org_lock(&self, org: OrgId) -> Arc<tokio::sync::Mutex<()>> {
        self.building
            .lock()
            .expect("building lock")
            .entry(org)
            .or_default()
            .clone()
    }

    /// The organisation's units, rules and policies, cached until its data version changes.
    pub async fn context(
        &self,
        store: &dyn Store,
        scope: &Scope,
        org: OrgId,
    ) -> Result<Arc<OrgContext>> {
        if !scope.sees_org(org) {
            return Err(crate::StoreError::NotFound);
        }
        let version = store.org_data_version(org).await?;
        if let Some((v, ctx)) = self.contexts.lock().expect("context lock").get(&org)
            && *v == version
        {
            return Ok(ctx.clone());
        }
        let ctx = Arc::new(store.org_context(&Scope::Platform, org).await?);
        self.contexts
            .lock()
            .expect("context lock")
            .insert(org, (version, ctx.clone()));
        Ok(ctx)
    }

    /// Organisations with an index in memory, and the approximate heap bytes those indexes hold (the current ones
    /// and those kept for questions "as known at").
    pub fn memory(&self) -> (usize, usize) {
        let bytes = |r: &OrgRollup| {
            let (cells, people) = r.index.heap_bytes();
            cells + people
        };
        let cache = self.cache.lock().expect("cache lock");
        let known: usize = self
            .known
            .lock()
            .expect("known lock")
            .iter()
            .map(|k| bytes(&k.rollup))
            .sum();
        (
            cache.len(),
            cache.values().map(|r| bytes(r)).sum::<usize>() + known,
        )
    }

    /// Waits for the layers being stored in the background (tests, benchmarks and shutdown).
    pub async fn flush(&self) {
        let writes: Vec<_> = std::mem::take(&mut *self.writes.lock().expect("writes lock"));
        for w in writes {
            let _ = w.await;
        }
    }

    fn cached(&self, org: OrgId, version: i64) -> Option<Arc<OrgRollup>> {
        let cache = self.cache.lock().expect("cache lock");
        cache.get(&org).filter(|r| r.version == version).cloned()
    }

    /// The current roll-up with nothing in memory (after a restart): the stored layers, with the people changed
    /// since re-assessed; the engine over everyone when nothing usable is stored.
    async fn restore(
        &self,
        store: &dyn Store,
        org: OrgId,
        version: i64,
    ) -> Result<(OrgRollup, Option<(i64, Vec<PersonId>)>)> {
        let rollups = store.rollups();
        let heads = rollups.layers(org, &self.engine, version).await?;
        if let Some(chain) = durable::best_chain(&heads) {
            let point = chain.last().expect("a chain has a layer").version;
            let full = chain[0].people.max(0) as usize;
            if let Changes::People(ids) = store.changes_since(org, point, version).await?
                && ids.len() <= INCREMENTAL_PEOPLE.max(full / 10)
            {
                let restored = from_layers(
                    store,
                    rollups.as_ref(),
                    &self.engine,
                    org,
                    None,
                    &chain,
                    &ids,
                )
                .await?;
                let Some(mut built) = restored else {
                    return Ok((build(store, &Scope::Platform, org, None).await?, None));
                };
                built.version = version;
                built.stored = Stored {
                    exact: false,
                    layer: true,
                    chain_layers: chain.len() - 1,
                    chain_people: chain[1..].iter().map(|l| l.people.max(0) as usize).sum(),
                };
                // The stored chain ends at `point`; the people changed since are a layer on it.
                let delta = (point < version).then_some((point, ids));
                if point < version {
                    built.stored.layer = false;
                }
                return Ok((built, delta));
            }
        }
        Ok((build(store, &Scope::Platform, org, None).await?, None))
    }

    /// A roll-up as Lantern knew things at `at`: kept in memory while still valid, else from the stored layers of the
    /// version Lantern had then with the people changed since re-assessed as known at `at`, else the engine over
    /// everyone (and stored, when it is exactly a version's roll-up).
    async fn known_at(
        &self,
        store: &dyn Store,
        org: OrgId,
        at: Timestamp,
    ) -> Result<Arc<OrgRollup>> {
        let rollups = store.rollups();
        if let Some(hit) = self.known_hit(store, rollups.as_ref(), org, at).await? {
            return Ok(hit);
        }
        let then = rollups.version_known_at(org, at).await?;
        let current = store.org_data_version(org).await?;
        if then == Some(current) {
            // Every fact of every version Lantern holds was recorded by `at`, so the answer as known then is the
            // current roll-up (the same contributions, by the same engine, over the same unit tree): no second copy.
            let now = self.current(store, org, Asker::Request).await?;
            if now.version == current {
                return Ok(now);
            }
        }
        let _asking = Asking::new(&self.asking);
        let lock = self.org_lock(org);
        let _guard = lock.lock().await;
        if let Some(hit) = self.known_hit(store, rollups.as_ref(), org, at).await? {
            return Ok(hit);
        }
        let _permit = self
            .builds
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let then = rollups.version_known_at(org, at).await?;
        let current = store.org_data_version(org).await?;
        let Some(then) = then else {
            // Nothing says which version Lantern had then (versions from before their times were kept).
            let built = Arc::new(build(store, &Scope::Platform, org, Some(at)).await?);
            self.keep_known(org, at, current, built.clone());
            return Ok(built);
        };
        let late = rollups.recorded_late(org, then, current, at).await?;
        let chain = durable::best_chain(&rollups.layers(org, &self.engine, then).await?);
        let reassess = match (&chain, &late) {
            (Some(chain), Changes::People(late)) => {
                let point = chain.last().expect("a chain has a layer").version;
                match store.changes_since(org, point, then).await? {
                    Changes::People(mut ids) => {
                        ids.extend(late);
                        ids.sort_unstable();
                        ids.dedup();
                        let full = chain[0].people.max(0) as usize;
                        (ids.len() <= INCREMENTAL_PEOPLE.max(full / 10)).then_some((point, ids))
                    }
                    Changes::Everyone => None,
                }
            }
            _ => None,
        };
        let restored = match (&chain, &reassess) {
            (Some(chain), Some((_, ids))) => {
                from_layers(
                    store,
                    rollups.as_ref(),
                    &self.engine,
                    org,
                    Some(at),
                    chain,
                    ids,
                )
                .await?
            }
            _ => None,
        };
        let mut built = match restored {
            Some(built) => built,
            None => build(store, &Scope::Platform, org, Some(at)).await?,
        };
        built.version = current;
        // With nothing recorded by `at` written after `then` (still, now that it is built), this is exactly the
        // roll-up at `then`: worth storing, for the next question about a moment while `then` was current.
        let after = store.org_data_version(org).await?;
        let exact = late == Changes::People(Vec::new())
            && rollups.recorded_late(org, then, after, at).await? == Changes::People(Vec::new());
        let plan = match reassess {
            _ if !exact => None,
            Some((point, _)) if point == then => None,
            Some((point, ids)) => Some(Plan {
                head: LayerHead {
                    version: then,
                    base: point,
                    people: ids.len() as i64,
                    parts: 0,
                },
                people: Some(ids),
            }),
            None => Some(Plan {
                head: LayerHead {
                    version: then,
                    base: 0,
                    people: built.index.people_indexed() as i64,
                    parts: 0,
                },
                people: None,
            }),
        };
        let built = Arc::new(built);
        if let Some(plan) = plan {
            self.store_layer(store, &built, plan);
        }
        // Checked from the version read before the build: a late fact landing while it ran drops it next time.
        self.keep_known(org, at, current, built.clone());
        Ok(built)
    }

    /// A kept roll-up for (org, at), if no version written since it was checked holds a fact recorded by `at`.
    async fn known_hit(
        &self,
        store: &dyn Store,
        rollups: &dyn RollupStore,
        org: OrgId,
        at: Timestamp,
    ) -> Result<Option<Arc<OrgRollup>>> {
        let found = {
            let known = self.known.lock().expect("known lock");
            known
                .iter()
                .find(|k| k.org == org && k.at == at)
                .map(|k| (k.checked, k.rollup.clone()))
        };
        let Some((checked, rollup)) = found else {
            return Ok(None);
        };
        let current = store.org_data_version(org).await?;
        let valid = current == checked
            || rollups.recorded_late(org, checked, current, at).await?
                == Changes::People(Vec::new());
        let mut known = self.known.lock().expect("known lock");
        let i = known.iter().position(|k| k.org == org && k.at == at);
        if let Some(mut k) = i.and_then(|i| known.remove(i))
            && valid
        {
            k.checked = k.checked.max(current);
            known.push_back(k);
        }
        Ok(valid.then_some(rollup))
    }

    fn keep_known(&self, org: OrgId, at: Timestamp, checked: i64, rollup: Arc<OrgRollup>) {
        let mut known = self.known.lock().expect("known lock");
        known.retain(|k| !(k.org == org && k.at == at));
        known.push_back(Known {
            org,
            at,
            checked,
            rollup,
        });
        let bytes = |k: &Known| {
            let (c, p) = k.rollup.index.heap_bytes();
            c + p
        };
        while known.len() > KNOWN_AT_KEPT
            || (known.len() > 1 && known.iter().map(bytes).sum::<usize>() > KNOWN_AT_BYTES)
        {
            known.pop_front();
        }
    }

    /// Stores a layer in the background: the answer never waits for it, and a failure only costs a later rebuild.
    fn store_layer(&self, store: &dyn Store, rollup: &Arc<OrgRollup>, plan: Plan) {
        let rollups = store.rollups();
        let rollup = rollup.clone();
        let engine = self.engine.clone();
        let org = rollup.context.org.id;
        let one_at_a_time = self.layer_writes.clone();
        let task = tokio::spawn(async move {
            let Ok(_permit) = one_at_a_time.acquire_owned().await else {
                return;
            };
            let encoded = tokio::task::spawn_blocking(move || encode_layer(&rollup, plan)).await;
            let Ok((head, parts)) = encoded else { return };
            if let Err(e) = rollups.put_layer(org, &engine, &head, parts).await {
                tracing::warn!(org = org.0, version = head.version, error = %e, "could not store a roll-up layer");
            }
        });
        let mut writes = self.writes.lock().expect("writes lock");
        writes.retain(|w| !w.is_finished());
        writes.push(task);
    }
}

/// Decides what to store of a current roll-up just made: nothing unless it is exact and not stored yet; a layer of
/// the people changed when it follows a stored one closely; else everyone. Records the decision in `stored`.
fn plan(rollup: &mut OrgRollup, delta: Option<(i64, Vec<PersonId>)>) -> Option<Plan> {
    let s = &mut rollup.stored;
    if !s.exact || s.layer {
        return None;
    }
    let everyone = rollup.index.people_indexed();
    s.layer = true;
    match delta {
        Some((base, ids))
            if s.chain_layers < CHAIN_LAYERS && 4 * (s.chain_people + ids.len()) <= everyone =>
        {
            s.chain_layers += 1;
            s.chain_people += ids.len();
            Some(Plan {
                head: LayerHead {
                    version: rollup.version,
                    base,
                    people: ids.len() as i64,
                    parts: 0,
                },
                people: Some(ids),
            })
        }
        _ => {
            s.chain_layers = 0;
            s.chain_people = 0;
            Some(Plan {
                head: LayerHead {
                    version: rollup.version,
                    base: 0,
                    people: everyone as i64,
                    parts: 0,
                },
                people: None,
            })
        }
    }
}

/// A layer's parts: the chosen people's contributions (or everyone's), in id order.
fn encode_layer(rollup: &OrgRollup, plan: Plan) -> (LayerHead, Vec<Vec<u8>>) {
    let index = &rollup.index;
    let mut people: Vec<(PersonId, Option<&lantern_domain::rollup::Contribution>)> =
        match &plan.people {
            Some(ids) => ids
                .iter()
                .map(|&id| (id, index.contribution_of(id)))
                .collect(),
            None => index.contributions().map(|(id, c)| (id, Some(c))).collect(),
        };
    people.sort_unstable_by_key(|p| p.0);
    people.dedup_by_key(|p| p.0);
    let mut parts: Vec<Vec<u8>> = people
        .chunks(PART_PEOPLE)
        .map(|chunk| codec::encode(index, chunk))
        .collect();
    // A full layer keeps the cells too, so a restore from it alone is a copy (`from_layers`).
    if plan.people.is_none() {
        let cells: Vec<_> = index.cell_runs().collect();
        parts.extend(
            cells
                .chunks(PART_CELLS)
                .map(|chunk| codec::encode_cells(index, &rollup.hierarchy, chunk)),
        );
    }
    let head = LayerHead {
        people: people.len() as i64,
        parts: parts.len() as i64,
        ..plan.head
    };
    (head, parts)
}

/// A roll-up from a chain of stored layers, with `reassess` assessed by the engine (as known at `known_at`); None
/// when the layers cannot be read whole (deleted by a newer full layer since their heads were read, or damaged):
/// the caller builds with the engine instead.
async fn from_layers(
    store: &dyn Store,
    rollups: &dyn RollupStore,
    engine: &str,
    org: OrgId,
    known_at: Option<Timestamp>,
    chain: &[LayerHead],
    reassess: &[PersonId],
) -> Result<Option<OrgRollup>> {
    let started = Instant::now();
    let version = store.org_data_version(org).await?;
    let context = store.org_context(&Scope::Platform, org).await?;
    let hierarchy = Hierarchy::new(&context.units_known_at(known_at));
    let mut builder = RollupIndex::builder(hierarchy.clone());
    let contexted = started.elapsed();
    let loaded = match durable::load_chain(rollups, org, engine, chain, &mut builder).await {
        Ok(loaded) => loaded,
        Err(e @ crate::StoreError::Corrupt { .. }) => {
            tracing::warn!(org = org.0, error = %e, "stored roll-up layers unreadable; building instead");
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let durable::Loaded {
        mut people,
        cells,
        read,
    } = loaded;
    let loaded = started.elapsed();
    // The stored cells serve when they were made under this unit tree and nobody is to be assessed again: then the
    // index is a copy of the one stored. Else everyone is walked into the cells.
    let cells = cells
        .filter(|(tree, _)| reassess.is_empty() && *tree == hierarchy)
        .map(|(_, cells)| cells);
    for id in reassess {
        people.remove(id);
    }
    let copied = cells.is_some();
    let index = tokio::task::spawn_blocking(move || {
        if let Some(cells) = cells {
            for (id, c) in people {
                if let Some(c) = c {
                    builder.hold_contribution(id, c);
                }
            }
            return Indexed::Copied(builder.finish_with_cells(cells));
        }
        for (id, c) in people {
            if let Some(c) = c {
                builder.add_contribution(id, c);
            }
        }
        Indexed::Walked(builder)
    })
    .await
    .expect("indexing does not panic");
    let added = started.elapsed();
    let index = match index {
        Indexed::Copied(index) => index,
        Indexed::Walked(builder) => {
            let builder = assess_into(
                store,
                &Scope::Platform,
                &context,
                org,
                known_at,
                reassess,
                builder,
            )
            .await?;
            tokio::task::spawn_blocking(move || builder.finish())
                .await
                .expect("indexing does not panic")
        }
    };
    // Where a restore's time goes, for BENCHMARKS.md (`LANTERN_LOG=lantern_store::read_model=debug`).
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    tracing::debug!(
        org = org.0,
        people = index.people_indexed(),
        layers = chain.len(),
        reassessed = reassess.len(),
        cells_copied = copied,
        context_ms = ms(contexted),
        read_ms = ms(read),
        decode_ms = ms(loaded - contexted - read),
        index_ms = ms(added - loaded),
        assess_and_finish_ms = ms(started.elapsed() - added),
        "roll-up restored from stored layers"
    );
    Ok(Some(OrgRollup {
        version,
        known_at,
        context,
        hierarchy,
        index,
        stored: Stored::default(),
    }))
}

/// A restore's index: copied whole with its stored cells, or a builder with everyone walked in, to finish.
enum Indexed {
    Copied(RollupIndex),
    Walked(RollupBuilder),
}

/// Loads and assesses these people a slice at a time, adding them to the index being built. The next slice is
/// loaded while the current one is assessed (the database on its own thread, the engine on a blocking one), so a
/// build uses both cores; at most two slices are in memory.
async fn assess_into(
    store: &dyn Store,
    scope: &Scope,
    context: &OrgContext,
    org: OrgId,
    known_at: Option<Timestamp>,
    ids: &[PersonId],
    mut builder: RollupBuilder,
) -> Result<RollupBuilder> {
    let load = |chunk: &[PersonId]| {
        let filter = PeopleFilter::People(chunk.to_vec());
        async move { store.people(scope, org, &filter).await }
    };
    let mut chunks = ids.chunks(BUILD_SLICE);
    let Some(first) = chunks.next() else {
        return Ok(builder);
    };
    let mut people = load(first).await?;
    loop {
        let ctx = context.clone();
        let assess = tokio::task::spawn_blocking(move || {
            for_each_assessed(&ctx, &people, known_at, |id, posts, spans| {
                builder.add_person(id, posts, spans)
            });
            builder
        });
        let (assessed, next) = match chunks.next() {
            Some(chunk) => {
                let (assessed, loaded) = tokio::join!(assess, load(chunk));
                (assessed, Some(loaded?))
            }
            None => (assess.await, None),
        };
        builder = assessed.expect("assessment does not panic");
        match next {
            Some(loaded) => people = loaded,
            None => return Ok(builder),
        }
    }
}

/// Builds an organisation's roll-up from scratch: every person's timeline, rolled up through the unit tree.
pub async fn build(
    store: &dyn Store,
    scope: &Scope,
    org: OrgId,
    known_at: Option<Timestamp>,
) -> Result<OrgRollup> {
    // Read the version first: a write landing during the build makes the next read rebuild, never miss it.
    let version = store.org_data_version(org).await?;
    let context = store.org_context(scope, org).await?;
    // People are loaded and assessed a slice at a time, so a large organisation's records are never all in memory
    // at once; only the index (a few numbers per person) grows.
    let ids = store.person_ids(scope, org).await?;
    // The unit tree as it was recorded at `known_at` (units are kept as versions).
    let hierarchy = Hierarchy::new(&context.units_known_at(known_at));
    let builder = RollupIndex::builder(hierarchy.clone());
    let builder = assess_into(store, scope, &context, org, known_at, &ids, builder).await?;
    let index = tokio::task::spawn_blocking(move || builder.finish())
        .await
        .expect("indexing does not panic");
    Ok(OrgRollup {
        version,
        known_at,
        context,
        hierarchy,
        index,
        stored: Stored::default(),
    })
}

/// Brings a cached roll-up up to `version`: re-assesses only the people the change log names, or rebuilds when the
/// change touched everyone or too many people. Gives the base version and the people re-assessed when the previous
/// roll-up was stored, so the change can be stored as a layer on it.
async fn update(
    store: &dyn Store,
    previous: Arc<OrgRollup>,
    version: i64,
) -> Result<(OrgRollup, Option<(i64, Vec<PersonId>)>)> {
    let org = previous.context.org.id;
    let changed = match store.changes_since(org, previous.version, version).await? {
        Changes::People(ids)
            if ids.len() <= INCREMENTAL_PEOPLE.max(previous.index.people_indexed() / 10) =>
        {
            ids
        }
        _ => return Ok((build(store, &Scope::Platform, org, None).await?, None)),
    };
    let people = store
        .people(
            &Scope::Platform,
            org,
            &PeopleFilter::People(changed.clone()),
        )
        .await?;
    let base = (previous.stored.layer).then_some(previous.version);
    tokio::task::spawn_blocking(move || {
        // Readers still holding the old roll-up keep it; otherwise it is updated in place.
        let mut next = Arc::try_unwrap(previous).unwrap_or_else(|shared| (*shared).clone());
        let OrgRollup {
            context,
            hierarchy,
            index,
            ..
        } = &mut next;
        for id in &changed {
            // Someone the log names who no longer has posts here leaves the index.
            index.replace_person(hierarchy, *id, &[], &[]);
        }
        for_each_assessed(context, &people, None, |id, posts, spans| {
            index.replace_person(hierarchy, id, posts, spans)
        });
        next.version = version;
        next.stored.layer = false;
        (next, base.map(|b| (b, changed)))
    })
    .await
    .map_err(|_| crate::StoreError::Corrupt {
        column: "roll-up",
        message: "the incremental update panicked".into(),
    })
}

/// Runs the engine over each person and hands their posts in the organisation and timeline to `f`.
fn for_each_assessed(
    context: &OrgContext,
    people: &[PersonBundle],
    known_at: Option<Timestamp>,
    mut f: impl FnMut(PersonId, &[&Post], &[lantern_domain::engine::StatusSpan]),
) {
    let engine = context.engine(known_at);
    for p in people {
        let facts = PersonFacts {
            posts: &p.posts,
            records: &p.records,
            exemptions: &p.exemptions,
        };
        let spans = engine.person(facts).timeline();
        let posts = lantern_domain::history::posts(&p.posts, known_at);
        f(p.person.id, &posts, &spans);
    }
}
