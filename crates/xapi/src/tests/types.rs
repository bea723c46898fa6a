//! Versions, timestamps, language tags and Accept-Language.

use serde_json::json;

use super::fixtures::*;
use crate::{Version, accept_languages, format_timestamp, parse_timestamp};

#[test]
fn version_headers() {
    // Communication 3.3.s3.b3-b6.
    for v in [
        "1.0", "1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.9", " 1.0.3 ",
    ] {
        assert_eq!(Version::from_header(v).unwrap(), Version::V1_0_3, "{v}");
    }
    for v in ["2.0", "2.0.0", "2.0.1"] {
        assert_eq!(Version::from_header(v).unwrap(), Version::V2_0_0, "{v}");
    }
    for v in [
        "",
        "0.95",
        "0.9",
        "1.1.0",
        "1.0.",
        "1",
        "1.0.3-rc1",
        "2.1.0",
        "3.0.0",
        "v1.0.3",
        "1.0.x",
    ] {
        let e = Version::from_header(v).unwrap_err();
        assert_eq!(e.path, "X-Experience-API-Version", "{v}");
    }
    assert_eq!(Version::V1_0_3.as_str(), "1.0.3");
    assert_eq!(Version::V2_0_0.to_string(), "2.0.0");
}

#[test]
fn versions_by_exact_name() {
    assert_eq!(Version::named("1.0.3"), Some(Version::V1_0_3));
    assert_eq!(Version::named("2.0.0"), Some(Version::V2_0_0));
    for v in ["1.0", "1.0.1", "2.0", "2.0.1", "", "3.0.0"] {
        assert_eq!(
            Version::named(v),
            None,
            "{v}: a stored choice names a version exactly"
        );
    }
}

fn ts(s: &str, v: Version) -> Option<String> {
    parse_timestamp(s, v).map(format_timestamp)
}

#[test]
fn timestamps_both_versions_accept() {
    for v in [Version::V1_0_3, Version::V2_0_0] {
        assert_eq!(
            ts("2015-11-18T12:17:00+00:00", v).as_deref(),
            Some("2015-11-18T12:17:00.000Z")
        );
        assert_eq!(
            ts("2013-05-18T05:32:34.804+00:00", v).as_deref(),
            Some("2013-05-18T05:32:34.804Z")
        );
        assert_eq!(
            ts("2013-04-01T12:00:00Z", v).as_deref(),
            Some("2013-04-01T12:00:00.000Z")
        );
        assert_eq!(
            ts("2015-11-18T14:17:00.123456789+02:00", v).as_deref(),
            Some("2015-11-18T12:17:00.123Z")
        );
        assert_eq!(
            ts("2015-11-18T07:17:00-05:00", v).as_deref(),
            Some("2015-11-18T12:17:00.000Z")
        );
        // RFC 3339 allows a space between date and time; the 2.0 conformance suite sends one.
        assert_eq!(
            ts("2008-09-15 15:53:00.601+00:00", v).as_deref(),
            Some("2008-09-15T15:53:00.601Z")
        );
        assert_eq!(
            ts("2016-12-31T23:59:60Z", v).as_deref(),
            Some("2016-12-31T23:59:60.000Z"),
            "a leap second"
        );
    }
}

#[test]
fn timestamps_both_versions_reject() {
    for v in [Version::V1_0_3, Version::V2_0_0] {
        // The conformance suites: not a date, and the unknown-offset forms.
        for bad in [
            "should fail",
            "01/011/2015",
            "2008-09-15T15:53:00.601-00",
            "2008-09-15T15:53:00.601-0000",
            "2008-09-15T15:53:00.601-00:00",
            "2015-02-30T12:00:00Z",
            "2015-11-18T24:00:00Z",
            "2015-11-18T12:60:00Z",
            "2015-11-18",
            "2015-11-18T12:17:00+25:00",
            "2015-11-18T12:17:00.Z",
            "2015-11-18T12:17:00Zjunk",
            "",
        ] {
            assert_eq!(ts(bad, v), None, "{bad} under {v}");
        }
    }
}

#[test]
fn timestamps_1_0_3_take_iso_8601_forms_that_rfc_3339_does_not() {
    // Data 4.5.s1.b1: ISO 8601 (extended or basic, conformance XAPI-00123); 2.0 asks for RFC 3339.
    let iso_only = [
        ("20151118T121700Z", "2015-11-18T12:17:00.000Z"),
        ("2015-11-18T12:17Z", "2015-11-18T12:17:00.000Z"),
        ("2015-11-18T12:17:00", "2015-11-18T12:17:00.000Z"),
        ("2015-11-18T14:17:00+02", "2015-11-18T12:17:00.000Z"),
        ("2015-11-18T14:17:00+0200", "2015-11-18T12:17:00.000Z"),
        ("2015-11-18T12:17:00,5Z", "2015-11-18T12:17:00.500Z"),
    ];
    for (s, utc) in iso_only {
        assert_eq!(
            ts(s, Version::V1_0_3).as_deref(),
            Some(utc),
            "{s} under 1.0.3"
        );
        assert_eq!(ts(s, Version::V2_0_0), None, "{s} under 2.0");
    }
}

#[test]
fn statement_timestamps_follow_the_version() {
    let s = set(simplest(), "/timestamp", json!("2015-11-18T12:17:00"));
    prep(&s, Version::V1_0_3);
    let e = reject(&s, Version::V2_0_0);
    assert_eq!(e.path, "timestamp");
    assert!(e.message.contains("RFC 3339"), "{e}");
    reject_both(
        &set(
            simplest(),
            "/timestamp",
            json!("2008-09-15T15:53:00.601-00:00"),
        ),
        "timestamp",
    );
    reject_both(
        &set(simplest(), "/timestamp", json!(1447849020)),
        "timestamp",
    );
    // Data 2.4.7.s3.b6: a future timestamp is not rejected.
    accept_both(&set(
        simplest(),
        "/timestamp",
        json!("2999-01-01T00:00:00Z"),
    ));
}

#[test]
fn language_tags_follow_rfc_5646() {
    // Data 2.2.s4.b2; conformance XAPI-00013.
    for ok in [
        "de",
        "en-US",
        "es-419",
        "zh-Hant-TW",
        "sr-Latn-RS",
        "tlh",
        "und",
        "x-private",
        "en-GB-oxendict",
        "i-klingon",
    ] {
        accept_both(&set(simplest(), "/verb/display", json!({ ok: "x" })));
    }
    for bad in ["e", "something", "en_US", "en-", "-en", "123", "en--US"] {
        reject_both(
            &set(simplest(), "/verb/display", json!({ bad: "x" })),
            &format!("verb.display.{bad}"),
        );
    }
}

#[test]
fn accept_language_is_ordered_by_quality() {
    assert_eq!(
        accept_languages("da, en-gb;q=0.8, en;q=0.7"),
        vec!["da", "en-gb", "en"]
    );
    assert_eq!(
        accept_languages("en;q=0.5, fr, de;q=0.9"),
        vec!["fr", "de", "en"]
    );
    // Equal q keeps the header's order; q=0 means "not acceptable".
    assert_eq!(
        accept_languages("es, de;q=0, *;q=0.1, it"),
        vec!["es", "it", "*"]
    );
    // Malformed entries are dropped.
    assert_eq!(
        accept_languages("en;q=2, fr;q=abc, , !!, de;q=0.555, nl;q=0.5555"),
        vec!["de"]
    );
    assert!(accept_languages("").is_empty());
}
