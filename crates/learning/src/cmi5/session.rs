//! One AU session: the statements the AU sends, checked in order against cmi5's rules, and what they add up to.
//!
//! Source: the cmi5 specification, sections 7.1 (first and last statements; "cmi5 defined" and "cmi5 allowed"
//! statements), 9.3 (the verbs and their order within a session and a registration), 9.4 (object), 9.5 (result),
//! 9.6 (context), 9.7 (timestamps) and 10.2 (the context template and launch mode). The LMS should reject a
//! statement that breaks them (6.3); the LRS answers 403 Forbidden with the reason, as ADL's reference LMS does.
//! Order is arrival order, which the session enforces as each statement comes in. After "terminated" the session
//! refuses everything at once (9.3.8 lets the LMS choose the wait; Lantern waits for nothing).

use super::AuResult;
use super::launch::{Launch, LaunchMode};
use super::vocab::{self, Verb};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::Duration;

/// Why a statement was refused: the section of cmi5 it breaks and what is wrong, in words an AU author can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cmi5 {section}: {reason}")]
pub struct Rejection {
    pub section: &'static str,
    pub reason: String,
}

impl Rejection {
    /// The HTTP status the LRS answers a refused statement with (403 Forbidden).
    pub const HTTP_STATUS: u16 = 403;
}

fn rej(section: &'static str, reason: impl Into<String>) -> Rejection {
    Rejection {
        section,
        reason: reason.into(),
    }
}

/// Where a session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// "launched" is recorded; the AU has sent nothing yet.
    Launched,
    /// The AU has sent "initialized".
    Initialized,
    /// The AU has sent "terminated": the session is over.
    Terminated,
    /// The LMS abandoned the session (a new launch found it open): the session is over.
    Abandoned,
}

/// What an accepted statement did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The cmi5 verb of a "cmi5 defined" statement; `None` for a "cmi5 allowed" one (any other statement).
    pub verb: Option<Verb>,
    /// The AU's result in the registration after it.
    pub result: AuResult,
    /// This statement made the AU meet its moveOn criteria: time to look at blocks and the course.
    pub satisfied_now: bool,
    /// This statement ended the session ("terminated").
    pub ended: bool,
}

/// One launch session of one AU. Serialisable, so a caller may keep it between requests; or rebuild it with
/// [`Session::replay`] from the statements it accepted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    launch: Launch,
    /// The AU's result in this registration before this session (earlier sessions, a waiver).
    before: AuResult,
    phase: Phase,
    /// The cmi5 verbs accepted in this session, in order.
    verbs: Vec<Verb>,
}

impl Session {
    /// A session just launched ("launched" recorded), with what earlier sessions of the registration said.
    pub fn new(launch: Launch, before: AuResult) -> Session {
        Session {
            launch,
            before,
            phase: Phase::Launched,
            verbs: Vec::new(),
        }
    }

    /// The session rebuilt from the AU statements it accepted, in the order they came.
    pub fn replay<'a>(
        launch: Launch,
        before: AuResult,
        statements: impl IntoIterator<Item = &'a Value>,
    ) -> Result<Session, (usize, Rejection)> {
        let mut s = Session::new(launch, before);
        for (i, st) in statements.into_iter().enumerate() {
            s.accept(st).map_err(|r| (i, r))?;
        }
        Ok(s)
    }

    pub fn launch(&self) -> &Launch {
        &self.launch
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Launched or initialized and not yet over: a new launch in the registration must abandon it (9.3.6).
    pub fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Launched | Phase::Initialized)
    }

    /// The AU's result in the registration: earlier sessions' and this one's.
    pub fn result(&self) -> AuResult {
        let mut r = self.before;
        for v in &self.verbs {
            match v {
                Verb::Completed => r.completed = true,
                Verb::Passed => r.passed = true,
                Verb::Failed => r.failed = true,
                _ => {}
            }
        }
        r
    }

    /// Checks a batch all or nothing: on a refusal the session is as it was, and the index says which statement.
    pub fn accept_all(
        &mut self,
        statements: &[Value],
    ) -> Result<Vec<Accepted>, (usize, Rejection)> {
        let mut trial = self.clone();
        let mut out = Vec::with_capacity(statements.len());
        for (i, st) in statements.iter().enumerate() {
            out.push(trial.accept(st).map_err(|r| (i, r))?);
        }
        *self = trial;
        Ok(out)
    }

    /// Checks one statement the AU sent (already a valid xAPI statement) and, if cmi5 allows it, takes it in.
    pub fn accept(&mut self, st: &Value) -> Result<Accepted, Rejection> {
        match self.phase {
            Phase::Terminated => {
                return Err(rej(
                    "9.3.8",
                    "the session has ended with \"terminated\"; no statement may follow it",
                ));
            }
            Phase::Abandoned => {
                return Err(rej(
                    "9.3.6",
                    "the session was abandoned (the AU was launched again); no statement may be recorded for it",
                ));
            }
            Phase::Launched | Phase::Initialized => {}
        }
        let verb_iri = st
            .pointer("/verb/id")
            .and_then(Value::as_str)
            .ok_or_else(|| rej("9.3", "the statement has no verb id"))?;
        if verb_iri == vocab::VERB_VOIDED {
            return Err(rej("6.3", "an AU may not void statements"));
        }
        if st.get("id").and_then(Value::as_str).is_none() {
            return Err(rej(
                "9.1",
                "the AU must give every statement an id (a UUID)",
            ));
        }
        check_timestamp(st)?;
        self.check_actor(st)?;
        let context = st
            .get("context")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                rej(
                    "9.6",
                    "the statement has no context; build it from the contextTemplate in LMS.LaunchData (10.2.1)",
                )
            })?;
        self.check_context(context)?;

        let categories = activity_ids(context, "category");
        let defined = categories.contains(&vocab::CATEGORY_CMI5);
        let verb = Verb::from_iri(verb_iri);
        if let Some(v) = verb.filter(|v| v.lms_only()) {
            return Err(rej(
                "9.3",
                format!("only the LMS issues \"{}\" statements", v.word()),
            ));
        }
        if self.phase == Phase::Launched && !(defined && verb == Some(Verb::Initialized)) {
            return Err(rej(
                "9.3.2",
                "the first statement of a session must be \"initialized\", with the cmi5 category",
            ));
        }
        let judged = matches!(verb, Some(Verb::Completed | Verb::Passed | Verb::Failed));
        if categories.contains(&vocab::CATEGORY_MOVE_ON) && !(defined && judged) {
            return Err(rej(
                "9.6.2.2",
                "only cmi5 \"completed\", \"passed\" and \"failed\" statements may carry the moveOn category",
            ));
        }
        if !defined {
            // "cmi5 allowed": any verb with the context template, between initialized and terminated (7.1.3).
            return Ok(Accepted {
                verb: None,
                result: self.result(),
                satisfied_now: false,
                ended: false,
            });
        }
        let Some(verb) = verb else {
            return Err(rej(
                "9.3",
                format!(
                    "{verb_iri} is not a cmi5 verb; a statement with another verb must leave out the cmi5 category (7.1.3)"
                ),
            ));
        };
        let object = st.pointer("/object/id").and_then(Value::as_str);
        if object != Some(self.launch.au.activity_id.as_str()) {
            return Err(rej(
                "9.4",
                format!(
                    "the object of a cmi5 statement must be the AU, {:?} (the launch's activityId), not {:?}",
                    self.launch.au.activity_id,
                    object.unwrap_or("nothing")
                ),
            ));
        }
        if judged && self.launch.launch_mode != LaunchMode::Normal {
            return Err(rej(
                "10.2.2",
                format!(
                    "in {} mode an AU sends only \"initialized\" and \"terminated\", not \"{}\"",
                    self.launch.launch_mode.as_str(),
                    verb.word()
                ),
            ));
        }
        self.check_result(verb, st, context, &categories)?;
        self.check_order(verb)?;

        let move_on = self.launch.move_on;
        let was = self.result().satisfies(move_on);
        self.verbs.push(verb);
        match verb {
            Verb::Initialized => self.phase = Phase::Initialized,
            Verb::Terminated => self.phase = Phase::Terminated,
            _ => {}
        }
        let result = self.result();
        Ok(Accepted {
            verb: Some(verb),
            result,
            satisfied_now: !was && result.satisfies(move_on),
            ended: verb == Verb::Terminated,
        })
    }

    /// Ends an open session that never sent "terminated" and gives the "abandoned" statement to record (9.3.6);
    /// `None` when the session is already over (one "abandoned" at most per session).
    pub fn abandon(
        &mut self,
        statement_id: &str,
        timestamp: &str,
        session_time: Duration,
    ) -> Option<Value> {
        if !self.is_open() {
            return None;
        }
        self.phase = Phase::Abandoned;
        Some(self.launch.abandoned(statement_id, timestamp, session_time))
    }

    /// 8.1.3 and 9.2: the actor is the launch's Agent, identified by its account.
    fn check_actor(&self, st: &Value) -> Result<(), Rejection> {
        let actor = st.get("actor");
        let kind = actor
            .and_then(|a| a.get("objectType"))
            .and_then(Value::as_str);
        let account = actor.and_then(|a| a.get("account"));
        let field = |k: &str| account.and_then(|a| a.get(k)).and_then(Value::as_str);
        let want = &self.launch.au.actor;
        if !matches!(kind, None | Some("Agent"))
            || field("homePage") != Some(want.home_page.as_str())
            || field("name") != Some(want.name.as_str())
        {
            return Err(rej(
                "9.2",
                "the actor must be the Agent given in the launch URL's actor parameter, with the same account",
            ));
        }
        Ok(())
    }

    /// 9.6.1 and 10.2.1: the registration of the launch, and everything in the context template, unaltered.
    fn check_context(&self, context: &Map<String, Value>) -> Result<(), Rejection> {
        let registration = context.get("registration").and_then(Value::as_str);
        if registration != Some(self.launch.au.registration.as_str()) {
            return Err(rej(
                "9.6.1",
                format!(
                    "context.registration must be the launch's registration {:?}",
                    self.launch.au.registration
                ),
            ));
        }
        let session = context
            .get("extensions")
            .and_then(|e| e.get(vocab::EXT_SESSION_ID))
            .and_then(Value::as_str);
        if session != Some(self.launch.session_id.as_str()) {
            return Err(rej(
                "9.6.3.1",
                format!(
                    "the context must carry this session's id {:?} in the extension {}",
                    self.launch.session_id,
                    vocab::EXT_SESSION_ID
                ),
            ));
        }
        let template = self.launch.context_template();
        for (key, want) in template.as_object().into_iter().flatten() {
            let ok = match key.as_str() {
                "contextActivities" => {
                    want.as_object().into_iter().flatten().all(|(list, acts)| {
                        let have = activity_ids(context, list);
                        acts.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|a| a.get("id").and_then(Value::as_str))
                            .all(|id| have.contains(&id))
                    })
                }
                "extensions" => want
                    .as_object()
                    .into_iter()
                    .flatten()
                    .all(|(k, v)| context.get("extensions").and_then(|e| e.get(k)) == Some(v)),
                _ => context.get(key) == Some(want),
            };
            if !ok {
                return Err(rej(
                    "10.2.1",
                    format!(
                        "the context must keep everything in the contextTemplate from LMS.LaunchData; its {key} differs"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// 9.5 and 9.6.2.2: what the result of each cmi5 verb must and must not carry.
    fn check_result(
        &self,
        verb: Verb,
        st: &Value,
        context: &Map<String, Value>,
        categories: &[&str],
    ) -> Result<(), Rejection> {
        let empty = Map::new();
        let result = st
            .get("result")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let word = verb.word();
        let judged = matches!(verb, Verb::Passed | Verb::Failed);
        if let Some(score) = result.get("score") {
            if !judged {
                return Err(rej(
                    "9.5.1",
                    format!("only \"passed\" and \"failed\" may carry a score, not \"{word}\""),
                ));
            }
            if score.get("raw").is_some()
                && (score.get("min").is_none() || score.get("max").is_none())
            {
                return Err(rej("9.5.1", "a raw score needs its min and max"));
            }
        }
        let success = result.get("success");
        let completion = result.get("completion");
        match verb {
            Verb::Passed if success.and_then(Value::as_bool) != Some(true) => {
                return Err(rej("9.5.2", "\"passed\" must have result.success true"));
            }
            Verb::Failed if success.and_then(Value::as_bool) != Some(false) => {
                return Err(rej("9.5.2", "\"failed\" must have result.success false"));
            }
            Verb::Passed | Verb::Failed => {}
            _ if success.is_some() => {
                return Err(rej(
                    "9.5.2",
                    format!("\"{word}\" must not carry result.success"),
                ));
            }
            _ => {}
        }
        if verb == Verb::Completed {
            if completion.and_then(Value::as_bool) != Some(true) {
                return Err(rej(
                    "9.5.3",
                    "\"completed\" must have result.completion true",
                ));
            }
        } else if completion.is_some() {
            return Err(rej(
                "9.5.3",
                format!("\"{word}\" must not carry result.completion"),
            ));
        }
        if matches!(
            verb,
            Verb::Terminated | Verb::Completed | Verb::Passed | Verb::Failed
        ) && !result.contains_key("duration")
        {
            return Err(rej(
                "9.5.4.1",
                format!("\"{word}\" must carry result.duration"),
            ));
        }
        if (success.is_some() || completion.is_some())
            && !categories.contains(&vocab::CATEGORY_MOVE_ON)
        {
            return Err(rej(
                "9.6.2.2",
                format!(
                    "\"{word}\" reports success or completion, so it needs the moveOn category {}",
                    vocab::CATEGORY_MOVE_ON
                ),
            ));
        }
        let scaled = result
            .get("score")
            .and_then(|s| s.get("scaled"))
            .and_then(Value::as_f64);
        if let (Some(mastery), true) = (self.launch.mastery_score, judged) {
            if let Some(scaled) = scaled {
                if verb == Verb::Passed && scaled < mastery {
                    return Err(rej(
                        "9.3.4",
                        format!(
                            "\"passed\" with a scaled score of {scaled}, below the mastery score {mastery}"
                        ),
                    ));
                }
                if verb == Verb::Failed && scaled >= mastery {
                    return Err(rej(
                        "9.3.5",
                        format!(
                            "\"failed\" with a scaled score of {scaled}, at or above the mastery score {mastery}"
                        ),
                    ));
                }
            }
            if result.contains_key("score") {
                let given = context
                    .get("extensions")
                    .and_then(|e| e.get(vocab::EXT_MASTERY_SCORE))
                    .and_then(Value::as_f64);
                if given != Some(mastery) {
                    return Err(rej(
                        "9.6.3.2",
                        format!(
                            "a scored \"{word}\" must carry the mastery score {mastery} from LMS.LaunchData in the extension {}",
                            vocab::EXT_MASTERY_SCORE
                        ),
                    ));
                }
            }
        }
        let progress = result
            .get("extensions")
            .and_then(|e| e.get(vocab::EXT_PROGRESS));
        if let Some(p) = progress.filter(|p| p.as_u64().is_none_or(|p| p > 100)) {
            return Err(rej(
                "9.5.5.1",
                format!("progress must be a whole number from 0 to 100, not {p}"),
            ));
        }
        Ok(())
    }

    /// 9.3: no cmi5 verb twice in a session, not both passed and failed in a session; in the registration at most
    /// one "completed" and one "passed", and no "failed" after "passed".
    fn check_order(&self, verb: Verb) -> Result<(), Rejection> {
        let word = verb.word();
        if self.verbs.contains(&verb) {
            return Err(rej(
                "9.3",
                format!("\"{word}\" was already sent in this session"),
            ));
        }
        let had = |v: Verb| self.verbs.contains(&v);
        match verb {
            Verb::Passed | Verb::Failed if had(Verb::Passed) || had(Verb::Failed) => Err(rej(
                "9.3",
                "a session may have \"passed\" or \"failed\", not both",
            )),
            Verb::Passed if self.before.passed => Err(rej(
                "9.3.4",
                "\"passed\" was already recorded in this registration",
            )),
            Verb::Failed if self.before.passed => Err(rej(
                "9.3",
                "\"failed\" may not follow \"passed\" in a registration",
            )),
            Verb::Completed if self.before.completed => Err(rej(
                "9.3.3",
                "\"completed\" was already recorded in this registration",
            )),
            _ => Ok(()),
        }
    }
}

/// 9.7: every statement has a timestamp, in UTC.
pub fn check_timestamp(st: &Value) -> Result<(), Rejection> {
    let ts = st
        .get("timestamp")
        .and_then(Value::as_str)
        .ok_or_else(|| rej("9.7", "the AU must give every statement a timestamp"))?;
    let utc = ["Z", "z", "+00:00", "+0000", "+00"]
        .iter()
        .any(|z| ts.ends_with(z));
    if !utc {
        return Err(rej(
            "9.7",
            format!("the timestamp {ts:?} is not in UTC (end it with Z)"),
        ));
    }
    Ok(())
}

/// The ids in one of the context's activity lists (`category`, `grouping`, ...).
fn activity_ids<'a>(context: &'a Map<String, Value>, list: &str) -> Vec<&'a str> {
    context
        .get("contextActivities")
        .and_then(|c| c.get(list))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("id").and_then(Value::as_str))
        .collect()
}

impl AuResult {
    /// What the cmi5 statements of one registration about one AU (its LMS activity id) add up to: the AU's
    /// "completed", "passed" and "failed" and the LMS's "waived" (9.3.9: a waived AU has met its moveOn).
    /// Only "cmi5 defined" statements count (7.1.3); give it the statements the LRS accepted.
    pub fn from_statements<'a>(
        activity_id: &str,
        statements: impl IntoIterator<Item = &'a Value>,
    ) -> AuResult {
        let mut r = AuResult::default();
        for st in statements {
            let about = st.pointer("/object/id").and_then(Value::as_str) == Some(activity_id);
            let defined = st
                .get("context")
                .and_then(Value::as_object)
                .is_some_and(|c| activity_ids(c, "category").contains(&vocab::CATEGORY_CMI5));
            if !(about && defined) {
                continue;
            }
            match st
                .pointer("/verb/id")
                .and_then(Value::as_str)
                .and_then(Verb::from_iri)
            {
                Some(Verb::Completed) => r.completed = true,
                Some(Verb::Passed) => r.passed = true,
                Some(Verb::Failed) => r.failed = true,
                Some(Verb::Waived) => r.waived = true,
                _ => {}
            }
        }
        r
    }
}

#[cfg(test)]
mod tests;
