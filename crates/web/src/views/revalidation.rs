//! Revalidation as pages and the API show it: one person's registrations with each regulator's requirements and
//! the evidence recorded (`person_revalidation`), and a manager's team with revalidation dates and readiness
//! (`team_revalidation`). What counts is decided in `lantern_domain::revalidation`.

use crate::auth::Caller;
use crate::{AppError, AppState};
use chrono::NaiveDate;
use lantern_domain::access::Action;
use lantern_domain::revalidation::evidence::as_known_at;
use lantern_domain::revalidation::{self, Evidence, Revalidation};
use lantern_domain::rollup::Hierarchy;
use lantern_domain::{PersonId, RecordFact, Registration, Timestamp, UnitId};
use lantern_store::PeopleFilter;
use lantern_store::revalidation::EvidenceItem;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// One item of evidence as listed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    pub id: i64,
    /// The regulator it supports ("nmc", "gmc", ...).
    pub body: String,
    pub kind: String,
    pub kind_label: String,
    pub on: NaiveDate,
    pub hours: Option<f64>,
    pub participatory: bool,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    /// The attached file's name and size; download it from the revalidation page.
    pub file_name: Option<String>,
    pub file_size: Option<i64>,
    /// Why it was withdrawn, and by whom; a withdrawn item counts for nothing.
    pub withdrawn: Option<String>,
}

impl EvidenceView {
    fn from_item(i: &EvidenceItem) -> Self {
        let e = &i.evidence;
        EvidenceView {
            id: e.id.0,
            body: e.body.code().to_owned(),
            kind: e.kind.code().to_owned(),
            kind_label: e.kind.label().to_owned(),
            on: e.on,
            hours: e.hours,
            participatory: e.participatory,
            note: e.note.clone(),
            recorded_by: i.recorded_by.clone(),
            recorded_at: e.recorded_at,
            file_name: i.file.as_ref().map(|f| f.name.clone()),
            file_size: i.file.as_ref().map(|f| f.size),
            withdrawn: i
                .withdrawn
                .as_ref()
                .map(|(reason, by)| format!("{reason} ({by})")),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PersonRevalidationView {
    pub ods_code: String,
    pub org_name: String,
    pub person_id: i64,
    pub employee_number: String,
    pub name: String,
    pub today: NaiveDate,
    /// One summary per registration on the staff record.
    pub registrations: Vec<Revalidation>,
    /// Every item recorded, newest first, withdrawn ones included (and marked).
    pub evidence: Vec<EvidenceView>,
    /// Whether the caller may record evidence for this person (the registrant, or their manager).
    pub may_record: bool,
}

/// The person's evidence as the domain counts it, as known at `known_at`. NotFound outside the caller's scope.
pub(crate) async fn evidence(
    state: &AppState,
    caller: &Caller,
    org: lantern_domain::OrgId,
    person: PersonId,
    known_at: Option<Timestamp>,
) -> Result<(Vec<EvidenceItem>, Vec<Evidence>), AppError> {
    let items = state
        .store
        .person_evidence(&caller.scope(), org, person)
        .await?;
    let counted: Vec<Evidence> = items.iter().map(|i| i.evidence.clone()).collect();
    let counted = as_known_at(&counted, known_at);
    Ok((items, counted))
}

/// Summaries of each registration on `today`.
pub(crate) fn summaries(
    registrations: &[Registration],
    records: &[RecordFact],
    evidence: &[Evidence],
    today: NaiveDate,
) -> Vec<Revalidation> {
    registrations
        .iter()
        .map(|reg| revalidation::summarise(reg, records, evidence, today))
        .collect()
}

pub async fn person_revalidation(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    person: PersonId,
    today: Option<NaiveDate>,
) -> Result<PersonRevalidationView, AppError> {
    let scope = &caller.scope();
    let org = state.store.org_by_code(scope, ods).await?;
    // None: the organisation's today.
    let today = today.unwrap_or_else(|| crate::when::today(&org));
    caller.require(Action::ViewPerson(org.id, person))?;
    let p = state.store.person(scope, org.id, person).await?;
    let (items, counted) = evidence(state, caller, org.id, person, None).await?;
    Ok(PersonRevalidationView {
        ods_code: org.ods_code.to_string(),
        org_name: org.name.clone(),
        person_id: person.0,
        employee_number: p.person.employee_number.clone(),
        name: p.person.display_name(),
        today,
        registrations: summaries(&p.person.registrations, &p.records, &counted, today),
        evidence: items.iter().map(EvidenceView::from_item).collect(),
        may_record: caller.principal.may(Action::RecordEvidence(org.id, person)),
    })
}

/// One registrant of a team: their dates and readiness.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RegistrantRow {
    pub person_id: i64,
    pub employee_number: String,
    pub name: String,
    pub body: String,
    pub number: String,
    pub renewal_date: Option<NaiveDate>,
    /// NMC: the date the application is due.
    pub application_date: Option<NaiveDate>,
    /// "on_track", "not_yet" or "not_assessed".
    pub readiness: String,
    pub readiness_label: String,
    pub met: usize,
    pub checks: usize,
    /// A reminder when one is due (the application window is open, or a date has passed).
    pub reminder: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TeamRevalidationView {
    pub ods_code: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub today: NaiveDate,
    /// Registrants in post in the unit or below it, soonest date first.
    pub rows: Vec<RegistrantRow>,
}

/// A unit's registrants (with everyone below the unit) and their revalidation. Loads records and evidence only for
/// people with a registration, in units the caller sees.
pub async fn team_revalidation(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    unit: UnitId,
    today: NaiveDate,
) -> Result<TeamRevalidationView, AppError> {
    let scope = &caller.scope();
    let org = state.store.org_by_code(scope, ods).await?;
    caller.require(Action::ViewCompliance(org.id))?;
    let ctx = state
        .read_model
        .context(state.store.as_ref(), scope, org.id)
        .await?;
    let hierarchy = Hierarchy::new(&ctx.units);
    let this = ctx
        .units
        .iter()
        .find(|u| u.id == unit)
        .filter(|u| scope.sees_unit(org.id, u.id, &hierarchy))
        .ok_or(AppError::NotFound)?;
    let units: Vec<UnitId> = ctx
        .units
        .iter()
        .filter(|u| hierarchy.is_within(u.id, unit))
        .map(|u| u.id)
        .collect();
    let registrants = state
        .store
        .registrants(scope, org.id, &units, today)
        .await?;
    let mut ids: Vec<PersonId> = registrants.iter().map(|r| r.person.id).collect();
    ids.dedup();
    let records: HashMap<PersonId, Vec<RecordFact>> = if ids.is_empty() {
        HashMap::new()
    } else {
        state
            .store
            .people(scope, org.id, &PeopleFilter::People(ids.clone()))
            .await?
            .into_iter()
            .map(|b| (b.person.id, b.records))
            .collect()
    };
    let mut evidence: HashMap<PersonId, Vec<Evidence>> = HashMap::new();
    for e in state.store.evidence_of(scope, org.id, &ids).await? {
        evidence.entry(e.person_id).or_default().push(e);
    }
    let mut rows: Vec<RegistrantRow> = registrants
        .iter()
        .map(|r| {
            let s = revalidation::summarise(
                &r.registration,
                records.get(&r.person.id).map(Vec::as_slice).unwrap_or(&[]),
                evidence.get(&r.person.id).map(Vec::as_slice).unwrap_or(&[]),
                today,
            );
            RegistrantRow {
                person_id: r.person.id.0,
                employee_number: r.person.employee_number.clone(),
                name: format!("{} {}", r.person.given_name, r.person.family_name),
                body: s.body.clone(),
                number: s.number.clone(),
                renewal_date: s.renewal_date,
                application_date: s.application_date,
                readiness: serde_json::to_value(s.readiness)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                readiness_label: s.readiness.label().to_owned(),
                met: s.met(),
                checks: s.checks.len(),
                reminder: s.reminder.clone(),
            }
        })
        .collect();
    // Soonest first: the date to act on (the application date where there is one), unknown dates last.
    rows.sort_by_key(|r| {
        (
            r.application_date
                .or(r.renewal_date)
                .unwrap_or(NaiveDate::MAX),
            r.name.clone(),
        )
    });
    Ok(TeamRevalidationView {
        ods_code: org.ods_code.to_string(),
        unit_id: unit.0,
        unit_name: this.name.clone(),
        today,
        rows,
    })
}
