//! Lantern is AGPL-3.0-only: its licence is in the repository, every page links to the source of the running build
//! (section 13) and to the licences, and what /source serves is that source.

use crate::web::Client;
use crate::{backends, test_auth};
use axum::http::StatusCode;
use std::io::Read;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// (path, contents) of every regular file in a ustar archive.
fn untar(tar: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 512 <= tar.len() && tar[at..at + 512].iter().any(|&b| b != 0) {
        let h = &tar[at..at + 512];
        let field = |from: usize, len: usize| {
            let raw = &h[from..from + len];
            String::from_utf8_lossy(&raw[..raw.iter().position(|&b| b == 0).unwrap_or(len)])
                .into_owned()
        };
        let size = usize::from_str_radix(field(124, 12).trim(), 8).expect("octal size");
        let (prefix, name) = (field(345, 155), field(0, 100));
        let path = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        assert_eq!(&h[257..263], b"ustar\0", "{path}: a ustar header");
        out.push((path, tar[at + 512..at + 512 + size].to_vec()));
        at += 512 + size.next_multiple_of(512);
    }
    out
}

#[test]
fn the_licence_is_the_one_cargo_declares() {
    let licence = std::fs::read_to_string(repo().join("LICENSE")).expect("LICENSE");
    assert!(
        licence.starts_with("GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007\n")
    );
    assert!(licence.contains("13. Remote Network Interaction"));
    assert!(licence.contains("END OF TERMS AND CONDITIONS"));
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("license = \"AGPL-3.0-only\""),
        "the workspace's licence"
    );
}

#[tokio::test]
async fn every_page_offers_the_source_of_the_running_build() {
    let (_, store, _dir) = backends().await.remove(0);
    crate::auth::world(&store).await;
    let app = lantern_web::app(
        lantern_web::AppState::new(store.clone(), test_auth())
            .with_source(lantern::source::archive()),
    );
    // Signed out and signed in, the footer links to the source and the licences.
    let mut visitor = Client::new(&app);
    let mut learner = Client::signed_in(&app, crate::auth::LEARNER.0, crate::auth::LEARNER.1).await;
    for page in [visitor.get("/sign-in").await, learner.get("/me").await] {
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(r#"href="/source""#), "{}", page.body);
        assert!(page.body.contains(r#"href="/licences""#));
    }

    let (status, gz) = visitor.get_bytes("/source").await;
    assert_eq!(status, StatusCode::OK);
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut tar)
        .expect("gzip");
    let files = untar(&tar);
    let prefix = format!("lantern-{}/", env!("CARGO_PKG_VERSION"));
    assert!(
        files.iter().all(|(p, _)| p.starts_with(&prefix)),
        "one top folder"
    );
    for never in ["/target/", "/node_modules/", "/.git/"] {
        assert!(
            !files.iter().any(|(p, _)| p.contains(never)),
            "{never} is not source"
        );
    }
    // What it holds is this tree: the licence, the manifests, the code serving it, the page linking to it.
    for rel in [
        "LICENSE",
        "Cargo.toml",
        "Cargo.lock",
        "crates/lantern/build.rs",
        "crates/web/src/source.rs",
        "crates/web/templates/base.html",
        "crates/web/assets/package-lock.json",
    ] {
        let on_disk = std::fs::read(repo().join(rel)).unwrap();
        let packed = files
            .iter()
            .find(|(p, _)| *p == format!("{prefix}{rel}"))
            .unwrap_or_else(|| panic!("{rel} is not in the archive"));
        assert!(packed.1 == on_disk, "{rel} differs from the tree");
    }
    assert!(files.len() > 150, "{} files", files.len());

    let res = visitor.get("/licences").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("GNU AFFERO GENERAL PUBLIC LICENSE"));
    assert!(res.body.contains("nhsuk-frontend 10.6.1"));
    assert!(res.body.contains("SIL OPEN FONT LICENSE Version 1.1"));
}

/// The footer's accessibility statement and privacy notice are public pages; a path nothing serves gets the designed
/// "Page not found" (JSON under the API, an empty 404 under the LRS).
#[tokio::test]
async fn every_page_links_the_accessibility_statement_and_privacy_notice_and_unknown_paths_are_designed()
 {
    let (name, store, _dir) = backends().await.remove(0);
    let app = lantern_web::app(lantern_web::AppState::new(store, test_auth()));
    let mut anon = Client::new(&app);
    let sign_in = anon.get("/sign-in").await;
    for (path, heading) in [
        ("/accessibility", "Accessibility statement for Lantern"),
        ("/privacy", "Privacy notice"),
    ] {
        assert!(
            sign_in.body.contains(&format!("href=\"{path}\"")),
            "{name}: the footer links {path}"
        );
        let page = anon.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{name}: {path}");
        assert!(page.body.contains(&format!("<h1>{heading}</h1>")), "{name}");
    }
    let privacy = anon.get("/privacy").await;
    assert!(
        privacy.body.contains("ends after 30 minutes without use"),
        "{name}: the notice states the session's real limits"
    );
    let missing = anon.get("/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{name}");
    assert!(
        missing.body.contains("<h1>Page not found</h1>")
            && missing.body.contains("check it is correct"),
        "{name}: {}",
        missing.body
    );
    let api = anon.get("/api/v1/no-such-endpoint").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND, "{name}");
    assert!(
        api.json()["error"].is_string(),
        "{name}: JSON under the API"
    );
}
