//! "My team": a manager's people x requirements for one of the units they manage (with everyone below it), filtered
//! and sorted as asked, with what is overdue and whom "Remind everyone" would remind. The page, its CSV and Excel
//! downloads, the reminder confirmation and sending, and `GET /api/v1/team` all read this one view, so a reminder
//! goes to exactly the people a manager sees.

use super::{PersonRowView, PersonStatusBrief, UnitPeopleView, team_matrix};
use crate::auth::Caller;
use crate::reminders::Target;
use crate::{AppError, AppState};
use chrono::NaiveDate;
use lantern_domain::access::{Action, Area};
use lantern_domain::{Organisation, PersonId, RequirementKey, Status, UnitId};
use lantern_store::reminders::Reminder;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// How the team is filtered and sorted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TeamFilter {
    /// Which of the manager's units; None is the first.
    pub unit: Option<UnitId>,
    /// Only people with this status (for `requirement` when given, else for any requirement).
    pub status: Option<Status>,
    /// Only this staff group.
    pub group: Option<String>,
    /// Only people this requirement applies to, and only its column.
    pub requirement: Option<RequirementKey>,
    pub sort: TeamSort,
}

/// The order of the rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TeamSort {
    /// Most overdue first, then by name.
    #[default]
    Overdue,
    Name,
}

impl TeamSort {
    pub fn code(self) -> &'static str {
        match self {
            TeamSort::Overdue => "overdue",
            TeamSort::Name => "name",
        }
    }
}

impl TeamFilter {
    /// Reads the filter's fields as a query string or form gives them ("" counts as absent), naming a bad one.
    pub fn parse(
        unit: Option<&str>,
        status: Option<&str>,
        group: Option<&str>,
        requirement: Option<&str>,
        sort: Option<&str>,
    ) -> Result<Self, AppError> {
        let unit = match given(unit) {
            None => None,
            Some(u) => Some(UnitId(u.parse().map_err(|_| {
                AppError::BadRequest(format!("unit must be a number, not {u:?}"))
            })?)),
        };
        let status = match given(status) {
            None => None,
            Some(s) => Some(
                Status::parse(s)
                    .ok_or_else(|| AppError::BadRequest(format!("unknown status {s:?}")))?,
            ),
        };
        let requirement = match given(requirement) {
            None => None,
            Some(r) => Some(
                r.parse::<RequirementKey>()
                    .map_err(|e| AppError::BadRequest(format!("requirement: {e}")))?,
            ),
        };
        Ok(TeamFilter {
            unit,
            status,
            group: given(group).map(str::to_owned),
            requirement,
            sort: match given(sort) {
                Some("name") => TeamSort::Name,
                _ => TeamSort::Overdue,
            },
        })
    }

    /// The filter as query-string fields (those set), for links and forms that keep it.
    pub fn fields(&self, unit: UnitId) -> Vec<(&'static str, String)> {
        [
            ("unit", Some(unit.0.to_string())),
            ("status", self.status.map(|s| s.code().to_owned())),
            ("group", self.group.clone()),
            ("requirement", self.requirement.as_ref().map(column_key)),
            ("sort", Some(self.sort.code().to_owned())),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect()
    }
}

/// A field that was given: "" (or blanks) counts as absent.
fn given(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// A requirement as the team's filter and columns name it: `subject:level`.
pub fn column_key(k: &RequirementKey) -> String {
    k.to_string()
}

/// One of the caller's managed units, for the unit picker.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ManagedUnit {
    pub unit_id: i64,
    pub ods_code: String,
    /// "Ward 7, Guy's and St Thomas'".
    pub label: String,
    pub selected: bool,
}

/// A requirement column of the matrix.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TeamColumn {
    /// `subject:level`, as the `requirement` filter takes it.
    pub key: String,
    pub heading: String,
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
    /// Every unit the caller manages, across organisations.
    pub units: Vec<ManagedUnit>,
    /// The requirements that apply to someone in the unit, by heading (only the one filtered to, when it is).
    pub columns: Vec<TeamColumn>,
    /// The staff groups in the unit, for the filter.
    pub groups: Vec<String>,
    /// The people shown: the filter applied, in the order asked.
    pub people: Vec<PersonRowView>,
    /// People shown with something overdue.
    pub overdue_people: usize,
    /// Overdue requirements among the people shown, in all.
    pub overdue_items: usize,
    /// Whom "Remind everyone" reminds: the people shown with something overdue among the columns shown, and about
    /// what.
    pub reminder_targets: Vec<Target>,
    /// Each shown person's latest reminder, where they have had one.
    pub last_reminded: Vec<LastReminded>,
    /// Each shown person's assigned courses not done and overdue, where they have any (they count like
    /// requirements: the page has a column for them).
    pub assigned: Vec<PersonAssigned>,
    /// Assigned courses not done among the people shown, and how many of those are overdue.
    pub assigned_open: usize,
    pub assigned_overdue: usize,
    /// Everyone in post in the unit, whatever the filter: the people a manager may pick to remind.
    #[serde(skip)]
    pub everyone: Vec<PersonId>,
    #[serde(skip)]
    pub org: Organisation,
    /// The latest reminders by person id, as the store gives them.
    #[serde(skip)]
    pub reminders: HashMap<i64, Reminder>,
}

/// The caller's team as the filter asks. 403 for callers who manage no unit; a unit they do not manage is 404.
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

/// The units a manager manages, and the one chosen.
pub struct Selection {
    /// Every unit the caller manages, across organisations, with the chosen one marked.
    pub units: Vec<ManagedUnit>,
    /// The chosen unit's organisation.
    pub ods: String,
    pub unit: UnitId,
}

/// The caller's managed units, with `wanted` chosen (default the first). 403 for callers who manage no unit; a unit
/// they do not manage is 404. My team and its revalidation page share it.
pub async fn select(
    state: &AppState,
    caller: &Caller,
    wanted: Option<UnitId>,
) -> Result<Selection, AppError> {
    if !caller.may(Action::Open(Area::MyTeam)) {
        return Err(AppError::Forbidden(
            "My team is for managers of a ward or team.".into(),
        ));
    }
    let scope = caller.scope();
    let orgs = state.store.list_orgs(&scope).await?;
    let mut units = Vec::new();
    let mut chosen = None;
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
        let selected = wanted.map_or(units.is_empty(), |a| a == unit);
        if selected {
            chosen = Some((o.org.ods_code.to_string(), unit));
        }
        units.push(ManagedUnit {
            unit_id: unit.0,
            ods_code: o.org.ods_code.to_string(),
            label: format!("{name}, {}", o.org.name),
            selected,
        });
    }
    // A unit they do not manage is refused like any other out of reach.
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

    let mut columns: Vec<TeamColumn> = Vec::new();
    for p in &matrix.people {
        for s in &p.statuses {
            let key = RequirementKey::new(s.subject.clone(), s.level).to_string();
            if !columns.iter().any(|c| c.key == key) {
                columns.push(TeamColumn {
                    key,
                    heading: format!("{} L{}", s.title, s.level),
                });
            }
        }
    }
    columns.sort_by(|a, b| a.heading.cmp(&b.heading));
    let mut groups: Vec<String> = matrix
        .people
        .iter()
        .map(|p| p.staff_group.clone())
        .collect();
    groups.sort();
    groups.dedup();
    if let Some(k) = &filter.requirement {
        let key = column_key(k);
        columns.retain(|c| c.key == key);
    }

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
    let overdue_people = people.iter().filter(|r| r.overdue > 0).count();
    let overdue_items = people.iter().map(|r| r.overdue).sum();
    let reminder_targets = reminder_targets(&people, &columns);

    let shown_ids: Vec<PersonId> = people.iter().map(|r| PersonId(r.person_id)).collect();
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
    let counts = super::assignments::counts(state, &scope, &org, &shown_ids, matrix.as_at).await?;
    let assigned: Vec<PersonAssigned> = people
        .iter()
        .filter_map(|p| {
            let c = counts.get(&p.person_id)?;
            Some(PersonAssigned {
                person_id: p.person_id,
                open: c.open,
                overdue: c.overdue,
            })
        })
        .collect();
    Ok(TeamView {
        assigned_open: assigned.iter().map(|a| a.open).sum(),
        assigned_overdue: assigned.iter().map(|a| a.overdue).sum(),
        assigned,
        ods_code: matrix.ods_code,
        org_name: matrix.org_name,
        unit_id: matrix.unit_id,
        unit_name: matrix.unit_name,
        as_at: matrix.as_at,
        units,
        columns,
        groups,
        everyone: matrix
            .people
            .iter()
            .map(|p| PersonId(p.person_id))
            .collect(),
        people,
        overdue_people,
        overdue_items,
        reminder_targets,
        last_reminded,
        org,
        reminders,
    })
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
            && filter.status.is_none_or(|st| s.status == st)
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
    use lantern_domain::Subject;

    fn brief(subject: &str, status: Status) -> PersonStatusBrief {
        PersonStatusBrief {
            subject: Subject::parse(subject).expect("a subject"),
            level: 1,
            title: subject.into(),
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
    fn the_filter_reads_its_fields_and_names_a_bad_one() {
        let f = TeamFilter::parse(
            Some("12"),
            Some("expired"),
            Some(" "),
            Some("cstf.fire:2"),
            Some("name"),
        )
        .expect("parses");
        assert_eq!(f.unit, Some(UnitId(12)));
        assert_eq!(f.status, Some(Status::Expired));
        assert_eq!(f.group, None);
        assert_eq!(column_key(f.requirement.as_ref().unwrap()), "cstf.fire:2");
        assert_eq!(f.sort, TeamSort::Name);
        assert_eq!(
            f.fields(UnitId(12)),
            [
                ("unit", "12".to_owned()),
                ("status", "expired".to_owned()),
                ("requirement", "cstf.fire:2".to_owned()),
                ("sort", "name".to_owned())
            ]
        );
        for (bad, field) in [
            (TeamFilter::parse(Some("x"), None, None, None, None), "unit"),
            (
                TeamFilter::parse(None, Some("late"), None, None, None),
                "status",
            ),
            (
                TeamFilter::parse(None, None, None, Some("fire"), None),
                "requirement",
            ),
            (
                TeamFilter::parse(None, None, None, Some("fire:x"), None),
                "level",
            ),
        ] {
            let e = bad.expect_err("refused");
            assert!(e.message().contains(field), "{}", e.message());
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
            status: Some(Status::Expired),
            requirement: Some(RequirementKey {
                subject: Subject::from_static("fire"),
                level: 1,
            }),
            ..TeamFilter::default()
        };
        assert_eq!(shown_ids(&expired_fire), [1]);
        let missing = TeamFilter {
            status: Some(Status::Missing),
            ..TeamFilter::default()
        };
        assert_eq!(shown_ids(&missing), [2]);
        assert_eq!(shown_ids(&TeamFilter::default()), [1, 2, 3]);

        let column = |k: &str| TeamColumn {
            key: k.into(),
            heading: k.into(),
        };
        let all = reminder_targets(&people, &[column("fire:1"), column("bls:1")]);
        let who: Vec<(i64, usize)> = all.iter().map(|t| (t.person.0, t.overdue.len())).collect();
        assert_eq!(who, [(1, 1), (2, 1)], "nobody in date is reminded");
        let fire_only = reminder_targets(&people, &[column("fire:1")]);
        assert_eq!(fire_only.len(), 1, "Ben's overdue column is not shown");
        assert_eq!(fire_only[0].overdue[0].subject, "fire");
    }
}
