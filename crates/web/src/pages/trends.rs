//! The leader's view of an organisation (`views::trends`: compliance by month per requirement over two years, the
//! next 13 weeks' overdue forecast if nobody renews, and the units furthest below target), drawn on the server (so
//! they need no script) with the figures beside them as tables. The shapes are SVG stretched to the space they have;
//! every word and number is HTML text, so no label shrinks on a phone or clips at a chart's edge. Each chart has a
//! labelled scale and the target drawn as a line, and its colours follow the target: green at or above it, red
//! below. This file only draws.

use super::PageResult;
use super::layout::{Layout, Page};
use crate::AppState;
use crate::views::trends;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use chrono::NaiveDate;

const CHART_W: f64 = 280.0;
const CHART_H: f64 = 100.0;

/// One requirement's small chart: a polyline of monthly percentages against the target line.
pub struct Trend {
    pub title: String,
    /// At or above the target on the latest month: the line is green, else red.
    pub on_target: bool,
    pub points: String,
    pub target_y: f64,
    pub first: String,
    pub last: String,
    pub latest: Option<f64>,
    /// "+3 points in a year", when there are figures a year apart.
    pub change: Option<String>,
    /// "Month: n%" for each month, for the table that screen readers and keyboard users get.
    pub table: Vec<(String, Option<f64>)>,
}

/// One week of the forecast: its bar's height in per cent of the chart's.
pub struct Bar {
    pub label: String,
    /// "7 Dec": the axis label.
    pub short: String,
    pub value: u32,
    pub height: f64,
}

pub struct UnitBar {
    pub id: i64,
    pub name: String,
    pub percent: f64,
    pub gap: f64,
    pub overdue: u32,
}

#[derive(Template, WebTemplate)]
#[template(path = "trends.html")]
pub struct TrendsPage {
    layout: Layout,
    ods: String,
    org_name: String,
    target: f64,
    today: NaiveDate,
    trends: Vec<Trend>,
    forecast: Vec<Bar>,
    forecast_total: u32,
    /// The forecast's scale: its largest week.
    forecast_max: u32,
    worst: Vec<UnitBar>,
}

fn y_of(percent: f64) -> f64 {
    CHART_H - (percent.clamp(0.0, 100.0) / 100.0) * CHART_H
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
) -> PageResult<TrendsPage> {
    let view = trends::trends(&state, &page.caller, &ods).await?;
    let label = |d: &NaiveDate| d.format("%b %Y").to_string();
    let step = CHART_W / f64::from(trends::MONTHS - 1);
    let charts = view
        .requirements
        .iter()
        .map(|t| Trend {
            title: format!("{} L{}", t.title, t.level),
            on_target: t.latest.is_some_and(|p| p >= view.target_percent),
            points: t
                .percent
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.map(|p| format!("{:.1},{:.1}", i as f64 * step, y_of(p))))
                .collect::<Vec<_>>()
                .join(" "),
            target_y: y_of(view.target_percent),
            first: view.dates.first().map(label).unwrap_or_default(),
            last: label(&view.today),
            latest: t.latest,
            change: t
                .change_in_year
                .map(|c| format!("{c:+.0} points in a year")),
            table: view
                .dates
                .iter()
                .zip(&t.percent)
                .map(|(d, p)| (label(d), *p))
                .collect(),
        })
        .collect();
    let max = view
        .forecast
        .iter()
        .map(|w| w.falling_overdue)
        .max()
        .unwrap_or(0)
        .max(1);
    let forecast = view
        .forecast
        .iter()
        .map(|w| Bar {
            label: format!("week to {}", w.week_to.format("%-d %b")),
            short: w.week_to.format("%-d %b").to_string(),
            value: w.falling_overdue,
            height: 100.0 * f64::from(w.falling_overdue) / f64::from(max),
        })
        .collect();
    let worst = view
        .worst_units
        .iter()
        .map(|g| UnitBar {
            id: g.unit_id,
            name: g.name.clone(),
            percent: g.percent,
            gap: g.gap,
            overdue: g.overdue,
        })
        .collect();
    Ok(TrendsPage {
        layout: page.layout,
        forecast_total: view.forecast.iter().map(|w| w.falling_overdue).sum(),
        ods: view.ods_code,
        org_name: view.name,
        target: view.target_percent,
        today: view.today,
        trends: charts,
        forecast,
        forecast_max: max,
        worst,
    })
}
