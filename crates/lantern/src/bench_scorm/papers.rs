//! The assessment side of `lantern bench-scorm`: learners who sit the built-in courses' assessments while the
//! others commit SCORM data. Each has an account and a session of their own, made through the store as sign-in
//! would make them (so no password hashing is measured), and goes through courses as a learner can through the JSON
//! API and the lesson page: start an attempt, complete its lessons, draw a paper, submit it. They answer from what
//! earlier feedback showed them, so the first papers fail and later ones pass, and a pass writes the course's
//! training record and completes the attempt; then the next course.

use super::Latencies;
use crate::loadtest::Http;
use axum::body::Bytes;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use lantern_domain::PersonId;
use lantern_domain::access::Role;
use lantern_store::{GrantSpec, NewAccount, Scope, Store};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A learner sitting assessments: their session cookie and its CSRF token.
pub(super) struct Submitter {
    cookie: String,
    csrf: String,
}

/// An account and a session for each of `n` of `people` (those that can have one: a person who already has an
/// account of their own is passed over). Accounts left by an earlier run on the same database are used again.
pub(super) async fn submitters(
    store: &dyn Store,
    org: lantern_domain::OrgId,
    ods: &str,
    people: &[PersonId],
    n: usize,
) -> anyhow::Result<Vec<Submitter>> {
    let now = chrono::Utc::now();
    let mut out = Vec::with_capacity(n);
    for p in people {
        if out.len() == n {
            break;
        }
        let person = store.person(&Scope::Platform, org, *p).await?.person;
        let email = format!("bench-{}@bench.lantern.test", person.employee_number);
        let account = match store.account_by_email(&email).await? {
            Some(a) => a.id,
            None => {
                let new = NewAccount {
                    email,
                    display_name: format!("{} {}", person.given_name, person.family_name),
                    password_hash: None,
                    employee_number: Some(person.employee_number.clone()),
                    grants: vec![GrantSpec {
                        role: Role::Learner,
                        org: Some(ods.to_owned()),
                        unit: None,
                    }],
                };
                match store.create_account(&new, now).await {
                    Ok(id) => id,
                    // Already linked to an account (the demo learner): another person will do.
                    Err(_) => continue,
                }
            }
        };
        let token = lantern_web::auth::new_token();
        store
            .create_session(
                &lantern_web::auth::token_hash(&token),
                account,
                None,
                now,
                now + chrono::TimeDelta::hours(12),
            )
            .await?;
        out.push(Submitter {
            cookie: format!("lantern_session={token}"),
            csrf: lantern_web::auth::csrf::session_token(&token),
        });
    }
    anyhow::ensure!(
        out.len() == n,
        "only {} people of {ods} could sit assessments; use a larger --demo-staff",
        out.len()
    );
    Ok(out)
}

/// What one submitter measured.
#[derive(Default)]
pub(super) struct Sat {
    pub latencies: Latencies,
    pub papers: usize,
    pub passed: usize,
}

/// What every submitter shares: where to go, which courses, how often and until when.
#[derive(Clone)]
pub(super) struct Plan {
    pub http: Http,
    pub base: String,
    pub ods: String,
    pub courses: Vec<String>,
    pub every: Duration,
    pub deadline: Instant,
}

/// Sits the courses' assessments until the deadline, one paper about every `plan.every`, starting with course
/// `first` after `after` (so that submitters spread out).
pub(super) async fn sit(plan: Plan, me: Submitter, first: usize, after: Duration) -> Sat {
    let Plan {
        http,
        base,
        ods,
        courses,
        every,
        deadline,
    } = plan;
    tokio::time::sleep(after).await;
    let mut sat = Sat::default();
    // What the feedback has shown so far: each question's right options.
    let mut known: HashMap<String, Vec<String>> = HashMap::new();
    let call = async |sat: &mut Sat, method: Method, path: String, body: Option<Value>| {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{base}{path}"))
            .header(header::COOKIE, &me.cookie)
            .header("x-csrf-token", &me.csrf);
        let body = match body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(v.to_string()))
            }
            None => Full::default(),
        };
        let t = Instant::now();
        let answer = async {
            let res = http.request(req.body(body)?).await?;
            let status = res.status();
            let bytes = res.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, bytes))
        }
        .await;
        match answer {
            Ok((status, bytes)) if status.is_success() || status == StatusCode::SEE_OTHER => {
                sat.latencies.times.push(t.elapsed());
                Some(serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null))
            }
            _ => {
                sat.latencies.errors += 1;
                None
            }
        }
    };
    let mut course = first;
    while Instant::now() < deadline {
        let code = &courses[course % courses.len()];
        course += 1;
        let Some(attempt) = call(
            &mut sat,
            Method::POST,
            format!("/api/v1/organisations/{ods}/courses/{code}/attempts"),
            Some(json!({})),
        )
        .await
        else {
            tokio::time::sleep(every).await;
            continue;
        };
        let id = attempt["id"].as_i64().unwrap_or_default();
        let modules = attempt["modules"].as_array().cloned().unwrap_or_default();
        for m in modules.iter().filter(|m| m["kind"] == "lesson") {
            if m["state"] != "completed" {
                let key = m["key"].as_str().unwrap_or_default();
                call(
                    &mut sat,
                    Method::POST,
                    format!("/orgs/{ods}/learning/attempts/{id}/modules/{key}/complete"),
                    None,
                )
                .await;
            }
        }
        let Some(key) = modules
            .iter()
            .find(|m| m["kind"] == "assessment")
            .and_then(|m| m["key"].as_str())
        else {
            continue;
        };
        // Papers until one passes or the tries run out.
        while Instant::now() < deadline {
            tokio::time::sleep(every).await;
            let Some(paper) = call(
                &mut sat,
                Method::GET,
                format!("/api/v1/organisations/{ods}/attempts/{id}/modules/{key}/paper"),
                None,
            )
            .await
            else {
                break;
            };
            let answers: serde_json::Map<String, Value> = paper["questions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|q| {
                    let qid = q["id"].as_str().unwrap_or_default().to_owned();
                    let guess = known.get(&qid).cloned().unwrap_or_else(|| {
                        q["options"][0]["id"]
                            .as_str()
                            .map(|o| vec![o.to_owned()])
                            .unwrap_or_default()
                    });
                    (qid, json!(guess))
                })
                .collect();
            let Some(marked) = call(
                &mut sat,
                Method::POST,
                format!(
                    "/api/v1/organisations/{ods}/attempts/{id}/papers/{}/submission",
                    paper["id"]
                ),
                Some(json!({ "answers": answers })),
            )
            .await
            else {
                break;
            };
            sat.papers += 1;
            for f in marked["feedback"].as_array().into_iter().flatten() {
                let right = f["options"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|o| o["correct"] == true)
                    .filter_map(|o| o["id"].as_str().map(str::to_owned))
                    .collect();
                known.insert(
                    f["question_id"].as_str().unwrap_or_default().to_owned(),
                    right,
                );
            }
            if marked["passed"] == true {
                sat.passed += 1;
            }
            // Passed, or every try used (the next start begins a new attempt).
            if marked["passed"] == true || marked["attempt"]["spent"] == true {
                break;
            }
        }
    }
    sat
}
