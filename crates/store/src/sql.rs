//! The SQL shared by both backends. Queries use `$N` placeholders, which SQLite and PostgreSQL both accept, and
//! `sqlx::QueryBuilder` for lists, which writes each backend's own placeholders. The [`impl_store!`] macro instantiates
//! the one implementation for each backend's types; what differs (connection set-up, migrations, DDL) lives in
//! `sqlite.rs` and `postgres.rs`.

use crate::{Result, StoreError};
use lantern_domain::*;
use std::collections::BTreeSet;

/// Largest number of rows per multi-row INSERT, keeping bind parameters under both backends' limits.
pub(crate) const CHUNK: usize = 1000;

/// What a batch changed, for the organisations' data versions and the change log behind incremental roll-ups.
#[derive(Default)]
pub(crate) struct Touched {
    /// Organisations changed as a whole: their units, rules, policies or settings.
    whole: BTreeSet<i64>,
    /// (organisation, person) pairs whose posts, records or exemptions changed.
    people: BTreeSet<(i64, i64)>,
    /// Organisations whose posts or units changed, so their head counts need recounting.
    pub(crate) recount: BTreeSet<i64>,
}

impl Touched {
    pub(crate) fn org(&mut self, org: i64) {
        self.whole.insert(org);
    }

    pub(crate) fn person(&mut self, org: i64, person: i64) {
        self.people.insert((org, person));
    }

    /// A post or unit of the organisation was written: its head counts change.
    pub(crate) fn post_or_unit(&mut self, org: i64) {
        self.recount.insert(org);
    }

    pub(crate) fn orgs(&self) -> BTreeSet<i64> {
        self.whole
            .iter()
            .copied()
            .chain(self.people.iter().map(|(o, _)| *o))
            .collect()
    }

    /// Change-log rows: (org, None) for a whole organisation, else (org, Some(person)).
    pub(crate) fn rows(&self) -> impl Iterator<Item = (i64, Option<i64>)> + '_ {
        self.whole.iter().map(|o| (*o, None)).chain(
            self.people
                .iter()
                .filter(|(o, _)| !self.whole.contains(o))
                .map(|(o, p)| (*o, Some(*p))),
        )
    }
}

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
                ods_code: r.try_get("ods_code")?,
                name: r.try_get("name")?,
                org_type: vocab("organisations.org_type", &r.try_get::<String, _>("org_type")?, OrgType::parse)?,
                target_percent: r.try_get("target_percent")?,
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
            })
        }

        fn rule_from_row(r: &DbRow) -> Result<Rule> {
            Ok(Rule {
                id: RuleId(r.try_get("id")?),
                org_id: OrgId(r.try_get("org_id")?),
                framework: r.try_get("framework")?,
                framework_version: r.try_get("framework_version")?,
                subject: r.try_get("subject")?,
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
                effective_to: r.try_get("effective_to")?,
                adjustable: r.try_get("adjustable")?,
                source: r.try_get("source")?,
                basis: RuleBasis {
                    edition: r.try_get("edition")?,
                    reading: r.try_get("reading")?,
                    local_choice: r.try_get("local_choice")?,
                },
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
                subject: r.try_get("subject")?,
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
                subject: r.try_get("subject")?,
                reason: r.try_get("reason")?,
                from: r.try_get("from_date")?,
                until: r.try_get("until_date")?,
                recorded_at: r.try_get("recorded_at")?,
            })
        }

        const RECORD_COLUMNS: &str = "r.id, r.person_id, r.subject, r.level, r.completed_on, r.hours, r.provider, \
            r.provider_type, r.provider_org_id, r.source, r.evidence_ref, r.recorded_at, \
            s.reason AS s_reason, s.replaced_by AS s_replaced_by, s.recorded_at AS s_recorded_at";

        fn problem(line: usize, field: &str, message: impl Into<String>) -> BatchProblem {
            BatchProblem { line, field: field.to_owned(), message: message.into() }
        }

        impl $store {
            /// Ids of people by employee number, for the numbers given, as a batch confined to one organisation
            /// (`only`, by id) or the platform's (`None`) sees them.
            ///
            /// An employee number is an employer's own identifier (`people.issuer_org_id`). In an organisation's
            /// batch a number names the person who holds or held a post there, or else the person that
            /// organisation's imports created; never someone who is only another employer's, who stays invisible
            /// (the batch creates a person of its own for the number instead). In a platform batch it names the
            /// platform's own person, or else the one person anywhere with that number; numbers used by several
            /// organisations and not the platform are returned as ambiguous.
            async fn person_ids(
                tx: &mut Tx<'_>,
                numbers: &BTreeSet<&str>,
                only: Option<i64>,
            ) -> Result<(HashMap<String, i64>, BTreeSet<String>)> {
                // (number) -> [(id, issuer, has a post in `only`)]
                let mut found: HashMap<String, Vec<(i64, Option<i64>, bool)>> = HashMap::new();
                let numbers: Vec<&str> = numbers.iter().copied().collect();
                for chunk in numbers.chunks(CHUNK) {
                    let mut q = QueryBuilder::<$db>::new(
                        "SELECT p.id, p.employee_number, p.issuer_org_id, EXISTS (SELECT 1 FROM posts x \
                         WHERE x.person_id = p.id AND x.org_id = ",
                    );
                    q.push_bind(only.unwrap_or(-1));
                    q.push(") AS here FROM people p WHERE p.employee_number IN (");
                    let mut sep = q.separated(", ");
                    for n in chunk {
                        sep.push_bind(*n);
                    }
                    q.push(")");
                    for row in q.build().fetch_all(&mut **tx).await? {
                        found.entry(row.try_get("employee_number")?).or_default().push((
                            row.try_get("id")?,
                            row.try_get("issuer_org_id")?,
                            row.try_get("here")?,
                        ));
                    }
                }
                let mut out = HashMap::new();
                let mut ambiguous = BTreeSet::new();
                for (number, mut people) in found {
                    people.sort_by_key(|(id, _, here)| (!here, *id));
                    let chosen = match only {
                        Some(org) => people.iter().find(|(_, issuer, here)| *here || *issuer == Some(org)),
                        None => people.iter().find(|(_, issuer, _)| issuer.is_none()).or(match people.as_slice() {
                            [one] => Some(one),
                            _ => None,
                        }),
                    };
                    match chosen {
                        Some((id, _, _)) => {
                            out.insert(number, *id);
                        }
                        None if only.is_none() => {
                            ambiguous.insert(number);
                        }
                        None => {}
                    }
                }
                Ok((out, ambiguous))
            }

            async fn org_ids(tx: &mut Tx<'_>) -> Result<HashMap<String, i64>> {
                let rows = sqlx::query("SELECT id, ods_code FROM organisations").fetch_all(&mut **tx).await?;
                rows.iter().map(|r| Ok((r.try_get("ods_code")?, r.try_get("id")?))).collect()
            }

            async fn unit_ids(tx: &mut Tx<'_>) -> Result<HashMap<(i64, String), i64>> {
                let rows = sqlx::query("SELECT id, org_id, code FROM units").fetch_all(&mut **tx).await?;
                rows.iter().map(|r| Ok(((r.try_get("org_id")?, r.try_get("code")?), r.try_get("id")?))).collect()
            }

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
                    let mut q = QueryBuilder::<$db>::new("SELECT * FROM exemptions WHERE org_id = ");
                    q.push_bind(org.0);
                    q.push(" AND person_id IN (");
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

            async fn write_tx(&self, tx: &mut Tx<'_>, batch: &WriteBatch) -> Result<BatchOutcome> {
                let now = batch.recorded_at.unwrap_or_else(chrono::Utc::now);
                let mut out = BatchOutcome::default();
                let mut problems: Vec<BatchProblem> = Vec::new();
                let mut touched = Touched::default();

                // Organisations: upsert by ODS code; a new organisation starts with rules from every loaded framework.
                for (i, o) in batch.orgs.iter().enumerate() {
                    if let Some(only) = batch.only_org.as_deref().filter(|only| *only != o.ods_code) {
                        problems.push(problem(i + 1, "org_code", format!("{:?} is another organisation: this import is for {only} only", o.ods_code)));
                        continue;
                    }
                    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM organisations WHERE ods_code = $1")
                        .bind(&o.ods_code)
                        .fetch_optional(&mut **tx)
                        .await?;
                    let id = match existing {
                        Some(id) => {
                            let res = sqlx::query(
                                "UPDATE organisations SET name = $1, org_type = $2, target_percent = $3 WHERE id = $4 \
                                 AND (name <> $1 OR org_type <> $2 OR target_percent <> $3)",
                            )
                            .bind(&o.name).bind(o.org_type.code()).bind(o.target_percent).bind(id)
                            .execute(&mut **tx).await?;
                            if res.rows_affected() > 0 {
                                touched.org(id);
                            }
                            id
                        }
                        None => {
                            let id: i64 = sqlx::query_scalar(
                                "INSERT INTO organisations (ods_code, name, org_type, target_percent, created_at) \
                                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                            )
                            .bind(&o.ods_code).bind(&o.name).bind(o.org_type.code()).bind(o.target_percent).bind(now)
                            .fetch_one(&mut **tx).await?;
                            out.orgs_created += 1;
                            out.rules_created += Self::instantiate_frameworks(tx, id, now).await?;
                            touched.org(id);
                            id
                        }
                    };
                    let _ = id;
                }
                let orgs = Self::org_ids(tx).await?;
                let only = batch.only_org.as_deref();
                let org_of = |code: &str, line: usize, field: &str, problems: &mut Vec<BatchProblem>| -> Option<i64> {
                    if let Some(only) = only.filter(|o| *o != code) {
                        problems.push(problem(line, field, format!("{code:?} is another organisation: this import is for {only} only")));
                        return None;
                    }
                    let id = orgs.get(code).copied();
                    if id.is_none() {
                        problems.push(problem(line, field, format!("no organisation with ODS code {code:?}")));
                    }
                    id
                };

                for (i, s) in batch.sites.iter().enumerate() {
                    let Some(org) = org_of(&s.org, i + 1, "org", &mut problems) else { continue };
                    sqlx::query(
                        "INSERT INTO sites (org_id, code, name) VALUES ($1, $2, $3) \
                         ON CONFLICT (org_id, code) DO UPDATE SET name = excluded.name",
                    )
                    .bind(org).bind(&s.code).bind(&s.name).execute(&mut **tx).await?;
                    out.other_rows += 1;
                }

                // Units: upsert, then link parents by code, so order in the batch does not matter.
                if !batch.units.is_empty() {
                    let sites: HashMap<(i64, String), i64> = sqlx::query("SELECT id, org_id, code FROM sites")
                        .fetch_all(&mut **tx).await?
                        .iter()
                        .map(|r| Ok(((r.try_get("org_id")?, r.try_get("code")?), r.try_get("id")?)))
                        .collect::<Result<_>>()?;
                    for u in &batch.units {
                        let Some(org) = org_of(&u.org, u.line, "org", &mut problems) else { continue };
                        let site = match &u.site {
                            Some(code) => match sites.get(&(org, code.clone())) {
                                Some(id) => Some(*id),
                                None => {
                                    problems.push(problem(u.line, "site", format!("no site {code:?} in {}", u.org)));
                                    continue;
                                }
                            },
                            None => None,
                        };
                        let res = sqlx::query(
                            "INSERT INTO units (org_id, code, name, kind, site_id) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (org_id, code) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
                             site_id = excluded.site_id WHERE units.name <> excluded.name OR units.kind <> excluded.kind \
                             OR units.site_id IS DISTINCT FROM excluded.site_id",
                        )
                        .bind(org).bind(&u.code).bind(&u.name).bind(u.kind.code()).bind(site)
                        .execute(&mut **tx).await?;
                        if res.rows_affected() > 0 {
                            out.units_written += res.rows_affected();
                            touched.org(org);
                            touched.post_or_unit(org);
                        }
                    }
                    let units = Self::unit_ids(tx).await?;
                    for u in &batch.units {
                        let Some(&org) = orgs.get(&u.org) else { continue };
                        let Some(&id) = units.get(&(org, u.code.clone())) else { continue };
                        let parent = match &u.parent {
                            Some(p) if p == &u.code => {
                                problems.push(problem(u.line, "parent_unit", "a unit cannot be its own parent"));
                                continue;
                            }
                            Some(p) => match units.get(&(org, p.clone())) {
                                Some(pid) => Some(*pid),
                                None => {
                                    problems.push(problem(u.line, "parent_unit", format!("no unit {p:?} in {}", u.org)));
                                    continue;
                                }
                            },
                            None => None,
                        };
                        let res = sqlx::query("UPDATE units SET parent_id = $1 WHERE id = $2 AND parent_id IS DISTINCT FROM $1")
                            .bind(parent).bind(id).execute(&mut **tx).await?;
                        if res.rows_affected() > 0 {
                            touched.org(org);
                        }
                    }
                }

                // People: upsert by employee number, writing only what changed. Numbers are the employer's own
                // (see `person_ids`): an organisation's batch never reaches someone who is only another's.
                let only_id: Option<i64> = match only {
                    Some(code) => match orgs.get(code) {
                        Some(id) => Some(*id),
                        None => {
                            problems.push(problem(1, "org", format!("no organisation with ODS code {code:?}")));
                            return Err(StoreError::Rejected(problems));
                        }
                    },
                    None => None,
                };
                let ambiguous_problem = |number: &str| {
                    format!(
                        "employee number {number:?} is used by several organisations' staff; a platform import cannot \
                         tell which person it means (import it as that organisation)"
                    )
                };
                let mut numbers: BTreeSet<&str> = BTreeSet::new();
                numbers.extend(batch.people.iter().map(|p| p.employee_number.as_str()));
                let (existing, ambiguous) = Self::person_ids(tx, &numbers, only_id).await?;
                if !batch.people.is_empty() {
                    let mut current: HashMap<i64, (String, String, Option<String>)> = HashMap::new();
                    let ids: Vec<i64> = existing.values().copied().collect();
                    for chunk in ids.chunks(CHUNK) {
                        let mut q = QueryBuilder::<$db>::new("SELECT id, given_name, family_name, email FROM people WHERE id IN (");
                        push_ids(&mut q, chunk.iter().copied());
                        for r in q.build().fetch_all(&mut **tx).await? {
                            current.insert(r.try_get("id")?, (r.try_get("given_name")?, r.try_get("family_name")?, r.try_get("email")?));
                        }
                    }
                    let mut seen: HashSet<&str> = HashSet::new();
                    let mut new_people = Vec::new();
                    for p in &batch.people {
                        if !seen.insert(p.employee_number.as_str()) {
                            problems.push(problem(p.line, "employee_number", format!("{} appears twice in this file", p.employee_number)));
                            continue;
                        }
                        if ambiguous.contains(&p.employee_number) {
                            problems.push(problem(p.line, "employee_number", ambiguous_problem(&p.employee_number)));
                            continue;
                        }
                        match existing.get(&p.employee_number) {
                            Some(id) => {
                                let now_vals = (p.given_name.clone(), p.family_name.clone(), p.email.clone());
                                if current.get(id) != Some(&now_vals) {
                                    // An organisation's own upload may not rename someone who also works elsewhere:
                                    // people are shared between employers, and their identity is not one
                                    // employer's to change. (A platform-level import may.)
                                    if let Some(only) = only {
                                        let elsewhere: Option<i64> = sqlx::query_scalar(
                                            "SELECT p.id FROM posts p JOIN organisations o ON o.id = p.org_id \
                                             WHERE p.person_id = $1 AND o.ods_code <> $2 LIMIT 1",
                                        )
                                        .bind(id).bind(only).fetch_optional(&mut **tx).await?;
                                        if elsewhere.is_some() {
                                            problems.push(problem(p.line, "given_name", format!(
                                                "{} also works for another organisation, whose record of their name and \
                                                 email stands; send them as they are, or ask a platform admin to correct them",
                                                p.employee_number
                                            )));
                                            continue;
                                        }
                                    }
                                    sqlx::query("UPDATE people SET given_name = $1, family_name = $2, email = $3, updated_at = $4 WHERE id = $5")
                                        .bind(&p.given_name).bind(&p.family_name).bind(&p.email).bind(now).bind(id)
                                        .execute(&mut **tx).await?;
                                    out.people_updated += 1;
                                }
                            }
                            None => new_people.push(p),
                        }
                    }
                    for chunk in new_people.chunks(CHUNK) {
                        let mut q = QueryBuilder::<$db>::new(
                            "INSERT INTO people (employee_number, given_name, family_name, email, updated_at, issuer_org_id) ",
                        );
                        q.push_values(chunk, |mut b, p| {
                            b.push_bind(&p.employee_number).push_bind(&p.given_name).push_bind(&p.family_name).push_bind(&p.email)
                                .push_bind(now).push_bind(only_id);
                        });
                        out.people_created += q.build().execute(&mut **tx).await?.rows_affected();
                    }
                }
                numbers.extend(batch.posts.iter().map(|p| p.employee_number.as_str()));
                numbers.extend(batch.records.iter().map(|p| p.employee_number.as_str()));
                numbers.extend(batch.exemptions.iter().map(|p| p.employee_number.as_str()));
                let (people, ambiguous) = Self::person_ids(tx, &numbers, only_id).await?;
                let person_of = |number: &str, line: usize, problems: &mut Vec<BatchProblem>| -> Option<i64> {
                    let id = people.get(number).copied();
                    if id.is_none() {
                        let message = if ambiguous.contains(number) {
                            ambiguous_problem(number)
                        } else {
                            format!("no person with employee number {number:?}")
                        };
                        problems.push(problem(line, "employee_number", message));
                    }
                    id
                };

                let regs: Vec<(i64, &Registration)> = batch
                    .people
                    .iter()
                    .filter_map(|p| people.get(&p.employee_number).map(|id| (*id, p)))
                    .flat_map(|(id, p)| p.registrations.iter().map(move |r| (id, r)))
                    .collect();
                for chunk in regs.chunks(CHUNK) {
                    let mut q = QueryBuilder::<$db>::new("INSERT INTO registrations (person_id, body, number, renewal_date) ");
                    q.push_values(chunk, |mut b, (id, r)| {
                        b.push_bind(*id).push_bind(r.body.code()).push_bind(&r.number).push_bind(r.renewal_date);
                    });
                    q.push(" ON CONFLICT (person_id, body) DO UPDATE SET number = excluded.number, renewal_date = excluded.renewal_date");
                    q.build().execute(&mut **tx).await?;
                }

                // Posts: upsert by (organisation, assignment number).
                if !batch.posts.is_empty() {
                    let units = Self::unit_ids(tx).await?;
                    let mut existing: HashMap<(i64, String), Post> = HashMap::new();
                    let post_orgs: BTreeSet<i64> = batch.posts.iter().filter_map(|p| orgs.get(&p.org).copied()).collect();
                    for org in &post_orgs {
                        for r in sqlx::query("SELECT * FROM posts WHERE org_id = $1").bind(org).fetch_all(&mut **tx).await? {
                            let p = post_from_row(&r)?;
                            existing.insert((p.org_id.0, p.assignment_number.clone()), p);
                        }
                    }
                    let mut seen: HashSet<(i64, &str)> = HashSet::new();
                    let mut new_posts = Vec::new();
                    for p in &batch.posts {
                        let Some(org) = org_of(&p.org, p.line, "org", &mut problems) else { continue };
                        let Some(person) = person_of(&p.employee_number, p.line, &mut problems) else { continue };
                        let Some(&unit) = units.get(&(org, p.unit.clone())) else {
                            problems.push(problem(p.line, "unit", format!("no unit {:?} in {}", p.unit, p.org)));
                            continue;
                        };
                        if p.end.is_some_and(|e| e < p.start) {
                            problems.push(problem(p.line, "end_date", "the post ends before it starts"));
                            continue;
                        }
                        if !seen.insert((org, p.assignment_number.as_str())) {
                            problems.push(problem(p.line, "assignment_number", format!("{} appears twice in this file", p.assignment_number)));
                            continue;
                        }
                        match existing.get(&(org, p.assignment_number.clone())) {
                            Some(old) => {
                                if old.person_id.0 != person {
                                    problems.push(problem(p.line, "assignment_number", format!("{} belongs to another person", p.assignment_number)));
                                    continue;
                                }
                                let same = old.unit_id.0 == unit && old.staff_group == p.staff_group && old.job_role == p.job_role
                                    && old.band == p.band && old.specialty == p.specialty && old.patient_facing == p.patient_facing
                                    && old.start == p.start && old.end == p.end;
                                if !same {
                                    sqlx::query(
                                        "UPDATE posts SET unit_id = $1, staff_group = $2, job_role = $3, band = $4, specialty = $5, \
                                         patient_facing = $6, start_date = $7, end_date = $8, recorded_at = $9 WHERE id = $10",
                                    )
                                    .bind(unit).bind(p.staff_group.code()).bind(&p.job_role).bind(&p.band).bind(&p.specialty)
                                    .bind(p.patient_facing).bind(p.start).bind(p.end).bind(now).bind(old.id.0)
                                    .execute(&mut **tx).await?;
                                    out.posts_updated += 1;
                                    touched.person(org, person);
                                    touched.post_or_unit(org);
                                }
                            }
                            None => {
                                touched.person(org, person);
                                touched.post_or_unit(org);
                                new_posts.push((person, org, unit, p));
                            }
                        }
                    }
                    for chunk in new_posts.chunks(CHUNK) {
                        let mut q = QueryBuilder::<$db>::new(
                            "INSERT INTO posts (person_id, org_id, unit_id, assignment_number, staff_group, job_role, band, \
                             specialty, patient_facing, start_date, end_date, recorded_at) ",
                        );
                        q.push_values(chunk, |mut b, (person, org, unit, p)| {
                            b.push_bind(*person).push_bind(*org).push_bind(*unit).push_bind(&p.assignment_number)
                                .push_bind(p.staff_group.code()).push_bind(&p.job_role).push_bind(&p.band)
                                .push_bind(&p.specialty).push_bind(p.patient_facing).push_bind(p.start).push_bind(p.end)
                                .push_bind(now);
                        });
                        out.posts_created += q.build().execute(&mut **tx).await?.rows_affected();
                    }
                }

                // Records: append-only, deduplicated by content.
                if !batch.records.is_empty() {
                    let subjects: HashMap<String, usize> = sqlx::query("SELECT code, levels FROM competencies")
                        .fetch_all(&mut **tx).await?
                        .iter()
                        .map(|r| {
                            let levels: Vec<String> = from_json("competencies.levels", &r.try_get::<String, _>("levels")?)?;
                            Ok((r.try_get("code")?, levels.len()))
                        })
                        .collect::<Result<_>>()?;
                    let mut rows = Vec::with_capacity(batch.records.len());
                    for r in &batch.records {
                        let Some(person) = person_of(&r.employee_number, r.line, &mut problems) else { continue };
                        let Some(&levels) = subjects.get(&r.subject) else {
                            problems.push(problem(r.line, "subject", format!("no competency with code {:?}", r.subject)));
                            continue;
                        };
                        if r.level == 0 || usize::from(r.level) > levels {
                            problems.push(problem(r.line, "level", format!("{} has levels 1 to {levels}", r.subject)));
                            continue;
                        }
                        let provider_org = match &r.provider_org {
                            Some(code) => match org_of(code, r.line, "provider_org", &mut problems) {
                                Some(id) => Some(id),
                                None => continue,
                            },
                            None => None,
                        };
                        rows.push((person, provider_org, r.content_key(), r));
                    }
                    // An organisation's upload may only add records for its own people (records follow the person,
                    // so this is what keeps one employer from writing into another's staff).
                    if let Some(only) = only {
                        let org = orgs.get(only).copied().unwrap_or(-1);
                        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect::<BTreeSet<_>>().into_iter().collect();
                        let mut ours: HashSet<i64> = HashSet::new();
                        for chunk in ids.chunks(CHUNK) {
                            let mut q = QueryBuilder::<$db>::new("SELECT DISTINCT person_id FROM posts WHERE org_id = ");
                            q.push_bind(org);
                            q.push(" AND person_id IN (");
                            push_ids(&mut q, chunk.iter().copied());
                            ours.extend(q.build_query_scalar::<i64>().fetch_all(&mut **tx).await?);
                        }
                        for (person, _, _, r) in &rows {
                            if !ours.contains(person) {
                                problems.push(problem(r.line, "employee_number", format!("{} has no post in {only}", r.employee_number)));
                            }
                        }
                        if !problems.is_empty() {
                            problems.sort_by_key(|p| p.line);
                            return Err(StoreError::Rejected(problems));
                        }
                    }
                    let mut with_new_records: BTreeSet<i64> = BTreeSet::new();
                    for chunk in rows.chunks(CHUNK) {
                        let mut q = QueryBuilder::<$db>::new(
                            "INSERT INTO training_records (person_id, subject, level, completed_on, hours, provider, \
                             provider_type, provider_org_id, source, evidence_ref, recorded_at, content_key) ",
                        );
                        q.push_values(chunk, |mut b, (person, provider_org, key, r)| {
                            b.push_bind(*person).push_bind(&r.subject).push_bind(i16::from(r.level)).push_bind(r.completed_on)
                                .push_bind(r.hours).push_bind(&r.provider).push_bind(r.provider_type.code())
                                .push_bind(*provider_org).push_bind(r.source.code()).push_bind(&r.evidence_ref)
                                .push_bind(r.recorded_at.unwrap_or(now)).push_bind(key);
                        });
                        q.push(" ON CONFLICT (content_key) DO NOTHING RETURNING person_id");
                        let inserted: Vec<i64> = q.build_query_scalar().fetch_all(&mut **tx).await?;
                        out.records_created += inserted.len() as u64;
                        out.records_already_present += (chunk.len() - inserted.len()) as u64;
                        with_new_records.extend(inserted);
                    }
                    // Records follow the person: every organisation where they hold a post sees the change.
                    let ids: Vec<i64> = with_new_records.into_iter().collect();
                    for chunk in ids.chunks(CHUNK) {
                        let mut q = QueryBuilder::<$db>::new("SELECT DISTINCT org_id, person_id FROM posts WHERE person_id IN (");
                        push_ids(&mut q, chunk.iter().copied());
                        for r in q.build().fetch_all(&mut **tx).await? {
                            touched.person(r.try_get("org_id")?, r.try_get("person_id")?);
                        }
                    }
                }

                for s in &batch.supersessions {
                    let res = sqlx::query(
                        "INSERT INTO record_supersessions (record_id, replaced_by, reason, recorded_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (record_id) DO NOTHING",
                    )
                    .bind(s.record_id.0).bind(s.replaced_by.map(|r| r.0)).bind(&s.reason).bind(now)
                    .execute(&mut **tx).await?;
                    out.other_rows += res.rows_affected();
                    for r in sqlx::query(
                        "SELECT DISTINCT p.org_id, p.person_id FROM posts p JOIN training_records t ON t.person_id = p.person_id \
                         WHERE t.id = $1",
                    )
                    .bind(s.record_id.0).fetch_all(&mut **tx).await?
                    {
                        touched.person(r.try_get("org_id")?, r.try_get("person_id")?);
                    }
                }

                for e in &batch.exemptions {
                    let Some(org) = org_of(&e.org, e.line, "org", &mut problems) else { continue };
                    let Some(person) = person_of(&e.employee_number, e.line, &mut problems) else { continue };
                    sqlx::query(
                        "INSERT INTO exemptions (person_id, org_id, subject, reason, from_date, until_date, recorded_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(person).bind(org).bind(&e.subject).bind(&e.reason).bind(e.from).bind(e.until).bind(now)
                    .execute(&mut **tx).await?;
                    touched.person(org, person);
                    out.other_rows += 1;
                }

                for (i, p) in batch.policies.iter().enumerate() {
                    let Some(org) = org_of(&p.org, i + 1, "org", &mut problems) else { continue };
                    let codes: Vec<&str> = p.accepted.iter().map(|t| t.code()).collect();
                    sqlx::query("INSERT INTO acceptance_policies (org_id, accepted, effective_from, created_at) VALUES ($1, $2, $3, $4)")
                        .bind(org).bind(json(&codes)).bind(p.effective_from).bind(now)
                        .execute(&mut **tx).await?;
                    touched.org(org);
                    out.other_rows += 1;
                }

                for (i, row) in batch.rules.iter().enumerate() {
                    let Some(org) = org_of(&row.org, i + 1, "org", &mut problems) else { continue };
                    let mut rule = row.rule.clone();
                    rule.org_id = OrgId(org);
                    rule.created_at = now;
                    if let Some(message) = Self::add_rule_version(tx, &rule).await? {
                        problems.push(problem(i + 1, "effective_from", message));
                        continue;
                    }
                    touched.org(org);
                    out.rules_created += 1;
                }

                if !problems.is_empty() {
                    problems.sort_by_key(|p| p.line);
                    return Err(StoreError::Rejected(problems));
                }
                Self::record_changes(tx, touched).await?;
                Ok(out)
            }

            /// Bumps the data version of every organisation the batch changed and logs who changed under it, so the
            /// read model can re-assess just those people.
            async fn record_changes(tx: &mut Tx<'_>, touched: Touched) -> Result<()> {
                let orgs: Vec<i64> = touched.orgs().into_iter().collect();
                let mut versions: HashMap<i64, i64> = HashMap::new();
                for chunk in orgs.chunks(CHUNK) {
                    let mut q = QueryBuilder::<$db>::new(
                        "UPDATE organisations SET data_version = data_version + 1 WHERE id IN (",
                    );
                    push_ids(&mut q, chunk.iter().copied());
                    q.push(" RETURNING id, data_version");
                    for r in q.build().fetch_all(&mut **tx).await? {
                        versions.insert(r.try_get("id")?, r.try_get("data_version")?);
                    }
                }
                let rows: Vec<(i64, i64, Option<i64>)> = touched
                    .rows()
                    .filter_map(|(org, person)| versions.get(&org).map(|v| (org, *v, person)))
                    .collect();
                for org in &touched.recount {
                    sqlx::query(
                        "UPDATE organisations SET \
                         people_count = (SELECT COUNT(DISTINCT p.person_id) FROM posts p WHERE p.org_id = $1), \
                         unit_count = (SELECT COUNT(*) FROM units u WHERE u.org_id = $1) WHERE id = $1",
                    )
                    .bind(org).execute(&mut **tx).await?;
                }
                for chunk in rows.chunks(CHUNK) {
                    let mut q = QueryBuilder::<$db>::new("INSERT INTO compliance_changes (org_id, data_version, person_id) ");
                    q.push_values(chunk, |mut b, (org, version, person)| {
                        b.push_bind(*org).push_bind(*version).push_bind(*person);
                    });
                    q.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Adds a rule version, closing the version in force for the same (subject, level) on the new one's
            /// effective date: the old one stays as history. Returns why it was refused when it would edit history.
            async fn add_rule_version(tx: &mut Tx<'_>, rule: &Rule) -> Result<Option<String>> {
                let open: Vec<(i64, Date)> = sqlx::query(
                    "SELECT id, effective_from FROM rules WHERE org_id = $1 AND subject = $2 AND level = $3 AND effective_to IS NULL",
                )
                .bind(rule.org_id.0).bind(&rule.subject).bind(i16::from(rule.level))
                .fetch_all(&mut **tx).await?
                .iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("effective_from")?)))
                .collect::<Result<_>>()?;
                if let Some((_, from)) = open.iter().find(|(_, from)| *from >= rule.effective_from) {
                    return Ok(Some(format!(
                        "{} level {} must take effect after {from}, when the current version took effect: \
                         history is never edited",
                        rule.subject, rule.level
                    )));
                }
                for (id, _) in open {
                    sqlx::query("UPDATE rules SET effective_to = $1 WHERE id = $2")
                        .bind(rule.effective_from).bind(id).execute(&mut **tx).await?;
                }
                Self::insert_rule(tx, rule).await?;
                Ok(None)
            }

            /// Every loaded framework's rules for a new organisation, oldest version first, so later versions close
            /// earlier ones as they would have in an organisation that was there all along.
            async fn instantiate_frameworks(tx: &mut Tx<'_>, org: i64, now: Timestamp) -> Result<u64> {
                let texts: Vec<(String, String)> = sqlx::query("SELECT file_name, file_text FROM frameworks")
                    .fetch_all(&mut **tx).await?
                    .iter()
                    .map(|r| Ok((r.try_get("file_name")?, r.try_get("file_text")?)))
                    .collect::<Result<_>>()?;
                let mut files = Vec::new();
                for (name, text) in &texts {
                    files.push(FrameworkFile::parse(name, text)
                        .map_err(|e| StoreError::Corrupt { column: "frameworks.file_text", message: e.to_string() })?);
                }
                files.sort_by(|a, b| (&a.framework.code, a.framework.effective_from).cmp(&(&b.framework.code, b.framework.effective_from)));
                let mut created = 0;
                for file in &files {
                    for rule in file.instantiate(OrgId(org), now) {
                        if let Some(message) = Self::add_rule_version(tx, &rule).await? {
                            return Err(StoreError::Corrupt { column: "frameworks", message });
                        }
                        created += 1;
                    }
                }
                Ok(created)
            }

            async fn insert_rule(tx: &mut Tx<'_>, rule: &Rule) -> Result<()> {
                let (kind, refresher, hours, window, share) = match rule.kind {
                    RuleKind::Completion { refresher_months } => ("completion", Some(i64::from(refresher_months)), None, None, None),
                    RuleKind::Hours { hours, window_months, participatory_share } => {
                        ("hours", None, Some(hours), Some(i64::from(window_months)), participatory_share)
                    }
                };
                sqlx::query(
                    "INSERT INTO rules (org_id, framework, framework_version, subject, level, title, kind, refresher_months, \
                     hours, window_months, applies_to, renewal_base, warning_days, new_starter_days, effective_from, \
                     effective_to, adjustable, source, created_at, purpose, participatory_share, edition, reading, \
                     local_choice) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
                     $21, $22, $23, $24)",
                )
                .bind(rule.org_id.0).bind(&rule.framework).bind(&rule.framework_version).bind(&rule.subject)
                .bind(i16::from(rule.level)).bind(&rule.title).bind(kind).bind(refresher).bind(hours).bind(window)
                .bind(json(&rule.applies_to)).bind(renewal_base_code(rule.renewal_base))
                .bind(i64::from(rule.warning_days)).bind(i64::from(rule.new_starter_days))
                .bind(rule.effective_from).bind(rule.effective_to).bind(rule.adjustable).bind(&rule.source)
                .bind(rule.created_at).bind(rule.purpose.code()).bind(share).bind(&rule.basis.edition)
                .bind(&rule.basis.reading).bind(rule.basis.local_choice)
                .execute(&mut **tx).await?;
                Ok(())
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
                let mut tx = self.pool.begin().await?;
                let mut load = FrameworkLoad::default();
                let mut problems = Vec::new();
                let mut touched = Touched::default();
                let now = chrono::Utc::now();
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
                        .bind(&c.code).bind(&c.name).bind(&c.framework).bind(json(&c.levels))
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

            async fn competencies(&self) -> Result<Vec<Competency>> {
                let rows = sqlx::query("SELECT code, name, framework, levels FROM competencies ORDER BY code").fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        Ok(Competency {
                            code: r.try_get("code")?,
                            name: r.try_get("name")?,
                            framework: r.try_get("framework")?,
                            levels: from_json("competencies.levels", &r.try_get::<String, _>("levels")?)?,
                        })
                    })
                    .collect()
            }

            async fn list_orgs(&self, scope: &Scope) -> Result<Vec<OrgSummary>> {
                let rows = sqlx::query(
                    "SELECT * FROM organisations ORDER BY name",
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
                let row = sqlx::query("SELECT * FROM organisations WHERE ods_code = $1")
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
                let row = sqlx::query("SELECT * FROM organisations WHERE id = $1")
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let units = sqlx::query("SELECT * FROM units WHERE org_id = $1 ORDER BY name")
                    .bind(org.0).fetch_all(&self.pool).await?
                    .iter().map(unit_from_row).collect::<Result<_>>()?;
                let rules = sqlx::query("SELECT * FROM rules WHERE org_id = $1 ORDER BY subject, level, effective_from")
                    .bind(org.0).fetch_all(&self.pool).await?
                    .iter().map(rule_from_row).collect::<Result<_>>()?;
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
                Ok(OrgContext { org: org_from_row(&row)?, units, rules, policies })
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
                    let mut q = QueryBuilder::<$db>::new("SELECT * FROM posts WHERE org_id = ");
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
                    let units: Vec<Unit> = sqlx::query("SELECT * FROM units WHERE org_id = $1")
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(unit_from_row).collect::<Result<_>>()?;
                    Some(lantern_domain::rollup::Hierarchy::new(&units))
                };
                Ok(names
                    .into_iter()
                    .filter_map(|n| {
                        let p = posts.remove(&n.id.0)?;
                        let visible = hierarchy
                            .as_ref()
                            .is_none_or(|h| scope.sees_person(org, n.id, p.iter().map(|x| x.unit_id), h));
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
                            let mut q = QueryBuilder::<$db>::new("SELECT * FROM posts WHERE org_id = ");
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
                        let units: Vec<Unit> = sqlx::query("SELECT * FROM units WHERE org_id = $1")
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
                            let mut q = QueryBuilder::<$db>::new("SELECT DISTINCT person_id FROM posts WHERE org_id = ");
                            q.push_bind(org.0);
                            q.push(" AND unit_id IN (");
                            push_ids(&mut q, chunk.iter().copied());
                            ids.extend(q.build_query_scalar::<i64>().fetch_all(&self.pool).await?);
                        }
                        let mut posts = Vec::new();
                        let ids: Vec<i64> = ids.into_iter().collect();
                        for chunk in ids.chunks(CHUNK) {
                            let mut q = QueryBuilder::<$db>::new("SELECT * FROM posts WHERE org_id = ");
                            q.push_bind(org.0);
                            q.push(" AND person_id IN (");
                            push_ids(&mut q, chunk.iter().copied());
                            for r in q.build().fetch_all(&self.pool).await? {
                                posts.push(post_from_row(&r)?);
                            }
                        }
                        posts
                    }
                    PeopleFilter::All => sqlx::query("SELECT * FROM posts WHERE org_id = $1")
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(post_from_row).collect::<Result<_>>()?,
                };
                // Unit scoping and filters are applied to whole people: a person is in when any of their posts is.
                let needs_units = matches!(filter, PeopleFilter::Units(_)) || !scope.sees_whole_org(org);
                let keep: Option<HashSet<i64>> = if needs_units {
                    let units: Vec<Unit> = sqlx::query("SELECT * FROM units WHERE org_id = $1")
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(unit_from_row).collect::<Result<_>>()?;
                    let hierarchy = lantern_domain::rollup::Hierarchy::new(&units);
                    Some(all_posts.iter()
                        .filter(|p| scope.sees_person(org, p.person_id, [p.unit_id], &hierarchy))
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
                    sqlx::query("SELECT * FROM posts WHERE org_id = $1 AND person_id = $2")
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
                    sqlx::query("SELECT * FROM exemptions WHERE org_id = $1 AND person_id = $2")
                        .bind(org.0).bind(person.0).fetch_all(&self.pool).await
                };
                let (posts, who, records, exemptions) = tokio::try_join!(posts, who, records, exemptions)?;
                let posts: Vec<Post> = posts.iter().map(post_from_row).collect::<Result<_>>()?;
                if posts.is_empty() {
                    return Err(StoreError::NotFound);
                }
                if !scope.sees_whole_org(org) {
                    let units: Vec<Unit> = sqlx::query("SELECT * FROM units WHERE org_id = $1")
                        .bind(org.0).fetch_all(&self.pool).await?
                        .iter().map(unit_from_row).collect::<Result<_>>()?;
                    let hierarchy = lantern_domain::rollup::Hierarchy::new(&units);
                    if !scope.sees_person(org, person, posts.iter().map(|p| p.unit_id), &hierarchy) {
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
                let mut tx = self.pool.begin().await?;
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
