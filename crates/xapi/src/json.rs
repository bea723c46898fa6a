//! Small helpers for walking JSON with a path, and a JSON parser that rejects duplicate keys.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Result, XapiError};

pub(crate) type Obj = Map<String, Value>;

/// `join("actor", "mbox")` is `actor.mbox`; `join("member", "[0]")` is `member[0]`.
pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else if key.is_empty() {
        prefix.to_owned()
    } else if key.starts_with('[') {
        format!("{prefix}{key}")
    } else {
        format!("{prefix}.{key}")
    }
}

pub(crate) fn index(prefix: &str, i: usize) -> String {
    format!("{prefix}[{i}]")
}

/// Where a value is in what is being validated, for error messages: `actor.mbox`, `context.team.member[0]`. A chain of
/// borrowed parts on the stack, turned into text only when an error names it (building a `String` for every value
/// checked was about a quarter of validation's samples in a profile).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub(crate) fn at(&'a self, i: usize) -> Path<'a> {
        Path::Index(self, i)
    }

    fn render(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Key(parent, key) => join(&parent.render(), key),
            Path::Index(parent, i) => index(&parent.render(), *i),
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// A short description of a value for messages: `null`, `true`, `12`, `"bob@x"`, `an array`, `an object`.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let mut shown: String = s.chars().take(80).collect();
            if shown.len() < s.len() {
                shown.push('…');
            }
            format!("{shown:?}")
        }
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

pub(crate) fn type_error(path: &Path<'_>, expected: &str, got: &Value) -> XapiError {
    if got.is_null() {
        // xAPI 1.0.3 Data 2.2.s4.b1.b1: no null values except inside extensions.
        XapiError::new(path, format!("must not be null (expected {expected})"))
    } else {
        XapiError::new(path, format!("must be {expected}, got {}", describe(got)))
    }
}

pub(crate) fn as_object<'a>(v: &'a Value, path: &Path<'_>, expected: &str) -> Result<&'a Obj> {
    v.as_object().ok_or_else(|| type_error(path, expected, v))
}

/// Rejects properties outside `allowed` (xAPI 1.0.3 Data 2.2.s4.b1.b5/b7 and 2.2.s4.b8; a SHALL in 2.0).
/// Keys are case-sensitive; a key differing only in case gets a hint.
pub(crate) fn check_keys(m: &Obj, allowed: &[&str], path: &Path<'_>, what: &str) -> Result<()> {
    for key in m.keys() {
        if allowed.contains(&key.as_str()) {
            continue;
        }
        let at = path.key(key);
        if let Some(right) = allowed.iter().find(|a| a.eq_ignore_ascii_case(key)) {
            return Err(XapiError::new(
                at,
                format!("unknown property; property names are case-sensitive, use {right:?}"),
            ));
        }
        return Err(XapiError::new(
            at,
            format!(
                "is not a property of {what} (allowed: {})",
                allowed.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The value of an optional property; present-but-null is an error.
pub(crate) fn field<'a>(m: &'a Obj, key: &str, path: &Path<'_>) -> Result<Option<&'a Value>> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::Null) => Err(XapiError::new(path.key(key), "must not be null")),
        Some(v) => Ok(Some(v)),
    }
}

pub(crate) fn required<'a>(
    m: &'a Obj,
    key: &str,
    path: &Path<'_>,
    what: &str,
) -> Result<&'a Value> {
    field(m, key, path)?
        .ok_or_else(|| XapiError::new(path.key(key), format!("is required in {what}")))
}

pub(crate) fn opt_str<'a>(m: &'a Obj, key: &str, path: &Path<'_>) -> Result<Option<&'a str>> {
    match field(m, key, path)? {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(type_error(&path.key(key), "a string", v)),
    }
}

pub(crate) fn req_str<'a>(m: &'a Obj, key: &str, path: &Path<'_>, what: &str) -> Result<&'a str> {
    let v = required(m, key, path, what)?;
    v.as_str()
        .ok_or_else(|| type_error(&path.key(key), "a string", v))
}

pub(crate) fn opt_bool(m: &Obj, key: &str, path: &Path<'_>) -> Result<Option<bool>> {
    match field(m, key, path)? {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        // xAPI 1.0.3 Data 2.2.s4.b1.b3: "true" as a string is not a boolean.
        Some(v) => Err(type_error(&path.key(key), "a boolean (true or false)", v)),
    }
}

pub(crate) fn opt_number(m: &Obj, key: &str, path: &Path<'_>) -> Result<Option<f64>> {
    match field(m, key, path)? {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        // xAPI 1.0.3 Data 2.2.s4.b1.b2: "100" as a string is not a number.
        Some(v) => Err(type_error(&path.key(key), "a number", v)),
    }
}

pub(crate) fn opt_array<'a>(
    m: &'a Obj,
    key: &str,
    path: &Path<'_>,
) -> Result<Option<&'a Vec<Value>>> {
    match field(m, key, path)? {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(v) => Err(type_error(&path.key(key), "an array", v)),
    }
}

/// Parses a JSON body, rejecting an object that uses the same key twice.
///
/// xAPI 1.0.3 Data 2.2.s2.b2: a Statement must use each property no more than once (the conformance suite checks it,
/// XAPI-00021). A plain `serde_json::from_slice` keeps the last value silently, so call this on statement bodies.
pub fn parse_json(bytes: &[u8]) -> Result<Value> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = StrictValue
        .deserialize(&mut de)
        .map_err(|e| match DuplicateKey::from_error(&e) {
            Some(d) => XapiError::new(d.path, "property appears more than once"),
            None => XapiError::new("", format!("not valid JSON: {e}")),
        })?;
    de.end()
        .map_err(|e| XapiError::new("", format!("not valid JSON: {e}")))?;
    Ok(v)
}

/// The parser's seed. It carries no path: a path is put together only when a duplicate key is found, as the error
/// travels out through the enclosing objects and arrays (building one for every value cost more than the parse).
struct StrictValue;

const DUPLICATE_MARK: &str = "\u{0}duplicate key at \u{0}";

struct DuplicateKey {
    path: String,
}

impl DuplicateKey {
    fn from_error(e: &impl fmt::Display) -> Option<DuplicateKey> {
        let text = e.to_string();
        let rest = text.strip_prefix(DUPLICATE_MARK)?;
        let end = rest.find('\u{0}')?;
        Some(DuplicateKey {
            path: rest[..end].to_owned(),
        })
    }
}

fn duplicate<E: de::Error>(path: &str) -> E {
    E::custom(format!("{DUPLICATE_MARK}{path}\u{0}"))
}

/// A duplicate-key error from inside `key` (a property name, or `[i]`) gets `key` in front of its path.
fn nested<E: de::Error>(e: E, key: &str) -> E {
    match DuplicateKey::from_error(&e) {
        Some(d) => duplicate(&join(key, &d.path)),
        None => e,
    }
}

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            match seq.next_element_seed(StrictValue) {
                Ok(Some(v)) => out.push(v),
                Ok(None) => break,
                Err(e) => return Err(nested(e, &index("", out.len()))),
            }
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(duplicate(&key));
            }
            let v = map
                .next_value_seed(StrictValue)
                .map_err(|e| nested(e, &key))?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}
