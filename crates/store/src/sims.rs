//! Simulations' storage: the scenarios played (by digest, so a run replays against the file it was played with),
//! each learner's runs, their events (clock controls and actions, with the simulated second the server worked out),
//! and each run's result. A pass writes a training record for each competency the scenario gives, through the one
//! batch path, in the same transaction as the result. The rules (the engine, the score) are `lantern_sim`'s; this
//! module keeps what they decide. A run may be played as a module of a course (`NewRun::module`): its result is
//! then the module's state, in the same transaction, and completes the course when it was the last module left.
//! Append-only on both backends (migrations 0025 and 0026).

use crate::Result;
use crate::scope::Scope;
use async_trait::async_trait;
use lantern_domain::{AccountId, Date, OrgId, PersonId, RequirementKey, Timestamp};

/// A run to start.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRun<'a> {
    pub org: OrgId,
    pub person: PersonId,
    pub account: AccountId,
    pub scenario_id: &'a str,
    /// The scenario file as played, and its SHA-256 in hex.
    pub scenario_body: &'a str,
    pub digest: &'a str,
    pub seed: u64,
    /// The xAPI registration (a UUID) the run's statements carry.
    pub registration: &'a str,
    /// The course module the run is played for, if any: it must be the learner's own attempt's open module of kind
    /// simulation, for this scenario.
    pub module: Option<RunModule>,
}

/// The course module a run counts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunModule {
    pub attempt: i64,
    pub key: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A clock control (`lantern_sim::clock::Control` as JSON).
    Control,
    /// An action (`lantern_sim::engine::Action` as JSON).
    Action,
}

impl EventKind {
    pub fn code(self) -> &'static str {
        match self {
            EventKind::Control => "control",
            EventKind::Action => "action",
        }
    }
}

/// An event to append to a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NewEvent<'a> {
    /// The number the caller expects it to take: the count of events the caller has seen.
    pub seq: u32,
    pub kind: EventKind,
    pub sim_at: u32,
    /// JSON.
    pub body: &'a str,
    pub now: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SimEvent {
    /// 0, 1, 2, ... within the run.
    pub seq: u32,
    pub kind: EventKind,
    /// The simulated second it happened at.
    pub sim_at: u32,
    /// JSON.
    pub body: String,
    pub recorded_at: Timestamp,
}

/// A run's result, as stored once when it ends.
#[derive(Clone, Debug, PartialEq)]
pub struct SimResult {
    pub ended_at_sim: u32,
    pub percent: u8,
    pub passed: bool,
    /// `lantern_sim::scoring::Score` as JSON.
    pub score: String,
    pub recorded_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredRun {
    pub id: i64,
    pub org: OrgId,
    pub person: PersonId,
    pub account: AccountId,
    pub scenario_id: String,
    pub digest: String,
    /// The scenario file it was played with.
    pub scenario_body: String,
    pub seed: u64,
    pub registration: String,
    pub started_at: Timestamp,
    pub module: Option<RunModule>,
    pub events: Vec<SimEvent>,
    pub result: Option<SimResult>,
}

/// A run as lists show it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSummary {
    pub id: i64,
    pub person: PersonId,
    pub scenario_id: String,
    pub started_at: Timestamp,
    pub module: Option<RunModule>,
    /// Percent, passed, when.
    pub result: Option<(u8, bool, Timestamp)>,
}

/// An ended run, as results across learners read it.
#[derive(Clone, Debug, PartialEq)]
pub struct EndedRun {
    pub id: i64,
    pub person: PersonId,
    pub scenario_id: String,
    pub passed: bool,
    pub percent: u8,
    /// `lantern_sim::scoring::Score` as JSON.
    pub score: String,
    pub ended_at: Timestamp,
}

#[async_trait]
pub trait SimStore: Send + Sync {
    /// Starts a run (storing the scenario file the first time it is played). NotFound when the person is outside
    /// the caller's scope; refused, naming the field, when `run.module` is not the person's open simulation module
    /// for this scenario.
    async fn start_sim_run(&self, scope: &Scope, run: &NewRun<'_>, now: Timestamp) -> Result<i64>;

    /// A run with its events and result, if its person is within the caller's scope.
    async fn sim_run(&self, scope: &Scope, org: OrgId, id: i64) -> Result<StoredRun>;

    /// Appends an event as number `event.seq`: refused (naming `run`) when another event took that number first or
    /// the run has ended, so two tabs cannot interleave unseen.
    async fn append_sim_event(
        &self,
        scope: &Scope,
        org: OrgId,
        run: i64,
        event: NewEvent<'_>,
    ) -> Result<()>;

    /// Ends a run with its result; when it passed, a training record for each of `records` completed `today`, in
    /// the same transaction. A run played for a course module sets the module's state too (completed on a pass, not
    /// passed yet otherwise), completing the course when it was the last. Refused when the run has already ended.
    async fn finish_sim_run(
        &self,
        scope: &Scope,
        org: OrgId,
        run: i64,
        result: &SimResult,
        records: &[RequirementKey],
        today: Date,
    ) -> Result<()>;

    /// A person's runs in the organisation, newest first; none when the person is outside the caller's scope.
    async fn sim_runs(
        &self,
        scope: &Scope,
        org: OrgId,
        person: PersonId,
    ) -> Result<Vec<RunSummary>>;

    /// Every ended run in the organisation of the people in the caller's scope, in the order they were started.
    async fn ended_sim_runs(&self, scope: &Scope, org: OrgId) -> Result<Vec<EndedRun>>;
}

macro_rules! impl_sim_store {
    ($store:ident, $db:ty) => {
        mod sim_store {
            use super::$store;
            use crate::batch::{BatchProblem, RecordRow, WriteBatch};
            use crate::sims::*;
            use crate::{Result, Scope, StoreError};
            use async_trait::async_trait;
            use lantern_domain::{AccountId, Date, OrgId, OrgType, PersonId, RequirementKey, Timestamp};
            use lantern_learning::course::{ModuleKind, ModuleState};
            use sqlx::Row;

            type DbRow = <$db as sqlx::Database>::Row;
            type Tx<'c> = sqlx::Transaction<'c, $db>;

            fn rejected(message: impl Into<String>) -> StoreError {
                StoreError::Rejected(vec![BatchProblem { line: 1, field: "run".into(), message: message.into() }])
            }

            fn corrupt(column: &'static str, e: impl std::fmt::Display) -> StoreError {
                StoreError::Corrupt { column, message: e.to_string() }
            }

            fn small(column: &'static str, v: i64) -> Result<u32> {
                u32::try_from(v).map_err(|e| corrupt(column, e))
            }

            const RUN: &str = "SELECT r.id, r.org_id, r.person_id, r.account_id, r.scenario_id, r.scenario_digest, \
                s.body, r.seed, r.registration, r.started_at, m.attempt_id, m.module_key \
                FROM sim_runs r JOIN sim_scenarios s ON s.digest = r.scenario_digest LEFT JOIN sim_run_modules m ON m.run_id = r.id \
                WHERE r.org_id = $1 AND r.id = $2";

            fn module_from(r: &DbRow) -> Result<Option<RunModule>> {
                Ok(match r.try_get::<Option<i64>, _>("attempt_id")? {
                    Some(attempt) => Some(RunModule { attempt, key: r.try_get("module_key")? }),
                    None => None,
                })
            }

            fn result_from(r: &DbRow) -> Result<SimResult> {
                Ok(SimResult {
                    ended_at_sim: small("sim_results.ended_at_sim", r.try_get("ended_at_sim")?)?,
                    percent: u8::try_from(r.try_get::<i64, _>("percent")?).map_err(|e| corrupt("sim_results.percent", e))?,
                    passed: r.try_get("passed")?,
                    score: r.try_get("score")?,
                    recorded_at: r.try_get("recorded_at")?,
                })
            }

            impl $store {
                /// The run's person, if the caller sees them.
                async fn sim_visible_run(&self, scope: &Scope, org: OrgId, id: i64) -> Result<DbRow> {
                    let row = sqlx::query(RUN).bind(org.0).bind(id).fetch_optional(&self.pool).await?.ok_or(StoreError::NotFound)?;
                    let person = PersonId(row.try_get("person_id")?);
                    if !self.visible_people(scope, org, &[person]).await?.contains(&person.0) {
                        return Err(StoreError::NotFound);
                    }
                    Ok(row)
                }

                async fn sim_ended(tx: &mut Tx<'_>, run: i64) -> Result<bool> {
                    Ok(sqlx::query_scalar::<_, i64>("SELECT run_id FROM sim_results WHERE run_id = $1")
                        .bind(run).fetch_optional(&mut **tx).await?.is_some())
                }
            }

            #[async_trait]
            impl SimStore for $store {
                async fn start_sim_run(&self, scope: &Scope, run: &NewRun<'_>, now: Timestamp) -> Result<i64> {
                    if !self.visible_people(scope, run.org, &[run.person]).await?.contains(&run.person.0) {
                        return Err(StoreError::NotFound);
                    }
                    let mut tx = self.begin_write().await?;
                    if let Some(m) = &run.module {
                        let a = self.learning_visible_attempt(&mut tx, scope, run.org, m.attempt).await?;
                        if a.person != run.person {
                            return Err(StoreError::NotFound);
                        }
                        let i = Self::learning_check_open(&a, &m.key)?;
                        match &a.course.modules[i].kind {
                            ModuleKind::Simulation { scenario } if scenario == run.scenario_id => {}
                            _ => {
                                return Err(StoreError::Rejected(vec![BatchProblem {
                                    line: 1,
                                    field: "module".into(),
                                    message: format!("\"{}\" is not a module for the simulation {}", a.course.modules[i].title, run.scenario_id),
                                }]));
                            }
                        }
                        if a.states[i] == ModuleState::NotStarted {
                            Self::learning_module_event(&mut tx, a.id, &m.key, ModuleState::InProgress, now).await?;
                        }
                    }
                    let known: Option<String> = sqlx::query_scalar("SELECT digest FROM sim_scenarios WHERE digest = $1")
                        .bind(run.digest).fetch_optional(&mut *tx).await?;
                    if known.is_none() {
                        sqlx::query("INSERT INTO sim_scenarios (digest, scenario_id, body, stored_at) VALUES ($1, $2, $3, $4)")
                            .bind(run.digest).bind(run.scenario_id).bind(run.scenario_body).bind(now)
                            .execute(&mut *tx).await?;
                    }
                    // Seeds are stored as signed 64-bit integers, bit for bit.
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO sim_runs (org_id, person_id, account_id, scenario_id, scenario_digest, seed, registration, started_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
                        .bind(run.org.0).bind(run.person.0).bind(run.account.0).bind(run.scenario_id).bind(run.digest)
                        .bind(run.seed as i64).bind(run.registration).bind(now)
                        .fetch_one(&mut *tx).await?;
                    if let Some(m) = &run.module {
                        sqlx::query("INSERT INTO sim_run_modules (run_id, attempt_id, module_key) VALUES ($1, $2, $3)")
                            .bind(id).bind(m.attempt).bind(&m.key).execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(id)
                }

                async fn sim_run(&self, scope: &Scope, org: OrgId, id: i64) -> Result<StoredRun> {
                    let row = self.sim_visible_run(scope, org, id).await?;
                    let events = sqlx::query("SELECT seq, kind, sim_at, body, recorded_at FROM sim_events WHERE run_id = $1 ORDER BY seq")
                        .bind(id).fetch_all(&self.pool).await?
                        .iter()
                        .map(|e| {
                            Ok(SimEvent {
                                seq: small("sim_events.seq", e.try_get::<i64, _>("seq")?)?,
                                kind: match e.try_get::<String, _>("kind")?.as_str() {
                                    "control" => EventKind::Control,
                                    "action" => EventKind::Action,
                                    other => return Err(corrupt("sim_events.kind", other)),
                                },
                                sim_at: small("sim_events.sim_at", e.try_get::<i64, _>("sim_at")?)?,
                                body: e.try_get("body")?,
                                recorded_at: e.try_get("recorded_at")?,
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    let result = sqlx::query("SELECT ended_at_sim, percent, passed, score, recorded_at FROM sim_results WHERE run_id = $1")
                        .bind(id).fetch_optional(&self.pool).await?
                        .map(|r| result_from(&r)).transpose()?;
                    Ok(StoredRun {
                        id,
                        org: OrgId(row.try_get("org_id")?),
                        person: PersonId(row.try_get("person_id")?),
                        account: AccountId(row.try_get("account_id")?),
                        scenario_id: row.try_get("scenario_id")?,
                        digest: row.try_get("scenario_digest")?,
                        scenario_body: row.try_get("body")?,
                        seed: row.try_get::<i64, _>("seed")? as u64,
                        registration: row.try_get("registration")?,
                        started_at: row.try_get("started_at")?,
                        module: module_from(&row)?,
                        events,
                        result,
                    })
                }

                async fn append_sim_event(&self, scope: &Scope, org: OrgId, run: i64, event: NewEvent<'_>) -> Result<()> {
                    let NewEvent { seq, kind, sim_at, body, now } = event;
                    self.sim_visible_run(scope, org, run).await?;
                    let mut tx = self.begin_write().await?;
                    if Self::sim_ended(&mut tx, run).await? {
                        return Err(rejected("this run has ended"));
                    }
                    let next: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sim_events WHERE run_id = $1")
                        .bind(run).fetch_one(&mut *tx).await?;
                    if next != i64::from(seq) {
                        return Err(rejected("the run changed in another window: reload the page and try again"));
                    }
                    sqlx::query("INSERT INTO sim_events (run_id, seq, kind, sim_at, body, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(run).bind(i64::from(seq)).bind(kind.code()).bind(i64::from(sim_at)).bind(body).bind(now)
                        .execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn finish_sim_run(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    run: i64,
                    result: &SimResult,
                    records: &[RequirementKey],
                    today: Date,
                ) -> Result<()> {
                    let row = self.sim_visible_run(scope, org, run).await?;
                    let person = PersonId(row.try_get("person_id")?);
                    let mut tx = self.begin_write().await?;
                    if Self::sim_ended(&mut tx, run).await? {
                        return Err(rejected("this run has already ended"));
                    }
                    sqlx::query("INSERT INTO sim_results (run_id, ended_at_sim, percent, passed, score, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(run).bind(i64::from(result.ended_at_sim)).bind(i64::from(result.percent)).bind(result.passed)
                        .bind(&result.score).bind(result.recorded_at)
                        .execute(&mut *tx).await?;
                    if result.passed && !records.is_empty() {
                        let o = sqlx::query("SELECT ods_code, name, org_type FROM organisations WHERE id = $1")
                            .bind(org.0).fetch_one(&mut *tx).await?;
                        let ods: String = o.try_get("ods_code")?;
                        let org_type = OrgType::parse(&o.try_get::<String, _>("org_type")?)
                            .ok_or_else(|| corrupt("organisations.org_type", "unknown"))?;
                        let number: String = sqlx::query_scalar("SELECT employee_number FROM people WHERE id = $1")
                            .bind(person.0).fetch_one(&mut *tx).await?;
                        let mut batch = WriteBatch { only_org: Some(ods.clone()), recorded_at: Some(result.recorded_at), ..WriteBatch::default() };
                        for k in records {
                            batch.records.push(RecordRow {
                                line: batch.records.len() + 1,
                                employee_number: number.clone(),
                                subject: k.subject.clone(),
                                level: k.level,
                                completed_on: today,
                                hours: None,
                                provider: o.try_get("name")?,
                                provider_type: lantern_domain::xapi_mapping::provider_type_of(org_type),
                                provider_org: Some(ods.clone()),
                                source: lantern_domain::RecordSource::Simulation,
                                evidence_ref: Some(format!("simulation run {run}")),
                                recorded_at: None,
                            });
                        }
                        self.write_tx(&mut tx, &batch).await?;
                    }
                    if let Some(m) = module_from(&row)? {
                        // The module's state follows the run, unless the attempt finished meanwhile (another run of
                        // the module passed first, say) or the module already passed.
                        let mut a = self.learning_attempt_in(&mut tx, org, m.attempt).await?;
                        let i = a.course.modules.iter().position(|x| x.key == m.key);
                        if let Some(i) = i.filter(|_| a.completed_at.is_none())
                            && a.states[i] != ModuleState::Completed
                        {
                            let state = if result.passed { ModuleState::Completed } else { ModuleState::Failed };
                            Self::learning_module_event(&mut tx, a.id, &m.key, state, result.recorded_at).await?;
                            a.states[i] = state;
                            self.learning_complete_if_done(&mut tx, &mut a, result.recorded_at, today).await?;
                        }
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn sim_runs(&self, scope: &Scope, org: OrgId, person: PersonId) -> Result<Vec<RunSummary>> {
                    if !self.visible_people(scope, org, &[person]).await?.contains(&person.0) {
                        return Ok(Vec::new());
                    }
                    let rows = sqlx::query("SELECT r.id, r.scenario_id, r.started_at, s.percent, s.passed, s.recorded_at, m.attempt_id, m.module_key \
                            FROM sim_runs r LEFT JOIN sim_results s ON s.run_id = r.id LEFT JOIN sim_run_modules m ON m.run_id = r.id \
                            WHERE r.org_id = $1 AND r.person_id = $2 ORDER BY r.id DESC")
                        .bind(org.0).bind(person.0).fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| {
                            let result = match r.try_get::<Option<i64>, _>("percent")? {
                                Some(p) => Some((
                                    u8::try_from(p).map_err(|e| corrupt("sim_results.percent", e))?,
                                    r.try_get::<bool, _>("passed")?,
                                    r.try_get::<Timestamp, _>("recorded_at")?,
                                )),
                                None => None,
                            };
                            Ok(RunSummary {
                                id: r.try_get("id")?,
                                person,
                                scenario_id: r.try_get("scenario_id")?,
                                started_at: r.try_get("started_at")?,
                                module: module_from(r)?,
                                result,
                            })
                        })
                        .collect()
                }

                async fn ended_sim_runs(&self, scope: &Scope, org: OrgId) -> Result<Vec<EndedRun>> {
                    let rows = sqlx::query("SELECT r.id, r.person_id, r.scenario_id, s.percent, s.passed, s.score, s.recorded_at \
                            FROM sim_runs r JOIN sim_results s ON s.run_id = r.id WHERE r.org_id = $1 ORDER BY r.id")
                        .bind(org.0).fetch_all(&self.pool).await?;
                    let people: Vec<PersonId> = rows.iter().map(|r| r.try_get("person_id").map(PersonId)).collect::<std::result::Result<_, _>>()?;
                    let visible = self.visible_people(scope, org, &people).await?;
                    rows.iter()
                        .filter(|r| r.try_get::<i64, _>("person_id").is_ok_and(|p| visible.contains(&p)))
                        .map(|r| {
                            Ok(EndedRun {
                                id: r.try_get("id")?,
                                person: PersonId(r.try_get("person_id")?),
                                scenario_id: r.try_get("scenario_id")?,
                                passed: r.try_get("passed")?,
                                percent: u8::try_from(r.try_get::<i64, _>("percent")?).map_err(|e| corrupt("sim_results.percent", e))?,
                                score: r.try_get("score")?,
                                ended_at: r.try_get("recorded_at")?,
                            })
                        })
                        .collect()
                }
            }
        }
    };
}

pub(crate) use impl_sim_store;
