//! An organisation's heatmap (`/orgs/{ods}`): compliance by unit and requirement on any date, as many levels of
//! units as fit. A trust's map has thousands of cells, so each cell is only its colour and figures: the unit's name
//! is the row's one link (with "N units below" and, for the organisation's admins and auditors on today's map, who
//! is overdue there), and a click on a cell opens the people behind it (`lantern.js` builds the address from the row's
//! unit and the column's requirement; without script, the row's unit page has every requirement). The header row and
//! the unit column stay in view while the table scrolls in its region. On a phone the map is a list of units, each
//! with its overall figure and its worst requirements.

use super::PageResult;
use super::layout::{Layout, Page};
use crate::AppState;
use crate::views::org_compliance::UnitRowView;
use crate::views::{self, RequirementColumn};
use crate::when::AsAt;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use lantern_domain::access::Action;

/// How many of a unit's worst requirements the phone list names.
const WORST: usize = 3;

#[derive(Template, WebTemplate)]
#[template(path = "heatmap.html")]
pub struct HeatmapPage {
    view: views::OrgComplianceView,
    today: chrono::NaiveDate,
    layout: Layout,
    /// Auditors and admins get the point-in-time report link.
    can_audit: bool,
    /// May see the organisation's changes to requirements.
    can_see_changes: bool,
    /// A row's "Who is overdue" opens them in the team view: for the organisation's admins and auditors, on
    /// today's map (the team view is today's).
    overdue_to_team: bool,
}

/// One of a unit's worst requirements, for the phone list.
pub struct Worst<'a> {
    pub requirement: &'a RequirementColumn,
    pub percent: Option<f64>,
    pub overdue: u32,
}

impl HeatmapPage {
    /// The date and, when asked, the knowledge time, as a query string for the page's links (escaped by the
    /// template).
    fn when_query(&self) -> String {
        match self.view.known_at {
            Some(k) => format!(
                "as_at={}&known_at={}",
                self.view.as_at,
                k.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            ),
            None => format!("as_at={}", self.view.as_at),
        }
    }

    /// Some rows have units below them that the page does not show.
    fn drills(&self) -> bool {
        self.view.rows.iter().any(|r| r.units_not_shown > 0)
    }

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

    /// Whether anyone in a row is overdue on anything.
    fn has_overdue(&self, row: &UnitRowView) -> bool {
        row.cells.iter().any(|c| c.counts.overdue() > 0)
    }

    /// A row's requirements below target, lowest first, at most `WORST`.
    fn worst<'a>(&'a self, row: &UnitRowView) -> Vec<Worst<'a>> {
        let mut out: Vec<Worst<'a>> = row
            .cells
            .iter()
            .zip(&self.view.requirements)
            .filter(|(c, _)| c.percent.is_some_and(|p| p < self.view.target_percent))
            .map(|(c, r)| Worst {
                requirement: r,
                percent: c.percent,
                overdue: c.counts.overdue(),
            })
            .collect();
        out.sort_by(|a, b| {
            a.percent
                .partial_cmp(&b.percent)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.overdue.cmp(&a.overdue))
        });
        out.truncate(WORST);
        out
    }
}

fn pct(p: &Option<f64>) -> String {
    match p {
        Some(p) => format!("{p:.0}%"),
        None => "n/a".to_owned(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(q): Query<crate::api::organisation_compliance::OrgComplianceQuery>,
) -> PageResult<HeatmapPage> {
    let when = AsAt::parse(q.as_at.as_deref(), q.known_at.as_deref())?;
    let levels = views::Levels::Fit(views::org_compliance::PAGE_ROWS);
    let view = views::org_compliance(&state, &page.caller, &ods, when, q.within()?, levels).await?;
    let org = state.store.org_by_code(&page.caller.scope(), &ods).await?;
    let today = crate::when::today(&org);
    Ok(HeatmapPage {
        overdue_to_team: page.caller.scope().overseen_orgs().contains(&org.id)
            && view.as_at == today
            && view.known_at.is_none(),
        view,
        today,
        layout: page.layout,
        can_audit: page.caller.may(Action::Audit(org.id)),
        can_see_changes: page.caller.may(Action::ViewChanges(org.id)),
    })
}
