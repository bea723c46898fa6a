//! Operations endpoints and middleware: /healthz, /api/openapi.json, request metrics and the security headers every
//! response carries; and /metrics (Prometheus), served only by the separate metrics listener ([`metrics_routes`]),
//! never on the main address, where anyone who can reach the sign-in page could read request counts per route.

use crate::AppState;
use crate::routes::Routes;
use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Only the first app in a process installs the recorder (tests build several).
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

pub fn routes(openapi_json: Arc<String>) -> Routes {
    prometheus();
    Routes::new()
        .get("/healthz", healthz)
        .get("/api/openapi.json", move || {
            let doc = openapi_json.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    doc.as_str().to_owned(),
                )
            }
        })
}

/// The metrics listener's one route (`--metrics-listen`, an address that only the monitoring system reaches).
pub fn metrics_routes() -> Routes {
    prometheus();
    Routes::new().get("/metrics", |State(state): State<AppState>| async move {
        let (orgs, bytes) = state.read_model.memory();
        metrics::gauge!("lantern_rollup_indexes").set(orgs as f64);
        metrics::gauge!("lantern_rollup_index_bytes").set(bytes as f64);
        prometheus().render()
    })
}

/// Liveness and readiness: answers 200 only when the database answers.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.is_empty().await {
        Ok(_) => {
            Json(serde_json::json!({ "status": "ok", "database": state.store.backend().name() }))
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable" })),
            )
                .into_response()
        }
    }
}

pub async fn track_metrics(req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("path", path), ("status", status)];
    metrics::counter!("lantern_http_requests_total", &labels).increment(1);
    metrics::histogram!("lantern_http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    response
}

/// Content Security Policy without inline script, no framing, no MIME sniffing, no referrer sent to other sites
/// (`same-origin`: with `no-referrer` browsers send `Origin: null` on our own forms, which the CSRF check refuses); HSTS when
/// Lantern is served over HTTPS (`hsts`).
///
/// `Permissions-Policy` turns off the browser features Lantern never uses, so a script that got in somehow still
/// could not use them (W3C Permissions Policy; OWASP HTTP Headers Cheat Sheet).
///
/// `Cache-Control: no-store` on every response that does not set its own: pages, API answers and exports carry
/// people's training records, and ward computers are shared, so nothing may be kept in the browser's cache or on
/// disk for the next person to find with Back or in the cache folder (RFC 9111 section 5.2.2.5; OWASP Session
/// Management Cheat Sheet). Only the versioned static assets set their own long cache.
pub async fn security_headers(State(hsts): State<bool>, req: Request, next: Next) -> Response {
    const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; \
                       form-action 'self'; object-src 'none'";
    const PERMISSIONS: &str = "accelerometer=(), autoplay=(), camera=(), display-capture=(), \
                               encrypted-media=(), fullscreen=(), geolocation=(), gyroscope=(), hid=(), \
                               idle-detection=(), magnetometer=(), microphone=(), midi=(), payment=(), \
                               picture-in-picture=(), publickey-credentials-get=(), screen-wake-lock=(), \
                               serial=(), usb=(), xr-spatial-tracking=()";
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}
