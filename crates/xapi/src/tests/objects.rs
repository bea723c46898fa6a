//! Statement objects (Data 2.4.4): Activities and their definitions, interaction activities, Agents and Groups as
//! objects, StatementRefs and SubStatements.

use serde_json::json;

use super::fixtures::*;
use crate::{AgentKey, Version};

#[test]
fn an_activity_needs_an_iri_id() {
    // Conformance XAPI-00047: missing id, and an IRI with an invalid scheme.
    reject_both(&remove(simplest(), "/object/id"), "object.id");
    reject_both(
        &set(simplest(), "/object/id", json!("ab=c://should.fail.com")),
        "object.id",
    );
    reject_both(
        &set(
            simplest(),
            "/object/id",
            json!("example.adlnet.gov/xapi/example/activity"),
        ),
        "object.id",
    );
    // Data 2.4.4.1.s2 note: a fragment alone is a relative reference, not an IRI.
    reject_both(
        &set(simplest(), "/object/id", json!("#activity")),
        "object.id",
    );
    accept_both(&set(
        simplest(),
        "/object/id",
        json!("urn:uuid:3a2c5a1e-8f7b-4e1c-9b3e-2f1d6c0a9e4b"),
    ));
}

#[test]
fn activity_object_type_and_properties() {
    accept_both(&set(simplest(), "/object", appendix_b_activity()));
    reject_both(
        &set(simplest(), "/object/objectType", json!("activity")),
        "object.objectType",
    );
    reject_both(&set(simplest(), "/object/name", json!("x")), "object.name");
    let e = reject_both(
        &set(simplest(), "/object/objectType", json!("Thing")),
        "object.objectType",
    );
    assert!(e.message.contains("SubStatement"), "{e}");
}

#[test]
fn definition_properties_have_their_types() {
    // Conformance XAPI-00048, 56, 59, 60, 61.
    reject_both(
        &set(simplest(), "/object/definition", json!("should error")),
        "object.definition",
    );
    reject_both(
        &set(simplest(), "/object/definition", json!({ "name": "x" })),
        "object.definition.name",
    );
    reject_both(
        &set(
            simplest(),
            "/object/definition",
            json!({ "description": 12345 }),
        ),
        "object.definition.description",
    );
    reject_both(
        &set(
            simplest(),
            "/object/definition",
            json!({ "type": "should error" }),
        ),
        "object.definition.type",
    );
    reject_both(
        &set(
            simplest(),
            "/object/definition",
            json!({ "moreInfo": "should error" }),
        ),
        "object.definition.moreInfo",
    );
    reject_both(
        &set(
            simplest(),
            "/object/definition",
            json!({ "extensions": { "not.valid.com/extension": 1 } }),
        ),
        "object.definition.extensions.not.valid.com/extension",
    );
    reject_both(
        &set(simplest(), "/object/definition", json!({ "colour": "red" })),
        "object.definition.colour",
    );
    accept_both(&set(simplest(), "/object/definition", json!({})));
}

#[test]
fn extension_values_may_be_anything() {
    // Data 4.1.s3.b2; conformance XAPI-00119 (null, empty string, empty object).
    for v in [
        json!(null),
        json!(""),
        json!({}),
        json!([1, { "a": null }]),
        json!(3.5),
    ] {
        accept_both(&set(
            simplest(),
            "/object/definition/extensions",
            json!({ "http://example.com/ex": v }),
        ));
    }
    accept_both(&set(simplest(), "/object/definition/extensions", json!({})));
    reject_both(
        &set(
            simplest(),
            "/object/definition/extensions",
            json!(["http://example.com/ex"]),
        ),
        "object.definition.extensions",
    );
}

#[test]
fn every_appendix_c_interaction_is_accepted() {
    for (name, def) in interactions() {
        let s = with_definition(def);
        assert!(
            crate::validate_statement(&s, Version::V1_0_3).is_ok(),
            "{name}"
        );
        assert!(
            crate::validate_statement(&s, Version::V2_0_0).is_ok(),
            "{name}"
        );
    }
}

#[test]
fn interaction_type_is_an_exact_enumerated_value() {
    // Data 2.4.4.1.s13.b1; conformance XAPI-00009 sends "true-faLse", "choiCe", "Other"...
    for bad in ["true-faLse", "choiCe", "Other", "essay", ""] {
        let e = reject_both(
            &with_definition(json!({ "interactionType": bad })),
            "object.definition.interactionType",
        );
        assert!(e.message.contains("true-false"), "{e}");
    }
}

#[test]
fn component_lists_belong_to_their_interaction_types() {
    // Data 2.4.4.1.s15 table 2.
    let choices = json!([{ "id": "a" }, { "id": "b" }]);
    let e = reject_both(
        &with_definition(json!({ "interactionType": "likert", "choices": choices })),
        "object.definition.choices",
    );
    assert!(e.message.contains("choice or sequencing"), "{e}");
    reject_both(
        &with_definition(json!({ "interactionType": "true-false", "scale": choices })),
        "object.definition.scale",
    );
    reject_both(
        &with_definition(json!({ "interactionType": "choice", "source": choices })),
        "object.definition.source",
    );
    reject_both(
        &with_definition(json!({ "interactionType": "sequencing", "target": choices })),
        "object.definition.target",
    );
    reject_both(
        &with_definition(json!({ "interactionType": "numeric", "steps": choices })),
        "object.definition.steps",
    );
    // Without an interactionType there is no interaction activity.
    reject_both(
        &with_definition(json!({ "choices": choices })),
        "object.definition.choices",
    );
    reject_both(
        &with_definition(json!({ "correctResponsesPattern": ["a"] })),
        "object.definition.correctResponsesPattern",
    );
    // choice without choices is still valid.
    accept_both(&with_definition(json!({ "interactionType": "choice" })));
}

#[test]
fn components_have_distinct_string_ids_and_language_map_descriptions() {
    // Data 2.4.4.1.s16.b1.
    let e = reject_both(
        &with_definition(
            json!({ "interactionType": "choice", "choices": [{ "id": "a" }, { "id": "b" }, { "id": "a" }] }),
        ),
        "object.definition.choices[2].id",
    );
    assert!(e.message.contains("distinct"), "{e}");
    // The same id in two different lists is fine.
    accept_both(&with_definition(
        json!({ "interactionType": "matching", "source": [{ "id": "1" }], "target": [{ "id": "1" }] }),
    ));
    reject_both(
        &with_definition(
            json!({ "interactionType": "choice", "choices": [{ "description": { "en": "x" } }] }),
        ),
        "object.definition.choices[0].id",
    );
    reject_both(
        &with_definition(json!({ "interactionType": "choice", "choices": [{ "id": 1 }] })),
        "object.definition.choices[0].id",
    );
    reject_both(
        &with_definition(
            json!({ "interactionType": "likert", "scale": [{ "id": "a", "description": "x" }] }),
        ),
        "object.definition.scale[0].description",
    );
    reject_both(
        &with_definition(
            json!({ "interactionType": "likert", "scale": [{ "id": "a", "value": 1 }] }),
        ),
        "object.definition.scale[0].value",
    );
    reject_both(
        &with_definition(json!({ "interactionType": "likert", "scale": { "id": "a" } })),
        "object.definition.scale",
    );
}

#[test]
fn correct_responses_pattern_is_an_array_of_strings() {
    reject_both(
        &with_definition(
            json!({ "interactionType": "true-false", "correctResponsesPattern": "true" }),
        ),
        "object.definition.correctResponsesPattern",
    );
    reject_both(
        &with_definition(json!({ "interactionType": "numeric", "correctResponsesPattern": [4] })),
        "object.definition.correctResponsesPattern[0]",
    );
    // Data 2.4.4.1.s11: an empty array means no answer is correct.
    accept_both(&with_definition(
        json!({ "interactionType": "other", "correctResponsesPattern": [] }),
    ));
}

#[test]
fn agents_and_groups_as_objects_must_give_object_type() {
    // Data 2.4.4.2.s1.b1: without objectType the object is an Activity, which has no mbox.
    let e = reject_both(
        &set(
            simplest(),
            "/object",
            json!({ "mbox": "mailto:a@example.com" }),
        ),
        "object.objectType",
    );
    assert!(e.message.contains("Agent or Group"), "{e}");
    let p = prep(
        &set(simplest(), "/object", appendix_b_agent()),
        Version::V1_0_3,
    );
    assert_eq!(
        p.index.object_agent,
        Some(AgentKey("mbox:mailto:andrew@example.co.uk".into()))
    );
    let p = prep(
        &set(simplest(), "/object", appendix_b_group()),
        Version::V2_0_0,
    );
    assert_eq!(
        p.index.object_agent.unwrap().as_str(),
        "account:http://example.com/homePage|GroupAccount"
    );
    assert!(
        p.index
            .agents
            .iter()
            .any(|k| k.as_str() == "mbox:mailto:andrew@example.com"),
        "members are indexed"
    );
}

#[test]
fn a_statement_ref_needs_its_object_type_and_a_uuid() {
    // Data 2.4.4.3.s4.
    reject_both(
        &set(commented(), "/object/id", json!("not-a-uuid")),
        "object.id",
    );
    reject_both(&remove(commented(), "/object/id"), "object.id");
    reject_both(
        &set(commented(), "/object/definition", json!({})),
        "object.definition",
    );
    reject_both(
        &set(commented(), "/object/objectType", json!("statementref")),
        "object.objectType",
    );
}

#[test]
fn substatements_are_validated_as_statements() {
    // Data 2.4.4.3.s8.b2.
    accept_both(&set(simplest(), "/object", appendix_b_substatement()));
    reject_both(&remove(planned(), "/object/verb"), "object.verb");
    reject_both(
        &set(planned(), "/object/actor/mbox", json!("nope")),
        "object.actor.mbox",
    );
    reject_both(
        &set(planned(), "/object/object/definition/name", json!("x")),
        "object.object.definition.name",
    );
    reject_both(
        &set(planned(), "/object/timestamp", json!("not a time")),
        "object.timestamp",
    );
    reject_both(&set(planned(), "/object/extra", json!(1)), "object.extra");
    // Data 2.4.7.s3.b5: a SubStatement may be in the future.
    accept_both(&set(
        planned(),
        "/object/timestamp",
        json!("2999-01-01T00:00:00Z"),
    ));
}

#[test]
fn substatements_have_no_id_stored_version_or_authority() {
    // Data 2.4.4.3.s8.b3.
    for (key, value) in [
        ("id", json!("12345678-1234-5678-1234-567812345678")),
        ("stored", json!("2015-11-18T12:17:00Z")),
        ("version", json!("1.0.0")),
        ("authority", json!({ "mbox": "mailto:a@example.com" })),
    ] {
        let e = reject_both(
            &set(planned(), &format!("/object/{key}"), value),
            &format!("object.{key}"),
        );
        assert!(e.message.contains("not allowed in a SubStatement"), "{e}");
    }
}

#[test]
fn substatements_do_not_nest() {
    // Data 2.4.4.3.s8.b4.
    let s = set(planned(), "/object/object", appendix_b_substatement());
    let e = reject_both(&s, "object.object.objectType");
    assert!(
        e.message.contains("cannot contain another SubStatement"),
        "{e}"
    );
}

#[test]
fn a_substatement_may_void_nothing() {
    // Only a statement, not a SubStatement, is a voiding statement.
    let s = set(planned(), "/object/verb/id", json!(crate::VOIDED_VERB));
    let p = prep(&s, Version::V1_0_3);
    assert_eq!(p.index.voids, None);
}
