//! GET /xapi/statements as a query (Communication 2.1.3): every filter, related_*, since/until, ascending, limit and
//! `more` paging, the StatementRef rule, formats and Accept-Language.

use super::*;

fn ids(res: &Res) -> Vec<String> {
    res.json()["statements"]
        .as_array()
        .unwrap_or_else(|| panic!("a StatementResult: {}", res.text()))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn post_one(lrs: &Lrs, s: Value) -> String {
    let res = lrs.post("/xapi/statements", &s).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    res.json()[0].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn filters_select_what_they_name() {
    for w in worlds().await {
        let n = &w.name;
        let lrs = &w.lrs;
        let reg = uuid();
        let course = "https://elearning.test/courses/ipc";
        let module = "https://elearning.test/courses/ipc/module-2";
        let a = post_one(lrs, statement("alice@nhs.test", COMPLETED, module)).await;
        let mut in_course = statement("bob@nhs.test", PASSED, module);
        in_course["context"] = json!({
            "registration": reg,
            "instructor": agent("teacher@nhs.test"),
            "contextActivities": {"parent": {"id": course}},
        });
        let b = post_one(lrs, in_course).await;
        let mut about_alice = statement(
            "carol@nhs.test",
            EXPERIENCED,
            "https://elearning.test/other",
        );
        about_alice["object"] = agent("alice@nhs.test");
        let c = post_one(lrs, about_alice).await;
        let mut sub = statement(
            "dave@nhs.test",
            "http://adlnet.gov/expapi/verbs/planned",
            "https://elearning.test/unused",
        );
        sub["object"] = json!({"objectType": "SubStatement", "actor": agent("erin@nhs.test"), "verb": {"id": COMPLETED}, "object": {"id": course}});
        let d = post_one(lrs, sub).await;

        let q = |query: String| {
            let lrs = lrs.clone();
            async move { lrs.get(&format!("/xapi/statements?{query}")).await }
        };
        // Newest first by default.
        assert_eq!(
            ids(&q(String::new()).await),
            vec![d.clone(), c.clone(), b.clone(), a.clone()],
            "{n}"
        );
        assert_eq!(
            ids(&q("ascending=true".into()).await),
            vec![a.clone(), b.clone(), c.clone(), d.clone()],
            "{n}"
        );
        // agent: the actor or the object.
        let alice = enc(&agent("alice@nhs.test").to_string());
        assert_eq!(
            ids(&q(format!("agent={alice}")).await),
            vec![c.clone(), a.clone()],
            "{n}"
        );
        // related_agents also finds the instructor and a sub-statement's actor.
        let teacher = enc(&json!({"mbox": "mailto:teacher@nhs.test"}).to_string());
        assert!(ids(&q(format!("agent={teacher}")).await).is_empty(), "{n}");
        assert_eq!(
            ids(&q(format!("agent={teacher}&related_agents=true")).await),
            vec![b.clone()],
            "{n}"
        );
        let erin = enc(&json!({"mbox": "mailto:erin@nhs.test"}).to_string());
        assert_eq!(
            ids(&q(format!("agent={erin}&related_agents=true")).await),
            vec![d.clone()],
            "{n}"
        );
        // verb, activity and related_activities (context parents and sub-statements).
        assert_eq!(
            ids(&q(format!("verb={}", enc(PASSED))).await),
            vec![b.clone()],
            "{n}"
        );
        assert_eq!(
            ids(&q(format!("activity={}", enc(module))).await),
            vec![b.clone(), a.clone()],
            "{n}"
        );
        assert!(
            ids(&q(format!("activity={}", enc(course))).await).is_empty(),
            "{n}"
        );
        assert_eq!(
            ids(&q(format!("activity={}&related_activities=true", enc(course))).await),
            vec![d.clone(), b.clone()],
            "{n}"
        );
        // registration, and filters together.
        assert_eq!(
            ids(&q(format!("registration={reg}")).await),
            vec![b.clone()],
            "{n}"
        );
        assert!(
            ids(&q(format!("registration={reg}&verb={}", enc(COMPLETED))).await).is_empty(),
            "{n}"
        );
        assert_eq!(
            ids(&q(format!("activity={}&verb={}", enc(module), enc(COMPLETED))).await),
            vec![a.clone()],
            "{n}"
        );
        // Something never seen matches nothing (200 and an empty list).
        let none = q(format!("verb={}", enc("https://verbs.test/never"))).await;
        assert_eq!(none.status, StatusCode::OK, "{n}");
        assert_eq!(none.json(), json!({"statements": [], "more": ""}), "{n}");
        // Bad values are 400.
        for bad in [
            "agent=notjson",
            "agent=%7B%22name%22%3A%22x%22%7D",
            "verb=not%20an%20iri",
            "registration=123",
            "since=yesterday",
            "limit=-1",
            "format=pretty",
            "ascending=yes",
        ] {
            assert_eq!(
                q(bad.into()).await.status,
                StatusCode::BAD_REQUEST,
                "{n}: {bad}"
            );
        }
        // since / until are on stored, exclusive and inclusive.
        let stored_b = lrs
            .get(&format!("/xapi/statements?statementId={b}"))
            .await
            .json()["stored"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            ids(&q(format!("since={}", enc(&stored_b))).await),
            vec![d.clone(), c.clone()],
            "{n}"
        );
        assert_eq!(
            ids(&q(format!("until={}", enc(&stored_b))).await),
            vec![b.clone(), a.clone()],
            "{n}"
        );
        assert!(
            ids(&q("until=2000-01-01T00:00:00Z".into()).await).is_empty(),
            "{n}"
        );
        // Last-Modified is the newest stored of the answer.
        let res = q(format!("until={}", enc(&stored_b))).await;
        let lm = chrono::DateTime::parse_from_rfc2822(res.header("last-modified"))
            .expect("an HTTP date");
        let sb = chrono::DateTime::parse_from_rfc3339(&stored_b).unwrap();
        assert_eq!(lm.timestamp(), sb.timestamp(), "{n}");
    }
}

#[tokio::test]
async fn limit_and_more_page_through_everything_once() {
    for w in worlds().await {
        let n = &w.name;
        let batch: Vec<Value> = (0..23)
            .map(|i| {
                statement(
                    &format!("p{i}@nhs.test"),
                    EXPERIENCED,
                    "https://elearning.test/paged",
                )
            })
            .collect();
        let posted: Vec<String> = w
            .lrs
            .post("/xapi/statements", &json!(batch))
            .await
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        for ascending in [false, true] {
            let mut seen: Vec<String> = Vec::new();
            let mut url = format!(
                "/xapi/statements?limit=5&activity={}&ascending={ascending}",
                enc("https://elearning.test/paged")
            );
            let mut pages = 0;
            loop {
                let res = w.lrs.get(&url).await;
                assert_eq!(res.status, StatusCode::OK, "{n}: {url}: {}", res.text());
                let page = ids(&res);
                assert!(page.len() <= 5, "{n}");
                seen.extend(page);
                pages += 1;
                // A statement stored while paging does not join the result set the links walk.
                if pages == 2 {
                    w.lrs
                        .post(
                            "/xapi/statements",
                            &statement(
                                "late@nhs.test",
                                EXPERIENCED,
                                "https://elearning.test/paged",
                            ),
                        )
                        .await;
                }
                let more = res.json()["more"].as_str().unwrap().to_owned();
                if more.is_empty() {
                    break;
                }
                assert!(more.starts_with("/xapi/statements?more="), "{n}: {more}");
                url = more;
            }
            assert_eq!(pages, 5, "{n}: 23 statements, 5 a page");
            let mut expected = posted.clone();
            if !ascending {
                expected.reverse();
            }
            if ascending {
                // The late statements (one per pass) are newer than the set: ascending pages reach them.
                seen.retain(|id| posted.contains(id));
            }
            assert_eq!(
                seen, expected,
                "{n}: every statement once, in order (ascending {ascending})"
            );
        }
        // A more token is only ever used as given.
        assert_eq!(
            w.lrs.get("/xapi/statements?more=garbage").await.status,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        // limit=0 means the LRS's own maximum.
        assert_eq!(
            ids(&w.lrs.get("/xapi/statements?limit=0").await).len(),
            25,
            "{n}"
        );
    }
}

#[tokio::test]
async fn statements_targeting_a_match_match_too() {
    for w in worlds().await {
        let n = &w.name;
        let lrs = &w.lrs;
        let verb = "https://verbs.test/attempted";
        let mut original = statement("ben@nhs.test", verb, "https://elearning.test/explosives");
        let target = uuid();
        original["id"] = json!(target);
        post_one(lrs, original).await;
        let voiding = post_one(lrs, json!({"actor": agent("admin@nhs.test"), "verb": {"id": VOIDED}, "object": {"objectType": "StatementRef", "id": target}})).await;
        let confirming = post_one(lrs, json!({"actor": agent("andrew@nhs.test"), "verb": {"id": verb}, "object": {"objectType": "StatementRef", "id": target}})).await;
        // A statement about a statement about the original (the rule applies recursively).
        let noted = post_one(lrs, json!({"actor": agent("clerk@nhs.test"), "verb": {"id": "https://verbs.test/noted"}, "object": {"objectType": "StatementRef", "id": confirming}})).await;
        let by_verb = ids(&lrs
            .get(&format!("/xapi/statements?verb={}", enc(verb)))
            .await);
        assert_eq!(
            by_verb,
            vec![noted.clone(), confirming.clone(), voiding.clone()],
            "{n}: the original is voided; what targets it still matches"
        );
        let ben = enc(&agent("ben@nhs.test").to_string());
        assert_eq!(
            ids(&lrs.get(&format!("/xapi/statements?agent={ben}")).await),
            vec![noted.clone(), confirming.clone(), voiding.clone()],
            "{n}"
        );
        assert_eq!(
            ids(&lrs
                .get(&format!("/xapi/statements?verb={}&limit=1", enc(verb)))
                .await),
            vec![noted.clone()],
            "{n}"
        );
        // Time bounds apply to the targeting statements themselves.
        let stored = lrs
            .get(&format!("/xapi/statements?statementId={confirming}"))
            .await
            .json()["stored"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            ids(&lrs
                .get(&format!(
                    "/xapi/statements?verb={}&until={}",
                    enc(verb),
                    enc(&stored)
                ))
                .await),
            vec![confirming.clone(), voiding.clone()],
            "{n}"
        );
    }
}

#[tokio::test]
async fn formats_and_languages() {
    for w in worlds().await {
        let n = &w.name;
        let mut s = statement("fmt@nhs.test", COMPLETED, "https://elearning.test/fmt");
        s["verb"]["display"] =
            json!({"en-US": "completed", "en-GB": "completed (GB)", "fr-FR": "terminé"});
        s["object"]["definition"] = json!({"name": {"en-US": "Fire safety", "en-GB": "Fire safety (GB)"}, "description": {"en-US": "A course"}});
        let id = post_one(&w.lrs, s).await;
        let get = |q: &str, lang: Option<&str>| {
            let lrs = w.lrs.clone();
            let q = q.to_owned();
            let lang = lang.map(str::to_owned);
            let id = id.clone();
            async move {
                let headers: Vec<(&str, &str)> = lang
                    .iter()
                    .map(|l| ("accept-language", l.as_str()))
                    .collect();
                lrs.send(
                    "GET",
                    &format!("/xapi/statements?statementId={id}&{q}"),
                    &headers,
                    axum::body::Body::empty(),
                )
                .await
                .json()
            }
        };
        let exact = get("format=exact", None).await;
        assert_eq!(
            exact["verb"]["display"].as_object().unwrap().len(),
            3,
            "{n}"
        );
        let ids_only = get("format=ids", None).await;
        assert_eq!(ids_only["verb"], json!({"id": COMPLETED}), "{n}");
        assert_eq!(
            ids_only["object"],
            json!({"id": "https://elearning.test/fmt"}),
            "{n}"
        );
        assert_eq!(
            ids_only["actor"],
            json!({"objectType": "Agent", "mbox": "mailto:fmt@nhs.test"}),
            "{n}"
        );
        let canonical = get("format=canonical", Some("en-GB")).await;
        assert_eq!(
            canonical["verb"]["display"],
            json!({"en-GB": "completed (GB)"}),
            "{n}"
        );
        assert_eq!(
            canonical["object"]["definition"]["name"],
            json!({"en-GB": "Fire safety (GB)"}),
            "{n}"
        );
        let french = get("format=canonical", Some("fr-FR, en;q=0.5")).await;
        assert_eq!(
            french["verb"]["display"],
            json!({"fr-FR": "terminé"}),
            "{n}"
        );
    }
}
