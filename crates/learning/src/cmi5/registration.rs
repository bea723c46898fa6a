//! What one registration's statements say: each AU's result and which blocks and the course have had their
//! "satisfied" statement, so the LMS knows what to issue next (cmi5 9.3.9) and whether the course is done.
//!
//! The statements are the LRS's for the registration (any order); only "cmi5 defined" ones count (7.1.3).

use super::launch::{NodeKind, Satisfied, lms_activity_id};
use super::vocab::{self, Verb};
use super::{AuResult, CourseStructure};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One registration of one course, read from its statements.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistrationState {
    /// Each AU's result, by its id in the course structure.
    pub results: BTreeMap<String, AuResult>,
    /// The blocks and the course (ids in the course structure) that already have a "satisfied" statement.
    pub satisfied: BTreeSet<String>,
}

impl RegistrationState {
    /// Reads the registration's statements. `lms_base` is the base the LMS made its activity ids from
    /// ([`lms_activity_id`]), so each AU's statements are found by the activity id its launches used.
    pub fn read<'a>(
        course: &CourseStructure,
        lms_base: &str,
        statements: impl IntoIterator<Item = &'a Value> + Clone,
    ) -> RegistrationState {
        let results = course
            .aus()
            .into_iter()
            .map(|au| {
                let activity = lms_activity_id(lms_base, NodeKind::Au, &au.id);
                (
                    au.id.clone(),
                    AuResult::from_statements(&activity, statements.clone()),
                )
            })
            .collect();
        let satisfied = statements
            .into_iter()
            .filter(|st| {
                st.pointer("/verb/id").and_then(Value::as_str) == Some(Verb::Satisfied.iri())
                    && has(st, "category", vocab::CATEGORY_CMI5)
            })
            .flat_map(|st| ids(st, "grouping"))
            .collect();
        RegistrationState { results, satisfied }
    }

    /// The blocks and the course to issue "satisfied" for now, inner blocks first and the course last.
    pub fn due(&self, course: &CourseStructure) -> Vec<Satisfied> {
        course.newly_satisfied(&self.results, &self.satisfied)
    }

    /// Whether the course is satisfied: every AU meets its moveOn (or was waived).
    pub fn course_satisfied(&self, course: &CourseStructure) -> bool {
        course.satisfaction(&self.results).course
    }
}

fn ids(st: &Value, list: &str) -> Vec<String> {
    st.pointer(&format!("/context/contextActivities/{list}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

fn has(st: &Value, list: &str, id: &str) -> bool {
    ids(st, list).iter().any(|i| i == id)
}

#[cfg(test)]
mod tests;
