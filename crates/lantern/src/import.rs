//! `lantern import`: checks a CSV file with [`lantern_store::csv_import`] under a progress bar, then writes it in one
//! transaction, or prints (and optionally saves) the report of every problem.

use crate::cli::ImportKind;
use indicatif::{ProgressBar, ProgressStyle};
use lantern_store::csv_import::{CsvKind, MAX_FILE_BYTES, describe, parse, report_csv};
use lantern_store::*;
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

/// Imports a file: check, then write in one transaction. Prints what changed, or the report of problems.
pub async fn run(
    store: &dyn Store,
    kind: ImportKind,
    file: &Path,
    report: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let size = std::fs::metadata(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
        .len();
    if size > MAX_FILE_BYTES {
        anyhow::bail!(
            "{} is {size} bytes; the limit is {MAX_FILE_BYTES}",
            file.display()
        );
    }
    let mut bytes = Vec::with_capacity(size as usize);
    std::fs::File::open(file)?.read_to_end(&mut bytes)?;
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {bytes}/{total_bytes} ({eta} left)")
            .expect("template")
            .progress_chars("=> "),
    );
    bar.set_message("checking");
    let kind = match kind {
        ImportKind::Staff => CsvKind::Staff,
        ImportKind::Records => CsvKind::Records,
    };
    let outcome = match parse(kind, &bytes, &|pos| bar.set_position(pos)) {
        Ok(batch) => {
            bar.set_message("writing");
            bar.set_position(size);
            store.write(&batch).await.map_err(|e| match e {
                StoreError::Rejected(p) => Err(p),
                other => Ok(other),
            })
        }
        Err(problems) => Err(Err(problems)),
    };
    bar.finish_and_clear();
    match outcome {
        Ok(o) => {
            store.refresh_statistics().await?;
            println!("Imported {}: {}", file.display(), describe(&o));
            Ok(ExitCode::SUCCESS)
        }
        Err(Ok(other)) => Err(other.into()),
        Err(Err(problems)) => {
            eprintln!(
                "{} was not imported: {} problem(s). Nothing was written.",
                file.display(),
                problems.len()
            );
            for p in problems.iter().take(200) {
                eprintln!("  {p}");
            }
            if problems.len() > 200 {
                eprintln!(
                    "  ... and {} more (use --report FILE to get them all)",
                    problems.len() - 200
                );
            }
            if let Some(path) = report {
                write_report(path, &problems)?;
                eprintln!("The full report is in {}.", path.display());
            }
            Ok(ExitCode::from(2))
        }
    }
}

pub fn write_report(path: &Path, problems: &[BatchProblem]) -> anyhow::Result<()> {
    std::fs::write(path, report_csv(problems))?;
    Ok(())
}
