//! `lantern bench-lrs`: the built-in LRS through the whole HTTP stack on loopback, following the TRAX LRS
//! benchmark's method: single POSTs, small, medium and large batches, low and high variety of actors, then filtered
//! GETs (by agent, by activity, with related_agents / related_activities, by verb, since) at each size checkpoint.
//! Statements are validated and durable before each answer, as in production. The server runs in this process on
//! 127.0.0.1; clients are Tokio tasks with their own HTTP connections.

use anyhow::Context;
use axum::body::Bytes;
use axum::http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lantern_store::{OrgRow, Scope, Store, WriteBatch};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

type Http = Client<HttpConnector, Full<Bytes>>;

pub struct Options {
    /// Statements to reach in the store; query latency is measured at every checkpoint passed on the way.
    pub statements: usize,
    pub checkpoints: Vec<usize>,
    /// Concurrent clients for the ingest.
    pub clients: usize,
    /// Query samples per kind at each checkpoint.
    pub samples: usize,
}

const ORG: &str = "LRSBENCH";
const LOW_VARIETY_ACTORS: usize = 1_000;
const ACTIVITIES: usize = 2_000;
const VERBS: [&str; 5] = [
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/attempted",
    "http://adlnet.gov/expapi/verbs/experienced",
    "http://adlnet.gov/expapi/verbs/answered",
];

/// A module's activity IRI; modules come 20 to a course.
fn module_iri(activity: usize) -> String {
    format!("{}/module/{activity}", course_iri(activity / 20))
}

fn course_iri(course: usize) -> String {
    format!("https://elearning.bench.nhs.test/course/{course}")
}

/// The `agent` query parameter for a low-variety learner.
fn learner_agent(learner: usize) -> String {
    format!(r#"{{"mbox":"mailto:learner{learner}@bench.nhs.test"}}"#)
}

struct Target {
    base: String,
    auth: String,
}

/// One statement like e-learning sends: actor, verb, an activity with its definition, its course as the parent, a
/// registration, and a scored result (about 900 bytes).
fn statement(n: u64, high_variety: bool) -> String {
    let actor = if high_variety {
        n
    } else {
        n % LOW_VARIETY_ACTORS as u64
    };
    let activity = (n.wrapping_mul(2_654_435_761)) % ACTIVITIES as u64;
    let course = activity / 20;
    let verb = VERBS[(n % VERBS.len() as u64) as usize];
    let registration = format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        actor as u32,
        course & 0xffff,
        actor & 0xfff,
        course & 0xfff,
        actor * 7919 + course
    );
    format!(
        r#"{{"actor":{{"objectType":"Agent","name":"Learner {actor}","mbox":"mailto:learner{actor}@bench.nhs.test"}},"verb":{{"id":"{verb}","display":{{"en-GB":"{verb_name}"}}}},"object":{{"objectType":"Activity","id":"https://elearning.bench.nhs.test/course/{course}/module/{activity}","definition":{{"name":{{"en-GB":"Module {activity} of course {course}"}},"description":{{"en-GB":"A module of mandatory training, with a short assessment at the end."}},"type":"http://adlnet.gov/expapi/activities/module"}}}},"result":{{"score":{{"scaled":0.{score:02},"raw":{score},"min":0,"max":100}},"success":{success},"completion":true,"duration":"PT{minutes}M"}},"context":{{"registration":"{registration}","platform":"Lantern benchmark","language":"en-GB","contextActivities":{{"parent":[{{"id":"https://elearning.bench.nhs.test/course/{course}","objectType":"Activity"}}],"grouping":[{{"id":"https://elearning.bench.nhs.test","objectType":"Activity"}}]}}}}}}"#,
        verb_name = verb.rsplit('/').next().unwrap_or(""),
        score = n % 100,
        success = n % 100 >= 80,
        minutes = 5 + n % 40,
    )
}

fn batch(from: u64, size: usize, high_variety: bool) -> Bytes {
    let mut body = String::with_capacity(size * 950 + 2);
    body.push('[');
    for i in 0..size as u64 {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&statement(from + i, high_variety));
    }
    body.push(']');
    Bytes::from(body)
}

async fn post(http: &Http, t: &Target, body: Bytes) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let res = http
        .request(
            Request::post(format!("{}/xapi/statements", t.base))
                .header(header::AUTHORIZATION, &t.auth)
                .header("x-experience-api-version", "1.0.3")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Full::new(body))?,
        )
        .await?;
    let status = res.status();
    let bytes = res.into_body().collect().await?.to_bytes();
    anyhow::ensure!(
        status == StatusCode::OK,
        "POST answered {status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    Ok(started.elapsed())
}

async fn get(http: &Http, t: &Target, query: &str) -> anyhow::Result<(Duration, usize)> {
    let started = Instant::now();
    let res = http
        .request(
            Request::get(format!("{}/xapi/statements?{query}", t.base))
                .header(header::AUTHORIZATION, &t.auth)
                .header("x-experience-api-version", "1.0.3")
                .body(Full::default())?,
        )
        .await?;
    let status = res.status();
    let bytes = res.into_body().collect().await?.to_bytes();
    anyhow::ensure!(status == StatusCode::OK, "GET {query} answered {status}");
    let found = serde_json::from_slice::<serde_json::Value>(&bytes)?["statements"]
        .as_array()
        .map_or(0, Vec::len);
    Ok((started.elapsed(), found))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Sends `total` statements in batches of `size` from `clients` concurrent clients; returns statements per second
/// and the p50/p99 latency of a request.
async fn ingest(
    http: &Http,
    t: &Arc<Target>,
    start: u64,
    total: usize,
    size: usize,
    clients: usize,
    high_variety: bool,
) -> anyhow::Result<(f64, f64, f64)> {
    let next = Arc::new(AtomicUsize::new(0));
    let batches = total.div_ceil(size);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, t, next) = (http.clone(), t.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= batches {
                    return Ok::<_, anyhow::Error>(lat);
                }
                let n = size.min(total - b * size);
                let body = batch(start + (b * size) as u64, n, high_variety);
                lat.push(post(&http, &t, body).await?);
            }
        }));
    }
    let mut lat = Vec::new();
    for task in tasks {
        lat.extend(task.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort();
    Ok((
        total as f64 / secs,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
    ))
}

/// The query string of a query kind's i-th sample.
type QueryOf = Box<dyn Fn(usize) -> String>;

async fn queries(http: &Http, t: &Target, samples: usize) -> anyhow::Result<()> {
    let enc = |s: &str| -> String { form_urlencoded::byte_serialize(s.as_bytes()).collect() };
    let kinds: Vec<(&str, QueryOf)> = vec![
        (
            "agent",
            Box::new(move |i| {
                let a = learner_agent((i * 37) % LOW_VARIETY_ACTORS);
                format!("agent={}&limit=25", enc(&a))
            }),
        ),
        (
            "activity",
            Box::new(move |i| {
                format!(
                    "activity={}&limit=25",
                    enc(&module_iri((i * 53) % ACTIVITIES))
                )
            }),
        ),
        (
            "verb + activity",
            Box::new(move |i| {
                format!(
                    "verb={}&activity={}&limit=25",
                    enc(VERBS[i % VERBS.len()]),
                    enc(&module_iri((i * 71) % ACTIVITIES))
                )
            }),
        ),
        (
            "activity, related_activities (a course)",
            Box::new(move |i| {
                format!(
                    "activity={}&related_activities=true&limit=25",
                    enc(&course_iri((i * 13) % (ACTIVITIES / 20)))
                )
            }),
        ),
        (
            "agent, related_agents",
            Box::new(move |i| {
                let a = learner_agent((i * 41) % LOW_VARIETY_ACTORS);
                format!("agent={}&related_agents=true&limit=25", enc(&a))
            }),
        ),
        ("newest, no filter", Box::new(|_| "limit=25".to_owned())),
    ];
    for (name, make) in &kinds {
        let mut lat = Vec::with_capacity(samples);
        let mut found = 0;
        for i in 0..samples {
            let (d, n) = get(http, t, &make(i)).await?;
            lat.push(d);
            found += n;
        }
        lat.sort();
        println!(
            "    GET by {name:<42} p50 {:>6.2} ms  p99 {:>6.2} ms  ({:.1} statements a page)",
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            found as f64 / samples as f64
        );
    }
    Ok(())
}

pub async fn run(store: Arc<dyn Store>, opts: Options) -> anyhow::Result<()> {
    let org = match store.org_by_code(&Scope::Platform, ORG).await {
        Ok(o) => o,
        Err(_) => {
            store
                .write(&WriteBatch {
                    orgs: vec![OrgRow {
                        ods_code: ORG.into(),
                        name: "LRS benchmark".into(),
                        org_type: lantern_domain::OrgType::Other,
                        target_percent: 90.0,
                    }],
                    ..WriteBatch::default()
                })
                .await?;
            store.org_by_code(&Scope::Platform, ORG).await?
        }
    };
    let (key, secret, hash) = lantern_web::xapi::auth::new_credential();
    store
        .create_lrs_credential(
            &lantern_store::lrs::NewLrsCredential {
                org: org.id,
                name: "benchmark client",
                api_key: &key,
                secret_hash: &hash,
                can_write: true,
                default_version: lantern_xapi::Version::V1_0_3,
            },
            chrono::Utc::now(),
        )
        .await?;
    let state = lantern_web::AppState::new(store.clone(), lantern_web::AuthConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = lantern_web::app(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let t = Arc::new(Target {
        base: format!("http://{addr}"),
        auth: format!(
            "Basic {}",
            base64_encode(format!("{key}:{secret}").as_bytes())
        ),
    });
    let http: Http = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(opts.clients * 2)
        .build_http();

    let already = usize::try_from(store.statement_count(org.id).await?).unwrap_or(0);
    println!(
        "backend: {}; {} statements already in the benchmark LRS; {} clients",
        store.backend().name(),
        already,
        opts.clients
    );
    // Where the time goes: parsing and validating alone, on one core, without HTTP or the database.
    let sample = batch(1, 10_000, false);
    let started = Instant::now();
    let plain: serde_json::Value = serde_json::from_slice(&sample)?;
    let plain_parse = started.elapsed();
    drop(plain);
    let started = Instant::now();
    let parsed = lantern_xapi::parse_json(&sample).map_err(|e| anyhow::anyhow!("{e}"))?;
    let parse = started.elapsed();
    let ctx = lantern_xapi::PrepareContext {
        new_id: uuid::Uuid::nil(),
        stored: chrono::Utc::now(),
        authority: lantern_xapi::Authority::new(serde_json::json!({"objectType": "Agent", "account": {"homePage": "https://lantern.test/xapi", "name": "k"}}))
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    let started = Instant::now();
    let serde_json::Value::Array(parsed) = parsed else {
        anyhow::bail!("the sample batch is an array");
    };
    for s in parsed {
        lantern_xapi::prepare(s, lantern_xapi::Version::V1_0_3, &ctx)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let prepare = started.elapsed();
    println!(
        "one core, per statement: JSON parse {:.1} µs (serde_json's own Value: {:.1} µs), validate and prepare {:.1} µs",
        parse.as_secs_f64() * 1e6 / 10_000.0,
        plain_parse.as_secs_f64() * 1e6 / 10_000.0,
        prepare.as_secs_f64() * 1e6 / 10_000.0
    );
    let mut stored = already;
    let mut seq = already as u64 + 1;
    if already == 0 {
        println!("TRAX-style writes (statements/s through HTTP, validated and durable):");
        for (label, size, total, clients, high) in [
            ("single statements", 1, 2_000, opts.clients, false),
            ("batches of 10", 10, 20_000, opts.clients, false),
            (
                "batches of 100, low variety of actors",
                100,
                100_000,
                opts.clients,
                false,
            ),
            (
                "batches of 100, high variety of actors",
                100,
                100_000,
                opts.clients,
                true,
            ),
            ("batches of 1000", 1000, 100_000, opts.clients.min(4), false),
        ] {
            let (rate, p50, p99) = ingest(&http, &t, seq, total, size, clients, high).await?;
            seq += total as u64;
            stored += total;
            println!(
                "  {label:<40} {rate:>8.0} statements/s  (request p50 {p50:.1} ms, p99 {p99:.1} ms)"
            );
        }
    }
    let mut checkpoints = opts.checkpoints.clone();
    checkpoints.retain(|c| *c <= opts.statements);
    if !checkpoints.contains(&opts.statements) {
        checkpoints.push(opts.statements);
    }
    checkpoints.sort();
    for c in checkpoints {
        if stored < c {
            let n = c - stored;
            let started = Instant::now();
            let mut done = 0;
            let mut rates = Vec::new();
            // In rounds of 100,000, so progress shows and the rate can be seen to hold as the store grows.
            while done < n {
                let round = 100_000.min(n - done);
                let (rate, _, _) = ingest(&http, &t, seq, round, 100, opts.clients, false).await?;
                rates.push(rate);
                seq += round as u64;
                done += round;
                eprint!("\r  ingesting to {c}: {} / {n} ({rate:.0}/s)        ", done);
            }
            eprintln!();
            stored = c;
            println!(
                "  ingest to {c}: {n} statements in batches of 100 in {:.0} s = {:.0} statements/s (last round {:.0}/s)",
                started.elapsed().as_secs_f64(),
                n as f64 / started.elapsed().as_secs_f64(),
                rates.last().copied().unwrap_or(0.0)
            );
        }
        store.refresh_statistics().await.context("statistics")?;
        println!(
            "at {stored} statements, filtered GETs ({} samples each, one client):",
            opts.samples
        );
        queries(&http, &t, opts.samples).await?;
    }
    Ok(())
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}
