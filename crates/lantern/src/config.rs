//! Configuration: flags, then LANTERN_* environment variables (clap reads both), then an optional TOML file, then
//! defaults. `lantern config` prints the effective result and where each value came from.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The optional TOML file (`--config FILE` or LANTERN_CONFIG). Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub log_format: Option<String>,
    pub log_level: Option<String>,
    pub public_url: Option<String>,
    pub session_idle_minutes: Option<u64>,
    pub session_hours: Option<u64>,
    pub trusted_proxies: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub smtp_ca_file: Option<String>,
    pub metrics_listen: Option<String>,
    pub content_listen: Option<String>,
    pub content_url: Option<String>,
    pub http_header_timeout_seconds: Option<u64>,
    pub http_max_connections: Option<usize>,
    pub shutdown_grace_seconds: Option<u64>,
    pub sso_allow_private_networks: Option<bool>,
    pub models_allow_loopback: Option<bool>,
    pub reset_requests_per_email: Option<u32>,
    pub reset_requests_per_address: Option<u32>,
    pub sign_in_failures_per_address: Option<u32>,
}

impl FileConfig {
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!("cannot read configuration file {}: {e}", path.display())
        })?;
        toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("configuration file {}: {e}", path.display()))
    }
}

/// The configuration in force.
#[derive(Debug, Clone, Serialize)]
pub struct Effective {
    pub database: String,
    pub data_dir: PathBuf,
    pub listen: String,
    pub log_format: String,
    pub log_level: String,
    /// The address people reach Lantern at; https:// turns on Secure cookies and HSTS.
    pub public_url: String,
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: u64,
    /// A session ends this many hours after sign-in.
    pub session_hours: u64,
    /// Reverse proxies (comma-separated IP addresses) whose X-Forwarded-For is believed.
    pub trusted_proxies: String,
    /// The SMTP relay for outgoing email (smtps://user:password@host:465, or smtp://host:587?tls=required); empty
    /// means email is written to DATA_DIR/outbox instead.
    pub smtp_url: String,
    /// The sender of Lantern's emails.
    pub mail_from: String,
    /// A PEM file of CA certificates trusted for the SMTP relay besides the public roots (an organisation's own
    /// CA); empty means the public roots only.
    pub smtp_ca_file: String,
    /// A second listener that serves only /metrics (e.g. 127.0.0.1:9464); empty means metrics are not served.
    pub metrics_listen: String,
    /// The content origin's listener, where SCORM packages play (empty: packages cannot be played).
    pub content_listen: String,
    /// The address browsers reach the content origin at; its host must differ from Lantern's (see
    /// `lantern_web::content`). Default: Lantern's address with localhost and 127.0.0.1 swapped, on the content
    /// listener's port.
    pub content_url: String,
    /// Seconds a connection has to send a complete request head, counted from when it is ready for a request: a
    /// new connection, or a kept-alive one between requests (so it is the keep-alive idle timeout too).
    pub http_header_timeout_seconds: u64,
    /// Connections served at once; more are answered 503 and closed.
    pub http_max_connections: usize,
    /// On SIGTERM or Ctrl-C, seconds to let requests in flight finish before the server exits anyway.
    pub shutdown_grace_seconds: u64,
    /// Single sign-on may reach providers at loopback, link-local and private addresses (an identity provider
    /// inside the organisation's network).
    pub sso_allow_private_networks: bool,
    /// The virtual patient's language models may be at loopback (a model server on this machine).
    pub models_allow_loopback: bool,
    /// Password-reset links one email address may ask for in an hour.
    pub reset_requests_per_email: u32,
    /// Password-reset links one client address may ask for in an hour.
    pub reset_requests_per_address: u32,
    /// Failed sign-ins from one client address in 15 minutes after which it must wait.
    pub sign_in_failures_per_address: u32,
    /// Where each value came from: "flag or environment", "file" or "default".
    pub sources: std::collections::BTreeMap<&'static str, &'static str>,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_CONTENT_LISTEN: &str = "127.0.0.1:8081";

/// The content origin's default address: Lantern's host with `localhost` and `127.0.0.1` swapped (another host, so
/// Lantern's cookies never go there), on the content listener's port. Empty (packages unplayable until
/// `content_url` is set) when Lantern's host is neither.
fn default_content_url(public_url: &str, content_listen: &str) -> String {
    let Ok(public) = url::Url::parse(public_url) else {
        return String::new();
    };
    let port = content_listen.rsplit_once(':').map_or("8081", |(_, p)| p);
    let host = match public.host_str() {
        Some("127.0.0.1") => "localhost",
        Some("localhost") => "127.0.0.1",
        _ => return String::new(),
    };
    format!("{}://{host}:{port}", public.scheme())
}

/// Merges one value: flag/env first, then the file, then the default.
fn pick<T>(
    name: &'static str,
    cli: Option<T>,
    file: Option<T>,
    default: impl FnOnce() -> T,
    sources: &mut std::collections::BTreeMap<&'static str, &'static str>,
) -> T {
    match (cli, file) {
        (Some(v), _) => {
            sources.insert(name, "flag or environment");
            v
        }
        (None, Some(v)) => {
            sources.insert(name, "file");
            v
        }
        (None, None) => {
            sources.insert(name, "default");
            default()
        }
    }
}

#[derive(Default)]
pub struct CliValues {
    pub database: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub log_format: Option<String>,
    pub log_level: Option<String>,
    pub public_url: Option<String>,
    pub session_idle_minutes: Option<u64>,
    pub session_hours: Option<u64>,
    pub trusted_proxies: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub smtp_ca_file: Option<String>,
    pub metrics_listen: Option<String>,
    pub content_listen: Option<String>,
    pub content_url: Option<String>,
    pub http_header_timeout_seconds: Option<u64>,
    pub http_max_connections: Option<usize>,
    pub shutdown_grace_seconds: Option<u64>,
    pub sso_allow_private_networks: Option<bool>,
    pub models_allow_loopback: Option<bool>,
    pub reset_requests_per_email: Option<u32>,
    pub reset_requests_per_address: Option<u32>,
    pub sign_in_failures_per_address: Option<u32>,
}

pub fn effective(cli: CliValues, file: FileConfig) -> Effective {
    let mut sources = std::collections::BTreeMap::new();
    let data_dir = pick(
        "data_dir",
        cli.data_dir,
        file.data_dir,
        || PathBuf::from("data"),
        &mut sources,
    );
    let dd = data_dir.clone();
    let database = pick(
        "database",
        cli.database,
        file.database,
        || format!("sqlite://{}", dd.join("lantern.db").display()),
        &mut sources,
    );
    let listen = pick(
        "listen",
        cli.listen,
        file.listen,
        || DEFAULT_LISTEN.to_owned(),
        &mut sources,
    );
    let log_format = pick(
        "log_format",
        cli.log_format,
        file.log_format,
        || "text".to_owned(),
        &mut sources,
    );
    let log_level = pick(
        "log_level",
        cli.log_level,
        file.log_level,
        || "info".to_owned(),
        &mut sources,
    );
    let listen_for_url = listen.clone();
    let public_url = pick(
        "public_url",
        cli.public_url,
        file.public_url,
        || format!("http://{listen_for_url}"),
        &mut sources,
    );
    let session_idle_minutes = pick(
        "session_idle_minutes",
        cli.session_idle_minutes,
        file.session_idle_minutes,
        || 30,
        &mut sources,
    );
    let session_hours = pick(
        "session_hours",
        cli.session_hours,
        file.session_hours,
        || 12,
        &mut sources,
    );
    let trusted_proxies = pick(
        "trusted_proxies",
        cli.trusted_proxies,
        file.trusted_proxies,
        String::new,
        &mut sources,
    );
    let smtp_url = pick(
        "smtp_url",
        cli.smtp_url,
        file.smtp_url,
        String::new,
        &mut sources,
    );
    let mail_from = pick(
        "mail_from",
        cli.mail_from,
        file.mail_from,
        || "Lantern <no-reply@lantern.invalid>".to_owned(),
        &mut sources,
    );
    let smtp_ca_file = pick(
        "smtp_ca_file",
        cli.smtp_ca_file,
        file.smtp_ca_file,
        String::new,
        &mut sources,
    );
    let metrics_listen = pick(
        "metrics_listen",
        cli.metrics_listen,
        file.metrics_listen,
        String::new,
        &mut sources,
    );
    let content_listen = pick(
        "content_listen",
        cli.content_listen,
        file.content_listen,
        || DEFAULT_CONTENT_LISTEN.to_owned(),
        &mut sources,
    );
    let (public_for_content, listen_for_content) = (public_url.clone(), content_listen.clone());
    let content_url = pick(
        "content_url",
        cli.content_url,
        file.content_url,
        || default_content_url(&public_for_content, &listen_for_content),
        &mut sources,
    );
    let http_header_timeout_seconds = pick(
        "http_header_timeout_seconds",
        cli.http_header_timeout_seconds,
        file.http_header_timeout_seconds,
        || 10,
        &mut sources,
    );
    let http_max_connections = pick(
        "http_max_connections",
        cli.http_max_connections,
        file.http_max_connections,
        || 1024,
        &mut sources,
    );
    let shutdown_grace_seconds = pick(
        "shutdown_grace_seconds",
        cli.shutdown_grace_seconds,
        file.shutdown_grace_seconds,
        || 30,
        &mut sources,
    );
    let sso_allow_private_networks = pick(
        "sso_allow_private_networks",
        cli.sso_allow_private_networks,
        file.sso_allow_private_networks,
        || false,
        &mut sources,
    );
    let models_allow_loopback = pick(
        "models_allow_loopback",
        cli.models_allow_loopback,
        file.models_allow_loopback,
        || false,
        &mut sources,
    );
    let reset_requests_per_email = pick(
        "reset_requests_per_email",
        cli.reset_requests_per_email,
        file.reset_requests_per_email,
        || 3,
        &mut sources,
    );
    let reset_requests_per_address = pick(
        "reset_requests_per_address",
        cli.reset_requests_per_address,
        file.reset_requests_per_address,
        || 20,
        &mut sources,
    );
    let sign_in_failures_per_address = pick(
        "sign_in_failures_per_address",
        cli.sign_in_failures_per_address,
        file.sign_in_failures_per_address,
        || 500,
        &mut sources,
    );
    Effective {
        database,
        data_dir,
        listen,
        log_format,
        log_level,
        public_url,
        session_idle_minutes,
        session_hours,
        trusted_proxies,
        smtp_url,
        mail_from,
        smtp_ca_file,
        metrics_listen,
        content_listen,
        content_url,
        http_header_timeout_seconds,
        http_max_connections,
        shutdown_grace_seconds,
        sso_allow_private_networks,
        models_allow_loopback,
        reset_requests_per_email,
        reset_requests_per_address,
        sign_in_failures_per_address,
        sources,
    }
}

impl Effective {
    /// Sign-in and email settings for the web layer: email goes to the SMTP relay when one is configured, otherwise
    /// (development) to DATA_DIR/outbox.
    pub fn auth(&self) -> anyhow::Result<lantern_web::AuthConfig> {
        let smtp_ca = match self.smtp_ca_file.trim() {
            "" => None,
            path => Some(std::fs::read(path).map_err(|e| {
                anyhow::anyhow!("cannot read the SMTP CA file (smtp_ca_file) {path}: {e}")
            })?),
        };
        let smtp = match self.smtp_url.trim() {
            "" => None,
            url => Some(lantern_web::mail::SmtpRelay::from_url(
                url,
                smtp_ca.as_deref(),
            )?),
        };
        Ok(lantern_web::AuthConfig {
            idle_timeout: std::time::Duration::from_secs(self.session_idle_minutes * 60),
            absolute_timeout: std::time::Duration::from_secs(self.session_hours * 3600),
            secure_cookies: self.public_url.starts_with("https://"),
            outbox: smtp.is_none().then(|| self.data_dir.join("outbox")),
            smtp,
            mail_from: self.mail_from.clone(),
            public_url: self.public_url.clone(),
            trusted_proxies: self
                .trusted_proxies
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect(),
            sso_allow_private_networks: self.sso_allow_private_networks,
            models_allow_loopback: self.models_allow_loopback,
            throttle: lantern_web::auth::throttle::ThrottlePolicy {
                address_ceiling: i64::from(self.sign_in_failures_per_address.max(1)),
                ..Default::default()
            },
            reset_requests: lantern_web::auth::reset::ResetRequestPolicy {
                per_email: i64::from(self.reset_requests_per_email.max(1)),
                per_address: i64::from(self.reset_requests_per_address.max(1)),
                ..Default::default()
            },
            ..lantern_web::AuthConfig::default()
        })
    }
}

impl Effective {
    /// The HTTP server's limits. Zero would close or refuse every connection, so it is refused by name.
    pub fn server_limits(&self) -> anyhow::Result<crate::server::Limits> {
        if self.http_header_timeout_seconds == 0 {
            anyhow::bail!("http_header_timeout_seconds must be at least 1");
        }
        if self.http_max_connections == 0 {
            anyhow::bail!("http_max_connections must be at least 1");
        }
        Ok(crate::server::Limits {
            header_timeout: std::time::Duration::from_secs(self.http_header_timeout_seconds),
            max_connections: self.http_max_connections,
            shutdown_grace: std::time::Duration::from_secs(self.shutdown_grace_seconds),
        })
    }

    /// The configuration as TOML, with the database password (if any) hidden.
    pub fn to_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database = redact_url(&shown.database);
        shown.smtp_url = redact_url(&shown.smtp_url);
        toml::to_string_pretty(&shown).unwrap_or_default()
    }
}

fn redact_url(url: &str) -> String {
    // postgres://user:secret@host/db -> postgres://user:***@host/db
    if let (Some(scheme_end), Some(at)) = (url.find("://"), url.rfind('@')) {
        let creds = &url[scheme_end + 3..at];
        if let Some(colon) = creds.find(':') {
            return format!(
                "{}{}:***{}",
                &url[..scheme_end + 3],
                &creds[..colon],
                &url[at..]
            );
        }
    }
    url.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_file_beat_defaults_and_passwords_are_hidden() {
        let file = FileConfig {
            listen: Some("0.0.0.0:9000".into()),
            database: Some("postgres://u:pw@h/db".into()),
            ..Default::default()
        };
        let cli = CliValues {
            listen: Some("127.0.0.1:1".into()),
            ..CliValues::default()
        };
        let e = effective(cli, file);
        assert_eq!(e.listen, "127.0.0.1:1");
        assert_eq!(e.sources["listen"], "flag or environment");
        assert_eq!(e.sources["database"], "file");
        assert_eq!(e.sources["log_level"], "default");
        assert!(
            e.to_toml().contains("postgres://u:***@h/db"),
            "{}",
            e.to_toml()
        );
    }

    #[test]
    fn server_and_tls_settings_come_from_flags_and_the_file() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from([
            "lantern",
            "--sso-allow-private-networks",
            "--metrics-listen",
            "127.0.0.1:9464",
            "config",
        ])
        .unwrap();
        assert_eq!(cli.sso_allow_private_networks, Some(true));
        let file: FileConfig = toml::from_str(
            "http_header_timeout_seconds = 5\nhttp_max_connections = 64\nshutdown_grace_seconds = 3\n\
             smtp_ca_file = \"/etc/lantern/trust-ca.pem\"\n",
        )
        .unwrap();
        let e = effective(
            CliValues {
                sso_allow_private_networks: cli.sso_allow_private_networks,
                metrics_listen: cli.metrics_listen,
                ..CliValues::default()
            },
            file,
        );
        assert!(e.sso_allow_private_networks);
        assert_eq!(e.metrics_listen, "127.0.0.1:9464");
        assert_eq!(e.sources["http_max_connections"], "file");
        let limits = e.server_limits().unwrap();
        assert_eq!(limits.header_timeout, std::time::Duration::from_secs(5));
        assert_eq!(limits.max_connections, 64);
        assert_eq!(limits.shutdown_grace, std::time::Duration::from_secs(3));
        assert_eq!(e.smtp_ca_file, "/etc/lantern/trust-ca.pem");
        let defaults = effective(CliValues::default(), FileConfig::default());
        assert!(!defaults.sso_allow_private_networks);
        assert_eq!(defaults.metrics_listen, "");
        assert_eq!(defaults.content_listen, "127.0.0.1:8081");
        assert_eq!(defaults.content_url, "http://localhost:8081");
        assert_eq!(defaults.http_max_connections, 1024);
        let none = effective(
            CliValues {
                http_max_connections: Some(0),
                ..CliValues::default()
            },
            FileConfig::default(),
        );
        let err = none.server_limits().unwrap_err().to_string();
        assert!(err.contains("http_max_connections"), "{err}");
        // A CA file that is not there is named in the error.
        let missing = effective(
            CliValues {
                smtp_url: Some("smtps://relay.example.nhs.uk:465".into()),
                smtp_ca_file: Some("/nonexistent/ca.pem".into()),
                ..CliValues::default()
            },
            FileConfig::default(),
        );
        let err = missing.auth().unwrap_err().to_string();
        assert!(err.contains("smtp_ca_file"), "{err}");
    }
}
