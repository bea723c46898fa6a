//! Agents, Groups and IFIs (Data 2.4.2), agent keys and the `agent` parameter.

use serde_json::json;

use super::fixtures::*;
use crate::{AgentKey, Version, agent_key, parse_agent_param};

fn actor(a: serde_json::Value) -> serde_json::Value {
    set(simplest(), "/actor", a)
}

#[test]
fn each_kind_of_ifi_is_accepted() {
    // Data 2.4.2.3.s3 table and the examples of 2.4.2.4.s3 and Appendix B.
    for a in [
        json!({ "mbox": "mailto:xapi@adlnet.gov" }),
        json!({ "objectType": "Agent", "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9" }),
        json!({ "openid": "http://toby.openid.example.org/" }),
        json!({ "objectType": "Agent", "account": { "homePage": "http://www.example.com", "name": "1625378" } }),
        appendix_b_agent(),
        appendix_b_group(),
    ] {
        accept_both(&actor(a));
    }
}

#[test]
fn an_agent_needs_exactly_one_ifi() {
    // Data 2.4.2.1.s2.b1/b2.
    let e = reject_both(
        &actor(json!({ "objectType": "Agent", "name": "nobody" })),
        "actor",
    );
    assert!(e.message.contains("found none"), "{e}");
    let e = reject_both(
        &actor(
            json!({ "mbox": "mailto:xapi@adlnet.gov", "account": { "homePage": "http://www.example.com", "name": "x" } }),
        ),
        "actor",
    );
    assert!(e.message.contains("found 2: mbox, account"), "{e}");
}

#[test]
fn mbox_must_be_a_mailto_iri() {
    for bad in [
        "bob@x",
        "mailto:",
        "mailto:bob",
        "mailto:@example.com",
        "MAILTO:bob@example.com",
        "mailto:bob smith@example.com",
        "http://bob@example.com",
    ] {
        let e = reject_both(&actor(json!({ "mbox": bad })), "actor.mbox");
        assert!(e.message.contains("mailto"), "{bad}: {e}");
    }
    reject_both(&actor(json!({ "mbox": 12 })), "actor.mbox");
}

#[test]
fn mbox_sha1sum_is_forty_hex_digits() {
    for bad in [
        "ebd31e95054c018b10727ccffd2ef2ec3a016ee",
        "ebd31e95054c018b10727ccffd2ef2ec3a016eeg",
        "",
    ] {
        reject_both(&actor(json!({ "mbox_sha1sum": bad })), "actor.mbox_sha1sum");
    }
    accept_both(&actor(
        json!({ "mbox_sha1sum": "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9" }),
    ));
}

#[test]
fn openid_and_account_home_page_are_iris() {
    // Data 2.2.s4.b1.b8: the conformance suite drops the scheme.
    reject_both(
        &actor(json!({ "openid": "open.id.com/testUser" })),
        "actor.openid",
    );
    reject_both(
        &actor(json!({ "account": { "homePage": "homePage.com/testUser", "name": "123456" } })),
        "actor.account.homePage",
    );
}

#[test]
fn account_needs_home_page_and_a_string_name_only() {
    // Data 2.4.2.4.s2 table.
    reject_both(
        &actor(json!({ "account": { "name": "123456" } })),
        "actor.account.homePage",
    );
    reject_both(
        &actor(json!({ "account": { "homePage": "http://www.example.com" } })),
        "actor.account.name",
    );
    let e = reject_both(
        &actor(
            json!({ "account": { "homePage": "http://www.example.com", "name": { "key": "x" } } }),
        ),
        "actor.account.name",
    );
    assert!(e.message.contains("string"), "{e}");
    reject_both(
        &actor(
            json!({ "account": { "homePage": "http://www.example.com", "name": "1", "extra": 1 } }),
        ),
        "actor.account.extra",
    );
    reject_both(
        &actor(json!({ "account": "http://www.example.com|1" })),
        "actor.account",
    );
}

#[test]
fn agent_properties_are_checked() {
    reject_both(
        &actor(json!({ "mbox": "mailto:a@example.com", "name": 5 })),
        "actor.name",
    );
    reject_both(
        &actor(json!({ "mbox": "mailto:a@example.com", "age": 5 })),
        "actor.age",
    );
    let e = reject_both(
        &actor(json!({ "objectType": "agent", "mbox": "mailto:a@example.com" })),
        "actor.objectType",
    );
    assert!(e.message.contains("case-sensitive"), "{e}");
    reject_both(&actor(json!("mailto:a@example.com")), "actor");
}

#[test]
fn an_anonymous_group_lists_its_members() {
    // Data 2.4.2.2.s4.b1.
    let e = reject_both(
        &actor(json!({ "objectType": "Group", "name": "Group Anonymous" })),
        "actor.member",
    );
    assert!(e.message.contains("anonymous Group"), "{e}");
    reject_both(
        &actor(json!({ "objectType": "Group", "member": [] })),
        "actor.member",
    );
    accept_both(&actor(
        json!({ "objectType": "Group", "member": [ { "mbox": "mailto:a@example.com" } ] }),
    ));
}

#[test]
fn an_identified_group_has_one_ifi_and_optional_members() {
    // Data 2.4.2.2.s5.
    accept_both(&actor(
        json!({ "objectType": "Group", "openid": "http://group.openid.example.org" }),
    ));
    accept_both(&actor(
        json!({ "objectType": "Group", "mbox": "mailto:team@example.com", "member": [] }),
    ));
    let e = reject_both(
        &actor(
            json!({ "objectType": "Group", "mbox": "mailto:team@example.com", "openid": "http://group.openid.example.org" }),
        ),
        "actor",
    );
    assert!(e.message.contains("exactly one identifier"), "{e}");
}

#[test]
fn group_members_are_agents_not_groups() {
    // Data 2.4.2.2.s4.b2 and s5.b2.
    let nested = json!({ "objectType": "Group", "member": [
        { "objectType": "Group", "member": [ { "mbox": "mailto:a@example.com" } ] } ] });
    let e = reject_both(&actor(nested), "actor.member[0].objectType");
    assert!(e.message.contains("cannot be nested"), "{e}");
    reject_both(
        &actor(json!({ "objectType": "Group", "member": [ { "name": "no ifi" } ] })),
        "actor.member[0]",
    );
    reject_both(
        &actor(json!({ "objectType": "Group", "member": { "mbox": "mailto:a@example.com" } })),
        "actor.member",
    );
}

#[test]
fn a_group_must_say_it_is_a_group() {
    let e = reject_both(
        &actor(json!({ "member": [ { "mbox": "mailto:a@example.com" } ] })),
        "actor.objectType",
    );
    assert!(e.message.contains("Group"), "{e}");
    reject_both(
        &actor(json!({ "objectType": "Team", "mbox": "mailto:a@example.com" })),
        "actor.objectType",
    );
}

#[test]
fn agent_keys_are_canonical() {
    assert_eq!(
        agent_key(&json!({ "mbox": "mailto:Bob@Example.COM" })).unwrap(),
        AgentKey("mbox:mailto:Bob@example.com".into())
    );
    assert_eq!(
        agent_key(&json!({ "mbox_sha1sum": "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9" }))
            .unwrap()
            .as_str(),
        "mbox_sha1sum:ebd31e95054c018b10727ccffd2ef2ec3a016ee9"
    );
    assert_eq!(
        agent_key(&json!({ "openid": "http://toby.openid.example.org/" }))
            .unwrap()
            .as_str(),
        "openid:http://toby.openid.example.org/"
    );
    assert_eq!(
        agent_key(
            &json!({ "account": { "homePage": "http://www.example.com", "name": "13936749" } })
        )
        .unwrap()
        .to_string(),
        "account:http://www.example.com|13936749"
    );
    // Same IFI, different names and objectType: same key.
    assert_eq!(
        agent_key(&json!({ "objectType": "Agent", "name": "A", "mbox": "mailto:a@EXAMPLE.com" }))
            .unwrap(),
        agent_key(&json!({ "name": "B", "mbox": "mailto:a@example.com" })).unwrap()
    );
    assert_eq!(
        agent_key(&appendix_b_group()).unwrap().as_str(),
        "account:http://example.com/homePage|GroupAccount"
    );
}

#[test]
fn agent_key_rejects_anonymous_groups_and_invalid_agents() {
    let e = agent_key(
        &json!({ "objectType": "Group", "member": [ { "mbox": "mailto:a@example.com" } ] }),
    )
    .unwrap_err();
    assert!(e.message.contains("anonymous"), "{e}");
    assert!(agent_key(&json!({ "name": "x" })).is_err());
}

#[test]
fn agent_parameter_is_validated_like_a_statement_agent() {
    // Data 2.2.s4.b4.
    let (key, v) = parse_agent_param(
        r#"{"objectType":"Agent","mbox":"mailto:bob@example.com"}"#,
        Version::V1_0_3,
    )
    .unwrap();
    assert_eq!(key.as_str(), "mbox:mailto:bob@example.com");
    assert_eq!(v["mbox"], "mailto:bob@example.com");
    let (key, _) = parse_agent_param(
        r#"{"objectType":"Group","openid":"http://group.example.org"}"#,
        Version::V2_0_0,
    )
    .unwrap();
    assert_eq!(key.as_str(), "openid:http://group.example.org");

    let e = parse_agent_param("wrong", Version::V1_0_3).unwrap_err();
    assert_eq!(e.path, "agent");
    assert_eq!(
        parse_agent_param(r#"{"mbox":"bob@example.com"}"#, Version::V1_0_3)
            .unwrap_err()
            .path,
        "agent.mbox"
    );
    assert_eq!(
        parse_agent_param(r#"{"mbox":"mailto:a@example.com","x":1}"#, Version::V1_0_3)
            .unwrap_err()
            .path,
        "agent.x"
    );
    let e = parse_agent_param(
        r#"{"objectType":"Group","member":[{"mbox":"mailto:a@example.com"}]}"#,
        Version::V1_0_3,
    )
    .unwrap_err();
    assert!(e.message.contains("anonymous"), "{e}");
    assert_eq!(
        parse_agent_param(
            r#"{"mbox":"mailto:a@example.com","mbox":"mailto:b@example.com"}"#,
            Version::V1_0_3
        )
        .unwrap_err()
        .path,
        "agent",
        "duplicate keys are refused too"
    );
}

#[test]
fn keys_give_their_email_or_account() {
    let mbox = agent_key(&json!({ "mbox": "mailto:A.Nurse@NHS.net" })).unwrap();
    assert_eq!(mbox.mbox(), Some("A.Nurse@nhs.net"));
    assert_eq!(mbox.account(), None);
    let account =
        agent_key(&json!({ "account": { "homePage": "https://lantern.test", "name": "E|123" } }))
            .unwrap();
    assert_eq!(account.account(), Some(("https://lantern.test", "E|123")));
    assert_eq!(account.mbox(), None);
    let hashed =
        agent_key(&json!({ "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9" })).unwrap();
    assert_eq!((hashed.mbox(), hashed.account()), (None, None));
}
