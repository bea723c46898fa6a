//! Evidence files people upload (a certificate, a signed attendance sheet, a scanned form): the types Lantern keeps,
//! recognised by their content, and the size they may be. Revalidation evidence and training records share them.

/// The largest evidence file: a scanned form or a certificate, not a portfolio.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// A file type accepted as evidence, recognised by its content (never by its name or the browser's word).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileType {
    pub content_type: &'static str,
    pub extension: &'static str,
}

/// PDF, PNG and JPEG: documents and photographs of signed forms. Each is recognised by its first bytes.
const FILE_TYPES: &[(&[u8], FileType)] = &[
    (
        b"%PDF-",
        FileType {
            content_type: "application/pdf",
            extension: "pdf",
        },
    ),
    (
        b"\x89PNG\r\n\x1a\n",
        FileType {
            content_type: "image/png",
            extension: "png",
        },
    ),
    (
        b"\xff\xd8\xff",
        FileType {
            content_type: "image/jpeg",
            extension: "jpg",
        },
    ),
];

/// The type of a file from its content, when it is one Lantern accepts.
pub fn file_type(bytes: &[u8]) -> Option<FileType> {
    FILE_TYPES
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, t)| *t)
}

/// The content types Lantern stores and serves.
pub fn is_accepted_content_type(content_type: &str) -> bool {
    FILE_TYPES
        .iter()
        .any(|(_, t)| t.content_type == content_type)
}
