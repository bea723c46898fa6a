//! The xAPI versions this crate speaks, from the `X-Experience-API-Version` header.

use crate::error::{Result, XapiError};

/// An xAPI version family. Every 1.0.x request is served as 1.0.3, every 2.0.x request as 2.0.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    V1_0_3,
    V2_0_0,
}

impl Version {
    /// Parses the `X-Experience-API-Version` header.
    ///
    /// xAPI 1.0.3 Communication 3.3.s3.b3/b5: "1.0" is 1.0.0 and any "1.0.x" is accepted; b4/b6: earlier versions and
    /// 1.1.0 or later are rejected. 2.0 (IEEE 9274.1.1) works the same way for "2.0" and "2.0.x".
    pub fn from_header(s: &str) -> Result<Version> {
        let s = s.trim();
        if is_version_in(s, "1.0") {
            Ok(Version::V1_0_3)
        } else if is_version_in(s, "2.0") {
            Ok(Version::V2_0_0)
        } else {
            Err(XapiError::new(
                "X-Experience-API-Version",
                format!(
                    "unsupported xAPI version {s:?}; this LRS accepts 1.0.x (1.0.3) and 2.0.x (2.0.0)"
                ),
            ))
        }
    }

    /// The version with exactly this name, "1.0.3" or "2.0.0" (as a choice is stored or typed, not as a header).
    pub fn named(s: &str) -> Option<Version> {
        [Version::V1_0_3, Version::V2_0_0]
            .into_iter()
            .find(|v| v.as_str() == s.trim())
    }

    /// The version to announce in responses: "1.0.3" or "2.0.0".
    pub fn as_str(&self) -> &'static str {
        match self {
            Version::V1_0_3 => "1.0.3",
            Version::V2_0_0 => "2.0.0",
        }
    }

    /// The statement `version` the LRS sets when a statement has none.
    /// 1.0.3 Data 2.4.10.s3.b3 says "1.0.0"; 2.0 says "2.0.0".
    pub fn default_statement_version(&self) -> &'static str {
        match self {
            Version::V1_0_3 => "1.0.0",
            Version::V2_0_0 => "2.0.0",
        }
    }

    /// Whether a statement's own `version` property is acceptable under this request version.
    /// 1.0.3 Data 2.4.10.s3.b1/b2: it must be "1.0" or start with "1.0." (the conformance suite accepts "1.0" and
    /// "1.0.9"). A 2.0 LRS also takes 1.0.x statements, which are valid 2.0 statements (2.0 only added properties).
    pub fn accepts_statement_version(&self, v: &str) -> bool {
        match self {
            Version::V1_0_3 => is_version_in(v, "1.0"),
            Version::V2_0_0 => is_version_in(v, "1.0") || is_version_in(v, "2.0"),
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// "1.0" or "1.0.<digits>" (semantic versioning 1.0.0 has no pre-release or build parts in xAPI headers).
fn is_version_in(s: &str, family: &str) -> bool {
    match s.strip_prefix(family) {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('.')
            .is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    }
}
