//! The IRIs cmi5 defines for statements (cmi5 sections 9.3 verbs, 9.4 object types, 9.5.5 result extensions,
//! 9.6.2 context activities and 9.6.3 context extensions).

use serde::{Deserialize, Serialize};

/// The category activity that makes a statement "cmi5 defined" (9.6.2.1).
pub const CATEGORY_CMI5: &str = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
/// The category activity on statements whose result carries `success` or `completion` (9.6.2.2).
pub const CATEGORY_MOVE_ON: &str = "https://w3id.org/xapi/cmi5/context/categories/moveon";

pub const EXT_SESSION_ID: &str = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";
pub const EXT_MASTERY_SCORE: &str = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
pub const EXT_LAUNCH_MODE: &str = "https://w3id.org/xapi/cmi5/context/extensions/launchmode";
pub const EXT_LAUNCH_URL: &str = "https://w3id.org/xapi/cmi5/context/extensions/launchurl";
pub const EXT_MOVE_ON: &str = "https://w3id.org/xapi/cmi5/context/extensions/moveon";
pub const EXT_LAUNCH_PARAMETERS: &str =
    "https://w3id.org/xapi/cmi5/context/extensions/launchparameters";
pub const EXT_PROGRESS: &str = "https://w3id.org/xapi/cmi5/result/extensions/progress";
pub const EXT_REASON: &str = "https://w3id.org/xapi/cmi5/result/extensions/reason";

/// The `definition.type` of the LMS's block and course objects in "satisfied" statements (9.4).
pub const TYPE_BLOCK: &str = "https://w3id.org/xapi/cmi5/activitytype/block";
pub const TYPE_COURSE: &str = "https://w3id.org/xapi/cmi5/activitytype/course";

/// An LRS credential given to an AU must not void (6.3).
pub const VERB_VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

/// The verbs cmi5 defines (9.3), each with its IRI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    Launched,
    Initialized,
    Completed,
    Passed,
    Failed,
    Abandoned,
    Waived,
    Terminated,
    Satisfied,
}

impl Verb {
    pub const ALL: [Verb; 9] = [
        Verb::Launched,
        Verb::Initialized,
        Verb::Completed,
        Verb::Passed,
        Verb::Failed,
        Verb::Abandoned,
        Verb::Waived,
        Verb::Terminated,
        Verb::Satisfied,
    ];

    pub fn iri(self) -> &'static str {
        match self {
            Verb::Launched => "http://adlnet.gov/expapi/verbs/launched",
            Verb::Initialized => "http://adlnet.gov/expapi/verbs/initialized",
            Verb::Completed => "http://adlnet.gov/expapi/verbs/completed",
            Verb::Passed => "http://adlnet.gov/expapi/verbs/passed",
            Verb::Failed => "http://adlnet.gov/expapi/verbs/failed",
            Verb::Abandoned => "https://w3id.org/xapi/adl/verbs/abandoned",
            Verb::Waived => "https://w3id.org/xapi/adl/verbs/waived",
            Verb::Terminated => "http://adlnet.gov/expapi/verbs/terminated",
            Verb::Satisfied => "https://w3id.org/xapi/adl/verbs/satisfied",
        }
    }

    pub fn from_iri(iri: &str) -> Option<Verb> {
        Verb::ALL.into_iter().find(|v| v.iri() == iri)
    }

    /// The English word, for `verb.display` and for messages.
    pub fn word(self) -> &'static str {
        match self {
            Verb::Launched => "launched",
            Verb::Initialized => "initialized",
            Verb::Completed => "completed",
            Verb::Passed => "passed",
            Verb::Failed => "failed",
            Verb::Abandoned => "abandoned",
            Verb::Waived => "waived",
            Verb::Terminated => "terminated",
            Verb::Satisfied => "satisfied",
        }
    }

    /// Verbs only the LMS issues (9.3.1, 9.3.6, 9.3.7, 9.3.9: "AU obligations: none").
    pub fn lms_only(self) -> bool {
        matches!(
            self,
            Verb::Launched | Verb::Abandoned | Verb::Waived | Verb::Satisfied
        )
    }
}
