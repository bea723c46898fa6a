//! xAPI for Lantern's Learning Record Store: parsing, validating, preparing, formatting and comparing statements and
//! the objects around them, for xAPI 1.0.3 and 2.0 (IEEE 9274.1.1).
//!
//! Architecture invariant: this crate does no I/O. It reads no clock and makes no random ids: the caller passes the
//! statement id to use, the `stored` time and the credential's authority in a [`PrepareContext`].
//!
//! Section references in comments ("Data 2.4.2.1", "Communication 1.5.2") are to the xAPI 1.0.3 specification
//! (parts two and three); 2.0 differences are marked as such.
//!
//! Entry points: [`prepare`] for storing a statement, [`format_statement`] for returning one, [`same_statement`] for
//! an id already stored, [`verify_signature`] and [`check_attachment_parts`] for signed statements and multipart
//! requests, [`parse_agent_param`] for the `agent` parameter, and [`merge_json_document`],
//! [`merge_activity_definition`] and [`person_object`] for the other resources.

mod activity;
mod agent;
mod attachment;
mod compare;
mod context;
mod document;
mod error;
mod format;
mod json;
mod result;
mod signature;
mod statement;
mod types;
mod version;

pub use activity::{INTERACTION_TYPES, activity_object, merge_activity_definition};
pub use agent::{AgentKey, agent_key, parse_agent_param, person_object};
pub use attachment::{AttachmentRef, SIGNATURE_USAGE_TYPE, check_attachment_parts};
pub use compare::same_statement;
pub use document::merge_json_document;
pub use error::XapiError;
pub use format::{
    Format, accept_languages, best_language, format_statement, format_statement_with,
};
pub use json::parse_json;
pub use result::{ResultFacts, result_facts};
pub use signature::verify_signature;
pub use statement::{
    Authority, PrepareContext, Prepared, StatementIndex, VOIDED_VERB, prepare, validate_statement,
};
pub use types::{format_timestamp, parse_timestamp};
pub use version::Version;

#[cfg(test)]
mod tests;
