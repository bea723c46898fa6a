//! Arbitrary bytes as a statement: `prepare` under both versions must return Ok or Err, never panic; whatever it
//! accepts must format in every format, compare equal to itself and to what it was made from; and the bytes as a
//! JSON document must merge without panicking.

#![no_main]

use chrono::{TimeZone, Utc};
use lantern_xapi::{
    Authority, Format, PrepareContext, Version, format_statement, merge_json_document, parse_json, prepare,
    same_statement,
};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let _ = merge_json_document(data, br#"{"a":1}"#);
    let _ = merge_json_document(br#"{"a":1}"#, data);
    let _ = lantern_xapi::accept_languages(&String::from_utf8_lossy(data));
    let _ = lantern_xapi::verify_signature(&json!({}), data);

    let Ok(raw) = parse_json(data) else { return };
    let ctx = PrepareContext {
        new_id: uuid::Uuid::from_u128(0x0b2e_d7c9_6b8e_4f0e_a9f4_5d1a_5a9d_2c11),
        stored: Utc.with_ymd_and_hms(2024, 3, 1, 9, 30, 0).unwrap(),
        authority: Authority::new(json!({ "objectType": "Agent", "account": { "homePage": "https://lrs.example.org", "name": "fuzz" } }))
            .expect("the fuzz credential's authority is valid"),
    };
    let languages = vec!["en-GB".to_owned(), "*".to_owned()];
    for version in [Version::V1_0_3, Version::V2_0_0] {
        if let Ok(p) = prepare(raw.clone(), version, &ctx) {
            for format in [Format::Ids, Format::Exact, Format::Canonical] {
                let _ = format_statement(&p.statement, format, &languages);
            }
            assert!(same_statement(&p.statement, &p.statement));
            assert!(
                same_statement(&raw, &p.statement),
                "a statement must match its prepared self"
            );
            // What was accepted once is accepted again as stored.
            prepare(p.statement.clone(), version, &ctx).expect("a prepared statement is valid");
        }
    }
    for format in [Format::Ids, Format::Canonical] {
        let _ = format_statement(&raw, format, &languages);
    }
});
