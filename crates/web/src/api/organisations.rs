use crate::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct OrganisationItem {
    pub ods_code: String,
    pub name: String,
    pub org_type: String,
    pub target_percent: f64,
    /// People who have held a post there.
    pub people: i64,
    pub units: i64,
}

/// Organisations the caller can see.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "compliance",
    responses(
        (status = 200, description = "Organisations where the caller holds a role, by name", body = Vec<OrganisationItem>),
        (status = 401, description = "Not signed in", body = super::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
) -> Result<Json<Vec<OrganisationItem>>, crate::AppError> {
    let orgs = state.store.list_orgs(&caller.scope()).await?;
    Ok(Json(
        orgs.into_iter()
            .map(|o| OrganisationItem {
                ods_code: o.org.ods_code.to_string(),
                name: o.org.name,
                org_type: o.org.org_type.code().to_owned(),
                target_percent: o.org.target_percent,
                people: o.people,
                units: o.units,
            })
            .collect(),
    ))
}
