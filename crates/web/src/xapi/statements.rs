//! The Statement resource, `/xapi/statements` (Communication 2.1).
//!
//! - PUT `?statementId=`: one statement under that id; 204. The same statement again is accepted; a different one
//!   under a stored id is 409.
//! - POST: one statement or an array, all-or-nothing; 200 with the ids in order. Ids repeated in a batch are 400.
//! - GET `?statementId=` / `?voidedStatementId=`: one statement; otherwise a query with the filters, newest first
//!   (or `ascending`), `limit` at a time with a `more` link, in the `format` asked for, with attachments as
//!   multipart/mixed when `attachments=true`. Voided statements are left out of queries.
//!
//! Bodies are application/json or multipart/mixed (statements with attachments). Signed statements have their JWS
//! checked. Nothing is stored unless everything in the request is valid.

use super::auth::LrsClient;
use super::{
    CONSISTENT_THROUGH, RequestVersion, XapiHttpError, XapiResult, bool_param, http_date,
    media_type, multipart, query_params, time_param, uuid_param,
};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use lantern_store::lrs::{AttachmentPayload, StatementQuery, StoredStatement};
use lantern_xapi::{Format, PrepareContext, Prepared, Version};
use std::collections::{BTreeMap, HashMap};

/// A new statement id: a time-ordered UUID (version 7, RFC 9562), so the ids the LRS makes land at the end of the
/// id index instead of at random places in it, which keeps ingest fast as the store grows to tens of millions.
pub(crate) fn new_id() -> uuid::Uuid {
    let mut b = [0u8; 10];
    getrandom::fill(&mut b).expect("the operating system's random source works");
    let ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(ms, &b).into_uuid()
}

/// The statements of a PUT or POST body, with the attachment parts that came with them.
struct Incoming {
    statements: Vec<serde_json::Value>,
    /// The body was one statement, not an array.
    single: bool,
    attachments: Vec<AttachmentPayload>,
}

async fn read_body(headers: &HeaderMap, body: Bytes) -> XapiResult<Incoming> {
    let media = media_type(headers);
    let (json, attachments) = match media.as_str() {
        "application/json" => (body, Vec::new()),
        "multipart/mixed" => {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let parsed = multipart::parse(content_type, body).await?;
            (parsed.statements, parsed.attachments)
        }
        "" => {
            return Err(XapiHttpError::bad_request(
                "send statements with Content-Type application/json (or multipart/mixed with attachments)",
            ));
        }
        other => {
            return Err(XapiHttpError::bad_request(format!(
                "statements are application/json, or multipart/mixed with attachments, not {other:?}"
            )));
        }
    };
    let value = lantern_xapi::parse_json(&json)?;
    Ok(match value {
        serde_json::Value::Array(items) => Incoming {
            statements: items,
            single: false,
            attachments,
        },
        one => Incoming {
            statements: vec![one],
            single: true,
            attachments,
        },
    })
}

/// Validates and prepares every statement, checks ids, attachments and signatures; any problem refuses the request.
fn prepare_all(
    state: &AppState,
    client: &LrsClient,
    version: Version,
    incoming: &mut Incoming,
    put_id: Option<uuid::Uuid>,
) -> XapiResult<Vec<Prepared>> {
    // One context for the request (the authority checked once); each statement gets its own id and `stored`.
    let mut ctx = PrepareContext {
        new_id: uuid::Uuid::nil(),
        stored: chrono::Utc::now(),
        authority: lantern_xapi::Authority::new(client.authority(&state.auth.public_url))?,
    };
    let statements = std::mem::take(&mut incoming.statements);
    if client.cmi5.is_some() {
        // cmi5 9.1 and 9.7: an AU gives each statement its id and timestamp (the LRS would fill them in otherwise,
        // and the session's rules would never see one missing); a statement PUT has its id from statementId.
        for (i, raw) in statements.iter().enumerate() {
            let refused = if put_id.is_none() && raw.get("id").and_then(|v| v.as_str()).is_none() {
                Some("cmi5 9.1: the AU must give every statement an id (a UUID)".to_owned())
            } else {
                lantern_learning::cmi5::session::check_timestamp(raw)
                    .err()
                    .map(|r| r.to_string())
            };
            if let Some(reason) = refused {
                return Err(XapiHttpError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    format!("statements[{i}]: {reason}"),
                ));
            }
        }
    }
    let mut prepared = Vec::with_capacity(statements.len());
    // A signature signs the statement as sent, so those with attachments are kept as sent (the rest are moved).
    let mut as_sent: Vec<Option<serde_json::Value>> = Vec::with_capacity(statements.len());
    for (i, raw) in statements.into_iter().enumerate() {
        let attached = raw.get("attachments").is_some()
            || raw
                .get("object")
                .and_then(|o| o.get("attachments"))
                .is_some();
        as_sent.push(attached.then(|| raw.clone()));
        ctx.new_id = put_id.unwrap_or_else(new_id);
        ctx.stored = chrono::Utc::now();
        let p = lantern_xapi::prepare(raw, version, &ctx).map_err(|e| {
            if incoming.single {
                XapiHttpError::from(e)
            } else {
                XapiHttpError::from(e.prefixed(&format!("statements[{i}]")))
            }
        })?;
        if let Some(id) = put_id
            && p.id != id
        {
            return Err(XapiHttpError::bad_request(format!(
                "the statement's id {} is not the statementId parameter {id}",
                p.id
            )));
        }
        prepared.push(p);
    }
    let mut seen = std::collections::HashSet::new();
    for p in &prepared {
        if !seen.insert(p.id) {
            return Err(XapiHttpError::bad_request(format!(
                "the statement id {} appears more than once in this batch",
                p.id
            )));
        }
    }
    let refs: Vec<&Prepared> = prepared.iter().collect();
    let hashes: Vec<String> = incoming
        .attachments
        .iter()
        .map(|a| a.sha2.clone())
        .collect();
    lantern_xapi::check_attachment_parts(&refs, &hashes)?;
    // Signed statements: the JWS in the signature attachment must be valid and sign this statement (Data 2.6).
    for (p, sent) in prepared.iter().zip(&as_sent) {
        for a in p.index.attachments.iter().filter(|a| a.is_signature()) {
            let part = incoming
                .attachments
                .iter()
                .find(|x| x.sha2 == a.sha2)
                .ok_or_else(|| {
                    XapiHttpError::bad_request("the signature attachment's part is missing")
                })?;
            let sent = sent.as_ref().unwrap_or(&p.statement);
            lantern_xapi::verify_signature(sent, &part.content).map_err(|e| {
                XapiHttpError::bad_request(format!(
                    "statement {}: the signature is not valid: {e}",
                    p.id
                ))
            })?;
        }
    }
    Ok(prepared)
}

pub(crate) async fn store(
    state: &AppState,
    client: &LrsClient,
    prepared: Vec<Prepared>,
    attachments: &[AttachmentPayload],
) -> XapiResult<lantern_store::lrs::StoreOutcome> {
    let outcome = state
        .store
        .store_statements(
            client.org(),
            client.credential.id,
            prepared,
            attachments,
            &state.auth.public_url,
        )
        .await?;
    if outcome.records_created + outcome.records_withdrawn > 0 {
        tracing::info!(
            org = %client.org(),
            created = outcome.records_created,
            withdrawn = outcome.records_withdrawn,
            "xAPI statements changed training records"
        );
    }
    Ok(outcome)
}

/// Stores one statement under the given id.
#[utoipa::path(
    put,
    path = "/xapi/statements",
    tag = "xapi",
    params(
        ("statementId" = String, Query, description = "The statement's id (a UUID)."),
        ("X-Experience-API-Version" = String, Header, description = "1.0.3 or 2.0.0"),
    ),
    request_body(content = serde_json::Value, description = "One statement (application/json), or multipart/mixed with its attachments.", content_type = "application/json"),
    responses(
        (status = 204, description = "Stored (or already stored, identical)"),
        (status = 400, description = "Invalid: the message names the property and the rule", body = crate::api::ErrorBody),
        (status = 401, description = "No or wrong credentials"),
        (status = 403, description = "Read-only credential"),
        (status = 409, description = "Another statement is stored under this id"),
    )
)]
pub async fn put(
    State(state): State<AppState>,
    client: LrsClient,
    RequestVersion(version): RequestVersion,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> XapiResult<Response> {
    client.require_write()?;
    let params = query_params(&uri, &["statementId"])?;
    let id = params
        .get("statementId")
        .ok_or_else(|| XapiHttpError::bad_request("PUT needs the statementId parameter"))?;
    let id = uuid_param("statementId", id)?;
    let mut incoming = read_body(&headers, body).await?;
    if !incoming.single {
        return Err(XapiHttpError::bad_request(
            "PUT takes one statement; POST an array to store several",
        ));
    }
    let prepared = prepare_all(&state, &client, version, &mut incoming, Some(id))?;
    match &client.cmi5 {
        Some(session) => {
            super::cmi5::store_session_batch(
                &state,
                &client,
                session,
                prepared,
                &incoming.attachments,
            )
            .await?;
        }
        None => {
            store(&state, &client, prepared, &incoming.attachments).await?;
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Stores one statement or a batch, all-or-nothing.
#[utoipa::path(
    post,
    path = "/xapi/statements",
    tag = "xapi",
    params(("X-Experience-API-Version" = String, Header, description = "1.0.3 or 2.0.0")),
    request_body(content = serde_json::Value, description = "A statement or an array of statements (application/json), or multipart/mixed with attachments.", content_type = "application/json"),
    responses(
        (status = 200, description = "The statements' ids, in the order sent", body = Vec<String>),
        (status = 400, description = "Invalid: the message names the statement, the property and the rule; nothing was stored", body = crate::api::ErrorBody),
        (status = 401, description = "No or wrong credentials"),
        (status = 403, description = "Read-only credential"),
        (status = 409, description = "A statement id is already stored with different content; nothing was stored"),
    )
)]
pub async fn post(
    State(state): State<AppState>,
    client: LrsClient,
    RequestVersion(version): RequestVersion,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> XapiResult<Response> {
    client.require_write()?;
    query_params(&uri, &[])?;
    let mut incoming = read_body(&headers, body).await?;
    let prepared = prepare_all(&state, &client, version, &mut incoming, None)?;
    let outcome = match &client.cmi5 {
        // A cmi5 AU's session: its statements are checked against the session, all or nothing (cmi5 9.3).
        Some(session) => {
            super::cmi5::store_session_batch(
                &state,
                &client,
                session,
                prepared,
                &incoming.attachments,
            )
            .await?
        }
        None => store(&state, &client, prepared, &incoming.attachments).await?,
    };
    let ids: Vec<String> = outcome.ids.iter().map(|i| i.to_string()).collect();
    Ok(axum::Json(ids).into_response())
}

/// The query behind a `more` link: the filters, and where the next page starts.
#[derive(serde::Serialize, serde::Deserialize, Default)]
struct More {
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    params: BTreeMap<String, String>,
    after: i64,
    through: i64,
}

const QUERY_PARAMS: [&str; 15] = [
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    "more",
];

/// One statement, or a page of a query.
#[utoipa::path(
    get,
    path = "/xapi/statements",
    tag = "xapi",
    params(
        ("X-Experience-API-Version" = String, Header, description = "1.0.3 or 2.0.0"),
        ("statementId" = Option<String>, Query, description = "One statement by id (not if voided)."),
        ("voidedStatementId" = Option<String>, Query, description = "One voided statement by id."),
        ("agent" = Option<String>, Query, description = "An Agent or identified Group as JSON: statements where it is the actor or object."),
        ("verb" = Option<String>, Query, description = "A verb IRI."),
        ("activity" = Option<String>, Query, description = "An activity IRI: statements about it."),
        ("registration" = Option<String>, Query, description = "A registration UUID."),
        ("related_activities" = Option<bool>, Query, description = "activity also matches context activities and sub-statements."),
        ("related_agents" = Option<bool>, Query, description = "agent also matches authority, instructor, team and context agents."),
        ("since" = Option<String>, Query, description = "Only statements stored after this instant."),
        ("until" = Option<String>, Query, description = "Only statements stored at or before this instant."),
        ("limit" = Option<u32>, Query, description = "At most this many (0 or absent: the LRS's maximum, 500)."),
        ("format" = Option<String>, Query, description = "ids, exact (default) or canonical (one language per Accept-Language)."),
        ("attachments" = Option<bool>, Query, description = "Return attachments' bytes as multipart/mixed."),
        ("ascending" = Option<bool>, Query, description = "Oldest first."),
        ("more" = Option<String>, Query, description = "Continue a query: the token from a StatementResult's more link."),
    ),
    responses(
        (status = 200, description = "A statement, or a StatementResult {statements, more}", body = serde_json::Value),
        (status = 400, description = "A parameter is invalid, unknown, or combined with statementId", body = crate::api::ErrorBody),
        (status = 401, description = "No or wrong credentials"),
        (status = 404, description = "No such statement"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    client: LrsClient,
    RequestVersion(version): RequestVersion,
    uri: Uri,
    headers: HeaderMap,
) -> XapiResult<Response> {
    super::cmi5::refuse_session_reads(&client)?;
    let mut params = query_params(&uri, &QUERY_PARAMS)?;
    let mut more: Option<More> = None;
    if let Some(token) = params.remove("more") {
        if !params.is_empty() {
            return Err(XapiHttpError::bad_request(
                "a more link carries its whole query: send it without other parameters",
            ));
        }
        let decoded: More = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.as_bytes())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| XapiHttpError::bad_request("the more token is not one this LRS made"))?;
        params = decoded.params.clone();
        more = Some(decoded);
    }
    let format = match params.get("format") {
        Some(f) => Format::parse(f)?,
        None => Format::Exact,
    };
    let attachments = bool_param(&params, "attachments")?;
    let languages = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(lantern_xapi::accept_languages)
        .unwrap_or_default();
    let org = client.org();

    let single = match (params.get("statementId"), params.get("voidedStatementId")) {
        (Some(_), Some(_)) => {
            return Err(XapiHttpError::bad_request(
                "send statementId or voidedStatementId, not both",
            ));
        }
        (Some(id), None) => Some((uuid_param("statementId", id)?, false)),
        (None, Some(id)) => Some((uuid_param("voidedStatementId", id)?, true)),
        (None, None) => None,
    };
    if let Some((id, voided)) = single {
        if let Some(other) = params.keys().find(|k| {
            !matches!(
                k.as_str(),
                "statementId" | "voidedStatementId" | "format" | "attachments"
            )
        }) {
            return Err(XapiHttpError::bad_request(format!(
                "statementId and voidedStatementId take only format and attachments, not {other}"
            )));
        }
        let Some(found) = state.store.statement(org, id, voided).await? else {
            return Err(XapiHttpError::new(
                StatusCode::NOT_FOUND,
                if voided {
                    format!("no voided statement {id}")
                } else {
                    format!(
                        "no statement {id} (a voided statement is fetched with voidedStatementId)"
                    )
                },
            ));
        };
        let last_modified = found.stored;
        let rendered = render(
            &state,
            org,
            std::slice::from_ref(&found),
            format,
            &languages,
        )
        .await?;
        let body = serde_json::to_vec(&rendered[0]).expect("JSON serialises");
        let mut res = if attachments {
            let payloads = state
                .store
                .attachments(org, &found.attachment_hashes)
                .await?;
            multipart::response(body, payloads)
        } else {
            json_response(body)
        };
        headers_for(&mut res, Some(last_modified));
        return Ok(res);
    }

    let q = build_query(&params, version, more.as_ref())?;
    let page = state.store.query_statements(org, &q).await?;
    let rendered = render(&state, org, &page.statements, format, &languages).await?;
    let more_link = match (page.more, page.statements.last()) {
        (true, Some(last)) => {
            let token = More {
                params: params.clone(),
                after: last.seq,
                through: page.through_seq,
            };
            let token = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(serde_json::to_vec(&token).expect("JSON serialises"));
            format!("/xapi/statements?more={token}")
        }
        _ => String::new(),
    };
    let body =
        serde_json::to_vec(&serde_json::json!({ "statements": rendered, "more": more_link }))
            .expect("JSON serialises");
    let last_modified = page.statements.iter().map(|s| s.stored).max();
    let mut res = if attachments {
        let hashes: Vec<String> = page
            .statements
            .iter()
            .flat_map(|s| s.attachment_hashes.iter().cloned())
            .collect();
        multipart::response(body, state.store.attachments(org, &hashes).await?)
    } else {
        json_response(body)
    };
    headers_for(&mut res, last_modified);
    Ok(res)
}

fn json_response(body: Vec<u8>) -> Response {
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// Consistent-Through is now: writes are durable before they are acknowledged, so everything stored before this
/// instant can be read. Last-Modified is the newest `stored` in the answer.
fn headers_for(res: &mut Response, last_modified: Option<chrono::DateTime<chrono::Utc>>) {
    let now = lantern_xapi::format_timestamp(chrono::Utc::now());
    res.headers_mut().insert(
        CONSISTENT_THROUGH,
        HeaderValue::from_str(&now).expect("a timestamp is a header value"),
    );
    if let Some(t) = last_modified {
        res.headers_mut()
            .insert(header::LAST_MODIFIED, http_date(t));
    }
}

fn build_query(
    params: &BTreeMap<String, String>,
    version: Version,
    more: Option<&More>,
) -> XapiResult<StatementQuery> {
    let agent = match params.get("agent") {
        Some(a) => Some(lantern_xapi::parse_agent_param(a, version)?.0.0),
        None => None,
    };
    let iri = |name: &str| -> XapiResult<Option<String>> {
        match params.get(name) {
            Some(v) => {
                oxiri::Iri::parse(v.as_str()).map_err(|e| {
                    XapiHttpError::bad_request(format!("{name} must be an IRI: {e}"))
                })?;
                Ok(Some(v.clone()))
            }
            None => Ok(None),
        }
    };
    let limit = match params.get("limit") {
        Some(l) => l.parse::<usize>().map_err(|_| {
            XapiHttpError::bad_request(format!("limit must be a whole number, got {l:?}"))
        })?,
        None => 0,
    };
    Ok(StatementQuery {
        agent,
        verb: iri("verb")?,
        activity: iri("activity")?,
        registration: params
            .get("registration")
            .map(|r| uuid_param("registration", r))
            .transpose()?,
        related_activities: bool_param(params, "related_activities")?,
        related_agents: bool_param(params, "related_agents")?,
        since: params
            .get("since")
            .map(|s| time_param("since", s, version))
            .transpose()?,
        until: params
            .get("until")
            .map(|s| time_param("until", s, version))
            .transpose()?,
        ascending: bool_param(params, "ascending")?,
        limit,
        after_seq: more.map(|m| m.after),
        through_seq: more.map(|m| m.through),
    })
}

/// Statements in the asked-for format; canonical uses the LRS's canonical activity definitions.
async fn render(
    state: &AppState,
    org: lantern_domain::OrgId,
    statements: &[StoredStatement],
    format: Format,
    languages: &[String],
) -> XapiResult<Vec<serde_json::Value>> {
    let parsed: Vec<serde_json::Value> = statements
        .iter()
        .map(|s| serde_json::from_str(&s.json).unwrap_or(serde_json::Value::Null))
        .collect();
    if format != Format::Canonical {
        return Ok(parsed
            .iter()
            .map(|s| lantern_xapi::format_statement(s, format, languages))
            .collect());
    }
    let mut ids: Vec<String> = Vec::new();
    for s in &parsed {
        activity_ids(s, &mut ids);
    }
    ids.sort();
    ids.dedup();
    let mut canonical: HashMap<String, serde_json::Value> = HashMap::new();
    for id in ids {
        if let Some(json) = state.store.activity(org, &id).await?
            && let Some(def) = serde_json::from_str::<serde_json::Value>(&json)
                .ok()
                .and_then(|a| a.get("definition").cloned())
        {
            canonical.insert(id, def);
        }
    }
    Ok(parsed
        .iter()
        .map(|s| {
            lantern_xapi::format_statement_with(s, format, languages, &|id| {
                canonical.get(id).cloned()
            })
        })
        .collect())
}

/// The ids of the Activities in a statement: its object, context activities, and a SubStatement's.
fn activity_ids(s: &serde_json::Value, out: &mut Vec<String>) {
    let mut push = |a: &serde_json::Value| {
        if let Some(id) = a.get("id").and_then(|v| v.as_str()) {
            out.push(id.to_owned());
        }
    };
    if let Some(o) = s.get("object") {
        match o.get("objectType").and_then(|t| t.as_str()) {
            None | Some("Activity") => push(o),
            _ => {}
        }
    }
    if let Some(ca) = s
        .get("context")
        .and_then(|c| c.get("contextActivities"))
        .and_then(|c| c.as_object())
    {
        for list in ca.values() {
            match list {
                serde_json::Value::Array(items) => items.iter().for_each(&mut push),
                one => push(one),
            }
        }
    }
    if let Some(o) = s
        .get("object")
        .filter(|o| o.get("objectType").and_then(|t| t.as_str()) == Some("SubStatement"))
    {
        activity_ids(o, out);
    }
}
