//! Statements as a whole: the spec's examples, required and unknown properties, what `prepare` fills in and the index.

use serde_json::{Value, json};
use uuid::Uuid;

use super::fixtures::*;
use crate::{AgentKey, Authority, Version, parse_json, prepare, validate_statement};

#[test]
fn spec_examples_are_accepted_by_both_versions() {
    for s in [
        simplest(),
        simple(),
        attempted(),
        long(),
        voiding(),
        commented(),
        planned(),
        with_attachment(),
    ] {
        accept_both(&s);
    }
}

#[test]
fn validate_statement_agrees_with_prepare() {
    assert!(validate_statement(&long(), Version::V1_0_3).is_ok());
    assert_eq!(
        validate_statement(&remove(simple(), "/verb"), Version::V2_0_0)
            .unwrap_err()
            .path,
        "verb"
    );
}

#[test]
fn actor_verb_and_object_are_required() {
    // Data 2.2.s2.b3.
    for key in ["actor", "verb", "object"] {
        let e = reject_both(&remove(simplest(), &format!("/{key}")), key);
        assert!(e.message.contains("required"), "{e}");
    }
}

#[test]
fn a_statement_must_be_an_object() {
    let e = reject(&json!([simplest()]), Version::V1_0_3);
    assert_eq!(e.path, "");
    assert!(e.message.contains("Statement object"), "{e}");
}

#[test]
fn unknown_properties_are_rejected() {
    // Data 2.2.s4.b1.b7 / 2.2.s4.b8.
    let e = reject_both(&set(simplest(), "/extra", json!(1)), "extra");
    assert!(e.message.contains("not a property of a Statement"), "{e}");
}

#[test]
fn property_names_are_case_sensitive() {
    // Data 2.2.s4.b1.b5; the conformance suite sends "Actor", "veRb", "timeStamp", "Version" and so on.
    let mut s = remove(simplest(), "/actor");
    s["Actor"] = json!({ "mbox": "mailto:xapi@adlnet.gov" });
    let e = reject_both(&s, "Actor");
    assert!(
        e.message.contains("case-sensitive") && e.message.contains("\"actor\""),
        "{e}"
    );
    reject_both(
        &set(simplest(), "/timeStamp", json!("2015-11-18T12:17:00Z")),
        "timeStamp",
    );
    reject_both(&set(simplest(), "/Version", json!("1.0.0")), "Version");
}

#[test]
fn null_values_are_rejected_outside_extensions() {
    // Data 2.2.s4.b1.b1.
    let e = reject_both(&set(simplest(), "/actor/name", Value::Null), "actor.name");
    assert!(e.message.contains("null"), "{e}");
    reject_both(
        &set(simplest(), "/verb/display/en-US", Value::Null),
        "verb.display.en-US",
    );
    reject_both(
        &set(
            simplest(),
            "/object/definition",
            json!({ "moreInfo": null }),
        ),
        "object.definition.moreInfo",
    );
    reject_both(
        &set(simplest(), "/context", json!({ "registration": null })),
        "context.registration",
    );
    accept_both(&set(
        simplest(),
        "/object/definition",
        json!({ "extensions": { "http://example.com/null": null } }),
    ));
}

#[test]
fn statement_id_must_be_a_uuid_in_standard_form() {
    // Data 2.4.1.s1 and 4.4; the conformance suite's bad ids.
    for bad in [
        json!(12345),
        json!({ "key": "x" }),
        json!("AA97B177-9383-4934-8543-0F91A7A028368"),
        json!("MA97B177-9383-4934-8543-0F91A7A02836"),
        json!("12345678123456781234567812345678"),
        json!("{12345678-1234-5678-1234-567812345678}"),
        json!(""),
    ] {
        let e = reject_both(&set(simplest(), "/id", bad.clone()), "id");
        assert!(e.message.contains("UUID"), "{bad}: {e}");
    }
    // Either case of hex digits.
    let p = prep(
        &set(
            simplest(),
            "/id",
            json!("AA97B177-9383-4934-8543-0F91A7A02836"),
        ),
        Version::V2_0_0,
    );
    assert_eq!(
        p.id,
        Uuid::parse_str("aa97b177-9383-4934-8543-0f91a7a02836").unwrap()
    );
}

#[test]
fn prepare_keeps_a_given_id_and_assigns_a_missing_one() {
    let p = prep(&simple(), Version::V1_0_3);
    assert_eq!(p.id.to_string(), "fd41c918-b88b-4b20-a0a5-a4c32391aaa0");
    assert_eq!(p.statement["id"], "fd41c918-b88b-4b20-a0a5-a4c32391aaa0");

    let p = prep(&voiding(), Version::V1_0_3);
    assert_eq!(p.id, new_id());
    assert_eq!(p.statement["id"], new_id().to_string());
}

#[test]
fn prepare_sets_stored_authority_and_version() {
    let p = prep(&long(), Version::V1_0_3);
    // Data 2.4.8.s3.b2: stored is overwritten; kept to the millisecond in the JSON and the index alike.
    assert_eq!(p.statement["stored"], STORED);
    assert_eq!(crate::format_timestamp(p.index.stored), STORED);
    // Data 2.4.9.s3.b4: the authority comes from the credential.
    assert_eq!(p.statement["authority"], authority());
    // Data 2.4.10.s3.b3: a version given is kept.
    assert_eq!(p.statement["version"], "1.0.0");

    let p = prep(&simplest(), Version::V1_0_3);
    assert_eq!(p.statement["version"], "1.0.0");
    let p = prep(&simplest(), Version::V2_0_0);
    assert_eq!(p.statement["version"], "2.0.0");
}

#[test]
fn prepare_sets_a_missing_timestamp_to_stored() {
    // Data 2.4.7.s3.b2.
    let p = prep(&simplest(), Version::V2_0_0);
    assert_eq!(p.statement["timestamp"], STORED);
    assert_eq!(p.index.timestamp, p.index.stored);

    let p = prep(&simple(), Version::V2_0_0);
    assert_eq!(
        p.statement["timestamp"], "2015-11-18T12:17:00+00:00",
        "the client's text is kept"
    );
    assert_eq!(
        crate::format_timestamp(p.index.timestamp),
        "2015-11-18T12:17:00.000Z"
    );
}

#[test]
fn prepare_changes_nothing_else() {
    let p = prep(&long(), Version::V1_0_3);
    let mut expected = long();
    expected["stored"] = json!(STORED);
    expected["authority"] = authority();
    assert_eq!(p.statement, expected);
}

#[test]
fn prepare_returns_context_activities_as_arrays() {
    // Data 2.4.6.2.s4.b3/b4, also inside a SubStatement.
    let single = json!({ "id": "http://example.com/course" });
    let s = set(
        simplest(),
        "/context/contextActivities/parent",
        single.clone(),
    );
    let p = prep(&s, Version::V1_0_3);
    assert_eq!(
        p.statement["context"]["contextActivities"]["parent"],
        json!([single])
    );

    let s = set(
        planned(),
        "/object/context/contextActivities/grouping",
        single.clone(),
    );
    let p = prep(&s, Version::V2_0_0);
    assert_eq!(
        p.statement["object"]["context"]["contextActivities"]["grouping"],
        json!([single])
    );
}

#[test]
fn stored_and_authority_sent_by_the_client_are_validated_then_replaced() {
    reject_both(&set(simplest(), "/stored", json!("yesterday")), "stored");
    reject_both(
        &set(simplest(), "/authority", json!({ "name": "no identifier" })),
        "authority",
    );
    let s = set(
        simplest(),
        "/authority",
        json!({ "mbox": "mailto:someone@example.com" }),
    );
    assert_eq!(
        prep(&s, Version::V1_0_3).statement["authority"],
        authority()
    );
}

#[test]
fn an_invalid_credential_authority_is_reported() {
    let e = Authority::new(json!({ "objectType": "Agent" })).unwrap_err();
    assert_eq!(e.path, "authority");
    assert!(e.message.contains("credential"), "{e}");
}

#[test]
fn authority_may_be_an_agent_or_an_oauth_pair() {
    // Data 2.4.9.s8: the OAuth consumer and user.
    let pair = json!({
        "objectType": "Group",
        "member": [
            { "account": { "homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db" } },
            { "mbox": "mailto:bob@example.com" }
        ]
    });
    let mut c = ctx();
    c.authority = Authority::new(pair.clone()).unwrap();
    let p = prepare(simplest(), Version::V2_0_0, &c).unwrap();
    assert_eq!(p.statement["authority"], pair);
    assert!(
        p.index
            .related_agents
            .contains(&AgentKey("mbox:mailto:bob@example.com".into()))
    );
    assert!(p.index.related_agents.contains(&AgentKey(
        "account:http://example.com/xAPI/OAuth/Token|oauth_consumer_x75db".into()
    )));
}

#[test]
fn an_authority_group_must_be_anonymous_with_two_agents() {
    // Data 2.4.9.s3.b1; conformance XAPI-00098.
    let one = json!({ "objectType": "Group", "member": [ { "mbox": "mailto:bob@example.com" } ] });
    let e = reject_both(&set(simplest(), "/authority", one), "authority.member");
    assert!(e.message.contains("exactly two"), "{e}");
    let three = json!({ "objectType": "Group", "member": [
        { "mbox": "mailto:a@example.com" }, { "mbox": "mailto:b@example.com" }, { "mbox": "mailto:c@example.com" } ] });
    reject_both(&set(simplest(), "/authority", three), "authority.member");
    let identified = json!({ "objectType": "Group", "openid": "http://openid.example.org/12345", "member": [
        { "mbox": "mailto:a@example.com" }, { "mbox": "mailto:b@example.com" } ] });
    reject_both(&set(simplest(), "/authority", identified), "authority");
}

#[test]
fn statement_version_rules_differ_by_version() {
    // Data 2.4.10; the 1.0.3 conformance suite accepts "1.0" and "1.0.9", rejects "0.9.9" and "1.1.0".
    for ok in ["1.0", "1.0.0", "1.0.3", "1.0.9"] {
        accept_both(&set(simplest(), "/version", json!(ok)));
    }
    for bad in ["should fail", "0.9.9", "1.1.0", "1.0.", "1.0.x", ""] {
        let e = reject_both(&set(simplest(), "/version", json!(bad)), "version");
        assert!(e.message.contains("1.0"), "{e}");
    }
    for two in ["2.0", "2.0.0"] {
        let s = set(simplest(), "/version", json!(two));
        let p = prep(&s, Version::V2_0_0);
        assert_eq!(
            p.statement["version"], two,
            "2.0 keeps the version it accepted"
        );
        assert_eq!(reject(&s, Version::V1_0_3).path, "version");
    }
    reject_both(&set(simplest(), "/version", json!(1.0)), "version");
}

#[test]
fn voiding_statements_need_a_statement_ref() {
    // Data 2.3.2.s2.b1/b2.
    let p = prep(&voiding(), Version::V1_0_3);
    let target = Uuid::parse_str("e05aa883-acaf-40ad-bf54-02c8ce485fb0").unwrap();
    assert_eq!(p.index.voids, Some(target));
    assert_eq!(p.index.statement_ref, Some(target));

    let s = set(
        voiding(),
        "/object",
        json!({ "id": "http://example.com/activity" }),
    );
    let e = reject_both(&s, "object");
    assert!(e.message.contains("StatementRef"), "{e}");

    let p = prep(&commented(), Version::V1_0_3);
    assert_eq!(p.index.voids, None, "only the voided verb voids");
    assert!(p.index.statement_ref.is_some());
}

#[test]
fn index_of_the_long_example() {
    let p = prep(&long(), Version::V1_0_3);
    let ix = &p.index;
    assert_eq!(ix.actor, AgentKey("mbox:mailto:teampb@example.com".into()));
    assert_eq!(ix.verb, "http://adlnet.gov/expapi/verbs/attended");
    assert_eq!(
        ix.object_activity.as_deref(),
        Some("http://www.example.com/meetings/occurances/34534")
    );
    assert_eq!(ix.object_agent, None);
    assert_eq!(
        ix.registration,
        Some(Uuid::parse_str("ec531277-b57b-4c15-8d91-d292c5b2b8f7").unwrap())
    );
    assert_eq!(
        ix.related_activities,
        vec![
            "http://www.example.com/meetings/occurances/34534",
            "http://www.example.com/meetings/series/267",
            "http://www.example.com/meetings/categories/teammeeting",
            "http://www.example.com/meetings/occurances/34257",
            "http://www.example.com/meetings/occurances/3425567",
        ]
    );
    let keys: Vec<&str> = ix.agents.iter().map(AgentKey::as_str).collect();
    assert_eq!(
        keys,
        vec![
            "mbox:mailto:teampb@example.com",
            "account:http://www.example.com|13936749",
            "openid:http://toby.openid.example.org/",
            "mbox_sha1sum:ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
        ]
    );
    // related_agents adds the authority; the instructor and team are already there, so appear once.
    let related: Vec<&str> = ix.related_agents.iter().map(AgentKey::as_str).collect();
    assert_eq!(related.len(), 5, "{related:?}");
    assert!(related.contains(&"account:https://lantern.example.nhs.uk|client-7"));
    assert_eq!(
        crate::format_timestamp(ix.timestamp),
        "2013-05-18T05:32:34.804Z"
    );
    assert!(ix.attachments.is_empty());
}

#[test]
fn index_of_an_agent_object_and_an_anonymous_group_actor() {
    let s = json!({
        "actor": { "objectType": "Group", "member": [ { "mbox": "mailto:a@example.com" }, { "mbox": "mailto:b@example.com" } ] },
        "verb": { "id": "http://example.com/interviewed" },
        "object": { "objectType": "Agent", "mbox": "mailto:Jeff@Example.COM" }
    });
    let p = prep(&s, Version::V1_0_3);
    assert_eq!(
        p.index.actor.as_str(),
        format!("anonymous-group:{}", new_id())
    );
    assert_eq!(
        p.index.object_agent,
        Some(AgentKey("mbox:mailto:Jeff@example.com".into()))
    );
    assert_eq!(p.index.object_activity, None);
    let keys: Vec<&str> = p.index.agents.iter().map(AgentKey::as_str).collect();
    assert_eq!(
        keys,
        vec![
            "mbox:mailto:a@example.com",
            "mbox:mailto:b@example.com",
            "mbox:mailto:Jeff@example.com"
        ]
    );
    assert!(
        !p.index
            .related_agents
            .iter()
            .any(|k| k.as_str().starts_with("anonymous-group:"))
    );
}

#[test]
fn index_covers_a_substatement() {
    // Communication 2.1.3: related_activities and related_agents reach into a SubStatement.
    let s = set(
        planned(),
        "/object/context",
        json!({
            "instructor": { "mbox": "mailto:teacher@example.com" },
            "contextActivities": { "parent": [ { "id": "http://example.com/course" } ] }
        }),
    );
    let s = set(s, "/object/actor/mbox", json!("mailto:planner@example.com"));
    let p = prep(&s, Version::V1_0_3);
    assert_eq!(
        p.index.object_activity, None,
        "the object is a SubStatement"
    );
    assert_eq!(
        p.index.related_activities,
        vec!["http://example.com/website", "http://example.com/course"]
    );
    let related: Vec<&str> = p
        .index
        .related_agents
        .iter()
        .map(AgentKey::as_str)
        .collect();
    assert!(
        related.contains(&"mbox:mailto:planner@example.com"),
        "{related:?}"
    );
    assert!(
        related.contains(&"mbox:mailto:teacher@example.com"),
        "{related:?}"
    );
    assert!(
        !p.index
            .agents
            .iter()
            .any(|k| k.as_str() == "mbox:mailto:planner@example.com"),
        "agents is actor/object only"
    );
}

#[test]
fn parse_json_rejects_duplicate_keys() {
    // Data 2.2.s2.b2; conformance XAPI-00021.
    let e = parse_json(
        br#"{"actor": {"mbox": "mailto:a@example.com", "mbox": "mailto:b@example.com"}}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "actor.mbox");
    let e = parse_json(br#"[{"id": 1}, {"a": {"b": 1, "b": 2}}]"#).unwrap_err();
    assert_eq!(e.path, "[1].a.b");
    let e = parse_json(b"{\"id\": ").unwrap_err();
    assert!(e.message.contains("not valid JSON"), "{e}");
    assert!(parse_json(b"{} x").is_err(), "trailing data");
    let v = parse_json(br#"{"a": [1, 2.5, "x", null, true], "b": {"c": -3}}"#).unwrap();
    assert_eq!(
        v,
        json!({ "a": [1, 2.5, "x", null, true], "b": { "c": -3 } })
    );
}

#[test]
fn error_display_names_the_path() {
    let e = reject(
        &set(simplest(), "/actor/mbox", json!("bob@x")),
        Version::V1_0_3,
    );
    assert_eq!(
        e.to_string(),
        "actor.mbox: must be a mailto: IRI, got \"bob@x\""
    );
    assert_eq!(
        e.clone().prefixed("statements[3]").path,
        "statements[3].actor.mbox"
    );
    assert_eq!(
        crate::XapiError::new("", "not JSON").to_string(),
        "not JSON"
    );
}
