//! "My team": a manager's people x requirements matrix for one of their units (with everyone below it), with
//! filters (status, staff group, requirement), sorting, the count of overdue, drill-down to each person's
//! explanation, CSV and Excel exports of exactly what is shown, and reminders (`remind`) to exactly the people shown,
//! with when each was last reminded and by whom.

mod remind;
mod revalidation;

pub use remind::{remind, remind_confirm};
pub use revalidation::page as revalidation;

use super::layout::{Layout, Page};
use super::{PageResult, StatusExt};
use crate::auth::Caller;
use crate::reminders::Target;
use crate::views::{self, PersonRowView, UnitPeopleView};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use lantern_domain::access::Role;
use lantern_domain::{OrgId, PersonId, Status, UnitId};
use lantern_store::reminders::Reminder;
use std::collections::HashMap;

#[derive(Debug, Default, serde::Deserialize)]
pub struct TeamQuery {
    /// Which of the manager's units; default the first.
    unit: Option<i64>,
    status: Option<String>,
    group: Option<String>,
    /// A requirement as `subject:level`.
    requirement: Option<String>,
    /// `overdue` (default) or `name`.
    sort: Option<String>,
    /// How many people were just reminded, for the notice.
    reminded: Option<usize>,
    /// How many were not, because everything was reminded within the interval.
    skipped: Option<usize>,
    /// How many could not be sent for want of an email address.
    no_email: Option<usize>,
    /// How many the mail relay refused.
    failed: Option<usize>,
    /// How many of the people picked no longer matched the filter (their training was recorded meanwhile).
    unmatched: Option<usize>,
}

/// One of the caller's managed units, for the unit picker.
pub struct ManagedUnit {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

/// A requirement column: its key and heading.
pub struct Column {
    pub key: String,
    pub heading: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "team.html")]
pub struct TeamPage {
    layout: Layout,
    units: Vec<ManagedUnit>,
    view: UnitPeopleView,
    columns: Vec<Column>,
    rows: Vec<PersonRowView>,
    groups: Vec<String>,
    status: Option<Status>,
    group: Option<String>,
    requirement: Option<String>,
    sort: String,
    overdue_people: usize,
    overdue_items: usize,
    /// The filter as a query string, for links that keep it.
    query: String,
    /// The filter as fields, for forms that keep it.
    filter_fields: Vec<(&'static str, String)>,
    org_id: OrgId,
    /// Who "Remind everyone" reminds: the people shown with something overdue among the requirements shown.
    targets: Vec<Target>,
    /// Each shown person's latest reminder.
    last_reminded: HashMap<i64, Reminder>,
    notice: Notice,
}

/// What the last round of reminders did, for the notice above the table.
#[derive(Default)]
pub struct Notice {
    reminded: Option<usize>,
    skipped: usize,
    no_email: usize,
    failed: usize,
    unmatched: usize,
}

impl TeamPage {
    fn cell<'a>(&self, row: &'a PersonRowView, key: &str) -> Option<&'a views::PersonStatusBrief> {
        row.statuses
            .iter()
            .find(|s| format!("{}:{}", s.subject, s.level) == key)
    }

    /// "Last reminded 3 Dec 2026 by Sam Ward", when the person has been.
    fn last_reminded(&self, person_id: &i64) -> Option<String> {
        self.last_reminded.get(person_id).map(reminded_line)
    }

    fn is_target(&self, person_id: &i64) -> bool {
        self.targets.iter().any(|t| t.person.0 == *person_id)
    }

    /// The requirement the view is filtered to, as its column heading.
    fn requirement_heading(&self) -> Option<&str> {
        let key = self.requirement.as_deref()?;
        self.columns
            .iter()
            .find(|c| c.key == key)
            .map(|c| c.heading.as_str())
    }

    fn short(&self, s: &Status) -> &'static str {
        match *s {
            Status::Compliant => "OK",
            Status::Expiring => "Soon",
            Status::Expired => "Expired",
            Status::Missing => "Missing",
            Status::Pending => "New",
            Status::Exempt => "Exempt",
        }
    }
}

struct Selection {
    ods: String,
    unit: UnitId,
    units: Vec<ManagedUnit>,
}

/// The caller's managed units (across organisations) and the one asked for. Asking for a unit they do not manage
/// is refused by the view's access check like any other.
async fn select(
    state: &AppState,
    caller: &Caller,
    asked: Option<i64>,
) -> Result<Selection, AppError> {
    let grants: Vec<(OrgId, UnitId)> = caller
        .principal
        .grants
        .iter()
        .filter(|g| g.role == Role::Manager)
        .filter_map(|g| Some((g.org?, g.unit?)))
        .collect();
    if grants.is_empty() {
        return Err(AppError::Forbidden(
            "My team is for managers of a ward or team.".into(),
        ));
    }
    let scope = caller.scope();
    let orgs = state.store.list_orgs(&scope).await?;
    let mut units = Vec::new();
    let mut chosen = None;
    for (org, unit) in &grants {
        let Some(o) = orgs.iter().find(|o| o.org.id == *org) else {
            continue;
        };
        let ctx = state
            .read_model
            .context(state.store.as_ref(), &scope, *org)
            .await?;
        let name = ctx
            .units
            .iter()
            .find(|u| u.id == *unit)
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let selected = asked.map_or(units.is_empty(), |a| a == unit.0);
        if selected {
            chosen = Some((o.org.ods_code.clone(), *unit));
        }
        units.push(ManagedUnit {
            id: unit.0,
            label: format!("{name}, {}", o.org.name),
            selected,
        });
    }
    let (ods, unit) = chosen.ok_or(AppError::NotFound)?;
    Ok(Selection { ods, unit, units })
}

fn parse_requirement(r: Option<&str>) -> Result<Option<(String, u8)>, AppError> {
    match r.filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(r) => {
            let (subject, level) = r.rsplit_once(':').ok_or_else(|| {
                AppError::BadRequest(format!("requirement must be subject:level, not {r:?}"))
            })?;
            let level = level.parse().map_err(|_| {
                AppError::BadRequest(format!("requirement level must be a number, not {level:?}"))
            })?;
            Ok(Some((subject.to_owned(), level)))
        }
    }
}

/// Loads and filters the team as asked.
async fn team(
    state: &AppState,
    caller: &Caller,
    layout: Layout,
    q: &TeamQuery,
) -> Result<TeamPage, AppError> {
    let sel = select(state, caller, q.unit).await?;
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            Status::parse(s)
                .ok_or_else(|| AppError::BadRequest(format!("unknown status {s:?}")))?,
        ),
    };
    let requirement = parse_requirement(q.requirement.as_deref())?;
    let view = views::team_matrix(state, caller, &sel.ods, sel.unit, crate::api::today()).await?;

    let mut columns: Vec<Column> = Vec::new();
    for p in &view.people {
        for s in &p.statuses {
            let key = format!("{}:{}", s.subject, s.level);
            if !columns.iter().any(|c| c.key == key) {
                columns.push(Column {
                    key,
                    heading: format!("{} L{}", s.title, s.level),
                });
            }
        }
    }
    columns.sort_by(|a, b| a.heading.cmp(&b.heading));
    let mut groups: Vec<String> = view.people.iter().map(|p| p.staff_group.clone()).collect();
    groups.sort();
    groups.dedup();

    let group = q.group.clone().filter(|g| !g.is_empty());
    let mut rows: Vec<PersonRowView> = view
        .people
        .iter()
        .filter(|p| group.as_ref().is_none_or(|g| &p.staff_group == g))
        .filter(|p| {
            p.statuses.iter().any(|s| {
                requirement
                    .as_ref()
                    .is_none_or(|(subj, lvl)| &s.subject == subj && s.level == *lvl)
                    && status.is_none_or(|st| s.status == st)
            }) || (requirement.is_none() && status.is_none())
        })
        .cloned()
        .collect();
    if let Some((subj, lvl)) = &requirement {
        let key = format!("{subj}:{lvl}");
        columns.retain(|c| c.key == key);
    }
    let sort = match q.sort.as_deref() {
        Some("name") => "name",
        _ => "overdue",
    };
    if sort == "name" {
        rows.sort_by(|a, b| a.name.cmp(&b.name));
    } else {
        rows.sort_by(|a, b| b.overdue.cmp(&a.overdue).then_with(|| a.name.cmp(&b.name)));
    }
    let overdue_people = rows.iter().filter(|r| r.overdue > 0).count();
    let overdue_items = rows.iter().map(|r| r.overdue).sum();
    // Reminders are about what is shown: the overdue cells of the rows and columns on screen.
    let targets: Vec<Target> = rows
        .iter()
        .filter_map(|r| {
            let overdue: Vec<views::PersonStatusBrief> = r
                .statuses
                .iter()
                .filter(|s| matches!(s.status, Status::Expired | Status::Missing))
                .filter(|s| {
                    columns
                        .iter()
                        .any(|c| c.key == format!("{}:{}", s.subject, s.level))
                })
                .cloned()
                .collect();
            (!overdue.is_empty()).then(|| Target {
                person: PersonId(r.person_id),
                name: r.name.clone(),
                overdue,
            })
        })
        .collect();
    let filter_fields: Vec<(&'static str, String)> = [
        ("unit", Some(sel.unit.0.to_string())),
        ("status", status.map(|s| s.code().to_owned())),
        ("group", group.clone()),
        (
            "requirement",
            q.requirement.clone().filter(|r| !r.is_empty()),
        ),
        ("sort", Some(sort.to_owned())),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v?)))
    .collect();
    let query = serde_urlencoded_pairs(&filter_fields);
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, &sel.ods).await?;
    let shown: Vec<PersonId> = rows.iter().map(|r| PersonId(r.person_id)).collect();
    let last_reminded = state
        .store
        .last_reminders(&scope, org.id, &shown)
        .await?
        .into_iter()
        .map(|r| (r.person.0, r))
        .collect();
    Ok(TeamPage {
        layout,
        units: sel.units,
        view,
        columns,
        rows,
        groups,
        status,
        group,
        requirement: q.requirement.clone().filter(|r| !r.is_empty()),
        sort: sort.to_owned(),
        overdue_people,
        overdue_items,
        query,
        filter_fields,
        org_id: org.id,
        targets,
        last_reminded,
        notice: Notice {
            reminded: q.reminded,
            skipped: q.skipped.unwrap_or(0),
            no_email: q.no_email.unwrap_or(0),
            failed: q.failed.unwrap_or(0),
            unmatched: q.unmatched.unwrap_or(0),
        },
    })
}

/// "Last reminded 3 Dec 2026 by Sam Ward".
pub(crate) fn reminded_line(r: &Reminder) -> String {
    format!(
        "Last reminded {} by {}",
        r.sent_at.format("%-d %b %Y"),
        r.sent_by_name
    )
}

fn serde_urlencoded_pairs(pairs: &[(&str, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<TeamQuery>,
) -> PageResult<TeamPage> {
    Ok(team(&state, &page.caller, page.layout, &q).await?)
}

impl TeamPage {
    /// The table as shown, for the downloads: a heading row, then one row per person.
    fn table(&self) -> Vec<Vec<String>> {
        let mut header = vec![
            "Employee number".to_owned(),
            "Name".into(),
            "Staff group".into(),
            "Overdue".into(),
        ];
        for c in &self.columns {
            header.push(c.heading.clone());
            header.push(format!("{} due", c.heading));
        }
        let mut out = vec![header];
        for r in &self.rows {
            let mut fields = vec![
                r.employee_number.clone(),
                r.name.clone(),
                r.staff_group.clone(),
                r.overdue.to_string(),
            ];
            for c in &self.columns {
                match self.cell(r, &c.key) {
                    Some(s) => {
                        fields.push(s.status.label().to_owned());
                        fields.push(s.due_on.map(|d| d.to_string()).unwrap_or_default());
                    }
                    None => {
                        fields.push("Not applicable".into());
                        fields.push(String::new());
                    }
                }
            }
            out.push(fields);
        }
        out
    }

    fn file_name(&self, ext: &str) -> String {
        format!(
            "team-{}-{}.{ext}",
            self.view
                .unit_name
                .replace(|c: char| !c.is_ascii_alphanumeric(), "-"),
            self.view.as_at
        )
    }
}

/// The matrix as CSV: one row per person, one column per requirement (status and due date), as filtered on screen.
pub async fn csv(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<TeamQuery>,
) -> PageResult<Response> {
    let team = team(&state, &page.caller, page.layout, &q).await?;
    let esc = |s: &str| {
        // Quote every field; a leading = + - @ is prefixed so spreadsheets never run it as a formula.
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_owned()
        };
        format!("\"{}\"", s.replace('"', "\"\""))
    };
    let mut out = String::new();
    for row in team.table() {
        out.push_str(&row.iter().map(|f| esc(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", team.file_name("csv")),
            ),
        ],
        out,
    )
        .into_response())
}

/// The same table as an Excel workbook.
pub async fn xlsx(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<TeamQuery>,
) -> PageResult<Response> {
    let team = team(&state, &page.caller, page.layout, &q).await?;
    let name = team.file_name("xlsx");
    let table = team.table();
    let bytes =
        tokio::task::spawn_blocking(move || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let bold = rust_xlsxwriter::Format::new().set_bold();
            let sheet = wb.add_worksheet();
            sheet.set_name("Team")?;
            for (i, row) in table.iter().enumerate() {
                for (j, v) in row.iter().enumerate() {
                    if i == 0 {
                        sheet.write_string_with_format(0, j as u16, v, &bold)?;
                    } else {
                        sheet.write_string(i as u32, j as u16, v)?;
                    }
                }
            }
            sheet.set_freeze_panes(1, 2)?;
            wb.save_to_buffer()
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
