//! A run's steps as xAPI statements in the organisation's own LRS, under the run's registration (as cmi5 uses one
//! per enrolment), so that the learning record holds the simulation as well as its result. The actor is the learner's
//! opaque cmi5 account (the same one their cmi5 courses use: no name or email in the LRS); statements are stored
//! under the organisation's LMS credential (`crate::xapi::cmi5::lms_store`).
//!
//! Verbs are from the xAPI vocabularies registry: ADL's `attempted`, `interacted`, `answered`, `completed`,
//! `passed` and `failed`; Activity Streams' `accept` and `reject` for deciding on an AI suggestion; Tin Can's
//! `viewed` for checking its evidence.

use crate::xapi::cmi5::{lms_store, new_uuid, timestamp};
use crate::{AppError, AppState};
use lantern_domain::{OrgId, PersonId};
use lantern_sim::engine::Action;
use lantern_sim::scenario::Scenario;
use lantern_sim::scoring::Score;
use serde_json::{Value, json};

const ADL: &str = "http://adlnet.gov/expapi/verbs/";

/// What every statement of a run shares: who, which run, and where the activity ids start.
pub struct RunContext<'a> {
    pub org: OrgId,
    pub person: PersonId,
    pub registration: &'a str,
    pub scenario: &'a Scenario,
}

fn verb(id: &str, display: &str) -> Value {
    json!({ "id": id, "display": { "en-GB": display } })
}

async fn actor(state: &AppState, person: PersonId) -> Result<Value, AppError> {
    let name = state
        .store
        .cmi5_actor(
            person,
            &crate::learning::cmi5::new_actor_name(),
            chrono::Utc::now(),
        )
        .await?;
    Ok(json!({
        "objectType": "Agent",
        "account": { "homePage": state.auth.public_url.trim_end_matches('/'), "name": name },
    }))
}

fn scenario_iri(state: &AppState, s: &Scenario) -> String {
    format!(
        "{}/simulations/{}",
        state.auth.public_url.trim_end_matches('/'),
        s.id
    )
}

fn activity(id: String, name: &str, kind: &str) -> Value {
    json!({
        "objectType": "Activity",
        "id": id,
        "definition": { "name": { "en-GB": name }, "type": kind },
    })
}

/// The simulated second, as an ISO 8601 duration, in the context's extensions.
fn sim_time_extension(state: &AppState, at: u32) -> (String, Value) {
    (
        format!(
            "{}/xapi/extensions/simulated-time",
            state.auth.public_url.trim_end_matches('/')
        ),
        json!(format!("PT{at}S")),
    )
}

fn statement(
    state: &AppState,
    ctx: &RunContext,
    actor: &Value,
    verb: Value,
    object: Value,
    at: u32,
) -> Value {
    let (key, value) = sim_time_extension(state, at);
    json!({
        "id": new_uuid(),
        "actor": actor,
        "verb": verb,
        "object": object,
        "timestamp": timestamp(chrono::Utc::now()),
        "context": {
            "registration": ctx.registration,
            "contextActivities": {
                "parent": [activity(scenario_iri(state, ctx.scenario), &ctx.scenario.title,
                    "http://adlnet.gov/expapi/activities/simulation")],
            },
            "extensions": { key: value },
        },
    })
}

/// "attempted" the scenario.
pub async fn started(state: &AppState, ctx: &RunContext<'_>) -> Result<(), AppError> {
    let actor = actor(state, ctx.person).await?;
    let mut st = statement(
        state,
        ctx,
        &actor,
        verb(&format!("{ADL}attempted"), "attempted"),
        activity(
            scenario_iri(state, ctx.scenario),
            &ctx.scenario.title,
            "http://adlnet.gov/expapi/activities/simulation",
        ),
        0,
    );
    st["context"]["contextActivities"]
        .as_object_mut()
        .expect("an object")
        .remove("parent");
    lms_store(state, ctx.org, vec![st])
        .await
        .map_err(AppError::Internal)
}

/// One action, at its simulated second.
pub async fn acted(
    state: &AppState,
    ctx: &RunContext<'_>,
    action: &Action,
    at: u32,
) -> Result<(), AppError> {
    let actor = actor(state, ctx.person).await?;
    let base = scenario_iri(state, ctx.scenario);
    let s = ctx.scenario;
    let st = match action {
        Action::Accept { event }
        | Action::Override { event, .. }
        | Action::CheckEvidence { event } => {
            let e = s.ai.iter().find(|e| &e.id == event);
            let object = activity(
                format!("{base}/ai/{event}"),
                &e.map_or(event.clone(), |e| format!("{}: {}", e.tool, e.suggestion)),
                "http://adlnet.gov/expapi/activities/interaction",
            );
            let v = match action {
                Action::Accept { .. } => {
                    verb("http://activitystrea.ms/schema/1.0/accept", "accepted")
                }
                Action::Override { .. } => {
                    verb("http://activitystrea.ms/schema/1.0/reject", "overrode")
                }
                _ => verb(
                    "http://id.tincanapi.com/verb/viewed",
                    "viewed the evidence for",
                ),
            };
            let mut st = statement(state, ctx, &actor, v, object, at);
            if let (Action::Accept { .. } | Action::Override { .. }, Some(e)) = (action, e) {
                let appropriate = matches!(action, Action::Accept { .. }) == e.correct;
                st["result"] = json!({ "success": appropriate });
            }
            st
        }
        Action::Answer { question, option } => {
            let q = s.questions.iter().find(|q| &q.id == question);
            let mut st = statement(
                state,
                ctx,
                &actor,
                verb(&format!("{ADL}answered"), "answered"),
                activity(
                    format!("{base}/questions/{question}"),
                    q.map_or(question.as_str(), |q| q.prompt.as_str()),
                    "http://adlnet.gov/expapi/activities/cmi.interaction",
                ),
                at,
            );
            let correct = q
                .and_then(|q| q.options.get(*option))
                .is_some_and(|o| o.correct);
            st["result"] = json!({ "response": option.to_string(), "success": correct });
            st
        }
        Action::Ask { question } => {
            let h = s.history.iter().find(|h| &h.id == question);
            statement(
                state,
                ctx,
                &actor,
                verb(&format!("{ADL}asked"), "asked"),
                activity(
                    format!("{base}/history/{question}"),
                    h.map_or(question.as_str(), |h| h.question.as_str()),
                    "http://adlnet.gov/expapi/activities/interaction",
                ),
                at,
            )
        }
        Action::Talk { said, .. } => {
            let mut st = statement(
                state,
                ctx,
                &actor,
                verb(&format!("{ADL}asked"), "asked"),
                activity(
                    format!("{base}/history/free-text"),
                    "Talking with the patient",
                    "http://adlnet.gov/expapi/activities/interaction",
                ),
                at,
            );
            st["result"] = json!({ "response": said });
            st
        }
        other => {
            let kind = other.kind().expect("a clinical action");
            let mut st = statement(
                state,
                ctx,
                &actor,
                verb(&format!("{ADL}interacted"), "interacted"),
                activity(
                    format!("{base}/actions/{}", kind.code()),
                    kind.label(),
                    "http://adlnet.gov/expapi/activities/interaction",
                ),
                at,
            );
            st["result"] = json!({ "response": serde_json::to_string(other).unwrap_or_default() });
            st
        }
    };
    lms_store(state, ctx.org, vec![st])
        .await
        .map_err(AppError::Internal)
}

/// "completed" with the score, and "passed" or "failed".
pub async fn ended(state: &AppState, ctx: &RunContext<'_>, score: &Score) -> Result<(), AppError> {
    let actor = actor(state, ctx.person).await?;
    let object = activity(
        scenario_iri(state, ctx.scenario),
        &ctx.scenario.title,
        "http://adlnet.gov/expapi/activities/simulation",
    );
    let result = json!({
        "score": {
            "scaled": f64::from(score.percent) / 100.0,
            "raw": score.earned,
            "min": 0,
            "max": score.possible,
        },
        "success": score.passed,
        "completion": true,
        "duration": format!("PT{}S", score.ended_at),
    });
    let mut completed = statement(
        state,
        ctx,
        &actor,
        verb(&format!("{ADL}completed"), "completed"),
        object.clone(),
        score.ended_at,
    );
    completed["result"] = result.clone();
    let (id, display) = if score.passed {
        ("passed", "passed")
    } else {
        ("failed", "failed")
    };
    let mut judged = statement(
        state,
        ctx,
        &actor,
        verb(&format!("{ADL}{id}"), display),
        object,
        score.ended_at,
    );
    judged["result"] = result;
    for st in [&mut completed, &mut judged] {
        st["context"]["contextActivities"]
            .as_object_mut()
            .expect("an object")
            .remove("parent");
    }
    lms_store(state, ctx.org, vec![completed, judged])
        .await
        .map_err(AppError::Internal)
}
