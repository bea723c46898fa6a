//! An organisation's own certificate authority: the test identity provider served over HTTPS, and an SMTP relay over
//! TLS, both with a certificate from a test CA that no public root store holds (`fixtures/test-ca.pem`). Lantern
//! must trust it where it is configured (the single sign-on page's CA certificates, for that organisation's
//! provider only; `smtp_ca_file` for the relay) and refuse the connection where it is not.

use crate::auth::{ADMIN, LEARNER, world};
use crate::sso::{CLIENT_ID, CLIENT_SECRET, Identity, Idp, idp_router};
use crate::web::Client;
use crate::{backends, test_auth};
use axum::http::StatusCode;
use lantern_store::Scope;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

const CA: &str = include_str!("fixtures/test-ca.pem");
const SERVER_CERT: &str = include_str!("fixtures/test-server-cert.pem");
const SERVER_KEY: &str = include_str!("fixtures/test-server-key.pem");

/// A TLS acceptor with the test CA's server certificate (for localhost and 127.0.0.1).
fn acceptor() -> TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_slice_iter(SERVER_CERT.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("server certificate");
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY.as_bytes()).expect("server key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("TLS configuration");
    TlsAcceptor::from(Arc::new(config))
}

/// The test identity provider over HTTPS on a free loopback port.
async fn start_https_idp() -> Idp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let idp = Idp::at(format!("https://{}", listener.local_addr().expect("addr")));
    let app = idp_router(&idp);
    let tls = acceptor();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (tls, app) = (tls.clone(), app.clone());
            tokio::spawn(async move {
                // A client that does not trust the certificate ends the handshake: nothing to serve.
                let Ok(stream) = tls.accept(tcp).await else {
                    return;
                };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    idp
}

/// The browser's round trip over HTTPS: Lantern -> provider -> Lantern's callback.
async fn round_trip(c: &mut Client, idp: &Idp, who: Identity, ods: &str) -> crate::web::Response {
    *idp.next.lock().unwrap() = who;
    let start = c.get(&format!("/sign-in/sso/{ods}?next=/me")).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    // The browser trusts the organisation's CA (it is on the organisation's computers).
    let browser = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .add_root_certificate(openidconnect::reqwest::Certificate::from_pem(CA.as_bytes()).unwrap())
        .build()
        .unwrap();
    let res = browser
        .get(start.location())
        .send()
        .await
        .expect("provider answers");
    let back = res.headers()["location"].to_str().unwrap().to_owned();
    c.get(
        back.strip_prefix("http://127.0.0.1:8080")
            .expect("back to Lantern"),
    )
    .await
}

async fn save(admin: &mut Client, idp: &Idp, ca_bundle: &str) -> crate::web::Response {
    admin
        .post_form(
            "/orgs/RJ1/admin/sso",
            &[
                ("issuer", idp.base.as_str()),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("match_on", "email"),
                ("label", "Trust IdP"),
                ("enabled", "on"),
                ("ca_bundle", ca_bundle),
            ],
            None,
        )
        .await
}

#[tokio::test]
async fn single_sign_on_trusts_an_organisations_own_ca_for_its_provider_only() {
    let idp = start_https_idp().await;
    for (name, store, _dir) in backends().await {
        let foreign_ods = world(&store).await;
        // HTTPS for real (no plain http); loopback needs the platform's permission for private networks.
        let auth = lantern_web::AuthConfig {
            sso_allow_private_networks: true,
            ..test_auth()
        };
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), auth));
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();

        // Without the CA the provider's certificate is not trusted: the one answer, nothing fetched or saved.
        let served = idp.discoveries.load(std::sync::atomic::Ordering::SeqCst);
        let res = save(&mut admin, &idp, "").await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body
                .contains("could not get an OpenID Connect discovery document"),
            "{name}: {}",
            res.body
        );
        assert_eq!(
            idp.discoveries.load(std::sync::atomic::Ordering::SeqCst),
            served,
            "{name}"
        );
        assert_eq!(store.sso_provider(rj1.id).await.unwrap(), None, "{name}");

        // What is pasted must be certificates: a key is refused by name, and so is text that is not PEM.
        let res = save(&mut admin, &idp, SERVER_KEY).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(res.body.contains("contains a private key"), "{name}");
        let res = save(
            &mut admin,
            &idp,
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body.contains("could not be read"),
            "{name}: {}",
            res.body
        );
        assert_eq!(store.sso_provider(rj1.id).await.unwrap(), None, "{name}");

        // With the organisation's CA: saved, kept with the provider, and a learner signs in.
        let res = save(&mut admin, &idp, CA).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let stored = store.sso_provider(rj1.id).await.unwrap().expect("saved");
        assert_eq!(stored.ca_bundle.trim(), CA.trim(), "{name}");
        assert!(
            admin
                .get("/orgs/RJ1/admin/sso")
                .await
                .body
                .contains("BEGIN CERTIFICATE"),
            "{name}: the page shows the stored certificates"
        );
        let mut c = Client::new(&app);
        let res = round_trip(&mut c, &idp, Identity::new("sub-learner", LEARNER.0), "RJ1").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(c.get("/me").await.status, StatusCode::OK, "{name}");

        // Another organisation using the same provider without the CA does not inherit RJ1's trust.
        let other = store
            .org_by_code(&Scope::Platform, &foreign_ods)
            .await
            .unwrap();
        let by = store.account_by_email(ADMIN.0).await.unwrap().unwrap().id;
        store
            .set_sso_provider(
                &lantern_store::SsoProvider {
                    org: other.id,
                    ca_bundle: String::new(),
                    label: "Trust IdP".into(),
                    ..stored.clone()
                },
                by,
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        let res = Client::new(&app)
            .get(&format!("/sign-in/sso/{foreign_ods}"))
            .await;
        assert_eq!(res.status, StatusCode::BAD_GATEWAY, "{name}: {}", res.body);
        assert!(res.body.contains("could not reach"), "{name}");
    }
}

/// One message as the relay received it.
#[derive(Clone, Debug, Default)]
struct Received {
    rcpt_to: Vec<String>,
    data: String,
}

/// The SMTP conversation (RFC 5321) on an already-secured stream.
async fn converse(stream: impl AsyncRead + AsyncWrite, inbox: Arc<Mutex<Vec<Received>>>) {
    let (r, mut w) = tokio::io::split(stream);
    let mut lines = BufReader::new(r).lines();
    let _ = w.write_all(b"220 relay.test ESMTP\r\n").await;
    let mut current = Received::default();
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250-relay.test\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            current.rcpt_to.push(line[8..].trim().to_owned());
            b"250 OK\r\n"
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
            inbox.lock().unwrap().push(std::mem::take(&mut current));
            b"250 OK: queued\r\n"
        } else if upper == "QUIT" {
            let _ = w.write_all(b"221 Bye\r\n").await;
            return;
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 OK\r\n"
        } else {
            b"502 Command not implemented\r\n"
        };
        if w.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// An SMTP relay with TLS from the start (smtps, RFC 8314) on a free loopback port.
async fn smtps_relay() -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().unwrap().port();
    let inbox: Arc<Mutex<Vec<Received>>> = Arc::default();
    let kept = inbox.clone();
    let tls = acceptor();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (tls, kept) = (tls.clone(), kept.clone());
            tokio::spawn(async move {
                // A client that does not trust the certificate ends the handshake.
                if let Ok(stream) = tls.accept(tcp).await {
                    converse(stream, kept).await;
                }
            });
        }
    });
    (port, inbox)
}

#[tokio::test]
async fn the_smtp_relay_is_trusted_through_the_configured_ca_file() {
    let (port, inbox) = smtps_relay().await;
    let url = format!("smtps://127.0.0.1:{port}");
    let config = |smtp| lantern_web::AuthConfig {
        smtp: Some(smtp),
        mail_from: "Lantern <lantern@rj1.example.nhs.uk>".into(),
        ..test_auth()
    };

    // What the mail deliverer hands over (queued messages are delivered through the same transport).
    let mail = |subject: &str, body: &str| lantern_web::mail::OutgoingMail {
        to: "ward.lead@example.nhs.uk".into(),
        subject: subject.into(),
        body: body.into(),
    };
    // Public roots only: the relay's certificate is refused and nothing is sent.
    let public_only = config(lantern_web::mail::SmtpRelay::from_url(&url, None).unwrap());
    let sent =
        lantern_web::mail::transport::hand_over(&public_only, &mail("Test", "Not sent.")).await;
    assert!(sent.is_err(), "an unknown CA is not trusted");
    assert!(inbox.lock().unwrap().is_empty());

    // With the organisation's CA (what `--smtp-ca-file` reads): sent over TLS, and the relay has it.
    let trusted =
        config(lantern_web::mail::SmtpRelay::from_url(&url, Some(CA.as_bytes())).unwrap());
    lantern_web::mail::transport::hand_over(
        &trusted,
        &mail(
            "Fire safety is due",
            "Your fire safety training is due on 1 March.",
        ),
    )
    .await
    .map_err(|e| e.error)
    .expect("sent through the relay");
    let got = inbox.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].rcpt_to,
        vec!["<ward.lead@example.nhs.uk>".to_owned()]
    );
    assert!(
        got[0].data.contains("Subject: Fire safety is due"),
        "{}",
        got[0].data
    );
    assert!(
        got[0].data.contains("fire safety training is due"),
        "{}",
        got[0].data
    );

    // A CA file is for a relay spoken to over TLS, and holds certificates only.
    let plain = lantern_web::mail::SmtpRelay::from_url(
        &format!("smtp://127.0.0.1:{port}"),
        Some(CA.as_bytes()),
    )
    .unwrap_err();
    assert!(format!("{plain:#}").contains("smtp_ca_file"), "{plain:#}");
    let key =
        lantern_web::mail::SmtpRelay::from_url(&url, Some(SERVER_KEY.as_bytes())).unwrap_err();
    assert!(format!("{key:#}").contains("smtp_ca_file"), "{key:#}");
}
