//! `lantern lrs`: the built-in LRS's client credentials, made and listed from the command line.

use super::open;
use crate::config;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum LrsCommand {
    /// Client credentials (HTTP Basic key and secret) for e-learning and simulators that report to /xapi/.
    #[command(subcommand)]
    Credentials(LrsCredentialsCommand),
}

#[derive(Debug, Subcommand)]
pub enum LrsCredentialsCommand {
    /// Create a credential for an organisation's LRS; prints the key and the secret (shown only this once).
    Create {
        /// The organisation's ODS code.
        #[arg(long)]
        org: String,
        /// What the credential is for, e.g. "Fire safety e-learning (Storyline)". It is the `authority` of what it
        /// stores and the provider of the training records that come from it.
        #[arg(long, default_value = "xAPI client")]
        name: String,
        /// The credential may read statements and documents but not write them.
        #[arg(long)]
        read_only: bool,
        /// The xAPI version the client speaks (1.0.3 or 2.0.0): what the LRS announces when one of its requests
        /// names no version it can use.
        #[arg(long, default_value = "1.0.3", value_parser = parse_xapi_version)]
        xapi_version: lantern_xapi::Version,
    },
    /// List an organisation's credentials (keys only; secrets are never shown again).
    List {
        #[arg(long)]
        org: String,
    },
}

fn parse_xapi_version(s: &str) -> Result<lantern_xapi::Version, String> {
    lantern_xapi::Version::named(s).ok_or_else(|| "1.0.3 or 2.0.0".to_owned())
}

pub(super) async fn run(command: LrsCommand, cfg: &config::Effective) -> anyhow::Result<ExitCode> {
    match command {
        LrsCommand::Credentials(LrsCredentialsCommand::Create {
            org,
            name,
            read_only,
            xapi_version,
        }) => {
            let store = open(cfg).await?;
            let o = store
                .org_by_code(&lantern_store::Scope::Platform, &org)
                .await
                .map_err(|_| anyhow::anyhow!("no organisation with ODS code {org:?}"))?;
            let (key, secret, hash) = lantern_web::xapi::auth::new_credential();
            store
                .create_lrs_credential(
                    &lantern_store::lrs::NewLrsCredential {
                        org: o.id,
                        name: &name,
                        api_key: &key,
                        secret_hash: &hash,
                        can_write: !read_only,
                        default_version: xapi_version,
                    },
                    chrono::Utc::now(),
                )
                .await?;
            let endpoint = format!("{}/xapi/", cfg.public_url.trim_end_matches('/'));
            println!("LRS credential for {} ({org}): {name}", o.name);
            println!("  endpoint: {endpoint}");
            println!("  key:      {key}");
            println!("  secret:   {secret}");
            println!(
                "  access:   {}",
                if read_only {
                    "read only"
                } else {
                    "read and write"
                }
            );
            println!("  xAPI:     {xapi_version}");
            println!("The secret is shown only now: store it in the client's configuration.");
            Ok(ExitCode::SUCCESS)
        }
        LrsCommand::Credentials(LrsCredentialsCommand::List { org }) => {
            let store = open(cfg).await?;
            let o = store
                .org_by_code(&lantern_store::Scope::Platform, &org)
                .await
                .map_err(|_| anyhow::anyhow!("no organisation with ODS code {org:?}"))?;
            for c in store.lrs_credentials(o.id).await? {
                println!(
                    "{:<30} {:<40} {:<10} xAPI {} created {}{}",
                    c.api_key,
                    c.name,
                    if c.can_write {
                        "read-write"
                    } else {
                        "read-only"
                    },
                    c.default_version,
                    c.created_at.format("%Y-%m-%d"),
                    c.revoked_at
                        .map(|r| format!(", revoked {}", r.format("%Y-%m-%d")))
                        .unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
