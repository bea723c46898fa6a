//! Single sign-on against a real OpenID Connect provider on loopback: a small identity provider served by axum
//! (discovery, JWKS, authorisation and token endpoints, RS256-signed ID tokens, PKCE checked), which Lantern reaches
//! over HTTP exactly as it would reach NHSmail or Entra ID. The browser side is the cookie-keeping test client.

use crate::auth::{ADMIN, FOREIGN, LEARNER, PLATFORM, world};
use crate::web::Client;
use crate::{backends, test_auth};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use lantern_store::Scope;
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreResponseType, CoreRsaPrivateSigningKey, CoreSubjectIdentifierType,
};
use openidconnect::{
    Audience, AuthUrl, EmptyAdditionalClaims, EmptyAdditionalProviderMetadata, EndUserEmail,
    IssuerUrl, JsonWebKeySetUrl, Nonce, PrivateSigningKey, ResponseTypes, StandardClaims,
    SubjectIdentifier, TokenUrl,
};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const KEY: &str = include_str!("fixtures/test-idp-key.pem");
const WRONG_KEY: &str = include_str!("fixtures/test-idp-wrong-key.pem");
pub const CLIENT_ID: &str = "lantern-test-client";
pub const CLIENT_SECRET: &str = "test-client-secret";

/// Who the provider says is signing in next, and how it misbehaves.
#[derive(Clone)]
pub struct Identity {
    subject: String,
    email: Option<String>,
    email_verified: Option<bool>,
    /// Sign with a key the provider does not publish (a forged token).
    forge: bool,
    /// Put a different nonce in the token (a replayed token).
    wrong_nonce: bool,
}

impl Identity {
    pub fn new(subject: &str, email: &str) -> Self {
        Identity {
            subject: subject.to_owned(),
            email: Some(email.to_owned()),
            email_verified: Some(true),
            forge: false,
            wrong_nonce: false,
        }
    }
}

struct Pending {
    nonce: String,
    challenge: String,
    redirect_uri: String,
    identity: Identity,
}

#[derive(Clone)]
pub struct Idp {
    pub base: String,
    pub next: Arc<Mutex<Identity>>,
    codes: Arc<Mutex<HashMap<String, Pending>>>,
    /// Discovery documents served.
    pub discoveries: Arc<std::sync::atomic::AtomicUsize>,
}

#[derive(serde::Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    state: String,
    nonce: String,
    code_challenge: String,
    code_challenge_method: String,
    scope: String,
}

async fn discovery(State(idp): State<Idp>) -> Response {
    idp.discoveries
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let meta = CoreProviderMetadata::new(
        IssuerUrl::new(idp.base.clone()).unwrap(),
        AuthUrl::new(format!("{}/authorize", idp.base)).unwrap(),
        JsonWebKeySetUrl::new(format!("{}/jwks", idp.base)).unwrap(),
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        EmptyAdditionalProviderMetadata {},
    )
    .set_token_endpoint(Some(TokenUrl::new(format!("{}/token", idp.base)).unwrap()));
    axum::Json(meta).into_response()
}

async fn jwks() -> Response {
    let key = CoreRsaPrivateSigningKey::from_pem(KEY, None).unwrap();
    axum::Json(CoreJsonWebKeySet::new(vec![key.as_verification_key()])).into_response()
}

async fn authorize(State(idp): State<Idp>, Query(q): Query<AuthorizeQuery>) -> Response {
    assert_eq!(q.client_id, CLIENT_ID);
    assert_eq!(
        q.code_challenge_method, "S256",
        "Lantern uses PKCE with SHA-256"
    );
    assert!(q.scope.split(' ').any(|s| s == "openid"), "{}", q.scope);
    let code = format!("code-{}", fastrand::u64(..));
    idp.codes.lock().unwrap().insert(
        code.clone(),
        Pending {
            nonce: q.nonce,
            challenge: q.code_challenge,
            redirect_uri: q.redirect_uri.clone(),
            identity: idp.next.lock().unwrap().clone(),
        },
    );
    let state: String = form_urlencoded::byte_serialize(q.state.as_bytes()).collect();
    Redirect::to(&format!("{}?code={code}&state={state}", q.redirect_uri)).into_response()
}

#[derive(serde::Deserialize)]
struct TokenForm {
    grant_type: String,
    code: String,
    redirect_uri: String,
    code_verifier: String,
}

async fn token(State(idp): State<Idp>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Response {
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Basic {basic}") {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let Some(p) = idp.codes.lock().unwrap().remove(&f.code) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    assert_eq!(f.grant_type, "authorization_code");
    assert_eq!(f.redirect_uri, p.redirect_uri);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(f.code_verifier.as_bytes()));
    if challenge != p.challenge {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    let id = &p.identity;
    let now = chrono::Utc::now();
    let standard = StandardClaims::new(SubjectIdentifier::new(id.subject.clone()))
        .set_email(id.email.clone().map(EndUserEmail::new))
        .set_email_verified(id.email_verified);
    let nonce = if id.wrong_nonce {
        "another-nonce".to_owned()
    } else {
        p.nonce
    };
    let claims = CoreIdTokenClaims::new(
        IssuerUrl::new(idp.base.clone()).unwrap(),
        vec![Audience::new(CLIENT_ID.to_owned())],
        now + chrono::TimeDelta::minutes(5),
        now,
        standard,
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(nonce)));
    let key =
        CoreRsaPrivateSigningKey::from_pem(if id.forge { WRONG_KEY } else { KEY }, None).unwrap();
    let token = CoreIdToken::new(
        claims,
        &key,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        None,
        None,
    )
    .unwrap();
    axum::Json(serde_json::json!({
        "access_token": "test-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": token.to_string(),
    }))
    .into_response()
}

/// Starts the provider on a free loopback port.
pub async fn start_idp() -> Idp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let idp = Idp::at(format!("http://{}", listener.local_addr().expect("addr")));
    let app = idp_router(&idp);
    tokio::spawn(async move { axum::serve(listener, app).await });
    idp
}

impl Idp {
    /// A provider whose issuer is `base`, not yet serving.
    pub fn at(base: String) -> Idp {
        Idp {
            base,
            next: Arc::new(Mutex::new(Identity::new("nobody", "nobody@example.test"))),
            codes: Arc::default(),
            discoveries: Arc::default(),
        }
    }
}

/// The provider's endpoints.
pub fn idp_router(idp: &Idp) -> axum::Router {
    axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(discovery),
        )
        .route("/jwks", axum::routing::get(jwks))
        .route("/authorize", axum::routing::get(authorize))
        .route("/token", axum::routing::post(token))
        .with_state(idp.clone())
}

/// The browser's round trip: Lantern -> provider -> Lantern's callback. Returns the callback's answer.
async fn sso_round_trip(
    c: &mut Client,
    idp: &Idp,
    who: Identity,
    ods: &str,
) -> crate::web::Response {
    sso_round_trip_to(c, idp, who, ods, "/me").await
}

/// The round trip, started with `next` (already URL-encoded).
async fn sso_round_trip_to(
    c: &mut Client,
    idp: &Idp,
    who: Identity,
    ods: &str,
    next: &str,
) -> crate::web::Response {
    *idp.next.lock().unwrap() = who;
    let start = c.get(&format!("/sign-in/sso/{ods}?next={next}")).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    let to_idp = start.location().to_owned();
    assert!(to_idp.starts_with(&idp.base), "{to_idp}");
    let back = http_get_location(&to_idp).await;
    let callback = back
        .strip_prefix("http://127.0.0.1:8080")
        .expect("the provider sends the browser back to Lantern's public URL");
    c.get(callback).await
}

/// GETs a URL over real HTTP and returns the redirect's Location (the provider's answer to the browser).
async fn http_get_location(url: &str) -> String {
    let client = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client.get(url).send().await.expect("provider answers");
    assert!(res.status().is_redirection(), "{}", res.status());
    res.headers()["location"].to_str().unwrap().to_owned()
}

pub async fn configure(admin: &mut Client, idp: &Idp, match_on: &str) -> crate::web::Response {
    admin
        .post_form(
            "/orgs/RJ1/admin/sso",
            &[
                ("issuer", idp.base.as_str()),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("match_on", match_on),
                ("label", "Test IdP"),
                ("enabled", "on"),
            ],
            None,
        )
        .await
}

#[tokio::test]
async fn single_sign_on_through_an_organisations_openid_connect_provider() {
    let idp = start_idp().await;
    for (name, store, _dir) in backends().await {
        let foreign_ods = world(&store).await;
        // The test provider is on loopback: the platform allows private networks here (see
        // `sso_refuses_private_addresses_with_one_answer` for the default).
        let auth = lantern_web::AuthConfig {
            sso_allow_http: true,
            sso_allow_private_networks: true,
            ..test_auth()
        };
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), auth));
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;

        // Not configured: no button, and the start page is 404.
        let mut anon = Client::new(&app);
        assert!(
            !anon.get("/sign-in").await.body.contains("Sign in with"),
            "{name}"
        );
        assert_eq!(
            anon.get("/sign-in/sso/RJ1").await.status,
            StatusCode::NOT_FOUND,
            "{name}"
        );

        // An issuer that does not answer is reported on the form, and nothing is saved.
        let res = admin
            .post_form(
                "/orgs/RJ1/admin/sso",
                &[
                    ("issuer", "http://127.0.0.1:9"),
                    ("client_id", CLIENT_ID),
                    ("client_secret", CLIENT_SECRET),
                    ("match_on", "email"),
                    ("label", "Test IdP"),
                    ("enabled", "on"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body.contains(lantern_web::auth::sso::UNREACHABLE),
            "{name}: {}",
            res.body
        );
        let res = admin.post_form("/orgs/RJ1/admin/sso", &[], None).await;
        assert!(res.body.contains("Enter the issuer URL"), "{name}");
        assert!(res.body.contains("Enter the client ID"), "{name}");
        let res = configure(&mut admin, &idp, "email").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let page = admin.get("/orgs/RJ1/admin/sso").await;
        assert!(
            page.body
                .contains("http://127.0.0.1:8080/sign-in/sso/callback"),
            "{name}: the redirect URI to register"
        );
        assert!(
            !page.body.contains(CLIENT_SECRET),
            "{name}: the secret is never shown"
        );

        let mut c = Client::new(&app);
        assert!(
            c.get("/sign-in")
                .await
                .body
                .contains("Sign in with Test IdP"),
            "{name}"
        );

        // The learner signs in by verified email: their training, and the identity is now bound.
        let res =
            sso_round_trip(&mut c, &idp, Identity::new("sub-learner", LEARNER.0), "RJ1").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(res.location(), "/me", "{name}");
        assert_eq!(c.get("/me").await.status, StatusCode::OK, "{name}");
        assert!(
            admin
                .get("/orgs/RJ1/admin/sso")
                .await
                .body
                .contains("sub-learner"),
            "{name}: the binding is listed"
        );

        // The same callback again (a replay) is refused: the state is used once. The `next` it was started with
        // leads off the site once a browser strips the tab (`/\t/evil.example`), so the callback sends it home.
        let mut replay = Client::new(&app);
        *idp.next.lock().unwrap() = Identity::new("sub-learner", LEARNER.0);
        let start = replay.get("/sign-in/sso/RJ1?next=/%09/evil.example").await;
        let back = http_get_location(start.location()).await;
        let callback = back
            .strip_prefix("http://127.0.0.1:8080")
            .unwrap()
            .to_owned();
        let before = replay.cookies.clone();
        let res = replay.get(&callback).await;
        assert_eq!(
            (res.status, res.location()),
            (StatusCode::SEE_OTHER, "/"),
            "{name}: single sign-on keeps `next` on the site"
        );
        // A newline in `next` is refused cleanly too (it used to fail the callback after the session started).
        let mut newline = Client::new(&app);
        let res = sso_round_trip_to(
            &mut newline,
            &idp,
            Identity::new("sub-learner", LEARNER.0),
            "RJ1",
            "/me%0d%0aSet-Cookie:%20x=1",
        )
        .await;
        assert_eq!(
            (res.status, res.location()),
            (StatusCode::SEE_OTHER, "/"),
            "{name}"
        );
        let mut again = Client {
            app: app.clone(),
            cookies: before,
        };
        let res = again.get(&callback).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: replay");
        assert!(res.body.contains("expired, was already used"), "{name}");

        // A callback in a browser that did not start the sign-in (no state cookie) is refused.
        let mut other = Client::new(&app);
        *idp.next.lock().unwrap() = Identity::new("sub-learner", LEARNER.0);
        let start = other.get("/sign-in/sso/RJ1").await;
        let back = http_get_location(start.location()).await;
        let mut stranger = Client::new(&app);
        let res = stranger
            .get(back.strip_prefix("http://127.0.0.1:8080").unwrap())
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: login CSRF");

        // Forged, replayed-nonce and unverified-email tokens never sign anyone in.
        for (what, who) in [
            (
                "forged signature",
                Identity {
                    forge: true,
                    ..Identity::new("sub-learner", LEARNER.0)
                },
            ),
            (
                "wrong nonce",
                Identity {
                    wrong_nonce: true,
                    ..Identity::new("sub-learner", LEARNER.0)
                },
            ),
            (
                "unverified email",
                Identity {
                    email_verified: Some(false),
                    ..Identity::new("sub-new", ADMIN.0)
                },
            ),
        ] {
            let mut c = Client::new(&app);
            let res = sso_round_trip(&mut c, &idp, who, "RJ1").await;
            assert!(
                matches!(res.status.as_u16(), 403 | 502),
                "{name}: {what}: {}",
                res.status
            );
            assert_eq!(
                c.get("/me").await.status,
                StatusCode::SEE_OTHER,
                "{name}: {what}: still signed out"
            );
        }

        // The bound account's address presented by a different identity (a reissued mailbox) is refused.
        let mut c = Client::new(&app);
        let res = sso_round_trip(
            &mut c,
            &idp,
            Identity::new("sub-impostor", LEARNER.0),
            "RJ1",
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}");
        assert!(
            res.body.contains("linked to a different identity"),
            "{name}: {}",
            res.body
        );

        // RJ1's provider cannot sign in an account with no role at RJ1: not the platform admin, not another
        // organisation's admin.
        for email in [PLATFORM.0, FOREIGN.0, "nobody@example.test"] {
            let mut c = Client::new(&app);
            let res = sso_round_trip(
                &mut c,
                &idp,
                Identity::new(&format!("sub-{email}"), email),
                "RJ1",
            )
            .await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}: {email}");
            assert!(
                res.body.contains("Ask your organisation"),
                "{name}: {}",
                res.body
            );
        }

        // Someone on RJ1's staff list with no account: a learner account of their own at first sign-in, linked to
        // their staff record; later sign-ins follow the identity.
        let rj1 = store
            .org_by_code(&lantern_store::Scope::Platform, "RJ1")
            .await
            .unwrap();
        let mut staff = None;
        for p in store
            .people(
                &lantern_store::Scope::Platform,
                rj1.id,
                &lantern_store::PeopleFilter::All,
            )
            .await
            .unwrap()
        {
            let Some(email) = p.person.email.clone() else {
                continue;
            };
            let in_post = p.posts.iter().any(|x| x.end.is_none());
            if in_post && store.account_by_email(&email).await.unwrap().is_none() {
                staff = Some((p.person.id, email));
                break;
            }
        }
        let (person, email) = staff.expect("someone in post with an email and no account");
        for round in 0..2 {
            let mut c = Client::new(&app);
            let res = sso_round_trip(&mut c, &idp, Identity::new("sub-jit", &email), "RJ1").await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
            assert_eq!(res.location(), "/me", "{name}: round {round}");
            let me = c.get("/me").await;
            assert_eq!(me.status, StatusCode::OK, "{name}");
        }
        let made = store
            .account_by_email(&email)
            .await
            .unwrap()
            .expect("an account");
        assert_eq!(
            made.person_id,
            Some(person),
            "{name}: linked to the staff record"
        );
        let grants = store.grants(made.id).await.unwrap();
        assert_eq!(grants.len(), 1, "{name}: {grants:?}");
        assert_eq!(
            (grants[0].role, grants[0].org),
            (lantern_domain::access::Role::Learner, Some(rj1.id)),
            "{name}: a learner at RJ1, nothing more"
        );

        // Someone with roles in two organisations signed in by RJ1's provider holds only their RJ1 role.
        let both = store.account_by_email(FOREIGN.0).await.unwrap().unwrap();
        store
            .add_grants(
                both.id,
                &[lantern_store::GrantSpec {
                    role: lantern_domain::access::Role::Auditor,
                    org: Some("RJ1".into()),
                    unit: None,
                }],
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        let mut c = Client::new(&app);
        let res = sso_round_trip(&mut c, &idp, Identity::new("sub-both", FOREIGN.0), "RJ1").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(
            c.get("/orgs/RJ1/report").await.status,
            StatusCode::OK,
            "{name}: RJ1 auditor"
        );
        assert_eq!(
            c.get(&format!("/orgs/{foreign_ods}/admin")).await.status,
            StatusCode::NOT_FOUND,
            "{name}: the other organisation's admin role is not in this session"
        );
        let mut by_password = Client::signed_in(&app, FOREIGN.0, FOREIGN.1).await;
        assert_eq!(
            by_password
                .get(&format!("/orgs/{foreign_ods}/admin"))
                .await
                .status,
            StatusCode::OK,
            "{name}: with their password they hold both"
        );

        // Matching by subject: only linked identities sign in; the admin links one.
        assert_eq!(
            configure(&mut admin, &idp, "subject").await.status,
            StatusCode::SEE_OTHER,
            "{name}"
        );
        let mut c = Client::new(&app);
        let res = sso_round_trip(&mut c, &idp, Identity::new("sub-admin", ADMIN.0), "RJ1").await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}: not linked yet");
        let res = admin
            .post_form(
                "/orgs/RJ1/admin/sso/links",
                &[("email", ADMIN.0), ("subject", "sub-learner")],
                None,
            )
            .await;
        assert!(
            res.body.contains("already linked to another account"),
            "{name}: {}",
            res.body
        );
        let res = admin
            .post_form(
                "/orgs/RJ1/admin/sso/links",
                &[("email", ADMIN.0), ("subject", "sub-admin")],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let mut c = Client::new(&app);
        let who = Identity {
            email: None,
            ..Identity::new("sub-admin", "")
        };
        let res = sso_round_trip(&mut c, &idp, who, "RJ1").await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "{name}: linked subject, no email needed"
        );
        assert_eq!(
            c.get("/orgs/RJ1/admin").await.status,
            StatusCode::OK,
            "{name}"
        );

        // Unlinking ends that route in; a disabled account cannot come in by single sign-on either.
        let admin_account = store.account_by_email(ADMIN.0).await.unwrap().unwrap();
        let res = admin
            .post_form(
                &format!("/orgs/RJ1/admin/sso/links/{}/remove", admin_account.id),
                &[],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        let mut c = Client::new(&app);
        let who = Identity {
            email: None,
            ..Identity::new("sub-admin", "")
        };
        assert_eq!(
            sso_round_trip(&mut c, &idp, who, "RJ1").await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
        let learner = store.account_by_email(LEARNER.0).await.unwrap().unwrap();
        store
            .set_disabled(learner.id, true, chrono::Utc::now())
            .await
            .unwrap();
        let mut c = Client::new(&app);
        let res =
            sso_round_trip(&mut c, &idp, Identity::new("sub-learner", LEARNER.0), "RJ1").await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}: disabled");

        // Turned off: the button goes and the start page is 404 again.
        admin
            .post_form(
                "/orgs/RJ1/admin/sso",
                &[
                    ("issuer", idp.base.as_str()),
                    ("client_id", CLIENT_ID),
                    ("match_on", "email"),
                    ("label", "Test IdP"),
                ],
                None,
            )
            .await;
        let provider = store
            .sso_provider(store.org_by_code(&Scope::Platform, "RJ1").await.unwrap().id)
            .await
            .unwrap()
            .expect("kept");
        assert!(!provider.enabled, "{name}");
        assert_eq!(
            provider.client_secret, CLIENT_SECRET,
            "{name}: a blank secret keeps the stored one"
        );
        assert_eq!(
            Client::new(&app).get("/sign-in/sso/RJ1").await.status,
            StatusCode::NOT_FOUND,
            "{name}"
        );
    }
}

/// The issuer's text on the settings form's error, as the admin reads it.
fn issuer_error(body: &str) -> String {
    let start = body
        .find("id=\"issuer-error\"")
        .unwrap_or_else(|| panic!("an error on the issuer field: {body}"));
    let rest = &body[start..];
    let rest =
        &rest[rest.find("Error:</span>").expect("the hidden prefix") + "Error:</span>".len()..];
    rest[..rest.find("</span>").expect("end of the message")]
        .trim()
        .to_owned()
}

#[tokio::test]
async fn sso_refuses_private_addresses_with_one_answer() {
    // A provider really answering on loopback: without the platform's permission for private networks the server
    // must not fetch from it (nor from anything else on loopback), and an open port, a closed one and a name that
    // resolves there all get the same words.
    let idp = start_idp().await;
    let port = idp.base.rsplit(':').next().unwrap().to_owned();
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let auth = lantern_web::AuthConfig {
            sso_allow_http: true,
            ..test_auth()
        };
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), auth));
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let mut answers = Vec::new();
        for issuer in [
            idp.base.clone(),
            "http://127.0.0.1:9".to_owned(),
            format!("http://localhost:{port}"),
            format!("http://[::1]:{port}"),
            format!("http://[::ffff:127.0.0.1]:{port}"),
            format!("http://0.0.0.0:{port}"),
            format!("http://127.1.2.3:{port}/realms/staff"),
        ] {
            let res = admin
                .post_form(
                    "/orgs/RJ1/admin/sso",
                    &[
                        ("issuer", issuer.as_str()),
                        ("client_id", CLIENT_ID),
                        ("client_secret", CLIENT_SECRET),
                        ("match_on", "email"),
                        ("label", "Test IdP"),
                        ("enabled", "on"),
                    ],
                    None,
                )
                .await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: {issuer}");
            answers.push((issuer, issuer_error(&res.body)));
        }
        for (issuer, answer) in &answers {
            assert_eq!(
                answer, &answers[0].1,
                "{name}: {issuer} is answered like every other failure"
            );
        }
        assert!(
            answers[0]
                .1
                .contains("could not get an OpenID Connect discovery document"),
            "{name}: {}",
            answers[0].1
        );
        assert_eq!(
            idp.discoveries.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "{name}: nothing on loopback was fetched"
        );
        let org = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        assert_eq!(
            store.sso_provider(org.id).await.unwrap(),
            None,
            "{name}: nothing was saved"
        );

        // Only ISSUER/.well-known/openid-configuration is ever fetched: an issuer with a query, a fragment or a
        // password is refused as typed.
        for (issuer, why) in [
            (
                "https://login.example.test/realm?next=/admin",
                "must not contain ? or #",
            ),
            (
                "https://login.example.test/realm#x",
                "must not contain ? or #",
            ),
            (
                "https://user:pw@login.example.test/",
                "user name or password",
            ),
            ("ftp://login.example.test/", "must start with https://"),
        ] {
            let res = admin
                .post_form(
                    "/orgs/RJ1/admin/sso",
                    &[
                        ("issuer", issuer),
                        ("client_id", CLIENT_ID),
                        ("client_secret", CLIENT_SECRET),
                        ("match_on", "email"),
                        ("label", "Test IdP"),
                        ("enabled", "on"),
                    ],
                    None,
                )
                .await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}: {issuer}");
            assert!(
                issuer_error(&res.body).contains(why),
                "{name}: {issuer}: {}",
                issuer_error(&res.body)
            );
        }
    }
}
