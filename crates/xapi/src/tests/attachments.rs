//! Attachments (Data 2.4.11) and multipart parts (Communication 1.5.2).

use serde_json::json;

use super::fixtures::*;
use crate::{AttachmentRef, SIGNATURE_USAGE_TYPE, Version, check_attachment_parts};

const HASH: &str = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a";
const OTHER: &str = "7063d0a4cfa93373753ad2f5a6ffcf684559fb1df3c2f0473a14ece7d4edb06a";

fn attachment(pointer: &str, v: serde_json::Value) -> serde_json::Value {
    set(with_attachment(), &format!("/attachments/0{pointer}"), v)
}

#[test]
fn the_multipart_example_is_indexed() {
    let p = prep(&with_attachment(), Version::V1_0_3);
    assert_eq!(
        p.index.attachments,
        vec![AttachmentRef {
            usage_type: "http://example.com/attachment-usage/test".into(),
            content_type: "text/plain; charset=ascii".into(),
            length: 27,
            sha2: HASH.into(),
            file_url: None,
        }]
    );
    assert!(!p.index.attachments[0].is_signature());
}

#[test]
fn attachments_is_an_array_of_attachment_objects() {
    // Conformance XAPI-00025.
    let one = with_attachment()["attachments"][0].clone();
    reject_both(&set(with_attachment(), "/attachments", one), "attachments");
    reject_both(
        &set(with_attachment(), "/attachments", json!([12345])),
        "attachments[0]",
    );
    reject_both(
        &set(with_attachment(), "/attachments", json!(["should fail"])),
        "attachments[0]",
    );
}

#[test]
fn required_properties() {
    for key in ["usageType", "display", "contentType", "length", "sha2"] {
        let e = reject_both(
            &remove(with_attachment(), &format!("/attachments/0/{key}")),
            &format!("attachments[0].{key}"),
        );
        assert!(e.message.contains("required"), "{key}: {e}");
    }
    // description and fileUrl are optional.
    accept_both(&remove(with_attachment(), "/attachments/0/description"));
}

#[test]
fn property_formats() {
    // Conformance XAPI-00102 to 00107 and the schemeless IRIs of XAPI-00011.
    reject_both(
        &attachment("/usageType", json!("should fail")),
        "attachments[0].usageType",
    );
    reject_both(
        &attachment("/usageType", json!("example.com/attachment-usage/test")),
        "attachments[0].usageType",
    );
    reject_both(
        &attachment("/display", json!(12345)),
        "attachments[0].display",
    );
    reject_both(
        &attachment("/display", json!("should fail")),
        "attachments[0].display",
    );
    reject_both(
        &attachment(
            "/display",
            json!({ "en-US": "A test attachment", "something": "x" }),
        ),
        "attachments[0].display.something",
    );
    reject_both(
        &attachment("/description", json!("should error")),
        "attachments[0].description",
    );
    reject_both(
        &attachment("/contentType", json!(999)),
        "attachments[0].contentType",
    );
    reject_both(
        &attachment("/contentType", json!("text")),
        "attachments[0].contentType",
    );
    reject_both(
        &attachment("/contentType", json!("text/plain; charset")),
        "attachments[0].contentType",
    );
    reject_both(
        &attachment("/length", json!("should fail")),
        "attachments[0].length",
    );
    reject_both(&attachment("/length", json!(-1)), "attachments[0].length");
    reject_both(&attachment("/length", json!(2.5)), "attachments[0].length");
    reject_both(&attachment("/sha2", json!(12345)), "attachments[0].sha2");
    reject_both(&attachment("/sha2", json!("abc")), "attachments[0].sha2");
    reject_both(
        &attachment("/fileUrl", json!("should fail")),
        "attachments[0].fileUrl",
    );
    reject_both(
        &attachment("/fileURL", json!("http://over.there.com/file.txt")),
        "attachments[0].fileURL",
    );
    let p = prep(
        &attachment("/fileUrl", json!("http://over.there.com/file.txt")),
        Version::V2_0_0,
    );
    assert_eq!(
        p.index.attachments[0].file_url.as_deref(),
        Some("http://over.there.com/file.txt")
    );
    let p = prep(
        &attachment("/sha2", json!(HASH.to_uppercase())),
        Version::V2_0_0,
    );
    assert_eq!(
        p.index.attachments[0].sha2, HASH,
        "kept in lowercase for matching"
    );
}

#[test]
fn a_signature_is_application_octet_stream() {
    // Data 2.6.s4.b1.
    let s = attachment("/usageType", json!(SIGNATURE_USAGE_TYPE));
    let e = reject_both(&s, "attachments[0].contentType");
    assert!(e.message.contains("application/octet-stream"), "{e}");
    let p = prep(
        &set(
            s,
            "/attachments/0/contentType",
            json!("application/octet-stream"),
        ),
        Version::V1_0_3,
    );
    assert!(p.index.attachments[0].is_signature());
}

#[test]
fn every_attachment_without_file_url_needs_a_part() {
    // Communication 1.5.2.s3.b5.
    let p = prep(&with_attachment(), Version::V1_0_3);
    assert!(check_attachment_parts(&[&p], &[HASH.to_owned()]).is_ok());
    assert!(
        check_attachment_parts(&[&p], &[HASH.to_uppercase()]).is_ok(),
        "hashes compare without case"
    );
    let e = check_attachment_parts(&[&p], &[]).unwrap_err();
    assert_eq!(e.path, "statements[0].attachments[0]");
    assert!(e.message.contains(HASH), "{e}");

    // With a fileUrl no part is needed (1.5.2.s2.b1), e.g. an application/json request.
    let q = prep(
        &attachment("/fileUrl", json!("http://over.there.com/file.txt")),
        Version::V1_0_3,
    );
    assert!(check_attachment_parts(&[&q], &[]).is_ok());
    // Statements without attachments need nothing (1.5.1.s1.b1, 1.5.2.s3.b8).
    let r = prep(&simplest(), Version::V1_0_3);
    assert!(check_attachment_parts(&[&r], &[]).is_ok());
    assert_eq!(
        check_attachment_parts(&[&r, &p], &[]).unwrap_err().path,
        "statements[1].attachments[0]"
    );
}

#[test]
fn every_part_must_be_declared() {
    let p = prep(&with_attachment(), Version::V1_0_3);
    let e = check_attachment_parts(&[&p], &[HASH.to_owned(), OTHER.to_owned()]).unwrap_err();
    assert!(e.message.contains(OTHER), "{e}");
    // One part may serve two statements that share the attachment (1.5.2.s2.b2.b5).
    let q = prep(&with_attachment(), Version::V1_0_3);
    assert!(check_attachment_parts(&[&p, &q], &[HASH.to_owned()]).is_ok());
    // A part for an attachment that also has a fileUrl is declared.
    let r = prep(
        &attachment("/fileUrl", json!("http://over.there.com/file.txt")),
        Version::V1_0_3,
    );
    assert!(check_attachment_parts(&[&r], &[HASH.to_owned()]).is_ok());
}

#[test]
fn a_signature_always_needs_its_part() {
    let s = set(
        attachment("/usageType", json!(SIGNATURE_USAGE_TYPE)),
        "/attachments/0/contentType",
        json!("application/octet-stream"),
    );
    let s = set(
        s,
        "/attachments/0/fileUrl",
        json!("http://over.there.com/signature.jws"),
    );
    let p = prep(&s, Version::V2_0_0);
    let e = check_attachment_parts(&[&p], &[]).unwrap_err();
    assert!(e.message.contains("signature"), "{e}");
    assert!(check_attachment_parts(&[&p], &[HASH.to_owned()]).is_ok());
}

#[test]
fn substatement_attachments_are_indexed_after_the_statements() {
    let a = with_attachment()["attachments"][0].clone();
    let s = set(planned(), "/object/attachments", json!([a]));
    let p = prep(&s, Version::V1_0_3);
    assert_eq!(p.index.attachments.len(), 1);
    assert!(check_attachment_parts(&[&p], &[]).is_err());
}
