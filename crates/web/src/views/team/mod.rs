//! The team view: people x requirements for one unit (with everyone below it), filtered and sorted as asked, with
//! what is overdue and whom "Remind everyone" would remind. A manager sees the units they manage; an organisation's
//! admins and auditors any unit of it. The page, its CSV and Excel downloads, the reminder confirmation and sending,
//! and `GET /api/v1/team` all read this one view, so a reminder goes to exactly the people a manager sees.

mod filter;

pub use filter::{StatusFilter, TeamFilter, TeamRequest, TeamSort, column_key, query_string};

use super::{PersonRowView, PersonStatusBrief, UnitPeopleView, team_matrix};
use crate::auth::Caller;
use crate::reminders::Target;
use crate::{AppError, AppState};
use chrono::NaiveDate;
use lantern_domain::access::{Action, Area};
use lantern_domain::{Organisation, PersonId, RequirementKey, UnitId};
use lantern_store::reminders::Reminder;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// One of the caller's units, for the unit picker.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ManagedUnit {
    pub unit_id: i64,
    pub ods_code: String,
    /// "Ward 7, Guy's and St Thomas'"; a unit of an organisation the caller oversees is indented by its depth.
    pub label: String,
    pub selected: bool,
}

/// A requirement column of the matrix, with how many of the people shown are overdue or expiring on it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TeamColumn {
    /// `subject:level`, as the `requirement` filter takes it.
    pub key: String,
    pub heading: String,
    /// The framework it comes from: columns are grouped by it.
    pub group: String,
    pub overdue: usize,
    pub expiring: usize,
}

/// A run of columns from one framework, for the heading above them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ColumnGroup {
    pub name: String,
    /// How many columns it spans.
    pub span: usize,
}

/// Counts over a set of people: the whole unit (the summary cards) or those shown.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct TeamCounts {
    pub people: usize,
    /// People with something overdue.
    pub overdue_people: usize,
    /// Overdue requirements, in all.
    pub overdue_items: usize,
    /// Requirements expiring (in date, due soon), in all.
    pub expiring_items: usize,
    /// Assigned courses not done, and how many of those are overdue.
    pub assigned_open: usize,
    pub assigned_overdue: usize,
}

/// A person's assigned courses not done, and how many are overdue.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PersonAssigned {
    pub person_id: i64,
    pub open: usize,
    pub overdue: usize,
}

/// When a person was last reminded, and by whom.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LastReminded {
    pub person_id: i64,
    pub sent_at: chrono::DateTime<chrono::Utc>,
    pub sent_by: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TeamView {
    pub ods_code: String,
    pub org_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// The organisation's today.
    pub as_at: NaiveDate,
    /// Every unit the caller may open here, across organisations.
    pub units: Vec<ManagedUnit>,
    /// The requirements that apply to someone shown (only the one filtered to, when it is), grouped by framework,
    /// the groups and the columns in each most overdue first.
    pub columns: Vec<TeamColumn>,
    pub column_groups: Vec<ColumnGroup>,
    /// Every requirement that applies to someone in the unit, by heading: the requirement filter's choices.
    pub requirements: Vec<TeamColumn>,
    /// The staff groups in the unit, for the filter.
    pub groups: Vec<String>,
    /// The people shown: the filter applied, in the order asked.
    pub people: Vec<PersonRowView>,
    /// The whole unit, whatever the filter: what the summary cards say.
    pub whole: TeamCounts,
    /// The people shown.
    pub shown: TeamCounts,
    /// Whether the caller may remind people here (managers and admins; auditors only look).
    pub may_remind: bool,
    /// Whether the caller may assign courses here (managers and admins).
    pub may_assign: bool,
    /// Whom "Remind everyone" reminds: the people shown with something overdue among the columns shown, and about
    /// what.
    pub reminder_targets: Vec<Target>,
    /// Each shown person's latest reminder, where they have had one.
    pub last_reminded: Vec<LastReminded>,
    /// Each shown person's assigned courses not done and overdue, where they have any (they count like
    /// requirements: the page has a column for them).
    pub assigned: Vec<PersonAssigned>,
    /// Everyone in post in the unit, whatever the filter: the people a manager may pick to remind.
    #[serde(skip)]
    pub everyone: Vec<PersonId>,
    #[serde(skip)]
    pub org: Organisation,
    /// The latest reminders by person id, as the store gives them.
    #[serde(skip)]
    pub reminders: HashMap<i64, Reminder>,
}

/// The caller's team as the filter asks. 403 for callers with no team to open; a unit out of their reach is 404.
pub async fn my_team(
    state: &AppState,
    caller: &Caller,
    filter: &TeamFilter,
) -> Result<TeamView, AppError> {
    let Selection { units, ods, unit } = select(state, caller, filter.unit).await?;
    let scope = caller.scope();
    let matrix = team_matrix(state, caller, &ods, unit, None).await?;
    let org = state.store.org_by_code(&scope, &ods).await?;
    team_from(state, caller, filter, units, matrix, org).await
}

/// The units a caller may open, and the one chosen.
pub struct Selection {
    /// Every unit the caller may open, across organisations, with the chosen one marked.
    pub units: Vec<ManagedUnit>,
    /// The chosen unit's organisation.
    pub ods: String,
    pub unit: UnitId,
}

/// The caller's units, with `wanted` chosen (default the first): the units they manage, then every unit of each
/// organisation they oversee as an admin or auditor, in the organisation's tree order. 403 for callers with none; a
/// unit out of their reach is 404. The team view and its revalidation page share it.
pub async fn select(
    state: &AppState,
    caller: &Caller,
    wanted: Option<UnitId>,
) -> Result<Selection, AppError> {
    if !caller.may(Action::Open(Area::MyTeam)) {
        return Err(AppError::Forbidden(
            "The team view is for managers of a ward or team, and for an organisation's admins and auditors."
                .into(),
        ));
    }
    let scope = caller.scope();
    let orgs = state.store.list_orgs(&scope).await?;
    let overseen = scope.overseen_orgs();
    let mut units = Vec::new();
    let mut chosen = None;
    let mut offer = |org: &lantern_store::OrgSummary, unit: UnitId, name: &str, depth: usize| {
        if units.iter().any(|u: &ManagedUnit| u.unit_id == unit.0) {
            return;
        }
        let selected = wanted.map_or(units.is_empty(), |a| a == unit);
        if selected {
            chosen = Some((org.org.ods_code.to_string(), unit));
        }
        units.push(ManagedUnit {
            unit_id: unit.0,
            ods_code: org.org.ods_code.to_string(),
            label: format!("{}{name}, {}", "\u{2013} ".repeat(depth), org.org.name),
            selected,
        });
    };
    for (org, unit) in scope.granted_units() {
        let Some(o) = orgs.iter().find(|o| o.org.id == org) else {
            continue;
        };
        let ctx = state
            .read_model
            .context(state.store.as_ref(), &scope, org)
            .await?;
        let name = ctx
            .units
            .iter()
            .find(|u| u.id == unit)
            .map(|u| u.name.clone())
            .unwrap_or_default();
        offer(o, unit, &name, 0);
    }
    for org in overseen {
        let Some(o) = orgs.iter().find(|o| o.org.id == org) else {
            continue;
        };
        let ctx = state
            .read_model
            .context(state.store.as_ref(), &scope, org)
            .await?;
        for (u, depth) in super::tree_order(&ctx.units) {
            offer(o, u.id, &u.name, depth.saturating_sub(1));
        }
    }
    // A unit out of reach is refused like any other.
    let (ods, unit) = chosen.ok_or(AppError::NotFound)?;
    Ok(Selection { units, ods, unit })
}

/// The team view from the chosen unit's matrix.
async fn team_from(
    state: &AppState,
    caller: &Caller,
    filter: &TeamFilter,
    units: Vec<ManagedUnit>,
    matrix: UnitPeopleView,
    org: Organisation,
) -> Result<TeamView, AppError> {
    let scope = caller.scope();
    let mut groups: Vec<String> = matrix
        .people
        .iter()
        .map(|p| p.staff_group.clone())
        .collect();
    groups.sort();
    groups.dedup();

    let mut people: Vec<PersonRowView> = matrix
        .people
        .iter()
        .filter(|p| shown(filter, p))
        .cloned()
        .collect();
    match filter.sort {
        TeamSort::Name => people.sort_by(|a, b| a.name.cmp(&b.name)),
        TeamSort::Overdue => {
            people.sort_by(|a, b| b.overdue.cmp(&a.overdue).then_with(|| a.name.cmp(&b.name)))
        }
    }
    let mut requirements = columns_of(&matrix.people);
    requirements.sort_by(|a, b| a.heading.cmp(&b.heading));
    let mut columns = columns_of(&people);
    if let Some(k) = &filter.requirement {
        let key = column_key(k);
        columns.retain(|c| c.key == key);
    }
    // Columns are grouped under their framework's name ("Core Skills Training Framework (England)").
    let names = state.store.framework_names().await?;
    for c in columns.iter_mut().chain(requirements.iter_mut()) {
        if let Some(n) = names.get(&c.group) {
            c.group = n.clone();
        }
    }
    let column_groups = order_columns(&mut columns);
    let reminder_targets = reminder_targets(&people, &columns);

    let shown_ids: Vec<PersonId> = people.iter().map(|r| PersonId(r.person_id)).collect();
    let everyone: Vec<PersonId> = matrix
        .people
        .iter()
        .map(|p| PersonId(p.person_id))
        .collect();
    let reminders: HashMap<i64, Reminder> = state
        .store
        .last_reminders(&scope, org.id, &shown_ids)
        .await?
        .into_iter()
        .map(|r| (r.person.0, r))
        .collect();
    let mut last_reminded: Vec<LastReminded> = reminders
        .values()
        .map(|r| LastReminded {
            person_id: r.person.0,
            sent_at: r.sent_at,
            sent_by: r.sent_by_name.clone(),
        })
        .collect();
    last_reminded.sort_by_key(|l| l.person_id);
    let counts = super::assignments::counts(state, &scope, &org, &everyone, matrix.as_at).await?;
    let assigned_of = |rows: &[PersonRowView]| -> Vec<PersonAssigned> {
        rows.iter()
            .filter_map(|p| {
                let c = counts.get(&p.person_id)?;
                Some(PersonAssigned {
                    person_id: p.person_id,
                    open: c.open,
                    overdue: c.overdue,
                })
            })
            .collect()
    };
    let assigned = assigned_of(&people);
    Ok(TeamView {
        whole: tally(&matrix.people, &assigned_of(&matrix.people)),
        shown: tally(&people, &assigned),
        may_remind: caller.may(Action::Remind(org.id)),
        may_assign: caller.may(Action::Assign(org.id)),
        assigned,
        ods_code: matrix.ods_code,
        org_name: matrix.org_name,
        unit_id: matrix.unit_id,
        unit_name: matrix.unit_name,
        as_at: matrix.as_at,
        units,
        columns,
        column_groups,
        requirements,
        groups,
        everyone,
        people,
        reminder_targets,
        last_reminded,
        org,
        reminders,
    })
}

/// The requirements that apply to any of these people, with how many of them are overdue or expiring on each.
fn columns_of(people: &[PersonRowView]) -> Vec<TeamColumn> {
    let mut columns: Vec<TeamColumn> = Vec::new();
    for p in people {
        for s in &p.statuses {
            let key = RequirementKey::new(s.subject.clone(), s.level).to_string();
            let i = match columns.iter().position(|c| c.key == key) {
                Some(i) => i,
                None => {
                    columns.push(TeamColumn {
                        key,
                        heading: format!("{} L{}", s.title, s.level),
                        group: s.framework.clone(),
                        overdue: 0,
                        expiring: 0,
                    });
                    columns.len() - 1
                }
            };
            let c = &mut columns[i];
            c.overdue += usize::from(s.status.is_overdue());
            c.expiring += usize::from(s.status == lantern_domain::Status::Expiring);
        }
    }
    columns
}

/// Orders the columns by framework, the framework with most overdue first, and within one the most overdue first
/// (then most expiring, then by heading): what needs chasing is at the left. Returns the groups as they run.
fn order_columns(columns: &mut [TeamColumn]) -> Vec<ColumnGroup> {
    let mut overdue_by_group: HashMap<String, usize> = HashMap::new();
    for c in columns.iter() {
        *overdue_by_group.entry(c.group.clone()).or_default() += c.overdue;
    }
    columns.sort_by(|a, b| {
        overdue_by_group[&b.group]
            .cmp(&overdue_by_group[&a.group])
            .then_with(|| a.group.cmp(&b.group))
            .then_with(|| b.overdue.cmp(&a.overdue))
            .then_with(|| b.expiring.cmp(&a.expiring))
            .then_with(|| a.heading.cmp(&b.heading))
    });
    let mut groups: Vec<ColumnGroup> = Vec::new();
    for c in columns.iter() {
        match groups.last_mut() {
            Some(g) if g.name == c.group => g.span += 1,
            _ => groups.push(ColumnGroup {
                name: c.group.clone(),
                span: 1,
            }),
        }
    }
    groups
}

fn tally(people: &[PersonRowView], assigned: &[PersonAssigned]) -> TeamCounts {
    TeamCounts {
        people: people.len(),
        overdue_people: people.iter().filter(|r| r.overdue > 0).count(),
        overdue_items: people.iter().map(|r| r.overdue).sum(),
        expiring_items: people
            .iter()
            .flat_map(|r| &r.statuses)
            .filter(|s| s.status == lantern_domain::Status::Expiring)
            .count(),
        assigned_open: assigned.iter().map(|a| a.open).sum(),
        assigned_overdue: assigned.iter().map(|a| a.overdue).sum(),
    }
}

/// Whether the filter shows a person: in the staff group asked, and with the status asked for the requirement asked
/// (either alone narrows to people with a matching requirement).
fn shown(filter: &TeamFilter, p: &PersonRowView) -> bool {
    if filter.group.as_ref().is_some_and(|g| &p.staff_group != g) {
        return false;
    }
    if filter.requirement.is_none() && filter.status.is_none() {
        return true;
    }
    p.statuses.iter().any(|s| {
        filter
            .requirement
            .as_ref()
            .is_none_or(|k| s.subject == k.subject && s.level == k.level)
            && filter.status.is_none_or(|st| st.matches(s.status))
    })
}

/// Reminders are about what is shown: each person shown with an overdue cell among the columns shown, about those.
fn reminder_targets(people: &[PersonRowView], columns: &[TeamColumn]) -> Vec<Target> {
    people
        .iter()
        .filter_map(|r| {
            let overdue: Vec<PersonStatusBrief> = r
                .statuses
                .iter()
                .filter(|s| s.status.is_overdue())
                .filter(|s| {
                    columns.iter().any(|c| {
                        c.key == RequirementKey::new(s.subject.clone(), s.level).to_string()
                    })
                })
                .cloned()
                .collect();
            (!overdue.is_empty()).then(|| Target {
                person: PersonId(r.person_id),
                name: r.name.clone(),
                overdue,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lantern_domain::{Status, Subject};

    fn brief(subject: &str, status: Status) -> PersonStatusBrief {
        PersonStatusBrief {
            subject: Subject::parse(subject).expect("a subject"),
            level: 1,
            title: subject.into(),
            framework: if subject == "ai" { "AI" } else { "CSTF" }.into(),
            status,
            due_on: None,
            summary: String::new(),
        }
    }

    fn person(id: i64, name: &str, group: &str, statuses: Vec<PersonStatusBrief>) -> PersonRowView {
        PersonRowView {
            person_id: id,
            employee_number: id.to_string(),
            name: name.into(),
            job_roles: Vec::new(),
            staff_group: group.into(),
            overdue: statuses.iter().filter(|s| s.status.is_overdue()).count(),
            statuses,
        }
    }

    #[test]
    fn reminders_go_to_the_people_shown_about_the_overdue_columns_shown() {
        let people = [
            person(
                1,
                "Ann",
                "Nursing",
                vec![
                    brief("fire", Status::Expired),
                    brief("bls", Status::Compliant),
                ],
            ),
            person(2, "Ben", "Medical", vec![brief("bls", Status::Missing)]),
            person(3, "Cat", "Nursing", vec![brief("fire", Status::Expiring)]),
        ];
        let nursing = TeamFilter {
            group: Some("Nursing".into()),
            ..TeamFilter::default()
        };
        let shown_ids = |f: &TeamFilter| -> Vec<i64> {
            people
                .iter()
                .filter(|p| shown(f, p))
                .map(|p| p.person_id)
                .collect()
        };
        assert_eq!(shown_ids(&nursing), [1, 3]);
        let expired_fire = TeamFilter {
            status: Some(StatusFilter::Is(Status::Expired)),
            requirement: Some(RequirementKey {
                subject: Subject::from_static("fire"),
                level: 1,
            }),
            ..TeamFilter::default()
        };
        assert_eq!(shown_ids(&expired_fire), [1]);
        let missing = TeamFilter {
            status: Some(StatusFilter::Is(Status::Missing)),
            ..TeamFilter::default()
        };
        assert_eq!(shown_ids(&missing), [2]);
        let overdue = TeamFilter {
            status: Some(StatusFilter::Overdue),
            ..TeamFilter::default()
        };
        assert_eq!(shown_ids(&overdue), [1, 2]);
        assert_eq!(shown_ids(&TeamFilter::default()), [1, 2, 3]);

        let column = |k: &str| TeamColumn {
            key: k.into(),
            heading: k.into(),
            group: String::new(),
            overdue: 0,
            expiring: 0,
        };
        let all = reminder_targets(&people, &[column("fire:1"), column("bls:1")]);
        let who: Vec<(i64, usize)> = all.iter().map(|t| (t.person.0, t.overdue.len())).collect();
        assert_eq!(who, [(1, 1), (2, 1)], "nobody in date is reminded");
        let fire_only = reminder_targets(&people, &[column("fire:1")]);
        assert_eq!(fire_only.len(), 1, "Ben's overdue column is not shown");
        assert_eq!(fire_only[0].overdue[0].subject, "fire");
    }

    #[test]
    fn columns_group_by_framework_and_the_most_overdue_come_first() {
        let people = [
            person(
                1,
                "Ann",
                "Nursing",
                vec![
                    brief("bls", Status::Compliant),
                    brief("fire", Status::Expired),
                    brief("ai", Status::Missing),
                ],
            ),
            person(
                2,
                "Ben",
                "Medical",
                vec![
                    brief("fire", Status::Missing),
                    brief("ig", Status::Expiring),
                    brief("ai", Status::Compliant),
                ],
            ),
        ];
        let mut columns = columns_of(&people);
        let groups = order_columns(&mut columns);
        let order: Vec<(&str, usize, usize)> = columns
            .iter()
            .map(|c| (c.key.as_str(), c.overdue, c.expiring))
            .collect();
        assert_eq!(
            order,
            [
                ("fire:1", 2, 0),
                ("ig:1", 0, 1),
                ("bls:1", 0, 0),
                ("ai:1", 1, 0)
            ],
            "CSTF (2 overdue) before AI (1); within CSTF overdue, then expiring, then by name"
        );
        let runs: Vec<(&str, usize)> = groups.iter().map(|g| (g.name.as_str(), g.span)).collect();
        assert_eq!(runs, [("CSTF", 3), ("AI", 1)]);
        let t = tally(&people, &[]);
        assert_eq!(
            (
                t.people,
                t.overdue_people,
                t.overdue_items,
                t.expiring_items
            ),
            (2, 2, 3, 1)
        );
    }
}
