//! Signed statements (xAPI 1.0.3 Data 2.6): checking the JWS of a signature attachment.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::pkcs8::DecodePublicKey;
use rsa::sha2::{Digest, Sha256, Sha384, Sha512};
use rsa::{Pkcs1v15Sign, PublicKey};
use serde_json::Value;
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

use crate::compare::same_statement;
use crate::error::{Result, XapiError};

const PATH: &str = "signature";

fn fail(message: impl Into<String>) -> XapiError {
    XapiError::new(PATH, message)
}

/// Checks a statement's signature (Data 2.6.s5.b3), given the statement as received and the bytes of its signature
/// attachment:
///
/// - the JWS is in compact serialisation (three base64url parts; 2.0 makes this a SHALL, and the JSON serialisation
///   is not supported here for either version);
/// - the header's `alg` is RS256, RS384 or RS512 (2.6.s4.b4), and it has no `crit` parameters this LRS would have to
///   understand (RFC 7515 4.1.11);
/// - the payload is a JSON statement logically equivalent to the one received (2.6.s5.b3.b2), compared as
///   [`same_statement`] does, so the signature attachment itself and the LRS's properties do not count;
/// - when the header has `x5c`, the signature verifies with the RSA key of its first certificate (2.6.s5.b3.b3). The
///   certificate chain is not validated: the spec means this to catch mistakes, not to authenticate (2.6.s5 note).
pub fn verify_signature(statement: &Value, jws: &[u8]) -> Result<()> {
    let text = std::str::from_utf8(jws)
        .map_err(|_| fail("is not a JWS: the attachment is not text"))?
        .trim();
    let parts: Vec<&str> = text.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = parts[..] else {
        return Err(fail(
            "must be a JWS in compact serialisation: three base64url parts separated by dots",
        ));
    };

    let header = decode_json(header_b64, "header")?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or_else(|| fail("the JWS header has no \"alg\""))?;
    if !matches!(alg, "RS256" | "RS384" | "RS512") {
        return Err(fail(format!(
            "the JWS algorithm must be RS256, RS384 or RS512, got {alg:?}"
        )));
    }
    if header.get("crit").is_some() {
        return Err(fail(
            "the JWS header has critical parameters (\"crit\") this LRS does not support",
        ));
    }

    let payload = decode_json(payload_b64, "payload")?;
    if !payload.is_object() {
        return Err(fail("the JWS payload must be a statement (a JSON object)"));
    }
    if !same_statement(&payload, statement) {
        return Err(fail(
            "the signed statement in the JWS payload does not match the statement received",
        ));
    }

    if let Some(x5c) = header.get("x5c") {
        let first = x5c
            .as_array()
            .and_then(|chain| chain.first())
            .and_then(Value::as_str)
            .ok_or_else(|| {
                fail("the JWS header's \"x5c\" must be a non-empty array of base64 certificates")
            })?;
        let key = certificate_key(first)?;
        let signature =
            decode(signature_b64).map_err(|_| fail("the JWS signature is not base64url"))?;
        let signing_input = format!("{header_b64}.{payload_b64}");
        let verified = match alg {
            "RS256" => key.verify(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(&signing_input),
                &signature,
            ),
            "RS384" => key.verify(
                Pkcs1v15Sign::new::<Sha384>(),
                &Sha384::digest(&signing_input),
                &signature,
            ),
            _ => key.verify(
                Pkcs1v15Sign::new::<Sha512>(),
                &Sha512::digest(&signing_input),
                &signature,
            ),
        };
        verified.map_err(|_| {
            fail("the JWS signature does not verify with the key of the x5c certificate")
        })?;
    }
    Ok(())
}

/// The RSA public key of a DER certificate given in standard base64 (RFC 7515 4.1.6).
fn certificate_key(b64: &str) -> Result<PublicKey> {
    let der = STANDARD
        .decode(b64)
        .map_err(|_| fail("the first x5c certificate is not base64"))?;
    let cert = Certificate::from_der(&der).map_err(|e| {
        fail(format!(
            "the first x5c certificate is not a DER X.509 certificate ({e})"
        ))
    })?;
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| {
            fail(format!(
                "the x5c certificate's public key cannot be read ({e})"
            ))
        })?;
    PublicKey::from_public_key_der(&spki).map_err(|e| {
        fail(format!(
            "the x5c certificate does not hold a usable RSA key ({e})"
        ))
    })
}

/// base64url with or without padding (RFC 7515 uses it without).
fn decode(part: &str) -> std::result::Result<Vec<u8>, base64::DecodeError> {
    URL_SAFE_NO_PAD.decode(part.trim_end_matches('='))
}

fn decode_json(part: &str, what: &str) -> Result<Value> {
    let bytes = decode(part).map_err(|_| fail(format!("the JWS {what} is not base64url")))?;
    serde_json::from_slice(&bytes).map_err(|e| fail(format!("the JWS {what} is not JSON ({e})")))
}
