//! An organisation's own calendar. Statuses are answered for dates, and "today" is the date where the organisation
//! works, not the date in UTC: at 00:30 on a British Summer Time morning it is already the new day in London while it
//! is still yesterday in UTC, and a requirement that expires "today" must show as expired from local midnight.
//!
//! Each organisation has an IANA time zone (Europe/London unless it chooses another); [`TimeZone::date_at`] is the
//! one function that turns an instant into that organisation's date, and [`TimeZone::end_of_day`] the one that turns
//! a date into its last instant (what "known at 2025-03-31" means). The zone rules are the IANA database compiled
//! into the program by chrono-tz, so no clock or file is read here.

use crate::{Date, Timestamp};
use chrono::{Days, NaiveTime, TimeDelta, TimeZone as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An IANA time zone, such as Europe/London.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    /// Where Lantern's organisations are unless they say otherwise: England.
    pub const DEFAULT: TimeZone = TimeZone(chrono_tz::Tz::Europe__London);

    /// The zone with this IANA name (exactly as the database spells it, e.g. `Europe/London`).
    pub fn parse(name: &str) -> Option<TimeZone> {
        name.parse::<chrono_tz::Tz>().ok().map(TimeZone)
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// Every zone an organisation may choose, by name: the canonical IANA zones (the database's older aliases, such
    /// as GB or US/Eastern, are left out), plus UTC.
    pub fn all() -> Vec<TimeZone> {
        let mut zones: Vec<TimeZone> = chrono_tz::TZ_VARIANTS
            .iter()
            .filter(|z| is_canonical(z.name()))
            .map(|z| TimeZone(*z))
            .collect();
        zones.sort_by_key(|z| z.name());
        zones
    }

    /// The date in this zone at an instant: what "today" is there at `at`.
    pub fn date_at(self, at: Timestamp) -> Date {
        at.with_timezone(&self.0).date_naive()
    }

    /// The last instant of a date in this zone (a microsecond before the next local day begins, the finest
    /// resolution either database keeps), so that "as known at the end of 31 March" includes everything recorded
    /// on that local day.
    pub fn end_of_day(self, date: Date) -> Timestamp {
        self.start_of_day(date + Days::new(1)) - TimeDelta::microseconds(1)
    }

    /// The first instant of a date in this zone. Midnight itself may not exist (a zone that moves its clocks at
    /// midnight): then the day starts at the first local time after the gap.
    fn start_of_day(self, date: Date) -> Timestamp {
        let mut time = NaiveTime::MIN;
        loop {
            if let Some(t) = self.0.from_local_datetime(&date.and_time(time)).earliest() {
                return t.to_utc();
            }
            // No zone's gap is longer than a day; a quarter of an hour steps over every gap in the database.
            time += TimeDelta::minutes(15);
        }
    }
}

/// The latest date anywhere on Earth at an instant (in the easternmost zone, 14 hours ahead of UTC): a date after it
/// is in the future wherever an organisation is. For checks that know no organisation, such as a file whose rows
/// name several.
pub fn latest_date_at(at: Timestamp) -> Date {
    (at + TimeDelta::hours(14)).date_naive()
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone::DEFAULT
    }
}

impl std::fmt::Display for TimeZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A zone named Area/Location (Europe/London, America/Argentina/Buenos_Aires), or UTC; not the legacy aliases.
fn is_canonical(name: &str) -> bool {
    const AREAS: [&str; 10] = [
        "Africa/",
        "America/",
        "Antarctica/",
        "Arctic/",
        "Asia/",
        "Atlantic/",
        "Australia/",
        "Europe/",
        "Indian/",
        "Pacific/",
    ];
    name == "UTC" || AREAS.iter().any(|a| name.starts_with(a))
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        TimeZone::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown time zone {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, NaiveDate};

    fn at(s: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(s).expect("instant").to_utc()
    }

    fn date(s: &str) -> Date {
        s.parse::<NaiveDate>().expect("date")
    }

    const LONDON: TimeZone = TimeZone::DEFAULT;

    /// Each (zone, instant, the local date then).
    fn assert_dates(cases: &[(TimeZone, &str, &str)]) {
        for &(zone, instant, expected) in cases {
            assert_eq!(
                zone.date_at(at(instant)),
                date(expected),
                "{zone} at {instant}"
            );
        }
    }

    #[test]
    fn half_past_midnight_on_a_summer_time_day_is_already_that_day_in_london() {
        assert_dates(&[
            // 00:30 BST on 1 June 2025 is 23:30 UTC on 31 May.
            (LONDON, "2025-05-31T23:30:00Z", "2025-06-01"),
            (LONDON, "2025-05-31T22:59:59Z", "2025-05-31"),
            // In winter London is on UTC: 00:30 GMT is 00:30 UTC.
            (LONDON, "2025-12-01T00:30:00Z", "2025-12-01"),
            (LONDON, "2025-11-30T23:59:59Z", "2025-11-30"),
        ]);
    }

    #[test]
    fn the_dates_follow_the_clock_changes() {
        let utc = TimeZone::parse("UTC").expect("UTC");
        let sydney = TimeZone::parse("Australia/Sydney").expect("a zone");
        assert_dates(&[
            // Clocks go forward at 01:00 UTC on 30 March 2025 and back at 01:00 UTC on 26 October 2025.
            (LONDON, "2025-03-29T23:30:00Z", "2025-03-29"),
            (LONDON, "2025-03-30T23:30:00Z", "2025-03-31"),
            (LONDON, "2025-10-25T23:30:00Z", "2025-10-26"),
            (LONDON, "2025-10-26T23:30:00Z", "2025-10-26"),
            (utc, "2025-05-31T23:30:00Z", "2025-05-31"),
            (sydney, "2025-05-31T14:30:00Z", "2025-06-01"),
        ]);
    }

    #[test]
    fn the_end_of_a_day_is_its_last_local_instant() {
        for (day, end) in [
            // A summer day in London ends at 22:59:59.999999 UTC, a winter day at 23:59:59.999999 UTC.
            ("2025-06-01", "2025-06-01T22:59:59.999999Z"),
            ("2025-12-01", "2025-12-01T23:59:59.999999Z"),
            // The day the clocks go forward has 23 hours, the day they go back 25.
            ("2025-03-30", "2025-03-30T22:59:59.999999Z"),
            ("2025-10-26", "2025-10-26T23:59:59.999999Z"),
        ] {
            assert_eq!(LONDON.end_of_day(date(day)), at(end), "{day}");
        }
        for d in ["2025-03-30", "2025-06-01", "2025-10-26", "2025-12-31"] {
            let end = LONDON.end_of_day(date(d));
            assert_eq!(LONDON.date_at(end), date(d));
            assert_eq!(
                LONDON.date_at(end + TimeDelta::microseconds(1)),
                date(d) + Days::new(1)
            );
        }
    }

    #[test]
    fn a_day_whose_midnight_does_not_exist_starts_after_the_gap() {
        // Santiago moved its clocks forward at midnight on 7 September 2025: the day began at 01:00 local (04:00 UTC).
        let santiago = TimeZone::parse("America/Santiago").expect("a zone");
        assert_eq!(
            santiago.end_of_day(date("2025-09-06")),
            at("2025-09-07T03:59:59.999999Z")
        );
    }

    #[test]
    fn no_zone_is_past_the_latest_date() {
        let now = at("2025-05-31T10:30:00Z");
        let kiritimati = TimeZone::parse("Pacific/Kiritimati").expect("a zone");
        assert_eq!(latest_date_at(now), kiritimati.date_at(now));
        assert_eq!(latest_date_at(now), date("2025-06-01"));
        for z in TimeZone::all() {
            assert!(z.date_at(now) <= latest_date_at(now), "{z}");
        }
    }

    #[test]
    fn zones_are_named_as_the_iana_database_names_them() {
        assert_eq!(TimeZone::default().name(), "Europe/London");
        assert_eq!(TimeZone::parse("Europe/London"), Some(LONDON));
        assert_eq!(TimeZone::parse("Europe/Londres"), None);
        assert_eq!(TimeZone::parse(""), None);
        let all = TimeZone::all();
        assert!(all.contains(&LONDON) && all.len() > 300, "{}", all.len());
        assert!(all.iter().all(|z| z.name() != "GB"), "aliases are left out");
        assert!(all.windows(2).all(|w| w[0].name() < w[1].name()));
        let json = serde_json_like(LONDON);
        assert_eq!(json, "Europe/London");
    }

    /// The serialised form, through toml (the crate's own serde format) to keep dev-dependencies lean.
    fn serde_json_like(z: TimeZone) -> String {
        #[derive(Serialize, Deserialize)]
        struct Wrap {
            zone: TimeZone,
        }
        let text = toml::to_string(&Wrap { zone: z }).expect("serialises");
        let back: Wrap = toml::from_str(&text).expect("reads back");
        assert_eq!(back.zone, z);
        assert!(toml::from_str::<Wrap>("zone = \"Mars/Olympus\"").is_err());
        back.zone.name().to_owned()
    }
}
