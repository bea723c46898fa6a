//! A cmi5 module on Lantern's side: its assignable units with how each stands, and the launch of one by the cmi5
//! launch protocol; and an organisation admin's import of a cmi5 package as a course (shared with the SCORM upload
//! page and `lantern course import-cmi5`).
//!
//! Source: the cmi5 specification, section 8 (the launch URL and its parameters, the fetch URL), 9.3.1 ("launched",
//! recorded before the AU is launched), 9.3.6 ("abandoned": a new launch finds the AU's last session open) and 10
//! (`LMS.LaunchData`, written before the launch). A launch, in order: the registration (one per attempt's cmi5
//! module, a UUID); the learner's actor, an account on Lantern's public URL with an opaque name, never an email
//! address or a name (9.2); any open session of this AU abandoned; a new session with a random fetch token, stored
//! as its hash; `LMS.LaunchData` and "launched" stored in the LRS; and only then the redirect to the AU.

use super::learner;
use super::package_import::{CourseSettings, ImportError, code_from};
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::xapi::cmi5::{
    lms_base, lms_store, new_uuid, registration_statements, session_of, settle, timestamp,
};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::access::Scope;
use lantern_domain::{AccountId, OrgId, Organisation, Timestamp};
use lantern_learning::cmi5::documents::LAUNCH_DATA_STATE_ID;
use lantern_learning::cmi5::launch::lms_activity_id;
use lantern_learning::cmi5::{
    Actor, AuInRegistration, AuUrl, Launch, LaunchMode, LaunchSetup, NodeKind, RegistrationState,
};
use lantern_learning::course::{CourseVersion, Module, ModuleKind, ModuleOrder};
use lantern_learning::scorm::package::Limits;
use lantern_store::learning::cmi5::{StoredCmi5Package, unpack_cmi5};
use lantern_store::learning::{Attempt, CourseEntry};
use lantern_store::lrs::{DocumentKey, DocumentKind, DocumentWrite, Precondition};
use lantern_store::{Store, StoreError};
use serde_json::Value;

/// How long a launch's fetch URL and session credential are good for: a working day, as a SCORM launch.
pub const SESSION_HOURS: i64 = crate::content::LAUNCH_HOURS;

#[derive(Template, WebTemplate)]
#[template(path = "learning_cmi5.html")]
pub struct Cmi5Page {
    layout: Layout,
    ods: String,
    attempt: Attempt,
    module: Module,
    /// (index, title, description, status, whether it is done: completed, passed or waived)
    aus: Vec<(usize, String, String, &'static str, bool)>,
    done: bool,
    /// The module has a registration, so its units can be launched (for review, once the attempt is over).
    registered: bool,
}

/// How an AU stands in the registration, in words.
fn status(r: lantern_learning::cmi5::AuResult, satisfied: bool) -> &'static str {
    if r.waived {
        "Waived"
    } else if r.passed {
        "Passed"
    } else if satisfied && r.completed {
        "Completed"
    } else if r.failed {
        "Not passed"
    } else if r.completed {
        "Completed"
    } else {
        "Not started"
    }
}

pub(super) async fn page(
    state: &AppState,
    layout: Layout,
    scope: &Scope,
    org: Organisation,
    attempt: Attempt,
    module: Module,
) -> PageResult<Response> {
    let i = attempt
        .course
        .modules
        .iter()
        .position(|m| m.key == module.key)
        .ok_or(AppError::NotFound)?;
    let done = attempt.states[i] == lantern_learning::course::ModuleState::Completed;
    let reg = state
        .store
        .cmi5_registration(
            scope,
            org.id,
            attempt.id,
            &module.key,
            &new_uuid(),
            chrono::Utc::now(),
        )
        .await;
    let registered = reg.is_ok();
    let (structure, read) = match reg {
        Ok(reg) => {
            let statements = registration_statements(state, org.id, &reg.registration)
                .await
                .map_err(AppError::Internal)?;
            let base = lms_base(&state.auth.public_url, &reg.package.digest);
            let read = RegistrationState::read(&reg.package.structure, &base, statements.iter());
            (reg.package.structure, read)
        }
        // A completed attempt that never had a registration (none is made now): its AUs from the package.
        Err(StoreError::Rejected(_)) if done || attempt.completed_at.is_some() => {
            let ModuleKind::Cmi5 { package } = &module.kind else {
                return Err(AppError::NotFound.into());
            };
            let p = state
                .store
                .cmi5_package(attempt.course_org, package)
                .await?;
            (p.structure, RegistrationState::default())
        }
        Err(e) => return Err(AppError::from(e).into()),
    };
    // The launch answers the form with a redirect to the AU, which a browser holds to this page's form-action: the
    // content origin and the origins of AUs hosted elsewhere, and nothing else.
    let mut targets: Vec<String> = state.content.iter().map(|c| c.url.clone()).collect();
    for au in structure.aus() {
        if let AuUrl::External(u) = &au.url
            && let Ok(parsed) = url::Url::parse(u)
            && let url::Origin::Tuple(..) = parsed.origin()
        {
            targets.push(parsed.origin().ascii_serialization());
        }
    }
    targets.sort();
    targets.dedup();
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self' {}; object-src 'none'",
        targets.join(" ")
    );
    let satisfaction = structure.satisfaction(&read.results);
    let aus = structure
        .aus()
        .into_iter()
        .enumerate()
        .map(|(i, au)| {
            let r = read.results.get(&au.id).copied().unwrap_or_default();
            let sat = satisfaction.aus.get(&au.id) == Some(&true);
            let finished = sat || r.completed || r.passed || r.waived;
            (
                i,
                au.title.clone(),
                au.description.clone(),
                status(r, sat),
                finished,
            )
        })
        .collect();
    let mut res = Cmi5Page {
        layout,
        ods: org.ods_code.to_string(),
        attempt,
        module,
        aus,
        done,
        registered,
    }
    .into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
        res.headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(res)
}

#[derive(serde::Deserialize)]
pub struct LaunchForm {
    /// The AU's position in the course structure.
    au: Option<usize>,
    /// `Normal` (the default), `Browse` or `Review` (cmi5 10.2.2).
    mode: Option<String>,
}

/// The launch mode a form asks for, if Lantern offers it for this attempt (cmi5 10.2.2 leaves the choice to the
/// LMS): Normal, to earn credit, and Browse, to look through a unit first without credit, while the attempt is under
/// way; Review, to go back over a unit without changing its result, at any time, the completed attempt's too.
fn launch_mode(asked: Option<&str>, attempt: &Attempt) -> Result<LaunchMode, AppError> {
    let mode = match asked.unwrap_or("Normal") {
        "Normal" => LaunchMode::Normal,
        "Browse" => LaunchMode::Browse,
        "Review" => LaunchMode::Review,
        other => {
            return Err(AppError::BadRequest(format!(
                "the launch mode must be Normal, Browse or Review, not {other:?}"
            )));
        }
    };
    if mode != LaunchMode::Review && !attempt.under_way() {
        return Err(AppError::BadRequest(
            "This attempt is over, so its units open only for review; start the course again to take it again."
                .into(),
        ));
    }
    Ok(mode)
}

/// Launches one AU of the module (cmi5 8): see the module's documentation for the order of the steps.
pub async fn launch(
    State(state): State<AppState>,
    page: Page,
    Path((ods, attempt, key)): Path<(String, i64, String)>,
    Form(form): Form<LaunchForm>,
) -> PageResult<Response> {
    let (org, person, scope) = learner(&state, &page.caller, &ods).await?;
    let now = chrono::Utc::now();
    let reg = state
        .store
        .cmi5_registration(&scope, org.id, attempt, &key, &new_uuid(), now)
        .await?;
    let launch_mode = launch_mode(
        form.mode.as_deref(),
        &state.store.attempt(&scope, org.id, attempt).await?,
    )?;
    let structure = &reg.package.structure;
    let au = form
        .au
        .and_then(|i| structure.aus().get(i).copied())
        .ok_or_else(|| AppError::BadRequest("the form names no unit (au) of this course".into()))?;
    let public = state.auth.public_url.trim_end_matches('/').to_owned();
    let actor = Actor {
        home_page: public.clone(),
        name: state
            .store
            .cmi5_actor(person, &new_actor_name(), now)
            .await?,
    };
    let base = lms_base(&public, &reg.package.digest);
    let activity_id = lms_activity_id(&base, NodeKind::Au, &au.id);

    // 9.3.6: a session of this AU still open is abandoned before the new one starts.
    let statements = registration_statements(&state, org.id, &reg.registration)
        .await
        .map_err(AppError::Internal)?;
    let mut abandoned = Vec::new();
    for s in state.store.cmi5_sessions(reg.id, &au.id).await? {
        if s.closed.is_some() {
            continue;
        }
        // 9.5.4.2: the time from "launched" to the AU's last statement in the session.
        let last = statements
            .iter()
            .filter(|st| session_of(st) == Some(s.session_id.as_str()))
            .filter_map(|st| st.get("timestamp").and_then(Value::as_str))
            .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
            .max()
            .unwrap_or(s.created_at);
        let took = (last - s.created_at).to_std().unwrap_or_default();
        if state
            .store
            .close_cmi5_session(s.id, "abandoned", now)
            .await?
        {
            abandoned.push(s.launch.abandoned(
                &crate::xapi::statements::new_id().to_string(),
                &timestamp(now),
                took,
            ));
        }
    }
    lms_store(&state, org.id, abandoned)
        .await
        .map_err(AppError::Internal)?;

    let content_url = match &au.url {
        AuUrl::External(url) => url.clone(),
        AuUrl::Package(_) => {
            let Some(content) = state.content.as_ref() else {
                return Err(AppError::BadRequest(
                    "cmi5 courses cannot be played on this server: it has no content origin (content_url) set up."
                        .into(),
                )
                .into());
            };
            au.url
                .resolve(&format!("{}/cmi5/{}", content.url, reg.package.digest))
        }
    };
    let fetch_token = crate::auth::new_token();
    let launch = Launch::new(
        au,
        LaunchSetup {
            au: AuInRegistration {
                actor: actor.clone(),
                registration: reg.registration.clone(),
                publisher_id: au.id.clone(),
                activity_id: activity_id.clone(),
            },
            content_url,
            endpoint: format!("{public}/xapi/"),
            fetch: format!("{public}/cmi5/fetch/{fetch_token}"),
            session_id: new_uuid(),
            launch_mode,
            return_url: Some(format!(
                "{public}/orgs/{}/learning/attempts/{attempt}/modules/{key}",
                org.ods_code
            )),
        },
    )
    .map_err(|e| AppError::BadRequest(e.to_string()))?;
    state
        .store
        .start_cmi5_session(
            &reg,
            &au.id,
            &crate::auth::token_hash(&fetch_token),
            &launch,
            now,
            now + chrono::TimeDelta::hours(SESSION_HOURS),
        )
        .await?;
    // 10: LMS.LaunchData for this AU, actor and registration, then 9.3.1: "launched"; both before the AU opens.
    let agent =
        lantern_xapi::parse_agent_param(&actor.to_json_string(), lantern_xapi::Version::V1_0_3)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("the cmi5 actor: {e}")))?
            .0
            .0;
    let data = serde_json::to_vec(&launch.launch_data())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("LMS.LaunchData: {e}")))?;
    state
        .store
        .write_document(
            org.id,
            &DocumentKey {
                kind: DocumentKind::State,
                activity: activity_id,
                agent,
                registration: reg.registration.clone(),
                id: LAUNCH_DATA_STATE_ID.into(),
            },
            "application/json",
            &data,
            DocumentWrite::Replace,
            &Precondition::default(),
        )
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing LMS.LaunchData: {e}")))?;
    // 9.6.1: what NotApplicable AUs satisfy is satisfied at once, before "launched" (as ADL's cmi5 test package
    // 004-5 expects: the block's and the course's "satisfied" are the registration's first statements).
    settle(&state, &reg, &launch.session_id, &actor)
        .await
        .map_err(AppError::Internal)?;
    lms_store(
        &state,
        org.id,
        vec![launch.launched(
            &crate::xapi::statements::new_id().to_string(),
            &timestamp(now),
        )],
    )
    .await
    .map_err(AppError::Internal)?;
    Ok(Redirect::to(&launch.url()).into_response())
}

/// A test-out passed for a course with cmi5 modules: each of their AUs not yet satisfied is recorded as waived
/// ("Tested Out", cmi5 9.3.7, 9.5.5.2), each under a new session id, and the blocks and course they satisfy get their
/// "satisfied" statements, so the cmi5 registration agrees with the completed course.
pub(crate) async fn waive_tested_out(
    state: &AppState,
    scope: &Scope,
    org: &Organisation,
    person: lantern_domain::PersonId,
    attempt: &Attempt,
) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let public = state.auth.public_url.trim_end_matches('/').to_owned();
    for m in &attempt.course.modules {
        if !matches!(m.kind, ModuleKind::Cmi5 { .. }) {
            continue;
        }
        let reg = state
            .store
            .cmi5_waiver_registration(scope, org.id, attempt.id, &m.key, &new_uuid(), now)
            .await?;
        let actor = Actor {
            home_page: public.clone(),
            name: state
                .store
                .cmi5_actor(person, &new_actor_name(), now)
                .await?,
        };
        let base = lms_base(&public, &reg.package.digest);
        let statements = registration_statements(state, org.id, &reg.registration).await?;
        let read = RegistrationState::read(&reg.package.structure, &base, statements.iter());
        let satisfaction = reg.package.structure.satisfaction(&read.results);
        let mut waived = Vec::new();
        let mut session = new_uuid();
        for au in reg.package.structure.aus() {
            if satisfaction.aus.get(&au.id) == Some(&true) {
                continue;
            }
            session = new_uuid();
            waived.push(lantern_learning::cmi5::launch::waived(
                &AuInRegistration {
                    actor: actor.clone(),
                    registration: reg.registration.clone(),
                    publisher_id: au.id.clone(),
                    activity_id: lms_activity_id(&base, NodeKind::Au, &au.id),
                },
                &lantern_learning::cmi5::WaiveReason::TestedOut,
                &crate::xapi::statements::new_id().to_string(),
                &timestamp(now),
                &session,
            ));
        }
        lms_store(state, org.id, waived).await?;
        settle(state, &reg, &session, &actor).await?;
    }
    Ok(())
}

/// A new opaque actor name: random, with nothing of the person in it (cmi5 9.2).
pub(crate) fn new_actor_name() -> String {
    format!("lantern-{}", new_uuid().replace('-', ""))
}

/// Checks, unpacks and stores a cmi5 package (a zip with `cmi5.xml`, or a bare `cmi5.xml` whose AUs are on other
/// sites), then publishes the course whose one module is it.
pub async fn import_cmi5(
    store: &dyn Store,
    org: OrgId,
    by: Option<AccountId>,
    now: Timestamp,
    path: &std::path::Path,
    settings: CourseSettings,
) -> Result<(StoredCmi5Package, CourseEntry), ImportError> {
    let dir = tempfile::tempdir().map_err(anyhow::Error::from)?;
    let (from, into) = (path.to_owned(), dir.path().to_owned());
    let unpacked =
        tokio::task::spawn_blocking(move || unpack_cmi5(&from, Limits::default(), &into))
            .await
            .map_err(anyhow::Error::from)??;
    let title = if settings.title.trim().is_empty() {
        unpacked.structure.title.clone()
    } else {
        settings.title.trim().to_owned()
    };
    let code = if settings.code.trim().is_empty() {
        code_from(&title)
    } else {
        settings.code.trim().to_owned()
    };
    let aus = unpacked.structure.aus().len();
    let course = CourseVersion {
        code,
        version: 0,
        title: title.clone(),
        summary: if unpacked.structure.description.trim().is_empty() {
            format!(
                "An e-learning course (cmi5, {aus} unit{}).",
                if aus == 1 { "" } else { "s" }
            )
        } else {
            unpacked.structure.description.trim().to_owned()
        },
        satisfies: settings.satisfies,
        order: ModuleOrder::InOrder,
        modules: vec![Module {
            key: "cmi5".into(),
            title,
            kind: ModuleKind::Cmi5 {
                package: unpacked.digest.clone(),
            },
            required: true,
            estimated_minutes: if settings.estimated_minutes == 0 {
                20
            } else {
                settings.estimated_minutes
            },
        }],
        prerequisites: Vec::new(),
    };
    super::package_import::publish_with(store, org, by, now, course, async move {
        store
            .import_cmi5_package(org, by, now, &unpacked)
            .await
            .map_err(|e| anyhow::anyhow!("storing the cmi5 package: {e}").into())
    })
    .await
}
