//! Responses that are files to save: an attachment under a name Lantern makes (never one a user typed), and an
//! uploaded evidence file served only as the type recognised from its content, with `nosniff` and a sandboxing CSP,
//! so nothing uploaded ever runs in Lantern's origin.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// An uploaded evidence file (a certificate, a signed form) as a download named `{stem}.{extension}`: the type is
/// the one recognised from its content when it matches what was stored, else an opaque binary.
pub fn evidence(content: Vec<u8>, stored_type: &str, stem: &str) -> Response {
    let (content_type, extension) = lantern_domain::uploads::file_type(&content)
        .filter(|t| t.content_type == stored_type)
        .map(|t| (t.content_type, t.extension))
        .unwrap_or(("application/octet-stream", "bin"));
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.{extension}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_owned(),
            ),
        ],
        content,
    )
        .into_response()
}
