//! The zip around a SCORM package, checked before a byte of it is stored.
//!
//! A package is untrusted: the checks here run on the zip's central directory and then on every entry as it is
//! unpacked, so a package that lies in its directory (a "zip bomb" declaring small sizes) is still stopped at the
//! cap. Refused: names that climb out of the package (`../`, "zip slip"), absolute paths and drive letters,
//! symbolic links, encrypted entries, duplicate names, too many files, too many bytes unpacked, and a compression
//! ratio no real course reaches. The caller unpacks through [`Package::unpack`] and stores nothing unless every
//! entry came through.

use super::manifest::{Manifest, ManifestError};
use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Seek, Write};

/// Caps on what a package may unpack to. The defaults suit the largest real courses (video-heavy Storyline
/// exports run to a few hundred megabytes and a few thousand files) with room to spare.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_files: usize,
    pub max_unpacked_bytes: u64,
    /// Largest ratio of unpacked to packed size for any entry over 1 MiB unpacked (text compresses about 10:1, a
    /// bomb by thousands).
    pub max_ratio: u64,
    pub max_manifest_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_files: 20_000,
            max_unpacked_bytes: 2 * 1024 * 1024 * 1024,
            max_ratio: 200,
            max_manifest_bytes: 8 * 1024 * 1024,
        }
    }
}

/// Why a package was refused; the message names the entry and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("the file is not a zip archive ({0})")]
    NotAZip(String),
    #[error("the package has {count} files; the most a package may have is {max}")]
    TooManyFiles { count: usize, max: usize },
    #[error("the package unpacks to {bytes} bytes; the most allowed is {max}")]
    TooLarge { bytes: u64, max: u64 },
    #[error(
        "{path}: compressed {ratio} to 1, more than any real course ({max} to 1): refused as a zip bomb"
    )]
    Bomb { path: String, ratio: u64, max: u64 },
    #[error("{path}: {reason}")]
    BadPath { path: String, reason: String },
    #[error("{path}: symbolic links are not allowed in a package")]
    Symlink { path: String },
    #[error("{path}: encrypted entries cannot be played; export the package without a password")]
    Encrypted { path: String },
    #[error("{path}: the name appears twice in the package")]
    Duplicate { path: String },
    #[error("there is no imsmanifest.xml at the root of the package (is it a SCORM export?)")]
    NoManifest,
    #[error("imsmanifest.xml is {bytes} bytes; the most allowed is {max}")]
    ManifestTooLarge { bytes: u64, max: u64 },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("there is no cmi5.xml at the root of the package (is it a cmi5 course?)")]
    NoCourseStructure,
    #[error(transparent)]
    Cmi5(#[from] crate::cmi5::Cmi5Error),
    #[error("{path} is launched by the manifest (resource {resource}) but is not in the package")]
    MissingLaunchFile { path: String, resource: String },
    #[error("{path}: the entry unpacks to more bytes than its header declares")]
    SizeMismatch { path: String },
    #[error("{path}: {message}")]
    Corrupt { path: String, message: String },
}

/// One file of a checked package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageFile {
    /// The normalised path inside the package (forward slashes, no `.` or `..`).
    pub path: String,
    pub size: u64,
    index: usize,
}

/// A package whose directory and manifest passed every check.
#[derive(Debug)]
pub struct Package<R> {
    pub manifest: Manifest,
    /// Files by path.
    pub files: BTreeMap<String, PackageFile>,
    pub unpacked_bytes: u64,
    archive: zip::ZipArchive<R>,
    limits: Limits,
}

impl<R: Read + Seek> Package<R> {
    /// Reads the zip's directory and manifest and checks them. Nothing is unpacked but the manifest.
    pub fn open(reader: R, limits: Limits) -> Result<Self, PackageError> {
        let (mut package, manifest_file) =
            Package::open_checked(reader, limits, "imsmanifest.xml", PackageError::NoManifest)?;
        let mut bytes = Vec::new();
        package.unpack_one(&manifest_file, &mut bytes)?;
        package.manifest = Manifest::parse(&bytes)?;
        for r in &package.manifest.resources {
            if let Some(href) = &r.href {
                let file = href.split(['?', '#']).next().unwrap_or(href);
                if !package.files.contains_key(file) {
                    return Err(PackageError::MissingLaunchFile {
                        path: file.to_owned(),
                        resource: r.identifier.clone(),
                    });
                }
            }
        }
        Ok(package)
    }

    /// Reads the zip's directory, checks every entry, and reads the file at the root named `root` (at most
    /// `max_manifest_bytes`): for a SCORM package its manifest, for a cmi5 package `cmi5.xml`. The package's
    /// `manifest` is left empty.
    pub fn open_root(
        reader: R,
        limits: Limits,
        root: &str,
        missing: PackageError,
    ) -> Result<(Self, Vec<u8>), PackageError> {
        let (mut package, file) = Package::open_checked(reader, limits, root, missing)?;
        let mut bytes = Vec::new();
        package.unpack_one(&file, &mut bytes)?;
        Ok((package, bytes))
    }

    fn open_checked(
        reader: R,
        limits: Limits,
        root: &str,
        missing: PackageError,
    ) -> Result<(Self, PackageFile), PackageError> {
        let mut archive =
            zip::ZipArchive::new(reader).map_err(|e| PackageError::NotAZip(e.to_string()))?;
        if archive.len() > limits.max_files {
            return Err(PackageError::TooManyFiles {
                count: archive.len(),
                max: limits.max_files,
            });
        }
        let mut files = BTreeMap::new();
        let mut lower = HashSet::new();
        let mut total = 0u64;
        for index in 0..archive.len() {
            let entry = archive
                .by_index_raw(index)
                .map_err(|e| PackageError::Corrupt {
                    path: format!("entry {}", index + 1),
                    message: e.to_string(),
                })?;
            let raw = String::from_utf8_lossy(entry.name_raw()).into_owned();
            let path = entry_path(&raw).map_err(|reason| PackageError::BadPath {
                path: raw.clone(),
                reason,
            })?;
            if entry.is_symlink() {
                return Err(PackageError::Symlink { path });
            }
            if entry.is_dir() {
                continue;
            }
            if entry.encrypted() {
                return Err(PackageError::Encrypted { path });
            }
            // Case-folded too: two names that differ only in case collide on the file systems authors use.
            if !lower.insert(path.to_lowercase()) {
                return Err(PackageError::Duplicate { path });
            }
            total = total.saturating_add(entry.size());
            if total > limits.max_unpacked_bytes {
                return Err(PackageError::TooLarge {
                    bytes: total,
                    max: limits.max_unpacked_bytes,
                });
            }
            check_ratio(&path, entry.size(), entry.compressed_size(), &limits)?;
            files.insert(
                path.clone(),
                PackageFile {
                    path,
                    size: entry.size(),
                    index,
                },
            );
        }
        let Some(manifest_file) = files.get(root).cloned() else {
            return Err(missing);
        };
        if manifest_file.size > limits.max_manifest_bytes {
            return Err(PackageError::ManifestTooLarge {
                bytes: manifest_file.size,
                max: limits.max_manifest_bytes,
            });
        }
        let package = Package {
            manifest: Manifest {
                identifier: String::new(),
                version: super::ScormVersion::Scorm12,
                default_organization: 0,
                organizations: Vec::new(),
                resources: Vec::new(),
            },
            files,
            unpacked_bytes: total,
            archive,
            limits,
        };
        Ok((package, manifest_file))
    }

    /// Unpacks every file, in path order, through `sink(path, bytes)`. Each entry is read through a cap at its
    /// declared size, so a directory that lies cannot unpack more than the limits allow.
    pub fn unpack(
        &mut self,
        mut sink: impl FnMut(&str, &[u8]) -> Result<(), PackageError>,
    ) -> Result<(), PackageError> {
        let files: Vec<PackageFile> = self.files.values().cloned().collect();
        let mut buffer = Vec::new();
        for f in &files {
            buffer.clear();
            self.unpack_one(f, &mut buffer)?;
            sink(&f.path, &buffer)?;
        }
        Ok(())
    }

    /// Unpacks every file, in path order, streaming each into the writer `open(path)` gives, so no file is held in
    /// memory whole (a large video included). The same caps apply as for [`Package::unpack`].
    pub fn unpack_into<W: Write>(
        &mut self,
        mut open: impl FnMut(&str) -> Result<W, PackageError>,
        mut close: impl FnMut(&str, W) -> Result<(), PackageError>,
    ) -> Result<(), PackageError> {
        let files: Vec<PackageFile> = self.files.values().cloned().collect();
        for f in &files {
            let mut w = open(&f.path)?;
            self.unpack_one(f, &mut w)?;
            close(&f.path, w)?;
        }
        Ok(())
    }

    fn unpack_one(&mut self, f: &PackageFile, out: &mut impl Write) -> Result<(), PackageError> {
        let corrupt = |e: &dyn std::fmt::Display| PackageError::Corrupt {
            path: f.path.clone(),
            message: e.to_string(),
        };
        let entry = self.archive.by_index(f.index).map_err(|e| corrupt(&e))?;
        let compressed = entry.compressed_size();
        let mut capped = entry.take(f.size + 1);
        let written = std::io::copy(&mut capped, out).map_err(|e| corrupt(&e))?;
        if written > f.size {
            return Err(PackageError::SizeMismatch {
                path: f.path.clone(),
            });
        }
        check_ratio(&f.path, written, compressed, &self.limits)
    }
}

fn check_ratio(
    path: &str,
    size: u64,
    compressed: u64,
    limits: &Limits,
) -> Result<(), PackageError> {
    const SMALL: u64 = 1024 * 1024;
    if size > SMALL {
        let ratio = size / compressed.max(1);
        if ratio > limits.max_ratio {
            return Err(PackageError::Bomb {
                path: path.to_owned(),
                ratio,
                max: limits.max_ratio,
            });
        }
    }
    Ok(())
}

/// An entry's name as a path inside the package. Backslashes (zips made on Windows) are separators.
fn entry_path(raw: &str) -> Result<String, String> {
    let path = raw.replace('\\', "/");
    if path.starts_with('/') {
        return Err("an absolute path: entries must be relative to the package root".into());
    }
    if path
        .split('/')
        .next()
        .is_some_and(|s| s.len() == 2 && s.ends_with(':'))
    {
        return Err("a drive letter: entries must be relative to the package root".into());
    }
    let mut parts = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Err("climbs out of the package with ..".into()),
            s if s.contains('\0') || s.chars().any(char::is_control) => {
                return Err("a control character in the name".into());
            }
            s => parts.push(s),
        }
    }
    if parts.is_empty() {
        return Err("an empty name".into());
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests;
