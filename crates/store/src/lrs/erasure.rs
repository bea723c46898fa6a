//! Erasure (UK GDPR): a person's identifiers replaced by pseudonyms across the organisation's statements and
//! documents in one transaction, and the record that it happened.

use lantern_domain::Timestamp;

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

/// Erasure's SQL, for one backend (expanded by `impl_lrs_store!`).
macro_rules! erasure_sql {
    ($store:ident, $db:ty, $backend:expr) => {
        mod erasure {
            use super::*;

            pub(super) async fn erase_agents(store: &$store, org: OrgId, keys: &[String], by: Option<AccountId>, reason: &str, now: Timestamp) -> Result<ErasureOutcome> {
                let mut tx = store.lrs_write_tx(&[org]).await?;
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
                    store.lrs_ids.forget(org.0, AGENT, key);
                }
                Ok(ErasureOutcome { pseudonyms, statements, documents })
            }

            pub(super) async fn xapi_erasures(store: &$store, org: OrgId) -> Result<Vec<ErasureRecord>> {
                let rows = sqlx::query(
                    "SELECT e.pseudonym, e.statements, e.documents, e.erased_at, e.reason, a.display_name \
                     FROM xapi_erasures e LEFT JOIN accounts a ON a.id = e.erased_by WHERE e.org_id = $1 ORDER BY e.id DESC",
                )
                .bind(org.0).fetch_all(&store.pool).await?;
                rows.iter().map(|r| Ok(ErasureRecord {
                    pseudonyms: r.try_get::<String, _>("pseudonym")?.split_whitespace().map(str::to_owned).collect(),
                    statements: r.try_get("statements")?,
                    documents: r.try_get("documents")?,
                    erased_at: r.try_get("erased_at")?,
                    reason: r.try_get("reason")?,
                    erased_by: r.try_get("display_name")?,
                })).collect()
            }

            fn rand_bytes() -> [u8; 16] {
                let mut b = [0u8; 16];
                getrandom::fill(&mut b).expect("the operating system's random source works");
                b
            }
        }
    };
}

pub(crate) use erasure_sql;
