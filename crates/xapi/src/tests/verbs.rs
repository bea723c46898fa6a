//! Verbs (Data 2.4.3).

use serde_json::json;

use super::fixtures::*;

#[test]
fn a_verb_needs_an_iri_id() {
    reject_both(
        &set(
            simplest(),
            "/verb",
            json!({ "display": { "en-US": "created" } }),
        ),
        "verb.id",
    );
    // The conformance suite removes the scheme.
    let e = reject_both(
        &set(
            simplest(),
            "/verb/id",
            json!("adlnet.gov/expapi/verbs/created"),
        ),
        "verb.id",
    );
    assert!(e.message.contains("IRI"), "{e}");
    reject_both(&set(simplest(), "/verb/id", json!("")), "verb.id");
    reject_both(&set(simplest(), "/verb/id", json!(7)), "verb.id");
    reject_both(
        &set(
            simplest(),
            "/verb",
            json!("http://adlnet.gov/expapi/verbs/created"),
        ),
        "verb",
    );
}

#[test]
fn display_is_an_optional_language_map() {
    // Data 2.4.3.s8: the defenestrated example, with a two-language display.
    accept_both(&set(
        simplest(),
        "/verb",
        json!({ "id": "http://example.com/xapi/verbs#defenestrated",
        "display": { "en-US": "defenestrated", "es": "defenestrado" } }),
    ));
    accept_both(&set(
        simplest(),
        "/verb",
        json!({ "id": "http://example.com/xapi/verbs#defenestrated" }),
    ));
    // IRIs may hold non-ASCII characters (Data 2.4.3.1.s1).
    accept_both(&set(
        simplest(),
        "/verb/id",
        json!("http://example.com/فعل/خواندن"),
    ));
    reject_both(
        &set(simplest(), "/verb/display", json!("created")),
        "verb.display",
    );
    reject_both(
        &set(
            simplest(),
            "/verb/display",
            json!({ "not a tag": "created" }),
        ),
        "verb.display.not a tag",
    );
    reject_both(
        &set(simplest(), "/verb/display", json!({ "en-US": 1 })),
        "verb.display.en-US",
    );
    reject_both(
        &set(simplest(), "/verb/name", json!({ "en-US": "created" })),
        "verb.name",
    );
}
