//! Issue 14 item 4: asking for a password-reset link answers alike, after the same work, whether or not the email
//! has an account (the email is made and sent in the background), and is limited per email and per address.

use crate::auth::{LEARNER, world};
use crate::web::{Client, decoded_email};
use crate::{app_with, backends, deliver, test_auth};
use axum::http::StatusCode;

/// Every email in an outbox folder, oldest first, as a person reads it.
pub fn emails_in(dir: &std::path::Path) -> Vec<String> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.expect("entry").path()).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .map(|p| decoded_email(&std::fs::read(p).expect("email")))
        .collect()
}

/// The path of the reset link in the latest email to `to`.
pub fn link_in_outbox(dir: &std::path::Path, to: &str) -> String {
    let mail = emails_in(dir)
        .into_iter()
        .rev()
        .find(|m| m.contains(&format!("To: {to}")))
        .unwrap_or_else(|| panic!("no email to {to}"));
    let line = mail
        .lines()
        .find(|l| l.contains("/password-reset/"))
        .expect("a link")
        .trim()
        .to_owned();
    line[line.find("/password-reset/").expect("path")..].to_owned()
}

/// The page with what differs by request (the email typed, the CSRF token) taken out.
fn shape(body: &str, email: &str, csrf: &str) -> String {
    body.replace(email, "EMAIL").replace(csrf, "CSRF")
}

#[tokio::test]
async fn reset_requests_answer_alike_and_are_sent_in_the_background() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let outbox = tempfile::tempdir().expect("outbox");
        let (app, state) = app_with(
            &store,
            lantern_web::AuthConfig {
                outbox: Some(outbox.path().to_owned()),
                ..test_auth()
            },
        );
        let mut known = Client::new(&app);
        let known_res = known
            .post_form_from(
                "/password-reset",
                &[("email", LEARNER.0)],
                None,
                Some("203.0.113.1"),
            )
            .await;
        let mut unknown = Client::new(&app);
        let unknown_res = unknown
            .post_form_from(
                "/password-reset",
                &[("email", "nobody@example.nhs.test")],
                None,
                Some("203.0.113.2"),
            )
            .await;
        assert_eq!(known_res.status, StatusCode::OK, "{name}");
        assert_eq!(unknown_res.status, StatusCode::OK, "{name}");
        assert!(known_res.body.contains("Check your email"), "{name}");
        assert_eq!(
            shape(&known_res.body, LEARNER.0, &known.csrf().await),
            shape(
                &unknown_res.body,
                "nobody@example.nhs.test",
                &unknown.csrf().await
            ),
            "{name}: the same answer"
        );
        // Nothing was made or sent while the request waited: no message queued, nothing in the outbox.
        assert!(
            store.mail_log(10).await.expect("log").is_empty(),
            "{name}: the answer came before any email existed"
        );
        assert!(emails_in(outbox.path()).is_empty(), "{name}");

        // The deliverer handles both requests; only the account's gets an email, with a working link.
        let done = deliver(&state).await;
        assert_eq!(
            (done.reset_requests, done.sent, done.failed),
            (2, 1, 0),
            "{name}: {done:?}"
        );
        let mails = emails_in(outbox.path());
        assert_eq!(mails.len(), 1, "{name}");
        assert!(
            mails[0].contains(&format!("To: {}", LEARNER.0))
                && mails[0].contains("Subject: Reset your Lantern password"),
            "{name}: {}",
            mails[0]
        );
        let link = link_in_outbox(outbox.path(), LEARNER.0);
        assert_eq!(known.get(&link).await.status, StatusCode::OK, "{name}");
        // The queue remembers it was sent, without the link (the body is emptied once sent).
        let log = store.mail_log(10).await.expect("log");
        assert_eq!(log.len(), 1, "{name}");
        assert!(
            log[0].sent_at.is_some() && log[0].attempts == 1,
            "{name}: {log:?}"
        );
        // A second round finds nothing more to do.
        assert_eq!(
            deliver(&state).await,
            lantern_web::mail::Delivery::default(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn reset_requests_are_limited_per_email_and_per_address() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let outbox = tempfile::tempdir().expect("outbox");
        let (app, state) = app_with(
            &store,
            lantern_web::AuthConfig {
                outbox: Some(outbox.path().to_owned()),
                ..test_auth()
            },
        );
        let ask = |c: &mut Client, email: &str, from: &str| {
            let email = email.to_owned();
            let from = from.to_owned();
            let mut c = c.clone();
            async move {
                c.post_form_from("/password-reset", &[("email", &email)], None, Some(&from))
                    .await
            }
        };
        let mut c = Client::new(&app);
        c.csrf().await;
        // Three an hour per email, with or without an account; the fourth is refused with the same words.
        let mut refusals = Vec::new();
        for email in [LEARNER.0, "nobody@example.nhs.test"] {
            for i in 0..3 {
                let res = ask(&mut c, email, &format!("203.0.113.{}", 10 + i)).await;
                assert_eq!(res.status, StatusCode::OK, "{name}: {email} {i}");
            }
            let res = ask(&mut c, email, "203.0.113.20").await;
            assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{name}: {email}");
            assert!(
                res.body
                    .contains("too many requests to reset the password for this email address")
                    && res.body.contains("try again in"),
                "{name}: {}",
                res.body
            );
            refusals.push(shape(&res.body, email, &c.csrf().await));
        }
        assert_eq!(
            refusals[0], refusals[1],
            "{name}: the refusal does not say whether the email has an account"
        );
        // Twenty an hour from one address, whatever the emails; the 21st is refused.
        for i in 0..20 {
            let res = ask(
                &mut c,
                &format!("someone{i}@example.nhs.test"),
                "198.51.100.5",
            )
            .await;
            assert_eq!(res.status, StatusCode::OK, "{name}: {i}");
        }
        let res = ask(&mut c, "someone-else@example.nhs.test", "198.51.100.5").await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{name}");
        assert!(
            res.body
                .contains("too many password reset requests from your network"),
            "{name}: {}",
            res.body
        );
        // Another address is not affected.
        let res = ask(&mut c, "someone-else@example.nhs.test", "198.51.100.6").await;
        assert_eq!(res.status, StatusCode::OK, "{name}");

        // Of all that, the learner gets exactly three emails.
        let done = deliver(&state).await;
        assert_eq!(done.reset_requests, 3 + 3 + 20 + 1, "{name}: {done:?}");
        assert_eq!(done.sent, 3, "{name}");
        let to_learner = emails_in(outbox.path())
            .iter()
            .filter(|m| m.contains(&format!("To: {}", LEARNER.0)))
            .count();
        assert_eq!(to_learner, 3, "{name}");
    }
}

/// The background deliverer, as `lantern serve` runs it: woken by a request, it sends the email; stopped, it ends.
#[tokio::test]
async fn the_background_deliverer_sends_and_stops() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let outbox = tempfile::tempdir().expect("outbox");
        let (app, state) = app_with(
            &store,
            lantern_web::AuthConfig {
                outbox: Some(outbox.path().to_owned()),
                ..test_auth()
            },
        );
        let deliverer = lantern_web::mail::Deliverer::start(state.clone());
        let res = Client::new(&app)
            .post_form("/password-reset", &[("email", LEARNER.0)], None)
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        // Woken by the request, not by its 30-second poll: bounded, so a deliverer that never runs fails the test.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let log = store.mail_log(1).await.expect("log");
            if log.first().is_some_and(|m| m.sent_at.is_some()) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{name}: the deliverer did not send the email: {log:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(emails_in(outbox.path()).len(), 1, "{name}");
        tokio::time::timeout(std::time::Duration::from_secs(20), deliverer.stop())
            .await
            .expect("the deliverer stops");
    }
}

/// Every email Lantern sends goes through the queue: an admin's "choose your password" link too.
#[tokio::test]
async fn the_admins_invitation_is_queued() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let outbox = tempfile::tempdir().expect("outbox");
        let (app, state) = app_with(
            &store,
            lantern_web::AuthConfig {
                outbox: Some(outbox.path().to_owned()),
                ..test_auth()
            },
        );
        let mut admin = Client::signed_in(&app, crate::auth::ADMIN.0, crate::auth::ADMIN.1).await;
        let res = admin
            .post_form(
                "/orgs/RJ1/admin/users",
                &[
                    ("name", "Ward Clerk"),
                    ("email", "ward.clerk@nhs.example"),
                    ("role", "auditor"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let log = store.mail_log(10).await.expect("log");
        assert_eq!(log.len(), 1, "{name}: queued");
        assert_eq!(
            (log[0].to.as_str(), log[0].sent_at),
            ("ward.clerk@nhs.example", None),
            "{name}"
        );
        assert!(emails_in(outbox.path()).is_empty(), "{name}: not sent yet");
        let link = crate::accounts::emailed_link(
            &state,
            outbox.path(),
            "ward.clerk@nhs.example",
            "/invitations/",
        )
        .await;
        assert_eq!(
            Client::new(&app).get(&link).await.status,
            StatusCode::OK,
            "{name}"
        );
    }
}
