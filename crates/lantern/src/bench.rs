//! The benchmark harness behind `lantern bench`: generates a world of N staff when the database is empty (measuring
//! the ingest rate), then measures the organisation dashboard, the whole-system roll-up and one person's explained
//! status. Figures go to BENCHMARKS.md with the machine and the command.

use lantern_domain::engine::{OrgEngine, PersonFacts};
use lantern_domain::rollup::{Counts, Node};
use lantern_store::read_model::ReadModel;
use lantern_store::{PeopleFilter, Scope, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub async fn run(
    store: Arc<dyn Store>,
    staff: usize,
    seed: u64,
    samples: usize,
) -> anyhow::Result<()> {
    // The demo world is in London.
    let today = lantern_domain::local_time::TimeZone::DEFAULT.date_at(chrono::Utc::now());
    println!("backend: {}", store.backend().name());
    if store.is_empty().await? {
        let t = Instant::now();
        crate::demo::generate(store.as_ref(), staff, seed, today, true).await?;
        let secs = t.elapsed().as_secs_f64();
        let counts: std::collections::HashMap<String, i64> =
            store.table_counts().await?.into_iter().collect();
        let records = counts.get("training_records").copied().unwrap_or(0);
        println!(
            "ingest: {staff} staff, {records} records in {secs:.1} s = {:.0} staff/s, {:.0} records/s (durable batches of 2000 staff)",
            staff as f64 / secs,
            records as f64 / secs
        );
    }
    let orgs = store.list_orgs(&Scope::Platform).await?;
    let biggest = orgs
        .iter()
        .max_by_key(|o| o.people)
        .ok_or_else(|| anyhow::anyhow!("no organisations"))?;
    let model = ReadModel::new();

    // Organisation dashboard: cold (index build from the database) and warm (every unit x requirement on a date).
    let t = Instant::now();
    let rollup = model
        .rollup(store.as_ref(), &Scope::Platform, biggest.org.id, None)
        .await?;
    let cold = t.elapsed();
    let units: Vec<Node> = std::iter::once(Node::Org)
        .chain(rollup.context.units.iter().map(|u| Node::Unit(u.id)))
        .collect();
    let mut warm = Vec::new();
    for i in 0..50 {
        let d = today - chrono::Days::new(i * 30);
        let t = Instant::now();
        let r = model
            .rollup(store.as_ref(), &Scope::Platform, biggest.org.id, None)
            .await?;
        let mut cells = 0;
        for n in &units {
            cells += r.index.node(*n, d).len();
        }
        std::hint::black_box(cells);
        warm.push(t.elapsed());
    }
    warm.sort();
    println!(
        "org dashboard ({}, {} people, {} units): cold build {}, warm p50 {} p99 {}",
        biggest.org.ods_code,
        biggest.people,
        units.len(),
        ms(cold),
        ms(percentile(&warm, 0.5)),
        ms(percentile(&warm, 0.99))
    );

    // Whole system: every organisation's totals per requirement on a date, with all indexes warm.
    let t = Instant::now();
    for o in &orgs {
        model
            .rollup(store.as_ref(), &Scope::Platform, o.org.id, None)
            .await?;
    }
    println!(
        "whole-system index build (all {} organisations, cold): {:.1} s",
        orgs.len(),
        t.elapsed().as_secs_f64()
    );
    let (mut cells, mut people) = (0usize, 0usize);
    for o in &orgs {
        let r = model
            .rollup(store.as_ref(), &Scope::Platform, o.org.id, None)
            .await?;
        let (c, p) = r.index.heap_bytes();
        cells += c;
        people += p;
    }
    println!(
        "index memory, all organisations: histograms {:.0} MB, per-person contributions {:.0} MB",
        cells as f64 / 1e6,
        people as f64 / 1e6
    );
    let mut times = Vec::new();
    for i in 0..20 {
        let d = today - chrono::Days::new(i * 45);
        let t = Instant::now();
        let mut total = Counts::default();
        for o in &orgs {
            let r = model
                .rollup(store.as_ref(), &Scope::Platform, o.org.id, None)
                .await?;
            for (_, c) in r.index.node(Node::Org, d) {
                total.merge(&c);
            }
        }
        std::hint::black_box(total);
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "whole-system roll-up (warm, incl. one version check per organisation): p50 {} p99 {}",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99))
    );

    // Where a cold build goes: loading people from the database, then the engine and the index.
    let t = Instant::now();
    let everyone = store
        .people(&Scope::Platform, biggest.org.id, &PeopleFilter::All)
        .await?;
    let load = t.elapsed();
    let records: usize = everyone.iter().map(|p| p.records.len()).sum();
    println!(
        "cold build breakdown ({}): loading {} people and {records} records {}, the rest is assessment and indexing",
        biggest.org.ods_code,
        everyone.len(),
        ms(load)
    );

    // After a write: one person completes a course; the next dashboard re-assesses only them.
    let mut times = Vec::new();
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed);
    // Evidence unique to this run, so a re-run writes new records rather than deduplicating to nothing.
    let run = chrono::Utc::now().timestamp_micros();
    for i in 0..20 {
        let who = &everyone[rng.usize(0..everyone.len())];
        let mut batch = lantern_store::WriteBatch::default();
        batch.records.push(lantern_store::RecordRow {
            line: 1,
            employee_number: who.person.employee_number.clone(),
            subject: lantern_domain::Subject::from_static("cstf.fire_safety"),
            level: 1,
            completed_on: today - chrono::Days::new(i),
            hours: None,
            provider: "e-Learning for Healthcare".into(),
            provider_type: lantern_domain::ProviderType::NationalElearning,
            provider_org: None,
            source: lantern_domain::RecordSource::Elearning,
            evidence_ref: Some(format!("bench-{run}-{i}")),
            recorded_at: None,
        });
        store.write(&batch).await?;
        let t = Instant::now();
        model
            .rollup(store.as_ref(), &Scope::Platform, biggest.org.id, None)
            .await?;
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "org dashboard after a one-person write (incremental update): p50 {} p99 {}",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99))
    );

    // One person: load from the database and explain every requirement.
    let ids: Vec<lantern_domain::PersonId> = everyone.iter().map(|p| p.person.id).collect();
    let ctx = store.org_context(&Scope::Platform, biggest.org.id).await?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut times = Vec::with_capacity(samples);
    let mut loads = Vec::with_capacity(samples);
    for _ in 0..samples {
        let id = ids[rng.usize(0..ids.len())];
        let t = Instant::now();
        let p = store.person(&Scope::Platform, biggest.org.id, id).await?;
        loads.push(t.elapsed());
        let engine = OrgEngine::new(biggest.org.id, &ctx.rules, &ctx.policies, None);
        let out = engine
            .person(PersonFacts {
                posts: &p.posts,
                records: &p.records,
                exemptions: &p.exemptions,
            })
            .explain_at(today);
        std::hint::black_box(out);
        times.push(t.elapsed());
    }
    times.sort();
    loads.sort();
    println!(
        "one person explained ({samples} samples): p50 {} p99 {} (loading from the database: p50 {} p99 {})",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(percentile(&loads, 0.5)),
        ms(percentile(&loads, 0.99))
    );

    export(store, &biggest.org.ods_code, biggest.people).await
}

/// This process's resident memory now, and its peak, from /proc (Linux), in MB.
fn rss_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The auditor's export of the largest organisation, every person by every requirement, through the real HTTP
/// stack (sign-in, session, access check, streaming): CSV and XLSX, with the index warm.
async fn export(store: Arc<dyn Store>, ods: &str, people: i64) -> anyhow::Result<()> {
    use axum::body::Body;
    use axum::http::{Request, header};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    const EMAIL: &str = "bench-platform@lantern.test";
    const PASSWORD: &str = "bench-platform-password";
    if store.account_by_email(EMAIL).await?.is_none() {
        crate::users::create(
            store.as_ref(),
            crate::users::CreateUser {
                email: EMAIL.into(),
                name: Some("Benchmark".into()),
                password: PASSWORD.into(),
                role: lantern_domain::access::Role::PlatformAdmin,
                org: None,
                units: vec![],
                employee_number: None,
            },
        )
        .await?;
    }
    let app = lantern_web::app(lantern_web::AppState::new(
        store,
        lantern_web::AuthConfig::default(),
    ));
    let res = app
        .clone()
        .oneshot(Request::get("/sign-in").body(Body::empty())?)
        .await?;
    let csrf = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("lantern_csrf="))
        .and_then(|c| c.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("no CSRF cookie"))?
        .to_owned();
    let form = format!("csrf_token={csrf}&email={EMAIL}&password={PASSWORD}");
    let res = app
        .clone()
        .oneshot(
            Request::post("/sign-in")
                .header(header::COOKIE, format!("lantern_csrf={csrf}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))?,
        )
        .await?;
    let session = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("lantern_session="))
        .and_then(|c| c.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("sign-in failed"))?
        .to_owned();
    let get = |uri: String| {
        let app = app.clone();
        let session = session.clone();
        async move {
            let req = Request::get(uri)
                .header(header::COOKIE, format!("lantern_session={session}"))
                .body(Body::empty())?;
            let res = app.oneshot(req).await?;
            anyhow::ensure!(
                res.status().is_success(),
                "export answered {}",
                res.status()
            );
            // Read the stream piece by piece, as a client would, keeping only the count.
            let mut body = res.into_body();
            let mut bytes = 0usize;
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame?.into_data() {
                    bytes += data.len();
                }
            }
            anyhow::Ok(bytes)
        }
    };
    let today = lantern_domain::local_time::TimeZone::DEFAULT.date_at(chrono::Utc::now());
    // Warm the index (a server has it warm), then measure.
    get(format!("/orgs/{ods}/report.csv?as_at={today}")).await?;
    for (ext, runs) in [("csv", 20), ("xlsx", 3)] {
        let (before, _) = rss_mb();
        let mut times = Vec::new();
        let mut size = 0;
        let mut peak_growth: f64 = 0.0;
        let mut growth: Vec<String> = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            size = get(format!("/orgs/{ods}/report.{ext}?as_at={today}")).await?;
            times.push(t.elapsed());
            peak_growth = peak_growth.max(rss_mb().0 - before);
            growth.push(format!("{:.0}", rss_mb().0 - before));
        }
        // RSS after each run relative to before: a plateau is allocator reuse, a steady climb would be a leak.
        println!(
            "  {ext} RSS growth after each run (MB): {}",
            growth.join(" ")
        );
        times.sort();
        println!(
            "export of {ods} ({people} people x every requirement) as {ext}: {:.1} MB, p50 {} max {}, RSS after minus before {:.0} MB",
            size as f64 / 1e6,
            ms(percentile(&times, 0.5)),
            ms(*times.last().expect("runs")),
            peak_growth
        );
    }
    Ok(())
}
