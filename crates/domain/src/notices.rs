//! Scheduled notices: which reminder a person is due today about one requirement, and when their manager is told.
//!
//! An organisation's policy names the days before a due date at which a person hears (by default 60, 30 and 7),
//! whether they hear when it becomes overdue, and after how many days overdue their managers hear too. Each notice
//! is one stage of one "episode": a requirement with one due date. A renewal gives a new due date and so a new
//! episode, with its own notices. Only the most urgent stage reached is due: someone whose record arrives 20 days
//! before its expiry hears once (the 30-day notice), not three times; a server that was down for a week catches up
//! with one notice, not a backlog. Whether a notice was already sent is the store's to know (one row per episode,
//! stage and recipient), which makes the job idempotent.
//!
//! The first default stage, 60 days, is Lantern's default warning window (a requirement turns "expiring" 60 days
//! before its expiry; `DEFAULT_WARNING_DAYS`), so a person hears when the status they see changes; 30 and 7 days
//! follow it as the date nears. Escalation to the managers after two weeks overdue is a product default an
//! organisation may change: long enough for the person to act on their own notice first.

use crate::Date;
use crate::Status;
use serde::{Deserialize, Serialize};

/// An organisation's notice policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticePolicy {
    /// Days before the due date at which the person is told, most distant first (at most `MAX_STAGES`, each in
    /// 1..=365). Empty: no notice before the due date.
    pub before_days: Vec<u32>,
    /// Tell the person when a requirement becomes overdue.
    pub on_overdue: bool,
    /// Tell the person's managers once it has been overdue this many days; None: never.
    pub escalate_after_days: Option<u32>,
    /// Send each manager a digest of their team once a week (the first run of each ISO week).
    pub weekly_digest: bool,
}

/// At most this many notices before a due date.
pub const MAX_STAGES: usize = 5;

impl Default for NoticePolicy {
    fn default() -> Self {
        NoticePolicy {
            before_days: vec![60, 30, 7],
            on_overdue: true,
            escalate_after_days: Some(14),
            weekly_digest: true,
        }
    }
}

impl NoticePolicy {
    /// Reads "60, 30, 7" (any order, blanks allowed), naming what is wrong.
    pub fn parse_days(text: &str) -> Result<Vec<u32>, String> {
        let mut days = Vec::new();
        for part in text.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
            let d: u32 = part
                .trim()
                .parse()
                .map_err(|_| format!("{:?} is not a number of days", part.trim()))?;
            days.push(d);
        }
        days.sort_unstable_by(|a, b| b.cmp(a));
        days.dedup();
        Ok(days)
    }

    /// The problems with this policy, each naming its field; empty when it is sound.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.before_days.len() > MAX_STAGES {
            out.push((
                "before_days",
                format!("at most {MAX_STAGES} reminders before a due date"),
            ));
        }
        if let Some(d) = self.before_days.iter().find(|d| !(1..=365).contains(*d)) {
            out.push(("before_days", format!("{d} days: each must be 1 to 365")));
        }
        if let Some(d) = self.escalate_after_days
            && !(1..=365).contains(&d)
        {
            out.push(("escalate_after_days", format!("{d} days: must be 1 to 365")));
        }
        out
    }

    /// The person's notice due today about one requirement, if any: the most urgent stage reached.
    pub fn person_stage(&self, status: Status, due_on: Option<Date>, today: Date) -> Option<Stage> {
        match status {
            Status::Expired | Status::Missing => self.on_overdue.then_some(Stage::Overdue),
            Status::Compliant | Status::Expiring | Status::Pending => {
                let left = (due_on? - today).num_days();
                if left < 0 {
                    return None;
                }
                self.before_days
                    .iter()
                    .copied()
                    .filter(|d| left <= i64::from(*d))
                    .min()
                    .map(Stage::Before)
            }
            Status::Exempt => None,
        }
    }

    /// As [`NoticePolicy::person_stage`], for a person who chose only the last reminder before a due date: the
    /// earlier ones are not theirs; the last one and overdue ones, which the organisation requires, are.
    pub fn person_stage_last_only(
        &self,
        status: Status,
        due_on: Option<Date>,
        today: Date,
    ) -> Option<Stage> {
        match self.person_stage(status, due_on, today)? {
            Stage::Before(d) if self.before_days.iter().any(|x| *x < d) => None,
            s => Some(s),
        }
    }

    /// Whether the person's managers are to be told today about a requirement overdue since `due_on` (a missing
    /// requirement with no date is overdue since `overdue_since`, when it is known).
    pub fn escalates(&self, status: Status, overdue_since: Option<Date>, today: Date) -> bool {
        match (self.escalate_after_days, status.is_overdue(), overdue_since) {
            (Some(after), true, Some(since)) => (today - since).num_days() >= i64::from(after),
            _ => false,
        }
    }
}

/// One notice about one requirement's episode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// This many days or fewer before the due date.
    Before(u32),
    /// The requirement is overdue.
    Overdue,
    /// Overdue long enough that the person's managers are told.
    Escalated,
}

impl Stage {
    pub fn code(self) -> String {
        match self {
            Stage::Before(d) => format!("before-{d}"),
            Stage::Overdue => "overdue".to_owned(),
            Stage::Escalated => "escalated".to_owned(),
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        match text {
            "overdue" => Some(Stage::Overdue),
            "escalated" => Some(Stage::Escalated),
            t => t
                .strip_prefix("before-")
                .and_then(|d| d.parse().ok())
                .map(Stage::Before),
        }
    }

    /// "60 days before it is due", "overdue", "overdue: your manager told".
    pub fn describe(self) -> String {
        match self {
            Stage::Before(d) => format!("{d} days before it is due"),
            Stage::Overdue => "when it became overdue".to_owned(),
            Stage::Escalated => "to the manager, overdue too long".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("a date")
    }

    #[test]
    fn the_most_urgent_stage_reached_is_due_and_only_one() {
        let p = NoticePolicy::default();
        let today = d("2026-12-07");
        let due = |days: i64| Some(today + chrono::TimeDelta::days(days));
        assert_eq!(p.person_stage(Status::Compliant, due(61), today), None);
        assert_eq!(
            p.person_stage(Status::Compliant, due(60), today),
            Some(Stage::Before(60))
        );
        assert_eq!(
            p.person_stage(Status::Expiring, due(31), today),
            Some(Stage::Before(60))
        );
        assert_eq!(
            p.person_stage(Status::Expiring, due(20), today),
            Some(Stage::Before(30)),
            "a record 20 days from expiry hears once, at the 30-day stage"
        );
        assert_eq!(
            p.person_stage(Status::Pending, due(0), today),
            Some(Stage::Before(7)),
            "a new starter's deadline counts like an expiry"
        );
        assert_eq!(
            p.person_stage(Status::Expired, due(-3), today),
            Some(Stage::Overdue)
        );
        assert_eq!(
            p.person_stage(Status::Missing, None, today),
            Some(Stage::Overdue)
        );
        assert_eq!(p.person_stage(Status::Exempt, due(3), today), None);
        assert_eq!(
            p.person_stage(Status::Compliant, None, today),
            None,
            "no expiry"
        );
        assert_eq!(
            p.person_stage_last_only(Status::Expiring, due(20), today),
            None,
            "the 30-day reminder is an early one"
        );
        assert_eq!(
            p.person_stage_last_only(Status::Expiring, due(6), today),
            Some(Stage::Before(7))
        );
        assert_eq!(
            p.person_stage_last_only(Status::Expired, due(-1), today),
            Some(Stage::Overdue)
        );
        let quiet = NoticePolicy {
            before_days: vec![],
            on_overdue: false,
            escalate_after_days: None,
            weekly_digest: false,
        };
        assert_eq!(quiet.person_stage(Status::Expiring, due(3), today), None);
        assert_eq!(quiet.person_stage(Status::Expired, due(-3), today), None);
    }

    #[test]
    fn managers_hear_after_the_days_overdue_the_policy_gives() {
        let p = NoticePolicy::default();
        let today = d("2026-12-07");
        assert!(!p.escalates(Status::Expired, Some(d("2026-11-24")), today));
        assert!(p.escalates(Status::Expired, Some(d("2026-11-23")), today));
        assert!(p.escalates(Status::Missing, Some(d("2026-01-01")), today));
        assert!(
            !p.escalates(Status::Missing, None, today),
            "since when unknown"
        );
        assert!(!p.escalates(Status::Expiring, Some(d("2026-01-01")), today));
    }

    #[test]
    fn policies_are_read_and_checked_naming_the_field() {
        assert_eq!(
            NoticePolicy::parse_days("7, 60 30,,60").unwrap(),
            [60, 30, 7]
        );
        assert!(
            NoticePolicy::parse_days("7, soon")
                .unwrap_err()
                .contains("soon")
        );
        let bad = NoticePolicy {
            before_days: vec![400, 1],
            on_overdue: true,
            escalate_after_days: Some(0),
            weekly_digest: true,
        };
        let fields: Vec<&str> = bad.problems().iter().map(|p| p.0).collect();
        assert_eq!(fields, ["before_days", "escalate_after_days"]);
        assert!(NoticePolicy::default().problems().is_empty());
        for s in [Stage::Before(30), Stage::Overdue, Stage::Escalated] {
            assert_eq!(Stage::parse(&s.code()), Some(s));
        }
        assert_eq!(Stage::parse("later"), None);
    }
}
