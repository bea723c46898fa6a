//! A batch's transaction: every row kind of a `WriteBatch` checked and written in one all-or-nothing transaction,
//! with the organisations' data versions and the change log bumped in the same transaction. The facts kept as
//! versions (targets, units, posts, rule versions) are written by `versions.rs`; people, records, corrections,
//! exemptions and acceptance policies here. `write_tx` is the order they go in.

macro_rules! impl_batch_writes {
    ($store:ty, $db:ty) => {
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


            async fn write_tx(&self, tx: &mut Tx<'_>, batch: &WriteBatch) -> Result<BatchOutcome> {
                let now = batch.recorded_at.unwrap_or_else(chrono::Utc::now);
                let mut out = BatchOutcome::default();
                let mut problems: Vec<BatchProblem> = Vec::new();
                let mut touched = Touched::at(now);

                Self::write_orgs(tx, batch, now, &mut out, &mut problems, &mut touched).await?;
                let orgs = OrgCodes { ids: Self::org_ids(tx).await?, only: batch.only_org.as_deref() };
                let only = orgs.only;
                let org_of = |code: &str, line: usize, field: &str, problems: &mut Vec<BatchProblem>| orgs.id(code, line, field, problems);

                for (i, s) in batch.sites.iter().enumerate() {
                    let Some(org) = org_of(&s.org, i + 1, "org", &mut problems) else { continue };
                    sqlx::query(
                        "INSERT INTO sites (org_id, code, name) VALUES ($1, $2, $3) \
                         ON CONFLICT (org_id, code) DO UPDATE SET name = excluded.name",
                    )
                    .bind(org).bind(&s.code).bind(&s.name).execute(&mut **tx).await?;
                    out.other_rows += 1;
                }

                Self::write_units(tx, batch, now, &orgs, &mut out, &mut problems, &mut touched).await?;

                // People: upsert by employee number, writing only what changed. Numbers are the employer's own
                // (see `person_ids`): an organisation's batch never reaches someone who is only another's.
                let only_id: Option<i64> = match only {
                    Some(code) => match orgs.get(code) {
                        Some(id) => Some(id),
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

                Self::write_posts(tx, batch, now, &orgs, &person_of, &mut out, &mut problems, &mut touched).await?;

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
                        let Some(&levels) = subjects.get(r.subject.as_str()) else {
                            problems.push(problem(r.line, "subject", format!("no competency with code {:?}", r.subject)));
                            continue;
                        };
                        if r.level == 0 || usize::from(r.level) > levels {
                            problems.push(problem(r.line, "level", format!("{} has levels 1 to {levels}", r.subject)));
                            continue;
                        }
                        let provider_org = match &r.provider_org {
                            Some(code) => match org_of(code, r.line, "provider_org_code", &mut problems) {
                                Some(id) => Some(id),
                                None => continue,
                            },
                            None => None,
                        };
                        if let Some(at) = r.recorded_at {
                            touched.recorded(at);
                        }
                        rows.push((person, provider_org, r.content_key(), r));
                    }
                    // An organisation's upload may only add records for its own people (records follow the person,
                    // so this is what keeps one employer from writing into another's staff).
                    if let Some(only) = only {
                        let org = orgs.get(only).unwrap_or(-1);
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
                            b.push_bind(*person).push_bind(r.subject.as_str()).push_bind(i16::from(r.level)).push_bind(r.completed_on)
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
                    let Some(org) = org_of(&e.org, e.line, "org_code", &mut problems) else { continue };
                    let Some(person) = person_of(&e.employee_number, e.line, &mut problems) else { continue };
                    sqlx::query(
                        "INSERT INTO exemptions (person_id, org_id, subject, reason, from_date, until_date, recorded_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(person).bind(org).bind(e.subject.as_str()).bind(&e.reason).bind(e.from).bind(e.until).bind(now)
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
                // When this version's facts were recorded, for questions "as known at" (read_model::durable).
                let (from, to) = touched.recorded_span();
                for (org, version) in &versions {
                    sqlx::query(crate::read_model::durable::STAMP_VERSION)
                        .bind(*org).bind(*version).bind(from).bind(to)
                        .execute(&mut **tx).await?;
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
                     adjustable, source, created_at, purpose, participatory_share, edition, reading, local_choice, \
                     transition_ends, retired, local_reason) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
                     $21, $22, $23, $24, $25, $26)",
                )
                .bind(rule.org_id.0).bind(&rule.framework).bind(&rule.framework_version).bind(rule.subject.as_str())
                .bind(i16::from(rule.level)).bind(&rule.title).bind(kind).bind(refresher).bind(hours).bind(window)
                .bind(json(&rule.applies_to)).bind(renewal_base_code(rule.renewal_base))
                .bind(i64::from(rule.warning_days)).bind(i64::from(rule.new_starter_days))
                .bind(rule.effective_from).bind(rule.adjustable).bind(&rule.source)
                .bind(rule.created_at).bind(rule.purpose.code()).bind(share).bind(&rule.basis.edition)
                .bind(&rule.basis.reading).bind(rule.basis.local_choice)
                .bind(rule.transition_ends).bind(rule.retired).bind(&rule.local_reason)
                .execute(&mut **tx).await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_batch_writes;
