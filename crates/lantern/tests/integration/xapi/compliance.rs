//! Feeding compliance: statements that meet an organisation's mapping become training records citing the statement,
//! the compliance view follows without a manual step, and voiding the statement withdraws the record (superseded,
//! never deleted). Erasure pseudonymises a person's actor across the organisation's statements.

use super::*;
use lantern_domain::engine::{OrgEngine, PersonFacts, Status};
use lantern_domain::{OrgId, PersonId, Subject};
use lantern_store::lrs::XapiMapping;
use lantern_store::{PeopleFilter, PersonBundle};

const FIRE: &str = "cstf.fire_safety";

async fn status(store: &Arc<dyn Store>, org: OrgId, person: PersonId) -> Option<Status> {
    let ctx = store.org_context(&Scope::Platform, org).await.unwrap();
    let p = store.person(&Scope::Platform, org, person).await.unwrap();
    let engine = OrgEngine::new(org, &ctx.rules, &ctx.policies, None);
    let facts = PersonFacts {
        posts: &p.posts,
        records: &p.records,
        exemptions: &p.exemptions,
    };
    engine
        .person(facts)
        .status_at(FIRE, chrono::Utc::now().date_naive())
        .map(|(_, s)| s)
}

/// People at RJ1 whose fire safety is out of date today, with an email address.
async fn overdue_people(store: &Arc<dyn Store>, org: OrgId) -> Vec<PersonBundle> {
    let mut out = Vec::new();
    for p in store
        .people(&Scope::Platform, org, &PeopleFilter::All)
        .await
        .unwrap()
    {
        if p.person.email.is_some()
            && matches!(
                status(store, org, p.person.id).await,
                Some(Status::Expired | Status::Missing)
            )
        {
            out.push(p);
        }
        if out.len() == 2 {
            break;
        }
    }
    out
}

fn passed(actor: Value, activity: &str, success: bool, scaled: f64) -> Value {
    json!({
        "actor": actor,
        "verb": {"id": PASSED, "display": {"en-GB": "passed"}},
        "object": {"id": activity, "definition": {"name": {"en-GB": "Fire safety level 1"}}},
        "result": {"success": success, "completion": true, "score": {"scaled": scaled}},
    })
}

#[tokio::test]
async fn statements_become_training_records_and_voiding_withdraws_them() {
    for w in worlds().await {
        let n = &w.name;
        let rj1 = w.store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let people = overdue_people(&w.store, rj1.id).await;
        assert_eq!(
            people.len(),
            2,
            "{n}: the demo ward has people overdue for fire safety"
        );
        let (first, second) = (&people[0], &people[1]);
        let email = first.person.email.clone().unwrap();
        w.store
            .create_xapi_mapping(
                &XapiMapping {
                    id: 0,
                    org: rj1.id,
                    activity: "https://elearning.test/fire/*".into(),
                    subject: Subject::parse(FIRE).expect("a subject"),
                    level: 1,
                    verbs: vec![PASSED.into(), COMPLETED.into()],
                    require_success: true,
                    min_scaled_score: Some(0.8),
                    hours: None,
                    created_at: chrono::Utc::now(),
                    retired_at: None,
                },
                None,
            )
            .await
            .unwrap();
        let read_model = Arc::new(lantern_store::read_model::ReadModel::new());
        let compliant_now = |rm: Arc<lantern_store::read_model::ReadModel>| {
            let store = w.store.clone();
            let org = rj1.id;
            async move {
                let r = rm
                    .rollup(store.as_ref(), &Scope::Platform, org, None)
                    .await
                    .unwrap();
                let key = r
                    .index
                    .requirements()
                    .iter()
                    .find(|k| k.subject == FIRE && k.level == 1)
                    .cloned()
                    .unwrap();
                r.index
                    .counts(
                        lantern_domain::rollup::Node::Org,
                        &key,
                        chrono::Utc::now().date_naive(),
                    )
                    .compliant
            }
        };
        let before = compliant_now(read_model.clone()).await;

        // A failed attempt and a low score change nothing.
        w.lrs
            .post(
                "/xapi/statements",
                &passed(agent(&email), "https://elearning.test/fire/l1", false, 0.9),
            )
            .await;
        w.lrs
            .post(
                "/xapi/statements",
                &passed(agent(&email), "https://elearning.test/fire/l1", true, 0.5),
            )
            .await;
        w.lrs
            .post(
                "/xapi/statements",
                &passed(agent(&email), "https://elearning.test/ipc/l1", true, 1.0),
            )
            .await;
        assert!(
            matches!(
                status(&w.store, rj1.id, first.person.id).await,
                Some(Status::Expired | Status::Missing)
            ),
            "{n}"
        );

        // A pass by the person's email becomes a record citing the statement, and they are compliant.
        let res = w
            .lrs
            .post(
                "/xapi/statements",
                &passed(agent(&email), "https://elearning.test/fire/l1", true, 0.9),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{n}: {}", res.text());
        let statement_id = res.json()[0].as_str().unwrap().to_owned();
        let p = w
            .store
            .person(&Scope::Platform, rj1.id, first.person.id)
            .await
            .unwrap();
        let fed: Vec<_> = p
            .records
            .iter()
            .filter(|r| r.record.source == lantern_domain::RecordSource::Xapi)
            .collect();
        assert_eq!(fed.len(), 1, "{n}");
        assert_eq!(
            fed[0].record.evidence_ref.as_deref(),
            Some(format!("xAPI statement {statement_id}").as_str()),
            "{n}"
        );
        assert_eq!(
            fed[0].record.provider, "Fire safety e-learning",
            "{n}: the credential is the provider"
        );
        assert_eq!(
            fed[0].record.provider_org_id,
            Some(rj1.id),
            "{n}: RJ1's own training, which RJ1 accepts"
        );
        assert!(
            matches!(
                status(&w.store, rj1.id, first.person.id).await,
                Some(Status::Compliant | Status::Expiring)
            ),
            "{n}"
        );
        // The dashboard follows without a manual step.
        assert_eq!(compliant_now(read_model.clone()).await, before + 1, "{n}");

        // The same statement sent again creates nothing more.
        let mut again = passed(agent(&email), "https://elearning.test/fire/l1", true, 0.9);
        again["id"] = json!(statement_id);
        assert_eq!(
            w.lrs.post("/xapi/statements", &again).await.status,
            StatusCode::OK,
            "{n}"
        );
        let p = w
            .store
            .person(&Scope::Platform, rj1.id, first.person.id)
            .await
            .unwrap();
        assert_eq!(
            p.records
                .iter()
                .filter(|r| r.record.source == lantern_domain::RecordSource::Xapi)
                .count(),
            1,
            "{n}"
        );

        // Content that Lantern launches names people by their Lantern account (employee number).
        let account = json!({"objectType": "Agent", "account": {"homePage": "http://127.0.0.1:8080", "name": second.person.employee_number}});
        assert_eq!(
            w.lrs
                .post(
                    "/xapi/statements",
                    &passed(account, "https://elearning.test/fire/l1", true, 1.0)
                )
                .await
                .status,
            StatusCode::OK,
            "{n}"
        );
        assert!(
            matches!(
                status(&w.store, rj1.id, second.person.id).await,
                Some(Status::Compliant | Status::Expiring)
            ),
            "{n}"
        );
        // Another system's accounts, and strangers, are stored but name nobody.
        let foreign = json!({"objectType": "Agent", "account": {"homePage": "https://other-lms.test", "name": first.person.employee_number}});
        assert_eq!(
            w.lrs
                .post(
                    "/xapi/statements",
                    &passed(foreign, "https://elearning.test/fire/l1", true, 1.0)
                )
                .await
                .status,
            StatusCode::OK,
            "{n}"
        );
        assert_eq!(
            w.lrs
                .post(
                    "/xapi/statements",
                    &passed(
                        agent("nobody@nowhere.test"),
                        "https://elearning.test/fire/l1",
                        true,
                        1.0
                    )
                )
                .await
                .status,
            StatusCode::OK,
            "{n}"
        );
        // Another organisation's LRS cannot make records for RJ1's people.
        assert_eq!(
            w.other
                .post(
                    "/xapi/statements",
                    &passed(agent(&email), "https://elearning.test/fire/l1", true, 1.0)
                )
                .await
                .status,
            StatusCode::OK,
            "{n}"
        );
        let p = w
            .store
            .person(&Scope::Platform, rj1.id, first.person.id)
            .await
            .unwrap();
        assert_eq!(
            p.records
                .iter()
                .filter(|r| r.record.source == lantern_domain::RecordSource::Xapi)
                .count(),
            1,
            "{n}"
        );

        // Voiding the statement withdraws its record: superseded, never deleted; the status and the dashboard follow.
        let void = json!({"actor": agent("lms.admin@nhs.test"), "verb": {"id": VOIDED}, "object": {"objectType": "StatementRef", "id": statement_id}});
        assert_eq!(
            w.lrs.post("/xapi/statements", &void).await.status,
            StatusCode::OK,
            "{n}"
        );
        let p = w
            .store
            .person(&Scope::Platform, rj1.id, first.person.id)
            .await
            .unwrap();
        let fed: Vec<_> = p
            .records
            .iter()
            .filter(|r| r.record.source == lantern_domain::RecordSource::Xapi)
            .collect();
        assert_eq!(fed.len(), 1, "{n}: the record is kept");
        let withdrawn = fed[0].superseded.as_ref().expect("superseded");
        assert!(
            withdrawn.reason.contains(&statement_id),
            "{n}: {}",
            withdrawn.reason
        );
        assert!(
            matches!(
                status(&w.store, rj1.id, first.person.id).await,
                Some(Status::Expired | Status::Missing)
            ),
            "{n}"
        );
        assert_eq!(
            compliant_now(read_model.clone()).await,
            before + 1,
            "{n}: the first is out again, the second still in"
        );
        let listed = w.store.fed_records(rj1.id, 10).await.unwrap();
        assert_eq!(listed.len(), 2, "{n}");
        assert!(
            listed
                .iter()
                .any(|r| r.withdrawn && r.statement_id.to_string() == statement_id),
            "{n}"
        );
    }
}

#[tokio::test]
async fn erasure_pseudonymises_an_actor_across_the_organisations_statements() {
    for w in worlds().await {
        let n = &w.name;
        let rj1 = w.store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let leaving = "leaver@nhs.test";
        let mut taught = statement(
            "tutor@nhs.test",
            "https://verbs.test/taught",
            "https://elearning.test/ward-induction",
        );
        taught["context"] = json!({"instructor": agent(leaving)});
        let ids: Vec<String> = w
            .lrs
            .post(
                "/xapi/statements",
                &json!([
                    statement(leaving, COMPLETED, "https://elearning.test/a"),
                    statement(leaving, EXPERIENCED, "https://elearning.test/b"),
                    taught,
                    statement("stays@nhs.test", COMPLETED, "https://elearning.test/a"),
                ]),
            )
            .await
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        let profile = format!(
            "/xapi/agents/profile?agent={}&profileId=prefs",
            enc(&agent(leaving).to_string())
        );
        w.lrs
            .send(
                "PUT",
                &profile,
                &[("content-type", "application/json"), ("if-none-match", "*")],
                r#"{"font":"large"}"#,
            )
            .await;
        // The same person in another organisation's LRS is not touched.
        let theirs = w
            .other
            .post(
                "/xapi/statements",
                &statement(leaving, COMPLETED, "https://elearning.test/a"),
            )
            .await
            .json()[0]
            .as_str()
            .unwrap()
            .to_owned();

        let out = w
            .store
            .erase_agents(
                rj1.id,
                &[format!("mbox:mailto:{leaving}")],
                None,
                "UK GDPR article 17 request",
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(out.statements, 3, "{n}: two as actor, one as instructor");
        assert_eq!(out.documents, 1, "{n}");
        for id in &ids[..3] {
            let s = w
                .lrs
                .get(&format!("/xapi/statements?statementId={id}"))
                .await
                .text();
            assert!(!s.contains(leaving), "{n}: {s}");
            assert!(s.contains("erased-"), "{n}: {s}");
        }
        assert!(
            w.lrs
                .get(&format!("/xapi/statements?statementId={}", ids[3]))
                .await
                .text()
                .contains("stays@nhs.test"),
            "{n}"
        );
        let by_old = w
            .lrs
            .get(&format!(
                "/xapi/statements?agent={}",
                enc(&agent(leaving).to_string())
            ))
            .await
            .json();
        assert!(
            by_old["statements"].as_array().unwrap().is_empty(),
            "{n}: nothing is found under the erased address"
        );
        assert_eq!(
            w.lrs.get(&profile).await.status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        assert!(
            w.other
                .get(&format!("/xapi/statements?statementId={theirs}"))
                .await
                .text()
                .contains(leaving),
            "{n}: one organisation's erasure"
        );
        // The pseudonym still ties the erased person's statements together, without saying who they were.
        let pseudonymous = w
            .lrs
            .get(&format!("/xapi/statements?statementId={}", ids[0]))
            .await
            .json()["actor"]
            .clone();
        let same = w
            .lrs
            .get(&format!(
                "/xapi/statements?agent={}",
                enc(&pseudonymous.to_string())
            ))
            .await
            .json();
        assert_eq!(
            same["statements"].as_array().unwrap().len(),
            2,
            "{n}: {pseudonymous}"
        );
    }
}
