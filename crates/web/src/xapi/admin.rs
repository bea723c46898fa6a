//! The organisation admin's LRS pages, under `/orgs/{ods}/admin/lrs`:
//! - the endpoint, how many statements the LRS holds;
//! - client credentials: add one (its secret is shown once, on the page that answers the form, never in a URL; the
//!   xAPI version its client speaks is chosen then), revoke one;
//! - mappings from statements to training records: add one (an activity IRI or a prefix ending in `*`, the
//!   requirement, the verbs that count, whether success is needed, a minimum score, hours), retire one;
//! - the latest training records fed by statements, withdrawn ones marked;
//! - erasure (`/erase`): a person's identifiers replaced by pseudonyms across the organisation's statements.

use super::auth::new_credential;
use crate::auth::sign_in::FieldError;
use crate::pages::admin::{Notice, admin_org, saved};
use crate::pages::layout::{Layout, Page};
use crate::pages::{PageError, PageResult};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantern_domain::{RequirementKey, Rule};
use lantern_store::lrs::{ErasureRecord, FedRecord, LrsCredential, NewLrsCredential, XapiMapping};
use lantern_store::{OrgContext, Scope};

pub const VERB_CHOICES: [(&str, &str); 4] = [
    ("http://adlnet.gov/expapi/verbs/passed", "passed"),
    ("http://adlnet.gov/expapi/verbs/completed", "completed"),
    (
        "https://w3id.org/xapi/adl/verbs/satisfied",
        "satisfied (cmi5)",
    ),
    ("http://adlnet.gov/expapi/verbs/mastered", "mastered"),
];

/// A fed record with the names a page shows.
pub struct FedLine {
    pub record: FedRecord,
    pub person_name: String,
    pub requirement: String,
}

pub struct MappingLine {
    pub mapping: XapiMapping,
    pub requirement: String,
    pub verbs: String,
}

/// A requirement an admin can map to: (value `subject:level`, label).
pub struct RequirementChoice {
    pub value: String,
    pub label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_lrs.html")]
pub struct LrsPage {
    layout: Layout,
    ods: String,
    org_name: String,
    endpoint: String,
    statements: i64,
    credentials: Vec<LrsCredential>,
    /// A credential just made: (name, key, secret), shown this once.
    created: Option<(String, String, String)>,
    mappings: Vec<MappingLine>,
    requirements: Vec<RequirementChoice>,
    fed: Vec<FedLine>,
    credential_form: CredentialForm,
    mapping_form: MappingForm,
    errors: Vec<FieldError>,
    saved: Option<String>,
}

impl LrsPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn verb_checked(&self, verb: &str) -> bool {
        self.mapping_form.verbs.iter().any(|v| v == verb)
    }

    fn verb_choices(&self) -> &'static [(&'static str, &'static str)] {
        &VERB_CHOICES
    }
}

#[derive(serde::Deserialize, Default)]
pub struct CredentialForm {
    #[serde(default)]
    name: String,
    /// "write" or "read".
    #[serde(default)]
    access: String,
    /// The xAPI version the client speaks: "1.0.3" or "2.0.0".
    #[serde(default)]
    version: String,
}

#[derive(Default)]
pub struct MappingForm {
    activity: String,
    requirement: String,
    verbs: Vec<String>,
    require_success: bool,
    min_score: String,
    hours: String,
}

fn requirement_label(rules: &[Rule], subject: &str, level: u8) -> String {
    rules
        .iter()
        .find(|r| r.subject == subject && r.level == level)
        .map(|r| format!("{} level {level}", r.title))
        .unwrap_or_else(|| format!("{subject} level {level}"))
}

/// The requirements in force, once each, by title: what a mapping can feed.
fn requirement_choices(ctx: &OrgContext) -> Vec<RequirementChoice> {
    let today = crate::when::today(&ctx.org);
    let mut out: Vec<RequirementChoice> = Vec::new();
    let mut rules: Vec<&Rule> = ctx
        .rules
        .iter()
        .filter(|r| r.in_force_on(today) && !r.retired)
        .collect();
    rules.sort_by(|a, b| (&a.title, a.level).cmp(&(&b.title, b.level)));
    for r in rules {
        let value = r.requirement().to_string();
        if !out.iter().any(|c| c.value == value) {
            out.push(RequirementChoice {
                value,
                label: format!("{} level {}", r.title, r.level),
            });
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
async fn page_for(
    state: &AppState,
    page: Page,
    ctx: &OrgContext,
    created: Option<(String, String, String)>,
    credential_form: CredentialForm,
    mapping_form: MappingForm,
    errors: Vec<FieldError>,
    saved: Option<String>,
) -> Result<LrsPage, PageError> {
    let org = ctx.org.id;
    let mappings = state
        .store
        .xapi_mappings(org)
        .await?
        .into_iter()
        .map(|m| MappingLine {
            requirement: requirement_label(&ctx.rules, &m.subject, m.level),
            verbs: m
                .verbs
                .iter()
                .map(|v| {
                    VERB_CHOICES
                        .iter()
                        .find(|(iri, _)| iri == v)
                        .map_or(v.as_str(), |(_, label)| label)
                        .to_owned()
                })
                .collect::<Vec<_>>()
                .join(", "),
            mapping: m,
        })
        .collect();
    let fed_records = state.store.fed_records(org, 20).await?;
    let ids: Vec<lantern_domain::PersonId> = fed_records.iter().map(|f| f.person).collect();
    let names: std::collections::HashMap<_, _> = state
        .store
        .people_posts(&Scope::Platform, org, &ids)
        .await?
        .into_iter()
        .map(|(n, _)| (n.id, format!("{} {}", n.given_name, n.family_name)))
        .collect();
    let fed = fed_records
        .into_iter()
        .map(|record| FedLine {
            person_name: names.get(&record.person).cloned().unwrap_or_default(),
            requirement: requirement_label(&ctx.rules, &record.subject, record.level),
            record,
        })
        .collect();
    Ok(LrsPage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        endpoint: format!("{}/xapi/", state.auth.public_url.trim_end_matches('/')),
        statements: state.store.statement_count(org).await?,
        credentials: state.store.lrs_credentials(org).await?,
        created,
        mappings,
        requirements: requirement_choices(ctx),
        fed,
        credential_form,
        mapping_form,
        errors,
        saved,
    })
}

fn done(ctx: &OrgContext, message: &str) -> Response {
    saved(ctx, "lrs", message)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(n): Query<Notice>,
) -> PageResult<LrsPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    page_for(
        &state,
        page,
        &ctx,
        None,
        CredentialForm::default(),
        MappingForm {
            require_success: true,
            ..MappingForm::default()
        },
        Vec::new(),
        n.saved,
    )
    .await
}

/// Makes a credential and shows its secret on the page that answers, once.
pub async fn create_credential(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<CredentialForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let name = form.name.trim().to_owned();
    let write = match form.access.as_str() {
        "write" => Some(true),
        "read" => Some(false),
        _ => None,
    };
    let mut errors = Vec::new();
    if name.is_empty() {
        errors.push(FieldError {
            field: "credential-name",
            message: "Enter what this credential is for, like Fire safety e-learning (Storyline)"
                .into(),
        });
    }
    if write.is_none() {
        errors.push(FieldError {
            field: "access-write",
            message: "Choose whether the client may store statements or only read them".into(),
        });
    }
    let version = lantern_xapi::Version::named(&form.version);
    if version.is_none() {
        errors.push(FieldError {
            field: "version-1-0-3",
            message: "Choose the xAPI version the client speaks, 1.0.3 or 2.0.0".into(),
        });
    }
    if !errors.is_empty() {
        let p = page_for(
            &state,
            page,
            &ctx,
            None,
            form,
            MappingForm::default(),
            errors,
            None,
        )
        .await?;
        return Ok((StatusCode::BAD_REQUEST, p).into_response());
    }
    let (key, secret, hash) = new_credential();
    state
        .store
        .create_lrs_credential(
            &NewLrsCredential {
                org: ctx.org.id,
                name: &name,
                api_key: &key,
                secret_hash: &hash,
                can_write: write.unwrap_or(false),
                default_version: version.unwrap_or(lantern_xapi::Version::V1_0_3),
            },
            chrono::Utc::now(),
        )
        .await?;
    tracing::info!(org = %ctx.org.ods_code, %key, "LRS credential created");
    let p = page_for(
        &state,
        page,
        &ctx,
        Some((name, key, secret)),
        CredentialForm::default(),
        MappingForm {
            require_success: true,
            ..MappingForm::default()
        },
        Vec::new(),
        None,
    )
    .await?;
    // The secret is in this page: keep it out of caches.
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], p).into_response())
}

pub async fn revoke_credential(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, i64)>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    if !state
        .store
        .revoke_lrs_credential(ctx.org.id, id, chrono::Utc::now())
        .await?
    {
        return Err(AppError::NotFound.into());
    }
    tracing::info!(org = %ctx.org.ods_code, credential = id, "LRS credential revoked");
    Ok(done(
        &ctx,
        "The credential was revoked; clients using it are refused from now on",
    ))
}

/// The mapping form, with repeated `verb` fields.
fn parse_mapping_form(body: &[u8]) -> MappingForm {
    let mut f = MappingForm::default();
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "activity" => f.activity = v.into_owned(),
            "requirement" => f.requirement = v.into_owned(),
            "verb" => f.verbs.push(v.into_owned()),
            "require_success" => f.require_success = true,
            "min_score" => f.min_score = v.into_owned(),
            "hours" => f.hours = v.into_owned(),
            _ => {}
        }
    }
    f
}

pub async fn create_mapping(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let form = parse_mapping_form(&body);
    let mut errors = Vec::new();
    let activity = form.activity.trim().to_owned();
    let pattern = activity.strip_suffix('*').unwrap_or(&activity);
    if activity.is_empty() {
        errors.push(FieldError {
            field: "activity",
            message: "Enter the activity IRI the content reports, or the start of it followed by *"
                .into(),
        });
    } else if oxiri::Iri::parse(pattern).is_err() && !pattern.contains("://") {
        errors.push(FieldError {
            field: "activity",
            message: format!(
                "{activity:?} is not an IRI, like https://elearning.example.nhs.uk/fire-safety/*"
            ),
        });
    }
    let requirement = form
        .requirement
        .parse::<RequirementKey>()
        .ok()
        .filter(|k| ctx.rules.iter().any(|r| k.is(&r.subject, r.level)))
        .map(|k| (k.subject, k.level));
    if requirement.is_none() {
        errors.push(FieldError {
            field: "requirement",
            message: "Choose the requirement that completing this activity meets".into(),
        });
    }
    let verbs: Vec<String> = form
        .verbs
        .iter()
        .filter(|v| VERB_CHOICES.iter().any(|(iri, _)| iri == v))
        .cloned()
        .collect();
    if verbs.is_empty() {
        errors.push(FieldError {
            field: "verb-0",
            message: "Choose at least one verb that counts".into(),
        });
    }
    let min_score = match form.min_score.trim() {
        "" => None,
        s => match s.trim_end_matches('%').parse::<f64>() {
            Ok(p) if (0.0..=100.0).contains(&p) => Some(p / 100.0),
            _ => {
                errors.push(FieldError {
                    field: "min_score",
                    message: "Enter a pass mark between 0 and 100 per cent, or leave it blank"
                        .into(),
                });
                None
            }
        },
    };
    let hours = match form.hours.trim() {
        "" => None,
        s => match s.parse::<f64>() {
            Ok(h) if h > 0.0 && h <= lantern_domain::MAX_RECORD_HOURS => Some(h),
            _ => {
                errors.push(FieldError {
                    field: "hours",
                    message:
                        "Enter the hours of learning it counts for, like 1.5, or leave it blank"
                            .into(),
                });
                None
            }
        },
    };
    if !errors.is_empty() {
        let p = page_for(
            &state,
            page,
            &ctx,
            None,
            CredentialForm::default(),
            form,
            errors,
            None,
        )
        .await?;
        return Ok((StatusCode::BAD_REQUEST, p).into_response());
    }
    let (subject, level) = requirement.expect("checked");
    let m = XapiMapping {
        id: 0,
        org: ctx.org.id,
        activity,
        subject,
        level,
        verbs,
        require_success: form.require_success,
        min_scaled_score: min_score,
        hours,
        created_at: chrono::Utc::now(),
        retired_at: None,
    };
    state
        .store
        .create_xapi_mapping(&m, Some(page.caller.account.id))
        .await?;
    tracing::info!(org = %ctx.org.ods_code, activity = %m.activity, subject = %m.subject, "xAPI mapping created");
    Ok(done(
        &ctx,
        "The mapping was added: statements that meet it from now on become training records",
    ))
}

pub async fn retire_mapping(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, i64)>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    if !state
        .store
        .retire_xapi_mapping(ctx.org.id, id, chrono::Utc::now())
        .await?
    {
        return Err(AppError::NotFound.into());
    }
    Ok(done(
        &ctx,
        "The mapping was retired; the records it made stay",
    ))
}

// ---------- Erasure ----------

#[derive(Template, WebTemplate)]
#[template(path = "admin_lrs_erase.html")]
pub struct ErasePage {
    layout: Layout,
    ods: String,
    org_name: String,
    form: EraseForm,
    errors: Vec<FieldError>,
    erasures: Vec<ErasureRecord>,
    done: Option<String>,
}

impl ErasePage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(serde::Deserialize, Default)]
pub struct EraseForm {
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    reason: String,
    confirm: Option<String>,
}

pub async fn erase_page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
) -> PageResult<ErasePage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    Ok(ErasePage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        form: EraseForm::default(),
        errors: Vec::new(),
        erasures: state.store.xapi_erasures(ctx.org.id).await?,
        done: None,
    })
}

/// The agent keys a person may appear under: their email as `mbox` and as `mbox_sha1sum`, and their Lantern
/// account (employee number), as the LRS indexes them.
fn keys_for(email: Option<&str>, employee_number: Option<&str>, home_page: &str) -> Vec<String> {
    use sha1::{Digest, Sha1};
    let mut keys = Vec::new();
    if let Some(e) = email {
        // As the LRS keys an mbox (domain lower-cased), and the two spellings clients hash for mbox_sha1sum.
        let (local, domain) = e.trim().rsplit_once('@').unwrap_or((e, ""));
        let normal = format!("mailto:{local}@{}", domain.to_lowercase());
        let lower = normal.to_lowercase();
        keys.push(format!("mbox:{normal}"));
        if lower != normal {
            keys.push(format!("mbox:{lower}"));
        }
        for m in [&normal, &lower] {
            let k = format!("mbox_sha1sum:{}", hex::encode(Sha1::digest(m.as_bytes())));
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    if let Some(n) = employee_number {
        keys.push(format!("account:{}|{n}", home_page.trim_end_matches('/')));
    }
    keys
}

pub async fn erase_submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<EraseForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let mut errors = Vec::new();
    let identifier = form.identifier.trim().to_owned();
    if identifier.is_empty() {
        errors.push(FieldError {
            field: "identifier",
            message: "Enter the person's email address or employee number".into(),
        });
    }
    if form.reason.trim().is_empty() {
        errors.push(FieldError {
            field: "reason",
            message: "Enter why, like the reference of the erasure request".into(),
        });
    }
    if form.confirm.is_none() {
        errors.push(FieldError {
            field: "confirm",
            message: "Confirm that the identifiers should be erased: it cannot be undone".into(),
        });
    }
    if !errors.is_empty() {
        let p = ErasePage {
            layout: page.layout,
            ods: ctx.org.ods_code.to_string(),
            org_name: ctx.org.name.clone(),
            erasures: state.store.xapi_erasures(ctx.org.id).await?,
            form,
            errors,
            done: None,
        };
        return Ok((StatusCode::BAD_REQUEST, p).into_response());
    }
    // A person of this organisation brings both identifiers; otherwise the one given is erased as it is.
    let scope = Scope::Platform;
    let found = if identifier.contains('@') {
        state
            .store
            .person_by_email(&scope, ctx.org.id, &identifier)
            .await
    } else {
        state
            .store
            .person_by_employee_number(&scope, ctx.org.id, &identifier)
            .await
    };
    let person = match found {
        Ok(id) => Some(state.store.person(&scope, ctx.org.id, id).await?),
        Err(lantern_store::StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let (email, number) = match &person {
        Some(p) => (
            p.person.email.clone(),
            Some(p.person.employee_number.clone()),
        ),
        None if identifier.contains('@') => (Some(identifier.clone()), None),
        None => (None, Some(identifier.clone())),
    };
    let keys = keys_for(email.as_deref(), number.as_deref(), &state.auth.public_url);
    let out = state
        .store
        .erase_agents(
            ctx.org.id,
            &keys,
            Some(page.caller.account.id),
            form.reason.trim(),
            chrono::Utc::now(),
        )
        .await?;
    tracing::info!(
        org = %ctx.org.ods_code,
        statements = out.statements,
        documents = out.documents,
        "xAPI identifiers erased"
    );
    Ok(ErasePage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        erasures: state.store.xapi_erasures(ctx.org.id).await?,
        form: EraseForm::default(),
        errors: Vec::new(),
        done: Some(format!(
            "Erased: {} statements and {} documents now carry a pseudonym instead of the person's identifiers.",
            out.statements, out.documents
        )),
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_person_is_erased_under_every_key_the_lrs_may_hold() {
        let keys = super::keys_for(
            Some("A.Nurse@NHS.net"),
            Some("E1001"),
            "https://lantern.test/",
        );
        assert_eq!(keys[0], "mbox:mailto:A.Nurse@nhs.net");
        assert_eq!(keys[1], "mbox:mailto:a.nurse@nhs.net");
        // The SHA-1 of the mailto IRI as sent and lower-cased, as mbox_sha1sum carries it.
        assert!(
            keys[2].starts_with("mbox_sha1sum:")
                && keys[3].starts_with("mbox_sha1sum:")
                && keys[2] != keys[3]
        );
        assert_eq!(keys.last().unwrap(), "account:https://lantern.test|E1001");
        let plain = super::keys_for(Some("nurse@nhs.net"), None, "https://lantern.test");
        assert_eq!(plain.len(), 2, "{plain:?}");
    }
}
