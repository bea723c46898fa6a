//! Launching an AU by the cmi5 launch protocol, and the statements the LMS itself issues.
//!
//! Source: the cmi5 specification (AICC/ADL, "cmi5 Quartz" and its 2nd edition): section 8 (the launch URL and its
//! parameters, the one-time fetch URL and its `auth-token` and error bodies), 9 (the statements: 9.2 actor, 9.3
//! verbs, 9.4 object, 9.5 result, 9.6 context) and 10 (the `LMS.LaunchData` state document). Ids, times and
//! session ids come in as arguments: this module has no clock and no randomness.

use super::vocab::{self, Verb};
use super::{Au, MoveOn};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The learner as the AU sees them (8.1.3, 9.2): an Agent identified by an account on the LMS, never an email or a
/// name (the spec asks for no sensitive personal data).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub home_page: String,
    pub name: String,
}

impl Actor {
    /// The `actor` launch parameter: the JSON in the spec's order (8.1.3), whatever serde_json's map ordering.
    pub fn to_json_string(&self) -> String {
        let s = |v: &str| Value::from(v).to_string();
        format!(
            r#"{{"objectType":"Agent","account":{{"homePage":{},"name":{}}}}}"#,
            s(&self.home_page),
            s(&self.name)
        )
    }

    pub fn to_json(&self) -> Value {
        json!({
            "objectType": "Agent",
            "account": { "homePage": self.home_page, "name": self.name },
        })
    }
}

/// 10.2.2: whether the AU may record satisfaction (Normal) or only look around (Browse) or revisit (Review).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LaunchMode {
    Normal,
    Browse,
    Review,
}

impl LaunchMode {
    pub fn as_str(self) -> &'static str {
        match self {
            LaunchMode::Normal => "Normal",
            LaunchMode::Browse => "Browse",
            LaunchMode::Review => "Review",
        }
    }
}

impl MoveOn {
    /// The value as cmi5.xml and `LMS.LaunchData` spell it (13.1.4, 10.2.5).
    pub fn as_str(self) -> &'static str {
        match self {
            MoveOn::Passed => "Passed",
            MoveOn::Completed => "Completed",
            MoveOn::CompletedAndPassed => "CompletedAndPassed",
            MoveOn::CompletedOrPassed => "CompletedOrPassed",
            MoveOn::NotApplicable => "NotApplicable",
        }
    }
}

/// Which object an LMS-generated activity id is for (8.1.5 and 9.4: the LMS's ids must not be the publisher's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeKind {
    Au,
    Block,
    Course,
}

/// The LMS's activity id for an AU, block or course: `base` (the LMS's IRI for this course, the same for every
/// registration, as 8.1.5 advises) then the kind and the publisher's id, percent-encoded. Distinct from the
/// publisher's id by construction, stable across launches and registrations, and different for each node.
pub fn lms_activity_id(base: &str, kind: NodeKind, publisher_id: &str) -> String {
    let kind = match kind {
        NodeKind::Au => "au",
        NodeKind::Block => "block",
        NodeKind::Course => "course",
    };
    format!(
        "{}/{kind}/{}",
        base.trim_end_matches('/'),
        percent_encode(publisher_id)
    )
}

/// The registration and the AU a statement is about: what the LMS's statements for one AU share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuInRegistration {
    pub actor: Actor,
    /// The registration (a UUID) of the learner's enrolment in the course (8.1.4).
    pub registration: String,
    /// The AU's id in the course structure (the "publisher id", 9.6.2.3).
    pub publisher_id: String,
    /// The LMS-generated activity id the AU's statements use as their object (8.1.5, 9.4).
    pub activity_id: String,
}

/// Why a launch cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cmi5 launch, {field}: {reason}")]
pub struct LaunchError {
    pub field: &'static str,
    pub reason: String,
}

fn launch_err(field: &'static str, reason: impl Into<String>) -> LaunchError {
    LaunchError {
        field,
        reason: reason.into(),
    }
}

/// The names the launch protocol puts in the AU's query string (8.1); the AU's own query must not use them.
pub const LAUNCH_PARAMETER_NAMES: [&str; 5] =
    ["endpoint", "fetch", "actor", "registration", "activityId"];

/// What the LMS decides for one launch, beyond what the course structure says.
#[derive(Clone, Debug, PartialEq)]
pub struct LaunchSetup {
    pub au: AuInRegistration,
    /// The AU's content as a fully qualified URL with the AU's own query, if any (see [`super::AuUrl::resolve`]).
    pub content_url: String,
    /// The LRS's base endpoint for xAPI requests (8.1.1).
    pub endpoint: String,
    /// The one-time URL that gives the AU its auth token (8.1.2, 8.2).
    pub fetch: String,
    /// A new session id, unique to this launch (9.6.3.1).
    pub session_id: String,
    pub launch_mode: LaunchMode,
    /// Where the AU sends the learner when it ends (10.2.6).
    pub return_url: Option<String>,
}

/// One launch of an AU: everything the launch URL, the `LMS.LaunchData` document and the session's statements need.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Launch {
    pub au: AuInRegistration,
    pub content_url: String,
    pub endpoint: String,
    pub fetch: String,
    pub session_id: String,
    pub launch_mode: LaunchMode,
    pub return_url: Option<String>,
    pub move_on: MoveOn,
    pub mastery_score: Option<f64>,
    pub launch_parameters: Option<String>,
    pub entitlement_key: Option<String>,
}

impl Launch {
    /// Checks what 8.1 asks of the launch's parts and takes moveOn, masteryScore, launchParameters and
    /// entitlementKey from the AU as the course structure gives them (10.2.3 to 10.2.7).
    pub fn new(au: &Au, setup: LaunchSetup) -> Result<Launch, LaunchError> {
        if setup.au.publisher_id != au.id {
            return Err(launch_err(
                "au.publisher_id",
                format!(
                    "is {:?}, not this AU's id {:?}",
                    setup.au.publisher_id, au.id
                ),
            ));
        }
        if setup.au.activity_id == au.id {
            return Err(launch_err(
                "au.activity_id",
                "must be generated by the LMS, not the AU's id from the course structure (cmi5 8.1.5)",
            ));
        }
        if !is_uuid(&setup.au.registration) {
            return Err(launch_err(
                "au.registration",
                format!("{:?} is not a UUID (cmi5 8.1.4)", setup.au.registration),
            ));
        }
        for (field, url) in [
            ("content_url", &setup.content_url),
            ("endpoint", &setup.endpoint),
            ("fetch", &setup.fetch),
        ] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(launch_err(
                    field,
                    format!("{url:?} is not an absolute http(s) URL"),
                ));
            }
        }
        if let Some(name) = reserved_query_name(&setup.content_url) {
            return Err(launch_err(
                "content_url",
                format!("its query already uses {name:?}, a cmi5 launch parameter (cmi5 8.1)"),
            ));
        }
        if setup.session_id.trim().is_empty() {
            return Err(launch_err("session_id", "is empty"));
        }
        Ok(Launch {
            au: setup.au,
            content_url: setup.content_url,
            endpoint: setup.endpoint,
            fetch: setup.fetch,
            session_id: setup.session_id,
            launch_mode: setup.launch_mode,
            return_url: setup.return_url,
            move_on: au.move_on,
            mastery_score: au.mastery_score,
            launch_parameters: au.launch_parameters.clone(),
            entitlement_key: au.entitlement_key.clone(),
        })
    }

    /// The URL that launches the AU (8.1): its content URL, its own query kept, then endpoint, fetch, actor,
    /// registration and activityId, each value percent-encoded; a fragment stays at the end.
    pub fn url(&self) -> String {
        let (base, fragment) = match self.content_url.find('#') {
            Some(i) => self.content_url.split_at(i),
            None => (self.content_url.as_str(), ""),
        };
        let actor = self.au.actor.to_json_string();
        let params = [
            ("endpoint", self.endpoint.as_str()),
            ("fetch", self.fetch.as_str()),
            ("actor", actor.as_str()),
            ("registration", self.au.registration.as_str()),
            ("activityId", self.au.activity_id.as_str()),
        ]
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .join("&");
        let joiner = if !base.contains('?') {
            "?"
        } else if base.ends_with('?') || base.ends_with('&') {
            ""
        } else {
            "&"
        };
        format!("{base}{joiner}{params}{fragment}")
    }

    /// The context every statement of this session must carry (10.2.1): the AU's publisher id in
    /// `contextActivities.grouping` (9.6.2.3) and the session id extension (9.6.3.1).
    pub fn context_template(&self) -> Value {
        json!({
            "contextActivities": {
                "grouping": [{ "objectType": "Activity", "id": self.au.publisher_id }],
            },
            "extensions": { vocab::EXT_SESSION_ID: self.session_id },
        })
    }

    /// The `LMS.LaunchData` state document (10), written for the AU's activity id, the actor and the registration
    /// before the launch.
    pub fn launch_data(&self) -> LaunchData {
        LaunchData {
            context_template: self.context_template(),
            launch_mode: self.launch_mode,
            launch_parameters: self.launch_parameters.clone(),
            mastery_score: self.mastery_score,
            move_on: self.move_on,
            return_url: self.return_url.clone(),
            entitlement_key: self.entitlement_key.clone().map(|k| EntitlementKey {
                course_structure: k,
                alternate: None,
            }),
        }
    }

    /// The "launched" statement the LMS records before the launch (9.3.1), with the launch's extensions:
    /// session id, launchMode, launchURL, moveOn, and masteryScore and launchParameters when given (9.6.3).
    pub fn launched(&self, statement_id: &str, timestamp: &str) -> Value {
        let mut context = self.lms_context();
        let ext = context["extensions"]
            .as_object_mut()
            .expect("lms_context makes extensions");
        ext.insert(
            vocab::EXT_LAUNCH_MODE.into(),
            self.launch_mode.as_str().into(),
        );
        ext.insert(
            vocab::EXT_LAUNCH_URL.into(),
            self.content_url.clone().into(),
        );
        ext.insert(vocab::EXT_MOVE_ON.into(), self.move_on.as_str().into());
        if let Some(m) = self.mastery_score {
            ext.insert(vocab::EXT_MASTERY_SCORE.into(), m.into());
        }
        if let Some(p) = &self.launch_parameters {
            ext.insert(vocab::EXT_LAUNCH_PARAMETERS.into(), p.clone().into());
        }
        statement(
            statement_id,
            timestamp,
            &self.au.actor,
            Verb::Launched,
            au_object(&self.au),
            None,
            context,
        )
    }

    /// The "abandoned" statement (9.3.6) for this session, which ended without "terminated". `session_time` is the
    /// time from "launched" to the AU's last statement (9.5.4.2).
    pub fn abandoned(&self, statement_id: &str, timestamp: &str, session_time: Duration) -> Value {
        statement(
            statement_id,
            timestamp,
            &self.au.actor,
            Verb::Abandoned,
            au_object(&self.au),
            Some(json!({ "duration": iso_duration(session_time) })),
            self.lms_context(),
        )
    }

    fn lms_context(&self) -> Value {
        lms_context(
            &self.au.registration,
            &self.au.publisher_id,
            &self.session_id,
            false,
        )
    }
}

/// 10.2: the `LMS.LaunchData` document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchData {
    pub context_template: Value,
    pub launch_mode: LaunchMode,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub launch_parameters: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mastery_score: Option<f64>,
    pub move_on: MoveOn,
    #[serde(rename = "returnURL", skip_serializing_if = "Option::is_none", default)]
    pub return_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub entitlement_key: Option<EntitlementKey>,
}

/// 10.2.7: the course structure's entitlement key, and an alternate agreed with the AU's provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntitlementKey {
    pub course_structure: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub alternate: Option<String>,
}

/// The body of the fetch URL's first answer (8.2.1): `{"auth-token": ...}`, the token the AU sends in
/// `Authorization: Basic <token>` (RFC 1945 11.1), so `base64("key:secret")` of credentials scoped to the session.
pub fn fetch_token_body(auth_token: &str) -> Value {
    json!({ "auth-token": auth_token })
}

/// 8.2.3.2: why the fetch URL gives no token. The answer is still HTTP 200 with a JSON body (8.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FetchError {
    /// 1: the token was already returned, or the session has ended (8.2.3.1).
    AlreadyUsedOrExpired,
    /// 2: any other security problem, an unknown or invalid fetch URL among them.
    Security,
    /// 3: the application or its environment failed.
    Application,
}

impl FetchError {
    pub fn code(self) -> &'static str {
        match self {
            FetchError::AlreadyUsedOrExpired => "1",
            FetchError::Security => "2",
            FetchError::Application => "3",
        }
    }

    /// `{"error-code": "1", "error-text": ...}` (8.2.3).
    pub fn body(self, text: &str) -> Value {
        json!({ "error-code": self.code(), "error-text": text })
    }
}

/// 9.5.5.2: why an AU was waived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaiveReason {
    TestedOut,
    EquivalentAu,
    EquivalentOutsideActivity,
    Administrative,
    /// Any other reason, in words.
    Other(String),
}

impl WaiveReason {
    pub fn as_str(&self) -> &str {
        match self {
            WaiveReason::TestedOut => "Tested Out",
            WaiveReason::EquivalentAu => "Equivalent AU",
            WaiveReason::EquivalentOutsideActivity => "Equivalent Outside Activity",
            WaiveReason::Administrative => "Administrative",
            WaiveReason::Other(s) => s,
        }
    }
}

/// The "waived" statement (9.3.7): the AU's requirements met by other means. `session_id` must be new, used for
/// nothing but this statement and the "satisfied" statements it leads to. Success and completion are true and the
/// reason is in the result (9.5.2, 9.5.3, 9.5.5.2), so the moveOn category is there too (9.6.2.2).
pub fn waived(
    au: &AuInRegistration,
    reason: &WaiveReason,
    statement_id: &str,
    timestamp: &str,
    session_id: &str,
) -> Value {
    statement(
        statement_id,
        timestamp,
        &au.actor,
        Verb::Waived,
        au_object(au),
        Some(json!({
            "success": true,
            "completion": true,
            "extensions": { vocab::EXT_REASON: reason.as_str() },
        })),
        lms_context(&au.registration, &au.publisher_id, session_id, true),
    )
}

/// A block or the course, newly satisfied (see [`super::CourseStructure::newly_satisfied`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Satisfied {
    pub kind: NodeKind,
    /// The id in the course structure (9.6.2.3: in the statement's grouping).
    pub publisher_id: String,
}

/// The "satisfied" statement (9.3.9) for a block or the course: the object is the LMS's id for it with the
/// block or course activity type (9.4), the publisher's id is in the grouping, and the session is the launch's
/// that led to it (or a new one when none did, for example at registration or after a waiver).
pub fn satisfied(
    actor: &Actor,
    registration: &str,
    target: &Satisfied,
    lms_id: &str,
    statement_id: &str,
    timestamp: &str,
    session_id: &str,
) -> Value {
    let kind = match target.kind {
        NodeKind::Course => vocab::TYPE_COURSE,
        _ => vocab::TYPE_BLOCK,
    };
    statement(
        statement_id,
        timestamp,
        actor,
        Verb::Satisfied,
        json!({ "objectType": "Activity", "id": lms_id, "definition": { "type": kind } }),
        None,
        lms_context(registration, &target.publisher_id, session_id, false),
    )
}

fn au_object(au: &AuInRegistration) -> Value {
    json!({ "objectType": "Activity", "id": au.activity_id })
}

/// The context of a statement the LMS makes: registration, the cmi5 category (and moveOn's when the result
/// carries success or completion), the publisher id in the grouping and the session id (9.6).
fn lms_context(registration: &str, publisher_id: &str, session_id: &str, move_on: bool) -> Value {
    let mut category = vec![json!({ "objectType": "Activity", "id": vocab::CATEGORY_CMI5 })];
    if move_on {
        category.push(json!({ "objectType": "Activity", "id": vocab::CATEGORY_MOVE_ON }));
    }
    json!({
        "registration": registration,
        "contextActivities": {
            "category": category,
            "grouping": [{ "objectType": "Activity", "id": publisher_id }],
        },
        "extensions": { vocab::EXT_SESSION_ID: session_id },
    })
}

fn statement(
    id: &str,
    timestamp: &str,
    actor: &Actor,
    verb: Verb,
    object: Value,
    result: Option<Value>,
    context: Value,
) -> Value {
    let mut s = Map::new();
    s.insert("id".into(), id.into());
    s.insert("timestamp".into(), timestamp.into());
    s.insert("actor".into(), actor.to_json());
    s.insert(
        "verb".into(),
        json!({ "id": verb.iri(), "display": { "en": verb.word() } }),
    );
    s.insert("object".into(), object);
    if let Some(r) = result {
        s.insert("result".into(), r);
    }
    s.insert("context".into(), context);
    Value::Object(s)
}

/// An ISO 8601 duration in seconds to the hundredth, as xAPI durations are compared (xAPI Data 4.2.7).
pub fn iso_duration(d: Duration) -> String {
    let centis = d.as_millis() / 10;
    let (secs, frac) = (centis / 100, centis % 100);
    if frac == 0 {
        format!("PT{secs}S")
    } else {
        format!("PT{secs}.{frac:02}S")
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so any decoder (URLSearchParams,
/// decodeURIComponent) reads the value back exactly: a space is `%20`, never `+`.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The first launch parameter name the URL's own query already uses, if any (cmi5 8.1: names must not collide).
pub fn reserved_query_name(url: &str) -> Option<&'static str> {
    let query = url.split('#').next()?.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        LAUNCH_PARAMETER_NAMES.into_iter().find(|n| *n == name)
    })
}

/// 8-4-4-4-12 hexadecimal digits (xAPI's UUID form).
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
pub(crate) mod tests;
