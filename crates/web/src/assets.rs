//! Static front-end assets, embedded at build time by `build.rs`.
//!
//! The NHS.UK frontend (npm package `nhsuk-frontend`, pinned by
//! `assets/package-lock.json`) and Lantern's own stylesheet are compiled into
//! the binary, so the server needs no asset files at run time and loads
//! nothing from another host.
//!
//! Serve them under a versioned prefix, for example
//! `/assets/{asset_version()}/nhsuk.min.css`, with a long cache lifetime.
//! The stylesheet refers to its images relatively (`images/...`), so they
//! must be served under the same prefix: see [`NHSUK_IMAGES`] and [`lookup`].

/// The NHS.UK frontend stylesheet (minified; remote web fonts removed, so
/// text falls back to Arial).
pub const NHSUK_CSS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/nhsuk.min.css"));

/// The NHS.UK frontend script (minified). It is an ES module that only
/// exports: nothing happens until its `initAll()` is called, see [`NHSUK_INIT_JS`].
pub const NHSUK_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/nhsuk.min.js"));

/// Starts NHS.UK frontend without inline script (our CSP forbids it): adds
/// `js-enabled nhsuk-frontend-supported` to `<body>` and calls `initAll()`,
/// importing `./nhsuk.min.js`, so serve both under the same prefix. Load it
/// with `<script type="module" src="/assets/{version}/nhsuk-init.js"></script>`.
pub const NHSUK_INIT_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/nhsuk-init.js"));

/// Lantern's own stylesheet (heatmap table and legend), from `assets/lantern.css`.
pub const LANTERN_CSS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/lantern.css"));

/// Lantern's own script (progressive enhancements only: every page works without it), from `assets/lantern.js`.
pub const LANTERN_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/lantern.js"));

/// The SCORM run-time API (npm package `scorm-again`), served only by the content origin's player.
pub const SCORM_AGAIN_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/scorm-again.min.js"));

/// The content origin's player: its script (`assets/player.js`) and style (`assets/player.css`).
pub const PLAYER_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/player.js"));
pub const PLAYER_CSS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/player.css"));

/// The content origin's assets, by path below the versioned prefix. The Lantern origin does not serve them, nor
/// the content origin Lantern's.
pub fn content_lookup(path: &str) -> Option<Asset> {
    let bytes = match path {
        "scorm-again.min.js" => SCORM_AGAIN_JS,
        "player.js" => PLAYER_JS,
        "player.css" => PLAYER_CSS,
        _ => return None,
    };
    Some(Asset {
        bytes,
        content_type: content_type(path),
    })
}

/// Images that [`NHSUK_CSS`] refers to, plus the NHS favicons, as
/// `(path relative to the asset prefix, bytes)`, e.g. `("images/favicon.ico", ..)`.
pub static NHSUK_IMAGES: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/nhsuk_images.rs"));

/// The embedded packages' names, versions and licences with their licence texts, made by `build.rs` from the
/// installed packages; served at `/licences`.
pub const THIRD_PARTY_NOTICES: &str =
    include_str!(concat!(env!("OUT_DIR"), "/third_party_notices.txt"));

const ASSET_VERSION: &str = include_str!(concat!(env!("OUT_DIR"), "/asset_version.txt"));

/// A short hex hash of every embedded asset's content, for cache-busting
/// URLs such as `/assets/{version}/nhsuk.min.css`.
pub fn asset_version() -> &'static str {
    ASSET_VERSION
}

/// An embedded asset and the `Content-Type` to serve it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    pub bytes: &'static [u8],
    pub content_type: &'static str,
}

/// Finds an asset by its path below the versioned prefix: `nhsuk.min.css`,
/// `nhsuk.min.js`, `nhsuk-init.js`, `lantern.css` or one of [`NHSUK_IMAGES`].
pub fn lookup(path: &str) -> Option<Asset> {
    let bytes = match path {
        "nhsuk.min.css" => NHSUK_CSS,
        "nhsuk.min.js" => NHSUK_JS,
        "nhsuk-init.js" => NHSUK_INIT_JS,
        "lantern.css" => LANTERN_CSS,
        "lantern.js" => LANTERN_JS,
        _ => NHSUK_IMAGES.iter().find(|(name, _)| *name == path)?.1,
    };
    Some(Asset {
        bytes,
        content_type: content_type(path),
    })
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_short_hex() {
        let v = asset_version();
        assert_eq!(v.len(), 12);
        assert!(
            v.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }

    #[test]
    fn assets_are_embedded() {
        assert!(NHSUK_CSS.starts_with(b"@charset") || NHSUK_CSS.len() > 10_000);
        assert!(NHSUK_JS.len() > 10_000);
        assert!(
            std::str::from_utf8(LANTERN_CSS)
                .unwrap()
                .contains(".heat-5")
        );
    }

    #[test]
    fn stylesheet_loads_nothing_remote_and_its_images_are_embedded() {
        let css = std::str::from_utf8(NHSUK_CSS).unwrap();
        assert!(
            !css.contains("url(http"),
            "remote URL left in nhsuk.min.css"
        );
        assert!(!css.contains("url(/"), "absolute URL left in nhsuk.min.css");
        assert!(!css.contains("sourceMappingURL"));
        for (at, _) in css.match_indices("url(") {
            let arg = &css[at + 4..];
            let arg = arg[..arg.find(')').unwrap()].trim_matches(['"', '\'']);
            if arg.starts_with("data:") {
                continue;
            }
            assert!(
                lookup(arg).is_some(),
                "{arg} is referenced but not embedded"
            );
        }
    }

    /// Every package in the lockfile is listed, with its locked version and declared licence, both in the committed
    /// THIRD-PARTY-NOTICES.md and in the notices the binary serves.
    #[test]
    fn third_party_notices_list_every_locked_package() {
        let lock: serde_json::Value =
            serde_json::from_str(include_str!("../assets/package-lock.json")).unwrap();
        let committed = include_str!("../../../THIRD-PARTY-NOTICES.md");
        let packages = lock["packages"].as_object().unwrap();
        let mut seen = 0;
        for (key, p) in packages {
            let Some(name) = key.strip_prefix("node_modules/") else {
                continue;
            };
            if p["dev"].as_bool() == Some(true) {
                continue;
            }
            seen += 1;
            let version = p["version"].as_str().unwrap();
            let licence = p["license"].as_str().unwrap();
            let row = format!("| `{name}` | {version} | {licence} |");
            assert!(
                committed.contains(&row),
                "THIRD-PARTY-NOTICES.md lacks {row}"
            );
            assert!(
                THIRD_PARTY_NOTICES.contains(&format!(
                    "{name} {version}\nLicence (as the package declares it): {licence}\n"
                )),
                "the served notices lack {name} {version}"
            );
        }
        assert!(seen >= 2, "{seen} packages");
        assert_eq!(
            committed.matches("\n| `").count(),
            seen,
            "THIRD-PARTY-NOTICES.md lists a package the lockfile does not have"
        );
        // The font's own licence travels with it.
        assert!(THIRD_PARTY_NOTICES.contains("SIL OPEN FONT LICENSE Version 1.1"));
    }

    #[test]
    fn lookup_serves_known_paths_only() {
        assert_eq!(
            lookup("nhsuk.min.css").unwrap().content_type,
            "text/css; charset=utf-8"
        );
        assert_eq!(
            lookup("nhsuk.min.js").unwrap().content_type,
            "text/javascript; charset=utf-8"
        );
        assert_eq!(lookup("lantern.css").unwrap().bytes, LANTERN_CSS);
        let init = std::str::from_utf8(lookup("nhsuk-init.js").unwrap().bytes).unwrap();
        assert!(init.contains("from './nhsuk.min.js'") && init.contains("initAll()"));
        assert!(lookup("images/favicon.ico").is_some());
        assert!(lookup("../Cargo.toml").is_none());
        assert!(lookup("images/").is_none());
    }
}
