//! The SQL shared by both backends. Queries use `$N` placeholders, which SQLite and PostgreSQL both accept, and
//! `sqlx::QueryBuilder` for lists, which writes each backend's own placeholders. The [`impl_store!`] macro instantiates
//! the one implementation for each backend's types; what differs (connection set-up, migrations, DDL) lives in
//! `sqlite.rs` and `postgres.rs`.

use crate::{Result, StoreError};
use lantern_domain::*;

/// Largest number of rows per multi-row INSERT, keeping bind parameters under both backends' limits.
pub(crate) const CHUNK: usize = 1000;

pub(crate) use crate::touched::{OrgCodes, Touched};

pub(crate) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("serialisable")
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    column: &'static str,
    s: &str,
) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt {
        column,
        message: e.to_string(),
    })
}

pub(crate) fn vocab<T>(column: &'static str, s: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(s).ok_or_else(|| StoreError::Corrupt {
        column,
        message: format!("unknown code {s:?}"),
    })
}

/// A competency subject read back from `column`. Every subject was checked when it was written (a framework file, an
/// import, a form, the API), so one that is not a subject now is corrupt data, not a caller's mistake.
pub(crate) fn read_subject(column: &'static str, s: String) -> Result<Subject> {
    Subject::try_from(s).map_err(|message| StoreError::Corrupt { column, message })
}

pub(crate) fn rule_kind(
    kind: &str,
    refresher: Option<i64>,
    hours: Option<f64>,
    window: Option<i64>,
    participatory_share: Option<f64>,
) -> Result<RuleKind> {
    let months = |v: Option<i64>| u32::try_from(v.unwrap_or(0)).unwrap_or(0);
    match kind {
        "completion" => Ok(RuleKind::Completion {
            refresher_months: months(refresher),
        }),
        "hours" => Ok(RuleKind::Hours {
            hours: hours.unwrap_or(0.0),
            window_months: months(window),
            participatory_share,
        }),
        other => Err(StoreError::Corrupt {
            column: "rules.kind",
            message: format!("unknown kind {other:?}"),
        }),
    }
}

pub(crate) fn renewal_base(s: &str) -> RenewalBase {
    if s == "previous_expiry" {
        RenewalBase::PreviousExpiry
    } else {
        RenewalBase::Completion
    }
}

pub(crate) fn renewal_base_code(b: RenewalBase) -> &'static str {
    match b {
        RenewalBase::Completion => "completion",
        RenewalBase::PreviousExpiry => "previous_expiry",
    }
}

macro_rules! impl_store {
    ($store:ident, $db:ty, $backend:expr) => {
        use crate::batch::*;
        use crate::sql::*;

        impl $store {
            /// A transaction that reads and then writes. On SQLite it takes the write lock at BEGIN (IMMEDIATE), so
            /// another connection's commit between its reads and its first write (the read model stores layers in
            /// the background) cannot make it fail to upgrade; the busy timeout makes it wait its turn instead.
            async fn begin_write(&self) -> Result<sqlx::Transaction<'_, $db>> {
                Ok(match $backend {
                    Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
                    Backend::Postgres => self.pool.begin().await?,
                })
            }
        }
        use crate::*;
        use lantern_domain::framework::FrameworkFile;

        use sqlx::{QueryBuilder, Row};
        use std::collections::{BTreeSet, HashMap, HashSet};

        type DbRow = <$db as sqlx::Database>::Row;

        /// Ends an `IN (` list: binds each id, separated by commas, and closes the bracket.
        fn push_ids(q: &mut QueryBuilder<$db>, ids: impl IntoIterator<Item = i64>) {
            let mut sep = q.separated(", ");
            for id in ids {
                sep.push_bind(id);
            }
            q.push(")");
        }
        type Tx<'c> = sqlx::Transaction<'c, $db>;

        fn org_from_row(r: &DbRow) -> Result<Organisation> {
            Ok(Organisation {
                id: OrgId(r.try_get("id")?),
                ods_code: vocab("organisations.ods_code", &r.try_get::<String, _>("ods_code")?, |c| OdsCode::parse(c).ok())?,
                name: r.try_get("name")?,
                org_type: vocab("organisations.org_type", &r.try_get::<String, _>("org_type")?, OrgType::parse)?,
                target_percent: r.try_get("target_percent")?,
                time_zone: vocab("organisations.time_zone", &r.try_get::<String, _>("time_zone")?, lantern_domain::local_time::TimeZone::parse)?,
            })
        }

        fn unit_from_row(r: &DbRow) -> Result<Unit> {
            Ok(Unit {
                id: UnitId(r.try_get("id")?),
                org_id: OrgId(r.try_get("org_id")?),
                parent_id: r.try_get::<Option<i64>, _>("parent_id")?.map(UnitId),
                site_id: r.try_get::<Option<i64>, _>("site_id")?.map(SiteId),
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                kind: vocab("units.kind", &r.try_get::<String, _>("kind")?, UnitKind::parse)?,
                recorded_at: r.try_get("recorded_at")?,
            })
        }

        fn rule_from_row(r: &DbRow) -> Result<Rule> {
            Ok(Rule {
                id: RuleId(r.try_get("id")?),
                org_id: OrgId(r.try_get("org_id")?),
                framework: r.try_get("framework")?,
                framework_version: r.try_get("framework_version")?,
                subject: read_subject("rules.subject", r.try_get("subject")?)?,
                level: u8::try_from(r.try_get::<i16, _>("level")?).unwrap_or(0),
                title: r.try_get("title")?,
                kind: rule_kind(
                    &r.try_get::<String, _>("kind")?,
                    r.try_get("refresher_months")?,
                    r.try_get("hours")?,
                    r.try_get("window_months")?,
                    r.try_get("participatory_share")?,
                )?,
                purpose: vocab("rules.purpose", &r.try_get::<String, _>("purpose")?, RulePurpose::parse)?,
                applies_to: from_json("rules.applies_to", &r.try_get::<String, _>("applies_to")?)?,
                renewal_base: renewal_base(&r.try_get::<String, _>("renewal_base")?),
                warning_days: u32::try_from(r.try_get::<i64, _>("warning_days")?).unwrap_or(0),
                new_starter_days: u32::try_from(r.try_get::<i64, _>("new_starter_days")?).unwrap_or(0),
                effective_from: r.try_get("effective_from")?,
                effective_to: None, // derived by history::rule_versions, never stored
                transition_ends: r.try_get("transition_ends")?,
                retired: r.try_get("retired")?,
                adjustable: r.try_get("adjustable")?,
                source: r.try_get("source")?,
                basis: RuleBasis {
                    edition: r.try_get("edition")?,
                    reading: r.try_get("reading")?,
                    local_choice: r.try_get("local_choice")?,
                },
                local_reason: r.try_get("local_reason")?,
                created_at: r.try_get("created_at")?,
            })
        }

        fn post_from_row(r: &DbRow) -> Result<Post> {
            Ok(Post {
                id: PostId(r.try_get("id")?),
                person_id: PersonId(r.try_get("person_id")?),
                org_id: OrgId(r.try_get("org_id")?),
                unit_id: UnitId(r.try_get("unit_id")?),
                assignment_number: r.try_get("assignment_number")?,
                staff_group: vocab("posts.staff_group", &r.try_get::<String, _>("staff_group")?, StaffGroup::parse)?,
                job_role: r.try_get("job_role")?,
                band: r.try_get("band")?,
                specialty: r.try_get("specialty")?,
                patient_facing: r.try_get("patient_facing")?,
                start: r.try_get("start_date")?,
                end: r.try_get("end_date")?,
                recorded_at: r.try_get("recorded_at")?,
            })
        }

        fn record_from_row(r: &DbRow) -> Result<RecordFact> {
            let record = TrainingRecord {
                id: RecordId(r.try_get("id")?),
                person_id: PersonId(r.try_get("person_id")?),
                subject: read_subject("training_records.subject", r.try_get("subject")?)?,
                level: u8::try_from(r.try_get::<i16, _>("level")?).unwrap_or(0),
                completed_on: r.try_get("completed_on")?,
                hours: r.try_get("hours")?,
                provider: r.try_get("provider")?,
                provider_type: vocab(
                    "training_records.provider_type",
                    &r.try_get::<String, _>("provider_type")?,
                    ProviderType::parse,
                )?,
                provider_org_id: r.try_get::<Option<i64>, _>("provider_org_id")?.map(OrgId),
                source: vocab("training_records.source", &r.try_get::<String, _>("source")?, RecordSource::parse)?,
                evidence_ref: r.try_get("evidence_ref")?,
                recorded_at: r.try_get("recorded_at")?,
            };
            let superseded = match r.try_get::<Option<String>, _>("s_reason")? {
                Some(reason) => Some(Supersession {
                    record_id: record.id,
                    replaced_by: r.try_get::<Option<i64>, _>("s_replaced_by")?.map(RecordId),
                    reason,
                    recorded_at: r.try_get("s_recorded_at")?,
                }),
                None => None,
            };
            Ok(RecordFact { record, superseded })
        }

        fn exemption_from_row(r: &DbRow) -> Result<Exemption> {
            Ok(Exemption {
                id: ExemptionId(r.try_get("id")?),
                person_id: PersonId(r.try_get("person_id")?),
                org_id: OrgId(r.try_get("org_id")?),
                subject: read_subject("exemptions.subject", r.try_get("subject")?)?,
                reason: r.try_get("reason")?,
                from: r.try_get("from_date")?,
                until: r.try_get("until_date")?,
                recorded_at: r.try_get("recorded_at")?,
                approved_by: r.try_get("approved_by")?,
                ended: match r.try_get::<Option<Date>, _>("x_last_day")? {
                    Some(last_day) => Some(ExemptionEnd {
                        last_day,
                        reason: r.try_get("x_reason")?,
                        recorded_at: r.try_get("x_recorded_at")?,
                    }),
                    None => None,
                },
            })
        }

        /// Exemptions with their early ends (`exemption_from_row` reads them); add "WHERE e. ...".
        const EXEMPTION_SELECT: &str = "SELECT e.*, x.last_day AS x_last_day, x.reason AS x_reason, \
            x.recorded_at AS x_recorded_at FROM exemptions e LEFT JOIN exemption_ends x ON x.exemption_id = e.id";

        /// An organisation with its current compliance target (targets are kept as versions).
        const ORG_SELECT: &str = "SELECT o.*, (SELECT t.target_percent FROM organisation_targets t WHERE t.org_id = o.id \
            ORDER BY t.recorded_at DESC, t.id DESC LIMIT 1) AS target_percent FROM organisations o";

        /// Every recorded version of posts, in the shape of `current_posts` (a version carries its post's id).
        const POST_VERSIONS: &str = "SELECT post_id AS id, person_id, org_id, unit_id, assignment_number, staff_group, \
            job_role, band, specialty, patient_facing, start_date, end_date, recorded_at FROM post_versions";

        /// Every recorded version of units, in the shape of `current_units`.
        const UNIT_VERSIONS: &str = "SELECT u.id, u.org_id, u.code, v.parent_id, v.site_id, v.name, v.kind, v.recorded_at \
            FROM units u JOIN unit_versions v ON v.unit_id = u.id";

        const RECORD_COLUMNS: &str = "r.id, r.person_id, r.subject, r.level, r.completed_on, r.hours, r.provider, \
            r.provider_type, r.provider_org_id, r.source, r.evidence_ref, r.recorded_at, \
            s.reason AS s_reason, s.replaced_by AS s_replaced_by, s.recorded_at AS s_recorded_at";

        fn problem(line: usize, field: &str, message: impl Into<String>) -> BatchProblem {
            BatchProblem { line, field: field.to_owned(), message: message.into() }
        }

        impl $store {
            async fn load_people(
                &self,
                org: OrgId,
                posts: Vec<Post>,
            ) -> Result<Vec<PersonBundle>> {
                let mut by_person: HashMap<i64, Vec<Post>> = HashMap::new();
                for p in posts {
                    by_person.entry(p.person_id.0).or_default().push(p);
                }
                let ids: Vec<i64> = {
                    let mut v: Vec<i64> = by_person.keys().copied().collect();
                    v.sort_unstable();
                    v
                };
                let mut people: HashMap<i64, Person> = HashMap::with_capacity(ids.len());
                let mut records: HashMap<i64, Vec<RecordFact>> = HashMap::new();
                let mut exemptions: HashMap<i64, Vec<Exemption>> = HashMap::new();
                for chunk in ids.chunks(CHUNK) {
                    let mut q = QueryBuilder::<$db>::new(
                        "SELECT id, employee_number, given_name, family_name, email FROM people WHERE id IN (",
                    );
                    push_ids(&mut q, chunk.iter().copied());
                    for r in q.build().fetch_all(&self.pool).await? {
                        let id: i64 = r.try_get("id")?;
                        people.insert(
                            id,
                            Person {
                                id: PersonId(id),
                                employee_number: r.try_get("employee_number")?,
                                given_name: r.try_get("given_name")?,
                                family_name: r.try_get("family_name")?,
                                email: r.try_get("email")?,
                                registrations: Vec::new(),
                            },
                        );
                    }
                    let mut q = QueryBuilder::<$db>::new(format!(
                        "SELECT {RECORD_COLUMNS} FROM training_records r \
                         LEFT JOIN record_supersessions s ON s.record_id = r.id WHERE r.person_id IN ("
                    ));
                    push_ids(&mut q, chunk.iter().copied());
                    for r in q.build().fetch_all(&self.pool).await? {
                        let fact = record_from_row(&r)?;
                        records.entry(fact.record.person_id.0).or_default().push(fact);
                    }
                    let mut q = QueryBuilder::<$db>::new(EXEMPTION_SELECT);
                    q.push(" WHERE e.org_id = ");
                    q.push_bind(org.0);
                    q.push(" AND e.person_id IN (");
                    push_ids(&mut q, chunk.iter().copied());
                    for r in q.build().fetch_all(&self.pool).await? {
                        let e = exemption_from_row(&r)?;
                        exemptions.entry(e.person_id.0).or_default().push(e);
                    }
                }
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    let Some(person) = people.remove(&id) else { continue };
                    out.push(PersonBundle {
                        person,
                        posts: by_person.remove(&id).unwrap_or_default(),
                        records: records.remove(&id).unwrap_or_default(),
                        exemptions: exemptions.remove(&id).unwrap_or_default(),
                    });
                }
                Ok(out)
            }
        }

        #[async_trait::async_trait]
        impl Store for $store {
            fn backend(&self) -> Backend {
                $backend
            }

            async fn is_empty(&self) -> Result<bool> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organisations").fetch_one(&self.pool).await?;
                Ok(n == 0)
            }

            async fn load_frameworks(&self, files: &[(String, String, FrameworkFile)]) -> Result<FrameworkLoad> {
                let mut tx = self.begin_write().await?;
                let mut load = FrameworkLoad::default();
                let mut problems = Vec::new();
                let now = chrono::Utc::now();
                let mut touched = Touched::at(now);
                let org_ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM organisations ORDER BY id").fetch_all(&mut *tx).await?;
                for (i, (name, text, file)) in files.iter().enumerate() {
                    let f = &file.framework;
                    let res = sqlx::query(
                        "INSERT INTO frameworks (code, version, name, source, effective_from, file_name, file_text, loaded_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (code, version) DO NOTHING",
                    )
                    .bind(&f.code).bind(&f.version).bind(&f.name).bind(&f.source).bind(f.effective_from)
                    .bind(name).bind(text).bind(now)
                    .execute(&mut *tx).await?;
                    if res.rows_affected() == 0 {
                        load.already_loaded.push(format!("{} {}", f.code, f.version));
                        continue;
                    }
                    load.loaded.push(format!("{} {}", f.code, f.version));
                    for c in file.competencies() {
                        sqlx::query(
                            "INSERT INTO competencies (code, name, framework, levels) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (code) DO UPDATE SET name = excluded.name, levels = excluded.levels",
                        )
                        .bind(c.code.as_str()).bind(&c.name).bind(&c.framework).bind(json(&c.levels))
                        .execute(&mut *tx).await?;
                    }
                    // A new version reaches every organisation as new rule versions from its effective date.
                    for org in &org_ids {
                        for rule in file.instantiate(OrgId(*org), now) {
                            match Self::add_rule_version(&mut tx, &rule).await? {
                                Some(message) => problems.push(problem(i + 1, "effective_from", message)),
                                None => load.rules_created += 1,
                            }
                        }
                        touched.org(*org);
                    }
                }
                if !problems.is_empty() {
                    problems.dedup_by(|a, b| a.message == b.message);
                    tx.rollback().await?;
                    return Err(StoreError::Rejected(problems));
                }
                Self::record_changes(&mut tx, touched).await?;
                tx.commit().await?;
                Ok(load)
            }

            async fn frameworks(&self) -> Result<Vec<FrameworkFile>> {
                let rows = sqlx::query("SELECT file_name, file_text FROM frameworks ORDER BY code, version").fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        let name: String = r.try_get("file_name")?;
                        FrameworkFile::parse(&name, &r.try_get::<String, _>("file_text")?)
                            .map_err(|e| StoreError::Corrupt { column: "frameworks.file_text", message: e.to_string() })
                    })
                    .collect()
            }

            async fn framework_names(&self) -> Result<std::collections::HashMap<String, String>> {
                // Ordered by version so a later version's name wins.
                let rows = sqlx::query("SELECT code, name FROM frameworks ORDER BY code, loaded_at").fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| Ok((r.try_get("code")?, r.try_get("name")?)))
                    .collect()
            }

            async fn competencies(&self) -> Result<Vec<Competency>> {
                let rows = sqlx::query("SELECT code, name, framework, levels FROM competencies ORDER BY code").fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        Ok(Competency {
                            code: read_subject("competencies.code", r.try_get("code")?)?,
                            name: r.try_get("name")?,
                            framework: r.try_get("framework")?,
                            levels: from_json("competencies.levels", &r.try_get::<String, _>("levels")?)?,
                        })
                    })
                    .collect()
            }

            async fn list_orgs(&self, scope: &Scope) -> Result<Vec<OrgSummary>> {
                let rows = sqlx::query(
                    sqlx::AssertSqlSafe(format!("{ORG_SELECT} ORDER BY o.name")),
                )
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::new();
                for r in rows {
                    let org = org_from_row(&r)?;
                    if scope.sees_org(org.id) {
                        out.push(OrgSummary { org, people: r.try_get("people_count")?, units: r.try_get("unit_count")? });
                    }
                }
                Ok(out)
            }

            async fn org_by_code(&self, scope: &Scope, ods_code: &str) -> Result<Organisation> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("{ORG_SELECT} WHERE o.ods_code = $1")))
                    .bind(ods_code)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let org = org_from_row(&row)?;
                if scope.sees_org(org.id) { Ok(org) } else { Err(StoreError::NotFound) }
            }

            async fn org_context(&self, scope: &Scope, org: OrgId) -> Result<OrgContext> {
                if !scope.sees_org(org) {
                    return Err(StoreError::NotFound);
                }
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("{ORG_SELECT} WHERE o.id = $1")))
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let rules = sqlx::query("SELECT * FROM rules WHERE org_id = $1 ORDER BY subject, level, effective_from, created_at, id")
                    .bind(org.0).fetch_all(&self.pool).await?
                    .iter().map(rule_from_row).collect::<Result<Vec<_>>>()?;
                // Each version with where it stops as known now; the engine derives it again for a `known_at`.
                let rules = history::rule_versions(&rules, None);
                let policies = sqlx::query("SELECT * FROM acceptance_policies WHERE org_id = $1 ORDER BY effective_from, created_at")
                    .bind(org.0).fetch_all(&self.pool).await?
                    .iter()
                    .map(|r| {
                        let codes: Vec<String> = from_json("acceptance_policies.accepted", &r.try_get::<String, _>("accepted")?)?;
                        Ok(AcceptancePolicy {
                            org_id: org,
                            accepted: codes.iter().map(|c| vocab("acceptance_policies.accepted", c, ProviderType::parse)).collect::<Result<_>>()?,
                            effective_from: r.try_get("effective_from")?,
                            created_at: r.try_get("created_at")?,
                        })
                    })
                    .collect::<Result<_>>()?;
                let unit_history: Vec<Unit> = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{UNIT_VERSIONS} WHERE u.org_id = $1 ORDER BY v.recorded_at, v.id"
                )))
                .bind(org.0).fetch_all(&self.pool).await?
                .iter().map(unit_from_row).collect::<Result<_>>()?;
                // The current units are the latest versions, read the one way every reader reads history.
                let mut units = history::units(&unit_history, None);
                units.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
                let targets = sqlx::query(
                    "SELECT target_percent, recorded_at FROM organisation_targets WHERE org_id = $1 ORDER BY recorded_at, id",
                )
                .bind(org.0).fetch_all(&self.pool).await?
                .iter()
                .map(|r| Ok((r.try_get("target_percent")?, r.try_get("recorded_at")?)))
                .collect::<Result<_>>()?;
                let rehire_breaks = sqlx::query(
                    "SELECT break_days, recorded_at FROM organisation_rehire_breaks WHERE org_id = $1 ORDER BY recorded_at, id",
                )
                .bind(org.0).fetch_all(&self.pool).await?
                .iter()
                .map(|r| Ok((u32::try_from(r.try_get::<i32, _>("break_days")?).unwrap_or(1), r.try_get("recorded_at")?)))
                .collect::<Result<_>>()?;
                Ok(OrgContext { org: org_from_row(&row)?, units, unit_history, targets, rehire_breaks, rules, policies })
            }

            async fn set_rehire_break_days(&self, org: OrgId, days: u32, by: AccountId, now: Timestamp) -> Result<()> {
                self.add_rehire_break(org, days, by, now).await
            }

            async fn org_data_version(&self, org: OrgId) -> Result<i64> {
                sqlx::query_scalar("SELECT data_version FROM organisations WHERE id = $1")
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)
            }

            async fn changes_since(&self, org: OrgId, since: i64, until: i64) -> Result<Changes> {
                let rows: Vec<Option<i64>> = sqlx::query_scalar(
                    "SELECT DISTINCT person_id FROM compliance_changes WHERE org_id = $1 AND data_version > $2 \
                     AND data_version <= $3",
                )
                .bind(org.0).bind(since).bind(until)
                .fetch_all(&self.pool).await?;
                if rows.iter().any(Option::is_none) {
                    return Ok(Changes::Everyone);
                }
                Ok(Changes::People(rows.into_iter().flatten().map(PersonId).collect()))
            }

            async fn people_directory(&self, scope: &Scope, org: OrgId) -> Result<Vec<PersonName>> {
                let ids: HashSet<PersonId> = self.person_ids(scope, org).await?.into_iter().collect();
                let rows = sqlx::query(
                    "SELECT id, employee_number, given_name, family_name FROM people \
                     WHERE id IN (SELECT person_id FROM posts WHERE org_id = $1)",
                )
                .bind(org.0).fetch_all(&self.pool).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let id = PersonId(r.try_get("id")?);
                    if ids.contains(&id) {
                        out.push(PersonName {
                            id,
                            employee_number: r.try_get("employee_number")?,
                            given_name: r.try_get("given_name")?,
                            family_name: r.try_get("family_name")?,
                        });
                    }
                }
                Ok(out)
            }

            async fn people_posts(&self, scope: &Scope, org: OrgId, ids: &[PersonId]) -> Result<Vec<(PersonName, Vec<Post>)>> {
                if !scope.sees_org(org) {
                    return Err(StoreError::NotFound);
                }
                let mut posts: HashMap<i64, Vec<Post>> = HashMap::new();
                let mut names: Vec<PersonName> = Vec::new();
                for chunk in ids.chunks(CHUNK) {
                    let mut q = QueryBuilder::<$db>::new(format!("{POST_VERSIONS} WHERE org_id = "));
                    q.push_bind(org.0);
                    q.push(" AND person_id IN (");
                    push_ids(&mut q, chunk.iter().map(|id| id.0));
                    for r in q.build().fetch_all(&self.pool).await? {
                        let p = post_from_row(&r)?;
                        posts.entry(p.person_id.0).or_default().push(p);
                    }
                    let mut q = QueryBuilder::<$db>::new("SELECT id, employee_number, given_name, family_name FROM people WHERE id IN (");
                    push_ids(&mut q, chunk.iter().map(|id| id.0));
                    for r in q.build().fetch_all(&self.pool).await? {
                        names.push(PersonName {
                            id: PersonId(r.try_get("id")?),
                            employee_number: r.try_get("employee_number")?,
                            given_name: r.try_get("given_name")?,
                            family_name: r.try_get("family_name")?,
                        });
                    }
                }
                let hierarchy = if scope.sees_whole_org(org) {
                    None
                } else {
                    let units: Vec<Unit> = sqlx::query("SELECT * FROM current_units WHERE org_id = $1")
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(unit_from_row).collect::<Result<_>>()?;
                    Some(lantern_domain::rollup::Hierarchy::new(&units))
                };
                Ok(names
                    .into_iter()
                    .filter_map(|n| {
                        let p = posts.remove(&n.id.0)?;
                        // Access follows where people work now: the current version of each post.
                        let visible = hierarchy.as_ref().is_none_or(|h| {
                            scope.sees_person(org, n.id, history::posts(&p, None).iter().map(|x| x.unit_id), h)
                        });
                        visible.then_some((n, p))
                    })
                    .collect())
            }

            async fn person_ids(&self, scope: &Scope, org: OrgId) -> Result<Vec<PersonId>> {
                if !scope.sees_org(org) {
                    return Err(StoreError::NotFound);
                }
                if scope.sees_whole_org(org) {
                    let ids: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT person_id FROM posts WHERE org_id = $1 ORDER BY person_id")
                        .bind(org.0).fetch_all(&self.pool).await?;
                    return Ok(ids.into_iter().map(PersonId).collect());
                }
                Ok(self.people(scope, org, &PeopleFilter::All).await?.into_iter().map(|p| p.person.id).collect())
            }

            async fn people(&self, scope: &Scope, org: OrgId, filter: &PeopleFilter) -> Result<Vec<PersonBundle>> {
                if !scope.sees_org(org) {
                    return Err(StoreError::NotFound);
                }
                let all_posts: Vec<Post> = match filter {
                    PeopleFilter::People(ids) => {
                        let mut posts = Vec::new();
                        for chunk in ids.chunks(CHUNK) {
                            let mut q = QueryBuilder::<$db>::new(format!("{POST_VERSIONS} WHERE org_id = "));
                            q.push_bind(org.0);
                            q.push(" AND person_id IN (");
                            push_ids(&mut q, chunk.iter().map(|id| id.0));
                            for r in q.build().fetch_all(&self.pool).await? {
                                posts.push(post_from_row(&r)?);
                            }
                        }
                        posts
                    }
                    PeopleFilter::Units(wanted) => {
                        // Only the posts in those units (and below), then everything those people hold here.
                        let units: Vec<Unit> = sqlx::query("SELECT * FROM current_units WHERE org_id = $1")
                            .bind(org.0).fetch_all(&self.pool).await?
                            .iter().map(unit_from_row).collect::<Result<_>>()?;
                        let hierarchy = lantern_domain::rollup::Hierarchy::new(&units);
                        let inside: Vec<i64> = units
                            .iter()
                            .filter(|u| wanted.iter().any(|w| hierarchy.is_within(u.id, *w)))
                            .map(|u| u.id.0)
                            .collect();
                        let mut ids: BTreeSet<i64> = BTreeSet::new();
                        for chunk in inside.chunks(CHUNK) {
                            // Anyone whose post was ever recorded in those units: a question about an earlier
                            // moment (`known_at`) may need them; readers pick the version they ask about.
                            let mut q = QueryBuilder::<$db>::new("SELECT DISTINCT person_id FROM post_versions WHERE org_id = ");
                            q.push_bind(org.0);
                            q.push(" AND unit_id IN (");
                            push_ids(&mut q, chunk.iter().copied());
                            ids.extend(q.build_query_scalar::<i64>().fetch_all(&self.pool).await?);
                        }
                        let mut posts = Vec::new();
                        let ids: Vec<i64> = ids.into_iter().collect();
                        for chunk in ids.chunks(CHUNK) {
                            let mut q = QueryBuilder::<$db>::new(format!("{POST_VERSIONS} WHERE org_id = "));
                            q.push_bind(org.0);
                            q.push(" AND person_id IN (");
                            push_ids(&mut q, chunk.iter().copied());
                            for r in q.build().fetch_all(&self.pool).await? {
                                posts.push(post_from_row(&r)?);
                            }
                        }
                        posts
                    }
                    PeopleFilter::All => sqlx::query(sqlx::AssertSqlSafe(format!("{POST_VERSIONS} WHERE org_id = $1")))
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(post_from_row).collect::<Result<_>>()?,
                };
                // Unit scoping and filters are applied to whole people: a person is in when any of their posts is.
                let needs_units = matches!(filter, PeopleFilter::Units(_)) || !scope.sees_whole_org(org);
                let keep: Option<HashSet<i64>> = if needs_units {
                    let units: Vec<Unit> = sqlx::query("SELECT * FROM current_units WHERE org_id = $1")
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(unit_from_row).collect::<Result<_>>()?;
                    let hierarchy = lantern_domain::rollup::Hierarchy::new(&units);
                    // Access follows where people work now (the current version of each post); the unit filter takes
                    // anyone ever recorded there, for questions about earlier moments.
                    let current: HashSet<i64> = history::posts(&all_posts, None)
                        .iter()
                        .filter(|p| scope.sees_person(org, p.person_id, [p.unit_id], &hierarchy))
                        .map(|p| p.person_id.0)
                        .collect();
                    Some(all_posts.iter()
                        .filter(|p| current.contains(&p.person_id.0))
                        .filter(|p| match filter {
                            PeopleFilter::All | PeopleFilter::People(_) => true,
                            PeopleFilter::Units(us) => us.iter().any(|u| hierarchy.is_within(p.unit_id, *u)),
                        })
                        .map(|p| p.person_id.0)
                        .collect())
                } else {
                    None
                };
                let posts = all_posts.into_iter().filter(|p| keep.as_ref().is_none_or(|k| k.contains(&p.person_id.0))).collect();
                self.load_people(org, posts).await
            }

            async fn person(&self, scope: &Scope, org: OrgId, person: PersonId) -> Result<PersonBundle> {
                if !scope.sees_org(org) {
                    return Err(StoreError::NotFound);
                }
                // One person is the hottest read (a learner's page, a drill-down): the four queries run at once on
                // separate connections, so the page waits for one round trip. Nothing leaves this function unless
                // the person's posts put them in the caller's scope.
                let posts = async {
                    sqlx::query(sqlx::AssertSqlSafe(format!("{POST_VERSIONS} WHERE org_id = $1 AND person_id = $2 ORDER BY recorded_at, id")))
                        .bind(org.0).bind(person.0).fetch_all(&self.pool).await
                };
                let who = async {
                    sqlx::query(
                        "SELECT p.id, p.employee_number, p.given_name, p.family_name, p.email, \
                         g.body, g.number, g.renewal_date \
                         FROM people p LEFT JOIN registrations g ON g.person_id = p.id WHERE p.id = $1 ORDER BY g.body",
                    )
                    .bind(person.0).fetch_all(&self.pool).await
                };
                let records = async {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {RECORD_COLUMNS} FROM training_records r \
                         LEFT JOIN record_supersessions s ON s.record_id = r.id WHERE r.person_id = $1"
                    )))
                    .bind(person.0).fetch_all(&self.pool).await
                };
                let exemptions = async {
                    sqlx::query(sqlx::AssertSqlSafe(format!("{EXEMPTION_SELECT} WHERE e.org_id = $1 AND e.person_id = $2")))
                        .bind(org.0).bind(person.0).fetch_all(&self.pool).await
                };
                let (posts, who, records, exemptions) = tokio::try_join!(posts, who, records, exemptions)?;
                let posts: Vec<Post> = posts.iter().map(post_from_row).collect::<Result<_>>()?;
                if posts.is_empty() {
                    return Err(StoreError::NotFound);
                }
                if !scope.sees_whole_org(org) {
                    let units: Vec<Unit> = sqlx::query("SELECT * FROM current_units WHERE org_id = $1")
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(unit_from_row).collect::<Result<_>>()?;
                    let hierarchy = lantern_domain::rollup::Hierarchy::new(&units);
                    if !scope.sees_person(org, person, history::posts(&posts, None).iter().map(|p| p.unit_id), &hierarchy) {
                        return Err(StoreError::NotFound);
                    }
                }
                let first = who.first().ok_or(StoreError::NotFound)?;
                let mut registrations = Vec::new();
                for r in &who {
                    if let Some(body) = r.try_get::<Option<String>, _>("body")? {
                        registrations.push(Registration {
                            body: vocab("registrations.body", &body, RegulatoryBody::parse)?,
                            number: r.try_get("number")?,
                            renewal_date: r.try_get("renewal_date")?,
                        });
                    }
                }
                Ok(PersonBundle {
                    person: Person {
                        id: person,
                        employee_number: first.try_get("employee_number")?,
                        given_name: first.try_get("given_name")?,
                        family_name: first.try_get("family_name")?,
                        email: first.try_get("email")?,
                        registrations,
                    },
                    posts,
                    records: records.iter().map(record_from_row).collect::<Result<_>>()?,
                    exemptions: exemptions.iter().map(exemption_from_row).collect::<Result<_>>()?,
                })
            }

            async fn person_by_employee_number(&self, scope: &Scope, org: OrgId, number: &str) -> Result<PersonId> {
                let id: Option<i64> = sqlx::query_scalar(
                    "SELECT DISTINCT p.id FROM people p JOIN posts x ON x.person_id = p.id WHERE p.employee_number = $1 AND x.org_id = $2",
                )
                .bind(number).bind(org.0).fetch_optional(&self.pool).await?;
                let id = PersonId(id.ok_or(StoreError::NotFound)?);
                self.person(scope, org, id).await.map(|_| id)
            }

            async fn person_by_email(&self, scope: &Scope, org: OrgId, email: &str) -> Result<PersonId> {
                let id: Option<i64> = sqlx::query_scalar(
                    "SELECT DISTINCT p.id FROM people p JOIN posts x ON x.person_id = p.id WHERE LOWER(p.email) = LOWER($1) AND x.org_id = $2",
                )
                .bind(email.trim()).bind(org.0).fetch_optional(&self.pool).await?;
                let id = PersonId(id.ok_or(StoreError::NotFound)?);
                self.person(scope, org, id).await.map(|_| id)
            }

            async fn write(&self, batch: &WriteBatch) -> Result<BatchOutcome> {
                let mut tx = self.begin_write().await?;
                let outcome = self.write_tx(&mut tx, batch).await;
                match outcome {
                    Ok(o) => {
                        tx.commit().await?;
                        Ok(o)
                    }
                    Err(e) => {
                        tx.rollback().await?;
                        Err(e)
                    }
                }
            }

            async fn refresh_statistics(&self) -> Result<()> {
                let sql = match $backend {
                    Backend::Sqlite => "PRAGMA optimize".to_owned(),
                    // Lantern's own tables only: a bare ANALYZE would read every table of every schema in the
                    // database (another application's, or hundreds of test schemas: 20 s instead of a fraction).
                    Backend::Postgres => {
                        let tables: Vec<String> = sqlx::query_scalar(
                            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
                        )
                        .fetch_all(&self.pool)
                        .await?;
                        if tables.is_empty() {
                            return Ok(());
                        }
                        format!("ANALYZE {}", tables.join(", "))
                    }
                };
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&self.pool).await?;
                Ok(())
            }

            async fn table_counts(&self) -> Result<Vec<(String, i64)>> {
                let mut out = Vec::new();
                for t in ["organisations", "sites", "units", "people", "registrations", "posts", "rules", "training_records",
                          "record_supersessions", "exemptions", "acceptance_policies", "competencies", "frameworks"] {
                    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {t}"))).fetch_one(&self.pool).await?;
                    out.push((t.to_owned(), n));
                }
                Ok(out)
            }
        }
    };
}

pub(crate) use impl_store;
