//! Learning delivery's storage, on every backend: publishing courses and banks as versions, attempts that resume,
//! assessments drawn and marked once, and a completed course becoming a training record that the compliance
//! engine counts.

use crate::{backends, d};
use lantern_domain::access::{Grant, Reach};
use lantern_domain::engine::{OrgEngine, PersonFacts, Status};
use lantern_domain::*;
use lantern_learning::assessment::{AnswerOption, Answers, Question, QuestionKind, Rules};
use lantern_learning::course::{
    CourseVersion, Module, ModuleKind, ModuleOrder, ModuleState, Satisfies,
};
use lantern_store::learning::At;
use lantern_store::*;
use std::sync::Arc;

fn world() -> WriteBatch {
    let mut b = WriteBatch::default();
    b.orgs.push(OrgRow {
        ods_code: "RJ1".into(),
        name: "Guy's and St Thomas'".into(),
        org_type: OrgType::NhsTrust,
        target_percent: 90.0,
    });
    b.units.push(UnitRow {
        line: 1,
        org: "RJ1".into(),
        code: "W1".into(),
        name: "Ward 1".into(),
        kind: UnitKind::Ward,
        parent: None,
        site: None,
    });
    for n in ["E1", "E2"] {
        b.people.push(PersonRow {
            line: 1,
            employee_number: n.into(),
            given_name: n.into(),
            family_name: "Learner".into(),
            email: None,
            registrations: vec![],
        });
        b.posts.push(PostRow {
            line: 1,
            employee_number: n.into(),
            org: "RJ1".into(),
            unit: "W1".into(),
            assignment_number: format!("A-{n}"),
            staff_group: StaffGroup::NursingMidwiferyRegistered,
            job_role: "Staff nurse".into(),
            band: Some("5".into()),
            specialty: None,
            patient_facing: true,
            start: d("2020-01-01"),
            end: None,
        });
    }
    b
}

pub(crate) fn bank() -> Vec<Question> {
    let mut out = Vec::new();
    for outcome in ["raise the alarm", "evacuate", "extinguishers"] {
        for i in 0..2 {
            out.push(Question {
                id: format!("{}-{i}", outcome.replace(' ', "-")),
                outcome: outcome.into(),
                kind: QuestionKind::SingleAnswer,
                stem: format!("About {outcome}, question {i}?"),
                options: ["a", "b", "c"]
                    .iter()
                    .map(|o| AnswerOption {
                        id: (*o).into(),
                        text: format!("Option {o}"),
                        correct: *o == "b",
                        feedback: None,
                    })
                    .collect(),
                explanation: Some("Because the fire safety policy says so.".into()),
            });
        }
    }
    out
}

pub(crate) fn course() -> CourseVersion {
    CourseVersion {
        code: "cstf-fire-safety-1".into(),
        version: 0,
        title: "Fire safety, level 1".into(),
        summary: "What to do when the alarm sounds".into(),
        satisfies: vec![Satisfies {
            subject: Subject::from_static("cstf.fire_safety"),
            level: 1,
        }],
        order: ModuleOrder::InOrder,
        modules: vec![
            Module {
                key: "lesson".into(),
                title: "Fire safety basics".into(),
                kind: ModuleKind::Lesson {
                    markdown: "# Fire\n\nRaise the alarm.".into(),
                },
                required: true,
                estimated_minutes: 20,
            },
            Module {
                key: "check".into(),
                title: "Check your understanding".into(),
                kind: ModuleKind::Assessment {
                    bank: "fire".into(),
                    rules: Rules {
                        per_outcome: 1,
                        pass_percent: 80,
                        attempt_limit: Some(2),
                        time_limit_minutes: Some(20),
                    },
                },
                required: true,
                estimated_minutes: 10,
            },
        ],
        prerequisites: vec![],
    }
}

fn learner(org: OrgId, person: PersonId) -> Scope {
    Scope::Grants(vec![Grant {
        org,
        reach: Reach::Person(person),
    }])
}

fn all_right(paper: &lantern_store::learning::Paper) -> Answers {
    paper
        .questions
        .iter()
        .map(|q| (q.id.clone(), ["b".to_string()].into()))
        .collect()
}

async fn person_id(store: &Arc<dyn Store>, org: OrgId, number: &str) -> PersonId {
    for id in store.person_ids(&Scope::Platform, org).await.unwrap() {
        let p = store.person(&Scope::Platform, org, id).await.unwrap();
        if p.person.employee_number == number {
            return id;
        }
    }
    panic!("no person {number}")
}

#[tokio::test]
async fn a_learner_completes_a_course_and_the_engine_counts_the_record() {
    for (name, store, _dir) in backends().await {
        store.write(&world()).await.expect("world");
        let org = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap().id;
        let now = chrono::Utc::now();
        let today = d("2026-12-06");

        // A course naming a bank that does not exist yet is refused by module.
        let Err(StoreError::Rejected(problems)) =
            store.publish_course(org, None, now, &course()).await
        else {
            panic!("{name}: a course needs its bank");
        };
        assert_eq!(problems[0].field, "modules[check]", "{name}");
        assert!(
            problems[0].message.contains("no question bank \"fire\""),
            "{name}"
        );

        assert_eq!(
            store
                .publish_bank(org, None, now, "fire", &bank())
                .await
                .unwrap(),
            1
        );
        let v1 = store
            .publish_course(org, None, now, &course())
            .await
            .expect("publish");
        assert_eq!(v1.course.version, 1, "{name}");
        assert_eq!(
            store
                .courses_for(org, "cstf.fire_safety", 1)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            store
                .courses_for(org, "cstf.fire_safety", 2)
                .await
                .unwrap()
                .is_empty()
        );

        let e1 = person_id(&store, org, "E1").await;
        let e2 = person_id(&store, org, "E2").await;
        let me = learner(org, e1);
        // Another learner's attempt is not there for this one.
        assert!(matches!(
            store
                .start_attempt(&me, org, e2, "cstf-fire-safety-1", now)
                .await,
            Err(StoreError::NotFound)
        ));
        let a = store
            .start_attempt(&me, org, e1, "cstf-fire-safety-1", now)
            .await
            .expect("start");
        assert_eq!(a.states, [ModuleState::NotStarted, ModuleState::NotStarted]);
        // The assessment opens only after the lesson.
        assert!(matches!(
            store.paper(&me, org, a.id, "check", 1, now).await,
            Err(StoreError::Rejected(_))
        ));
        // Publishing a new version does not move an attempt already started.
        let mut next = course();
        next.title = "Fire safety, level 1 (2027)".into();
        assert_eq!(
            store
                .publish_course(org, None, now, &next)
                .await
                .unwrap()
                .course
                .version,
            2
        );
        let again = store
            .start_attempt(&me, org, e1, "cstf-fire-safety-1", now)
            .await
            .unwrap();
        assert_eq!(
            (again.id, again.course.version),
            (a.id, 1),
            "{name}: the open attempt resumes on its version"
        );

        let a = store
            .record_module(
                &me,
                org,
                a.id,
                "lesson",
                ModuleState::Completed,
                At { now, today },
            )
            .await
            .expect("lesson done");
        assert_eq!(a.states[0], ModuleState::Completed);

        // The paper: one question per outcome, no answer key, the same paper on reload.
        let paper = store
            .paper(&me, org, a.id, "check", 42, now)
            .await
            .expect("paper");
        assert_eq!(paper.questions.len(), 3, "{name}");
        assert_eq!((paper.attempt_number, paper.attempt_limit), (1, Some(2)));
        assert!(paper.deadline.is_some());
        assert_eq!(
            store.paper(&me, org, a.id, "check", 7, now).await.unwrap(),
            paper,
            "{name}: reload"
        );

        // A tampered form (a question not on the paper) is refused, not marked, and uses no try.
        let mut tampered = all_right(&paper);
        tampered.insert("not-on-the-paper".into(), ["b".to_string()].into());
        assert!(matches!(
            store
                .submit_paper(&me, org, a.id, paper.id, &tampered, At { now, today })
                .await,
            Err(StoreError::Rejected(_))
        ));
        // One wrong answer of three is 66%: a fail, and the module shows it.
        let mut answers = all_right(&paper);
        answers.insert(paper.questions[0].id.clone(), ["a".to_string()].into());
        let s = store
            .submit_paper(&me, org, a.id, paper.id, &answers, At { now, today })
            .await
            .expect("submit");
        assert_eq!((s.marked.percent, s.marked.passed), (66, false), "{name}");
        assert_eq!(s.attempt.states[1], ModuleState::Failed);
        // A replay of the same paper counts once: the first result stands.
        let replay = store
            .submit_paper(
                &me,
                org,
                a.id,
                paper.id,
                &all_right(&paper),
                At { now, today },
            )
            .await
            .expect("replay");
        assert!(
            !replay.marked.passed,
            "{name}: a replay cannot turn a fail into a pass"
        );

        // Second try: passed, the course completes and the record is written.
        let paper2 = store
            .paper(&me, org, a.id, "check", 43, now)
            .await
            .expect("second paper");
        assert_ne!(paper2.id, paper.id);
        assert_eq!(paper2.attempt_number, 2);
        let s = store
            .submit_paper(
                &me,
                org,
                a.id,
                paper2.id,
                &all_right(&paper2),
                At { now, today },
            )
            .await
            .expect("pass");
        assert!(
            s.marked.passed && s.attempt.completed_at.is_some(),
            "{name}"
        );
        assert!(
            s.questions.iter().all(|q| q.explanation.is_some()),
            "feedback carries explanations"
        );

        let bundle = store.person(&Scope::Platform, org, e1).await.unwrap();
        let record = bundle
            .records
            .iter()
            .find(|r| {
                r.record
                    .evidence_ref
                    .as_deref()
                    .is_some_and(|e| e.starts_with("Lantern course cstf-fire-safety-1 version 1"))
            })
            .expect("a training record from the course");
        assert_eq!(record.record.completed_on, today);
        assert_eq!(record.record.source, RecordSource::Elearning);
        assert_eq!(record.record.hours, Some(0.5), "the course's 30 minutes");
        let ctx = store.org_context(&Scope::Platform, org).await.unwrap();
        let engine = OrgEngine::new(org, &ctx.rules, &ctx.policies, None);
        let facts = PersonFacts {
            posts: &bundle.posts,
            records: &bundle.records,
            exemptions: &bundle.exemptions,
        };
        let (_, status) = engine
            .person(facts)
            .status_at("cstf.fire_safety", today)
            .expect("fire safety applies");
        assert_eq!(
            status,
            Status::Compliant,
            "{name}: the course made the requirement compliant"
        );

        // The next attempt starts on the latest version.
        let fresh = store
            .start_attempt(&me, org, e1, "cstf-fire-safety-1", now)
            .await
            .unwrap();
        assert_ne!(fresh.id, a.id);
        assert_eq!(fresh.course.version, 2, "{name}");
        assert_eq!(store.attempts_of(&me, org, e1).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn tries_are_limited_late_papers_fail_and_cycles_are_refused() {
    for (name, store, _dir) in backends().await {
        store.write(&world()).await.expect("world");
        let org = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap().id;
        let now = chrono::Utc::now();
        let today = d("2026-12-06");
        store
            .publish_bank(org, None, now, "fire", &bank())
            .await
            .unwrap();
        store
            .publish_course(org, None, now, &course())
            .await
            .unwrap();
        let e2 = person_id(&store, org, "E2").await;
        let me = learner(org, e2);
        let a = store
            .start_attempt(&me, org, e2, "cstf-fire-safety-1", now)
            .await
            .unwrap();
        store
            .record_module(
                &me,
                org,
                a.id,
                "lesson",
                ModuleState::Completed,
                At { now, today },
            )
            .await
            .unwrap();

        // Submitted after the deadline: a fail, whatever the answers.
        let p1 = store.paper(&me, org, a.id, "check", 1, now).await.unwrap();
        let late = now + chrono::TimeDelta::minutes(21);
        let s = store
            .submit_paper(
                &me,
                org,
                a.id,
                p1.id,
                &all_right(&p1),
                At { now: late, today },
            )
            .await
            .unwrap();
        assert!(s.late && !s.marked.passed, "{name}");
        let p2 = store.paper(&me, org, a.id, "check", 2, now).await.unwrap();
        store
            .submit_paper(&me, org, a.id, p2.id, &Answers::new(), At { now, today })
            .await
            .unwrap();
        let Err(StoreError::Rejected(problems)) =
            store.paper(&me, org, a.id, "check", 3, now).await
        else {
            panic!("{name}: the third try is refused");
        };
        assert!(
            problems[0].message.contains("all 2 tries"),
            "{name}: {problems:?}"
        );

        // An attempt whose assessment has used every try is over: starting again starts afresh, with every try
        // to come, and the spent attempt keeps its papers.
        let fresh = store
            .start_attempt(&me, org, e2, "cstf-fire-safety-1", now)
            .await
            .unwrap();
        assert_ne!(fresh.id, a.id, "{name}: a new attempt");
        assert!(
            fresh.states.iter().all(|s| *s == ModuleState::NotStarted),
            "{name}: {:?}",
            fresh.states
        );
        store
            .record_module(
                &me,
                org,
                fresh.id,
                "lesson",
                ModuleState::Completed,
                At { now, today },
            )
            .await
            .unwrap();
        let p3 = store
            .paper(&me, org, fresh.id, "check", 3, now)
            .await
            .expect("the new attempt's first try");
        assert_eq!(p3.attempt_number, 1, "{name}");
        let again = store
            .start_attempt(&me, org, e2, "cstf-fire-safety-1", now)
            .await
            .unwrap();
        assert_eq!(
            again.id, fresh.id,
            "{name}: an attempt under way is resumed"
        );
        let Err(StoreError::Rejected(_)) = store.paper(&me, org, a.id, "check", 4, now).await
        else {
            panic!("{name}: the spent attempt stays spent");
        };

        // Prerequisites: unknown ones and cycles are named.
        let mut a_course = course();
        a_course.code = "fire-advanced".into();
        a_course.prerequisites = vec!["cstf-fire-safety-1".into()];
        store
            .publish_course(org, None, now, &a_course)
            .await
            .expect("a prerequisite that exists");
        let mut loop_back = course();
        loop_back.prerequisites = vec!["fire-advanced".into()];
        let Err(StoreError::Rejected(problems)) =
            store.publish_course(org, None, now, &loop_back).await
        else {
            panic!("{name}: a cycle is refused");
        };
        assert!(
            problems[0]
                .message
                .contains("cstf-fire-safety-1 requires fire-advanced requires cstf-fire-safety-1")
                || problems[0]
                    .message
                    .contains("fire-advanced requires cstf-fire-safety-1 requires fire-advanced"),
            "{name}: {problems:?}"
        );
        let mut unknown = course();
        unknown.prerequisites = vec!["nope".into()];
        assert!(matches!(
            store.publish_course(org, None, now, &unknown).await,
            Err(StoreError::Rejected(_))
        ));
    }
}

/// Over HTTP, as the demo learner: "My training" offers the course for a requirement out of date; the lesson, a failed
/// paper with feedback, a passed one; then the requirement is compliant on "My training". A manager cannot open
/// the learner's attempt.
#[tokio::test]
async fn the_demo_learner_goes_from_due_to_compliant_in_the_browser() {
    use crate::web::Client;
    use axum::http::StatusCode;
    const LEARNER: (&str, &str) = ("learner@demo.lantern.test", "learner-demo-password");
    const MANAGER: (&str, &str) = ("manager@demo.lantern.test", "manager-demo-password");
    for (name, store, _dir) in backends().await {
        lantern::demo::generate(
            store.as_ref(),
            300,
            11,
            chrono::Utc::now().date_naive(),
            false,
        )
        .await
        .expect("demo");
        lantern::users::demo_accounts(store.as_ref())
            .await
            .expect("accounts");
        let (app, state) = crate::app_with(&store, crate::test_auth());
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let person = store
            .account_by_email(LEARNER.0)
            .await
            .unwrap()
            .unwrap()
            .person_id
            .unwrap();
        // A course for the first requirement the learner is not in date with.
        let bundle = store
            .person(&Scope::Platform, rj1.id, person)
            .await
            .unwrap();
        let ctx = store.org_context(&Scope::Platform, rj1.id).await.unwrap();
        let engine = OrgEngine::new(rj1.id, &ctx.rules, &ctx.policies, None);
        let facts = PersonFacts {
            posts: &bundle.posts,
            records: &bundle.records,
            exemptions: &bundle.exemptions,
        };
        let today = rj1.today(chrono::Utc::now());
        // Make one of her requirements overdue, as a withdrawn record would: the first one kept by completion.
        let target = engine
            .person(facts)
            .explain_at(today)
            .into_iter()
            .find(|r| r.explanation.hours.is_none() && r.status != Status::Exempt)
            .expect("a completion requirement");
        let withdrawals: Vec<SupersessionRow> = bundle
            .records
            .iter()
            .filter(|r| r.record.subject == target.subject && r.superseded.is_none())
            .map(|r| SupersessionRow {
                record_id: r.record.id,
                replaced_by: None,
                reason: "withdrawn for the test".into(),
            })
            .collect();
        store
            .write(&WriteBatch {
                supersessions: withdrawals,
                ..WriteBatch::default()
            })
            .await
            .expect("withdrawn");
        let bundle = store
            .person(&Scope::Platform, rj1.id, person)
            .await
            .unwrap();
        let facts = PersonFacts {
            posts: &bundle.posts,
            records: &bundle.records,
            exemptions: &bundle.exemptions,
        };
        let gap = engine
            .person(facts)
            .explain_at(today)
            .into_iter()
            .find(|r| r.subject == target.subject)
            .expect("still required");
        // Overdue, or due as a new starter: either way, not in date, so "My training" offers the course.
        assert!(!gap.status.is_in_date(), "{name}: {:?}", gap.status);
        let mut c = course();
        c.code = "gap-course".into();
        // Named to sort before the built-in courses, so "My training" offers this one.
        c.title = format!("A refresher: {}", gap.explanation.rule.title);
        c.satisfies = vec![Satisfies {
            subject: gap.subject.clone(),
            level: gap.level,
        }];
        let now = chrono::Utc::now();
        store
            .publish_bank(rj1.id, None, now, "fire", &bank())
            .await
            .unwrap();
        store.publish_course(rj1.id, None, now, &c).await.unwrap();
        drop(state);

        let mut web = Client::signed_in(&app, LEARNER.0, LEARNER.1).await;
        let me = web.get("/me").await;
        assert!(
            me.body.contains("/orgs/RJ1/learning/courses/gap-course"),
            "{name}: My training offers the course"
        );
        let page = web.get("/orgs/RJ1/learning/courses/gap-course").await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert!(page.body.contains("Start the course"), "{name}");
        let started = web
            .post_form("/orgs/RJ1/learning/courses/gap-course/start", &[], None)
            .await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{name}");
        let attempt = started.location().to_owned();
        assert!(
            attempt.starts_with("/orgs/RJ1/learning/attempts/"),
            "{attempt}"
        );

        let lesson = web.get(&format!("{attempt}/modules/lesson")).await;
        assert!(
            lesson.body.contains("<h1>Fire</h1>"),
            "{name}: the lesson renders"
        );
        let read = web
            .post_form(&format!("{attempt}/modules/lesson/complete"), &[], None)
            .await;
        assert_eq!(read.status, StatusCode::SEE_OTHER);

        // Both tries failed, the attempt is spent and says so; starting again starts a new attempt.
        for last in [false, true] {
            let paper = web.get(&format!("{attempt}/modules/check")).await;
            assert_eq!(paper.status, StatusCode::OK, "{name}");
            let (paper_id, questions) = paper_fields(&paper.body);
            let keys: Vec<String> = questions.iter().map(|q| format!("q:{q}")).collect();
            let mut fields: Vec<(&str, &str)> = vec![("paper", &paper_id)];
            fields.extend(keys.iter().map(|k| (k.as_str(), "a")));
            let result = web
                .post_form(&format!("{attempt}/modules/check/submit"), &fields, None)
                .await;
            assert!(result.body.contains("Not passed this time"), "{name}");
            assert_eq!(
                result.body.contains("That was your last try"),
                last,
                "{name}"
            );
        }
        let spent = web.get(&attempt).await;
        assert!(
            spent.body.contains("Every try at the assessment is used"),
            "{name}"
        );
        assert!(!spent.body.contains("Continue:"), "{name}");
        let page = web.get("/orgs/RJ1/learning/courses/gap-course").await;
        assert!(page.body.contains("Start the course</button>"), "{name}");
        let again = web
            .post_form("/orgs/RJ1/learning/courses/gap-course/start", &[], None)
            .await;
        assert_eq!(again.status, StatusCode::SEE_OTHER, "{name}");
        assert_ne!(again.location(), attempt, "{name}: a new attempt");
        let attempt = again.location().to_owned();
        web.post_form(&format!("{attempt}/modules/lesson/complete"), &[], None)
            .await;

        // The paper carries no answer key.
        let paper = web.get(&format!("{attempt}/modules/check")).await;
        assert_eq!(paper.status, StatusCode::OK, "{name}");
        assert!(
            !paper.body.contains("correct"),
            "{name}: no key in the page"
        );
        let (paper_id, questions) = paper_fields(&paper.body);
        assert_eq!(questions.len(), 3, "{name}");

        // A manager cannot see the learner's attempt.
        let mut boss = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        assert_eq!(
            boss.get(&attempt).await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );

        let mut fields: Vec<(&str, &str)> = vec![("paper", &paper_id)];
        let keys: Vec<String> = questions.iter().map(|q| format!("q:{q}")).collect();
        for k in &keys {
            fields.push((k, "b"));
        }
        let result = web
            .post_form(&format!("{attempt}/modules/check/submit"), &fields, None)
            .await;
        assert_eq!(result.status, StatusCode::OK, "{name}");
        assert!(result.body.contains("Passed: 100%"), "{name}");
        assert!(result.body.contains("on your training record"), "{name}");
        assert!(
            result
                .body
                .contains("Because the fire safety policy says so."),
            "{name}: feedback"
        );

        let me = web.get("/me").await;
        let row = me
            .body
            .split("<tr")
            .find(|r| {
                r.contains(&format!(
                    "{} level {}",
                    gap.explanation.rule.title, gap.level
                ))
            })
            .expect("the requirement's row");
        assert!(
            row.contains("Compliant"),
            "{name}: the requirement is compliant now: {row}"
        );
        assert!(
            !row.contains("gap-course"),
            "{name}: no course offered for a requirement in date"
        );
    }
}

/// A paper page's id and its questions' ids.
fn paper_fields(page: &str) -> (String, Vec<String>) {
    let paper_id = page
        .split("name=\"paper\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the paper's id")
        .to_owned();
    let questions: Vec<String> = page
        .split("name=\"q:")
        .skip(1)
        .filter_map(|r| r.split('"').next().map(str::to_owned))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    (paper_id, questions)
}
