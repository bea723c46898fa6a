//! Test-out, assignments, the pathway on "My training", certificates and the learner's JSON API, over HTTP as the
//! demo accounts, on every backend: a learner whose fire safety (or another completion requirement) has expired
//! tests out and is compliant at once, on My training and on the manager's team; a failed test-out goes on as the
//! course; test-out is refused where it is not offered; a manager assigns a course and My team counts it; the
//! certificate PDF is read back.

use crate::learning::{bank, course};
use crate::web::Client;
use crate::{backends, test_auth};
use axum::http::StatusCode;
use lantern_domain::engine::{PersonFacts, Status};
use lantern_domain::*;
use lantern_learning::course::Satisfies;
use lantern_store::*;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

static EXPIRED: AtomicU32 = AtomicU32::new(0);

const LEARNER: (&str, &str) = ("learner@demo.lantern.test", "learner-demo-password");
const MANAGER: (&str, &str) = ("manager@demo.lantern.test", "manager-demo-password");
const ADMIN: (&str, &str) = ("admin@demo.lantern.test", "admin-demo-password");

/// The demo learner's status for a requirement today.
async fn status_of(
    store: &Arc<dyn Store>,
    org: &Organisation,
    person: PersonId,
    subject: &str,
) -> Status {
    let bundle = store
        .person(&Scope::Platform, org.id, person)
        .await
        .unwrap();
    let ctx = store.org_context(&Scope::Platform, org.id).await.unwrap();
    let facts = PersonFacts {
        posts: &bundle.posts,
        records: &bundle.records,
        exemptions: &bundle.exemptions,
    };
    ctx.engine(None)
        .person(facts)
        .status_at(subject, org.today(chrono::Utc::now()))
        .expect("the requirement applies")
        .1
}

/// Withdraws the person's records of a requirement and records one from long ago, so it has expired (a renewal,
/// not a first time).
pub(crate) async fn expire(
    store: &Arc<dyn Store>,
    org: &Organisation,
    person: PersonId,
    subject: &str,
    level: u8,
) {
    let bundle = store
        .person(&Scope::Platform, org.id, person)
        .await
        .unwrap();
    let withdrawals: Vec<SupersessionRow> = bundle
        .records
        .iter()
        .filter(|r| r.record.subject == subject && r.superseded.is_none())
        .map(|r| SupersessionRow {
            record_id: r.record.id,
            replaced_by: None,
            reason: "withdrawn for the test".into(),
        })
        .collect();
    let old = RecordRow {
        line: 1,
        employee_number: bundle.person.employee_number.clone(),
        subject: Subject::parse(subject).expect("a subject"),
        level,
        // A different day each time: an identical record would be the withdrawn one again (records are deduplicated).
        completed_on: org.today(chrono::Utc::now())
            - chrono::Days::new(365 * 8 + u64::from(EXPIRED.fetch_add(1, Ordering::Relaxed))),
        hours: None,
        provider: "Guy's and St Thomas'".into(),
        provider_type: ProviderType::NhsTrust,
        provider_org: Some("RJ1".into()),
        source: RecordSource::Elearning,
        evidence_ref: Some("an old course".into()),
        recorded_at: None,
    };
    store
        .write(&WriteBatch {
            supersessions: withdrawals,
            records: vec![old],
            ..WriteBatch::default()
        })
        .await
        .expect("expired");
}

/// Expires the person's requirement and publishes a course `renewal` for it (a lesson, then an assessment whose
/// right answer is always "b"), so that they may renew it by testing out once it is turned on.
pub(crate) async fn renewal(
    store: &Arc<dyn Store>,
    org: &Organisation,
    person: PersonId,
    subject: &str,
    level: u8,
    title: &str,
) {
    expire(store, org, person, subject, level).await;
    let now = chrono::Utc::now();
    store
        .publish_bank(org.id, None, now, "renewal-bank", &bank())
        .await
        .unwrap();
    let mut c = course();
    c.code = "renewal".into();
    c.title = title.into();
    c.satisfies = vec![Satisfies {
        subject: Subject::parse(subject).expect("a subject"),
        level,
    }];
    for m in &mut c.modules {
        if let lantern_learning::course::ModuleKind::Assessment { bank, .. } = &mut m.kind {
            *bank = "renewal-bank".into();
        }
    }
    store.publish_course(org.id, None, now, &c).await.unwrap();
}

struct Setup {
    app: axum::Router,
    store: Arc<dyn Store>,
    rj1: Organisation,
    person: PersonId,
    subject: Subject,
    level: u8,
    title: String,
    _dir: Option<tempfile::TempDir>,
    name: String,
}

/// The demo world on each backend, with one of the learner's completion requirements expired and a course for it
/// (a lesson, then an assessment).
async fn setups() -> Vec<Setup> {
    let mut out = Vec::new();
    for (name, store, dir) in backends().await {
        lantern::demo::generate(
            store.as_ref(),
            300,
            17,
            chrono::Utc::now().date_naive(),
            false,
        )
        .await
        .expect("demo");
        lantern::users::demo_accounts(store.as_ref())
            .await
            .expect("accounts");
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let person = store
            .account_by_email(LEARNER.0)
            .await
            .unwrap()
            .unwrap()
            .person_id
            .unwrap();
        let ctx = store.org_context(&Scope::Platform, rj1.id).await.unwrap();
        let bundle = store
            .person(&Scope::Platform, rj1.id, person)
            .await
            .unwrap();
        let facts = PersonFacts {
            posts: &bundle.posts,
            records: &bundle.records,
            exemptions: &bundle.exemptions,
        };
        let renewable = ctx
            .engine(None)
            .person(facts)
            .explain_at(rj1.today(chrono::Utc::now()))
            .into_iter()
            .find(|r| {
                r.explanation.hours.is_none()
                    && r.status != Status::Exempt
                    && ctx.rules.iter().any(|x| {
                        x.subject == r.subject
                            && matches!(x.kind, RuleKind::Completion { refresher_months } if refresher_months > 0 && refresher_months < 60)
                    })
            })
            .expect("a requirement renewed by completion");
        renewal(
            &store,
            &rj1,
            person,
            &renewable.subject,
            renewable.level,
            &format!("A refresher: {}", renewable.explanation.rule.title),
        )
        .await;
        assert_eq!(
            status_of(&store, &rj1, person, &renewable.subject).await,
            Status::Expired,
            "{name}"
        );
        let (app, _) = crate::app_with(&store, test_auth());
        out.push(Setup {
            app,
            store,
            rj1,
            person,
            subject: renewable.subject.clone(),
            level: renewable.level,
            title: renewable.explanation.rule.title.clone(),
            _dir: dir,
            name,
        });
    }
    out
}

/// The units the demo manager manages.
async fn manager_units(store: &Arc<dyn Store>) -> Vec<UnitId> {
    let manager = store.account_by_email(MANAGER.0).await.unwrap().unwrap();
    store
        .grants(manager.id)
        .await
        .unwrap()
        .iter()
        .filter_map(|g| g.unit)
        .collect()
}

/// The hidden paper id and question ids of a paper page.
pub(crate) fn paper_fields(body: &str) -> (String, Vec<String>) {
    let id = body
        .split("name=\"paper\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the paper's id")
        .to_owned();
    let questions: std::collections::BTreeSet<String> = body
        .split("name=\"q:")
        .skip(1)
        .filter_map(|r| r.split('"').next().map(str::to_owned))
        .collect();
    (id, questions.into_iter().collect())
}

#[tokio::test]
async fn a_test_out_pass_renews_an_expired_requirement_and_the_manager_sees_it() {
    for s in setups().await {
        let name = &s.name;
        let mut web = Client::signed_in(&s.app, LEARNER.0, LEARNER.1).await;
        // Not turned on: not offered, and refused when asked for anyway.
        let page = web.get("/orgs/RJ1/learning/courses/renewal").await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert!(!page.body.contains("Take the assessment first"), "{name}");
        let refused = web
            .post_form("/orgs/RJ1/learning/courses/renewal/test-out", &[], None)
            .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{name}: not offered, refused"
        );

        // The admin turns it on for the requirement; the setting is a new version each time.
        let mut admin = Client::signed_in(&s.app, ADMIN.0, ADMIN.1).await;
        let settings = admin.get("/orgs/RJ1/admin/test-out").await;
        assert_eq!(settings.status, StatusCode::OK, "{name}");
        assert!(
            settings
                .body
                .contains(&format!("{} level {}", s.title, s.level)),
            "{name}"
        );
        let level = s.level.to_string();
        let on = admin
            .post_form(
                "/orgs/RJ1/admin/test-out",
                &[
                    ("subject", &s.subject),
                    ("level", &level),
                    ("test_out", "on"),
                ],
                None,
            )
            .await;
        assert_eq!(on.status, StatusCode::SEE_OTHER, "{name}: {}", on.body);
        assert_eq!(s.store.test_out_settings(s.rj1.id).await.unwrap().len(), 1);

        // My training's pathway offers the course first (its requirement is overdue), with test-out.
        let me = web.get("/me").await;
        let pathway = me.body.split("Your pathway").nth(1).expect("a pathway");
        assert!(pathway.contains("A refresher:"), "{name}");
        assert!(
            pathway.contains("/orgs/RJ1/learning/courses/renewal/test-out"),
            "{name}: test-out offered"
        );
        assert!(pathway.contains("Overdue"), "{name}");

        // Test out: straight to the assessment, which opens before the lesson.
        let started = web
            .post_form("/orgs/RJ1/learning/courses/renewal/test-out", &[], None)
            .await;
        assert_eq!(
            started.status,
            StatusCode::SEE_OTHER,
            "{name}: {}",
            started.body
        );
        let check = started.location().to_owned();
        assert!(check.ends_with("/modules/check"), "{name}: {check}");
        let attempt = check.trim_end_matches("/modules/check").to_owned();
        let paper = web.get(&check).await;
        assert_eq!(paper.status, StatusCode::OK, "{name}");
        let (paper_id, questions) = paper_fields(&paper.body);
        let keys: Vec<String> = questions.iter().map(|q| format!("q:{q}")).collect();
        let mut fields: Vec<(&str, &str)> = vec![("paper", &paper_id)];
        fields.extend(keys.iter().map(|k| (k.as_str(), "b")));
        let result = web
            .post_form(&format!("{attempt}/modules/check/submit"), &fields, None)
            .await;
        assert!(result.body.contains("Passed: 100%"), "{name}");
        assert!(
            result.body.contains("certificate.pdf"),
            "{name}: the certificate is offered"
        );

        // Compliant at once, from a record whose source is the assessment; the lesson was never opened.
        assert_eq!(
            status_of(&s.store, &s.rj1, s.person, &s.subject).await,
            Status::Compliant,
            "{name}"
        );
        let bundle = s
            .store
            .person(&Scope::Platform, s.rj1.id, s.person)
            .await
            .unwrap();
        let record = bundle
            .records
            .iter()
            .find(|r| {
                r.record
                    .evidence_ref
                    .as_deref()
                    .is_some_and(|e| e.contains("tested out by assessment"))
            })
            .expect("the test-out's record");
        assert_eq!(record.record.source, RecordSource::Assessment, "{name}");
        let me = web.get("/me").await;
        let row = me
            .body
            .split("<tr")
            .find(|r| r.contains(&format!("{} level {}", s.title, s.level)))
            .expect("the requirement's row");
        assert!(row.contains("Compliant"), "{name}: {row}");

        // The manager's team shows it compliant at once.
        let mut boss = Client::signed_in(&s.app, MANAGER.0, MANAGER.1).await;
        let team = boss.get("/api/v1/team").await.json();
        let me_row = team["people"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["person_id"] == s.person.0)
            .expect("the learner is in the manager's team");
        let cell = me_row["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["subject"] == s.subject.as_str())
            .expect("the requirement's cell");
        assert_eq!(cell["status"], "compliant", "{name}");

        // The certificate: a PDF naming the learner, the course and version, the requirement and the reference.
        let (status, pdf) = web.get_bytes(&format!("{attempt}/certificate.pdf")).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let doc = lopdf::Document::load_mem(&pdf).expect("a PDF lopdf reads");
        let text: String = doc
            .get_pages()
            .keys()
            .map(|n| doc.extract_text(&[*n]).expect("text"))
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let learner_name = format!("{} {}", bundle.person.given_name, bundle.person.family_name);
        assert!(text.contains(&learner_name), "{name}: {text}");
        assert!(text.contains("A refresher:"), "{name}: {text}");
        assert!(text.contains("version 1"), "{name}: {text}");
        assert!(
            text.contains(&format!("{} level {}", s.title, s.level)),
            "{name}: {text}"
        );
        assert!(text.contains("test-out"), "{name}: {text}");
        assert!(text.contains("RJ1"), "{name}: {text}");
        // Another learner's attempt, or the manager, gets no certificate.
        assert_eq!(
            boss.get(&format!("{attempt}/certificate.pdf")).await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );

        // Expired again, a test-out failed through the API goes on as the course, and a replay counts once.
        expire(&s.store, &s.rj1, s.person, &s.subject, s.level).await;
        let a = web
            .post_json(
                "/api/v1/organisations/RJ1/courses/renewal/attempts?test_out=true",
                &json!({}),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{name}: {}", a.body);
        let a = a.json();
        assert_eq!(a["mode"], "test_out", "{name}");
        assert_eq!(a["next_module"], "check", "{name}");
        let id = a["id"].as_i64().unwrap();
        let paper = web
            .get(&format!(
                "/api/v1/organisations/RJ1/attempts/{id}/modules/check/paper"
            ))
            .await;
        assert_eq!(paper.status, StatusCode::OK, "{name}: {}", paper.body);
        assert!(!paper.body.contains("correct"), "{name}: no answer key");
        let paper = paper.json();
        let wrong: serde_json::Map<String, serde_json::Value> = paper["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| (q["id"].as_str().unwrap().to_owned(), json!(["a"])))
            .collect();
        let right: serde_json::Map<String, serde_json::Value> =
            wrong.keys().map(|k| (k.clone(), json!(["b"]))).collect();
        let submit = format!(
            "/api/v1/organisations/RJ1/attempts/{id}/papers/{}/submission",
            paper["id"]
        );
        let failed = web.post_json(&submit, &json!({ "answers": wrong })).await;
        assert_eq!(failed.status, StatusCode::OK, "{name}: {}", failed.body);
        let failed = failed.json();
        assert_eq!(failed["passed"], false, "{name}");
        assert_eq!(failed["attempt"]["mode"], "test_out_failed", "{name}");
        assert_eq!(
            failed["attempt"]["next_module"], "lesson",
            "{name}: on to the course"
        );
        let replay = web
            .post_json(&submit, &json!({ "answers": right }))
            .await
            .json();
        assert_eq!(replay["passed"], false, "{name}: a replay counts once");
        // The assessment waits for the lesson now, on the page and in the store.
        let closed = web
            .get(&format!("/orgs/RJ1/learning/attempts/{id}/modules/check"))
            .await;
        assert_eq!(closed.status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(
            status_of(&s.store, &s.rj1, s.person, &s.subject).await,
            Status::Expired,
            "{name}"
        );
        let pathway = web.get("/api/v1/me/pathway").await.json();
        let step = pathway[0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["course_code"] == "renewal")
            .expect("the course is on the pathway");
        assert_eq!(step["attempt_id"], id, "{name}: resume the attempt");
        assert_eq!(
            step["test_out"], false,
            "{name}: no second test-out in the same attempt"
        );
        let courses = web.get("/api/v1/me/courses").await.json();
        assert!(
            courses
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["code"] == "renewal" && c["open_attempt"] == id),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_manager_assigns_a_course_that_my_training_shows_and_my_team_counts() {
    for s in setups().await {
        let name = &s.name;
        let mut boss = Client::signed_in(&s.app, MANAGER.0, MANAGER.1).await;
        let page = boss.get("/orgs/RJ1/learning/assignments").await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        let number = s
            .store
            .person(&Scope::Platform, s.rj1.id, s.person)
            .await
            .unwrap()
            .person
            .employee_number;
        // From the learner's page, the form comes with them chosen.
        let person_page = boss.get(&format!("/orgs/RJ1/people/{}", s.person.0)).await;
        assert!(person_page.body.contains("Assign a course to"), "{name}");
        // Their expired requirement says where it is done: the course here that satisfies it.
        assert!(
            person_page
                .body
                .contains("/orgs/RJ1/learning/courses/renewal\">In Lantern: A refresher"),
            "{name}"
        );
        let prefilled = boss
            .get(&format!("/orgs/RJ1/learning/assignments?person={number}"))
            .await;
        assert!(
            prefilled
                .body
                .contains(&format!("value=\"{number}\" selected")),
            "{name}"
        );
        // Problems name their fields; nothing is assigned.
        let bad = boss
            .post_form(
                "/orgs/RJ1/learning/assignments",
                &[("course", "renewal"), ("due_on", "soon")],
                None,
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            bad.body.contains("Enter the due date")
                && bad.body.contains("Choose a person or a unit"),
            "{name}"
        );
        // Someone outside the manager's units cannot be assigned anything.
        let team = boss.get("/api/v1/team").await.json();
        let mine: Vec<i64> = team["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["person_id"].as_i64().unwrap())
            .collect();
        let stranger = s
            .store
            .people(&Scope::Platform, s.rj1.id, &PeopleFilter::All)
            .await
            .unwrap()
            .into_iter()
            .find(|p| !mine.contains(&p.person.id.0))
            .map(|p| p.person.employee_number);
        let tomorrow = (s.rj1.today(chrono::Utc::now()) + chrono::Days::new(1)).to_string();
        let yesterday = (s.rj1.today(chrono::Utc::now()) - chrono::Days::new(1)).to_string();
        if let Some(n) = stranger {
            let res = boss
                .post_form(
                    "/orgs/RJ1/learning/assignments",
                    &[("course", "renewal"), ("person", &n), ("due_on", &tomorrow)],
                    None,
                )
                .await;
            assert_eq!(
                res.status,
                StatusCode::BAD_REQUEST,
                "{name}: beyond reach, as if unknown"
            );
        }
        let made = boss
            .post_form(
                "/orgs/RJ1/learning/assignments",
                &[
                    ("course", "renewal"),
                    ("person", &number),
                    ("due_on", &tomorrow),
                ],
                None,
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{name}: {}", made.body);
        let live = s
            .store
            .assignments(&Scope::Platform, s.rj1.id)
            .await
            .unwrap();
        assert_eq!(live.len(), 1, "{name}");

        // My team counts it: one assigned course to do, none overdue yet.
        let team = boss.get("/api/v1/team").await.json();
        let mine = team["assigned"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["person_id"] == s.person.0)
            .expect("the learner's assignments");
        assert_eq!(
            (mine["open"].as_u64(), mine["overdue"].as_u64()),
            (Some(1), Some(0)),
            "{name}"
        );
        assert!(
            boss.get("/team")
                .await
                .body
                .contains("assigned courses not done"),
            "{name}"
        );

        // On the learner's pathway, with who assigned it and when it is due.
        let mut web = Client::signed_in(&s.app, LEARNER.0, LEARNER.1).await;
        let me = web.get("/me").await;
        assert!(me.body.contains(&format!("due {tomorrow}")), "{name}");

        // A course that requires the renewal first, assigned: the pathway puts the overdue renewal first and says
        // the other is locked until it is done.
        let mut advanced = course();
        advanced.code = "renewal-advanced".into();
        advanced.title = "Beyond the refresher".into();
        advanced.satisfies = vec![];
        advanced.prerequisites = vec!["renewal".into()];
        for m in &mut advanced.modules {
            if let lantern_learning::course::ModuleKind::Assessment { bank, .. } = &mut m.kind {
                *bank = "renewal-bank".into();
            }
        }
        s.store
            .publish_course(s.rj1.id, None, chrono::Utc::now(), &advanced)
            .await
            .unwrap();
        let res = boss
            .post_form(
                "/orgs/RJ1/learning/assignments",
                &[
                    ("course", "renewal-advanced"),
                    ("person", &number),
                    ("due_on", &tomorrow),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let pathway = web.get("/api/v1/me/pathway").await.json();
        let steps: Vec<(&str, &str, usize)> = pathway[0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["course_code"].as_str().unwrap(),
                    x["kind"].as_str().unwrap(),
                    x["locked_by"].as_array().unwrap().len(),
                )
            })
            .collect();
        let at = |code: &str| steps.iter().position(|x| x.0 == code).expect(code);
        assert!(at("renewal") < at("renewal-advanced"), "{name}: {steps:?}");
        assert_eq!(steps[at("renewal")].1, "mandatory", "{name}");
        assert_eq!(
            steps[at("renewal-advanced")],
            ("renewal-advanced", "assigned", 1),
            "{name}"
        );
        assert!(
            web.get("/me").await.body.contains("Complete A refresher:"),
            "{name}: locked, saying what comes first"
        );

        // A unit assignment reaches everyone in post in it; the assignment itself is never edited.
        let unit = manager_units(&s.store).await[0];
        let unit_made = boss
            .post_form(
                "/orgs/RJ1/learning/assignments",
                &[
                    ("course", "renewal"),
                    ("unit", &unit.0.to_string()),
                    ("due_on", &tomorrow),
                ],
                None,
            )
            .await;
        assert_eq!(
            unit_made.status,
            StatusCode::SEE_OTHER,
            "{name}: {}",
            unit_made.body
        );
        let team = boss.get("/api/v1/team").await.json();
        let people = team["people"].as_array().unwrap().len();
        assert_eq!(
            team["assigned"].as_array().unwrap().len(),
            people,
            "{name}: everyone shown has it"
        );
        let past = boss
            .post_form(
                "/orgs/RJ1/learning/assignments",
                &[
                    ("course", "renewal"),
                    ("person", &number),
                    ("due_on", &yesterday),
                ],
                None,
            )
            .await;
        assert_eq!(
            past.status,
            StatusCode::BAD_REQUEST,
            "{name}: due in the past"
        );

        // Cancelled: a new row; counted no more. A second cancel changes nothing.
        let advanced_id = s
            .store
            .assignments(&Scope::Platform, s.rj1.id)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.course_code == "renewal-advanced")
            .expect("the advanced course's assignment")
            .id;
        boss.post_form(
            &format!("/orgs/RJ1/learning/assignments/{advanced_id}/cancel"),
            &[],
            None,
        )
        .await;
        let id = live[0].id;
        let cancel = format!("/orgs/RJ1/learning/assignments/{id}/cancel");
        assert_eq!(
            boss.post_form(&cancel, &[], None).await.status,
            StatusCode::SEE_OTHER,
            "{name}"
        );
        assert_eq!(
            boss.post_form(&cancel, &[], None).await.status,
            StatusCode::NOT_FOUND,
            "{name}"
        );
        let team = boss.get("/api/v1/team").await.json();
        let mine = team["assigned"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["person_id"] == s.person.0)
            .expect("the unit's assignment");
        assert_eq!(
            mine["open"].as_u64(),
            Some(1),
            "{name}: only the unit's is left"
        );

        // Done once the course is completed after it was assigned.
        let started = web
            .post_form("/orgs/RJ1/learning/courses/renewal/start", &[], None)
            .await;
        let attempt = started.location().to_owned();
        web.post_form(&format!("{attempt}/modules/lesson/complete"), &[], None)
            .await;
        let paper = web.get(&format!("{attempt}/modules/check")).await;
        let (paper_id, questions) = paper_fields(&paper.body);
        let keys: Vec<String> = questions.iter().map(|q| format!("q:{q}")).collect();
        let mut fields: Vec<(&str, &str)> = vec![("paper", &paper_id)];
        fields.extend(keys.iter().map(|k| (k.as_str(), "b")));
        let result = web
            .post_form(&format!("{attempt}/modules/check/submit"), &fields, None)
            .await;
        assert!(result.body.contains("Passed"), "{name}");
        let team = boss.get("/api/v1/team").await.json();
        assert!(
            !team["assigned"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["person_id"] == s.person.0),
            "{name}: done, so not counted"
        );
        // A learner cannot assign.
        assert_eq!(
            web.get("/orgs/RJ1/learning/assignments").await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_manager_assigns_a_course_to_the_people_ticked_on_my_team_all_or_none() {
    for s in setups().await {
        let name = &s.name;
        let mut boss = Client::signed_in(&s.app, MANAGER.0, MANAGER.1).await;
        let team = boss.get("/api/v1/team").await.json();
        let unit = team["unit_id"].as_i64().unwrap().to_string();
        let people: Vec<(i64, String)> = team["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["person_id"].as_i64().unwrap(),
                    p["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert!(people.len() >= 2, "{name}: a team to tick");
        let (a, b) = (&people[0], &people[1]);
        let requirement = format!("{}:{}", s.subject, s.level);
        // The team view offers it beside "Remind those ticked".
        assert!(
            boss.get("/team")
                .await
                .body
                .contains("Assign a course to those ticked"),
            "{name}"
        );
        // The form names the people ticked, and puts first (and chooses) the course that satisfies the requirement
        // the view is filtered to.
        let form = boss
            .get(&format!(
                "/team/assign?unit={unit}&requirement={requirement}&person={}&person={}",
                a.0, b.0
            ))
            .await;
        assert_eq!(form.status, StatusCode::OK, "{name}: {}", form.body);
        assert!(form.body.contains("Assign a course to 2 people"), "{name}");
        assert!(
            form.body.contains(&format!("<li>{}</li>", a.1))
                && form.body.contains(&format!("<li>{}</li>", b.1)),
            "{name}"
        );
        let one = boss
            .get(&format!("/team/assign?unit={unit}&person={}", a.0))
            .await;
        assert!(
            one.body.contains("Assign a course to 1 person")
                && !one.body.contains(&format!("<li>{}</li>", b.1)),
            "{name}: only those ticked"
        );
        // Someone ticked whom the filter does not show (nobody in the demo ward is exempt) is still named.
        let exempt = boss
            .get(&format!("/api/v1/team?unit={unit}&status=exempt"))
            .await
            .json();
        assert!(
            exempt["people"].as_array().unwrap().is_empty(),
            "{name}: {exempt}"
        );
        let hidden = boss
            .get(&format!(
                "/team/assign?unit={unit}&status=exempt&person={}",
                a.0
            ))
            .await;
        assert!(
            hidden.body.contains("Assign a course to 1 person")
                && hidden.body.contains(&format!("<li>{}</li>", a.1)),
            "{name}"
        );
        assert!(
            form.body.contains("value=\"renewal\" selected"),
            "{name}: {}",
            form.body
        );
        let tomorrow = (s.rj1.today(chrono::Utc::now()) + chrono::Days::new(1)).to_string();
        let (pa, pb) = (a.0.to_string(), b.0.to_string());
        let count = || async {
            s.store
                .assignments(&Scope::Platform, s.rj1.id)
                .await
                .unwrap()
                .len()
        };
        // Problems name their fields and nothing is assigned.
        let bad = boss
            .post_form(
                "/team/assign",
                &[
                    ("unit", &unit),
                    ("person", &pa),
                    ("person", &pb),
                    ("course", ""),
                    ("due_on", "next week"),
                ],
                None,
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            bad.body.contains("Choose a course to assign")
                && bad.body.contains("Enter the due date"),
            "{name}"
        );
        assert_eq!(count().await, 0, "{name}");
        // Someone ticked who is not in the unit: refused, and nobody is assigned anything.
        let stranger = s
            .store
            .people(&Scope::Platform, s.rj1.id, &PeopleFilter::All)
            .await
            .unwrap()
            .into_iter()
            .find(|p| !people.iter().any(|x| x.0 == p.person.id.0))
            .expect("someone outside the manager's unit");
        let refused = boss
            .post_form(
                "/team/assign",
                &[
                    ("unit", &unit),
                    ("person", &pa),
                    ("person", &stranger.person.id.0.to_string()),
                    ("course", "renewal"),
                    ("due_on", &tomorrow),
                ],
                None,
            )
            .await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{name}");
        assert_eq!(count().await, 0, "{name}: all or none");
        // The store keeps to the manager's units on its own: a list with one person beyond them writes nothing.
        let scope = Scope::units(s.rj1.id, manager_units(&s.store).await);
        let beyond = s
            .store
            .assign_course_to_people(
                &scope,
                s.rj1.id,
                "renewal",
                &[PersonId(a.0), stranger.person.id],
                s.rj1.today(chrono::Utc::now()),
                s.store
                    .account_by_email(MANAGER.0)
                    .await
                    .unwrap()
                    .unwrap()
                    .id,
                chrono::Utc::now(),
            )
            .await;
        assert!(
            matches!(beyond, Err(StoreError::NotFound)),
            "{name}: {beyond:?}"
        );
        assert_eq!(count().await, 0, "{name}: all or none in the store");

        let made = boss
            .post_form(
                "/team/assign",
                &[
                    ("unit", &unit),
                    ("person", &pa),
                    ("course", "renewal"),
                    ("due_on", &tomorrow),
                ],
                None,
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{name}: {}", made.body);
        assert!(
            made.location().contains("assigned=1&already=0"),
            "{name}: {}",
            made.location()
        );
        let back = boss.get(made.location()).await;
        assert!(
            back.body
                .contains(&format!("assigned to 1 person, due {tomorrow}")),
            "{name}"
        );
        // Both ticked: only the one without it gets it; the other keeps theirs.
        let again = boss
            .post_form(
                "/team/assign",
                &[
                    ("unit", &unit),
                    ("person", &pa),
                    ("person", &pb),
                    ("course", "renewal"),
                    ("due_on", &tomorrow),
                ],
                None,
            )
            .await;
        assert!(
            again.location().contains("assigned=1&already=1"),
            "{name}: {}",
            again.location()
        );
        assert!(
            boss.get(again.location())
                .await
                .body
                .contains("1 already had"),
            "{name}"
        );
        let live = s
            .store
            .assignments(&Scope::Platform, s.rj1.id)
            .await
            .unwrap();
        let mut to: Vec<String> = live.iter().map(|x| x.to_name.clone()).collect();
        to.sort();
        let mut want = vec![a.1.clone(), b.1.clone()];
        want.sort();
        assert_eq!(to, want, "{name}");
        assert!(
            live.iter()
                .all(|x| x.due_on.to_string() == tomorrow && x.course_code == "renewal"),
            "{name}"
        );
        // An auditor only looks.
        let mut auditor =
            Client::signed_in(&s.app, crate::auth::AUDITOR.0, crate::auth::AUDITOR.1).await;
        assert_eq!(
            auditor
                .get(&format!("/team/assign?unit={unit}"))
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
    }
}
