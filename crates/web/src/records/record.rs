//! One training record by hand: added from a certificate or an attendance sheet (with the file), corrected (the new
//! record supersedes the old, which stays on record with the reason) or withdrawn (entered in error: it never
//! counted). The form names each field's problem; nothing is written unless all of it is sound.

use super::{Requirement, Upload, date, kept_org, requirements, store_errors};
use crate::auth::sign_in::FieldError;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::access::Action;
use lantern_domain::record_keeping::{ProposedRecord, check_record};
use lantern_domain::uploads::MAX_FILE_BYTES;
use lantern_domain::{
    Organisation, PersonId, ProviderType, RecordFact, RecordId, RecordSource, Subject,
};
use lantern_store::PersonBundle;
use lantern_store::record_keeping::{NewRecord, Provider};

/// The largest request the form may send: the file and the form's few fields.
pub const MAX_REQUEST: usize = MAX_FILE_BYTES + 64 * 1024;

/// How the training was done, as the form offers it.
const SOURCES: &[RecordSource] = &[
    RecordSource::Classroom,
    RecordSource::Elearning,
    RecordSource::Assessment,
    RecordSource::Transfer,
];

const FIELDS: &[&str] = &[
    "requirement",
    "completed_on",
    "hours",
    "source",
    "provider",
    "provider_name",
    "provider_type",
    "file",
    "reason",
];

#[derive(Clone, Debug, Default)]
pub struct RecordForm {
    /// "subject:level".
    pub requirement: String,
    pub completed_on: String,
    pub hours: String,
    pub source: String,
    /// "own" or "other".
    pub provider: String,
    pub provider_name: String,
    pub provider_type: String,
    pub reason: String,
}

/// The record being corrected, as held.
pub struct Held {
    pub id: i64,
    pub label: String,
    pub completed_on: String,
    pub hours: Option<f64>,
    pub provider: String,
    pub source: &'static str,
    pub evidence_ref: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "record_form.html")]
pub struct RecordPage {
    layout: Layout,
    ods: String,
    org_name: String,
    person_id: i64,
    name: String,
    employee_number: String,
    requirements: Vec<Requirement>,
    sources: &'static [RecordSource],
    provider_types: &'static [ProviderType],
    form: RecordForm,
    errors: Vec<FieldError>,
    /// Set when correcting: the record as held.
    held: Option<Held>,
    /// Errors of the withdrawal form (on the correction page).
    withdraw_errors: Vec<FieldError>,
    withdraw_reason: String,
}

impl RecordPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .chain(&self.withdraw_errors)
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn action(&self) -> String {
        match &self.held {
            Some(h) => format!(
                "/orgs/{}/people/{}/records/{}/correct",
                self.ods, self.person_id, h.id
            ),
            None => format!("/orgs/{}/people/{}/records/new", self.ods, self.person_id),
        }
    }
}

struct Ctx {
    org: Organisation,
    bundle: PersonBundle,
    requirements: Vec<Requirement>,
}

async fn context(
    state: &AppState,
    page: &Page,
    ods: &str,
    person: PersonId,
) -> Result<Ctx, AppError> {
    let org = kept_org(state, &page.caller, ods).await?;
    let scope = page.caller.scope();
    let bundle = state.store.person(&scope, org.id, person).await?;
    let ctx = state
        .read_model
        .context(state.store.as_ref(), &scope, org.id)
        .await?;
    let (requirements, _) = requirements(&ctx.rules);
    Ok(Ctx {
        org,
        bundle,
        requirements,
    })
}

fn held(c: &Ctx, record: RecordId) -> Result<(&RecordFact, Held), AppError> {
    let fact = c
        .bundle
        .records
        .iter()
        .find(|r| r.record.id == record)
        .ok_or(AppError::NotFound)?;
    let r = &fact.record;
    let label = c
        .requirements
        .iter()
        .find(|q| q.value == format!("{}:{}", r.subject, r.level))
        .map(|q| q.label.clone())
        .unwrap_or_else(|| format!("{} level {}", r.subject, r.level));
    Ok((
        fact,
        Held {
            id: r.id.0,
            label,
            completed_on: r.completed_on.to_string(),
            hours: r.hours,
            provider: r.provider.clone(),
            source: r.source.label(),
            evidence_ref: r.evidence_ref.clone(),
        },
    ))
}

fn render(
    c: Ctx,
    layout: Layout,
    form: RecordForm,
    errors: Vec<FieldError>,
    held: Option<Held>,
) -> RecordPage {
    RecordPage {
        layout,
        ods: c.org.ods_code.to_string(),
        org_name: c.org.name.clone(),
        person_id: c.bundle.person.id.0,
        name: c.bundle.person.display_name(),
        employee_number: c.bundle.person.employee_number.clone(),
        requirements: c.requirements,
        sources: SOURCES,
        provider_types: ProviderType::ALL,
        form,
        errors,
        held,
        withdraw_errors: Vec::new(),
        withdraw_reason: String::new(),
    }
}

pub async fn new_page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id)): Path<(String, i64)>,
) -> PageResult<RecordPage> {
    let c = context(&state, &page, &ods, PersonId(person_id)).await?;
    let form = RecordForm {
        completed_on: crate::when::today(&c.org).to_string(),
        source: RecordSource::Classroom.code().to_owned(),
        provider: "own".to_owned(),
        ..RecordForm::default()
    };
    Ok(render(c, page.layout, form, Vec::new(), None))
}

pub async fn correct_page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id, record_id)): Path<(String, i64, i64)>,
) -> PageResult<Response> {
    let c = context(&state, &page, &ods, PersonId(person_id)).await?;
    let (fact, held) = held(&c, RecordId(record_id))?;
    if fact.superseded.is_some() {
        return Err(AppError::BadRequest(
            "This record was corrected or withdrawn already: correct the record that replaced it"
                .into(),
        )
        .into());
    }
    let r = &fact.record;
    let own = r.provider_org_id == Some(c.org.id);
    let form = RecordForm {
        requirement: format!("{}:{}", r.subject, r.level),
        completed_on: r.completed_on.to_string(),
        hours: r.hours.map(|h| h.to_string()).unwrap_or_default(),
        source: r.source.code().to_owned(),
        provider: if own { "own" } else { "other" }.to_owned(),
        provider_name: if own {
            String::new()
        } else {
            r.provider.clone()
        },
        provider_type: r.provider_type.code().to_owned(),
        reason: String::new(),
    };
    Ok(render(c, page.layout, form, Vec::new(), Some(held)).into_response())
}

/// The form as sent, and the record it asks for (None when a field could not be read), with every problem the form
/// shows at once: those of fields it could not read and the domain's (`check_record`; the store checks the level
/// against the requirement, and everything again, in its transaction).
fn read(
    upload: &Upload,
    person: PersonId,
    today: chrono::NaiveDate,
) -> (RecordForm, Option<NewRecord>, Vec<FieldError>) {
    let form = RecordForm {
        requirement: upload.get("requirement"),
        completed_on: upload.get("completed_on"),
        hours: upload.get("hours"),
        source: upload.get("source"),
        provider: upload.get("provider"),
        provider_name: upload.get("provider_name"),
        provider_type: upload.get("provider_type"),
        reason: upload.get("reason"),
    };
    let mut errors: Vec<FieldError> = Vec::new();
    let mut err = |field: &'static str, message: &str| {
        errors.push(FieldError {
            field,
            message: message.to_owned(),
        })
    };
    let requirement = form
        .requirement
        .split_once(':')
        .and_then(|(s, l)| Some((Subject::parse(s).ok()?, l.parse::<u8>().ok()?)));
    if requirement.is_none() {
        err("requirement", "Choose the requirement the training was for");
    }
    let completed_on = date(&form.completed_on);
    if completed_on.is_none() {
        err(
            "completed_on",
            "Enter the date it was completed, like 2026-11-23",
        );
    }
    let hours = match form.hours.trim() {
        "" => Some(None),
        h => h.parse::<f64>().ok().filter(|h| h.is_finite()).map(Some),
    };
    if hours.is_none() {
        err(
            "hours",
            "Enter the hours as a number, like 1.5, or leave it empty",
        );
    }
    let source = RecordSource::parse(&form.source).filter(|s| SOURCES.contains(s));
    if source.is_none() {
        err("source", "Choose how the training was done");
    }
    let provider = match form.provider.as_str() {
        "own" => Some(Provider::Own),
        "other" => match ProviderType::parse(&form.provider_type) {
            Some(kind) => Some(Provider::Other {
                name: form.provider_name.clone(),
                kind,
            }),
            None => {
                err("provider_type", "Choose what kind of provider it was");
                None
            }
        },
        _ => {
            err("provider", "Choose who provided the training");
            None
        }
    };
    // Another provider's name is checked whatever else is missing, so the form names every problem at once.
    let provider_name = if form.provider == "other" {
        form.provider_name.as_str()
    } else {
        "the organisation"
    };
    let proposed = ProposedRecord {
        // The level is checked against the requirement by the store.
        levels: Some(u8::MAX),
        level: requirement.as_ref().map_or(1, |r| r.1.max(1)),
        completed_on: completed_on.unwrap_or(today),
        hours: hours.flatten(),
        provider: provider_name,
        file: upload.file.as_ref().map(|(_, b)| b.as_slice()),
    };
    for p in check_record(&proposed, today) {
        errors.push(FieldError {
            field: match p.field {
                "provider" => "provider_name",
                f => FIELDS
                    .iter()
                    .copied()
                    .find(|x| *x == f)
                    .unwrap_or("requirement"),
            },
            message: p.message,
        });
    }
    let new = match (requirement, completed_on, hours, source, provider) {
        (Some((subject, level)), Some(completed_on), Some(hours), Some(source), Some(provider)) => {
            Some(NewRecord {
                person,
                subject,
                level,
                completed_on,
                hours,
                provider,
                source,
                file: upload.file.clone(),
            })
        }
        _ => None,
    };
    (form, new, errors)
}

async fn submit(
    state: AppState,
    page: Page,
    ods: String,
    person: PersonId,
    replaces: Option<RecordId>,
    req: axum::extract::Request,
) -> PageResult<Response> {
    // The body is read only after the access check.
    let c = context(&state, &page, &ods, person).await?;
    let held = match replaces {
        Some(id) => Some(held(&c, id)?.1),
        None => None,
    };
    let upload = Upload::read(req, &state).await?;
    let today = crate::when::today(&c.org);
    let (form, new, mut errors) = read(&upload, person, today);
    errors.extend(upload.errors);
    if let (Some(new), true) = (new, errors.is_empty()) {
        match state
            .store
            .add_record(
                &page.caller.scope(),
                c.org.id,
                page.caller.account.id,
                chrono::Utc::now(),
                today,
                &new,
                replaces.map(|r| (r, form.reason.as_str())),
            )
            .await
        {
            Ok(_) => {
                let saved = if replaces.is_some() {
                    "corrected"
                } else {
                    "added"
                };
                return Ok(Redirect::to(&format!(
                    "/orgs/{}/people/{}?saved=record-{saved}#records",
                    c.org.ods_code, person.0
                ))
                .into_response());
            }
            Err(e) => errors.extend(store_errors(e, FIELDS)?),
        }
    }
    // The store names a level or a subject on "level"/"subject": show them on the requirement.
    for e in &mut errors {
        match e.field {
            "level" | "subject" => e.field = "requirement",
            "provider" if form.provider == "other" => e.field = "provider_name",
            _ => {}
        }
    }
    let page = render(c, page.layout, form, errors, held);
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

pub async fn new_submit(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id)): Path<(String, i64)>,
    req: axum::extract::Request,
) -> PageResult<Response> {
    submit(state, page, ods, PersonId(person_id), None, req).await
}

pub async fn correct_submit(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id, record_id)): Path<(String, i64, i64)>,
    req: axum::extract::Request,
) -> PageResult<Response> {
    submit(
        state,
        page,
        ods,
        PersonId(person_id),
        Some(RecordId(record_id)),
        req,
    )
    .await
}

#[derive(serde::Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    withdraw_reason: String,
}

pub async fn withdraw(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id, record_id)): Path<(String, i64, i64)>,
    Form(f): Form<WithdrawForm>,
) -> PageResult<Response> {
    let person = PersonId(person_id);
    let c = context(&state, &page, &ods, person).await?;
    let (_, held) = held(&c, RecordId(record_id))?;
    match state
        .store
        .withdraw_record(
            &page.caller.scope(),
            c.org.id,
            page.caller.account.id,
            chrono::Utc::now(),
            person,
            RecordId(record_id),
            &f.withdraw_reason,
        )
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/orgs/{}/people/{}?saved=record-withdrawn#records",
            c.org.ods_code, person.0
        ))
        .into_response()),
        Err(e) => {
            let mut errors = store_errors(e, &["withdraw_reason"])?;
            for e in &mut errors {
                e.field = "withdraw_reason";
            }
            let mut page = render(
                c,
                page.layout,
                RecordForm::default(),
                Vec::new(),
                Some(held),
            );
            page.withdraw_errors = errors;
            page.withdraw_reason = f.withdraw_reason;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}

/// A record's evidence file, always as a download, with the type Lantern recognised when it was stored.
pub async fn evidence(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id, record_id)): Path<(String, i64, i64)>,
) -> PageResult<Response> {
    let person = PersonId(person_id);
    let scope = page.caller.scope();
    let org = state.store.org_by_code(&scope, &ods).await?;
    page.caller.require(Action::ViewPerson(org.id, person))?;
    let f = state
        .store
        .record_file(&scope, org.id, person, RecordId(record_id))
        .await?;
    Ok(crate::download::evidence(
        f.content,
        &f.info.content_type,
        &format!("record-{record_id}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_names_every_field_it_cannot_read() {
        let upload = Upload {
            fields: [
                ("requirement", "nonsense"),
                ("completed_on", "23/11/2026"),
                ("hours", "two"),
                ("source", "xapi"),
                ("provider", "other"),
                ("provider_type", ""),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            file: Some(("cert.html".into(), b"<html>".to_vec())),
            errors: Vec::new(),
        };
        let (_, new, errors) = read(&upload, PersonId(1), "2026-12-07".parse().unwrap());
        assert!(new.is_none());
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "requirement",
                "completed_on",
                "hours",
                "source",
                "provider_type",
                "provider_name",
                "file"
            ]
        );
    }
}
