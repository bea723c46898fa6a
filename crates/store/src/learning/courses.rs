//! Courses and question banks: publishing numbered versions and reading the catalogue.

macro_rules! impl_courses {
    ($store:ident, $db:ty) => {
        mod learning_courses {
            use super::$store;
            use crate::batch::BatchProblem;
            use crate::learning::CourseEntry;
            use crate::{Result, StoreError};
            use lantern_domain::{AccountId, OrgId, Timestamp};
            use lantern_learning::assessment::Question;
            use lantern_learning::course::{CourseVersion, ModuleKind};
            use sqlx::Row;

            type DbRow = <$db as sqlx::Database>::Row;
            type Tx<'c> = sqlx::Transaction<'c, $db>;

            pub(crate) fn rejected(field: &str, message: String) -> StoreError {
                StoreError::Rejected(vec![BatchProblem { line: 1, field: field.to_owned(), message }])
            }

            pub(crate) const LATEST: &str = "SELECT c.id, c.org_id, o.ods_code AS owner_ods, v.id AS version_id, v.body, v.published_at \
                FROM courses c JOIN course_versions v ON v.course_id = c.id JOIN organisations o ON o.id = c.org_id \
                WHERE v.version = (SELECT MAX(version) FROM course_versions w WHERE w.course_id = c.id)";

            /// The course `c` is shared with organisation $1 now: its latest share names $1 or every organisation.
            pub(crate) const SHARED_WITH: &str = "EXISTS (SELECT 1 FROM course_shares s WHERE s.course_id = c.id \
                AND s.id = (SELECT MAX(t.id) FROM course_shares t WHERE t.course_id = c.id) \
                AND (s.everyone OR EXISTS (SELECT 1 FROM course_share_orgs so WHERE so.share_id = s.id AND so.org_id = $1)))";

            pub(crate) fn entry_from_row(r: &DbRow) -> Result<CourseEntry> {
                Ok(CourseEntry {
                    id: r.try_get("id")?,
                    org: OrgId(r.try_get("org_id")?),
                    owner_ods: r.try_get("owner_ods")?,
                    version_id: r.try_get("version_id")?,
                    course: course_from_json(&r.try_get::<String, _>("body")?)?,
                    published_at: r.try_get("published_at")?,
                })
            }

            pub(crate) fn course_from_json(body: &str) -> Result<CourseVersion> {
                serde_json::from_str(body).map_err(|e| StoreError::Corrupt { column: "course_versions.body", message: e.to_string() })
            }

            impl $store {
                pub(crate) async fn learning_publish_course(
                    &self,
                    org: OrgId,
                    by: Option<AccountId>,
                    now: Timestamp,
                    draft: &CourseVersion,
                ) -> Result<CourseEntry> {
                    if let Err(problems) = draft.check() {
                        return Err(StoreError::Rejected(
                            problems.into_iter().map(|p| BatchProblem { line: 1, field: p.field, message: p.reason }).collect(),
                        ));
                    }
                    let mut tx = self.begin_write().await?;
                    let mut problems = Vec::new();
                    for m in &draft.modules {
                        if let ModuleKind::Assessment { bank, .. } = &m.kind {
                            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM question_banks WHERE org_id = $1 AND code = $2")
                                .bind(org.0).bind(bank).fetch_optional(&mut *tx).await?;
                            if found.is_none() {
                                problems.push(BatchProblem { line: 1, field: format!("modules[{}]", m.key), message: format!("no question bank {bank:?} in this organisation") });
                            }
                        }
                        if let ModuleKind::Cmi5 { package } = &m.kind {
                            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM scorm_packages WHERE org_id = $1 AND digest = $2 AND kind = 'cmi5'")
                                .bind(org.0).bind(package).fetch_optional(&mut *tx).await?;
                            if found.is_none() {
                                problems.push(BatchProblem { line: 1, field: format!("modules[{}]", m.key), message: format!("no cmi5 package {package:?} in this organisation; upload it first") });
                            }
                        }
                        if let ModuleKind::Scorm { package } = &m.kind {
                            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM scorm_packages WHERE org_id = $1 AND digest = $2 AND kind = 'scorm'")
                                .bind(org.0).bind(package).fetch_optional(&mut *tx).await?;
                            if found.is_none() {
                                problems.push(BatchProblem { line: 1, field: format!("modules[{}]", m.key), message: format!("no SCORM package {package:?} in this organisation; upload it first") });
                            }
                        }
                    }
                    // Prerequisites must exist, and with every other course's, make no cycle.
                    let mut edges: Vec<(String, String)> = Vec::new();
                    for r in sqlx::query(sqlx::AssertSqlSafe(format!("{LATEST} AND c.org_id = $1"))).bind(org.0).fetch_all(&mut *tx).await? {
                        let c = entry_from_row(&r)?.course;
                        if c.code != draft.code {
                            edges.extend(c.prerequisites.iter().map(|p| (c.code.clone(), p.clone())));
                        }
                    }
                    let known: std::collections::HashSet<&str> = edges.iter().map(|(c, _)| c.as_str()).collect();
                    let existing: Vec<String> = sqlx::query_scalar("SELECT code FROM courses WHERE org_id = $1").bind(org.0).fetch_all(&mut *tx).await?;
                    for p in &draft.prerequisites {
                        if !existing.contains(p) && !known.contains(p.as_str()) {
                            problems.push(BatchProblem { line: 1, field: "prerequisites".into(), message: format!("no course {p:?} in this organisation") });
                        }
                    }
                    edges.extend(draft.prerequisites.iter().map(|p| (draft.code.clone(), p.clone())));
                    let pairs: Vec<(&str, &str)> = edges.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
                    if let Some(cycle) = lantern_learning::pathway::find_cycle(&pairs) {
                        problems.push(BatchProblem { line: 1, field: "prerequisites".into(), message: format!("these prerequisites would make a cycle: {}", cycle.join(" requires ")) });
                    }
                    if !problems.is_empty() {
                        return Err(StoreError::Rejected(problems));
                    }
                    sqlx::query("INSERT INTO courses (org_id, code, created_at) VALUES ($1, $2, $3) ON CONFLICT (org_id, code) DO NOTHING")
                        .bind(org.0).bind(&draft.code).bind(now).execute(&mut *tx).await?;
                    let course_id: i64 = sqlx::query_scalar("SELECT id FROM courses WHERE org_id = $1 AND code = $2")
                        .bind(org.0).bind(&draft.code).fetch_one(&mut *tx).await?;
                    let latest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM course_versions WHERE course_id = $1")
                        .bind(course_id).fetch_one(&mut *tx).await?;
                    let mut version = draft.clone();
                    version.version = u32::try_from(latest.unwrap_or(0) + 1).unwrap_or(u32::MAX);
                    let body = serde_json::to_string(&version).map_err(|e| StoreError::Corrupt { column: "course_versions.body", message: e.to_string() })?;
                    let version_id: i64 = sqlx::query_scalar(
                        "INSERT INTO course_versions (course_id, version, title, body, published_at, published_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(course_id).bind(i64::from(version.version)).bind(&version.title).bind(&body).bind(now).bind(by.map(|a| a.0))
                    .fetch_one(&mut *tx).await?;
                    for s in &version.satisfies {
                        sqlx::query("INSERT INTO course_satisfies (course_version_id, subject, level) VALUES ($1, $2, $3)")
                            .bind(version_id).bind(s.subject.as_str()).bind(i64::from(s.level)).execute(&mut *tx).await?;
                    }
                    let owner_ods: String = sqlx::query_scalar("SELECT ods_code FROM organisations WHERE id = $1")
                        .bind(org.0).fetch_one(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(CourseEntry { id: course_id, org, owner_ods, version_id, course: version, published_at: now })
                }

                pub(crate) async fn learning_publish_bank(
                    &self,
                    org: OrgId,
                    by: Option<AccountId>,
                    now: Timestamp,
                    code: &str,
                    questions: &[Question],
                ) -> Result<u32> {
                    if questions.is_empty() {
                        return Err(rejected("questions", "a bank needs at least one question".into()));
                    }
                    let mut problems = Vec::new();
                    let mut ids = std::collections::HashSet::new();
                    for (i, q) in questions.iter().enumerate() {
                        if let Err(e) = q.check() {
                            problems.push(BatchProblem { line: i + 1, field: "question".into(), message: e.to_string() });
                        }
                        if !ids.insert(q.id.as_str()) {
                            problems.push(BatchProblem { line: i + 1, field: "id".into(), message: format!("question id {:?} is used twice", q.id) });
                        }
                    }
                    if !problems.is_empty() {
                        return Err(StoreError::Rejected(problems));
                    }
                    let mut tx: Tx<'_> = self.begin_write().await?;
                    sqlx::query("INSERT INTO question_banks (org_id, code, created_at) VALUES ($1, $2, $3) ON CONFLICT (org_id, code) DO NOTHING")
                        .bind(org.0).bind(code).bind(now).execute(&mut *tx).await?;
                    let bank_id: i64 = sqlx::query_scalar("SELECT id FROM question_banks WHERE org_id = $1 AND code = $2")
                        .bind(org.0).bind(code).fetch_one(&mut *tx).await?;
                    let latest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM bank_versions WHERE bank_id = $1")
                        .bind(bank_id).fetch_one(&mut *tx).await?;
                    let version = latest.unwrap_or(0) + 1;
                    let body = serde_json::to_string(questions).map_err(|e| StoreError::Corrupt { column: "bank_versions.questions", message: e.to_string() })?;
                    sqlx::query("INSERT INTO bank_versions (bank_id, version, questions, published_at, published_by) VALUES ($1, $2, $3, $4, $5)")
                        .bind(bank_id).bind(version).bind(body).bind(now).bind(by.map(|a| a.0)).execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(u32::try_from(version).unwrap_or(u32::MAX))
                }

                pub(crate) async fn learning_courses(&self, org: OrgId) -> Result<Vec<CourseEntry>> {
                    let mut out: Vec<CourseEntry> = sqlx::query(sqlx::AssertSqlSafe(format!("{LATEST} AND c.org_id = $1")))
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(entry_from_row).collect::<Result<_>>()?;
                    out.sort_by(|a, b| a.course.title.cmp(&b.course.title));
                    Ok(out)
                }

                /// One course by its address: its code for the organisation's own, `code@ODS` for one another
                /// organisation shares with it (codes never hold `@`, so the two cannot be confused).
                pub(crate) async fn learning_course(&self, org: OrgId, code: &str) -> Result<CourseEntry> {
                    let query = match code.split_once('@') {
                        None => sqlx::query(sqlx::AssertSqlSafe(format!("{LATEST} AND c.org_id = $1 AND c.code = $2")))
                            .bind(org.0).bind(code),
                        Some((code, owner)) => sqlx::query(sqlx::AssertSqlSafe(format!(
                            "{LATEST} AND o.ods_code = $3 AND c.code = $2 AND c.org_id <> $1 AND {SHARED_WITH}"
                        )))
                        .bind(org.0).bind(code).bind(owner),
                    };
                    query.fetch_optional(&self.pool).await?
                        .as_ref().map(entry_from_row).transpose()?.ok_or(StoreError::NotFound)
                }

                pub(crate) async fn learning_courses_for(&self, org: OrgId, subject: &str, level: u8) -> Result<Vec<CourseEntry>> {
                    let mut out: Vec<CourseEntry> = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "{LATEST} AND (c.org_id = $1 OR {SHARED_WITH}) \
                         AND EXISTS (SELECT 1 FROM course_satisfies cs WHERE cs.course_version_id = v.id AND cs.subject = $2 AND cs.level >= $3)"
                    )))
                    .bind(org.0).bind(subject).bind(i64::from(level)).fetch_all(&self.pool).await?
                    .iter().map(entry_from_row).collect::<Result<_>>()?;
                    // The organisation's own course first, then shared ones, each by title.
                    out.sort_by(|a, b| ((a.org != org), &a.course.title).cmp(&((b.org != org), &b.course.title)));
                    Ok(out)
                }

                /// The latest version of a bank: its id and questions.
                pub(crate) async fn learning_bank(tx: &mut Tx<'_>, org: OrgId, code: &str) -> Result<(i64, Vec<Question>)> {
                    let row = sqlx::query(
                        "SELECT v.id, v.questions FROM question_banks b JOIN bank_versions v ON v.bank_id = b.id \
                         WHERE b.org_id = $1 AND b.code = $2 ORDER BY v.version DESC LIMIT 1",
                    )
                    .bind(org.0).bind(code).fetch_optional(&mut **tx).await?.ok_or(StoreError::NotFound)?;
                    Ok((row.try_get("id")?, Self::bank_questions(&row.try_get::<String, _>("questions")?)?))
                }

                pub(crate) fn bank_questions(body: &str) -> Result<Vec<Question>> {
                    serde_json::from_str(body).map_err(|e| StoreError::Corrupt { column: "bank_versions.questions", message: e.to_string() })
                }
            }
        }
    };
}

pub(crate) use impl_courses;
