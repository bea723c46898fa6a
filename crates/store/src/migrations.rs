//! The schema migrations of each backend, embedded in the binary (the build script lists `migrations/{backend}`).
//! Each file is `NNNN_what_it_does.sql`; one beginning `-- no-transaction` runs outside a transaction. sqlx records
//! each applied migration with a checksum of its SQL and refuses to start if an applied one has changed.

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// A migrator for one backend's files: `SQLITE` or `POSTGRES`.
pub(crate) fn migrator(files: &'static [(&'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        files
            .iter()
            .map(|(name, sql)| migration(name, sql))
            .collect(),
    )
}

/// One file as sqlx reads a migrations folder: the version before the first `_`, the rest (less `.sql`, with spaces
/// for underscores) its description.
fn migration(name: &str, sql: &'static str) -> Migration {
    let (version, rest) = name
        .split_once('_')
        .unwrap_or_else(|| panic!("migration {name} is not NNNN_description.sql"));
    let version: i64 = version
        .parse()
        .unwrap_or_else(|_| panic!("migration {name} does not begin with its version"));
    let description = rest.trim_end_matches(".sql").replace('_', " ");
    Migration::new(
        version,
        Cow::Owned(description),
        MigrationType::Simple,
        sql.into_sql_str(),
        sql.starts_with("-- no-transaction"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_migrations_numbered_from_one() {
        let names = |files: &[(&str, &str)]| -> Vec<String> {
            files.iter().map(|(n, _)| n.to_string()).collect()
        };
        assert_eq!(names(SQLITE), names(POSTGRES));
        let m = migrator(SQLITE);
        let versions: Vec<i64> = m.iter().map(|m| m.version).collect();
        assert_eq!(versions, (1..=SQLITE.len() as i64).collect::<Vec<_>>());
        let first = m.iter().next().expect("one");
        assert_eq!(first.description, "foundation");
        assert!(
            m.iter().any(|m| m.no_tx),
            "the rebuild of a SQLite table runs outside a transaction"
        );
        assert!(!migrator(POSTGRES).iter().next().expect("one").no_tx);
    }
}
