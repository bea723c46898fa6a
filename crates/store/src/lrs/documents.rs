//! The State, Activity Profile and Agent Profile documents: where each lives, its entity tag, and the
//! If-Match/If-None-Match preconditions of writes (Communication 3.1).

use super::LrsError;
use lantern_domain::Timestamp;

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

/// The documents' SQL, for one backend (expanded by `impl_lrs_store!`).
macro_rules! documents_sql {
    ($store:ident, $db:ty, $backend:expr) => {
        mod documents {
            use super::*;

            pub(super) async fn document(store: &$store, org: OrgId, key: &DocumentKey) -> Result<Option<Document>> {
                let r = sqlx::query(
                    "SELECT content_type, content, etag, updated_us FROM xapi_documents WHERE org_id = $1 AND kind = $2 \
                     AND activity_iri = $3 AND agent_ifi = $4 AND registration = $5 AND doc_id = $6",
                )
                .bind(org.0).bind(key.kind.code()).bind(&key.activity).bind(&key.agent).bind(&key.registration).bind(&key.id)
                .fetch_optional(&store.pool).await?;
                r.map(|r| Ok(Document {
                    content_type: r.try_get("content_type")?,
                    content: r.try_get("content")?,
                    etag: r.try_get("etag")?,
                    updated: from_micros(r.try_get("updated_us")?),
                })).transpose()
            }

            pub(super) async fn document_ids(store: &$store, org: OrgId, key: &DocumentKey, since: Option<Timestamp>) -> Result<Vec<String>> {
                // Without a registration, the ids under every registration (as DELETE without one removes them all).
                Ok(sqlx::query_scalar(
                    "SELECT DISTINCT doc_id FROM xapi_documents WHERE org_id = $1 AND kind = $2 AND activity_iri = $3 \
                     AND agent_ifi = $4 AND ($5 = '' OR registration = $5) AND updated_us > $6 ORDER BY doc_id",
                )
                .bind(org.0).bind(key.kind.code()).bind(&key.activity).bind(&key.agent).bind(&key.registration)
                .bind(since.map_or(i64::MIN, micros))
                .fetch_all(&store.pool).await?)
            }

            pub(super) async fn write_document(store: &$store, org: OrgId, key: &DocumentKey, content_type: &str, content: &[u8], how: DocumentWrite, pre: &Precondition) -> Result<Document, LrsError> {
                let mut tx = store.lrs_write_tx(&[org]).await?;
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

            pub(super) async fn delete_documents(store: &$store, org: OrgId, key: &DocumentKey, pre: &Precondition) -> Result<u64, LrsError> {
                let mut tx = store.lrs_write_tx(&[org]).await?;
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
        }
    };
}

pub(crate) use documents_sql;

#[cfg(test)]
mod tests {
    use super::*;

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
