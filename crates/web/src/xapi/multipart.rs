//! Statements with attachments travel as multipart/mixed (Communication 1.5.2): the first part is the statement
//! JSON, each further part one attachment's bytes, named by its SHA-2 in `X-Experience-API-Hash`. Parts are read with
//! multer; each part's hash is checked against its bytes here, and `lantern_xapi::check_attachment_parts` checks
//! that the parts and the statements' attachments agree.

use super::{XapiHttpError, XapiResult};
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use lantern_store::lrs::AttachmentPayload;
use sha2::Digest;

pub struct Parsed {
    /// The first part: the statement or statements.
    pub statements: Bytes,
    pub attachments: Vec<AttachmentPayload>,
}

/// The SHA-2 of the bytes in hex, with the width of the given hash (224, 256, 384 or 512 bits).
fn sha2_like(bytes: &[u8], like: &str) -> Option<String> {
    Some(match like.len() {
        56 => hex::encode(sha2::Sha224::digest(bytes)),
        64 => hex::encode(sha2::Sha256::digest(bytes)),
        96 => hex::encode(sha2::Sha384::digest(bytes)),
        128 => hex::encode(sha2::Sha512::digest(bytes)),
        _ => return None,
    })
}

pub async fn parse(content_type: &str, body: Bytes) -> XapiResult<Parsed> {
    // multer's own boundary parser takes only multipart/form-data; xAPI uses multipart/mixed.
    let boundary = content_type
        .parse::<mime::Mime>()
        .ok()
        .filter(|m| m.type_() == mime::MULTIPART)
        .and_then(|m| m.get_param(mime::BOUNDARY).map(|b| b.as_str().to_owned()))
        .ok_or_else(|| {
            XapiHttpError::bad_request(
                "a multipart/mixed request needs a boundary in its Content-Type",
            )
        })?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut statements: Option<Bytes> = None;
    let mut attachments = Vec::new();
    let mut index = 0usize;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(XapiHttpError::bad_request(format!(
                    "the multipart body could not be read: {e}"
                )));
            }
        };
        index += 1;
        let part_type = field
            .content_type()
            .map(|m| m.essence_str().to_ascii_lowercase())
            .unwrap_or_default();
        let hash = field
            .headers()
            .get("x-experience-api-hash")
            .and_then(|v| v.to_str().ok())
            .map(|h| h.trim().to_ascii_lowercase());
        let encoding = field
            .headers()
            .get("content-transfer-encoding")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase());
        let bytes = field.bytes().await.map_err(|e| {
            XapiHttpError::bad_request(format!("part {index} could not be read: {e}"))
        })?;
        if statements.is_none() {
            if part_type != "application/json" {
                return Err(XapiHttpError::bad_request(format!(
                    "the first part of a multipart/mixed request must be the statements as application/json, not {part_type:?}"
                )));
            }
            statements = Some(bytes);
            continue;
        }
        // Attachments travel as raw bytes (Communication 1.5.2.s2.b4): base64 and the like are refused, not guessed.
        if encoding.as_deref().is_some_and(|e| e != "binary") {
            return Err(XapiHttpError::bad_request(format!(
                "part {index}: Content-Transfer-Encoding must be binary, not {}",
                encoding.unwrap_or_default()
            )));
        }
        let Some(hash) = hash else {
            return Err(XapiHttpError::bad_request(format!(
                "part {index} has no X-Experience-API-Hash header naming the attachment it is"
            )));
        };
        match sha2_like(&bytes, &hash) {
            Some(actual) if actual == hash => {}
            Some(actual) => {
                return Err(XapiHttpError::bad_request(format!(
                    "part {index}: X-Experience-API-Hash says {hash} but the content's SHA-2 is {actual}"
                )));
            }
            None => {
                return Err(XapiHttpError::bad_request(format!(
                    "part {index}: X-Experience-API-Hash {hash:?} is not a SHA-2 hash in hex"
                )));
            }
        }
        attachments.push(AttachmentPayload {
            sha2: hash,
            content_type: if part_type.is_empty() {
                "application/octet-stream".to_owned()
            } else {
                part_type
            },
            content: bytes.to_vec(),
        });
    }
    let statements = statements
        .ok_or_else(|| XapiHttpError::bad_request("the multipart/mixed request has no parts"))?;
    Ok(Parsed {
        statements,
        attachments,
    })
}

/// A multipart/mixed response: the JSON first, then each attachment with its hash (Communication 2.1.3.s2.b6).
pub fn response(json: Vec<u8>, attachments: Vec<AttachmentPayload>) -> Response {
    let boundary = format!("lantern-{}", &crate::auth::new_token()[..24]);
    let mut out: Vec<u8> = Vec::with_capacity(json.len() + 256);
    out.extend_from_slice(
        format!("--{boundary}\r\nContent-Type: application/json\r\n\r\n").as_bytes(),
    );
    out.extend_from_slice(&json);
    for a in attachments {
        out.extend_from_slice(
            format!(
                "\r\n--{boundary}\r\nContent-Type: {}\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {}\r\n\r\n",
                a.content_type, a.sha2
            )
            .as_bytes(),
        );
        out.extend_from_slice(&a.content);
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut res = Body::from(out).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&format!("multipart/mixed; boundary={boundary}"))
            .expect("a plain boundary"),
    );
    res
}
