//! SCORM content packages (ADL SCORM 1.2, 2001; SCORM 2004 3rd edition, 2006, and 4th edition, 2009): an
//! `imsmanifest.xml` at the root of a zip names the organisations (trees of items), the resources (SCOs and assets)
//! the items launch, and the version.

pub mod manifest;
pub mod package;
pub mod runtime;
pub mod sequencing;

pub use manifest::{
    Item, Manifest, ManifestError, Organization, Resource, ScormType, ScormVersion,
};
pub use package::{Limits, Package, PackageError};
