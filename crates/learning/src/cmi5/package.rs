//! A cmi5 course package: a zip with `cmi5.xml` at its root (cmi5 section 14.1, "course package"), or a bare
//! `cmi5.xml` whose AUs all have absolute URLs (14.2: the course structure may be imported alone when its content is
//! hosted elsewhere).
//!
//! The zip is checked exactly as a SCORM package is ([`crate::scorm::package`]: path escapes, absolute paths,
//! symbolic links, encrypted and duplicate entries, file count, size and compression ratio), and `cmi5.xml` is read
//! by [`CourseStructure::parse`] (no DOCTYPE, so no entity is ever expanded). Every AU whose URL is relative must name
//! a file in the package (13.1.4).

use super::{AuUrl, CourseStructure};
use crate::scorm::package::{Limits, Package, PackageError};
use std::io::{Read, Seek};

/// The name of the course structure at the package's root (14.1).
pub const COURSE_STRUCTURE: &str = "cmi5.xml";

/// Opens and checks a cmi5 course package: its zip directory, then `cmi5.xml`, then that each AU's file is in the
/// package. Nothing is unpacked but `cmi5.xml`.
pub fn open<R: Read + Seek>(
    reader: R,
    limits: Limits,
) -> Result<(CourseStructure, Package<R>), PackageError> {
    let (package, bytes) = Package::open_root(
        reader,
        limits,
        COURSE_STRUCTURE,
        PackageError::NoCourseStructure,
    )?;
    let structure = CourseStructure::parse(&bytes)?;
    for au in structure.aus() {
        if let AuUrl::Package(path) = &au.url {
            let file = path.split(['?', '#']).next().unwrap_or(path);
            if !package.files.contains_key(file) {
                return Err(PackageError::MissingLaunchFile {
                    path: file.to_owned(),
                    resource: au.id.clone(),
                });
            }
        }
    }
    Ok((structure, package))
}

/// A bare `cmi5.xml` (no zip): accepted only when every AU is hosted elsewhere, since there is no package to hold
/// its files.
pub fn open_bare(bytes: &[u8]) -> Result<CourseStructure, PackageError> {
    let structure = CourseStructure::parse(bytes)?;
    if let Some(au) = structure
        .aus()
        .into_iter()
        .find(|a| matches!(a.url, AuUrl::Package(_)))
    {
        return Err(PackageError::MissingLaunchFile {
            path: match &au.url {
                AuUrl::Package(p) | AuUrl::External(p) => p.clone(),
            },
            resource: format!(
                "{} (a cmi5.xml on its own needs absolute AU URLs; upload a zip with the AU's files)",
                au.id
            ),
        });
    }
    Ok(structure)
}

/// Whether a zip has `cmi5.xml` at its root and no SCORM manifest (so it is a cmi5 course, not a SCORM package).
pub fn is_cmi5_zip<R: Read + Seek>(reader: R) -> bool {
    zip::ZipArchive::new(reader).is_ok_and(|z| {
        let names: Vec<String> = z
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.into_owned()))
            .collect();
        names.iter().any(|n| n == COURSE_STRUCTURE) && !names.iter().any(|n| n == "imsmanifest.xml")
    })
}

/// Whether these first bytes look like a zip archive (a local file header or an empty archive's end record).
pub fn is_zip(first: &[u8]) -> bool {
    first.starts_with(b"PK\x03\x04") || first.starts_with(b"PK\x05\x06")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    const XML: &str = r#"<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.org/c"><title><langstring lang="en">C</langstring></title></course>
  <au id="https://example.org/c/au1" moveOn="Completed"><title><langstring lang="en">A</langstring></title><url>au/index.html?x=1</url></au>
</courseStructure>"#;

    #[test]
    fn a_package_opens_with_its_au_files() {
        let zip = zip_of(&[("cmi5.xml", XML.as_bytes()), ("au/index.html", b"<p>hi")]);
        let (s, p) = open(std::io::Cursor::new(zip), Limits::default()).unwrap();
        assert_eq!(s.aus().len(), 1);
        assert!(p.files.contains_key("au/index.html"));
    }

    #[test]
    fn a_missing_au_file_a_missing_cmi5_xml_and_a_bad_one_are_refused() {
        let zip = zip_of(&[("cmi5.xml", XML.as_bytes())]);
        let e = open(std::io::Cursor::new(zip), Limits::default()).unwrap_err();
        assert!(e.to_string().contains("au/index.html"), "{e}");
        let zip = zip_of(&[("index.html", b"x")]);
        let e = open(std::io::Cursor::new(zip), Limits::default()).unwrap_err();
        assert!(matches!(e, PackageError::NoCourseStructure), "{e}");
        let zip = zip_of(&[(
            "cmi5.xml",
            b"<courseStructure>\n<course/>\n</courseStructure>",
        )]);
        let e = open(std::io::Cursor::new(zip), Limits::default()).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let zip = zip_of(&[("../cmi5.xml", XML.as_bytes())]);
        let e = open(std::io::Cursor::new(zip), Limits::default()).unwrap_err();
        assert!(matches!(e, PackageError::BadPath { .. }), "{e}");
    }

    #[test]
    fn a_bare_cmi5_xml_needs_absolute_urls() {
        assert!(open_bare(XML.as_bytes()).is_err());
        let external = XML.replace("au/index.html?x=1", "https://content.example.org/au1");
        assert_eq!(open_bare(external.as_bytes()).unwrap().aus().len(), 1);
        assert!(is_zip(b"PK\x03\x04rest") && !is_zip(b"<courseStructure"));
    }
}
