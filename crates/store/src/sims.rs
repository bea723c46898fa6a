//! Simulations' storage: the scenarios played (by digest, so a run replays against the file it was played with),
//! each learner's runs, their events (clock controls and actions, with the simulated second the server worked out),
//! and each run's result. A pass writes a training record for each competency the scenario gives, through the one
//! batch path, in the same transaction as the result. The rules (the engine, the score) are `lantern_sim`'s; this
//! module keeps what they decide. A run may be played as a module of a course (`NewRun::module`): its result is
//! then the module's state, in the same transaction, and completes the course when it was the last module left.
//!
//! A team run (a scenario with roles, `NewRun::team`) is played by several learners at once, one per role: the one
//! who starts it takes a role, and colleagues join by its join code, each taking a free one. Each event names the
//! role that took it; a member sees the run as their own; when it ends each member gets their own result and, on a
//! pass, their own training records, in the same transaction as the team's.
//! Append-only on both backends (migrations 0025 to 0027).

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
    /// For a team scenario: the role the starter takes and the code colleagues join by. Never with `module`.
    pub team: Option<NewTeam<'a>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewTeam<'a> {
    pub role: &'a str,
    pub join_code: &'a str,
}

/// A colleague joining a team run by its code, in a role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Join<'a> {
    pub code: &'a str,
    pub person: PersonId,
    pub account: AccountId,
    pub role: &'a str,
}

/// A learner in a team run, in their role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub role: String,
    pub person: PersonId,
    /// Given and family name: team-mates see each other's.
    pub name: String,
    pub joined_at: Timestamp,
}

impl Member {
    /// Whether this member plays the team role `role` (a scenario's role, not an access role).
    pub fn plays(&self, role: &str) -> bool {
        self.role == role
    }
}

/// A team run's join code and who has joined, in the order they joined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    pub join_code: String,
    pub members: Vec<Member>,
}

/// What a join link shows before the colleague joins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamInvite {
    pub run: i64,
    pub scenario_id: String,
    pub members: Vec<Member>,
    pub ended: bool,
}

/// One member's result of a team run: their role's part and the team's shared parts.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberResult {
    pub role: String,
    pub person: PersonId,
    pub percent: u8,
    pub passed: bool,
    /// `lantern_sim::scoring::Score` as JSON.
    pub score: String,
}

impl MemberResult {
    /// Whether this is the result of the team role `role`.
    pub fn plays(&self, role: &str) -> bool {
        self.role == role
    }
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
    /// In a team run, the role taking it (a member the caller may act as); None in a run one learner plays.
    pub role: Option<&'a str>,
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
    /// The role that took it, in a team run.
    pub role: Option<String>,
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
    /// In a team run, each member's own result (exactly one per member); empty otherwise.
    pub members: Vec<MemberResult>,
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
    /// A team run's code and members (the starter among them).
    pub team: Option<Team>,
    pub events: Vec<SimEvent>,
    /// The result; in a team run, the team's, with each member's own.
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
    /// The person's role, in a team run.
    pub role: Option<String>,
    /// Percent, passed, when: the person's own in a team run.
    pub result: Option<(u8, bool, Timestamp)>,
}

/// An ended run, as results across learners read it: one per member of a team run, with their own result.
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

    /// Joins a team run by its code in a free role: the run's id. Joining a run one is already in changes nothing.
    /// NotFound for an unknown code or a person outside the caller's scope; refused, naming the field, when the
    /// role is taken or the run has ended. The caller checks the role is one of the scenario's.
    async fn join_sim_run(
        &self,
        scope: &Scope,
        org: OrgId,
        join: &Join<'_>,
        now: Timestamp,
    ) -> Result<i64>;

    /// The team run a join code opens, with who has joined (for anyone in the organisation who has the link).
    async fn sim_team_invite(&self, scope: &Scope, org: OrgId, code: &str) -> Result<TeamInvite>;

    /// A run with its events and result, if its person (or, in a team run, one of its members) is within the
    /// caller's scope.
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
    /// the same transaction. A team run takes each member's result in `result.members` (exactly one per member), and
    /// each member who passed gets the records; the team's `result.passed` records nothing by itself. A run played for a course module sets the module's state too (completed on a pass, not
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

    /// A person's runs in the organisation (team runs they are a member of among them), newest first; none when
    /// the person is outside the caller's scope.
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
                    members: Vec::new(),
                })
            }

            fn taken(e: sqlx::Error, message: String) -> StoreError {
                match &e {
                    sqlx::Error::Database(d) if d.is_unique_violation() => {
                        StoreError::Rejected(vec![BatchProblem { line: 1, field: "role".into(), message }])
                    }
                    _ => e.into(),
                }
            }

            impl $store {
                /// The run, if the caller sees its person or, in a team run, one of its members.
                async fn sim_visible_run(&self, scope: &Scope, org: OrgId, id: i64) -> Result<(DbRow, Vec<Member>)> {
                    let row = sqlx::query(RUN).bind(org.0).bind(id).fetch_optional(&self.pool).await?.ok_or(StoreError::NotFound)?;
                    let members = self.sim_members(id).await?;
                    let mut people = vec![PersonId(row.try_get("person_id")?)];
                    people.extend(members.iter().map(|m| m.person));
                    if self.visible_people(scope, org, &people).await?.is_empty() {
                        return Err(StoreError::NotFound);
                    }
                    Ok((row, members))
                }

                /// A team run's members in the order they joined; none for a run one learner plays.
                async fn sim_members(&self, run: i64) -> Result<Vec<Member>> {
                    sqlx::query("SELECT m.role, m.person_id, m.joined_at, p.given_name, p.family_name \
                            FROM sim_run_members m JOIN people p ON p.id = m.person_id WHERE m.run_id = $1 ORDER BY m.joined_at, m.role")
                        .bind(run).fetch_all(&self.pool).await?
                        .iter()
                        .map(|r| {
                            Ok(Member {
                                role: r.try_get("role")?,
                                person: PersonId(r.try_get("person_id")?),
                                name: format!("{} {}", r.try_get::<String, _>("given_name")?, r.try_get::<String, _>("family_name")?),
                                joined_at: r.try_get("joined_at")?,
                            })
                        })
                        .collect()
                }

                async fn sim_ended(tx: &mut Tx<'_>, run: i64) -> Result<bool> {
                    Ok(sqlx::query_scalar::<_, i64>("SELECT run_id FROM sim_results WHERE run_id = $1")
                        .bind(run).fetch_optional(&mut **tx).await?.is_some())
                }

                #[allow(clippy::too_many_arguments)]
                /// A training record for each of `records` for each of `people`, completed `today`, as the
                /// organisation's simulation evidence for `run`.
                async fn sim_records(
                    &self,
                    tx: &mut Tx<'_>,
                    org: OrgId,
                    run: i64,
                    people: &[PersonId],
                    records: &[RequirementKey],
                    recorded_at: Timestamp,
                    today: Date,
                ) -> Result<()> {
                    if people.is_empty() || records.is_empty() {
                        return Ok(());
                    }
                    let o = sqlx::query("SELECT ods_code, name, org_type FROM organisations WHERE id = $1")
                        .bind(org.0).fetch_one(&mut **tx).await?;
                    let ods: String = o.try_get("ods_code")?;
                    let org_type = OrgType::parse(&o.try_get::<String, _>("org_type")?)
                        .ok_or_else(|| corrupt("organisations.org_type", "unknown"))?;
                    let mut batch = WriteBatch { only_org: Some(ods.clone()), recorded_at: Some(recorded_at), ..WriteBatch::default() };
                    for person in people {
                        let number: String = sqlx::query_scalar("SELECT employee_number FROM people WHERE id = $1")
                            .bind(person.0).fetch_one(&mut **tx).await?;
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
                    }
                    self.write_tx(tx, &batch).await?;
                    Ok(())
                }
            }

            #[async_trait]
            impl SimStore for $store {
                async fn start_sim_run(&self, scope: &Scope, run: &NewRun<'_>, now: Timestamp) -> Result<i64> {
                    if !self.visible_people(scope, run.org, &[run.person]).await?.contains(&run.person.0) {
                        return Err(StoreError::NotFound);
                    }
                    if run.team.is_some() && run.module.is_some() {
                        return Err(StoreError::Rejected(vec![BatchProblem {
                            line: 1,
                            field: "module".into(),
                            message: "a team simulation is not played as a course module".into(),
                        }]));
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
                    if let Some(t) = &run.team {
                        sqlx::query("INSERT INTO sim_team_runs (run_id, join_code) VALUES ($1, $2)")
                            .bind(id).bind(t.join_code).execute(&mut *tx).await?;
                        sqlx::query("INSERT INTO sim_run_members (run_id, role, person_id, account_id, joined_at) VALUES ($1, $2, $3, $4, $5)")
                            .bind(id).bind(t.role).bind(run.person.0).bind(run.account.0).bind(now)
                            .execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(id)
                }

                async fn join_sim_run(&self, scope: &Scope, org: OrgId, join: &Join<'_>, now: Timestamp) -> Result<i64> {
                    if !self.visible_people(scope, org, &[join.person]).await?.contains(&join.person.0) {
                        return Err(StoreError::NotFound);
                    }
                    let invite = self.sim_team_invite(scope, org, join.code).await?;
                    if invite.members.iter().any(|m| m.person == join.person) {
                        return Ok(invite.run);
                    }
                    let mut tx = self.begin_write().await?;
                    if Self::sim_ended(&mut tx, invite.run).await? {
                        return Err(rejected("this run has ended"));
                    }
                    let message = format!("the {} role has been taken: choose another", join.role);
                    sqlx::query("INSERT INTO sim_run_members (run_id, role, person_id, account_id, joined_at) VALUES ($1, $2, $3, $4, $5)")
                        .bind(invite.run).bind(join.role).bind(join.person.0).bind(join.account.0).bind(now)
                        .execute(&mut *tx).await.map_err(|e| taken(e, message))?;
                    tx.commit().await?;
                    Ok(invite.run)
                }

                async fn sim_team_invite(&self, scope: &Scope, org: OrgId, code: &str) -> Result<TeamInvite> {
                    if !scope.sees_org(org) {
                        return Err(StoreError::NotFound);
                    }
                    let row = sqlx::query("SELECT r.id, r.scenario_id, s.run_id AS ended FROM sim_team_runs t JOIN sim_runs r ON r.id = t.run_id \
                            LEFT JOIN sim_results s ON s.run_id = r.id WHERE t.join_code = $1 AND r.org_id = $2")
                        .bind(code).bind(org.0).fetch_optional(&self.pool).await?.ok_or(StoreError::NotFound)?;
                    let run: i64 = row.try_get("id")?;
                    Ok(TeamInvite {
                        run,
                        scenario_id: row.try_get("scenario_id")?,
                        members: self.sim_members(run).await?,
                        ended: row.try_get::<Option<i64>, _>("ended")?.is_some(),
                    })
                }

                async fn sim_run(&self, scope: &Scope, org: OrgId, id: i64) -> Result<StoredRun> {
                    let (row, members) = self.sim_visible_run(scope, org, id).await?;
                    let events = sqlx::query("SELECT seq, kind, sim_at, body, recorded_at, role FROM sim_events WHERE run_id = $1 ORDER BY seq")
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
                                role: e.try_get("role")?,
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    let mut result = sqlx::query("SELECT ended_at_sim, percent, passed, score, recorded_at FROM sim_results WHERE run_id = $1")
                        .bind(id).fetch_optional(&self.pool).await?
                        .map(|r| result_from(&r)).transpose()?;
                    let team = match members.is_empty() {
                        true => None,
                        false => Some(Team {
                            join_code: sqlx::query_scalar("SELECT join_code FROM sim_team_runs WHERE run_id = $1")
                                .bind(id).fetch_one(&self.pool).await?,
                            members,
                        }),
                    };
                    let member_results: Vec<MemberResult> = sqlx::query("SELECT role, person_id, percent, passed, score FROM sim_member_results WHERE run_id = $1 ORDER BY role")
                        .bind(id).fetch_all(&self.pool).await?
                        .iter()
                        .map(|r| {
                            Ok(MemberResult {
                                role: r.try_get("role")?,
                                person: PersonId(r.try_get("person_id")?),
                                percent: u8::try_from(r.try_get::<i64, _>("percent")?).map_err(|e| corrupt("sim_member_results.percent", e))?,
                                passed: r.try_get("passed")?,
                                score: r.try_get("score")?,
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    if let Some(r) = &mut result {
                        r.members = member_results;
                    }
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
                        team,
                        events,
                        result,
                    })
                }

                async fn append_sim_event(&self, scope: &Scope, org: OrgId, run: i64, event: NewEvent<'_>) -> Result<()> {
                    let NewEvent { seq, kind, sim_at, body, now, role } = event;
                    let (_, members) = self.sim_visible_run(scope, org, run).await?;
                    // In a team run the caller acts as a member they may act for (a learner: themselves).
                    match (role, members.is_empty()) {
                        (None, true) => {}
                        (Some(_), true) => return Err(rejected("this run is played alone: it has no roles")),
                        (None, false) => return Err(rejected("this is a team run: say which role takes it")),
                        (Some(role), false) => {
                            let member = members.iter().find(|m| m.role == role).ok_or_else(|| rejected(format!("no one plays {role} in this run")))?;
                            if !self.visible_people(scope, org, &[member.person]).await?.contains(&member.person.0) {
                                return Err(StoreError::NotFound);
                            }
                        }
                    }
                    let mut tx = self.begin_write().await?;
                    if Self::sim_ended(&mut tx, run).await? {
                        return Err(rejected("this run has ended"));
                    }
                    let next: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sim_events WHERE run_id = $1")
                        .bind(run).fetch_one(&mut *tx).await?;
                    if next != i64::from(seq) {
                        return Err(rejected("the run changed in another window: reload the page and try again"));
                    }
                    sqlx::query("INSERT INTO sim_events (run_id, seq, kind, sim_at, body, recorded_at, role) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                        .bind(run).bind(i64::from(seq)).bind(kind.code()).bind(i64::from(sim_at)).bind(body).bind(now).bind(role)
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
                    let members = &result.members;
                    let (row, team) = self.sim_visible_run(scope, org, run).await?;
                    let person = PersonId(row.try_get("person_id")?);
                    let mut want: Vec<(&str, PersonId)> = team.iter().map(|m| (m.role.as_str(), m.person)).collect();
                    let mut got: Vec<(&str, PersonId)> = members.iter().map(|m| (m.role.as_str(), m.person)).collect();
                    want.sort();
                    got.sort();
                    if want != got {
                        return Err(rejected("a result is needed for each member of the run, and only for them"));
                    }
                    let mut tx = self.begin_write().await?;
                    if Self::sim_ended(&mut tx, run).await? {
                        return Err(rejected("this run has already ended"));
                    }
                    sqlx::query("INSERT INTO sim_results (run_id, ended_at_sim, percent, passed, score, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(run).bind(i64::from(result.ended_at_sim)).bind(i64::from(result.percent)).bind(result.passed)
                        .bind(&result.score).bind(result.recorded_at)
                        .execute(&mut *tx).await?;
                    for m in members {
                        sqlx::query("INSERT INTO sim_member_results (run_id, role, person_id, percent, passed, score) VALUES ($1, $2, $3, $4, $5, $6)")
                            .bind(run).bind(&m.role).bind(m.person.0).bind(i64::from(m.percent)).bind(m.passed).bind(&m.score)
                            .execute(&mut *tx).await?;
                    }
                    let passed: Vec<PersonId> = match team.is_empty() {
                        true => if result.passed { vec![person] } else { Vec::new() },
                        false => members.iter().filter(|m| m.passed).map(|m| m.person).collect(),
                    };
                    self.sim_records(&mut tx, org, run, &passed, records, result.recorded_at, today).await?;
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
                    // A team run's result here is the person's own.
                    let rows = sqlx::query("SELECT r.id, r.scenario_id, r.started_at, t.role, \
                            COALESCE(mr.percent, s.percent) AS percent, COALESCE(mr.passed, s.passed) AS passed, s.recorded_at, \
                            m.attempt_id, m.module_key \
                            FROM sim_runs r LEFT JOIN sim_run_members t ON t.run_id = r.id AND t.person_id = $2 \
                            LEFT JOIN sim_results s ON s.run_id = r.id \
                            LEFT JOIN sim_member_results mr ON mr.run_id = r.id AND mr.person_id = $2 \
                            LEFT JOIN sim_run_modules m ON m.run_id = r.id \
                            WHERE r.org_id = $1 AND (r.person_id = $2 OR t.person_id = $2) ORDER BY r.id DESC")
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
                                role: r.try_get("role")?,
                                result,
                            })
                        })
                        .collect()
                }

                async fn ended_sim_runs(&self, scope: &Scope, org: OrgId) -> Result<Vec<EndedRun>> {
                    // A run one learner played, with its result; a team run, once per member with theirs.
                    let rows = sqlx::query("SELECT r.id, COALESCE(mr.person_id, r.person_id) AS person_id, r.scenario_id, \
                            COALESCE(mr.percent, s.percent) AS percent, COALESCE(mr.passed, s.passed) AS passed, \
                            COALESCE(mr.score, s.score) AS score, s.recorded_at \
                            FROM sim_runs r JOIN sim_results s ON s.run_id = r.id LEFT JOIN sim_member_results mr ON mr.run_id = r.id \
                            WHERE r.org_id = $1 ORDER BY r.id, mr.role")
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
