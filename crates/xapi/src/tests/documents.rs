//! POSTed JSON documents (Communication 2.2.s7, s8).

use serde_json::{Value, json};

use crate::merge_json_document;

fn merged(a: &str, b: &str) -> Value {
    serde_json::from_slice(&merge_json_document(a.as_bytes(), b.as_bytes()).unwrap()).unwrap()
}

#[test]
fn the_spec_example_merges() {
    assert_eq!(
        merged(r#"{"x":"foo","y":"bar"}"#, r#"{"x":"bash","z":"faz"}"#),
        json!({ "x": "bash", "y": "bar", "z": "faz" })
    );
}

#[test]
fn only_top_level_properties_merge() {
    // A top-level object is replaced whole, not merged.
    assert_eq!(
        merged(r#"{"a":{"b":1,"c":2}}"#, r#"{"a":{"b":3}}"#),
        json!({ "a": { "b": 3 } })
    );
    assert_eq!(merged(r#"{"a":1}"#, r#"{}"#), json!({ "a": 1 }));
    assert_eq!(merged(r#"{"a":1}"#, r#"{"a":null}"#), json!({ "a": null }));
}

#[test]
fn either_side_not_an_object_is_an_error() {
    // 2.2.s8.b1: 400 and no change.
    let e = merge_json_document(b"[1,2]", br#"{"a":1}"#).unwrap_err();
    assert!(e.message.contains("stored document"), "{e}");
    let e = merge_json_document(br#"{"a":1}"#, b"\"text\"").unwrap_err();
    assert!(
        e.message.contains("posted document") && e.message.contains("not an object"),
        "{e}"
    );
    let e = merge_json_document(br#"{"a":1}"#, b"{not json").unwrap_err();
    assert!(e.message.contains("not valid JSON"), "{e}");
    assert!(merge_json_document(b"", br#"{"a":1}"#).is_err());
}
