//! Attempts: starting and resuming, module states, assessment papers and submissions, and completion, which writes
//! the training records through the batch path in the same transaction.

macro_rules! impl_attempts {
    ($store:ident, $db:ty) => {
        mod learning_attempts {
            use super::$store;
            use super::learning_courses::{course_from_json, rejected};
            use crate::batch::{RecordRow, WriteBatch};
            use crate::learning::*;
            use crate::{Result, Scope, StoreError};
            use async_trait::async_trait;
            use lantern_domain::{AccountId, Date, OrgId, OrgType, PersonId, Timestamp};
            use lantern_learning::assessment::{self, Answers, Question};
            use lantern_learning::course::{CourseVersion, Mode, ModuleKind, ModuleState, RecordSource};
            use sqlx::Row;

            type Tx<'c> = sqlx::Transaction<'c, $db>;

            fn state_code(s: ModuleState) -> &'static str {
                match s {
                    ModuleState::NotStarted => "not_started",
                    ModuleState::InProgress => "in_progress",
                    ModuleState::Completed => "completed",
                    ModuleState::Failed => "failed",
                }
            }

            fn state_of(code: &str) -> ModuleState {
                match code {
                    "in_progress" => ModuleState::InProgress,
                    "completed" => ModuleState::Completed,
                    "failed" => ModuleState::Failed,
                    _ => ModuleState::NotStarted,
                }
            }

            fn corrupt(column: &'static str, e: impl std::fmt::Display) -> StoreError {
                StoreError::Corrupt { column, message: e.to_string() }
            }

            impl $store {
                pub(crate) async fn learning_attempt_in(&self, tx: &mut Tx<'_>, org: OrgId, id: i64) -> Result<Attempt> {
                    let row = sqlx::query(
                        "SELECT a.id, a.org_id, a.person_id, a.course_version_id, a.started_at, v.body, c.completed_at, co.org_id AS course_org, \
                         t.attempt_id AS test_out, \
                         EXISTS (SELECT 1 FROM assessment_papers p JOIN assessment_submissions s ON s.paper_id = p.id \
                                 WHERE p.attempt_id = a.id AND NOT s.passed) AS failed \
                         FROM course_attempts a JOIN course_versions v ON v.id = a.course_version_id JOIN courses co ON co.id = v.course_id \
                         LEFT JOIN course_completions c ON c.attempt_id = a.id \
                         LEFT JOIN test_out_attempts t ON t.attempt_id = a.id WHERE a.id = $1 AND a.org_id = $2",
                    )
                    .bind(id).bind(org.0).fetch_optional(&mut **tx).await?.ok_or(StoreError::NotFound)?;
                    let course: CourseVersion = course_from_json(&row.try_get::<String, _>("body")?)?;
                    let mut states = vec![ModuleState::NotStarted; course.modules.len()];
                    for e in sqlx::query("SELECT module_key, state FROM module_events WHERE attempt_id = $1 ORDER BY id")
                        .bind(id).fetch_all(&mut **tx).await?
                    {
                        let key: String = e.try_get("module_key")?;
                        if let Some(i) = course.modules.iter().position(|m| m.key == key) {
                            states[i] = state_of(&e.try_get::<String, _>("state")?);
                        }
                    }
                    // A test-out lasts until a paper in it is failed; then the attempt goes on as the course.
                    let mode = match (row.try_get::<Option<i64>, _>("test_out")?, row.try_get::<bool, _>("failed")?) {
                        (None, _) => Mode::Course,
                        (Some(_), false) => Mode::TestOut,
                        (Some(_), true) => Mode::TestOutFailed,
                    };
                    // Spent: an assessment not passed with every try submitted; the attempt can go no further.
                    let mut spent = false;
                    for (m, state) in course.modules.iter().zip(&states) {
                        let ModuleKind::Assessment { rules, .. } = &m.kind else { continue };
                        let Some(limit) = rules.attempt_limit.filter(|_| *state == ModuleState::Failed) else { continue };
                        spent |= Self::learning_tries_marked(tx, id, &m.key).await? >= i64::from(limit);
                    }
                    Ok(Attempt {
                        id,
                        mode,
                        spent,
                        org: OrgId(row.try_get("org_id")?),
                        person: PersonId(row.try_get("person_id")?),
                        course_version_id: row.try_get("course_version_id")?,
                        course_org: OrgId(row.try_get("course_org")?),
                        started_at: row.try_get("started_at")?,
                        course,
                        states,
                        completed_at: row.try_get("completed_at")?,
                    })
                }

                /// How many papers of an attempt's assessment have been submitted.
                async fn learning_tries_marked(tx: &mut Tx<'_>, attempt: i64, key: &str) -> Result<i64> {
                    Ok(sqlx::query_scalar(
                        "SELECT COUNT(*) FROM assessment_papers p WHERE p.attempt_id = $1 AND p.module_key = $2 \
                         AND EXISTS (SELECT 1 FROM assessment_submissions s WHERE s.paper_id = p.id)",
                    )
                    .bind(attempt).bind(key).fetch_one(&mut **tx).await?)
                }

                /// The attempt, if its person is within the caller's scope.
                pub(crate) async fn learning_visible_attempt(&self, tx: &mut Tx<'_>, scope: &Scope, org: OrgId, id: i64) -> Result<Attempt> {
                    let a = self.learning_attempt_in(tx, org, id).await?;
                    if !self.visible_people(scope, org, &[a.person]).await?.contains(&a.person.0) {
                        return Err(StoreError::NotFound);
                    }
                    Ok(a)
                }

                pub(crate) async fn learning_module_event(tx: &mut Tx<'_>, attempt: i64, key: &str, state: ModuleState, now: Timestamp) -> Result<()> {
                    sqlx::query("INSERT INTO module_events (attempt_id, module_key, state, recorded_at) VALUES ($1, $2, $3, $4)")
                        .bind(attempt).bind(key).bind(state_code(state)).bind(now).execute(&mut **tx).await?;
                    Ok(())
                }

                /// When every required module is complete: the completion, and a training record per requirement the
                /// course satisfies, written through the batch path in this transaction.
                pub(crate) async fn learning_complete_if_done(&self, tx: &mut Tx<'_>, a: &mut Attempt, now: Timestamp, today: Date) -> Result<()> {
                    if a.completed_at.is_some() || !a.course.progress_in(a.mode, &a.states).complete {
                        return Ok(());
                    }
                    let evidence = a.reference();
                    sqlx::query("INSERT INTO course_completions (attempt_id, completed_at, evidence_ref) VALUES ($1, $2, $3)")
                        .bind(a.id).bind(now).bind(&evidence).execute(&mut **tx).await?;
                    a.completed_at = Some(now);
                    if a.course.satisfies.is_empty() {
                        return Ok(());
                    }
                    let ods: String = sqlx::query_scalar("SELECT ods_code FROM organisations WHERE id = $1")
                        .bind(a.org.0).fetch_one(&mut **tx).await?;
                    // The record is the learner's organisation's; its provider is the organisation that authored the
                    // course (another one, for a course shared with the learner's).
                    let owner = Self::learning_course_owner(tx, a.course_version_id).await?;
                    let org = sqlx::query("SELECT ods_code, name, org_type FROM organisations WHERE id = $1")
                        .bind(owner.0).fetch_one(&mut **tx).await?;
                    let provider_ods: String = org.try_get("ods_code")?;
                    let org_type = OrgType::parse(&org.try_get::<String, _>("org_type")?).ok_or_else(|| corrupt("organisations.org_type", "unknown"))?;
                    let number: String = sqlx::query_scalar("SELECT employee_number FROM people WHERE id = $1")
                        .bind(a.person.0).fetch_one(&mut **tx).await?;
                    // The course's estimated time counts as hours, so hours-based rules (safeguarding) hear of it.
                    let minutes = a.course.estimated_minutes();
                    let hours = (minutes > 0).then(|| (f64::from(minutes) / 60.0 * 100.0).round() / 100.0);
                    let source = match a.course.record_source_in(a.mode) {
                        RecordSource::Assessment => lantern_domain::RecordSource::Assessment,
                        RecordSource::Elearning => lantern_domain::RecordSource::Elearning,
                    };
                    let mut batch = WriteBatch { only_org: Some(ods.clone()), recorded_at: Some(now), ..WriteBatch::default() };
                    for s in &a.course.satisfies {
                        batch.records.push(RecordRow {
                            line: batch.records.len() + 1,
                            employee_number: number.clone(),
                            subject: s.subject.clone(),
                            level: s.level,
                            completed_on: today,
                            hours,
                            provider: org.try_get("name")?,
                            provider_type: lantern_domain::xapi_mapping::provider_type_of(org_type),
                            // A batch confined to the learner's organisation names no other by code: a shared course's
                            // provider is named, with its type, but not linked.
                            provider_org: (provider_ods == ods).then(|| ods.clone()),
                            source,
                            evidence_ref: Some(evidence.clone()),
                            recorded_at: None,
                        });
                    }
                    self.write_tx(tx, &batch).await?;
                    Ok(())
                }

                async fn learning_paper_view(tx: &mut Tx<'_>, a: &Attempt, paper_id: i64, key: &str) -> Result<Paper> {
                    let row = sqlx::query("SELECT bank_version_id, paper, deadline FROM assessment_papers WHERE id = $1")
                        .bind(paper_id).fetch_one(&mut **tx).await?;
                    let questions = Self::learning_bank_version(tx, row.try_get("bank_version_id")?).await?;
                    let drawn: StoredPaper = serde_json::from_str(&row.try_get::<String, _>("paper")?).map_err(|e| corrupt("assessment_papers.paper", e))?;
                    let rules = Self::learning_rules(a, key)?;
                    let tries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assessment_papers WHERE attempt_id = $1 AND module_key = $2 AND id <= $3")
                        .bind(a.id).bind(key).bind(paper_id).fetch_one(&mut **tx).await?;
                    let mut out = Vec::new();
                    for d in drawn {
                        let q = questions.iter().find(|q| q.id == d.question).ok_or_else(|| corrupt("assessment_papers.paper", "a question left its bank"))?;
                        out.push(PaperQuestion {
                            id: q.id.clone(),
                            stem: q.stem.clone(),
                            multiple: q.kind == assessment::QuestionKind::MultipleAnswer,
                            options: d.option_order.iter().filter_map(|o| q.options.iter().find(|x| &x.id == o)).map(|o| (o.id.clone(), o.text.clone())).collect(),
                        });
                    }
                    Ok(Paper {
                        id: paper_id,
                        module_key: key.to_owned(),
                        questions: out,
                        deadline: row.try_get("deadline")?,
                        attempt_number: u32::try_from(tries).unwrap_or(u32::MAX),
                        attempt_limit: rules.attempt_limit,
                    })
                }

                /// The organisation that authored a course version.
                async fn learning_course_owner(tx: &mut Tx<'_>, course_version: i64) -> Result<OrgId> {
                    let id: i64 = sqlx::query_scalar("SELECT c.org_id FROM course_versions v JOIN courses c ON c.id = v.course_id WHERE v.id = $1")
                        .bind(course_version).fetch_one(&mut **tx).await?;
                    Ok(OrgId(id))
                }

                async fn learning_bank_version(tx: &mut Tx<'_>, id: i64) -> Result<Vec<Question>> {
                    let body: String = sqlx::query_scalar("SELECT questions FROM bank_versions WHERE id = $1").bind(id).fetch_one(&mut **tx).await?;
                    Self::bank_questions(&body)
                }

                fn learning_rules(a: &Attempt, key: &str) -> Result<assessment::Rules> {
                    match a.course.modules.iter().find(|m| m.key == key).map(|m| &m.kind) {
                        Some(ModuleKind::Assessment { rules, .. }) => Ok(rules.clone()),
                        Some(_) => Err(rejected("module", format!("{key:?} is not an assessment"))),
                        None => Err(StoreError::NotFound),
                    }
                }

                pub(crate) fn learning_check_open(a: &Attempt, key: &str) -> Result<usize> {
                    if a.completed_at.is_some() {
                        return Err(rejected("attempt", "this attempt is complete; start the course again to retake it".into()));
                    }
                    let i = a.course.modules.iter().position(|m| m.key == key).ok_or(StoreError::NotFound)?;
                    if !a.course.open_in(a.mode, &a.states)[i] {
                        return Err(rejected("module", format!("\"{}\" opens when the modules before it are complete", a.course.modules[i].title)));
                    }
                    Ok(i)
                }
            }

            #[async_trait]
            impl LearningStore for $store {
                async fn publish_course(&self, org: OrgId, by: Option<AccountId>, now: Timestamp, draft: &CourseVersion) -> Result<CourseEntry> {
                    self.learning_publish_course(org, by, now, draft).await
                }

                async fn publish_bank(&self, org: OrgId, by: Option<AccountId>, now: Timestamp, code: &str, questions: &[Question]) -> Result<u32> {
                    self.learning_publish_bank(org, by, now, code, questions).await
                }

                async fn courses(&self, org: OrgId) -> Result<Vec<CourseEntry>> {
                    self.learning_courses(org).await
                }

                async fn course(&self, org: OrgId, code: &str) -> Result<CourseEntry> {
                    self.learning_course(org, code).await
                }

                async fn courses_for(&self, org: OrgId, subject: &str, level: u8) -> Result<Vec<CourseEntry>> {
                    self.learning_courses_for(org, subject, level).await
                }

                async fn start_attempt(&self, scope: &Scope, org: OrgId, person: PersonId, code: &str, now: Timestamp) -> Result<Attempt> {
                    if !self.visible_people(scope, org, &[person]).await?.contains(&person.0) {
                        return Err(StoreError::NotFound);
                    }
                    let course = self.learning_course(org, code).await?;
                    let mut tx = self.begin_write().await?;
                    // An attempt not yet complete is resumed, on the version it started on.
                    let open: Option<i64> = sqlx::query_scalar(
                        "SELECT a.id FROM course_attempts a JOIN course_versions v ON v.id = a.course_version_id \
                         WHERE a.person_id = $1 AND a.org_id = $2 AND v.course_id = $3 \
                         AND NOT EXISTS (SELECT 1 FROM course_completions c WHERE c.attempt_id = a.id) ORDER BY a.id DESC LIMIT 1",
                    )
                    .bind(person.0).bind(org.0).bind(course.id).fetch_optional(&mut *tx).await?;
                    // One whose assessment has used every try is over: starting again starts afresh (the spent
                    // attempt stays, with its papers, as the record of what happened).
                    let resumed = match open {
                        Some(id) => Some(self.learning_attempt_in(&mut tx, org, id).await?).filter(|a| !a.spent),
                        None => None,
                    };
                    let a = match resumed {
                        Some(a) => a,
                        None => {
                            let id: i64 = sqlx::query_scalar("INSERT INTO course_attempts (org_id, person_id, course_version_id, started_at) VALUES ($1, $2, $3, $4) RETURNING id")
                                .bind(org.0).bind(person.0).bind(course.version_id).bind(now).fetch_one(&mut *tx).await?;
                            self.learning_attempt_in(&mut tx, org, id).await?
                        }
                    };
                    tx.commit().await?;
                    Ok(a)
                }

                async fn start_test_out(&self, scope: &Scope, org: OrgId, person: PersonId, code: &str, now: Timestamp) -> Result<Attempt> {
                    if !self.visible_people(scope, org, &[person]).await?.contains(&person.0) {
                        return Err(StoreError::NotFound);
                    }
                    let course = self.learning_course(org, code).await?;
                    let mut tx = self.begin_write().await?;
                    let open: Option<i64> = sqlx::query_scalar(
                        "SELECT a.id FROM course_attempts a JOIN course_versions v ON v.id = a.course_version_id \
                         WHERE a.person_id = $1 AND a.org_id = $2 AND v.course_id = $3 \
                         AND NOT EXISTS (SELECT 1 FROM course_completions c WHERE c.attempt_id = a.id) ORDER BY a.id DESC LIMIT 1",
                    )
                    .bind(person.0).bind(org.0).bind(course.id).fetch_optional(&mut *tx).await?;
                    let open = match open {
                        Some(id) => Some(self.learning_attempt_in(&mut tx, org, id).await?),
                        None => None,
                    };
                    // The version a test-out sits is the open attempt's, or the latest.
                    let version = open.as_ref().map_or(&course.course, |a| &a.course);
                    if !version.can_test_out() {
                        return Err(rejected("course", format!("\"{}\" has no assessment to test out with", version.title)));
                    }
                    let requirement = self.learning_test_out_requirement(&mut tx, org, version).await?.ok_or_else(|| {
                        rejected("test_out", "test-out is not turned on for this course's requirement here: take the course".into())
                    })?;
                    let id = match open {
                        Some(a) if a.mode != Mode::Course => {
                            tx.commit().await?;
                            return Ok(a);
                        }
                        // An attempt begun but untouched may become a test-out; one under way stays the course.
                        Some(a) if a.states.iter().all(|s| *s == ModuleState::NotStarted) => a.id,
                        Some(_) => return Err(rejected("attempt", "you have started this course already: carry on with it".into())),
                        None => sqlx::query_scalar("INSERT INTO course_attempts (org_id, person_id, course_version_id, started_at) VALUES ($1, $2, $3, $4) RETURNING id")
                            .bind(org.0).bind(person.0).bind(course.version_id).bind(now).fetch_one(&mut *tx).await?,
                    };
                    sqlx::query("INSERT INTO test_out_attempts (attempt_id, subject, level, recorded_at) VALUES ($1, $2, $3, $4)")
                        .bind(id).bind(requirement.0.as_str()).bind(i64::from(requirement.1)).bind(now).execute(&mut *tx).await?;
                    let a = self.learning_attempt_in(&mut tx, org, id).await?;
                    tx.commit().await?;
                    Ok(a)
                }

                async fn test_out_settings(&self, org: OrgId) -> Result<Vec<TestOutSetting>> {
                    self.learning_test_out_settings(org).await
                }

                async fn set_test_out(&self, org: OrgId, subject: &lantern_domain::Subject, level: u8, enabled: bool, by: AccountId, now: Timestamp) -> Result<()> {
                    self.learning_set_test_out(org, subject, level, enabled, by, now).await
                }

                async fn assign_course(&self, scope: &Scope, org: OrgId, code: &str, to: AssignTo, due_on: Date, by: AccountId, now: Timestamp) -> Result<Assignment> {
                    let mut made = self.learning_assign_course(scope, org, code, &[to], due_on, by, now).await?;
                    made.pop().ok_or(crate::StoreError::NotFound)
                }

                async fn assign_course_to_people(&self, scope: &Scope, org: OrgId, code: &str, people: &[PersonId], due_on: Date, by: AccountId, now: Timestamp) -> Result<Vec<Assignment>> {
                    let to: Vec<AssignTo> = people.iter().map(|p| AssignTo::Person(*p)).collect();
                    self.learning_assign_course(scope, org, code, &to, due_on, by, now).await
                }

                async fn cancel_assignment(&self, scope: &Scope, org: OrgId, id: i64, by: AccountId, now: Timestamp) -> Result<()> {
                    self.learning_cancel_assignment(scope, org, id, by, now).await
                }

                async fn assignments(&self, scope: &Scope, org: OrgId) -> Result<Vec<Assignment>> {
                    self.learning_assignments(scope, org).await
                }

                async fn assignments_of(&self, scope: &Scope, org: OrgId, people: &[PersonId], today: Date) -> Result<Vec<PersonAssignment>> {
                    self.learning_assignments_of(scope, org, people, today).await
                }

                async fn attempt(&self, scope: &Scope, org: OrgId, id: i64) -> Result<Attempt> {
                    // A read: one snapshot, without taking SQLite's write lock from the writers.
                    let mut tx = self.pool.begin().await?;
                    let a = self.learning_visible_attempt(&mut tx, scope, org, id).await?;
                    tx.commit().await?;
                    Ok(a)
                }

                async fn attempts_of(&self, scope: &Scope, org: OrgId, person: PersonId) -> Result<Vec<Attempt>> {
                    if !self.visible_people(scope, org, &[person]).await?.contains(&person.0) {
                        return Err(StoreError::NotFound);
                    }
                    let mut tx = self.pool.begin().await?;
                    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM course_attempts WHERE person_id = $1 AND org_id = $2 ORDER BY id DESC")
                        .bind(person.0).bind(org.0).fetch_all(&mut *tx).await?;
                    let mut out = Vec::with_capacity(ids.len());
                    for id in ids {
                        out.push(self.learning_attempt_in(&mut tx, org, id).await?);
                    }
                    tx.commit().await?;
                    Ok(out)
                }

                async fn record_module(&self, scope: &Scope, org: OrgId, attempt: i64, key: &str, state: ModuleState, at: At) -> Result<Attempt> {
                    let At { now, today } = at;
                    let mut tx = self.begin_write().await?;
                    let mut a = self.learning_visible_attempt(&mut tx, scope, org, attempt).await?;
                    let i = Self::learning_check_open(&a, key)?;
                    match a.course.modules[i].kind {
                        ModuleKind::Assessment { .. } => {
                            return Err(rejected("module", "an assessment's result comes from its submitted papers".into()));
                        }
                        ModuleKind::Simulation { .. } => {
                            return Err(rejected("module", "a simulation's result comes from its runs".into()));
                        }
                        _ => {}
                    }
                    if state == ModuleState::NotStarted {
                        return Err(rejected("state", "a module cannot go back to not started".into()));
                    }
                    // Completion is final within an attempt: a late "in progress" from a package does not undo it.
                    if a.states[i] != ModuleState::Completed && a.states[i] != state {
                        Self::learning_module_event(&mut tx, a.id, key, state, now).await?;
                        a.states[i] = state;
                    }
                    self.learning_complete_if_done(&mut tx, &mut a, now, today).await?;
                    tx.commit().await?;
                    Ok(a)
                }

                async fn paper(&self, scope: &Scope, org: OrgId, attempt: i64, key: &str, seed: u64, now: Timestamp) -> Result<Paper> {
                    let mut tx = self.begin_write().await?;
                    let a = self.learning_visible_attempt(&mut tx, scope, org, attempt).await?;
                    let i = Self::learning_check_open(&a, key)?;
                    let rules = Self::learning_rules(&a, key)?;
                    if a.states[i] == ModuleState::Completed {
                        return Err(rejected("module", "this assessment is already passed".into()));
                    }
                    let open: Option<i64> = sqlx::query_scalar(
                        "SELECT p.id FROM assessment_papers p WHERE p.attempt_id = $1 AND p.module_key = $2 \
                         AND NOT EXISTS (SELECT 1 FROM assessment_submissions s WHERE s.paper_id = p.id) ORDER BY p.id DESC LIMIT 1",
                    )
                    .bind(a.id).bind(key).fetch_optional(&mut *tx).await?;
                    let paper_id = match open {
                        Some(id) => id,
                        None => {
                            let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assessment_papers WHERE attempt_id = $1 AND module_key = $2")
                                .bind(a.id).bind(key).fetch_one(&mut *tx).await?;
                            if let Some(limit) = rules.attempt_limit.filter(|l| used >= i64::from(*l)) {
                                return Err(rejected("module", format!("all {limit} tries at this assessment are used; start the course again")));
                            }
                            let ModuleKind::Assessment { bank, .. } = &a.course.modules[i].kind else { unreachable!("checked by learning_rules") };
                            // The bank is the course's authoring organisation's (another's, for a shared course).
                            let owner = Self::learning_course_owner(&mut tx, a.course_version_id).await?;
                            let (bank_version, questions) = Self::learning_bank(&mut tx, owner, bank).await?;
                            let drawn = assessment::draw(&questions, &rules, seed).map_err(|e| rejected("bank", e.to_string()))?;
                            let deadline = rules.time_limit_minutes.map(|m| now + chrono::TimeDelta::minutes(i64::from(m)));
                            let body = serde_json::to_string(&drawn).map_err(|e| corrupt("assessment_papers.paper", e))?;
                            let id: i64 = sqlx::query_scalar(
                                "INSERT INTO assessment_papers (attempt_id, module_key, bank_version_id, paper, drawn_at, deadline) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                            )
                            .bind(a.id).bind(key).bind(bank_version).bind(body).bind(now).bind(deadline).fetch_one(&mut *tx).await?;
                            if a.states[i] == ModuleState::NotStarted {
                                Self::learning_module_event(&mut tx, a.id, key, ModuleState::InProgress, now).await?;
                            }
                            id
                        }
                    };
                    let paper = Self::learning_paper_view(&mut tx, &a, paper_id, key).await?;
                    tx.commit().await?;
                    Ok(paper)
                }

                async fn submit_paper(&self, scope: &Scope, org: OrgId, attempt: i64, paper: i64, answers: &Answers, at: At) -> Result<Submission> {
                    let At { now, today } = at;
                    let mut tx = self.begin_write().await?;
                    let mut a = self.learning_visible_attempt(&mut tx, scope, org, attempt).await?;
                    let row = sqlx::query("SELECT module_key, bank_version_id, paper, deadline FROM assessment_papers WHERE id = $1 AND attempt_id = $2")
                        .bind(paper).bind(a.id).fetch_optional(&mut *tx).await?.ok_or(StoreError::NotFound)?;
                    let key: String = row.try_get("module_key")?;
                    let questions = Self::learning_bank_version(&mut tx, row.try_get("bank_version_id")?).await?;
                    let drawn: StoredPaper = serde_json::from_str(&row.try_get::<String, _>("paper")?).map_err(|e| corrupt("assessment_papers.paper", e))?;
                    let rules = Self::learning_rules(&a, &key)?;
                    // A replay, or a second click, is the first submission again: it counts once.
                    if let Some(done) = sqlx::query("SELECT answers, late FROM assessment_submissions WHERE paper_id = $1").bind(paper).fetch_optional(&mut *tx).await? {
                        let answers: Answers = serde_json::from_str(&done.try_get::<String, _>("answers")?).map_err(|e| corrupt("assessment_submissions.answers", e))?;
                        let late: bool = done.try_get("late")?;
                        let mut marked = assessment::mark(&questions, &drawn, &answers, &rules).map_err(|e| rejected("answers", e.to_string()))?;
                        marked.passed &= !late;
                        tx.commit().await?;
                        return Ok(Submission { paper_id: paper, marked, late, questions: paper_questions(&questions, &drawn), answers, attempt: a });
                    }
                    let i = Self::learning_check_open(&a, &key)?;
                    let mut marked = assessment::mark(&questions, &drawn, answers, &rules).map_err(|e| rejected("answers", e.to_string()))?;
                    let deadline: Option<Timestamp> = row.try_get("deadline")?;
                    let late = deadline.is_some_and(|d| now > d);
                    // Time is enforced here, not in the browser: a late paper counts as a fail.
                    marked.passed &= !late;
                    let body = serde_json::to_string(answers).map_err(|e| corrupt("assessment_submissions.answers", e))?;
                    sqlx::query(
                        "INSERT INTO assessment_submissions (paper_id, answers, correct, total, percent, passed, late, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(paper).bind(body).bind(marked.correct as i64).bind(marked.total as i64).bind(i64::from(marked.percent))
                    .bind(marked.passed).bind(late).bind(now).execute(&mut *tx).await?;
                    let state = if marked.passed { ModuleState::Completed } else { ModuleState::Failed };
                    Self::learning_module_event(&mut tx, a.id, &key, state, now).await?;
                    a.states[i] = state;
                    // The last try failed: the attempt is spent.
                    if let Some(limit) = rules.attempt_limit.filter(|_| !marked.passed) {
                        a.spent = Self::learning_tries_marked(&mut tx, a.id, &key).await? >= i64::from(limit);
                    }
                    // A failed test-out sends the learner to the course, in this same attempt.
                    if !marked.passed && a.mode == Mode::TestOut {
                        a.mode = Mode::TestOutFailed;
                    }
                    self.learning_complete_if_done(&mut tx, &mut a, now, today).await?;
                    tx.commit().await?;
                    Ok(Submission { paper_id: paper, marked, late, questions: paper_questions(&questions, &drawn), answers: answers.clone(), attempt: a })
                }
            }

            /// The paper's questions, in the order drawn, with their keys (for feedback after submission).
            fn paper_questions(bank: &[Question], drawn: &StoredPaper) -> Vec<Question> {
                drawn.iter().filter_map(|d| bank.iter().find(|q| q.id == d.question).cloned()).collect()
            }
        }
    };
}

pub(crate) use impl_attempts;
