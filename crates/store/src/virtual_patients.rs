//! Each organisation's language model for the virtual patient (`lantern_sim::virtual_patient`): where its
//! OpenAI-compatible endpoint is, the model, and the key. A setting an organisation admin replaces or removes, kept
//! like the single sign-on provider's secret (stored, never shown again).

use crate::Result;
use async_trait::async_trait;
use lantern_domain::{AccountId, OrgId, Timestamp};

/// An organisation's model for the virtual patient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientModel {
    /// The API's base URL, up to and including `/v1` (`http://10.2.0.7:8080/v1`).
    pub endpoint: String,
    /// The model's name as the endpoint knows it.
    pub model: String,
    /// Sent as a bearer token; empty for none.
    pub api_key: String,
}

#[async_trait]
pub trait PatientModelStore: Send + Sync {
    async fn patient_model(&self, org: OrgId) -> Result<Option<PatientModel>>;

    /// Sets the organisation's model, or removes it (`None`).
    async fn set_patient_model(
        &self,
        org: OrgId,
        model: Option<&PatientModel>,
        by: AccountId,
        now: Timestamp,
    ) -> Result<()>;
}

macro_rules! impl_patient_model_store {
    ($store:ident, $db:ty) => {
        mod patient_model_store {
            use super::$store;
            use crate::Result;
            use crate::virtual_patients::*;
            use async_trait::async_trait;
            use lantern_domain::{AccountId, OrgId, Timestamp};
            use sqlx::Row;

            #[async_trait]
            impl PatientModelStore for $store {
                async fn patient_model(&self, org: OrgId) -> Result<Option<PatientModel>> {
                    let row = sqlx::query("SELECT endpoint, model, api_key FROM virtual_patient_models WHERE org_id = $1")
                        .bind(org.0)
                        .fetch_optional(&self.pool)
                        .await?;
                    Ok(match row {
                        Some(r) => Some(PatientModel {
                            endpoint: r.try_get("endpoint")?,
                            model: r.try_get("model")?,
                            api_key: r.try_get("api_key")?,
                        }),
                        None => None,
                    })
                }

                async fn set_patient_model(&self, org: OrgId, model: Option<&PatientModel>, by: AccountId, now: Timestamp) -> Result<()> {
                    match model {
                        None => {
                            sqlx::query("DELETE FROM virtual_patient_models WHERE org_id = $1").bind(org.0).execute(&self.pool).await?;
                        }
                        Some(m) => {
                            sqlx::query(
                                "INSERT INTO virtual_patient_models (org_id, endpoint, model, api_key, updated_at, updated_by) \
                                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id) DO UPDATE SET endpoint = excluded.endpoint, \
                                 model = excluded.model, api_key = excluded.api_key, updated_at = excluded.updated_at, \
                                 updated_by = excluded.updated_by",
                            )
                            .bind(org.0).bind(&m.endpoint).bind(&m.model).bind(&m.api_key).bind(now).bind(by.0)
                            .execute(&self.pool).await?;
                        }
                    }
                    Ok(())
                }
            }
        }
    };
}

pub(crate) use impl_patient_model_store;
