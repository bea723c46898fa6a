//! Courses assigned by managers and admins: the assignments page (what is assigned within the caller's reach, and
//! the form to assign more), making and cancelling one, and how many each person has open and overdue, which
//! "My team" counts like requirements. The policy decides who may assign (`Action::Assign`); the caller's scope
//! decides to whom (a manager's units, an admin's organisation), and the store refuses anyone beyond it.

use crate::auth::Caller;
use crate::{AppError, AppState};
use chrono::NaiveDate;
use lantern_domain::access::{Action, Scope};
use lantern_domain::{Organisation, PersonId, UnitId};
use lantern_store::learning::{AssignTo, Assignment};
use serde::Serialize;
use std::collections::HashMap;

/// A person offered in the form: (employee number, "Name (number)").
pub type Choice = (String, String);

pub struct AssignmentsView {
    pub org: Organisation,
    pub today: NaiveDate,
    /// Courses to assign: (code, title).
    pub courses: Vec<Choice>,
    /// Units within the caller's reach: (id, name).
    pub units: Vec<(i64, String)>,
    /// People within reach, when few enough to list; else the form asks for an employee number.
    pub people: Option<Vec<Choice>>,
    pub assignments: Vec<Assignment>,
}

/// Most people a form lists to choose from.
const LISTED: usize = 300;

pub async fn assignments(
    state: &AppState,
    caller: &Caller,
    ods: &str,
) -> Result<AssignmentsView, AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::Assign(org.id))?;
    let ctx = state
        .read_model
        .context(state.store.as_ref(), &scope, org.id)
        .await?;
    let hierarchy = lantern_domain::rollup::Hierarchy::new(&ctx.units);
    let mut units: Vec<(i64, String)> = ctx
        .units
        .iter()
        .filter(|u| scope.sees_unit(org.id, u.id, &hierarchy))
        .map(|u| (u.id.0, u.name.clone()))
        .collect();
    units.sort_by(|a, b| a.1.cmp(&b.1));
    let directory = state.store.people_directory(&scope, org.id).await?;
    let people = (directory.len() <= LISTED).then(|| {
        let mut p: Vec<Choice> = directory
            .iter()
            .map(|p| {
                (
                    p.employee_number.clone(),
                    format!("{} {} ({})", p.given_name, p.family_name, p.employee_number),
                )
            })
            .collect();
        p.sort_by(|a, b| a.1.cmp(&b.1));
        p
    });
    let courses = state
        .store
        .courses(org.id)
        .await?
        .into_iter()
        .map(|c| (c.course.code, c.course.title))
        .collect();
    let assignments = state.store.assignments(&scope, org.id).await?;
    Ok(AssignmentsView {
        today: org.today(crate::when::now()),
        org,
        courses,
        units,
        people,
        assignments,
    })
}

/// What the form asks for: a course, one of a person (by employee number) or a unit, and a due date.
#[derive(Debug, Default, serde::Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    pub course: String,
    #[serde(default)]
    pub person: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub due_on: String,
}

/// An assignment's due date as typed: a date, today or later.
pub fn due_date(text: &str, today: NaiveDate) -> Result<NaiveDate, &'static str> {
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(d) if d < today => Err("The due date must be today or later"),
        Ok(d) => Ok(d),
        Err(_) => Err("Enter the due date as a date, like 2027-01-31"),
    }
}

/// A field and what is wrong with it.
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

/// Assigns a course as the form asks. Problems name their fields; a person or unit beyond the caller's reach is
/// 404, as if it did not exist.
pub async fn assign(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    form: &AssignForm,
) -> Result<Result<Assignment, Vec<Problem>>, AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::Assign(org.id))?;
    let today = org.today(crate::when::now());
    let mut problems = Vec::new();
    let mut problem = |field, message: &str| {
        problems.push(Problem {
            field,
            message: message.to_owned(),
        })
    };
    if form.course.trim().is_empty() {
        problem("course", "Choose a course to assign");
    }
    let due = match due_date(&form.due_on, today) {
        Ok(d) => Some(d),
        Err(m) => {
            problem("due_on", m);
            None
        }
    };
    let (person, unit) = (form.person.trim(), form.unit.trim());
    let to = match (person.is_empty(), unit.is_empty()) {
        (false, true) => match state
            .store
            .person_by_employee_number(&scope, org.id, person)
            .await
        {
            Ok(p) => Some(AssignTo::Person(p)),
            Err(lantern_store::StoreError::NotFound) => {
                problem(
                    "person",
                    "No one with this employee number is in your reach",
                );
                None
            }
            Err(e) => return Err(e.into()),
        },
        (true, false) => match unit.parse::<i64>() {
            Ok(u) => Some(AssignTo::Unit(UnitId(u))),
            Err(_) => {
                problem("unit", "Choose a unit from the list");
                None
            }
        },
        (false, false) => {
            problem("person", "Choose a person or a unit, not both");
            None
        }
        (true, true) => {
            problem("person", "Choose a person or a unit");
            None
        }
    };
    let (Some(to), Some(due)) = (to, due) else {
        return Ok(Err(problems));
    };
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    match state
        .store
        .assign_course(
            &scope,
            org.id,
            form.course.trim(),
            to,
            due,
            caller.account.id,
            crate::when::now(),
        )
        .await
    {
        Ok(a) => Ok(Ok(a)),
        Err(lantern_store::StoreError::Rejected(p)) => Ok(Err(p
            .into_iter()
            .map(|p| Problem {
                field: "course",
                message: p.message,
            })
            .collect())),
        Err(e) => Err(e.into()),
    }
}

/// Cancels an assignment within the caller's reach.
pub async fn cancel(state: &AppState, caller: &Caller, ods: &str, id: i64) -> Result<(), AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::Assign(org.id))?;
    state
        .store
        .cancel_assignment(&scope, org.id, id, caller.account.id, crate::when::now())
        .await?;
    Ok(())
}

/// Each person's assigned courses not done, and how many of those are overdue, on `today`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AssignedCounts {
    pub open: usize,
    pub overdue: usize,
}

/// The assignment counts of these people (those with none are left out).
pub async fn counts(
    state: &AppState,
    scope: &Scope,
    org: &Organisation,
    people: &[PersonId],
    today: NaiveDate,
) -> Result<HashMap<i64, AssignedCounts>, AppError> {
    let mut out: HashMap<i64, AssignedCounts> = HashMap::new();
    for a in state
        .store
        .assignments_of(scope, org.id, people, today)
        .await?
        .into_iter()
        .filter(|a| a.done.is_none())
    {
        let c = out.entry(a.person.0).or_default();
        c.open += 1;
        if a.overdue(today) {
            c.overdue += 1;
        }
    }
    Ok(out)
}
