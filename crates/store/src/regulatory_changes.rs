//! Applying a regulatory change, and the record of changes applied. A preview reads only (the domain's
//! `regulatory_change` over `org_context` and `people`); applying writes, in one transaction, the framework file (a
//! framework version is applied once: a second time is refused), every organisation's new rule versions, one
//! `regulatory_changes` row per organisation with who applied it and the preview's summary, and the notification
//! emails into the outbox. A problem anywhere rolls it all back, emails included, so an email cannot go out twice or
//! for a change that was not made.

use crate::{OutgoingMail, Result};
use async_trait::async_trait;
use lantern_domain::framework::FrameworkFile;
use lantern_domain::{AccountId, Date, OrgId, Rule, Subject, Timestamp};

/// What was applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppliedKind {
    /// A new framework version (every organisation at once).
    Framework,
    /// One new rule version in one organisation.
    RuleVersion,
}

impl AppliedKind {
    pub fn code(self) -> &'static str {
        match self {
            AppliedKind::Framework => "framework",
            AppliedKind::RuleVersion => "rule_version",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [AppliedKind::Framework, AppliedKind::RuleVersion]
            .into_iter()
            .find(|k| k.code() == s)
    }
}

/// One organisation's part of a change, as confirmed.
#[derive(Clone, Debug)]
pub struct NewChange {
    pub org: OrgId,
    pub kind: AppliedKind,
    pub framework: String,
    pub framework_version: String,
    /// The requirement, for a rule version.
    pub subject: Option<Subject>,
    pub level: Option<u8>,
    pub effective_from: Date,
    /// The first day after the transition.
    pub transition_ends: Option<Date>,
    /// None from the command line.
    pub applied_by: Option<AccountId>,
    pub applied_by_name: String,
    /// The preview's summary (JSON), as shown when it was confirmed.
    pub summary: String,
    /// The new rule versions for the organisation (ids are given here).
    pub versions: Vec<Rule>,
    /// The notifications: one per newly affected person, one digest per manager.
    pub mail: Vec<OutgoingMail>,
}

/// A change as the changes page lists it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AppliedChange {
    pub id: i64,
    #[serde(skip)]
    pub org: OrgId,
    pub kind: AppliedKind,
    pub framework: String,
    pub framework_version: String,
    pub subject: Option<Subject>,
    pub level: Option<u8>,
    pub effective_from: Date,
    pub transition_ends: Option<Date>,
    pub applied_by: String,
    pub applied_at: Timestamp,
    /// The preview's summary (JSON).
    #[serde(skip)]
    pub summary: String,
    /// Emails queued when it was applied.
    pub emails: i64,
}

#[async_trait]
pub trait ChangeStore: Send + Sync {
    /// Loads a framework file and applies it to every organisation, all-or-nothing: `changes` must name each
    /// organisation there is (one added since the preview is refused, to be previewed too). A version loaded before
    /// is refused, naming it.
    async fn apply_framework(
        &self,
        file_name: &str,
        text: &str,
        file: &FrameworkFile,
        changes: &[NewChange],
        now: Timestamp,
    ) -> Result<Vec<i64>>;
    /// Applies one new rule version in one organisation with its record and emails, all-or-nothing.
    async fn apply_rule_change(&self, change: &NewChange, now: Timestamp) -> Result<i64>;
    /// The organisation's changes, newest first.
    async fn applied_changes(&self, org: OrgId) -> Result<Vec<AppliedChange>>;
    /// One change of the organisation; NotFound when it is another's.
    async fn applied_change(&self, org: OrgId, id: i64) -> Result<AppliedChange>;
}

pub(crate) fn kind_from(s: &str) -> Result<AppliedKind> {
    AppliedKind::parse(s).ok_or_else(|| crate::StoreError::Corrupt {
        column: "regulatory_changes.kind",
        message: format!("unknown kind {s:?}"),
    })
}

macro_rules! impl_change_store {
    ($store:ident, $db:ty) => {
        mod change_store {
            use super::*;
            use crate::regulatory_changes::{kind_from, AppliedChange, ChangeStore, NewChange};
            use crate::{BatchProblem, OutgoingMail, StoreError};

            const COLUMNS: &str = "id, org_id, kind, framework, framework_version, subject, level, effective_from, \
                                   transition_ends, applied_by_name, applied_at, summary, emails";

            fn refused(field: &str, message: String) -> StoreError {
                StoreError::Rejected(vec![BatchProblem { line: 1, field: field.to_owned(), message }])
            }

            fn change_from_row(r: &DbRow) -> Result<AppliedChange> {
                Ok(AppliedChange {
                    id: r.try_get("id")?,
                    org: OrgId(r.try_get("org_id")?),
                    kind: kind_from(&r.try_get::<String, _>("kind")?)?,
                    framework: r.try_get("framework")?,
                    framework_version: r.try_get("framework_version")?,
                    subject: r
                        .try_get::<Option<String>, _>("subject")?
                        .map(|s| crate::sql::read_subject("regulatory_changes.subject", s))
                        .transpose()?,
                    level: r.try_get::<Option<i16>, _>("level")?.map(|l| l as u8),
                    effective_from: r.try_get("effective_from")?,
                    transition_ends: r.try_get("transition_ends")?,
                    applied_by: r.try_get("applied_by_name")?,
                    applied_at: r.try_get("applied_at")?,
                    summary: r.try_get("summary")?,
                    emails: r.try_get("emails")?,
                })
            }

            /// The organisation's versions, its record and its emails, inside the caller's transaction.
            async fn write_change(tx: &mut Tx<'_>, c: &NewChange, now: Timestamp, problems: &mut Vec<BatchProblem>) -> Result<Option<i64>> {
                for rule in &c.versions {
                    if rule.org_id != c.org {
                        return Err(refused("org", "a rule version for another organisation".into()));
                    }
                    if rule.framework == lantern_domain::local_requirements::LOCAL_FRAMEWORK {
                        // An organisation's own requirement brings its own subject, which only it may name.
                        let ods: String = sqlx::query_scalar("SELECT ods_code FROM organisations WHERE id = $1")
                            .bind(c.org.0).fetch_one(&mut **tx).await?;
                        if !rule.subject.as_str().starts_with(&format!("local.{}.", ods.to_ascii_lowercase())) {
                            return Err(refused("subject", "a local requirement's subject names its own organisation".into()));
                        }
                        sqlx::query(
                            "INSERT INTO competencies (code, name, framework, levels) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (code) DO NOTHING",
                        )
                        .bind(rule.subject.as_str()).bind(&rule.title).bind(&rule.framework)
                        .bind(r#"["Level 1"]"#).execute(&mut **tx).await?;
                    }
                    // Recorded now, with the change: an answer "as known at" an earlier moment does not see it.
                    let mut rule = rule.clone();
                    rule.created_at = now;
                    if let Some(message) = $store::add_rule_version(tx, &rule).await? {
                        problems.push(BatchProblem { line: 1, field: "effective_from".into(), message });
                    }
                }
                if !problems.is_empty() {
                    return Ok(None);
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO regulatory_changes (org_id, kind, framework, framework_version, subject, level, \
                     effective_from, transition_ends, applied_by, applied_by_name, applied_at, summary, emails) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                )
                .bind(c.org.0).bind(c.kind.code()).bind(&c.framework).bind(&c.framework_version)
                .bind(c.subject.as_deref()).bind(c.level.map(i16::from)).bind(c.effective_from).bind(c.transition_ends)
                .bind(c.applied_by.map(|a| a.0)).bind(&c.applied_by_name).bind(now).bind(&c.summary)
                .bind(c.mail.len() as i64)
                .fetch_one(&mut **tx).await?;
                for m in &c.mail {
                    insert_mail(tx, m, now).await?;
                }
                Ok(Some(id))
            }

            async fn insert_mail(tx: &mut Tx<'_>, m: &OutgoingMail, now: Timestamp) -> Result<()> {
                sqlx::query(
                    "INSERT INTO mail_outbox (recipient, subject, body, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $4)",
                )
                .bind(&m.to).bind(&m.subject).bind(&m.body).bind(now)
                .execute(&mut **tx).await?;
                Ok(())
            }

            #[async_trait::async_trait]
            impl ChangeStore for $store {
                async fn apply_framework(&self, file_name: &str, text: &str, file: &FrameworkFile, changes: &[NewChange], now: Timestamp) -> Result<Vec<i64>> {
                    let mut tx = self.begin_write().await?;
                    let f = &file.framework;
                    let res = sqlx::query(
                        "INSERT INTO frameworks (code, version, name, source, effective_from, file_name, file_text, loaded_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (code, version) DO NOTHING",
                    )
                    .bind(&f.code).bind(&f.version).bind(&f.name).bind(&f.source).bind(f.effective_from)
                    .bind(file_name).bind(text).bind(now)
                    .execute(&mut *tx).await?;
                    if res.rows_affected() == 0 {
                        tx.rollback().await?;
                        return Err(refused("version", format!(
                            "{} {} is already loaded: a framework version is applied once; a correction is a new version",
                            f.code, f.version
                        )));
                    }
                    for c in file.competencies() {
                        sqlx::query(
                            "INSERT INTO competencies (code, name, framework, levels) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (code) DO UPDATE SET name = excluded.name, levels = excluded.levels",
                        )
                        .bind(c.code.as_str()).bind(&c.name).bind(&c.framework).bind(json(&c.levels))
                        .execute(&mut *tx).await?;
                    }
                    let org_ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM organisations ORDER BY id").fetch_all(&mut *tx).await?;
                    let mut missing: Vec<i64> = org_ids.iter().copied().filter(|o| !changes.iter().any(|c| c.org.0 == *o)).collect();
                    missing.truncate(5);
                    if !missing.is_empty() {
                        tx.rollback().await?;
                        return Err(refused("organisations", format!(
                            "organisations were added since the preview (ids {missing:?}): preview again"
                        )));
                    }
                    let mut ids = Vec::new();
                    let mut problems = Vec::new();
                    let mut touched = Touched::at(now);
                    for c in changes {
                        if c.kind != crate::AppliedKind::Framework || c.framework != f.code || c.framework_version != f.version {
                            return Err(refused("framework", "a change for another framework version".into()));
                        }
                        if let Some(id) = write_change(&mut tx, c, now, &mut problems).await? {
                            ids.push(id);
                        }
                        touched.org(c.org.0);
                    }
                    if !problems.is_empty() {
                        problems.dedup_by(|a, b| a.message == b.message);
                        tx.rollback().await?;
                        return Err(StoreError::Rejected(problems));
                    }
                    $store::record_changes(&mut tx, touched).await?;
                    tx.commit().await?;
                    Ok(ids)
                }

                async fn apply_rule_change(&self, change: &NewChange, now: Timestamp) -> Result<i64> {
                    let mut tx = self.begin_write().await?;
                    let mut problems = Vec::new();
                    let id = write_change(&mut tx, change, now, &mut problems).await?;
                    let Some(id) = id else {
                        tx.rollback().await?;
                        return Err(StoreError::Rejected(problems));
                    };
                    let mut touched = Touched::at(now);
                    touched.org(change.org.0);
                    $store::record_changes(&mut tx, touched).await?;
                    tx.commit().await?;
                    Ok(id)
                }

                async fn applied_changes(&self, org: OrgId) -> Result<Vec<AppliedChange>> {
                    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {COLUMNS} FROM regulatory_changes WHERE org_id = $1 ORDER BY applied_at DESC, id DESC"
                    )))
                    .bind(org.0)
                    .fetch_all(&self.pool).await?;
                    rows.iter().map(change_from_row).collect()
                }

                async fn applied_change(&self, org: OrgId, id: i64) -> Result<AppliedChange> {
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {COLUMNS} FROM regulatory_changes WHERE org_id = $1 AND id = $2"
                    )))
                    .bind(org.0).bind(id)
                    .fetch_optional(&self.pool).await?
                    .ok_or(StoreError::NotFound)?;
                    change_from_row(&row)
                }
            }
        }
    };
}

pub(crate) use impl_change_store;
