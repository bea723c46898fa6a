//! The team view (`/team`): one unit's people x requirements, for a manager's units and for any unit of an
//! organisation its admins and auditors oversee. Names stay in view while the requirements scroll; the requirements
//! are grouped by framework, most overdue first; each row sums the person up ("2 overdue, 1 expiring"); filters
//! compose and each can be removed; a compact layout shows status only; on a phone the table becomes a list of
//! people with their counts. Downloads (CSV, Excel) and reminders (`remind`) act on exactly the people shown, or on
//! those ticked, with when each was last reminded and by whom.

mod assign;
mod remind;
mod revalidation;
mod saved;

pub use assign::{assign, assign_confirm};
pub use remind::{remind, remind_confirm};
pub use revalidation::page as revalidation;
pub use saved::{remove as remove_view, save as save_view};

use super::layout::{Layout, Page};
use super::{PageResult, StatusExt};
use crate::auth::Caller;
use crate::views::team::{StatusFilter, TeamFilter, TeamRequest, TeamView, query_string};
use crate::views::{self, PersonRowView};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use lantern_domain::{RequirementKey, Status, UnitId};
use lantern_store::reminders::Reminder;

/// The most rows the page draws: a department of 300 fits; a whole trust is narrowed by unit or filter, or
/// downloaded (the downloads have everyone shown).
const MAX_ROWS: usize = 500;

#[derive(Template, WebTemplate)]
#[template(path = "team.html")]
pub struct TeamPage {
    layout: Layout,
    view: TeamView,
    filter: TeamFilter,
    /// The people ticked for a bulk action, if any (the downloads take only them).
    picked: Vec<i64>,
    /// The filter as a query string, for links that keep it.
    query: String,
    /// The filter as fields, for forms that keep it.
    filter_fields: Vec<(&'static str, String)>,
    notice: Notice,
    /// The caller's saved views of the team view.
    saved: Vec<lantern_store::saved_views::SavedView>,
}

/// What the last round of reminders, or the last bulk assignment, did, for the notice above the table.
#[derive(Default)]
pub struct Notice {
    reminded: Option<usize>,
    skipped: usize,
    no_email: usize,
    failed: usize,
    unmatched: usize,
    /// A course assigned to those ticked: how many newly, how many already had it, its title and due date.
    assigned: Option<usize>,
    already: usize,
    course: String,
    due: String,
}

impl Notice {
    /// The counts the reminder round put in the query string after sending.
    fn parse(raw: &[u8]) -> Notice {
        let mut n = Notice::default();
        for (k, v) in form_urlencoded::parse(raw) {
            match k.as_ref() {
                "course" => n.course = v.trim().to_owned(),
                "due" => n.due = v.trim().to_owned(),
                _ => {}
            }
            let Ok(v) = v.trim().parse::<usize>() else {
                continue;
            };
            match k.as_ref() {
                "assigned" => n.assigned = Some(v),
                "already" => n.already = v,
                "reminded" => n.reminded = Some(v),
                "skipped" => n.skipped = v,
                "no_email" => n.no_email = v,
                "failed" => n.failed = v,
                "unmatched" => n.unmatched = v,
                _ => {}
            }
        }
        n
    }
}

/// A filter in force, with the link that removes it alone.
pub struct ActiveFilter {
    pub label: String,
    pub remove: String,
}

impl TeamPage {
    fn cell<'a>(&self, row: &'a PersonRowView, key: &str) -> Option<&'a views::PersonStatusBrief> {
        row.statuses
            .iter()
            .find(|s| RequirementKey::new(s.subject.clone(), s.level).to_string() == key)
    }

    /// The rows drawn: the people shown, up to `MAX_ROWS`.
    fn rows(&self) -> &[PersonRowView] {
        &self.view.people[..self.view.people.len().min(MAX_ROWS)]
    }

    fn truncated(&self) -> bool {
        self.view.people.len() > MAX_ROWS
    }

    /// A person at a glance: "2 overdue, 1 expiring", or "All in date".
    fn summary(&self, row: &PersonRowView) -> String {
        let count = |want: Status| row.statuses.iter().filter(|s| s.status == want).count();
        let parts: Vec<String> = [
            (row.overdue, "overdue"),
            (count(Status::Expiring), "expiring"),
            (count(Status::Pending), "new, not yet due"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if parts.is_empty() {
            "All in date".to_owned()
        } else {
            parts.join(", ")
        }
    }

    /// What a person has overdue, by name: "Fire Safety L1, Resuscitation L2".
    fn overdue_names(&self, row: &PersonRowView) -> String {
        row.statuses
            .iter()
            .filter(|s| s.status.is_overdue())
            .map(|s| format!("{} L{}", s.title, s.level))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "Last reminded 3 Dec 2026 by Sam Ward", when the person has been.
    fn last_reminded(&self, person_id: &i64) -> Option<String> {
        self.view.reminders.get(person_id).map(reminded_line)
    }

    /// The person's assigned courses not done, if any.
    fn assigned(&self, person_id: &i64) -> Option<&crate::views::team::PersonAssigned> {
        self.view
            .assigned
            .iter()
            .find(|a| a.person_id == *person_id)
    }

    fn is_target(&self, person_id: &i64) -> bool {
        self.view
            .reminder_targets
            .iter()
            .any(|t| t.person.0 == *person_id)
    }

    /// The requirement the view is filtered to, as its column heading.
    fn requirement_heading(&self) -> Option<&str> {
        let key = self
            .filter
            .requirement
            .as_ref()
            .map(views::team::column_key)?;
        self.view
            .requirements
            .iter()
            .find(|c| c.key == key)
            .map(|c| c.heading.as_str())
    }

    fn requirement_key(&self) -> Option<String> {
        self.filter
            .requirement
            .as_ref()
            .map(views::team::column_key)
    }

    fn status_code(&self) -> &'static str {
        self.filter.status.map_or("", |s| s.code())
    }

    fn status_choices(&self) -> Vec<StatusFilter> {
        StatusFilter::all()
    }

    /// A link to this view with one change to the filter: a column's "9 overdue", a removed filter.
    fn with(&self, change: impl FnOnce(&mut TeamFilter)) -> String {
        let mut f = self.filter.clone();
        change(&mut f);
        format!(
            "/team?{}",
            query_string(&f.fields(UnitId(self.view.unit_id)))
        )
    }

    /// The people overdue on one column: the column heading's count links here.
    fn overdue_on(&self, key: &str) -> String {
        let requirement = key.parse().ok();
        self.with(|f| {
            f.requirement = requirement;
            f.status = Some(StatusFilter::Overdue);
        })
    }

    /// Each filter in force, with a link that removes it alone.
    fn active_filters(&self) -> Vec<ActiveFilter> {
        let mut out = Vec::new();
        if let Some(s) = self.filter.status {
            out.push(ActiveFilter {
                label: format!("Status: {}", s.label()),
                remove: self.with(|f| f.status = None),
            });
        }
        if let Some(g) = &self.filter.group {
            out.push(ActiveFilter {
                label: format!("Staff group: {g}"),
                remove: self.with(|f| f.group = None),
            });
        }
        if let Some(h) = self.requirement_heading() {
            out.push(ActiveFilter {
                label: format!("Requirement: {h}"),
                remove: self.with(|f| f.requirement = None),
            });
        }
        out
    }

    /// This view with every filter removed (the unit, order and layout kept).
    fn clear_all(&self) -> String {
        self.with(|f| {
            f.status = None;
            f.group = None;
            f.requirement = None;
        })
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

/// Loads the team as asked: the view does the filtering and picks whom to remind; the page keeps the filter for its
/// links and forms.
async fn team(
    state: &AppState,
    caller: &Caller,
    layout: Layout,
    raw: &[u8],
) -> Result<TeamPage, AppError> {
    let TeamRequest { filter, people } = TeamRequest::parse(raw)?;
    let view = views::team::my_team(state, caller, &filter).await?;
    // Each person ticked must be in the unit (the unfiltered view, which is within the caller's scope).
    if let Some(p) = people
        .iter()
        .find(|p| !view.everyone.iter().any(|e| e.0 == **p))
    {
        tracing::debug!(person = p, "a person ticked is not in the unit");
        return Err(AppError::NotFound);
    }
    let filter_fields = filter.fields(UnitId(view.unit_id));
    let query = query_string(&filter_fields);
    let saved = state
        .store
        .saved_views(caller.account.id, saved::PAGE)
        .await?;
    Ok(TeamPage {
        saved,
        layout,
        query,
        filter_fields,
        view,
        filter,
        picked: people,
        notice: Notice::parse(raw),
    })
}

/// A bulk action's form (remind, assign) names its unit: one without would fall back to the caller's first unit, for
/// an admin the whole organisation.
fn require_unit(team: &TeamPage, action: &str) -> Result<(), AppError> {
    match team.filter.unit {
        Some(_) => Ok(()),
        None => Err(AppError::BadRequest(format!(
            "unit is required: say which unit's people to {action}"
        ))),
    }
}

/// "Last reminded 3 Dec 2026 by Sam Ward".
pub(crate) fn reminded_line(r: &Reminder) -> String {
    format!(
        "Last reminded {} by {}",
        r.sent_at.format("%-d %b %Y"),
        r.sent_by_name
    )
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> PageResult<TeamPage> {
    Ok(team(
        &state,
        &page.caller,
        page.layout,
        raw.unwrap_or_default().as_bytes(),
    )
    .await?)
}

impl TeamPage {
    /// The table as shown, for the downloads: a heading row, then one row per person.
    fn table(&self) -> Vec<Vec<String>> {
        let mut header = vec![
            "Employee number".to_owned(),
            "Name".into(),
            "Staff group".into(),
            "Overdue".into(),
            "Summary".into(),
            "Assigned courses not done".into(),
            "Assigned courses overdue".into(),
        ];
        for c in &self.view.columns {
            header.push(c.heading.clone());
            header.push(format!("{} due", c.heading));
        }
        let mut out = vec![header];
        let picked =
            |r: &&PersonRowView| self.picked.is_empty() || self.picked.contains(&r.person_id);
        for r in self.view.people.iter().filter(picked) {
            let mut fields = vec![
                r.employee_number.clone(),
                r.name.clone(),
                r.staff_group.clone(),
                r.overdue.to_string(),
                self.summary(r),
            ];
            let a = self.assigned(&r.person_id);
            fields.push(a.map_or(0, |a| a.open).to_string());
            fields.push(a.map_or(0, |a| a.overdue).to_string());
            for c in &self.view.columns {
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
    RawQuery(raw): RawQuery,
) -> PageResult<Response> {
    let team = team(
        &state,
        &page.caller,
        page.layout,
        raw.unwrap_or_default().as_bytes(),
    )
    .await?;
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
    RawQuery(raw): RawQuery,
) -> PageResult<Response> {
    let team = team(
        &state,
        &page.caller,
        page.layout,
        raw.unwrap_or_default().as_bytes(),
    )
    .await?;
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
