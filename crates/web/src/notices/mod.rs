//! Reminders that run themselves: for each organisation, once a run, who is due a notice under its policy
//! (`lantern_domain::notices`): a person about requirements nearing their due date or overdue, and each of their
//! managers about people overdue too long. One email per person (and per manager) names everything due, and is
//! queued with the notices' records in one transaction (`NoticeStore::record_notices`), so a notice recorded was
//! queued and one queued is never sent again, whatever restarts or other servers do. `scheduler.rs` runs it in the
//! background; tests call [`run`] with the instant they choose.

mod digest;
mod scheduler;

pub use digest::SUBJECT as DIGEST_SUBJECT;

pub use scheduler::{Scheduler, run_once};

use crate::AppState;
use crate::views;
use lantern_domain::access::Scope;
use lantern_domain::notices::{NoticePolicy, Stage};
use lantern_domain::rollup::Node;
use lantern_domain::{Date, Organisation, PersonId, RequirementKey, Status, Timestamp};
use lantern_store::OutgoingMail;
use lantern_store::PeopleFilter;
use lantern_store::notices::{NewNotice, NoticeGroup, NoticeKey, NoticeRun, Recipient};
use std::collections::{BTreeMap, HashMap};

pub const PERSON_SUBJECT: &str = "Your training: what is due";
pub const MANAGER_SUBJECT: &str = "Overdue training in your team";

/// One requirement's line in an email.
#[derive(Clone, Debug)]
struct Item {
    key: NoticeKey,
    title: String,
    status: Status,
    due_on: Option<Date>,
}

/// Runs the notices of every organisation for the instant `now` (each organisation's today in its time zone).
pub async fn run(state: &AppState, now: Timestamp) -> anyhow::Result<NoticeRun> {
    let mut total = NoticeRun::default();
    for o in state.store.list_orgs(&Scope::Platform).await? {
        let r = run_org(state, &o.org, now).await?;
        total.recorded += r.recorded;
        total.mailed += r.mailed;
        total.already += r.already;
        total.digests += r.digests;
    }
    Ok(total)
}

/// One organisation's notices due at `now`.
pub async fn run_org(
    state: &AppState,
    org: &Organisation,
    now: Timestamp,
) -> anyhow::Result<NoticeRun> {
    let policy = state.store.notice_policy(org.id).await?;
    if policy.before_days.is_empty()
        && !policy.on_overdue
        && policy.escalate_after_days.is_none()
        && !policy.weekly_digest
    {
        return Ok(NoticeRun::default());
    }
    let today = org.today(now);
    let scope = Scope::Platform;
    let rollup = state
        .read_model
        .rollup(state.store.as_ref(), &scope, org.id, None)
        .await?;
    let keys = rollup.index.requirements();
    let titles = views::titles(&rollup.context.rules, None);
    let managers = managers(state, org).await?;
    let last_only = state.store.only_last_reminder(org.id).await?;
    let digests = if policy.weekly_digest {
        digest::send(state, org, &rollup, &managers, today, now).await?
    } else {
        0
    };

    // What is due, by person: their own items, and the items their managers hear about.
    let mut own: BTreeMap<PersonId, Vec<Item>> = BTreeMap::new();
    let mut escalated: BTreeMap<PersonId, (Option<lantern_domain::UnitId>, Vec<Item>)> =
        BTreeMap::new();
    for row in rollup
        .index
        .statuses_on(&rollup.hierarchy, Node::Org, today)
    {
        for (k, st) in keys.iter().zip(&row.statuses) {
            let Some((status, due)) = *st else {
                continue;
            };
            // The episode's date: when in date, the day it falls due; when overdue, the day it became overdue.
            let due_on = if status.is_overdue() {
                rollup.index.status_since(row.person, k, today)
            } else {
                due
            };
            let item = |stage: Stage, recipient: Recipient| Item {
                key: NoticeKey {
                    person: row.person,
                    subject: k.subject.clone(),
                    level: k.level,
                    due_on,
                    stage,
                    recipient,
                },
                title: title(&titles, k),
                status,
                due_on,
            };
            let stage = if last_only.contains(&row.person) {
                policy.person_stage_last_only(status, due_on, today)
            } else {
                policy.person_stage(status, due_on, today)
            };
            if let Some(stage) = stage {
                own.entry(row.person)
                    .or_default()
                    .push(item(stage, Recipient::Person));
            }
            if policy.escalates(status, due_on, today) {
                // The manager's account goes in the key when the managers are known, below.
                escalated
                    .entry(row.person)
                    .or_insert_with(|| (row.unit, Vec::new()))
                    .1
                    .push(item(Stage::Escalated, Recipient::Person));
            }
        }
    }
    // What was sent already, for the people with something due (whatever its age: an episode can last years).
    let candidates: Vec<PersonId> = own.keys().chain(escalated.keys()).copied().collect();
    let sent = state.store.notice_keys(org.id, &candidates).await?;
    own.retain(|_, items| {
        items.retain(|i| !sent.contains(&i.key));
        !items.is_empty()
    });
    // Each manager of the person's unit (or a unit above it) hears once about each overdue item: those not sent
    // yet, by manager. Done before people are loaded, so long-overdue people already escalated cost nothing more.
    let mut per_manager: BTreeMap<i64, (&Manager, Vec<Escalation>)> = BTreeMap::new();
    for (person, (unit, items)) in &escalated {
        let Some(unit) = unit else {
            continue;
        };
        for m in managers
            .iter()
            .filter(|m| rollup.hierarchy.is_within(*unit, m.unit) && m.person != Some(*person))
        {
            let entry = per_manager
                .entry(m.account.0)
                .or_insert_with(|| (m, Vec::new()));
            for i in items {
                let mut i = i.clone();
                i.key.recipient = Recipient::Manager(m.account);
                if !sent.contains(&i.key) && !entry.1.iter().any(|(_, x)| x.key == i.key) {
                    entry.1.push((*person, i));
                }
            }
        }
    }
    per_manager.retain(|_, (_, items)| !items.is_empty());
    if own.is_empty() && per_manager.is_empty() {
        if digests > 0 {
            state.auth.mail_queue.wake();
        }
        return Ok(NoticeRun {
            digests,
            ..NoticeRun::default()
        });
    }
    let mut ids: Vec<PersonId> = own.keys().copied().collect();
    ids.extend(
        per_manager
            .values()
            .flat_map(|(_, items)| items.iter().map(|(p, _)| *p)),
    );
    ids.sort_unstable();
    ids.dedup();
    let people: HashMap<PersonId, lantern_domain::Person> = state
        .store
        .people(&scope, org.id, &PeopleFilter::People(ids))
        .await?
        .into_iter()
        .map(|b| (b.person.id, b.person))
        .collect();
    let url = state.auth.public_url.trim_end_matches('/').to_owned();
    let routes = if own.is_empty() {
        None
    } else {
        Some(views::where_to_complete::Routes::load(state, org.id, org.ods_code.as_str()).await?)
    };

    let mut groups: Vec<NoticeGroup> = Vec::new();
    for (person, items) in &own {
        let Some(p) = people.get(person) else {
            continue;
        };
        let address = p.email.clone().filter(|e| !e.trim().is_empty());
        groups.push(NoticeGroup {
            notices: items
                .iter()
                .map(|i| NewNotice {
                    key: i.key.clone(),
                    address: address.clone(),
                })
                .collect(),
            mail: address.map(|to| OutgoingMail {
                to,
                subject: PERSON_SUBJECT.to_owned(),
                body: person_email(&p.given_name, &org.name, items, routes.as_ref(), &url),
            }),
        });
    }
    for (m, items) in per_manager.into_values() {
        let items: Vec<(String, Item)> = items
            .into_iter()
            .filter_map(|(p, i)| Some((people.get(&p)?.display_name(), i)))
            .collect();
        if items.is_empty() {
            continue;
        }
        groups.push(NoticeGroup {
            notices: items
                .iter()
                .map(|(_, i)| NewNotice {
                    key: i.key.clone(),
                    address: Some(m.email.clone()),
                })
                .collect(),
            mail: Some(OutgoingMail {
                to: m.email.clone(),
                subject: MANAGER_SUBJECT.to_owned(),
                body: manager_email(&m.name, &org.name, &policy, &items, &url),
            }),
        });
    }
    let mut run = state
        .store
        .record_notices(org.id, now, crate::when::now(), &groups)
        .await?;
    run.digests = digests;
    if run.mailed + run.digests > 0 {
        state.auth.mail_queue.wake();
    }
    tracing::info!(org = %org.ods_code, recorded = run.recorded, mailed = run.mailed, already = run.already, digests = run.digests, "scheduled notices");
    Ok(run)
}

/// A person's overdue item a manager is to hear about.
type Escalation = (PersonId, Item);

/// A manager who hears about their people: their account, address and unit.
pub(crate) struct Manager {
    account: lantern_domain::AccountId,
    person: Option<PersonId>,
    email: String,
    name: String,
    unit: lantern_domain::UnitId,
}

async fn managers(state: &AppState, org: &Organisation) -> anyhow::Result<Vec<Manager>> {
    let mut out = Vec::new();
    for a in state.store.accounts_in_org(org.id).await? {
        if a.account.disabled {
            continue;
        }
        for unit in lantern_domain::access::managed_units(&a.grants) {
            out.push(Manager {
                account: a.account.id,
                person: a.account.person_id,
                email: a.account.email.clone(),
                name: a.account.display_name.clone(),
                unit,
            });
        }
    }
    Ok(out)
}

pub(crate) fn title(
    titles: &HashMap<(lantern_domain::Subject, u8), (String, String)>,
    k: &RequirementKey,
) -> String {
    let t = titles
        .get(&(k.subject.clone(), k.level))
        .map(|t| t.0.clone())
        .unwrap_or_else(|| k.subject.to_string());
    format!("{t} level {}", k.level)
}

/// "- Fire Safety level 1: in date until 2027-01-05. Book your refresher before then."
fn item_line(i: &Item) -> String {
    let when = match (i.status, i.due_on) {
        (Status::Expired, Some(d)) => format!("expired on {d}"),
        (Status::Missing, Some(d)) => format!("not completed, overdue since {d}"),
        (Status::Missing, None) => "not completed".to_owned(),
        (Status::Pending, Some(d)) => format!("to complete by {d}"),
        (_, Some(d)) => format!("in date until {d}"),
        (s, None) => s.label().to_lowercase(),
    };
    format!(
        "- {}: {when}. {}",
        i.title,
        views::what_to_do(i.status, i.due_on)
    )
}

fn person_email(
    given_name: &str,
    org_name: &str,
    items: &[Item],
    routes: Option<&views::where_to_complete::Routes>,
    url: &str,
) -> String {
    // Each item, and where it is done: a course here, or the organisation's link.
    let lines: Vec<String> = items
        .iter()
        .map(
            |i| match routes.and_then(|r| r.email_line(&i.key.subject, i.key.level, url)) {
                Some(w) => format!("{}\n  {w}", item_line(i)),
                None => item_line(i),
            },
        )
        .collect();
    format!(
        "Hello {given_name},\n\nThis is a reminder from {org_name} about your training:\n\n{}\n\n\
         You can see everything you need, why, and how to complete it under My training: {url}/me\n\n\
         You get these reminders as your organisation has set them: before training falls due and when it is \
         overdue.\n",
        lines.join("\n")
    )
}

fn manager_email(
    name: &str,
    org_name: &str,
    policy: &NoticePolicy,
    items: &[(String, Item)],
    url: &str,
) -> String {
    let mut by_person: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (person, i) in items {
        by_person
            .entry(person.as_str())
            .or_default()
            .push(item_line(i));
    }
    let blocks: Vec<String> = by_person
        .into_iter()
        .map(|(p, lines)| format!("{p}\n{}", lines.join("\n")))
        .collect();
    let told = if policy.on_overdue {
        ", and have been reminded themselves"
    } else {
        ""
    };
    format!(
        "Hello {name},\n\nThese people in your team at {org_name} have training overdue for {} days or more{told}:\n\n\
         {}\n\nSee your team, and remind or assign courses, under My team: {url}/team?status=overdue\n",
        policy.escalate_after_days.unwrap_or(0),
        blocks.join("\n\n")
    )
}
