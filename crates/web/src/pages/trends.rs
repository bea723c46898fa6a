//! The leader's view of an organisation (organisation admins and auditors): compliance by month per requirement
//! over two years, the next 90 days' expiry forecast, and the units furthest below target, drawn as SVG pictures
//! (server-rendered, so they need no script) with the figures beside them for screen readers.
//!
//! All of it is read from the roll-up index: a month-end or a future date is just another as-at date. The forecast
//! assumes nobody renews: it is what falls overdue if nothing is done.

use super::PageResult;
use super::layout::{Layout, Page};
use crate::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use chrono::{Datelike, NaiveDate};
use lantern_domain::access::Action;
use lantern_domain::dates::add_months;
use lantern_domain::rollup::{Counts, Node};

const MONTHS: u32 = 24;
const CHART_W: f64 = 280.0;
const CHART_H: f64 = 90.0;

/// One requirement's small chart: a polyline of monthly percentages against the target line.
pub struct Trend {
    pub title: String,
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

pub struct Bar {
    pub label: String,
    pub value: u32,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

pub struct UnitGap {
    pub id: i64,
    pub name: String,
    pub percent: f64,
    pub gap: f64,
    pub overdue: u32,
    pub width: f64,
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
    worst: Vec<UnitGap>,
}

fn month_end(d: NaiveDate) -> NaiveDate {
    let first_next = add_months(
        NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("valid"),
        1,
    );
    first_next.pred_opt().expect("valid")
}

fn y_of(percent: f64) -> f64 {
    CHART_H - (percent.clamp(0.0, 100.0) / 100.0) * CHART_H
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
) -> PageResult<TrendsPage> {
    let scope = page.caller.scope();
    let org = state.store.org_by_code(&scope, &ods).await?;
    page.caller.require(Action::Audit(org.id))?;
    let rollup = state
        .read_model
        .rollup(state.store.as_ref(), &scope, org.id, None)
        .await?;
    let index = &rollup.index;
    let today = crate::api::today();
    let titles: std::collections::HashMap<(String, u8), String> = rollup
        .context
        .rules
        .iter()
        .map(|r| ((r.subject.clone(), r.level), r.title.clone()))
        .collect();

    // Month ends, oldest first; the current month ends today.
    let mut dates: Vec<NaiveDate> = (1..MONTHS)
        .rev()
        .map(|back| month_end(today - chrono::Months::new(back)))
        .collect();
    dates.push(today);
    let step = CHART_W / f64::from(MONTHS - 1);
    let mut trends = Vec::new();
    for key in index.requirements() {
        let series: Vec<Option<f64>> = dates
            .iter()
            .map(|d| index.counts(Node::Org, key, *d).percent())
            .collect();
        if series.iter().all(Option::is_none)
            || index.counts(Node::Org, key, today).applicable() == 0
        {
            continue;
        }
        let points = series
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|p| format!("{:.1},{:.1}", i as f64 * step, y_of(p))))
            .collect::<Vec<_>>()
            .join(" ");
        let latest = *series.last().expect("months");
        let year_ago = series
            .get(series.len().saturating_sub(13))
            .copied()
            .flatten();
        let title = titles
            .get(&(key.subject.clone(), key.level))
            .cloned()
            .unwrap_or_else(|| key.subject.clone());
        trends.push(Trend {
            title: format!("{title} L{}", key.level),
            points,
            target_y: y_of(org.target_percent),
            first: dates[0].format("%b %Y").to_string(),
            last: today.format("%b %Y").to_string(),
            latest,
            change: latest
                .zip(year_ago)
                .map(|(a, b)| format!("{:+.0} points in a year", a - b)),
            table: dates
                .iter()
                .zip(&series)
                .map(|(d, p)| (d.format("%b %Y").to_string(), *p))
                .collect(),
        });
    }
    trends.sort_by(|a, b| {
        a.latest
            .partial_cmp(&b.latest)
            .unwrap_or(std::cmp::Ordering::Equal)
    });

    // Forecast: requirements falling overdue each week for 13 weeks if nobody renews.
    let overdue_on = |d: NaiveDate| -> u32 {
        index
            .requirements()
            .iter()
            .map(|k| index.counts(Node::Org, k, d).overdue())
            .sum()
    };
    let mut previous = overdue_on(today);
    let mut weekly = Vec::new();
    for w in 1..=13u64 {
        let d = today + chrono::Days::new(7 * w);
        let now = overdue_on(d);
        weekly.push((d, now.saturating_sub(previous)));
        previous = now;
    }
    let max = weekly.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let bar_w = 560.0 / 13.0;
    let forecast: Vec<Bar> = weekly
        .iter()
        .enumerate()
        .map(|(i, (d, v))| {
            let height = 140.0 * f64::from(*v) / f64::from(max);
            Bar {
                label: format!("week to {}", d.format("%-d %b")),
                value: *v,
                x: i as f64 * bar_w + 4.0,
                y: 150.0 - height,
                width: bar_w - 8.0,
                height,
            }
        })
        .collect();
    let forecast_total = weekly.iter().map(|(_, v)| v).sum();

    // Units furthest below target today, over all their requirements.
    let mut worst: Vec<UnitGap> = rollup
        .context
        .units
        .iter()
        .filter_map(|u| {
            let mut all = Counts::default();
            for (_, c) in index.node(Node::Unit(u.id), today) {
                all.merge(&c);
            }
            let p = all.percent()?;
            (all.denominator() >= 5).then(|| UnitGap {
                id: u.id.0,
                name: u.name.clone(),
                percent: p,
                gap: org.target_percent - p,
                overdue: all.overdue(),
                width: 0.0,
            })
        })
        .filter(|g| g.gap > 0.0)
        .collect();
    worst.sort_by(|a, b| {
        b.gap
            .partial_cmp(&a.gap)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    worst.truncate(10);
    for g in &mut worst {
        g.width = 4.0 * g.percent.clamp(0.0, 100.0);
    }

    Ok(TrendsPage {
        layout: page.layout,
        ods: org.ods_code.clone(),
        org_name: org.name.clone(),
        target: org.target_percent,
        today,
        trends,
        forecast,
        forecast_total,
        worst,
    })
}
