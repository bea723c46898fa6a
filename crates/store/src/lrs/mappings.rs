//! Statements that become training records: the organisation's mappings (their rules are the domain's,
//! `lantern_domain::xapi_mapping`), the people actors name, and the records written through the batch path, with
//! withdrawals when a statement is voided.

use lantern_domain::xapi_mapping::StatementOutcome;
use lantern_domain::{PersonId, RecordId, Subject};
use lantern_xapi::Prepared;

/// A mapping that turns statements into training records: the rules are the domain's.
pub use lantern_domain::xapi_mapping::XapiMapping;

/// A training record an xAPI statement became, for the admin's page.
#[derive(Clone, Debug, PartialEq)]
pub struct FedRecord {
    pub statement_id: uuid::Uuid,
    pub record_id: RecordId,
    pub person: PersonId,
    pub subject: Subject,
    pub level: u8,
    pub completed_on: lantern_domain::Date,
    pub withdrawn: bool,
}

/// What a statement says that a mapping looks at, for the domain's rules.
pub(crate) fn outcome_of(p: &Prepared) -> StatementOutcome<'_> {
    let result = lantern_xapi::result_facts(&p.statement);
    StatementOutcome {
        verb: &p.index.verb,
        activity: p.index.object_activity.as_deref(),
        success: result.success,
        scaled: result.scaled,
        duration: result.duration,
        timestamp: p.index.timestamp,
    }
}

/// A "cmi5 defined" statement (cmi5 7.1.3: the cmi5 category in its context), or one the LMS issues for cmi5.
pub(crate) fn is_cmi5(statement: &serde_json::Value) -> bool {
    statement
        .pointer("/context/contextActivities/category")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|c| {
            c.iter().any(|a| {
                a.get("id").and_then(serde_json::Value::as_str)
                    == Some(lantern_learning::cmi5::vocab::CATEGORY_CMI5)
            })
        })
}

/// The mappings' SQL, for one backend (expanded by `impl_lrs_store!`).
macro_rules! mappings_sql {
    ($store:ident, $db:ty, $backend:expr) => {
        mod mappings {
            use super::*;

            fn mapping_from_row(r: &DbRow) -> Result<XapiMapping> {
                let level: i64 = r.try_get("level")?;
                Ok(XapiMapping {
                    id: r.try_get("id")?,
                    org: OrgId(r.try_get("org_id")?),
                    activity: r.try_get("activity")?,
                    subject: crate::sql::read_subject("xapi_mappings.subject", r.try_get("subject")?)?,
                    level: u8::try_from(level).unwrap_or(u8::MAX),
                    verbs: r.try_get::<String, _>("verbs")?.split_whitespace().map(str::to_owned).collect(),
                    require_success: r.try_get("require_success")?,
                    min_scaled_score: r.try_get("min_scaled_score")?,
                    hours: r.try_get("hours")?,
                    created_at: r.try_get("created_at")?,
                    retired_at: r.try_get("retired_at")?,
                })
            }

            impl $store {
                /// The people actors name (by email or Lantern account), among those with a post in the organisation.
                async fn actor_people(
                    &self,
                    tx: &mut Tx<'_>,
                    org: OrgId,
                    keys: &BTreeSet<&lantern_xapi::AgentKey>,
                    home_page: &str,
                ) -> Result<HashMap<String, (PersonId, String)>> {
                    let mut emails: HashMap<String, &str> = HashMap::new();
                    let mut numbers: HashMap<&str, &str> = HashMap::new();
                    for k in keys {
                        match learner(k.mbox(), k.account(), home_page) {
                            Some(Learner::Email(e)) => { emails.insert(e, k.as_str()); }
                            Some(Learner::EmployeeNumber(n)) => { numbers.insert(n, k.as_str()); }
                            None => {}
                        }
                    }
                    let mut out = HashMap::new();
                    if emails.is_empty() && numbers.is_empty() {
                        return Ok(out);
                    }
                    let mut q: QueryBuilder<$db> = QueryBuilder::new(
                        "SELECT DISTINCT p.id, p.employee_number, LOWER(p.email) AS email FROM people p \
                         JOIN posts x ON x.person_id = p.id WHERE x.org_id = ",
                    );
                    q.push_bind(org.0).push(" AND (LOWER(p.email) IN (");
                    let mut sep = q.separated(", ");
                    sep.push_bind("");
                    for e in emails.keys() {
                        sep.push_bind(e.as_str());
                    }
                    q.push(") OR p.employee_number IN (");
                    let mut sep = q.separated(", ");
                    sep.push_bind("");
                    for n in numbers.keys() {
                        sep.push_bind(*n);
                    }
                    q.push("))");
                    for r in q.build().fetch_all(&mut **tx).await? {
                        let id = PersonId(r.try_get("id")?);
                        let number: String = r.try_get("employee_number")?;
                        let email: Option<String> = r.try_get("email")?;
                        if let Some(k) = email.as_deref().and_then(|e| emails.get(e)) {
                            out.insert((*k).to_owned(), (id, number.clone()));
                        }
                        if let Some(k) = numbers.get(number.as_str()) {
                            out.insert((*k).to_owned(), (id, number.clone()));
                        }
                    }
                    Ok(out)
                }

                /// Training records for the new statements that meet a mapping, and withdrawals for voided ones,
                /// written through the one batch path (so the compliance view hears of them as of any write).
                pub(super) async fn feed_compliance(
                    &self,
                    tx: &mut Tx<'_>,
                    org: OrgId,
                    credential: i64,
                    new: &[&Prepared],
                    home_page: &str,
                    now: Timestamp,
                ) -> Result<(usize, usize)> {
                    // In the order they were made: the first a statement meets is the one it counts under.
                    let mappings: Vec<XapiMapping> = sqlx::query("SELECT * FROM xapi_mappings WHERE org_id = $1 AND retired_at IS NULL ORDER BY id")
                        .bind(org.0).fetch_all(&mut **tx).await?
                        .iter().map(mapping_from_row).collect::<Result<_>>()?;
                    let voided: Vec<uuid::Uuid> = new.iter().filter_map(|p| p.index.voids).collect();
                    if mappings.is_empty() && voided.is_empty() {
                        return Ok((0, 0));
                    }
                    let ods: String = sqlx::query_scalar("SELECT ods_code FROM organisations WHERE id = $1")
                        .bind(org.0).fetch_one(&mut **tx).await?;
                    let (org_type, zone): (String, String) = sqlx::query_as("SELECT org_type, time_zone FROM organisations WHERE id = $1")
                        .bind(org.0).fetch_one(&mut **tx).await?;
                    let zone = lantern_domain::local_time::TimeZone::parse(&zone).ok_or_else(|| StoreError::Corrupt {
                        column: "organisations.time_zone",
                        message: format!("unknown time zone {zone:?}"),
                    })?;
                    let provider_type = provider_type_of(OrgType::parse(&org_type).unwrap_or(OrgType::NhsTrust));
                    let provider: String = sqlx::query_scalar("SELECT name FROM lrs_credentials WHERE id = $1")
                        .bind(credential).fetch_one(&mut **tx).await?;
                    let hits: Vec<(&Prepared, MappedRecord)> = new
                        .iter()
                        .filter(|p| p.index.voids.is_none())
                        // A cmi5 statement counts through its course (the attempt's module, then the course's
                        // records), never through a mapping as well: one completion, one record.
                        .filter(|p| !crate::lrs::is_cmi5(&p.statement))
                        .filter_map(|p| mapped_record(&mappings, &outcome_of(p), zone).map(|m| (*p, m)))
                        .collect();
                    let actors: BTreeSet<&lantern_xapi::AgentKey> = hits.iter().map(|(p, _)| &p.index.actor).collect();
                    let people = self.actor_people(tx, org, &actors, home_page).await?;
                    let mut batch = WriteBatch { only_org: Some(ods), recorded_at: Some(now), ..WriteBatch::default() };
                    let mut fed: Vec<(uuid::Uuid, String)> = Vec::new();
                    for (p, m) in &hits {
                        let Some((_, number)) = people.get(p.index.actor.as_str()) else { continue };
                        let row = RecordRow {
                            line: batch.records.len() + 1,
                            employee_number: number.clone(),
                            subject: m.subject.clone(),
                            level: m.level,
                            completed_on: m.completed_on,
                            hours: m.hours,
                            provider: provider.clone(),
                            provider_type,
                            provider_org: batch.only_org.clone(),
                            source: RecordSource::Xapi,
                            evidence_ref: Some(format!("xAPI statement {}", p.id)),
                            recorded_at: None,
                        };
                        fed.push((p.id, row.content_key()));
                        batch.records.push(row);
                    }
                    // Voided statements withdraw the records they became (superseded, never deleted).
                    let mut withdrawn = 0;
                    for target in &voided {
                        let ids: Vec<i64> = sqlx::query_scalar(
                            "SELECT r.record_id FROM xapi_statement_records r WHERE r.org_id = $1 AND r.statement_id = $2 \
                             AND NOT EXISTS (SELECT 1 FROM record_supersessions s WHERE s.record_id = r.record_id)",
                        )
                        .bind(org.0).bind(target.as_bytes().to_vec()).fetch_all(&mut **tx).await?;
                        for id in ids {
                            batch.supersessions.push(SupersessionRow {
                                record_id: RecordId(id),
                                replaced_by: None,
                                reason: withdrawal_reason(target),
                            });
                            withdrawn += 1;
                        }
                    }
                    if batch.is_empty() {
                        return Ok((0, 0));
                    }
                    let outcome = self.write_tx(tx, &batch).await?;
                    for (statement, key) in fed {
                        sqlx::query(
                            "INSERT INTO xapi_statement_records (org_id, statement_id, record_id) \
                             SELECT $1, $2, id FROM training_records WHERE content_key = $3 ON CONFLICT DO NOTHING",
                        )
                        .bind(org.0).bind(statement.as_bytes().to_vec()).bind(key)
                        .execute(&mut **tx).await?;
                    }
                    Ok((usize::try_from(outcome.records_created).unwrap_or(0), withdrawn))
                }
            }

            pub(super) async fn xapi_mappings(store: &$store, org: OrgId) -> Result<Vec<XapiMapping>> {
                sqlx::query("SELECT * FROM xapi_mappings WHERE org_id = $1 ORDER BY retired_at IS NOT NULL, activity, id")
                    .bind(org.0).fetch_all(&store.pool).await?
                    .iter().map(mapping_from_row).collect()
            }

            pub(super) async fn create_xapi_mapping(store: &$store, m: &XapiMapping, by: Option<AccountId>) -> Result<i64> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO xapi_mappings (org_id, activity, subject, level, verbs, require_success, min_scaled_score, hours, created_at, created_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(m.org.0).bind(&m.activity).bind(m.subject.as_str()).bind(i64::from(m.level)).bind(m.verbs.join(" "))
                .bind(m.require_success).bind(m.min_scaled_score).bind(m.hours).bind(m.created_at).bind(by.map(|a| a.0))
                .fetch_one(&store.pool).await?)
            }

            pub(super) async fn retire_xapi_mapping(store: &$store, org: OrgId, id: i64, now: Timestamp) -> Result<bool> {
                let res = sqlx::query("UPDATE xapi_mappings SET retired_at = $1 WHERE org_id = $2 AND id = $3 AND retired_at IS NULL")
                    .bind(now).bind(org.0).bind(id).execute(&store.pool).await?;
                Ok(res.rows_affected() > 0)
            }

            pub(super) async fn fed_records(store: &$store, org: OrgId, limit: i64) -> Result<Vec<FedRecord>> {
                let rows = sqlx::query(
                    "SELECT x.statement_id, r.id, r.person_id, r.subject, CAST(r.level AS BIGINT) AS level, r.completed_on, \
                     EXISTS (SELECT 1 FROM record_supersessions s WHERE s.record_id = r.id) AS withdrawn \
                     FROM xapi_statement_records x JOIN training_records r ON r.id = x.record_id \
                     WHERE x.org_id = $1 ORDER BY r.id DESC LIMIT $2",
                )
                .bind(org.0).bind(limit).fetch_all(&store.pool).await?;
                rows.iter().map(|r| {
                    let sid: Vec<u8> = r.try_get("statement_id")?;
                    let level: i64 = r.try_get("level")?;
                    Ok(FedRecord {
                        statement_id: uuid_of(&sid)?,
                        record_id: RecordId(r.try_get("id")?),
                        person: PersonId(r.try_get("person_id")?),
                        subject: crate::sql::read_subject("training_records.subject", r.try_get("subject")?)?,
                        level: u8::try_from(level).unwrap_or(u8::MAX),
                        completed_on: r.try_get("completed_on")?,
                        withdrawn: r.try_get("withdrawn")?,
                    })
                }).collect()
            }
        }
    };
}

pub(crate) use mappings_sql;
