//! Racing writers: batches racing for the same statement id, many first statements from one new actor at once, and
//! documents written concurrently. Every request gets an answer the specification allows; none gets a 500.

use super::*;

/// Runs the requests at once on the multi-threaded runtime and returns their statuses.
async fn all_at_once(reqs: Vec<(Lrs, Value)>) -> Vec<StatusCode> {
    let handles: Vec<_> = reqs
        .into_iter()
        .map(|(lrs, body)| {
            tokio::spawn(async move { lrs.post("/xapi/statements", &body).await.status })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_never_get_a_server_error() {
    for w in worlds().await {
        let n = &w.name;
        // Two batches race for one id with the same statement: both succeed, one statement is stored.
        let id = uuid();
        let mut s = statement("race@nhs.test", COMPLETED, "https://elearning.test/race");
        s["id"] = json!(id);
        let statuses = all_at_once(
            (0..8)
                .map(|_| {
                    (
                        w.lrs.clone(),
                        json!([
                            s.clone(),
                            statement("x@nhs.test", EXPERIENCED, "https://elearning.test/x")
                        ]),
                    )
                })
                .collect(),
        )
        .await;
        assert!(
            statuses.iter().all(|s| *s == StatusCode::OK),
            "{n}: {statuses:?}"
        );
        // ... with different statements: one wins, the rest are 409, never 500.
        let id2 = uuid();
        let racers: Vec<(Lrs, Value)> = (0..8)
            .map(|i| {
                let mut s = statement(
                    &format!("racer{i}@nhs.test"),
                    COMPLETED,
                    "https://elearning.test/race",
                );
                s["id"] = json!(id2);
                (w.lrs.clone(), json!([s]))
            })
            .collect();
        let statuses = all_at_once(racers).await;
        assert_eq!(
            statuses.iter().filter(|s| **s == StatusCode::OK).count(),
            1,
            "{n}: {statuses:?}"
        );
        assert!(
            statuses
                .iter()
                .all(|s| matches!(*s, StatusCode::OK | StatusCode::CONFLICT)),
            "{n}: {statuses:?}"
        );
        // Many first statements from the same new actor at once (a unique-key race on the actor in some LRSs).
        let newcomer = "first.day@nhs.test";
        let firsts: Vec<(Lrs, Value)> = (0..40)
            .map(|i| {
                (
                    w.lrs.clone(),
                    statement(
                        newcomer,
                        EXPERIENCED,
                        &format!("https://elearning.test/induction/{i}"),
                    ),
                )
            })
            .collect();
        let statuses = all_at_once(firsts).await;
        assert!(
            statuses.iter().all(|s| *s == StatusCode::OK),
            "{n}: {statuses:?}"
        );
        let theirs = w
            .lrs
            .get(&format!(
                "/xapi/statements?agent={}&limit=0",
                enc(&json!({"mbox": format!("mailto:{newcomer}")}).to_string())
            ))
            .await
            .json();
        assert_eq!(theirs["statements"].as_array().unwrap().len(), 40, "{n}");
        // Documents: concurrent If-None-Match: * creations, exactly one wins.
        let uri = format!(
            "/xapi/activities/profile?activityId={}&profileId=race",
            enc("https://elearning.test/race")
        );
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let lrs = w.lrs.clone();
                let uri = uri.clone();
                tokio::spawn(async move {
                    lrs.send(
                        "PUT",
                        &uri,
                        &[("content-type", "application/json"), ("if-none-match", "*")],
                        format!("{{\"writer\":{i}}}"),
                    )
                    .await
                    .status
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for h in handles {
            statuses.push(h.await.unwrap());
        }
        assert_eq!(
            statuses
                .iter()
                .filter(|s| **s == StatusCode::NO_CONTENT)
                .count(),
            1,
            "{n}: {statuses:?}"
        );
        assert!(
            statuses
                .iter()
                .all(|s| matches!(*s, StatusCode::NO_CONTENT | StatusCode::PRECONDITION_FAILED)),
            "{n}: {statuses:?}"
        );
    }
}

/// Requests are written into a group's transaction without savepoints; one that fails part-way (here a database
/// error from a trigger, on SQLite, whose file the test can open) makes the writer redo the group with a savepoint
/// each. The failing request stores nothing, not even its good statement, and every other request is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_failing_part_way_leaves_the_rest_of_its_group_stored() {
    use sqlx::Connection;
    for w in worlds().await {
        let Some(dir) = &w._dir else { continue };
        let mut conn = sqlx::SqliteConnection::connect(&format!(
            "sqlite://{}",
            dir.path().join("test.db").display()
        ))
        .await
        .expect("open the test database");
        sqlx::query(
            "CREATE TRIGGER poison BEFORE INSERT ON xapi_statement_activities \
             WHEN (SELECT iri FROM xapi_activities WHERE id = NEW.activity_id) = 'https://elearning.test/poison' \
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
        )
        .execute(&mut conn)
        .await
        .expect("trigger");
        let with_id = |actor: &str, activity: &str| {
            let mut s = statement(actor, COMPLETED, activity);
            let id = uuid();
            s["id"] = json!(id);
            (id, s)
        };
        let mut reqs = Vec::new();
        let mut good = Vec::new();
        for i in 0..7 {
            let (a, sa) = with_id(&format!("fine{i}@nhs.test"), "https://elearning.test/fine");
            let (b, sb) = with_id(
                &format!("fine{i}@nhs.test"),
                "https://elearning.test/also-fine",
            );
            good.extend([a, b]);
            reqs.push((w.lrs.clone(), json!([sa, sb])));
        }
        let (innocent, si) = with_id("bystander@nhs.test", "https://elearning.test/fine");
        let (_, sp) = with_id("bystander@nhs.test", "https://elearning.test/poison");
        reqs.insert(3, (w.lrs.clone(), json!([si, sp])));
        let statuses = all_at_once(reqs).await;
        assert_eq!(
            statuses.iter().filter(|s| **s == StatusCode::OK).count(),
            7,
            "{statuses:?}"
        );
        assert!(statuses[3].is_server_error(), "{statuses:?}");
        for id in good {
            let r = w
                .lrs
                .get(&format!("/xapi/statements?statementId={id}"))
                .await;
            assert_eq!(r.status, StatusCode::OK, "statement {id} of a good request");
        }
        let r = w
            .lrs
            .get(&format!("/xapi/statements?statementId={innocent}"))
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "the failed request's good statement must not be stored"
        );
        // The writer goes on: the next request is stored.
        let (after, s) = with_id("later@nhs.test", "https://elearning.test/fine");
        assert_eq!(
            w.lrs.post("/xapi/statements", &json!([s])).await.status,
            StatusCode::OK
        );
        let r = w
            .lrs
            .get(&format!("/xapi/statements?statementId={after}"))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
}
