//! Calendar arithmetic used by the rules.

use chrono::{Datelike, Days, Months, NaiveDate};

/// A calendar date (no time zone: training is completed on a day).
pub type Date = NaiveDate;
/// An instant, in UTC: when Lantern learnt something (`recorded_at`).
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// `date` plus `months` calendar months; when the day does not exist in the target month, the month's last day
/// (31 January + 1 month = 28 or 29 February). This is the expiry rule of `docs/compliance.md`.
pub fn add_months(date: Date, months: u32) -> Date {
    date.checked_add_months(Months::new(months))
        .unwrap_or(Date::MAX)
}

pub fn add_days(date: Date, days: u32) -> Date {
    date.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(Date::MAX)
}

pub fn sub_days(date: Date, days: u32) -> Date {
    date.checked_sub_days(Days::new(u64::from(days)))
        .unwrap_or(Date::MIN)
}

/// Days from the common era, the compact form used by the roll-up index.
pub fn day_number(date: Date) -> i32 {
    date.num_days_from_ce()
}

pub fn from_day_number(day: i32) -> Date {
    Date::from_num_days_from_ce_opt(day).unwrap_or(Date::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn month_end_clamps() {
        assert_eq!(add_months(d("2025-01-31"), 1), d("2025-02-28"));
        assert_eq!(add_months(d("2024-01-31"), 1), d("2024-02-29"));
        assert_eq!(add_months(d("2024-02-29"), 12), d("2025-02-28"));
        assert_eq!(add_months(d("2023-06-15"), 36), d("2026-06-15"));
    }

    #[test]
    fn day_numbers_round_trip() {
        let x = d("2026-11-23");
        assert_eq!(from_day_number(day_number(x)), x);
    }
}
