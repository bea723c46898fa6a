//! Calendar subscriptions: each account's secret link to the iCalendar feed of its own due dates (only the link's
//! hash is kept). Making a new link ends the old one.

use crate::Result;
use async_trait::async_trait;
use lantern_domain::{AccountId, Timestamp};

#[async_trait]
pub trait CalendarStore: Send + Sync {
    /// When the account's current link was made, if it has one.
    async fn calendar_link(&self, account: AccountId) -> Result<Option<Timestamp>>;
    /// Makes the account's link the one with this hash, ending any other, in one transaction.
    async fn set_calendar_link(
        &self,
        account: AccountId,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<()>;
    /// Ends the account's link; true when there was one.
    async fn end_calendar_link(&self, account: AccountId, now: Timestamp) -> Result<bool>;
    /// The account whose current link has this hash.
    async fn calendar_account(&self, token_hash: &str) -> Result<Option<AccountId>>;
}

macro_rules! impl_calendar_store {
    ($store:ident, $db:ty) => {
        mod calendar_store {
            use super::$store;
            use crate::Result;
            use crate::calendar::CalendarStore;
            use async_trait::async_trait;
            use lantern_domain::{AccountId, Timestamp};

            #[async_trait]
            impl CalendarStore for $store {
                async fn calendar_link(&self, account: AccountId) -> Result<Option<Timestamp>> {
                    Ok(sqlx::query_scalar(
                        "SELECT created_at FROM calendar_links WHERE account_id = $1 AND revoked_at IS NULL \
                         ORDER BY id DESC LIMIT 1",
                    )
                    .bind(account.0).fetch_optional(&self.pool).await?)
                }

                async fn set_calendar_link(&self, account: AccountId, token_hash: &str, now: Timestamp) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query("UPDATE calendar_links SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
                        .bind(now).bind(account.0).execute(&mut *tx).await?;
                    sqlx::query("INSERT INTO calendar_links (account_id, token_hash, created_at) VALUES ($1, $2, $3)")
                        .bind(account.0).bind(token_hash).bind(now).execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn end_calendar_link(&self, account: AccountId, now: Timestamp) -> Result<bool> {
                    let done = sqlx::query("UPDATE calendar_links SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
                        .bind(now).bind(account.0).execute(&self.pool).await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn calendar_account(&self, token_hash: &str) -> Result<Option<AccountId>> {
                    let id: Option<i64> = sqlx::query_scalar(
                        "SELECT account_id FROM calendar_links WHERE token_hash = $1 AND revoked_at IS NULL",
                    )
                    .bind(token_hash).fetch_optional(&self.pool).await?;
                    Ok(id.map(AccountId))
                }
            }
        }
    };
}

pub(crate) use impl_calendar_store;
