//! The background job that sends scheduled notices: each server runs one (`lantern serve` starts it and stops it on
//! shutdown). A run first takes the job's lease in the database (`NoticeStore::take_lease`), so that servers
//! sharing one PostgreSQL run it one at a time; the notices' unique keys make a second run (after a crash, or when
//! a lease ran out mid-run) send nothing twice.

use crate::AppState;
use chrono::{TimeDelta, Utc};
use std::time::Duration;
use tokio::sync::watch;

/// How often notices are looked for. Hourly: a notice is about a day, and each organisation's day begins at its
/// own midnight.
const EVERY: Duration = Duration::from_secs(60 * 60);
/// The first run waits this long after a start, so that the start (and its warm-up) comes first.
const FIRST: Duration = Duration::from_secs(60);
/// How long a run may hold the lease; another server may take it after that (this one stopped mid-run).
const LEASE: TimeDelta = TimeDelta::minutes(30);
const JOB: &str = "scheduled-notices";

pub struct Scheduler {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Scheduler {
    /// Starts the job in the background.
    pub fn start(state: AppState) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        // This server's name on the lease: random, so two servers never mistake each other's lease for their own.
        let mut id = [0u8; 8];
        let holder = match getrandom::fill(&mut id) {
            Ok(()) => hex::encode(id),
            Err(_) => format!("pid-{}", std::process::id()),
        };
        let task = tokio::spawn(async move {
            let mut wait = FIRST;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stopped.changed() => {}
                }
                if *stopped.borrow() {
                    return;
                }
                wait = EVERY;
                if let Err(e) = run_once(&state, &holder).await {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        "scheduled notices failed; the next run tries again"
                    );
                }
            }
        });
        Scheduler { stop, task }
    }

    /// Stops; a run under way finishes first.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "the notice scheduler ended abnormally");
        }
    }
}

/// One run under the lease, if this server can take it; false when another server holds it.
pub async fn run_once(state: &AppState, holder: &str) -> anyhow::Result<bool> {
    let now = Utc::now();
    if !state
        .store
        .take_lease(JOB, holder, now, now + LEASE)
        .await?
    {
        tracing::debug!("another server is sending the scheduled notices");
        return Ok(false);
    }
    let result = super::run(state, now).await;
    state.store.release_lease(JOB, holder).await?;
    result.map(|_| true)
}
