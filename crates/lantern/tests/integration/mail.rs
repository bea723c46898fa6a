//! Email through a real SMTP conversation: Lantern's client (lettre) talks to a small SMTP receiver on loopback that
//! keeps what it was sent, so the test sees the envelope and the message as a relay would.

use crate::web::Client;
use crate::{backends, test_auth};
use axum::http::StatusCode;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One message as the relay received it.
#[derive(Clone, Debug, Default)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: String,
}

/// An SMTP receiver (RFC 5321's commands, no TLS) on a free loopback port; `refuse_rcpt` makes it reject recipients.
pub async fn smtp_receiver(refuse_rcpt: bool) -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let inbox: Arc<Mutex<Vec<Received>>> = Arc::default();
    let kept = inbox.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 relay.test ESMTP\r\n").await;
                let mut current = Received::default();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-relay.test\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        current.mail_from = line[10..].trim().to_owned();
                        b"250 OK\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        if refuse_rcpt {
                            b"550 No such user here\r\n"
                        } else {
                            current.rcpt_to.push(line[8..].trim().to_owned());
                            b"250 OK\r\n"
                        }
                    } else if upper == "DATA" {
                        let _ = w
                            .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                            .await;
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            current.data.push_str(&l);
                            current.data.push('\n');
                        }
                        kept.lock()
                            .expect("inbox")
                            .push(std::mem::take(&mut current));
                        b"250 OK: queued\r\n"
                    } else if upper == "RSET" || upper == "NOOP" {
                        b"250 OK\r\n"
                    } else if upper == "QUIT" {
                        let _ = w.write_all(b"221 Bye\r\n").await;
                        return;
                    } else {
                        b"502 Command not implemented\r\n"
                    };
                    if w.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, inbox)
}

/// A relay on a URL, for an app's mail settings.
fn relay(port: u16) -> Option<lantern_web::mail::SmtpRelay> {
    Some(
        lantern_web::mail::SmtpRelay::from_url(&format!("smtp://127.0.0.1:{port}"), None)
            .expect("relay URL"),
    )
}

#[tokio::test]
async fn password_reset_email_goes_through_the_smtp_relay() {
    for (name, store, _dir) in backends().await {
        crate::auth::world(&store).await;
        let (port, inbox) = smtp_receiver(false).await;
        let outbox = tempfile::tempdir().expect("outbox");
        let auth = lantern_web::AuthConfig {
            smtp: relay(port),
            outbox: Some(outbox.path().to_owned()),
            mail_from: "Lantern at RJ1 <lantern@rj1.example.nhs.uk>".to_owned(),
            ..test_auth()
        };
        let (app, state) = crate::app_with(&store, auth);
        let mut c = Client::new(&app);
        let res = c
            .post_form(
                "/password-reset",
                &[("email", crate::auth::LEARNER.0)],
                None,
            )
            .await;
        assert!(
            res.body.contains("Check your email"),
            "{name}: {}",
            res.body
        );
        assert!(
            inbox.lock().expect("inbox").is_empty(),
            "{name}: the answer does not wait for the relay"
        );
        let done = crate::deliver(&state).await;
        assert_eq!(done.sent, 1, "{name}: {done:?}");
        let got = inbox.lock().expect("inbox").clone();
        assert_eq!(got.len(), 1, "{name}: one message reached the relay");
        let m = &got[0];
        assert_eq!(m.mail_from, "<lantern@rj1.example.nhs.uk>", "{name}");
        assert_eq!(
            m.rcpt_to,
            vec![format!("<{}>", crate::auth::LEARNER.0)],
            "{name}"
        );
        assert!(
            m.data.contains("Subject: Reset your Lantern password"),
            "{name}: {}",
            m.data
        );
        let data = crate::web::decoded_email(m.data.replace('\n', "\r\n").as_bytes());
        let link = data
            .lines()
            .find(|l| l.contains("/password-reset/"))
            .expect("the link on one line");
        let path = &link[link.find("/password-reset/").expect("path")..];
        assert_eq!(
            c.get(path.trim()).await.status,
            StatusCode::OK,
            "{name}: the link works"
        );
        assert_eq!(
            std::fs::read_dir(outbox.path()).expect("outbox").count(),
            0,
            "{name}: with a relay, nothing goes to the outbox"
        );

        // A relay that refuses the recipient for good (550): the request was answered as usual, and the queue
        // records that delivery was given up, and why, for the operator.
        let (port, inbox) = smtp_receiver(true).await;
        let (app, state) = crate::app_with(
            &store,
            lantern_web::AuthConfig {
                smtp: relay(port),
                ..test_auth()
            },
        );
        let mut c = Client::new(&app);
        let res = c
            .post_form("/password-reset", &[("email", crate::auth::ADMIN.0)], None)
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        let done = crate::deliver(&state).await;
        assert_eq!((done.sent, done.failed), (0, 1), "{name}: {done:?}");
        assert!(inbox.lock().expect("inbox").is_empty(), "{name}");
        let log = store.mail_log(1).await.expect("log");
        assert!(
            log[0].failed_at.is_some()
                && log[0]
                    .last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("550")),
            "{name}: {log:?}"
        );

        // A relay that does not answer: the message waits and is tried again later, with the reason kept.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = closed.local_addr().expect("addr").port();
        drop(closed);
        let (app, state) = crate::app_with(
            &store,
            lantern_web::AuthConfig {
                smtp: relay(port),
                ..test_auth()
            },
        );
        let res = Client::new(&app)
            .post_form(
                "/password-reset",
                &[("email", crate::auth::MANAGER.0)],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        let done = crate::deliver(&state).await;
        assert_eq!((done.sent, done.retrying), (0, 1), "{name}: {done:?}");
        let log = store.mail_log(1).await.expect("log");
        let m = &log[0];
        assert!(
            m.sent_at.is_none()
                && m.failed_at.is_none()
                && m.attempts == 1
                && m.next_attempt_at > m.created_at
                && m.last_error.is_some(),
            "{name}: {m:?}"
        );
        assert_eq!(
            crate::deliver(&state).await.retrying,
            0,
            "{name}: not due again yet"
        );
    }
}
