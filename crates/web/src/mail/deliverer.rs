//! The background deliverer: turns password-reset requests into messages, then sends every message that is due,
//! retrying with backoff. Each server runs one (`lantern serve` starts it and stops it on shutdown); servers sharing
//! a database share the queue, and a message is taken by one of them at a time (`OutboxStore::claim_mail`).

use super::transport;
use crate::AppState;
use chrono::{TimeDelta, Utc};
use std::time::Duration;
use tokio::sync::watch;

/// How often the queue is looked at when nothing wakes the deliverer: retries fall due, and other servers queue.
const POLL: Duration = Duration::from_secs(30);
/// How long a server holds the messages it took; another may take them after that (it stopped mid-send).
const HOLD: TimeDelta = TimeDelta::minutes(5);
/// Messages taken at a time.
const BATCH: i64 = 10;
/// Attempts before delivery is given up.
const MAX_ATTEMPTS: i64 = 10;

/// The wait before attempt `attempts + 1`: a minute, doubling, at most an hour (about four hours in all).
fn retry_after(attempts: i64) -> TimeDelta {
    let doublings = attempts.saturating_sub(1).clamp(0, 6) as u32;
    (TimeDelta::minutes(1) * 2i32.pow(doublings)).min(TimeDelta::hours(1))
}

/// What one round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Password-reset requests handled (with or without an account behind them).
    pub reset_requests: usize,
    pub sent: usize,
    /// Not sent this time; to be tried again.
    pub retrying: usize,
    /// Given up.
    pub failed: usize,
}

/// Runs one round now: reset requests become messages, then every message due is sent or rescheduled. Returns
/// when nothing due is left. The background deliverer calls it; tests call it to deliver where they choose.
pub async fn deliver_pending(state: &AppState) -> anyhow::Result<Delivery> {
    deliver(state, None).await
}

async fn deliver(
    state: &AppState,
    stop: Option<&watch::Receiver<bool>>,
) -> anyhow::Result<Delivery> {
    let mut done = Delivery {
        reset_requests: crate::auth::reset::prepare_requested(state).await?,
        ..Delivery::default()
    };
    loop {
        if stop.is_some_and(|s| *s.borrow()) {
            break;
        }
        let now = Utc::now();
        let batch = state.store.claim_mail(now, now + HOLD, BATCH).await?;
        if batch.is_empty() {
            break;
        }
        for m in batch {
            match transport::hand_over(&state.auth, &m.mail).await {
                Ok(()) => {
                    state.store.mail_sent(m.id, Utc::now()).await?;
                    metrics::counter!("lantern_mail_sent_total").increment(1);
                    done.sent += 1;
                }
                Err(e) if e.permanent || m.attempts >= MAX_ATTEMPTS => {
                    state
                        .store
                        .mail_not_sent(m.id, &e.error, None, Utc::now())
                        .await?;
                    metrics::counter!("lantern_mail_failed_total").increment(1);
                    tracing::error!(id = m.id, to = %m.mail.to, subject = %m.mail.subject, attempts = m.attempts,
                        error = %e.error, "email given up");
                    done.failed += 1;
                }
                Err(e) => {
                    let retry = Utc::now() + retry_after(m.attempts);
                    state
                        .store
                        .mail_not_sent(m.id, &e.error, Some(retry), Utc::now())
                        .await?;
                    metrics::counter!("lantern_mail_retries_total").increment(1);
                    tracing::warn!(id = m.id, to = %m.mail.to, attempts = m.attempts, %retry, error = %e.error,
                        "email not sent; will try again");
                    done.retrying += 1;
                }
            }
        }
    }
    Ok(done)
}

/// The running background deliverer.
pub struct Deliverer {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Deliverer {
    /// Starts delivering in the background: at once, whenever something is queued on this server, and every
    /// `POLL` for retries and for what other servers queued.
    pub fn start(state: AppState) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                match deliver(&state, Some(&stopped)).await {
                    Ok(d) if d != Delivery::default() => tracing::debug!(?d, "mail delivered"),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = format!("{e:#}"), "mail delivery round failed")
                    }
                }
                tokio::select! {
                    _ = state.auth.mail_queue.woken() => {}
                    _ = tokio::time::sleep(POLL) => {}
                    _ = stopped.changed() => {}
                }
                if *stopped.borrow() {
                    return;
                }
            }
        });
        Deliverer { stop, task }
    }

    /// Stops after the message being sent (if any); what is still queued stays for the next start, or another
    /// server.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "the mail deliverer ended abnormally");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::retry_after;
    use chrono::TimeDelta;

    #[test]
    fn retries_back_off_to_an_hour() {
        let waits: Vec<i64> = (1..=10).map(|a| retry_after(a).num_minutes()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
        assert_eq!(retry_after(0), TimeDelta::minutes(1));
    }
}
