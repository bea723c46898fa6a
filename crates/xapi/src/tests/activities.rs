//! The canonical Activity definition of the Activities resource (Data 2.4.4.1.s4, Communication 2.5).

use serde_json::json;

use crate::{activity_object, merge_activity_definition};

#[test]
fn a_first_definition_is_taken_as_it_is() {
    let new = json!({ "name": { "en-US": "example meeting" } });
    assert_eq!(merge_activity_definition(None, &new), new);
}

#[test]
fn names_and_descriptions_merge_language_by_language() {
    // Data 3.2.s4.b3: keep names not in the new definition; 2.4.4.1.s4.b4: small corrections are fine.
    let known = json!({ "name": { "en-GB": "example meeting", "en-US": "example meetng" }, "description": { "en-GB": "An example." } });
    let new = json!({ "name": { "en-US": "example meeting", "fr": "réunion" }, "type": "http://adlnet.gov/expapi/activities/meeting" });
    let merged = merge_activity_definition(Some(&known), &new);
    assert_eq!(
        merged,
        json!({
            "name": { "en-GB": "example meeting", "en-US": "example meeting", "fr": "réunion" },
            "description": { "en-GB": "An example." },
            "type": "http://adlnet.gov/expapi/activities/meeting"
        })
    );
}

#[test]
fn type_more_info_and_extensions_take_new_values() {
    let known = json!({ "type": "http://example.com/a", "moreInfo": "http://example.com/1", "extensions": { "http://example.com/x": 1, "http://example.com/y": 2 } });
    let new = json!({ "type": "http://example.com/b", "moreInfo": "http://example.com/2", "extensions": { "http://example.com/y": 3 } });
    let merged = merge_activity_definition(Some(&known), &new);
    assert_eq!(merged["type"], "http://example.com/b");
    assert_eq!(merged["moreInfo"], "http://example.com/2");
    assert_eq!(
        merged["extensions"],
        json!({ "http://example.com/x": 1, "http://example.com/y": 3 })
    );
}

#[test]
fn interaction_properties_once_known_stay() {
    // Data 2.4.4.1.s4.b5: no significant changes such as to the correct responses.
    let known = json!({ "interactionType": "choice", "correctResponsesPattern": ["golf[,]tetris"],
        "choices": [ { "id": "golf", "description": { "en-US": "Golf Example" } } ] });
    let new = json!({ "interactionType": "likert", "correctResponsesPattern": ["golf"],
        "choices": [ { "id": "golf", "description": { "fr": "Exemple de golf" } }, { "id": "chess" } ] });
    let merged = merge_activity_definition(Some(&known), &new);
    assert_eq!(merged["interactionType"], "choice");
    assert_eq!(merged["correctResponsesPattern"], json!(["golf[,]tetris"]));
    assert_eq!(
        merged["choices"],
        json!([ { "id": "golf", "description": { "en-US": "Golf Example", "fr": "Exemple de golf" } } ])
    );

    // Unknown before: taken from the new definition.
    let merged = merge_activity_definition(Some(&json!({ "name": { "en": "q" } })), &new);
    assert_eq!(merged["interactionType"], "likert");
    assert_eq!(merged["choices"].as_array().unwrap().len(), 2);
}

#[test]
fn activity_object_always_has_type_and_id() {
    // Communication 2.5.s2.b1.
    assert_eq!(
        activity_object("http://example.com/a", None),
        json!({ "objectType": "Activity", "id": "http://example.com/a" })
    );
    let def = json!({ "name": { "en": "A" } });
    assert_eq!(
        activity_object("http://example.com/a", Some(&def))["definition"],
        def
    );
}
