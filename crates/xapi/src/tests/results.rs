//! Result and Score (Data 2.4.5), durations (Data 4.6).

use serde_json::json;

use super::fixtures::*;
use crate::{ResultFacts, Version, result_facts};

fn result(r: serde_json::Value) -> serde_json::Value {
    set(simplest(), "/result", r)
}

#[test]
fn the_examples_results_are_accepted() {
    accept_both(&attempted());
    accept_both(&result(
        json!({ "score": { "scaled": -1, "raw": 0, "min": 0, "max": 10 }, "response": "a" }),
    ));
    // Conformance XAPI-00002 values.
    accept_both(&result(
        json!({ "score": { "min": 0.12123434, "raw": 12.125, "max": 45.45, "scaled": 0.12123434 } }),
    ));
}

#[test]
fn numbers_and_booleans_must_not_be_strings() {
    // Data 2.2.s4.b1.b2/b3 and the conformance suite's strings.
    let e = reject_both(
        &result(json!({ "score": { "max": "100" } })),
        "result.score.max",
    );
    assert!(e.message.contains("number"), "{e}");
    reject_both(
        &result(json!({ "score": { "max": "one hundred" } })),
        "result.score.max",
    );
    let e = reject_both(
        &result(json!({ "completion": "false" })),
        "result.completion",
    );
    assert!(e.message.contains("boolean"), "{e}");
    reject_both(
        &result(json!({ "success": "We regret to inform you that your effort was unsuccessful." })),
        "result.success",
    );
    reject_both(&result(json!({ "response": 7 })), "result.response");
}

#[test]
fn scaled_is_between_minus_one_and_one() {
    for bad in [1.01, -1.5, 95.0] {
        let e = reject_both(
            &result(json!({ "score": { "scaled": bad } })),
            "result.score.scaled",
        );
        assert!(e.message.contains("between -1 and 1"), "{e}");
    }
    accept_both(&result(json!({ "score": { "scaled": 1 } })));
}

#[test]
fn min_is_below_max_and_raw_within_them() {
    let e = reject_both(
        &result(json!({ "score": { "min": 10, "max": 10 } })),
        "result.score.min",
    );
    assert!(e.message.contains("less than max"), "{e}");
    reject_both(
        &result(json!({ "score": { "min": 11, "max": 10 } })),
        "result.score.min",
    );
    reject_both(
        &result(json!({ "score": { "raw": -1, "min": 0 } })),
        "result.score.raw",
    );
    reject_both(
        &result(json!({ "score": { "raw": 11, "max": 10 } })),
        "result.score.raw",
    );
    accept_both(&result(
        json!({ "score": { "raw": 10, "min": 0, "max": 10 } }),
    ));
    accept_both(&result(json!({ "score": { "raw": -1000 } })));
}

#[test]
fn result_and_score_reject_unknown_properties() {
    reject_both(&result(json!({ "grade": "A" })), "result.grade");
    reject_both(
        &result(json!({ "score": { "percent": 50 } })),
        "result.score.percent",
    );
    reject_both(&result(json!({ "score": 50 })), "result.score");
    reject_both(
        &result(json!({ "extensions": { "minutes": "x" } })),
        "result.extensions.minutes",
    );
}

#[test]
fn duration_is_an_iso_8601_duration() {
    // Data 4.6.s2 examples and conformance XAPI-00124.
    for ok in [
        "PT4H35M59.14S",
        "PT16559.14S",
        "P3Y1M29DT4H35M59.14S",
        "P3Y",
        "P4W",
        "PT1H0M0.1S",
        "PT0S",
        "P1DT12H",
        "PT1,5S",
        "P0.5Y",
    ] {
        accept_both(&result(json!({ "duration": ok })));
    }
    for bad in [
        "PA1H0M0S",
        "P4W1D",
        "should fail",
        "P",
        "PT",
        "1H",
        "P1H",
        "PT1Y",
        "P1.5Y2M",
        "P0003-01-29T04:35:59",
        "-PT1S",
        "PT1.S",
        "P1M1Y",
    ] {
        let e = reject_both(&result(json!({ "duration": bad })), "result.duration");
        assert!(e.message.contains("ISO 8601 duration"), "{bad}: {e}");
    }
    reject_both(&result(json!({ "duration": 12345 })), "result.duration");
    reject_both(
        &result(json!({ "duration": { "key": "invalid" } })),
        "result.duration",
    );
}

#[test]
fn result_facts_say_how_the_attempt_went() {
    let p = prep(
        &result(
            json!({ "success": true, "score": { "scaled": 0.85, "raw": 17 }, "duration": "PT1H30M" }),
        ),
        Version::V1_0_3,
    );
    assert_eq!(
        result_facts(&p.statement),
        ResultFacts {
            success: Some(true),
            scaled: Some(0.85),
            duration: Some("PT1H30M"),
        }
    );
    assert_eq!(
        result_facts(&prep(&result(json!({ "score": { "raw": 3 } })), Version::V2_0_0).statement),
        ResultFacts::default(),
        "a raw score alone has no scaled score"
    );
    assert_eq!(result_facts(&simplest()), ResultFacts::default());
}
