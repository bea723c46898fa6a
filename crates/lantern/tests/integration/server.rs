//! The server at its network edge, over real sockets: slow and idle connections are closed, connections over the
//! limit are refused, responses carry the cache and permissions headers, /metrics is only on its own listener, and
//! the real binary drains requests in flight on SIGTERM and exits 0. Also `lantern user create` at a terminal.

use crate::auth::{ADMIN, AUDITOR, LEARNER, MANAGER, PLATFORM, world};
use crate::web::Client;
use crate::{backends, test_auth};
use axum::http::{StatusCode, header};
use lantern::server::Limits;
use std::io::{BufRead, Write};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The real application on SQLite (the server's limits do not depend on the backend), served by
/// `lantern::server::serve` on a free loopback port.
async fn serve_app(limits: Limits) -> (std::net::SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = lantern_store::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    let app = lantern_web::app(lantern_web::AppState::new(store, test_auth()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(lantern::server::serve(
        listener,
        app,
        limits,
        std::future::pending(),
    ));
    (addr, dir)
}

/// Reads until the server closes the connection (or `limit` passes: then `None`). Returns what was read.
async fn read_until_closed(s: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&got).into_owned()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn a_trickled_header_and_an_idle_connection_are_closed() {
    let limits = Limits {
        header_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let (addr, _dir) = serve_app(limits).await;

    // Slowloris: a header line a byte every 100 ms never completes; the server closes the connection long before
    // the 100 bytes are out.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: lantern.test\r\nX-Slow: ")
        .await
        .unwrap();
    let mut closed_after = None;
    let mut buf = [0u8; 1024];
    for sent in 0..100 {
        tokio::select! {
            r = s.read(&mut buf) => {
                if matches!(r, Ok(0) | Err(_)) { closed_after = Some(sent); break; }
            }
            () = tokio::time::sleep(Duration::from_millis(100)) => {
                if s.write_all(b"a").await.is_err() { closed_after = Some(sent); break; }
            }
        }
    }
    assert!(
        closed_after.is_some(),
        "a connection trickling its header byte by byte for 10 s is still open"
    );

    // A kept-alive connection that sends nothing after its answer is closed too.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: lantern.test\r\n\r\n")
        .await
        .unwrap();
    let got = read_until_closed(&mut s, Duration::from_secs(10))
        .await
        .expect("an idle kept-alive connection is closed");
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
}

#[tokio::test]
async fn handlers_see_the_clients_address() {
    // Sign-in throttling per address reads it; the server must hand it over as axum's ConnectInfo.
    let app =
        axum::Router::new().route(
            "/whoami",
            axum::routing::get(
                |axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<
                    std::net::SocketAddr,
                >| async move { peer.to_string() },
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(lantern::server::serve(
        listener,
        app,
        Limits::default(),
        std::future::pending(),
    ));
    let mut s = TcpStream::connect(addr).await.unwrap();
    let me = s.local_addr().unwrap();
    s.write_all(b"GET /whoami HTTP/1.1\r\nHost: lantern.test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let got = read_until_closed(&mut s, Duration::from_secs(10))
        .await
        .expect("answered");
    assert!(got.ends_with(&me.to_string()), "{got}");
}

#[tokio::test]
async fn connections_over_the_limit_are_refused_with_503() {
    let limits = Limits {
        max_connections: 2,
        header_timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    let (addr, _dir) = serve_app(limits).await;
    let held_a = TcpStream::connect(addr).await.unwrap();
    let held_b = TcpStream::connect(addr).await.unwrap();
    let mut third = TcpStream::connect(addr).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: lantern.test\r\n\r\n")
        .await
        .unwrap();
    let got = read_until_closed(&mut third, Duration::from_secs(10))
        .await
        .expect("the refusal closes the connection");
    assert!(got.starts_with("HTTP/1.1 503"), "{got}");
    assert!(got.to_ascii_lowercase().contains("retry-after: 1"), "{got}");

    // A connection that ends frees its place.
    drop(held_a);
    let mut served = false;
    for _ in 0..100 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: lantern.test\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let got = read_until_closed(&mut s, Duration::from_secs(10))
            .await
            .unwrap_or_default();
        if got.starts_with("HTTP/1.1 200") {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served, "a place freed is served again");
    drop(held_b);
}

#[tokio::test]
async fn personal_pages_exports_and_answers_are_never_cached_but_assets_are() {
    let (name, store, _dir) = backends().await.into_iter().next().unwrap();
    world(&store).await;
    let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
    let learner = Client::signed_in(&app, LEARNER.0, LEARNER.1).await;
    let manager = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
    let auditor = Client::signed_in(&app, AUDITOR.0, AUDITOR.1).await;
    let admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
    let mut anon = Client::new(&app);
    let mut checked = Vec::new();
    for (mut who, path) in [
        (learner.clone(), "/me"),
        (learner.clone(), "/api/v1/me/training"),
        (manager.clone(), "/team"),
        (manager.clone(), "/team.csv"),
        (manager.clone(), "/team.xlsx"),
        (auditor.clone(), "/orgs/RJ1/report.csv"),
        (auditor.clone(), "/orgs/RJ1/report.xlsx"),
        (auditor.clone(), "/orgs/RJ1/report.pdf"),
        (admin.clone(), "/orgs/RJ1"),
        (admin.clone(), "/orgs/RJ1/admin/users"),
        (anon.clone(), "/sign-in"),
    ] {
        let res = who.get(path).await;
        assert_eq!(res.status, StatusCode::OK, "{name}: {path}: {}", res.status);
        let cache = res
            .headers
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap());
        assert_eq!(cache, Some("no-store"), "{name}: {path}");
        let policy = res.headers["permissions-policy"].to_str().unwrap();
        for feature in [
            "camera=()",
            "microphone=()",
            "geolocation=()",
            "payment=()",
            "usb=()",
        ] {
            assert!(policy.contains(feature), "{name}: {path}: {policy}");
        }
        checked.push(path);
    }
    // A versioned asset keeps its year-long cache (it never changes under that URL).
    let page = anon.get("/sign-in").await;
    let start = page.body.find("/assets/").expect("an asset link");
    let asset = &page.body[start..];
    let asset = &asset[..asset.find('"').unwrap()];
    let res = anon.get(asset).await;
    assert_eq!(res.status, StatusCode::OK, "{asset}");
    assert_eq!(
        res.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable",
        "{asset}"
    );
    assert!(res.headers.contains_key("permissions-policy"));
    assert_eq!(checked.len(), 11);
}

#[tokio::test]
async fn metrics_are_not_served_on_the_main_address() {
    let (name, store, _dir) = backends().await.into_iter().next().unwrap();
    world(&store).await;
    let state = lantern_web::AppState::new(store.clone(), test_auth());
    let app = lantern_web::app(state.clone());
    let mut platform = Client::signed_in(&app, PLATFORM.0, PLATFORM.1).await;
    for c in [&mut Client::new(&app), &mut platform] {
        let res = c.get("/metrics").await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{name}");
        assert!(!res.body.contains("lantern_http_requests_total"), "{name}");
    }
    let res = Client::new(&lantern_web::metrics_app(state))
        .get("/metrics")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{name}");
    assert!(
        res.body.contains("lantern_http_requests_total"),
        "{name}: {}",
        res.body
    );
}

/// A database URL of each backend for the real binary, with what keeps it alive.
async fn database_urls() -> Vec<(String, String, tempfile::TempDir)> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("lantern.db").display());
    out.push(("sqlite".to_owned(), url, dir));
    if let Ok(base) = std::env::var("LANTERN_TEST_POSTGRES")
        && !base.is_empty()
    {
        use sqlx::Connection;
        let schema = format!("t_{}_{}", std::process::id(), fastrand::u64(..));
        let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut conn)
            .await
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        out.push(("postgres".to_owned(), url, tempfile::tempdir().unwrap()));
    }
    out
}

fn lantern(database: &str, data_dir: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_lantern"));
    c.args(["--database", database, "--data-dir"])
        .arg(data_dir)
        .env_remove("LANTERN_PASSWORD")
        .env_remove("LANTERN_LISTEN")
        .env_remove("LANTERN_METRICS_LISTEN")
        .env("LANTERN_LOG", "info");
    c
}

/// Sends one HTTP/1.1 request over a new connection and returns the whole answer.
async fn http(addr: &str, request: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    read_until_closed(&mut s, Duration::from_secs(30))
        .await
        .expect("answered")
}

#[tokio::test]
async fn sigterm_finishes_requests_in_flight_then_exits_zero() {
    for (name, url, dir) in database_urls().await {
        // A world with RJ1 and an LRS credential, made by the binary itself.
        let out = lantern(&url, dir.path())
            .args(["demo", "--staff", "300", "--today", "2026-11-23"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = lantern(&url, dir.path())
            .args(["lrs", "credentials", "create", "--org", "RJ1"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let field = |label: &str| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix(label))
                .unwrap_or_else(|| panic!("{name}: {label} in {text}"))
                .trim()
                .to_owned()
        };
        let basic = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{}", field("key:"), field("secret:")),
        );

        let mut server = lantern(&url, dir.path())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(server.stdout.take().unwrap()).lines();
        let mut metrics = None;
        let main = loop {
            let line = stdout.next().expect("the server starts").unwrap();
            if let Some(rest) = line.strip_prefix("Metrics at http://") {
                metrics = Some(rest.trim_end_matches("/metrics").to_owned());
            }
            if let Some(rest) = line.strip_prefix("Lantern is running: open http://") {
                break rest.split('/').next().unwrap().to_owned();
            }
        };
        // Log lines arrive on stderr; a thread hands them over as they come.
        let (log_tx, log_rx) = std::sync::mpsc::channel::<String>();
        let stderr = server.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let _ = log_tx.send(line);
            }
        });

        // Metrics on their own address only.
        let metrics = metrics.expect("the metrics address is printed");
        let got = http(
            &metrics,
            "GET /metrics HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(got.starts_with("HTTP/1.1 200"), "{name}: {got}");
        let got = http(
            &main,
            "GET /metrics HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(got.starts_with("HTTP/1.1 404"), "{name}: {got}");

        // An xAPI statement whose body is half sent when SIGTERM arrives.
        let id = uuid::Uuid::from_u128(fastrand::u128(..));
        let body = serde_json::json!({
            "id": id.to_string(),
            "actor": {"mbox": "mailto:shutdown@example.nhs.uk", "objectType": "Agent"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "https://lantern.test/activities/fire-safety"},
        })
        .to_string();
        let mut s = TcpStream::connect(&main).await.unwrap();
        let head = format!(
            "POST /xapi/statements HTTP/1.1\r\nHost: lantern.test\r\nAuthorization: Basic {basic}\r\n\
             X-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Expect: 100-continue\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let (first, rest) = body.split_at(body.len() / 2);
        s.write_all(head.as_bytes()).await.unwrap();
        // 100 Continue comes when the handler starts reading the body: the request is then in flight.
        let mut buf = [0u8; 256];
        let n = tokio::time::timeout(Duration::from_secs(30), s.read(&mut buf))
            .await
            .expect("100 Continue")
            .unwrap();
        let interim = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(interim.starts_with("HTTP/1.1 100"), "{name}: {interim}");
        s.write_all(first.as_bytes()).await.unwrap();
        s.flush().await.unwrap();

        let kill = std::process::Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let mut log = Vec::new();
        loop {
            let line = log_rx
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("{name}: no shutdown logged: {log:#?}"));
            let stopping = line.contains("no new connections");
            log.push(line);
            if stopping {
                break;
            }
        }
        // No new connections once shutting down...
        assert!(
            TcpStream::connect(&main).await.is_err(),
            "{name}: the listener is closed"
        );
        // ...but the request in flight finishes, and its statement is stored.
        s.write_all(rest.as_bytes()).await.unwrap();
        let got = read_until_closed(&mut s, Duration::from_secs(30))
            .await
            .expect("answered");
        assert!(got.starts_with("HTTP/1.1 200"), "{name}: {got}");
        assert!(got.contains(&id.to_string()), "{name}: {got}");

        let mut status = None;
        for _ in 0..600 {
            if let Some(s) = server.try_wait().unwrap() {
                status = Some(s);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let status = status.unwrap_or_else(|| {
            let _ = server.kill();
            panic!("{name}: the server did not exit after SIGTERM")
        });
        assert_eq!(status.code(), Some(0), "{name}: {log:#?}");

        let store = lantern_store::open(&url).await.unwrap();
        let org = store
            .org_by_code(&lantern_store::Scope::Platform, "RJ1")
            .await
            .unwrap();
        assert!(
            store.statement(org.id, id, false).await.unwrap().is_some(),
            "{name}: the statement answered during shutdown is stored"
        );
    }
}

#[tokio::test]
async fn user_create_does_not_echo_the_password_typed_at_a_terminal() {
    const PASSWORD: &str = "typed-at-the-ward-terminal-42";
    for (name, url, dir) in database_urls().await {
        // `script` runs the command on a pseudo-terminal, as a person at a terminal would: what the terminal shows
        // is what script prints.
        let command = format!(
            "{} --database '{url}' --data-dir '{}' user create --email typed@example.nhs.uk --role platform_admin",
            env!("CARGO_BIN_EXE_lantern"),
            dir.path().display()
        );
        let mut child = std::process::Command::new("script")
            .args(["-q", "-e", "-c", &command, "/dev/null"])
            .env_remove("LANTERN_PASSWORD")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("script (util-linux) runs");
        let mut out = child.stdout.take().unwrap();
        let mut shown = Vec::new();
        let mut buf = [0u8; 1024];
        // Wait for the prompt, then type.
        while !String::from_utf8_lossy(&shown).contains("Password for") {
            let n = std::io::Read::read(&mut out, &mut buf).unwrap();
            assert!(
                n > 0,
                "{name}: no prompt: {}",
                String::from_utf8_lossy(&shown)
            );
            shown.extend_from_slice(&buf[..n]);
        }
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(format!("{PASSWORD}\r").as_bytes()).unwrap();
        stdin.flush().unwrap();
        std::io::Read::read_to_end(&mut out, &mut shown).unwrap();
        drop(stdin);
        let status = child.wait().unwrap();
        let shown = String::from_utf8_lossy(&shown).into_owned();
        assert!(status.success(), "{name}: {shown}");
        assert!(shown.contains("Created account"), "{name}: {shown}");
        assert!(
            !shown.contains(PASSWORD),
            "{name}: the password was shown on the terminal: {shown}"
        );
        // And it is the password that was typed.
        let store = lantern_store::open(&url).await.unwrap();
        let app = lantern_web::app(lantern_web::AppState::new(store, test_auth()));
        let mut c = Client::signed_in(&app, "typed@example.nhs.uk", PASSWORD).await;
        assert_eq!(
            c.get("/api/v1/organisations").await.status,
            StatusCode::OK,
            "{name}"
        );
    }
}
