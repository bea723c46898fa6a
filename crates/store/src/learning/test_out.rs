//! Test-out settings: per requirement, whether the organisation lets a person due for renewal take a course's
//! assessment first. Kept as versions (a new row each change), read "as known at" like every other setting.

macro_rules! impl_test_out {
    ($store:ident, $db:ty) => {
        mod learning_test_out {
            use super::$store;
            use crate::learning::{TestOutSetting, test_out_on};
            use crate::{Result, StoreError};
            use crate::sql::read_subject;
            use lantern_domain::{AccountId, OrgId, Subject, Timestamp};
            use lantern_learning::course::CourseVersion;
            use sqlx::Row;

            type Tx<'c> = sqlx::Transaction<'c, $db>;

            fn settings_from(rows: Vec<<$db as sqlx::Database>::Row>) -> Result<Vec<TestOutSetting>> {
                rows.iter()
                    .map(|r| {
                        Ok(TestOutSetting {
                            subject: read_subject("test_out_settings.subject", r.try_get("subject")?)?,
                            level: u8::try_from(r.try_get::<i64, _>("level")?)
                                .map_err(|e| StoreError::Corrupt { column: "test_out_settings.level", message: e.to_string() })?,
                            enabled: r.try_get("enabled")?,
                            recorded_at: r.try_get("recorded_at")?,
                        })
                    })
                    .collect()
            }

            const SETTINGS: &str =
                "SELECT subject, level, enabled, recorded_at FROM test_out_settings WHERE org_id = $1 ORDER BY recorded_at, id";

            impl $store {
                pub(crate) async fn learning_test_out_settings(&self, org: OrgId) -> Result<Vec<TestOutSetting>> {
                    settings_from(sqlx::query(SETTINGS).bind(org.0).fetch_all(&self.pool).await?)
                }

                pub(crate) async fn learning_set_test_out(
                    &self,
                    org: OrgId,
                    subject: &Subject,
                    level: u8,
                    enabled: bool,
                    by: AccountId,
                    now: Timestamp,
                ) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    let known: Option<i64> = sqlx::query_scalar("SELECT id FROM rules WHERE org_id = $1 AND subject = $2 AND level = $3 LIMIT 1")
                        .bind(org.0).bind(subject.as_str()).bind(i64::from(level)).fetch_optional(&mut *tx).await?;
                    if known.is_none() {
                        return Err(super::learning_courses::rejected(
                            "requirement",
                            format!("{subject} level {level} is not a requirement of this organisation"),
                        ));
                    }
                    sqlx::query("INSERT INTO test_out_settings (org_id, subject, level, enabled, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(org.0).bind(subject.as_str()).bind(i64::from(level)).bind(enabled).bind(now).bind(by.0)
                        .execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(())
                }

                /// The first requirement the course satisfies that test-out is on for now, if any.
                pub(crate) async fn learning_test_out_requirement(
                    &self,
                    tx: &mut Tx<'_>,
                    org: OrgId,
                    course: &CourseVersion,
                ) -> Result<Option<(Subject, u8)>> {
                    let settings = settings_from(sqlx::query(SETTINGS).bind(org.0).fetch_all(&mut **tx).await?)?;
                    Ok(course
                        .satisfies
                        .iter()
                        .find(|s| test_out_on(&settings, &s.subject, s.level, None))
                        .map(|s| (s.subject.clone(), s.level)))
                }
            }
        }
    };
}

pub(crate) use impl_test_out;
