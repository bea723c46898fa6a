//! The organisation admin's journey over HTTP, on every backend: rule versions, settings, browser import, accounts.

use crate::web::Client;
use crate::{backends, d, test_auth};
use axum::http::StatusCode;
use lantern_store::Scope;

const ADMIN: (&str, &str) = ("admin@demo.lantern.test", "admin-demo-password");

#[tokio::test]
async fn an_organisation_admin_versions_rules_imports_and_manages_accounts() {
    for (name, store, _dir) in backends().await {
        lantern::demo::generate(store.as_ref(), 300, 11, d("2026-11-23"), false)
            .await
            .expect("demo");
        lantern::users::demo_accounts(store.as_ref())
            .await
            .expect("accounts");
        let outbox = tempfile::tempdir().expect("outbox");
        let auth = lantern_web::AuthConfig {
            outbox: Some(outbox.path().to_owned()),
            ..test_auth()
        };
        let (app, state) = crate::app_with(&store, auth);
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");

        // Rules: the page lists them; a backdated version is refused with the reason; a later one is created and
        // closes the old one, which stays as history.
        assert_eq!(
            admin.get("/admin").await.location(),
            "/orgs/RJ1/admin",
            "{name}"
        );
        let page = admin.get("/orgs/RJ1/admin").await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert!(
            page.body.contains("Requirement rules") && page.body.contains("Fire Safety"),
            "{name}"
        );
        let ctx = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("ctx");
        let fire = ctx
            .rules
            .iter()
            .find(|r| r.subject == "cstf.fire_safety" && r.effective_to.is_none())
            .expect("fire");
        let url = format!("/orgs/RJ1/admin/rules/{}/new-version", fire.id);
        assert_eq!(admin.get(&url).await.status, StatusCode::OK, "{name}");
        let backdated = fire.effective_from.to_string();
        let form = |from: &str, reason: &str| {
            vec![
                ("effective_from", from.to_owned()),
                ("refresher_months", "24".to_owned()),
                ("warning_days", "45".to_owned()),
                ("new_starter_days", "30".to_owned()),
                ("reason", reason.to_owned()),
            ]
        };
        let res = post(
            &mut admin,
            &url,
            &form(&backdated, "Fire safety committee, 2026-11-01"),
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body.contains("history is never edited"),
            "{name}: {}",
            res.body
        );
        let res = post(&mut admin, &url, &form("2027-01-01", "")).await;
        assert!(res.body.contains("Say why the rule changes"), "{name}");
        // A valid version is previewed first (what it changes, whom it affects) and nothing is saved...
        let counts = store.table_counts().await.expect("counts");
        let res = post(
            &mut admin,
            &url,
            &form("2027-01-01", "Fire safety committee, 2026-11-01"),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        assert!(
            res.body.contains("Nothing has been saved yet")
                && res.body.contains("Apply this version")
                && res.body.contains("Warning days"),
            "{name}: {}",
            res.body
        );
        assert_eq!(
            store.table_counts().await.expect("counts"),
            counts,
            "{name}: a preview writes nothing"
        );
        // ...until it is confirmed, when it is made and listed on the changes page.
        let mut confirmed = form("2027-01-01", "Fire safety committee, 2026-11-01");
        confirmed.push(("confirm", "yes".to_owned()));
        let res = post(&mut admin, &url, &confirmed).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let changes = admin.get("/orgs/RJ1/changes").await;
        assert!(
            changes.body.contains("Fire Safety level 1 from 2027-01-01"),
            "{name}: {}",
            changes.body
        );
        let ctx = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("ctx");
        let versions: Vec<_> = ctx
            .rules
            .iter()
            .filter(|r| r.subject == "cstf.fire_safety")
            .collect();
        assert_eq!(versions.len(), 2, "{name}");
        let new = versions
            .iter()
            .find(|r| r.effective_to.is_none())
            .expect("new version");
        assert_eq!(
            (new.effective_from, new.warning_days, new.new_starter_days),
            (d("2027-01-01"), 45, 30),
            "{name}"
        );
        assert!(
            new.source.contains("Fire safety committee"),
            "{name}: the reason is kept"
        );
        if !fire.adjustable {
            assert_eq!(
                new.kind, fire.kind,
                "{name}: a period the framework fixes is kept"
            );
        }
        assert!(
            admin
                .get("/orgs/RJ1/admin")
                .await
                .body
                .contains("From 2027-01-01"),
            "{name}: history is shown"
        );

        // Units and people: the tree with head counts, and a search.
        let rj1_people = store
            .people(&Scope::Platform, rj1.id, &lantern_store::PeopleFilter::All)
            .await
            .expect("people");
        let someone = &rj1_people[0].person;
        let res = admin
            .get(&format!("/orgs/RJ1/admin/people?q={}", someone.family_name))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        assert!(
            res.body
                .contains(&format!("/orgs/RJ1/people/{}", someone.id)),
            "{name}: found by name"
        );
        assert!(res.body.contains("people in post today"), "{name}");

        // Settings.
        let res = post(
            &mut admin,
            "/orgs/RJ1/admin/settings",
            &[("target", "abc".to_owned())],
        )
        .await;
        assert!(
            res.body.contains("Enter a target between 1 and 100"),
            "{name}"
        );
        let res = post(
            &mut admin,
            "/orgs/RJ1/admin/settings",
            &[("target", "95".to_owned())],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(
            store
                .org_by_code(&Scope::Platform, "RJ1")
                .await
                .unwrap()
                .target_percent,
            95.0,
            "{name}"
        );

        // Import: a bad file is refused whole with every problem named and a downloadable report; rows for another
        // organisation are refused; a good file is written.
        let before = store.table_counts().await.expect("counts");
        let bad = "employee_number,assignment_number,given_name,family_name,org_code,unit_code,staff_group,job_role,patient_facing,start_date\n\
                   X1,X1-1,Ada,L,RJ1,D1,Nurses,Staff nurse,Y,2021-04-01\n\
                   X2,X2-1,Ben,O,RJZ,D1,medical_dental,Consultant,Y,2021-04-01\n";
        let res = admin
            .post_upload(
                "/orgs/RJ1/admin/import",
                &[("kind", "staff")],
                ("bad.csv", bad.as_bytes()),
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            res.body
        );
        assert!(res.body.contains("bad.csv was not imported"), "{name}");
        assert!(
            res.body.contains("staff_group") && res.body.contains("Nurses"),
            "{name}: names the column and value"
        );
        assert!(
            res.body.contains("data:text/csv;base64,"),
            "{name}: the report can be downloaded"
        );
        let good_but_foreign = "employee_number,assignment_number,given_name,family_name,org_code,unit_code,staff_group,job_role,patient_facing,start_date\n\
                   X2,X2-1,Ben,O,RJZ,D1,medical_dental,Consultant,Y,2021-04-01\n";
        let res = admin
            .post_upload(
                "/orgs/RJ1/admin/import",
                &[("kind", "staff")],
                ("other.csv", good_but_foreign.as_bytes()),
            )
            .await;
        assert!(
            res.body.contains("this import is for RJ1 only"),
            "{name}: {}",
            res.body
        );
        assert_eq!(
            store.table_counts().await.expect("counts"),
            before,
            "{name}: nothing was written"
        );
        let someone = store
            .people(&Scope::Platform, rj1.id, &lantern_store::PeopleFilter::All)
            .await
            .expect("people")[0]
            .person
            .employee_number
            .clone();
        let records = format!(
            "employee_number,subject,level,completed_on,provider,provider_type\n{someone},cstf.fire_safety,1,2026-11-20,NHS e-LfH,national_elearning\n"
        );
        let res = admin
            .post_upload(
                "/orgs/RJ1/admin/import",
                &[("kind", "records")],
                ("records.csv", records.as_bytes()),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        assert!(
            res.body.contains("1 records created"),
            "{name}: {}",
            res.body
        );

        // The import page explains every column and offers a template of each kind, which imports as it is: the
        // page, the templates and the parser agree.
        let page = admin.get("/orgs/RJ1/admin/import").await;
        for kind in ["staff", "records"] {
            assert!(
                page.body
                    .contains(&format!("/orgs/RJ1/admin/import/template.csv?kind={kind}")),
                "{name}: a template of {kind}"
            );
            let t = admin
                .get(&format!("/orgs/RJ1/admin/import/template.csv?kind={kind}"))
                .await;
            assert_eq!(t.status, StatusCode::OK, "{name}");
            let mut reader = csv::Reader::from_reader(t.body.as_bytes());
            let header: Vec<String> = reader
                .headers()
                .expect("header")
                .iter()
                .map(str::to_owned)
                .collect();
            let columns = lantern_store::csv_import::CsvKind::parse(kind)
                .expect("kind")
                .columns();
            assert_eq!(
                header,
                columns.iter().map(|c| c.name).collect::<Vec<_>>(),
                "{name}"
            );
            for c in columns {
                assert!(
                    page.body.contains(&format!("<code>{}</code>", c.name)),
                    "{name}: the page explains {}",
                    c.name
                );
            }
            let example: Vec<csv::StringRecord> =
                reader.records().map(|r| r.expect("row")).collect();
            assert_eq!(example.len(), 1, "{name}: one example row");
            let res = admin
                .post_upload(
                    "/orgs/RJ1/admin/import",
                    &[("kind", kind)],
                    ("template.csv", t.body.as_bytes()),
                )
                .await;
            assert_eq!(
                res.status,
                StatusCode::OK,
                "{name}: the {kind} template imports: {}",
                res.body
            );
        }
        assert_eq!(
            admin
                .get("/orgs/RJ1/admin/import/template.csv?kind=rotas")
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{name}"
        );

        // Someone who also works for another organisation cannot be renamed by this organisation's upload.
        let rj1_people = store
            .people(&Scope::Platform, rj1.id, &lantern_store::PeopleFilter::All)
            .await
            .expect("people");
        let mut shared = None;
        for o in store.list_orgs(&Scope::Platform).await.expect("orgs") {
            if o.org.id == rj1.id {
                continue;
            }
            let theirs = store
                .people(
                    &Scope::Platform,
                    o.org.id,
                    &lantern_store::PeopleFilter::All,
                )
                .await
                .expect("people");
            if let Some(p) = rj1_people
                .iter()
                .find(|p| theirs.iter().any(|t| t.person.id == p.person.id))
            {
                shared = Some(p.clone());
                break;
            }
        }
        let shared = shared.expect("the demo has doctors who rotate between trusts");
        let their_post = &shared.posts[0];
        let unit = ctx
            .units
            .iter()
            .find(|u| u.id == their_post.unit_id)
            .expect("unit");
        let rename = format!(
            "employee_number,assignment_number,given_name,family_name,org_code,unit_code,staff_group,job_role,patient_facing,start_date\n\
             {},{},{},Renamed,RJ1,{},{},{},{},{}\n",
            shared.person.employee_number,
            their_post.assignment_number,
            shared.person.given_name,
            unit.code,
            their_post.staff_group.code(),
            their_post.job_role,
            if their_post.patient_facing { "Y" } else { "N" },
            their_post.start
        );
        let res = admin
            .post_upload(
                "/orgs/RJ1/admin/import",
                &[("kind", "staff")],
                ("rename.csv", rename.as_bytes()),
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            res.body
        );
        assert!(
            res.body.contains("also works for another organisation"),
            "{name}"
        );

        // Accounts: invite a manager; nothing exists until they accept from the emailed link by choosing a
        // password, which creates the account with the role and signs them in.
        let res = post(
            &mut admin,
            "/orgs/RJ1/admin/users",
            &[
                ("name", "Ward Lead".to_owned()),
                ("email", "ward.lead@nhs.example".to_owned()),
                ("role", "manager".to_owned()),
                ("unit", "D1".to_owned()),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert!(
            store
                .account_by_email("ward.lead@nhs.example")
                .await
                .unwrap()
                .is_none(),
            "{name}: no account until the invitation is accepted"
        );
        crate::deliver(&state).await;
        let mails = std::fs::read_dir(outbox.path()).expect("outbox").count();
        assert_eq!(mails, 1, "{name}");
        let link = crate::accounts::emailed_link(
            &state,
            outbox.path(),
            "ward.lead@nhs.example",
            "/invitations/",
        )
        .await;
        let mut invitee = Client::new(&app);
        let res = invitee.get(&link).await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        assert!(
            res.body.contains("Set up your Lantern account"),
            "{name}: {}",
            res.body
        );
        let res = invitee
            .post_form(
                &link,
                &[
                    ("action", "accept"),
                    ("password", "ward lead passphrase"),
                    ("confirm", "ward lead passphrase"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(
            invitee.get("/team").await.status,
            StatusCode::OK,
            "{name}: signed in as the manager"
        );
        let account = store
            .account_by_email("ward.lead@nhs.example")
            .await
            .unwrap()
            .expect("created on acceptance");
        // The same person, now one of RJ1's accounts, given a second role: it is theirs at once; then removed.
        let res = post(
            &mut admin,
            "/orgs/RJ1/admin/users",
            &[
                ("name", "Again".to_owned()),
                ("email", "Ward.Lead@nhs.example".to_owned()),
                ("role", "auditor".to_owned()),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert!(
            res.location().contains("given%20to") || res.location().contains("given+to"),
            "{name}: {}",
            res.location()
        );
        assert_eq!(
            store.grants(account.id).await.expect("grants").len(),
            2,
            "{name}"
        );
        let remove = format!("/orgs/RJ1/admin/users/{}/grants/remove", account.id);
        let res = post(&mut admin, &remove, &[("role", "auditor".to_owned())]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(
            store.grants(account.id).await.expect("grants").len(),
            1,
            "{name}"
        );
        assert_eq!(
            post(&mut admin, &remove, &[("role", "auditor".to_owned())])
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{name}"
        );
        let me = store
            .account_by_email(ADMIN.0)
            .await
            .unwrap()
            .expect("admin");
        let res = post(
            &mut admin,
            &format!("/orgs/RJ1/admin/users/{}/grants/remove", me.id),
            &[("role", "org_admin".to_owned())],
        )
        .await;
        assert_eq!(
            res.status,
            StatusCode::BAD_REQUEST,
            "{name}: not your own admin role"
        );
        let res = post(
            &mut admin,
            "/orgs/RJ1/admin/users",
            &[
                ("name", "Someone Else".to_owned()),
                ("email", "someone.else@nhs.example".to_owned()),
                ("role", "learner".to_owned()),
                ("employee_number", "NOT-HERE-1".to_owned()),
            ],
        )
        .await;
        assert!(
            res.body.contains("has a post at"),
            "{name}: only this organisation's staff can be linked"
        );
        let list = admin.get("/orgs/RJ1/admin/users").await;
        assert!(
            list.body.contains("Manager of") && list.body.contains("ward.lead@nhs.example"),
            "{name}"
        );
        // A leaver's account is disabled: they cannot sign in and their sessions end.
        let manager = store
            .account_by_email("manager@demo.lantern.test")
            .await
            .unwrap()
            .expect("manager");
        let mut signed_in =
            Client::signed_in(&app, "manager@demo.lantern.test", "manager-demo-password").await;
        assert_eq!(
            signed_in.get("/team").await.status,
            StatusCode::OK,
            "{name}"
        );
        let res = post(
            &mut admin,
            &format!("/orgs/RJ1/admin/users/{}/access", manager.id),
            &[("action", "disable".to_owned())],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(
            signed_in.get("/team").await.status,
            StatusCode::SEE_OTHER,
            "{name}: the session ended"
        );
        let mut again = Client::new(&app);
        assert_eq!(
            again
                .sign_in("manager@demo.lantern.test", "manager-demo-password")
                .await
                .status,
            StatusCode::UNAUTHORIZED,
            "{name}"
        );
        let res = post(
            &mut admin,
            &format!("/orgs/RJ1/admin/users/{}/access", me.id),
            &[("action", "disable".to_owned())],
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: not yourself");
        post(
            &mut admin,
            &format!("/orgs/RJ1/admin/users/{}/access", manager.id),
            &[("action", "enable".to_owned())],
        )
        .await;
        assert_eq!(
            again
                .sign_in("manager@demo.lantern.test", "manager-demo-password")
                .await
                .status,
            StatusCode::SEE_OTHER,
            "{name}"
        );

        let res = post(
            &mut admin,
            &format!("/orgs/RJ1/admin/users/{}/reset", account.id),
            &[],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        crate::deliver(&state).await;
        assert_eq!(
            std::fs::read_dir(outbox.path()).expect("outbox").count(),
            2,
            "{name}: a reset link was sent"
        );
        let reset = crate::accounts::emailed_link(
            &state,
            outbox.path(),
            "ward.lead@nhs.example",
            "/password-reset/",
        )
        .await;
        assert_eq!(
            Client::new(&app).get(&reset).await.status,
            StatusCode::OK,
            "{name}"
        );
    }
}

async fn post(c: &mut Client, uri: &str, fields: &[(&str, String)]) -> crate::web::Response {
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post_form(uri, &f, None).await
}
