//! The `format` parameter (Communication 2.1.3) and language filtering.

use serde_json::{Value, json};

use super::fixtures::*;
use crate::{Format, Version, best_language, format_statement, format_statement_with};

fn stored_long() -> Value {
    prep(&long(), Version::V1_0_3).statement
}

#[test]
fn format_values_are_exact() {
    assert_eq!(Format::parse("ids").unwrap(), Format::Ids);
    assert_eq!(Format::parse("exact").unwrap(), Format::Exact);
    assert_eq!(Format::parse("canonical").unwrap(), Format::Canonical);
    assert_eq!(Format::default(), Format::Exact);
    for bad in ["IDS", "Exact", "", "full"] {
        assert_eq!(Format::parse(bad).unwrap_err().path, "format");
    }
}

#[test]
fn exact_returns_the_statement_unchanged() {
    let s = stored_long();
    assert_eq!(format_statement(&s, Format::Exact, &["fr".into()]), s);
}

#[test]
fn ids_keeps_only_identifiers() {
    let out = format_statement(&stored_long(), Format::Ids, &[]);
    // An identified Group: objectType and its IFI; members and name go.
    assert_eq!(
        out["actor"],
        json!({ "objectType": "Group", "mbox": "mailto:teampb@example.com" })
    );
    // The Verb: just its id (2.0 makes dropping display a SHALL).
    assert_eq!(
        out["verb"],
        json!({ "id": "http://adlnet.gov/expapi/verbs/attended" })
    );
    assert_eq!(
        out["object"],
        json!({ "id": "http://www.example.com/meetings/occurances/34534" })
    );
    assert_eq!(
        out["authority"],
        json!({ "objectType": "Agent", "account": { "homePage": "https://lantern.example.nhs.uk", "name": "client-7" } })
    );
    let ctx = &out["context"];
    assert_eq!(
        ctx["instructor"],
        json!({ "objectType": "Agent", "account": { "homePage": "http://www.example.com", "name": "13936749" } })
    );
    assert_eq!(
        ctx["team"],
        json!({ "objectType": "Group", "mbox": "mailto:teampb@example.com" })
    );
    assert_eq!(
        ctx["contextActivities"]["category"],
        json!([ { "id": "http://www.example.com/meetings/categories/teammeeting" } ])
    );
    // Everything that is not an Agent, Group, Activity or Verb stays.
    for key in ["id", "result", "timestamp", "stored", "version"] {
        assert_eq!(out[key], stored_long()[key], "{key}");
    }
    assert_eq!(ctx["registration"], "ec531277-b57b-4c15-8d91-d292c5b2b8f7");
    assert_eq!(ctx["platform"], "Example virtual meeting software");
}

#[test]
fn ids_keeps_anonymous_group_members_identifiable() {
    let s = set(
        simplest(),
        "/actor",
        json!({ "objectType": "Group", "name": "ad hoc", "member": [
        { "name": "A", "mbox": "mailto:a@example.com" }, { "objectType": "Agent", "name": "B", "openid": "http://b.example.org/" } ] }),
    );
    let out = format_statement(&s, Format::Ids, &[]);
    assert_eq!(
        out["actor"],
        json!({ "objectType": "Group", "member": [
        { "mbox": "mailto:a@example.com" }, { "objectType": "Agent", "openid": "http://b.example.org/" } ] })
    );
}

#[test]
fn ids_reaches_into_substatements_and_context_agents() {
    let s = set(planned(), "/object/context", context_agents_2_0());
    let s = set(
        s,
        "/object/context/contextAgents/0/agent/name",
        json!("Player One"),
    );
    let out = format_statement(&s, Format::Ids, &[]);
    assert_eq!(
        out["object"]["verb"],
        json!({ "id": "http://example.com/visited" })
    );
    assert_eq!(
        out["object"]["object"],
        json!({ "id": "http://example.com/website" })
    );
    let agent = &out["object"]["context"]["contextAgents"][0];
    assert_eq!(
        agent["agent"],
        json!({ "objectType": "Agent", "mbox": "mailto:player-1@example.com" })
    );
    assert_eq!(
        agent["relevantTypes"],
        s["object"]["context"]["contextAgents"][0]["relevantTypes"]
    );
    assert_eq!(
        out["object"]["context"]["contextGroups"][0]["group"],
        json!({ "objectType": "Group", "mbox": "mailto:team-1@example.com" })
    );
}

#[test]
fn canonical_keeps_one_language_per_map() {
    // Communication 2.1.3.s4.b1/b5.
    let out = format_statement(&stored_long(), Format::Canonical, &["en-US".into()]);
    assert_eq!(out["verb"]["display"], json!({ "en-US": "attended" }));
    assert_eq!(
        out["object"]["definition"]["name"],
        json!({ "en-US": "example meeting" })
    );
    assert_eq!(
        out["object"]["definition"]["description"]
            .as_object()
            .unwrap()
            .len(),
        1
    );
    // "en-US" is not there, so lookup falls back to "en".
    assert_eq!(
        out["context"]["contextActivities"]["category"][0]["definition"]["name"],
        json!({ "en": "team meeting" })
    );
    // Agents and Groups are as in exact.
    assert_eq!(out["actor"], stored_long()["actor"]);
    let out = format_statement(
        &stored_long(),
        Format::Canonical,
        &["en-GB".into(), "en".into()],
    );
    assert_eq!(out["verb"]["display"], json!({ "en-GB": "attended" }));
}

#[test]
fn canonical_filters_interaction_components() {
    let def = interactions()
        .into_iter()
        .find(|(n, _)| *n == "choice")
        .unwrap()
        .1;
    let def = set(def, "/choices/0/description/fr", json!("Exemple de golf"));
    let out = format_statement(&with_definition(def), Format::Canonical, &["fr".into()]);
    let choices = out["object"]["definition"]["choices"].as_array().unwrap();
    assert_eq!(
        choices[0]["description"],
        json!({ "fr": "Exemple de golf" })
    );
    assert_eq!(
        choices[1]["description"],
        json!({ "en-US": "Facebook App" }),
        "the only language there is"
    );
}

#[test]
fn canonical_uses_the_lrs_definition_when_given() {
    let canonical = json!({ "name": { "en-US": "Canonical name", "de": "Kanonischer Name" } });
    let out = format_statement_with(&simple(), Format::Canonical, &["de".into()], &|id| {
        (id == "http://example.com/xapi/activity/simplestatement").then(|| canonical.clone())
    });
    assert_eq!(
        out["object"]["definition"],
        json!({ "name": { "de": "Kanonischer Name" } })
    );
    // Activities the LRS does not know keep their own definition.
    let out = format_statement_with(&planned(), Format::Canonical, &[], &|_| None);
    assert_eq!(
        out["object"]["object"]["definition"]["name"],
        json!({ "en-US": "Some Awesome Website" })
    );
}

#[test]
fn best_language_matching() {
    let keys = ["en-GB", "en-US", "fr", "und"];
    let r = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        best_language(&keys, &r(&["en-us"])),
        Some("en-US"),
        "case-insensitive"
    );
    assert_eq!(
        best_language(&keys, &r(&["en"])),
        Some("en-GB"),
        "a range matches longer tags"
    );
    assert_eq!(
        best_language(&keys, &r(&["de", "fr"])),
        Some("fr"),
        "preference order"
    );
    assert_eq!(
        best_language(&["en", "fr"], &r(&["en-AU"])),
        Some("en"),
        "lookup cuts the range back"
    );
    assert_eq!(
        best_language(&keys, &r(&["de"])),
        Some("und"),
        "undetermined before an arbitrary one"
    );
    assert_eq!(
        best_language(&["fr", "de"], &r(&["ja"])),
        Some("fr"),
        "something rather than nothing"
    );
    assert_eq!(best_language(&["fr", "de"], &r(&["*"])), Some("fr"));
    assert_eq!(best_language(&[], &r(&["en"])), None);
}
