//! What pages and the API show, computed once for both: an organisation's unit x requirement compliance, a unit's
//! people, and a person's explained compliance. Each takes the caller, asks the access policy for its action, and
//! reads the store within the caller's scope.
//!
//! Views with more logic have a file of their own: `org_compliance` (the heatmap, for the organisation or within a
//! unit, as many levels as fit), `team` (a manager's filtered team and whom to remind), `trends`
//! (the leader's series, forecast and units below target), `rules` (requirement rules and what a new version may
//! change), `changes` (a regulatory change's preview, applying it, and an organisation's changes) with the emails
//! it sends (`change_mail`), `pathway` (a learner's courses in order, with test-out) and `assignments` (courses
//! assigned by managers, counted on My team).

pub mod assignments;
mod change_mail;
pub mod changes;
pub mod courses;
pub mod org_compliance;
pub mod pathway;
pub mod rules;
pub mod team;
pub mod trends;
pub mod where_to_complete;

use crate::auth::Caller;
use crate::when::AsAt;
use crate::{AppError, AppState};
use chrono::NaiveDate;
use lantern_domain::access::Action;
use lantern_domain::engine::{OrgEngine, PersonFacts, RequirementStatus};
use lantern_domain::rollup::{Counts, Node};
use lantern_domain::*;
use lantern_store::{PeopleFilter, PersonName};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

pub mod revalidation;

pub use org_compliance::{Levels, OrgComplianceView, UnitRowView, org_compliance};

/// A column of the heatmap: a subject at a level.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RequirementColumn {
    #[schema(value_type = String)]
    pub subject: Subject,
    pub level: u8,
    pub title: String,
    pub framework: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Cell {
    pub counts: Counts,
    /// (compliant + expiring) / (applicable - exempt - pending) in percent; null when nobody is counted ("n/a").
    pub percent: Option<f64>,
}

impl Cell {
    fn new(counts: Counts) -> Self {
        Cell {
            percent: counts.percent(),
            counts,
        }
    }
}

/// Each requirement's title and framework, from the latest version known at `known_at`.
pub(crate) fn titles(
    rules: &[Rule],
    known_at: Option<Timestamp>,
) -> HashMap<(Subject, u8), (String, String)> {
    let mut known: Vec<&Rule> = rules
        .iter()
        .filter(|r| lantern_domain::history::known(r.created_at, known_at))
        .collect();
    known.sort_by_key(|r| (r.effective_from, r.created_at));
    known
        .into_iter()
        .map(|r| {
            (
                (r.subject.clone(), r.level),
                (r.title.clone(), r.framework.clone()),
            )
        })
        .collect()
}

/// Units depth-first, children by name, with their depth (1 for roots).
pub(crate) fn tree_order(units: &[Unit]) -> Vec<(&Unit, usize)> {
    let mut children: HashMap<Option<UnitId>, Vec<&Unit>> = HashMap::new();
    for u in units {
        children.entry(u.parent_id).or_default().push(u);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let mut out = Vec::with_capacity(units.len());
    let mut stack: Vec<(&Unit, usize)> = children
        .get(&None)
        .into_iter()
        .flatten()
        .rev()
        .map(|u| (*u, 1))
        .collect();
    while let Some((u, depth)) = stack.pop() {
        out.push((u, depth));
        if let Some(kids) = children.get(&Some(u.id)) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    out
}

/// What to do about a requirement in its status, in plain English: what "My training" and reminder emails say.
pub fn what_to_do(status: Status, due: Option<NaiveDate>) -> String {
    match (status, due) {
        (Status::Missing, _) => "Complete this training now.".to_owned(),
        (Status::Expired, _) => "This has expired: complete the refresher now.".to_owned(),
        (Status::Expiring, Some(d)) => format!("Renew before {d}."),
        // Pending: a new starter, or someone a rule change made due; the tag beside it says which.
        (Status::Pending, Some(d)) => format!("Complete this by {d}."),
        // `due` is the first day it is no longer in date.
        (Status::Compliant, Some(d)) => {
            format!("In date until {}.", lantern_domain::dates::sub_days(d, 1))
        }
        (Status::Exempt, _) => "You are exempt from this.".to_owned(),
        (_, None) => String::new(),
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PersonRowView {
    pub person_id: i64,
    pub employee_number: String,
    pub name: String,
    pub job_roles: Vec<String>,
    pub staff_group: String,
    /// Every applicable requirement's status, worst first.
    pub statuses: Vec<PersonStatusBrief>,
    pub overdue: usize,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PersonStatusBrief {
    #[schema(value_type = String)]
    pub subject: Subject,
    pub level: u8,
    pub title: String,
    /// The code of the framework the requirement comes from (`cstf-england`): the team view groups its columns by
    /// it, under the framework's name.
    pub framework: String,
    pub status: Status,
    pub due_on: Option<NaiveDate>,
    pub summary: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UnitPeopleView {
    pub ods_code: String,
    pub org_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_kind: String,
    /// Ancestors from the top, for breadcrumbs: (unit id, name).
    pub path: Vec<(i64, String)>,
    pub as_at: NaiveDate,
    pub people: Vec<PersonRowView>,
}

/// A unit's people in post on the date with their status and due date for each requirement, read from the roll-up
/// index rather than from records: what a manager's team matrix needs, at the cost of a couple of light queries. The
/// one-line summaries name the status and date; a person's page has the full explanation.
pub async fn team_matrix(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    unit_id: UnitId,
    as_at: Option<NaiveDate>,
) -> Result<UnitPeopleView, AppError> {
    let scope = &caller.scope();
    let org = state.store.org_by_code(scope, ods).await?;
    caller.require(Action::ViewCompliance(org.id))?;
    let (as_at, _) = AsAt {
        date: as_at,
        known_at: None,
    }
    .resolve(&org);
    let rollup = state
        .read_model
        .rollup(state.store.as_ref(), scope, org.id, None)
        .await?;
    let ctx = &rollup.context;
    let unit = ctx
        .units
        .iter()
        .find(|u| u.id == unit_id)
        .ok_or(AppError::NotFound)?;
    if !scope.sees_unit(org.id, unit.id, &rollup.hierarchy) {
        return Err(AppError::NotFound);
    }
    let statuses = rollup
        .index
        .statuses_on(&rollup.hierarchy, Node::Unit(unit_id), as_at);
    let ids: Vec<PersonId> = statuses.iter().map(|s| s.person).collect();
    let people: HashMap<PersonId, (PersonName, Vec<Post>)> = state
        .store
        .people_posts(scope, org.id, &ids)
        .await?
        .into_iter()
        .map(|(n, p)| (n.id, (n, p)))
        .collect();
    let titles = titles(&ctx.rules, None);
    let keys = rollup.index.requirements();
    let mut rows = Vec::new();
    for s in &statuses {
        let Some((name, posts)) = people.get(&s.person) else {
            continue;
        };
        let here: Vec<&Post> = lantern_domain::history::posts(posts, None)
            .into_iter()
            .filter(|x| x.active_on(as_at) && rollup.hierarchy.is_within(x.unit_id, unit_id))
            .collect();
        let briefs: Vec<PersonStatusBrief> = keys
            .iter()
            .zip(&s.statuses)
            .filter_map(|(k, st)| {
                let (status, due) = (*st)?;
                let summary = match (status, due) {
                    (_, Some(d)) => format!("{} until {d}", status.label()),
                    _ => status.label().to_owned(),
                };
                let (title, framework) = titles
                    .get(&(k.subject.clone(), k.level))
                    .cloned()
                    .unwrap_or_else(|| (k.subject.to_string(), String::new()));
                Some(PersonStatusBrief {
                    subject: k.subject.clone(),
                    level: k.level,
                    title,
                    framework,
                    status,
                    due_on: due,
                    summary,
                })
            })
            .collect();
        rows.push(PersonRowView {
            person_id: s.person.0,
            employee_number: name.employee_number.clone(),
            name: format!("{} {}", name.given_name, name.family_name),
            job_roles: here.iter().map(|x| x.job_role.clone()).collect(),
            staff_group: here
                .first()
                .map(|x| x.staff_group.label().to_owned())
                .unwrap_or_default(),
            overdue: briefs.iter().filter(|b| b.status.is_overdue()).count(),
            statuses: briefs,
        });
    }
    rows.sort_by(|a, b| b.overdue.cmp(&a.overdue).then_with(|| a.name.cmp(&b.name)));
    Ok(UnitPeopleView {
        ods_code: org.ods_code.to_string(),
        org_name: org.name.clone(),
        unit_id: unit.id.0,
        unit_name: unit.name.clone(),
        unit_kind: unit.kind.label().to_owned(),
        path: Vec::new(),
        as_at,
        people: rows,
    })
}

/// A unit's people (including units below it) in post on the date, with their statuses; optionally only those with
/// a given requirement, and a given status for it.
pub async fn unit_people(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    unit_id: UnitId,
    when: AsAt,
    requirement: Option<&RequirementKey>,
    status: Option<Status>,
) -> Result<UnitPeopleView, AppError> {
    let scope = &caller.scope();
    let org = state.store.org_by_code(scope, ods).await?;
    caller.require(Action::ViewCompliance(org.id))?;
    let (as_at, known_at) = when.resolve(&org);
    let ctx = state
        .read_model
        .context(state.store.as_ref(), scope, org.id)
        .await?;
    // Access is decided on the units as they are now; the answer uses them as they were recorded at `known_at`.
    let current = lantern_domain::rollup::Hierarchy::new(&ctx.units);
    if !ctx.units.iter().any(|u| u.id == unit_id) || !scope.sees_unit(org.id, unit_id, &current) {
        return Err(AppError::NotFound);
    }
    let units = ctx.units_known_at(known_at);
    let hierarchy = lantern_domain::rollup::Hierarchy::new(&units);
    let unit = units
        .iter()
        .find(|u| u.id == unit_id)
        .ok_or(AppError::NotFound)?;
    let people = state
        .store
        .people(scope, org.id, &PeopleFilter::Units(vec![unit_id]))
        .await?;
    let engine = ctx.engine(known_at);
    let titles = titles(&ctx.rules, known_at);
    let mut rows = Vec::new();
    for p in &people {
        // Only people in post in this unit (or below) on the date.
        let here: Vec<&Post> = lantern_domain::history::posts(&p.posts, known_at)
            .into_iter()
            .filter(|x| x.active_on(as_at) && hierarchy.is_within(x.unit_id, unit_id))
            .collect();
        if here.is_empty() {
            continue;
        }
        let facts = PersonFacts {
            posts: &p.posts,
            records: &p.records,
            exemptions: &p.exemptions,
        };
        let statuses = engine.person(facts).explain_at(as_at);
        if let Some(req) = requirement {
            let hit = statuses
                .iter()
                .find(|s| s.subject == req.subject && s.level == req.level);
            match (hit, status) {
                (None, _) => continue,
                (Some(s), Some(want)) if s.status != want => continue,
                _ => {}
            }
        } else if let Some(want) = status
            && !statuses.iter().any(|s| s.status == want)
        {
            continue;
        }
        rows.push(PersonRowView {
            person_id: p.person.id.0,
            employee_number: p.person.employee_number.clone(),
            name: p.person.display_name(),
            job_roles: here.iter().map(|x| x.job_role.clone()).collect(),
            staff_group: here
                .first()
                .map(|x| x.staff_group.label().to_owned())
                .unwrap_or_default(),
            overdue: statuses.iter().filter(|s| s.status.is_overdue()).count(),
            statuses: statuses.iter().map(|s| brief(s, &titles)).collect(),
        });
    }
    rows.sort_by(|a, b| b.overdue.cmp(&a.overdue).then_with(|| a.name.cmp(&b.name)));
    let mut path: Vec<(i64, String)> = hierarchy
        .path(unit_id)
        .into_iter()
        .skip(1)
        .filter_map(|n| match n {
            Node::Unit(id) => units
                .iter()
                .find(|u| u.id == id)
                .map(|u| (u.id.0, u.name.clone())),
            Node::Org => None,
        })
        .collect();
    path.reverse();
    Ok(UnitPeopleView {
        ods_code: org.ods_code.to_string(),
        org_name: org.name.clone(),
        unit_id: unit.id.0,
        unit_name: unit.name.clone(),
        unit_kind: unit.kind.label().to_owned(),
        path,
        as_at,
        people: rows,
    })
}

fn brief(
    s: &RequirementStatus,
    titles: &HashMap<(Subject, u8), (String, String)>,
) -> PersonStatusBrief {
    let (title, framework) = titles
        .get(&(s.subject.clone(), s.level))
        .cloned()
        .unwrap_or_else(|| (s.subject.to_string(), String::new()));
    PersonStatusBrief {
        subject: s.subject.clone(),
        level: s.level,
        title,
        framework,
        status: s.status,
        due_on: s.due_on,
        summary: s.explanation.summary.clone(),
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PostView {
    pub assignment_number: String,
    pub unit_name: String,
    pub job_role: String,
    pub staff_group: String,
    pub band: Option<String>,
    pub specialty: Option<String>,
    pub patient_facing: bool,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RegistrationView {
    pub body: String,
    pub number: String,
    pub renewal_date: Option<NaiveDate>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PersonComplianceView {
    pub ods_code: String,
    pub org_name: String,
    pub person_id: i64,
    pub employee_number: String,
    pub name: String,
    pub email: Option<String>,
    pub registrations: Vec<RegistrationView>,
    pub posts: Vec<PostView>,
    pub as_at: NaiveDate,
    pub known_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Every applicable requirement, worst first, each with its explanation.
    pub requirements: Vec<RequirementStatus>,
    /// Development competencies the organisation offers for the person's posts (a capability framework's, not made
    /// requirements): their progress, explained the same way, counted nowhere.
    pub development: Vec<RequirementStatus>,
    pub counts: Counts,
    /// The person's training records (they follow the person between employers), newest first.
    pub records: Vec<RecordView>,
    /// Each professional registration's revalidation: its cycle, dates, requirements and readiness.
    pub revalidation: Vec<lantern_domain::revalidation::Revalidation>,
    /// The person's exemptions here, as known then, latest first.
    pub exemptions: Vec<ExemptionView>,
}

/// An exemption granted to the person: from what, why, for how long, who approved it and any early end.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ExemptionView {
    pub id: i64,
    /// The requirement's title ("Fire Safety"), or its code when no rule names it.
    pub title: String,
    pub subject: String,
    pub reason: String,
    pub from: NaiveDate,
    /// Its last day, any early end applied.
    pub until: Option<NaiveDate>,
    pub approved_by: Option<String>,
    /// Why it was ended early, when it was.
    pub ended_because: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: Timestamp,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecordView {
    pub id: i64,
    pub title: String,
    pub level: u8,
    pub completed_on: NaiveDate,
    pub hours: Option<f64>,
    pub provider: String,
    pub provider_type: String,
    pub source: String,
    pub evidence_ref: Option<String>,
    /// Why it was withdrawn, when a correction superseded it.
    pub superseded: Option<String>,
}

pub async fn person_compliance(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    person: PersonId,
    when: AsAt,
) -> Result<PersonComplianceView, AppError> {
    let scope = &caller.scope();
    let org = state.store.org_by_code(scope, ods).await?;
    caller.require(Action::ViewPerson(org.id, person))?;
    let (as_at, known_at) = when.resolve(&org);
    let ctx = state
        .read_model
        .context(state.store.as_ref(), scope, org.id)
        .await?;
    let p = state.store.person(scope, org.id, person).await?;
    let engine = ctx.engine(known_at);
    let facts = PersonFacts {
        posts: &p.posts,
        records: &p.records,
        exemptions: &p.exemptions,
    };
    let requirements = engine.person(facts).explain_at(as_at);
    // Development competencies, assessed as if they were required so the person sees their progress; they stay out
    // of every count (the engine ignores them everywhere else).
    let offered: Vec<Rule> = ctx
        .rules
        .iter()
        .filter(|r| r.purpose == RulePurpose::Development)
        .map(|r| Rule {
            purpose: RulePurpose::Requirement,
            ..r.clone()
        })
        .collect();
    let development = if offered.is_empty() {
        Vec::new()
    } else {
        OrgEngine::new(org.id, &offered, &ctx.policies, known_at)
            .with_rehire_break_days(ctx.rehire_break_known_at(known_at))
            .person(facts)
            .explain_at(as_at)
    };
    let mut counts = Counts::default();
    for r in &requirements {
        counts.add(r.status, 1);
    }
    let units = ctx.units_known_at(known_at);
    let unit_name = |id: UnitId| {
        units
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let mut posts: Vec<PostView> = lantern_domain::history::posts(&p.posts, known_at)
        .into_iter()
        .map(|x| PostView {
            assignment_number: x.assignment_number.clone(),
            unit_name: unit_name(x.unit_id),
            job_role: x.job_role.clone(),
            staff_group: x.staff_group.label().to_owned(),
            band: x.band.clone(),
            specialty: x.specialty.clone(),
            patient_facing: x.patient_facing,
            start: x.start,
            end: x.end,
        })
        .collect();
    posts.sort_by_key(|x| std::cmp::Reverse(x.start));
    let titles = titles(&ctx.rules, known_at);
    let known = |t: Timestamp| lantern_domain::history::known(t, known_at);
    // What Lantern had recorded at `known_at`: the records, and the corrections, known then.
    let known_records: Vec<lantern_domain::RecordFact> = p
        .records
        .iter()
        .filter(|r| known(r.record.recorded_at))
        .map(|r| lantern_domain::RecordFact {
            record: r.record.clone(),
            superseded: r.superseded.clone().filter(|s| known(s.recorded_at)),
        })
        .collect();
    let mut records: Vec<RecordView> = known_records
        .iter()
        .map(|r| RecordView {
            id: r.record.id.0,
            title: titles
                .get(&(r.record.subject.clone(), r.record.level))
                .map(|t| t.0.clone())
                .unwrap_or_else(|| r.record.subject.to_string()),
            level: r.record.level,
            completed_on: r.record.completed_on,
            hours: r.record.hours,
            provider: r.record.provider.clone(),
            provider_type: r.record.provider_type.label().to_owned(),
            source: r.record.source.label().to_owned(),
            evidence_ref: r.record.evidence_ref.clone(),
            superseded: r.superseded.as_ref().map(|s| s.reason.clone()),
        })
        .collect();
    records.sort_by(|a, b| b.completed_on.cmp(&a.completed_on).then(b.id.cmp(&a.id)));
    let mut exemptions: Vec<ExemptionView> = p
        .exemptions
        .iter()
        .filter(|e| known(e.recorded_at))
        .map(|e| {
            let shown = e.as_known(known);
            ExemptionView {
                id: e.id.0,
                title: titles
                    .iter()
                    .find(|((s, _), _)| *s == e.subject)
                    .map(|(_, t)| t.0.clone())
                    .unwrap_or_else(|| e.subject.to_string()),
                subject: e.subject.to_string(),
                reason: e.reason.clone(),
                from: e.from,
                until: shown.until,
                approved_by: e.approved_by.clone(),
                ended_because: e
                    .ended
                    .as_ref()
                    .filter(|x| known(x.recorded_at))
                    .map(|x| x.reason.clone()),
                recorded_at: e.recorded_at,
            }
        })
        .collect();
    exemptions.sort_by_key(|e| std::cmp::Reverse((e.from, e.id)));
    let (_, evidence) = revalidation::evidence(state, caller, org.id, person, known_at).await?;
    let revalidation =
        revalidation::summaries(&p.person.registrations, &known_records, &evidence, as_at);
    Ok(PersonComplianceView {
        ods_code: org.ods_code.to_string(),
        org_name: org.name,
        person_id: p.person.id.0,
        employee_number: p.person.employee_number.clone(),
        name: p.person.display_name(),
        email: p.person.email.clone(),
        registrations: p
            .person
            .registrations
            .iter()
            .map(|r| RegistrationView {
                body: r.body.label().to_owned(),
                number: r.number.clone(),
                renewal_date: r.renewal_date,
            })
            .collect(),
        posts,
        as_at,
        known_at,
        requirements,
        development,
        counts,
        records,
        revalidation,
        exemptions,
    })
}

/// The signed-in learner's own compliance in each organisation where they are a learner and hold a post: what
/// "My training" and `/api/v1/me/training` show. NotFound when the account is not linked to anyone who does.
pub async fn my_training(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<PersonComplianceView>, AppError> {
    let person = caller.principal.person.ok_or(AppError::NotFound)?;
    let mut out = Vec::new();
    for o in state.store.list_orgs(&caller.scope()).await? {
        if !caller.may(Action::ViewOwnTraining(o.org.id)) {
            continue;
        }
        match person_compliance(state, caller, &o.org.ods_code, person, AsAt::today()).await {
            Ok(v) => out.push(v),
            // A learner grant where they hold no post (yet): nothing to show there.
            Err(AppError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    if out.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(out)
}
