//! The player and the debrief: one URL per run, the player while it runs and the debrief once it has ended.
//! Actions, clock controls and "I have finished" are forms; each carries the number of events the page was drawn
//! with, so a second window or a double click cannot add an action the learner did not see.

use super::chart;
use super::live::Live;
use crate::learning::learner;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_sim::clock::{ClockState, ControlKind, SPEEDS};
use lantern_sim::engine::{Action, Run, Shown, clock as mmss};
use lantern_sim::news2::Consciousness;
use lantern_sim::scenario::{ActionKind, Role, Scenario};
use lantern_sim::scoring::{Outcome, Score};
use std::collections::HashMap;

/// An AI suggestion as the panel shows it.
pub struct AiView {
    id: String,
    tool: String,
    kind: String,
    suggestion: String,
    confidence: u32,
    /// The evidence and the model card, once the learner has checked.
    checked: Option<(String, String)>,
    /// "Accepted" or "Overridden", once decided.
    decided: Option<&'static str>,
}

pub struct QuestionView {
    id: String,
    prompt: String,
    options: Vec<(usize, String)>,
}

/// One line of the observation chart: what was charted when, and the NEWS2 the learner gave.
pub struct ChartedView {
    time: String,
    rr: u16,
    spo2: String,
    bp: u16,
    pulse: u16,
    acvpu: &'static str,
    temp: String,
    news2: u8,
}

#[derive(Template, WebTemplate)]
#[template(path = "sim_player.html")]
pub struct PlayerPage {
    layout: Layout,
    ods: String,
    run: i64,
    seq: u32,
    scenario: Scenario,
    clock: ClockState,
    /// The monitor now, without a patient None.
    monitor: Option<Shown>,
    charted: Vec<ChartedView>,
    notes: Vec<String>,
    ai: Vec<AiView>,
    questions: Vec<QuestionView>,
    timeline: Vec<(String, String)>,
    speeds: &'static [u32],
    error: Option<String>,
    /// A team run's panel: who plays what, and the link to share while a role is open.
    team: Option<TeamPanel>,
    /// Why nothing can be done yet (a team run waiting for a colleague).
    waiting: Option<String>,
    /// The actions the caller's role takes in a team run; None when the learner plays alone.
    mine: Option<Vec<ActionKind>>,
    /// How many clock controls there have been: the page reloads when a colleague's changes it.
    controls: usize,
    /// The history taken so far: who asked (in a team), what, and the patient's answer.
    conversation: Vec<(Option<String>, String, String)>,
    /// The history questions not yet asked: id and question.
    to_ask: Vec<(String, String)>,
    /// The organisation has a model: the learner may talk to the patient in their own words.
    free_text: bool,
}

/// Who plays which role in a team run.
pub struct TeamPanel {
    /// The caller's role's title.
    me: String,
    /// Role title, name, and whether it is the caller.
    members: Vec<(String, String, bool)>,
    /// The titles of the roles no one has taken.
    open: Vec<String>,
    /// The link a colleague joins by.
    join_url: String,
}

impl PlayerPage {
    /// The caller may take this action: the scenario offers it and, in a team, the caller's role takes it.
    fn may(&self, a: &ActionKind) -> bool {
        self.scenario.actions.contains(a) && self.mine.as_ref().is_none_or(|m| m.contains(a))
    }

    fn time(&self) -> String {
        mmss(self.clock.at)
    }

    fn limit(&self) -> String {
        mmss(self.scenario.minutes * 60)
    }

    fn offers(&self, code: &str) -> bool {
        ActionKind::from_code(code).is_some_and(|a| self.may(&a))
    }

    fn roles(&self) -> Vec<(&'static str, &'static str)> {
        [
            Role::NurseInCharge,
            Role::WardDoctor,
            Role::Registrar,
            Role::CriticalCareOutreach,
            Role::Consultant,
        ]
        .into_iter()
        .map(|r| (r.code(), r.label()))
        .collect()
    }

    fn simple_actions(&self) -> Vec<(&'static str, &'static str)> {
        [
            ActionKind::Observe,
            ActionKind::Fluids,
            ActionKind::BloodCultures,
            ActionKind::Lactate,
            ActionKind::Antibiotics,
            ActionKind::CallRapidResponse,
        ]
        .into_iter()
        .filter(|a| self.may(a))
        .map(|a| (a.code(), a.label()))
        .collect()
    }

    fn monitor_rows(&self) -> Vec<(&'static str, String)> {
        let Some(m) = &self.monitor else {
            return Vec::new();
        };
        let o = &m.observations;
        vec![
            ("Respiration rate", format!("{} /min", o.respiration_rate)),
            (
                "SpO2",
                format!(
                    "{}% ({})",
                    o.spo2,
                    match m.oxygen {
                        Some(t) => format!("on oxygen, target {}%", t.code()),
                        None => "on air".to_owned(),
                    }
                ),
            ),
            (
                "Blood pressure (systolic)",
                format!("{} mmHg", o.systolic_bp),
            ),
            ("Pulse", format!("{} /min", o.pulse)),
            ("Consciousness", acvpu(o.consciousness).to_owned()),
            ("Temperature", temp(o.temperature_tenths)),
        ]
    }
}

fn acvpu(c: Consciousness) -> &'static str {
    match c {
        Consciousness::Alert => "Alert",
        Consciousness::NewConfusion => "New confusion",
        Consciousness::Voice => "Responds to voice",
        Consciousness::Pain => "Responds to pain",
        Consciousness::Unresponsive => "Unresponsive",
    }
}

fn temp(tenths: i16) -> String {
    format!("{}.{} °C", tenths / 10, tenths.rem_euclid(10))
}

/// What an action was, in words, for the timeline.
pub(super) fn describe(a: &Action, s: &Scenario) -> String {
    let ai_tool = |id: &str| {
        s.ai.iter()
            .find(|e| e.id == id)
            .map_or(id.to_owned(), |e| e.tool.clone())
    };
    match a {
        Action::RecordObservations { news2 } => format!("Recorded observations, NEWS2 {news2}"),
        Action::Escalate { to, sbar } => format!(
            "Escalated to {} ({})",
            to.label().to_lowercase(),
            if sbar.is_complete() {
                "full SBAR handover"
            } else {
                "SBAR incomplete"
            }
        ),
        Action::Oxygen { target } => format!("Gave oxygen, target {}%", target.code()),
        Action::Document { .. } => "Documented in the notes".to_owned(),
        Action::CheckEvidence { event } => {
            format!("Checked the evidence behind {}", ai_tool(event))
        }
        Action::Accept { event } => format!("Accepted {}'s suggestion", ai_tool(event)),
        Action::Override { event, .. } => format!("Overrode {}'s suggestion", ai_tool(event)),
        Action::Ask { question } => {
            let q = s.history.iter().find(|h| &h.id == question);
            format!(
                "Asked the patient: {}",
                q.map_or(question.as_str(), |h| h.question.as_str())
            )
        }
        Action::Talk { said, .. } => format!("Said to the patient: \"{said}\""),
        Action::Answer { question, option } => {
            let q = s.questions.iter().find(|q| &q.id == question);
            let text = q
                .and_then(|q| q.options.get(*option))
                .map_or("?".to_owned(), |o| o.text.clone());
            format!("Answered: {text}")
        }
        other => other
            .kind()
            .map_or("Action".to_owned(), |k| k.label().to_owned()),
    }
}

/// A run brought back for its learner: the organisation, the learner's scope there, and the run.
pub(crate) type Loaded = (
    lantern_domain::Organisation,
    lantern_domain::access::Scope,
    Live,
);

async fn load(state: &AppState, page: &Page, ods: &str, run: i64) -> Result<Loaded, AppError> {
    load_for(state, &page.caller, ods, run).await
}

/// The caller's own run, as a learner in the organisation.
pub(crate) async fn load_for(
    state: &AppState,
    caller: &crate::auth::Caller,
    ods: &str,
    run: i64,
) -> Result<Loaded, AppError> {
    let (org, person, scope) = learner(state, caller, ods).await?;
    let stored = state.store.sim_run(&scope, org.id, run).await?;
    Ok((org, scope, Live::new(stored, person)?))
}

pub enum RunPage {
    Player(Box<PlayerPage>),
    Debrief(Box<DebriefPage>),
}

impl IntoResponse for RunPage {
    fn into_response(self) -> Response {
        match self {
            RunPage::Player(p) => p.into_response(),
            RunPage::Debrief(d) => d.into_response(),
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, run)): Path<(String, i64)>,
) -> PageResult<RunPage> {
    let (org, _, live) = load(&state, &page, &ods, run).await?;
    if live.stored.result.is_some() {
        return Ok(RunPage::Debrief(Box::new(debrief(
            page.layout,
            &org,
            &live,
        )?)));
    }
    Ok(RunPage::Player(Box::new(
        player(&state, page.layout, &org, &live, None).await?,
    )))
}

async fn player(
    state: &AppState,
    layout: Layout,
    org: &lantern_domain::Organisation,
    live: &Live,
    error: Option<String>,
) -> Result<PlayerPage, AppError> {
    let clock = live.clock(chrono::Utc::now());
    let run = live.run()?;
    let minute = clock.at / 60;
    let trace = run.trace(minute);
    let s = &live.scenario;
    let monitor = run.shown(&trace, minute);
    let charted = live
        .actions
        .iter()
        .filter(|t| matches!(t.action, Action::RecordObservations { .. }))
        .filter_map(|t| {
            // The trace to now holds every earlier minute as it was then.
            let shown = run.shown(&trace, t.at / 60)?;
            let o = shown.observations;
            let Action::RecordObservations { news2 } = t.action else {
                return None;
            };
            Some(ChartedView {
                time: mmss(t.at),
                rr: o.respiration_rate,
                spo2: match shown.oxygen {
                    Some(_) => format!("{}% (O2)", o.spo2),
                    None => format!("{}%", o.spo2),
                },
                bp: o.systolic_bp,
                pulse: o.pulse,
                acvpu: acvpu(o.consciousness),
                temp: temp(o.temperature_tenths),
                news2,
            })
        })
        .collect();
    let showing = live.showing(&trace, minute);
    let ai = showing
        .ai
        .iter()
        .map(|a| {
            let e = a.event;
            AiView {
                id: e.id.clone(),
                tool: e.tool.clone(),
                kind: e.kind.clone(),
                suggestion: e.suggestion.clone(),
                confidence: (e.confidence * 100.0).round() as u32,
                checked: a
                    .checked
                    .then(|| (e.evidence.clone(), e.model_card.clone())),
                decided: a
                    .decided
                    .map(|accepted| if accepted { "Accepted" } else { "Overridden" }),
            }
        })
        .collect();
    let questions = showing
        .questions
        .iter()
        .map(|q| QuestionView {
            id: q.id.clone(),
            prompt: q.prompt.clone(),
            options: q
                .options
                .iter()
                .map(|o| o.text.clone())
                .enumerate()
                .collect(),
        })
        .collect();
    let notes = showing.notes;
    let timeline = live
        .timeline()
        .into_iter()
        .map(|(at, what)| (mmss(at), what))
        .collect();
    let team = live.stored.team.as_ref().map(|t| TeamPanel {
        me: live
            .me
            .as_deref()
            .map_or(String::new(), |me| live.role_title(me).to_owned()),
        members: t
            .members
            .iter()
            .map(|m| {
                (
                    live.role_title(&m.role).to_owned(),
                    m.name.clone(),
                    live.me.as_deref() == Some(m.role.as_str()),
                )
            })
            .collect(),
        open: live.open_roles().iter().map(|r| r.title.clone()).collect(),
        join_url: format!(
            "{}/orgs/{}/simulations/join/{}",
            state.auth.public_url.trim_end_matches('/'),
            org.ods_code,
            t.join_code
        ),
    });
    let mine = live
        .me
        .as_deref()
        .and_then(|me| s.role(me))
        .map(|r| r.actions.clone());
    let conversation = live
        .conversation()
        .into_iter()
        .map(|(who, q, a)| (who.map(str::to_owned), q.to_owned(), a.to_owned()))
        .collect();
    let to_ask = live
        .unasked()
        .into_iter()
        .map(|h| (h.id.clone(), h.question.clone()))
        .collect();
    let free_text = s.patient.is_some() && state.store.patient_model(org.id).await?.is_some();
    Ok(PlayerPage {
        layout,
        ods: org.ods_code.to_string(),
        run: live.stored.id,
        seq: live.next_seq(),
        scenario: s.clone(),
        clock,
        monitor,
        charted,
        notes,
        ai,
        questions,
        timeline,
        speeds: &SPEEDS,
        error,
        team,
        waiting: live.waiting(),
        mine,
        controls: live.controls.len(),
        conversation,
        to_ask,
        free_text,
    })
}

/// The form fields, with the event number the page was drawn with.
fn fields(form: &[(String, String)]) -> Result<(u32, HashMap<&str, &str>), AppError> {
    let map: HashMap<&str, &str> = form
        .iter()
        .filter(|(k, _)| k != "csrf_token")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let seq = map
        .get("seq")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| AppError::BadRequest("seq: the form is missing its event number".into()))?;
    Ok((seq, map))
}

/// Takes an action at the clock's time now; a refusal shows the player again with the reason (nothing stored).
pub async fn act(
    State(state): State<AppState>,
    page: Page,
    Path((ods, run_id)): Path<(String, i64)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let (org, scope, live) = load(&state, &page, &ods, run_id).await?;
    let (seq, mut map) = fields(&form)?;
    map.remove("seq");
    let verb = map.remove("do").unwrap_or_default().to_owned();
    // Blank optional fields are left out, as a script would.
    map.retain(|_, v| !v.trim().is_empty());
    // Free text to the patient: the reply comes from the organisation's model (`Live::act`), not the form.
    let parsed = match verb.as_str() {
        "talk" => Ok(Action::Talk {
            said: map
                .get("said")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            reply: String::new(),
        }),
        _ => lantern_sim::script::action(&verb, &mut map),
    };
    let refused = match parsed {
        Ok(action) => live.act(&state, &scope, seq, action).await?.err(),
        Err(reason) => Some(reason),
    };
    if let Some(reason) = refused {
        let p = player(&state, page.layout, &org, &live, Some(reason)).await?;
        return Ok((axum::http::StatusCode::BAD_REQUEST, p).into_response());
    }
    Ok(back(&org, run_id))
}

fn back(org: &lantern_domain::Organisation, run: i64) -> Response {
    Redirect::to(&format!("/orgs/{}/simulations/runs/{run}", org.ods_code)).into_response()
}

/// The speed a control asks for: `pause`, or one of [`SPEEDS`].
pub(crate) fn control(speed: &str) -> Result<ControlKind, AppError> {
    match speed {
        "pause" => Ok(ControlKind::Pause),
        s => match s.parse::<u32>() {
            Ok(speed) if SPEEDS.contains(&speed) => Ok(ControlKind::Run { speed }),
            _ => Err(AppError::BadRequest(format!(
                "speed must be pause or one of 1, 2, 5, 10, not {s:?}"
            ))),
        },
    }
}

/// Pauses the clock, or runs it at a speed (`speed`: pause, 1, 2, 5 or 10).
pub async fn clock(
    State(state): State<AppState>,
    page: Page,
    Path((ods, run_id)): Path<(String, i64)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let (org, scope, live) = load(&state, &page, &ods, run_id).await?;
    let (seq, map) = fields(&form)?;
    let speed = map
        .get("speed")
        .ok_or_else(|| AppError::BadRequest("speed: choose pause or a speed".into()))?;
    live.set_clock(&state, &scope, seq, control(speed)?).await?;
    Ok(back(&org, run_id))
}

/// Ends the run now (or at the time limit, if it has passed), scores it and records a pass.
pub async fn end(
    State(state): State<AppState>,
    page: Page,
    Path((ods, run_id)): Path<(String, i64)>,
) -> PageResult<Response> {
    let (org, scope, live) = load(&state, &page, &ods, run_id).await?;
    live.end(&state, &scope, &org).await?;
    Ok(back(&org, run_id))
}

/// A row of the debrief's timeline: an expected action and what happened.
pub struct ExpectedRow {
    what: String,
    why: String,
    window: String,
    done: String,
    outcome: &'static str,
    points: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "sim_debrief.html")]
pub struct DebriefPage {
    layout: Layout,
    ods: String,
    scenario: Scenario,
    score: Score,
    expected: Vec<ExpectedRow>,
    timeline: Vec<(String, String)>,
    chart: Option<chart::Chart>,
    /// The course module the run counted for, if any.
    module: Option<lantern_store::sims::RunModule>,
    /// Someone else's debrief (a manager's, an admin's or an auditor's view of a learner's run): their name and
    /// person id. None for the learner's own.
    learner: Option<(String, i64)>,
    /// In a team run: the role this debrief scores (its title), the team's percent and pass, and each member's
    /// role title, name, percent and pass.
    team: Option<TeamDebrief>,
}

pub struct TeamDebrief {
    role: String,
    percent: u8,
    passed: bool,
    members: Vec<MemberLine>,
}

/// A member of a team run, on the debrief: role title, name, and their percent and pass.
pub struct MemberLine {
    title: String,
    name: String,
    result: Option<(u8, bool)>,
}

impl DebriefPage {
    fn clock(&self, at: &u32) -> String {
        mmss(*at)
    }
}

pub(super) fn debrief(
    layout: Layout,
    org: &lantern_domain::Organisation,
    live: &Live,
) -> Result<DebriefPage, AppError> {
    let run: Run = live.run()?;
    let score = live.score_mine(&run);
    let s = &live.scenario;
    let expected = score
        .expected
        .iter()
        .map(|e| ExpectedRow {
            what: match e.any_of.is_empty() {
                true => e.action.label().to_owned(),
                false => format!(
                    "{} ({})",
                    e.action.label(),
                    e.any_of.join(" or ").replace('_', " ")
                ),
            },
            why: e.why.clone(),
            window: e.window.map_or("Never came".to_owned(), |(open, close)| {
                format!("{open:02}:00 to {close:02}:00")
            }),
            done: e.done_at.map_or("-".to_owned(), mmss),
            outcome: match e.outcome {
                // Done, though what calls for it never came (the learner acted first, or it was prevented): said
                // plainly, so neither learner nor educator reads it as timely.
                Outcome::OnTime if e.window.is_none() => "Before it was called for",
                Outcome::OnTime => "On time",
                Outcome::Late => "Late",
                Outcome::Missed => "Missed",
                Outcome::NotDue => "Not needed",
            },
            points: format!("{} of {}", e.earned, e.possible),
        })
        .collect();
    let timeline = live
        .timeline()
        .into_iter()
        .map(|(at, what)| (mmss(at), what))
        .collect();
    let chart = s.patient.as_ref().map(|_| chart::Chart::of(&run, &score));
    let team = match (&live.stored.team, &live.stored.result) {
        (Some(t), Some(r)) => Some(TeamDebrief {
            role: live
                .me
                .as_deref()
                .map_or(String::new(), |me| live.role_title(me).to_owned()),
            percent: r.percent,
            passed: r.passed,
            members: t
                .members
                .iter()
                .map(|m| {
                    let result = live.member_result(&m.role);
                    MemberLine {
                        title: live.role_title(&m.role).to_owned(),
                        name: m.name.clone(),
                        result: result.map(|r| (r.percent, r.passed)),
                    }
                })
                .collect(),
        }),
        _ => None,
    };
    Ok(DebriefPage {
        layout,
        ods: org.ods_code.to_string(),
        scenario: s.clone(),
        score,
        expected,
        timeline,
        chart,
        module: live.stored.module.clone(),
        learner: None,
        team,
    })
}

/// A learner's ended run, as those who may see the person read it (`Action::ViewPerson`, within the caller's
/// scope): the same debrief, with nothing to play.
pub async fn overseen(
    State(state): State<AppState>,
    page: Page,
    Path((ods, person, run)): Path<(String, i64, i64)>,
) -> PageResult<DebriefPage> {
    let scope = page.caller.scope();
    let org = state.store.org_by_code(&scope, &ods).await?;
    let person = lantern_domain::PersonId(person);
    page.caller
        .require(lantern_domain::access::Action::ViewPerson(org.id, person))?;
    let stored = state.store.sim_run(&scope, org.id, run).await?;
    let member = stored
        .team
        .as_ref()
        .is_some_and(|t| t.members.iter().any(|m| m.person == person));
    if (stored.person != person && !member) || stored.result.is_none() {
        return Err(AppError::NotFound.into());
    }
    let name = state
        .store
        .people_posts(&scope, org.id, &[person])
        .await?
        .into_iter()
        .next()
        .map(|(n, _)| format!("{} {}", n.given_name, n.family_name))
        .ok_or(AppError::NotFound)?;
    let live = Live::new(stored, person)?;
    let mut d = debrief(page.layout, &org, &live)?;
    d.learner = Some((name, person.0));
    Ok(d)
}
