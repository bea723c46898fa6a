//! Build script for the `lantern` binary: packs Lantern's own source into `OUT_DIR/source.tar.gz`, which the server
//! offers at `/source`. The GNU AGPL 3.0, section 13, asks that everyone who uses a (modified) Lantern over a network
//! be offered its Corresponding Source; a binary that carries the very tree it was built from always can.
//!
//! What goes in is what git would track: the workspace without `target/`, `node_modules/`, `.git`, local data and
//! fuzzing output (the same list as `.gitignore`). The archive is a POSIX ustar file (IEEE Std 1003.1, "pax"
//! utility, ustar interchange format) under `lantern-VERSION/`, in path order with fixed times and owners, so the same
//! tree always gives the same bytes.

use flate2::Compression;
use flate2::write::GzEncoder;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Directory names never packed, wherever they are.
const SKIP_NAMES: &[&str] = &["target", "node_modules", ".git"];
/// Paths (from the workspace root) never packed: local data and fuzzing output, as in `.gitignore`.
const SKIP_PATHS: &[&str] = &[
    "data",
    "artifacts",
    "crates/xapi/fuzz/corpus",
    "crates/xapi/fuzz/artifacts",
    "crates/xapi/fuzz/coverage",
    "crates/learning/fuzz/corpus",
    "crates/learning/fuzz/artifacts",
    "crates/learning/fuzz/coverage",
    "crates/sim/fuzz/corpus",
    "crates/sim/fuzz/artifacts",
    "crates/sim/fuzz/coverage",
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo"));
    let root = manifest
        .parent()
        .and_then(Path::parent)
        .expect("crates/lantern is two levels below the workspace root")
        .to_path_buf();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("run by cargo"));
    let version = std::env::var("CARGO_PKG_VERSION").expect("run by cargo");

    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    files.sort();
    println!("cargo:rerun-if-changed=build.rs");
    let prefix = format!("lantern-{version}/");
    let mut tar = Vec::new();
    for rel in &files {
        let path = root.join(rel);
        // Cargo looks at each packed file's modification time: change one and the archive is packed again.
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let executable = is_executable(&path);
        let name = format!("{prefix}{}", rel.to_string_lossy().replace('\\', "/"));
        tar.extend(header(&name, bytes.len(), executable));
        tar.extend(&bytes);
        tar.resize(tar.len().next_multiple_of(512), 0);
    }
    // The end of the archive: two zero blocks.
    tar.resize(tar.len() + 1024, 0);
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(&tar).expect("gzip in memory");
    let packed = gz.finish().expect("gzip in memory");
    let dest = out.join("source.tar.gz");
    if fs::read(&dest).ok().as_deref() != Some(packed.as_slice()) {
        fs::write(&dest, packed).unwrap_or_else(|e| panic!("writing {}: {e}", dest.display()));
    }
}

/// Every file below `dir`, as paths relative to `root`, leaving out what git would not track.
fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .expect("below the root")
            .to_path_buf();
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        if SKIP_NAMES.contains(&name.as_str()) || SKIP_PATHS.contains(&rel_str.as_str()) {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(root, &path, out);
        } else if kind.is_file() && !name.ends_with(".db") && !name.contains(".db-") {
            out.push(rel);
        }
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}

/// A ustar header block for a regular file. Names over 100 bytes are split at a '/' into prefix and name.
fn header(path: &str, size: usize, executable: bool) -> [u8; 512] {
    let mut h = [0u8; 512];
    let (prefix, name) = if path.len() <= 100 {
        ("", path)
    } else {
        let cut = path[..path.len().min(156)]
            .rfind('/')
            .filter(|&i| path.len() - i - 1 <= 100)
            .unwrap_or_else(|| panic!("{path} is too long for a ustar header"));
        (&path[..cut], &path[cut + 1..])
    };
    let put =
        |h: &mut [u8; 512], at: usize, bytes: &[u8]| h[at..at + bytes.len()].copy_from_slice(bytes);
    let octal = |h: &mut [u8; 512], at: usize, len: usize, n: u64| {
        let s = format!("{n:0width$o}", width = len - 1);
        put(h, at, s.as_bytes());
    };
    put(&mut h, 0, name.as_bytes());
    octal(&mut h, 100, 8, if executable { 0o755 } else { 0o644 });
    octal(&mut h, 108, 8, 0); // uid
    octal(&mut h, 116, 8, 0); // gid
    octal(&mut h, 124, 12, size as u64);
    octal(&mut h, 136, 12, 0); // mtime
    h[156] = b'0'; // a regular file
    put(&mut h, 257, b"ustar\0");
    put(&mut h, 263, b"00");
    put(&mut h, 345, prefix.as_bytes());
    // The checksum is taken with its own field as spaces, and written as six octal digits, NUL, space.
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    put(&mut h, 148, format!("{sum:06o}\0 ").as_bytes());
    h
}
