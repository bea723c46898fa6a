//! "As Lantern had recorded it at `known_at`": one reading of history for every fact an answer depends on.
//!
//! Facts are never updated in place. A unit's name and parent, a post's unit, job and end date, an organisation's
//! target: each change is a new *version* with the instant it was recorded. Rules, records, exemptions and acceptance
//! policies are versions by nature (each row is recorded once). To answer "as known at T" every reader takes, for
//! each fact, the latest version recorded at or before T; with no `known_at`, the latest version of all.
//!
//! A rule version states only when it takes effect. It is in force until the next version of the same requirement
//! *that was known at the time* takes effect, so adding a version never closes an older one by editing it, and a
//! question asked before the new version was recorded still sees the old one in force.
//!
//! A backdated change (a version taking effect on a date before it was recorded) changes answers about the past
//! from the moment it is recorded; asked with a `known_at` before that moment, Lantern gives the answer it gave then.

use crate::{Date, Post, Rule, Timestamp, Unit};
use std::collections::BTreeMap;

/// Whether a fact recorded at `recorded` was known at `known_at` (None: now, so everything recorded is known).
pub fn known(recorded: Timestamp, known_at: Option<Timestamp>) -> bool {
    known_at.is_none_or(|k| recorded <= k)
}

/// The latest version of each fact known at `known_at`, in the order of each fact's key. Versions of one fact share a
/// key; among versions recorded at the same instant the later one in `versions` wins (stores list versions in the
/// order they were written).
pub fn latest<T, K: Ord>(
    versions: &[T],
    known_at: Option<Timestamp>,
    key: impl Fn(&T) -> K,
    recorded: impl Fn(&T) -> Timestamp,
) -> Vec<&T> {
    let mut by_key: BTreeMap<K, &T> = BTreeMap::new();
    for v in versions.iter().filter(|v| known(recorded(v), known_at)) {
        match by_key.entry(key(v)) {
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(v);
            }
            std::collections::btree_map::Entry::Occupied(mut e) => {
                if recorded(v) >= recorded(e.get()) {
                    e.insert(v);
                }
            }
        }
    }
    by_key.into_values().collect()
}

/// Each post as known at `known_at` (a post's versions share its id).
pub fn posts(versions: &[Post], known_at: Option<Timestamp>) -> Vec<&Post> {
    latest(versions, known_at, |p| p.id, |p| p.recorded_at)
}

/// Each unit as known at `known_at` (a unit's versions share its id).
pub fn units(versions: &[Unit], known_at: Option<Timestamp>) -> Vec<Unit> {
    latest(versions, known_at, |u| u.id, |u| u.recorded_at)
        .into_iter()
        .cloned()
        .collect()
}

/// The value of a setting kept as versions, as known at `known_at`: the latest recorded at or before it.
pub fn setting<T: Copy>(versions: &[(T, Timestamp)], known_at: Option<Timestamp>) -> Option<T> {
    versions
        .iter()
        .filter(|(_, at)| known(*at, known_at))
        .max_by_key(|(_, at)| *at)
        .map(|(v, _)| *v)
}

/// The rule versions known at `known_at`, each with the date it stops being in force (`effective_to`, exclusive)
/// derived from the next version of the same requirement known then. Two versions taking effect on the same date:
/// the one recorded later replaces the other (a correction), which then never takes effect.
///
/// Ordered by (organisation, subject, level, effective date).
pub fn rule_versions(rules: &[Rule], known_at: Option<Timestamp>) -> Vec<Rule> {
    let mut by_requirement: BTreeMap<(crate::OrgId, &str, u8), Vec<&Rule>> = BTreeMap::new();
    for r in rules.iter().filter(|r| known(r.created_at, known_at)) {
        by_requirement
            .entry((r.org_id, r.subject.as_str(), r.level))
            .or_default()
            .push(r);
    }
    let mut out = Vec::new();
    for versions in by_requirement.into_values() {
        // One version per effective date: the latest recorded (a stable sort keeps write order on equal instants).
        let mut by_date: BTreeMap<Date, &Rule> = BTreeMap::new();
        for r in versions {
            match by_date.get(&r.effective_from) {
                Some(old) if old.created_at > r.created_at => {}
                _ => {
                    by_date.insert(r.effective_from, r);
                }
            }
        }
        let list: Vec<&Rule> = by_date.into_values().collect();
        for (i, r) in list.iter().enumerate() {
            let mut version = (*r).clone();
            version.effective_to = list.get(i + 1).map(|next| next.effective_from);
            out.push(version);
        }
    }
    out
}

/// The latest version of each of the organisation's requirements (subject and level; development competencies left
/// out), by effective date and then the instant recorded, leaving out requirements whose latest version retires them:
/// what an admin's form offers to record, exempt from or link to. Sorted by subject and level.
pub fn latest_requirements(rules: &[Rule]) -> Vec<&Rule> {
    let mut latest: BTreeMap<(&str, u8), &Rule> = BTreeMap::new();
    for r in rules
        .iter()
        .filter(|r| r.purpose == crate::RulePurpose::Requirement)
    {
        let key = (r.subject.as_str(), r.level);
        match latest.get(&key) {
            Some(have)
                if (have.effective_from, have.created_at) > (r.effective_from, r.created_at) => {}
            _ => {
                latest.insert(key, r);
            }
        }
    }
    latest.into_values().filter(|r| !r.retired).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::FrameworkFile;
    use crate::{OrgId, RuleId};

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn rule(id: i64, from: &str, recorded: &str) -> Rule {
        let file = FrameworkFile::parse(
            "cstf.toml",
            include_str!("../../../frameworks/cstf-england-1.1.toml"),
        )
        .expect("framework");
        let mut r = file
            .instantiate(OrgId(1), at(recorded))
            .into_iter()
            .find(|r| r.subject == "cstf.fire_safety")
            .expect("fire safety");
        r.id = RuleId(id);
        r.effective_from = from.parse().expect("date");
        r
    }

    #[test]
    fn a_new_version_closes_the_old_one_only_for_questions_asked_after_it_was_recorded() {
        let rules = vec![
            rule(1, "2020-01-01", "2020-01-01T00:00:00Z"),
            rule(2, "2025-01-01", "2026-06-01T00:00:00Z"),
        ];
        let before = rule_versions(&rules, Some(at("2026-05-31T23:59:59Z")));
        assert_eq!(before.len(), 1);
        assert_eq!(before[0].id, RuleId(1));
        assert_eq!(
            before[0].effective_to, None,
            "the old version was open then"
        );
        let now = rule_versions(&rules, None);
        assert_eq!(now.len(), 2);
        assert_eq!(now[0].effective_to, Some("2025-01-01".parse().unwrap()));
        assert_eq!(now[1].effective_to, None);
    }

    #[test]
    fn a_later_version_for_the_same_date_replaces_the_earlier_one() {
        let rules = vec![
            rule(1, "2020-01-01", "2020-01-01T00:00:00Z"),
            rule(2, "2020-01-01", "2021-01-01T00:00:00Z"),
        ];
        let now = rule_versions(&rules, None);
        assert_eq!(now.len(), 1);
        assert_eq!(now[0].id, RuleId(2));
        let then = rule_versions(&rules, Some(at("2020-06-01T00:00:00Z")));
        assert_eq!(then[0].id, RuleId(1));
    }

    #[test]
    fn settings_take_the_latest_value_known() {
        let v = [
            (90.0, at("2020-01-01T00:00:00Z")),
            (85.0, at("2022-01-01T00:00:00Z")),
        ];
        assert_eq!(setting(&v, None), Some(85.0));
        assert_eq!(setting(&v, Some(at("2021-01-01T00:00:00Z"))), Some(90.0));
        assert_eq!(setting(&v, Some(at("2019-01-01T00:00:00Z"))), None);
    }

    #[test]
    fn a_requirement_whose_latest_version_retires_it_is_not_offered() {
        let mut retired = rule(3, "2026-01-01", "2025-12-01T00:00:00Z");
        retired.retired = true;
        let rules = vec![
            rule(1, "2020-01-01", "2020-01-01T00:00:00Z"),
            rule(2, "2024-01-01", "2023-06-01T00:00:00Z"),
        ];
        let latest = latest_requirements(&rules);
        assert_eq!(
            latest.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![RuleId(2)]
        );
        let with_retired: Vec<Rule> = rules.into_iter().chain([retired]).collect();
        assert!(
            latest_requirements(&with_retired).is_empty(),
            "an older version does not come back"
        );
    }
}
