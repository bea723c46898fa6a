//! Reminders that run themselves, on every backend, with a clock the test sets and a real SMTP conversation
//! (`mail::smtp_receiver` on loopback): people hear before a due date and when overdue, their managers after the
//! policy's days overdue, managers get a weekly digest of their team, each notice and digest once however often or
//! however many servers run the job, and an admin's new policy is what the next run follows. Every email is read back as the relay received it.

use crate::auth::{ADMIN, MANAGER, world};
use crate::mail::{Received, smtp_receiver};
use crate::web::{Client, decoded_email};
use crate::{app_with, backends, deliver, test_auth};
use axum::http::StatusCode;
use chrono::{TimeDelta, Utc};
use lantern_domain::access::Scope;
use lantern_web::notices::{DIGEST_SUBJECT, MANAGER_SUBJECT, PERSON_SUBJECT};

/// The body of a message as its reader sees it.
fn body(m: &Received) -> String {
    decoded_email(m.data.replace('\n', "\r\n").as_bytes()).replace("\r\n", "\n")
}

#[tokio::test]
async fn scheduled_reminders_reach_people_and_managers_once_each() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let (port, inbox) = smtp_receiver(false).await;
        let auth = lantern_web::AuthConfig {
            smtp: Some(
                lantern_web::mail::SmtpRelay::from_url(&format!("smtp://127.0.0.1:{port}"), None)
                    .expect("relay"),
            ),
            ..test_auth()
        };
        let (app, state) = app_with(&store, auth);
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");

        // The first run (today): the people due a notice hear, each in one email; the managers of people overdue
        // for two weeks hear too, and every manager gets the week's digest.
        let now = Utc::now();
        let first = lantern_web::notices::run(&state, now).await.expect("run");
        assert!(
            first.recorded > 0 && first.mailed > 0 && first.digests > 0,
            "{name}: {first:?}"
        );
        let done = deliver(&state).await;
        assert_eq!(done.sent, first.mailed + first.digests, "{name}: {done:?}");
        let got: Vec<Received> = inbox.lock().expect("inbox").clone();
        assert_eq!(got.len(), done.sent, "{name}");
        let mut people_mailed = std::collections::HashSet::new();
        // Lines saying where to do an item: a course in Lantern (the demo's CSTF courses), or RJ1's link.
        let mut course_lines = 0;
        let mut seen = std::collections::HashSet::new();
        let mut manager_mail = None;
        let mut digest_mail = None;
        for m in &got {
            let text = body(m);
            assert_eq!(m.rcpt_to.len(), 1, "{name}");
            let subject = text
                .lines()
                .find(|l| l.starts_with("Subject: "))
                .unwrap_or_default()
                .to_owned();
            assert!(
                seen.insert((m.rcpt_to[0].clone(), subject)),
                "{name}: one email of each kind per recipient: {}",
                m.rcpt_to[0]
            );
            people_mailed.insert(m.rcpt_to[0].clone());
            if m.data.contains(&format!("Subject: {DIGEST_SUBJECT}")) {
                if m.rcpt_to[0] == format!("<{}>", MANAGER.0) {
                    digest_mail = Some(text);
                }
            } else if m.data.contains(&format!("Subject: {PERSON_SUBJECT}")) {
                let items: Vec<&str> = text.lines().filter(|l| l.starts_with("- ")).collect();
                assert!(!items.is_empty(), "{name}: it names what is due: {text}");
                assert!(
                    items.iter().all(|l| l.contains(" level ")),
                    "{name}: {items:?}"
                );
                assert!(text.contains("/me"), "{name}: where to see the rest");
                for w in text.lines().filter(|l| l.starts_with("  ")) {
                    if w.starts_with("  Do it in Lantern: ") {
                        assert!(w.contains("/learning/courses/"), "{name}: {w}");
                        course_lines += 1;
                    } else {
                        assert!(w.starts_with("  How to complete it: "), "{name}: {w}");
                    }
                }
            } else {
                assert!(
                    m.data.contains(&format!("Subject: {MANAGER_SUBJECT}")),
                    "{name}: {}",
                    m.data
                );
                if m.rcpt_to[0] == format!("<{}>", MANAGER.0) {
                    manager_mail = Some(text);
                }
            }
        }
        assert!(course_lines > 0, "{name}: items with a course here say so");
        // The demo ward's manager hears about their own people only, each overdue for 14 days or more.
        let manager_mail = manager_mail.unwrap_or_else(|| {
            panic!(
                "{name}: the demo manager hears about their ward; mailed: {:?}",
                got.iter()
                    .filter(|m| m.data.contains(MANAGER_SUBJECT))
                    .map(|m| &m.rcpt_to[0])
                    .collect::<Vec<_>>()
            )
        });
        let mut m = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        let team = m.get("/api/v1/team").await.json();
        let names: Vec<String> = team["people"]
            .as_array()
            .expect("people")
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        // Each block of the email is a person's name, then their overdue requirements.
        let named: Vec<&str> = manager_mail
            .split("\n\n")
            .filter_map(|block| {
                let mut lines = block.lines();
                let head = lines.next()?;
                let rest: Vec<&str> = lines.collect();
                (!rest.is_empty() && rest.iter().all(|l| l.starts_with("- "))).then_some(head)
            })
            .collect();
        assert!(!named.is_empty(), "{name}: {manager_mail}");
        for n in &named {
            assert!(
                names.iter().any(|x| x == n),
                "{name}: {n} is not in the manager's ward"
            );
        }
        // The digest counts the ward as the team view does, and lists each person overdue.
        let digest = digest_mail.expect("the demo manager's digest");
        let unit = team["unit_name"].as_str().unwrap();
        assert!(
            digest.contains(&format!(
                "{unit}: {} people in post, {} with something overdue",
                team["whole"]["people"], team["whole"]["overdue_people"]
            )),
            "{name}: {digest}\n{}",
            team["whole"]
        );
        for p in team["people"].as_array().unwrap() {
            if p["overdue"].as_u64().unwrap() > 0 {
                let who = p["name"].as_str().unwrap();
                assert!(
                    digest.contains(&format!("- {who}: ")),
                    "{name}: the digest lists {who}: {digest}"
                );
            }
        }
        assert!(
            manager_mail.contains("expired on") || manager_mail.contains("not completed"),
            "{name}: {manager_mail}"
        );

        // Again at once, and again later the same day: nothing new, nobody hears twice.
        for again in [now, now + TimeDelta::hours(5)] {
            let r = lantern_web::notices::run(&state, again).await.expect("run");
            assert_eq!(
                (r.recorded, r.mailed, r.digests, r.already),
                (0, 0, 0, 0),
                "{name}: {r:?}"
            );
        }
        assert_eq!(deliver(&state).await.sent, 0, "{name}");

        // Two servers at once, a month on: each notice is recorded and mailed by one of them only.
        let later = now + TimeDelta::days(31);
        let (_app2, state2) = app_with(&store, test_auth());
        let (a, b) = tokio::join!(
            lantern_web::notices::run(&state, later),
            lantern_web::notices::run(&state2, later)
        );
        let (a, b) = (a.expect("run a"), b.expect("run b"));
        assert!(a.mailed + b.mailed > 0, "{name}: a month on, more is due");
        assert!(
            a.digests + b.digests > 0,
            "{name}: and a new week's digests"
        );
        let third = lantern_web::notices::run(&state, later).await.expect("run");
        assert_eq!(
            (third.mailed, third.digests),
            (0, 0),
            "{name}: {a:?} {b:?} {third:?}"
        );
        let before = inbox.lock().expect("inbox").len();
        deliver(&state).await;
        deliver(&state2).await;
        let round: Vec<Received> = inbox.lock().expect("inbox")[before..].to_vec();
        assert_eq!(
            round.len(),
            a.mailed + b.mailed + a.digests + b.digests,
            "{name}"
        );
        let mut to: Vec<(String, bool)> = round
            .iter()
            .map(|m| (m.rcpt_to[0].clone(), m.data.contains(DIGEST_SUBJECT)))
            .collect();
        to.sort();
        let all = to.len();
        to.dedup();
        assert_eq!(to.len(), all, "{name}: nobody heard twice in one round");

        // Much later: notices recorded long ago still count (a requirement can stay overdue for years), so no group
        // of notices runs into one already sent.
        let much_later = now + TimeDelta::days(500);
        let r = lantern_web::notices::run(&state, much_later)
            .await
            .expect("run");
        assert_eq!(r.already, 0, "{name}: {r:?}");
        deliver(&state).await;

        // What a person was sent is on record, stage by stage.
        let person = store
            .people(&Scope::Platform, rj1.id, &lantern_store::PeopleFilter::All)
            .await
            .expect("people")
            .into_iter()
            .find(|b| {
                b.person
                    .email
                    .as_ref()
                    .is_some_and(|e| people_mailed.contains(&format!("<{e}>")))
            })
            .expect("someone who was mailed");
        let notices = store
            .person_notices(&Scope::Platform, rj1.id, person.person.id, 50)
            .await
            .expect("notices");
        assert!(notices.iter().any(|n| n.queued), "{name}: {notices:?}");
        // And on their page, for their manager and for them.
        let mut admin_view = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let page = admin_view
            .get(&format!("/orgs/RJ1/people/{}", person.person.id.0))
            .await;
        assert!(
            page.body.contains("Reminders Lantern sent on its own")
                && page.body.contains(&notices[0].key.stage.describe()),
            "{name}: the person's page lists the automatic reminders"
        );

        // A person chooses only the last reminder before a due date, for themselves only.
        let mut learner =
            Client::signed_in(&app, crate::auth::LEARNER.0, crate::auth::LEARNER.1).await;
        let me = store
            .account_by_email(crate::auth::LEARNER.0)
            .await
            .expect("account")
            .expect("the learner")
            .person_id
            .expect("a person");
        let own = learner.get(&format!("/orgs/RJ1/people/{}", me.0)).await;
        assert!(
            own.body
                .contains("Your reminders before training falls due"),
            "{name}: the person's own page offers the choice"
        );
        assert!(
            own.body.contains("href=\"/me\">My training</a>")
                && !own.body.contains("href=\"/orgs/RJ1?"),
            "{name}: a learner's way back never leads to a page they may not open"
        );
        let res = learner
            .post_form(
                &format!("/orgs/RJ1/people/{}/reminders", me.0),
                &[("before", "last")],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert!(
            !store.early_reminders(rj1.id, me).await.expect("choice"),
            "{name}"
        );
        assert!(
            store
                .only_last_reminder(rj1.id)
                .await
                .expect("choices")
                .contains(&me),
            "{name}"
        );
        let res = m
            .post_form(
                &format!("/orgs/RJ1/people/{}/reminders", me.0),
                &[("before", "every")],
                None,
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "{name}: not their manager's choice"
        );

        // A second server holding the job's lease keeps this one from running it.
        assert!(
            store
                .take_lease(
                    "scheduled-notices",
                    "other-server",
                    Utc::now(),
                    Utc::now() + TimeDelta::minutes(30)
                )
                .await
                .expect("lease")
        );
        assert!(
            !lantern_web::notices::run_once(&state, "this-server")
                .await
                .expect("run once"),
            "{name}: the job runs on one server at a time"
        );
        store
            .release_lease("scheduled-notices", "other-server")
            .await
            .expect("release");
        assert!(
            store
                .take_lease(
                    "scheduled-notices",
                    "this-server",
                    Utc::now(),
                    Utc::now() + TimeDelta::minutes(1)
                )
                .await
                .expect("lease"),
            "{name}: free once given back"
        );
        assert!(
            !store
                .take_lease(
                    "scheduled-notices",
                    "other-server",
                    Utc::now(),
                    Utc::now() + TimeDelta::minutes(1)
                )
                .await
                .expect("lease")
        );
        assert!(
            store
                .take_lease(
                    "scheduled-notices",
                    "other-server",
                    Utc::now() + TimeDelta::minutes(2),
                    Utc::now() + TimeDelta::minutes(30)
                )
                .await
                .expect("lease"),
            "{name}: an expired lease can be taken"
        );

        // The admin's policy: a bad one is refused naming the field; a new one is what the next run follows.
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let settings = admin.get("/orgs/RJ1/admin/settings").await;
        assert!(
            settings.body.contains("value=\"60, 30, 7\""),
            "{name}: the default policy is shown"
        );
        let bad = admin
            .post_form(
                "/orgs/RJ1/admin/settings/notices",
                &[("notice_before", "90, 400"), ("notice_escalate", "0")],
                None,
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            bad.body.contains("notice_escalate") && bad.body.contains("1 and 365"),
            "{name}"
        );
        let saved = admin
            .post_form(
                "/orgs/RJ1/admin/settings/notices",
                &[("notice_before", "90"), ("notice_escalate", "")],
                None,
            )
            .await;
        assert_eq!(
            saved.status,
            StatusCode::SEE_OTHER,
            "{name}: {}",
            saved.body
        );
        let policy = store.notice_policy(rj1.id).await.expect("policy");
        assert_eq!(policy.before_days, [90], "{name}");
        assert!(
            !policy.on_overdue && policy.escalate_after_days.is_none(),
            "{name}"
        );
        let quiet = lantern_web::notices::run(&state, later + TimeDelta::days(40))
            .await
            .expect("run");
        let before = inbox.lock().expect("inbox").len();
        deliver(&state).await;
        let round: Vec<Received> = inbox.lock().expect("inbox")[before..].to_vec();
        assert_eq!(round.len(), quiet.mailed + quiet.digests, "{name}");
        // RJ1's policy is RJ1's: its people hear only 90 days ahead; other organisations keep theirs.
        let rj1_mail: Vec<String> = round
            .iter()
            .map(body)
            .filter(|t| {
                t.contains(&format!("at {}", rj1.name)) || t.contains(&format!("from {}", rj1.name))
            })
            .collect();
        assert!(
            !rj1_mail.is_empty(),
            "{name}: someone in RJ1 is 90 days from a due date"
        );
        for text in &rj1_mail {
            assert!(
                text.contains("This is a reminder from"),
                "{name}: no manager in RJ1 hears under a policy without escalation: {text}"
            );
            assert!(
                !text.contains("expired on") && !text.contains("not completed"),
                "{name}: nobody in RJ1 hears about overdue training: {text}"
            );
        }
    }
}
