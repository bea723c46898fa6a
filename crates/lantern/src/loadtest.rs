//! `lantern bench-load`: many signed-in sessions walking learner and manager journeys against a real server on
//! loopback, measuring latency per request and the server's memory. The server is this binary, started as a child
//! process on the same database, so its RSS is measured alone.

use anyhow::Context;
use axum::body::Bytes;
use axum::http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) type Http = Client<HttpConnector, Full<Bytes>>;

pub struct Options {
    pub sessions: usize,
    pub seconds: u64,
    pub think_ms: u64,
    pub port: u16,
    /// Arguments that choose the database, passed on to the server.
    pub database_args: Vec<String>,
}

fn cookie_value(res_headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    res_headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
        })
}

pub(crate) async fn sign_in(
    http: &Http,
    base: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let res = http
        .request(Request::get(format!("{base}/sign-in")).body(Full::default())?)
        .await?;
    let csrf = cookie_value(res.headers(), "lantern_csrf").context("no CSRF cookie")?;
    let body = format!("csrf_token={csrf}&email={email}&password={password}");
    let res = http
        .request(
            Request::post(format!("{base}/sign-in"))
                .header(header::COOKIE, format!("lantern_csrf={csrf}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from(body)))?,
        )
        .await?;
    anyhow::ensure!(
        res.status() == StatusCode::SEE_OTHER,
        "sign-in as {email} answered {}",
        res.status()
    );
    cookie_value(res.headers(), "lantern_session").context("no session cookie")
}

/// Fields of `/proc/{pid}/status` in kB, in the order asked (0 for one it lacks).
fn status_kb<const N: usize>(pid: u32, names: [&str; N]) -> [u64; N] {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    names.map(|name| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    })
}

/// (anonymous resident memory, file-backed resident memory) in kB: the second is mostly the memory-mapped SQLite
/// database, shared with the page cache.
fn rss_split_kb(pid: u32) -> (u64, u64) {
    let [anon, file] = status_kb(pid, ["RssAnon:", "RssFile:"]);
    (anon, file)
}

/// (resident memory now, its peak) in kB.
pub(crate) fn rss_kb(pid: u32) -> (u64, u64) {
    let [now, peak] = status_kb(pid, ["VmRSS:", "VmHWM:"]);
    (now, peak)
}

/// A benchmark's server: this binary as a child process (so its memory is measured alone), with its pid, an HTTP
/// client pooling `pool` connections, and how long it took to answer `/healthz`.
pub(crate) struct Server {
    pub child: tokio::process::Child,
    pub pid: u32,
    pub http: Http,
    pub base: String,
    pub started: Instant,
}

/// Starts `lantern ARGS serve --listen 127.0.0.1:PORT SERVE_ARGS` and waits until it answers, at most `wait`.
pub(crate) async fn start_server(
    database_args: &[String],
    port: u16,
    serve_args: &[String],
    pool: usize,
    wait: Duration,
) -> anyhow::Result<Server> {
    let child = tokio::process::Command::new(std::env::current_exe()?)
        .args(database_args)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(serve_args)
        .env("LANTERN_LOG", "warn")
        .env(
            "MALLOC_ARENA_MAX",
            std::env::var("MALLOC_ARENA_MAX").unwrap_or_else(|_| "8".into()),
        )
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().context("server pid")?;
    let base = format!("http://127.0.0.1:{port}");
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let http: Http = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(pool)
        .build(connector);
    let started = Instant::now();
    loop {
        if let Ok(res) = http
            .request(Request::get(format!("{base}/healthz")).body(Full::default())?)
            .await
            && res.status().is_success()
        {
            break;
        }
        anyhow::ensure!(started.elapsed() < wait, "the server did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(Server {
        child,
        pid,
        http,
        base,
        started,
    })
}

pub async fn run(o: Options) -> anyhow::Result<()> {
    let Server {
        mut child,
        pid,
        http,
        base,
        started,
    } = start_server(
        &o.database_args,
        o.port,
        &["--demo".to_owned()],
        o.sessions,
        Duration::from_secs(600),
    )
    .await?;
    // Let the server finish building its compliance indexes (it starts that in the background).
    tokio::time::sleep(Duration::from_secs(5)).await;
    println!(
        "server up (pid {pid}) in {:.1} s, RSS {:.0} MB; signing in {} sessions",
        started.elapsed().as_secs_f64(),
        rss_kb(pid).0 as f64 / 1024.0,
        o.sessions
    );

    // Half learners, half managers, each their own session.
    let mut sessions = Vec::with_capacity(o.sessions);
    for i in 0..o.sessions {
        let (email, password, learner) = if i % 2 == 0 {
            ("learner@demo.lantern.test", "learner-demo-password", true)
        } else {
            ("manager@demo.lantern.test", "manager-demo-password", false)
        };
        sessions.push((sign_in(&http, &base, email, password).await?, learner));
    }
    // The learner's own explanation page, found the way a browser would: from My training.
    let me =
        String::from_utf8_lossy(&get_body(&http, &format!("{base}/me"), &sessions[0].0).await?)
            .into_owned();
    let person_path = me
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("/people/"))
        .context("a link to the learner's explanation")?
        .to_owned();
    let learner_paths: Arc<Vec<String>> = Arc::new(vec!["/me".into(), person_path]);
    let manager_paths: Arc<Vec<String>> = Arc::new(vec![
        "/team".into(),
        "/team?status=missing".into(),
        "/team?sort=name".into(),
        "/team.csv".into(),
    ]);

    let (rss0, _) = rss_kb(pid);
    println!(
        "measuring for {} s with {} ms think time",
        o.seconds, o.think_ms
    );
    let deadline = Instant::now() + Duration::from_secs(o.seconds);
    let mut tasks = Vec::new();
    for (i, (session, learner)) in sessions.into_iter().enumerate() {
        let http = http.clone();
        let base = base.clone();
        let paths = if learner {
            learner_paths.clone()
        } else {
            manager_paths.clone()
        };
        let think = Duration::from_millis(o.think_ms);
        tasks.push(tokio::spawn(async move {
            // Spread the sessions' first requests over one think time.
            tokio::time::sleep(think.mul_f64(i as f64 / 500.0 % 1.0)).await;
            let mut times = Vec::new();
            let mut errors = 0usize;
            let mut n = i;
            while Instant::now() < deadline {
                let path = &paths[n % paths.len()];
                n += 1;
                let t = Instant::now();
                match get_body(&http, &format!("{base}{path}"), &session).await {
                    Ok(_) => times.push(t.elapsed()),
                    Err(_) => errors += 1,
                }
                tokio::time::sleep(think).await;
            }
            (times, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let sampler = {
        let mut last = 0;
        async move {
            while Instant::now() < deadline {
                last = last.max(rss_kb(pid).0);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            last
        }
    };
    let sampled = tokio::spawn(sampler);
    for t in tasks {
        let (times, e) = t.await?;
        all.extend(times);
        errors += e;
    }
    let peak_rss = sampled.await?;
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} sessions, {} requests in {} s ({:.0} req/s), {} errors: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
         server RSS {:.0} MB before, {:.0} MB peak while loaded",
        o.sessions,
        all.len(),
        o.seconds,
        all.len() as f64 / o.seconds as f64,
        errors,
        ms(pct(0.5)),
        ms(pct(0.99)),
        ms(all.last().copied().unwrap_or_default()),
        rss0 as f64 / 1024.0,
        peak_rss as f64 / 1024.0
    );
    let (anon, file) = rss_split_kb(pid);
    println!(
        "server memory at the end: {:.0} MB anonymous (heap), {:.0} MB file-backed (the memory-mapped database)",
        anon as f64 / 1024.0,
        file as f64 / 1024.0
    );
    child.kill().await?;
    Ok(())
}

async fn get_body(http: &Http, url: &str, session: &str) -> anyhow::Result<Bytes> {
    let res = http
        .request(
            Request::get(url)
                .header(header::COOKIE, format!("lantern_session={session}"))
                .body(Full::default())?,
        )
        .await?;
    anyhow::ensure!(
        res.status() == StatusCode::OK,
        "{url} answered {}",
        res.status()
    );
    Ok(res.into_body().collect().await?.to_bytes())
}
