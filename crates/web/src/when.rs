//! When a question is asked for: the as-at date and, optionally, the moment whose knowledge to answer with. Requests
//! give them as text; they become a date and an instant only once the organisation is known, because "today" and
//! "the end of a day" are the organisation's own (`lantern_domain::local_time`): at 00:30 on a summer morning in
//! London it is already the new day there while UTC still says yesterday.
//!
//! The web layer reads the clock for answers here and nowhere else ([`now`]).

use crate::AppError;
use chrono::NaiveDate;
use lantern_domain::{Organisation, Timestamp};

/// The present instant.
pub fn now() -> Timestamp {
    chrono::Utc::now()
}

/// The organisation's date now.
pub fn today(org: &Organisation) -> NaiveDate {
    org.today(now())
}

/// What a request asks about, before the organisation is known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AsAt {
    /// The date to answer for; None is the organisation's today.
    pub date: Option<NaiveDate>,
    /// Answer only with what Lantern knew then; None is everything known now.
    pub known_at: Option<KnownAt>,
}

/// A moment of knowledge, as a request gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnownAt {
    /// An instant (RFC 3339, with its offset).
    Instant(Timestamp),
    /// A date: the end of that day where the organisation is.
    EndOf(NaiveDate),
}

impl AsAt {
    /// Today, with everything known now.
    pub fn today() -> Self {
        AsAt::default()
    }

    /// A date, with everything known now.
    pub fn on(date: NaiveDate) -> Self {
        AsAt {
            date: Some(date),
            known_at: None,
        }
    }

    /// Reads the `as_at` and `known_at` query parameters ("" counts as absent), naming the one at fault.
    pub fn parse(as_at: Option<&str>, known_at: Option<&str>) -> Result<Self, AppError> {
        Ok(AsAt {
            date: crate::error::parse_date("as_at", as_at)?,
            known_at: parse_known_at("known_at", known_at)?,
        })
    }

    /// The date and instant this means for the organisation now.
    pub fn resolve(&self, org: &Organisation) -> (NaiveDate, Option<Timestamp>) {
        self.resolve_at(org, now())
    }

    /// The date and instant this means for the organisation at `now`.
    pub fn resolve_at(&self, org: &Organisation, now: Timestamp) -> (NaiveDate, Option<Timestamp>) {
        let date = self.date.unwrap_or_else(|| org.today(now));
        let known_at = self.known_at.map(|k| match k {
            KnownAt::Instant(t) => t,
            KnownAt::EndOf(d) => org.time_zone.end_of_day(d),
        });
        (date, known_at)
    }
}

/// Parses an optional instant parameter: RFC 3339, or a date meaning the end of that day where the organisation is.
pub fn parse_known_at(name: &str, value: Option<&str>) -> Result<Option<KnownAt>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => {
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
                return Ok(Some(KnownAt::Instant(t.to_utc())));
            }
            if let Ok(d) = v.parse::<NaiveDate>() {
                return Ok(Some(KnownAt::EndOf(d)));
            }
            Err(AppError::BadRequest(format!(
                "{name} must be an RFC 3339 instant like 2025-03-31T17:00:00Z or a date, not {v:?}"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lantern_domain::local_time::TimeZone;
    use lantern_domain::{OrgId, OrgType};

    fn org(zone: &str) -> Organisation {
        Organisation {
            id: OrgId(1),
            ods_code: lantern_domain::OdsCode::parse("RJ1").expect("a code"),
            name: "A trust".into(),
            org_type: OrgType::parse("nhs_trust").expect("a type"),
            target_percent: 90.0,
            time_zone: TimeZone::parse(zone).expect("a zone"),
        }
    }

    fn at(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("instant")
            .to_utc()
    }

    #[test]
    fn today_and_the_end_of_a_day_are_the_organisations() {
        let london = org("Europe/London");
        // 00:30 BST on 1 June 2025.
        let now = at("2025-05-31T23:30:00Z");
        let asked = AsAt::parse(None, Some("2025-06-01")).expect("parses");
        let (date, known) = asked.resolve_at(&london, now);
        assert_eq!(date, "2025-06-01".parse::<NaiveDate>().unwrap());
        assert_eq!(known, Some(at("2025-06-01T22:59:59.999999Z")));
        let (date, _) = AsAt::today().resolve_at(&org("UTC"), now);
        assert_eq!(date, "2025-05-31".parse::<NaiveDate>().unwrap());
        // An instant with an offset is that instant wherever the organisation is.
        let asked = AsAt::parse(Some("2025-01-02"), Some("2025-06-01T00:30:00+01:00")).unwrap();
        assert_eq!(
            asked.resolve_at(&london, now),
            (
                "2025-01-02".parse().unwrap(),
                Some(at("2025-05-31T23:30:00Z"))
            )
        );
    }

    #[test]
    fn a_bad_parameter_is_named() {
        let e = AsAt::parse(Some("31/03/2025"), None).unwrap_err();
        assert!(e.message().contains("as_at"), "{}", e.message());
        let e = AsAt::parse(None, Some("yesterday")).unwrap_err();
        assert!(e.message().contains("known_at"), "{}", e.message());
        assert_eq!(AsAt::parse(Some(""), Some(" ")).unwrap(), AsAt::today());
    }
}
