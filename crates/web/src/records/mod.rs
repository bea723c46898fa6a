//! Keeping records by hand, for an organisation's L&D and compliance team (`Action::KeepRecords`, its admins): one
//! training record added from a certificate or an attendance sheet, with the file; a record corrected (a new record
//! supersedes it) or withdrawn; exemptions granted to a person or to a group, and ended early. The rules are
//! `lantern_domain::record_keeping`, the writes `lantern_store::record_keeping`; nothing is ever edited.
//!
//! - `/orgs/{ods}/people/{person_id}/records/new`, `.../records/{record_id}/correct`, `.../withdraw` and
//!   `.../evidence` (the file, for whoever may see the person): `record.rs`;
//! - `/orgs/{ods}/people/{person_id}/exemptions/new`, `.../exemptions/{exemption_id}/end`, and
//!   `/orgs/{ods}/admin/exemptions` (the organisation's list, and a grant to a unit or a staff group): `exemptions.rs`.

mod exemptions;
mod record;

use crate::upload::Upload;
use std::collections::HashMap;

use crate::auth::Caller;
use crate::auth::sign_in::FieldError;
use crate::routes::Routes;
use crate::{AppError, AppState};
use lantern_domain::access::Action;
use lantern_domain::record_keeping::Problem;
use lantern_domain::{Organisation, Rule};
use lantern_store::StoreError;

pub fn routes() -> Routes {
    Routes::new()
        .upload(
            "/orgs/{ods}/people/{person_id}/records/new",
            record::new_page,
            record::new_submit,
            record::MAX_REQUEST,
        )
        .upload(
            "/orgs/{ods}/people/{person_id}/records/{record_id}/correct",
            record::correct_page,
            record::correct_submit,
            record::MAX_REQUEST,
        )
        .post(
            "/orgs/{ods}/people/{person_id}/records/{record_id}/withdraw",
            record::withdraw,
        )
        .get(
            "/orgs/{ods}/people/{person_id}/records/{record_id}/evidence",
            record::evidence,
        )
        .form(
            "/orgs/{ods}/people/{person_id}/exemptions/new",
            exemptions::new_page,
            exemptions::new_submit,
        )
        .form(
            "/orgs/{ods}/people/{person_id}/exemptions/{exemption_id}/end",
            exemptions::end_page,
            exemptions::end_submit,
        )
        .form(
            "/orgs/{ods}/admin/exemptions",
            exemptions::org_page,
            exemptions::org_submit,
        )
}

/// The organisation, if the caller keeps its records.
async fn kept_org(state: &AppState, caller: &Caller, ods: &str) -> Result<Organisation, AppError> {
    let org = state.store.org_by_code(&caller.scope(), ods).await?;
    caller.require(Action::KeepRecords(org.id))?;
    Ok(org)
}

/// A requirement one can record training for or exempt someone from.
#[derive(Clone, Debug)]
pub struct Requirement {
    /// "fire_safety:1" for a record (subject and level); "fire_safety" for an exemption (every level).
    pub value: String,
    pub label: String,
}

/// The organisation's requirements in force, as (subject, level) choices sorted by title, and as subjects.
fn requirements(rules: &[Rule]) -> (Vec<Requirement>, Vec<Requirement>) {
    let current = lantern_domain::history::latest_requirements(rules);
    let mut levels: Vec<Requirement> = current
        .iter()
        .map(|r| Requirement {
            value: format!("{}:{}", r.subject, r.level),
            label: format!("{} level {}", r.title, r.level),
        })
        .collect();
    levels.sort_by(|a, b| a.label.cmp(&b.label));
    let mut subjects: Vec<Requirement> = Vec::new();
    let mut by_level = current;
    by_level.sort_by_key(|r| r.level);
    for r in by_level {
        if !subjects.iter().any(|s| s.value == r.subject.as_str()) {
            subjects.push(Requirement {
                value: r.subject.to_string(),
                label: r.title.clone(),
            });
        }
    }
    subjects.sort_by(|a, b| a.label.cmp(&b.label));
    (levels, subjects)
}

/// The form's messages for problems the domain or the store names, each on its field.
fn field_errors(
    problems: impl IntoIterator<Item = (String, String)>,
    fields: &[&'static str],
) -> Vec<FieldError> {
    problems
        .into_iter()
        .map(|(field, message)| FieldError {
            field: fields
                .iter()
                .copied()
                .find(|f| *f == field)
                .unwrap_or(fields[0]),
            message,
        })
        .collect()
}

fn domain_errors(problems: Vec<Problem>, fields: &[&'static str]) -> Vec<FieldError> {
    field_errors(
        problems
            .into_iter()
            .map(|p| (p.field.to_owned(), p.message)),
        fields,
    )
}

/// A store rejection as the form's messages; any other error passes through.
fn store_errors(e: StoreError, fields: &[&'static str]) -> Result<Vec<FieldError>, AppError> {
    match e {
        StoreError::Rejected(problems) => Ok(field_errors(
            problems.into_iter().map(|p| (p.field, p.message)),
            fields,
        )),
        e => Err(e.into()),
    }
}

/// A date typed in a form (the browser's date input sends YYYY-MM-DD).
fn date(text: &str) -> Option<chrono::NaiveDate> {
    text.trim().parse().ok()
}

/// What the person's page shows of record keeping: whether the caller keeps records here (the buttons), who
/// entered each record by hand with its file, and what was just saved.
pub struct PersonRecords {
    pub may_keep: bool,
    pub entries: HashMap<lantern_domain::RecordId, lantern_store::record_keeping::RecordEntry>,
    pub saved: Option<&'static str>,
}

impl PersonRecords {
    pub fn entry(&self, record: &i64) -> Option<&lantern_store::record_keeping::RecordEntry> {
        self.entries.get(&lantern_domain::RecordId(*record))
    }
}

/// The person page's part (the caller may see the person: the page checked).
pub async fn for_person(
    state: &AppState,
    caller: &Caller,
    org: lantern_domain::OrgId,
    person: lantern_domain::PersonId,
    saved: Option<&str>,
) -> Result<PersonRecords, AppError> {
    let entries = state
        .store
        .record_entries(&caller.scope(), org, person)
        .await
        .or_else(|e| match e {
            // A leaver (no post today) is outside every scope's record keeping; the page still shows them.
            StoreError::NotFound => Ok(HashMap::new()),
            e => Err(e),
        })?;
    Ok(PersonRecords {
        may_keep: caller.may(Action::KeepRecords(org)),
        entries,
        saved: match saved {
            Some("record-added") => Some("The training record is added"),
            Some("record-corrected") => Some(
                "The record is corrected: the new one counts, the old one is kept as corrected",
            ),
            Some("record-withdrawn") => Some("The record is withdrawn: it no longer counts"),
            Some("exemption-granted") => Some("The exemption is granted"),
            Some("exemption-ended") => Some("The exemption is ended"),
            _ => None,
        },
    })
}
