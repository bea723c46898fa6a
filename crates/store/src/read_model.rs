//! The compliance read model: each organisation's roll-up index, built from the store with the engine's timelines and
//! kept in memory. It is a cache, never a source of truth: every read checks the organisation's data version (one
//! indexed query) and rebuilds when anything was written, so several servers can share one database.

use crate::{OrgContext, PeopleFilter, Result, Scope, Store};
use lantern_domain::engine::{OrgEngine, PersonFacts};
use lantern_domain::rollup::{Hierarchy, RollupIndex};
use lantern_domain::{OrgId, Post, Timestamp};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One organisation's roll-up, as of one data version.
pub struct OrgRollup {
    pub version: i64,
    pub context: OrgContext,
    pub hierarchy: Hierarchy,
    pub index: RollupIndex,
}

#[derive(Default)]
pub struct ReadModel {
    cache: Mutex<HashMap<OrgId, Arc<OrgRollup>>>,
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
        if known_at.is_some() {
            return build(store, scope, org, known_at).await.map(Arc::new);
        }
        let version = store.org_data_version(org).await?;
        if let Some(hit) = self.cached(org, version) {
            return Ok(hit);
        }
        let _guard = self.building.lock().await;
        if let Some(hit) = self.cached(org, store.org_data_version(org).await?) {
            return Ok(hit);
        }
        let built = Arc::new(build(store, &Scope::Platform, org, None).await?);
        self.cache
            .lock()
            .expect("cache lock")
            .insert(org, built.clone());
        if !scope.sees_org(org) {
            return Err(crate::StoreError::NotFound);
        }
        Ok(built)
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
    let people = store.people(scope, org, &PeopleFilter::All).await?;
    let context2 = context.clone();
    let (hierarchy, index) = tokio::task::spawn_blocking(move || {
        let hierarchy = Hierarchy::new(&context2.units);
        let engine = OrgEngine::new(org, &context2.rules, &context2.policies, known_at);
        let mut builder = RollupIndex::builder(&hierarchy);
        for p in &people {
            let facts = PersonFacts {
                posts: &p.posts,
                records: &p.records,
                exemptions: &p.exemptions,
            };
            let spans = engine.person(facts).timeline();
            let posts: Vec<&Post> = p
                .posts
                .iter()
                .filter(|x| known_at.is_none_or(|k| x.recorded_at <= k))
                .collect();
            builder.add_person(&posts, &spans);
        }
        let index = builder.finish();
        (hierarchy, index)
    })
    .await
    .expect("roll-up build does not panic");
    Ok(OrgRollup {
        version,
        context,
        hierarchy,
        index,
    })
}
