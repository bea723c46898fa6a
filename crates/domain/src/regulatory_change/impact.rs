//! Whom a candidate change affects, found by running the engine over the organisation's people twice on the
//! effective date: with the rules as they are, and with the candidate's versions added (in memory only).
//!
//! "The change makes someone overdue" is what the engine's transition reads: under the new rules they would be
//! Missing or Expired on the effective date, on a requirement the change touches, while the day before it took effect
//! they were not overdue on it (it did not apply, or a record still counted). With a transition they are due by its
//! last day instead (counted as Pending: like a new starter, outside the percentage until the deadline passes).

use super::{Candidate, Transition};
use crate::dates::sub_days;
use crate::engine::{OrgEngine, PersonFacts, RequirementStatus};
use crate::model::{AcceptancePolicy, Person, Post, Rule, Subject, Unit};
use crate::rollup::Counts;
use crate::{Date, OrgId, PersonId, Status, UnitId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One person's facts, as the preview reads them.
#[derive(Clone, Copy)]
pub struct ImpactPerson<'a> {
    pub person: &'a Person,
    pub facts: PersonFacts<'a>,
}

/// People newly in scope of a requirement, in one unit and staff group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScopeGroup {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub unit_id: UnitId,
    pub unit: String,
    pub staff_group: String,
    /// People in this unit and staff group newly in scope of at least one requirement.
    pub people: u32,
    /// The requirements' titles with level, for example "Fire Safety (level 1)".
    pub requirements: Vec<String>,
}

/// A record that counts today and would stop counting on the effective date.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoppedRecord {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub person_id: PersonId,
    pub person: String,
    pub employee_number: String,
    pub requirement: String,
    pub completed_on: Date,
    /// Why, in the engine's words under the new rules.
    pub why: String,
}

/// A requirement a person newly has to meet because of the change.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRequirement {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub subject: Subject,
    pub level: u8,
    pub title: String,
    /// "new requirement" (it did not apply before) or "record stops counting".
    pub reason: String,
    /// The last day to meet it: the transition's last day, or the effective date without one.
    pub due_by: Date,
}

/// A person the change makes overdue (or due by the transition's end): whom the notifications go to.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AffectedPerson {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub person_id: PersonId,
    pub name: String,
    #[serde(skip)]
    pub email: Option<String>,
    /// Units of the posts that made the requirements apply (for their managers).
    #[serde(skip)]
    pub units: Vec<UnitId>,
    pub requirements: Vec<NewRequirement>,
}

/// The impact of a candidate change on one organisation.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Impact {
    pub effective_from: Date,
    /// The transition's last day ("due by"), if there is one.
    pub due_by: Option<Date>,
    /// People with a post on the effective date.
    pub people_assessed: u32,
    pub newly_in_scope_people: u32,
    pub newly_in_scope: Vec<ScopeGroup>,
    pub stopped_records: Vec<StoppedRecord>,
    /// Every requirement of everyone on the effective date, with the rules as they are.
    pub before: Counts,
    /// With the change and no transition.
    pub without_transition: Counts,
    /// With the change and the transition.
    pub with_transition: Counts,
    pub before_percent: Option<f64>,
    pub without_transition_percent: Option<f64>,
    pub with_transition_percent: Option<f64>,
    pub affected: Vec<AffectedPerson>,
}

fn by_subject(list: Vec<RequirementStatus>) -> BTreeMap<Subject, RequirementStatus> {
    list.into_iter().map(|s| (s.subject.clone(), s)).collect()
}

fn title(s: &RequirementStatus) -> String {
    format!("{} (level {})", s.explanation.rule.title, s.level)
}

/// The impact of `candidate` on the organisation's `people` on its effective date, with `transition`.
#[allow(clippy::too_many_arguments)]
pub fn impact(
    org: OrgId,
    units: &[Unit],
    current: &[Rule],
    policies: &[AcceptancePolicy],
    rehire_break_days: u32,
    candidate: &Candidate,
    transition: Transition,
    people: &[ImpactPerson],
) -> Impact {
    let e = candidate.effective_from;
    let day_before = sub_days(e, 1);
    // Without the transition: the engine would show the candidate's transition itself, and the figures without one
    // are the point of comparison. "With" is worked out below from who the change makes overdue.
    let mut new_rules = candidate.rules_with(current);
    for r in new_rules.iter_mut().skip(current.len()) {
        r.transition_ends = None;
    }
    let before_engine =
        OrgEngine::new(org, current, policies, None).with_rehire_break_days(rehire_break_days);
    let after_engine =
        OrgEngine::new(org, &new_rules, policies, None).with_rehire_break_days(rehire_break_days);
    let touched: BTreeSet<&str> = candidate
        .versions
        .iter()
        .map(|v| v.subject.as_str())
        .collect();
    let in_transition = transition.ends.is_some_and(|end| end > e);
    let due_by = transition.last_day().filter(|_| in_transition).unwrap_or(e);
    let unit_name: BTreeMap<UnitId, &str> = units.iter().map(|u| (u.id, u.name.as_str())).collect();

    let mut out = Impact {
        effective_from: e,
        due_by: transition.last_day().filter(|_| in_transition),
        people_assessed: 0,
        newly_in_scope_people: 0,
        newly_in_scope: Vec::new(),
        stopped_records: Vec::new(),
        before: Counts::default(),
        without_transition: Counts::default(),
        with_transition: Counts::default(),
        before_percent: None,
        without_transition_percent: None,
        with_transition_percent: None,
        affected: Vec::new(),
    };
    // (unit, staff group) -> (people, requirement titles)
    let mut groups: BTreeMap<(UnitId, String), (BTreeSet<PersonId>, BTreeSet<String>)> =
        BTreeMap::new();
    for p in people {
        let before_p = before_engine.person(p.facts);
        let after_p = after_engine.person(p.facts);
        let before = by_subject(before_p.explain_at(e));
        let after = by_subject(after_p.explain_at(e));
        if before.is_empty() && after.is_empty() {
            continue;
        }
        out.people_assessed += 1;
        for s in before.values() {
            out.before.add(s.status, 1);
        }
        let mut newly = false;
        let mut mine: Vec<NewRequirement> = Vec::new();
        let mut units_of: BTreeSet<UnitId> = BTreeSet::new();
        for (subject, a) in &after {
            out.without_transition.add(a.status, 1);
            let was = before.get(subject);
            let new_in_scope = was.is_none_or(|b| b.level != a.level);
            let posts: Vec<&Post> = a
                .explanation
                .applying_posts
                .iter()
                .filter_map(|r| p.facts.posts.iter().find(|post| post.id == r.post_id))
                .collect();
            if new_in_scope {
                newly = true;
                for post in &posts {
                    let g = groups
                        .entry((post.unit_id, post.staff_group.label().to_owned()))
                        .or_default();
                    g.0.insert(p.person.id);
                    g.1.insert(title(a));
                }
            }
            let made_overdue = a.status.is_overdue()
                && touched.contains(subject.as_str())
                && before_p
                    .status_at(subject, day_before)
                    .is_none_or(|(_, s)| !s.is_overdue());
            let status = if made_overdue && in_transition {
                Status::Pending
            } else {
                a.status
            };
            out.with_transition.add(status, 1);
            if made_overdue {
                units_of.extend(posts.iter().map(|post| post.unit_id));
                mine.push(NewRequirement {
                    subject: subject.clone(),
                    level: a.level,
                    title: title(a),
                    reason: if new_in_scope {
                        "new requirement".into()
                    } else {
                        "record stops counting".into()
                    },
                    due_by,
                });
            }
            // A record in date under the rules as they are that the new rules no longer count on the date.
            if let Some(b) = was.filter(|b| b.status.is_in_date() && !a.status.is_in_date()) {
                for used in &b.explanation.used {
                    out.stopped_records.push(StoppedRecord {
                        person_id: p.person.id,
                        person: p.person.display_name(),
                        employee_number: p.person.employee_number.clone(),
                        requirement: title(a),
                        completed_on: used.record.completed_on,
                        why: a.explanation.summary.clone(),
                    });
                }
            }
        }
        // Requirements that stop applying (retired, narrower scope) leave the counts; nothing to tell anyone.
        if newly {
            out.newly_in_scope_people += 1;
        }
        if !mine.is_empty() {
            out.affected.push(AffectedPerson {
                person_id: p.person.id,
                name: p.person.display_name(),
                email: p.person.email.clone(),
                units: units_of.into_iter().collect(),
                requirements: mine,
            });
        }
    }
    out.newly_in_scope = groups
        .into_iter()
        .map(|((unit_id, staff_group), (people, reqs))| ScopeGroup {
            unit_id,
            unit: unit_name
                .get(&unit_id)
                .map_or_else(|| format!("Unit {}", unit_id.0), |n| (*n).to_owned()),
            staff_group,
            people: people.len() as u32,
            requirements: reqs.into_iter().collect(),
        })
        .collect();
    out.newly_in_scope
        .sort_by(|a, b| (&a.unit, &a.staff_group).cmp(&(&b.unit, &b.staff_group)));
    out.before_percent = out.before.percent();
    out.without_transition_percent = out.without_transition.percent();
    out.with_transition_percent = out.with_transition.percent();
    out
}
