//! A cmi5 package's files on the content origin, at `/cmi5/{digest}/{path}` (the AU's URL resolved under its
//! package, cmi5 13.1.4). An AU is launched in a window of its own (cmi5 8), so these files may be framed by nothing
//! but this origin; they may connect to this origin and to Lantern, whose LRS and fetch URL the AU calls with the
//! credential the fetch URL gives it (the LRS answers CORS for any origin, with no cookie).

use super::player::{internal, origin, stream_file};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantern_learning::scorm::manifest::package_path;
use lantern_store::StoreError;

pub async fn file(
    State(state): State<AppState>,
    Path((digest, path)): Path<(String, String)>,
) -> Response {
    let missing = || (StatusCode::NOT_FOUND, "no such file in this package").into_response();
    if origin(&state).is_none()
        || digest.len() != 64
        || !digest.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return missing();
    }
    let Ok(path) = package_path(&path) else {
        return missing();
    };
    let package = match state.store.cmi5_package_by_digest(&digest).await {
        Ok(p) => p,
        Err(StoreError::NotFound) => return missing(),
        Err(e) => return internal(e),
    };
    let file = match state.store.package_file(package.id, &path).await {
        Ok(f) => f,
        Err(StoreError::NotFound) => return missing(),
        Err(e) => return internal(e),
    };
    let lantern = origin(&state)
        .map(|c| c.lantern.clone())
        .unwrap_or_default();
    let csp = format!(
        "default-src 'self' data: blob:; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' data: blob:; \
         font-src 'self' data:; connect-src 'self' {lantern}; frame-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
    );
    stream_file(&state, &path, file, &csp)
}
