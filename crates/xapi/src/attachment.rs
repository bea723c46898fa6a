//! Attachment objects (xAPI 1.0.3 Data 2.4.11) and matching them with the parts of a multipart/mixed request
//! (Communication 1.5.2).

use serde_json::Value;

use crate::error::{Result, XapiError};
use crate::json::{Path, as_object, check_keys, field, req_str, type_error};
use crate::statement::Prepared;
use crate::types::{check_language_map, iri_value, irl_value};

/// Data 2.6.s4.b1: the usageType of a statement signature.
pub const SIGNATURE_USAGE_TYPE: &str = "http://adlnet.gov/expapi/attachments/signature";

const ATTACHMENT_KEYS: [&str; 7] = [
    "usageType",
    "display",
    "description",
    "contentType",
    "length",
    "sha2",
    "fileUrl",
];

/// The parts of an attachment the LRS needs to store and find its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRef {
    pub usage_type: String,
    pub content_type: String,
    pub length: u64,
    /// Lowercase hex, as declared in the statement (and sent as X-Experience-API-Hash).
    pub sha2: String,
    pub file_url: Option<String>,
}

impl AttachmentRef {
    /// Whether this attachment carries the statement's JWS signature (Data 2.6).
    pub fn is_signature(&self) -> bool {
        self.usage_type == SIGNATURE_USAGE_TYPE
    }
}

pub(crate) fn validate_attachments(v: &Value, path: &Path<'_>) -> Result<Vec<AttachmentRef>> {
    let list = v
        .as_array()
        .ok_or_else(|| type_error(path, "an array of Attachment objects", v))?;
    list.iter()
        .enumerate()
        .map(|(i, a)| validate_attachment(a, &path.at(i)))
        .collect()
}

fn validate_attachment(v: &Value, path: &Path<'_>) -> Result<AttachmentRef> {
    let what = "an Attachment";
    let m = as_object(v, path, "an Attachment object")?;
    check_keys(m, &ATTACHMENT_KEYS, path, what)?;
    let usage = field(m, "usageType", path)?
        .ok_or_else(|| XapiError::new(path.key("usageType"), "is required in an Attachment"))?;
    let usage_type = iri_value(usage, &path.key("usageType"))?.to_owned();
    let display = field(m, "display", path)?
        .ok_or_else(|| XapiError::new(path.key("display"), "is required in an Attachment"))?;
    check_language_map(display, &path.key("display"))?;
    if let Some(d) = field(m, "description", path)? {
        check_language_map(d, &path.key("description"))?;
    }
    let content_type = req_str(m, "contentType", path, what)?;
    if !is_media_type(content_type) {
        return Err(XapiError::new(
            path.key("contentType"),
            format!("must be an Internet Media Type such as \"text/plain\", got {content_type:?}"),
        ));
    }
    let length_value = field(m, "length", path)?
        .ok_or_else(|| XapiError::new(path.key("length"), "is required in an Attachment"))?;
    let length = length_value.as_u64().ok_or_else(|| {
        type_error(
            &path.key("length"),
            "a non-negative integer (octets)",
            length_value,
        )
    })?;
    let sha2 = req_str(m, "sha2", path, what)?;
    // SHA-224, SHA-256, SHA-384 or SHA-512 in hex (Communication 1.5.2.s4.b4 recommends the last three).
    if !matches!(sha2.len(), 56 | 64 | 96 | 128) || !sha2.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(XapiError::new(
            path.key("sha2"),
            format!("must be a SHA-2 hash in hex, got {sha2:?}"),
        ));
    }
    let file_url = match field(m, "fileUrl", path)? {
        Some(u) => Some(irl_value(u, &path.key("fileUrl"))?.to_owned()),
        None => None,
    };
    // Data 2.6.s4.b1: a signature is sent as application/octet-stream.
    if usage_type == SIGNATURE_USAGE_TYPE
        && !media_type_is(content_type, "application/octet-stream")
    {
        return Err(XapiError::new(
            path.key("contentType"),
            format!(
                "must be \"application/octet-stream\" for a signature attachment, got {content_type:?}"
            ),
        ));
    }
    Ok(AttachmentRef {
        usage_type,
        content_type: content_type.to_owned(),
        length,
        sha2: sha2.to_ascii_lowercase(),
        file_url,
    })
}

/// `type/subtype` with RFC 2045 tokens, then optional `; name=value` parameters.
fn is_media_type(s: &str) -> bool {
    let mut parts = s.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    let Some((ty, sub)) = essence.split_once('/') else {
        return false;
    };
    if !is_token(ty) || !is_token(sub) {
        return false;
    }
    parts.all(|p| match p.trim().split_once('=') {
        Some((name, value)) => is_token(name.trim()) && !value.trim().is_empty(),
        None => false,
    })
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

fn media_type_is(s: &str, essence: &str) -> bool {
    s.split(';')
        .next()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case(essence))
}

/// Checks a statement request's attachments against the parts that came with it (Communication 1.5.2).
///
/// - Every attachment without a `fileUrl` must have a part whose X-Experience-API-Hash is its sha2 (s3.b5).
/// - Every part must be declared by some attachment in the batch (s2.b2: parts form part of a statement; s1.b4:
///   parts are matched by hash and no other way).
/// - A signature attachment always needs its part: the LRS must read the JWS to check it (Data 2.6.s5.b3).
///
/// Call it for application/json requests too, with no parts: then only attachments with a `fileUrl` pass.
/// Hashes compare case-insensitively. Error paths are relative to the batch: `statements[i].attachments[j]`.
pub fn check_attachment_parts(statements: &[&Prepared], part_hashes: &[String]) -> Result<()> {
    let parts: Vec<String> = part_hashes
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let mut declared: Vec<&str> = Vec::new();
    for (i, p) in statements.iter().enumerate() {
        for (j, a) in p.index.attachments.iter().enumerate() {
            declared.push(&a.sha2);
            let has_part = parts.contains(&a.sha2);
            let at = format!("statements[{i}].attachments[{j}]");
            if a.is_signature() && !has_part {
                return Err(XapiError::new(
                    at,
                    format!(
                        "the signature attachment (sha2 {}) must be sent as a part of the request",
                        a.sha2
                    ),
                ));
            }
            if a.file_url.is_none() && !has_part {
                return Err(XapiError::new(
                    at,
                    format!(
                        "has no fileUrl and no part of the request has X-Experience-API-Hash {}",
                        a.sha2
                    ),
                ));
            }
        }
    }
    if let Some(extra) = parts.iter().find(|h| !declared.contains(&h.as_str())) {
        return Err(XapiError::new(
            "",
            format!(
                "the request has an attachment part with hash {extra} that no statement declares"
            ),
        ));
    }
    Ok(())
}
