//! Command-line interface.

use crate::config::{self, CliValues, FileConfig};
use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Lantern: workforce learning and compliance for healthcare.
///
/// Keeps a healthcare workforce's statutory and mandatory training in date: who is compliant with what their role
/// requires, with reasons, as at any date.
#[derive(Debug, Parser)]
#[command(
    name = "lantern",
    version,
    propagate_version = true,
    max_term_width = 110
)]
pub struct Cli {
    /// Database URL: sqlite://PATH (embedded, the default) or postgres://USER@HOST/DB.
    /// Default: sqlite://DATA_DIR/lantern.db.
    #[arg(long, env = "LANTERN_DATABASE", global = true)]
    pub database: Option<String>,

    /// Folder for the embedded database and the development outbox. Default: ./data.
    #[arg(long, env = "LANTERN_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// Optional TOML configuration file; flags and LANTERN_* variables override it.
    #[arg(long, env = "LANTERN_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// Log format: text or json.
    #[arg(long, env = "LANTERN_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,

    /// Log level or filter, e.g. info or lantern=debug,sqlx=warn.
    #[arg(long, env = "LANTERN_LOG", global = true)]
    pub log_level: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web UI and JSON API. Migrations run on start.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "LANTERN_LISTEN")]
        listen: Option<String>,
        /// Load the demo world first if the database is empty.
        #[arg(long)]
        demo: bool,
        /// Staff in the demo world loaded by --demo.
        #[arg(long, default_value_t = 12_000)]
        demo_staff: usize,
    },
    /// Generate the synthetic London demo world (deterministic for a seed).
    Demo {
        /// Number of staff to generate (up to NHS England's 1.5 million).
        #[arg(long, default_value_t = 12_000)]
        staff: usize,
        /// Random seed: the same seed and date give the same world.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// The demo's "today" (YYYY-MM-DD). Default: today.
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// Import staff and posts, or training records, from a CSV file (all-or-nothing; see docs/import.md).
    Import {
        #[arg(value_enum)]
        kind: ImportKind,
        /// The CSV file.
        file: PathBuf,
        /// Also write the error report, if any, to this CSV file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Run database migrations and load the built-in frameworks, then exit.
    Migrate,
    /// Print the effective configuration and where each value came from.
    Config,
    /// Print the OpenAPI document.
    Openapi,
    /// Benchmark harness: generate a world of N staff (if the database is empty) and measure the queries.
    Bench {
        #[arg(long, default_value_t = 20_000)]
        staff: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Samples for the one-person measurement.
        #[arg(long, default_value_t = 2000)]
        samples: usize,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportKind {
    /// People and their posts (one row per post).
    Staff,
    /// Training records.
    Records,
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let file = FileConfig::load(cli.config.as_deref())?;
    let listen = match &cli.command {
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    let cfg = config::effective(
        CliValues {
            database: cli.database,
            data_dir: cli.data_dir,
            listen,
            log_format: cli.log_format,
            log_level: cli.log_level,
        },
        file,
    );
    init_logging(&cfg);
    match cli.command {
        Command::Config => {
            print!("{}", cfg.to_toml());
            Ok(ExitCode::SUCCESS)
        }
        Command::Openapi => {
            println!("{}", lantern_web::openapi_json());
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let store = open(&cfg).await?;
            let counts = store.table_counts().await?;
            println!("Database ready ({}).", store.backend().name());
            for (t, n) in counts {
                println!("  {t:<22} {n:>10}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { staff, seed, today } => {
            let store = open(&cfg).await?;
            let today = today.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let summary = crate::demo::generate(store.as_ref(), staff, seed, today, true).await?;
            println!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { kind, file, report } => {
            let store = open(&cfg).await?;
            crate::import::run(store.as_ref(), kind, &file, report.as_deref()).await
        }
        Command::Bench {
            staff,
            seed,
            samples,
        } => {
            let store = open(&cfg).await?;
            crate::bench::run(store, staff, seed, samples).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            demo, demo_staff, ..
        } => {
            let store = open(&cfg).await?;
            if demo && store.is_empty().await? {
                println!("Loading the demo world ({demo_staff} staff); this happens once.");
                let today = chrono::Utc::now().date_naive();
                let summary =
                    crate::demo::generate(store.as_ref(), demo_staff, 2026, today, true).await?;
                println!("{summary}");
            }
            serve(store, &cfg.listen).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn open(cfg: &config::Effective) -> anyhow::Result<std::sync::Arc<dyn lantern_store::Store>> {
    let store = lantern_store::open(&cfg.database).await.with_context(|| {
        format!(
            "opening database {}",
            cfg.database.split('@').next_back().unwrap_or("")
        )
    })?;
    lantern_store::load_built_in_frameworks(store.as_ref()).await?;
    Ok(store)
}

async fn serve(
    store: std::sync::Arc<dyn lantern_store::Store>,
    listen: &str,
) -> anyhow::Result<()> {
    let app = lantern_web::app(lantern_web::AppState::new(store));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    println!("Lantern is running: open http://{addr}/ (Ctrl-C to stop)");
    tracing::info!(%addr, "serving");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        })
        .await?;
    Ok(())
}

fn init_logging(cfg: &config::Effective) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(format!("{},sqlx=warn", cfg.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cfg.log_format == "json" {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}
