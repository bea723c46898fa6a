//! The Context object (xAPI 1.0.3 Data 2.4.6), with 2.0's contextAgents and contextGroups.

use serde_json::Value;
use uuid::Uuid;

use crate::activity::validate_activity;
use crate::agent::{AgentKey, validate_actor, validate_agent, validate_group};
use crate::error::{Result, XapiError};
use crate::json::{Path, as_object, check_keys, field, opt_str, type_error};
use crate::statement::validate_statement_ref;
use crate::types::{check_extensions, check_language_tag, iri_value, uuid_value};
use crate::version::Version;

const CONTEXT_KEYS_1_0: [&str; 9] = [
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "revision",
    "platform",
    "language",
    "statement",
    "extensions",
];
const CONTEXT_KEYS_2_0: [&str; 11] = [
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "revision",
    "platform",
    "language",
    "statement",
    "extensions",
    "contextAgents",
    "contextGroups",
];
/// Data 2.4.6.2.s4.b1: the four context types.
pub(crate) const CONTEXT_ACTIVITY_KEYS: [&str; 4] = ["parent", "grouping", "category", "other"];

/// What the context contributes to the index.
#[derive(Debug, Default)]
pub(crate) struct ContextFacts {
    pub registration: Option<Uuid>,
    pub activities: Vec<String>,
    /// instructor, team, contextAgents and contextGroups, with Group members.
    pub agents: Vec<AgentKey>,
}

/// `object_is_activity`: revision and platform are only allowed when the statement's object is an Activity
/// (Data 2.4.6.s4.b1/b2).
pub(crate) fn validate_context(
    v: &Value,
    path: &Path<'_>,
    version: Version,
    object_is_activity: bool,
) -> Result<ContextFacts> {
    let m = as_object(v, path, "a Context object")?;
    if version == Version::V1_0_3 {
        for key in ["contextAgents", "contextGroups"] {
            if m.contains_key(key) {
                return Err(XapiError::new(
                    path.key(key),
                    "is an xAPI 2.0 property; send the statement with X-Experience-API-Version 2.0.0",
                ));
            }
        }
        check_keys(m, &CONTEXT_KEYS_1_0, path, "a Context")?;
    } else {
        check_keys(m, &CONTEXT_KEYS_2_0, path, "a Context")?;
    }
    let mut facts = ContextFacts::default();
    if let Some(r) = field(m, "registration", path)? {
        facts.registration = Some(uuid_value(r, &path.key("registration"))?);
    }
    // Data 2.4.6.s3 table: instructor is an Agent, and MAY be a Group.
    if let Some(i) = field(m, "instructor", path)? {
        facts.agents.extend(
            validate_actor(i, &path.key("instructor"))?
                .all_keys()
                .cloned(),
        );
    }
    // team is a Group, so it must say objectType "Group".
    if let Some(t) = field(m, "team", path)? {
        facts
            .agents
            .extend(validate_group(t, &path.key("team"))?.all_keys().cloned());
    }
    if let Some(ca) = field(m, "contextActivities", path)? {
        facts.activities = validate_context_activities(ca, &path.key("contextActivities"))?;
    }
    for key in ["revision", "platform"] {
        if opt_str(m, key, path)?.is_some() && !object_is_activity {
            return Err(XapiError::new(
                path.key(key),
                "is only allowed when the statement's object is an Activity",
            ));
        }
    }
    if let Some(lang) = opt_str(m, "language", path)? {
        check_language_tag(lang, &path.key("language"))?;
    }
    if let Some(s) = field(m, "statement", path)? {
        validate_statement_ref(s, &path.key("statement"))?;
    }
    if let Some(ext) = field(m, "extensions", path)? {
        check_extensions(ext, &path.key("extensions"))?;
    }
    if let Some(list) = field(m, "contextAgents", path)? {
        facts.agents.extend(validate_context_members(
            list,
            &path.key("contextAgents"),
            Member::Agent,
        )?);
    }
    if let Some(list) = field(m, "contextGroups", path)? {
        facts.agents.extend(validate_context_members(
            list,
            &path.key("contextGroups"),
            Member::Group,
        )?);
    }
    Ok(facts)
}

/// Data 2.4.6.2.s4: keys parent, grouping, category, other; each a single Activity or an array of Activities.
fn validate_context_activities(v: &Value, path: &Path<'_>) -> Result<Vec<String>> {
    let m = as_object(v, path, "a contextActivities object")?;
    check_keys(m, &CONTEXT_ACTIVITY_KEYS, path, "contextActivities")?;
    let mut ids = Vec::new();
    for key in CONTEXT_ACTIVITY_KEYS {
        let at = path.key(key);
        match field(m, key, path)? {
            None => {}
            Some(Value::Array(list)) => {
                for (i, a) in list.iter().enumerate() {
                    ids.push(validate_activity(a, &at.at(i))?.to_owned());
                }
            }
            Some(single @ Value::Object(_)) => ids.push(validate_activity(single, &at)?.to_owned()),
            Some(other) => {
                return Err(type_error(
                    &at,
                    "an Activity object or an array of Activity objects",
                    other,
                ));
            }
        }
    }
    Ok(ids)
}

#[derive(Clone, Copy)]
enum Member {
    Agent,
    Group,
}

/// 2.0 contextAgents / contextGroups: arrays of `{"objectType": "contextAgent", "agent": Agent, "relevantTypes": [IRI]}`
/// and `{"objectType": "contextGroup", "group": Group, "relevantTypes": [IRI]}`; relevantTypes, when given, holds at
/// least one IRI (the 2.0 conformance suite rejects an empty list).
fn validate_context_members(v: &Value, path: &Path<'_>, kind: Member) -> Result<Vec<AgentKey>> {
    let (object_type, key, what) = match kind {
        Member::Agent => ("contextAgent", "agent", "a contextAgent"),
        Member::Group => ("contextGroup", "group", "a contextGroup"),
    };
    let list = v
        .as_array()
        .ok_or_else(|| type_error(path, &format!("an array of {what} objects"), v))?;
    let mut keys = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let at = path.at(i);
        let m = as_object(item, &at, &format!("{what} object"))?;
        match opt_str(m, "objectType", &at)? {
            Some(t) if t == object_type => {}
            Some(t) => {
                return Err(XapiError::new(
                    at.key("objectType"),
                    format!("must be {object_type:?}, got {t:?}"),
                ));
            }
            None => {
                return Err(XapiError::new(
                    at.key("objectType"),
                    format!("is required and must be {object_type:?}"),
                ));
            }
        }
        check_keys(m, &["objectType", key, "relevantTypes"], &at, what)?;
        let who = field(m, key, &at)?
            .ok_or_else(|| XapiError::new(at.key(key), format!("is required in {what}")))?;
        let facts = match kind {
            Member::Agent => validate_agent(who, &at.key(key))?,
            Member::Group => validate_group(who, &at.key(key))?,
        };
        keys.extend(facts.all_keys().cloned());
        if let Some(types) = field(m, "relevantTypes", &at)? {
            let types_at = at.key("relevantTypes");
            let types = types
                .as_array()
                .ok_or_else(|| type_error(&types_at, "an array of IRIs", types))?;
            if types.is_empty() {
                return Err(XapiError::new(
                    types_at,
                    "must list at least one IRI when present",
                ));
            }
            for (j, t) in types.iter().enumerate() {
                iri_value(t, &types_at.at(j))?;
            }
        }
    }
    Ok(keys)
}

/// Data 2.4.6.2.s4.b3/b4: the LRS returns every contextActivities value as an array.
pub(crate) fn normalise_context_activities(context: &mut Value) {
    let Some(ca) = context
        .get_mut("contextActivities")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for key in CONTEXT_ACTIVITY_KEYS {
        if let Some(v) = ca.get_mut(key)
            && v.is_object()
        {
            *v = Value::Array(vec![v.take()]);
        }
    }
}
