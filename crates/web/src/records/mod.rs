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

use crate::auth::Caller;
use crate::auth::sign_in::FieldError;
use crate::routes::Routes;
use crate::{AppError, AppState};
use axum::extract::{FromRequest, Multipart};
use lantern_domain::access::Action;
use lantern_domain::record_keeping::Problem;
use lantern_domain::{Organisation, Rule, RulePurpose};
use lantern_store::StoreError;
use std::collections::HashMap;

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
    let mut current: HashMap<(String, u8), &Rule> = HashMap::new();
    for r in rules
        .iter()
        .filter(|r| r.purpose == RulePurpose::Requirement)
    {
        let key = (r.subject.to_string(), r.level);
        match current.get(&key) {
            Some(have)
                if (have.effective_from, have.created_at) > (r.effective_from, r.created_at) => {}
            _ => {
                current.insert(key, r);
            }
        }
    }
    let mut levels: Vec<Requirement> = current
        .values()
        .filter(|r| !r.retired)
        .map(|r| Requirement {
            value: format!("{}:{}", r.subject, r.level),
            label: format!("{} level {}", r.title, r.level),
        })
        .collect();
    levels.sort_by(|a, b| a.label.cmp(&b.label));
    let mut subjects: Vec<Requirement> = Vec::new();
    let mut by_level: Vec<&&Rule> = current.values().filter(|r| !r.retired).collect();
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

/// A form's fields and its file, read from a multipart body (after the access check).
struct Upload {
    fields: HashMap<String, String>,
    file: Option<(String, Vec<u8>)>,
    errors: Vec<FieldError>,
}

impl Upload {
    async fn read(req: axum::extract::Request, state: &AppState) -> Result<Upload, AppError> {
        let mut multipart = Multipart::from_request(req, state)
            .await
            .map_err(|e| AppError::BadRequest(format!("Send the form on this page ({e})")))?;
        let mut out = Upload {
            fields: HashMap::new(),
            file: None,
            errors: Vec::new(),
        };
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    out.errors.push(FieldError {
                        field: "file",
                        message: format!("The form could not be read: {e}"),
                    });
                    break;
                }
            };
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                match field.bytes().await {
                    // An empty file input sends an empty part with no name: no file.
                    Ok(b) if b.is_empty() && file_name.is_empty() => {}
                    Ok(b) => out.file = Some((file_name, b.to_vec())),
                    Err(e) => out.errors.push(FieldError {
                        field: "file",
                        message: format!(
                            "The file could not be read (at most {} MB): {e}",
                            lantern_domain::uploads::MAX_FILE_BYTES / (1024 * 1024)
                        ),
                    }),
                }
                continue;
            }
            out.fields
                .insert(name, field.text().await.unwrap_or_default());
        }
        Ok(out)
    }

    fn get(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
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
