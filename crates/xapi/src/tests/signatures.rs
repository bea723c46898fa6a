//! Signed statements (Data 2.6): the spec's Appendix D example, and a key made here for accept/reject cases.

use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::SeedableRng;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::EncodePublicKey;
use rsa::sha2::{Digest, Sha256, Sha384, Sha512};
use rsa::{Pkcs1v15Sign, PrivateKey, PublicKey};
use serde_json::{Value, json};
use x509_cert::builder::{Builder, CertificateBuilder, profile};
use x509_cert::der::{Decode, Encode};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

use super::fixtures::*;
use crate::{SIGNATURE_USAGE_TYPE, Version, verify_signature};

// --- Data Appendix D, transcribed: the certificates of the JWS header, the signed serialisation (with CRLF line
// breaks, as the spec says), and the signature.

const APPENDIX_D_CERT: &str = "MIIDATCCAmqgAwIBAgIJAMB1csNuA6+kMA0GCSqGSIb3DQEBBQUAMHExCzAJBgNVBAYTAlVTMRIwEAYDVQQIEwlUZW5uZXNzZWUxGDAWBgNVBAoTD0V4YW1wbGUgQ29tcGFueTEQMA4GA1UEAxMHRXhhbXBsZTEiMCAGCSqGSIb3DQEJARYTZXhhbXBsZUBleGFtcGxlLmNvbTAeFw0xMzA0MDQxNTI4MzBaFw0xNDA0MDQxNTI4MzBaMIGWMQswCQYDVQQGEwJVUzESMBAGA1UECBMJVGVubmVzc2VlMREwDwYDVQQHEwhGcmFua2xpbjEYMBYGA1UEChMPRXhhbXBsZSBDb21wYW55MRAwDgYDVQQLEwdFeGFtcGxlMRAwDgYDVQQDEwdFeGFtcGxlMSIwIAYJKoZIhvcNAQkBFhNleGFtcGxlQGV4YW1wbGUuY29tMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDjxvZXF30WL4oKjZYXgR0ZyaX+u3y6+JqTqiNkFa/VTnet6Ly2OT6ZmmcJEPnq3UnewpHoOQ+GfhhTkW13j06j5iNn4obcCVWTL9yXNvJH+Ko+xu4Yl/ySPRrIPyTjtHdG0M2XzIlmmLqm+CAS+KCbJeH4tf543kIWC5pC5p3cVQIDAQABo3sweTAJBgNVHRMEAjAAMCwGCWCGSAGG+EIBDQQfFh1PcGVuU1NMIEdlbmVyYXRlZCBDZXJ0aWZpY2F0ZTAdBgNVHQ4EFgQUVs3v5afEdOeoYeVajAQE4v0WS1QwHwYDVR0jBBgwFoAUyVIc3yvra4EBz20I4BF39IAixBkwDQYJKoZIhvcNAQEFBQADgYEAgS/FF5D0Hnj44rvT6kgn3kJAvv2lj/fyjztKIrYS33ljXGn6gGyA4qtbXA23PrO4uc/wYCSDICDpPobh62xTCd9qObKhgwWOi05PSBLqUu3mwfAe15LJBJBqPVZ4K0kppePBU8m6aIZoH57L/9t4OoaL8yKs/qjKFeI1OFWZxvA=";
const APPENDIX_D_CA: &str = "MIIDNzCCAqCgAwIBAgIJAMB1csNuA6+jMA0GCSqGSIb3DQEBBQUAMHExCzAJBgNVBAYTAlVTMRIwEAYDVQQIEwlUZW5uZXNzZWUxGDAWBgNVBAoTD0V4YW1wbGUgQ29tcGFueTEQMA4GA1UEAxMHRXhhbXBsZTEiMCAGCSqGSIb3DQEJARYTZXhhbXBsZUBleGFtcGxlLmNvbTAeFw0xMzA0MDQxNTI1NTNaFw0yMzA0MDIxNTI1NTNaMHExCzAJBgNVBAYTAlVTMRIwEAYDVQQIEwlUZW5uZXNzZWUxGDAWBgNVBAoTD0V4YW1wbGUgQ29tcGFueTEQMA4GA1UEAxMHRXhhbXBsZTEiMCAGCSqGSIb3DQEJARYTZXhhbXBsZUBleGFtcGxlLmNvbTCBnzANBgkqhkiG9w0BAQEFAAOBjQAwgYkCgYEA1sBnBWPZ0f7WJUFTJy5+01SlS5Z6DDD6Uye9vK9AycgV5B3+WC8HC5u5h91MujAC1ARPVUOtsvPRs45qKNFIgIGRXKPAwZjawEI2sCJRSKV47i6B8bDv4WkuGvQaveZGI0qlmN5R1Eim2gUItRj1hgcC9rQavjlnFKDY2rlXGukCAwEAAaOB1jCB0zAdBgNVHQ4EFgQUyVIc3yvra4EBz20I4BF39IAixBkwgaMGA1UdIwSBmzCBmIAUyVIc3yvra4EBz20I4BF39IAixBmhdaRzMHExCzAJBgNVBAYTAlVTMRIwEAYDVQQIEwlUZW5uZXNzZWUxGDAWBgNVBAoTD0V4YW1wbGUgQ29tcGFueTEQMA4GA1UEAxMHRXhhbXBsZTEiMCAGCSqGSIb3DQEJARYTZXhhbXBsZUBleGFtcGxlLmNvbYIJAMB1csNuA6+jMAwGA1UdEwQFMAMBAf8wDQYJKoZIhvcNAQEFBQADgYEADhwTebGk735yKhm8DqCxvNnEZ0NxsYEYOjgRG1yXTlW5pE691fSH5AZ+T6fpwpZcWY5QYkoN6DnwjOxGkSfQC3/yGmcUDKBPwiZ5O2s9C+fE1kUEnrX2Xea4agVngMzR8DQ6oOauLWqehDB+g2ENWRLoVgS+ma5/Ycs0GTyrECY=";
const APPENDIX_D_SIGNATURE: &str = "FWuwaPhwUbkk7h9sKW5zSvjsYNugvxJ-TrVaEgt_DCUT0bmKhQScRrjMB6P9O50uznPwT66oF1NnU_G0HVhRzS5voiXE-y7tT3z0M3-8A6YK009Bk_digVUul-HA4Fpd5IjoBBGe3yzaQ2ZvzarvRuipvNEQCI0onpfuZZJQ0d8";
/// The first characters of the encoded header as printed in the spec, to check the header is rebuilt byte for byte.
const APPENDIX_D_HEADER_START: &str = "ew0KICAgICJhbGciOiAiUlMyNTYiLA0KICAgICJ4NWMiOiBbDQogICAgICAgICJNSUlEQVRDQ0FtcWdBd0lCQWdJSkFNQjFjc051QTYra01BMEdDU3FHU0liM0RRRUJCUVVBTUhFeEN6QUpCZ05WQkFZVEFsVlRNUkl3RUFZRFZRUUlFd2xVWlc1dVp";

fn appendix_d_payload() -> String {
    [
        "{",
        "    \"version\": \"1.0.0\",",
        "    \"id\": \"33cff416-e331-4c9d-969e-5373a1756120\",",
        "    \"actor\": {",
        "        \"mbox\": \"mailto:example@example.com\",",
        "        \"name\": \"Example Learner\",",
        "        \"objectType\": \"Agent\"",
        "    },",
        "    \"verb\": {",
        "        \"id\": \"http://adlnet.gov/expapi/verbs/experienced\",",
        "        \"display\": {",
        "            \"en-US\": \"experienced\"",
        "        }",
        "    },",
        "    \"object\": {",
        "        \"id\": \"https://www.youtube.com/watch?v=xh4kIiH3Sm8\",",
        "        \"objectType\": \"Activity\",",
        "        \"definition\": {",
        "            \"name\": {",
        "                \"en-US\": \"Tax Tips & Information : How to File a Tax Return \"",
        "            },",
        "            \"description\": {",
        "                \"en-US\": \"Filing a tax return will require filling out either a 1040, 1040A or 1040EZ form\"",
        "            }",
        "        }",
        "    },",
        "    \"timestamp\": \"2013-04-01T12:00:00Z\"",
        "}",
    ]
    .join("\r\n")
}

fn appendix_d_header() -> String {
    format!(
        "{{\r\n    \"alg\": \"RS256\",\r\n    \"x5c\": [\r\n        \"{APPENDIX_D_CERT}\",\r\n        \"{APPENDIX_D_CA}\"\r\n    ]\r\n}}"
    )
}

fn appendix_d_jws() -> String {
    let header = URL_SAFE_NO_PAD.encode(appendix_d_header());
    assert!(
        header.starts_with(APPENDIX_D_HEADER_START),
        "the header is rebuilt as the spec printed it"
    );
    format!(
        "{header}.{}.{APPENDIX_D_SIGNATURE}",
        URL_SAFE_NO_PAD.encode(appendix_d_payload())
    )
}

/// Data Appendix D: the signed statement, i.e. the payload plus its signature attachment.
fn appendix_d_statement() -> Value {
    let mut s: Value = serde_json::from_str(&appendix_d_payload()).unwrap();
    s["attachments"] = json!([ {
        "usageType": SIGNATURE_USAGE_TYPE,
        "display": { "en-US": "Signature" },
        "description": { "en-US": "A test signature" },
        "contentType": "application/octet-stream",
        "length": 4235,
        "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634"
    } ]);
    s
}

#[test]
fn the_spec_example_verifies() {
    let statement = appendix_d_statement();
    accept_both(&statement);
    verify_signature(&statement, appendix_d_jws().as_bytes()).unwrap();
    // The stored statement (with id, stored, authority filled in) still matches its signature.
    let stored = prep(&statement, Version::V1_0_3).statement;
    verify_signature(&stored, appendix_d_jws().as_bytes()).unwrap();
}

#[test]
fn the_spec_example_rejects_tampering() {
    let statement = appendix_d_statement();
    let jws = appendix_d_jws();
    // A flipped bit in the signature.
    let (rest, sig) = jws.rsplit_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(sig).unwrap();
    bytes[10] ^= 1;
    let tampered = format!("{rest}.{}", URL_SAFE_NO_PAD.encode(bytes));
    let e = verify_signature(&statement, tampered.as_bytes()).unwrap_err();
    assert_eq!(e.path, "signature");
    assert!(e.message.contains("does not verify"), "{e}");
    // A statement that is not the one signed.
    let other = set(
        statement,
        "/verb/id",
        json!("http://adlnet.gov/expapi/verbs/attempted"),
    );
    let e = verify_signature(&other, jws.as_bytes()).unwrap_err();
    assert!(e.message.contains("does not match"), "{e}");
}

// --- A key and certificate made for the tests.

struct TestKey {
    private: PrivateKey,
    cert: String,
}

fn make_key(seed: u64) -> TestKey {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let private = PrivateKey::new(&mut rng, 1024).expect("key generation");
    let spki_der = PublicKey::from(&private).to_public_key_der().unwrap();
    let spki = SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes()).unwrap();
    let profile = profile::cabf::Root::new(
        false,
        Name::from_str("CN=Lantern xAPI test,O=Lantern,C=GB").unwrap(),
    )
    .unwrap();
    let validity = Validity::from_now(Duration::from_secs(3600)).unwrap();
    let builder =
        CertificateBuilder::new(profile, SerialNumber::from(seed as u32), validity, spki).unwrap();
    let signer = SigningKey::<Sha256>::new(private.clone());
    let cert = builder
        .build::<_, rsa::pkcs1v15::Signature>(&signer)
        .unwrap();
    TestKey {
        private,
        cert: STANDARD.encode(cert.to_der().unwrap()),
    }
}

fn key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| make_key(7))
}

fn other_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| make_key(8))
}

fn sign_with(key: &PrivateKey, header: &Value, payload: &Value) -> String {
    let alg = header["alg"].as_str().unwrap_or("RS256").to_owned();
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let sig = match alg.as_str() {
        "RS384" => key.sign(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(&input)),
        "RS512" => key.sign(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(&input)),
        _ => key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&input)),
    }
    .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn sign(alg: &str, payload: &Value) -> String {
    sign_with(
        &key().private,
        &json!({ "alg": alg, "x5c": [key().cert] }),
        payload,
    )
}

/// The statement as received: the signed statement plus its signature attachment.
fn received(payload: &Value) -> Value {
    let mut s = payload.clone();
    s["attachments"] = json!([ {
        "usageType": SIGNATURE_USAGE_TYPE,
        "display": { "en-US": "Signature" },
        "contentType": "application/octet-stream",
        "length": 700,
        "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634"
    } ]);
    s
}

#[test]
fn each_rs_algorithm_verifies() {
    for alg in ["RS256", "RS384", "RS512"] {
        let jws = sign(alg, &simple());
        verify_signature(&received(&simple()), jws.as_bytes())
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
    }
}

#[test]
fn other_algorithms_are_rejected() {
    // Data 2.6.s4.b4.
    for alg in ["HS256", "ES256", "PS256", "none", "rs256"] {
        let jws = sign_with(
            &key().private,
            &json!({ "alg": alg, "x5c": [key().cert] }),
            &simple(),
        );
        let e = verify_signature(&received(&simple()), jws.as_bytes()).unwrap_err();
        assert!(e.message.contains("RS256, RS384 or RS512"), "{alg}: {e}");
    }
    let jws = sign_with(&key().private, &json!({ "x5c": [key().cert] }), &simple());
    assert!(
        verify_signature(&received(&simple()), jws.as_bytes())
            .unwrap_err()
            .message
            .contains("alg")
    );
}

#[test]
fn a_tampered_signature_or_payload_is_rejected() {
    let jws = sign("RS256", &simple());
    let parts: Vec<&str> = jws.split('.').collect();
    let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    sig[0] ^= 0x80;
    let tampered = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(&sig));
    assert!(
        verify_signature(&received(&simple()), tampered.as_bytes())
            .unwrap_err()
            .message
            .contains("does not verify")
    );

    // A payload swapped for another statement, with the statement changed to match: the signature no longer fits.
    let changed = set(simple(), "/result", json!({ "success": true }));
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(changed.to_string()),
        parts[2]
    );
    assert!(
        verify_signature(&received(&changed), forged.as_bytes())
            .unwrap_err()
            .message
            .contains("does not verify")
    );

    // Signed by another key than the certificate's.
    let jws = sign_with(
        &other_key().private,
        &json!({ "alg": "RS256", "x5c": [key().cert] }),
        &simple(),
    );
    assert!(verify_signature(&received(&simple()), jws.as_bytes()).is_err());
}

#[test]
fn the_payload_must_match_the_statement() {
    let jws = sign("RS256", &simple());
    let e = verify_signature(
        &received(&set(
            simple(),
            "/actor/mbox",
            json!("mailto:someone.else@example.com"),
        )),
        jws.as_bytes(),
    )
    .unwrap_err();
    assert!(e.message.contains("does not match"), "{e}");
    // Allowed differences: the LRS's properties, property order, the mbox domain's case.
    let mut stored = received(&simple());
    stored["stored"] = json!(STORED);
    stored["authority"] = authority();
    stored["version"] = json!("1.0.0");
    stored["actor"]["mbox"] = json!("mailto:user@EXAMPLE.com");
    verify_signature(&stored, jws.as_bytes()).unwrap();
}

#[test]
fn without_x5c_only_the_form_is_checked() {
    // Data 2.6.s5.b3.b3 validates against a certificate only when the header has one.
    let jws = sign_with(&key().private, &json!({ "alg": "RS512" }), &simple());
    let (rest, _) = jws.rsplit_once('.').unwrap();
    verify_signature(&received(&simple()), format!("{rest}.AAAA").as_bytes()).unwrap();
}

#[test]
fn malformed_jws_is_rejected() {
    let s = received(&simple());
    for bad in ["", "abc", "a.b", "a.b.c.d", "!!!.e30.AAAA", "e30.!!!.AAAA"] {
        assert_eq!(
            verify_signature(&s, bad.as_bytes()).unwrap_err().path,
            "signature",
            "{bad:?}"
        );
    }
    assert!(verify_signature(&s, &[0xff, 0xfe]).is_err());
    // The JSON serialisation is not compact.
    let json_form = json!({ "payload": "e30", "signatures": [] }).to_string();
    assert!(
        verify_signature(&s, json_form.as_bytes())
            .unwrap_err()
            .message
            .contains("compact")
    );
    // Header JSON that is not an object with alg, payload that is not a statement, x5c that is not a certificate.
    let enc = |v: &str| URL_SAFE_NO_PAD.encode(v);
    assert!(
        verify_signature(
            &s,
            format!("{}.{}.AAAA", enc("[1]"), enc(&simple().to_string())).as_bytes()
        )
        .is_err()
    );
    assert!(
        verify_signature(
            &s,
            format!("{}.{}.AAAA", enc(r#"{"alg":"RS256"}"#), enc("[1]")).as_bytes()
        )
        .is_err()
    );
    let header = json!({ "alg": "RS256", "x5c": ["bm90IGEgY2VydGlmaWNhdGU="] }).to_string();
    let e = verify_signature(
        &s,
        format!("{}.{}.AAAA", enc(&header), enc(&simple().to_string())).as_bytes(),
    )
    .unwrap_err();
    assert!(e.message.contains("certificate"), "{e}");
    let header = json!({ "alg": "RS256", "x5c": [] }).to_string();
    assert!(
        verify_signature(
            &s,
            format!("{}.{}.AAAA", enc(&header), enc(&simple().to_string())).as_bytes()
        )
        .is_err()
    );
    let header = json!({ "alg": "RS256", "crit": ["exp"] }).to_string();
    assert!(
        verify_signature(
            &s,
            format!("{}.{}.AAAA", enc(&header), enc(&simple().to_string())).as_bytes()
        )
        .unwrap_err()
        .message
        .contains("crit")
    );
}
