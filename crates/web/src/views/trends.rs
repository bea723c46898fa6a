//! The leader's view of an organisation (organisation admins and auditors): compliance at each month end over two
//! years per requirement, what falls overdue each week for the next 13 weeks if nobody renews, and the units furthest
//! below target. The trends page draws it; `GET /api/v1/organisations/{ods}/trends` returns it.
//!
//! All of it is read from the roll-up index: a month end or a future date is just another as-at date.

use crate::auth::Caller;
use crate::{AppError, AppState};
use chrono::{Datelike, NaiveDate};
use lantern_domain::access::Action;
use lantern_domain::dates::add_months;
use lantern_domain::rollup::{Counts, Node, RollupIndex};
use lantern_domain::{RequirementKey, Subject, Unit};
use serde::Serialize;
use utoipa::ToSchema;

/// Month ends shown, the current month (ending today) included.
pub const MONTHS: u32 = 24;
/// Weeks forecast.
pub const WEEKS: u64 = 13;
/// Units listed below target, at most.
pub const WORST_UNITS: usize = 10;
/// A unit is listed only when at least this many people count toward its percentage: a ward of two is not a trend.
pub const MIN_COUNTED: u32 = 5;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TrendsView {
    pub ods_code: String,
    pub name: String,
    pub target_percent: f64,
    /// The organisation's today.
    pub today: NaiveDate,
    /// The dates of every series: month ends, oldest first, then today.
    pub dates: Vec<NaiveDate>,
    /// Each requirement that applies to someone today (and has a figure on some date), lowest latest percentage
    /// first.
    pub requirements: Vec<RequirementTrend>,
    /// What falls overdue in each of the next weeks if nobody renews.
    pub forecast: Vec<ForecastWeek>,
    /// Units furthest below the target today over all their requirements, worst first.
    pub worst_units: Vec<UnitGap>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RequirementTrend {
    #[schema(value_type = String)]
    pub subject: Subject,
    pub level: u8,
    pub title: String,
    /// The organisation's percentage on each of `dates`; null where nobody was counted ("n/a").
    pub percent: Vec<Option<f64>>,
    /// Today's percentage.
    pub latest: Option<f64>,
    /// Points gained (or lost) since the same month a year ago, when both have a figure.
    pub change_in_year: Option<f64>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ForecastWeek {
    /// The last day of the week.
    pub week_to: NaiveDate,
    /// Requirements that become overdue during the week (people x requirements).
    pub falling_overdue: u32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UnitGap {
    pub unit_id: i64,
    pub name: String,
    pub percent: f64,
    /// Points below the target.
    pub gap: f64,
    /// Requirements overdue there (people x requirements).
    pub overdue: u32,
}

pub async fn trends(state: &AppState, caller: &Caller, ods: &str) -> Result<TrendsView, AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::Audit(org.id))?;
    let rollup = state
        .read_model
        .rollup(state.store.as_ref(), &scope, org.id, None)
        .await?;
    let today = crate::when::today(&org);
    let titles: std::collections::HashMap<(Subject, u8), String> = rollup
        .context
        .rules
        .iter()
        .map(|r| ((r.subject.clone(), r.level), r.title.clone()))
        .collect();
    let dates = month_ends(today);
    let index = &rollup.index;
    let mut requirements: Vec<RequirementTrend> = index
        .requirements()
        .iter()
        .filter(|k| index.counts(Node::Org, k, today).applicable() > 0)
        .map(|k| {
            let title = titles
                .get(&(k.subject.clone(), k.level))
                .cloned()
                .unwrap_or_else(|| k.subject.to_string());
            trend(index, k, title, &dates)
        })
        .filter(|t| t.percent.iter().any(Option::is_some))
        .collect();
    requirements.sort_by(|a, b| {
        a.latest
            .partial_cmp(&b.latest)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(TrendsView {
        ods_code: org.ods_code.to_string(),
        name: org.name.clone(),
        target_percent: org.target_percent,
        today,
        forecast: forecast(index, today),
        worst_units: worst_units(index, &rollup.context.units, org.target_percent, today),
        dates,
        requirements,
    })
}

/// The last day of each of the previous `MONTHS - 1` months, oldest first, then today.
fn month_ends(today: NaiveDate) -> Vec<NaiveDate> {
    let month_end = |d: NaiveDate| {
        let first = NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("a first of the month");
        add_months(first, 1).pred_opt().expect("a day before")
    };
    let mut dates: Vec<NaiveDate> = (1..MONTHS)
        .rev()
        .map(|back| month_end(today - chrono::Months::new(back)))
        .collect();
    dates.push(today);
    dates
}

fn trend(
    index: &RollupIndex,
    key: &RequirementKey,
    title: String,
    dates: &[NaiveDate],
) -> RequirementTrend {
    let percent: Vec<Option<f64>> = dates
        .iter()
        .map(|d| index.counts(Node::Org, key, *d).percent())
        .collect();
    let latest = percent.last().copied().flatten();
    let year_ago = percent
        .get(percent.len().saturating_sub(13))
        .copied()
        .flatten();
    RequirementTrend {
        subject: key.subject.clone(),
        level: key.level,
        title,
        change_in_year: latest.zip(year_ago).map(|(a, b)| a - b),
        latest,
        percent,
    }
}

/// Requirements falling overdue each week if nobody renews: the growth of the organisation's overdue count from one
/// week's end to the next (a week whose count falls, as people leave, adds nothing).
fn forecast(index: &RollupIndex, today: NaiveDate) -> Vec<ForecastWeek> {
    let overdue_on = |d: NaiveDate| -> u32 {
        index
            .requirements()
            .iter()
            .map(|k| index.counts(Node::Org, k, d).overdue())
            .sum()
    };
    let mut previous = overdue_on(today);
    (1..=WEEKS)
        .map(|w| {
            let week_to = today + chrono::Days::new(7 * w);
            let now = overdue_on(week_to);
            let falling_overdue = now.saturating_sub(previous);
            previous = now;
            ForecastWeek {
                week_to,
                falling_overdue,
            }
        })
        .collect()
}

/// Units below target today over all their requirements, with enough people counted, worst first.
fn worst_units(index: &RollupIndex, units: &[Unit], target: f64, today: NaiveDate) -> Vec<UnitGap> {
    let mut worst: Vec<UnitGap> = units
        .iter()
        .filter_map(|u| {
            let mut all = Counts::default();
            for (_, c) in index.node(Node::Unit(u.id), today) {
                all.merge(&c);
            }
            let percent = all.percent()?;
            (all.denominator() >= MIN_COUNTED && percent < target).then(|| UnitGap {
                unit_id: u.id.0,
                name: u.name.clone(),
                percent,
                gap: target - percent,
                overdue: all.overdue(),
            })
        })
        .collect();
    worst.sort_by(|a, b| {
        b.gap
            .partial_cmp(&a.gap)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    worst.truncate(WORST_UNITS);
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_series_ends_at_each_month_end_and_today() {
        let today: NaiveDate = "2025-03-14".parse().unwrap();
        let dates = month_ends(today);
        assert_eq!(dates.len(), MONTHS as usize);
        assert_eq!(dates[0], "2023-04-30".parse::<NaiveDate>().unwrap());
        assert_eq!(
            dates[dates.len() - 3],
            "2025-01-31".parse::<NaiveDate>().unwrap()
        );
        assert_eq!(
            dates[dates.len() - 2],
            "2025-02-28".parse::<NaiveDate>().unwrap()
        );
        assert_eq!(*dates.last().unwrap(), today);
    }
}
