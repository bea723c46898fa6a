//! `lantern course`: e-learning packages (SCORM 1.2 and 2004, cmi5) checked and published as an organisation's
//! courses from the command line, as the admin's upload page does.

use super::open;
use crate::config;
use clap::{Args, Subcommand};
use lantern_domain::RequirementKey;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum CourseCommand {
    /// Check a SCORM 1.2 or 2004 package (.zip) and publish it as a course of an organisation; a refused package
    /// stores nothing and says why.
    ImportScorm(PackageImport),
    /// Check a cmi5 course (a .zip with cmi5.xml at its root, or a cmi5.xml whose units are hosted elsewhere) and
    /// publish it as a course of an organisation; a refused one stores nothing and says why (the element and line
    /// of a bad cmi5.xml).
    ImportCmi5(PackageImport),
}

/// A package and the course to publish it as.
#[derive(Debug, Args)]
pub struct PackageImport {
    /// The package (.zip; for cmi5, or a cmi5.xml).
    file: PathBuf,
    /// The organisation's ODS code.
    #[arg(long)]
    org: String,
    /// The course's title. Default: the package's.
    #[arg(long, default_value = "")]
    title: String,
    /// The course's code. Default: made from the title. An existing code gets its next version.
    #[arg(long, default_value = "")]
    code: String,
    /// A requirement the course satisfies, as SUBJECT:LEVEL (e.g. cstf.fire_safety:1); repeat for more.
    #[arg(long)]
    satisfies: Vec<String>,
    /// Estimated minutes. Default: 20.
    #[arg(long, default_value_t = 0)]
    minutes: u32,
}

pub(super) async fn run(
    command: CourseCommand,
    cfg: &config::Effective,
) -> anyhow::Result<ExitCode> {
    let (cmi5, import) = match command {
        CourseCommand::ImportScorm(import) => (false, import),
        CourseCommand::ImportCmi5(import) => (true, import),
    };
    let PackageImport {
        file,
        org,
        title,
        code,
        satisfies,
        minutes,
    } = import;
    let store = open(cfg).await?;
    let o = store
        .org_by_code(&lantern_store::Scope::Platform, &org)
        .await
        .map_err(|_| anyhow::anyhow!("no organisation with ODS code {org:?}"))?;
    let mut wanted = Vec::new();
    for s in &satisfies {
        let key: RequirementKey = s.parse().map_err(|e| {
            anyhow::anyhow!("--satisfies {s:?}: {e}; write SUBJECT:LEVEL, e.g. cstf.fire_safety:1")
        })?;
        wanted.push(lantern_learning::course::Satisfies {
            subject: key.subject,
            level: key.level,
        });
    }
    let settings = lantern_web::learning::CourseSettings {
        title,
        code,
        satisfies: wanted,
        estimated_minutes: minutes,
    };
    let now = chrono::Utc::now();
    let imported = if cmi5 {
        lantern_web::learning::cmi5::import_cmi5(store.as_ref(), o.id, None, now, &file, settings)
            .await
            .map(|(package, course)| {
                format!(
                    "Imported {} (cmi5, {} units, {} files, {} bytes) as course {} version {}.",
                    package.title,
                    package.structure.aus().len(),
                    package.file_count,
                    package.unpacked_bytes,
                    course.course.code,
                    course.course.version
                )
            })
            .map_err(|e| e.to_string())
    } else {
        lantern_web::learning::import_package(store.as_ref(), o.id, None, now, &file, settings)
            .await
            .map(|(package, course)| {
                format!(
                    "Imported {} ({}, {} files, {} bytes) as course {} version {}.",
                    package.title,
                    package.manifest.version.label(),
                    package.file_count,
                    package.unpacked_bytes,
                    course.course.code,
                    course.course.version
                )
            })
            .map_err(|e| e.to_string())
    };
    match imported {
        Ok(line) => {
            println!("{line}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            Ok(ExitCode::FAILURE)
        }
    }
}
