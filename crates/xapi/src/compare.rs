//! Statement comparison (xAPI 1.0.3 Data 2.3.1.s9): for a statement id already stored (Communication 2.1.1.s2.b3),
//! and for a signed statement against its JWS payload (Data 2.6.s5.b3.b2).

use serde_json::{Map, Number, Value};

use crate::json::Obj;
use crate::types::{format_timestamp, parse_timestamp};
use crate::version::Version;

/// Whether two statements are the same statement, ignoring what Data 2.3.1 lists as exceptions to immutability:
///
/// - what the LRS assigns: `stored`, `authority`, `version`; `id` and `timestamp` when one side lacks them (b1);
/// - Activity Definitions and the Verb's `display` (b2, b3);
/// - the serialisation of timestamps: equal instants to the millisecond are equal (b4, 4.5.s1.b7);
/// - the order of Group members (b5);
/// - attachments (b6);
/// - case where the value is case-insensitive: the mbox domain, hex digests, UUIDs (b7);
/// - a single contextActivities object against an array of one (2.4.6.2.s4.b3), an implied `objectType` against an
///   explicit one, and `1` against `1.0`.
///
/// Durations are compared as strings (b8), except that precision beyond 0.01 s is ignored (4.6.s1.b5).
/// Property order never matters (2.2.s2.b4).
pub fn same_statement(a: &Value, b: &Value) -> bool {
    let (Some(ma), Some(mb)) = (a.as_object(), b.as_object()) else {
        return a == b;
    };
    if let (Some(x), Some(y)) = (ma.get("id"), mb.get("id"))
        && lower(x) != lower(y)
    {
        return false;
    }
    if let (Some(x), Some(y)) = (ma.get("timestamp"), mb.get("timestamp"))
        && instant(x) != instant(y)
    {
        return false;
    }
    canonical_statement(ma, false) == canonical_statement(mb, false)
}

fn canonical_statement(m: &Obj, sub: bool) -> Value {
    let mut out = Map::new();
    for (key, v) in m {
        let canon = match key.as_str() {
            "id" | "stored" | "authority" | "version" | "attachments" => continue,
            // A top-level timestamp was compared above (the LRS fills it in when missing).
            "timestamp" if !sub => continue,
            "timestamp" => instant(v),
            "actor" => actor(v),
            "verb" => verb(v),
            "object" => object(v),
            "result" => result(v),
            "context" => context(v),
            _ => numbers(v),
        };
        out.insert(key.clone(), canon);
    }
    Value::Object(out)
}

fn verb(v: &Value) -> Value {
    let mut out = Map::new();
    if let Some(id) = v.get("id") {
        out.insert("id".into(), id.clone());
    }
    Value::Object(out)
}

/// An Agent or Group with the implied objectType, the mbox domain and sha1 in lowercase, members in a fixed order.
fn actor(v: &Value) -> Value {
    let Some(m) = v.as_object() else {
        return v.clone();
    };
    let mut out = Map::new();
    for (key, value) in m {
        let canon = match key.as_str() {
            "mbox" => value
                .as_str()
                .map_or_else(|| value.clone(), |s| Value::from(mbox(s))),
            "mbox_sha1sum" => lower(value),
            "member" => match value.as_array() {
                Some(list) => {
                    let mut members: Vec<Value> = list.iter().map(actor).collect();
                    members.sort_by_cached_key(Value::to_string);
                    Value::Array(members)
                }
                None => value.clone(),
            },
            _ => numbers(value),
        };
        out.insert(key.clone(), canon);
    }
    out.entry("objectType")
        .or_insert_with(|| Value::from("Agent"));
    Value::Object(out)
}

fn mbox(s: &str) -> String {
    match s.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_lowercase()),
        None => s.to_owned(),
    }
}

fn activity(v: &Value) -> Value {
    let mut out = Map::new();
    out.insert("objectType".into(), Value::from("Activity"));
    if let Some(id) = v.get("id") {
        out.insert("id".into(), id.clone());
    }
    Value::Object(out)
}

fn object(v: &Value) -> Value {
    match v.get("objectType").and_then(Value::as_str) {
        None | Some("Activity") => activity(v),
        Some("Agent" | "Group") => actor(v),
        Some("StatementRef") => {
            let mut out = Map::new();
            out.insert("objectType".into(), Value::from("StatementRef"));
            out.insert("id".into(), v.get("id").map(lower).unwrap_or(Value::Null));
            Value::Object(out)
        }
        Some("SubStatement") => v
            .as_object()
            .map_or_else(|| v.clone(), |m| canonical_statement(m, true)),
        Some(_) => numbers(v),
    }
}

fn result(v: &Value) -> Value {
    let mut out = numbers(v);
    if let Some(d) = out.get_mut("duration")
        && let Some(s) = d.as_str()
    {
        *d = Value::from(duration_to_centiseconds(s));
    }
    out
}

fn context(v: &Value) -> Value {
    let Some(m) = v.as_object() else {
        return v.clone();
    };
    let mut out = Map::new();
    for (key, value) in m {
        let canon = match key.as_str() {
            "registration" => lower(value),
            "instructor" | "team" => actor(value),
            "statement" => object(value),
            "contextActivities" => match value.as_object() {
                Some(ca) => Value::Object(
                    ca.iter()
                        .map(|(k, list)| {
                            let items = match list {
                                Value::Array(items) => items.iter().map(activity).collect(),
                                single => vec![activity(single)],
                            };
                            (k.clone(), Value::Array(items))
                        })
                        .collect(),
                ),
                None => value.clone(),
            },
            "contextAgents" | "contextGroups" => match value.as_array() {
                Some(items) => Value::Array(
                    items
                        .iter()
                        .map(|item| {
                            let mut item = numbers(item);
                            for who in ["agent", "group"] {
                                if let Some(a) = item.get_mut(who) {
                                    *a = actor(a);
                                }
                            }
                            item
                        })
                        .collect(),
                ),
                None => value.clone(),
            },
            _ => numbers(value),
        };
        out.insert(key.clone(), canon);
    }
    Value::Object(out)
}

/// Every number as a float, so that 1 and 1.0 compare equal.
fn numbers(v: &Value) -> Value {
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(Number::from_f64)
            .map_or_else(|| v.clone(), Value::Number),
        Value::Array(items) => Value::Array(items.iter().map(numbers).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), numbers(v))).collect()),
        _ => v.clone(),
    }
}

fn lower(v: &Value) -> Value {
    v.as_str()
        .map_or_else(|| v.clone(), |s| Value::from(s.to_ascii_lowercase()))
}

/// A timestamp as its instant to the millisecond; text that is no timestamp stays as it is.
fn instant(v: &Value) -> Value {
    let Some(s) = v.as_str() else {
        return v.clone();
    };
    parse_timestamp(s, Version::V1_0_3)
        .or_else(|| parse_timestamp(s, Version::V2_0_0))
        .map_or_else(|| v.clone(), |t| Value::from(format_timestamp(t)))
}

/// Cuts the seconds of a duration to two decimals and drops trailing zeros of the fraction: "PT1.2345S" and
/// "PT1.23S" compare equal.
fn duration_to_centiseconds(s: &str) -> String {
    let Some(body) = s.strip_suffix('S') else {
        return s.to_owned();
    };
    let number_start = body
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == ','))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let (head, number) = body.split_at(number_start);
    let Some((whole, frac)) = number.split_once(['.', ',']) else {
        return s.to_owned();
    };
    let frac: String = frac.chars().take(2).collect();
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{head}{whole}S")
    } else {
        format!("{head}{whole}.{frac}S")
    }
}
