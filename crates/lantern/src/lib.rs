//! The `lantern` binary's library half: command line, configuration, the demo world, CSV import and the benchmark
//! harness. Kept as a library so the integration tests drive exactly what the binary runs.

pub mod bench;
pub mod bench_lrs;
pub mod bench_scorm;
pub mod cli;
pub mod config;
pub mod demo;
pub mod framework;
pub mod import;
pub mod loadtest;
pub mod server;
pub mod source;
pub mod terminal;
pub mod users;
