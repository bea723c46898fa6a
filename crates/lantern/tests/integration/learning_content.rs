//! The project's own courses (`courses/*.toml`), end to end on every backend: the demo learner completes each one as
//! published to the demo world (every lesson, then a paper answered from the course file's key), and each completion
//! becomes a training record for the subject and level the course names, with its hours, that the engine counts.

use crate::backends;
use lantern_domain::access::{Grant, Reach};
use lantern_domain::engine::{OrgEngine, PersonFacts};
use lantern_learning::assessment::Answers;
use lantern_learning::course::{ModuleKind, ModuleState};
use lantern_store::learning::At;
use lantern_store::*;

#[tokio::test]
async fn the_demo_learner_completes_every_built_in_course() {
    let files = lantern::demo::courses::built_in().expect("the course files parse");
    for (name, store, _dir) in backends().await {
        lantern::demo::generate(
            store.as_ref(),
            100,
            7,
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
            .account_by_email("learner@demo.lantern.test")
            .await
            .unwrap()
            .expect("the demo learner")
            .person_id
            .expect("a person");
        let me = Scope::Grants(vec![Grant {
            org: rj1.id,
            reach: Reach::Person(person),
        }]);
        let now = chrono::Utc::now();
        let today = rj1.today(now);
        let at = At { now, today };

        for f in &files {
            let code = &f.course.code;
            let mut attempt = store
                .start_attempt(&me, rj1.id, person, code, now)
                .await
                .unwrap_or_else(|e| panic!("{name}: {code} starts: {e:?}"));
            for m in &f.course.modules {
                attempt = match &m.kind {
                    ModuleKind::Lesson { .. } => store
                        .record_module(&me, rj1.id, attempt.id, &m.key, ModuleState::Completed, at)
                        .await
                        .unwrap_or_else(|e| panic!("{name}: {code} {}: {e:?}", m.key)),
                    ModuleKind::Assessment { .. } => {
                        let paper = store
                            .paper(&me, rj1.id, attempt.id, &m.key, 1, now)
                            .await
                            .unwrap_or_else(|e| panic!("{name}: {code} paper: {e:?}"));
                        // The key comes from the course file: the page never carries it.
                        let answers: Answers = paper
                            .questions
                            .iter()
                            .map(|q| {
                                let asked = f
                                    .bank
                                    .questions
                                    .iter()
                                    .find(|b| b.id == q.id)
                                    .expect("a question of the bank");
                                let right = asked.options.iter().filter(|o| o.correct);
                                (q.id.clone(), right.map(|o| o.id.clone()).collect())
                            })
                            .collect();
                        let submitted = store
                            .submit_paper(&me, rj1.id, attempt.id, paper.id, &answers, at)
                            .await
                            .unwrap_or_else(|e| panic!("{name}: {code} submit: {e:?}"));
                        assert!(submitted.marked.passed, "{name}: {code} passes");
                        submitted.attempt
                    }
                    // Optional practice holds nothing back.
                    ModuleKind::Simulation { .. } if !m.required => attempt,
                    // A simulation is played, by the shipped script that passes it, for this module.
                    ModuleKind::Simulation { scenario } => {
                        play_to_a_pass(&store, &me, rj1.id, person, scenario, (attempt.id, &m.key))
                            .await;
                        store.attempt(&me, rj1.id, attempt.id).await.unwrap()
                    }
                    other => panic!("{name}: {code}: an unexpected module {other:?}"),
                };
            }
            assert!(attempt.completed_at.is_some(), "{name}: {code} is complete");
        }

        let bundle = store
            .person(&Scope::Platform, rj1.id, person)
            .await
            .unwrap();
        for f in &files {
            let evidence = format!("Lantern course {} version ", f.course.code);
            let hours = (f64::from(f.course.estimated_minutes()) / 60.0 * 100.0).round() / 100.0;
            for s in &f.course.satisfies {
                let record = bundle
                    .records
                    .iter()
                    .find(|r| {
                        r.record.subject == s.subject
                            && r.record.level == s.level
                            && r.record
                                .evidence_ref
                                .as_deref()
                                .is_some_and(|e| e.starts_with(&evidence))
                    })
                    .unwrap_or_else(|| {
                        panic!("{name}: {} gives a record for {s:?}", f.course.code)
                    });
                assert_eq!(record.record.completed_on, today, "{name}");
                assert_eq!(record.record.hours, Some(hours), "{name}: {s:?}");
            }
        }

        // Every requirement kept by completion that a built-in course covers is now in date. Hours-based ones
        // (safeguarding) count the course's hours towards a total, so one course need not be enough for them.
        let ctx = store.org_context(&Scope::Platform, rj1.id).await.unwrap();
        let engine = OrgEngine::new(rj1.id, &ctx.rules, &ctx.policies, None);
        let facts = PersonFacts {
            posts: &bundle.posts,
            records: &bundle.records,
            exemptions: &bundle.exemptions,
        };
        let mut covered = 0;
        for r in engine.person(facts).explain_at(today) {
            let by_a_course = files.iter().any(|f| {
                f.course
                    .satisfies
                    .iter()
                    .any(|s| s.subject == r.subject && s.level >= r.level)
            });
            if by_a_course && r.explanation.hours.is_none() {
                assert!(
                    r.status.is_in_date(),
                    "{name}: {} level {} is {:?}",
                    r.subject,
                    r.level,
                    r.status
                );
                covered += 1;
            }
        }
        // The learner is a nurse: some subjects she needs at a higher level than any built-in course (resuscitation
        // with a practical, for one), but most level 1 subjects and infection prevention level 2 are covered.
        assert!(covered >= 5, "{name}: only {covered} requirements covered");
    }
}

/// Plays a shipped scenario for a course module to a pass, with its script `scenarios/scripts/ID.pass.txt`, through
/// the store as the player would (run started for the module, then ended with its score).
async fn play_to_a_pass(
    store: &std::sync::Arc<dyn lantern_store::Store>,
    me: &Scope,
    org: lantern_domain::OrgId,
    person: lantern_domain::PersonId,
    scenario: &str,
    (attempt, key): (i64, &str),
) {
    use lantern_store::sims::{NewRun, RunModule, SimResult};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script =
        std::fs::read_to_string(root.join(format!("scenarios/scripts/{scenario}.pass.txt")))
            .unwrap_or_else(|e| panic!("{scenario}: a passing script: {e}"));
    let script = lantern_sim::script::parse(&script).unwrap();
    let (file, text) = lantern_sim::shipped::find(scenario).unwrap();
    let s = lantern_sim::scenario::parse(file, text).unwrap();
    let account = store
        .account_by_email("learner@demo.lantern.test")
        .await
        .unwrap()
        .unwrap();
    let registration = lantern_web::xapi::cmi5::new_uuid();
    let run = store
        .start_sim_run(
            me,
            &NewRun {
                org,
                person,
                account: account.id,
                scenario_id: scenario,
                scenario_body: text,
                digest: scenario,
                seed: 1,
                registration: &registration,
                module: Some(RunModule {
                    attempt,
                    key: key.to_owned(),
                }),
                team: None,
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{scenario}: {e:?}"));
    let engine = lantern_sim::engine::Run::replay(&s, 1, &script.actions, script.ended_at).unwrap();
    let score = lantern_sim::scoring::score(&engine);
    assert!(score.passed, "{scenario}: {:?}", score.failed_because);
    store
        .finish_sim_run(
            me,
            org,
            run,
            &SimResult {
                ended_at_sim: engine.end_time(),
                percent: score.percent,
                passed: true,
                score: serde_json::to_string(&score).unwrap(),
                recorded_at: chrono::Utc::now(),
                members: Vec::new(),
            },
            &[],
            chrono::Utc::now().date_naive(),
        )
        .await
        .unwrap();
}
