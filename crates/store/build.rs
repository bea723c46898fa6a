//! Fingerprints the code that decides what a roll-up holds (the domain crate and this one), so roll-up layers stored
//! by one build are never read by another that might assess people differently (`read_model::durable`); and lists
//! the migrations of each backend for `migrations.rs` to embed (sqlx's `migrate!` macro would do the same, but it
//! brings sqlx's query macros and with them a second build of both database drivers and SQLite for the compiler).

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "toml") {
            out.push(path);
        }
    }
}

fn main() {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let roots = [here.join("src"), here.join("../domain/src")];
    let mut paths = Vec::new();
    for root in &roots {
        println!("cargo:rerun-if-changed={}", root.display());
        files(root, &mut paths);
    }
    paths.sort();
    let mut hash = Sha256::new();
    for p in &paths {
        let rel = p.strip_prefix(&here).unwrap_or(p);
        hash.update(rel.to_string_lossy().as_bytes());
        hash.update(std::fs::read(p).unwrap_or_default());
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=LANTERN_ROLLUP_FINGERPRINT={hex}");

    let mut listing = String::new();
    for backend in ["sqlite", "postgres"] {
        let dir = here.join("migrations").join(backend);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("the migrations folder")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .collect();
        names.sort();
        listing.push_str(&format!(
            "pub(crate) const {}: &[(&str, &str)] = &[\n",
            backend.to_uppercase()
        ));
        for p in names {
            let file = p.file_name().expect("a file").to_string_lossy();
            listing.push_str(&format!(
                "    ({file:?}, include_str!({:?})),\n",
                p.display().to_string()
            ));
        }
        listing.push_str("];\n");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("migrations.rs"), listing).expect("OUT_DIR is writable");
}
