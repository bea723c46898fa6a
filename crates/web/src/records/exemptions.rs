//! Exemptions: granted to one person (from their page) or to a group (everyone in post today in a unit and the units
//! within it, optionally of one staff group: the organisation's exemptions page, which shows who it would cover
//! before it grants), each with a reason, a last day and who approved it; and ended early (the person came back, or
//! it was granted in error). An exemption shows in the person's explanation ("Exempt from ... Approved by ...") and
//! counts as exempt in every figure and report.

use super::{Requirement, date, domain_errors, kept_org, requirements, store_errors};
use crate::auth::sign_in::FieldError;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::record_keeping::{ProposedExemption, check_exemption};
use lantern_domain::rollup::Hierarchy;
use lantern_domain::{ExemptionId, Organisation, PersonId, StaffGroup, Subject, UnitId};
use lantern_store::record_keeping::{ExemptionRow, NewExemptions};
use lantern_store::{PeopleFilter, PersonBundle};

const FIELDS: &[&str] = &[
    "subject",
    "from",
    "until",
    "reason",
    "approved_by",
    "unit",
    "people",
];

/// The most exemptions the organisation's page lists.
const LISTED: u32 = 500;

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ExemptionForm {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub approved_by: String,
    /// The group's unit (the organisation's page only).
    #[serde(default)]
    pub unit: String,
    /// The group's staff group, or "" for everyone in the unit.
    #[serde(default)]
    pub staff_group: String,
    /// What the admin saw before granting to a group (`fingerprint`): a grant goes ahead only when it still covers
    /// the same people with the same terms; changed fields show the new group first.
    #[serde(default)]
    pub previewed: String,
}

impl ExemptionForm {
    /// The group's terms and its people, as shown before a grant.
    fn fingerprint(&self, people: &[(PersonId, String)]) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for part in [
            &self.unit,
            &self.staff_group,
            &self.subject,
            &self.from,
            &self.until,
            &self.reason,
            &self.approved_by,
        ] {
            h.update(part.trim().as_bytes());
            h.update([0x1f]);
        }
        for (id, _) in people {
            h.update(id.0.to_le_bytes());
        }
        hex::encode(&h.finalize()[..12])
    }

    /// The grant the form asks for (for `people`), with the form's own problems.
    fn grant(
        &self,
        subjects: &[Requirement],
        people: Vec<PersonId>,
    ) -> (Option<NewExemptions>, Vec<FieldError>) {
        let subject = subjects
            .iter()
            .find(|s| s.value == self.subject)
            .and_then(|s| Subject::parse(&s.value).ok());
        let from = date(&self.from);
        let until = match self.until.trim() {
            "" => Some(None),
            u => date(u).map(Some),
        };
        let mut errors = Vec::new();
        if from.is_none() {
            errors.push(FieldError {
                field: "from",
                message: "Enter the first day it covers, like 2026-12-01".into(),
            });
        }
        if until.is_none() {
            errors.push(FieldError {
                field: "until",
                message: "Enter the last day it covers, like 2027-05-31".into(),
            });
        }
        if let (Some(from), Some(until)) = (from, until) {
            errors.extend(domain_errors(
                check_exemption(&ProposedExemption {
                    known_subject: subject.is_some(),
                    from,
                    until,
                    reason: &self.reason,
                    approved_by: &self.approved_by,
                }),
                FIELDS,
            ));
        }
        match (subject, from, until, errors.is_empty()) {
            (Some(subject), Some(from), Some(until), true) => (
                Some(NewExemptions {
                    people,
                    subject,
                    from,
                    until,
                    reason: self.reason.trim().to_owned(),
                    approved_by: self.approved_by.trim().to_owned(),
                }),
                errors,
            ),
            _ => (None, errors),
        }
    }
}

fn error<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.as_str())
}

async fn subjects(
    state: &AppState,
    page: &Page,
    org: &Organisation,
) -> Result<Vec<Requirement>, AppError> {
    let ctx = state
        .read_model
        .context(state.store.as_ref(), &page.caller.scope(), org.id)
        .await?;
    Ok(requirements(&ctx.rules).1)
}

// --- One person -------------------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "exemption_form.html")]
pub struct ExemptionPage {
    layout: Layout,
    ods: String,
    org_name: String,
    person_id: i64,
    name: String,
    employee_number: String,
    subjects: Vec<Requirement>,
    form: ExemptionForm,
    errors: Vec<FieldError>,
}

impl ExemptionPage {
    fn error(&self, field: &str) -> Option<&str> {
        error(&self.errors, field)
    }
}

async fn person_page(
    state: &AppState,
    page: Page,
    ods: &str,
    person: PersonId,
    form: ExemptionForm,
    errors: Vec<FieldError>,
) -> Result<ExemptionPage, AppError> {
    let org = kept_org(state, &page.caller, ods).await?;
    let p = state
        .store
        .person(&page.caller.scope(), org.id, person)
        .await?;
    let subjects = subjects(state, &page, &org).await?;
    Ok(ExemptionPage {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        org_name: org.name,
        person_id: person.0,
        name: p.person.display_name(),
        employee_number: p.person.employee_number,
        subjects,
        form,
        errors,
    })
}

pub async fn new_page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id)): Path<(String, i64)>,
) -> PageResult<ExemptionPage> {
    let org = kept_org(&state, &page.caller, &ods).await?;
    let form = ExemptionForm {
        from: crate::when::today(&org).to_string(),
        ..ExemptionForm::default()
    };
    Ok(person_page(&state, page, &ods, PersonId(person_id), form, Vec::new()).await?)
}

pub async fn new_submit(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id)): Path<(String, i64)>,
    Form(form): Form<ExemptionForm>,
) -> PageResult<Response> {
    let person = PersonId(person_id);
    let org = kept_org(&state, &page.caller, &ods).await?;
    let subjects = subjects(&state, &page, &org).await?;
    let (grant, mut errors) = form.grant(&subjects, vec![person]);
    if let Some(grant) = grant {
        match state
            .store
            .grant_exemptions(
                &page.caller.scope(),
                org.id,
                page.caller.account.id,
                chrono::Utc::now(),
                &grant,
            )
            .await
        {
            Ok(_) => {
                return Ok(Redirect::to(&format!(
                    "/orgs/{}/people/{}?saved=exemption-granted#exemptions",
                    org.ods_code, person.0
                ))
                .into_response());
            }
            Err(e) => errors.extend(store_errors(e, FIELDS)?),
        }
    }
    let page = person_page(&state, page, &ods, person, form, errors).await?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

// --- Ending one early -------------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct EndForm {
    #[serde(default)]
    pub last_day: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "exemption_end.html")]
pub struct EndPage {
    layout: Layout,
    ods: String,
    org_name: String,
    person_id: i64,
    name: String,
    exemption: lantern_domain::Exemption,
    title: String,
    form: EndForm,
    errors: Vec<FieldError>,
}

impl EndPage {
    fn error(&self, field: &str) -> Option<&str> {
        error(&self.errors, field)
    }

    /// The day before it starts: as a last day, it never applied.
    fn day_before(&self) -> chrono::NaiveDate {
        self.exemption
            .from
            .pred_opt()
            .unwrap_or(self.exemption.from)
    }
}

async fn end_view(
    state: &AppState,
    page: Page,
    ods: &str,
    person: PersonId,
    id: ExemptionId,
    form: Option<EndForm>,
    errors: Vec<FieldError>,
) -> Result<EndPage, AppError> {
    let org = kept_org(state, &page.caller, ods).await?;
    let p: PersonBundle = state
        .store
        .person(&page.caller.scope(), org.id, person)
        .await?;
    let exemption = p
        .exemptions
        .iter()
        .find(|e| e.id == id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let title = subjects(state, &page, &org)
        .await?
        .into_iter()
        .find(|s| s.value == exemption.subject.as_str())
        .map(|s| s.label)
        .unwrap_or_else(|| exemption.subject.to_string());
    let form = form.unwrap_or_else(|| EndForm {
        last_day: crate::when::today(&org).to_string(),
        reason: String::new(),
    });
    Ok(EndPage {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        org_name: org.name,
        person_id: person.0,
        name: p.person.display_name(),
        exemption,
        title,
        form,
        errors,
    })
}

pub async fn end_page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id, exemption_id)): Path<(String, i64, i64)>,
) -> PageResult<EndPage> {
    Ok(end_view(
        &state,
        page,
        &ods,
        PersonId(person_id),
        ExemptionId(exemption_id),
        None,
        Vec::new(),
    )
    .await?)
}

pub async fn end_submit(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person_id, exemption_id)): Path<(String, i64, i64)>,
    Form(form): Form<EndForm>,
) -> PageResult<Response> {
    let (person, id) = (PersonId(person_id), ExemptionId(exemption_id));
    let org = kept_org(&state, &page.caller, &ods).await?;
    let mut errors = Vec::new();
    match date(&form.last_day) {
        None => errors.push(FieldError {
            field: "last_day",
            message: "Enter the last day it covers, like 2026-12-06".into(),
        }),
        Some(last_day) => match state
            .store
            .end_exemption(
                &page.caller.scope(),
                org.id,
                page.caller.account.id,
                chrono::Utc::now(),
                person,
                id,
                last_day,
                &form.reason,
            )
            .await
        {
            Ok(()) => {
                return Ok(Redirect::to(&format!(
                    "/orgs/{}/people/{}?saved=exemption-ended#exemptions",
                    org.ods_code, person.0
                ))
                .into_response());
            }
            Err(e) => errors.extend(store_errors(e, &["last_day", "reason"])?),
        },
    }
    let page = end_view(&state, page, &ods, person, id, Some(form), errors).await?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

// --- The organisation's exemptions, and a grant to a group -------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "admin_exemptions.html")]
pub struct OrgExemptionsPage {
    layout: Layout,
    ods: String,
    org_name: String,
    today: chrono::NaiveDate,
    rows: Vec<ExemptionRow>,
    titles: Vec<Requirement>,
    units: Vec<(i64, String)>,
    staff_groups: &'static [StaffGroup],
    form: ExemptionForm,
    errors: Vec<FieldError>,
    /// The people a grant would cover, shown before it is made.
    preview: Option<Vec<String>>,
    saved: Option<String>,
}

impl OrgExemptionsPage {
    fn error(&self, field: &str) -> Option<&str> {
        error(&self.errors, field)
    }

    fn title(&self, subject: &Subject) -> String {
        self.titles
            .iter()
            .find(|s| s.value == subject.as_str())
            .map(|s| s.label.clone())
            .unwrap_or_else(|| subject.to_string())
    }

    /// Its last day, any early end applied.
    fn last_day(&self, e: &lantern_domain::Exemption) -> Option<chrono::NaiveDate> {
        e.as_known(|_| true).until
    }

    fn current(&self, e: &lantern_domain::Exemption) -> bool {
        e.from <= self.today && self.last_day(e).is_none_or(|u| u >= self.today)
    }
}

#[derive(serde::Deserialize, Default)]
pub struct Saved {
    saved: Option<String>,
}

async fn org_view(
    state: &AppState,
    page: Page,
    ods: &str,
    form: ExemptionForm,
    errors: Vec<FieldError>,
    preview: Option<Vec<String>>,
    saved: Option<String>,
) -> Result<OrgExemptionsPage, AppError> {
    let org = kept_org(state, &page.caller, ods).await?;
    let scope = page.caller.scope();
    let ctx = state
        .read_model
        .context(state.store.as_ref(), &scope, org.id)
        .await?;
    let today = crate::when::today(&org);
    let rows = state
        .store
        .org_exemptions(&scope, org.id, today, LISTED)
        .await?;
    let mut units: Vec<(i64, String)> =
        ctx.units.iter().map(|u| (u.id.0, u.name.clone())).collect();
    units.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(OrgExemptionsPage {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        org_name: org.name.clone(),
        today,
        rows,
        titles: requirements(&ctx.rules).1,
        units,
        staff_groups: StaffGroup::ALL,
        form,
        errors,
        preview,
        saved,
    })
}

pub async fn org_page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(n): Query<Saved>,
) -> PageResult<OrgExemptionsPage> {
    let org = kept_org(&state, &page.caller, &ods).await?;
    let form = ExemptionForm {
        from: crate::when::today(&org).to_string(),
        ..ExemptionForm::default()
    };
    Ok(org_view(&state, page, &ods, form, Vec::new(), None, n.saved).await?)
}

/// Everyone in post today in the unit or a unit within it (of the staff group, if one is chosen), by name.
async fn group(
    state: &AppState,
    page: &Page,
    org: &Organisation,
    unit: UnitId,
    staff_group: Option<StaffGroup>,
) -> Result<Vec<(PersonId, String)>, AppError> {
    let scope = page.caller.scope();
    let ctx = state
        .read_model
        .context(state.store.as_ref(), &scope, org.id)
        .await?;
    let hierarchy = Hierarchy::new(&ctx.units);
    let within: Vec<UnitId> = ctx
        .units
        .iter()
        .map(|u| u.id)
        .filter(|u| *u == unit || hierarchy.is_within(*u, unit))
        .collect();
    let today = crate::when::today(org);
    let people = state
        .store
        .people(&scope, org.id, &PeopleFilter::Units(within.clone()))
        .await?;
    let mut out: Vec<(PersonId, String)> = people
        .iter()
        .filter(|p| {
            lantern_domain::history::posts(&p.posts, None)
                .iter()
                .any(|x| {
                    within.contains(&x.unit_id)
                        && x.start <= today
                        && x.end.is_none_or(|e| e >= today)
                        && staff_group.is_none_or(|g| x.staff_group == g)
                })
        })
        .map(|p| {
            (
                p.person.id,
                format!("{} ({})", p.person.display_name(), p.person.employee_number),
            )
        })
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

pub async fn org_submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<ExemptionForm>,
) -> PageResult<Response> {
    let org = kept_org(&state, &page.caller, &ods).await?;
    let subjects = subjects(&state, &page, &org).await?;
    let mut errors = Vec::new();
    let ctx = state
        .read_model
        .context(state.store.as_ref(), &page.caller.scope(), org.id)
        .await?;
    let unit = form
        .unit
        .parse::<i64>()
        .ok()
        .map(UnitId)
        .filter(|u| ctx.units.iter().any(|x| x.id == *u));
    if unit.is_none() {
        errors.push(FieldError {
            field: "unit",
            message: "Choose the unit whose people it exempts".into(),
        });
    }
    let staff_group = match form.staff_group.as_str() {
        "" => Some(None),
        g => StaffGroup::parse(g).map(Some),
    };
    let staff_group = staff_group.unwrap_or_else(|| {
        errors.push(FieldError {
            field: "staff_group",
            message: "Choose a staff group, or everyone".into(),
        });
        None
    });
    let people = match (unit, errors.is_empty()) {
        (Some(unit), true) => group(&state, &page, &org, unit, staff_group).await?,
        _ => Vec::new(),
    };
    let (grant, more) = form.grant(&subjects, people.iter().map(|(id, _)| *id).collect());
    errors.extend(more);
    if errors.is_empty() && people.is_empty() {
        errors.push(FieldError {
            field: "unit",
            message: "Nobody is in post there today: choose another unit or staff group".into(),
        });
    }
    if let (Some(grant), true) = (grant, errors.is_empty()) {
        let fingerprint = form.fingerprint(&people);
        if form.previewed != fingerprint {
            let names = people.into_iter().map(|(_, n)| n).collect();
            let form = ExemptionForm {
                previewed: fingerprint,
                ..form
            };
            let page = org_view(&state, page, &ods, form, Vec::new(), Some(names), None).await?;
            return Ok(page.into_response());
        }
        match state
            .store
            .grant_exemptions(
                &page.caller.scope(),
                org.id,
                page.caller.account.id,
                chrono::Utc::now(),
                &grant,
            )
            .await
        {
            Ok(n) => {
                return Ok(Redirect::to(&format!(
                    "/orgs/{}/admin/exemptions?saved={n}",
                    org.ods_code
                ))
                .into_response());
            }
            Err(e) => errors.extend(store_errors(e, FIELDS)?),
        }
    }
    let page = org_view(&state, page, &ods, form, errors, None, None).await?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}
