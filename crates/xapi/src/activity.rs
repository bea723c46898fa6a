//! Activities and their definitions, interaction activities (xAPI 1.0.3 Data 2.4.4.1), and the canonical definition
//! the Activities resource returns (Communication 2.5).

use serde_json::{Map, Value};

use crate::error::{Result, XapiError};
use crate::json::{
    Obj, Path, as_object, check_keys, field, opt_array, opt_str, req_str, type_error,
};
use crate::types::{check_extensions, check_language_map, iri_value, irl_value};

const ACTIVITY_KEYS: [&str; 3] = ["objectType", "id", "definition"];
const DEFINITION_KEYS: [&str; 12] = [
    "name",
    "description",
    "type",
    "moreInfo",
    "extensions",
    "interactionType",
    "correctResponsesPattern",
    "choices",
    "scale",
    "source",
    "target",
    "steps",
];

/// Data 2.4.4.1.s8 table: the interaction types, case-sensitive (2.2.s4.b1.b6).
pub const INTERACTION_TYPES: [&str; 10] = [
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
];

/// Data 2.4.4.1.s15 table 2: which component lists each interaction type supports.
const COMPONENT_LISTS: [(&str, &[&str]); 5] = [
    ("choices", &["choice", "sequencing"]),
    ("scale", &["likert"]),
    ("source", &["matching"]),
    ("target", &["matching"]),
    ("steps", &["performance"]),
];

/// An Activity: `id` an IRI (required), `objectType` "Activity" when present, an optional definition.
/// Returns the activity id.
pub(crate) fn validate_activity<'a>(v: &'a Value, path: &Path<'_>) -> Result<&'a str> {
    let m = as_object(v, path, "an Activity object")?;
    if let Some(t) = opt_str(m, "objectType", path)?
        && t != "Activity"
    {
        return Err(XapiError::new(
            path.key("objectType"),
            format!("must be \"Activity\", got {t:?}"),
        ));
    }
    check_keys(m, &ACTIVITY_KEYS, path, "an Activity")?;
    let id = field(m, "id", path)?
        .ok_or_else(|| XapiError::new(path.key("id"), "is required in an Activity"))?;
    let id = iri_value(id, &path.key("id"))?;
    if let Some(def) = field(m, "definition", path)? {
        validate_definition(def, &path.key("definition"))?;
    }
    Ok(id)
}

/// An Activity Definition (Data 2.4.4.1.s2) with the interaction properties (s8-s16).
pub(crate) fn validate_definition(v: &Value, path: &Path<'_>) -> Result<()> {
    let m = as_object(v, path, "an Activity Definition object")?;
    check_keys(m, &DEFINITION_KEYS, path, "an Activity Definition")?;
    for key in ["name", "description"] {
        if let Some(map) = field(m, key, path)? {
            check_language_map(map, &path.key(key))?;
        }
    }
    if let Some(t) = field(m, "type", path)? {
        iri_value(t, &path.key("type"))?;
    }
    if let Some(more) = field(m, "moreInfo", path)? {
        irl_value(more, &path.key("moreInfo"))?;
    }
    if let Some(ext) = field(m, "extensions", path)? {
        check_extensions(ext, &path.key("extensions"))?;
    }
    validate_interaction(m, path)
}

fn validate_interaction(m: &Obj, path: &Path<'_>) -> Result<()> {
    let interaction = opt_str(m, "interactionType", path)?;
    if let Some(t) = interaction
        && !INTERACTION_TYPES.contains(&t)
    {
        return Err(XapiError::new(
            path.key("interactionType"),
            format!(
                "must be one of {} (case-sensitive), got {t:?}",
                INTERACTION_TYPES.join(", ")
            ),
        ));
    }
    // Data 2.4.4.1.s13.b1: an interaction activity must have a valid interactionType, so its parts need one.
    if let Some(patterns) = opt_array(m, "correctResponsesPattern", path)? {
        let at = path.key("correctResponsesPattern");
        if interaction.is_none() {
            return Err(XapiError::new(
                at,
                "is only allowed with an interactionType",
            ));
        }
        for (i, p) in patterns.iter().enumerate() {
            if !p.is_string() {
                return Err(type_error(&at.at(i), "a string (a response pattern)", p));
            }
        }
    }
    for (list, types) in COMPONENT_LISTS {
        let Some(components) = opt_array(m, list, path)? else {
            continue;
        };
        let at = path.key(list);
        match interaction {
            Some(t) if types.contains(&t) => {}
            _ => {
                return Err(XapiError::new(
                    at,
                    format!(
                        "is only allowed when interactionType is {}{}",
                        types.join(" or "),
                        interaction
                            .map(|t| format!(", not {t:?}"))
                            .unwrap_or_default()
                    ),
                ));
            }
        }
        validate_components(components, &at)?;
    }
    Ok(())
}

/// Interaction components: `id` (a string, required) and `description` (a language map); ids distinct within a list
/// (Data 2.4.4.1.s15, s16.b1).
fn validate_components(list: &[Value], path: &Path<'_>) -> Result<()> {
    let mut seen: Vec<&str> = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let at = path.at(i);
        let m = as_object(c, &at, "an interaction component object")?;
        check_keys(m, &["id", "description"], &at, "an interaction component")?;
        let id = req_str(m, "id", &at, "an interaction component")?;
        if seen.contains(&id) {
            return Err(XapiError::new(
                at.key("id"),
                format!("{id:?} is used twice; component ids must be distinct"),
            ));
        }
        seen.push(id);
        if let Some(d) = field(m, "description", &at)? {
            check_language_map(d, &at.key("description"))?;
        }
    }
    Ok(())
}

/// The LRS's canonical definition after a statement brings a new one (Data 2.4.4.1.s4.b3-b5, 3.2.s4.b3).
///
/// Both arguments are Activity Definition objects. Names and descriptions are merged language by language (new text
/// wins, other languages are kept); `type`, `moreInfo` and extensions take the new values; the interaction properties
/// are "significant" (s4.b5: e.g. the correct responses), so once known they stay, except that new translations of
/// component descriptions are added for component ids already known.
pub fn merge_activity_definition(known: Option<&Value>, new: &Value) -> Value {
    let Some(Value::Object(old)) = known else {
        return new.clone();
    };
    let Value::Object(incoming) = new else {
        return Value::Object(old.clone());
    };
    let mut out = old.clone();
    for (key, value) in incoming {
        match key.as_str() {
            "name" | "description" | "extensions" => merge_objects(&mut out, key, value),
            "interactionType" | "correctResponsesPattern" => {
                out.entry(key.clone()).or_insert_with(|| value.clone());
            }
            "choices" | "scale" | "source" | "target" | "steps" => match out.get_mut(key) {
                Some(Value::Array(known_list)) => merge_components(known_list, value),
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            },
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

/// Adds the new object's top-level entries to `out[key]`, replacing entries with the same key.
fn merge_objects(out: &mut Map<String, Value>, key: &str, value: &Value) {
    match (out.get_mut(key), value) {
        (Some(Value::Object(known)), Value::Object(new)) => {
            for (k, v) in new {
                known.insert(k.clone(), v.clone());
            }
        }
        _ => {
            out.insert(key.to_owned(), value.clone());
        }
    }
}

fn merge_components(known: &mut [Value], new: &Value) {
    let Some(new) = new.as_array() else { return };
    for incoming in new {
        let Some(id) = incoming.get("id") else {
            continue;
        };
        let Some(Value::Object(target)) = known.iter_mut().find(|c| c.get("id") == Some(id)) else {
            continue;
        };
        if let Some(description) = incoming.get("description") {
            merge_objects(target, "description", description);
        }
    }
}

/// The Activity object the Activities resource returns for an id, with the canonical definition if there is one
/// (Communication 2.5.s2.b1: an Activity object is returned even when nothing is known).
pub fn activity_object(id: &str, definition: Option<&Value>) -> Value {
    let mut m = Map::new();
    m.insert("objectType".into(), Value::from("Activity"));
    m.insert("id".into(), Value::from(id));
    if let Some(d) = definition {
        m.insert("definition".into(), d.clone());
    }
    Value::Object(m)
}
