//! Accounts across organisations: an organisation admin manages roles in their organisation only, an account's
//! credentials and status only when all its roles are there, and reaches anyone else by an invitation they accept.
//! The admin's answers never reveal whether an address has an account elsewhere. On every backend.

use crate::auth::{ADMIN, FOREIGN, LEARNER, PLATFORM, world};
use crate::web::Client;
use crate::{backends, test_auth};
use axum::http::StatusCode;
use lantern_domain::access::Role;
use lantern_store::{PeopleFilter, Scope};
use std::path::Path;

/// The path of the newest emailed link to `to` that contains `prefix` (e.g. "/invitations/"), once the queued
/// email has been delivered to the outbox folder.
pub async fn emailed_link(
    state: &lantern_web::AppState,
    outbox: &Path,
    to: &str,
    prefix: &str,
) -> String {
    crate::deliver(state).await;
    let mut mails: Vec<_> = std::fs::read_dir(outbox)
        .expect("outbox")
        .map(|e| e.expect("entry").path())
        .collect();
    mails.sort_by_key(|p| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .expect("mtime")
    });
    mails
        .iter()
        .rev()
        .map(|p| crate::web::decoded_email(&std::fs::read(p).expect("email")))
        .filter(|text| text.contains(&format!("To: {to}")))
        .find_map(|text| {
            text.lines().find(|l| l.contains(prefix)).map(|l| {
                let l = l.trim();
                l[l.find(prefix).expect("path")..].to_owned()
            })
        })
        .unwrap_or_else(|| panic!("no email to {to} with a {prefix} link"))
}

async fn post(c: &mut Client, uri: &str, fields: &[(&str, &str)]) -> crate::web::Response {
    c.post_form(uri, fields, None).await
}

async fn invite(admin: &mut Client, email: &str, role: &str) -> crate::web::Response {
    post(
        admin,
        "/orgs/RJ1/admin/users",
        &[("name", "Invited Person"), ("email", email), ("role", role)],
    )
    .await
}

#[tokio::test]
async fn an_organisation_admin_cannot_take_over_accounts_beyond_their_organisation() {
    for (name, store, _dir) in backends().await {
        let foreign_ods = world(&store).await;
        let outbox = tempfile::tempdir().expect("outbox");
        let auth = lantern_web::AuthConfig {
            outbox: Some(outbox.path().to_owned()),
            ..test_auth()
        };
        let (app, state) = crate::app_with(&store, auth);
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let account = |email: &'static str| {
            let store = store.clone();
            async move {
                store
                    .account_by_email(email)
                    .await
                    .expect("lookup")
                    .expect("account")
            }
        };
        let platform = account(PLATFORM.0).await;
        let foreign = account(FOREIGN.0).await;

        // An address with an account elsewhere and one with no account at all get the same answer, and neither
        // gets a role: both are invitations.
        let known = invite(&mut admin, PLATFORM.0, "auditor").await;
        let unknown = invite(&mut admin, "nobody.yet@nhs.example", "auditor").await;
        assert_eq!(
            known.status,
            StatusCode::SEE_OTHER,
            "{name}: {}",
            known.body
        );
        assert_eq!(unknown.status, known.status, "{name}");
        assert_eq!(
            known
                .location()
                .replace(&lantern_web_urlencode(PLATFORM.0), "EMAIL"),
            unknown
                .location()
                .replace(&lantern_web_urlencode("nobody.yet@nhs.example"), "EMAIL"),
            "{name}: the answer does not tell the two apart"
        );
        assert!(
            known.location().contains("invitation"),
            "{name}: {}",
            known.location()
        );
        assert_eq!(
            store.grants(platform.id).await.expect("grants").len(),
            1,
            "{name}: no role is granted by typing an email"
        );
        assert!(
            store
                .account_by_email("nobody.yet@nhs.example")
                .await
                .unwrap()
                .is_none(),
            "{name}"
        );

        // Until they accept, the platform admin is not RJ1's: its credentials and status are out of reach (404).
        for action in ["reset", "access"] {
            let res = post(
                &mut admin,
                &format!("/orgs/RJ1/admin/users/{}/{action}", platform.id),
                &[("action", "disable")],
            )
            .await;
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{name}: {action}");
        }

        // The platform admin accepts, signed in to their own account.
        let link = emailed_link(&state, outbox.path(), PLATFORM.0, "/invitations/").await;
        let mut person = Client::new(&app);
        let res = person.get(&link).await;
        assert!(
            res.body.contains("Sign in to accept"),
            "{name}: {}",
            res.body
        );
        let mut person = Client::signed_in(&app, PLATFORM.0, PLATFORM.1).await;
        let res = person.get(&link).await;
        assert!(
            res.body.contains("Accept your new role"),
            "{name}: {}",
            res.body
        );
        let res = post(&mut person, &link, &[("action", "accept")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(
            store.grants(platform.id).await.expect("grants").len(),
            2,
            "{name}"
        );
        assert_eq!(
            person.get(&link).await.status,
            StatusCode::GONE,
            "{name}: a link works once"
        );

        // Now RJ1's admin sees the account, may remove its RJ1 role, but may neither disable it nor reset its
        // password: it holds roles beyond RJ1. The same for another organisation's admin who accepted a role here.
        let res = invite(&mut admin, FOREIGN.0, "auditor").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        let link = emailed_link(&state, outbox.path(), FOREIGN.0, "/invitations/").await;
        let mut foreigner = Client::signed_in(&app, FOREIGN.0, FOREIGN.1).await;
        let res = post(&mut foreigner, &link, &[("action", "accept")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let list = admin.get("/orgs/RJ1/admin/users").await;
        assert!(
            list.body.contains(PLATFORM.0) && list.body.contains(FOREIGN.0),
            "{name}"
        );
        assert!(list.body.contains("Not this organisation"), "{name}");
        crate::deliver(&state).await;
        let mails_before = std::fs::read_dir(outbox.path()).expect("outbox").count();
        for target in [&platform, &foreign] {
            for (action, fields) in [("reset", &[][..]), ("access", &[("action", "disable")][..])] {
                let res = post(
                    &mut admin,
                    &format!("/orgs/RJ1/admin/users/{}/{action}", target.id),
                    fields,
                )
                .await;
                assert_eq!(
                    res.status,
                    StatusCode::FORBIDDEN,
                    "{name}: {action} {}: {}",
                    target.email,
                    res.body
                );
                assert!(res.body.contains("platform admin"), "{name}: {}", res.body);
            }
        }
        crate::deliver(&state).await;
        assert_eq!(
            std::fs::read_dir(outbox.path()).expect("outbox").count(),
            mails_before,
            "{name}: no reset email went out"
        );
        for (email, password) in [PLATFORM, FOREIGN] {
            let mut c = Client::new(&app);
            assert_eq!(
                c.sign_in(email, password).await.status,
                StatusCode::SEE_OTHER,
                "{name}: {email} still signs in with their own password"
            );
        }
        // Removing the RJ1 role ends RJ1 access at once; the platform admin stays one.
        let res = post(
            &mut admin,
            &format!("/orgs/RJ1/admin/users/{}/grants/remove", foreign.id),
            &[("role", "auditor")],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(
            foreigner.get("/orgs/RJ1/report").await.status,
            StatusCode::NOT_FOUND,
            "{name}: RJ1 access ended"
        );
        assert_eq!(
            foreigner
                .get(&format!("/orgs/{foreign_ods}/admin/users"))
                .await
                .status,
            StatusCode::OK,
            "{name}: their own organisation is untouched"
        );
        let res = post(
            &mut admin,
            &format!("/orgs/RJ1/admin/users/{}/grants/remove", platform.id),
            &[("role", "auditor")],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(
            store.grants(platform.id).await.expect("grants")[0].role,
            Role::PlatformAdmin,
            "{name}"
        );

        // An account whose roles are all in RJ1 is RJ1's to manage: the learner's password can be reset.
        let learner = account(LEARNER.0).await;
        let res = post(
            &mut admin,
            &format!("/orgs/RJ1/admin/users/{}/reset", learner.id),
            &[],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
    }
}

/// `form_urlencoded` as the admin pages encode a message into their redirect.
fn lantern_web_urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn an_invitation_is_accepted_declined_or_withdrawn_only_as_its_link_allows() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let outbox = tempfile::tempdir().expect("outbox");
        let auth = lantern_web::AuthConfig {
            outbox: Some(outbox.path().to_owned()),
            ..test_auth()
        };
        let (app, state) = crate::app_with(&store, auth);
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;

        // A learner is invited with their employee number: accepting creates the account linked to that record.
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        let people = store
            .people(&Scope::Platform, rj1.id, &PeopleFilter::All)
            .await
            .expect("people");
        let learner_person = store
            .account_by_email(LEARNER.0)
            .await
            .unwrap()
            .unwrap()
            .person_id;
        let staff = people
            .iter()
            .find(|p| Some(p.person.id) != learner_person)
            .expect("someone without an account");
        let res = post(
            &mut admin,
            "/orgs/RJ1/admin/users",
            &[
                ("name", "New Starter"),
                ("email", "new.starter@nhs.example"),
                ("role", "learner"),
                ("employee_number", &staff.person.employee_number),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let link = emailed_link(
            &state,
            outbox.path(),
            "new.starter@nhs.example",
            "/invitations/",
        )
        .await;
        // Someone else signed in cannot take it into their account.
        let mut other = Client::signed_in(&app, LEARNER.0, LEARNER.1).await;
        let res = other.get(&link).await;
        assert!(
            res.body.contains("for another account"),
            "{name}: {}",
            res.body
        );
        let res = post(&mut other, &link, &[("action", "accept")]).await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{name}");
        // A weak password is refused and nothing is created.
        let mut invitee = Client::new(&app);
        let res = post(
            &mut invitee,
            &link,
            &[
                ("action", "accept"),
                ("password", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            store
                .account_by_email("new.starter@nhs.example")
                .await
                .unwrap()
                .is_none(),
            "{name}"
        );
        let res = post(
            &mut invitee,
            &link,
            &[
                ("action", "accept"),
                ("password", "a long enough passphrase"),
                ("confirm", "a long enough passphrase"),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let created = store
            .account_by_email("new.starter@nhs.example")
            .await
            .unwrap()
            .expect("account");
        assert_eq!(
            created.person_id,
            Some(staff.person.id),
            "{name}: linked to the staff record"
        );
        assert_eq!(
            invitee.get("/me").await.status,
            StatusCode::OK,
            "{name}: signed in as a learner"
        );

        // Declined: nothing changes, the link stops working.
        invite(&mut admin, "declines@nhs.example", "auditor").await;
        let link = emailed_link(
            &state,
            outbox.path(),
            "declines@nhs.example",
            "/invitations/",
        )
        .await;
        let mut c = Client::new(&app);
        let res = post(&mut c, &link, &[("action", "decline")]).await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        assert!(res.body.contains("declined"), "{name}");
        assert_eq!(c.get(&link).await.status, StatusCode::GONE, "{name}");
        assert!(
            store
                .account_by_email("declines@nhs.example")
                .await
                .unwrap()
                .is_none(),
            "{name}"
        );

        // Sent again: the old link stops working and the new one works. Withdrawn: the link stops working.
        invite(&mut admin, "changes@nhs.example", "auditor").await;
        let first = emailed_link(
            &state,
            outbox.path(),
            "changes@nhs.example",
            "/invitations/",
        )
        .await;
        let id = store
            .invitations_in_org(rj1.id, chrono::Utc::now())
            .await
            .expect("invitations")
            .into_iter()
            .find(|i| i.email == "changes@nhs.example")
            .expect("listed")
            .id;
        // Another organisation's admin cannot touch it.
        let mut foreign_admin = Client::signed_in(&app, FOREIGN.0, FOREIGN.1).await;
        let res = post(
            &mut foreign_admin,
            &format!("/orgs/RJ1/admin/invitations/{}/withdraw", id.0),
            &[],
        )
        .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{name}");
        let res = post(
            &mut admin,
            &format!("/orgs/RJ1/admin/invitations/{}/resend", id.0),
            &[],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let second = emailed_link(
            &state,
            outbox.path(),
            "changes@nhs.example",
            "/invitations/",
        )
        .await;
        assert_ne!(first, second, "{name}");
        assert_eq!(
            c.get(&first).await.status,
            StatusCode::NOT_FOUND,
            "{name}: the old link"
        );
        assert_eq!(c.get(&second).await.status, StatusCode::OK, "{name}");
        let res = post(
            &mut admin,
            &format!("/orgs/RJ1/admin/invitations/{}/withdraw", id.0),
            &[],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(c.get(&second).await.status, StatusCode::GONE, "{name}");
        let res = post(
            &mut c,
            &second,
            &[
                ("action", "accept"),
                ("password", "a long enough passphrase"),
                ("confirm", "a long enough passphrase"),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{name}");
        assert!(
            store
                .account_by_email("changes@nhs.example")
                .await
                .unwrap()
                .is_none(),
            "{name}"
        );
        let list = admin.get("/orgs/RJ1/admin/users").await;
        assert!(list.body.contains("Withdrawn or declined"), "{name}");
    }
}

/// The authorisation matrix of account actions and imports across organisations: every organisation admin and the platform
/// admin, against accounts whose roles lie in one organisation, in two, or also on the platform, through each
/// organisation's admin routes. A role is never granted by typing an email; credentials and status are an
/// organisation admin's only when every role of the account is theirs; outside their organisation it is 404.
#[tokio::test]
async fn authorisation_matrix_of_account_actions_and_imports_across_organisations() {
    use lantern_store::GrantSpec;
    for (name, store, _dir) in backends().await {
        let foreign_ods = world(&store).await;
        let outbox = tempfile::tempdir().expect("outbox");
        let auth = lantern_web::AuthConfig {
            outbox: Some(outbox.path().to_owned()),
            ..test_auth()
        };
        let (app, state) = crate::app_with(&store, auth);
        let grant = |role: Role, org: &str| GrantSpec {
            role,
            org: Some(org.to_owned()),
            unit: None,
        };
        let now = chrono::Utc::now();
        // The targets: one organisation's alone, both organisations', and the platform admin with a role at RJ1.
        let mut targets = Vec::new();
        for (email, grants) in [
            ("rj1.only@nhs.example", vec![grant(Role::Auditor, "RJ1")]),
            (
                "foreign.only@nhs.example",
                vec![grant(Role::Auditor, &foreign_ods)],
            ),
            (
                "both@nhs.example",
                vec![
                    grant(Role::Auditor, "RJ1"),
                    grant(Role::Auditor, &foreign_ods),
                ],
            ),
        ] {
            let id = store
                .create_account(
                    &lantern_store::NewAccount {
                        email: email.into(),
                        display_name: email.into(),
                        password_hash: None,
                        employee_number: None,
                        grants,
                    },
                    now,
                )
                .await
                .expect("target");
            targets.push((email, id));
        }
        let platform = store.account_by_email(PLATFORM.0).await.unwrap().unwrap();
        store
            .add_grants(platform.id, &[grant(Role::Auditor, "RJ1")], now)
            .await
            .expect("platform admin at RJ1");
        targets.push((PLATFORM.0, platform.id));

        let holds = |email: &str, ods: &str| match email {
            "rj1.only@nhs.example" => ods == "RJ1",
            "foreign.only@nhs.example" => ods != "RJ1",
            "both@nhs.example" => true,
            _ => ods == "RJ1", // the platform admin's role at RJ1
        };
        let all_roles_in = |email: &str, ods: &str| match email {
            "rj1.only@nhs.example" => ods == "RJ1",
            "foreign.only@nhs.example" => ods != "RJ1",
            _ => false,
        };

        let mut checked = 0;
        for (actor, (actor_email, actor_password)) in [
            ("RJ1 admin", ADMIN),
            ("foreign admin", FOREIGN),
            ("platform admin", PLATFORM),
        ] {
            let mut c = Client::signed_in(&app, actor_email, actor_password).await;
            let own = match actor {
                "RJ1 admin" => Some("RJ1"),
                "foreign admin" => Some(foreign_ods.as_str()),
                _ => None,
            };
            for ods in ["RJ1", foreign_ods.as_str()] {
                for (email, id) in &targets {
                    if *email == actor_email {
                        continue;
                    }
                    let reachable = own.is_none_or(|o| o == ods);
                    // Disable (then enable again, so later rows start from the same place).
                    let want = match () {
                        _ if !reachable || !holds(email, ods) => 404,
                        _ if own.is_none() || all_roles_in(email, ods) => 303,
                        _ => 403,
                    };
                    let uri = format!("/orgs/{ods}/admin/users/{}/access", id.0);
                    let res = post(&mut c, &uri, &[("action", "disable")]).await;
                    assert_eq!(
                        res.status.as_u16(),
                        want,
                        "{name}: {actor} disables {email} at {ods}"
                    );
                    let disabled = store.account(*id).await.unwrap().unwrap().disabled;
                    assert_eq!(
                        disabled,
                        want == 303,
                        "{name}: {actor} disables {email} at {ods}"
                    );
                    if disabled {
                        post(&mut c, &uri, &[("action", "enable")]).await;
                    }
                    // Unlocking after failed sign-ins is the account's too: the same answers.
                    let uri = format!("/orgs/{ods}/admin/locks/{}/clear", id.0);
                    let res = post(&mut c, &uri, &[]).await;
                    assert_eq!(
                        res.status.as_u16(),
                        want,
                        "{name}: {actor} unlocks {email} at {ods}"
                    );
                    // Reset: refused the same way (the allowed case is covered above, where it is harmless).
                    if want != 303 {
                        let uri = format!("/orgs/{ods}/admin/users/{}/reset", id.0);
                        let res = post(&mut c, &uri, &[]).await;
                        assert_eq!(
                            res.status.as_u16(),
                            want,
                            "{name}: {actor} resets {email} at {ods}"
                        );
                    }
                    // Granting by email: to one of the organisation's own accounts, at once; to anyone else, an
                    // invitation (never a role); outside the actor's organisations, 404.
                    let before = store.grants(*id).await.unwrap();
                    let res = post(
                        &mut c,
                        &format!("/orgs/{ods}/admin/users"),
                        &[
                            ("name", "X"),
                            ("email", email),
                            ("role", "manager"),
                            ("unit", "D1"),
                        ],
                    )
                    .await;
                    let want = if reachable { 303 } else { 404 };
                    assert_eq!(
                        res.status.as_u16(),
                        want,
                        "{name}: {actor} grants {email} at {ods}: {}",
                        res.body
                    );
                    let after = store.grants(*id).await.unwrap();
                    if reachable && holds(email, ods) {
                        assert_eq!(
                            after.len(),
                            before.len() + 1,
                            "{name}: {actor} grants {email} at {ods}"
                        );
                        let added = after
                            .iter()
                            .find(|g| !before.contains(g))
                            .expect("the new role");
                        assert!(store.remove_grant(*id, added).await.unwrap());
                    } else {
                        assert_eq!(after, before, "{name}: {actor} grants {email} at {ods}");
                    }
                    checked += 5;
                }
                // Imports: a staff file through this organisation's import page, for this organisation and for the
                // other one. Outside the actor's organisations, 404; inside, rows for another organisation are
                // refused whole, naming the column, and nothing is written.
                let other = if ods == "RJ1" {
                    foreign_ods.as_str()
                } else {
                    "RJ1"
                };
                for (for_org, number) in [
                    (ods, format!("M-{actor}-{ods}")),
                    (other, format!("M-{actor}-{ods}-x")),
                ] {
                    let unit = store
                        .org_context(
                            &Scope::Platform,
                            store
                                .org_by_code(&Scope::Platform, for_org)
                                .await
                                .unwrap()
                                .id,
                        )
                        .await
                        .unwrap()
                        .units[0]
                        .code
                        .clone();
                    let csv = format!(
                        "employee_number,assignment_number,given_name,family_name,org_code,unit_code,staff_group,job_role,patient_facing,start_date\n\
                         {number},{number}-1,Matrix,Row,{for_org},{unit},Nursing and Midwifery Registered,Staff nurse,Y,2026-01-05\n"
                    );
                    let counts = store.table_counts().await.unwrap();
                    let res = c
                        .post_upload(
                            &format!("/orgs/{ods}/admin/import"),
                            &[("kind", "staff")],
                            ("staff.csv", csv.as_bytes()),
                        )
                        .await;
                    let reachable = own.is_none_or(|o| o == ods);
                    let want = match () {
                        _ if !reachable => 404,
                        _ if for_org == ods => 200,
                        _ => 422,
                    };
                    assert_eq!(
                        res.status.as_u16(),
                        want,
                        "{name}: {actor} imports {for_org} rows at {ods}: {}",
                        res.body
                    );
                    if want != 200 {
                        assert_eq!(
                            store.table_counts().await.unwrap(),
                            counts,
                            "{name}: nothing written"
                        );
                    }
                    if want == 422 {
                        assert!(res.body.contains("this import is for"), "{name}: says why");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked >= 60, "{name}: {checked}");
        crate::deliver(&state).await;
        assert!(
            std::fs::read_dir(outbox.path())
                .expect("outbox")
                .all(
                    |m| !crate::web::decoded_email(&std::fs::read(m.unwrap().path()).unwrap())
                        .contains("/password-reset/")
                ),
            "{name}: no refused reset sent an email"
        );
    }
}

#[tokio::test]
async fn an_admin_invites_everyone_on_the_staff_list_in_one_action() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let outbox = tempfile::tempdir().expect("outbox");
        let auth = lantern_web::AuthConfig {
            outbox: Some(outbox.path().to_owned()),
            ..test_auth()
        };
        let (app, state) = crate::app_with(&store, auth);
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let page = admin.get("/orgs/RJ1/admin/users").await;
        let n: usize = page
            .body
            .split("as learners</button>")
            .next()
            .and_then(|s| s.rsplit("Invite ").next())
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .expect("the number to invite");
        assert!(
            n >= 10,
            "{name}: the demo staff with an email and no account: {n}"
        );

        let res = post(&mut admin, "/orgs/RJ1/admin/users/invite-staff", &[]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(
            res.location(),
            format!("/orgs/RJ1/admin/users?saved={n}+invitations+sent"),
            "{name}"
        );
        crate::deliver(&state).await;
        let mails: Vec<String> = std::fs::read_dir(outbox.path())
            .expect("outbox")
            .map(|e| crate::web::decoded_email(&std::fs::read(e.unwrap().path()).unwrap()))
            .collect();
        assert_eq!(mails.len(), n, "{name}: one email each");
        assert!(
            mails
                .iter()
                .all(|m| m.contains("invites you to Lantern") && m.contains("as Learner")),
            "{name}"
        );
        let page = admin.get("/orgs/RJ1/admin/users").await;
        assert!(
            page.body.contains("has an account or an invitation"),
            "{name}: nobody is left to invite"
        );
        let res = post(&mut admin, "/orgs/RJ1/admin/users/invite-staff", &[]).await;
        assert!(res.location().contains("Nobody+to+invite"), "{name}");
        crate::deliver(&state).await;
        assert_eq!(
            std::fs::read_dir(outbox.path()).expect("outbox").count(),
            n,
            "{name}: nobody hears twice"
        );

        // One of them accepts: their account is linked to their staff record.
        let to = mails[0]
            .lines()
            .find_map(|l| l.strip_prefix("To: "))
            .expect("a recipient")
            .trim()
            .to_owned();
        let link = emailed_link(&state, outbox.path(), &to, "/invitations/").await;
        let mut invitee = Client::new(&app);
        let res = post(
            &mut invitee,
            &link,
            &[
                ("action", "accept"),
                ("password", "a long enough passphrase"),
                ("confirm", "a long enough passphrase"),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let person = store
            .person_by_email(&Scope::Platform, rj1.id, &to)
            .await
            .expect("a staff member");
        let account = store.account_by_email(&to).await.unwrap().expect("account");
        assert_eq!(account.person_id, Some(person), "{name}");
        assert_eq!(invitee.get("/me").await.status, StatusCode::OK, "{name}");
    }
}
