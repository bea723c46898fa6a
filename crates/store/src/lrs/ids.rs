//! Ids of the agents, activities and verbs statements name, kept in memory by each store (rows are never deleted,
//! so an id once known stays right), and the cache entries a transaction learns, applied once it commits.

/// Ids of agents, activities and verbs by (organisation, kind, key), and the digest of the definition last merged
/// into each activity, kept in memory: rows are never deleted, so an id once known stays right, and a statement naming only
/// known things costs no lookup. Bounded: cleared when it grows past its ceiling.
#[derive(Default)]
pub(crate) struct IdCache {
    /// (organisation, kind) -> key -> id: nested so that a lookup by `&str` allocates nothing.
    ids: std::sync::Mutex<foldhash::HashMap<(i64, u8), foldhash::HashMap<String, i64>>>,
    /// How many keys `ids` holds in all.
    len: std::sync::atomic::AtomicUsize,
    /// (kind, row id) -> digest of the definition last merged into an activity, or of an agent's stored object.
    digests: std::sync::Mutex<foldhash::HashMap<(u8, i64), u64>>,
}

pub(crate) const AGENT: u8 = 0;
pub(crate) const ACTIVITY: u8 = 1;
pub(crate) const VERB: u8 = 2;
const CACHE_CEILING: usize = 1_000_000;

impl IdCache {
    pub(crate) fn get(&self, org: i64, kind: u8, key: &str) -> Option<i64> {
        self.ids
            .lock()
            .expect("id cache")
            .get(&(org, kind))
            .and_then(|keys| keys.get(key))
            .copied()
    }

    pub(crate) fn put(&self, org: i64, kind: u8, key: String, id: i64) {
        use std::sync::atomic::Ordering::Relaxed;
        let mut ids = self.ids.lock().expect("id cache");
        if self.len.load(Relaxed) >= CACHE_CEILING {
            ids.clear();
            self.len.store(0, Relaxed);
        }
        if ids
            .entry((org, kind))
            .or_default()
            .insert(key, id)
            .is_none()
        {
            self.len.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn forget(&self, org: i64, kind: u8, key: &str) {
        use std::sync::atomic::Ordering::Relaxed;
        let mut ids = self.ids.lock().expect("id cache");
        if let Some(keys) = ids.get_mut(&(org, kind))
            && keys.remove(key).is_some()
        {
            self.len.fetch_sub(1, Relaxed);
        }
    }

    /// True when this definition (by digest) was the last merged into the activity, so merging it again changes
    /// nothing.
    pub(crate) fn definition_is(&self, activity: i64, digest: u64) -> bool {
        self.digest_is(ACTIVITY, activity, digest)
    }

    /// True when the agent's stored object is already this one.
    pub(crate) fn agent_json_is(&self, agent: i64, digest: u64) -> bool {
        self.digest_is(AGENT, agent, digest)
    }

    fn digest_is(&self, kind: u8, id: i64, digest: u64) -> bool {
        self.digests.lock().expect("digest cache").get(&(kind, id)) == Some(&digest)
    }

    pub(crate) fn set_digest(&self, kind: u8, id: i64, digest: u64) {
        let mut d = self.digests.lock().expect("digest cache");
        if d.len() >= CACHE_CEILING {
            d.clear();
        }
        d.insert((kind, id), digest);
    }
}

/// Cache entries learnt inside a transaction, applied only once it commits: an id from a rolled-back insert must
/// never be remembered.
#[derive(Default)]
pub(crate) struct CacheWrites {
    ids: Vec<(i64, u8, String, i64)>,
    digests: Vec<(u8, i64, u64)>,
}

impl CacheWrites {
    pub(crate) fn id(&mut self, org: i64, kind: u8, key: String, id: i64) {
        self.ids.push((org, kind, key, id));
    }

    pub(crate) fn digest(&mut self, kind: u8, id: i64, digest: u64) {
        self.digests.push((kind, id, digest));
    }

    pub(crate) fn merge(&mut self, other: CacheWrites) {
        self.ids.extend(other.ids);
        self.digests.extend(other.digests);
    }

    pub(crate) fn apply(self, cache: &IdCache) {
        for (org, kind, key, id) in self.ids {
            cache.put(org, kind, key, id);
        }
        for (kind, id, d) in self.digests {
            cache.set_digest(kind, id, d);
        }
    }
}
