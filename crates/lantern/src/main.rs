//! `lantern`: the one binary. Subcommands serve the web UI and API, generate the demo world, import CSV files, run
//! migrations, print the effective configuration and run the benchmark harness.

use clap::Parser;

/// mimalloc hands freed memory back to the operating system promptly; glibc's allocator kept hundreds of megabytes
/// per thread arena after index builds and password hashing (measured with `lantern bench-load`, BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = lantern::cli::Cli::parse();
    match lantern::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
