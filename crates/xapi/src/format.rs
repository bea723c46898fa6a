//! The `format` parameter of GET statements (Communication 2.1.3.s1 table) and language filtering for the canonical
//! format (2.1.3.s4).

use serde_json::{Map, Value};

use crate::agent::IFIS;
use crate::context::CONTEXT_ACTIVITY_KEYS;
use crate::error::{Result, XapiError};

/// How to render statements on the way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Only what identifies Agents, Groups, Activities and Verbs.
    Ids,
    /// As received (the default).
    #[default]
    Exact,
    /// Activities and Verbs with the LRS's canonical definitions, one language per language map.
    Canonical,
}

impl Format {
    /// The parameter's value; case-sensitive like every enumerated value in xAPI (Data 2.2.s4.b1.b6).
    pub fn parse(s: &str) -> Result<Format> {
        match s {
            "ids" => Ok(Format::Ids),
            "exact" => Ok(Format::Exact),
            "canonical" => Ok(Format::Canonical),
            _ => Err(XapiError::new(
                "format",
                format!("must be \"ids\", \"exact\" or \"canonical\", got {s:?}"),
            )),
        }
    }
}

/// Parses an Accept-Language header into language ranges, most preferred first (RFC 2616 14.4: ranges with
/// `q` values, default 1, stable for equal `q`). Ranges with `q=0` (not acceptable) and malformed entries are dropped.
pub fn accept_languages(header: &str) -> Vec<String> {
    let mut ranges: Vec<(u16, String)> = Vec::new();
    for item in header.split(',') {
        let mut parts = item.split(';');
        let range = parts.next().unwrap_or_default().trim();
        if !is_language_range(range) {
            continue;
        }
        let mut q = 1000u16;
        let mut valid = true;
        for param in parts {
            match param.trim().split_once('=') {
                Some((name, value)) if name.trim().eq_ignore_ascii_case("q") => {
                    match parse_q(value.trim()) {
                        Some(v) => q = v,
                        None => valid = false,
                    }
                }
                _ => {}
            }
        }
        if valid && q > 0 {
            ranges.push((q, range.to_owned()));
        }
    }
    ranges.sort_by_key(|r| std::cmp::Reverse(r.0));
    ranges.into_iter().map(|(_, r)| r).collect()
}

/// `*` or 1*8ALPHA *("-" 1*8alphanum).
fn is_language_range(s: &str) -> bool {
    if s == "*" {
        return true;
    }
    let mut subtags = s.split('-');
    let first_ok = subtags
        .next()
        .is_some_and(|t| (1..=8).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && subtags
            .all(|t| (1..=8).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// qvalue = ("0" ["." 0*3DIGIT]) | ("1" ["." 0*3("0")]), in thousandths.
fn parse_q(s: &str) -> Option<u16> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value: u16 = format!("{frac:0<3}").parse().ok()?;
    match whole {
        "0" => Some(frac_value),
        "1" if frac_value == 0 => Some(1000),
        _ => None,
    }
}

/// The key of the entry in a language map that best fits the ranges.
///
/// First RFC 2616 matching: for each range in order, a tag equal to it or starting with it and "-" (case-insensitive);
/// `*` matches anything. Then RFC 4647 lookup: each range cut back a subtag at a time ("en-GB" then "en"). Then `und`
/// (undetermined), then the first key in order, so a map never comes back empty.
pub fn best_language<'a>(keys: &[&'a str], ranges: &[String]) -> Option<&'a str> {
    for range in ranges {
        if range == "*" {
            return keys.first().copied();
        }
        if let Some(k) = keys.iter().find(|k| k.eq_ignore_ascii_case(range)) {
            return Some(k);
        }
        let prefix = format!("{}-", range.to_ascii_lowercase());
        if let Some(k) = keys
            .iter()
            .find(|k| k.to_ascii_lowercase().starts_with(&prefix))
        {
            return Some(k);
        }
    }
    for range in ranges {
        let mut cut = range.as_str();
        while let Some((shorter, _)) = cut.rsplit_once('-') {
            cut = shorter;
            if let Some(k) = keys.iter().find(|k| k.eq_ignore_ascii_case(cut)) {
                return Some(k);
            }
        }
    }
    keys.iter()
        .find(|k| k.eq_ignore_ascii_case("und"))
        .or_else(|| keys.first())
        .copied()
}

/// Renders a stored statement in a format.
///
/// - `Exact`: unchanged.
/// - `Ids`: Agents and identified Groups reduced to `objectType` (when present) and their IFI; anonymous Groups to
///   `objectType` and their members reduced the same way; Activities to their `id` alone; Verbs to
///   `id` (2.0 makes leaving out `display` a SHALL). This applies everywhere they occur: actor, object, authority,
///   context and a SubStatement.
/// - `Canonical`: every language map of Activity definitions (name, description, interaction components) and Verb
///   displays reduced to the one language that best fits `languages` (see [`best_language`]); Agents and Groups as in
///   `Exact`. Use [`format_statement_with`] to also put in the LRS's canonical Activity definitions.
pub fn format_statement(stmt: &Value, format: Format, languages: &[String]) -> Value {
    format_statement_with(stmt, format, languages, &|_| None)
}

/// As [`format_statement`]; for `Canonical`, `canonical_definition(activity_id)` gives the LRS's canonical definition
/// of an Activity, which replaces the one in the statement (Communication 2.1.3.s1 table, `canonical`).
pub fn format_statement_with(
    stmt: &Value,
    format: Format,
    languages: &[String],
    canonical_definition: &dyn Fn(&str) -> Option<Value>,
) -> Value {
    match format {
        Format::Exact => stmt.clone(),
        Format::Ids => ids_statement(stmt),
        Format::Canonical => {
            let mut out = stmt.clone();
            canonical_statement(&mut out, languages, canonical_definition);
            out
        }
    }
}

fn ids_statement(stmt: &Value) -> Value {
    let Some(m) = stmt.as_object() else {
        return stmt.clone();
    };
    let mut out = Map::new();
    for (key, v) in m {
        let reduced = match key.as_str() {
            "actor" | "authority" => ids_actor(v),
            "verb" => v
                .get("id")
                .map_or_else(|| v.clone(), |id| single("id", id.clone())),
            "object" => ids_object(v),
            "context" => ids_context(v),
            _ => v.clone(),
        };
        out.insert(key.clone(), reduced);
    }
    Value::Object(out)
}

fn single(key: &str, v: Value) -> Value {
    let mut m = Map::new();
    m.insert(key.into(), v);
    Value::Object(m)
}

fn ids_actor(v: &Value) -> Value {
    let Some(m) = v.as_object() else {
        return v.clone();
    };
    let mut out = Map::new();
    if let Some(t) = m.get("objectType") {
        out.insert("objectType".into(), t.clone());
    }
    match IFIS.iter().find(|k| m.contains_key(**k)) {
        Some(ifi) => {
            out.insert((*ifi).into(), m[*ifi].clone());
        }
        None => {
            if let Some(Value::Array(members)) = m.get("member") {
                out.insert(
                    "member".into(),
                    Value::Array(members.iter().map(ids_actor).collect()),
                );
            }
        }
    }
    Value::Object(out)
}

fn ids_activity(v: &Value) -> Value {
    let Some(m) = v.as_object() else {
        return v.clone();
    };
    // Only the id: "Activity" is the default objectType, and the conformance suite checks the object is {id} alone.
    let mut out = Map::new();
    if let Some(x) = m.get("id") {
        out.insert("id".into(), x.clone());
    }
    Value::Object(out)
}

fn ids_object(v: &Value) -> Value {
    match v.get("objectType").and_then(Value::as_str) {
        None | Some("Activity") => ids_activity(v),
        Some("Agent" | "Group") => ids_actor(v),
        Some("SubStatement") => ids_statement(v),
        Some(_) => v.clone(),
    }
}

fn ids_context(v: &Value) -> Value {
    let mut out = v.clone();
    let Some(m) = out.as_object_mut() else {
        return out;
    };
    for key in ["instructor", "team"] {
        if let Some(a) = m.get_mut(key) {
            *a = ids_actor(a);
        }
    }
    if let Some(Value::Object(ca)) = m.get_mut("contextActivities") {
        for list in ca.values_mut() {
            let reduced = match &*list {
                Value::Array(items) => Value::Array(items.iter().map(ids_activity).collect()),
                one => ids_activity(one),
            };
            *list = reduced;
        }
    }
    for (key, who) in [("contextAgents", "agent"), ("contextGroups", "group")] {
        if let Some(Value::Array(items)) = m.get_mut(key) {
            for item in items {
                if let Some(a) = item.get_mut(who) {
                    *a = ids_actor(a);
                }
            }
        }
    }
    out
}

fn canonical_statement(
    stmt: &mut Value,
    languages: &[String],
    lookup: &dyn Fn(&str) -> Option<Value>,
) {
    let Some(m) = stmt.as_object_mut() else {
        return;
    };
    if let Some(display) = m.get_mut("verb").and_then(|v| v.get_mut("display")) {
        reduce_language_map(display, languages);
    }
    if let Some(object) = m.get_mut("object") {
        match object.get("objectType").and_then(Value::as_str) {
            None | Some("Activity") => canonical_activity(object, languages, lookup),
            Some("SubStatement") => canonical_statement(object, languages, lookup),
            Some(_) => {}
        }
    }
    if let Some(Value::Object(ca)) = m
        .get_mut("context")
        .and_then(|c| c.get_mut("contextActivities"))
    {
        for key in CONTEXT_ACTIVITY_KEYS {
            match ca.get_mut(key) {
                Some(Value::Array(items)) => items
                    .iter_mut()
                    .for_each(|a| canonical_activity(a, languages, lookup)),
                Some(one) => canonical_activity(one, languages, lookup),
                None => {}
            }
        }
    }
}

fn canonical_activity(
    activity: &mut Value,
    languages: &[String],
    lookup: &dyn Fn(&str) -> Option<Value>,
) {
    let Some(m) = activity.as_object_mut() else {
        return;
    };
    if let Some(def) = m.get("id").and_then(Value::as_str).and_then(lookup) {
        m.insert("definition".into(), def);
    }
    let Some(Value::Object(def)) = m.get_mut("definition") else {
        return;
    };
    for key in ["name", "description"] {
        if let Some(map) = def.get_mut(key) {
            reduce_language_map(map, languages);
        }
    }
    for list in ["choices", "scale", "source", "target", "steps"] {
        if let Some(Value::Array(components)) = def.get_mut(list) {
            for c in components {
                if let Some(d) = c.get_mut("description") {
                    reduce_language_map(d, languages);
                }
            }
        }
    }
}

/// Keeps the one best entry of a language map (Communication 2.1.3.s4.b1, b4, b5).
fn reduce_language_map(map: &mut Value, languages: &[String]) {
    let Some(m) = map.as_object() else { return };
    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
    let Some(best) = best_language(&keys, languages).map(str::to_owned) else {
        return;
    };
    let text = m[&best].clone();
    *map = single(&best, text);
}
