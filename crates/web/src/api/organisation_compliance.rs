use super::ErrorBody;
use crate::AppState;
use crate::views::{self, Levels, OrgComplianceView};
use axum::Json;
use axum::extract::{Path, Query, State};
use lantern_domain::UnitId;

/// Query parameters of an organisation's compliance.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgComplianceQuery {
    /// The date to answer for (YYYY-MM-DD). Default: today in the organisation's time zone.
    pub as_at: Option<String>,
    /// Answer with only what Lantern knew at this instant (RFC 3339, or a date meaning the end of that day in the
    /// organisation's time zone).
    pub known_at: Option<String>,
    /// Answer within this unit (its id): the unit first, then the units below it. Default: the whole organisation.
    pub unit: Option<String>,
    /// How many levels of units below the top to include (1 or more). Default: all of them.
    pub levels: Option<String>,
}

impl OrgComplianceQuery {
    pub fn within(&self) -> Result<Option<UnitId>, crate::AppError> {
        self.unit
            .as_deref()
            .filter(|u| !u.is_empty())
            .map(|u| {
                u.parse().map(UnitId).map_err(|_| {
                    crate::AppError::BadRequest(format!("unit must be a unit's id, not {u:?}"))
                })
            })
            .transpose()
    }

    fn levels(&self) -> Result<Levels, crate::AppError> {
        match self.levels.as_deref().filter(|l| !l.is_empty()) {
            None => Ok(Levels::All),
            Some(l) => match l.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(Levels::UpTo(n)),
                _ => Err(crate::AppError::BadRequest(format!(
                    "levels must be a whole number of 1 or more, not {l:?}"
                ))),
            },
        }
    }
}

/// An organisation's compliance: units (through the hierarchy) by requirement, with counts per status and the
/// percentage against the organisation's target; the whole organisation, or within one unit.
#[utoipa::path(get, path = "/api/v1/organisations/{ods}/compliance", tag = "compliance",
    params(("ods" = String, Path, description = "ODS code, e.g. RJ1"), OrgComplianceQuery),
    responses(
        (status = 200, description = "Unit x requirement compliance", body = OrgComplianceView),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's role does not allow this", body = ErrorBody),
        (status = 404, description = "No such organisation or unit, or not visible to the caller", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path(ods): Path<String>,
    Query(q): Query<OrgComplianceQuery>,
) -> Result<Json<OrgComplianceView>, crate::AppError> {
    let when = crate::when::AsAt::parse(q.as_at.as_deref(), q.known_at.as_deref())?;
    Ok(Json(
        views::org_compliance(&state, &caller, &ods, when, q.within()?, q.levels()?).await?,
    ))
}
