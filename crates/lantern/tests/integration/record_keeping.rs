//! Keeping records by hand, on every backend: an L&D admin adds a training record with its certificate (the file
//! comes back only as a download of the type recognised), corrects it (the old record stays, marked, with the
//! reason) and withdraws it, each changing the person's status at once; bad input names its field and writes
//! nothing. Exemptions for a person and for a group carry a reason, an end date and the approver into the
//! explanation, are shown before a group grant is made, and end early without losing the grant.

use crate::auth::{ADMIN, AUDITOR, LEARNER, MANAGER, world};
use crate::backends;
use crate::test_auth;
use crate::web::Client;
use axum::http::StatusCode;
use serde_json::Value;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

/// Someone in the manager's ward with something overdue, and that requirement (subject, level).
async fn overdue_person(app: &axum::Router) -> (i64, String, u64) {
    let mut manager = Client::signed_in(app, MANAGER.0, MANAGER.1).await;
    let team = manager.get("/api/v1/team?status=overdue").await.json();
    for p in team["people"].as_array().expect("people") {
        let person = p["person_id"].as_i64().unwrap();
        let reqs = requirements(&mut manager, person).await;
        if let Some(r) = reqs
            .iter()
            .find(|r| matches!(r["status"].as_str(), Some("missing" | "expired")))
        {
            return (
                person,
                r["subject"].as_str().unwrap().to_owned(),
                r["level"].as_u64().unwrap(),
            );
        }
    }
    panic!("nobody in the ward has such a requirement overdue")
}

/// The person's requirements as the API explains them.
async fn requirements(c: &mut Client, person: i64) -> Vec<Value> {
    let res = c
        .get(&format!(
            "/api/v1/organisations/RJ1/people/{person}/compliance"
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.json()["requirements"]
        .as_array()
        .expect("requirements")
        .clone()
}

async fn records(c: &mut Client, person: i64) -> Vec<Value> {
    let res = c
        .get(&format!(
            "/api/v1/organisations/RJ1/people/{person}/compliance"
        ))
        .await;
    res.json()["records"].as_array().expect("records").clone()
}

fn status_of(reqs: &[Value], subject: &str, level: u64) -> String {
    reqs.iter()
        .find(|r| r["subject"] == subject && r["level"] == level)
        .map(|r| r["status"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{subject} level {level} applies"))
}

#[tokio::test]
async fn an_admin_adds_corrects_and_withdraws_a_record_with_its_evidence() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let (person, subject, level) = overdue_person(&app).await;
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let before = requirements(&mut admin, person).await;
        let requirement = format!("{subject}:{level}");
        let held = records(&mut admin, person).await.len();
        let today = chrono::Utc::now().date_naive();
        let recent = (today - chrono::Days::new(10)).to_string();
        let new = format!("/orgs/RJ1/people/{person}/records/new");

        let page = admin.get(&new).await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert!(
            page.body.contains(&format!("value=\"{requirement}\"")),
            "{name}: the requirement is offered"
        );

        // Bad input: every field named, nothing written.
        let tomorrow = (today + chrono::Days::new(1)).to_string();
        let res = admin
            .post_upload(
                &new,
                &[
                    ("requirement", &requirement),
                    ("completed_on", &tomorrow),
                    ("hours", "999"),
                    ("source", "classroom"),
                    ("provider", "other"),
                    ("provider_name", ""),
                    ("provider_type", "nhs_trust"),
                ],
                (
                    "certificate.html",
                    b"<html><script>alert(1)</script></html>",
                ),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        for message in [
            "must be a PDF, PNG or JPEG",
            "Hours must be more than 0 and at most 200",
        ] {
            assert!(res.body.contains(message), "{name}: {message}");
        }
        let res = admin
            .post_upload(
                &new,
                &[
                    ("requirement", &requirement),
                    ("completed_on", &tomorrow),
                    ("source", "classroom"),
                    ("provider", "other"),
                    ("provider_name", ""),
                    ("provider_type", "nhs_trust"),
                ],
                ("certificate.pdf", PDF),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        for message in ["must be today", "Enter who provided the training"] {
            assert!(res.body.contains(message), "{name}: {message}");
        }
        assert_eq!(
            records(&mut admin, person).await.len(),
            held,
            "{name}: nothing written"
        );

        // A manager and the learner may not add records; the auditor neither.
        for (who, login) in [
            ("manager", MANAGER),
            ("learner", LEARNER),
            ("auditor", AUDITOR),
        ] {
            let mut c = Client::signed_in(&app, login.0, login.1).await;
            assert_eq!(
                c.get(&new).await.status,
                StatusCode::FORBIDDEN,
                "{name}: {who}"
            );
        }

        // The record, with its certificate: the requirement is met at once.
        let fields = [
            ("requirement", requirement.as_str()),
            ("completed_on", recent.as_str()),
            ("hours", "40"),
            ("source", "classroom"),
            ("provider", "own"),
        ];
        let res = admin
            .post_upload(&new, &fields, ("certificate.pdf", PDF))
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(
            res.location(),
            format!("/orgs/RJ1/people/{person}?saved=record-added#records"),
            "{name}"
        );
        let after = requirements(&mut admin, person).await;
        assert_eq!(status_of(&after, &subject, level), "compliant", "{name}");
        let all = records(&mut admin, person).await;
        let added = all
            .iter()
            .find(|r| r["completed_on"] == recent.as_str() && r["superseded"].is_null())
            .expect("the new record");
        let record = added["id"].as_i64().unwrap();
        assert!(
            added["evidence_ref"]
                .as_str()
                .unwrap()
                .starts_with("Entered in Lantern with evidence certificate.pdf"),
            "{name}: {added}"
        );
        let page = admin.get(res.location()).await;
        assert!(page.body.contains("The training record is added"), "{name}");
        assert!(page.body.contains("Entered by"), "{name}");

        // The certificate comes back as it went in, as a download, to whoever may see the person.
        let mut manager = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        for c in [&mut admin, &mut manager] {
            let file = c
                .get(&format!(
                    "/orgs/RJ1/people/{person}/records/{record}/evidence"
                ))
                .await;
            assert_eq!(file.status, StatusCode::OK, "{name}");
            assert_eq!(file.body.as_bytes(), PDF, "{name}");
            assert_eq!(file.headers["content-type"], "application/pdf", "{name}");
            assert_eq!(
                file.headers["content-disposition"],
                format!("attachment; filename=\"record-{record}.pdf\"").as_str(),
                "{name}"
            );
            assert_eq!(
                file.headers["content-security-policy"], "default-src 'none'; sandbox",
                "{name}"
            );
        }

        // The same record again is refused: it is held already.
        let res = admin
            .post_upload(&new, &fields, ("certificate.pdf", PDF))
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(res.body.contains("already holds this record"), "{name}");

        // A correction: the reason is required; then the new record takes the old one's place.
        let correct = format!("/orgs/RJ1/people/{person}/records/{record}/correct");
        let page = admin.get(&correct).await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert!(
            page.body.contains(&format!("value=\"{recent}\"")),
            "{name}: prefilled"
        );
        let long_ago = (today - chrono::Days::new(3 * 366 + 30)).to_string();
        let corrected = [
            ("requirement", requirement.as_str()),
            ("completed_on", long_ago.as_str()),
            ("hours", "40"),
            ("source", "classroom"),
            ("provider", "own"),
            ("reason", ""),
        ];
        let res = admin.post_upload(&correct, &corrected, ("", b"")).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(res.body.contains("Say why, in a few words"), "{name}");
        let mut corrected = corrected;
        corrected[5].1 = "Wrong year typed: the certificate says three years ago";
        let res = admin.post_upload(&correct, &corrected, ("", b"")).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let all = records(&mut admin, person).await;
        let old = all.iter().find(|r| r["id"] == record).expect("kept");
        assert_eq!(
            old["superseded"], "Wrong year typed: the certificate says three years ago",
            "{name}: the old record stays, marked"
        );
        let replacement = all
            .iter()
            .find(|r| r["completed_on"] == long_ago.as_str())
            .expect("the correction")["id"]
            .as_i64()
            .unwrap();
        let after = requirements(&mut admin, person).await;
        assert_ne!(
            status_of(&after, &subject, level),
            "compliant",
            "{name}: three years old"
        );
        // The corrected record cannot be corrected again.
        assert_eq!(
            admin.get(&correct).await.status,
            StatusCode::BAD_REQUEST,
            "{name}"
        );

        // Withdrawn: it stops counting, and says why.
        let withdraw = format!("/orgs/RJ1/people/{person}/records/{replacement}/withdraw");
        let res = admin
            .post_form(&withdraw, &[("withdraw_reason", "")], None)
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        let res = admin
            .post_form(
                &withdraw,
                &[("withdraw_reason", "Entered for the wrong person")],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        let all = records(&mut admin, person).await;
        assert_eq!(all.len(), held + 2, "{name}: nothing deleted");
        assert_eq!(
            all.iter().find(|r| r["id"] == replacement).unwrap()["superseded"],
            "Entered for the wrong person",
            "{name}"
        );
        let after = requirements(&mut admin, person).await;
        assert_eq!(
            status_of(&after, &subject, level),
            status_of(&before, &subject, level),
            "{name}: back to where it was"
        );
    }
}

#[tokio::test]
async fn exemptions_carry_their_reason_end_and_approver_for_a_person_and_a_group() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let (person, subject, level) = overdue_person(&app).await;
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let before = requirements(&mut admin, person).await;
        let today = chrono::Utc::now().date_naive();
        let from = today.to_string();
        let until = (today + chrono::Days::new(180)).to_string();
        let new = format!("/orgs/RJ1/people/{person}/exemptions/new");

        // Each missing part named.
        let res = admin
            .post_form(
                &new,
                &[
                    ("subject", &subject),
                    ("from", &from),
                    ("until", ""),
                    ("reason", "Maternity leave"),
                    ("approved_by", ""),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        for message in [
            "Enter the last day the exemption covers",
            "Enter who approved the exemption",
        ] {
            assert!(res.body.contains(message), "{name}: {message}");
        }
        let res = admin
            .post_form(
                &new,
                &[
                    ("subject", &subject),
                    ("from", &from),
                    ("until", &until),
                    ("reason", "Maternity leave"),
                    ("approved_by", "Jo Bloggs, Ward Manager"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let reqs = requirements(&mut admin, person).await;
        let r = reqs
            .iter()
            .find(|r| r["subject"] == subject.as_str() && r["level"] == level)
            .unwrap();
        assert_eq!(r["status"], "exempt", "{name}");
        assert_eq!(r["due_on"], until.as_str(), "{name}");
        let summary = r["explanation"]["summary"].as_str().unwrap();
        assert!(
            summary.contains("Maternity leave")
                && summary.ends_with("Approved by Jo Bloggs, Ward Manager."),
            "{name}: {summary}"
        );
        let page = admin.get(res.location()).await;
        assert!(page.body.contains("The exemption is granted"), "{name}");
        let id = page
            .body
            .split(&format!("/orgs/RJ1/people/{person}/exemptions/"))
            .skip(1)
            .find_map(|s| {
                s.split_once("/end")
                    .and_then(|(id, _)| id.parse::<i64>().ok())
            })
            .expect("an end link");

        // Ended early: not later than it ends; the day before it starts means it never applied.
        let end = format!("/orgs/RJ1/people/{person}/exemptions/{id}/end");
        assert_eq!(admin.get(&end).await.status, StatusCode::OK, "{name}");
        let res = admin
            .post_form(
                &end,
                &[("last_day", &until), ("reason", "Back early")],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body.contains("grant a new exemption to extend it"),
            "{name}"
        );
        let day_before = (today - chrono::Days::new(1)).to_string();
        let res = admin
            .post_form(
                &end,
                &[("last_day", &day_before), ("reason", "Granted in error")],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let reqs = requirements(&mut admin, person).await;
        assert_eq!(
            status_of(&reqs, &subject, level),
            status_of(&before, &subject, level),
            "{name}: no longer exempt"
        );
        let res = admin
            .post_form(
                &end,
                &[("last_day", &day_before), ("reason", "Again")],
                None,
            )
            .await;
        assert!(res.body.contains("ended already"), "{name}");

        // A group: the manager's ward, shown before it is granted; a changed field shows the group again.
        let mut manager = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        let unit = manager.get("/api/v1/team").await.json()["unit_id"]
            .as_i64()
            .expect("a unit")
            .to_string();
        let group = |reason: &'static str, previewed: String| {
            vec![
                ("unit", unit.clone()),
                ("staff_group", String::new()),
                ("subject", subject.clone()),
                ("from", from.clone()),
                ("until", until.clone()),
                ("reason", reason.to_owned()),
                ("approved_by", "Sam Okafor, Chief Nurse".to_owned()),
                ("previewed", previewed),
            ]
        };
        let res = admin
            .post_form(
                "/orgs/RJ1/admin/exemptions",
                &pairs(&group("Ward closed for refurbishment", String::new())),
                None,
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "{name}: a preview, nothing granted"
        );
        let n: usize = res
            .body
            .split("Grant to these ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .expect("a count");
        assert!(n >= 2, "{name}: {n}");
        let previewed = res
            .body
            .split("name=\"previewed\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("the preview's fingerprint")
            .to_owned();
        let res = admin
            .post_form(
                "/orgs/RJ1/admin/exemptions",
                &pairs(&group("Ward closed", previewed.clone())),
                None,
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "{name}: changed terms are shown again"
        );
        let res = admin
            .post_form(
                "/orgs/RJ1/admin/exemptions",
                &pairs(&group("Ward closed for refurbishment", previewed)),
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(
            res.location(),
            format!("/orgs/RJ1/admin/exemptions?saved={n}"),
            "{name}"
        );

        // Everyone in the ward is exempt, with the approver in their explanation.
        let team = manager.get("/api/v1/team").await.json();
        let people: Vec<i64> = team["people"]
            .as_array()
            .expect("people")
            .iter()
            .map(|p| p["person_id"].as_i64().unwrap())
            .collect();
        assert_eq!(people.len(), n, "{name}: one each");
        for p in people {
            for r in requirements(&mut admin, p)
                .await
                .iter()
                .filter(|r| r["subject"] == subject.as_str())
            {
                assert_eq!(r["status"], "exempt", "{name}: person {p}");
                assert!(
                    r["explanation"]["summary"]
                        .as_str()
                        .unwrap()
                        .ends_with("Approved by Sam Okafor, Chief Nurse."),
                    "{name}"
                );
            }
        }
        let page = admin.get("/orgs/RJ1/admin/exemptions").await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert_eq!(
            page.body.matches("Sam Okafor, Chief Nurse").count(),
            n,
            "{name}: listed"
        );
        let mut auditor = Client::signed_in(&app, AUDITOR.0, AUDITOR.1).await;
        assert_eq!(
            auditor.get("/orgs/RJ1/admin/exemptions").await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
    }
}

fn pairs<'a>(f: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    f.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn an_organisations_own_requirement_applies_to_the_unit_it_names_and_is_met_like_any_other() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let mut manager = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        let team = manager.get("/api/v1/team").await.json();
        let unit = team["unit_id"].as_i64().expect("a unit");
        let ward: Vec<i64> = team["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["person_id"].as_i64().unwrap())
            .collect();
        let today = chrono::Utc::now().date_naive().to_string();
        let page = "/orgs/RJ1/admin/local-requirements";
        assert_eq!(admin.get(page).await.status, StatusCode::OK, "{name}");
        assert_eq!(
            manager.get(page).await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );

        // Mistakes named; nothing made.
        let yesterday = (chrono::Utc::now().date_naive() - chrono::Days::new(1)).to_string();
        let res = admin
            .post_form(
                page,
                &[
                    ("title", "x"),
                    ("refresher_months", "0"),
                    ("effective_from", &yesterday),
                    ("reason", ""),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        for message in [
            "3 to 120 characters",
            "Enter how often it is renewed",
            "A new requirement takes effect today",
            "Say why the organisation asks for it",
        ] {
            assert!(res.body.contains(message), "{name}: {message}");
        }

        // Shown first: whom it makes due. Then added.
        let unit = unit.to_string();
        let fields = [
            ("title", "Medical Devices (Ward)"),
            ("refresher_months", "12"),
            ("staff_group", ""),
            ("job_roles", ""),
            ("specialties", ""),
            ("unit", unit.as_str()),
            ("effective_from", today.as_str()),
            ("transition_until", ""),
            ("reason", "Agreed by the Medical Devices Committee"),
        ];
        let res = admin.post_form(page, &fields, None).await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        assert!(res.body.contains("Nothing has been saved yet"), "{name}");
        assert!(res.body.contains("Add this requirement"), "{name}");
        let mut confirmed = fields.to_vec();
        confirmed.push(("confirm", "yes"));
        let res = admin.post_form(page, &confirmed, None).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert!(
            res.location()
                .starts_with("/orgs/RJ1/admin?saved=Medical+Devices"),
            "{name}"
        );
        let res = admin.post_form(page, &confirmed, None).await;
        assert!(
            res.body.contains("is already a requirement here"),
            "{name}: once"
        );
        assert!(
            admin
                .get("/orgs/RJ1/admin")
                .await
                .body
                .contains("Medical Devices (Ward)"),
            "{name}: on the rules page"
        );

        // Everyone in the ward has it to do, with its reason as its source; someone elsewhere does not.
        let subject = "local.rj1.medical_devices_ward";
        for p in &ward {
            let reqs = requirements(&mut admin, *p).await;
            let r = reqs
                .iter()
                .find(|r| r["subject"] == subject)
                .unwrap_or_else(|| panic!("{name}: person {p} has it"));
            assert_eq!(r["status"], "missing", "{name}");
            assert!(
                r["explanation"]["rule"]["source"]
                    .as_str()
                    .unwrap()
                    .contains("Agreed by the Medical Devices Committee"),
                "{name}: {r}"
            );
        }
        let rj1 = store
            .org_by_code(&lantern_store::Scope::Platform, "RJ1")
            .await
            .unwrap();
        let elsewhere = store
            .people(
                &lantern_store::Scope::Platform,
                rj1.id,
                &lantern_store::PeopleFilter::All,
            )
            .await
            .unwrap()
            .into_iter()
            .find(|p| !ward.contains(&p.person.id.0) && p.posts.iter().any(|x| x.end.is_none()))
            .expect("someone elsewhere")
            .person
            .id
            .0;
        let reqs = requirements(&mut admin, elsewhere).await;
        // Units within the ward count too; someone outside it and them is not asked.
        let within = reqs.iter().any(|r| r["subject"] == subject);
        let team_of_elsewhere = store
            .person(
                &lantern_store::Scope::Platform,
                rj1.id,
                lantern_domain::PersonId(elsewhere),
            )
            .await
            .unwrap()
            .posts
            .iter()
            .any(|x| x.unit_id.0.to_string() == unit);
        assert_eq!(within, team_of_elsewhere, "{name}");

        // A record entered by hand meets it.
        let person = ward[0];
        let res = admin
            .post_upload(
                &format!("/orgs/RJ1/people/{person}/records/new"),
                &[
                    ("requirement", &format!("{subject}:1")),
                    ("completed_on", &today),
                    ("source", "classroom"),
                    ("provider", "own"),
                ],
                ("", b""),
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(
            status_of(&requirements(&mut admin, person).await, subject, 1),
            "compliant",
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_learner_with_a_requirement_and_no_course_here_is_shown_where_to_do_it() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        // The demo world points the Oliver McGowan training (no course here) to the national e-learning; removed
        // here, so this test sets a link itself.
        let demo = admin.get("/orgs/RJ1/admin/how-to-complete").await;
        assert!(
            demo.body
                .contains("https://www.e-lfh.org.uk/programmes/the-oliver-mcgowan"),
            "{name}"
        );
        let res = admin
            .post_form(
                "/orgs/RJ1/admin/how-to-complete",
                &[
                    ("subject", "omt.learning_disability_autism"),
                    ("remove", "yes"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        let page = admin.get("/orgs/RJ1/admin/how-to-complete").await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert!(
            page.body.contains("No course or link"),
            "{name}: the gaps show"
        );
        let mut learner = Client::signed_in(&app, LEARNER.0, LEARNER.1).await;
        assert_eq!(
            learner.get("/orgs/RJ1/admin/how-to-complete").await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );

        // The learner's records of a requirement with no course here are withdrawn, so it is to do.
        let person = store
            .account_by_email(LEARNER.0)
            .await
            .unwrap()
            .unwrap()
            .person_id
            .unwrap()
            .0;
        let reqs = requirements(&mut admin, person).await;
        let uncovered: Vec<(String, String)> = page
            .body
            .split("<option value=\"")
            .skip(1)
            .filter_map(|s| s.split_once("\">"))
            .map(|(subject, rest)| {
                (
                    subject.to_owned(),
                    rest.split('<').next().unwrap().to_owned(),
                )
            })
            .collect();
        let (subject, title) = uncovered
            .iter()
            .find(|(subject, title)| {
                reqs.iter().any(|r| r["subject"] == subject.as_str())
                    && page
                        .body
                        .split(&format!(">{title}</td>"))
                        .nth(1)
                        .and_then(|rest| rest.split("</tr>").next())
                        .is_some_and(|row| row.contains("None</td>"))
            })
            .cloned()
            .expect("one of the learner's requirements has no course here");
        for r in records(&mut admin, person).await {
            if r["title"] == title.as_str() && r["superseded"].is_null() {
                let res = admin
                    .post_form(
                        &format!("/orgs/RJ1/people/{person}/records/{}/withdraw", r["id"]),
                        &[("withdraw_reason", "Entered for the wrong person")],
                        None,
                    )
                    .await;
                assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
            }
        }

        // Only a full https address, with a label.
        let page = "/orgs/RJ1/admin/how-to-complete";
        let res = admin
            .post_form(
                page,
                &[
                    ("subject", &subject),
                    ("url", "javascript:alert(1)"),
                    ("label", "x"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(res.body.contains("Enter the full address"), "{name}");
        assert!(res.body.contains("Say what the link opens"), "{name}");
        let url = "https://portal.e-lfh.org.uk/Component/Details/391129";
        let res = admin
            .post_form(
                page,
                &[
                    ("subject", &subject),
                    ("url", url),
                    ("label", "The national e-learning course"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let after = requirements(&mut admin, person).await;
        let status = after
            .iter()
            .find(|r| r["subject"] == subject.as_str())
            .map(|r| r["status"].as_str().unwrap().to_owned())
            .expect("it applies");
        let me = learner.get("/me").await;
        assert!(
            !matches!(status.as_str(), "compliant" | "expiring" | "exempt"),
            "{name}: to do: {status}"
        );
        assert!(
            me.body.contains(&format!(
                "<a href=\"{url}\" rel=\"noopener noreferrer\">How to complete it: The national e-learning course</a>"
            )),
            "{name}: shown beside {title}"
        );
        // And on their page, for the admin and their manager.
        let theirs = admin.get(&format!("/orgs/RJ1/people/{person}")).await;
        assert!(
            theirs.body.contains(&format!(
                "<dt class=\"nhsuk-summary-list__key\">How to complete it</dt><dd class=\"nhsuk-summary-list__value\"><a href=\"{url}\" rel=\"noopener noreferrer\">The national e-learning course</a>"
            )),
            "{name}: on the person page"
        );
        let res = admin
            .post_form(page, &[("subject", &subject), ("remove", "yes")], None)
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        assert!(
            !learner.get("/me").await.body.contains(url),
            "{name}: removed"
        );
    }
}
