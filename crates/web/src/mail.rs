//! Outgoing email. In development (and until an SMTP relay is configured) messages are written to the outbox
//! folder as RFC 5322 `.eml` files, one per message, which any mail client opens.

use crate::auth::AuthConfig;
use anyhow::Context;

/// Sends (writes) one plain-text message. Without an outbox configured, the message is logged and dropped.
pub fn send(cfg: &AuthConfig, to: &str, subject: &str, body: &str) -> anyhow::Result<()> {
    let Some(dir) = &cfg.outbox else {
        tracing::warn!(%to, %subject, "no outbox or mail relay configured; email not sent");
        return Ok(());
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the outbox {}", dir.display()))?;
    let now = chrono::Utc::now();
    let id = crate::auth::new_token();
    // Header values come from our own templates and validated addresses; strip line breaks all the same so no
    // value can add a header.
    let clean = |s: &str| s.replace(['\r', '\n'], " ");
    let message = format!(
        "Date: {}\r\nFrom: Lantern <no-reply@lantern.invalid>\r\nTo: {}\r\nSubject: {}\r\nMessage-ID: <{id}@lantern>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
        now.to_rfc2822(),
        clean(to),
        clean(subject),
        body.replace('\n', "\r\n")
    );
    let path = dir.join(format!(
        "{}-{}.eml",
        now.format("%Y%m%dT%H%M%S%.3f"),
        &id[..8]
    ));
    std::fs::write(&path, message).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(%to, %subject, file = %path.display(), "email written to the outbox");
    Ok(())
}
