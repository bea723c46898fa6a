//! Outgoing email. With an SMTP relay configured (`--smtp-url`), messages go to it; otherwise (development) they are
//! written to the outbox folder as RFC 5322 `.eml` files, one per message, which any mail client opens. Both build
//! the message with lettre, so headers are encoded and line breaks in values cannot add a header.

use crate::auth::AuthConfig;
use anyhow::Context;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// A connection pool to an SMTP relay, built once from its URL.
#[derive(Clone)]
pub struct SmtpRelay {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// The URL without its password, for logs and `lantern config`.
    shown: String,
}

impl std::fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpRelay")
            .field("url", &self.shown)
            .finish()
    }
}

impl SmtpRelay {
    /// `smtp://host:port` (plain, or upgraded with `?tls=required` for STARTTLS), `smtps://host:465` (TLS from the
    /// start); credentials as `smtp://user:password@host`. `ca_pem`, when given, holds CA certificates (PEM) trusted
    /// for the relay besides the public roots: a relay whose certificate comes from the organisation's own CA.
    /// Nothing connects until the first message.
    pub fn from_url(url: &str, ca_pem: Option<&[u8]>) -> anyhow::Result<Self> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).with_context(
            || "the SMTP relay URL must look like smtps://user:password@host:465 or smtp://host:25",
        )?;
        if let Some(pem) = ca_pem {
            builder = builder.tls(tls_with_ca(url, pem)?);
        }
        let transport = builder.build();
        let shown = match url.rsplit_once('@') {
            Some((creds, host)) => match creds.split_once("://") {
                Some((scheme, user)) => {
                    format!("{scheme}://{}@{host}", user.split(':').next().unwrap_or(""))
                }
                None => host.to_owned(),
            },
            None => url.to_owned(),
        };
        Ok(SmtpRelay { transport, shown })
    }
}

/// The TLS mode the URL asks for (as lettre reads it: `smtps://` wraps the connection, `?tls=required` or
/// `?tls=opportunistic` upgrades it with STARTTLS), trusting the CA certificates in `pem` besides the public roots.
fn tls_with_ca(url: &str, pem: &[u8]) -> anyhow::Result<lettre::transport::smtp::client::Tls> {
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    let parsed = url::Url::parse(url).context("the SMTP relay URL is not a URL")?;
    let host = parsed
        .host_str()
        .context("the SMTP relay URL names no host")?
        .to_owned();
    let text = std::str::from_utf8(pem).unwrap_or("");
    if !text.contains("-----BEGIN CERTIFICATE-----") || text.contains("PRIVATE KEY") {
        anyhow::bail!(
            "the SMTP CA file (smtp_ca_file) must hold PEM certificates (-----BEGIN CERTIFICATE-----) and no key"
        );
    }
    let ca = Certificate::from_pem(pem)
        .map_err(|e| anyhow::anyhow!("the SMTP CA file (smtp_ca_file) cannot be read: {e}"))?;
    let parameters = TlsParameters::builder(host)
        .add_root_certificate(ca)
        .build()
        .map_err(|e| anyhow::anyhow!("the SMTP CA file (smtp_ca_file) is not usable: {e}"))?;
    let mode = parsed
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    Ok(match (parsed.scheme(), mode.as_deref()) {
        ("smtps", _) => Tls::Wrapper(parameters),
        (_, Some("required")) => Tls::Required(parameters),
        (_, Some("opportunistic")) => Tls::Opportunistic(parameters),
        _ => anyhow::bail!(
            "an SMTP CA file (smtp_ca_file) needs a relay URL with TLS: smtps://HOST:465, or smtp://HOST:587?tls=required"
        ),
    })
}

/// Sends one plain-text message: to the relay when there is one, else to the outbox; with neither, it is logged
/// and dropped. An error means the message was not accepted (the caller shows it rather than claiming success).
pub async fn send(cfg: &AuthConfig, to: &str, subject: &str, body: &str) -> anyhow::Result<()> {
    if cfg.smtp.is_none() && cfg.outbox.is_none() {
        tracing::warn!(%to, %subject, "no outbox or mail relay configured; email not sent");
        return Ok(());
    }
    let from: Mailbox = cfg
        .mail_from
        .parse()
        .with_context(|| format!("the sender address {:?} is not valid", cfg.mail_from))?;
    let to_box: Mailbox = to
        .parse()
        .with_context(|| format!("{to:?} is not an email address"))?;
    // lettre picks the transfer encoding: 7bit when every line is short, quoted-printable otherwise (long links).
    let message = Message::builder()
        .from(from)
        .to(to_box)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .context("building the email")?;
    if let Some(relay) = &cfg.smtp {
        relay
            .transport
            .send(message)
            .await
            .with_context(|| format!("the mail relay {} refused the message", relay.shown))?;
        tracing::info!(%to, %subject, relay = %relay.shown, "email sent");
        return Ok(());
    }
    let Some(dir) = &cfg.outbox else {
        return Ok(());
    };
    let bytes = message.formatted();
    let dir = dir.clone();
    let path = tokio::task::spawn_blocking(move || -> anyhow::Result<std::path::PathBuf> {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the outbox {}", dir.display()))?;
        let now = chrono::Utc::now();
        let id = crate::auth::new_token();
        let path = dir.join(format!(
            "{}-{}.eml",
            now.format("%Y%m%dT%H%M%S%.3f"),
            &id[..8]
        ));
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    })
    .await
    .context("the outbox writer stopped")??;
    tracing::info!(%to, %subject, file = %path.display(), "email written to the outbox");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The pooled transport starts its housekeeping task on the runtime, as it does when the server starts.
    #[tokio::test]
    async fn relay_urls_are_shown_without_their_password() {
        let r = SmtpRelay::from_url("smtps://ward:s3cret@relay.example.nhs.uk:465", None).unwrap();
        assert_eq!(
            format!("{r:?}"),
            "SmtpRelay { url: \"smtps://ward@relay.example.nhs.uk:465\" }"
        );
        assert!(SmtpRelay::from_url("ftp://nope", None).is_err());
    }
}
