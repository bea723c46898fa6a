//! Build script for lantern-web: embeds the NHS.UK design system.
//!
//! `assets/package.json` and `assets/package-lock.json` pin the npm packages
//! `nhsuk-frontend` and `@expo-google-fonts/noto-sans` (Noto Sans, SIL Open
//! Font License 1.1, for the report's PDF). When either is missing from
//! `assets/node_modules`, or holds another version than the lockfile, this
//! script runs `npm ci` there. It then copies into `OUT_DIR`, under fixed names:
//!
//! - `nhsuk.min.css`: the package's minified stylesheet, with the `@font-face`
//!   rules that load fonts from a remote host removed (the CSP allows no
//!   remote host; the font stack falls back to Arial) and the absolute
//!   `url(/assets/...)` references made relative, so they resolve next to the
//!   stylesheet wherever it is served (for example `/assets/{version}/`);
//! - `nhsuk.min.js`: the package's minified JavaScript (an ES module);
//! - `nhsuk-init.js`: our few lines that start it (the CSP forbids inline scripts);
//! - `images/...`: the images the stylesheet refers to, and the favicons;
//! - `lantern.css`: our own stylesheet, `assets/lantern.css`;
//! - `lantern.js`: our own progressive enhancements (upload progress), `assets/lantern.js`;
//! - `asset_version.txt`: a short hex hash of all of the above;
//! - `nhsuk_images.rs`: a table of the images, for `include!`;
//! - `NotoSans-Regular.ttf`, `NotoSans-Bold.ttf`: the PDF's fonts (not web assets);
//! - `scorm-again.min.js`: the SCORM run-time API (npm package `scorm-again`), which the content origin's player
//!   serves to packages; with `player.js` and `player.css`, the player's own script and style (`assets/player.*`);
//! - `third_party_notices.txt`: each embedded package's name, version and
//!   licence, with the licence files it ships, made from the installed
//!   packages themselves so it always matches what is embedded.
//!
//! Source map comments are stripped, since the maps are not served.
//! No third-party file is committed: node_modules/ is ignored by git.

use std::fmt::Write as _;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PACKAGE: &str = "nhsuk-frontend";
/// The npm package of the PDF report's fonts, and its two files that are embedded.
const FONT_PACKAGE: &str = "@expo-google-fonts/noto-sans";
/// The SCORM run-time API the content origin's player serves (its UMD build sets `window.Scorm12API` and
/// `window.Scorm2004API`).
const SCORM_PACKAGE: &str = "scorm-again";
const SCORM_FILE: &str = "dist/scorm-again.min.js";
const FONT_FILES: [(&str, &str); 2] = [
    ("400Regular/NotoSans_400Regular.ttf", "NotoSans-Regular.ttf"),
    ("700Bold/NotoSans_700Bold.ttf", "NotoSans-Bold.ttf"),
];

/// Minified stylesheet, first match wins (10.x first; 9.x layout after).
const CSS_CANDIDATES: &[&str] = &["dist/nhsuk/nhsuk-frontend.min.css", "dist/nhsuk.min.css"];
/// Minified script, first match wins.
const JS_CANDIDATES: &[&str] = &["dist/nhsuk/nhsuk-frontend.min.js", "dist/nhsuk.min.js"];
/// Folders that the stylesheet's `/assets/...` URLs map to.
const ASSET_DIR_CANDIDATES: &[&str] = &["dist/nhsuk/assets", "dist/assets"];
/// Starts NHS.UK frontend. Its page template does this with two inline
/// scripts, which the CSP (`script-src 'self'`) forbids. A module script runs
/// only in browsers with ES module support, which is exactly the test the
/// template's inline snippet makes before adding `nhsuk-frontend-supported`.
const INIT_JS: &str = "\
// Lantern: start NHS.UK frontend (see build.rs).
import { initAll } from './nhsuk.min.js'

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()
";

/// Copied when present, for `<link rel="icon">` and friends; not required.
const OPTIONAL_IMAGES: &[&str] = &[
    "images/favicon.ico",
    "images/favicon.svg",
    "images/nhsuk-icon-180.png",
];

fn main() {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env("OUT_DIR"));
    let assets_dir = manifest_dir.join("assets");
    let lockfile = assets_dir.join("package-lock.json");
    let lantern_css_path = assets_dir.join("lantern.css");
    let lantern_js_path = assets_dir.join("lantern.js");
    let player_js_path = assets_dir.join("player.js");
    let player_css_path = assets_dir.join("player.css");

    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", lockfile.display());
    println!(
        "cargo:rerun-if-changed={}",
        assets_dir.join("package.json").display()
    );
    println!("cargo:rerun-if-changed={}", lantern_css_path.display());
    println!("cargo:rerun-if-changed={}", lantern_js_path.display());
    println!("cargo:rerun-if-changed={}", player_js_path.display());
    println!("cargo:rerun-if-changed={}", player_css_path.display());

    let package_dir = assets_dir.join("node_modules").join(PACKAGE);
    let font_dir = assets_dir.join("node_modules").join(FONT_PACKAGE);
    let scorm_dir = assets_dir.join("node_modules").join(SCORM_PACKAGE);
    ensure_installed(
        &assets_dir,
        &lockfile,
        &[
            (PACKAGE, &package_dir),
            (FONT_PACKAGE, &font_dir),
            (SCORM_PACKAGE, &scorm_dir),
        ],
    );
    let scorm_js = String::from_utf8(read(&scorm_dir.join(SCORM_FILE)))
        .unwrap_or_else(|_| fail(&format!("{SCORM_PACKAGE}'s {SCORM_FILE} is not UTF-8")));
    let scorm_js = strip_source_map(&scorm_js);
    let player_js = read(&player_js_path);
    let player_css = read(&player_css_path);
    write_if_changed(&out_dir.join("scorm-again.min.js"), scorm_js.as_bytes());
    write_if_changed(&out_dir.join("player.js"), &player_js);
    write_if_changed(&out_dir.join("player.css"), &player_css);
    for (from, to) in FONT_FILES {
        write_if_changed(&out_dir.join(to), &read(&font_dir.join(from)));
    }
    write_if_changed(
        &out_dir.join("third_party_notices.txt"),
        notices(&[&package_dir, &font_dir, &scorm_dir]).as_bytes(),
    );

    let css_path = find_first(&package_dir, CSS_CANDIDATES, "minified CSS");
    let js_path = find_first(&package_dir, JS_CANDIDATES, "minified JS");
    let asset_src = ASSET_DIR_CANDIDATES
        .iter()
        .map(|c| package_dir.join(c))
        .find(|p| p.is_dir());

    let css = String::from_utf8(read(&css_path))
        .unwrap_or_else(|_| fail(&format!("{} is not UTF-8", css_path.display())));
    let css = strip_source_map(&strip_remote_font_faces(&css));
    let (css, referenced) = relativise_asset_urls(&css);
    for remote in remote_urls(&css) {
        println!(
            "cargo:warning=nhsuk.min.css still refers to a remote URL ({remote}); the CSP will block it"
        );
    }

    let js = String::from_utf8(read(&js_path))
        .unwrap_or_else(|_| fail(&format!("{} is not UTF-8", js_path.display())));
    let js = strip_source_map(&js);

    let lantern_css = read(&lantern_css_path);
    let lantern_js = read(&lantern_js_path);

    // Images: every file the stylesheet refers to is required; favicons are optional.
    let mut images: Vec<(String, Vec<u8>)> = Vec::new();
    for rel in &referenced {
        let src = asset_src.as_ref().map(|d| d.join(rel));
        match src.filter(|p| p.is_file()) {
            Some(p) => images.push((rel.clone(), read(&p))),
            None => fail(&format!(
                "{PACKAGE}'s stylesheet refers to /assets/{rel}, which is not in {}",
                package_dir.display()
            )),
        }
    }
    for rel in OPTIONAL_IMAGES {
        if images.iter().any(|(r, _)| r == rel) {
            continue;
        }
        if let Some(p) = asset_src
            .as_ref()
            .map(|d| d.join(rel))
            .filter(|p| p.is_file())
        {
            images.push(((*rel).to_owned(), read(&p)));
        }
    }
    images.sort();

    write_if_changed(&out_dir.join("nhsuk.min.css"), css.as_bytes());
    write_if_changed(&out_dir.join("nhsuk.min.js"), js.as_bytes());
    write_if_changed(&out_dir.join("nhsuk-init.js"), INIT_JS.as_bytes());
    write_if_changed(&out_dir.join("lantern.css"), &lantern_css);
    write_if_changed(&out_dir.join("lantern.js"), &lantern_js);

    let mut table = String::from("&[\n");
    for (rel, bytes) in &images {
        let dest = out_dir.join(rel);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", parent.display())));
        }
        write_if_changed(&dest, bytes);
        let dest = dest
            .to_str()
            .unwrap_or_else(|| fail(&format!("OUT_DIR path is not UTF-8: {}", dest.display())));
        writeln!(table, "    ({rel:?}, include_bytes!({dest:?}) as &[u8]),").unwrap();
    }
    table.push(']');
    write_if_changed(&out_dir.join("nhsuk_images.rs"), table.as_bytes());

    // Content hash for cache-busting URLs: FNV-1a 64 over each asset's name,
    // length and bytes, in a fixed order. Not cryptographic; it needs only
    // to change whenever any served byte changes.
    let mut hash = Fnv64::new();
    let named: [(&str, &[u8]); 8] = [
        ("nhsuk.min.css", css.as_bytes()),
        ("nhsuk.min.js", js.as_bytes()),
        ("nhsuk-init.js", INIT_JS.as_bytes()),
        ("lantern.css", &lantern_css),
        ("lantern.js", &lantern_js),
        ("scorm-again.min.js", scorm_js.as_bytes()),
        ("player.js", &player_js),
        ("player.css", &player_css),
    ];
    for (name, bytes) in named
        .into_iter()
        .chain(images.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
    {
        hash.update(name.as_bytes());
        hash.update(&(bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    }
    let version = format!("{:016x}", hash.finish());
    write_if_changed(
        &out_dir.join("asset_version.txt"),
        &version.as_bytes()[..12],
    );
}

/// Runs `npm ci` unless the locked version of every package is already installed.
fn ensure_installed(assets_dir: &Path, lockfile: &Path, packages: &[(&str, &Path)]) {
    if !lockfile.is_file() {
        fail(&format!(
            "{} is missing: it pins {PACKAGE} and {FONT_PACKAGE}; restore it from git",
            lockfile.display()
        ));
    }
    let lock = fs::read_to_string(lockfile).unwrap_or_default();
    let mut why = None;
    for (name, dir) in packages {
        let locked = locked_version(&lock, &format!("node_modules/{name}"));
        let installed = fs::read_to_string(dir.join("package.json"))
            .ok()
            .and_then(|s| json_string_field(&s, "version"));
        match (&installed, &locked) {
            (Some(i), Some(l)) if i == l => {}
            (Some(_), None) => {} // cannot tell; trust what is installed
            (None, _) => why = Some(format!("{} is missing", dir.display())),
            (Some(i), l) => {
                why = Some(format!(
                    "{name} {i} is installed but the lockfile wants {}",
                    l.clone().unwrap_or_default()
                ))
            }
        }
    }
    let Some(why) = why else { return };

    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    // Not a cargo:warning: cargo would replay it on every later fresh build.
    eprintln!("{why}; running `npm ci` in {}", assets_dir.display());
    let status = Command::new(npm)
        .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
        .current_dir(assets_dir)
        .stdin(Stdio::null())
        // Keep npm's chatter off stdout, which cargo parses for directives.
        .stdout(std::io::stderr())
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => fail(&format!(
            "`npm ci --no-audit --no-fund --ignore-scripts` failed in {} ({s}); \
             see npm's output above (npm ci needs the npm registry, and \
             package-lock.json must match package.json).",
            assets_dir.display()
        )),
        Err(e) if e.kind() == ErrorKind::NotFound => fail(&format!(
            "npm was not found on PATH. lantern-web embeds the NHS.UK frontend \
             ({PACKAGE}) at build time: install Node.js (>= 20.9) with npm, or run \
             `npm ci` in {} on a machine that has it.",
            assets_dir.display()
        )),
        Err(e) => fail(&format!("could not run npm: {e}")),
    }
    for (_, dir) in packages {
        if !dir.join("package.json").is_file() {
            fail(&format!(
                "`npm ci` succeeded but {} is still missing",
                dir.display()
            ));
        }
    }
}

/// The notices for the embedded packages: for each, its name, version and declared licence, then the text of every
/// licence file it ships (LICENSE*, LICENCE*, COPYING*), or, for a package that ships none, the licence section of
/// its README.
fn notices(packages: &[&Path]) -> String {
    let mut out = String::from(
        "Lantern embeds these third-party packages, taken from npm with the lockfile \
         crates/web/assets/package-lock.json.\n",
    );
    for dir in packages {
        let manifest = String::from_utf8(read(&dir.join("package.json"))).unwrap_or_default();
        let field =
            |f: &str| json_string_field(&manifest, f).unwrap_or_else(|| "(not stated)".into());
        let _ = write!(
            out,
            "\n{}\n{} {}\nLicence (as the package declares it): {}\n",
            "=".repeat(78),
            field("name"),
            field("version"),
            field("license"),
        );
        let mut files: Vec<PathBuf> = fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_ascii_uppercase();
            p.is_file()
                && ["LICENSE", "LICENCE", "COPYING"]
                    .iter()
                    .any(|l| name.starts_with(l))
        });
        files.sort();
        for f in &files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let text = String::from_utf8_lossy(&read(f)).into_owned();
            let _ = write!(out, "\n--- {name} ---\n{}\n", text.trim_end());
        }
        if files.is_empty() {
            let readme =
                String::from_utf8_lossy(&fs::read(dir.join("README.md")).unwrap_or_default())
                    .into_owned();
            let section = readme_licence_section(&readme)
                .unwrap_or_else(|| "The package ships no licence file.".into());
            let _ = write!(
                out,
                "\n--- from its README.md ---\n{}\n",
                section.trim_end()
            );
        }
    }
    out
}

/// The "## Licence" (or "## License") section of a README, heading included.
fn readme_licence_section(readme: &str) -> Option<String> {
    let start = readme
        .find("## Licence")
        .or_else(|| readme.find("## License"))?;
    let rest = &readme[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    Some(rest[..end].to_owned())
}

/// The `"version"` of the `"node_modules/<name>"` entry of a v2/v3 lockfile.
fn locked_version(lock: &str, key: &str) -> Option<String> {
    let start = lock.find(&format!("\"{key}\""))?;
    let rest = &lock[start..];
    let open = rest.find('{')?;
    let close = rest[open..].find('}')? + open;
    json_string_field(&rest[open..close], "version")
}

/// The first `"field": "value"` string in a JSON text (enough for package.json).
fn json_string_field(json: &str, field: &str) -> Option<String> {
    let key = format!("\"{field}\"");
    let after = &json[json.find(&key)? + key.len()..];
    let after = after
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    Some(after[..after.find('"')?].to_owned())
}

/// Removes every `@font-face { ... }` block whose sources include a remote URL.
fn strip_remote_font_faces(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(at) = rest.find("@font-face") {
        let Some(close) = rest[at..].find('}') else {
            break;
        };
        let block = &rest[at..at + close + 1];
        out.push_str(&rest[..at]);
        if remote_urls(block).is_empty() {
            out.push_str(block);
        }
        rest = &rest[at + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Rewrites `url(/assets/X)` to `url(X)` and returns every such X.
fn relativise_asset_urls(css: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(css.len());
    let mut found = Vec::new();
    let mut rest = css;
    while let Some(at) = rest.find("url(") {
        let (head, tail) = rest.split_at(at + 4);
        out.push_str(head);
        let Some(end) = tail.find(')') else {
            rest = tail;
            break;
        };
        let arg = tail[..end].trim();
        let quote = arg.chars().next().filter(|c| *c == '"' || *c == '\'');
        let bare = match quote {
            Some(q) => arg.trim_matches(q),
            None => arg,
        };
        match bare.strip_prefix("/assets/") {
            Some(rel) if !rel.contains("..") => {
                let q = quote.map(String::from).unwrap_or_default();
                out.push_str(&format!("{q}{rel}{q}"));
                if !found.iter().any(|f| f == rel) {
                    found.push(rel.to_owned());
                }
            }
            _ => out.push_str(&tail[..end]),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    (out, found)
}

/// Every `url(...)` argument that points at another host.
fn remote_urls(css: &str) -> Vec<String> {
    css.match_indices("url(")
        .filter_map(|(i, _)| {
            let tail = &css[i + 4..];
            let arg = tail[..tail.find(')')?].trim().trim_matches(['"', '\'']);
            let lower = arg.to_ascii_lowercase();
            (lower.starts_with("http:") || lower.starts_with("https:") || lower.starts_with("//"))
                .then(|| arg.to_owned())
        })
        .collect()
}

/// Drops a trailing `sourceMappingURL` comment (CSS or JS form).
fn strip_source_map(text: &str) -> String {
    let trimmed = text.trim_end();
    let cut = ["/*# sourceMappingURL=", "//# sourceMappingURL="]
        .iter()
        .filter_map(|marker| trimmed.rfind(marker))
        .max()
        .filter(|&at| !trimmed[at..].contains('\n'));
    match cut {
        Some(at) => format!("{}\n", trimmed[..at].trim_end()),
        None => text.to_owned(),
    }
}

fn find_first(dir: &Path, candidates: &[&str], what: &str) -> PathBuf {
    candidates
        .iter()
        .map(|c| dir.join(c))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            fail(&format!(
                "cannot find {PACKAGE}'s {what} in {} (looked for {}); \
                 has the package changed its layout? Update build.rs.",
                dir.display(),
                candidates.join(", ")
            ))
        })
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())))
}

fn write_if_changed(path: &Path, bytes: &[u8]) {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return;
    }
    fs::write(path, bytes)
        .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", path.display())));
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| fail(&format!("{name} is not set (run through cargo)")))
}

fn fail(message: &str) -> ! {
    eprintln!("error: lantern-web build script: {message}");
    std::process::exit(1);
}

struct Fnv64(u64);

impl Fnv64 {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
