//! Courses assigned to a person or a unit with a due date, and their cancellations (a row of its own: an assignment
//! is never edited). Who an assignment reaches and whether they have done it since are read here, within the
//! caller's scope.

macro_rules! impl_assignments {
    ($store:ident, $db:ty) => {
        mod learning_assignments {
            use super::$store;
            use super::learning_courses::rejected;
            use crate::learning::{AssignTo, Assignment, PersonAssignment};
            use crate::{Result, Scope, StoreError};
            use lantern_domain::rollup::Hierarchy;
            use lantern_domain::{AccountId, Date, OrgId, PersonId, Timestamp, Unit, UnitId};
            use sqlx::Row;
            use std::collections::HashMap;

            type DbRow = <$db as sqlx::Database>::Row;

            const LIVE: &str = "SELECT a.id, a.org_id, c.code, a.person_id, a.unit_id, a.due_on, a.assigned_at, a.course_id, \
                (SELECT v.title FROM course_versions v WHERE v.course_id = c.id ORDER BY v.version DESC LIMIT 1) AS title, \
                acc.display_name AS assigned_by, \
                COALESCE((SELECT p.given_name || ' ' || p.family_name FROM people p WHERE p.id = a.person_id), \
                         (SELECT u.name FROM current_units u WHERE u.id = a.unit_id), '') AS to_name \
                FROM course_assignments a JOIN courses c ON c.id = a.course_id JOIN accounts acc ON acc.id = a.assigned_by \
                WHERE a.org_id = $1 AND NOT EXISTS (SELECT 1 FROM course_assignment_cancellations x WHERE x.assignment_id = a.id)";

            fn assignment_from(r: &DbRow) -> Result<(Assignment, i64)> {
                let to = match (r.try_get::<Option<i64>, _>("person_id")?, r.try_get::<Option<i64>, _>("unit_id")?) {
                    (Some(p), _) => AssignTo::Person(PersonId(p)),
                    (None, Some(u)) => AssignTo::Unit(UnitId(u)),
                    (None, None) => return Err(StoreError::Corrupt { column: "course_assignments.person_id", message: "neither a person nor a unit".into() }),
                };
                Ok((
                    Assignment {
                        id: r.try_get("id")?,
                        org: OrgId(r.try_get("org_id")?),
                        course_code: r.try_get("code")?,
                        course_title: r.try_get("title")?,
                        to,
                        to_name: r.try_get("to_name")?,
                        due_on: r.try_get("due_on")?,
                        assigned_at: r.try_get("assigned_at")?,
                        assigned_by: r.try_get("assigned_by")?,
                    },
                    r.try_get("course_id")?,
                ))
            }

            impl $store {
                async fn learning_hierarchy(&self, org: OrgId) -> Result<Hierarchy> {
                    let units: Vec<Unit> = sqlx::query("SELECT * FROM current_units WHERE org_id = $1")
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(super::unit_from_row).collect::<Result<_>>()?;
                    Ok(Hierarchy::new(&units))
                }

                /// Whether the unit is the organisation's and within the caller's reach.
                async fn learning_visible_unit(&self, scope: &Scope, org: OrgId, unit: UnitId) -> Result<bool> {
                    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM units WHERE id = $1 AND org_id = $2")
                        .bind(unit.0).bind(org.0).fetch_optional(&self.pool).await?;
                    if exists.is_none() {
                        return Ok(false);
                    }
                    Ok(scope.sees_whole_org(org) || scope.sees_unit(org, unit, &self.learning_hierarchy(org).await?))
                }

                async fn learning_reaches(&self, scope: &Scope, org: OrgId, to: AssignTo) -> Result<bool> {
                    match to {
                        AssignTo::Person(p) => Ok(self.visible_people(scope, org, &[p]).await?.contains(&p.0)),
                        AssignTo::Unit(u) => self.learning_visible_unit(scope, org, u).await,
                    }
                }

                /// Assigns a course to each of `to`, all or none: every target must be within the caller's reach
                /// (else NotFound, and nothing is written), and all the assignments are one transaction.
                #[allow(clippy::too_many_arguments)]
                pub(crate) async fn learning_assign_course(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    code: &str,
                    to: &[AssignTo],
                    due_on: Date,
                    by: AccountId,
                    now: Timestamp,
                ) -> Result<Vec<Assignment>> {
                    let people: Vec<PersonId> = to.iter().filter_map(|t| match t { AssignTo::Person(p) => Some(*p), _ => None }).collect();
                    let visible = self.visible_people(scope, org, &people).await?;
                    if people.iter().any(|p| !visible.contains(&p.0)) {
                        return Err(StoreError::NotFound);
                    }
                    for t in to {
                        if let AssignTo::Unit(u) = t {
                            if !self.learning_visible_unit(scope, org, *u).await? {
                                return Err(StoreError::NotFound);
                            }
                        }
                    }
                    let course_id: i64 = sqlx::query_scalar("SELECT id FROM courses WHERE org_id = $1 AND code = $2")
                        .bind(org.0).bind(code).fetch_optional(&self.pool).await?
                        .ok_or_else(|| rejected("course", format!("no course {code:?} in this organisation")))?;
                    let mut tx = self.begin_write().await?;
                    let mut made = Vec::with_capacity(to.len());
                    for t in to {
                        let (person, unit) = match t {
                            AssignTo::Person(p) => (Some(p.0), None),
                            AssignTo::Unit(u) => (None, Some(u.0)),
                        };
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO course_assignments (org_id, course_id, person_id, unit_id, due_on, assigned_at, assigned_by) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                        )
                        .bind(org.0).bind(course_id).bind(person).bind(unit).bind(due_on).bind(now).bind(by.0)
                        .fetch_one(&mut *tx).await?;
                        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{LIVE} AND a.id = $2")))
                            .bind(org.0).bind(id).fetch_one(&mut *tx).await?;
                        made.push(assignment_from(&row)?.0);
                    }
                    tx.commit().await?;
                    Ok(made)
                }

                pub(crate) async fn learning_cancel_assignment(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    id: i64,
                    by: AccountId,
                    now: Timestamp,
                ) -> Result<()> {
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{LIVE} AND a.id = $2")))
                        .bind(org.0).bind(id).fetch_optional(&self.pool).await?.ok_or(StoreError::NotFound)?;
                    let (a, _) = assignment_from(&row)?;
                    if !self.learning_reaches(scope, org, a.to).await? {
                        return Err(StoreError::NotFound);
                    }
                    let mut tx = self.begin_write().await?;
                    // ON CONFLICT: a second click cancels once.
                    sqlx::query(
                        "INSERT INTO course_assignment_cancellations (assignment_id, cancelled_at, cancelled_by) VALUES ($1, $2, $3) \
                         ON CONFLICT (assignment_id) DO NOTHING",
                    )
                    .bind(id).bind(now).bind(by.0).execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(())
                }

                pub(crate) async fn learning_assignments(&self, scope: &Scope, org: OrgId) -> Result<Vec<Assignment>> {
                    if !scope.sees_org(org) {
                        return Ok(Vec::new());
                    }
                    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{LIVE} ORDER BY a.id DESC")))
                        .bind(org.0).fetch_all(&self.pool).await?;
                    let all: Vec<Assignment> = rows.iter().map(|r| assignment_from(r).map(|x| x.0)).collect::<Result<_>>()?;
                    if scope.sees_whole_org(org) {
                        return Ok(all);
                    }
                    let people: Vec<PersonId> = all.iter().filter_map(|a| match a.to { AssignTo::Person(p) => Some(p), _ => None }).collect();
                    let visible = self.visible_people(scope, org, &people).await?;
                    let hierarchy = self.learning_hierarchy(org).await?;
                    Ok(all
                        .into_iter()
                        .filter(|a| match a.to {
                            AssignTo::Person(p) => visible.contains(&p.0),
                            AssignTo::Unit(u) => scope.sees_unit(org, u, &hierarchy),
                        })
                        .collect())
                }

                pub(crate) async fn learning_assignments_of(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    people: &[PersonId],
                    today: Date,
                ) -> Result<Vec<PersonAssignment>> {
                    let visible = self.visible_people(scope, org, people).await?;
                    if visible.is_empty() {
                        return Ok(Vec::new());
                    }
                    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{LIVE} ORDER BY a.due_on, a.id")))
                        .bind(org.0).fetch_all(&self.pool).await?;
                    let live: Vec<(Assignment, i64)> = rows.iter().map(assignment_from).collect::<Result<_>>()?;
                    if live.is_empty() {
                        return Ok(Vec::new());
                    }
                    let hierarchy = self.learning_hierarchy(org).await?;
                    // Each person's units in post today, and their completions (course id, attempt, when).
                    let mut units: HashMap<i64, Vec<UnitId>> = HashMap::new();
                    let mut done: HashMap<(i64, i64), Vec<(i64, Timestamp)>> = HashMap::new();
                    let ids: Vec<i64> = visible.iter().copied().collect();
                    for chunk in ids.chunks(crate::sql::CHUNK) {
                        let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
                            "SELECT person_id, unit_id, end_date FROM current_posts WHERE org_id = $1 AND person_id IN ({list}) AND start_date <= $2"
                        )))
                        .bind(org.0).bind(today).fetch_all(&self.pool).await?
                        {
                            let end: Option<Date> = r.try_get("end_date")?;
                            if end.is_none_or(|e| e >= today) {
                                units.entry(r.try_get("person_id")?).or_default().push(UnitId(r.try_get("unit_id")?));
                            }
                        }
                        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
                            "SELECT a.person_id, v.course_id, a.id, c.completed_at FROM course_completions c \
                             JOIN course_attempts a ON a.id = c.attempt_id JOIN course_versions v ON v.id = a.course_version_id \
                             WHERE a.org_id = $1 AND a.person_id IN ({list}) ORDER BY c.completed_at"
                        )))
                        .bind(org.0).fetch_all(&self.pool).await?
                        {
                            done.entry((r.try_get("person_id")?, r.try_get("course_id")?))
                                .or_default()
                                .push((r.try_get("id")?, r.try_get("completed_at")?));
                        }
                    }
                    let mut out = Vec::new();
                    for &person in people {
                        if !visible.contains(&person.0) {
                            continue;
                        }
                        let posts = units.get(&person.0).map(Vec::as_slice).unwrap_or_default();
                        for (a, course_id) in &live {
                            let reaches = match a.to {
                                AssignTo::Person(p) => p == person,
                                AssignTo::Unit(u) => posts.iter().any(|x| hierarchy.is_within(*x, u)),
                            };
                            if !reaches {
                                continue;
                            }
                            // Done: the course completed since it was assigned (an earlier completion is what the
                            // assignment asks to renew).
                            let since = done
                                .get(&(person.0, *course_id))
                                .and_then(|d| d.iter().find(|(_, at)| *at >= a.assigned_at))
                                .copied();
                            out.push(PersonAssignment { person, assignment: a.clone(), done: since });
                        }
                    }
                    Ok(out)
                }
            }
        }
    };
}

pub(crate) use impl_assignments;
