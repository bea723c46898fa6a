//! Outgoing email, through a durable queue in the database.
//!
//! - [`send`] and [`send_all`] queue messages (all or none) and return once the database has them: "accepted for
//!   delivery, durably". No handler waits on a mail relay, so a slow or failing relay neither slows a page nor
//!   tells anyone anything by its timing.
//! - `deliverer`: the background task that sends queued messages (and turns password-reset requests into
//!   messages, see `auth::reset`), retrying with backoff. `lantern serve` starts it and stops it on shutdown;
//!   tests call [`deliver_pending`] to run one round where they choose.
//! - `transport`: handing one message to the SMTP relay (lettre), or writing it to the outbox folder in development.

mod deliverer;
pub mod transport;

pub use deliverer::{Deliverer, Delivery, deliver_pending};
pub use lantern_store::OutgoingMail;
pub use transport::SmtpRelay;

use crate::auth::AuthConfig;
use lantern_store::Store;
use std::sync::Arc;
use tokio::sync::Notify;

/// Where queued email goes: the database, and a nudge to this server's deliverer. It is part of the mail settings
/// (`AuthConfig::mail_queue`), which `AppState::new` connects to the store.
#[derive(Clone, Default)]
pub struct Queue {
    store: Option<Arc<dyn Store>>,
    /// Wakes the deliverer when something is queued, so mail goes out at once rather than at the next poll.
    queued: Arc<Notify>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("connected", &self.store.is_some())
            .finish()
    }
}

impl Queue {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Queue {
            store: Some(store),
            queued: Arc::new(Notify::new()),
        }
    }

    /// Tells the deliverer there is something to do (a message, a reset request).
    pub fn wake(&self) {
        self.queued.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.queued.notified().await;
    }
}

/// Queues one plain-text message. An error means it was not accepted (an address that cannot be sent to, or the
/// database), and the caller shows it rather than claiming success.
pub async fn send(cfg: &AuthConfig, to: &str, subject: &str, body: &str) -> anyhow::Result<()> {
    send_all(
        cfg,
        &[OutgoingMail {
            to: to.to_owned(),
            subject: subject.to_owned(),
            body: body.to_owned(),
        }],
    )
    .await
}

/// Queues messages, all or none.
pub async fn send_all(cfg: &AuthConfig, mail: &[OutgoingMail]) -> anyhow::Result<()> {
    for m in mail {
        transport::mailbox(&m.to)?;
    }
    let Some(store) = &cfg.mail_queue.store else {
        anyhow::bail!("the mail queue is not connected to a database");
    };
    store.queue_mail(mail, chrono::Utc::now()).await?;
    cfg.mail_queue.wake();
    Ok(())
}
