//! Unit tests, grouped by area. Fixtures are the spec's own examples where it has them.

mod activities;
mod agents;
mod attachments;
mod comparison;
mod context;
mod documents;
mod fixtures;
mod formats;
mod objects;
mod persons;
mod results;
mod signatures;
mod statement;
mod types;
mod verbs;
