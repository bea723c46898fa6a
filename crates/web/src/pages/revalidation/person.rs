//! A registrant's revalidation page: each registration's requirements, the evidence recorded, a form to record an
//! item (with an optional file), withdrawing an item, and downloading a file. The registrant, their managers and the
//! organisation's admins record (`Action::RecordEvidence`); whoever may see the person reads (`Action::ViewPerson`).

use super::RevalidationExt;
use crate::auth::Caller;
use crate::auth::sign_in::FieldError;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::views::revalidation::{PersonRevalidationView, person_revalidation};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::access::Action;
use lantern_domain::revalidation::EvidenceKind;
use lantern_domain::revalidation::evidence::{self, MAX_FILE_BYTES, Proposed};
use lantern_domain::{EvidenceId, PersonId, RegulatoryBody};
use lantern_store::StoreError;
use lantern_store::revalidation::{NewEvidence, Withdrawal};

/// The largest request the evidence form may send: the file and the form's few fields.
pub const MAX_REQUEST: usize = MAX_FILE_BYTES + 64 * 1024;

/// One choice in the form's "What is it?" list: a regulator's kind of evidence.
pub struct KindChoice {
    /// "nmc.practice_hours".
    pub value: String,
    pub label: String,
    pub hint: &'static str,
}

#[derive(Default, Clone)]
pub struct EvidenceForm {
    pub kind: String,
    pub on: String,
    pub hours: String,
    pub participatory: bool,
    pub note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "revalidation.html")]
pub struct RevalidationPage {
    layout: Layout,
    view: PersonRevalidationView,
    kinds: Vec<KindChoice>,
    form: EvidenceForm,
    errors: Vec<FieldError>,
    saved: Option<String>,
}

impl RevalidationPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn bytes(&self, size: &i64) -> String {
        match *size {
            s if s >= 1024 * 1024 => format!("{:.1} MB", s as f64 / (1024.0 * 1024.0)),
            s if s >= 1024 => format!("{} KB", s / 1024),
            s => format!("{s} bytes"),
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct Notice {
    saved: Option<String>,
}

fn kinds(view: &PersonRevalidationView) -> Vec<KindChoice> {
    let mut out = Vec::new();
    for r in &view.registrations {
        let Some(body) = RegulatoryBody::parse(&r.body_code) else {
            continue;
        };
        for k in EvidenceKind::for_body(body) {
            out.push(KindChoice {
                value: format!("{}.{}", body.code(), k.code()),
                label: format!("{}: {}", body.label(), k.label()),
                hint: k.hint(),
            });
        }
    }
    out
}

async fn render(
    state: &AppState,
    page: Page,
    ods: &str,
    person: PersonId,
    form: EvidenceForm,
    errors: Vec<FieldError>,
    saved: Option<String>,
) -> Result<RevalidationPage, AppError> {
    let view = person_revalidation(state, &page.caller, ods, person, None).await?;
    Ok(RevalidationPage {
        kinds: kinds(&view),
        layout: page.layout,
        view,
        form,
        errors,
        saved,
    })
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id)): Path<(String, i64)>,
    Query(n): Query<Notice>,
) -> PageResult<RevalidationPage> {
    let form = EvidenceForm {
        on: crate::when::today(&state.store.org_by_code(&page.caller.scope(), &ods).await?)
            .to_string(),
        ..EvidenceForm::default()
    };
    Ok(render(
        &state,
        page,
        &ods,
        PersonId(person_id),
        form,
        Vec::new(),
        n.saved,
    )
    .await?)
}

/// The organisation, if the caller may record evidence for the person there.
async fn may_record(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    person: PersonId,
) -> Result<lantern_domain::Organisation, AppError> {
    let org = state.store.org_by_code(&caller.scope(), ods).await?;
    caller.require(Action::RecordEvidence(org.id, person))?;
    Ok(org)
}

/// The form's field for a problem the domain or the store names.
fn form_field(field: &str) -> &'static str {
    match field {
        "body" | "kind" => "kind",
        "on" => "on",
        "hours" => "hours",
        "file" => "file",
        _ => "note",
    }
}

pub async fn record(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id)): Path<(String, i64)>,
    req: axum::extract::Request,
) -> PageResult<Response> {
    let person = PersonId(person_id);
    // The body is read only after the access check.
    let org = may_record(&state, &page.caller, &ods, person).await?;
    let upload = crate::upload::Upload::read(req, &state).await?;
    let form = EvidenceForm {
        kind: upload.get("kind"),
        on: upload.get("on"),
        hours: upload.get("hours"),
        participatory: upload.get("participatory") == "yes",
        note: upload.get("note"),
    };
    let (file, mut errors) = (upload.file, upload.errors);
    let choice = form
        .kind
        .split_once('.')
        .and_then(|(b, k)| Some((RegulatoryBody::parse(b)?, EvidenceKind::parse(k)?)));
    if choice.is_none() {
        errors.push(FieldError {
            field: "kind",
            message: "Choose what the evidence is".into(),
        });
    }
    let on = form.on.trim().parse::<chrono::NaiveDate>();
    if on.is_err() {
        errors.push(FieldError {
            field: "on",
            message: "Enter the date, like 2026-11-23".into(),
        });
    }
    let hours = match form.hours.trim() {
        "" => None,
        h => match h.parse::<f64>() {
            Ok(h) if h.is_finite() => Some(h),
            _ => {
                errors.push(FieldError {
                    field: "hours",
                    message: "Enter the hours as a number, like 7.5".into(),
                });
                None
            }
        },
    };
    let today = crate::when::today(&org);
    if let (Some((body, kind)), Ok(on), true) = (choice, on, errors.is_empty()) {
        // The domain's checks, for the form's messages; the store checks again in its transaction.
        let p = state
            .store
            .person(&page.caller.scope(), org.id, person)
            .await?;
        let registered: Vec<RegulatoryBody> =
            p.person.registrations.iter().map(|r| r.body).collect();
        let proposed = Proposed {
            body,
            kind,
            on,
            hours,
            note: &form.note,
            file: file.as_ref().map(|(_, b)| b.as_slice()),
        };
        for p in evidence::check(&proposed, &registered, today) {
            errors.push(FieldError {
                field: form_field(p.field),
                message: p.message,
            });
        }
        if errors.is_empty() {
            let new = NewEvidence {
                person,
                body,
                kind,
                on,
                hours,
                participatory: form.participatory,
                note: form.note.clone(),
                file,
            };
            match state
                .store
                .record_evidence(
                    &page.caller.scope(),
                    org.id,
                    page.caller.account.id,
                    chrono::Utc::now(),
                    today,
                    &new,
                )
                .await
            {
                Ok(_) => {
                    let to = format!(
                        "/orgs/{}/people/{}/revalidation?saved={}",
                        org.ods_code,
                        person.0,
                        crate::pages::admin::urlencode(kind.label())
                    );
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(StoreError::Rejected(problems)) => {
                    for p in problems {
                        errors.push(FieldError {
                            field: form_field(&p.field),
                            message: p.message,
                        });
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let page = render(&state, page, &ods, person, form, errors, None).await?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

#[derive(serde::Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    reason: String,
}

pub async fn withdraw(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id, evidence_id)): Path<(String, i64, i64)>,
    Form(f): Form<WithdrawForm>,
) -> PageResult<Response> {
    let person = PersonId(person_id);
    let org = may_record(&state, &page.caller, &ods, person).await?;
    match state
        .store
        .withdraw_evidence(
            &page.caller.scope(),
            org.id,
            &Withdrawal {
                person,
                id: EvidenceId(evidence_id),
                reason: &f.reason,
            },
            page.caller.account.id,
            chrono::Utc::now(),
        )
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/orgs/{}/people/{}/revalidation?saved=Withdrawn",
            org.ods_code, person.0
        ))
        .into_response()),
        Err(StoreError::Rejected(problems)) => {
            let errors = problems
                .into_iter()
                .map(|p| FieldError {
                    field: "withdraw",
                    message: p.message,
                })
                .collect();
            let page = render(
                &state,
                page,
                &ods,
                person,
                EvidenceForm::default(),
                errors,
                None,
            )
            .await?;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// An item's file, always as a download, with the type Lantern recognised when it was stored.
pub async fn file(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id, evidence_id)): Path<(String, i64, i64)>,
) -> PageResult<Response> {
    let person = PersonId(person_id);
    let scope = page.caller.scope();
    let org = state.store.org_by_code(&scope, &ods).await?;
    page.caller.require(Action::ViewPerson(org.id, person))?;
    let f = state
        .store
        .evidence_file(&scope, org.id, person, EvidenceId(evidence_id))
        .await?;
    Ok(crate::download::evidence(
        f.content,
        &f.info.content_type,
        &format!("evidence-{evidence_id}"),
    ))
}
