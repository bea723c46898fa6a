//! Keeping records by hand (`lantern_domain::record_keeping`): one training record added, corrected or withdrawn in
//! the browser with its evidence file, and exemptions granted to a person or a group and ended early. Each is one
//! transaction that also bumps the organisations' data versions and logs who changed (as imports do), so every
//! page and report, and every "as known at" answer, sees it at once. Nothing is edited: a correction is a new record
//! and a supersession, a withdrawal a supersession with no replacement, an early end a row of its own. Every method
//! takes the caller's scope; a person outside it is NotFound.

use crate::Result;
use crate::revalidation::{EvidenceFile, FileInfo};
use crate::scope::Scope;
use async_trait::async_trait;
use lantern_domain::{
    AccountId, Date, ExemptionId, OrgId, PersonId, ProviderType, RecordId, RecordSource, Subject,
    Timestamp,
};
use std::collections::HashMap;

/// Who provided the training.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provider {
    /// The organisation itself (its own name and type; it always accepts its own training).
    Own,
    /// Someone else, by name and type.
    Other { name: String, kind: ProviderType },
}

/// A record to add, or to put in place of one being corrected.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRecord {
    pub person: PersonId,
    pub subject: Subject,
    pub level: u8,
    pub completed_on: Date,
    pub hours: Option<f64>,
    pub provider: Provider,
    pub source: RecordSource,
    /// The evidence file's name as uploaded, and its content.
    pub file: Option<(String, Vec<u8>)>,
}

/// How a record reached Lantern by hand: who entered it and its evidence file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordEntry {
    pub recorded_by: String,
    pub file: Option<FileInfo>,
}

/// Exemptions to grant: one per person, all or none.
#[derive(Clone, Debug, PartialEq)]
pub struct NewExemptions {
    pub people: Vec<PersonId>,
    pub subject: Subject,
    pub from: Date,
    pub until: Option<Date>,
    pub reason: String,
    pub approved_by: String,
}

/// An exemption as the organisation's list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExemptionRow {
    pub exemption: lantern_domain::Exemption,
    pub person: crate::PersonName,
    /// Who recorded it in Lantern (None: imported).
    pub recorded_by: Option<String>,
}

#[async_trait]
pub trait RecordKeepingStore: Send + Sync {
    /// Adds a record for the person, checked by `record_keeping::check_record` as of `today`, with its evidence
    /// file; or, with `replaces` (a record of theirs and the reason), puts it in that record's place. One
    /// transaction. Rejected, naming the field, when it is not sound or the same record is already held; NotFound
    /// outside the caller's scope or when `replaces` is not the person's.
    #[allow(clippy::too_many_arguments)]
    async fn add_record(
        &self,
        scope: &Scope,
        org: OrgId,
        by: AccountId,
        now: Timestamp,
        today: Date,
        new: &NewRecord,
        replaces: Option<(RecordId, &str)>,
    ) -> Result<RecordId>;

    /// Withdraws one of the person's records (it never counted: entered in error). Rejected when it was corrected
    /// or withdrawn already, or the reason is missing.
    #[allow(clippy::too_many_arguments)]
    async fn withdraw_record(
        &self,
        scope: &Scope,
        org: OrgId,
        by: AccountId,
        now: Timestamp,
        person: PersonId,
        record: RecordId,
        reason: &str,
    ) -> Result<()>;

    /// The records of the person entered by hand, with who entered them and their files.
    async fn record_entries(
        &self,
        scope: &Scope,
        org: OrgId,
        person: PersonId,
    ) -> Result<HashMap<RecordId, RecordEntry>>;

    /// A record's evidence file. NotFound outside the caller's scope, or when the record is not the person's or has
    /// no file.
    async fn record_file(
        &self,
        scope: &Scope,
        org: OrgId,
        person: PersonId,
        record: RecordId,
    ) -> Result<EvidenceFile>;

    /// Grants an exemption to each person (checked by `record_keeping::check_exemption`), all or none. Rejected
    /// when a person is outside the caller's scope or has no post in the organisation. Returns how many.
    async fn grant_exemptions(
        &self,
        scope: &Scope,
        org: OrgId,
        by: AccountId,
        now: Timestamp,
        grant: &NewExemptions,
    ) -> Result<usize>;

    /// Ends one of the person's exemptions early (checked by `record_keeping::check_end`): `last_day` is its last.
    #[allow(clippy::too_many_arguments)]
    async fn end_exemption(
        &self,
        scope: &Scope,
        org: OrgId,
        by: AccountId,
        now: Timestamp,
        person: PersonId,
        exemption: ExemptionId,
        last_day: Date,
        reason: &str,
    ) -> Result<()>;

    /// The organisation's exemptions of people in the caller's scope, those covering `on` or later first, at most
    /// `limit`.
    async fn org_exemptions(
        &self,
        scope: &Scope,
        org: OrgId,
        on: Date,
        limit: u32,
    ) -> Result<Vec<ExemptionRow>>;
}

macro_rules! impl_record_keeping_store {
    ($store:ident, $db:ty) => {
        mod record_keeping_store {
            use super::{$store, exemption_from_row, EXEMPTION_SELECT};
            use crate::batch::{BatchProblem, RecordRow, WriteBatch};
            use crate::record_keeping::*;
            use crate::revalidation::{EvidenceFile, FileInfo};
            use crate::touched::Touched;
            use crate::{PersonName, Result, Scope, StoreError};
            use async_trait::async_trait;
            use lantern_domain::record_keeping::{self as rules, ProposedExemption, ProposedRecord};
            use lantern_domain::{
                AccountId, Date, ExemptionId, OrgId, OrgType, PersonId, RecordId, Timestamp, uploads,
            };
            use sha2::Digest;
            use sqlx::Row;
            use std::collections::HashMap;

            fn rejected(problems: Vec<rules::Problem>) -> StoreError {
                StoreError::Rejected(
                    problems
                        .into_iter()
                        .map(|p| BatchProblem { line: 1, field: p.field.to_owned(), message: p.message })
                        .collect(),
                )
            }

            fn one(field: &str, message: impl Into<String>) -> StoreError {
                StoreError::Rejected(vec![BatchProblem { line: 1, field: field.to_owned(), message: message.into() }])
            }

            impl $store {
                async fn require_kept(&self, scope: &Scope, org: OrgId, people: &[PersonId]) -> Result<()> {
                    let seen = self.visible_people(scope, org, people).await?;
                    if people.iter().all(|p| seen.contains(&p.0)) { Ok(()) } else { Err(StoreError::NotFound) }
                }

                /// The organisations where the person holds a post: each sees a change to their records.
                async fn touch_person(tx: &mut sqlx::Transaction<'_, $db>, touched: &mut Touched, person: PersonId) -> Result<()> {
                    let orgs: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT org_id FROM posts WHERE person_id = $1")
                        .bind(person.0).fetch_all(&mut **tx).await?;
                    for o in orgs {
                        touched.person(o, person.0);
                    }
                    Ok(())
                }

                /// The person's record, unless it no longer counts. NotFound when it is not theirs.
                async fn live_record(tx: &mut sqlx::Transaction<'_, $db>, person: PersonId, record: RecordId) -> Result<()> {
                    let row = sqlx::query(
                        "SELECT r.id, s.record_id AS gone FROM training_records r \
                         LEFT JOIN record_supersessions s ON s.record_id = r.id WHERE r.id = $1 AND r.person_id = $2",
                    )
                    .bind(record.0).bind(person.0).fetch_optional(&mut **tx).await?;
                    match row {
                        None => Err(StoreError::NotFound),
                        Some(r) if r.try_get::<Option<i64>, _>("gone")?.is_some() => {
                            Err(one("reason", "This record was corrected or withdrawn already"))
                        }
                        Some(_) => Ok(()),
                    }
                }
            }

            #[async_trait]
            impl RecordKeepingStore for $store {
                async fn add_record(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    by: AccountId,
                    now: Timestamp,
                    today: Date,
                    new: &NewRecord,
                    replaces: Option<(RecordId, &str)>,
                ) -> Result<RecordId> {
                    self.require_kept(scope, org, &[new.person]).await?;
                    let mut tx = self.begin_write().await?;
                    let levels: Option<String> = sqlx::query_scalar("SELECT levels FROM competencies WHERE code = $1")
                        .bind(new.subject.as_str()).fetch_optional(&mut *tx).await?;
                    let levels = match levels {
                        Some(text) => Some(
                            serde_json::from_str::<Vec<String>>(&text)
                                .map_err(|e| StoreError::Corrupt { column: "competencies.levels", message: e.to_string() })?
                                .len(),
                        ),
                        None => None,
                    };
                    let name = |n: &str| n.trim().to_owned();
                    let own = sqlx::query("SELECT ods_code, name, org_type FROM organisations WHERE id = $1")
                        .bind(org.0).fetch_one(&mut *tx).await?;
                    let ods: String = own.try_get("ods_code")?;
                    let (provider, provider_type, provider_org) = match &new.provider {
                        Provider::Own => {
                            let kind = OrgType::parse(&own.try_get::<String, _>("org_type")?)
                                .ok_or_else(|| StoreError::Corrupt { column: "organisations.org_type", message: "unknown".into() })?;
                            (own.try_get::<String, _>("name")?, lantern_domain::xapi_mapping::provider_type_of(kind), Some(ods.clone()))
                        }
                        Provider::Other { name: n, kind } => (name(n), *kind, None),
                    };
                    let mut problems = rules::check_record(
                        &ProposedRecord {
                            levels: levels.map(|l| u8::try_from(l).unwrap_or(u8::MAX)),
                            level: new.level,
                            completed_on: new.completed_on,
                            hours: new.hours,
                            provider: &provider,
                            file: new.file.as_ref().map(|(_, b)| b.as_slice()),
                        },
                        today,
                    );
                    if let Some((_, reason)) = replaces {
                        problems.extend(rules::check_reason(reason));
                    }
                    if !problems.is_empty() {
                        return Err(rejected(problems));
                    }
                    if let Some((old, _)) = replaces {
                        Self::live_record(&mut tx, new.person, old).await?;
                    }
                    let number: String = sqlx::query_scalar("SELECT employee_number FROM people WHERE id = $1")
                        .bind(new.person.0).fetch_one(&mut *tx).await?;
                    let file_type = new.file.as_ref().and_then(|(_, b)| uploads::file_type(b));
                    let file_name: Option<String> = new.file.as_ref().map(|(n, _)| {
                        // The name is only ever shown as text; a download is named from the id and the type.
                        n.chars().filter(|c| !c.is_control()).take(200).collect()
                    });
                    let row = RecordRow {
                        line: 1,
                        employee_number: number,
                        subject: new.subject.clone(),
                        level: new.level,
                        completed_on: new.completed_on,
                        hours: new.hours,
                        provider,
                        provider_type,
                        provider_org,
                        source: new.source,
                        evidence_ref: Some(match (&file_name, &new.file) {
                            (Some(n), Some((_, bytes))) => format!(
                                "Entered in Lantern with evidence {n} (SHA-256 {})",
                                &hex::encode(sha2::Sha256::digest(bytes))[..16]
                            ),
                            _ => "Entered in Lantern".to_owned(),
                        }),
                        recorded_at: None,
                    };
                    let key = row.content_key();
                    let batch = WriteBatch {
                        records: vec![row],
                        only_org: Some(ods),
                        recorded_at: Some(now),
                        ..WriteBatch::default()
                    };
                    let outcome = self.write_tx(&mut tx, &batch).await?;
                    if outcome.records_created == 0 {
                        return Err(one(
                            "completed_on",
                            "Lantern already holds this record (same requirement, level, date, hours and provider)",
                        ));
                    }
                    let id: i64 = sqlx::query_scalar("SELECT id FROM training_records WHERE content_key = $1")
                        .bind(&key).fetch_one(&mut *tx).await?;
                    sqlx::query("INSERT INTO record_entries (record_id, org_id, recorded_by) VALUES ($1, $2, $3)")
                        .bind(id).bind(org.0).bind(by.0).execute(&mut *tx).await?;
                    if let (Some((_, bytes)), Some(kind), Some(name)) = (&new.file, file_type, file_name) {
                        sqlx::query(
                            "INSERT INTO record_evidence_files (record_id, file_name, content_type, size, sha256, content) \
                             VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(id).bind(name).bind(kind.content_type)
                        .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
                        .bind(hex::encode(sha2::Sha256::digest(bytes))).bind(bytes.as_slice())
                        .execute(&mut *tx).await?;
                    }
                    if let Some((old, reason)) = replaces {
                        sqlx::query(
                            "INSERT INTO record_supersessions (record_id, replaced_by, reason, recorded_at, recorded_by) \
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(old.0).bind(id).bind(reason.trim()).bind(now).bind(by.0)
                        .execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(RecordId(id))
                }

                async fn withdraw_record(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    by: AccountId,
                    now: Timestamp,
                    person: PersonId,
                    record: RecordId,
                    reason: &str,
                ) -> Result<()> {
                    self.require_kept(scope, org, &[person]).await?;
                    let mut tx = self.begin_write().await?;
                    Self::live_record(&mut tx, person, record).await?;
                    if let Some(p) = rules::check_reason(reason) {
                        return Err(rejected(vec![p]));
                    }
                    sqlx::query(
                        "INSERT INTO record_supersessions (record_id, replaced_by, reason, recorded_at, recorded_by) \
                         VALUES ($1, NULL, $2, $3, $4)",
                    )
                    .bind(record.0).bind(reason.trim()).bind(now).bind(by.0)
                    .execute(&mut *tx).await?;
                    let mut touched = Touched::at(now);
                    Self::touch_person(&mut tx, &mut touched, person).await?;
                    Self::record_changes(&mut tx, touched).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn record_entries(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    person: PersonId,
                ) -> Result<HashMap<RecordId, RecordEntry>> {
                    self.require_kept(scope, org, &[person]).await?;
                    let rows = sqlx::query(
                        "SELECT e.record_id, a.display_name, f.file_name, f.content_type, f.size FROM record_entries e \
                         JOIN training_records r ON r.id = e.record_id JOIN accounts a ON a.id = e.recorded_by \
                         LEFT JOIN record_evidence_files f ON f.record_id = e.record_id WHERE r.person_id = $1",
                    )
                    .bind(person.0).fetch_all(&self.pool).await?;
                    let mut out = HashMap::new();
                    for r in rows {
                        let file = match r.try_get::<Option<String>, _>("file_name")? {
                            Some(name) => Some(FileInfo {
                                name,
                                content_type: r.try_get("content_type")?,
                                size: r.try_get("size")?,
                            }),
                            None => None,
                        };
                        out.insert(RecordId(r.try_get("record_id")?), RecordEntry { recorded_by: r.try_get("display_name")?, file });
                    }
                    Ok(out)
                }

                async fn record_file(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    person: PersonId,
                    record: RecordId,
                ) -> Result<EvidenceFile> {
                    self.require_kept(scope, org, &[person]).await?;
                    let r = sqlx::query(
                        "SELECT f.file_name, f.content_type, f.size, f.content FROM record_evidence_files f \
                         JOIN training_records r ON r.id = f.record_id WHERE f.record_id = $1 AND r.person_id = $2",
                    )
                    .bind(record.0).bind(person.0).fetch_optional(&self.pool).await?
                    .ok_or(StoreError::NotFound)?;
                    Ok(EvidenceFile {
                        info: FileInfo { name: r.try_get("file_name")?, content_type: r.try_get("content_type")?, size: r.try_get("size")? },
                        content: r.try_get("content")?,
                    })
                }

                async fn grant_exemptions(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    by: AccountId,
                    now: Timestamp,
                    grant: &NewExemptions,
                ) -> Result<usize> {
                    if grant.people.is_empty() {
                        return Err(one("people", "Nobody matches: choose a person, or a unit with people in it"));
                    }
                    let mut people = grant.people.clone();
                    people.sort_by_key(|p| p.0);
                    people.dedup();
                    let seen = self.visible_people(scope, org, &people).await?;
                    if let Some(p) = people.iter().find(|p| !seen.contains(&p.0)) {
                        return Err(one("people", format!("Person {} holds no post here that you look after", p.0)));
                    }
                    let mut tx = self.begin_write().await?;
                    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rules WHERE org_id = $1 AND subject = $2")
                        .bind(org.0).bind(grant.subject.as_str()).fetch_one(&mut *tx).await?;
                    let problems = rules::check_exemption(&ProposedExemption {
                        known_subject: known > 0,
                        from: grant.from,
                        until: grant.until,
                        reason: &grant.reason,
                        approved_by: &grant.approved_by,
                    });
                    if !problems.is_empty() {
                        return Err(rejected(problems));
                    }
                    let mut touched = Touched::at(now);
                    for p in &people {
                        sqlx::query(
                            "INSERT INTO exemptions (person_id, org_id, subject, reason, from_date, until_date, recorded_at, \
                             approved_by, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        )
                        .bind(p.0).bind(org.0).bind(grant.subject.as_str()).bind(grant.reason.trim())
                        .bind(grant.from).bind(grant.until).bind(now).bind(grant.approved_by.trim()).bind(by.0)
                        .execute(&mut *tx).await?;
                        touched.person(org.0, p.0);
                    }
                    Self::record_changes(&mut tx, touched).await?;
                    tx.commit().await?;
                    Ok(people.len())
                }

                async fn end_exemption(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    by: AccountId,
                    now: Timestamp,
                    person: PersonId,
                    exemption: ExemptionId,
                    last_day: Date,
                    reason: &str,
                ) -> Result<()> {
                    self.require_kept(scope, org, &[person]).await?;
                    let mut tx = self.begin_write().await?;
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{EXEMPTION_SELECT} WHERE e.id = $1 AND e.person_id = $2 AND e.org_id = $3")))
                        .bind(exemption.0).bind(person.0).bind(org.0).fetch_optional(&mut *tx).await?
                        .ok_or(StoreError::NotFound)?;
                    let e = exemption_from_row(&row)?;
                    if e.ended.is_some() {
                        return Err(one("last_day", "This exemption was ended already"));
                    }
                    let problems = rules::check_end(e.from, e.until, last_day, reason);
                    if !problems.is_empty() {
                        return Err(rejected(problems));
                    }
                    sqlx::query(
                        "INSERT INTO exemption_ends (exemption_id, last_day, reason, ended_by, recorded_at) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(exemption.0).bind(last_day).bind(reason.trim()).bind(by.0).bind(now)
                    .execute(&mut *tx).await?;
                    let mut touched = Touched::at(now);
                    touched.person(org.0, person.0);
                    Self::record_changes(&mut tx, touched).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn org_exemptions(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    on: Date,
                    limit: u32,
                ) -> Result<Vec<ExemptionRow>> {
                    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT x.*, p.employee_number, p.given_name, p.family_name, a.display_name AS recorded_by_name \
                         FROM ({EXEMPTION_SELECT} WHERE e.org_id = $1) x JOIN people p ON p.id = x.person_id \
                         LEFT JOIN accounts a ON a.id = x.recorded_by \
                         ORDER BY CASE WHEN COALESCE(x.x_last_day, x.until_date) IS NULL OR COALESCE(x.x_last_day, x.until_date) >= $2 \
                         THEN 0 ELSE 1 END, x.recorded_at DESC, x.id DESC"
                    )))
                    .bind(org.0).bind(on).fetch_all(&self.pool).await?;
                    let ids: Vec<PersonId> = rows.iter().map(|r| r.try_get("person_id").map(PersonId)).collect::<std::result::Result<_, _>>()?;
                    let seen = self.visible_people(scope, org, &ids).await?;
                    let mut out = Vec::new();
                    for r in rows {
                        let exemption = exemption_from_row(&r)?;
                        if !seen.contains(&exemption.person_id.0) {
                            continue;
                        }
                        out.push(ExemptionRow {
                            person: PersonName {
                                id: exemption.person_id,
                                employee_number: r.try_get("employee_number")?,
                                given_name: r.try_get("given_name")?,
                                family_name: r.try_get("family_name")?,
                            },
                            recorded_by: r.try_get("recorded_by_name")?,
                            exemption,
                        });
                        if out.len() >= limit as usize {
                            break;
                        }
                    }
                    Ok(out)
                }
            }
        }
    };
}

pub(crate) use impl_record_keeping_store;
