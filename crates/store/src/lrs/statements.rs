//! Writing statements: one request's statements stored in the group's transaction with their agent, activity and
//! verb index rows, voiding, attachments and activity definitions, and the training records they feed (through
//! `mappings`). The statements are serialised by the request that brought them, before the writer's turn, with
//! markers where `stored` goes.

use lantern_xapi::Prepared;

/// An attachment's bytes, from a multipart request.
#[derive(Clone, Debug)]
pub struct AttachmentPayload {
    pub sha2: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// What storing a batch did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreOutcome {
    /// The statements' ids, in the order given.
    pub ids: Vec<uuid::Uuid>,
    /// Statements newly stored (the rest were already there, identical).
    pub stored: usize,
    /// Training records the statements became through the organisation's mappings.
    pub records_created: usize,
    /// Training records withdrawn because the statements they came from were voided.
    pub records_withdrawn: usize,
}

/// A statement serialised by the request that brought it, in parallel with other requests, rather than by the one
/// writer: `stored` (and a `timestamp` the LRS supplied) are markers, filled in under the write lock.
pub(crate) struct Serialised {
    pub(crate) json: String,
    /// Where the markers start in `json`.
    markers: Vec<usize>,
    /// The statement came without a timestamp, so its timestamp is `stored`.
    pub(crate) defaulted: bool,
}

/// The marker for `stored`, and its JSON form: 128 random bits per process, so no client can know it to put it in
/// a statement's content.
fn marker() -> &'static (String, String) {
    static MARKER: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    MARKER.get_or_init(|| {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b).expect("the operating system's random source works");
        let value = format!("\u{1}lantern-stored-{}\u{1}", hex::encode(b));
        let json = serde_json::Value::from(value.clone()).to_string();
        (value, json)
    })
}

pub(crate) fn serialise(p: &mut Prepared) -> Serialised {
    let defaulted = p.statement.get("timestamp") == p.statement.get("stored");
    let (value, json_marker) = marker();
    p.statement["stored"] = serde_json::Value::from(value.clone());
    if defaulted {
        p.statement["timestamp"] = serde_json::Value::from(value.clone());
    }
    // Statements are about a kilobyte; one allocation of that size instead of growing from nothing.
    let mut out = Vec::with_capacity(2048);
    serde_json::to_writer(&mut out, &p.statement).expect("a JSON value serialises");
    let json = String::from_utf8(out).expect("serde_json writes UTF-8");
    let markers = json
        .match_indices(json_marker.as_str())
        .map(|(i, _)| i)
        .collect();
    Serialised {
        json,
        markers,
        defaulted,
    }
}

/// The stored JSON with the markers replaced by the `stored` time (`stored_text`, unquoted).
pub(crate) fn filled(s: &Serialised, stored_text: &str) -> String {
    let marker_len = marker().1.len();
    let mut out = String::with_capacity(s.json.len() + s.markers.len() * (stored_text.len() + 2));
    let mut at = 0;
    for &m in &s.markers {
        out.push_str(&s.json[at..m]);
        out.push('"');
        out.push_str(stored_text);
        out.push('"');
        at = m + marker_len;
    }
    out.push_str(&s.json[at..]);
    out
}

/// A digest of a JSON value, taken by walking it (no serialising); equal values give equal digests.
pub(crate) fn value_digest(v: &serde_json::Value) -> u64 {
    use std::hash::{Hash, Hasher};
    fn walk(v: &serde_json::Value, h: &mut impl Hasher) {
        match v {
            serde_json::Value::Null => 0u8.hash(h),
            serde_json::Value::Bool(b) => (1u8, b).hash(h),
            serde_json::Value::Number(n) => (2u8, n.to_string()).hash(h),
            serde_json::Value::String(s) => (3u8, s).hash(h),
            serde_json::Value::Array(a) => {
                (4u8, a.len()).hash(h);
                a.iter().for_each(|x| walk(x, h));
            }
            serde_json::Value::Object(m) => {
                (5u8, m.len()).hash(h);
                for (k, x) in m {
                    k.hash(h);
                    walk(x, h);
                }
            }
        }
    }
    let mut h = digest_hasher();
    walk(v, &mut h);
    h.finish()
}

pub(crate) fn digest(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = digest_hasher();
    s.hash(&mut h);
    h.finish()
}

/// Digests only need to agree within this process (they key in-memory caches), so a fast hash with a per-process
/// seed does: a client cannot aim for a collision it cannot compute.
fn digest_hasher() -> foldhash::fast::FoldHasher<'static> {
    use std::hash::BuildHasher;
    static STATE: std::sync::OnceLock<foldhash::fast::RandomState> = std::sync::OnceLock::new();
    STATE
        .get_or_init(foldhash::fast::RandomState::default)
        .build_hasher()
}

/// The Activity objects in a statement that carry a definition: the object, context activities, and the same in a
/// SubStatement.
pub(crate) fn defined_activities(statement: &serde_json::Value) -> Vec<(&str, &serde_json::Value)> {
    fn walk<'a>(s: &'a serde_json::Value, out: &mut Vec<(&'a str, &'a serde_json::Value)>) {
        let mut push = |a: &'a serde_json::Value| {
            if let (Some(id), Some(def)) =
                (a.get("id").and_then(|v| v.as_str()), a.get("definition"))
            {
                out.push((id, def));
            }
        };
        if let Some(o) = s.get("object") {
            match o.get("objectType").and_then(|v| v.as_str()) {
                None | Some("Activity") => push(o),
                _ => {}
            }
        }
        if let Some(ca) = s
            .get("context")
            .and_then(|c| c.get("contextActivities"))
            .and_then(|c| c.as_object())
        {
            for list in ca.values() {
                match list {
                    serde_json::Value::Array(items) => items.iter().for_each(&mut push),
                    one => push(one),
                }
            }
        }
        if let Some(o) = s
            .get("object")
            .filter(|o| o.get("objectType").and_then(|v| v.as_str()) == Some("SubStatement"))
        {
            walk(o, out);
        }
    }
    let mut out = Vec::new();
    walk(statement, &mut out);
    out
}

/// Statement writes' SQL, for one backend (expanded by `impl_lrs_store!`).
macro_rules! statements_sql {
    ($store:ident, $db:ty, $backend:expr) => {
        mod statements {
            use super::*;

            impl $store {
                /// Ids for keys of one kind (agents, activities or verbs), creating rows for new ones, whose stored
                /// object is the one given (or, for an activity, just its id). Returns the ids and which keys are new.
                async fn lrs_ids<'k>(
                    &self,
                    tx: &mut Tx<'_>,
                    org: OrgId,
                    kind: u8,
                    keys: &BTreeMap<&'k str, Option<&serde_json::Value>>,
                    writes: &mut CacheWrites,
                ) -> Result<(HashMap<&'k str, i64>, HashSet<&'k str>)> {
                    let mut out: HashMap<&'k str, i64> = HashMap::with_capacity(keys.len());
                    let mut created: HashSet<&'k str> = HashSet::new();
                    let mut missing: Vec<(&'k str, String)> = Vec::new();
                    // The caller's own key for a key the database returned.
                    let ours = |k: &str| keys.get_key_value(k).map(|(k, _)| *k);
                    for (&k, object) in keys {
                        match self.lrs_ids.get(org.0, kind, k) {
                            Some(id) => { out.insert(k, id); }
                            None => {
                                // Serialised only for keys this process has not seen: most statements name known ones.
                                let json = match (kind, object) {
                                    (AGENT, Some(o)) => o.to_string(),
                                    (AGENT, None) => "null".to_owned(),
                                    (ACTIVITY, _) => lantern_xapi::activity_object(k, None).to_string(),
                                    _ => String::new(),
                                };
                                missing.push((k, json));
                            }
                        }
                    }
                    let (table, key_col, json_col) = match kind {
                        AGENT => ("xapi_agents", "ifi", Some("agent_json")),
                        ACTIVITY => ("xapi_activities", "iri", Some("activity_json")),
                        _ => ("xapi_verbs", "iri", None),
                    };
                    for chunk in missing.chunks(CHUNK) {
                        let mut q: QueryBuilder<$db> = QueryBuilder::new(format!("{INSERT} {table} (org_id, {key_col}"));
                        if let Some(c) = json_col {
                            q.push(format!(", {c}"));
                        }
                        q.push(") ");
                        q.push_values(chunk, |mut b, (k, j)| {
                            b.push_bind(org.0).push_bind(*k);
                            if json_col.is_some() {
                                b.push_bind(j.as_str());
                            }
                        });
                        q.push(format!(" ON CONFLICT (org_id, {key_col}) DO NOTHING RETURNING id, {key_col} AS k"));
                        for r in q.build().fetch_all(&mut **tx).await? {
                            let (id, k): (i64, String) = (r.try_get("id")?, r.try_get("k")?);
                            let Some(key) = ours(&k) else { continue };
                            writes.id(org.0, kind, k, id);
                            created.insert(key);
                            out.insert(key, id);
                        }
                        // Those another writer created first (or this process forgot).
                        let known: Vec<&str> = chunk.iter().map(|(k, _)| *k).filter(|k| !out.contains_key(k)).collect();
                        if known.is_empty() {
                            continue;
                        }
                        let mut s: QueryBuilder<$db> =
                            QueryBuilder::new(format!("SELECT id, {key_col} AS k FROM {table} WHERE org_id = "));
                        s.push_bind(org.0).push(format!(" AND {key_col} IN ("));
                        let mut sep = s.separated(", ");
                        for k in known {
                            sep.push_bind(k);
                        }
                        s.push(")");
                        for r in s.build().fetch_all(&mut **tx).await? {
                            let (id, k): (i64, String) = (r.try_get("id")?, r.try_get("k")?);
                            let Some(key) = ours(&k) else { continue };
                            writes.id(org.0, kind, k, id);
                            out.insert(key, id);
                        }
                    }
                    Ok((out, created))
                }

                /// Stores one request's statements in the group's transaction (or a savepoint of it, when the group is redone).
                /// Refusals come before any write, so `JobError::Refused` leaves the transaction as it was.
                #[allow(clippy::too_many_arguments)]
                pub(super) async fn store_one(
                    &self,
                    tx: &mut Tx<'_>,
                    org: OrgId,
                    credential: i64,
                    statements: &mut [Prepared],
                    serialised: &[Serialised],
                    attachments: &[AttachmentPayload],
                    home_page: &str,
                    stored: Timestamp,
                    writes: &mut CacheWrites,
                ) -> Result<StoreOutcome, JobError> {
                    let ids: Vec<uuid::Uuid> = statements.iter().map(|p| p.id).collect();
                    let stored_text = lantern_xapi::format_timestamp(stored);
                    // Statements that came without a timestamp were given `stored` as theirs; they get the new one.
                    // Only the index learns it: the JSON's markers are filled in as it is bound, and nothing after
                    // this reads `stored` or a defaulted `timestamp` from the parsed statement.
                    let mut defaulted: HashSet<uuid::Uuid> = HashSet::new();
                    let mut texts: HashMap<uuid::Uuid, &Serialised> = HashMap::with_capacity(statements.len());
                    for (p, ser) in statements.iter_mut().zip(serialised) {
                        if ser.defaulted {
                            p.index.timestamp = stored;
                            defaulted.insert(p.id);
                        }
                        p.index.stored = stored;
                        texts.insert(p.id, ser);
                    }

                    // Ids already stored: the same statement again is accepted and changes nothing; a different one
                    // under the same id is a conflict (Communication 2.1.1/2.1.2).
                    let mut existing: HashMap<uuid::Uuid, (String, bool)> = HashMap::new();
                    let mut wanted: Vec<uuid::Uuid> = ids.clone();
                    wanted.extend(statements.iter().filter_map(|p| p.index.voids));
                    wanted.sort();
                    wanted.dedup();
                    for chunk in wanted.chunks(CHUNK) {
                        let mut q: QueryBuilder<$db> = QueryBuilder::new("SELECT id, statement_json, voids FROM xapi_statements WHERE org_id = ");
                        q.push_bind(org.0).push(" AND id IN (");
                        let mut sep = q.separated(", ");
                        for id in chunk {
                            sep.push_bind(id.as_bytes().to_vec());
                        }
                        q.push(")");
                        for r in q.build().fetch_all(&mut **tx).await? {
                            let id: Vec<u8> = r.try_get("id")?;
                            existing.insert(uuid_of(&id)?, (r.try_get("statement_json")?, r.try_get("voids")?));
                        }
                    }
                    let mut new: Vec<&Prepared> = Vec::new();
                    for p in statements.iter() {
                        match ids.iter().any(|i| *i == p.id).then(|| existing.get(&p.id)).flatten() {
                            Some((json, _)) => {
                                let old: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
                                // A timestamp the LRS supplied is not part of what the client sent.
                                let mut sent = p.statement.clone();
                                if defaulted.contains(&p.id) {
                                    if let Some(m) = sent.as_object_mut() {
                                        m.remove("timestamp");
                                    }
                                }
                                if !lantern_xapi::same_statement(&old, &sent) {
                                    return Err(JobError::Refused(LrsError::Conflict(format!(
                                        "statement {} is already stored with different content; statements cannot be changed",
                                        p.id
                                    ))));
                                }
                            }
                            None => new.push(p),
                        }
                    }
                    // A voiding statement cannot itself be voided (Data 2.3.2).
                    for p in &new {
                        if let Some(target) = p.index.voids {
                            let target_voids = existing.get(&target).map(|(_, v)| *v).unwrap_or(false)
                                || statements.iter().any(|s| s.id == target && s.index.voids.is_some());
                            if target_voids {
                                return Err(JobError::Refused(LrsError::Invalid(format!(
                                    "statement {} voids {target}, which is itself a voiding statement: a voiding statement cannot be voided",
                                    p.id
                                ))));
                            }
                        }
                    }
                    if new.is_empty() {
                        return Ok(StoreOutcome { ids, ..StoreOutcome::default() });
                    }

                    // Agents (with the object last seen as actor or object), activities and verbs, by number.
                    let mut agents: BTreeMap<&str, Option<&serde_json::Value>> = BTreeMap::new();
                    let mut activities: BTreeMap<&str, Option<&serde_json::Value>> = BTreeMap::new();
                    let mut verbs: BTreeMap<&str, Option<&serde_json::Value>> = BTreeMap::new();
                    for p in &new {
                        let ix = &p.index;
                        agents.insert(&ix.actor.0, p.statement.get("actor"));
                        if let Some(k) = &ix.object_agent {
                            agents.insert(&k.0, p.statement.get("object"));
                        }
                        for k in ix.agents.iter().chain(&ix.related_agents) {
                            agents.entry(&k.0).or_insert(None);
                        }
                        for a in ix.object_activity.iter().chain(&ix.related_activities) {
                            activities.entry(a).or_insert(None);
                        }
                        verbs.insert(&ix.verb, None);
                    }
                    let (agent_ids, new_agents) = self.lrs_ids(tx, org, AGENT, &agents, writes).await?;
                    let (activity_ids, _) = self.lrs_ids(tx, org, ACTIVITY, &activities, writes).await?;
                    let (verb_ids, _) = self.lrs_ids(tx, org, VERB, &verbs, writes).await?;
                    // The Agents resource shows the latest object seen for an identifier: rewritten only when it
                    // differs from what this process last wrote (new rows were written with it just now).
                    for (k, object) in agents.iter().filter_map(|(k, o)| o.map(|o| (k, o))) {
                        let id = agent_ids[k];
                        let d = value_digest(object);
                        if new_agents.contains(k) {
                            writes.digest(AGENT, id, d);
                        } else if !self.lrs_ids.agent_json_is(id, d) {
                            let json = object.to_string();
                            sqlx::query("UPDATE xapi_agents SET agent_json = $1 WHERE id = $2 AND agent_json <> $1")
                                .bind(&json).bind(id).execute(&mut **tx).await?;
                            writes.digest(AGENT, id, d);
                        }
                    }

                    // The statements, then what they relate to.
                    let mut seqs: HashMap<uuid::Uuid, i64> = HashMap::with_capacity(new.len());
                    for chunk in new.chunks(CHUNK) {
                        let mut q: QueryBuilder<$db> = QueryBuilder::new(format!(
                            "{INSERT} xapi_statements (org_id, id, stored_us, timestamp_us, actor_id, verb_id, \
                             object_activity_id, object_agent_id, statement_ref, registration, voids, statement_json, credential_id) ",
                        ));
                        q.push_values(chunk, |mut b, p| {
                            let ix = &p.index;
                            b.push_bind(org.0)
                                .push_bind(p.id.as_bytes().to_vec())
                                .push_bind(micros(ix.stored))
                                .push_bind(micros(ix.timestamp))
                                .push_bind(agent_ids[ix.actor.0.as_str()])
                                .push_bind(verb_ids[ix.verb.as_str()])
                                .push_bind(ix.object_activity.as_ref().map(|a| activity_ids[a.as_str()]))
                                .push_bind(ix.object_agent.as_ref().map(|a| agent_ids[a.0.as_str()]))
                                .push_bind(ix.statement_ref.map(|u| u.as_bytes().to_vec()))
                                .push_bind(ix.registration.map(|u| u.as_bytes().to_vec()))
                                .push_bind(ix.voids.is_some())
                                .push_bind(filled(texts[&p.id], &stored_text))
                                .push_bind(credential);
                        });
                        q.push(" RETURNING seq, id");
                        for r in q.build().fetch_all(&mut **tx).await? {
                            let id: Vec<u8> = r.try_get("id")?;
                            seqs.insert(uuid_of(&id)?, r.try_get("seq")?);
                        }
                    }
                    let mut agent_rows: Vec<(i64, i64, bool)> = Vec::new();
                    let mut activity_rows: Vec<(i64, i64, bool)> = Vec::new();
                    for p in &new {
                        let seq = seqs[&p.id];
                        let ix = &p.index;
                        let mut direct: BTreeMap<i64, bool> = BTreeMap::new();
                        for k in &ix.related_agents {
                            direct.insert(agent_ids[k.0.as_str()], false);
                        }
                        for k in &ix.agents {
                            direct.insert(agent_ids[k.0.as_str()], true);
                        }
                        agent_rows.extend(direct.into_iter().map(|(a, d)| (a, seq, d)));
                        let mut direct: BTreeMap<i64, bool> = BTreeMap::new();
                        for a in &ix.related_activities {
                            direct.insert(activity_ids[a.as_str()], false);
                        }
                        if let Some(a) = &ix.object_activity {
                            direct.insert(activity_ids[a.as_str()], true);
                        }
                        activity_rows.extend(direct.into_iter().map(|(a, d)| (a, seq, d)));
                    }
                    for (table, col, rows) in [
                        ("xapi_statement_agents", "agent_id", &agent_rows),
                        ("xapi_statement_activities", "activity_id", &activity_rows),
                    ] {
                        for chunk in rows.chunks(CHUNK) {
                            let mut q: QueryBuilder<$db> = QueryBuilder::new(format!("{INSERT} {table} ({col}, seq, direct) "));
                            q.push_values(chunk, |mut b, (id, seq, d)| {
                                b.push_bind(*id).push_bind(*seq).push_bind(*d);
                            });
                            q.build().execute(&mut **tx).await?;
                        }
                    }
                    for p in &new {
                        if let Some(target) = p.index.voids {
                            sqlx::query(
                                "INSERT INTO xapi_voided (org_id, target_id, voided_by_seq) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                            )
                            .bind(org.0).bind(target.as_bytes().to_vec()).bind(seqs[&p.id])
                            .execute(&mut **tx).await?;
                        }
                    }
                    for a in attachments {
                        sqlx::query(
                            "INSERT INTO xapi_attachments (org_id, sha2, content_type, content) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(org.0).bind(&a.sha2).bind(&a.content_type).bind(&a.content)
                        .execute(&mut **tx).await?;
                    }
                    self.merge_definitions(tx, &activity_ids, statements, writes).await?;
                    let (records_created, records_withdrawn) =
                        self.feed_compliance(tx, org, credential, &new, home_page, stored).await?;
                    let stored_count = new.len();
                    Ok(StoreOutcome { ids, stored: stored_count, records_created, records_withdrawn })
                }

                /// Activities' canonical objects: each definition seen is merged into what was known.
                async fn merge_definitions(
                    &self,
                    tx: &mut Tx<'_>,
                    activity_ids: &HashMap<&str, i64>,
                    statements: &[Prepared],
                    writes: &mut CacheWrites,
                ) -> Result<()> {
                    let mut seen: HashSet<(i64, u64)> = HashSet::new();
                    for p in statements {
                        for (iri, def) in defined_activities(&p.statement) {
                            let Some(&id) = activity_ids.get(iri) else { continue };
                            let d = value_digest(def);
                            // The same definition as last merged (the usual case: content sends it every time).
                            if !seen.insert((id, d)) || self.lrs_ids.definition_is(id, d) {
                                continue;
                            }
                            let known: String = sqlx::query_scalar("SELECT activity_json FROM xapi_activities WHERE id = $1")
                                .bind(id).fetch_one(&mut **tx).await?;
                            let known_digest = digest(&known);
                            let known: serde_json::Value = serde_json::from_str(&known).unwrap_or_default();
                            let merged = lantern_xapi::merge_activity_definition(known.get("definition"), def);
                            let object = lantern_xapi::activity_object(iri, Some(&merged)).to_string();
                            if digest(&object) != known_digest {
                                sqlx::query("UPDATE xapi_activities SET activity_json = $1 WHERE id = $2")
                                    .bind(&object).bind(id).execute(&mut **tx).await?;
                            }
                            writes.digest(ACTIVITY, id, d);
                        }
                    }
                    Ok(())
                }
            }
        }
    };
}

pub(crate) use statements_sql;

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(statement: serde_json::Value) -> Prepared {
        let ctx = lantern_xapi::PrepareContext {
            new_id: uuid::Uuid::nil(),
            stored: chrono::Utc::now(),
            authority: lantern_xapi::Authority::new(
                serde_json::json!({"account": {"homePage": "https://lantern.test/xapi", "name": "k"}}),
            )
            .unwrap(),
        };
        lantern_xapi::prepare(statement, lantern_xapi::Version::V1_0_3, &ctx).unwrap()
    }

    #[test]
    fn stored_and_a_supplied_timestamp_are_filled_in_after_serialising() {
        let mut p = prepared(serde_json::json!({
            "actor": {"mbox": "mailto:a@example.com", "name": "lantern-stored- in a name"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "https://example.com/course/1"}
        }));
        let s = serialise(&mut p);
        assert!(s.defaulted);
        let text = "2026-12-02T01:02:03.004Z";
        let stored: serde_json::Value = serde_json::from_str(&filled(&s, text)).unwrap();
        assert_eq!(stored["stored"], text);
        assert_eq!(stored["timestamp"], text);
        assert_eq!(stored["actor"]["name"], "lantern-stored- in a name");

        let mut p = prepared(serde_json::json!({
            "actor": {"mbox": "mailto:a@example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "https://example.com/course/1"},
            "timestamp": "2026-11-30T09:00:00Z"
        }));
        let s = serialise(&mut p);
        assert!(!s.defaulted);
        let stored: serde_json::Value = serde_json::from_str(&filled(&s, text)).unwrap();
        assert_eq!(stored["stored"], text);
        assert_eq!(stored["timestamp"], "2026-11-30T09:00:00Z");
    }
}
