//! `lantern bench-scorm`: many learners playing a SCORM package at once, each committing its run-time data to the
//! content origin every `--commit-seconds` (as scorm-again's autocommit and a SCO's own commits do), while others
//! sit the built-in courses' assessments (`papers.rs`), against a real server (this binary, a child process on the
//! same database) on loopback; latency per request, for each side, and the server's memory. Each learner is a
//! different person of the demo world with an attempt and a launch of their own, made through the store as a
//! module page would make them.

mod papers;

use crate::loadtest::{Http, Server, rss_kb, start_server};
use axum::body::Bytes;
use axum::http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use lantern_store::Scope;
use std::time::{Duration, Instant};

pub struct Options {
    pub learners: usize,
    pub seconds: u64,
    pub commit_seconds: u64,
    /// Learners sitting assessments meanwhile, each submitting a paper about every `submit_seconds`.
    pub submitters: usize,
    pub submit_seconds: u64,
    pub port: u16,
    pub database: String,
    /// Arguments that choose the database, passed on to the server.
    pub database_args: Vec<String>,
    pub demo_staff: usize,
}

pub async fn run(o: Options) -> anyhow::Result<()> {
    let content_port = o.port + 1;
    let Server {
        mut child,
        pid,
        http,
        base,
        started,
    } = start_server(
        &o.database_args,
        o.port,
        &[
            "--demo".to_owned(),
            "--demo-staff".to_owned(),
            o.demo_staff.to_string(),
            "--content-listen".to_owned(),
            format!("127.0.0.1:{content_port}"),
        ],
        o.learners + o.submitters,
        Duration::from_secs(1200),
    )
    .await?;
    let content = format!("http://127.0.0.1:{content_port}");
    tokio::time::sleep(Duration::from_secs(3)).await;

    // A launch per learner, each a different person with an attempt of their own.
    let store = lantern_store::open(&o.database).await?;
    let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await?;
    let people = store.person_ids(&Scope::Platform, rj1.id).await?;
    anyhow::ensure!(
        people.len() >= o.learners + o.submitters,
        "RJ1 has {} people; use a larger --demo-staff",
        people.len()
    );
    let now = chrono::Utc::now();
    let mut tokens = Vec::with_capacity(o.learners);
    for p in people.iter().take(o.learners) {
        let a = store
            .start_attempt(
                &Scope::Platform,
                rj1.id,
                *p,
                "demo-scorm12-health-safety",
                now,
            )
            .await?;
        let token = lantern_web::auth::new_token();
        store
            .launch_package(
                &Scope::Platform,
                rj1.id,
                a.id,
                "package",
                &lantern_web::auth::token_hash(&token),
                now,
                now + chrono::TimeDelta::hours(2),
            )
            .await?;
        tokens.push(token);
    }
    let submitters = papers::submitters(
        store.as_ref(),
        rj1.id,
        "RJ1",
        &people[o.learners..],
        o.submitters,
    )
    .await?;
    let courses: Vec<String> = crate::demo::courses::built_in()?
        .into_iter()
        .map(|f| f.course.code)
        .collect();
    let (rss0, _) = rss_kb(pid);
    println!(
        "server up (pid {pid}) in {:.1} s, RSS {:.0} MB; {} learners commit every {} s and {} sit a paper about \
         every {} s, for {} s",
        started.elapsed().as_secs_f64(),
        rss0 as f64 / 1024.0,
        o.learners,
        o.commit_seconds,
        o.submitters,
        o.submit_seconds,
        o.seconds
    );
    let deadline = Instant::now() + Duration::from_secs(o.seconds);
    let every = Duration::from_secs(o.commit_seconds);
    let mut tasks = Vec::new();
    for (i, token) in tokens.into_iter().enumerate() {
        let (http, content) = (http.clone(), content.clone());
        tasks.push(tokio::spawn(async move {
            // Launches spread over one commit interval.
            tokio::time::sleep(every.mul_f64(i as f64 / o.learners as f64)).await;
            let mut times = Vec::new();
            let mut errors = 0usize;
            let t = Instant::now();
            match send(
                &http,
                Request::get(format!("{content}/play/{token}/"))
                    .body(Full::default())
                    .unwrap(),
            )
            .await
            {
                Ok(()) => times.push(t.elapsed()),
                Err(_) => errors += 1,
            }
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                // A few kilobytes of suspend data, different each time, as an authoring tool's player writes.
                let body = serde_json::json!({"item": "ITEM-HSW", "cmi": {
                    "cmi.core.lesson_status": "incomplete",
                    "cmi.core.lesson_location": n.to_string(),
                    "cmi.core.exit": "suspend",
                    "cmi.core.session_time": "00:00:30",
                    "cmi.suspend_data": format!("{n}:{}", "a1b2c3d4".repeat(400)),
                }});
                let req = Request::post(format!("{content}/play/{token}/commit"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Full::new(Bytes::from(body.to_string())))
                    .unwrap();
                let t = Instant::now();
                match send(&http, req).await {
                    Ok(()) => times.push(t.elapsed()),
                    Err(_) => errors += 1,
                }
                tokio::time::sleep(every).await;
            }
            (times, errors)
        }));
    }
    let plan = papers::Plan {
        http: http.clone(),
        base,
        ods: "RJ1".to_owned(),
        courses,
        every: Duration::from_secs(o.submit_seconds),
        deadline,
    };
    let sitting: Vec<_> = submitters
        .into_iter()
        .enumerate()
        .map(|(i, me)| {
            let after = plan.every.mul_f64(i as f64 / o.submitters as f64);
            tokio::spawn(papers::sit(plan.clone(), me, i, after))
        })
        .collect();
    let sampled = tokio::spawn(async move {
        let mut peak = 0;
        while Instant::now() < deadline {
            peak = peak.max(rss_kb(pid).0);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        peak
    });
    let mut scorm = Latencies::default();
    for t in tasks {
        let (times, e) = t.await?;
        scorm.times.extend(times);
        scorm.errors += e;
    }
    let mut sat = papers::Sat::default();
    for t in sitting {
        let s = t.await?;
        sat.latencies.times.extend(s.latencies.times);
        sat.latencies.errors += s.latencies.errors;
        sat.papers += s.papers;
        sat.passed += s.passed;
    }
    let peak = sampled.await?;
    println!(
        "{} SCORM learners: {}",
        o.learners,
        scorm.summary("requests (player pages and commits)")
    );
    println!(
        "{} learners sitting assessments: {}; {} papers marked, {} passed",
        o.submitters,
        sat.latencies
            .summary("requests (attempts, lessons, papers and submissions)"),
        sat.papers,
        sat.passed
    );
    let mut all = scorm;
    all.times.extend(sat.latencies.times);
    all.errors += sat.latencies.errors;
    println!(
        "all: {}; server RSS {:.0} MB before, {:.0} MB peak",
        all.summary("requests"),
        rss0 as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    child.kill().await?;
    Ok(())
}

/// Request times, and how many requests failed.
#[derive(Default)]
pub(crate) struct Latencies {
    pub times: Vec<Duration>,
    pub errors: usize,
}

impl Latencies {
    fn summary(&mut self, what: &str) -> String {
        self.times.sort();
        let pct = |p: f64| {
            self.times
                .get(((self.times.len() as f64 - 1.0) * p).round() as usize)
                .copied()
                .unwrap_or_default()
        };
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "{} {what}, {} errors: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.times.len(),
            self.errors,
            ms(pct(0.5)),
            ms(pct(0.99)),
            ms(self.times.last().copied().unwrap_or_default())
        )
    }
}

async fn send(http: &Http, req: Request<Full<Bytes>>) -> anyhow::Result<()> {
    let res = http.request(req).await?;
    let status = res.status();
    let body = res.into_body().collect().await?.to_bytes();
    anyhow::ensure!(
        status == StatusCode::OK,
        "answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    Ok(())
}
