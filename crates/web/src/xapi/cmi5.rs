//! cmi5 on the LRS: the LMS's own statements, the fetch URL, and what an AU's session credential may do.
//!
//! Source: the cmi5 specification, sections 8.2 (the fetch URL: one-time, an `auth-token` for the LRS, error codes),
//! 9.3 (the statements and their order, which `lantern_learning::cmi5::session` checks), 9.3.9 (the LMS issues
//! "satisfied" for blocks and the course), 10 (`LMS.LaunchData`, which the AU may read but not change) and 11
//! (`cmi5LearnerPreferences`).
//!
//! - The fetch URL (`POST /cmi5/fetch/{token}`, on Lantern's own origin) gives out an LRS credential once: a key
//!   beginning [`KEY_PREFIX`] and a random secret, stored as its hash and bound to that one session. A second call,
//!   or one after the session ended or expired, gets error code 1; an unknown token error code 2.
//! - A session credential may PUT and POST statements only for its session: the batch passes the LRS's own
//!   validation, then `Session::accept_all` replays the session from the LRS and checks the batch in order, all or
//!   nothing (403 naming `statements[i]` and the section). It may read and write the State and profiles only as
//!   `check_document_request` allows, and may not query statements, activities or agents (other learners').
//! - The LMS's statements (launched, abandoned, satisfied, waived) are stored under the organisation's cmi5 LMS
//!   credential, which no one can sign in with. When a batch completes, passes or ends an AU, the registration is
//!   read back (`RegistrationState`): "satisfied" is issued for what is newly satisfied, and a satisfied course
//!   records the attempt's module as completed, so the course's training records and compliance follow.

use super::auth::LrsClient;
use super::{XapiHttpError, XapiResult};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use lantern_domain::access::{Grant, Reach, Scope};
use lantern_domain::{OrgId, Timestamp};
use lantern_learning::cmi5::documents::{
    DocumentRequest, LEARNER_PREFERENCES_PROFILE_ID, LearnerPreferences,
};
use lantern_learning::cmi5::launch::{Actor, FetchError, fetch_token_body, lms_activity_id};
use lantern_learning::cmi5::{RegistrationState, Session, Verb, vocab};
use lantern_learning::course::ModuleState;
use lantern_store::learning::At;
use lantern_store::learning::cmi5::{Cmi5Registration, Cmi5Session, FetchOutcome};
use lantern_store::lrs::{DocumentKind, LrsCredential, NewLrsCredential, StatementQuery};
use lantern_xapi::{PrepareContext, Prepared, Version};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use subtle::ConstantTimeEq;

/// The key of every session credential starts with this.
pub const KEY_PREFIX: &str = "c5_";

/// The name of each organisation's cmi5 LMS credential (the authority of the LMS's statements and the AUs').
pub const LMS_CREDENTIAL_NAME: &str = "cmi5 launches (Lantern)";

/// The base of the LMS's activity ids for a package (cmi5 8.1.5: the same for every registration, never the
/// publisher's ids).
pub fn lms_base(public_url: &str, digest: &str) -> String {
    format!(
        "{}/cmi5/packages/{digest}",
        public_url.trim_end_matches('/')
    )
}

/// An xAPI timestamp for now.
pub fn timestamp(now: Timestamp) -> String {
    lantern_xapi::format_timestamp(now)
}

/// A new random UUID (version 4), for registrations and session ids.
pub fn new_uuid() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the operating system's random source works");
    uuid::Builder::from_random_bytes(b).into_uuid().to_string()
}

/// The organisation's cmi5 LMS credential, made the first time it is needed. Its secret hash is "-", which no
/// secret's SHA-256 is, so nobody can authenticate with it.
pub async fn lms_credential(state: &AppState, org: OrgId) -> anyhow::Result<LrsCredential> {
    let key = format!("lantern-cmi5-{}", org.0);
    if let Some((c, _)) = state.store.lrs_credential(&key).await? {
        return Ok(c);
    }
    let made = state
        .store
        .create_lrs_credential(
            &NewLrsCredential {
                org,
                name: LMS_CREDENTIAL_NAME,
                api_key: &key,
                secret_hash: "-",
                can_write: true,
                default_version: Version::V1_0_3,
            },
            chrono::Utc::now(),
        )
        .await;
    match made {
        Ok(c) => Ok(c),
        // Made at the same moment by another request.
        Err(e) => match state.store.lrs_credential(&key).await? {
            Some((c, _)) => Ok(c),
            None => Err(e.into()),
        },
    }
}

/// Stores statements the LMS issues, all or nothing, under the organisation's cmi5 LMS credential.
pub async fn lms_store(state: &AppState, org: OrgId, statements: Vec<Value>) -> anyhow::Result<()> {
    if statements.is_empty() {
        return Ok(());
    }
    let credential = lms_credential(state, org).await?;
    let client = LrsClient {
        credential,
        cmi5: None,
    };
    let mut ctx = PrepareContext {
        new_id: uuid::Uuid::nil(),
        stored: chrono::Utc::now(),
        authority: lantern_xapi::Authority::new(client.authority(&state.auth.public_url))?,
    };
    let mut prepared = Vec::with_capacity(statements.len());
    for st in statements {
        ctx.new_id = super::statements::new_id();
        prepared.push(lantern_xapi::prepare(st, Version::V1_0_3, &ctx)?);
    }
    state
        .store
        .store_statements(
            org,
            client.credential.id,
            prepared,
            &[],
            &state.auth.public_url,
        )
        .await
        .map_err(|e| anyhow::anyhow!("storing the LMS's cmi5 statements: {e}"))?;
    Ok(())
}

/// A registration's statements in the LRS, oldest first.
pub async fn registration_statements(
    state: &AppState,
    org: OrgId,
    registration: &str,
) -> anyhow::Result<Vec<Value>> {
    let registration = uuid::Uuid::parse_str(registration)?;
    let mut out = Vec::new();
    let mut q = StatementQuery {
        registration: Some(registration),
        ascending: true,
        limit: 500,
        ..StatementQuery::default()
    };
    loop {
        let page = state.store.query_statements(org, &q).await?;
        for s in &page.statements {
            out.push(serde_json::from_str(&s.json)?);
        }
        match (page.more, page.statements.last()) {
            (true, Some(last)) => {
                q.after_seq = Some(last.seq);
                q.through_seq = Some(page.through_seq);
            }
            _ => return Ok(out),
        }
    }
}

/// The session id a statement carries (9.6.3.1).
pub fn session_of(st: &Value) -> Option<&str> {
    st.pointer("/context/extensions")
        .and_then(|e| e.get(vocab::EXT_SESSION_ID))
        .and_then(Value::as_str)
}

fn lms_issued(st: &Value) -> bool {
    st.pointer("/verb/id")
        .and_then(Value::as_str)
        .and_then(Verb::from_iri)
        .is_some_and(Verb::lms_only)
}

/// The session as its accepted statements left it: the AU's own statements of this session replayed in the order
/// they were stored, after what the registration's other statements say of the AU.
pub fn session_state(session: &Cmi5Session, statements: &[Value]) -> Session {
    let launch = session.launch.clone();
    let before = lantern_learning::cmi5::AuResult::from_statements(
        &launch.au.activity_id,
        statements
            .iter()
            .filter(|s| session_of(s) != Some(session.session_id.as_str())),
    );
    let mine = statements
        .iter()
        .filter(|s| session_of(s) == Some(session.session_id.as_str()) && !lms_issued(s));
    let mut s = Session::replay(launch.clone(), before, mine).unwrap_or_else(|(i, r)| {
        tracing::warn!(session = %session.session_id, index = i, reason = %r, "a stored cmi5 session does not replay");
        Session::new(launch, before)
    });
    if session.closed.as_deref() == Some("abandoned") {
        s.abandon("", "", std::time::Duration::ZERO);
    }
    s
}

/// One lock per session, so two batches of one session are checked one after the other.
fn session_lock(session_id: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut m = LOCKS
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if m.len() > 10_000 {
        m.retain(|_, l| Arc::strong_count(l) > 1);
    }
    m.entry(session_id.to_owned()).or_default().clone()
}

/// Checks a session credential's batch against the session (all or nothing), stores it, and then does what the LMS
/// must: closes the session on "terminated" and issues "satisfied" and records the module when due.
pub async fn store_session_batch(
    state: &AppState,
    client: &LrsClient,
    session: &Cmi5Session,
    prepared: Vec<Prepared>,
    attachments: &[lantern_store::lrs::AttachmentPayload],
) -> XapiResult<lantern_store::lrs::StoreOutcome> {
    let lock = session_lock(&session.session_id);
    let _turn = lock.lock().await;
    let org = session.registration.org;
    let statements = registration_statements(state, org, &session.registration.registration)
        .await
        .map_err(internal)?;
    let mut s = session_state(session, &statements);
    let values: Vec<Value> = prepared.iter().map(|p| p.statement.clone()).collect();
    // 11.0.0.0-3: the AU reads the learner preferences on startup, so before "initialized" (ADL's cmi5 LMS test
    // 005-1 expects an "initialized" sent sooner to be refused).
    if !session.preferences_read
        && let Some(i) = values.iter().position(|v| {
            v.pointer("/verb/id").and_then(Value::as_str)
                == Some(lantern_learning::cmi5::Verb::Initialized.iri())
        })
    {
        return Err(XapiHttpError::new(
            StatusCode::FORBIDDEN,
            format!(
                "statements[{i}]: cmi5 11: the AU must read the learner preferences (the {LEARNER_PREFERENCES_PROFILE_ID} agent profile) before \"initialized\""
            ),
        ));
    }
    let accepted = s.accept_all(&values).map_err(|(i, r)| {
        XapiHttpError::new(StatusCode::FORBIDDEN, format!("statements[{i}]: {r}"))
    })?;
    let outcome = super::statements::store(state, client, prepared, attachments).await?;
    let now = chrono::Utc::now();
    if accepted.iter().any(|a| a.ended) {
        state
            .store
            .close_cmi5_session(session.id, "terminated", now)
            .await?;
    }
    let judged = accepted.iter().any(|a| {
        a.satisfied_now || matches!(a.verb, Some(Verb::Completed | Verb::Passed | Verb::Failed))
    });
    if judged {
        settle(
            state,
            &session.registration,
            &session.session_id,
            &session.launch.au.actor,
        )
        .await
        .map_err(internal)?;
    }
    Ok(outcome)
}

fn internal(e: impl std::fmt::Display) -> XapiHttpError {
    tracing::error!(error = %e, "cmi5");
    XapiHttpError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side. It has been logged.",
    )
}

/// Issues "satisfied" for the blocks and the course the registration's results newly satisfy (9.3.9, inner first,
/// the course last), and when the course is satisfied records the attempt's cmi5 module as completed (which
/// completes the course and makes its training records when it is the last module).
pub async fn settle(
    state: &AppState,
    reg: &Cmi5Registration,
    session_id: &str,
    actor: &Actor,
) -> anyhow::Result<bool> {
    let statements = registration_statements(state, reg.org, &reg.registration).await?;
    let structure = &reg.package.structure;
    let base = lms_base(&state.auth.public_url, &reg.package.digest);
    let read = RegistrationState::read(structure, &base, statements.iter());
    let now = chrono::Utc::now();
    let ts = timestamp(now);
    let due: Vec<Value> = read
        .due(structure)
        .iter()
        .map(|d| {
            lantern_learning::cmi5::launch::satisfied(
                actor,
                &reg.registration,
                d,
                &lms_activity_id(&base, d.kind, &d.publisher_id),
                &super::statements::new_id().to_string(),
                &ts,
                session_id,
            )
        })
        .collect();
    lms_store(state, reg.org, due).await?;
    if !read.course_satisfied(structure) {
        return Ok(false);
    }
    let scope = Scope::Grants(vec![Grant {
        org: reg.org,
        reach: Reach::Person(reg.person),
    }]);
    let attempt = state.store.attempt(&scope, reg.org, reg.attempt).await?;
    let i = attempt
        .course
        .modules
        .iter()
        .position(|m| m.key == reg.module_key);
    let done = i.is_some_and(|i| attempt.states[i] == ModuleState::Completed);
    if attempt.completed_at.is_none() && !done {
        let org = state
            .store
            .org_by_code(&lantern_domain::access::Scope::Platform, &reg.org_code)
            .await?;
        state
            .store
            .record_module(
                &scope,
                reg.org,
                reg.attempt,
                &reg.module_key,
                ModuleState::Completed,
                At {
                    now,
                    today: org.today(now),
                },
            )
            .await?;
    }
    Ok(true)
}

/// The client a session credential (`c5_...` key) authenticates as, or None when the key is not a session's or the
/// secret is wrong or the session has expired.
pub async fn authenticate(
    state: &AppState,
    key: &str,
    secret: &str,
) -> anyhow::Result<Option<LrsClient>> {
    let found = state.store.cmi5_session_by_key(key).await?;
    let presented = crate::auth::token_hash(secret);
    let stored = found
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| "0".repeat(64));
    let matches = bool::from(presented.as_bytes().ct_eq(stored.as_bytes()));
    match found {
        Some((session, _)) if matches && session.expires_at > chrono::Utc::now() => {
            let credential = lms_credential(state, session.registration.org).await?;
            Ok(Some(LrsClient {
                credential,
                cmi5: Some(Arc::new(session)),
            }))
        }
        _ => Ok(None),
    }
}

/// A session credential may not query the LRS's statements, activities or agents: they hold other learners'.
pub fn refuse_session_reads(client: &LrsClient) -> XapiResult<()> {
    if client.cmi5.is_some() {
        return Err(XapiHttpError::new(
            StatusCode::FORBIDDEN,
            "a cmi5 session's credential may send its session's statements and use its own state and profile \
             documents only",
        ));
    }
    Ok(())
}

/// What a session credential may do with the document resources (10, 11, 12), checked before the request runs.
pub fn check_document(
    client: &LrsClient,
    kind: DocumentKind,
    params: &BTreeMap<String, String>,
    write: bool,
    body: Option<&[u8]>,
) -> XapiResult<()> {
    let Some(session) = &client.cmi5 else {
        return Ok(());
    };
    let agent: Value = params
        .get("agent")
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or(Value::Null);
    let param = |n: &str| params.get(n).map(String::as_str);
    let request = match kind {
        DocumentKind::State => DocumentRequest::State {
            activity_id: param("activityId").unwrap_or(""),
            agent: &agent,
            registration: param("registration"),
            state_id: param("stateId"),
            write,
        },
        DocumentKind::AgentProfile => DocumentRequest::AgentProfile {
            agent: &agent,
            profile_id: param("profileId"),
            write,
        },
        DocumentKind::ActivityProfile => DocumentRequest::ActivityProfile {
            activity_id: param("activityId").unwrap_or(""),
            write,
        },
    };
    session
        .launch
        .check_document_request(request)
        .map_err(|r| XapiHttpError::new(StatusCode::FORBIDDEN, r.to_string()))?;
    if let (DocumentKind::AgentProfile, Some(body), Some(LEARNER_PREFERENCES_PROFILE_ID)) =
        (kind, body, param("profileId"))
    {
        // Refused as the session's other requests are: 403 (ADL's cmi5 test suite, 11.0.0.0-5).
        LearnerPreferences::parse_document(body)
            .map_err(|r| XapiHttpError::new(StatusCode::FORBIDDEN, r.to_string()))?;
    }
    Ok(())
}

/// `POST /cmi5/fetch/{token}`: the one-time fetch URL (8.2). Always 200 with JSON: the `auth-token`, or an error
/// code and text (8.2.3). Any origin may call it (the AU runs on the content origin or its own site).
pub async fn fetch(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let now = chrono::Utc::now();
    let key = format!("{KEY_PREFIX}{}", &crate::auth::new_token()[..24]);
    let secret = crate::auth::new_token();
    let body = if token.len() != 43 {
        FetchError::Security.body("this fetch URL is not one Lantern made")
    } else {
        match state
            .store
            .fetch_cmi5_session(
                &crate::auth::token_hash(&token),
                &key,
                &crate::auth::token_hash(&secret),
                now,
            )
            .await
        {
            Ok(FetchOutcome::Issued(_)) => {
                let token = base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"));
                fetch_token_body(&token)
            }
            Ok(FetchOutcome::Spent) => FetchError::AlreadyUsedOrExpired.body(
                "this launch's token has already been fetched, or its session has ended; launch the AU again from Lantern",
            ),
            Ok(FetchOutcome::Unknown) => {
                FetchError::Security.body("this fetch URL is not one Lantern made")
            }
            Err(e) => {
                tracing::error!(error = %e, "cmi5 fetch");
                FetchError::Application.body("something went wrong on our side; it has been logged")
            }
        }
    };
    let mut res = axum::Json(body).into_response();
    cors(&mut res);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The fetch URL's CORS preflight.
pub async fn fetch_preflight() -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    cors(&mut res);
    let h = res.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type"),
    );
    res
}

fn cors(res: &mut Response) {
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}
