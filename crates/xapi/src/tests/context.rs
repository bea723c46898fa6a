//! Context (Data 2.4.6) and the 2.0 contextAgents and contextGroups.

use serde_json::json;

use super::fixtures::*;
use crate::{AgentKey, Version};

fn context(c: serde_json::Value) -> serde_json::Value {
    set(simplest(), "/context", c)
}

#[test]
fn registration_is_a_uuid() {
    let p = prep(
        &context(json!({ "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7" })),
        Version::V1_0_3,
    );
    assert_eq!(
        p.index.registration.unwrap().to_string(),
        "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
    );
    reject_both(
        &context(json!({ "registration": "wrong" })),
        "context.registration",
    );
}

#[test]
fn instructor_is_an_agent_or_group_and_team_a_group() {
    accept_both(&context(
        json!({ "instructor": { "mbox": "mailto:teacher@example.com" } }),
    ));
    accept_both(&context(
        json!({ "instructor": { "objectType": "Group", "mbox": "mailto:teachers@example.com" } }),
    ));
    reject_both(
        &context(json!({ "instructor": { "name": "no ifi" } })),
        "context.instructor",
    );
    let e = reject_both(
        &context(json!({ "team": { "mbox": "mailto:team@example.com" } })),
        "context.team.objectType",
    );
    assert!(e.message.contains("Group"), "{e}");
    let p = prep(
        &context(
            json!({ "team": { "objectType": "Group", "member": [ { "mbox": "mailto:m@example.com" } ] },
        "instructor": { "mbox": "mailto:teacher@example.com" } }),
        ),
        Version::V1_0_3,
    );
    let related: Vec<&str> = p
        .index
        .related_agents
        .iter()
        .map(AgentKey::as_str)
        .collect();
    assert!(
        related.contains(&"mbox:mailto:m@example.com")
            && related.contains(&"mbox:mailto:teacher@example.com"),
        "{related:?}"
    );
    assert!(
        !p.index
            .agents
            .iter()
            .any(|k| k.as_str() == "mbox:mailto:teacher@example.com"),
        "instructor is not actor or object"
    );
}

#[test]
fn context_activities_keys_and_values() {
    // Data 2.4.6.2.s5 example, and single objects (s4.b2).
    accept_both(&context(json!({ "contextActivities": {
        "parent": [ { "id": "http://example.adlnet.gov/xapi/example/test1" } ],
        "grouping": [ { "id": "http://example.adlnet.gov/xapi/example/Algebra1" } ] } })));
    accept_both(&context(
        json!({ "contextActivities": { "category": { "id": "http://example.com/profile" }, "other": [] } }),
    ));
    let e = reject_both(
        &context(json!({ "contextActivities": { "sibling": [] } })),
        "context.contextActivities.sibling",
    );
    assert!(e.message.contains("parent"), "{e}");
    reject_both(
        &context(json!({ "contextActivities": { "parent": "http://example.com/course" } })),
        "context.contextActivities.parent",
    );
    reject_both(
        &context(json!({ "contextActivities": { "parent": [ { "id": "course" } ] } })),
        "context.contextActivities.parent[0].id",
    );
    reject_both(
        &context(
            json!({ "contextActivities": { "other": { "objectType": "Agent", "mbox": "mailto:a@example.com" } } }),
        ),
        "context.contextActivities.other.objectType",
    );
    reject_both(
        &context(json!({ "contextActivities": [] })),
        "context.contextActivities",
    );
}

#[test]
fn revision_and_platform_only_with_an_activity_object() {
    // Data 2.4.6.s4.b1/b2.
    accept_both(&context(json!({ "revision": "r2", "platform": "web" })));
    for key in ["revision", "platform"] {
        let s = set(commented(), &format!("/context/{key}"), json!("x"));
        let e = reject_both(&s, &format!("context.{key}"));
        assert!(e.message.contains("Activity"), "{e}");
    }
    // In a SubStatement the rule looks at the SubStatement's own object.
    accept_both(&set(planned(), "/object/context/platform", json!("web")));
    reject_both(
        &set(
            set(simplest(), "/object", appendix_b_substatement()),
            "/object/context/revision",
            json!("1"),
        ),
        "object.context.revision",
    );
    reject_both(&context(json!({ "revision": 2 })), "context.revision");
}

#[test]
fn language_is_a_language_tag_and_statement_a_statement_ref() {
    accept_both(&context(json!({ "language": "tlh" })));
    accept_both(&context(json!({ "language": "zh-Hant-TW" })));
    reject_both(
        &context(json!({ "language": "english language" })),
        "context.language",
    );
    reject_both(
        &context(json!({ "statement": { "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee" } })),
        "context.statement.objectType",
    );
    reject_both(
        &context(json!({ "statement": { "objectType": "StatementRef", "id": "x" } })),
        "context.statement.id",
    );
    reject_both(
        &context(json!({ "extensions": { "example.com/extension/wrong": 1234 } })),
        "context.extensions.example.com/extension/wrong",
    );
    reject_both(&context(json!({ "mood": "happy" })), "context.mood");
    reject_both(&context(json!("context")), "context");
}

#[test]
fn context_agents_and_groups_are_2_0_only() {
    let s = context(context_agents_2_0());
    let p = prep(&s, Version::V2_0_0);
    let related: Vec<&str> = p
        .index
        .related_agents
        .iter()
        .map(AgentKey::as_str)
        .collect();
    for k in [
        "mbox:mailto:player-1@example.com",
        "mbox:mailto:team-1@example.com",
        "mbox:mailto:player-2@example.com",
    ] {
        assert!(related.contains(&k), "{k} in {related:?}");
    }
    let e = reject(&s, Version::V1_0_3);
    assert_eq!(e.path, "context.contextAgents");
    assert!(e.message.contains("2.0"), "{e}");
    // Inside a SubStatement too.
    prep(
        &set(planned(), "/object/context", context_agents_2_0()),
        Version::V2_0_0,
    );
    assert_eq!(
        reject(
            &set(planned(), "/object/context", context_agents_2_0()),
            Version::V1_0_3
        )
        .path,
        "object.context.contextAgents"
    );
}

#[test]
fn context_agent_rules() {
    // The 2.0 conformance suite: wrong objectType, invalid agent, empty relevantTypes, non-IRI relevantTypes.
    let v = Version::V2_0_0;
    let base = context_agents_2_0();
    let at = |ptr: &str, val| context(set(base.clone(), ptr, val));
    assert_eq!(
        reject(&at("/contextAgents/0/objectType", json!("Should fail")), v).path,
        "context.contextAgents[0].objectType"
    );
    assert_eq!(
        reject(
            &remove(context(base.clone()), "/context/contextAgents/0/objectType"),
            v
        )
        .path,
        "context.contextAgents[0].objectType"
    );
    assert_eq!(
        reject(
            &at("/contextAgents/0/agent", json!({ "key": "Should fail" })),
            v
        )
        .path,
        "context.contextAgents[0].agent.key"
    );
    assert_eq!(
        reject(&at("/contextAgents/0/relevantTypes", json!([])), v).path,
        "context.contextAgents[0].relevantTypes"
    );
    assert_eq!(
        reject(&at("/contextAgents/0/relevantTypes", json!(["abc"])), v).path,
        "context.contextAgents[0].relevantTypes[0]"
    );
    assert_eq!(
        reject(
            &at(
                "/contextAgents/0/relevantTypes",
                json!("http://example.com/t")
            ),
            v
        )
        .path,
        "context.contextAgents[0].relevantTypes"
    );
    assert_eq!(
        reject(
            &at(
                "/contextAgents/0/agent",
                json!({ "objectType": "Group", "mbox": "mailto:g@example.com" })
            ),
            v
        )
        .path,
        "context.contextAgents[0].agent.objectType"
    );
    assert_eq!(
        reject(
            &remove(context(base.clone()), "/context/contextAgents/0/agent"),
            v
        )
        .path,
        "context.contextAgents[0].agent"
    );
    assert_eq!(
        reject(&at("/contextAgents/0/role", json!("coach")), v).path,
        "context.contextAgents[0].role"
    );
    assert_eq!(
        reject(
            &at("/contextAgents", json!({ "objectType": "contextAgent" })),
            v
        )
        .path,
        "context.contextAgents"
    );
    // relevantTypes is optional.
    prep(
        &remove(
            context(base.clone()),
            "/context/contextAgents/0/relevantTypes",
        ),
        v,
    );
}

#[test]
fn context_group_rules() {
    let v = Version::V2_0_0;
    let base = context_agents_2_0();
    let at = |ptr: &str, val| context(set(base.clone(), ptr, val));
    assert_eq!(
        reject(&at("/contextGroups/0/objectType", json!("contextAgent")), v).path,
        "context.contextGroups[0].objectType"
    );
    assert_eq!(
        reject(
            &at("/contextGroups/0/group", json!({ "key": "Should fail" })),
            v
        )
        .path,
        "context.contextGroups[0].group.objectType"
    );
    assert_eq!(
        reject(
            &at(
                "/contextGroups/0/group",
                json!({ "mbox": "mailto:g@example.com" })
            ),
            v
        )
        .path,
        "context.contextGroups[0].group.objectType"
    );
    assert_eq!(
        reject(&at("/contextGroups/0/relevantTypes", json!([])), v).path,
        "context.contextGroups[0].relevantTypes"
    );
    assert_eq!(
        reject(&at("/contextGroups/0/member", json!([])), v).path,
        "context.contextGroups[0].member"
    );
}
