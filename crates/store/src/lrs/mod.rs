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
//!
//! By part: `credentials.rs`, `statements.rs` (writes), `writer.rs` (the group commit and the write lock),
//! `ids.rs` (the id cache), `queries.rs`, `documents.rs`, `mappings.rs` (statements that become training records) and
//! `erasure.rs`. Each part's SQL is a macro that [`impl_lrs_store!`] expands once per backend, in a module of the
//! same name; [`LrsStore`]'s methods below hand over to them.

mod credentials;
mod documents;
mod erasure;
mod ids;
mod mappings;
mod queries;
mod statements;
mod writer;

use crate::{Result, StoreError};
use async_trait::async_trait;
use lantern_domain::{AccountId, OrgId, Timestamp};
use lantern_xapi::Prepared;

pub use credentials::{LrsCredential, NewLrsCredential};
pub use documents::{
    Document, DocumentKey, DocumentKind, DocumentWrite, Precondition, document_etag,
};
pub use erasure::{ERASED_HOME_PAGE, ErasureOutcome, ErasureRecord};
pub use mappings::{FedRecord, XapiMapping};
pub use queries::{StatementPage, StatementQuery, StoredStatement};
pub use statements::{AttachmentPayload, StoreOutcome};

// What the backends' expansion of `impl_lrs_store!` uses from the parts.
pub(crate) use credentials::credentials_sql;
pub(crate) use documents::{check_precondition, documents_sql};
pub(crate) use erasure::{erasure_sql, pseudonymise};
pub(crate) use ids::{ACTIVITY, AGENT, CacheWrites, IdCache, VERB};
pub(crate) use mappings::{is_cmi5, mappings_sql, outcome_of};
pub(crate) use queries::queries_sql;
pub(crate) use statements::{
    Serialised, defined_activities, digest, filled, serialise, statements_sql, value_digest,
};
pub(crate) use writer::{GROUP_STATEMENTS, GroupError, Job, JobError, Writer, writer_sql};

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

/// The LRS for one backend: the parts' SQL, each in a module of its own, and [`LrsStore`] handing over to them.
macro_rules! impl_lrs_store {
    ($store:ident, $db:ty, $backend:expr) => {
        mod lrs_store {
            use super::$store;
            use crate::batch::{RecordRow, SupersessionRow, WriteBatch};
            use crate::lrs::*;
            use crate::{Backend, Result, StoreError};
            use async_trait::async_trait;
            use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
            use lantern_domain::xapi_mapping::{
                Learner, MappedRecord, learner, mapped_record, provider_type_of, withdrawal_reason,
            };
            use lantern_domain::{
                AccountId, OrgId, OrgType, PersonId, RecordId, RecordSource, Timestamp,
            };
            use lantern_xapi::Prepared;
            use sqlx::{QueryBuilder, Row};
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
                uuid::Uuid::from_slice(bytes).map_err(|e| StoreError::Corrupt {
                    column: "xapi uuid",
                    message: e.to_string(),
                })
            }

            crate::lrs::credentials_sql!($store, $db, $backend);
            crate::lrs::statements_sql!($store, $db, $backend);
            crate::lrs::writer_sql!($store, $db, $backend);
            crate::lrs::queries_sql!($store, $db, $backend);
            crate::lrs::documents_sql!($store, $db, $backend);
            crate::lrs::mappings_sql!($store, $db, $backend);
            crate::lrs::erasure_sql!($store, $db, $backend);

            #[async_trait]
            impl LrsStore for $store {
                async fn create_lrs_credential(
                    &self,
                    new: &NewLrsCredential<'_>,
                    now: Timestamp,
                ) -> Result<LrsCredential> {
                    credentials::create_lrs_credential(self, new, now).await
                }

                async fn lrs_credential(
                    &self,
                    api_key: &str,
                ) -> Result<Option<(LrsCredential, String)>> {
                    credentials::lrs_credential(self, api_key).await
                }

                async fn lrs_credentials(&self, org: OrgId) -> Result<Vec<LrsCredential>> {
                    credentials::lrs_credentials(self, org).await
                }

                async fn revoke_lrs_credential(
                    &self,
                    org: OrgId,
                    id: i64,
                    now: Timestamp,
                ) -> Result<bool> {
                    credentials::revoke_lrs_credential(self, org, id, now).await
                }

                async fn store_statements(
                    &self,
                    org: OrgId,
                    credential: i64,
                    statements: Vec<Prepared>,
                    attachments: &[AttachmentPayload],
                    home_page: &str,
                ) -> Result<StoreOutcome, LrsError> {
                    writer::store_statements(
                        self,
                        org,
                        credential,
                        statements,
                        attachments,
                        home_page,
                    )
                    .await
                }

                async fn statement(
                    &self,
                    org: OrgId,
                    id: uuid::Uuid,
                    voided: bool,
                ) -> Result<Option<StoredStatement>> {
                    queries::statement(self, org, id, voided).await
                }

                async fn query_statements(
                    &self,
                    org: OrgId,
                    q: &StatementQuery,
                ) -> Result<StatementPage> {
                    queries::query_statements(self, org, q).await
                }

                async fn statement_count(&self, org: OrgId) -> Result<i64> {
                    queries::statement_count(self, org).await
                }

                async fn attachments(
                    &self,
                    org: OrgId,
                    sha2: &[String],
                ) -> Result<Vec<AttachmentPayload>> {
                    queries::attachments(self, org, sha2).await
                }

                async fn activity(&self, org: OrgId, iri: &str) -> Result<Option<String>> {
                    queries::activity(self, org, iri).await
                }

                async fn agent_objects(&self, org: OrgId, key: &str) -> Result<Vec<String>> {
                    queries::agent_objects(self, org, key).await
                }

                async fn document(
                    &self,
                    org: OrgId,
                    key: &DocumentKey,
                ) -> Result<Option<Document>> {
                    documents::document(self, org, key).await
                }

                async fn document_ids(
                    &self,
                    org: OrgId,
                    key: &DocumentKey,
                    since: Option<Timestamp>,
                ) -> Result<Vec<String>> {
                    documents::document_ids(self, org, key, since).await
                }

                async fn write_document(
                    &self,
                    org: OrgId,
                    key: &DocumentKey,
                    content_type: &str,
                    content: &[u8],
                    how: DocumentWrite,
                    pre: &Precondition,
                ) -> Result<Document, LrsError> {
                    documents::write_document(self, org, key, content_type, content, how, pre).await
                }

                async fn delete_documents(
                    &self,
                    org: OrgId,
                    key: &DocumentKey,
                    pre: &Precondition,
                ) -> Result<u64, LrsError> {
                    documents::delete_documents(self, org, key, pre).await
                }

                async fn xapi_mappings(&self, org: OrgId) -> Result<Vec<XapiMapping>> {
                    mappings::xapi_mappings(self, org).await
                }

                async fn create_xapi_mapping(
                    &self,
                    m: &XapiMapping,
                    by: Option<AccountId>,
                ) -> Result<i64> {
                    mappings::create_xapi_mapping(self, m, by).await
                }

                async fn retire_xapi_mapping(
                    &self,
                    org: OrgId,
                    id: i64,
                    now: Timestamp,
                ) -> Result<bool> {
                    mappings::retire_xapi_mapping(self, org, id, now).await
                }

                async fn fed_records(&self, org: OrgId, limit: i64) -> Result<Vec<FedRecord>> {
                    mappings::fed_records(self, org, limit).await
                }

                async fn erase_agents(
                    &self,
                    org: OrgId,
                    keys: &[String],
                    by: Option<AccountId>,
                    reason: &str,
                    now: Timestamp,
                ) -> Result<ErasureOutcome> {
                    erasure::erase_agents(self, org, keys, by, reason, now).await
                }

                async fn xapi_erasures(&self, org: OrgId) -> Result<Vec<ErasureRecord>> {
                    erasure::xapi_erasures(self, org).await
                }
            }
        }
    };
}

pub(crate) use impl_lrs_store;
