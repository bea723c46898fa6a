//! Lantern's domain core: the workforce model, requirement rules and the explainable compliance engine.
//!
//! Architecture invariant: this crate performs no I/O. It depends on neither sqlx, axum nor tokio, so every rule
//! here can be tested alone and reused by any front end.

pub mod access;
pub mod calendar;
pub mod dates;
pub mod email;
pub mod engine;
pub mod framework;
pub mod history;
pub mod how_to_complete;
pub mod ids;
pub mod local_requirements;
pub mod local_time;
pub mod model;
pub mod notices;
pub mod record_keeping;
pub mod regulatory_change;
pub mod revalidation;
pub mod rollup;
pub mod rule_versions;
pub mod uploads;
pub mod xapi_mapping;

pub use dates::{Date, Timestamp};
pub use engine::{Status, StatusSpan};
pub use ids::*;
pub use model::*;
