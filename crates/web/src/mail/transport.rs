//! Handing one message over: with an SMTP relay configured (`--smtp-url`), to it; otherwise (development) to the
//! outbox folder as an RFC 5322 `.eml` file, which any mail client opens. Both build the message with lettre, so
//! headers are encoded and line breaks in values cannot add a header. Only the deliverer calls this; everything
//! else queues (`mail::send`).

use crate::auth::AuthConfig;
use anyhow::Context;
use lantern_store::OutgoingMail;
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

/// Why a message was not handed over.
#[derive(Debug)]
pub struct NotSent {
    pub error: String,
    /// Trying again will not help: the relay refused it for good (an SMTP 5xx reply), or it cannot be built.
    pub permanent: bool,
}

impl NotSent {
    fn permanent(error: impl std::fmt::Display) -> Self {
        NotSent {
            error: format!("{error:#}"),
            permanent: true,
        }
    }
}

/// Checks that an address can be sent to, before a message to it is queued.
pub fn mailbox(address: &str) -> anyhow::Result<Mailbox> {
    address
        .parse()
        .with_context(|| format!("{address:?} is not an email address"))
}

/// Hands one plain-text message to the relay when there is one, else writes it to the outbox folder. With neither
/// it cannot be sent (a permanent failure, logged by the deliverer).
pub async fn hand_over(cfg: &AuthConfig, mail: &OutgoingMail) -> Result<(), NotSent> {
    if cfg.smtp.is_none() && cfg.outbox.is_none() {
        return Err(NotSent::permanent(
            "no mail relay or outbox folder is configured",
        ));
    }
    let from: Mailbox = cfg
        .mail_from
        .parse()
        .with_context(|| format!("the sender address {:?} is not valid", cfg.mail_from))
        .map_err(NotSent::permanent)?;
    let to_box = mailbox(&mail.to).map_err(NotSent::permanent)?;
    // lettre picks the transfer encoding: 7bit when every line is short, quoted-printable otherwise (long links).
    let message = Message::builder()
        .from(from)
        .to(to_box)
        .subject(mail.subject.as_str())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .context("building the email")
        .map_err(NotSent::permanent)?;
    if let Some(relay) = &cfg.smtp {
        relay.transport.send(message).await.map_err(|e| NotSent {
            error: format!("the mail relay {} refused the message: {e}", relay.shown),
            permanent: e.is_permanent(),
        })?;
        tracing::info!(to = %mail.to, subject = %mail.subject, relay = %relay.shown, "email sent");
        return Ok(());
    }
    let Some(dir) = &cfg.outbox else {
        return Ok(());
    };
    let bytes = message.formatted();
    let dir = dir.clone();
    let written = tokio::task::spawn_blocking(move || -> anyhow::Result<std::path::PathBuf> {
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
    .await;
    // A full disk or a missing folder may be put right: worth trying again later.
    let path = match written {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            return Err(NotSent {
                error: format!("{e:#}"),
                permanent: false,
            });
        }
        Err(e) => {
            return Err(NotSent {
                error: format!("the outbox writer stopped: {e}"),
                permanent: false,
            });
        }
    };
    tracing::info!(to = %mail.to, subject = %mail.subject, file = %path.display(), "email written to the outbox");
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
