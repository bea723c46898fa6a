//! Server-rendered pages on the NHS.UK design system. Each page is a GET with its state in the URL (so it can be
//! bookmarked, shared and used without JavaScript), rendered by an askama template in `templates/`.

use crate::api::today;
use crate::error::{parse_date, parse_instant};
use crate::views;
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lantern_domain::{PersonId, RequirementKey, Status, UnitId};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(org_list))
        .route("/orgs/{ods}", get(heatmap))
        .route("/orgs/{ods}/units/{unit_id}", get(unit))
        .route("/orgs/{ods}/people/{person_id}", get(person))
        .route("/assets/{version}/{*file}", get(asset))
}

/// A page-rendering error: an NHS.UK error page with the right status.
pub struct PageError(AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl From<lantern_store::StoreError> for PageError {
    fn from(e: lantern_store::StoreError) -> Self {
        PageError(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: String,
    message: String,
    v: &'static str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let message = self.0.message();
        if let AppError::Internal(e) = &self.0 {
            tracing::error!(error = format!("{e:#}"), "page failed");
        }
        let title = match status {
            StatusCode::NOT_FOUND => "Page not found".to_owned(),
            StatusCode::BAD_REQUEST => "There is a problem".to_owned(),
            _ => "Sorry, there is a problem with the service".to_owned(),
        };
        let page = ErrorPage {
            title,
            message,
            v: crate::assets::asset_version(),
        };
        match page.render() {
            Ok(html) => (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response(),
            Err(_) => status.into_response(),
        }
    }
}

type PageResult<T> = Result<T, PageError>;

#[derive(Template, WebTemplate)]
#[template(path = "orgs.html")]
struct OrgListPage {
    orgs: Vec<lantern_store::OrgSummary>,
    v: &'static str,
}

async fn org_list(State(state): State<AppState>) -> PageResult<OrgListPage> {
    let orgs = state.store.list_orgs(&state.scope_of_caller()).await?;
    Ok(OrgListPage {
        orgs,
        v: crate::assets::asset_version(),
    })
}

#[derive(serde::Deserialize)]
struct AsAtParams {
    as_at: Option<String>,
    known_at: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "heatmap.html")]
struct HeatmapPage {
    view: views::OrgComplianceView,
    today: chrono::NaiveDate,
    v: &'static str,
}

impl HeatmapPage {
    /// The colour band of a cell: 5 at or above target, down to 0 at 30 points or more below; "na" when n/a.
    fn band(&self, percent: &Option<f64>) -> String {
        match percent {
            None => "na".to_owned(),
            Some(p) => {
                let gap = self.view.target_percent - p;
                let b = if gap <= 0.0 {
                    5
                } else if gap <= 5.0 {
                    4
                } else if gap <= 10.0 {
                    3
                } else if gap <= 20.0 {
                    2
                } else if gap <= 30.0 {
                    1
                } else {
                    0
                };
                b.to_string()
            }
        }
    }
}

fn pct(p: &Option<f64>) -> String {
    match p {
        Some(p) => format!("{p:.0}%"),
        None => "n/a".to_owned(),
    }
}

async fn heatmap(
    State(state): State<AppState>,
    Path(ods): Path<String>,
    Query(q): Query<AsAtParams>,
) -> PageResult<HeatmapPage> {
    let as_at = parse_date("as_at", q.as_at.as_deref())?.unwrap_or_else(today);
    let known_at = parse_instant("known_at", q.known_at.as_deref())?;
    let view =
        views::org_compliance(&state, &state.scope_of_caller(), &ods, as_at, known_at).await?;
    Ok(HeatmapPage {
        view,
        today: today(),
        v: crate::assets::asset_version(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "unit.html")]
struct UnitPage {
    view: views::UnitPeopleView,
    requirement: Option<RequirementKey>,
    requirement_title: Option<String>,
    status: Option<Status>,
    v: &'static str,
}

async fn unit(
    State(state): State<AppState>,
    Path((ods, unit_id)): Path<(String, i64)>,
    Query(q): Query<crate::api::unit_people::UnitPeopleQuery>,
) -> PageResult<UnitPage> {
    // The page and the API read the same parameters the same way.
    let (as_at, requirement, status) = q.parse()?;
    let scope = state.scope_of_caller();
    let view = views::unit_people(
        &state,
        &scope,
        &ods,
        UnitId(unit_id),
        as_at,
        requirement.as_ref(),
        status,
    )
    .await?;
    let requirement_title = requirement.as_ref().and_then(|r| {
        view.people
            .iter()
            .flat_map(|p| p.statuses.iter())
            .find(|s| s.subject == r.subject && s.level == r.level)
            .map(|s| format!("{} level {}", s.title, s.level))
    });
    Ok(UnitPage {
        view,
        requirement,
        requirement_title,
        status,
        v: crate::assets::asset_version(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "person.html")]
struct PersonPage {
    view: views::PersonComplianceView,
    v: &'static str,
}

async fn person(
    State(state): State<AppState>,
    Path((ods, person_id)): Path<(String, i64)>,
    Query(q): Query<AsAtParams>,
) -> PageResult<PersonPage> {
    let as_at = parse_date("as_at", q.as_at.as_deref())?.unwrap_or_else(today);
    let known_at = parse_instant("known_at", q.known_at.as_deref())?;
    let view = views::person_compliance(
        &state,
        &state.scope_of_caller(),
        &ods,
        PersonId(person_id),
        as_at,
        known_at,
    )
    .await?;
    Ok(PersonPage {
        view,
        v: crate::assets::asset_version(),
    })
}

/// Embedded front-end assets, cached for a year: the URL carries their content hash.
async fn asset(Path((_version, file)): Path<(String, String)>) -> Response {
    match crate::assets::lookup(&file) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            a.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Status presentation, callable from templates.
pub(crate) trait StatusExt {
    fn tag_class(&self) -> &'static str;
}

impl StatusExt for Status {
    fn tag_class(&self) -> &'static str {
        match self {
            Status::Compliant => "nhsuk-tag--green",
            Status::Expiring => "nhsuk-tag--yellow",
            Status::Expired | Status::Missing => "nhsuk-tag--red",
            Status::Pending => "nhsuk-tag--blue",
            Status::Exempt => "nhsuk-tag--grey",
        }
    }
}
