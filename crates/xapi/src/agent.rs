//! Agents, Groups and their inverse functional identifiers (xAPI 1.0.3 Data 2.4.2), the `agent` parameter, and the
//! Person object of the Agents resource (Communication 2.4).

use std::fmt;

use serde_json::{Map, Value, json};

use crate::error::{Result, XapiError};
use crate::json::{
    Obj, Path, as_object, check_keys, field, opt_array, opt_str, parse_json, req_str, type_error,
};
use crate::types::{check_iri, iri_value, irl_value};

/// The canonical inverse functional identifier of an Agent or identified Group, as one stable string:
/// `mbox:mailto:bob@example.com` (domain lowercased, since it is case-insensitive: Data 2.4.2.3.s4.b1),
/// `mbox_sha1sum:<lowercase hex>`, `openid:<iri>` or `account:<homePage>|<name>` (`|` cannot occur in an IRI).
/// Equal identifiers give equal keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentKey(pub String);

impl AgentKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The email address of an `mbox` identifier (without `mailto:`; the domain lowercased).
    pub fn mbox(&self) -> Option<&str> {
        self.0.strip_prefix("mbox:mailto:")
    }

    /// The home page and name of an `account` identifier.
    pub fn account(&self) -> Option<(&str, &str)> {
        self.0.strip_prefix("account:")?.split_once('|')
    }
}

impl fmt::Display for AgentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) const IFIS: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];
const AGENT_KEYS: [&str; 6] = [
    "objectType",
    "name",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
];
const GROUP_KEYS: [&str; 7] = [
    "objectType",
    "name",
    "member",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
];

/// What validating an Agent or Group taught us: its key (none for an anonymous Group) and its members' keys.
#[derive(Debug, Clone, Default)]
pub(crate) struct ActorFacts {
    pub key: Option<AgentKey>,
    pub members: Vec<AgentKey>,
    pub is_group: bool,
}

impl ActorFacts {
    /// The key and the members' keys: what an `agent` filter can match.
    pub fn all_keys(&self) -> impl Iterator<Item = &AgentKey> {
        self.key.iter().chain(self.members.iter())
    }
}

/// An Agent or a Group, told apart by `objectType` (absent means Agent).
pub(crate) fn validate_actor(v: &Value, path: &Path<'_>) -> Result<ActorFacts> {
    let m = as_object(v, path, "an Agent or Group object")?;
    match opt_str(m, "objectType", path)? {
        None | Some("Agent") => validate_agent(v, path),
        Some("Group") => validate_group(v, path),
        Some(other) => Err(XapiError::new(
            path.key("objectType"),
            format!("must be \"Agent\" or \"Group\" (case-sensitive), got {other:?}"),
        )),
    }
}

/// An Agent: exactly one IFI (Data 2.4.2.1.s2.b1/b2), optional name, `objectType` "Agent" if present.
pub(crate) fn validate_agent(v: &Value, path: &Path<'_>) -> Result<ActorFacts> {
    let m = as_object(v, path, "an Agent object")?;
    if let Some(t) = opt_str(m, "objectType", path)? {
        if t == "Group" {
            return Err(XapiError::new(
                path.key("objectType"),
                "must be an Agent here, not a Group",
            ));
        }
        if t != "Agent" {
            return Err(XapiError::new(
                path.key("objectType"),
                format!("must be \"Agent\", got {t:?}"),
            ));
        }
    }
    if m.contains_key("member") && !m.contains_key("objectType") {
        return Err(XapiError::new(
            path.key("objectType"),
            "is required for a Group: add \"objectType\": \"Group\"",
        ));
    }
    check_keys(m, &AGENT_KEYS, path, "an Agent")?;
    opt_str(m, "name", path)?;
    let key = ifi(m, path)?.ok_or_else(|| {
        XapiError::new(path, "an Agent must have exactly one identifier (mbox, mbox_sha1sum, openid or account), found none")
    })?;
    Ok(ActorFacts {
        key: Some(key),
        members: Vec::new(),
        is_group: false,
    })
}

/// A Group: `objectType` "Group" is required; an identified Group has exactly one IFI, an anonymous Group has none and
/// must list members; members are Agents, never Groups (Data 2.4.2.2.s4, s5).
pub(crate) fn validate_group(v: &Value, path: &Path<'_>) -> Result<ActorFacts> {
    let m = as_object(v, path, "a Group object")?;
    match opt_str(m, "objectType", path)? {
        Some("Group") => {}
        Some(t) => {
            return Err(XapiError::new(
                path.key("objectType"),
                format!("must be \"Group\", got {t:?}"),
            ));
        }
        None => {
            return Err(XapiError::new(
                path.key("objectType"),
                "is required for a Group and must be \"Group\"",
            ));
        }
    }
    check_keys(m, &GROUP_KEYS, path, "a Group")?;
    opt_str(m, "name", path)?;
    let key = ifi(m, path)?;
    let mut members = Vec::new();
    let member_path = path.key("member");
    if let Some(list) = opt_array(m, "member", path)? {
        for (i, agent) in list.iter().enumerate() {
            let at = member_path.at(i);
            if agent.get("objectType").and_then(Value::as_str) == Some("Group") {
                return Err(XapiError::new(
                    at.key("objectType"),
                    "a Group's members must be Agents; Groups cannot be nested",
                ));
            }
            members.extend(validate_agent(agent, &at)?.key);
        }
    }
    if key.is_none() && members.is_empty() {
        return Err(XapiError::new(
            member_path,
            "an anonymous Group (one without mbox, mbox_sha1sum, openid or account) must list at least one member",
        ));
    }
    Ok(ActorFacts {
        key,
        members,
        is_group: true,
    })
}

/// A statement's authority: an Agent, or for 3-legged OAuth an anonymous Group of exactly two Agents (the application
/// and the user) (Data 2.4.9.s3.b1; conformance XAPI-00098 also rejects identified Groups).
pub(crate) fn validate_authority(v: &Value, path: &Path<'_>) -> Result<ActorFacts> {
    let facts = validate_actor(v, path)?;
    if facts.is_group {
        if facts.key.is_some() {
            return Err(XapiError::new(
                path,
                "an authority Group stands for an OAuth application and user and must be an anonymous Group of two Agents, without its own identifier",
            ));
        }
        let n = v
            .get("member")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if n != 2 {
            return Err(XapiError::new(
                path.key("member"),
                format!(
                    "an authority Group must have exactly two Agents (the OAuth application and the user), found {n}"
                ),
            ));
        }
    }
    Ok(facts)
}

/// Checks the IFIs present; more than one is an error; returns the key of the one there is.
fn ifi(m: &Obj, path: &Path<'_>) -> Result<Option<AgentKey>> {
    let present: Vec<&str> = IFIS
        .iter()
        .copied()
        .filter(|k| m.contains_key(*k))
        .collect();
    if present.len() > 1 {
        return Err(XapiError::new(
            path,
            format!(
                "must have exactly one identifier, found {}: {}",
                present.len(),
                present.join(", ")
            ),
        ));
    }
    let Some(&which) = present.first() else {
        return Ok(None);
    };
    let at = path.key(which);
    let v = field(m, which, path)?.expect("present");
    let key = match which {
        "mbox" => mbox_key(v, &at)?,
        "mbox_sha1sum" => {
            let s = v
                .as_str()
                .ok_or_else(|| type_error(&at, "a string of 40 hex digits", v))?;
            if s.len() != 40 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(XapiError::new(
                    at,
                    format!("must be the hex SHA-1 of a mailto IRI (40 hex digits), got {s:?}"),
                ));
            }
            format!("mbox_sha1sum:{}", s.to_ascii_lowercase())
        }
        "openid" => format!("openid:{}", iri_value(v, &at)?),
        _ => {
            let a = as_object(v, &at, "an account object with homePage and name")?;
            check_keys(a, &["homePage", "name"], &at, "an account")?;
            let home = field(a, "homePage", &at)?
                .ok_or_else(|| XapiError::new(at.key("homePage"), "is required in an account"))?;
            let home = irl_value(home, &at.key("homePage"))?;
            let name = req_str(a, "name", &at, "an account")?;
            format!("account:{home}|{name}")
        }
    };
    Ok(Some(AgentKey(key)))
}

/// `mailto:local@domain` (Data 2.4.2.3.s3 table: "mailto IRI"); the key lowercases the domain only.
fn mbox_key(v: &Value, path: &Path<'_>) -> Result<String> {
    let s = v
        .as_str()
        .ok_or_else(|| type_error(path, "a mailto: IRI string", v))?;
    let bad = || XapiError::new(path, format!("must be a mailto: IRI, got {s:?}"));
    let address = s.strip_prefix("mailto:").ok_or_else(bad)?;
    let (local, domain) = address.rsplit_once('@').ok_or_else(bad)?;
    if local.is_empty() || domain.is_empty() || domain.contains(['?', '#']) {
        return Err(bad());
    }
    check_iri(s, path).map_err(|_| bad())?;
    Ok(format!("mbox:mailto:{local}@{}", domain.to_lowercase()))
}

/// The key of an Agent or identified Group; an anonymous Group has none and is an error.
pub fn agent_key(v: &Value) -> Result<AgentKey> {
    let facts = validate_actor(v, &Path::Root)?;
    facts.key.ok_or_else(|| {
        XapiError::new(
            "",
            "an anonymous Group has no identifier, so it cannot be used as a key",
        )
    })
}

/// Parses the `agent` parameter (a JSON string, not quoted further) of GET statements and the document resources.
///
/// It is validated like an Agent in a statement (Data 2.2.s4.b4). Agents and identified Groups are accepted, since an
/// identified Group's IFI may be used in an Agent parameter (2.0 notes this for the document resources); an anonymous
/// Group is rejected. The returned JSON is the parameter as sent, for storing or for a Person object.
pub fn parse_agent_param(s: &str, _version: crate::Version) -> Result<(AgentKey, Value)> {
    let v = parse_json(s.as_bytes()).map_err(|e| {
        XapiError::new(
            "agent",
            format!("must be a JSON Agent object: {}", e.message),
        )
    })?;
    let facts = validate_actor(&v, &Path::Root.key("agent"))?;
    let key = facts.key.ok_or_else(|| {
        XapiError::new(
            "agent",
            "must be an Agent or an identified Group; an anonymous Group cannot be looked up",
        )
    })?;
    Ok((key, v))
}

/// The Person object for the Agents known under one IFI (Communication 2.4.s5): `objectType` "Person" and arrays of
/// the names and identifiers seen, each listed once, in the order first seen. Empty lists are left out.
pub fn person_object(agents: &[Value]) -> Value {
    let mut lists: [(&str, Vec<Value>); 5] = [
        ("name", vec![]),
        ("mbox", vec![]),
        ("mbox_sha1sum", vec![]),
        ("openid", vec![]),
        ("account", vec![]),
    ];
    for agent in agents.iter().filter_map(Value::as_object) {
        for (key, list) in &mut lists {
            if let Some(v) = agent.get(*key).filter(|v| !v.is_null()) {
                let v = if *key == "account" {
                    // Keep just the two defined properties, so equal accounts compare equal.
                    json!({ "homePage": v.get("homePage"), "name": v.get("name") })
                } else {
                    v.clone()
                };
                if !list.contains(&v) {
                    list.push(v);
                }
            }
        }
    }
    let mut person = Map::new();
    person.insert("objectType".into(), Value::from("Person"));
    for (key, list) in lists {
        if !list.is_empty() {
            person.insert(key.into(), Value::Array(list));
        }
    }
    Value::Object(person)
}
