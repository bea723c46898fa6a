//! When an xAPI statement becomes a training record. An organisation's LRS takes statements from e-learning,
//! simulators and cmi5 players; those that meet one of its mappings become training records for the person the
//! actor names. These are the rules; the store reads the statements and writes the records.
//!
//! A statement counts when a live mapping covers its object activity (exactly, or by a prefix ending in `*`), counts
//! its verb, and its result meets the mapping's conditions (success, a minimum scaled score). The record is for the
//! mapping's competency and level, completed on the statement's date in the organisation's time zone, with the mapping's hours or
//! else the hours of the result's duration. The actor must be a person of the organisation: by email, or by an
//! account on Lantern itself whose name is the employee number.

use crate::local_time::TimeZone;
use crate::{Date, OrgId, OrgType, ProviderType, Subject, Timestamp};

/// A mapping that turns statements into training records.
#[derive(Clone, Debug, PartialEq)]
pub struct XapiMapping {
    pub id: i64,
    pub org: OrgId,
    /// An activity IRI, or a prefix ending in `*`.
    pub activity: String,
    /// The competency and level the record is for.
    pub subject: Subject,
    pub level: u8,
    /// Verb IRIs that count.
    pub verbs: Vec<String>,
    /// Only statements whose result.success is true.
    pub require_success: bool,
    /// Only statements whose result.score.scaled is at least this.
    pub min_scaled_score: Option<f64>,
    /// Hours credited (for hours-based requirements such as safeguarding); else result.duration is used if given.
    pub hours: Option<f64>,
    pub created_at: Timestamp,
    pub retired_at: Option<Timestamp>,
}

impl XapiMapping {
    /// True when the mapping's activity pattern covers the IRI.
    pub fn covers(&self, iri: &str) -> bool {
        match self.activity.strip_suffix('*') {
            Some(prefix) => iri.starts_with(prefix),
            None => iri == self.activity,
        }
    }

    /// True when a statement with this outcome counts under the mapping.
    pub fn counts(&self, o: &StatementOutcome<'_>) -> bool {
        self.retired_at.is_none()
            && o.activity.is_some_and(|a| self.covers(a))
            && self.verbs.iter().any(|v| v == o.verb)
            && (!self.require_success || o.success == Some(true))
            && self
                .min_scaled_score
                .is_none_or(|min| o.scaled.is_some_and(|s| s >= min))
    }
}

/// What a statement says that a mapping looks at.
#[derive(Clone, Debug, PartialEq)]
pub struct StatementOutcome<'a> {
    pub verb: &'a str,
    /// The object's IRI when the object is an Activity.
    pub activity: Option<&'a str>,
    /// result.success
    pub success: Option<bool>,
    /// result.score.scaled
    pub scaled: Option<f64>,
    /// result.duration, an ISO 8601 duration.
    pub duration: Option<&'a str>,
    /// When the learning happened (the statement's timestamp).
    pub timestamp: Timestamp,
}

/// The training record a statement becomes.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedRecord {
    pub subject: Subject,
    pub level: u8,
    pub completed_on: Date,
    pub hours: Option<f64>,
}

/// The record the statement becomes under the first live mapping it meets, if any. It was completed on the
/// statement's date in the organisation's time zone: a course finished at 00:30 on a summer morning in London was
/// finished that day, not the day before as UTC would say.
pub fn mapped_record(
    mappings: &[XapiMapping],
    o: &StatementOutcome<'_>,
    zone: TimeZone,
) -> Option<MappedRecord> {
    let m = mappings.iter().find(|m| m.counts(o))?;
    Some(MappedRecord {
        subject: m.subject.clone(),
        level: m.level,
        completed_on: zone.date_at(o.timestamp),
        hours: m.hours.or_else(|| o.duration.and_then(duration_hours)),
    })
}

/// Hours in an ISO 8601 duration (`PT1H30M`, `P1DT2H`, `PT45M`): days count 24 hours; years, months and weeks are
/// not training durations and give none.
pub fn duration_hours(d: &str) -> Option<f64> {
    let rest = d.strip_prefix('P')?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut hours = 0.0;
    let mut take = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut num = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                num.push(c);
            } else {
                let factor = units.iter().find(|(u, _)| *u == c)?.1;
                hours += num.parse::<f64>().ok()? * factor;
                num.clear();
            }
        }
        num.is_empty().then_some(())
    };
    take(date, &[('D', 24.0)])?;
    take(time, &[('H', 1.0), ('M', 1.0 / 60.0), ('S', 1.0 / 3600.0)])?;
    Some(hours)
}

/// How the person a record is for is found in the organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Learner<'a> {
    /// By their email, lowercased (emails are compared without case).
    Email(String),
    /// By employee number: the actor is an account on Lantern itself, as content Lantern launches is told (cmi5).
    EmployeeNumber(&'a str),
}

/// The person an actor names, from its email (`mbox`, without `mailto:`) or its account (home page and name); an
/// account elsewhere, an `openid` or a hashed email names nobody. `lantern_home` is Lantern's public URL.
pub fn learner<'a>(
    mbox: Option<&str>,
    account: Option<(&str, &'a str)>,
    lantern_home: &str,
) -> Option<Learner<'a>> {
    if let Some(email) = mbox {
        return Some(Learner::Email(email.to_lowercase()));
    }
    let (page, name) = account?;
    (page.trim_end_matches('/') == lantern_home.trim_end_matches('/'))
        .then_some(Learner::EmployeeNumber(name))
}

/// The provider type of training an organisation delivers itself, which is what a record from its own LRS is.
pub fn provider_type_of(org_type: OrgType) -> ProviderType {
    match org_type {
        OrgType::NhsTrust => ProviderType::NhsTrust,
        OrgType::PrivateHospital => ProviderType::PrivateHospital,
        OrgType::MedicalSchool => ProviderType::University,
        OrgType::GpPractice => ProviderType::GpPractice,
        OrgType::Icb => ProviderType::Icb,
        OrgType::ResearchInstitute | OrgType::Other => ProviderType::Commercial,
    }
}

/// Why a record a voided statement became is withdrawn (superseded, never deleted).
pub fn withdrawal_reason(voided: impl std::fmt::Display) -> String {
    format!("withdrawn: xAPI statement {voided} was voided")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";

    fn mapping(activity: &str) -> XapiMapping {
        XapiMapping {
            id: 1,
            org: OrgId(1),
            activity: activity.into(),
            subject: Subject::from_static("fire_safety"),
            level: 1,
            verbs: vec![PASSED.into()],
            require_success: true,
            min_scaled_score: Some(0.8),
            hours: None,
            created_at: at("2026-01-01T00:00:00Z"),
            retired_at: None,
        }
    }

    fn london() -> TimeZone {
        TimeZone::parse("Europe/London").expect("a zone")
    }

    fn at(s: &str) -> Timestamp {
        s.parse().expect("an RFC 3339 time")
    }

    fn outcome(activity: &str, success: Option<bool>, scaled: Option<f64>) -> StatementOutcome<'_> {
        StatementOutcome {
            verb: PASSED,
            activity: Some(activity),
            success,
            scaled,
            duration: None,
            timestamp: at("2026-11-30T23:30:00Z"),
        }
    }

    #[test]
    fn mappings_need_the_verb_activity_success_and_score() {
        let ms = [mapping("https://elearning.example/fire/*")];
        let hit = |o: &StatementOutcome| mapped_record(&ms, o, london()).is_some();
        assert!(hit(&outcome(
            "https://elearning.example/fire/module-1",
            Some(true),
            Some(0.8)
        )));
        for (o, why) in [
            (
                outcome(
                    "https://elearning.example/ipc/module-1",
                    Some(true),
                    Some(0.9),
                ),
                "another activity",
            ),
            (
                outcome(
                    "https://elearning.example/fire/module-1",
                    Some(false),
                    Some(0.9),
                ),
                "failed",
            ),
            (
                outcome("https://elearning.example/fire/module-1", None, Some(0.9)),
                "no success given",
            ),
            (
                outcome(
                    "https://elearning.example/fire/module-1",
                    Some(true),
                    Some(0.79),
                ),
                "below the score",
            ),
            (
                outcome("https://elearning.example/fire/module-1", Some(true), None),
                "no score given",
            ),
        ] {
            assert!(!hit(&o), "{why}");
        }
        let other_verb = StatementOutcome {
            verb: "http://adlnet.gov/expapi/verbs/experienced",
            ..outcome(
                "https://elearning.example/fire/module-1",
                Some(true),
                Some(1.0),
            )
        };
        assert!(!hit(&other_verb), "a verb the mapping does not count");
        let not_an_activity = StatementOutcome {
            activity: None,
            ..outcome("", Some(true), Some(1.0))
        };
        assert!(!hit(&not_an_activity), "an object that is no activity");

        let exact = [mapping("https://elearning.example/fire")];
        assert!(
            mapped_record(
                &exact,
                &outcome("https://elearning.example/fire", Some(true), Some(1.0)),
                london()
            )
            .is_some()
        );
        assert!(
            mapped_record(
                &exact,
                &outcome("https://elearning.example/fire/2", Some(true), Some(1.0)),
                london()
            )
            .is_none()
        );
        let mut retired = mapping("https://elearning.example/fire/*");
        retired.retired_at = Some(at("2026-06-01T00:00:00Z"));
        assert!(
            mapped_record(
                &[retired],
                &outcome("https://elearning.example/fire/1", Some(true), Some(1.0)),
                london()
            )
            .is_none()
        );

        let mut lenient = mapping("https://elearning.example/fire/*");
        lenient.require_success = false;
        lenient.min_scaled_score = None;
        assert!(
            mapped_record(
                &[lenient],
                &outcome("https://elearning.example/fire/1", None, None),
                london()
            )
            .is_some(),
            "a mapping without conditions takes any result"
        );
    }

    #[test]
    fn the_record_is_the_first_live_mappings_on_the_statements_date() {
        let mut retired = mapping("https://elearning.example/*");
        retired.subject = Subject::from_static("retired");
        retired.retired_at = Some(at("2026-06-01T00:00:00Z"));
        let mut first = mapping("https://elearning.example/fire/*");
        first.hours = Some(2.0);
        let mut second = mapping("https://elearning.example/*");
        second.subject = Subject::from_static("other");
        let o = StatementOutcome {
            duration: Some("PT45M"),
            ..outcome("https://elearning.example/fire/1", Some(true), Some(0.9))
        };
        let r = mapped_record(&[retired, first.clone(), second.clone()], &o, london())
            .expect("a record");
        assert_eq!(
            r,
            MappedRecord {
                subject: Subject::from_static("fire_safety"),
                level: 1,
                completed_on: Date::from_ymd_opt(2026, 11, 30).unwrap(),
                hours: Some(2.0),
            },
            "the mapping's hours win over the duration"
        );
        first.hours = None;
        assert_eq!(
            mapped_record(&[first.clone()], &o, london()).unwrap().hours,
            Some(0.75),
            "else the duration's"
        );
        let no_duration = outcome("https://elearning.example/fire/1", Some(true), Some(0.9));
        assert_eq!(
            mapped_record(&[first], &no_duration, london())
                .unwrap()
                .hours,
            None
        );
    }

    #[test]
    fn the_completion_date_is_the_organisations_local_date() {
        let ms = [mapping("https://elearning.example/fire/*")];
        // 23:30 UTC on 30 June is 00:30 on 1 July in London (British Summer Time); in winter the dates agree.
        let summer = StatementOutcome {
            timestamp: at("2026-06-30T23:30:00Z"),
            ..outcome("https://elearning.example/fire/1", Some(true), Some(1.0))
        };
        let day = |o: &StatementOutcome, zone| mapped_record(&ms, o, zone).unwrap().completed_on;
        assert_eq!(
            day(&summer, london()),
            Date::from_ymd_opt(2026, 7, 1).unwrap()
        );
        let utc = TimeZone::parse("UTC").expect("a zone");
        assert_eq!(day(&summer, utc), Date::from_ymd_opt(2026, 6, 30).unwrap());
        let winter = outcome("https://elearning.example/fire/1", Some(true), Some(1.0));
        assert_eq!(
            day(&winter, london()),
            Date::from_ymd_opt(2026, 11, 30).unwrap()
        );
    }

    #[test]
    fn actors_name_people_by_email_or_by_lantern_account() {
        assert_eq!(
            learner(Some("A.Nurse@nhs.net"), None, "https://l.test"),
            Some(Learner::Email("a.nurse@nhs.net".into()))
        );
        assert_eq!(
            learner(None, Some(("https://l.test/", "E123")), "https://l.test"),
            Some(Learner::EmployeeNumber("E123"))
        );
        assert_eq!(
            learner(None, Some(("https://other.lms", "E123")), "https://l.test"),
            None,
            "another system's accounts"
        );
        assert_eq!(
            learner(None, None, "https://l.test"),
            None,
            "openid or a hashed email"
        );
    }

    #[test]
    fn durations_become_hours() {
        assert_eq!(duration_hours("PT1H30M"), Some(1.5));
        assert_eq!(duration_hours("P1DT2H"), Some(26.0));
        assert_eq!(duration_hours("PT45M"), Some(0.75));
        assert_eq!(duration_hours("PT90S"), Some(0.025));
        assert_eq!(
            duration_hours("P1Y"),
            None,
            "a year is no training duration"
        );
        assert_eq!(duration_hours("P2W"), None, "nor are weeks");
        assert_eq!(duration_hours("1H"), None);
        assert_eq!(duration_hours("PT1.5"), None, "a number without a unit");
    }

    #[test]
    fn an_organisations_own_training_has_its_provider_type() {
        assert_eq!(provider_type_of(OrgType::NhsTrust), ProviderType::NhsTrust);
        assert_eq!(
            provider_type_of(OrgType::MedicalSchool),
            ProviderType::University
        );
        assert_eq!(
            provider_type_of(OrgType::ResearchInstitute),
            ProviderType::Commercial
        );
        assert_eq!(
            withdrawal_reason("f1d3c5e0-0000-4000-8000-000000000000"),
            "withdrawn: xAPI statement f1d3c5e0-0000-4000-8000-000000000000 was voided"
        );
    }
}
