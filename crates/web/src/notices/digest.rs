//! Each manager's weekly digest of their team: for each unit they manage (with everyone below it), how many people
//! are in post, who has what overdue, and what falls due in the next 30 days, with a link to the team view. Sent by
//! the first run of each ISO week in the organisation's time zone; one per manager and week
//! (`NoticeStore::record_digests`), so a restart or a second server sends no second copy.

use super::{Manager, title};
use crate::AppState;
use lantern_domain::rollup::Node;
use lantern_domain::{Date, Organisation, PersonId, RequirementKey, Status, Timestamp, UnitId};
use lantern_store::notices::Digest;
use lantern_store::read_model::OrgRollup;
use lantern_store::{OutgoingMail, PersonName};
use std::collections::{BTreeMap, HashMap};

pub const SUBJECT: &str = "Your team's training this week";

/// How far ahead the digest looks for training falling due.
const AHEAD_DAYS: i64 = 30;
/// People listed under each heading; the rest are counted, and the team view has them all.
const LISTED: usize = 40;

/// One unit's lines.
struct UnitDigest {
    unit: UnitId,
    name: String,
    people: usize,
    /// (person, "Fire Safety level 1 (expired on 2026-10-01)") for each overdue requirement.
    overdue: BTreeMap<PersonId, Vec<String>>,
    /// The same for requirements falling due within `AHEAD_DAYS`.
    soon: BTreeMap<PersonId, Vec<String>>,
}

/// Queues this week's digest for each manager who has not had it; returns how many were queued.
pub(super) async fn send(
    state: &AppState,
    org: &Organisation,
    rollup: &OrgRollup,
    managers: &[Manager],
    today: Date,
    now: Timestamp,
) -> anyhow::Result<usize> {
    if managers.is_empty() {
        return Ok(0);
    }
    let week = today.format("%G-W%V").to_string();
    let keys = rollup.index.requirements();
    let titles = crate::views::titles(&rollup.context.rules, None);
    let mut units: HashMap<UnitId, UnitDigest> = HashMap::new();
    for m in managers {
        if units.contains_key(&m.unit) {
            continue;
        }
        let name = rollup
            .context
            .units
            .iter()
            .find(|u| u.id == m.unit)
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let rows = rollup
            .index
            .statuses_on(&rollup.hierarchy, Node::Unit(m.unit), today);
        let mut d = UnitDigest {
            unit: m.unit,
            name,
            people: rows.len(),
            overdue: BTreeMap::new(),
            soon: BTreeMap::new(),
        };
        for row in &rows {
            for (k, st) in keys.iter().zip(&row.statuses) {
                let Some((status, due)) = *st else {
                    continue;
                };
                if status.is_overdue() {
                    let since = rollup.index.status_since(row.person, k, today);
                    d.overdue
                        .entry(row.person)
                        .or_default()
                        .push(line(&titles, k, status, since));
                } else if let Some(due) = due
                    && status != Status::Exempt
                    && (due - today).num_days() <= AHEAD_DAYS
                {
                    d.soon
                        .entry(row.person)
                        .or_default()
                        .push(line(&titles, k, status, Some(due)));
                }
            }
        }
        units.insert(m.unit, d);
    }
    let ids: Vec<PersonId> = units
        .values()
        .flat_map(|u| u.overdue.keys().chain(u.soon.keys()))
        .copied()
        .collect();
    let names: HashMap<PersonId, PersonName> = state
        .store
        .people_posts(&lantern_domain::access::Scope::Platform, org.id, &ids)
        .await?
        .into_iter()
        .map(|(n, _)| (n.id, n))
        .collect();
    let url = state.auth.public_url.trim_end_matches('/').to_owned();
    let mut by_account: BTreeMap<i64, (&Manager, Vec<&UnitDigest>)> = BTreeMap::new();
    for m in managers {
        let entry = by_account
            .entry(m.account.0)
            .or_insert_with(|| (m, Vec::new()));
        if let Some(u) = units.get(&m.unit) {
            entry.1.push(u);
        }
    }
    let digests: Vec<Digest> = by_account
        .into_values()
        .map(|(m, mine)| Digest {
            account: m.account,
            week: week.clone(),
            mail: OutgoingMail {
                to: m.email.clone(),
                subject: SUBJECT.to_owned(),
                body: body(&m.name, &org.name, today, &mine, &names, &url),
            },
        })
        .collect();
    let queued = state
        .store
        .record_digests(org.id, now, crate::when::now(), &digests)
        .await?;
    Ok(queued)
}

fn line(
    titles: &HashMap<(lantern_domain::Subject, u8), (String, String)>,
    k: &RequirementKey,
    status: Status,
    date: Option<Date>,
) -> String {
    let when = match (status, date) {
        (Status::Expired, Some(d)) => format!(" (expired on {d})"),
        (Status::Missing, Some(d)) => format!(" (not completed, overdue since {d})"),
        (Status::Missing, None) => " (not completed)".to_owned(),
        (Status::Pending, Some(d)) => format!(" (new, to complete by {d})"),
        (_, Some(d)) => format!(" (due by {d})"),
        _ => String::new(),
    };
    format!("{}{when}", title(titles, k))
}

fn body(
    manager: &str,
    org_name: &str,
    today: Date,
    units: &[&UnitDigest],
    names: &HashMap<PersonId, PersonName>,
    url: &str,
) -> String {
    let name = |p: &PersonId| {
        names
            .get(p)
            .map(|n| format!("{} {}", n.given_name, n.family_name))
            .unwrap_or_else(|| format!("Person {}", p.0))
    };
    let list = |people: &BTreeMap<PersonId, Vec<String>>| -> String {
        let mut rows: Vec<String> = people
            .iter()
            .take(LISTED)
            .map(|(p, items)| format!("- {}: {}", name(p), items.join("; ")))
            .collect();
        if people.len() > LISTED {
            rows.push(format!("- and {} more", people.len() - LISTED));
        }
        rows.join("\n")
    };
    let mut out = format!("Hello {manager},\n\nYour team's training at {org_name} on {today}.\n");
    for u in units {
        out.push_str(&format!(
            "\n{}: {} people in post, {} with something overdue, {} with training due in the next {AHEAD_DAYS} days.\n",
            u.name,
            u.people,
            u.overdue.len(),
            u.soon.len()
        ));
        if !u.overdue.is_empty() {
            out.push_str(&format!("\nOverdue:\n{}\n", list(&u.overdue)));
        }
        if !u.soon.is_empty() {
            out.push_str(&format!(
                "\nDue in the next {AHEAD_DAYS} days:\n{}\n",
                list(&u.soon)
            ));
        }
        out.push_str(&format!(
            "\nSee them, remind them or assign courses: {url}/team?unit={}\n",
            u.unit.0
        ));
    }
    out.push_str("\nYou get this digest each week as a manager in Lantern; your organisation's admins set it.\n");
    out
}
