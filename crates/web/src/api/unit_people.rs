use super::ErrorBody;
use crate::views::{self, UnitPeopleView};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{Path, Query, State};
use lantern_domain::{RequirementKey, Status, Subject, UnitId};

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitPeopleQuery {
    /// The date to answer for (YYYY-MM-DD). Default: today in the organisation's time zone.
    pub as_at: Option<String>,
    /// Answer with only what Lantern knew at this instant (RFC 3339, or a date meaning the end of that day in the
    /// organisation's time zone).
    pub known_at: Option<String>,
    /// Only people this requirement applies to: a subject code such as `cstf.fire_safety` (needs `level`).
    pub subject: Option<String>,
    /// The requirement's level (1, 2, 3...).
    pub level: Option<String>,
    /// Only people with this status (for `subject` when given, else for any requirement).
    pub status: Option<String>,
}

/// When the question is asked for (the date, None meaning the organisation's today, and the moment of knowledge),
/// the requirement and the status.
type UnitPeopleAsk = (crate::when::AsAt, Option<RequirementKey>, Option<Status>);

impl UnitPeopleQuery {
    pub fn parse(&self) -> Result<UnitPeopleAsk, AppError> {
        let as_at = crate::when::AsAt::parse(self.as_at.as_deref(), self.known_at.as_deref())?;
        let level =
            match self.level.as_deref().filter(|l| !l.is_empty()) {
                None => None,
                Some(l) => Some(l.parse::<u8>().map_err(|_| {
                    AppError::BadRequest(format!("level must be a number, not {l:?}"))
                })?),
            };
        let requirement = match (self.subject.as_deref().filter(|s| !s.is_empty()), level) {
            (Some(subject), Some(level)) => Some(RequirementKey {
                subject: Subject::parse(subject)
                    .map_err(|e| AppError::BadRequest(format!("subject: {e}")))?,
                level,
            }),
            (None, None) => None,
            _ => {
                return Err(AppError::BadRequest(
                    "subject and level go together: give both or neither".into(),
                ));
            }
        };
        let status = match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(Status::parse(s).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "status must be one of compliant, expiring, expired, missing, pending, exempt; not {s:?}"
                ))
            })?),
        };
        Ok((as_at, requirement, status))
    }
}

/// A unit's people (with everyone in units below it) in post on the date, each with every requirement's status.
#[utoipa::path(get, path = "/api/v1/organisations/{ods}/units/{unit_id}/people", tag = "compliance",
    params(("ods" = String, Path, description = "ODS code"), ("unit_id" = i64, Path, description = "Unit id"), UnitPeopleQuery),
    responses(
        (status = 200, description = "People with statuses, most overdue first", body = UnitPeopleView),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's role does not allow this", body = ErrorBody),
        (status = 404, description = "No such unit, or not visible to the caller", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, unit_id)): Path<(String, i64)>,
    Query(q): Query<UnitPeopleQuery>,
) -> Result<Json<UnitPeopleView>, AppError> {
    let (as_at, requirement, status) = q.parse()?;
    Ok(Json(
        views::unit_people(
            &state,
            &caller,
            &ods,
            UnitId(unit_id),
            as_at,
            requirement.as_ref(),
            status,
        )
        .await?,
    ))
}
