//! Reminders from "My team", on every backend: a filtered view reminds exactly the people it shows (read back from
//! the outbox), after a confirmation naming how many; the filter survives the round trip; each reminder is recorded
//! (append-only, in the database itself) and shown as "Last reminded ... by ..." on the team view and the person's
//! page; a repeat within the organisation's interval is skipped and recorded as not sent; and a crafted form cannot
//! reach anyone outside the manager's units.

use crate::auth::{ADMIN, MANAGER, world};
use crate::web::{Client, decoded_email};
use crate::{backends, backends_with_urls, test_auth};
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use lantern::users::CreateUser;
use lantern_domain::PersonId;
use lantern_domain::Subject;
use lantern_domain::access::Role;
use lantern_domain::rollup::Node;
use lantern_store::reminders::{NewReminder, ReminderOutcome};
use lantern_store::{PeopleFilter, Scope, Store, StoreError};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

/// The number in the team page's "Remind everyone shown ... (N)" button; 0 when there is no button.
fn remind_count(body: &str) -> usize {
    let Some(at) = body.find("Remind everyone shown") else {
        return 0;
    };
    let rest = &body[at..];
    let end = rest.find(")</a>").expect("the button's count");
    let open = rest[..end].rfind('(').expect("(");
    rest[open + 1..end].parse().expect("a count")
}

/// The hidden fields of the form posting to `action`, as a browser would send them.
fn hidden_fields(body: &str, action: &str) -> Vec<(String, String)> {
    let start = body
        .find(&format!("<form method=\"post\" action=\"{action}\""))
        .unwrap_or_else(|| panic!("a form posting to {action}: {body}"));
    let form = &body[start..start + body[start..].find("</form>").expect("</form>")];
    form.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|s| {
            let (name, rest) = s.split_once('"').expect("name");
            let value = rest
                .split_once("value=\"")
                .and_then(|(_, v)| v.split_once('"'))
                .map(|(v, _)| v)
                .unwrap_or("");
            (name.to_owned(), unescape(value))
        })
        .filter(|(k, _)| k != "csrf_token")
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&#38;", "&")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The requirement filter's choices on the team page: (key, heading).
fn requirement_options(body: &str) -> Vec<(String, String)> {
    let start = body
        .find("id=\"requirement\"")
        .expect("the requirement filter");
    let select = &body[start..start + body[start..].find("</select>").expect("</select>")];
    select
        .split("<option value=\"")
        .skip(2) // the select itself, then "All"
        .map(|s| {
            let (key, rest) = s.split_once('"').expect("value");
            let heading = rest
                .split_once('>')
                .and_then(|(_, h)| h.split_once('<'))
                .map(|(h, _)| h)
                .expect("label");
            (unescape(key), unescape(heading))
        })
        .collect()
}

/// Every email in the outbox, decoded, once what is queued has been delivered.
async fn outbox(state: &lantern_web::AppState, dir: &Path) -> Vec<String> {
    crate::deliver(state).await;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.expect("entry").path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|p| decoded_email(&std::fs::read(p).expect("mail")))
        .collect()
}

fn recipient(mail: &str) -> String {
    mail.lines()
        .find_map(|l| l.strip_prefix("To: "))
        .expect("a To header")
        .trim()
        .to_owned()
}

/// "Sam Ward", a manager over the whole directorate above the demo ward (the ward alone has too few people to filter).
const SAM: (&str, &str) = ("sam.ward@demo.lantern.test", "sam-ward-password");

/// Creates Sam Ward's account; returns their unit.
async fn directorate_manager(store: &Arc<dyn Store>) -> lantern_domain::UnitId {
    let ward = store
        .grants(store.account_by_email(MANAGER.0).await.unwrap().unwrap().id)
        .await
        .unwrap()[0]
        .unit
        .expect("the demo ward");
    let rj1 = store
        .org_by_code(&Scope::Platform, "RJ1")
        .await
        .expect("RJ1");
    let ctx = store
        .org_context(&Scope::Platform, rj1.id)
        .await
        .expect("ctx");
    let h = lantern_domain::rollup::Hierarchy::new(&ctx.units);
    // The ward's highest unit below the organisation.
    let top = h
        .path(ward)
        .into_iter()
        .filter_map(|n| match n {
            Node::Unit(u) => Some(u),
            Node::Org => None,
        })
        .next_back()
        .expect("a unit");
    let code = ctx
        .units
        .iter()
        .find(|u| u.id == top)
        .expect("unit")
        .code
        .clone();
    lantern::users::create(
        store.as_ref(),
        CreateUser {
            email: SAM.0.into(),
            name: Some("Sam Ward".into()),
            password: SAM.1.into(),
            role: Role::Manager,
            org: Some("RJ1".into()),
            units: vec![code],
            employee_number: None,
        },
    )
    .await
    .expect("Sam Ward");
    top
}

/// The URL carries each `key=value` of the filter.
fn assert_keeps_filter(url: &str, filter: &str, name: &str) {
    assert!(url.starts_with("/team?"), "{name}: {url}");
    for part in filter.split('&') {
        let (k, v) = part.split_once('=').expect("pair");
        let encoded: String = form_urlencoded::Serializer::new(String::new())
            .append_pair(k, v)
            .finish();
        assert!(
            url.contains(&encoded),
            "{name}: the filter {part} is kept: {url}"
        );
    }
}

fn today_shown() -> String {
    Utc::now().format("%-d %b %Y").to_string()
}

#[tokio::test]
async fn a_filtered_team_view_reminds_exactly_the_people_it_shows_once_per_interval() {
    for (name, store, _dir) in backends().await {
        let foreign_ods = world(&store).await;
        let unit = directorate_manager(&store).await;
        let outbox_dir = tempfile::tempdir().expect("outbox");
        let auth = lantern_web::AuthConfig {
            outbox: Some(outbox_dir.path().to_owned()),
            ..test_auth()
        };
        let (app, state) = crate::app_with(&store, auth);
        let mut m = Client::signed_in(&app, SAM.0, SAM.1).await;
        let manager = store
            .account_by_email(SAM.0)
            .await
            .expect("manager")
            .expect("exists");
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");

        // A requirement whose expired people are some, not all, of those the unfiltered view would remind.
        let team = m.get("/team").await;
        assert_eq!(team.status, StatusCode::OK, "{name}");
        let everyone = remind_count(&team.body);
        assert!(everyone > 1, "{name}: the demo ward has people overdue");
        let mut chosen = None;
        for (key, heading) in requirement_options(&team.body) {
            let filter = format!("status=expired&requirement={key}&sort=name");
            let page = m.get(&format!("/team?{filter}")).await;
            let n = remind_count(&page.body);
            if n > 0 && n < everyone {
                chosen = Some((key, heading, filter, n));
                break;
            }
        }
        let (key, heading, filter, shown) =
            chosen.unwrap_or_else(|| panic!("{name}: a requirement with some people expired"));
        let (subject, level) = key.rsplit_once(':').expect("subject:level");
        let title = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("ctx")
            .rules
            .iter()
            .find(|r| r.subject == subject && r.level.to_string() == level)
            .expect("the rule")
            .title
            .clone();

        // The email says where to do it: a course here that satisfies it, else the organisation's link (set now;
        // a course, where there is one, comes first).
        let level_n: u8 = level.parse().expect("level");
        let course_here = !store
            .courses_for(rj1.id, subject, level_n)
            .await
            .expect("courses")
            .is_empty();
        store
            .set_completion_link(
                rj1.id,
                &Subject::parse(subject).expect("subject"),
                "https://learning.example.nhs.uk/book",
                "Book a session with L&D",
                manager.id,
                chrono::Utc::now(),
            )
            .await
            .expect("link");
        let where_line = if course_here {
            "\n  Do it in Lantern: ".to_owned()
        } else {
            "\n  How to complete it: Book a session with L&D, https://learning.example.nhs.uk/book"
                .to_owned()
        };

        // What the view shows, read from its own CSV export: each row's employee number, hence their email.
        let csv = m.get(&format!("/team.csv?{filter}")).await;
        let numbers: Vec<String> = csv
            .body
            .lines()
            .skip(1)
            .map(|l| {
                l.split(',')
                    .next()
                    .expect("number")
                    .trim_matches('"')
                    .to_owned()
            })
            .collect();
        assert_eq!(
            numbers.len(),
            shown,
            "{name}: everyone shown is overdue on {key}"
        );
        let mut expected = BTreeSet::new();
        let mut shown_ids = Vec::new();
        for n in &numbers {
            let id = store
                .person_by_employee_number(&Scope::Platform, rj1.id, n)
                .await
                .expect("person");
            let p = store
                .person(&Scope::Platform, rj1.id, id)
                .await
                .expect("person");
            expected.insert(p.person.email.clone().expect("the demo staff have email"));
            shown_ids.push(id);
        }

        // The confirmation names the count and each person; nothing is sent yet.
        let confirm = m.get(&format!("/team/remind?{filter}")).await;
        assert_eq!(confirm.status, StatusCode::OK, "{name}: {}", confirm.body);
        let people = if shown == 1 { "person" } else { "people" };
        assert!(
            confirm.body.contains(&format!(
                "Send a reminder to {shown} {people} about their overdue training?"
            )),
            "{name}: {}",
            confirm.body
        );
        let cancel = confirm
            .body
            .split("<a href=\"")
            .filter_map(|a| a.split_once("\">Cancel</a>"))
            .map(|(href, _)| unescape(href))
            .next()
            .expect("a Cancel link");
        assert_keeps_filter(&cancel, &filter, &name);
        assert!(
            outbox(&state, outbox_dir.path()).await.is_empty(),
            "{name}: nothing sent before Send"
        );
        let fields = hidden_fields(&confirm.body, "/team/remind");
        let picked: Vec<&str> = fields
            .iter()
            .filter(|(k, _)| k == "person")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(
            picked.len(),
            shown,
            "{name}: the form lists the people shown"
        );

        // Send: exactly those people get one email each, naming the requirement and what to do.
        let form: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let res = m.post_form("/team/remind", &form, None).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let back = res.location().to_owned();
        assert!(back.starts_with("/team?"), "{name}: {back}");
        assert_keeps_filter(&back, &filter, &name);
        assert!(
            back.contains(&format!("reminded={shown}&skipped=0")),
            "{name}: {back}"
        );
        let mails = outbox(&state, outbox_dir.path()).await;
        assert_eq!(mails.len(), shown, "{name}: one email per person shown");
        let got: BTreeSet<String> = mails.iter().map(|m| recipient(m)).collect();
        assert_eq!(got, expected, "{name}: the recipients are the people shown");
        for mail in &mails {
            assert!(
                mail.contains("Subject: Training to complete"),
                "{name}: {mail}"
            );
            assert!(
                mail.contains(&format!("- {title} level {level}: expired")),
                "{name}: the email names the requirement: {mail}"
            );
            assert!(
                mail.contains("complete the refresher now"),
                "{name}: and what to do: {mail}"
            );
            assert!(mail.contains(&where_line), "{name}: and where: {mail}");
            if course_here {
                assert!(
                    mail.contains("/orgs/RJ1/learning/courses/"),
                    "{name}: the course's address: {mail}"
                );
            }
            assert_eq!(
                mail.matches("\n- ").count(),
                1,
                "{name}: only the requirement shown: {mail}"
            );
        }

        // Back on the same filtered view: the notice, the filter, and who reminded them when.
        let page = m.get(&back).await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert!(
            page.body.contains(&format!("Reminders sent: {shown}.")),
            "{name}: {}",
            page.body
        );
        assert!(
            page.body.contains("<option value=\"expired\" selected>"),
            "{name}: the status filter is still applied"
        );
        assert!(
            page.body.contains(&format!(
                "<option value=\"{key}\" selected>{heading}</option>"
            )),
            "{name}: the requirement filter is still applied"
        );
        let line = format!(
            "Last reminded {} by {}",
            today_shown(),
            manager.display_name
        );
        assert_eq!(
            page.body.matches(&line).count(),
            shown,
            "{name}: each person shown says {line:?}"
        );
        let person_page = m.get(&format!("/orgs/RJ1/people/{}", shown_ids[0])).await;
        assert!(
            person_page.body.contains(&format!("{line}.")),
            "{name}: {}",
            person_page.body
        );
        assert!(
            person_page.body.contains("Sent by email to "),
            "{name}: the person's page lists the reminder"
        );

        // Again at once: inside the interval, nobody is emailed, and each is recorded as not sent.
        let res = m.post_form("/team/remind", &form, None).await;
        assert!(
            res.location()
                .contains(&format!("reminded=0&skipped={shown}")),
            "{name}: {}",
            res.location()
        );
        assert_eq!(
            outbox(&state, outbox_dir.path()).await.len(),
            shown,
            "{name}: no second email"
        );
        let page = m.get(res.location()).await;
        assert!(
            page.body.contains(&format!(
                "Skipped: {shown}, reminded about the same training recently."
            )),
            "{name}"
        );
        let history = store
            .person_reminders(&Scope::Platform, rj1.id, shown_ids[0], 50)
            .await
            .expect("history");
        assert_eq!(
            history.iter().map(|r| r.outcome).collect::<Vec<_>>(),
            vec![ReminderOutcome::SkippedRecent, ReminderOutcome::Sent],
            "{name}"
        );
        assert_eq!(history[0].repeat_of, Some(history[1].id), "{name}");
        assert_eq!(
            (history[1].subject.as_str(), history[1].level.to_string()),
            (subject, level.to_owned()),
            "{name}"
        );
        assert_eq!(history[1].sent_by, manager.id, "{name}");
        let person_page = m.get(&format!("/orgs/RJ1/people/{}", shown_ids[0])).await;
        assert!(
            person_page
                .body
                .contains(&format!("Not sent: already reminded on {}", today_shown())),
            "{name}"
        );

        // Crafted forms: someone in RJ1 outside the manager's units, and someone in another organisation.
        let ctx = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("ctx");
        let h = lantern_domain::rollup::Hierarchy::new(&ctx.units);
        let outsider = store
            .people(&Scope::Platform, rj1.id, &PeopleFilter::All)
            .await
            .expect("people")
            .into_iter()
            .find(|p| p.posts.iter().all(|x| !h.is_within(x.unit_id, unit)))
            .expect("someone outside the manager's unit");
        let foreign = store
            .org_by_code(&Scope::Platform, &foreign_ods)
            .await
            .expect("foreign");
        let stranger = store
            .people(&Scope::Platform, foreign.id, &PeopleFilter::All)
            .await
            .expect("people")
            .remove(0);
        for (who, id) in [
            ("outside the unit", outsider.person.id),
            ("in another organisation", stranger.person.id),
        ] {
            let id = id.0.to_string();
            for fields in [vec![("person", id.as_str())], {
                let mut f = form.clone();
                f.push(("person", id.as_str()));
                f
            }] {
                let res = m.post_form("/team/remind", &fields, None).await;
                assert_eq!(res.status, StatusCode::NOT_FOUND, "{name}: someone {who}");
            }
            let confirm = m.get(&format!("/team/remind?{filter}&person={id}")).await;
            assert_eq!(
                confirm.status,
                StatusCode::NOT_FOUND,
                "{name}: someone {who}"
            );
        }
        assert_eq!(
            outbox(&state, outbox_dir.path()).await.len(),
            shown,
            "{name}: nothing more was sent"
        );
        assert!(
            store
                .person_reminders(&Scope::Platform, rj1.id, outsider.person.id, 50)
                .await
                .expect("history")
                .is_empty(),
            "{name}: nothing recorded for the outsider"
        );
    }
}

#[tokio::test]
async fn one_persons_remind_button_sends_at_once_and_keeps_the_filter() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        directorate_manager(&store).await;
        let outbox_dir = tempfile::tempdir().expect("outbox");
        let auth = lantern_web::AuthConfig {
            outbox: Some(outbox_dir.path().to_owned()),
            ..test_auth()
        };
        let (app, state) = crate::app_with(&store, auth);
        let mut m = Client::signed_in(&app, SAM.0, SAM.1).await;
        let page = m.get("/team?status=missing&sort=name").await;
        let start = page.body.find("<tbody").expect("a table of people");
        let row_form = &page.body[start..];
        let fields = hidden_fields(row_form, "/team/remind");
        let person: Vec<&(String, String)> = fields.iter().filter(|(k, _)| k == "person").collect();
        assert_eq!(person.len(), 1, "{name}: the row's button names one person");
        assert!(
            fields.contains(&("status".to_owned(), "missing".to_owned())),
            "{name}: {fields:?}"
        );
        let form: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let res = m.post_form("/team/remind", &form, None).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        assert!(
            res.location().contains("status=missing") && res.location().contains("reminded=1&"),
            "{name}: {}",
            res.location()
        );
        let mails = outbox(&state, outbox_dir.path()).await;
        assert_eq!(mails.len(), 1, "{name}");
        assert!(mails[0].contains(": not completed"), "{name}: {}", mails[0]);
    }
}

#[tokio::test]
async fn the_reminder_interval_is_the_organisations_and_the_record_is_append_only() {
    for (name, store, _dir, url) in backends_with_urls().await {
        world(&store).await;
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        let manager = store
            .account_by_email(MANAGER.0)
            .await
            .expect("manager")
            .expect("exists");
        let unit = store.grants(manager.id).await.expect("grants")[0]
            .unit
            .expect("unit");
        let ctx = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("ctx");
        let h = lantern_domain::rollup::Hierarchy::new(&ctx.units);
        let people = store
            .people(&Scope::Platform, rj1.id, &PeopleFilter::All)
            .await
            .expect("people");
        let inside: Vec<PersonId> = people
            .iter()
            .filter(|p| p.posts.iter().any(|x| h.is_within(x.unit_id, unit)))
            .map(|p| p.person.id)
            .collect();
        let outsider = people
            .iter()
            .find(|p| p.posts.iter().all(|x| !h.is_within(x.unit_id, unit)))
            .expect("an outsider")
            .person
            .id;
        let scope = Scope::units(rj1.id, vec![unit]);
        let rule = &ctx.rules[0];
        let want = |p: PersonId, address: Option<&str>| NewReminder {
            person: p,
            subject: rule.subject.clone(),
            level: rule.level,
            address: address.map(str::to_owned),
        };
        let (a, b) = (inside[0], inside[1]);
        let t0 = Utc::now();
        assert_eq!(
            store
                .reminder_interval_days(rj1.id)
                .await
                .expect("interval"),
            7,
            "{name}: the default"
        );

        let first = store
            .record_reminders(
                &scope,
                rj1.id,
                manager.id,
                t0,
                7,
                &[want(a, Some("a@example.nhs.uk")), want(b, None)],
            )
            .await
            .expect("first round");
        assert_eq!(
            first.iter().map(|r| r.outcome).collect::<Vec<_>>(),
            vec![ReminderOutcome::Sent, ReminderOutcome::NoEmail],
            "{name}"
        );
        assert_eq!(first[0].sent_by_name, manager.display_name, "{name}");
        let again = store
            .record_reminders(
                &scope,
                rj1.id,
                manager.id,
                t0 + Duration::days(6),
                7,
                &[want(a, Some("a@example.nhs.uk"))],
            )
            .await
            .expect("a repeat");
        assert_eq!(
            again[0].outcome,
            ReminderOutcome::SkippedRecent,
            "{name}: six days later is a repeat"
        );
        assert_eq!(again[0].repeat_of, Some(first[0].id), "{name}");
        let later = store
            .record_reminders(
                &scope,
                rj1.id,
                manager.id,
                t0 + Duration::days(8),
                7,
                &[want(a, Some("a@example.nhs.uk"))],
            )
            .await
            .expect("after the interval");
        assert_eq!(
            later[0].outcome,
            ReminderOutcome::Sent,
            "{name}: eight days later is not"
        );

        // A refused email does not count as a reminder: the next round sends it.
        store
            .record_reminder_failures(rj1.id, manager.id, t0 + Duration::days(8), &[later[0].id])
            .await
            .expect("failure");
        let retry = store
            .record_reminders(
                &scope,
                rj1.id,
                manager.id,
                t0 + Duration::days(8) + Duration::minutes(5),
                7,
                &[want(a, Some("a@example.nhs.uk"))],
            )
            .await
            .expect("retry");
        assert_eq!(retry[0].outcome, ReminderOutcome::Sent, "{name}");
        let last = store
            .last_reminders(&scope, rj1.id, &[a, b])
            .await
            .expect("last");
        assert_eq!(
            last.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![retry[0].id],
            "{name}: the latest that went out"
        );

        // Outside the caller's scope: refused, and nothing written.
        let before = store
            .person_reminders(&Scope::Platform, rj1.id, outsider, 50)
            .await
            .expect("history")
            .len();
        let res = store
            .record_reminders(
                &scope,
                rj1.id,
                manager.id,
                t0,
                7,
                &[
                    want(a, Some("a@example.nhs.uk")),
                    want(outsider, Some("o@example.nhs.uk")),
                ],
            )
            .await;
        assert!(matches!(res, Err(StoreError::NotFound)), "{name}: {res:?}");
        assert_eq!(
            store
                .person_reminders(&Scope::Platform, rj1.id, outsider, 50)
                .await
                .expect("history")
                .len(),
            before,
            "{name}"
        );
        assert!(
            matches!(
                store.person_reminders(&scope, rj1.id, outsider, 50).await,
                Err(StoreError::NotFound)
            ),
            "{name}: another unit's history is not the manager's to read"
        );
        assert_eq!(
            store
                .person_reminders(&scope, rj1.id, a, 50)
                .await
                .expect("history")
                .len(),
            5,
            "{name}"
        );

        // The interval is the organisation's: set, bounded.
        store
            .set_reminder_interval_days(rj1.id, 14, manager.id, t0)
            .await
            .expect("set");
        assert_eq!(
            store
                .reminder_interval_days(rj1.id)
                .await
                .expect("interval"),
            14,
            "{name}"
        );
        for bad in [0, 366] {
            match store
                .set_reminder_interval_days(rj1.id, bad, manager.id, t0)
                .await
            {
                Err(StoreError::Rejected(p)) => {
                    assert_eq!(p[0].field, "reminder_interval_days", "{name}")
                }
                other => panic!("{name}: {bad} days: {other:?}"),
            }
        }

        // Append-only in the database itself, not just by the absence of an update path.
        let is_pg = url.starts_with("postgres");
        for sql in [
            "UPDATE reminders SET outcome = 'sent'",
            "DELETE FROM reminders",
        ] {
            let res = if is_pg {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&url).await.expect("connect");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .map(|_| ())
            } else {
                use sqlx::Connection;
                let mut c = sqlx::SqliteConnection::connect(&url)
                    .await
                    .expect("connect");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .map(|_| ())
            };
            let err = res.expect_err(&format!("{name}: {sql} is refused"));
            assert!(err.to_string().contains("append-only"), "{name}: {err}");
        }
        assert_eq!(
            store
                .person_reminders(&Scope::Platform, rj1.id, a, 50)
                .await
                .expect("history")
                .len(),
            5,
            "{name}"
        );
    }
}

#[tokio::test]
async fn an_admin_sets_the_reminder_interval_and_managers_see_it() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let (app, _state) = crate::app_with(&store, test_auth());
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let page = admin.get("/orgs/RJ1/admin/settings").await;
        assert!(page.body.contains("id=\"reminder_interval\" name=\"reminder_interval\" inputmode=\"numeric\" value=\"7\""), "{name}: {}", page.body);
        let res = admin
            .post_form(
                "/orgs/RJ1/admin/settings/reminders",
                &[("reminder_interval", "0")],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body
                .contains("Enter a number of days between 1 and 365"),
            "{name}: {}",
            res.body
        );
        let res = admin
            .post_form(
                "/orgs/RJ1/admin/settings/reminders",
                &[("reminder_interval", "14")],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        assert_eq!(
            store
                .reminder_interval_days(rj1.id)
                .await
                .expect("interval"),
            14,
            "{name}"
        );

        let mut m = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        let confirm = m.get("/team/remind").await;
        assert!(
            confirm.body.contains("more than once in 14 days"),
            "{name}: {}",
            confirm.body
        );
        let res = m
            .post_form(
                "/orgs/RJ1/admin/settings/reminders",
                &[("reminder_interval", "1")],
                None,
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "{name}: a manager does not set it"
        );
    }
}

#[tokio::test]
async fn a_reminder_is_queued_and_a_relay_refusal_is_logged_by_the_deliverer() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        directorate_manager(&store).await;
        let (port, inbox) = crate::mail::smtp_receiver(true).await;
        let auth = lantern_web::AuthConfig {
            smtp: Some(
                lantern_web::mail::SmtpRelay::from_url(&format!("smtp://127.0.0.1:{port}"), None)
                    .expect("relay URL"),
            ),
            ..test_auth()
        };
        let (app, state) = crate::app_with(&store, auth);
        let mut m = Client::signed_in(&app, SAM.0, SAM.1).await;
        let page = m.get("/team?status=missing").await;
        let start = page.body.find("<tbody").expect("a table of people");
        let fields = hidden_fields(&page.body[start..], "/team/remind");
        let form: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        // The manager's answer does not wait on the relay: the reminder is recorded and its email queued.
        let res = m.post_form("/team/remind", &form, None).await;
        assert!(
            res.location()
                .contains("reminded=1&skipped=0&no_email=0&failed=0"),
            "{name}: {}",
            res.location()
        );
        let queued = store.mail_log(10).await.expect("log");
        assert_eq!(queued.len(), 1, "{name}");
        assert_eq!(queued[0].subject, lantern_web::reminders::SUBJECT, "{name}");
        // The relay refuses it for good (550): the deliverer gives up on it at once and says so in the mail log.
        let round = crate::deliver(&state).await;
        assert_eq!((round.sent, round.failed), (0, 1), "{name}");
        assert!(inbox.lock().expect("inbox").is_empty(), "{name}");
        let log = store.mail_log(10).await.expect("log");
        assert!(
            log[0].failed_at.is_some() && log[0].sent_at.is_none(),
            "{name}: {log:?}"
        );
    }
}
