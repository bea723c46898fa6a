//! The documents an AU reads and writes besides statements: the `LMS.LaunchData` state (10: the AU must not change
//! it) and the `cmi5LearnerPreferences` agent profile (11), and the scope of an AU's LRS credential.
//!
//! Source: the cmi5 specification, sections 6.3 (no voiding), 10.1 and 10.2.1 (the state document's activity, agent
//! and registration; the AU must not modify or delete it) and 11 (learner preferences: `languagePreference`, a
//! comma-separated list of RFC 5646 tags, and `audioPreference`, "on" or "off"; the LMS may refuse an AU's change
//! with 403).

use super::launch::Launch;
use super::session::Rejection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The state id of the launch data document (10.1).
pub const LAUNCH_DATA_STATE_ID: &str = "LMS.LaunchData";
/// The agent profile id of the learner's preferences (11).
pub const LEARNER_PREFERENCES_PROFILE_ID: &str = "cmi5LearnerPreferences";

fn rej(section: &'static str, reason: impl Into<String>) -> Rejection {
    Rejection {
        section,
        reason: reason.into(),
    }
}

/// 11: the learner's preferences, shared by every AU they launch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LearnerPreferences {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub language_preference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub audio_preference: Option<Audio>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Audio {
    On,
    Off,
}

impl LearnerPreferences {
    /// Reads a preferences document an AU (or the LMS) wants to store, refusing one cmi5 11 does not allow.
    pub fn parse(body: &[u8]) -> Result<LearnerPreferences, Rejection> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| rej("11", format!("the learner preferences are not JSON: {e}")))?;
        let obj = value
            .as_object()
            .ok_or_else(|| rej("11", "the learner preferences must be a JSON object"))?;
        if let Some(k) = obj
            .keys()
            .find(|k| *k != "languagePreference" && *k != "audioPreference")
        {
            return Err(rej(
                "11",
                format!(
                    "{k:?} is not a learner preference; there are languagePreference and audioPreference"
                ),
            ));
        }
        let prefs: LearnerPreferences = serde_json::from_value(value).map_err(|_| {
            rej(
                "11.2",
                "audioPreference must be \"on\" or \"off\", and languagePreference a string",
            )
        })?;
        let tags = prefs.language_preference.as_deref().unwrap_or_default();
        if let Some(bad) = tags
            .split(',')
            .find(|t| !tags.is_empty() && !is_language_tag(t))
        {
            return Err(rej(
                "11.1",
                format!(
                    "{bad:?} in languagePreference is not a language tag (a comma-separated list such as \"en-GB,cy\")"
                ),
            ));
        }
        Ok(prefs)
    }

    /// A whole preferences document as an AU stores it (11.0.0.0-5, 11.1): a JSON object with both
    /// `languagePreference` (a non-empty list of language tags) and `audioPreference`.
    pub fn parse_document(body: &[u8]) -> Result<LearnerPreferences, Rejection> {
        let prefs = Self::parse(body)?;
        match (&prefs.language_preference, prefs.audio_preference) {
            (Some(l), Some(_)) if !l.trim().is_empty() => Ok(prefs),
            (Some(_), Some(_)) => Err(rej(
                "11.1",
                "languagePreference must list at least one language tag",
            )),
            _ => Err(rej(
                "11",
                "the learner preferences document must have both languagePreference and audioPreference",
            )),
        }
    }
}

/// The shape of an RFC 5646 tag: subtags of 1 to 8 letters and digits joined by hyphens, the first letters only.
/// Enough to refuse a list that is not one; the registry of subtags is not consulted.
fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let first_ok = subtags
        .next()
        .is_some_and(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A document request an AU's session credential makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentRequest<'a> {
    /// The State resource: `activityId`, `agent` (as sent), `registration` and `stateId` (absent for "all").
    State {
        activity_id: &'a str,
        agent: &'a Value,
        registration: Option<&'a str>,
        state_id: Option<&'a str>,
        write: bool,
    },
    /// The Agent Profile resource: `agent` and `profileId`.
    AgentProfile {
        agent: &'a Value,
        profile_id: Option<&'a str>,
        write: bool,
    },
    /// The Activity Profile resource (12: an AU may use it as xAPI allows), for `activityId`.
    ActivityProfile { activity_id: &'a str, write: bool },
}

impl Launch {
    /// Whether the session's credential may make this document request: only this learner, this AU and this
    /// registration; never a change to `LMS.LaunchData` (10.2.1). Learner preference writes pass here and are
    /// then checked with [`LearnerPreferences::parse`].
    pub fn check_document_request(&self, req: DocumentRequest<'_>) -> Result<(), Rejection> {
        let same_agent = |agent: &Value| {
            let account = agent.get("account");
            let field = |k: &str| account.and_then(|a| a.get(k)).and_then(Value::as_str);
            field("homePage") == Some(self.au.actor.home_page.as_str())
                && field("name") == Some(self.au.actor.name.as_str())
        };
        match req {
            DocumentRequest::State {
                activity_id,
                agent,
                registration,
                state_id,
                write,
            } => {
                if activity_id != self.au.activity_id || !same_agent(agent) {
                    return Err(rej(
                        "10.1",
                        "this session may use the state of its own AU (the launch's activityId) and learner only",
                    ));
                }
                if registration != Some(self.au.registration.as_str()) {
                    return Err(rej(
                        "10.1",
                        "state requests must name the launch's registration",
                    ));
                }
                if write && state_id.is_none_or(|id| id == LAUNCH_DATA_STATE_ID) {
                    return Err(rej(
                        "10.2.1",
                        "an AU must not modify or delete the LMS.LaunchData document",
                    ));
                }
                Ok(())
            }
            DocumentRequest::AgentProfile {
                agent,
                profile_id,
                write,
            } => {
                if !same_agent(agent) {
                    return Err(rej("11", "the agent must be the launch's actor"));
                }
                if write && profile_id != Some(LEARNER_PREFERENCES_PROFILE_ID) {
                    return Err(rej(
                        "11",
                        "an AU may write only the cmi5LearnerPreferences agent profile",
                    ));
                }
                Ok(())
            }
            DocumentRequest::ActivityProfile { activity_id, write } => {
                if write && activity_id != self.au.activity_id {
                    return Err(rej(
                        "12",
                        "an AU may write the activity profile of its own activity only",
                    ));
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests;
