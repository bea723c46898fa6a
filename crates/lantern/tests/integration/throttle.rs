//! Issue 14 item 5: failed sign-ins slow down whoever guesses, not the people who know their password. On every
//! backend; client addresses are given to each request as the connection's peer.

use crate::auth::{ADMIN, AUDITOR, FOREIGN, LEARNER, MANAGER, world};
use crate::web::Client;
use crate::{app_with, backends, deliver, test_auth};
use axum::http::StatusCode;
use lantern_web::auth::throttle::ThrottlePolicy;

/// The cases, with the shipped limits: 30 wrong passwords from one address do not stop the right one from
/// another, nor from the same one after a completed reset; 50 failures from a shared address (a trust's NAT) do not
/// stop someone else signing in correctly from it.
#[tokio::test]
async fn failed_sign_ins_do_not_lock_out_people_who_know_their_password() {
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
        let (guesser, nurse, ward) = ("198.51.100.7", "203.0.113.20", "192.0.2.50");

        // Thirty wrong passwords from one address: after the first few, that address waits before each try.
        let mut g = Client::new(&app);
        let mut refused = 0;
        for _ in 0..30 {
            let res = g.sign_in_from(AUDITOR.0, "wrong-password-x", guesser).await;
            assert!(
                matches!(res.status.as_u16(), 401 | 429),
                "{name}: {}",
                res.status
            );
            refused += usize::from(res.status == StatusCode::TOO_MANY_REQUESTS);
        }
        assert_eq!(refused, 25, "{name}: five tries, then the address waits");
        let res = g.sign_in_from(AUDITOR.0, AUDITOR.1, guesser).await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{name}");
        assert!(
            res.body.contains("from this computer or network")
                && res.body.contains("minutes and try again")
                && res.body.contains("reset your password"),
            "{name}: says what happened and when to try again: {}",
            res.body
        );
        // The auditor, at their own desk, signs in at once.
        let mut n = Client::new(&app);
        assert_eq!(
            n.sign_in_from(AUDITOR.0, AUDITOR.1, nurse).await.status,
            StatusCode::SEE_OTHER,
            "{name}: another address is not held up"
        );

        // A completed password reset clears everything held against the account, at every address.
        let res = n
            .post_form_from(
                "/password-reset",
                &[("email", AUDITOR.0)],
                None,
                Some(nurse),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        deliver(&state).await;
        let link = crate::reset::link_in_outbox(outbox.path(), AUDITOR.0);
        let new_password = "a brand new passphrase";
        let res = n
            .post_form(
                &link,
                &[("password", new_password), ("confirm", new_password)],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(
            g.sign_in_from(AUDITOR.0, new_password, guesser)
                .await
                .status,
            StatusCode::SEE_OTHER,
            "{name}: after the reset, even the address that guessed"
        );

        // Fifty failures from a ward's shared address, by many people mistyping: the next person signs in.
        let mut w = Client::new(&app);
        for i in 0..50 {
            let res = w
                .sign_in_from(
                    &format!("typo{i}@example.nhs.test"),
                    "wrong-password-x",
                    ward,
                )
                .await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{name}: {i}");
        }
        assert_eq!(
            Client::new(&app)
                .sign_in_from(MANAGER.0, MANAGER.1, ward)
                .await
                .status,
            StatusCode::SEE_OTHER,
            "{name}: staff behind the shared address are not locked out"
        );
    }
}

/// The limits themselves, made small: parallel guesses count against each other; failures spread over addresses
/// lock an account everywhere until an admin (or a reset) clears it; an address has a ceiling of its own.
#[tokio::test]
async fn each_limit_holds_up_only_what_it_should() {
    for (name, store, _dir) in backends().await {
        let foreign_ods = world(&store).await;
        let outbox = tempfile::tempdir().expect("outbox");
        let (app, state) = app_with(
            &store,
            lantern_web::AuthConfig {
                outbox: Some(outbox.path().to_owned()),
                throttle: ThrottlePolicy {
                    pair_free_failures: 3,
                    account_lock_after: 8,
                    address_ceiling: 12,
                    ..test_auth().throttle
                },
                ..test_auth()
            },
        );

        // Ten guesses at once from one address: only the three free ones are tried; the others are turned away
        // without counting (the admin page shows three failures).
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let mut c = Client::new(&app);
            tasks.spawn(async move {
                c.sign_in_from(LEARNER.0, "wrong-password-x", "198.51.100.1")
                    .await
                    .status
            });
        }
        let statuses = tasks.join_all().await;
        let tried = statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count();
        let waited = statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!((tried, waited), (3, 7), "{name}: {statuses:?}");
        assert_eq!(
            Client::new(&app)
                .sign_in_from(LEARNER.0, LEARNER.1, "198.51.100.1")
                .await
                .status,
            StatusCode::TOO_MANY_REQUESTS,
            "{name}: the right password waits there too"
        );
        assert_eq!(
            Client::new(&app)
                .sign_in_from(LEARNER.0, LEARNER.1, "198.51.100.2")
                .await
                .status,
            StatusCode::SEE_OTHER,
            "{name}: but not elsewhere"
        );

        // Eight failures spread over eight addresses: the auditor's account is locked for every address.
        for i in 0..8 {
            let res = Client::new(&app)
                .sign_in_from(
                    AUDITOR.0,
                    "wrong-password-x",
                    &format!("198.51.100.{}", 10 + i),
                )
                .await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{name}: {i}");
        }
        let res = Client::new(&app)
            .sign_in_from(AUDITOR.0, AUDITOR.1, "203.0.113.30")
            .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{name}");
        assert!(
            res.body.contains("This account has been locked")
                && res.body.contains("Try again in")
                && res.body.contains("reset your password to unlock it now"),
            "{name}: {}",
            res.body
        );

        // The organisation admin sees both on the locks page, with when each ends.
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let page = admin.get("/orgs/RJ1/admin/locks").await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        let auditor = store.account_by_email(AUDITOR.0).await.unwrap().unwrap();
        let learner = store.account_by_email(LEARNER.0).await.unwrap().unwrap();
        let card = |id: lantern_domain::AccountId| {
            let action = format!("/orgs/RJ1/admin/locks/{id}/clear");
            let end = page
                .body
                .find(&action)
                .unwrap_or_else(|| panic!("{name}: no card for {id}"));
            let start = page.body[..end].rfind("nhsuk-card\"").expect("card");
            page.body[start..end].to_owned()
        };
        let auditor_card = card(auditor.id);
        assert!(
            auditor_card.contains("Locked for every address")
                && auditor_card.contains("after 8 failed attempts")
                && auditor_card.contains("minutes from now"),
            "{name}: {auditor_card}"
        );
        let learner_card = card(learner.id);
        assert!(
            learner_card.contains("Waiting at address <code>198.51.100.1</code>")
                && learner_card.contains("after 3 failed attempts")
                && learner_card.contains("minutes from now"),
            "{name}: {learner_card}"
        );
        assert!(
            !page.body.contains(MANAGER.0),
            "{name}: accounts not held up are not listed"
        );
        // Another organisation's admin cannot clear it (it holds no role there), and does not see it.
        let mut foreign = Client::signed_in(&app, FOREIGN.0, FOREIGN.1).await;
        let res = foreign
            .post_form(
                &format!("/orgs/{foreign_ods}/admin/locks/{}/clear", auditor.id),
                &[],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{name}");
        assert!(
            !foreign
                .get(&format!("/orgs/{foreign_ods}/admin/locks"))
                .await
                .body
                .contains(AUDITOR.0),
            "{name}"
        );
        // The admin unlocks the auditor, who signs in at once.
        let res = admin
            .post_form(
                &format!("/orgs/RJ1/admin/locks/{}/clear", auditor.id),
                &[],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        assert!(
            res.location().starts_with("/orgs/RJ1/admin/locks?saved="),
            "{name}"
        );
        assert!(
            admin
                .get(res.location())
                .await
                .body
                .contains("can sign in again"),
            "{name}"
        );
        assert_eq!(
            Client::new(&app)
                .sign_in_from(AUDITOR.0, AUDITOR.1, "203.0.113.30")
                .await
                .status,
            StatusCode::SEE_OTHER,
            "{name}: unlocked"
        );

        // A completed password reset clears a lock too.
        for i in 0..8 {
            Client::new(&app)
                .sign_in_from(
                    MANAGER.0,
                    "wrong-password-x",
                    &format!("198.51.100.{}", 30 + i),
                )
                .await;
        }
        let mut m = Client::new(&app);
        assert_eq!(
            m.sign_in_from(MANAGER.0, MANAGER.1, "203.0.113.31")
                .await
                .status,
            StatusCode::TOO_MANY_REQUESTS,
            "{name}: locked"
        );
        m.post_form_from(
            "/password-reset",
            &[("email", MANAGER.0)],
            None,
            Some("203.0.113.31"),
        )
        .await;
        deliver(&state).await;
        let link = crate::reset::link_in_outbox(outbox.path(), MANAGER.0);
        let res = m
            .post_form(
                &link,
                &[
                    ("password", "manager's new passphrase"),
                    ("confirm", "manager's new passphrase"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(
            m.sign_in_from(MANAGER.0, "manager's new passphrase", "203.0.113.31")
                .await
                .status,
            StatusCode::SEE_OTHER,
            "{name}: the reset unlocked it"
        );

        // An address's own ceiling: twelve failures against twelve different emails, and it waits, whoever
        // signs in from it; other addresses do not.
        for i in 0..12 {
            let res = Client::new(&app)
                .sign_in_from(
                    &format!("nobody{i}@example.nhs.test"),
                    "wrong-password-x",
                    "192.0.2.99",
                )
                .await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{name}: {i}");
        }
        let res = Client::new(&app)
            .sign_in_from(ADMIN.0, ADMIN.1, "192.0.2.99")
            .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{name}");
        assert!(
            res.body.contains("from your network") && res.body.contains("minutes and try again"),
            "{name}: {}",
            res.body
        );
        assert_eq!(
            Client::new(&app)
                .sign_in_from(ADMIN.0, ADMIN.1, "192.0.2.100")
                .await
                .status,
            StatusCode::SEE_OTHER,
            "{name}"
        );
    }
}
