//! Storage for the built-in xAPI Learning Record Store: client credentials, statements (immutable; voiding is a
//! separate fact), their query indexes, attachments, documents, the mappings that turn statements into training
//! records, and erasure.
//!
//! One LRS per organisation: every method takes the organisation, and every row carries it.
//!
//! Writes of statements are serialised per organisation (SQLite has one writer; PostgreSQL takes an advisory lock on
//! the organisation), so `stored` times and storage order agree, `since`/`until` become storage-order bounds, and a
//! client that polls with `since` never misses a statement committed late. A batch is one transaction: statements,
//! index rows, attachments, voiding and the training records they feed are all written, or none.

use crate::{Result, StoreError};
use async_trait::async_trait;
use lantern_domain::xapi_mapping::StatementOutcome;
use lantern_domain::{AccountId, OrgId, PersonId, RecordId, Timestamp};
use lantern_xapi::{Prepared, Version};

/// A client application's credential (the key half of HTTP Basic; the secret is stored hashed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LrsCredential {
    pub id: i64,
    pub org: OrgId,
    pub name: String,
    pub api_key: String,
    pub can_write: bool,
    /// The xAPI version the client speaks, chosen when the credential is made: what the LRS announces when one of
    /// its requests names no version it can use.
    pub default_version: Version,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A credential to make. The secret itself is never stored, only its hash.
#[derive(Clone, Debug)]
pub struct NewLrsCredential<'a> {
    pub org: OrgId,
    pub name: &'a str,
    pub api_key: &'a str,
    pub secret_hash: &'a str,
    pub can_write: bool,
    pub default_version: Version,
}

/// An attachment's bytes, from a multipart request.
#[derive(Clone, Debug)]
pub struct AttachmentPayload {
    pub sha2: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Why a write or read of the LRS was refused.
#[derive(Debug, thiserror::Error)]
pub enum LrsError {
    /// A statement id already stored with different content (xAPI: 409 Conflict).
    #[error("{0}")]
    Conflict(String),
    /// A rule the store checks, such as voiding a voiding statement (400).
    #[error("{0}")]
    Invalid(String),
    /// A document's If-Match / If-None-Match precondition failed (412).
    #[error("{0}")]
    PreconditionFailed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for LrsError {
    fn from(e: sqlx::Error) -> Self {
        LrsError::Store(StoreError::Database(e))
    }
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

/// A stored statement.
#[derive(Clone, Debug)]
pub struct StoredStatement {
    pub seq: i64,
    /// As stored: the "exact" format.
    pub json: String,
    pub stored: Timestamp,
    pub voided: bool,
    /// SHA-2 hashes of its attachments, for `attachments=true`.
    pub attachment_hashes: Vec<String>,
}

/// The filters of GET /xapi/statements (Communication 2.1.3), resolved to what the store matches.
#[derive(Clone, Debug, Default)]
pub struct StatementQuery {
    /// The `agent` filter, as an agent key (`AgentKey`).
    pub agent: Option<String>,
    pub verb: Option<String>,
    pub activity: Option<String>,
    pub registration: Option<uuid::Uuid>,
    pub related_activities: bool,
    pub related_agents: bool,
    /// Only statements stored after this instant.
    pub since: Option<Timestamp>,
    /// Only statements stored at or before this instant.
    pub until: Option<Timestamp>,
    pub ascending: bool,
    /// At most this many (the store's own ceiling applies).
    pub limit: usize,
    /// Continue after this storage position (a `more` link).
    pub after_seq: Option<i64>,
    /// Stop at this storage position: a `more` link keeps the result set it started with (nothing newer joins it).
    pub through_seq: Option<i64>,
}

/// One page of a query.
#[derive(Clone, Debug, Default)]
pub struct StatementPage {
    pub statements: Vec<StoredStatement>,
    /// Set when there are more: continue with `after_seq` = the last statement's seq.
    pub more: bool,
    /// The highest storage position when the query ran (for `through_seq` in the `more` link).
    pub through_seq: i64,
}

/// The three document resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    State,
    ActivityProfile,
    AgentProfile,
}

impl DocumentKind {
    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::State => "state",
            DocumentKind::ActivityProfile => "activity_profile",
            DocumentKind::AgentProfile => "agent_profile",
        }
    }
}

/// Where a document lives. Absent parts are empty strings (an agent profile has no activity, and so on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentKey {
    pub kind: DocumentKind,
    pub activity: String,
    /// The agent's key (`AgentKey`).
    pub agent: String,
    pub registration: String,
    pub id: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub content_type: String,
    pub content: Vec<u8>,
    /// The quoted entity tag: the SHA-1 of the content in hex (Communication 3.1).
    pub etag: String,
    pub updated: Timestamp,
}

/// How a write of a document is conditioned (Communication 3.1, concurrency).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Precondition {
    /// If-Match: the stored document's etag must be one of these (or "*": any document must exist).
    pub if_match: Option<Vec<String>>,
    /// If-None-Match: *: no document may exist.
    pub if_none_match_any: bool,
    /// If-None-Match with entity tags: the stored document's etag must be none of these.
    pub if_none_match: Vec<String>,
    /// Replacing an existing document needs If-Match or If-None-Match (the profile resources' PUT, Communication
    /// 3.1): without either, 409.
    pub required: bool,
}

impl Precondition {
    fn given(&self) -> bool {
        self.if_match.is_some() || self.if_none_match_any || !self.if_none_match.is_empty()
    }
}

/// How a document write combines with what is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentWrite {
    /// PUT: replace.
    Replace,
    /// POST: when both are JSON objects, merge top-level properties; otherwise it is an error (400).
    Merge,
}

/// A mapping that turns statements into training records: the rules are the domain's.
pub use lantern_domain::xapi_mapping::XapiMapping;

/// A training record an xAPI statement became, for the admin's page.
#[derive(Clone, Debug, PartialEq)]
pub struct FedRecord {
    pub statement_id: uuid::Uuid,
    pub record_id: RecordId,
    pub person: PersonId,
    pub subject: String,
    pub level: u8,
    pub completed_on: lantern_domain::Date,
    pub withdrawn: bool,
}

/// What an erasure changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErasureOutcome {
    /// The keys that now stand where the person's identifiers were.
    pub pseudonyms: Vec<String>,
    pub statements: u64,
    pub documents: u64,
}

/// An erasure as the record of it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErasureRecord {
    pub pseudonyms: Vec<String>,
    pub statements: i64,
    pub documents: i64,
    pub erased_at: Timestamp,
    pub reason: String,
    pub erased_by: Option<String>,
}

#[async_trait]
pub trait LrsStore: Send + Sync {
    async fn create_lrs_credential(
        &self,
        new: &NewLrsCredential<'_>,
        now: Timestamp,
    ) -> Result<LrsCredential>;
    /// The credential with this key and its secret's hash, revoked or not (the caller refuses revoked ones).
    async fn lrs_credential(&self, api_key: &str) -> Result<Option<(LrsCredential, String)>>;
    async fn lrs_credentials(&self, org: OrgId) -> Result<Vec<LrsCredential>>;
    /// Revokes a credential of the organisation; false when there is no such live credential.
    async fn revoke_lrs_credential(&self, org: OrgId, id: i64, now: Timestamp) -> Result<bool>;

    /// Stores prepared statements all-or-nothing, durably, with their attachments; applies voiding and the
    /// organisation's mappings in the same transaction. `stored` is set here, under the organisation's write lock.
    /// `home_page` is Lantern's public URL: actors with an account there are people by employee number.
    async fn store_statements(
        &self,
        org: OrgId,
        credential: i64,
        statements: Vec<Prepared>,
        attachments: &[AttachmentPayload],
        home_page: &str,
    ) -> Result<StoreOutcome, LrsError>;
    /// One statement by id: `voided` false finds it only when not voided (statementId), true only when voided
    /// (voidedStatementId).
    async fn statement(
        &self,
        org: OrgId,
        id: uuid::Uuid,
        voided: bool,
    ) -> Result<Option<StoredStatement>>;
    async fn query_statements(&self, org: OrgId, q: &StatementQuery) -> Result<StatementPage>;
    /// How many statements the organisation's LRS holds (voided ones included).
    async fn statement_count(&self, org: OrgId) -> Result<i64>;
    /// Attachment payloads by hash.
    async fn attachments(&self, org: OrgId, sha2: &[String]) -> Result<Vec<AttachmentPayload>>;
    /// The canonical Activity object, if the activity has been seen.
    async fn activity(&self, org: OrgId, iri: &str) -> Result<Option<String>>;
    /// The Agent or Group objects last seen with this key (for the Person object).
    async fn agent_objects(&self, org: OrgId, key: &str) -> Result<Vec<String>>;

    async fn document(&self, org: OrgId, key: &DocumentKey) -> Result<Option<Document>>;
    /// Ids of the documents under (kind, activity, agent, and the registration if one is given), optionally only those
    /// updated after `since`.
    async fn document_ids(
        &self,
        org: OrgId,
        key: &DocumentKey,
        since: Option<Timestamp>,
    ) -> Result<Vec<String>>;
    async fn write_document(
        &self,
        org: OrgId,
        key: &DocumentKey,
        content_type: &str,
        content: &[u8],
        how: DocumentWrite,
        pre: &Precondition,
    ) -> Result<Document, LrsError>;
    /// Deletes one document (`key.id` set) or, for state, every document under the key (`key.id` empty).
    async fn delete_documents(
        &self,
        org: OrgId,
        key: &DocumentKey,
        pre: &Precondition,
    ) -> Result<u64, LrsError>;

    async fn xapi_mappings(&self, org: OrgId) -> Result<Vec<XapiMapping>>;
    async fn create_xapi_mapping(&self, m: &XapiMapping, by: Option<AccountId>) -> Result<i64>;
    async fn retire_xapi_mapping(&self, org: OrgId, id: i64, now: Timestamp) -> Result<bool>;
    /// The most recent training records fed by statements.
    async fn fed_records(&self, org: OrgId, limit: i64) -> Result<Vec<FedRecord>>;

    /// Replaces a person's identifiers (agent keys: their email as mbox and as mbox_sha1sum, their Lantern account)
    /// with pseudonyms in every statement and document of the organisation, in one transaction, and records that it
    /// happened: when, by whom, why and how much, never what the identifiers were.
    async fn erase_agents(
        &self,
        org: OrgId,
        keys: &[String],
        by: Option<AccountId>,
        reason: &str,
        now: Timestamp,
    ) -> Result<ErasureOutcome>;
    /// The organisation's erasures, newest first.
    async fn xapi_erasures(&self, org: OrgId) -> Result<Vec<ErasureRecord>>;
}

/// Microseconds since 1970 for a time, as the statements table stores it.
pub(crate) fn micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> Timestamp {
    chrono::DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// The entity tag of a document: the SHA-1 of its content in hex, quoted (Communication 3.1).
pub fn document_etag(content: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    format!("\"{}\"", hex::encode(Sha1::digest(content)))
}

/// Whether a write may go ahead given what is stored (Communication 3.1: 412 when a precondition fails).
pub(crate) fn check_precondition(
    pre: &Precondition,
    current: Option<&str>,
) -> std::result::Result<(), LrsError> {
    if let Some(tags) = &pre.if_match {
        let ok = match current {
            Some(etag) => tags.iter().any(|t| t == "*" || t == etag),
            None => false,
        };
        if !ok {
            return Err(LrsError::PreconditionFailed(match current {
                Some(_) => "If-Match does not match the document's current ETag: it changed since you read it".into(),
                None => "If-Match was given but there is no such document".into(),
            }));
        }
    }
    if pre.if_none_match_any && current.is_some() {
        return Err(LrsError::PreconditionFailed(
            "If-None-Match: * was given but the document already exists".into(),
        ));
    }
    if let Some(etag) = current.filter(|e| pre.if_none_match.iter().any(|t| t == e)) {
        return Err(LrsError::PreconditionFailed(format!(
            "If-None-Match names the document's current ETag {etag}"
        )));
    }
    if pre.required && !pre.given() && current.is_some() {
        return Err(LrsError::Conflict(
            "the document exists: send If-Match with its ETag (or If-None-Match: *) so that nobody's change is lost"
                .into(),
        ));
    }
    Ok(())
}

/// What a statement says that a mapping looks at, for the domain's rules.
pub(crate) fn outcome_of(p: &Prepared) -> StatementOutcome<'_> {
    let result = lantern_xapi::result_facts(&p.statement);
    StatementOutcome {
        verb: &p.index.verb,
        activity: p.index.object_activity.as_deref(),
        success: result.success,
        scaled: result.scaled,
        duration: result.duration,
        timestamp: p.index.timestamp,
    }
}

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

    #[test]
    fn preconditions_follow_the_etags() {
        let pre = |m: Option<&[&str]>, none: bool| Precondition {
            if_match: m.map(|t| t.iter().map(|s| s.to_string()).collect()),
            if_none_match_any: none,
            ..Precondition::default()
        };
        assert!(check_precondition(&pre(Some(&["\"a\""]), false), Some("\"a\"")).is_ok());
        assert!(check_precondition(&pre(Some(&["\"b\""]), false), Some("\"a\"")).is_err());
        assert!(check_precondition(&pre(Some(&["*"]), false), Some("\"a\"")).is_ok());
        assert!(check_precondition(&pre(Some(&["*"]), false), None).is_err());
        assert!(check_precondition(&pre(None, true), Some("\"a\"")).is_err());
        assert!(check_precondition(&pre(None, true), None).is_ok());
        assert!(check_precondition(&pre(None, false), Some("\"a\"")).is_ok());
        let required = Precondition {
            required: true,
            ..Precondition::default()
        };
        assert!(
            matches!(
                check_precondition(&required, Some("\"a\"")),
                Err(LrsError::Conflict(_))
            ),
            "PUT over a profile unconditionally"
        );
        assert!(
            check_precondition(&required, None).is_ok(),
            "a first PUT needs no precondition"
        );
        let not_this = Precondition {
            if_none_match: vec!["\"a\"".into()],
            ..Precondition::default()
        };
        assert!(check_precondition(&not_this, Some("\"a\"")).is_err());
        assert!(check_precondition(&not_this, Some("\"b\"")).is_ok());
        assert_eq!(
            document_etag(b"abc"),
            "\"a9993e364706816aba3e25717850c26c9cd0d89d\""
        );
    }
}

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

/// Requests written in one transaction, at most: enough to amortise the commit, few enough to answer promptly.
pub(crate) const GROUP_STATEMENTS: usize = 5_000;

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

macro_rules! impl_lrs_store {
    ($store:ident, $db:ty, $backend:expr) => {
        mod lrs_store {
            use super::$store;
            use crate::batch::{RecordRow, SupersessionRow, WriteBatch};
            use crate::lrs::*;
            use crate::{Backend, Result, StoreError};
            use async_trait::async_trait;
            use lantern_domain::{AccountId, OrgId, OrgType, PersonId, RecordId, RecordSource, Timestamp};
            use lantern_domain::xapi_mapping::{Learner, MappedRecord, learner, mapped_record, provider_type_of, withdrawal_reason};
            use lantern_xapi::Prepared;
            use sqlx::{QueryBuilder, Row};
            use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
            use std::collections::{BTreeMap, BTreeSet};

            type DbRow = <$db as sqlx::Database>::Row;
            type Tx<'c> = sqlx::Transaction<'c, $db>;

            /// Rows per multi-row INSERT, well inside both backends' limits on bound parameters.
            const CHUNK: usize = 500;
            /// How the writer's multi-row INSERTs begin. On SQLite, `OR FAIL`: a statement inside a transaction that
            /// writes many rows and may abort part-way (any constraint that aborts) gets a statement journal, a copy
            /// in memory of every page it first changes, allocated and freed each time; with FAIL (and no foreign-key
            /// checks on the writer's connection, see `SqliteStore::open`) it needs none. Nothing is lost: on any
            /// error the writer rolls back the whole group, or the request's savepoint.
            const INSERT: &str = match $backend {
                Backend::Sqlite => "INSERT OR FAIL INTO",
                Backend::Postgres => "INSERT INTO",
            };

            fn uuid_of(bytes: &[u8]) -> Result<uuid::Uuid> {
                uuid::Uuid::from_slice(bytes).map_err(|e| StoreError::Corrupt { column: "xapi uuid", message: e.to_string() })
            }

            fn credential_from_row(r: &DbRow) -> Result<LrsCredential> {
                Ok(LrsCredential {
                    id: r.try_get("id")?,
                    org: OrgId(r.try_get("org_id")?),
                    name: r.try_get("name")?,
                    api_key: r.try_get("api_key")?,
                    can_write: r.try_get("can_write")?,
                    default_version: {
                        let v: String = r.try_get("default_version")?;
                        lantern_xapi::Version::named(&v).ok_or_else(|| StoreError::Corrupt {
                            column: "lrs_credentials.default_version",
                            message: format!("{v:?} is not an xAPI version this LRS speaks"),
                        })?
                    },
                    created_at: r.try_get("created_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            }

            fn mapping_from_row(r: &DbRow) -> Result<XapiMapping> {
                let level: i64 = r.try_get("level")?;
                Ok(XapiMapping {
                    id: r.try_get("id")?,
                    org: OrgId(r.try_get("org_id")?),
                    activity: r.try_get("activity")?,
                    subject: r.try_get("subject")?,
                    level: u8::try_from(level).unwrap_or(u8::MAX),
                    verbs: r.try_get::<String, _>("verbs")?.split_whitespace().map(str::to_owned).collect(),
                    require_success: r.try_get("require_success")?,
                    min_scaled_score: r.try_get("min_scaled_score")?,
                    hours: r.try_get("hours")?,
                    created_at: r.try_get("created_at")?,
                    retired_at: r.try_get("retired_at")?,
                })
            }

            fn statement_from_row(r: &DbRow) -> Result<StoredStatement> {
                let json: String = r.try_get("statement_json")?;
                let attachment_hashes = attachment_hashes(&json);
                Ok(StoredStatement {
                    seq: r.try_get("seq")?,
                    stored: from_micros(r.try_get("stored_us")?),
                    voided: r.try_get("voided")?,
                    json,
                    attachment_hashes,
                })
            }

            /// The sha2 of each attachment of a stored statement (and of a SubStatement's).
            fn attachment_hashes(json: &str) -> Vec<String> {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else { return Vec::new() };
                let mut out = Vec::new();
                for s in [Some(&v), v.get("object")].into_iter().flatten() {
                    if let Some(list) = s.get("attachments").and_then(|a| a.as_array()) {
                        out.extend(list.iter().filter_map(|a| a.get("sha2")?.as_str().map(str::to_owned)));
                    }
                }
                out
            }

            impl $store {
                /// A write transaction that holds the organisation's LRS write lock: SQLite's one writer from the
                /// start (BEGIN IMMEDIATE, so a read-then-write cannot fail to upgrade), PostgreSQL's advisory lock.
                async fn lrs_write_tx(&self, orgs: &[OrgId]) -> Result<Tx<'_>> {
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
                async fn store_one(
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

                /// The people actors name (by email or Lantern account), among those with a post in the organisation.
                async fn actor_people(
                    &self,
                    tx: &mut Tx<'_>,
                    org: OrgId,
                    keys: &BTreeSet<&lantern_xapi::AgentKey>,
                    home_page: &str,
                ) -> Result<HashMap<String, (PersonId, String)>> {
                    let mut emails: HashMap<String, &str> = HashMap::new();
                    let mut numbers: HashMap<&str, &str> = HashMap::new();
                    for k in keys {
                        match learner(k.mbox(), k.account(), home_page) {
                            Some(Learner::Email(e)) => { emails.insert(e, k.as_str()); }
                            Some(Learner::EmployeeNumber(n)) => { numbers.insert(n, k.as_str()); }
                            None => {}
                        }
                    }
                    let mut out = HashMap::new();
                    if emails.is_empty() && numbers.is_empty() {
                        return Ok(out);
                    }
                    let mut q: QueryBuilder<$db> = QueryBuilder::new(
                        "SELECT DISTINCT p.id, p.employee_number, LOWER(p.email) AS email FROM people p \
                         JOIN posts x ON x.person_id = p.id WHERE x.org_id = ",
                    );
                    q.push_bind(org.0).push(" AND (LOWER(p.email) IN (");
                    let mut sep = q.separated(", ");
                    sep.push_bind("");
                    for e in emails.keys() {
                        sep.push_bind(e.as_str());
                    }
                    q.push(") OR p.employee_number IN (");
                    let mut sep = q.separated(", ");
                    sep.push_bind("");
                    for n in numbers.keys() {
                        sep.push_bind(*n);
                    }
                    q.push("))");
                    for r in q.build().fetch_all(&mut **tx).await? {
                        let id = PersonId(r.try_get("id")?);
                        let number: String = r.try_get("employee_number")?;
                        let email: Option<String> = r.try_get("email")?;
                        if let Some(k) = email.as_deref().and_then(|e| emails.get(e)) {
                            out.insert((*k).to_owned(), (id, number.clone()));
                        }
                        if let Some(k) = numbers.get(number.as_str()) {
                            out.insert((*k).to_owned(), (id, number.clone()));
                        }
                    }
                    Ok(out)
                }

                /// Training records for the new statements that meet a mapping, and withdrawals for voided ones,
                /// written through the one batch path (so the compliance view hears of them as of any write).
                async fn feed_compliance(
                    &self,
                    tx: &mut Tx<'_>,
                    org: OrgId,
                    credential: i64,
                    new: &[&Prepared],
                    home_page: &str,
                    now: Timestamp,
                ) -> Result<(usize, usize)> {
                    // In the order they were made: the first a statement meets is the one it counts under.
                    let mappings: Vec<XapiMapping> = sqlx::query("SELECT * FROM xapi_mappings WHERE org_id = $1 AND retired_at IS NULL ORDER BY id")
                        .bind(org.0).fetch_all(&mut **tx).await?
                        .iter().map(mapping_from_row).collect::<Result<_>>()?;
                    let voided: Vec<uuid::Uuid> = new.iter().filter_map(|p| p.index.voids).collect();
                    if mappings.is_empty() && voided.is_empty() {
                        return Ok((0, 0));
                    }
                    let ods: String = sqlx::query_scalar("SELECT ods_code FROM organisations WHERE id = $1")
                        .bind(org.0).fetch_one(&mut **tx).await?;
                    let org_type: String = sqlx::query_scalar("SELECT org_type FROM organisations WHERE id = $1")
                        .bind(org.0).fetch_one(&mut **tx).await?;
                    let provider_type = provider_type_of(OrgType::parse(&org_type).unwrap_or(OrgType::NhsTrust));
                    let provider: String = sqlx::query_scalar("SELECT name FROM lrs_credentials WHERE id = $1")
                        .bind(credential).fetch_one(&mut **tx).await?;
                    let hits: Vec<(&Prepared, MappedRecord)> = new
                        .iter()
                        .filter(|p| p.index.voids.is_none())
                        .filter_map(|p| mapped_record(&mappings, &outcome_of(p)).map(|m| (*p, m)))
                        .collect();
                    let actors: BTreeSet<&lantern_xapi::AgentKey> = hits.iter().map(|(p, _)| &p.index.actor).collect();
                    let people = self.actor_people(tx, org, &actors, home_page).await?;
                    let mut batch = WriteBatch { only_org: Some(ods), recorded_at: Some(now), ..WriteBatch::default() };
                    let mut fed: Vec<(uuid::Uuid, String)> = Vec::new();
                    for (p, m) in &hits {
                        let Some((_, number)) = people.get(p.index.actor.as_str()) else { continue };
                        let row = RecordRow {
                            line: batch.records.len() + 1,
                            employee_number: number.clone(),
                            subject: m.subject.clone(),
                            level: m.level,
                            completed_on: m.completed_on,
                            hours: m.hours,
                            provider: provider.clone(),
                            provider_type,
                            provider_org: batch.only_org.clone(),
                            source: RecordSource::Xapi,
                            evidence_ref: Some(format!("xAPI statement {}", p.id)),
                            recorded_at: None,
                        };
                        fed.push((p.id, row.content_key()));
                        batch.records.push(row);
                    }
                    // Voided statements withdraw the records they became (superseded, never deleted).
                    let mut withdrawn = 0;
                    for target in &voided {
                        let ids: Vec<i64> = sqlx::query_scalar(
                            "SELECT r.record_id FROM xapi_statement_records r WHERE r.org_id = $1 AND r.statement_id = $2 \
                             AND NOT EXISTS (SELECT 1 FROM record_supersessions s WHERE s.record_id = r.record_id)",
                        )
                        .bind(org.0).bind(target.as_bytes().to_vec()).fetch_all(&mut **tx).await?;
                        for id in ids {
                            batch.supersessions.push(SupersessionRow {
                                record_id: RecordId(id),
                                replaced_by: None,
                                reason: withdrawal_reason(target),
                            });
                            withdrawn += 1;
                        }
                    }
                    if batch.is_empty() {
                        return Ok((0, 0));
                    }
                    let outcome = self.write_tx(tx, &batch).await?;
                    for (statement, key) in fed {
                        sqlx::query(
                            "INSERT INTO xapi_statement_records (org_id, statement_id, record_id) \
                             SELECT $1, $2, id FROM training_records WHERE content_key = $3 ON CONFLICT DO NOTHING",
                        )
                        .bind(org.0).bind(statement.as_bytes().to_vec()).bind(key)
                        .execute(&mut **tx).await?;
                    }
                    Ok((usize::try_from(outcome.records_created).unwrap_or(0), withdrawn))
                }
            }

            /// The direct filters of a query on the statement aliased `a`: verb, agent, activity, registration.
            fn push_direct(q: &mut QueryBuilder<$db>, a: &str, f: &Resolved, related_agents: bool, related_activities: bool) {
                if let Some(v) = f.verb {
                    q.push(format!(" AND {a}.verb_id = ")).push_bind(v);
                }
                if let Some(ag) = f.agent {
                    q.push(format!(" AND EXISTS (SELECT 1 FROM xapi_statement_agents x WHERE x.agent_id = "))
                        .push_bind(ag)
                        .push(format!(" AND x.seq = {a}.seq"));
                    if !related_agents {
                        q.push(" AND x.direct");
                    }
                    q.push(")");
                }
                if let Some(ac) = f.activity {
                    q.push(format!(" AND EXISTS (SELECT 1 FROM xapi_statement_activities y WHERE y.activity_id = "))
                        .push_bind(ac)
                        .push(format!(" AND y.seq = {a}.seq"));
                    if !related_activities {
                        q.push(" AND y.direct");
                    }
                    q.push(")");
                }
                if let Some(r) = &f.registration {
                    q.push(format!(" AND {a}.registration = ")).push_bind(r.clone());
                }
            }

            /// Storage-order bounds on the statement aliased `a`.
            fn push_bounds(q: &mut QueryBuilder<$db>, a: &str, lo: Option<i64>, hi: Option<i64>) {
                if let Some(lo) = lo {
                    q.push(format!(" AND {a}.seq >= ")).push_bind(lo);
                }
                if let Some(hi) = hi {
                    q.push(format!(" AND {a}.seq <= ")).push_bind(hi);
                }
            }

            /// A query's filters as ids.
            struct Resolved {
                verb: Option<i64>,
                agent: Option<i64>,
                activity: Option<i64>,
                registration: Option<Vec<u8>>,
            }

            impl Resolved {
                fn any(&self) -> bool {
                    self.verb.is_some() || self.agent.is_some() || self.activity.is_some() || self.registration.is_some()
                }
            }

            /// The largest page the LRS returns (`limit=0` or none asks for this).
            const MAX_PAGE: usize = 500;

            const SELECT_STATEMENT: &str = "SELECT s.seq, s.statement_json, s.stored_us, \
                 EXISTS (SELECT 1 FROM xapi_voided v WHERE v.org_id = s.org_id AND v.target_id = s.id) AS voided \
                 FROM xapi_statements s";

            #[async_trait]
            impl LrsStore for $store {
                async fn create_lrs_credential(&self, new: &NewLrsCredential<'_>, now: Timestamp) -> Result<LrsCredential> {
                    let r = sqlx::query(
                        "INSERT INTO lrs_credentials (org_id, name, api_key, secret_hash, can_write, default_version, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
                    )
                    .bind(new.org.0).bind(new.name).bind(new.api_key).bind(new.secret_hash).bind(new.can_write)
                    .bind(new.default_version.as_str()).bind(now)
                    .fetch_one(&self.pool).await?;
                    credential_from_row(&r)
                }

                async fn lrs_credential(&self, api_key: &str) -> Result<Option<(LrsCredential, String)>> {
                    let Some(r) = sqlx::query("SELECT * FROM lrs_credentials WHERE api_key = $1")
                        .bind(api_key).fetch_optional(&self.pool).await? else { return Ok(None) };
                    Ok(Some((credential_from_row(&r)?, r.try_get("secret_hash")?)))
                }

                async fn lrs_credentials(&self, org: OrgId) -> Result<Vec<LrsCredential>> {
                    sqlx::query("SELECT * FROM lrs_credentials WHERE org_id = $1 ORDER BY revoked_at IS NOT NULL, name, id")
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(credential_from_row).collect()
                }

                async fn revoke_lrs_credential(&self, org: OrgId, id: i64, now: Timestamp) -> Result<bool> {
                    let res = sqlx::query("UPDATE lrs_credentials SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL")
                        .bind(now).bind(org.0).bind(id).execute(&self.pool).await?;
                    Ok(res.rows_affected() > 0)
                }

                async fn store_statements(
                    &self,
                    org: OrgId,
                    credential: i64,
                    statements: Vec<Prepared>,
                    attachments: &[AttachmentPayload],
                    home_page: &str,
                ) -> Result<StoreOutcome, LrsError> {
                    let (reply, mut answer) = tokio::sync::oneshot::channel();
                    let mut statements = statements;
                    let serialised: Vec<Serialised> = statements.iter_mut().map(serialise).collect();
                    self.lrs_writer.queue.lock().expect("write queue").push(Job {
                        org,
                        credential,
                        statements,
                        serialised,
                        attachments: attachments.to_vec(),
                        home_page: home_page.to_owned(),
                        reply,
                    });
                    // Whoever holds the turn writes everything queued, this request's included if it came in time.
                    let turn = self.lrs_writer.turn.lock().await;
                    if let Ok(done) = answer.try_recv() {
                        return done;
                    }
                    loop {
                        let group: Vec<Job> = {
                            let mut queue = self.lrs_writer.queue.lock().expect("write queue");
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
                        self.write_group(group).await;
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

                async fn statement(&self, org: OrgId, id: uuid::Uuid, voided: bool) -> Result<Option<StoredStatement>> {
                    let r = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_STATEMENT} WHERE s.org_id = $1 AND s.id = $2")))
                        .bind(org.0).bind(id.as_bytes().to_vec())
                        .fetch_optional(&self.pool).await?;
                    match r {
                        Some(r) => {
                            let s = statement_from_row(&r)?;
                            Ok((s.voided == voided).then_some(s))
                        }
                        None => Ok(None),
                    }
                }

                async fn query_statements(&self, org: OrgId, q: &StatementQuery) -> Result<StatementPage> {
                    let limit = match q.limit { 0 => MAX_PAGE, n => n.min(MAX_PAGE) };
                    let top: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM xapi_statements WHERE org_id = $1")
                        .bind(org.0).fetch_one(&self.pool).await?;
                    let through = q.through_seq.or(top).unwrap_or(0);
                    let mut page = StatementPage { through_seq: through, ..StatementPage::default() };
                    let Some(_) = top else { return Ok(page) };
                    let lookup = |kind: u8, key: &Option<String>| {
                        let key = key.clone();
                        async move {
                            let Some(key) = key else { return Ok::<_, StoreError>(Some(None)) };
                            if let Some(id) = self.lrs_ids.get(org.0, kind, &key) {
                                return Ok(Some(Some(id)));
                            }
                            let sql = match kind {
                                AGENT => "SELECT id FROM xapi_agents WHERE org_id = $1 AND ifi = $2",
                                ACTIVITY => "SELECT id FROM xapi_activities WHERE org_id = $1 AND iri = $2",
                                _ => "SELECT id FROM xapi_verbs WHERE org_id = $1 AND iri = $2",
                            };
                            let id: Option<i64> = sqlx::query_scalar(sql).bind(org.0).bind(&key).fetch_optional(&self.pool).await?;
                            Ok(id.map(Some))
                        }
                    };
                    // A filter naming something never seen matches nothing.
                    let (Some(verb), Some(agent), Some(activity)) = (
                        lookup(VERB, &q.verb).await?,
                        lookup(AGENT, &q.agent).await?,
                        lookup(ACTIVITY, &q.activity).await?,
                    ) else {
                        return Ok(page);
                    };
                    let f = Resolved { verb, agent, activity, registration: q.registration.map(|r| r.as_bytes().to_vec()) };

                    // since/until are on `stored`, which rises with storage order: turn them into seq bounds.
                    let mut lo: Option<i64> = None;
                    let mut hi: Option<i64> = Some(through);
                    if let Some(since) = q.since {
                        let s: Option<i64> = sqlx::query_scalar("SELECT MIN(seq) FROM xapi_statements WHERE org_id = $1 AND stored_us > $2")
                            .bind(org.0).bind(micros(since)).fetch_one(&self.pool).await?;
                        match s { Some(s) => lo = Some(s), None => return Ok(page) }
                    }
                    if let Some(until) = q.until {
                        let u: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM xapi_statements WHERE org_id = $1 AND stored_us <= $2")
                            .bind(org.0).bind(micros(until)).fetch_one(&self.pool).await?;
                        match u { Some(u) => hi = Some(hi.map_or(u, |h| h.min(u))), None => return Ok(page) }
                    }
                    if let Some(after) = q.after_seq {
                        if q.ascending { lo = Some(lo.map_or(after + 1, |l| l.max(after + 1))) } else { hi = Some(hi.map_or(after - 1, |h| h.min(after - 1))) }
                    }
                    let order = if q.ascending { "ASC" } else { "DESC" };
                    let want = i64::try_from(limit + 1).unwrap_or(i64::MAX);

                    // Statements that meet the filters themselves, driven from the most selective index.
                    let mut a: QueryBuilder<$db> = QueryBuilder::new("SELECT s.seq FROM ");
                    // Order by the driving index's own column, so the planner walks it newest-first and stops at the
                    // limit (ordering by the joined table's seq made SQLite scan statements and probe instead).
                    let by = if f.agent.is_some() || f.activity.is_some() { "d.seq" } else { "s.seq" };
                    match (f.agent, f.activity) {
                        (Some(ag), _) => {
                            a.push("xapi_statement_agents d JOIN xapi_statements s ON s.seq = d.seq WHERE d.agent_id = ").push_bind(ag);
                            if !q.related_agents { a.push(" AND d.direct"); }
                            a.push(" AND s.org_id = ").push_bind(org.0);
                            let rest = Resolved { verb: f.verb, agent: None, activity: f.activity, registration: f.registration.clone() };
                            push_direct(&mut a, "s", &rest, q.related_agents, q.related_activities);
                        }
                        (None, Some(ac)) => {
                            a.push("xapi_statement_activities d JOIN xapi_statements s ON s.seq = d.seq WHERE d.activity_id = ").push_bind(ac);
                            if !q.related_activities { a.push(" AND d.direct"); }
                            a.push(" AND s.org_id = ").push_bind(org.0);
                            let rest = Resolved { verb: f.verb, agent: None, activity: None, registration: f.registration.clone() };
                            push_direct(&mut a, "s", &rest, q.related_agents, q.related_activities);
                        }
                        (None, None) => {
                            a.push("xapi_statements s WHERE s.org_id = ").push_bind(org.0);
                            push_direct(&mut a, "s", &f, q.related_agents, q.related_activities);
                        }
                    }
                    push_bounds(&mut a, if by == "d.seq" { "d" } else { "s" }, lo, hi);
                    a.push(" AND NOT EXISTS (SELECT 1 FROM xapi_voided v WHERE v.org_id = s.org_id AND v.target_id = s.id)");
                    a.push(format!(" ORDER BY {by} {order} LIMIT ")).push_bind(want);
                    let mut hits: BTreeSet<i64> = a.build_query_scalar::<i64>().fetch_all(&self.pool).await?.into_iter().collect();

                    // Statements whose StatementRef object leads (through any chain of StatementRefs) to a statement that
                    // meets the filters also meet them; time and order bounds apply to the targeting statement itself
                    // (Communication 2.1.3, "Filter Conditions for StatementRefs").
                    if f.any() {
                        let mut b: QueryBuilder<$db> = QueryBuilder::new("WITH RECURSIVE chain(seq, target) AS (SELECT t.seq, t.statement_ref FROM xapi_statements t WHERE t.org_id = ");
                        b.push_bind(org.0).push(" AND t.statement_ref IS NOT NULL");
                        push_bounds(&mut b, "t", lo, hi);
                        b.push(" AND NOT EXISTS (SELECT 1 FROM xapi_voided v WHERE v.org_id = t.org_id AND v.target_id = t.id)");
                        b.push(" UNION SELECT c.seq, n.statement_ref FROM chain c JOIN xapi_statements n ON n.org_id = ").push_bind(org.0);
                        // A correlated EXISTS, so each target is looked up by id: as a join, SQLite chose to scan every
                        // statement of the organisation against a Bloom filter of the targets.
                        b.push(" AND n.id = c.target WHERE n.statement_ref IS NOT NULL) \
                                 SELECT DISTINCT c.seq FROM chain c WHERE EXISTS (SELECT 1 FROM xapi_statements s WHERE s.org_id = ").push_bind(org.0);
                        b.push(" AND s.id = c.target");
                        push_direct(&mut b, "s", &f, q.related_agents, q.related_activities);
                        b.push(")");
                        hits.extend(b.build_query_scalar::<i64>().fetch_all(&self.pool).await?);
                    }
                    let mut ordered: Vec<i64> = hits.into_iter().collect();
                    if !q.ascending { ordered.reverse(); }
                    page.more = ordered.len() > limit;
                    ordered.truncate(limit);
                    if ordered.is_empty() {
                        return Ok(page);
                    }
                    let mut r: QueryBuilder<$db> = QueryBuilder::new(format!("{SELECT_STATEMENT} WHERE s.seq IN ("));
                    let mut sep = r.separated(", ");
                    for s in &ordered { sep.push_bind(*s); }
                    r.push(format!(") ORDER BY s.seq {order}"));
                    page.statements = r.build().fetch_all(&self.pool).await?.iter().map(statement_from_row).collect::<Result<_>>()?;
                    Ok(page)
                }

                async fn statement_count(&self, org: OrgId) -> Result<i64> {
                    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM xapi_statements WHERE org_id = $1")
                        .bind(org.0).fetch_one(&self.pool).await?)
                }

                async fn attachments(&self, org: OrgId, sha2: &[String]) -> Result<Vec<AttachmentPayload>> {
                    if sha2.is_empty() { return Ok(Vec::new()) }
                    let mut q: QueryBuilder<$db> = QueryBuilder::new("SELECT sha2, content_type, content FROM xapi_attachments WHERE org_id = ");
                    q.push_bind(org.0).push(" AND sha2 IN (");
                    let mut sep = q.separated(", ");
                    for h in sha2 { sep.push_bind(h.as_str()); }
                    q.push(")");
                    q.build().fetch_all(&self.pool).await?.iter().map(|r| Ok(AttachmentPayload {
                        sha2: r.try_get("sha2")?, content_type: r.try_get("content_type")?, content: r.try_get("content")?,
                    })).collect()
                }

                async fn activity(&self, org: OrgId, iri: &str) -> Result<Option<String>> {
                    Ok(sqlx::query_scalar("SELECT activity_json FROM xapi_activities WHERE org_id = $1 AND iri = $2")
                        .bind(org.0).bind(iri).fetch_optional(&self.pool).await?)
                }

                async fn agent_objects(&self, org: OrgId, key: &str) -> Result<Vec<String>> {
                    Ok(sqlx::query_scalar("SELECT agent_json FROM xapi_agents WHERE org_id = $1 AND ifi = $2 AND agent_json <> 'null'")
                        .bind(org.0).bind(key).fetch_all(&self.pool).await?)
                }

                async fn document(&self, org: OrgId, key: &DocumentKey) -> Result<Option<Document>> {
                    let r = sqlx::query(
                        "SELECT content_type, content, etag, updated_us FROM xapi_documents WHERE org_id = $1 AND kind = $2 \
                         AND activity_iri = $3 AND agent_ifi = $4 AND registration = $5 AND doc_id = $6",
                    )
                    .bind(org.0).bind(key.kind.code()).bind(&key.activity).bind(&key.agent).bind(&key.registration).bind(&key.id)
                    .fetch_optional(&self.pool).await?;
                    r.map(|r| Ok(Document {
                        content_type: r.try_get("content_type")?,
                        content: r.try_get("content")?,
                        etag: r.try_get("etag")?,
                        updated: from_micros(r.try_get("updated_us")?),
                    })).transpose()
                }

                async fn document_ids(&self, org: OrgId, key: &DocumentKey, since: Option<Timestamp>) -> Result<Vec<String>> {
                    // Without a registration, the ids under every registration (as DELETE without one removes them all).
                    Ok(sqlx::query_scalar(
                        "SELECT DISTINCT doc_id FROM xapi_documents WHERE org_id = $1 AND kind = $2 AND activity_iri = $3 \
                         AND agent_ifi = $4 AND ($5 = '' OR registration = $5) AND updated_us > $6 ORDER BY doc_id",
                    )
                    .bind(org.0).bind(key.kind.code()).bind(&key.activity).bind(&key.agent).bind(&key.registration)
                    .bind(since.map_or(i64::MIN, micros))
                    .fetch_all(&self.pool).await?)
                }

                async fn write_document(&self, org: OrgId, key: &DocumentKey, content_type: &str, content: &[u8], how: DocumentWrite, pre: &Precondition) -> Result<Document, LrsError> {
                    let mut tx = self.lrs_write_tx(&[org]).await?;
                    let current = sqlx::query(
                        "SELECT content_type, content, etag FROM xapi_documents WHERE org_id = $1 AND kind = $2 \
                         AND activity_iri = $3 AND agent_ifi = $4 AND registration = $5 AND doc_id = $6",
                    )
                    .bind(org.0).bind(key.kind.code()).bind(&key.activity).bind(&key.agent).bind(&key.registration).bind(&key.id)
                    .fetch_optional(&mut *tx).await?;
                    let current_etag: Option<String> = current.as_ref().map(|r| r.try_get("etag")).transpose()?;
                    check_precondition(pre, current_etag.as_deref())?;
                    let is_json = |ct: &str| ct.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
                    let (content_type, content): (String, Vec<u8>) = match (how, &current) {
                        (DocumentWrite::Merge, Some(r)) => {
                            let old_ct: String = r.try_get("content_type")?;
                            let old: Vec<u8> = r.try_get("content")?;
                            if !is_json(&old_ct) || !is_json(content_type) {
                                return Err(LrsError::Invalid(
                                    "POST merges JSON documents only: the stored document or this one is not application/json; use PUT to replace it".into(),
                                ));
                            }
                            let merged = lantern_xapi::merge_json_document(&old, content).map_err(|e| LrsError::Invalid(e.to_string()))?;
                            (old_ct, merged)
                        }
                        (DocumentWrite::Merge, None) if is_json(content_type) => {
                            // A first POST must still be a JSON object, as a later merge would need.
                            lantern_xapi::merge_json_document(b"{}", content).map_err(|e| LrsError::Invalid(e.to_string()))?;
                            (content_type.to_owned(), content.to_vec())
                        }
                        _ => (content_type.to_owned(), content.to_vec()),
                    };
                    let etag = document_etag(&content);
                    let now = chrono::Utc::now();
                    sqlx::query(
                        "INSERT INTO xapi_documents (org_id, kind, activity_iri, agent_ifi, registration, doc_id, content_type, content, etag, updated_us) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                         ON CONFLICT (org_id, kind, activity_iri, agent_ifi, registration, doc_id) DO UPDATE SET \
                         content_type = excluded.content_type, content = excluded.content, etag = excluded.etag, updated_us = excluded.updated_us",
                    )
                    .bind(org.0).bind(key.kind.code()).bind(&key.activity).bind(&key.agent).bind(&key.registration).bind(&key.id)
                    .bind(&content_type).bind(&content).bind(&etag).bind(micros(now))
                    .execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(Document { content_type, content, etag, updated: from_micros(micros(now)) })
                }

                async fn delete_documents(&self, org: OrgId, key: &DocumentKey, pre: &Precondition) -> Result<u64, LrsError> {
                    let mut tx = self.lrs_write_tx(&[org]).await?;
                    let mut q: QueryBuilder<$db> = QueryBuilder::new("DELETE FROM xapi_documents WHERE org_id = ");
                    q.push_bind(org.0).push(" AND kind = ").push_bind(key.kind.code())
                        .push(" AND activity_iri = ").push_bind(key.activity.as_str())
                        .push(" AND agent_ifi = ").push_bind(key.agent.as_str());
                    if key.kind == DocumentKind::State && key.id.is_empty() {
                        // Every state document of the agent in the activity; with a registration, only that one's.
                        if !key.registration.is_empty() {
                            q.push(" AND registration = ").push_bind(key.registration.as_str());
                        }
                    } else {
                        let current: Option<String> = sqlx::query_scalar(
                            "SELECT etag FROM xapi_documents WHERE org_id = $1 AND kind = $2 AND activity_iri = $3 \
                             AND agent_ifi = $4 AND registration = $5 AND doc_id = $6",
                        )
                        .bind(org.0).bind(key.kind.code()).bind(&key.activity).bind(&key.agent).bind(&key.registration).bind(&key.id)
                        .fetch_optional(&mut *tx).await?;
                        check_precondition(pre, current.as_deref())?;
                        q.push(" AND registration = ").push_bind(key.registration.as_str())
                            .push(" AND doc_id = ").push_bind(key.id.as_str());
                    }
                    let n = q.build().execute(&mut *tx).await?.rows_affected();
                    tx.commit().await?;
                    Ok(n)
                }

                async fn xapi_mappings(&self, org: OrgId) -> Result<Vec<XapiMapping>> {
                    sqlx::query("SELECT * FROM xapi_mappings WHERE org_id = $1 ORDER BY retired_at IS NOT NULL, activity, id")
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(mapping_from_row).collect()
                }

                async fn create_xapi_mapping(&self, m: &XapiMapping, by: Option<AccountId>) -> Result<i64> {
                    Ok(sqlx::query_scalar(
                        "INSERT INTO xapi_mappings (org_id, activity, subject, level, verbs, require_success, min_scaled_score, hours, created_at, created_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                    )
                    .bind(m.org.0).bind(&m.activity).bind(&m.subject).bind(i64::from(m.level)).bind(m.verbs.join(" "))
                    .bind(m.require_success).bind(m.min_scaled_score).bind(m.hours).bind(m.created_at).bind(by.map(|a| a.0))
                    .fetch_one(&self.pool).await?)
                }

                async fn retire_xapi_mapping(&self, org: OrgId, id: i64, now: Timestamp) -> Result<bool> {
                    let res = sqlx::query("UPDATE xapi_mappings SET retired_at = $1 WHERE org_id = $2 AND id = $3 AND retired_at IS NULL")
                        .bind(now).bind(org.0).bind(id).execute(&self.pool).await?;
                    Ok(res.rows_affected() > 0)
                }

                async fn fed_records(&self, org: OrgId, limit: i64) -> Result<Vec<FedRecord>> {
                    let rows = sqlx::query(
                        "SELECT x.statement_id, r.id, r.person_id, r.subject, CAST(r.level AS BIGINT) AS level, r.completed_on, \
                         EXISTS (SELECT 1 FROM record_supersessions s WHERE s.record_id = r.id) AS withdrawn \
                         FROM xapi_statement_records x JOIN training_records r ON r.id = x.record_id \
                         WHERE x.org_id = $1 ORDER BY r.id DESC LIMIT $2",
                    )
                    .bind(org.0).bind(limit).fetch_all(&self.pool).await?;
                    rows.iter().map(|r| {
                        let sid: Vec<u8> = r.try_get("statement_id")?;
                        let level: i64 = r.try_get("level")?;
                        Ok(FedRecord {
                            statement_id: uuid_of(&sid)?,
                            record_id: RecordId(r.try_get("id")?),
                            person: PersonId(r.try_get("person_id")?),
                            subject: r.try_get("subject")?,
                            level: u8::try_from(level).unwrap_or(u8::MAX),
                            completed_on: r.try_get("completed_on")?,
                            withdrawn: r.try_get("withdrawn")?,
                        })
                    }).collect()
                }

                async fn erase_agents(&self, org: OrgId, keys: &[String], by: Option<AccountId>, reason: &str, now: Timestamp) -> Result<ErasureOutcome> {
                    let mut tx = self.lrs_write_tx(&[org]).await?;
                    let erasure = uuid::Uuid::from_u128(u128::from_le_bytes(rand_bytes()));
                    let (mut statements, mut documents) = (0u64, 0u64);
                    let mut pseudonyms = Vec::new();
                    for (i, key) in keys.iter().enumerate() {
                        // One pseudonym per identifier (each is a row of its own), all from the one erasure.
                        let pseudonym_name = if keys.len() == 1 { format!("erased-{erasure}") } else { format!("erased-{erasure}-{}", i + 1) };
                        let pseudonym_object = serde_json::json!({
                            "objectType": "Agent",
                            "account": { "homePage": ERASED_HOME_PAGE, "name": pseudonym_name },
                        });
                        let pseudonym_key = format!("account:{ERASED_HOME_PAGE}|{pseudonym_name}");
                        let agent: Option<i64> = sqlx::query_scalar("SELECT id FROM xapi_agents WHERE org_id = $1 AND ifi = $2")
                            .bind(org.0).bind(key).fetch_optional(&mut *tx).await?;
                        if let Some(agent) = agent {
                            let rows = sqlx::query(
                                "SELECT s.seq, s.statement_json FROM xapi_statement_agents a JOIN xapi_statements s ON s.seq = a.seq \
                                 WHERE a.agent_id = $1",
                            )
                            .bind(agent).fetch_all(&mut *tx).await?;
                            for r in rows {
                                let seq: i64 = r.try_get("seq")?;
                                let json: String = r.try_get("statement_json")?;
                                let mut v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
                                if pseudonymise(&mut v, key, &pseudonym_object) {
                                    sqlx::query("UPDATE xapi_statements SET statement_json = $1 WHERE seq = $2")
                                        .bind(v.to_string()).bind(seq).execute(&mut *tx).await?;
                                    statements += 1;
                                }
                            }
                            sqlx::query("UPDATE xapi_agents SET ifi = $1, agent_json = $2 WHERE id = $3")
                                .bind(&pseudonym_key).bind(pseudonym_object.to_string()).bind(agent).execute(&mut *tx).await?;
                        }
                        documents += sqlx::query("UPDATE xapi_documents SET agent_ifi = $1 WHERE org_id = $2 AND agent_ifi = $3")
                            .bind(&pseudonym_key).bind(org.0).bind(key).execute(&mut *tx).await?.rows_affected();
                        if agent.is_some() || documents > 0 {
                            pseudonyms.push(pseudonym_key);
                        }
                    }
                    sqlx::query(
                        "INSERT INTO xapi_erasures (org_id, pseudonym, statements, documents, erased_by, erased_at, reason) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(org.0).bind(pseudonyms.join(" ")).bind(i64::try_from(statements).unwrap_or(i64::MAX))
                    .bind(i64::try_from(documents).unwrap_or(i64::MAX)).bind(by.map(|a| a.0)).bind(now).bind(reason)
                    .execute(&mut *tx).await?;
                    tx.commit().await?;
                    for key in keys {
                        self.lrs_ids.forget(org.0, AGENT, key);
                    }
                    Ok(ErasureOutcome { pseudonyms, statements, documents })
                }

                async fn xapi_erasures(&self, org: OrgId) -> Result<Vec<ErasureRecord>> {
                    let rows = sqlx::query(
                        "SELECT e.pseudonym, e.statements, e.documents, e.erased_at, e.reason, a.display_name \
                         FROM xapi_erasures e LEFT JOIN accounts a ON a.id = e.erased_by WHERE e.org_id = $1 ORDER BY e.id DESC",
                    )
                    .bind(org.0).fetch_all(&self.pool).await?;
                    rows.iter().map(|r| Ok(ErasureRecord {
                        pseudonyms: r.try_get::<String, _>("pseudonym")?.split_whitespace().map(str::to_owned).collect(),
                        statements: r.try_get("statements")?,
                        documents: r.try_get("documents")?,
                        erased_at: r.try_get("erased_at")?,
                        reason: r.try_get("reason")?,
                        erased_by: r.try_get("display_name")?,
                    })).collect()
                }
            }

            fn rand_bytes() -> [u8; 16] {
                let mut b = [0u8; 16];
                getrandom::fill(&mut b).expect("the operating system's random source works");
                b
            }
        }
    };
}

pub(crate) use impl_lrs_store;

/// The home page of erased identities' pseudonymous accounts.
pub const ERASED_HOME_PAGE: &str = "https://lantern.invalid/erased";

/// Replaces every Agent or Group object identified by `key` in a statement with the pseudonym (its name and every
/// identifier go; members of a Group that is itself erased stay as they are). True when anything changed.
pub(crate) fn pseudonymise(
    v: &mut serde_json::Value,
    key: &str,
    pseudonym: &serde_json::Value,
) -> bool {
    match v {
        serde_json::Value::Object(m) => {
            let has_ifi = ["mbox", "mbox_sha1sum", "openid", "account"]
                .iter()
                .any(|k| m.contains_key(*k));
            if has_ifi
                && lantern_xapi::agent_key(&serde_json::Value::Object(m.clone()))
                    .is_ok_and(|k| k.0 == key)
            {
                let is_group = m.get("objectType").and_then(|t| t.as_str()) == Some("Group");
                for k in ["name", "mbox", "mbox_sha1sum", "openid", "account"] {
                    m.remove(k);
                }
                if let Some(p) = pseudonym.as_object() {
                    for (k, val) in p {
                        if !(is_group && k == "objectType") {
                            m.insert(k.clone(), val.clone());
                        }
                    }
                }
                return true;
            }
            let mut changed = false;
            for (_, child) in m.iter_mut() {
                changed |= pseudonymise(child, key, pseudonym);
            }
            changed
        }
        serde_json::Value::Array(items) => {
            let mut changed = false;
            for child in items {
                changed |= pseudonymise(child, key, pseudonym);
            }
            changed
        }
        _ => false,
    }
}
