//! Where to do a requirement when Lantern holds no course for it (`lantern_domain::how_to_complete`): an
//! organisation's link per requirement subject, in append-only versions (the latest is in force; an empty address
//! removes it).

use crate::Result;
use async_trait::async_trait;
use lantern_domain::{AccountId, OrgId, Subject, Timestamp};

/// A link in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionLink {
    pub subject: Subject,
    pub url: String,
    pub label: String,
    pub recorded_at: Timestamp,
}

#[async_trait]
pub trait CompletionLinkStore: Send + Sync {
    /// The organisation's links in force, by subject.
    async fn completion_links(&self, org: OrgId) -> Result<Vec<CompletionLink>>;
    /// Sets (or, with an empty `url`, removes) the link for a subject, as checked by `how_to_complete::check`.
    /// Rejected, naming the field, when the link is not sound or the subject is not one of the organisation's.
    async fn set_completion_link(
        &self,
        org: OrgId,
        subject: &Subject,
        url: &str,
        label: &str,
        by: AccountId,
        now: Timestamp,
    ) -> Result<()>;
}

macro_rules! impl_completion_link_store {
    ($store:ident, $db:ty) => {
        mod completion_link_store {
            use super::$store;
            use crate::batch::BatchProblem;
            use crate::completion_links::*;
            use crate::{Result, StoreError};
            use async_trait::async_trait;
            use lantern_domain::{AccountId, OrgId, Subject, Timestamp};
            use sqlx::Row;

            #[async_trait]
            impl CompletionLinkStore for $store {
                async fn completion_links(&self, org: OrgId) -> Result<Vec<CompletionLink>> {
                    let rows = sqlx::query(
                        "SELECT l.subject, l.url, l.label, l.recorded_at FROM completion_links l WHERE l.org_id = $1 \
                         AND NOT EXISTS (SELECT 1 FROM completion_links n WHERE n.org_id = l.org_id \
                           AND n.subject = l.subject AND n.id > l.id) AND l.url <> '' ORDER BY l.subject",
                    )
                    .bind(org.0).fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| {
                            Ok(CompletionLink {
                                subject: crate::sql::read_subject("completion_links.subject", r.try_get("subject")?)?,
                                url: r.try_get("url")?,
                                label: r.try_get("label")?,
                                recorded_at: r.try_get("recorded_at")?,
                            })
                        })
                        .collect()
                }

                async fn set_completion_link(
                    &self,
                    org: OrgId,
                    subject: &Subject,
                    url: &str,
                    label: &str,
                    by: AccountId,
                    now: Timestamp,
                ) -> Result<()> {
                    let (url, label) = (url.trim(), label.trim());
                    let mut problems: Vec<BatchProblem> = if url.is_empty() {
                        Vec::new()
                    } else {
                        lantern_domain::how_to_complete::check(url, label)
                            .into_iter()
                            .map(|p| BatchProblem { line: 1, field: p.field.to_owned(), message: p.message })
                            .collect()
                    };
                    let mut tx = self.begin_write().await?;
                    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rules WHERE org_id = $1 AND subject = $2")
                        .bind(org.0).bind(subject.as_str()).fetch_one(&mut *tx).await?;
                    if known == 0 {
                        problems.push(BatchProblem { line: 1, field: "subject".into(), message: "Choose one of the requirements here".into() });
                    }
                    if !problems.is_empty() {
                        return Err(StoreError::Rejected(problems));
                    }
                    sqlx::query(
                        "INSERT INTO completion_links (org_id, subject, url, label, recorded_at, recorded_by) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(org.0).bind(subject.as_str()).bind(url).bind(if url.is_empty() { "" } else { label })
                    .bind(now).bind(by.0).execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(())
                }
            }
        }
    };
}

pub(crate) use impl_completion_link_store;
