//! Writes of the facts kept as recorded versions (see `lantern_domain::history`): organisations' compliance targets
//! and re-hire breaks, units, posts and rule versions. Nothing here updates a fact in place: a change is a new version
//! row, and rows the batch would leave as they are write nothing (so re-importing the same file changes no answer and
//! no data version).
//! Each function is one row kind of a batch's transaction (`write_tx` in `sql.rs` calls them in order).

macro_rules! impl_versioned_writes {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Organisations by ODS code: a new one starts with a target and rules from every loaded framework; an
            /// existing one gets a new target version only when the target changed. (Its name and type are labels
            /// no answer depends on, kept current in place.)
            async fn write_orgs(
                tx: &mut Tx<'_>,
                batch: &WriteBatch,
                now: Timestamp,
                out: &mut BatchOutcome,
                problems: &mut Vec<BatchProblem>,
                touched: &mut Touched,
            ) -> Result<()> {
                for (i, o) in batch.orgs.iter().enumerate() {
                    // Only a valid code may name an organisation (it appears in every URL of the organisation's).
                    if let Err(message) = lantern_domain::OdsCode::parse(&o.ods_code) {
                        problems.push(problem(i + 1, "org_code", message));
                        continue;
                    }
                    if let Some(only) = batch.only_org.as_deref().filter(|only| *only != o.ods_code) {
                        problems.push(problem(i + 1, "org_code", format!("{:?} is another organisation: this import is for {only} only", o.ods_code)));
                        continue;
                    }
                    let existing: Option<(i64, f64)> = sqlx::query(sqlx::AssertSqlSafe(format!("{ORG_SELECT} WHERE o.ods_code = $1")))
                        .bind(&o.ods_code)
                        .fetch_optional(&mut **tx)
                        .await?
                        .map(|r| Ok::<_, StoreError>((r.try_get("id")?, r.try_get("target_percent")?)))
                        .transpose()?;
                    match existing {
                        Some((id, target)) => {
                            let res = sqlx::query(
                                "UPDATE organisations SET name = $1, org_type = $2 WHERE id = $3 AND (name <> $1 OR org_type <> $2)",
                            )
                            .bind(&o.name).bind(o.org_type.code()).bind(id)
                            .execute(&mut **tx).await?;
                            if res.rows_affected() > 0 {
                                touched.org(id);
                            }
                            if target != o.target_percent {
                                Self::add_target(tx, id, o.target_percent, now).await?;
                                touched.org(id);
                            }
                        }
                        None => {
                            let id: i64 = sqlx::query_scalar(
                                "INSERT INTO organisations (ods_code, name, org_type, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                            )
                            .bind(&o.ods_code).bind(&o.name).bind(o.org_type.code()).bind(now)
                            .fetch_one(&mut **tx).await?;
                            Self::add_target(tx, id, o.target_percent, now).await?;
                            out.orgs_created += 1;
                            out.rules_created += Self::instantiate_frameworks(tx, id, now).await?;
                            touched.org(id);
                        }
                    }
                }
                Ok(())
            }

            /// A new version of the organisation's re-hire break (`Store::set_rehire_break_days`).
            async fn add_rehire_break(&self, org: OrgId, days: u32, by: AccountId, now: Timestamp) -> Result<()> {
                let range = lantern_domain::REHIRE_BREAK_DAYS;
                if !range.contains(&days) {
                    return Err(StoreError::Rejected(vec![BatchProblem {
                        line: 1,
                        field: "rehire_break_days".to_owned(),
                        message: format!("must be between {} and {} days, not {days}", range.start(), range.end()),
                    }]));
                }
                let mut tx = self.begin_write().await?;
                // Everyone's new-starter deadlines may move: bump the data version and log a change for everyone.
                let version: Option<i64> = sqlx::query_scalar(
                    "UPDATE organisations SET data_version = data_version + 1 WHERE id = $1 RETURNING data_version",
                )
                .bind(org.0).fetch_optional(&mut *tx).await?;
                let version = version.ok_or(StoreError::NotFound)?;
                sqlx::query(
                    "INSERT INTO organisation_rehire_breaks (org_id, break_days, recorded_at, recorded_by) VALUES ($1, $2, $3, $4)",
                )
                .bind(org.0).bind(i32::try_from(days).unwrap_or(i32::MAX)).bind(now).bind(by.0)
                .execute(&mut *tx).await?;
                sqlx::query("INSERT INTO compliance_changes (org_id, data_version, person_id) VALUES ($1, $2, NULL)")
                    .bind(org.0).bind(version)
                    .execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_target(tx: &mut Tx<'_>, org: i64, target: f64, now: Timestamp) -> Result<()> {
                sqlx::query("INSERT INTO organisation_targets (org_id, target_percent, recorded_at) VALUES ($1, $2, $3)")
                    .bind(org).bind(target).bind(now)
                    .execute(&mut **tx).await?;
                Ok(())
            }

            /// Units by (organisation, code). A unit names its parent by code, in the batch or already recorded, so
            /// the order of rows does not matter. A new version is recorded only for a unit whose name, kind, site
            /// or parent changed.
            async fn write_units(
                tx: &mut Tx<'_>,
                batch: &WriteBatch,
                now: Timestamp,
                orgs: &OrgCodes<'_>,
                out: &mut BatchOutcome,
                problems: &mut Vec<BatchProblem>,
                touched: &mut Touched,
            ) -> Result<()> {
                if batch.units.is_empty() {
                    return Ok(());
                }
                let sites: HashMap<(i64, String), i64> = sqlx::query("SELECT id, org_id, code FROM sites")
                    .fetch_all(&mut **tx).await?
                    .iter()
                    .map(|r| Ok(((r.try_get("org_id")?, r.try_get("code")?), r.try_get("id")?)))
                    .collect::<Result<_>>()?;
                // First every unit's identity, so parents can be named in any order.
                let mut wanted = Vec::new();
                for u in &batch.units {
                    let Some(org) = orgs.id(&u.org, u.line, "org_code", problems) else { continue };
                    let site = match &u.site {
                        Some(code) => match sites.get(&(org, code.clone())) {
                            Some(id) => Some(*id),
                            None => {
                                problems.push(problem(u.line, "site_code", format!("no site {code:?} in {}", u.org)));
                                continue;
                            }
                        },
                        None => None,
                    };
                    sqlx::query("INSERT INTO units (org_id, code, created_at) VALUES ($1, $2, $3) ON CONFLICT (org_id, code) DO NOTHING")
                        .bind(org).bind(&u.code).bind(now)
                        .execute(&mut **tx).await?;
                    wanted.push((org, site, u));
                }
                let ids = Self::unit_ids(tx).await?;
                let mut current: HashMap<i64, Unit> = HashMap::new();
                let touched_orgs: BTreeSet<i64> = wanted.iter().map(|(org, _, _)| *org).collect();
                for org in touched_orgs {
                    for r in sqlx::query("SELECT * FROM current_units WHERE org_id = $1").bind(org).fetch_all(&mut **tx).await? {
                        let unit = unit_from_row(&r)?;
                        current.insert(unit.id.0, unit);
                    }
                }
                for (org, site, u) in wanted {
                    let Some(&id) = ids.get(&(org, u.code.clone())) else { continue };
                    let parent = match &u.parent {
                        Some(p) if p == &u.code => {
                            problems.push(problem(u.line, "parent_unit_code", "a unit cannot be its own parent"));
                            continue;
                        }
                        Some(p) => match ids.get(&(org, p.clone())) {
                            Some(pid) => Some(*pid),
                            None => {
                                problems.push(problem(u.line, "parent_unit_code", format!("no unit {p:?} in {}", u.org)));
                                continue;
                            }
                        },
                        None => None,
                    };
                    let same = current.get(&id).is_some_and(|c| {
                        c.name == u.name && c.kind == u.kind && c.site_id.map(|s| s.0) == site && c.parent_id.map(|p| p.0) == parent
                    });
                    if same {
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO unit_versions (unit_id, org_id, parent_id, site_id, name, kind, recorded_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(id).bind(org).bind(parent).bind(site).bind(&u.name).bind(u.kind.code()).bind(now)
                    .execute(&mut **tx).await?;
                    out.units_written += 1;
                    touched.org(org);
                    touched.post_or_unit(org);
                }
                Ok(())
            }

            /// Posts by (organisation, assignment number). A post whose unit, job, dates or other attributes changed
            /// gets a new version; one that did not is left alone.
            #[allow(clippy::too_many_arguments)]
            async fn write_posts(
                tx: &mut Tx<'_>,
                batch: &WriteBatch,
                now: Timestamp,
                orgs: &OrgCodes<'_>,
                person_of: &(dyn Fn(&str, usize, &mut Vec<BatchProblem>) -> Option<i64> + Sync),
                out: &mut BatchOutcome,
                problems: &mut Vec<BatchProblem>,
                touched: &mut Touched,
            ) -> Result<()> {
                if batch.posts.is_empty() {
                    return Ok(());
                }
                let units = Self::unit_ids(tx).await?;
                let mut existing: HashMap<(i64, String), Post> = HashMap::new();
                let post_orgs: BTreeSet<i64> = batch.posts.iter().filter_map(|p| orgs.get(&p.org)).collect();
                for org in &post_orgs {
                    for r in sqlx::query("SELECT * FROM current_posts WHERE org_id = $1").bind(org).fetch_all(&mut **tx).await? {
                        let p = post_from_row(&r)?;
                        existing.insert((p.org_id.0, p.assignment_number.clone()), p);
                    }
                }
                let mut seen: HashSet<(i64, &str)> = HashSet::new();
                // (post id if it exists, person, org, unit, row)
                let mut versions: Vec<(Option<i64>, i64, i64, i64, &PostRow)> = Vec::new();
                for p in &batch.posts {
                    let Some(org) = orgs.id(&p.org, p.line, "org_code", problems) else { continue };
                    let Some(person) = person_of(&p.employee_number, p.line, problems) else { continue };
                    let Some(&unit) = units.get(&(org, p.unit.clone())) else {
                        problems.push(problem(p.line, "unit_code", format!("no unit {:?} in {}", p.unit, p.org)));
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
                                out.posts_updated += 1;
                                versions.push((Some(old.id.0), person, org, unit, p));
                                touched.person(org, person);
                                touched.post_or_unit(org);
                            }
                        }
                        None => {
                            out.posts_created += 1;
                            versions.push((None, person, org, unit, p));
                            touched.person(org, person);
                            touched.post_or_unit(org);
                        }
                    }
                }
                if !problems.is_empty() {
                    return Ok(()); // the batch is refused as a whole: nothing more to write
                }
                // New posts' identities first, then one version row for every post that is new or changed.
                let new: Vec<&(Option<i64>, i64, i64, i64, &PostRow)> = versions.iter().filter(|v| v.0.is_none()).collect();
                let mut new_ids: HashMap<(i64, String), i64> = HashMap::new();
                for chunk in new.chunks(CHUNK) {
                    let mut q = QueryBuilder::<$db>::new("INSERT INTO posts (person_id, org_id, assignment_number, created_at) ");
                    q.push_values(chunk, |mut b, (_, person, org, _, p)| {
                        b.push_bind(*person).push_bind(*org).push_bind(&p.assignment_number).push_bind(now);
                    });
                    q.push(" RETURNING id, org_id, assignment_number");
                    for r in q.build().fetch_all(&mut **tx).await? {
                        new_ids.insert((r.try_get("org_id")?, r.try_get("assignment_number")?), r.try_get("id")?);
                    }
                }
                for chunk in versions.chunks(CHUNK) {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO post_versions (post_id, person_id, org_id, unit_id, assignment_number, staff_group, \
                         job_role, band, specialty, patient_facing, start_date, end_date, recorded_at) ",
                    );
                    q.push_values(chunk, |mut b, (id, person, org, unit, p)| {
                        let id = id.or_else(|| new_ids.get(&(*org, p.assignment_number.clone())).copied());
                        b.push_bind(id).push_bind(*person).push_bind(*org).push_bind(*unit).push_bind(&p.assignment_number)
                            .push_bind(p.staff_group.code()).push_bind(&p.job_role).push_bind(&p.band)
                            .push_bind(&p.specialty).push_bind(p.patient_facing).push_bind(p.start).push_bind(p.end)
                            .push_bind(now);
                    });
                    q.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Adds a rule version. The version in force before it stays as it was recorded: readers derive where it
            /// stops from the versions known when they ask (`history::rule_versions`). Returns why it was refused when
            /// it would take effect on or before the latest version's date: that would rewrite a version already in
            /// force rather than follow it.
            async fn add_rule_version(tx: &mut Tx<'_>, rule: &Rule) -> Result<Option<String>> {
                let latest: Option<Date> = sqlx::query_scalar(
                    "SELECT MAX(effective_from) FROM rules WHERE org_id = $1 AND subject = $2 AND level = $3",
                )
                .bind(rule.org_id.0).bind(rule.subject.as_str()).bind(i16::from(rule.level))
                .fetch_one(&mut **tx).await?;
                if let Some(from) = latest.filter(|from| *from >= rule.effective_from) {
                    return Ok(Some(format!(
                        "{} level {} must take effect after {from}, when the current version took effect: \
                         history is never edited",
                        rule.subject, rule.level
                    )));
                }
                if let Some(ends) = rule.transition_ends.filter(|t| *t <= rule.effective_from) {
                    return Ok(Some(format!(
                        "{} level {}: the transition must end after {}, when the version takes effect, not {ends}",
                        rule.subject, rule.level, rule.effective_from
                    )));
                }
                Self::insert_rule(tx, rule).await?;
                Ok(None)
            }
        }
    };
}

pub(crate) use impl_versioned_writes;
