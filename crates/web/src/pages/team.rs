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
use crate::views::team::{TeamFilter, TeamView};
use crate::views::{self, PersonRowView};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use lantern_domain::RequirementKey;
use lantern_domain::{Status, UnitId};
use lantern_store::reminders::Reminder;

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

#[derive(Template, WebTemplate)]
#[template(path = "team.html")]
pub struct TeamPage {
    layout: Layout,
    view: TeamView,
    status: Option<Status>,
    group: Option<String>,
    /// The requirement filtered to, as `subject:level`.
    requirement: Option<String>,
    sort: &'static str,
    /// The filter as a query string, for links that keep it.
    query: String,
    /// The filter as fields, for forms that keep it.
    filter_fields: Vec<(&'static str, String)>,
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
            .find(|s| RequirementKey::new(s.subject.clone(), s.level).to_string() == key)
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
        let key = self.requirement.as_deref()?;
        self.view
            .columns
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

impl TeamQuery {
    fn filter(&self) -> Result<TeamFilter, AppError> {
        TeamFilter::parse(
            self.unit.map(|u| u.to_string()).as_deref(),
            self.status.as_deref(),
            self.group.as_deref(),
            self.requirement.as_deref(),
            self.sort.as_deref(),
        )
    }
}

/// Loads the team as asked: the view does the filtering and picks whom to remind; the page keeps the filter for its
/// links and forms.
async fn team(
    state: &AppState,
    caller: &Caller,
    layout: Layout,
    q: &TeamQuery,
) -> Result<TeamPage, AppError> {
    let filter = q.filter()?;
    let view = views::team::my_team(state, caller, &filter).await?;
    let filter_fields = filter.fields(UnitId(view.unit_id));
    let query = serde_urlencoded_pairs(&filter_fields);
    Ok(TeamPage {
        layout,
        status: filter.status,
        group: filter.group.clone(),
        requirement: filter.requirement.as_ref().map(views::team::column_key),
        sort: filter.sort.code(),
        query,
        filter_fields,
        view,
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
            "Assigned courses not done".into(),
            "Assigned courses overdue".into(),
        ];
        for c in &self.view.columns {
            header.push(c.heading.clone());
            header.push(format!("{} due", c.heading));
        }
        let mut out = vec![header];
        for r in &self.view.people {
            let mut fields = vec![
                r.employee_number.clone(),
                r.name.clone(),
                r.staff_group.clone(),
                r.overdue.to_string(),
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
