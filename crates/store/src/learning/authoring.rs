//! Authoring: drafts of courses and banks, the banks an organisation has, lesson images, sharing courses with other
//! organisations, and the responses behind a bank's item statistics (migration 0021, append-only).

use super::CourseEntry;
use crate::Result;
use async_trait::async_trait;
use lantern_domain::{AccountId, OrgId, Timestamp};
use lantern_learning::assessment::{Question, Response};

/// What a draft is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DraftKind {
    Course,
    Bank,
}

impl DraftKind {
    pub fn code(self) -> &'static str {
        match self {
            DraftKind::Course => "course",
            DraftKind::Bank => "bank",
        }
    }
}

/// The latest draft saved under a code: its JSON body, as the editor posted it.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub code: String,
    pub body: String,
    pub saved_at: Timestamp,
}

/// A bank's latest published version.
#[derive(Clone, Debug, PartialEq)]
pub struct BankEntry {
    pub code: String,
    pub version: u32,
    pub questions: Vec<Question>,
    pub published_at: Timestamp,
}

/// A lesson image as listed (the bytes are fetched on their own).
#[derive(Clone, Debug, PartialEq)]
pub struct ImageEntry {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_at: Timestamp,
}

/// Who a course is shared with: every other organisation, or these.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sharing {
    pub everyone: bool,
    pub orgs: Vec<OrgId>,
}

/// What item statistics are computed from: every submitted paper drawn from any version of the bank.
#[derive(Clone, Debug, PartialEq)]
pub struct BankResponses {
    /// The latest version's questions (the ones the author can still change).
    pub questions: Vec<Question>,
    pub responses: Vec<Response>,
}

#[async_trait]
pub trait AuthoringStore: Send + Sync {
    /// Saves a draft (a new row; the latest per code is the draft).
    async fn save_draft(
        &self,
        org: OrgId,
        kind: DraftKind,
        code: &str,
        body: &str,
        by: Option<AccountId>,
        now: Timestamp,
    ) -> Result<()>;

    /// The latest draft of each code of this kind.
    async fn drafts(&self, org: OrgId, kind: DraftKind) -> Result<Vec<Draft>>;

    /// The latest version of each of the organisation's banks, by code.
    async fn banks(&self, org: OrgId) -> Result<Vec<BankEntry>>;

    /// The latest version of one bank.
    async fn bank(&self, org: OrgId, code: &str) -> Result<BankEntry>;

    /// Stores a lesson image already checked by `lantern_learning::lesson::image_type`. Returns its id.
    async fn add_lesson_image(
        &self,
        org: OrgId,
        name: &str,
        content_type: &str,
        bytes: &[u8],
        by: Option<AccountId>,
        now: Timestamp,
    ) -> Result<i64>;

    /// The organisation's lesson images, the latest upload per name, by name.
    async fn lesson_images(&self, org: OrgId) -> Result<Vec<ImageEntry>>;

    /// An image's type and bytes, for a viewer in `viewer`: the image must be the viewer's organisation's, or the
    /// authoring organisation's of a course shared with it. NotFound otherwise.
    async fn lesson_image(&self, viewer: OrgId, id: i64) -> Result<(String, Vec<u8>)>;

    /// Sets who one of the organisation's courses is shared with (a new row; an empty, not-everyone sharing
    /// withdraws it). The organisation itself is never listed.
    async fn share_course(
        &self,
        org: OrgId,
        code: &str,
        sharing: &Sharing,
        by: Option<AccountId>,
        now: Timestamp,
    ) -> Result<()>;

    /// Who the course is shared with now.
    async fn course_sharing(&self, org: OrgId, code: &str) -> Result<Sharing>;

    /// Courses other organisations share with this one (their latest versions), by title.
    async fn shared_courses(&self, org: OrgId) -> Result<Vec<CourseEntry>>;

    /// Every submitted paper drawn from any version of the bank, as item statistics read it.
    async fn bank_responses(&self, org: OrgId, code: &str) -> Result<BankResponses>;
}

macro_rules! impl_authoring {
    ($store:ident, $db:ty) => {
        mod learning_authoring {
            use super::$store;
            use super::learning_courses::{entry_from_row, rejected, LATEST, SHARED_WITH};
            use crate::learning::authoring::*;
            use crate::learning::{CourseEntry, StoredPaper};
            use crate::{Result, StoreError};
            use async_trait::async_trait;
            use lantern_domain::{AccountId, OrgId, Timestamp};
            use lantern_learning::assessment::{self, Answers, Response};
            use sqlx::Row;

            fn corrupt(column: &'static str, e: impl std::fmt::Display) -> StoreError {
                StoreError::Corrupt { column, message: e.to_string() }
            }

            #[async_trait]
            impl AuthoringStore for $store {
                async fn save_draft(&self, org: OrgId, kind: DraftKind, code: &str, body: &str, by: Option<AccountId>, now: Timestamp) -> Result<()> {
                    sqlx::query("INSERT INTO authoring_drafts (org_id, kind, code, body, saved_at, saved_by) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(org.0).bind(kind.code()).bind(code).bind(body).bind(now).bind(by.map(|a| a.0))
                        .execute(&self.pool).await?;
                    Ok(())
                }

                async fn drafts(&self, org: OrgId, kind: DraftKind) -> Result<Vec<Draft>> {
                    let rows = sqlx::query(
                        "SELECT d.code, d.body, d.saved_at FROM authoring_drafts d WHERE d.org_id = $1 AND d.kind = $2 \
                         AND d.id = (SELECT MAX(e.id) FROM authoring_drafts e WHERE e.org_id = d.org_id AND e.kind = d.kind AND e.code = d.code) \
                         ORDER BY d.code",
                    )
                    .bind(org.0).bind(kind.code()).fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| Ok(Draft { code: r.try_get("code")?, body: r.try_get("body")?, saved_at: r.try_get("saved_at")? }))
                        .collect()
                }

                async fn banks(&self, org: OrgId) -> Result<Vec<BankEntry>> {
                    let rows = sqlx::query(
                        "SELECT b.code, v.version, v.questions, v.published_at FROM question_banks b JOIN bank_versions v ON v.bank_id = b.id \
                         WHERE b.org_id = $1 AND v.version = (SELECT MAX(w.version) FROM bank_versions w WHERE w.bank_id = b.id) ORDER BY b.code",
                    )
                    .bind(org.0).fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| {
                            Ok(BankEntry {
                                code: r.try_get("code")?,
                                version: u32::try_from(r.try_get::<i64, _>("version")?).unwrap_or(u32::MAX),
                                questions: Self::bank_questions(&r.try_get::<String, _>("questions")?)?,
                                published_at: r.try_get("published_at")?,
                            })
                        })
                        .collect()
                }

                async fn bank(&self, org: OrgId, code: &str) -> Result<BankEntry> {
                    self.banks(org).await?.into_iter().find(|b| b.code == code).ok_or(StoreError::NotFound)
                }

                async fn add_lesson_image(&self, org: OrgId, name: &str, content_type: &str, bytes: &[u8], by: Option<AccountId>, now: Timestamp) -> Result<i64> {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO lesson_images (org_id, name, content_type, bytes, uploaded_at, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(org.0).bind(name).bind(content_type).bind(bytes).bind(now).bind(by.map(|a| a.0))
                    .fetch_one(&self.pool).await?;
                    Ok(id)
                }

                async fn lesson_images(&self, org: OrgId) -> Result<Vec<ImageEntry>> {
                    let rows = sqlx::query(
                        "SELECT i.id, i.name, i.content_type, LENGTH(i.bytes) AS size, i.uploaded_at FROM lesson_images i WHERE i.org_id = $1 \
                         AND i.id = (SELECT MAX(j.id) FROM lesson_images j WHERE j.org_id = i.org_id AND j.name = i.name) ORDER BY i.name",
                    )
                    .bind(org.0).fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| {
                            Ok(ImageEntry {
                                id: r.try_get("id")?,
                                name: r.try_get("name")?,
                                content_type: r.try_get("content_type")?,
                                size: r.try_get::<i64, _>("size").or_else(|_| r.try_get::<i32, _>("size").map(i64::from))?,
                                uploaded_at: r.try_get("uploaded_at")?,
                            })
                        })
                        .collect()
                }

                async fn lesson_image(&self, viewer: OrgId, id: i64) -> Result<(String, Vec<u8>)> {
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT i.content_type, i.bytes FROM lesson_images i WHERE i.id = $2 AND (i.org_id = $1 OR EXISTS \
                         (SELECT 1 FROM courses c WHERE c.org_id = i.org_id AND {SHARED_WITH}))"
                    )))
                    .bind(viewer.0).bind(id).fetch_optional(&self.pool).await?.ok_or(StoreError::NotFound)?;
                    Ok((row.try_get("content_type")?, row.try_get("bytes")?))
                }

                async fn share_course(&self, org: OrgId, code: &str, sharing: &Sharing, by: Option<AccountId>, now: Timestamp) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    let course: i64 = sqlx::query_scalar("SELECT id FROM courses WHERE org_id = $1 AND code = $2")
                        .bind(org.0).bind(code).fetch_optional(&mut *tx).await?.ok_or(StoreError::NotFound)?;
                    let mut orgs: Vec<i64> = sharing.orgs.iter().map(|o| o.0).filter(|o| *o != org.0).collect();
                    orgs.sort_unstable();
                    orgs.dedup();
                    for o in &orgs {
                        let known: Option<i64> = sqlx::query_scalar("SELECT id FROM organisations WHERE id = $1").bind(o).fetch_optional(&mut *tx).await?;
                        if known.is_none() {
                            return Err(rejected("orgs", format!("no organisation with id {o}")));
                        }
                    }
                    let share: i64 = sqlx::query_scalar("INSERT INTO course_shares (course_id, everyone, shared_at, shared_by) VALUES ($1, $2, $3, $4) RETURNING id")
                        .bind(course).bind(sharing.everyone).bind(now).bind(by.map(|a| a.0)).fetch_one(&mut *tx).await?;
                    if !sharing.everyone {
                        for o in orgs {
                            sqlx::query("INSERT INTO course_share_orgs (share_id, org_id) VALUES ($1, $2)").bind(share).bind(o).execute(&mut *tx).await?;
                        }
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn course_sharing(&self, org: OrgId, code: &str) -> Result<Sharing> {
                    let course: i64 = sqlx::query_scalar("SELECT id FROM courses WHERE org_id = $1 AND code = $2")
                        .bind(org.0).bind(code).fetch_optional(&self.pool).await?.ok_or(StoreError::NotFound)?;
                    let Some(row) = sqlx::query("SELECT id, everyone FROM course_shares WHERE course_id = $1 ORDER BY id DESC LIMIT 1")
                        .bind(course).fetch_optional(&self.pool).await?
                    else {
                        return Ok(Sharing::default());
                    };
                    let share: i64 = row.try_get("id")?;
                    let orgs: Vec<i64> = sqlx::query_scalar("SELECT org_id FROM course_share_orgs WHERE share_id = $1 ORDER BY org_id")
                        .bind(share).fetch_all(&self.pool).await?;
                    Ok(Sharing { everyone: row.try_get("everyone")?, orgs: orgs.into_iter().map(OrgId).collect() })
                }

                async fn shared_courses(&self, org: OrgId) -> Result<Vec<CourseEntry>> {
                    let mut out: Vec<CourseEntry> = sqlx::query(sqlx::AssertSqlSafe(format!("{LATEST} AND c.org_id <> $1 AND {SHARED_WITH}")))
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(entry_from_row).collect::<Result<_>>()?;
                    out.sort_by(|a, b| a.course.title.cmp(&b.course.title));
                    Ok(out)
                }

                async fn bank_responses(&self, org: OrgId, code: &str) -> Result<BankResponses> {
                    let latest = self.bank(org, code).await?;
                    let rows = sqlx::query(
                        "SELECT v.questions, p.paper, s.answers FROM assessment_submissions s \
                         JOIN assessment_papers p ON p.id = s.paper_id JOIN bank_versions v ON v.id = p.bank_version_id \
                         JOIN question_banks b ON b.id = v.bank_id WHERE b.org_id = $1 AND b.code = $2 ORDER BY s.paper_id",
                    )
                    .bind(org.0).bind(code).fetch_all(&self.pool).await?;
                    let mut responses = Vec::with_capacity(rows.len());
                    for r in rows {
                        // Each paper is marked again against the version it was drawn from, question by question.
                        let questions = Self::bank_questions(&r.try_get::<String, _>("questions")?)?;
                        let drawn: StoredPaper = serde_json::from_str(&r.try_get::<String, _>("paper")?).map_err(|e| corrupt("assessment_papers.paper", e))?;
                        let answers: Answers = serde_json::from_str(&r.try_get::<String, _>("answers")?).map_err(|e| corrupt("assessment_submissions.answers", e))?;
                        let rules = assessment::Rules { pass_percent: 0, ..assessment::Rules::default() };
                        if let Ok(marked) = assessment::mark(&questions, &drawn, &answers, &rules) {
                            responses.push(Response { questions: marked.questions });
                        }
                    }
                    Ok(BankResponses { questions: latest.questions, responses })
                }
            }
        }
    };
}

pub(crate) use impl_authoring;
