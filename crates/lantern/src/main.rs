//! `lantern`: the one binary. Subcommands serve the web UI and API, generate the demo world, import CSV files, run
//! migrations, print the effective configuration and run the benchmark harness.

use clap::Parser;

/// mimalloc, built to override `malloc` too, so SQLite's memory (which comes from the C allocator) is managed by the
/// same allocator as Rust's: glibc's kept a thread arena per SQLite connection at its peak size after index builds,
/// about 180 MB at the demo's scale (measured with `lantern bench-load`, BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    return_freed_memory_promptly_when_serving();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the Tokio runtime starts")
        .block_on(async {
            let cli = lantern::cli::Cli::parse();
            match lantern::cli::run(cli).await {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    std::process::ExitCode::FAILURE
                }
            }
        })
}

/// A long-running server should hand freed memory back at once: mimalloc otherwise waits for the thread that freed
/// it to allocate again, and a thread that built an index or hashed a password at start-up may then sit idle,
/// holding tens of megabytes. mimalloc reads its options from the environment before `main`, so `serve` (and the
/// benchmarks that run the server in-process, so that they measure it as it runs) set the option and start again
/// (exec keeps the process id). An operator's own MIMALLOC_PURGE_DELAY wins.
fn return_freed_memory_promptly_when_serving() {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        const OPTION: &str = "MIMALLOC_PURGE_DELAY";
        // The server, and the benchmarks that measure it in-process.
        let serving = std::env::args_os().any(|a| a == "serve" || a == "bench" || a == "bench-lrs");
        if serving
            && std::env::var_os(OPTION).is_none()
            && let Ok(exe) = std::env::current_exe()
        {
            let err = std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env(OPTION, "0")
                .exec();
            // exec returns only on failure; the server then runs with the default purging.
            eprintln!("note: could not restart with {OPTION}=0 ({err}); continuing");
        }
    }
}
