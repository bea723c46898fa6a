//! The HTTP server: our own accept loop over hyper, because `axum::serve` sets no limits.
//!
//! - A connection must send a whole request head within `header_timeout` of being ready for one (new, or kept
//!   alive after a response), or it is closed: a client trickling a header a byte at a time ("slowloris") or an
//!   idle kept-alive connection cannot hold a slot for longer than that (hyper starts its header clock whenever it
//!   waits for a request, so this one setting is the idle timeout as well).
//! - At most `max_connections` are served at once; one more is answered `503 Service Unavailable` and closed, so an
//!   overload is visible at once to the client and to a load balancer rather than queued out of sight.
//! - On shutdown (SIGTERM or Ctrl-C, see [`shutdown_signal`]) the listener closes, idle connections are closed,
//!   requests in flight (an LRS request waiting for its group commit included) finish and are answered, and then
//!   [`serve`] returns; after `shutdown_grace` it returns anyway.
//!
//! Client addresses reach the handlers as axum's `ConnectInfo<SocketAddr>`, for sign-in throttling per address.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// The server's limits (README, configuration: `http_header_timeout_seconds`, `http_max_connections`,
/// `shutdown_grace_seconds`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub header_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// How a shutdown ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Drained {
    /// Every connection finished its request and closed.
    All,
    /// The grace period ran out with connections still open; they were cut.
    GraceExpired,
}

/// Serves `app` on `listener` until `shutdown` completes, then drains (see the module's comment).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> Drained {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            metrics::counter!("lantern_http_connections_refused_total").increment(1);
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = app
            .clone()
            .map_request(move |mut req: axum::extract::Request| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            });
        let connection = http.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(service.map_request(
                |req: hyper::Request<hyper::body::Incoming>| req.map(axum::body::Body::new),
            )),
        );
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = watched.await {
                tracing::debug!(%peer, error = %e, "connection closed with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!(
        grace_seconds = limits.shutdown_grace.as_secs(),
        "shutting down: no new connections; finishing requests in flight"
    );
    match tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await {
        Ok(()) => {
            tracing::info!("every request in flight finished");
            Drained::All
        }
        Err(_) => {
            tracing::warn!("the shutdown grace period ran out; closing the remaining connections");
            Drained::GraceExpired
        }
    }
}

/// Answers a connection over the limit with 503 and closes it. The request is read (briefly) after the answer so
/// that closing does not reset the connection before the client has read the 503.
async fn refuse(mut stream: TcpStream) {
    const BODY: &str = "Lantern is serving as many connections as it may; try again in a moment.\n";
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nretry-after: 1\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        std::io::Result::Ok(())
    })
    .await;
}

/// Completes on SIGTERM (how service managers and container runtimes stop a process) or Ctrl-C (SIGINT). The
/// handlers are installed when this is called, not when it is first awaited, so a signal that arrives while the
/// server is still starting is not lost (nor does it kill the process without draining).
pub fn shutdown_signal() -> anyhow::Result<impl Future<Output = &'static str>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    Ok(async move {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    })
}
