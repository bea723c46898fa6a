//! Client credentials of the LRS: the key names the credential and so the organisation; the secret is kept as its
//! hash. Each records the xAPI version its client speaks.

use lantern_domain::{OrgId, Timestamp};
use lantern_xapi::Version;

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

/// The credentials' SQL, for one backend (expanded by `impl_lrs_store!`).
macro_rules! credentials_sql {
    ($store:ident, $db:ty, $backend:expr) => {
        mod credentials {
            use super::*;

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

            pub(super) async fn create_lrs_credential(store: &$store, new: &NewLrsCredential<'_>, now: Timestamp) -> Result<LrsCredential> {
                let r = sqlx::query(
                    "INSERT INTO lrs_credentials (org_id, name, api_key, secret_hash, can_write, default_version, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
                )
                .bind(new.org.0).bind(new.name).bind(new.api_key).bind(new.secret_hash).bind(new.can_write)
                .bind(new.default_version.as_str()).bind(now)
                .fetch_one(&store.pool).await?;
                credential_from_row(&r)
            }

            pub(super) async fn lrs_credential(store: &$store, api_key: &str) -> Result<Option<(LrsCredential, String)>> {
                let Some(r) = sqlx::query("SELECT * FROM lrs_credentials WHERE api_key = $1")
                    .bind(api_key).fetch_optional(&store.pool).await? else { return Ok(None) };
                Ok(Some((credential_from_row(&r)?, r.try_get("secret_hash")?)))
            }

            pub(super) async fn lrs_credentials(store: &$store, org: OrgId) -> Result<Vec<LrsCredential>> {
                sqlx::query("SELECT * FROM lrs_credentials WHERE org_id = $1 ORDER BY revoked_at IS NOT NULL, name, id")
                    .bind(org.0).fetch_all(&store.pool).await?
                    .iter().map(credential_from_row).collect()
            }

            pub(super) async fn revoke_lrs_credential(store: &$store, org: OrgId, id: i64, now: Timestamp) -> Result<bool> {
                let res = sqlx::query("UPDATE lrs_credentials SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL")
                    .bind(now).bind(org.0).bind(id).execute(&store.pool).await?;
                Ok(res.rows_affected() > 0)
            }
        }
    };
}

pub(crate) use credentials_sql;
