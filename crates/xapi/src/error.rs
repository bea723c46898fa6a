//! The one error type of this crate: a validation failure with the place it happened.

use std::fmt;

/// One validation failure.
///
/// `path` names the offending value with dots and `[i]` indexes, relative to the statement (or to the document or
/// parameter being checked), e.g. `actor.mbox` or `context.contextActivities.parent[0].id`. It is empty when the
/// whole input is at fault (e.g. the body is not JSON). `Display` gives `"{path}: {message}"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XapiError {
    pub path: String,
    pub message: String,
}

impl XapiError {
    /// `path` is text, or where in the statement the fault is.
    pub fn new(path: impl fmt::Display, message: impl Into<String>) -> Self {
        Self {
            path: path.to_string(),
            message: message.into(),
        }
    }

    /// The same failure seen from an enclosing value, e.g. `prefixed("statements[3]")`.
    #[must_use]
    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.path = crate::json::join(prefix, &self.path);
        self
    }
}

impl fmt::Display for XapiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for XapiError {}

pub type Result<T, E = XapiError> = std::result::Result<T, E>;
