//! A guard on the architecture invariant that whether a caller may do something is decided only by
//! `lantern_domain::access::Principal::may` (and what they may see only by `Principal::scope`): this test reads every
//! Rust file of the web crate and fails on code that decides by naming a role or reading the caller's grants.
//!
//! What counts as a role check:
//! - naming a role variant (`Role::Manager`...): a handler that matches on roles;
//! - comparing a grant's role (`.role ==`, `.role !=`), or asking which roles a caller holds (`roles_in(`,
//!   `is_platform_admin(`, `principal.grants`).
//!
//! What does not, and so is not flagged: parsing a role that a form names (`Role::parse`), and showing one
//! (`.label()`, `.code()`). Asking the policy (`may(Action::...)`, `Scope::sees_*`) is the way to decide.
//!
//! [`ALLOWED`] lists the files that may still name roles, each with why. It is empty: every decision goes through the
//! policy. A file goes on it only to *describe* roles (never to decide with them), and says so there.

use std::path::{Path, PathBuf};

/// What a role check looks like in code.
const PATTERNS: [&str; 11] = [
    "Role::Learner",
    "Role::Manager",
    "Role::OrgAdmin",
    "Role::Auditor",
    "Role::PlatformAdmin",
    "Role::Author",
    ".role ==",
    ".role !=",
    "roles_in(",
    "is_platform_admin(",
    "principal.grants",
];

/// Files (relative to `crates/web/src`) that may match a pattern, with the reason. None today.
const ALLOWED: [(&str, &str); 0] = [];

/// Each line of `source` that checks a role, as (line number, text). Comment lines are skipped: words about roles
/// are not decisions.
fn role_checks(source: &str) -> Vec<(usize, String)> {
    let (mut after_cfg_test, mut in_tests) = (false, false);
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            let code = line.trim_start();
            // A module's own unit tests (an inline `#[cfg(test)] mod tests {`, to the end of the file) build
            // principals on purpose.
            if after_cfg_test && code.starts_with("mod ") && code.contains('{') {
                in_tests = true;
            }
            after_cfg_test = code.starts_with("#[cfg(test)]");
            !in_tests && !code.starts_with("//") && PATTERNS.iter().any(|p| code.contains(p))
        })
        .map(|(i, line)| (i + 1, line.trim().to_owned()))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source folder reads") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_handler_or_view_decides_by_role() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(
        files.len() > 50,
        "the whole crate is read: {} files",
        files.len()
    );
    let mut found = Vec::new();
    for file in files {
        let relative = file
            .strip_prefix(&root)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        if relative == "role_checks.rs" || ALLOWED.iter().any(|(f, _)| *f == relative) {
            continue;
        }
        let source = std::fs::read_to_string(&file).expect("a source file reads");
        for (line, text) in role_checks(&source) {
            found.push(format!("{relative}:{line}: {text}"));
        }
    }
    assert!(
        found.is_empty(),
        "role checks outside lantern_domain::access (ask Principal::may with an Action instead):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scanner_finds_the_ways_a_role_is_checked_and_nothing_else() {
    let checks = role_checks(
        "let a = roles.contains(&Role::Learner);\n\
         // a comment naming Role::Manager\n\
         .filter(|g| g.role == Role::Manager)\n\
         if caller.principal.grants.iter().any(|g| matches!(g.role, x)) {}\n\
         if caller.roles_in(org).is_empty() {}\n\
         let r = Role::parse(&form.role);\n\
         let shown = g.role.label();\n\
         if caller.may(Action::Grant(org, r)) {}\n\
         #[cfg(test)]\n\
         mod tests { const R: Role = Role::Auditor; }\n",
    );
    let lines: Vec<usize> = checks.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [1, 3, 4, 5]);
}
