use super::*;
use crate::scorm::manifest::tests::SCORM12;
use std::io::Cursor;
use zip::write::SimpleFileOptions;

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts).expect("start");
        w.write_all(bytes).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

fn good_entries() -> Vec<(&'static str, &'static [u8])> {
    vec![
        ("imsmanifest.xml", SCORM12.as_bytes()),
        (
            "story.html",
            b"<html><script src=lib/player.js></script></html>",
        ),
        ("story_content/user.js", b"// user"),
        ("lib/player.js", b"// player"),
    ]
}

fn open(bytes: Vec<u8>) -> Result<Package<Cursor<Vec<u8>>>, PackageError> {
    Package::open(Cursor::new(bytes), Limits::default())
}

#[test]
fn a_good_package_opens_and_unpacks_every_file() {
    let mut p = open(zip_of(&good_entries())).expect("a good package");
    assert_eq!(p.manifest.launchable_items().len(), 1);
    assert_eq!(p.files.len(), 4);
    let mut seen = Vec::new();
    p.unpack(|path, bytes| {
        seen.push((path.to_owned(), bytes.len()));
        Ok(())
    })
    .expect("unpacks");
    assert_eq!(
        seen.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        [
            "imsmanifest.xml",
            "lib/player.js",
            "story.html",
            "story_content/user.js"
        ]
    );
    assert_eq!(seen[1].1, 9);
}

#[test]
fn path_escapes_absolute_paths_and_drive_letters_are_refused() {
    for name in [
        "../evil.js",
        "a/../../evil.js",
        "/etc/cron.d/x",
        "C:/x.js",
        "..\\win.js",
    ] {
        let mut entries = good_entries();
        entries.push((name, b"x"));
        let e = open(zip_of(&entries)).unwrap_err();
        assert!(matches!(e, PackageError::BadPath { .. }), "{name}: {e}");
        assert!(
            e.to_string().starts_with(name),
            "the message names the entry: {e}"
        );
    }
}

#[test]
fn symlinks_are_refused() {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default();
    for (name, bytes) in good_entries() {
        w.start_file(name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.add_symlink("passwd", "/etc/passwd", opts).unwrap();
    let e = open(w.finish().unwrap().into_inner()).unwrap_err();
    assert!(
        matches!(e, PackageError::Symlink { ref path } if path == "passwd"),
        "{e}"
    );
}

#[test]
fn zip_bombs_are_refused_by_ratio_by_total_size_and_by_file_count() {
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let mut entries = good_entries();
    entries.push(("video/zeros.bin", &zeros));
    let e = open(zip_of(&entries)).unwrap_err();
    assert!(matches!(e, PackageError::Bomb { .. }), "{e}");
    assert!(e.to_string().contains("video/zeros.bin"));

    let small = Limits {
        max_unpacked_bytes: 100,
        ..Limits::default()
    };
    let e = Package::open(Cursor::new(zip_of(&good_entries())), small).unwrap_err();
    assert!(matches!(e, PackageError::TooLarge { .. }), "{e}");

    let few = Limits {
        max_files: 3,
        ..Limits::default()
    };
    let e = Package::open(Cursor::new(zip_of(&good_entries())), few).unwrap_err();
    assert!(
        matches!(e, PackageError::TooManyFiles { count: 4, max: 3 }),
        "{e}"
    );
}

/// A directory that declares a small size for a large entry is caught while unpacking, at the declared size.
#[test]
fn a_directory_that_lies_about_sizes_cannot_unpack_more() {
    let big = vec![b'a'; 300_000];
    let mut entries = good_entries();
    entries.push(("big.txt", &big));
    let mut bytes = zip_of(&entries);
    // Patch big.txt's uncompressed size to 100 in its local header (offset 22) and central header (offset 24).
    let name = b"big.txt";
    for (sig, size_at, name_at) in [(b"PK\x03\x04", 22usize, 30usize), (b"PK\x01\x02", 24, 46)] {
        let at = (0..bytes.len() - name_at - name.len())
            .find(|&i| {
                &bytes[i..i + 4] == sig && &bytes[i + name_at..i + name_at + name.len()] == name
            })
            .expect("header found");
        bytes[at + size_at..at + size_at + 4].copy_from_slice(&100u32.to_le_bytes());
    }
    let mut p = open(bytes).expect("the directory itself looks fine");
    let e = p.unpack(|_, _| Ok(())).unwrap_err();
    assert!(
        matches!(
            e,
            PackageError::SizeMismatch { .. } | PackageError::Corrupt { .. }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("big.txt"), "{e}");
}

#[test]
fn a_package_without_a_manifest_or_its_launch_file_says_so() {
    let e = open(zip_of(&good_entries()[1..])).unwrap_err();
    assert!(matches!(e, PackageError::NoManifest), "{e}");
    let mut entries = good_entries();
    entries.remove(1);
    let e = open(zip_of(&entries)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "story.html is launched by the manifest (resource fire_sco) but is not in the package"
    );
    let e = open(b"not a zip".to_vec()).unwrap_err();
    assert!(matches!(e, PackageError::NotAZip(_)), "{e}");
    let mut entries = good_entries();
    entries.push(("Story.html", b"dup"));
    let e = open(zip_of(&entries)).unwrap_err();
    assert!(matches!(e, PackageError::Duplicate { .. }), "{e}");
}

#[test]
fn a_bad_manifest_inside_a_package_is_reported_as_the_manifests_error() {
    let bad = SCORM12.replace("identifierref=\"fire_sco\"", "identifierref=\"nope\"");
    let mut entries = good_entries();
    entries[0] = ("imsmanifest.xml", bad.as_bytes());
    let e = open(zip_of(&entries)).unwrap_err();
    assert!(e.to_string().contains("names no resource"), "{e}");
    assert!(e.to_string().starts_with("imsmanifest.xml line"), "{e}");
}
