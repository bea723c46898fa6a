//! Reading statements: one by id, queries with their filters and `more` paging (storage-order bounds), counts,
//! attachments, and the canonical Activity and Agent objects.

use lantern_domain::Timestamp;

/// A stored statement.
#[derive(Clone, Debug)]
pub struct StoredStatement {
    pub seq: i64,
    /// As stored: the "exact" format.
    pub json: String,
    pub stored: Timestamp,
    pub voided: bool,
    /// SHA-2 hashes of its attachments, for `attachments=true`.
    pub attachment_hashes: Vec<String>,
}

/// The filters of GET /xapi/statements (Communication 2.1.3), resolved to what the store matches.
#[derive(Clone, Debug, Default)]
pub struct StatementQuery {
    /// The `agent` filter, as an agent key (`AgentKey`).
    pub agent: Option<String>,
    pub verb: Option<String>,
    pub activity: Option<String>,
    pub registration: Option<uuid::Uuid>,
    pub related_activities: bool,
    pub related_agents: bool,
    /// Only statements stored after this instant.
    pub since: Option<Timestamp>,
    /// Only statements stored at or before this instant.
    pub until: Option<Timestamp>,
    pub ascending: bool,
    /// At most this many (the store's own ceiling applies).
    pub limit: usize,
    /// Continue after this storage position (a `more` link).
    pub after_seq: Option<i64>,
    /// Stop at this storage position: a `more` link keeps the result set it started with (nothing newer joins it).
    pub through_seq: Option<i64>,
}

/// One page of a query.
#[derive(Clone, Debug, Default)]
pub struct StatementPage {
    pub statements: Vec<StoredStatement>,
    /// Set when there are more: continue with `after_seq` = the last statement's seq.
    pub more: bool,
    /// The highest storage position when the query ran (for `through_seq` in the `more` link).
    pub through_seq: i64,
}

/// The queries' SQL, for one backend (expanded by `impl_lrs_store!`).
macro_rules! queries_sql {
    ($store:ident, $db:ty, $backend:expr) => {
        mod queries {
            use super::*;

            fn statement_from_row(r: &DbRow) -> Result<StoredStatement> {
                let json: String = r.try_get("statement_json")?;
                let attachment_hashes = attachment_hashes(&json);
                Ok(StoredStatement {
                    seq: r.try_get("seq")?,
                    stored: from_micros(r.try_get("stored_us")?),
                    voided: r.try_get("voided")?,
                    json,
                    attachment_hashes,
                })
            }

            /// The sha2 of each attachment of a stored statement (and of a SubStatement's).
            fn attachment_hashes(json: &str) -> Vec<String> {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else { return Vec::new() };
                let mut out = Vec::new();
                for s in [Some(&v), v.get("object")].into_iter().flatten() {
                    if let Some(list) = s.get("attachments").and_then(|a| a.as_array()) {
                        out.extend(list.iter().filter_map(|a| a.get("sha2")?.as_str().map(str::to_owned)));
                    }
                }
                out
            }

            /// The direct filters of a query on the statement aliased `a`: verb, agent, activity, registration.
            fn push_direct(q: &mut QueryBuilder<$db>, a: &str, f: &Resolved, related_agents: bool, related_activities: bool) {
                if let Some(v) = f.verb {
                    q.push(format!(" AND {a}.verb_id = ")).push_bind(v);
                }
                if let Some(ag) = f.agent {
                    q.push(format!(" AND EXISTS (SELECT 1 FROM xapi_statement_agents x WHERE x.agent_id = "))
                        .push_bind(ag)
                        .push(format!(" AND x.seq = {a}.seq"));
                    if !related_agents {
                        q.push(" AND x.direct");
                    }
                    q.push(")");
                }
                if let Some(ac) = f.activity {
                    q.push(format!(" AND EXISTS (SELECT 1 FROM xapi_statement_activities y WHERE y.activity_id = "))
                        .push_bind(ac)
                        .push(format!(" AND y.seq = {a}.seq"));
                    if !related_activities {
                        q.push(" AND y.direct");
                    }
                    q.push(")");
                }
                if let Some(r) = &f.registration {
                    q.push(format!(" AND {a}.registration = ")).push_bind(r.clone());
                }
            }

            /// Storage-order bounds on the statement aliased `a`.
            fn push_bounds(q: &mut QueryBuilder<$db>, a: &str, lo: Option<i64>, hi: Option<i64>) {
                if let Some(lo) = lo {
                    q.push(format!(" AND {a}.seq >= ")).push_bind(lo);
                }
                if let Some(hi) = hi {
                    q.push(format!(" AND {a}.seq <= ")).push_bind(hi);
                }
            }

            /// A query's filters as ids.
            struct Resolved {
                verb: Option<i64>,
                agent: Option<i64>,
                activity: Option<i64>,
                registration: Option<Vec<u8>>,
            }

            impl Resolved {
                fn any(&self) -> bool {
                    self.verb.is_some() || self.agent.is_some() || self.activity.is_some() || self.registration.is_some()
                }
            }

            /// The largest page the LRS returns (`limit=0` or none asks for this).
            const MAX_PAGE: usize = 500;

            const SELECT_STATEMENT: &str = "SELECT s.seq, s.statement_json, s.stored_us, \
                 EXISTS (SELECT 1 FROM xapi_voided v WHERE v.org_id = s.org_id AND v.target_id = s.id) AS voided \
                 FROM xapi_statements s";

            pub(super) async fn statement(store: &$store, org: OrgId, id: uuid::Uuid, voided: bool) -> Result<Option<StoredStatement>> {
                let r = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_STATEMENT} WHERE s.org_id = $1 AND s.id = $2")))
                    .bind(org.0).bind(id.as_bytes().to_vec())
                    .fetch_optional(&store.pool).await?;
                match r {
                    Some(r) => {
                        let s = statement_from_row(&r)?;
                        Ok((s.voided == voided).then_some(s))
                    }
                    None => Ok(None),
                }
            }

            pub(super) async fn query_statements(store: &$store, org: OrgId, q: &StatementQuery) -> Result<StatementPage> {
                let limit = match q.limit { 0 => MAX_PAGE, n => n.min(MAX_PAGE) };
                let top: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM xapi_statements WHERE org_id = $1")
                    .bind(org.0).fetch_one(&store.pool).await?;
                let through = q.through_seq.or(top).unwrap_or(0);
                let mut page = StatementPage { through_seq: through, ..StatementPage::default() };
                let Some(_) = top else { return Ok(page) };
                let lookup = |kind: u8, key: &Option<String>| {
                    let key = key.clone();
                    async move {
                        let Some(key) = key else { return Ok::<_, StoreError>(Some(None)) };
                        if let Some(id) = store.lrs_ids.get(org.0, kind, &key) {
                            return Ok(Some(Some(id)));
                        }
                        let sql = match kind {
                            AGENT => "SELECT id FROM xapi_agents WHERE org_id = $1 AND ifi = $2",
                            ACTIVITY => "SELECT id FROM xapi_activities WHERE org_id = $1 AND iri = $2",
                            _ => "SELECT id FROM xapi_verbs WHERE org_id = $1 AND iri = $2",
                        };
                        let id: Option<i64> = sqlx::query_scalar(sql).bind(org.0).bind(&key).fetch_optional(&store.pool).await?;
                        Ok(id.map(Some))
                    }
                };
                // A filter naming something never seen matches nothing.
                let (Some(verb), Some(agent), Some(activity)) = (
                    lookup(VERB, &q.verb).await?,
                    lookup(AGENT, &q.agent).await?,
                    lookup(ACTIVITY, &q.activity).await?,
                ) else {
                    return Ok(page);
                };
                let f = Resolved { verb, agent, activity, registration: q.registration.map(|r| r.as_bytes().to_vec()) };

                // since/until are on `stored`, which rises with storage order: turn them into seq bounds.
                let mut lo: Option<i64> = None;
                let mut hi: Option<i64> = Some(through);
                if let Some(since) = q.since {
                    let s: Option<i64> = sqlx::query_scalar("SELECT MIN(seq) FROM xapi_statements WHERE org_id = $1 AND stored_us > $2")
                        .bind(org.0).bind(micros(since)).fetch_one(&store.pool).await?;
                    match s { Some(s) => lo = Some(s), None => return Ok(page) }
                }
                if let Some(until) = q.until {
                    let u: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM xapi_statements WHERE org_id = $1 AND stored_us <= $2")
                        .bind(org.0).bind(micros(until)).fetch_one(&store.pool).await?;
                    match u { Some(u) => hi = Some(hi.map_or(u, |h| h.min(u))), None => return Ok(page) }
                }
                if let Some(after) = q.after_seq {
                    if q.ascending { lo = Some(lo.map_or(after + 1, |l| l.max(after + 1))) } else { hi = Some(hi.map_or(after - 1, |h| h.min(after - 1))) }
                }
                let order = if q.ascending { "ASC" } else { "DESC" };
                let want = i64::try_from(limit + 1).unwrap_or(i64::MAX);

                // Statements that meet the filters themselves, driven from the most selective index.
                let mut a: QueryBuilder<$db> = QueryBuilder::new("SELECT s.seq FROM ");
                // Order by the driving index's own column, so the planner walks it newest-first and stops at the
                // limit (ordering by the joined table's seq made SQLite scan statements and probe instead).
                let by = if f.agent.is_some() || f.activity.is_some() { "d.seq" } else { "s.seq" };
                match (f.agent, f.activity) {
                    (Some(ag), _) => {
                        a.push("xapi_statement_agents d JOIN xapi_statements s ON s.seq = d.seq WHERE d.agent_id = ").push_bind(ag);
                        if !q.related_agents { a.push(" AND d.direct"); }
                        a.push(" AND s.org_id = ").push_bind(org.0);
                        let rest = Resolved { verb: f.verb, agent: None, activity: f.activity, registration: f.registration.clone() };
                        push_direct(&mut a, "s", &rest, q.related_agents, q.related_activities);
                    }
                    (None, Some(ac)) => {
                        a.push("xapi_statement_activities d JOIN xapi_statements s ON s.seq = d.seq WHERE d.activity_id = ").push_bind(ac);
                        if !q.related_activities { a.push(" AND d.direct"); }
                        a.push(" AND s.org_id = ").push_bind(org.0);
                        let rest = Resolved { verb: f.verb, agent: None, activity: None, registration: f.registration.clone() };
                        push_direct(&mut a, "s", &rest, q.related_agents, q.related_activities);
                    }
                    (None, None) => {
                        a.push("xapi_statements s WHERE s.org_id = ").push_bind(org.0);
                        push_direct(&mut a, "s", &f, q.related_agents, q.related_activities);
                    }
                }
                push_bounds(&mut a, if by == "d.seq" { "d" } else { "s" }, lo, hi);
                a.push(" AND NOT EXISTS (SELECT 1 FROM xapi_voided v WHERE v.org_id = s.org_id AND v.target_id = s.id)");
                a.push(format!(" ORDER BY {by} {order} LIMIT ")).push_bind(want);
                let mut hits: BTreeSet<i64> = a.build_query_scalar::<i64>().fetch_all(&store.pool).await?.into_iter().collect();

                // Statements whose StatementRef object leads (through any chain of StatementRefs) to a statement that
                // meets the filters also meet them; time and order bounds apply to the targeting statement itself
                // (Communication 2.1.3, "Filter Conditions for StatementRefs").
                if f.any() {
                    let mut b: QueryBuilder<$db> = QueryBuilder::new("WITH RECURSIVE chain(seq, target) AS (SELECT t.seq, t.statement_ref FROM xapi_statements t WHERE t.org_id = ");
                    b.push_bind(org.0).push(" AND t.statement_ref IS NOT NULL");
                    push_bounds(&mut b, "t", lo, hi);
                    b.push(" AND NOT EXISTS (SELECT 1 FROM xapi_voided v WHERE v.org_id = t.org_id AND v.target_id = t.id)");
                    b.push(" UNION SELECT c.seq, n.statement_ref FROM chain c JOIN xapi_statements n ON n.org_id = ").push_bind(org.0);
                    // A correlated EXISTS, so each target is looked up by id: as a join, SQLite chose to scan every
                    // statement of the organisation against a Bloom filter of the targets.
                    b.push(" AND n.id = c.target WHERE n.statement_ref IS NOT NULL) \
                             SELECT DISTINCT c.seq FROM chain c WHERE EXISTS (SELECT 1 FROM xapi_statements s WHERE s.org_id = ").push_bind(org.0);
                    b.push(" AND s.id = c.target");
                    push_direct(&mut b, "s", &f, q.related_agents, q.related_activities);
                    b.push(")");
                    hits.extend(b.build_query_scalar::<i64>().fetch_all(&store.pool).await?);
                }
                let mut ordered: Vec<i64> = hits.into_iter().collect();
                if !q.ascending { ordered.reverse(); }
                page.more = ordered.len() > limit;
                ordered.truncate(limit);
                if ordered.is_empty() {
                    return Ok(page);
                }
                let mut r: QueryBuilder<$db> = QueryBuilder::new(format!("{SELECT_STATEMENT} WHERE s.seq IN ("));
                let mut sep = r.separated(", ");
                for s in &ordered { sep.push_bind(*s); }
                r.push(format!(") ORDER BY s.seq {order}"));
                page.statements = r.build().fetch_all(&store.pool).await?.iter().map(statement_from_row).collect::<Result<_>>()?;
                Ok(page)
            }

            pub(super) async fn statement_count(store: &$store, org: OrgId) -> Result<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM xapi_statements WHERE org_id = $1")
                    .bind(org.0).fetch_one(&store.pool).await?)
            }

            pub(super) async fn attachments(store: &$store, org: OrgId, sha2: &[String]) -> Result<Vec<AttachmentPayload>> {
                if sha2.is_empty() { return Ok(Vec::new()) }
                let mut q: QueryBuilder<$db> = QueryBuilder::new("SELECT sha2, content_type, content FROM xapi_attachments WHERE org_id = ");
                q.push_bind(org.0).push(" AND sha2 IN (");
                let mut sep = q.separated(", ");
                for h in sha2 { sep.push_bind(h.as_str()); }
                q.push(")");
                q.build().fetch_all(&store.pool).await?.iter().map(|r| Ok(AttachmentPayload {
                    sha2: r.try_get("sha2")?, content_type: r.try_get("content_type")?, content: r.try_get("content")?,
                })).collect()
            }

            pub(super) async fn activity(store: &$store, org: OrgId, iri: &str) -> Result<Option<String>> {
                Ok(sqlx::query_scalar("SELECT activity_json FROM xapi_activities WHERE org_id = $1 AND iri = $2")
                    .bind(org.0).bind(iri).fetch_optional(&store.pool).await?)
            }

            pub(super) async fn agent_objects(store: &$store, org: OrgId, key: &str) -> Result<Vec<String>> {
                Ok(sqlx::query_scalar("SELECT agent_json FROM xapi_agents WHERE org_id = $1 AND ifi = $2 AND agent_json <> 'null'")
                    .bind(org.0).bind(key).fetch_all(&store.pool).await?)
            }
        }
    };
}

pub(crate) use queries_sql;
