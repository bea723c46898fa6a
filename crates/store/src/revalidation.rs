//! Revalidation evidence: items a registrant or their manager records (practice hours, CPD done elsewhere, feedback,
//! reflections, declarations, confirmation, appraisals), each with an optional file kept in the database. Evidence
//! belongs to the person, like their training records, and is append-only: a mistake is withdrawn, never edited
//! (database triggers on both backends). Every method takes the caller's scope; outside it, the answer is NotFound.

use crate::Result;
use crate::scope::Scope;
use async_trait::async_trait;
use lantern_domain::revalidation::{Evidence, EvidenceKind};
use lantern_domain::{
    AccountId, Date, EvidenceId, OrgId, PersonId, Registration, RegulatoryBody, Timestamp, UnitId,
};

/// An item to record, checked by `lantern_domain::revalidation::evidence::check` in the transaction that writes it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvidence {
    pub person: PersonId,
    pub body: RegulatoryBody,
    pub kind: EvidenceKind,
    pub on: Date,
    pub hours: Option<f64>,
    pub participatory: bool,
    pub note: String,
    /// The file's name as uploaded, and its content.
    pub file: Option<(String, Vec<u8>)>,
}

/// A stored file's description (its content is read only to download it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

/// A stored file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceFile {
    pub info: FileInfo,
    pub content: Vec<u8>,
}

/// An item as pages list it: the evidence, where and by whom it was recorded, its file, and any withdrawal.
#[derive(Clone, Debug, PartialEq)]
pub struct EvidenceItem {
    pub evidence: Evidence,
    pub org: OrgId,
    pub recorded_by: String,
    pub file: Option<FileInfo>,
    /// Why and by whom it was withdrawn.
    pub withdrawn: Option<(String, String)>,
}

/// An item to withdraw: whose, which, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdrawal<'a> {
    pub person: PersonId,
    pub id: EvidenceId,
    pub reason: &'a str,
}

/// Someone with a professional registration and a post in the units asked about.
#[derive(Clone, Debug, PartialEq)]
pub struct Registrant {
    pub person: crate::PersonName,
    pub registration: Registration,
}

#[async_trait]
pub trait RevalidationStore: Send + Sync {
    /// Records an item, with its file, in one transaction, after checking it against the person's registrations and
    /// `today`. Rejected (naming each field) when it fails the checks; NotFound when the person is outside the
    /// caller's scope or holds no post in the organisation.
    async fn record_evidence(
        &self,
        scope: &Scope,
        org: OrgId,
        by: AccountId,
        now: Timestamp,
        today: Date,
        new: &NewEvidence,
    ) -> Result<EvidenceId>;

    /// Withdraws an item of the person's (once; a withdrawal is final). NotFound outside the caller's scope, or when
    /// the item is not the person's.
    async fn withdraw_evidence(
        &self,
        scope: &Scope,
        org: OrgId,
        item: &Withdrawal<'_>,
        by: AccountId,
        now: Timestamp,
    ) -> Result<()>;

    /// The person's evidence, for every regulator, newest first. NotFound outside the caller's scope.
    async fn person_evidence(
        &self,
        scope: &Scope,
        org: OrgId,
        person: PersonId,
    ) -> Result<Vec<EvidenceItem>>;

    /// An item's file. NotFound outside the caller's scope, or when the item is not the person's or has no file.
    async fn evidence_file(
        &self,
        scope: &Scope,
        org: OrgId,
        person: PersonId,
        id: EvidenceId,
    ) -> Result<EvidenceFile>;

    /// People in the caller's scope with a post in these units on `on`, one row per registration they hold.
    async fn registrants(
        &self,
        scope: &Scope,
        org: OrgId,
        units: &[UnitId],
        on: Date,
    ) -> Result<Vec<Registrant>>;

    /// The evidence of these people (those in the caller's scope), for summaries over a team.
    async fn evidence_of(
        &self,
        scope: &Scope,
        org: OrgId,
        people: &[PersonId],
    ) -> Result<Vec<Evidence>>;
}

macro_rules! impl_revalidation_store {
    ($store:ident, $db:ty) => {
        mod revalidation_store {
            use super::{$store, push_ids};
            use crate::batch::BatchProblem;
            use crate::revalidation::*;
            use crate::sql::{CHUNK, vocab};
            use crate::{PersonName, Result, Scope, StoreError};
            use async_trait::async_trait;
            use lantern_domain::revalidation::evidence::{self, Proposed};
            use lantern_domain::revalidation::{Evidence, EvidenceKind};
            use lantern_domain::rollup::Hierarchy;
            use lantern_domain::{
                AccountId, Date, EvidenceId, OrgId, PersonId, Registration, RegulatoryBody, Timestamp, Unit,
                UnitId,
            };
            use sha2::Digest;
            use sqlx::{QueryBuilder, Row};
            use std::collections::HashSet;

            type DbRow = <$db as sqlx::Database>::Row;

            const COLUMNS: &str = "e.id, e.person_id, e.body, e.kind, e.occurred_on, e.hours, e.participatory, \
                e.note, e.org_id, e.recorded_at, a.display_name, w.reason AS withdrawn_reason, \
                w.withdrawn_at, wa.display_name AS withdrawn_by, f.file_name, f.content_type, f.size";
            const FROM: &str = "FROM revalidation_evidence e JOIN accounts a ON a.id = e.recorded_by \
                LEFT JOIN revalidation_evidence_withdrawals w ON w.evidence_id = e.id \
                LEFT JOIN accounts wa ON wa.id = w.withdrawn_by \
                LEFT JOIN revalidation_evidence_files f ON f.evidence_id = e.id";

            fn item_from_row(r: &DbRow) -> Result<EvidenceItem> {
                let evidence = Evidence {
                    id: EvidenceId(r.try_get("id")?),
                    person_id: PersonId(r.try_get("person_id")?),
                    body: vocab("revalidation_evidence.body", &r.try_get::<String, _>("body")?, RegulatoryBody::parse)?,
                    kind: vocab("revalidation_evidence.kind", &r.try_get::<String, _>("kind")?, EvidenceKind::parse)?,
                    on: r.try_get("occurred_on")?,
                    hours: r.try_get("hours")?,
                    participatory: r.try_get("participatory")?,
                    note: r.try_get("note")?,
                    recorded_at: r.try_get("recorded_at")?,
                    withdrawn_at: r.try_get("withdrawn_at")?,
                };
                let file = match r.try_get::<Option<String>, _>("file_name")? {
                    Some(name) => Some(FileInfo {
                        name,
                        content_type: r.try_get("content_type")?,
                        size: r.try_get("size")?,
                    }),
                    None => None,
                };
                let withdrawn = match r.try_get::<Option<String>, _>("withdrawn_reason")? {
                    Some(reason) => Some((reason, r.try_get::<Option<String>, _>("withdrawn_by")?.unwrap_or_default())),
                    None => None,
                };
                Ok(EvidenceItem {
                    evidence,
                    org: OrgId(r.try_get("org_id")?),
                    recorded_by: r.try_get("display_name")?,
                    file,
                    withdrawn,
                })
            }

            fn rejected(field: &str, message: String) -> StoreError {
                StoreError::Rejected(vec![BatchProblem { line: 1, field: field.to_owned(), message }])
            }

            impl $store {
                async fn evidence_hierarchy(&self, org: OrgId) -> Result<Hierarchy> {
                    let units: Vec<Unit> = sqlx::query("SELECT * FROM current_units WHERE org_id = $1")
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(super::unit_from_row).collect::<Result<_>>()?;
                    Ok(Hierarchy::new(&units))
                }

                async fn require_visible(&self, scope: &Scope, org: OrgId, person: PersonId) -> Result<()> {
                    if self.visible_people(scope, org, &[person]).await?.contains(&person.0) {
                        Ok(())
                    } else {
                        Err(StoreError::NotFound)
                    }
                }
            }

            #[async_trait]
            impl RevalidationStore for $store {
                async fn record_evidence(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    by: AccountId,
                    now: Timestamp,
                    today: Date,
                    new: &NewEvidence,
                ) -> Result<EvidenceId> {
                    self.require_visible(scope, org, new.person).await?;
                    let mut tx = self.begin_write().await?;
                    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM registrations WHERE person_id = $1")
                        .bind(new.person.0).fetch_all(&mut *tx).await?;
                    let registered: Vec<RegulatoryBody> = bodies.iter().filter_map(|b| RegulatoryBody::parse(b)).collect();
                    let proposed = Proposed {
                        body: new.body,
                        kind: new.kind,
                        on: new.on,
                        hours: new.hours,
                        note: &new.note,
                        file: new.file.as_ref().map(|(_, bytes)| bytes.as_slice()),
                    };
                    let problems = evidence::check(&proposed, &registered, today);
                    if !problems.is_empty() {
                        return Err(StoreError::Rejected(
                            problems
                                .into_iter()
                                .map(|p| BatchProblem { line: 1, field: p.field.to_owned(), message: p.message })
                                .collect(),
                        ));
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO revalidation_evidence (person_id, body, kind, occurred_on, hours, participatory, note, \
                         org_id, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                    )
                    .bind(new.person.0).bind(new.body.code()).bind(new.kind.code()).bind(new.on).bind(new.hours)
                    .bind(new.participatory && new.kind == EvidenceKind::CpdActivity).bind(new.note.trim())
                    .bind(org.0).bind(by.0).bind(now)
                    .fetch_one(&mut *tx).await?;
                    if let Some((name, bytes)) = &new.file {
                        let kind = evidence::file_type(bytes)
                            .ok_or_else(|| rejected("file", "The file must be a PDF, PNG or JPEG".to_owned()))?;
                        // The name is only ever shown as text; a download is named from the id and the type.
                        let name: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
                        sqlx::query(
                            "INSERT INTO revalidation_evidence_files (evidence_id, file_name, content_type, size, sha256, content) \
                             VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(id).bind(name).bind(kind.content_type)
                        .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
                        .bind(hex::encode(sha2::Sha256::digest(bytes))).bind(bytes.as_slice())
                        .execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(EvidenceId(id))
                }

                async fn withdraw_evidence(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    item: &Withdrawal<'_>,
                    by: AccountId,
                    now: Timestamp,
                ) -> Result<()> {
                    let (person, id, reason) = (item.person, item.id, item.reason);
                    self.require_visible(scope, org, person).await?;
                    let mut tx = self.begin_write().await?;
                    let theirs: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM revalidation_evidence WHERE id = $1 AND person_id = $2",
                    )
                    .bind(id.0).bind(person.0).fetch_optional(&mut *tx).await?;
                    if theirs.is_none() {
                        return Err(StoreError::NotFound);
                    }
                    let reason = reason.trim();
                    if reason.chars().count() < 3 {
                        return Err(rejected("reason", "Say why it is withdrawn".to_owned()));
                    }
                    let done = sqlx::query(
                        "INSERT INTO revalidation_evidence_withdrawals (evidence_id, reason, withdrawn_by, withdrawn_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (evidence_id) DO NOTHING",
                    )
                    .bind(id.0).bind(reason).bind(by.0).bind(now)
                    .execute(&mut *tx).await?
                    .rows_affected();
                    if done == 0 {
                        return Err(rejected("reason", "This item was withdrawn already".to_owned()));
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn person_evidence(&self, scope: &Scope, org: OrgId, person: PersonId) -> Result<Vec<EvidenceItem>> {
                    self.require_visible(scope, org, person).await?;
                    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {COLUMNS} {FROM} WHERE e.person_id = $1 ORDER BY e.occurred_on DESC, e.id DESC"
                    )))
                    .bind(person.0).fetch_all(&self.pool).await?;
                    rows.iter().map(item_from_row).collect()
                }

                async fn evidence_file(
                    &self,
                    scope: &Scope,
                    org: OrgId,
                    person: PersonId,
                    id: EvidenceId,
                ) -> Result<EvidenceFile> {
                    self.require_visible(scope, org, person).await?;
                    let row = sqlx::query(
                        "SELECT f.file_name, f.content_type, f.size, f.content FROM revalidation_evidence_files f \
                         JOIN revalidation_evidence e ON e.id = f.evidence_id WHERE f.evidence_id = $1 AND e.person_id = $2",
                    )
                    .bind(id.0).bind(person.0).fetch_optional(&self.pool).await?
                    .ok_or(StoreError::NotFound)?;
                    Ok(EvidenceFile {
                        info: FileInfo {
                            name: row.try_get("file_name")?,
                            content_type: row.try_get("content_type")?,
                            size: row.try_get("size")?,
                        },
                        content: row.try_get("content")?,
                    })
                }

                async fn registrants(&self, scope: &Scope, org: OrgId, units: &[UnitId], on: Date) -> Result<Vec<Registrant>> {
                    if !scope.sees_org(org) || units.is_empty() {
                        return Ok(Vec::new());
                    }
                    // Only units the caller sees: a manager's own and those below them.
                    let hierarchy = self.evidence_hierarchy(org).await?;
                    let units: Vec<i64> = units
                        .iter()
                        .filter(|u| scope.sees_unit(org, **u, &hierarchy))
                        .map(|u| u.0)
                        .collect();
                    if units.is_empty() {
                        return Err(StoreError::NotFound);
                    }
                    let mut out = Vec::new();
                    let mut seen = HashSet::new();
                    for chunk in units.chunks(CHUNK) {
                        let mut q = QueryBuilder::<$db>::new(
                            "SELECT p.id, p.employee_number, p.given_name, p.family_name, g.body, g.number, g.renewal_date \
                             FROM registrations g JOIN people p ON p.id = g.person_id WHERE EXISTS (SELECT 1 FROM current_posts x \
                             WHERE x.person_id = p.id AND x.org_id = ",
                        );
                        q.push_bind(org.0);
                        q.push(" AND x.start_date <= ");
                        q.push_bind(on);
                        q.push(" AND (x.end_date IS NULL OR x.end_date >= ");
                        q.push_bind(on);
                        q.push(") AND x.unit_id IN (");
                        push_ids(&mut q, chunk.iter().copied());
                        // push_ids closed the IN list; this closes EXISTS.
                        q.push(") ORDER BY p.family_name, p.given_name, p.id, g.body");
                        for r in q.build().fetch_all(&self.pool).await? {
                            let id: i64 = r.try_get("id")?;
                            let body: String = r.try_get("body")?;
                            if !seen.insert((id, body.clone())) {
                                continue;
                            }
                            out.push(Registrant {
                                person: PersonName {
                                    id: PersonId(id),
                                    employee_number: r.try_get("employee_number")?,
                                    given_name: r.try_get("given_name")?,
                                    family_name: r.try_get("family_name")?,
                                },
                                registration: Registration {
                                    body: vocab("registrations.body", &body, RegulatoryBody::parse)?,
                                    number: r.try_get("number")?,
                                    renewal_date: r.try_get("renewal_date")?,
                                },
                            });
                        }
                    }
                    Ok(out)
                }

                async fn evidence_of(&self, scope: &Scope, org: OrgId, people: &[PersonId]) -> Result<Vec<Evidence>> {
                    let visible = self.visible_people(scope, org, people).await?;
                    let ids: Vec<i64> = people.iter().map(|p| p.0).filter(|p| visible.contains(p)).collect();
                    let mut out = Vec::new();
                    for chunk in ids.chunks(CHUNK) {
                        let mut q = QueryBuilder::<$db>::new(format!("SELECT {COLUMNS} {FROM} WHERE e.person_id IN ("));
                        push_ids(&mut q, chunk.iter().copied());
                        for r in q.build().fetch_all(&self.pool).await? {
                            out.push(item_from_row(&r)?.evidence);
                        }
                    }
                    Ok(out)
                }
            }
        }
    };
}

pub(crate) use impl_revalidation_store;
