use super::ErrorBody;
use crate::views::changes::OrgPreview;
use crate::views::rules::{self, RuleVersionView, RulesView};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use lantern_domain::dates::add_days;
use lantern_domain::rule_versions::{Problem, VersionDraft};
use lantern_domain::{Rule, RuleKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An organisation's requirement rules, each with its versions (newest first) and what a new version may change.
/// The same view as the admin's rules page; organisation admins only.
#[utoipa::path(get, path = "/api/v1/organisations/{ods}/rules", tag = "rules",
    params(("ods" = String, Path, description = "ODS code, e.g. RJ1")),
    responses(
        (status = 200, description = "Rules by requirement", body = RulesView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's role does not allow this", body = ErrorBody),
        (status = 404, description = "No such organisation, or not visible to the caller", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path(ods): Path<String>,
) -> Result<Json<RulesView>, AppError> {
    Ok(Json(rules::rules(&state, &caller, &ods).await?))
}

/// A new version of a requirement rule. Fields left out keep the current version's values; the refresher period
/// changes only where the framework leaves it to local risk assessment (`period_may_change`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRuleVersion {
    /// When it takes effect: after the current version's `effective_from`.
    pub effective_from: NaiveDate,
    /// Completion rules whose period may change: months between renewals (1 to 120).
    pub refresher_months: Option<u32>,
    /// Hours rules: the hours required in the window (more than 0, at most 500).
    pub hours: Option<f64>,
    /// Hours rules: the rolling window, in months (1 to 120).
    pub window_months: Option<u32>,
    /// Hours rules: the per cent of the hours that must be participatory (1 to 100); left out keeps the current
    /// share, 0 removes it.
    pub participatory_percent: Option<f64>,
    /// Rules of a development framework: `requirement` to make it count in compliance, `development` to leave it
    /// counted nowhere; left out keeps the current purpose.
    pub purpose: Option<String>,
    /// Days before expiry that a requirement shows as expiring (0 to 365).
    pub warning_days: Option<u32>,
    /// Days a new starter has to complete it (0 to 365).
    pub new_starter_days: Option<u32>,
    /// The last day of a transition: until then, people the version makes overdue are due by this day instead.
    /// Left out: no transition.
    pub transition_until: Option<NaiveDate>,
    /// True to retire the requirement from `effective_from`: it then applies to no one (figures are ignored).
    #[serde(default)]
    pub retire: bool,
    /// The reference of the local risk assessment behind a local refresher period: required when a CSTF subject's
    /// period changes from the framework's own figure; left out keeps the current version's.
    pub local_reason: Option<String>,
    /// Why it changes, for the audit trail (5 characters or more).
    pub reason: String,
}

impl NewRuleVersion {
    fn draft(&self, current: &Rule) -> VersionDraft {
        let (refresher, hours, window, share) = match current.kind {
            RuleKind::Completion { refresher_months } => (Some(refresher_months), None, None, None),
            RuleKind::Hours {
                hours,
                window_months,
                participatory_share,
            } => (
                None,
                Some(hours),
                Some(window_months),
                participatory_share.map(|s| 100.0 * s),
            ),
        };
        VersionDraft {
            effective_from: Some(self.effective_from),
            refresher_months: self.refresher_months.or(refresher),
            hours: self.hours.or(hours),
            window_months: self.window_months.or(window),
            participatory_percent: match self.participatory_percent {
                Some(0.0) => None,
                Some(p) => Some(p),
                None => share,
            },
            reading: None,
            purpose: self
                .purpose
                .as_deref()
                .map(|p| lantern_domain::RulePurpose::parse(p).unwrap_or(current.purpose)),
            warning_days: Some(self.warning_days.unwrap_or(current.warning_days)),
            new_starter_days: Some(self.new_starter_days.unwrap_or(current.new_starter_days)),
            transition_ends: self.transition_until.map(|d| add_days(d, 1)),
            retire: self.retire,
            local_reason: self.local_reason.clone(),
            reason: self.reason.clone(),
        }
    }
}

/// Why a new version was refused: each problem names its field.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionProblems {
    pub error: String,
    pub problems: Vec<FieldProblem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// Adds a version of the requirement that `rule_id` (any of its versions) belongs to, built on the latest version.
#[utoipa::path(post, path = "/api/v1/organisations/{ods}/rules/{rule_id}/versions", tag = "rules",
    params(("ods" = String, Path, description = "ODS code"), ("rule_id" = i64, Path, description = "Any version of the requirement's rule")),
    request_body = NewRuleVersion,
    responses(
        (status = 201, description = "The new version", body = RuleVersionView),
        (status = 400, description = "Not a version that may be made: each problem names its field", body = VersionProblems),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's role does not allow this", body = ErrorBody),
        (status = 404, description = "No such organisation or rule, or not visible to the caller", body = ErrorBody)))]
pub async fn add_version(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, rule_id)): Path<(String, i64)>,
    body: Result<Json<NewRuleVersion>, JsonRejection>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    // Access is decided before the body is read, so a caller without it learns nothing from a malformed one.
    let mut bad_body = None;
    let made = rules::add_rule_version(&state, &caller, &ods, rule_id, |current| {
        draft_of(&body, current, &mut bad_body)
    })
    .await?;
    refuse_bad_body(bad_body)?;
    Ok(match made {
        Ok(rule) => (StatusCode::CREATED, Json(RuleVersionView::from(&rule))).into_response(),
        Err(problems) => not_made(problems),
    })
}

/// A new version as it would be made, and what it would change, without making it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleVersionPreview {
    pub version: RuleVersionView,
    pub preview: OrgPreview,
}

/// What a new version would change (the rules page's "Preview" before "Apply this version"): the version as it
/// would be made, the people it makes due by unit and staff group, the records that would stop counting and the
/// compliance on its effective date with and without its transition. Nothing is written.
#[utoipa::path(post, path = "/api/v1/organisations/{ods}/rules/{rule_id}/versions/preview", tag = "rules",
    params(("ods" = String, Path, description = "ODS code"), ("rule_id" = i64, Path, description = "Any version of the requirement's rule")),
    request_body = NewRuleVersion,
    responses(
        (status = 200, description = "The version it would make and its preview", body = RuleVersionPreview),
        (status = 400, description = "Not a version that may be made: each problem names its field", body = VersionProblems),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's role does not allow this", body = ErrorBody),
        (status = 404, description = "No such organisation or rule, or not visible to the caller", body = ErrorBody)))]
pub async fn preview_version(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path((ods, rule_id)): Path<(String, i64)>,
    body: Result<Json<NewRuleVersion>, JsonRejection>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let mut bad_body = None;
    let previewed = rules::preview_rule_version(&state, &caller, &ods, rule_id, |current| {
        draft_of(&body, current, &mut bad_body)
    })
    .await?;
    refuse_bad_body(bad_body)?;
    Ok(match previewed {
        Ok((rule, preview)) => Json(RuleVersionPreview {
            version: RuleVersionView::from(&rule),
            preview,
        })
        .into_response(),
        Err(problems) => not_made(problems),
    })
}

/// The draft from the body; a body that is not a new version leaves an empty draft and its reason in `bad`.
fn draft_of(
    body: &Result<Json<NewRuleVersion>, JsonRejection>,
    current: &Rule,
    bad: &mut Option<String>,
) -> VersionDraft {
    match body {
        Ok(Json(v)) => v.draft(current),
        Err(e) => {
            *bad = Some(e.body_text());
            VersionDraft::default()
        }
    }
}

fn refuse_bad_body(bad: Option<String>) -> Result<(), AppError> {
    match bad {
        Some(text) => Err(AppError::BadRequest(format!(
            "the body must be a JSON new rule version: {text}"
        ))),
        None => Ok(()),
    }
}

fn not_made(problems: Vec<Problem>) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        StatusCode::BAD_REQUEST,
        Json(VersionProblems {
            error: "the new version was not made".into(),
            problems: problems
                .into_iter()
                .map(|p| FieldProblem {
                    field: p.field.to_owned(),
                    message: p.message,
                })
                .collect(),
        }),
    )
        .into_response()
}
