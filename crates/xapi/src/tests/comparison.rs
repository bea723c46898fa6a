//! Statement comparison (Data 2.3.1.s9).

use serde_json::{Value, json};

use super::fixtures::*;
use crate::{Version, same_statement};

fn stored(v: &Value) -> Value {
    prep(v, Version::V1_0_3).statement
}

#[test]
fn a_statement_matches_its_stored_self() {
    // The LRS-assigned id, stored, authority, version and timestamp are ignored (2.3.1.b1).
    for s in [
        simplest(),
        simple(),
        long(),
        voiding(),
        planned(),
        with_attachment(),
    ] {
        assert!(same_statement(&s, &stored(&s)), "{s:#}");
        assert!(same_statement(&stored(&s), &s));
    }
}

#[test]
fn changes_to_the_experience_are_differences() {
    let s = stored(&long());
    for (ptr, v) in [
        (
            "/verb/id",
            json!("http://adlnet.gov/expapi/verbs/attempted"),
        ),
        ("/actor/mbox", json!("mailto:other@example.com")),
        ("/object/id", json!("http://example.com/other")),
        ("/result/success", json!(false)),
        ("/result/duration", json!("PT1H0M1S")),
        (
            "/context/registration",
            json!("ec531277-b57b-4c15-8d91-d292c5b2b8f8"),
        ),
        ("/context/platform", json!("other")),
        ("/context/extensions", json!({ "http://example.com/x": 1 })),
        ("/actor/name", json!("Team QB")),
    ] {
        assert!(!same_statement(&s, &set(long(), ptr, v)), "{ptr}");
    }
    assert!(!same_statement(&s, &remove(long(), "/result")));
    // A different id or timestamp, when both are given, is a difference.
    assert!(!same_statement(
        &s,
        &set(long(), "/id", json!("6690e6c9-3ef0-4ed3-8b37-7f3964730bef"))
    ));
    assert!(!same_statement(
        &s,
        &set(long(), "/timestamp", json!("2013-05-18T05:32:35.804+00:00"))
    ));
}

#[test]
fn exceptions_to_immutability_are_ignored() {
    let s = stored(&long());
    // b2, b3: activity definitions and verb display.
    assert!(same_statement(
        &s,
        &set(
            long(),
            "/object/definition",
            json!({ "name": { "fr": "réunion" } })
        )
    ));
    assert!(same_statement(&s, &remove(long(), "/verb/display")));
    assert!(same_statement(
        &s,
        &remove(long(), "/context/contextActivities/category/0/definition")
    ));
    // b4: the same instant in another zone, and precision beyond milliseconds.
    assert!(same_statement(
        &s,
        &set(long(), "/timestamp", json!("2013-05-18T07:32:34.804+02:00"))
    ));
    assert!(same_statement(
        &s,
        &set(long(), "/timestamp", json!("2013-05-18T05:32:34.8049Z"))
    ));
    // b5: group members in another order.
    let mut members = long()["actor"]["member"].as_array().unwrap().clone();
    members.reverse();
    assert!(same_statement(
        &s,
        &set(long(), "/actor/member", Value::Array(members))
    ));
    // b6: attachments.
    assert!(same_statement(
        &stored(&with_attachment()),
        &remove(with_attachment(), "/attachments")
    ));
    // b7: case-insensitive values.
    assert!(same_statement(
        &s,
        &set(long(), "/actor/mbox", json!("mailto:teampb@EXAMPLE.COM"))
    ));
    assert!(same_statement(
        &s,
        &set(
            long(),
            "/context/registration",
            json!("EC531277-B57B-4C15-8D91-D292C5B2B8F7")
        )
    ));
    assert!(same_statement(
        &s,
        &set(long(), "/id", json!("6690E6C9-3EF0-4ED3-8B37-7F3964730BEE"))
    ));
    assert!(
        !same_statement(
            &s,
            &set(long(), "/actor/mbox", json!("mailto:TEAMPB@example.com"))
        ),
        "the local part is case-sensitive"
    );
}

#[test]
fn equivalent_serialisations_are_the_same() {
    // A single context activity against an array of one; an implied objectType; 1 against 1.0.
    let single = set(
        simplest(),
        "/context/contextActivities/parent",
        json!({ "id": "http://example.com/course" }),
    );
    assert!(same_statement(&stored(&single), &single));
    let implied = set(simplest(), "/object/objectType", json!("Activity"));
    assert!(same_statement(&simplest(), &implied));
    let explicit_agent = set(simplest(), "/actor/objectType", json!("Agent"));
    assert!(same_statement(&simplest(), &explicit_agent));
    let a = set(simplest(), "/result/score/raw", json!(1));
    let b = set(simplest(), "/result/score/raw", json!(1.0));
    assert!(same_statement(&a, &b));
    assert!(!same_statement(
        &a,
        &set(simplest(), "/result/score/raw", json!(2))
    ));
}

#[test]
fn durations_compare_to_the_hundredth_of_a_second() {
    // Data 4.6.s1.b5.
    let a = set(simplest(), "/result/duration", json!("PT1.2345S"));
    assert!(same_statement(
        &a,
        &set(simplest(), "/result/duration", json!("PT1.23S"))
    ));
    assert!(same_statement(
        &a,
        &set(simplest(), "/result/duration", json!("PT1.230S"))
    ));
    assert!(!same_statement(
        &a,
        &set(simplest(), "/result/duration", json!("PT1.24S"))
    ));
    // b8: otherwise a duration is a string: PT60S is not PT1M.
    let m = set(simplest(), "/result/duration", json!("PT1M"));
    assert!(!same_statement(
        &m,
        &set(simplest(), "/result/duration", json!("PT60S"))
    ));
}

#[test]
fn substatements_compare_deeply() {
    let p = planned();
    assert!(same_statement(
        &p,
        &set(
            planned(),
            "/object/verb/display",
            json!({ "en-GB": "will visit" })
        )
    ));
    assert!(!same_statement(
        &p,
        &set(
            planned(),
            "/object/verb/id",
            json!("http://example.com/attended")
        )
    ));
    assert!(same_statement(
        &set(
            planned(),
            "/object/timestamp",
            json!("2999-01-01T00:00:00Z")
        ),
        &set(
            planned(),
            "/object/timestamp",
            json!("2999-01-01T01:00:00+01:00")
        )
    ));
    assert!(!same_statement(
        &p,
        &set(
            planned(),
            "/object/timestamp",
            json!("2999-01-01T00:00:00Z")
        )
    ));
}

#[test]
fn non_objects_compare_as_values() {
    assert!(same_statement(&json!(1), &json!(1)));
    assert!(!same_statement(&json!([]), &simplest()));
}

#[test]
fn odd_durations_do_not_trip_the_comparison() {
    // same_statement takes any JSON; text that is no duration is compared as it is.
    for d in ["PTé1.5S", "é", "S", ".S", "1.2.3S"] {
        let a = set(simplest(), "/result/duration", json!(d));
        assert!(same_statement(&a, &a.clone()), "{d}");
    }
}
