//! Statements and SubStatements (xAPI 1.0.3 Data 2.2-2.4): validation, and preparing a received statement for
//! storage with the properties the LRS sets and the facts the store indexes.

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::activity::validate_activity;
use crate::agent::{
    ActorFacts, AgentKey, IFIS, validate_actor, validate_agent, validate_authority, validate_group,
};
use crate::attachment::{AttachmentRef, validate_attachments};
use crate::context::{ContextFacts, normalise_context_activities, validate_context};
use crate::error::{Result, XapiError};
use crate::json::{Obj, Path, as_object, check_keys, field, opt_str, type_error};
use crate::result::validate_result;
use crate::types::{check_language_map, format_timestamp, iri_value, timestamp_value, uuid_value};
use crate::version::Version;

/// Data 2.3.2: the reserved verb for voiding a statement.
pub const VOIDED_VERB: &str = "http://adlnet.gov/expapi/verbs/voided";

const STATEMENT_KEYS: [&str; 11] = [
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
];
const SUBSTATEMENT_KEYS: [&str; 8] = [
    "objectType",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "attachments",
];
const OBJECT_TYPES: &str =
    "\"Activity\", \"Agent\", \"Group\", \"StatementRef\" or \"SubStatement\"";

/// What the LRS supplies when it stores a statement; the crate reads no clock and makes no ids.
#[derive(Debug, Clone)]
pub struct PrepareContext {
    /// The id to give a statement that has none (Data 2.4.1.s2.b1).
    pub new_id: Uuid,
    /// When the statement is stored (Data 2.4.8); kept to the millisecond.
    pub stored: DateTime<Utc>,
    /// The Agent or Group of the client credential; it replaces any authority sent (Data 2.4.9.s3.b4).
    pub authority: Authority,
}

/// A client credential's authority, checked once rather than with every statement it stores.
#[derive(Debug, Clone)]
pub struct Authority {
    value: Value,
    facts: ActorFacts,
}

impl Authority {
    /// Fails, naming the fault, when the value is not an Agent or an OAuth pair Group (Data 2.4.9.s3.b1).
    pub fn new(value: Value) -> Result<Self> {
        let facts = validate_authority(&value, &Path::Root.key("authority")).map_err(|e| {
            XapiError::new(
                e.path,
                format!("the credential's authority is not valid: {}", e.message),
            )
        })?;
        Ok(Authority { value, facts })
    }
}

/// A statement ready to store: the JSON to keep and return ("exact"), and what to index.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: Uuid,
    pub statement: Value,
    pub index: StatementIndex,
}

/// The facts the store indexes for queries (Communication 2.1.3).
#[derive(Debug, Clone)]
pub struct StatementIndex {
    /// The actor's key. An anonymous Group has no IFI and is distinct from every other Group (Data 2.4.2.2.s3.b1), so
    /// it gets `anonymous-group:<statement id>`, which no `agent` parameter can match; its members are in `agents`.
    pub actor: AgentKey,
    pub verb: String,
    pub object_activity: Option<String>,
    /// The object's key when it is an Agent or identified Group.
    pub object_agent: Option<AgentKey>,
    /// The object's id when it is a StatementRef.
    pub statement_ref: Option<Uuid>,
    /// The voided statement's id when the verb is `voided`.
    pub voids: Option<Uuid>,
    pub registration: Option<Uuid>,
    /// What the plain `agent` filter matches: the actor and object (Agents or identified Groups) and the members of
    /// actor and object Groups (Communication 2.1.3.s1 table, `agent`). Deduplicated.
    pub agents: Vec<AgentKey>,
    /// For `related_activities=true`: the object, all context activities, and the same in a SubStatement.
    pub related_activities: Vec<String>,
    /// For `related_agents=true`: `agents` plus authority, instructor, team, 2.0 contextAgents and contextGroups (with
    /// Group members), and the same in a SubStatement.
    pub related_agents: Vec<AgentKey>,
    pub timestamp: DateTime<Utc>,
    pub stored: DateTime<Utc>,
    /// The statement's attachments, then any SubStatement's.
    pub attachments: Vec<AttachmentRef>,
}

#[derive(Debug)]
struct Facts {
    id: Option<Uuid>,
    actor: ActorFacts,
    verb: String,
    object: ObjectFacts,
    context: ContextFacts,
    timestamp: Option<DateTime<Utc>>,
    attachments: Vec<AttachmentRef>,
}

#[derive(Debug)]
enum ObjectFacts {
    Activity(String),
    Actor(ActorFacts),
    StatementRef(Uuid),
    SubStatement(Box<Facts>),
}

/// Checks one statement as received under `version`, without preparing it.
pub fn validate_statement(raw: &Value, version: Version) -> Result<()> {
    let m = raw
        .as_object()
        .ok_or_else(|| type_error(&Path::Root, "a Statement object", raw))?;
    validate_body(m, &Path::Root, version, false).map(|_| ())
}

/// Validates one statement as received and returns it ready to store.
///
/// The LRS's properties are set as the spec requires: `id` when missing (Data 2.4.1.s2.b1), `stored` always
/// (2.4.8.s3.b2), `authority` always, from the credential (2.4.9.s3.b4), `version` when missing (2.4.10.s3.b3: "1.0.0"
/// for 1.0.3, "2.0.0" for 2.0) and `timestamp` = `stored` when missing (2.4.7.s3.b2). Single contextActivities are
/// returned as arrays (2.4.6.2.s4.b3). Nothing else is changed: the rest is what the client sent.
pub fn prepare(raw: Value, version: Version, ctx: &PrepareContext) -> Result<Prepared> {
    let m = raw
        .as_object()
        .ok_or_else(|| type_error(&Path::Root, "a Statement object", &raw))?;
    let facts = validate_body(m, &Path::Root, version, false)?;

    let id = facts.id.unwrap_or(ctx.new_id);
    let stored = ctx.stored.trunc_subsecs(3);
    let stored_text = format_timestamp(stored);

    let mut statement = raw;
    let out = statement.as_object_mut().expect("checked to be an object");
    out.entry("id")
        .or_insert_with(|| Value::from(id.hyphenated().to_string()));
    out.insert("stored".into(), Value::from(stored_text.clone()));
    out.insert("authority".into(), ctx.authority.value.clone());
    out.entry("version")
        .or_insert_with(|| Value::from(version.default_statement_version()));
    let timestamp = match facts.timestamp {
        Some(t) => t,
        None => {
            out.insert("timestamp".into(), Value::from(stored_text));
            stored
        }
    };
    if let Some(c) = out.get_mut("context") {
        normalise_context_activities(c);
    }
    if let Some(c) = out.get_mut("object").and_then(|o| o.get_mut("context")) {
        normalise_context_activities(c);
    }

    let index = build_index(id, &facts, &ctx.authority.facts, timestamp, stored);
    Ok(Prepared {
        id,
        statement,
        index,
    })
}

fn build_index(
    id: Uuid,
    facts: &Facts,
    authority: &ActorFacts,
    timestamp: DateTime<Utc>,
    stored: DateTime<Utc>,
) -> StatementIndex {
    let mut agents = Vec::new();
    let mut related_activities = Vec::new();
    let mut related_agents = Vec::new();
    let mut attachments = facts.attachments.clone();

    agents.extend(facts.actor.all_keys().cloned());
    let (mut object_activity, mut object_agent, mut statement_ref) = (None, None, None);
    match &facts.object {
        ObjectFacts::Activity(a) => {
            object_activity = Some(a.clone());
            related_activities.push(a.clone());
        }
        ObjectFacts::Actor(a) => {
            object_agent = a.key.clone();
            agents.extend(a.all_keys().cloned());
        }
        ObjectFacts::StatementRef(r) => statement_ref = Some(*r),
        ObjectFacts::SubStatement(sub) => {
            related_agents.extend(sub.actor.all_keys().cloned());
            match &sub.object {
                ObjectFacts::Activity(a) => related_activities.push(a.clone()),
                ObjectFacts::Actor(a) => related_agents.extend(a.all_keys().cloned()),
                ObjectFacts::StatementRef(_) | ObjectFacts::SubStatement(_) => {}
            }
            related_activities.extend(sub.context.activities.iter().cloned());
            related_agents.extend(sub.context.agents.iter().cloned());
            attachments.extend(sub.attachments.iter().cloned());
        }
    }
    related_activities.extend(facts.context.activities.iter().cloned());
    let mut all_agents = agents.clone();
    all_agents.extend(authority.all_keys().cloned());
    all_agents.extend(facts.context.agents.iter().cloned());
    all_agents.append(&mut related_agents);

    StatementIndex {
        actor: facts
            .actor
            .key
            .clone()
            .unwrap_or_else(|| AgentKey(format!("anonymous-group:{id}"))),
        verb: facts.verb.clone(),
        object_activity,
        object_agent,
        statement_ref,
        voids: if facts.verb == VOIDED_VERB {
            statement_ref
        } else {
            None
        },
        registration: facts.context.registration,
        agents: dedup(agents),
        related_activities: dedup(related_activities),
        related_agents: dedup(all_agents),
        timestamp,
        stored,
        attachments,
    }
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The properties shared by Statements and SubStatements (Data 2.4.4.3.s8.b2: a SubStatement is validated as a
/// Statement too).
fn validate_body(m: &Obj, path: &Path<'_>, version: Version, sub: bool) -> Result<Facts> {
    if sub {
        // Data 2.4.4.3.s8.b3.
        for key in ["id", "stored", "version", "authority"] {
            if m.contains_key(key) {
                return Err(XapiError::new(
                    path.key(key),
                    "is not allowed in a SubStatement",
                ));
            }
        }
        check_keys(m, &SUBSTATEMENT_KEYS, path, "a SubStatement")?;
    } else {
        check_keys(m, &STATEMENT_KEYS, path, "a Statement")?;
    }

    let id = match field(m, "id", path)? {
        Some(v) => Some(uuid_value(v, &path.key("id"))?),
        None => None,
    };
    // Data 2.2.s2.b3: actor, verb and object are required.
    let what = if sub { "a SubStatement" } else { "a Statement" };
    let actor_v = field(m, "actor", path)?
        .ok_or_else(|| XapiError::new(path.key("actor"), format!("is required in {what}")))?;
    let actor = validate_actor(actor_v, &path.key("actor"))?;
    let verb_v = field(m, "verb", path)?
        .ok_or_else(|| XapiError::new(path.key("verb"), format!("is required in {what}")))?;
    let verb = validate_verb(verb_v, &path.key("verb"))?;
    let object_v = field(m, "object", path)?
        .ok_or_else(|| XapiError::new(path.key("object"), format!("is required in {what}")))?;
    let object_path = path.key("object");
    let object = validate_object(object_v, &object_path, version, sub)?;

    // Data 2.3.2.s2.b1/b2: a voiding statement's object is a StatementRef to the voided statement.
    if !sub && verb == VOIDED_VERB && !matches!(object, ObjectFacts::StatementRef(_)) {
        return Err(XapiError::new(
            object_path,
            format!(
                "a voiding statement (verb {VOIDED_VERB}) must have a StatementRef object naming the voided statement"
            ),
        ));
    }

    if let Some(r) = field(m, "result", path)? {
        validate_result(r, &path.key("result"))?;
    }
    let context = match field(m, "context", path)? {
        Some(c) => validate_context(
            c,
            &path.key("context"),
            version,
            matches!(object, ObjectFacts::Activity(_)),
        )?,
        None => ContextFacts::default(),
    };
    let timestamp = match field(m, "timestamp", path)? {
        Some(t) => Some(timestamp_value(t, &path.key("timestamp"), version)?),
        None => None,
    };
    if !sub {
        // Data 2.4.8.s3.b2: validate, then overwrite.
        if let Some(s) = field(m, "stored", path)? {
            timestamp_value(s, &path.key("stored"), version)?;
        }
        if let Some(a) = field(m, "authority", path)? {
            validate_authority(a, &path.key("authority"))?;
        }
        if let Some(v) = opt_str(m, "version", path)?
            && !version.accepts_statement_version(v)
        {
            let allowed = match version {
                Version::V1_0_3 => "\"1.0\" or \"1.0.x\"",
                Version::V2_0_0 => "\"1.0\", \"1.0.x\", \"2.0\" or \"2.0.x\"",
            };
            return Err(XapiError::new(
                path.key("version"),
                format!("must be {allowed}, got {v:?}"),
            ));
        }
    }
    let attachments = match field(m, "attachments", path)? {
        Some(a) => validate_attachments(a, &path.key("attachments"))?,
        None => Vec::new(),
    };
    Ok(Facts {
        id,
        actor,
        verb: verb.to_owned(),
        object,
        context,
        timestamp,
        attachments,
    })
}

/// A Verb: `id` an IRI (required), `display` a language map (Data 2.4.3.s3).
fn validate_verb<'a>(v: &'a Value, path: &Path<'_>) -> Result<&'a str> {
    let m = as_object(v, path, "a Verb object")?;
    check_keys(m, &["id", "display"], path, "a Verb")?;
    let id = field(m, "id", path)?
        .ok_or_else(|| XapiError::new(path.key("id"), "is required in a Verb"))?;
    let id = iri_value(id, &path.key("id"))?;
    if let Some(d) = field(m, "display", path)? {
        check_language_map(d, &path.key("display"))?;
    }
    Ok(id)
}

/// The statement's object, by `objectType` (Data 2.4.4.s2: absent means Activity). Agents and Groups as objects must
/// say so (2.4.4.2.s1.b1); a SubStatement cannot hold another (2.4.4.3.s8.b4).
fn validate_object(
    v: &Value,
    path: &Path<'_>,
    version: Version,
    in_sub: bool,
) -> Result<ObjectFacts> {
    let m = as_object(v, path, &format!("an object ({OBJECT_TYPES})"))?;
    let object_type = opt_str(m, "objectType", path)?;
    if object_type.is_none()
        && (IFIS.iter().any(|k| m.contains_key(*k)) || m.contains_key("member"))
    {
        return Err(XapiError::new(
            path.key("objectType"),
            "is required for an Agent or Group as the object; without it the object is an Activity",
        ));
    }
    match object_type {
        None | Some("Activity") => Ok(ObjectFacts::Activity(
            validate_activity(v, path)?.to_owned(),
        )),
        Some("Agent") => Ok(ObjectFacts::Actor(validate_agent(v, path)?)),
        Some("Group") => Ok(ObjectFacts::Actor(validate_group(v, path)?)),
        Some("StatementRef") => Ok(ObjectFacts::StatementRef(validate_statement_ref(v, path)?)),
        Some("SubStatement") if in_sub => Err(XapiError::new(
            path.key("objectType"),
            "a SubStatement cannot contain another SubStatement",
        )),
        Some("SubStatement") => Ok(ObjectFacts::SubStatement(Box::new(validate_body(
            m, path, version, true,
        )?))),
        Some(other) => Err(XapiError::new(
            path.key("objectType"),
            format!("must be {OBJECT_TYPES}, got {other:?}"),
        )),
    }
}

/// A Statement Reference: `objectType` "StatementRef" (required) and the UUID `id` of a statement
/// (Data 2.4.4.3.s4.b1/b2); the LRS need not know the statement.
pub(crate) fn validate_statement_ref(v: &Value, path: &Path<'_>) -> Result<Uuid> {
    let m = as_object(v, path, "a StatementRef object")?;
    match opt_str(m, "objectType", path)? {
        Some("StatementRef") => {}
        Some(t) => {
            return Err(XapiError::new(
                path.key("objectType"),
                format!("must be \"StatementRef\", got {t:?}"),
            ));
        }
        None => {
            return Err(XapiError::new(
                path.key("objectType"),
                "is required and must be \"StatementRef\"",
            ));
        }
    }
    check_keys(m, &["objectType", "id"], path, "a StatementRef")?;
    let id = field(m, "id", path)?
        .ok_or_else(|| XapiError::new(path.key("id"), "is required in a StatementRef"))?;
    uuid_value(id, &path.key("id"))
}
