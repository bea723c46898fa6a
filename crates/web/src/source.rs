//! What Lantern is and where its source is, for everyone who uses it: `/source` (the Corresponding Source of the
//! running build, GNU AGPL 3.0 section 13) and `/licences` (Lantern's licence and the notices of the third-party
//! packages it embeds). Both are public, like the sign-in page they are linked from.

use crate::AppState;
use crate::routes::Routes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The source of the running build, packed into the binary at build time (the `lantern` crate's `build.rs`).
#[derive(Clone, Copy)]
pub struct SourceArchive {
    /// A gzipped tar.
    pub bytes: &'static [u8],
    pub file_name: &'static str,
}

/// Lantern's own licence, the text of LICENSE.
const LICENSE: &str = include_str!("../../../LICENSE");

pub fn routes() -> Routes {
    Routes::new()
        .get("/source", source)
        .get("/licences", licences)
}

async fn source(State(state): State<AppState>) -> Response {
    match state.source {
        Some(a) => (
            [
                (header::CONTENT_TYPE, "application/gzip".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", a.file_name),
                ),
            ],
            a.bytes,
        )
            .into_response(),
        // Only an application assembled without the binary (a test, an embedding) has none.
        None => (
            StatusCode::NOT_FOUND,
            "This Lantern was built without its source archive. Lantern is free software under the GNU AGPL 3.0: \
             ask whoever runs it for the source.",
        )
            .into_response(),
    }
}

async fn licences() -> Response {
    let text = format!(
        "Lantern is free software: you can redistribute it and/or modify it under the terms of the GNU Affero \
         General Public License, version 3 only (below). Its source, exactly as this server was built, is at \
         /source.\n\n{}\n{}\n{}\n\n{LICENSE}",
        crate::assets::THIRD_PARTY_NOTICES.trim_end(),
        "=".repeat(78),
        "Lantern's licence",
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}
