//! Typed identifiers, so a person id can never be passed where a unit id is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// An organisation (NHS trust, private hospital, medical school, ...).
    OrgId,
    /// A site (hospital building or campus) of an organisation.
    SiteId,
    /// A node of an organisation's unit hierarchy (directorate, department, ward or team).
    UnitId,
    /// A person. People exist independently of employers.
    PersonId,
    /// A post (assignment) a person holds in a unit.
    PostId,
    /// One version of a requirement rule.
    RuleId,
    /// A training record.
    RecordId,
    /// An exemption from a requirement.
    ExemptionId,
    /// A sign-in account (a person's, or an auditor's or administrator's who is not staff).
    AccountId,
    /// An item of revalidation evidence (practice hours, feedback, a reflection, a declaration, ...).
    EvidenceId,
);
