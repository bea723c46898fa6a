//! A learner's pathway in one organisation: the courses that close their mandatory gaps (overdue first, then by due
//! date), then the courses assigned to them (by due date), then the courses for development competencies of their
//! posts (role, specialty, AI-and-digital archetype), ordered by `lantern_learning::pathway::order` so that no course
//! comes before a prerequisite they have not completed. Each step says why it is there, how far they are, how long
//! is left, and whether they may test out of it. "My training" and `GET /api/v1/me/pathway` show this one view.
//!
//! Test-out is decided here too ([`test_out_offer`]): the organisation has turned it on for a requirement the
//! course satisfies, and the person's status for it is expiring or expired (issue 16, section 5: the assess-first
//! approach is for renewals, so a person who never held the requirement takes the course).

use super::PersonComplianceView;
use crate::auth::Caller;
use crate::{AppError, AppState};
use chrono::NaiveDate;
use lantern_domain::access::{Action, Scope};
use lantern_domain::engine::{PersonFacts, RequirementStatus};
use lantern_domain::{Organisation, PersonId, Status};
use lantern_learning::course::{CourseVersion, Mode, ModuleState};
use lantern_store::learning::{
    Attempt, CourseEntry, PersonAssignment, TestOutSetting, test_out_on,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// Why a course is on the pathway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// It closes a gap in a requirement.
    Mandatory,
    /// A manager assigned it.
    Assigned,
    /// A development competency of the person's posts.
    Development,
    /// Another course on the pathway requires it first.
    Prerequisite,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PathwayStep {
    pub course_code: String,
    pub course_title: String,
    /// The version a new attempt starts on (an open attempt keeps its own).
    pub version: u32,
    pub kind: StepKind,
    /// Why, in plain English: "Fire safety level 1: expired", "Assigned by Sam Ward".
    pub reason: String,
    pub due_on: Option<NaiveDate>,
    pub overdue: bool,
    /// Required modules done and in all (of the open attempt, or of the course).
    pub modules_done: usize,
    pub modules_total: usize,
    /// Estimated minutes left.
    pub minutes: u32,
    /// The open attempt, to resume.
    pub attempt_id: Option<i64>,
    /// Titles of the prerequisites not yet completed: while any are, the course is locked.
    pub locked_by: Vec<String>,
    /// The person may take the assessment first (test-out).
    pub test_out: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PathwayView {
    pub ods_code: String,
    pub org_name: String,
    pub as_at: NaiveDate,
    pub steps: Vec<PathwayStep>,
    /// Requirements out of date that no course here satisfies ("Fire safety level 2").
    pub uncovered: Vec<String>,
}

/// The course that satisfies a requirement here: the lowest level that does, then by title.
pub fn course_for<'a>(
    courses: &'a [CourseEntry],
    subject: &str,
    level: u8,
) -> Option<&'a CourseEntry> {
    courses
        .iter()
        .filter_map(|c| {
            let at = c
                .course
                .satisfies
                .iter()
                .filter(|s| s.subject == subject && s.level >= level)
                .map(|s| s.level)
                .min()?;
            Some((at, c))
        })
        .min_by(|a, b| (a.0, &a.1.course.title).cmp(&(b.0, &b.1.course.title)))
        .map(|(_, c)| c)
}

/// A gap the pathway should close: not in date and not exempt.
fn is_gap(r: &RequirementStatus) -> bool {
    !r.status.is_in_date() && r.status != Status::Exempt
}

/// Whether a requirement in this status may be renewed by testing out.
pub fn renewable(status: Status) -> bool {
    matches!(status, Status::Expiring | Status::Expired)
}

/// The requirement a person may test out of with this course, if any (see the module's notes).
pub fn test_out_for<'a>(
    course: &CourseVersion,
    requirements: &'a [RequirementStatus],
    settings: &[TestOutSetting],
) -> Option<&'a RequirementStatus> {
    if !course.can_test_out() {
        return None;
    }
    course.satisfies.iter().find_map(|s| {
        requirements.iter().find(|r| {
            r.subject == s.subject
                && r.level <= s.level
                && renewable(r.status)
                && test_out_on(settings, &s.subject, s.level, None)
        })
    })
}

/// The person's requirements today, explained: what test-out eligibility is decided on.
pub async fn requirements_now(
    state: &AppState,
    scope: &Scope,
    org: &Organisation,
    person: PersonId,
) -> Result<Vec<RequirementStatus>, AppError> {
    let ctx = state
        .read_model
        .context(state.store.as_ref(), scope, org.id)
        .await?;
    let p = state.store.person(scope, org.id, person).await?;
    let facts = PersonFacts {
        posts: &p.posts,
        records: &p.records,
        exemptions: &p.exemptions,
    };
    Ok(ctx
        .engine(None)
        .person(facts)
        .explain_at(org.today(crate::when::now())))
}

/// Whether the learner may test out of a course now: the requirement they would renew, or a refusal that says why.
pub async fn test_out_offer(
    state: &AppState,
    scope: &Scope,
    org: &Organisation,
    person: PersonId,
    course: &CourseVersion,
) -> Result<Option<RequirementStatus>, AppError> {
    if !course.can_test_out() {
        return Ok(None);
    }
    let settings = state.store.test_out_settings(org.id).await?;
    let requirements = requirements_now(state, scope, org, person).await?;
    Ok(test_out_for(course, &requirements, &settings).cloned())
}

/// Where a person stands with a course: the open attempt if any, else the course from the start.
fn standing(course: &CourseVersion, open: Option<&Attempt>) -> (usize, usize, u32) {
    match open {
        Some(a) => {
            let p = a.course.progress_in(a.mode, &a.states);
            (p.done, p.required, p.minutes_left)
        }
        None => {
            let p = course.progress(&[]);
            (p.done, p.required, p.minutes_left)
        }
    }
}

/// An open attempt a test-out could still start from: none, a live test-out, or one not begun.
pub fn test_out_possible(open: Option<&Attempt>) -> bool {
    open.is_none_or(|a| {
        a.mode == Mode::TestOut || a.states.iter().all(|s| *s == ModuleState::NotStarted)
    })
}

/// The pathway for one organisation's "My training" view. The caller must be a learner there.
pub async fn pathway(
    state: &AppState,
    caller: &Caller,
    view: &PersonComplianceView,
) -> Result<PathwayView, AppError> {
    let org = state
        .store
        .org_by_code(&caller.scope(), &view.ods_code)
        .await?;
    caller.require(Action::Learn(org.id))?;
    let person = PersonId(view.person_id);
    let scope = Scope::person(org.id, person);
    let courses = state.store.courses(org.id).await?;
    let attempts = state.store.attempts_of(&scope, org.id, person).await?;
    let assignments = state
        .store
        .assignments_of(&scope, org.id, &[person], view.as_at)
        .await?;
    let settings = state.store.test_out_settings(org.id).await?;
    Ok(build(view, &courses, &attempts, &assignments, &settings))
}

/// What decides a step's place: its group (mandatory, assigned, development), overdue first, then the due date.
type Rank = (StepKind, bool, NaiveDate);

/// Why a course is needed, at its most urgent.
struct Need {
    rank: Rank,
    reason: String,
    due_on: Option<NaiveDate>,
    overdue: bool,
}

/// The pathway from what is known about the person (pure, so the ordering is tested without a store).
pub fn build<'a>(
    view: &PersonComplianceView,
    courses: &'a [CourseEntry],
    attempts: &[Attempt],
    assignments: &[PersonAssignment],
    settings: &[TestOutSetting],
) -> PathwayView {
    let completed: BTreeSet<&str> = attempts
        .iter()
        .filter(|a| a.completed_at.is_some())
        .map(|a| a.course.code.as_str())
        .collect();
    // Each needed course once, at its most urgent rank, with why.
    let mut needed: BTreeMap<&str, Need> = BTreeMap::new();
    let mut uncovered = Vec::new();
    let add = |needed: &mut BTreeMap<&'a str, Need>, code: &str, need: Need| {
        let Some(c) = courses.iter().find(|c| c.course.code == code) else {
            return;
        };
        match needed.get_mut(c.course.code.as_str()) {
            // Needed twice (a gap and an assignment): both reasons, at the more urgent rank.
            Some(have) => {
                have.reason = format!("{}; {}", have.reason, need.reason);
                if need.rank < have.rank {
                    (have.rank, have.due_on, have.overdue) = (need.rank, need.due_on, need.overdue);
                }
            }
            None => {
                needed.insert(c.course.code.as_str(), need);
            }
        }
    };
    for (r, kind) in view
        .requirements
        .iter()
        .map(|r| (r, StepKind::Mandatory))
        .chain(view.development.iter().map(|r| (r, StepKind::Development)))
        .filter(|(r, _)| is_gap(r))
    {
        let title = format!("{} level {}", r.explanation.rule.title, r.level);
        match course_for(courses, &r.subject, r.level) {
            Some(c) => {
                let overdue = r.status.is_overdue();
                let reason = match r.due_on {
                    Some(d) if !overdue => {
                        format!("{title}: {}, due {d}", r.status.label().to_lowercase())
                    }
                    _ => format!("{title}: {}", r.status.label().to_lowercase()),
                };
                let need = Need {
                    rank: (kind, !overdue, r.due_on.unwrap_or(NaiveDate::MAX)),
                    reason,
                    due_on: r.due_on,
                    overdue,
                };
                add(&mut needed, &c.course.code, need);
            }
            None if kind == StepKind::Mandatory => uncovered.push(title),
            None => {}
        }
    }
    for a in assignments.iter().filter(|a| a.done.is_none()) {
        let overdue = a.overdue(view.as_at);
        let need = Need {
            rank: (StepKind::Assigned, !overdue, a.assignment.due_on),
            reason: format!(
                "Assigned by {}, due {}",
                a.assignment.assigned_by, a.assignment.due_on
            ),
            due_on: Some(a.assignment.due_on),
            overdue,
        };
        add(&mut needed, &a.assignment.course_code, need);
    }
    let list: Vec<(&str, Rank)> = needed.iter().map(|(c, n)| (*c, n.rank)).collect();
    let edges: Vec<(&str, &str)> = courses
        .iter()
        .flat_map(|c| {
            c.course
                .prerequisites
                .iter()
                .map(move |p| (c.course.code.as_str(), p.as_str()))
        })
        .collect();
    // A needed course is never "completed" for the ordering: an expired course must be taken again.
    let done_for_order: BTreeSet<&str> = completed
        .iter()
        .copied()
        .filter(|c| !needed.contains_key(c))
        .collect();
    let requirements: Vec<RequirementStatus> = view.requirements.clone();
    let steps = lantern_learning::pathway::order(&list, &edges, &done_for_order)
        .into_iter()
        .filter_map(|step| {
            let entry = courses.iter().find(|c| c.course.code == step.course)?;
            let open = attempts
                .iter()
                .filter(|a| a.course.code == step.course && a.under_way())
                .max_by_key(|a| a.id);
            let (done, total, minutes) = standing(&entry.course, open);
            let (kind, reason, due_on, overdue) = match (&step.why, needed.get(step.course)) {
                (lantern_learning::pathway::Why::Needed, Some(n)) => {
                    (n.rank.0, n.reason.clone(), n.due_on, n.overdue)
                }
                (lantern_learning::pathway::Why::PrerequisiteOf(of), _) => {
                    let title = courses
                        .iter()
                        .find(|c| c.course.code == *of)
                        .map_or(*of, |c| c.course.title.as_str());
                    (
                        StepKind::Prerequisite,
                        format!("Complete it before {title}"),
                        None,
                        false,
                    )
                }
                _ => return None,
            };
            let locked_by = entry
                .course
                .prerequisites
                .iter()
                .filter(|p| !completed.contains(p.as_str()))
                .map(|p| {
                    courses
                        .iter()
                        .find(|c| &c.course.code == p)
                        .map_or(p.clone(), |c| c.course.title.clone())
                })
                .collect();
            let test_out = kind == StepKind::Mandatory
                && test_out_possible(open)
                && test_out_for(&entry.course, &requirements, settings).is_some();
            Some(PathwayStep {
                course_code: entry.course.code.clone(),
                course_title: entry.course.title.clone(),
                version: open.map_or(entry.course.version, |a| a.course.version),
                kind,
                reason,
                due_on,
                overdue,
                modules_done: done,
                modules_total: total,
                minutes,
                attempt_id: open.map(|a| a.id),
                locked_by,
                test_out,
            })
        })
        .collect();
    PathwayView {
        ods_code: view.ods_code.clone(),
        org_name: view.org_name.clone(),
        as_at: view.as_at,
        steps,
        uncovered,
    }
}
