//! The compliance read model: each organisation's roll-up index, built from the store with the engine's timelines and
//! kept in memory. It is a cache, never a source of truth: every read checks the organisation's data version (one
//! indexed query), so several servers can share one database. When writes touched only some people (a completion,
//! an import of records) it re-assesses just them from the change log; when they touched rules, units or policies
//! it rebuilds the organisation.

use crate::{Changes, OrgContext, PeopleFilter, PersonBundle, Result, Scope, Store};
use lantern_domain::engine::PersonFacts;
use lantern_domain::rollup::{Hierarchy, RollupIndex};
use lantern_domain::{OrgId, PersonId, Post, Timestamp};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An incremental update re-assesses at most this many people, or a tenth of the organisation if more; beyond that
/// a rebuild is as quick.
const INCREMENTAL_PEOPLE: usize = 5_000;

/// People loaded and assessed at a time by a full build.
const BUILD_SLICE: usize = 2_000;

/// One organisation's roll-up, as of one data version.
#[derive(Clone)]
pub struct OrgRollup {
    pub version: i64,
    /// None for the current roll-up; else the instant it answers "as recorded at".
    pub known_at: Option<Timestamp>,
    pub context: OrgContext,
    pub hierarchy: Hierarchy,
    pub index: RollupIndex,
}

#[derive(Default)]
pub struct ReadModel {
    cache: Mutex<HashMap<OrgId, Arc<OrgRollup>>>,
    /// Organisation contexts (units, rules, policies) by data version: every page needs one.
    contexts: Mutex<HashMap<OrgId, (i64, Arc<OrgContext>)>>,
    /// One build at a time per process: a second request for the same organisation waits and reuses the result.
    building: tokio::sync::Mutex<()>,
}

impl ReadModel {
    pub fn new() -> Self {
        Self::default()
    }

    /// The organisation's current roll-up; `known_at` bypasses the cache and rebuilds as Lantern knew things then.
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
        if known_at.is_some() {
            return build(store, scope, org, known_at).await.map(Arc::new);
        }
        if let Some(hit) = self.cached(org, store.org_data_version(org).await?) {
            return Ok(hit);
        }
        let _guard = self.building.lock().await;
        let version = store.org_data_version(org).await?;
        if let Some(hit) = self.cached(org, version) {
            return Ok(hit);
        }
        let previous = self.cache.lock().expect("cache lock").remove(&org);
        let built = Arc::new(match previous {
            Some(previous) => update(store, previous, version).await?,
            None => build(store, &Scope::Platform, org, None).await?,
        });
        self.cache
            .lock()
            .expect("cache lock")
            .insert(org, built.clone());
        Ok(built)
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

    /// Organisations with an index in memory, and the approximate heap bytes those indexes hold.
    pub fn memory(&self) -> (usize, usize) {
        let cache = self.cache.lock().expect("cache lock");
        let bytes = cache
            .values()
            .map(|r| {
                let (cells, people) = r.index.heap_bytes();
                cells + people
            })
            .sum();
        (cache.len(), bytes)
    }

    fn cached(&self, org: OrgId, version: i64) -> Option<Arc<OrgRollup>> {
        let cache = self.cache.lock().expect("cache lock");
        cache.get(&org).filter(|r| r.version == version).cloned()
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
    let mut builder = RollupIndex::builder(hierarchy.clone());
    for chunk in ids.chunks(BUILD_SLICE) {
        let people = store
            .people(scope, org, &PeopleFilter::People(chunk.to_vec()))
            .await?;
        let ctx = context.clone();
        builder = tokio::task::spawn_blocking(move || {
            for_each_assessed(&ctx, &people, known_at, |id, posts, spans| {
                builder.add_person(id, posts, spans)
            });
            builder
        })
        .await
        .expect("assessment does not panic");
    }
    let index = tokio::task::spawn_blocking(move || builder.finish())
        .await
        .expect("indexing does not panic");
    Ok(OrgRollup {
        version,
        known_at,
        context,
        hierarchy,
        index,
    })
}

/// Brings a cached roll-up up to `version`: re-assesses only the people the change log names, or rebuilds when the
/// change touched everyone or too many people.
async fn update(store: &dyn Store, previous: Arc<OrgRollup>, version: i64) -> Result<OrgRollup> {
    let org = previous.context.org.id;
    let changed = match store.changes_since(org, previous.version, version).await? {
        Changes::People(ids)
            if ids.len() <= INCREMENTAL_PEOPLE.max(previous.index.people_indexed() / 10) =>
        {
            ids
        }
        _ => return build(store, &Scope::Platform, org, None).await,
    };
    let people = store
        .people(
            &Scope::Platform,
            org,
            &PeopleFilter::People(changed.clone()),
        )
        .await?;
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
        next
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
