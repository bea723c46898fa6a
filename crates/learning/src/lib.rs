//! Learning delivery's rules and formats, with no I/O: the store and the web layer do the reading, writing and
//! serving, and ask this crate what a package, a course or an answer means.
//!
//! - [`xml`]: a small element tree over quick-xml that refuses any document type declaration, so no external entity
//!   is ever fetched and no entity is ever expanded (XXE and "billion laughs" have nothing to work with).
//! - [`assessment`]: question banks by learning outcome, the seeded draw, marking (exact sets, no part marks) and
//!   item statistics (facility and point-biserial discrimination) with flags for questions that look broken.
//! - [`bank_csv`]: question banks as CSV, one row per option; import all-or-nothing with every problem by row and
//!   column.
//! - [`cmi5`]: cmi5 course structures (blocks, assignable units, moveOn, mastery scores, launch methods) and when an
//!   AU, a block and the course are satisfied; the launch protocol ([`cmi5::launch`]: launch URL, `LMS.LaunchData`,
//!   fetch bodies, the LMS's own statements) and an AU session's statements checked in order ([`cmi5::session`]).
//! - [`course`]: courses as numbered versions of ordered or free modules (lesson, SCORM, cmi5, assessment,
//!   simulation), what a learner may open next, progress, and the record source a completion carries.
//! - [`lesson`]: native lessons, Markdown rendered to HTML that cannot carry script (raw HTML shown as text, unsafe
//!   link schemes dropped, only uploaded images).
//! - [`pathway`]: the prerequisite graph (a cycle is refused and named) and a person's pathway order (prerequisites
//!   first, then the most urgent course free to start).
//! - [`qti`]: IMS QTI 2.1 choice items (single and multiple cardinality, the correct response, feedback) read into
//!   questions, through [`xml`].
//! - [`scorm`]: SCORM 1.2 and SCORM 2004 (3rd and 4th edition) content packages: the manifest
//!   ([`scorm::manifest`]) and the zip around it ([`scorm::package`]: path escapes, symlinks and zip bombs refused
//!   before anything is stored).

pub mod assessment;
pub mod bank_csv;
pub mod cmi5;
pub mod course;
pub mod lesson;
pub mod pathway;
pub mod qti;
pub mod scorm;
pub mod xml;
