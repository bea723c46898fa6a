//! Views a person saves on a page with filters (the team view): a name and the page's query string, per account.
//! Saving a name again replaces its view; removing one keeps the row, marked removed.

use crate::Result;
use async_trait::async_trait;
use lantern_domain::{AccountId, Timestamp};

/// The most views one account keeps on one page.
pub const MAX_SAVED_VIEWS: usize = 30;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    /// The page's query string ("unit=3&status=overdue").
    pub query: String,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait SavedViewStore: Send + Sync {
    /// The account's views on `page`, by name.
    async fn saved_views(&self, account: AccountId, page: &str) -> Result<Vec<SavedView>>;
    /// Saves a view under `name` (replacing the account's view of that name on the page). Rejected when the account
    /// already keeps `MAX_SAVED_VIEWS` others there.
    async fn save_view(
        &self,
        account: AccountId,
        page: &str,
        name: &str,
        query: &str,
        now: Timestamp,
    ) -> Result<i64>;
    /// Removes one of the account's views; false when it has no such view.
    async fn remove_view(&self, account: AccountId, id: i64, now: Timestamp) -> Result<bool>;
}

macro_rules! impl_saved_view_store {
    ($store:ident, $db:ty) => {
        mod saved_view_store {
            use super::$store;
            use crate::batch::BatchProblem;
            use crate::saved_views::*;
            use crate::{Result, StoreError};
            use async_trait::async_trait;
            use lantern_domain::{AccountId, Timestamp};
            use sqlx::Row;

            #[async_trait]
            impl SavedViewStore for $store {
                async fn saved_views(&self, account: AccountId, page: &str) -> Result<Vec<SavedView>> {
                    let rows = sqlx::query(
                        "SELECT id, name, query, created_at FROM saved_views WHERE account_id = $1 AND page = $2 \
                         AND removed_at IS NULL ORDER BY LOWER(name), id",
                    )
                    .bind(account.0).bind(page).fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| {
                            Ok(SavedView {
                                id: r.try_get("id")?,
                                name: r.try_get("name")?,
                                query: r.try_get("query")?,
                                created_at: r.try_get("created_at")?,
                            })
                        })
                        .collect()
                }

                async fn save_view(&self, account: AccountId, page: &str, name: &str, query: &str, now: Timestamp) -> Result<i64> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query(
                        "UPDATE saved_views SET removed_at = $1 WHERE account_id = $2 AND page = $3 \
                         AND LOWER(name) = LOWER($4) AND removed_at IS NULL",
                    )
                    .bind(now).bind(account.0).bind(page).bind(name).execute(&mut *tx).await?;
                    let kept: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM saved_views WHERE account_id = $1 AND page = $2 AND removed_at IS NULL",
                    )
                    .bind(account.0).bind(page).fetch_one(&mut *tx).await?;
                    if kept as usize >= MAX_SAVED_VIEWS {
                        return Err(StoreError::Rejected(vec![BatchProblem {
                            line: 1,
                            field: "name".into(),
                            message: format!("You keep {MAX_SAVED_VIEWS} saved views already: remove one first"),
                        }]));
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO saved_views (account_id, page, name, query, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(account.0).bind(page).bind(name).bind(query).bind(now)
                    .fetch_one(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(id)
                }

                async fn remove_view(&self, account: AccountId, id: i64, now: Timestamp) -> Result<bool> {
                    let done = sqlx::query(
                        "UPDATE saved_views SET removed_at = $1 WHERE id = $2 AND account_id = $3 AND removed_at IS NULL",
                    )
                    .bind(now).bind(id).bind(account.0).execute(&self.pool).await?;
                    Ok(done.rows_affected() > 0)
                }
            }
        }
    };
}

pub(crate) use impl_saved_view_store;
