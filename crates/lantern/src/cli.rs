//! Command-line interface.

use crate::config::{self, CliValues, FileConfig};
use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

mod course;
mod lrs;
mod scenario;
pub use course::CourseCommand;
pub use lrs::{LrsCommand, LrsCredentialsCommand};

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

    /// The address people reach Lantern at, for links in emails. https:// also turns on Secure cookies and HSTS.
    #[arg(long, env = "LANTERN_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Minutes without a request after which a session ends. Default: 30.
    #[arg(long, env = "LANTERN_SESSION_IDLE_MINUTES", global = true)]
    pub session_idle_minutes: Option<u64>,

    /// Hours after sign-in at which a session ends, however active. Default: 12.
    #[arg(long, env = "LANTERN_SESSION_HOURS", global = true)]
    pub session_hours: Option<u64>,

    /// Reverse proxies (comma-separated IP addresses) whose X-Forwarded-For header is believed when throttling
    /// sign-ins by client address. Default: none.
    #[arg(long, env = "LANTERN_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,

    /// SMTP relay for outgoing email: smtps://USER:PASSWORD@HOST:465, or smtp://HOST:587?tls=required for STARTTLS.
    /// Default: none, and email is written to DATA_DIR/outbox as .eml files.
    #[arg(long, env = "LANTERN_SMTP_URL", global = true)]
    pub smtp_url: Option<String>,

    /// The sender of Lantern's emails. Default: Lantern <no-reply@lantern.invalid>.
    #[arg(long, env = "LANTERN_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,

    /// A PEM file of CA certificates to trust for the SMTP relay besides the public roots (an organisation's own
    /// CA). Default: the public roots only.
    #[arg(long, env = "LANTERN_SMTP_CA_FILE", global = true)]
    pub smtp_ca_file: Option<String>,

    /// Serve Prometheus metrics at /metrics on this second address only, e.g. 127.0.0.1:9464 (never on the main
    /// address). Default: metrics are not served.
    #[arg(long, env = "LANTERN_METRICS_LISTEN", global = true)]
    pub metrics_listen: Option<String>,

    /// The content origin's listener, where SCORM packages play, apart from Lantern's pages. Default: 127.0.0.1:8081.
    #[arg(long, env = "LANTERN_CONTENT_LISTEN", global = true)]
    pub content_listen: Option<String>,

    /// The address browsers reach the content origin at; its host must differ from Lantern's. Default: Lantern's
    /// address with localhost and 127.0.0.1 swapped, on the content listener's port.
    #[arg(long, env = "LANTERN_CONTENT_URL", global = true)]
    pub content_url: Option<String>,

    /// Seconds a connection has to send a whole request head, counted from when it is ready for a request (so a
    /// kept-alive connection idle this long is closed too). Default: 10.
    #[arg(long, env = "LANTERN_HTTP_HEADER_TIMEOUT_SECONDS", global = true)]
    pub http_header_timeout_seconds: Option<u64>,

    /// Connections served at once; more are answered 503 and closed. Default: 1024.
    #[arg(long, env = "LANTERN_HTTP_MAX_CONNECTIONS", global = true)]
    pub http_max_connections: Option<usize>,

    /// On SIGTERM or Ctrl-C, seconds to let requests in flight finish before exiting anyway. Default: 30.
    #[arg(long, env = "LANTERN_SHUTDOWN_GRACE_SECONDS", global = true)]
    pub shutdown_grace_seconds: Option<u64>,

    /// Let single sign-on reach identity providers at loopback, link-local and private addresses (a provider
    /// inside the organisation's network). Default: false, and such addresses are refused.
    #[arg(
        long,
        env = "LANTERN_SSO_ALLOW_PRIVATE_NETWORKS",
        global = true,
        num_args = 0..=1,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub sso_allow_private_networks: Option<bool>,
    /// Let the virtual patient's language model be on this machine (loopback: an Ollama or llama.cpp server beside
    /// Lantern). Default: false; organisations' models are reached on their own networks, never at loopback,
    /// link-local (cloud metadata) or unspecified addresses.
    #[arg(
        long,
        env = "LANTERN_MODELS_ALLOW_LOOPBACK",
        global = true,
        num_args = 0..=1,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub models_allow_loopback: Option<bool>,
    /// Password-reset links one email address may ask for in an hour. Default: 3.
    #[arg(long, env = "LANTERN_RESET_REQUESTS_PER_EMAIL", global = true)]
    pub reset_requests_per_email: Option<u32>,

    /// Password-reset links one client address may ask for in an hour. Default: 20.
    #[arg(long, env = "LANTERN_RESET_REQUESTS_PER_ADDRESS", global = true)]
    pub reset_requests_per_address: Option<u32>,

    /// Failed sign-ins from one client address (against any accounts) in 15 minutes after which it must wait; only
    /// failures count, so set it above what a shared address (a whole trust behind one NAT) mistypes. Default: 500.
    #[arg(long, env = "LANTERN_SIGN_IN_FAILURES_PER_ADDRESS", global = true)]
    pub sign_in_failures_per_address: Option<u32>,

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
    /// Sign-in accounts: create one with a role in an organisation.
    #[command(subcommand)]
    User(UserCommand),
    /// Requirement frameworks (CSTF, Oliver McGowan, AI and digital): list them, or load a new version.
    #[command(subcommand)]
    Framework(FrameworkCommand),
    /// The built-in xAPI Learning Record Store: client credentials.
    #[command(subcommand)]
    Lrs(LrsCommand),
    /// Courses: import a SCORM package as a course.
    #[command(subcommand)]
    Course(CourseCommand),
    /// Simulation scenarios: check a file, play one headless from an action script, or print the file format's
    /// JSON Schema.
    #[command(subcommand)]
    Scenario(scenario::ScenarioCommand),
    /// Print the effective configuration and where each value came from.
    Config,
    /// Print the OpenAPI document.
    Openapi,
    /// Load benchmark: starts a server on this database (loading the demo world if it is empty), signs in many
    /// learner and manager sessions and walks their pages on loopback, reporting latency and the server's memory.
    BenchLoad {
        #[arg(long, default_value_t = 500)]
        sessions: usize,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Pause between one session's requests, like a person reading a page.
        #[arg(long, default_value_t = 1000)]
        think_ms: u64,
        #[arg(long, default_value_t = 18181)]
        port: u16,
    },
    /// SCORM benchmark: a server on this database (the demo world loaded if it is empty) and many learners, each a
    /// different person with their own attempt and launch, committing a SCORM package's data every few seconds,
    /// while others sit the built-in courses' assessments.
    BenchScorm {
        #[arg(long, default_value_t = 500)]
        learners: usize,
        #[arg(long, default_value_t = 90)]
        seconds: u64,
        #[arg(long, default_value_t = 30)]
        commit_seconds: u64,
        /// Learners sitting the built-in courses' assessments meanwhile (through the JSON API).
        #[arg(long, default_value_t = 100)]
        submitters: usize,
        /// Each of them submits a paper about this often.
        #[arg(long, default_value_t = 10)]
        submit_seconds: u64,
        #[arg(long, default_value_t = 18281)]
        port: u16,
        /// Staff in the demo world, if it is loaded (RJ1 needs at least --learners people).
        #[arg(long, default_value_t = 5_000)]
        demo_staff: usize,
    },
    /// LRS benchmark: statements through HTTP on loopback (single, batches of 10, 100 and 1000, low and high variety
    /// of actors), then up to --statements in batches of 100, with filtered-query latency at each checkpoint.
    BenchLrs {
        /// Statements to reach in the benchmark organisation's LRS.
        #[arg(long, default_value_t = 1_000_000)]
        statements: usize,
        /// Sizes at which to measure queries on the way (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "1000000,10000000")]
        checkpoints: Vec<usize>,
        /// Concurrent clients.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Samples per query kind at each checkpoint.
        #[arg(long, default_value_t = 500)]
        samples: usize,
    },
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

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from LANTERN_PASSWORD, or asked for when unset.
    Create {
        /// Sign-in email address.
        #[arg(long)]
        email: String,
        /// Display name. Default: the part of the email before @.
        #[arg(long)]
        name: Option<String>,
        /// learner, manager, org_admin, auditor or platform_admin.
        #[arg(long, value_parser = parse_role)]
        role: lantern_domain::access::Role,
        /// The organisation's ODS code (every role but platform_admin).
        #[arg(long)]
        org: Option<String>,
        /// A unit code the manager manages; repeat for several.
        #[arg(long = "unit")]
        units: Vec<String>,
        /// The employee number of the person this account is (learners: whose training "My training" shows).
        #[arg(long)]
        employee_number: Option<String>,
    },
}

fn parse_role(s: &str) -> Result<lantern_domain::access::Role, String> {
    lantern_domain::access::Role::parse(s)
        .ok_or_else(|| "one of learner, manager, org_admin, auditor, platform_admin".to_owned())
}

#[derive(Debug, Subcommand)]
pub enum FrameworkCommand {
    /// List the loaded frameworks and versions.
    List,
    /// Preview a framework file against every organisation, then apply it with --yes. A new version becomes new
    /// rule versions in every organisation from its effective date (the versions it replaces stay as history),
    /// with a transition for the people it makes due; all-or-nothing. Without --yes nothing is applied.
    Load {
        /// The framework file.
        file: PathBuf,
        /// Apply after showing the preview.
        #[arg(long)]
        yes: bool,
        /// Show the preview only, even with --yes.
        #[arg(long)]
        dry_run: bool,
        /// The transition in days, from the later of the effective date and today (default: per kind of change).
        #[arg(long)]
        transition_days: Option<u32>,
        /// The transition's last day, YYYY-MM-DD.
        #[arg(long)]
        transition_until: Option<chrono::NaiveDate>,
        /// No transition: people are overdue from the effective date.
        #[arg(long)]
        no_transition: bool,
    },
    /// Show what loading a framework file would change, per organisation, without applying anything.
    Preview {
        /// The framework file.
        file: PathBuf,
        #[arg(long)]
        transition_days: Option<u32>,
        #[arg(long)]
        transition_until: Option<chrono::NaiveDate>,
        #[arg(long)]
        no_transition: bool,
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
            public_url: cli.public_url,
            session_idle_minutes: cli.session_idle_minutes,
            session_hours: cli.session_hours,
            trusted_proxies: cli.trusted_proxies,
            smtp_url: cli.smtp_url,
            mail_from: cli.mail_from,
            smtp_ca_file: cli.smtp_ca_file,
            metrics_listen: cli.metrics_listen,
            content_listen: cli.content_listen,
            content_url: cli.content_url,
            http_header_timeout_seconds: cli.http_header_timeout_seconds,
            http_max_connections: cli.http_max_connections,
            shutdown_grace_seconds: cli.shutdown_grace_seconds,
            sso_allow_private_networks: cli.sso_allow_private_networks,
            models_allow_loopback: cli.models_allow_loopback,
            reset_requests_per_email: cli.reset_requests_per_email,
            reset_requests_per_address: cli.reset_requests_per_address,
            sign_in_failures_per_address: cli.sign_in_failures_per_address,
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
        Command::User(UserCommand::Create {
            email,
            name,
            role,
            org,
            units,
            employee_number,
        }) => {
            let store = open(&cfg).await?;
            let password = match std::env::var("LANTERN_PASSWORD") {
                Ok(p) => p,
                Err(_) => read_password(&email).await?,
            };
            let id = crate::users::create(
                store.as_ref(),
                crate::users::CreateUser {
                    email: email.clone(),
                    name,
                    password,
                    role,
                    org,
                    units,
                    employee_number,
                },
            )
            .await?;
            println!("Created account {id} for {email} ({}).", role.label());
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchLrs {
            statements,
            checkpoints,
            clients,
            samples,
        } => {
            let store = open(&cfg).await?;
            crate::bench_lrs::run(
                store,
                crate::bench_lrs::Options {
                    statements,
                    checkpoints,
                    clients,
                    samples,
                },
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Course(command) => course::run(command, &cfg).await,
        Command::Scenario(command) => scenario::run(command),
        Command::Lrs(command) => lrs::run(command, &cfg).await,
        Command::Framework(FrameworkCommand::List) => {
            let store = open(&cfg).await?;
            for f in store.frameworks().await? {
                let m = &f.framework;
                println!(
                    "{:<16} {:<8} effective {}  {} ({} rules)",
                    m.code,
                    m.version,
                    m.effective_from,
                    m.name,
                    f.rules.len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Framework(FrameworkCommand::Load {
            file,
            yes,
            dry_run,
            transition_days,
            transition_until,
            no_transition,
        }) => {
            let store = open(&cfg).await?;
            let choice =
                crate::framework::choice(transition_days, transition_until, no_transition)?;
            let mode = if yes && !dry_run {
                crate::framework::Mode::Apply
            } else {
                crate::framework::Mode::Preview
            };
            crate::framework::load(store.as_ref(), &file, mode, choice, &cfg.public_url).await
        }
        Command::Framework(FrameworkCommand::Preview {
            file,
            transition_days,
            transition_until,
            no_transition,
        }) => {
            let store = open(&cfg).await?;
            let choice =
                crate::framework::choice(transition_days, transition_until, no_transition)?;
            crate::framework::load(
                store.as_ref(),
                &file,
                crate::framework::Mode::Preview,
                choice,
                &cfg.public_url,
            )
            .await
        }
        Command::Demo { staff, seed, today } => {
            let store = open(&cfg).await?;
            // The demo world is in London: its "today" is London's.
            let today = today.unwrap_or_else(|| {
                lantern_domain::local_time::TimeZone::DEFAULT.date_at(chrono::Utc::now())
            });
            let summary = crate::demo::generate(store.as_ref(), staff, seed, today, true).await?;
            println!("{summary}");
            crate::users::print_demo_accounts(&crate::users::demo_accounts(store.as_ref()).await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { kind, file, report } => {
            let store = open(&cfg).await?;
            crate::import::run(store.as_ref(), kind, &file, report.as_deref()).await
        }
        Command::BenchScorm {
            learners,
            seconds,
            commit_seconds,
            submitters,
            submit_seconds,
            port,
            demo_staff,
        } => {
            let mut database_args = vec!["--database".to_owned(), cfg.database.clone()];
            database_args.extend(["--data-dir".to_owned(), cfg.data_dir.display().to_string()]);
            crate::bench_scorm::run(crate::bench_scorm::Options {
                learners,
                seconds,
                commit_seconds,
                submitters,
                submit_seconds,
                port,
                database: cfg.database.clone(),
                database_args,
                demo_staff,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchLoad {
            sessions,
            seconds,
            think_ms,
            port,
        } => {
            let mut database_args = vec!["--database".to_owned(), cfg.database.clone()];
            database_args.extend(["--data-dir".to_owned(), cfg.data_dir.display().to_string()]);
            crate::loadtest::run(crate::loadtest::Options {
                sessions,
                seconds,
                think_ms,
                port,
                database_args,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
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
                let today =
                    lantern_domain::local_time::TimeZone::DEFAULT.date_at(chrono::Utc::now());
                let summary =
                    crate::demo::generate(store.as_ref(), demo_staff, 2026, today, true).await?;
                println!("{summary}");
            }
            if demo {
                crate::users::print_demo_accounts(
                    &crate::users::demo_accounts(store.as_ref()).await?,
                );
            }
            serve(store, &cfg).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The new account's password: typed at the terminal without being shown (`terminal::read_password`), or, piped
/// in by a script (standard input not a terminal), one line of it.
async fn read_password(email: &str) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        return crate::terminal::read_password(&format!(
            "Password for {email} (at least 12 characters, not shown): "
        ))
        .await;
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
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
    cfg: &config::Effective,
) -> anyhow::Result<()> {
    let listen = cfg.listen.as_str();
    let limits = cfg.server_limits()?;
    let mut state =
        lantern_web::AppState::new(store, cfg.auth()?).with_source(crate::source::archive());
    // SCORM packages play on a listener and origin of their own (lantern_web::content).
    let content = match (cfg.content_listen.trim(), cfg.content_url.trim()) {
        ("", _) | (_, "") => {
            tracing::warn!("no content_listen or content_url: SCORM packages cannot be played");
            None
        }
        (addr, url) => {
            state = state.with_content(lantern_web::ContentOrigin::new(url, &cfg.public_url)?);
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("listening for the content origin on {addr}"))?;
            println!(
                "Packages play at {url} (listening on {})",
                listener.local_addr()?
            );
            Some(tokio::spawn(crate::server::serve(
                listener,
                lantern_web::content_app(state.clone()),
                limits,
                std::future::pending(),
            )))
        }
    };
    // Build every organisation's compliance index in the background, so the first dashboard of the day is quick.
    let warm = state.clone();
    let warming = tokio::spawn(async move {
        let started = std::time::Instant::now();
        let orgs = match warm.store.list_orgs(&lantern_store::Scope::Platform).await {
            Ok(o) => o,
            Err(e) => return tracing::warn!(error = %e, "could not list organisations to warm up"),
        };
        for o in &orgs {
            // Gives way to requests: an organisation someone asks for is made first (`ReadModel::warm`).
            if let Err(e) = warm.read_model.warm(warm.store.as_ref(), o.org.id).await {
                tracing::warn!(org = %o.org.ods_code, error = %e, "warm-up failed");
            }
        }
        let (_, bytes) = warm.read_model.memory();
        tracing::info!(
            organisations = orgs.len(),
            seconds = started.elapsed().as_secs_f64(),
            index_mb = bytes / 1_000_000,
            "compliance indexes ready"
        );
    });
    // Installed before the address is announced, so a SIGTERM from then on always drains.
    let stop = crate::server::shutdown_signal()?;
    let metrics = match cfg.metrics_listen.trim() {
        "" => None,
        addr => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("listening for metrics on {addr}"))?;
            let addr = listener.local_addr()?;
            println!("Metrics at http://{addr}/metrics");
            let app = lantern_web::metrics_app(state.clone());
            Some(tokio::spawn(crate::server::serve(
                listener,
                app,
                limits,
                std::future::pending(),
            )))
        }
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    // Every email goes through the queue in the database; this server's deliverer sends what is due (and what other
    // servers sharing the database queued), and stops after the message in hand when the server shuts down.
    let deliverer = lantern_web::mail::Deliverer::start(state.clone());
    // Reminders that run themselves (the organisations' notice policies), hourly, once across servers.
    let scheduler = lantern_web::notices::Scheduler::start(state.clone());
    let app = lantern_web::app(state);
    let addr = listener.local_addr()?;
    println!("Lantern is running: open http://{addr}/ (Ctrl-C or SIGTERM to stop)");
    tracing::info!(%addr, "serving");
    crate::server::serve(listener, app, limits, async {
        let signal = stop.await;
        tracing::info!(signal, "shutting down");
    })
    .await;
    // Requests have finished; the deliverer finishes the message in hand and stops. The warm-up only reads; the
    // metrics listener serves nothing that matters once the server has stopped.
    scheduler.stop().await;
    deliverer.stop().await;
    warming.abort();
    if let Some(m) = metrics {
        m.abort();
    }
    if let Some(c) = content {
        c.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

fn init_logging(cfg: &config::Effective) {
    use tracing_subscriber::EnvFilter;
    // sqlx's slow-statement warnings print whole multi-row INSERTs; quiet them unless asked for.
    let directives = if cfg.log_level.contains("sqlx") {
        cfg.log_level.clone()
    } else {
        format!("{},sqlx=error", cfg.log_level)
    };
    let filter = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cfg.log_format == "json" {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}
