//! What a caller may see. Every people-returning store method takes one; the policy that computes it lives in the
//! domain (`lantern_domain::access`).

pub use lantern_domain::access::{Grant, Reach, Scope};
