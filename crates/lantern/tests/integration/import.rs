//! CSV import: precise errors, all-or-nothing, idempotent.

use crate::backends;
use lantern_store::csv_import::{CsvKind as ImportKind, parse};

const NO_PROGRESS: &dyn Fn(u64) = &|_| {};

const STAFF: &str = "\
employee_number,assignment_number,given_name,family_name,email,org_code,unit_code,unit_name,unit_kind,parent_unit_code,staff_group,job_role,band,specialty,patient_facing,start_date,end_date,registration_body,registration_number
10000001,10000001-1,Ada,Lovelace,ada@nhs.example,RJ1,MED,Medicine,directorate,,Nursing and Midwifery Registered,Staff nurse,5,Cardiology,Y,2021-04-01,,NMC,12A3456
10000002,10000002-1,Ben,Okafor,,RJ1,W1,Ward 1,ward,MED,medical_dental,Consultant,,Cardiology,yes,01/09/2019,,GMC,7012345
10000002,10000002-2,Ben,Okafor,,RJ1,W2,Ward 2,ward,MED,medical_dental,Consultant,,Cardiology,yes,01/09/2019,,,
";

const RECORDS: &str = "\
employee_number,subject,level,completed_on,hours,provider,provider_type,provider_org_code,source,evidence_ref
10000001,cstf.fire_safety,1,2025-03-01,,NHS England e-LfH,national_elearning,,elearning,CERT-1
10000002,cstf.safeguarding_adults,3,2024-05-10,4,RJ1 safeguarding team,nhs_trust,RJ1,classroom,
";

fn org_batch() -> lantern_store::WriteBatch {
    let mut b = lantern_store::WriteBatch::default();
    b.orgs.push(lantern_store::OrgRow {
        ods_code: "RJ1".into(),
        name: "Guy's and St Thomas'".into(),
        org_type: lantern_domain::OrgType::NhsTrust,
        target_percent: 90.0,
    });
    b
}

#[test]
fn a_bad_staff_file_gets_every_row_column_and_reason() {
    let bad = "\
employee_number,assignment_number,given_name,family_name,org_code,unit_code,staff_group,job_role,patient_facing,start_date,end_date,email
1,1-1,Ada,L,RJ1,W1,Nurses,Staff nurse,Y,2021-04-01,,ada@nhs.net
2,2-1,,Okafor,RJ1,W1,medical_dental,Consultant,maybe,2021-13-01,,
3,3-1,Cal,Smith,RJ1,W1,medical_dental,Consultant,N,2024-01-01,2023-01-01,not-an-email
";
    let problems = parse(ImportKind::Staff, bad.as_bytes(), NO_PROGRESS).expect_err("bad file");
    let found: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.line, p.field.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (2, "staff_group"),
            (3, "given_name"),
            (3, "patient_facing"),
            (3, "start_date"),
            (4, "email"),
            (4, "end_date")
        ],
        "{problems:#?}"
    );
    assert!(
        problems[0].message.contains("nursing_midwifery_registered"),
        "the message lists the allowed values"
    );
}

#[test]
fn a_malformed_subject_is_named_with_its_row_and_column() {
    let bad = RECORDS.replace("cstf.safeguarding_adults", "Safeguarding Adults");
    let problems =
        parse(ImportKind::Records, bad.as_bytes(), NO_PROGRESS).expect_err("bad subject");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(
        (problems[0].line, problems[0].field.as_str()),
        (3, "subject")
    );
    assert!(
        problems[0]
            .message
            .contains("\"Safeguarding Adults\" is not a competency subject"),
        "{}",
        problems[0].message
    );
}

#[test]
fn missing_and_unknown_columns_are_named() {
    let problems = parse(
        ImportKind::Records,
        b"employee_number,subject,when\n1,x,2020-01-01\n",
        NO_PROGRESS,
    )
    .expect_err("bad header");
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    for f in ["level", "completed_on", "provider", "provider_type", "when"] {
        assert!(fields.contains(&f), "{f} not reported: {fields:?}");
    }
    assert!(problems.iter().all(|p| p.line == 1));
}

#[tokio::test]
async fn import_is_all_or_nothing_and_idempotent() {
    for (name, store, _dir) in backends().await {
        let store = store.as_ref();
        store.write(&org_batch()).await.expect("org");
        let staff =
            parse(ImportKind::Staff, STAFF.as_bytes(), NO_PROGRESS).expect("good staff file");
        let first = store.write(&staff).await.expect("import staff");
        assert_eq!(
            (
                first.people_created,
                first.posts_created,
                first.units_written
            ),
            (2, 3, 3),
            "{name}"
        );
        let again = store.write(&staff).await.expect("re-import");
        assert_eq!(
            (
                again.people_created,
                again.people_updated,
                again.posts_created,
                again.posts_updated
            ),
            (0, 0, 0, 0),
            "{name}"
        );

        let records =
            parse(ImportKind::Records, RECORDS.as_bytes(), NO_PROGRESS).expect("good records");
        assert_eq!(
            store
                .write(&records)
                .await
                .expect("records")
                .records_created,
            2,
            "{name}"
        );
        assert_eq!(
            store
                .write(&records)
                .await
                .expect("records again")
                .records_created,
            0,
            "{name}"
        );

        // A records file whose last row names an unknown person: nothing from it is written.
        let before = store.table_counts().await.expect("counts");
        let bad = format!(
            "{RECORDS}10000001,cstf.fire_safety,1,2025-04-01,,e-LfH,national_elearning,,,\n99999999,cstf.fire_safety,1,2025-03-01,,e-LfH,national_elearning,,,\n"
        );
        let batch = parse(ImportKind::Records, bad.as_bytes(), NO_PROGRESS).expect("well-formed");
        let Err(lantern_store::StoreError::Rejected(problems)) = store.write(&batch).await else {
            panic!("{name}: accepted")
        };
        assert_eq!(problems.len(), 1, "{name}: {problems:?}");
        assert_eq!(
            (problems[0].line, problems[0].field.as_str()),
            (5, "employee_number"),
            "{name}"
        );
        assert_eq!(
            store.table_counts().await.expect("counts"),
            before,
            "{name}: nothing written"
        );
    }
}

/// An organisation's import cannot reach a person who is only another employer's: an employee number is the
/// employer's own, so the same number with the same name and email becomes a person of the importing
/// organisation, the other employer's person (posts, records, registration) is untouched and unseen, and the
/// answer is the same as for a number nobody has.
#[tokio::test]
async fn a_staff_import_cannot_reach_or_reveal_another_employers_staff() {
    use crate::auth::{ADMIN, world};
    use crate::web::Client;
    use axum::http::StatusCode;
    use lantern_store::{PeopleFilter, Scope};
    for (name, store, _dir) in backends().await {
        let foreign_ods = world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(
            store.clone(),
            crate::test_auth(),
        ));
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        let foreign = store
            .org_by_code(&Scope::Platform, &foreign_ods)
            .await
            .expect("org");
        let rj1_ids: std::collections::HashSet<_> = store
            .person_ids(&Scope::Platform, rj1.id)
            .await
            .expect("ids")
            .into_iter()
            .collect();
        let theirs = store
            .people(&Scope::Platform, foreign.id, &PeopleFilter::All)
            .await
            .expect("people")
            .into_iter()
            .find(|p| !rj1_ids.contains(&p.person.id) && !p.records.is_empty())
            .expect("someone who works only for the other organisation and has records");
        let before = store
            .person(&Scope::Platform, foreign.id, theirs.person.id)
            .await
            .expect("their person");
        let unit = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("ctx")
            .units[0]
            .code
            .clone();
        let row = |number: &str, given: &str, family: &str, email: &str| {
            format!(
                "employee_number,assignment_number,given_name,family_name,email,org_code,unit_code,staff_group,job_role,patient_facing,start_date,registration_body,registration_number\n\
                 {number},RJ1-{number}-1,{given},{family},{email},RJ1,{unit},Nursing and Midwifery Registered,Staff nurse,Y,2026-01-05,NMC,99Z9999\n"
            )
        };
        let p = &theirs.person;
        let theirs_csv = row(
            &p.employee_number,
            &p.given_name,
            &p.family_name,
            p.email.as_deref().unwrap_or(""),
        );
        let fresh_csv = row(
            "NEVER-USED-1",
            &p.given_name,
            &p.family_name,
            p.email.as_deref().unwrap_or(""),
        );
        let res_theirs = admin
            .post_upload(
                "/orgs/RJ1/admin/import",
                &[("kind", "staff")],
                ("staff.csv", theirs_csv.as_bytes()),
            )
            .await;
        let res_fresh = admin
            .post_upload(
                "/orgs/RJ1/admin/import",
                &[("kind", "staff")],
                ("staff.csv", fresh_csv.as_bytes()),
            )
            .await;
        assert!(
            res_theirs.body.contains("1 people created"),
            "{name}: {}",
            res_theirs.body
        );
        assert_eq!(
            res_theirs.status,
            StatusCode::OK,
            "{name}: {}",
            res_theirs.body
        );
        assert_eq!(res_fresh.status, res_theirs.status, "{name}");
        for leak in [
            foreign.name.as_str(),
            foreign_ods.as_str(),
            "another organisation",
            "elsewhere",
        ] {
            assert!(
                !res_theirs.body.contains(leak),
                "{name}: the answer mentions {leak:?}"
            );
        }
        assert_eq!(
            res_theirs.body.replace(&p.employee_number, "N"),
            res_fresh.body.replace("NEVER-USED-1", "N"),
            "{name}: the answer is the same as for a number nobody has"
        );
        // Their person is untouched: no RJ1 post, the same registration and records; RJ1 cannot see them.
        let after = store
            .person(&Scope::Platform, foreign.id, theirs.person.id)
            .await
            .expect("their person");
        assert_eq!(
            after.person, before.person,
            "{name}: name, email and registrations unchanged"
        );
        assert_eq!(after.records.len(), before.records.len(), "{name}");
        assert!(
            store
                .person(&Scope::Platform, rj1.id, theirs.person.id)
                .await
                .is_err(),
            "{name}: no post at RJ1 was attached to them"
        );
        assert_eq!(
            admin
                .get(&format!("/orgs/RJ1/people/{}", theirs.person.id))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{name}"
        );
        // RJ1 has a person of its own with that number, with no records of the other employer's.
        let ours = store
            .person_by_employee_number(&Scope::Platform, rj1.id, &p.employee_number)
            .await
            .expect("RJ1's own person with the number");
        assert_ne!(ours, theirs.person.id, "{name}");
        let page = admin.get(&format!("/orgs/RJ1/people/{}", ours.0)).await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        // A records import at RJ1 with the number lands on RJ1's person, not on theirs.
        let records = format!(
            "employee_number,subject,level,completed_on,provider,provider_type\n{},cstf.fire_safety,1,2026-11-20,NHS e-LfH,national_elearning\n",
            p.employee_number
        );
        let res = admin
            .post_upload(
                "/orgs/RJ1/admin/import",
                &[("kind", "records")],
                ("records.csv", records.as_bytes()),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        let after = store
            .person(&Scope::Platform, foreign.id, theirs.person.id)
            .await
            .expect("their person");
        assert_eq!(
            after.records.len(),
            before.records.len(),
            "{name}: nothing written to their record"
        );
        let ours = store
            .person(&Scope::Platform, rj1.id, ours)
            .await
            .expect("ours");
        assert_eq!(ours.records.len(), 1, "{name}");
        // The same file again changes nothing: RJ1's number now names RJ1's person.
        let res = admin
            .post_upload(
                "/orgs/RJ1/admin/import",
                &[("kind", "staff")],
                ("staff.csv", theirs_csv.as_bytes()),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {}", res.body);
        assert!(res.body.contains("nothing changed"), "{name}: {}", res.body);
    }
}
