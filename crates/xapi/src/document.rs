//! JSON documents of the State, Activity Profile and Agent Profile resources (xAPI 1.0.3 Communication 2.2).

use serde_json::Value;

use crate::error::{Result, XapiError};

/// Merges a POSTed JSON document into the stored one (Communication 2.2.s7): every top-level property of the posted
/// object replaces the stored one's, whole; others are kept. Either side not being a JSON object is the 400 of
/// 2.2.s8.b1, returned as an error that says which.
pub fn merge_json_document(existing: &[u8], incoming: &[u8]) -> Result<Vec<u8>> {
    let mut stored = object(existing, "the stored document")?;
    let posted = object(incoming, "the posted document")?;
    let target = stored.as_object_mut().expect("checked to be an object");
    if let Value::Object(posted) = posted {
        for (key, value) in posted {
            target.insert(key, value);
        }
    }
    serde_json::to_vec(&stored)
        .map_err(|e| XapiError::new("", format!("the merged document cannot be written: {e}")))
}

fn object(bytes: &[u8], what: &str) -> Result<Value> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        XapiError::new(
            "",
            format!("{what} cannot be merged: it is not valid JSON ({e})"),
        )
    })?;
    if !v.is_object() {
        return Err(XapiError::new(
            "",
            format!("{what} cannot be merged: it is JSON but not an object"),
        ));
    }
    Ok(v)
}
