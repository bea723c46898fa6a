//! Sign-in, sessions, CSRF, throttling, password reset, and the authorisation matrix over every route, on every
//! backend.

use crate::web::Client;
use crate::{backends, d, test_auth};
use axum::http::StatusCode;
use lantern::users::{CreateUser, demo_accounts};
use lantern_domain::access::Role;
use lantern_store::{PeopleFilter, Scope, Store};
use std::sync::Arc;

pub const LEARNER: (&str, &str) = ("learner@demo.lantern.test", "learner-demo-password");
pub const MANAGER: (&str, &str) = ("manager@demo.lantern.test", "manager-demo-password");
pub const ADMIN: (&str, &str) = ("admin@demo.lantern.test", "admin-demo-password");
pub const AUDITOR: (&str, &str) = ("auditor@demo.lantern.test", "auditor-demo-password");
pub const PLATFORM: (&str, &str) = ("platform@demo.lantern.test", "platform-demo-password");
pub const AUTHOR: (&str, &str) = ("author@demo.lantern.test", "author-demo-password");
pub const FOREIGN: (&str, &str) = ("foreign-admin@example.nhs.test", "foreign-admin-password");

/// A small demo world with its accounts, and an admin of another organisation. Returns that organisation's code.
pub async fn world(store: &Arc<dyn Store>) -> String {
    lantern::demo::generate(store.as_ref(), 300, 5, d("2026-11-23"), false)
        .await
        .expect("demo");
    demo_accounts(store.as_ref()).await.expect("demo accounts");
    let other = store
        .list_orgs(&Scope::Platform)
        .await
        .expect("orgs")
        .into_iter()
        .find(|o| o.org.ods_code != "RJ1" && o.people > 0)
        .expect("another organisation")
        .org
        .ods_code
        .to_string();
    lantern::users::create(
        store.as_ref(),
        CreateUser {
            email: FOREIGN.0.into(),
            name: Some("Foreign admin".into()),
            password: FOREIGN.1.into(),
            role: Role::OrgAdmin,
            org: Some(other.clone()),
            units: vec![],
            employee_number: None,
        },
    )
    .await
    .expect("foreign admin");
    other
}

#[tokio::test]
async fn sign_in_sessions_csrf_and_throttling() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));

        // Signed out: pages send you to sign in (and back), the API says 401.
        let mut anon = Client::new(&app);
        let res = anon.get("/orgs/RJ1?as_at=2026-01-01").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(
            res.location(),
            "/sign-in?next=%2Forgs%2FRJ1%3Fas_at%3D2026-01-01",
            "{name}"
        );
        let res = anon.get("/api/v1/organisations").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{name}");
        assert!(
            res.json()["error"]
                .as_str()
                .expect("error")
                .contains("Sign in"),
            "{name}"
        );

        // A wrong password and an unknown account get the same answer.
        let wrong = anon.sign_in(ADMIN.0, "not-the-password").await;
        let unknown = anon
            .sign_in("nobody@example.test", "not-the-password")
            .await;
        for res in [&wrong, &unknown] {
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{name}");
            assert!(
                res.body
                    .contains("Enter a correct email address and password"),
                "{name}"
            );
            assert!(
                res.body.contains("nhsuk-error-summary"),
                "{name}: the NHS.UK error summary"
            );
        }
        let empty = anon.post_form("/sign-in", &[], None).await;
        assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            empty.body.contains("Enter your email address")
                && empty.body.contains("Enter your password")
        );

        // Signing in goes where you were going, with a fresh session and a fresh CSRF token.
        let csrf_before = anon.csrf().await;
        let res = anon
            .post_form(
                "/sign-in",
                &[
                    ("email", ADMIN.0),
                    ("password", ADMIN.1),
                    ("next", "/orgs/RJ1"),
                ],
                None,
            )
            .await;
        assert_eq!(
            (res.status, res.location()),
            (StatusCode::SEE_OTHER, "/orgs/RJ1"),
            "{name}: {}",
            res.body
        );
        let cookies: Vec<&str> = res
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        let session = cookies
            .iter()
            .find(|c| c.starts_with("lantern_session="))
            .expect("session cookie");
        assert!(
            session.contains("HttpOnly") && session.contains("SameSite=Lax"),
            "{name}: {session}"
        );
        assert_ne!(
            anon.csrf().await,
            csrf_before,
            "{name}: the CSRF token is rotated at sign-in"
        );
        let mut admin = anon;
        assert_eq!(
            admin.get("/orgs/RJ1").await.status,
            StatusCode::OK,
            "{name}"
        );
        // An open redirect is refused: `next` must be a path on this site.
        let mut other = Client::new(&app);
        let res = other
            .post_form(
                "/sign-in",
                &[
                    ("email", AUDITOR.0),
                    ("password", AUDITOR.1),
                    ("next", "//evil.example/x"),
                ],
                None,
            )
            .await;
        assert_eq!(res.location(), "/", "{name}");

        // Signing in again rotates the session: the old cookie stops working.
        let old = admin.cookies.clone();
        let res = admin.sign_in(ADMIN.0, ADMIN.1).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        assert_ne!(
            old.get("lantern_session"),
            admin.cookies.get("lantern_session"),
            "{name}"
        );
        let mut stale = Client {
            app: app.clone(),
            cookies: old,
        };
        assert_eq!(
            stale.get("/orgs/RJ1").await.status,
            StatusCode::SEE_OTHER,
            "{name}: the old session is gone"
        );

        // Sessions live in the database: a second server (or a restart) knows them.
        let app2 = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let mut same = Client {
            app: app2,
            cookies: admin.cookies.clone(),
        };
        assert_eq!(same.get("/orgs/RJ1").await.status, StatusCode::OK, "{name}");

        // CSRF: no token, a wrong token, or another site's origin are refused; nothing happens.
        let res = admin.post_form("/sign-out", &[], Some("")).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}");
        let res = admin
            .post_form("/sign-out", &[], Some("A".repeat(43).as_str()))
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}");
        let csrf = admin.csrf().await;
        let req = axum::http::Request::post("/sign-out")
            .header(
                "cookie",
                format!(
                    "lantern_session={}; lantern_csrf={csrf}",
                    admin.cookies["lantern_session"]
                ),
            )
            .header("content-type", "application/x-www-form-urlencoded")
            .header("host", "localhost")
            .header("origin", "https://evil.example")
            .body(axum::body::Body::from(format!("csrf_token={csrf}")))
            .expect("request");
        assert_eq!(
            admin.send(req).await.status,
            StatusCode::FORBIDDEN,
            "{name}: another site's origin"
        );
        assert_eq!(
            admin.get("/orgs/RJ1").await.status,
            StatusCode::OK,
            "{name}: still signed in"
        );

        // Signing out ends the session on the server.
        let cookie = admin.cookies.clone();
        let res = admin.post_form("/sign-out", &[], None).await;
        assert_eq!(
            (res.status, res.location()),
            (StatusCode::SEE_OTHER, "/sign-in?notice=signed-out"),
            "{name}"
        );
        let mut replay = Client {
            app: app.clone(),
            cookies: cookie,
        };
        assert_eq!(
            replay.get("/orgs/RJ1").await.status,
            StatusCode::SEE_OTHER,
            "{name}: a signed-out cookie is dead"
        );

        // Throttling: after five failures the right password is refused too, with a message saying what to do.
        let mut c = Client::new(&app);
        for _ in 0..5 {
            assert_eq!(
                c.sign_in(AUDITOR.0, "wrong-password-x").await.status,
                StatusCode::UNAUTHORIZED
            );
        }
        let res = c.sign_in(AUDITOR.0, AUDITOR.1).await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{name}");
        assert!(
            res.body.contains("too many failed attempts")
                && res.body.contains("reset your password"),
            "{name}"
        );
        // Other accounts are not locked by it.
        assert_eq!(
            c.sign_in(MANAGER.0, MANAGER.1).await.status,
            StatusCode::SEE_OTHER,
            "{name}"
        );
    }
}

/// Issue 14 item 2: `next` leads only to this site, read as a browser reads a Location header (tabs and newlines
/// removed, `\` as `/`), and a control character in it is refused before any session starts, never a 500.
#[tokio::test]
async fn sign_in_sends_the_browser_only_to_this_site() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        // The page carries only the safe path to its form.
        let mut c = Client::new(&app);
        let page = c.get("/sign-in?next=/%09/evil.example").await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert!(
            page.body.contains(r#"name="next" value="/""#) && !page.body.contains("evil.example"),
            "{name}: {}",
            page.body
        );
        for (next, want) in [
            ("/\t/evil.example", "/"),
            ("/\\evil.example", "/"),
            ("//evil.example", "/"),
            ("/.//evil.example", "/"),
            ("https://evil.example/", "/"),
            ("javascript:alert(1)", "/"),
            ("/me\r\nSet-Cookie: x=1", "/"),
            ("/me\n", "/"),
            ("/me\0", "/"),
            ("/orgs/RJ1?as_at=2026-01-01", "/orgs/RJ1?as_at=2026-01-01"),
        ] {
            let mut c = Client::new(&app);
            let res = c
                .post_form(
                    "/sign-in",
                    &[
                        ("email", AUDITOR.0),
                        ("password", AUDITOR.1),
                        ("next", next),
                    ],
                    None,
                )
                .await;
            assert_eq!(
                (res.status, res.location()),
                (StatusCode::SEE_OTHER, want),
                "{name}: next = {next:?}: {}",
                res.body
            );
            assert_eq!(c.get("/orgs/RJ1").await.status, StatusCode::OK, "{name}");
        }
        // Already signed in: the sign-in page sends the browser on, to the same safe places only.
        let mut c = Client::signed_in(&app, AUDITOR.0, AUDITOR.1).await;
        for next in ["/%09/evil.example", "/%5Cevil.example", "/me%0d%0a"] {
            let res = c.get(&format!("/sign-in?next={next}")).await;
            assert_eq!(
                (res.status, res.location()),
                (StatusCode::SEE_OTHER, "/"),
                "{name}: {next}"
            );
        }
    }
}

/// A form posted with the session cookie, a `lantern_csrf` cookie and a `csrf_token` field of the caller's choosing,
/// as a forger who can plant cookies (a neighbouring host without `__Host-`) would send it; `origin` too if given.
async fn forged_sign_out(
    c: &mut Client,
    session: &str,
    cookie_token: &str,
    field_token: &str,
    origin: Option<&str>,
) -> StatusCode {
    let mut req = axum::http::Request::post("/sign-out")
        .header(
            "cookie",
            format!("lantern_session={session}; lantern_csrf={cookie_token}"),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .header("host", "lantern.example.nhs.uk");
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    let req = req
        .body(axum::body::Body::from(format!("csrf_token={field_token}")))
        .expect("request");
    c.send(req).await.status
}

/// Issue 14 item 9: a signed-in request must carry its own session's CSRF token (a token from another session or
/// from before sign-in is refused, whatever cookie comes with it), and the origin check compares the scheme too.
#[tokio::test]
async fn csrf_tokens_belong_to_their_session_and_origins_to_this_scheme() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let auth = lantern_web::AuthConfig {
            public_url: "https://lantern.example.nhs.uk".into(),
            ..test_auth()
        };
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), auth));

        // A token from before sign-in, planted as the cookie and repeated in the form, is refused after it.
        let mut victim = Client::new(&app);
        let before = victim.csrf().await;
        let res = victim.sign_in(ADMIN.0, ADMIN.1).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        let session = victim.cookies["lantern_session"].clone();
        assert_eq!(
            forged_sign_out(&mut victim, &session, &before, &before, None).await,
            StatusCode::FORBIDDEN,
            "{name}: a pre-sign-in token"
        );
        // Another session's token (the forger's own), planted the same way, is refused.
        let forger = Client::signed_in(&app, AUDITOR.0, AUDITOR.1).await;
        let theirs = forger.cookies["lantern_csrf"].clone();
        assert_ne!(theirs, before, "{name}");
        assert_eq!(
            forged_sign_out(&mut victim, &session, &theirs, &theirs, None).await,
            StatusCode::FORBIDDEN,
            "{name}: another session's token"
        );
        // Any made-up pair of equal cookie and field is refused (the double submit alone is not enough).
        let made_up = "A".repeat(43);
        assert_eq!(
            forged_sign_out(&mut victim, &session, &made_up, &made_up, None).await,
            StatusCode::FORBIDDEN,
            "{name}: a planted token"
        );
        assert_eq!(
            victim.get("/orgs/RJ1").await.status,
            StatusCode::OK,
            "{name}: still signed in: none of those did anything"
        );
        // Served at https://, a form from the same host over http:// is another origin.
        let own = victim.csrf().await;
        assert_eq!(
            forged_sign_out(
                &mut victim,
                &session,
                &own,
                &own,
                Some("http://lantern.example.nhs.uk")
            )
            .await,
            StatusCode::FORBIDDEN,
            "{name}: the http:// origin"
        );
        assert_eq!(
            forged_sign_out(
                &mut victim,
                &session,
                &own,
                &own,
                Some("https://lantern.example.nhs.uk:8443")
            )
            .await,
            StatusCode::FORBIDDEN,
            "{name}: another port"
        );
        assert_eq!(
            victim.get("/orgs/RJ1").await.status,
            StatusCode::OK,
            "{name}: still signed in"
        );
        // The session's own token, from this site's origin, works; the cookie is not what decides.
        assert_eq!(
            forged_sign_out(
                &mut victim,
                &session,
                &made_up,
                &own,
                Some("https://lantern.example.nhs.uk")
            )
            .await,
            StatusCode::SEE_OTHER,
            "{name}: the session's token signs out"
        );
        assert_eq!(
            victim.get("/orgs/RJ1").await.status,
            StatusCode::SEE_OTHER,
            "{name}: signed out"
        );
        // The forms of a signed-in page carry the session's token.
        let mut c = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        let page = c.get("/account/password").await;
        let token = c.cookies["lantern_csrf"].clone();
        assert!(
            page.body
                .contains(&format!(r#"<meta name="csrf-token" content="{token}">"#)),
            "{name}"
        );
        // Signing out gives a fresh pre-sign-in token, with which the sign-in form works.
        let res = c.post_form("/sign-out", &[], None).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        assert_ne!(c.cookies["lantern_csrf"], token, "{name}");
        assert_eq!(
            c.sign_in(MANAGER.0, MANAGER.1).await.status,
            StatusCode::SEE_OTHER,
            "{name}"
        );
    }
}

#[tokio::test]
async fn sessions_expire_when_idle_and_absolutely() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        for (idle, absolute) in [(1, 3600), (3600, 1)] {
            let auth = lantern_web::AuthConfig {
                idle_timeout: std::time::Duration::from_secs(idle),
                absolute_timeout: std::time::Duration::from_secs(absolute),
                ..test_auth()
            };
            let app = lantern_web::app(lantern_web::AppState::new(store.clone(), auth));
            let mut c = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
            assert_eq!(c.get("/orgs/RJ1").await.status, StatusCode::OK, "{name}");
            tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
            let res = c.get("/orgs/RJ1").await;
            assert_eq!(
                res.status,
                StatusCode::SEE_OTHER,
                "{name}: idle {idle}s, absolute {absolute}s"
            );
        }
    }
}

#[tokio::test]
async fn password_reset_by_emailed_one_time_link() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let outbox = tempfile::tempdir().expect("outbox");
        let auth = lantern_web::AuthConfig {
            outbox: Some(outbox.path().to_owned()),
            ..test_auth()
        };
        let (app, state) = crate::app_with(&store, auth);
        let mut c = Client::new(&app);
        let res = c
            .post_form("/password-reset", &[("email", "nobody@example.test")], None)
            .await;
        crate::deliver(&state).await;
        assert!(
            res.body.contains("Check your email"),
            "{name}: no hint whether the account exists"
        );
        assert_eq!(
            std::fs::read_dir(outbox.path()).expect("outbox").count(),
            0,
            "{name}"
        );
        let res = c
            .post_form("/password-reset", &[("email", LEARNER.0)], None)
            .await;
        assert!(res.body.contains("Check your email"), "{name}");
        crate::deliver(&state).await;
        let mail = std::fs::read_dir(outbox.path())
            .expect("outbox")
            .next()
            .expect("one email")
            .expect("entry");
        let text = crate::web::decoded_email(&std::fs::read(mail.path()).expect("email"));
        assert!(
            text.contains(&format!("To: {}", LEARNER.0)),
            "{name}: {text}"
        );
        let link = text
            .lines()
            .find(|l| l.contains("/password-reset/"))
            .expect("a link")
            .trim();
        let path = &link[link.find("/password-reset/").expect("path")..];

        assert_eq!(c.get(path).await.status, StatusCode::OK, "{name}");
        let res = c
            .post_form(path, &[("password", "short"), ("confirm", "short")], None)
            .await;
        assert!(res.body.contains("at least 12 characters"), "{name}");
        let res = c
            .post_form(
                path,
                &[
                    ("password", "a brand new passphrase"),
                    ("confirm", "a different one!!"),
                ],
                None,
            )
            .await;
        assert!(res.body.contains("do not match"), "{name}");
        let res = c
            .post_form(
                path,
                &[
                    ("password", "a brand new passphrase"),
                    ("confirm", "a brand new passphrase"),
                ],
                None,
            )
            .await;
        assert_eq!(
            (res.status, res.location()),
            (StatusCode::SEE_OTHER, "/sign-in?notice=password-changed"),
            "{name}"
        );
        let res = c
            .post_form(
                path,
                &[
                    ("password", "another passphrase x"),
                    ("confirm", "another passphrase x"),
                ],
                None,
            )
            .await;
        assert!(
            res.body.contains("expired or has been used"),
            "{name}: the link works once"
        );

        assert_eq!(
            c.sign_in(LEARNER.0, LEARNER.1).await.status,
            StatusCode::UNAUTHORIZED,
            "{name}"
        );
        assert_eq!(
            c.sign_in(LEARNER.0, "a brand new passphrase").await.status,
            StatusCode::SEE_OTHER,
            "{name}"
        );

        // Signed in, they change it again themselves: the current password first; every session ends.
        let res = c
            .post_form(
                "/account/password",
                &[
                    ("current", "wrong one"),
                    ("password", "third passphrase ok"),
                    ("confirm", "third passphrase ok"),
                ],
                None,
            )
            .await;
        assert!(res.body.contains("Enter your current password"), "{name}");
        let res = c
            .post_form(
                "/account/password",
                &[
                    ("current", "a brand new passphrase"),
                    ("password", "third passphrase ok"),
                    ("confirm", "third passphrase ok"),
                ],
                None,
            )
            .await;
        assert_eq!(res.location(), "/sign-in?notice=password-changed", "{name}");
        assert_eq!(
            c.get("/me").await.status,
            StatusCode::SEE_OTHER,
            "{name}: signed out"
        );
        assert_eq!(
            c.sign_in(LEARNER.0, "third passphrase ok").await.status,
            StatusCode::SEE_OTHER,
            "{name}"
        );
    }
}

/// Who asks, in the matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    Learner,
    Manager,
    OrgAdmin,
    Auditor,
    Platform,
    /// An organisation admin of another organisation.
    Foreign,
    /// RJ1's course author.
    Author,
}

const EVERYONE: [Who; 8] = [
    Who::Anonymous,
    Who::Learner,
    Who::Manager,
    Who::OrgAdmin,
    Who::Auditor,
    Who::Platform,
    Who::Foreign,
    Who::Author,
];

/// The status each caller gets for a route with RJ1's parameters (the learner's own person, the manager's unit).
/// Every route in `lantern_web::route_list()` must have a line here: a new route without one fails the test.
fn expected(method: &str, path: &str, who: Who) -> Option<u16> {
    use Who::*;
    let signed_in = who != Anonymous;
    let page_auth = |ok: bool, denied: u16| -> u16 {
        match who {
            Anonymous => 303,
            _ if ok => 200,
            _ => denied,
        }
    };
    let api_auth = |ok: bool, denied: u16| -> u16 {
        match who {
            Anonymous => 401,
            _ if ok => 200,
            _ => denied,
        }
    };
    let oversees = matches!(who, Manager | OrgAdmin | Auditor | Platform);
    let in_rj1 = matches!(who, Learner | Manager | OrgAdmin | Auditor | Platform);
    // Outside RJ1 (the foreign admin) it is 404, never data; inside, a learner's role is refused with 403.
    let deny = if who == Foreign { 404 } else { 403 };
    // Authoring is for RJ1's author and admin (and a platform admin); the foreign admin authors only at home.
    let authors = matches!(who, Author | OrgAdmin | Platform);
    Some(match (method, path) {
        // An author belongs to RJ1 but sees none of its people: every person's page and record is 403.
        (_, p) if who == Author && p.contains("/people/{person_id}") => 403,
        ("GET", "/") => match who {
            Anonymous | Learner | Manager | Author => 303,
            _ => 200,
        },
        ("GET", "/orgs/{ods}") | ("GET", "/orgs/{ods}/units/{unit_id}") => {
            page_auth(oversees, deny)
        }
        ("GET", "/orgs/{ods}/people/{person_id}")
        | ("GET", "/orgs/{ods}/people/{person_id}/revalidation") => page_auth(in_rj1, 404),
        // Recording evidence is the registrant's or their manager's; an empty (not multipart) form is refused after
        // the access check. Withdrawing an item that does not exist, or fetching its file, is 404.
        // Only the person chooses their own reminders; an empty form names the field.
        ("POST", "/orgs/{ods}/people/{person_id}/reminders") => match who {
            Anonymous => 303,
            Learner => 400,
            Foreign => 404,
            _ => 403,
        },
        ("POST", "/orgs/{ods}/people/{person_id}/revalidation") => match who {
            Anonymous => 303,
            Auditor | Foreign => deny,
            _ => 400,
        },
        ("POST", "/orgs/{ods}/people/{person_id}/revalidation/evidence/{evidence_id}/withdraw") => match who {
            Anonymous => 303,
            Auditor => 403,
            _ => 404,
        },
        ("GET", "/orgs/{ods}/people/{person_id}/revalidation/evidence/{evidence_id}/file") => {
            page_auth(false, 404)
        }
        // Keeping records by hand is the organisation admins'. Empty forms name what is missing (an upload that is not
        // multipart is refused after the access check); the matrix's record and exemption do not exist (404). The
        // file of a record is for whoever may see the person.
        ("GET", "/orgs/{ods}/admin/local-requirements")
        | ("GET", "/orgs/{ods}/admin/how-to-complete")
        | ("GET", "/orgs/{ods}/people/{person_id}/records/new")
        | ("GET", "/orgs/{ods}/people/{person_id}/exemptions/new")
        | ("GET", "/orgs/{ods}/admin/exemptions") => page_auth(matches!(who, OrgAdmin | Platform), deny),
        ("POST", "/orgs/{ods}/people/{person_id}/records/new")
        | ("POST", "/orgs/{ods}/people/{person_id}/exemptions/new")
        | ("POST", "/orgs/{ods}/admin/exemptions") => match who {
            Anonymous => 303,
            OrgAdmin | Platform => 400,
            _ => deny,
        },
        ("GET", "/orgs/{ods}/people/{person_id}/records/{record_id}/correct")
        | ("POST", "/orgs/{ods}/people/{person_id}/records/{record_id}/correct")
        | ("POST", "/orgs/{ods}/people/{person_id}/records/{record_id}/withdraw")
        | ("GET", "/orgs/{ods}/people/{person_id}/exemptions/{exemption_id}/end")
        | ("POST", "/orgs/{ods}/people/{person_id}/exemptions/{exemption_id}/end") => match who {
            Anonymous => 303,
            OrgAdmin | Platform => 404,
            _ => deny,
        },
        ("GET", "/orgs/{ods}/people/{person_id}/records/{record_id}/evidence") => page_auth(false, 404),
        ("GET", "/me") | ("GET", "/me/calendar") | ("POST", "/me/calendar/link") => {
            page_auth(who == Learner, 404)
        }
        ("POST", "/me/calendar/link/end") => 303,
        // The feed's link is its credential: an unknown one is 404 for anyone.
        ("GET", "/calendar/{token}") => 404,
        // Courses are a learner's (their own attempts only); the matrix's course and attempt do not exist, so a
        // learner gets 404 (400 for a submission naming no paper), everyone else in RJ1 403 (a platform admin is no
        // learner either), the foreign admin 404.
        ("GET", "/orgs/{ods}/learning/courses/{code}")
        | ("POST", "/orgs/{ods}/learning/courses/{code}/start")
        | ("POST", "/orgs/{ods}/learning/courses/{code}/test-out")
        | ("GET", "/orgs/{ods}/learning/attempts/{attempt}")
        | ("GET", "/orgs/{ods}/learning/attempts/{attempt}/certificate.pdf")
        | ("GET", "/orgs/{ods}/learning/attempts/{attempt}/modules/{key}")
        | ("POST", "/orgs/{ods}/learning/attempts/{attempt}/modules/{key}/complete")
        | ("POST", "/orgs/{ods}/learning/attempts/{attempt}/modules/{key}/launch") => match who {
            Anonymous => 303,
            Learner | Foreign => 404,
            _ => 403,
        },
        // Simulations are a learner's, like courses: the catalogue is theirs; the matrix's scenario and run do not
        // exist.
        ("GET", "/orgs/{ods}/simulations") => match who {
            Anonymous => 303,
            Learner => 200,
            Foreign => 404,
            _ => 403,
        },
        // A learner's ended run, read from their person page: the matrix's run does not exist.
        ("GET", "/orgs/{ods}/people/{person_id}/simulations/{run}") => page_auth(false, 404),
        // Results across learners are for those who oversee them (a manager's units, the whole for the others).
        ("GET", "/orgs/{ods}/simulations/results") => page_auth(oversees, deny),
        ("GET", "/api/v1/organisations/{ods}/simulations/results") => api_auth(oversees, deny),
        // A learner's runs through the API, as the player: the matrix's scenario and run do not exist; an empty form
        // is no action or control (400, after the access check).
        ("POST", "/api/v1/organisations/{ods}/simulations/{scenario}/runs")
        | ("POST", "/api/v1/organisations/{ods}/simulations/join/{code}")
        | ("GET", "/api/v1/organisations/{ods}/simulations/runs/{run}")
        | ("POST", "/api/v1/organisations/{ods}/simulations/runs/{run}/end") => match who {
            Anonymous => 401,
            Learner | Foreign => 404,
            _ => 403,
        },
        ("POST", "/api/v1/organisations/{ods}/simulations/runs/{run}/actions")
        | ("POST", "/api/v1/organisations/{ods}/simulations/runs/{run}/clock") => match who {
            Anonymous => 401,
            Learner => 400,
            Foreign => 404,
            _ => 403,
        },
        // A team run's join link: the matrix's code opens no run.
        ("GET", "/orgs/{ods}/simulations/{scenario}")
        | ("GET", "/orgs/{ods}/simulations/join/{code}")
        | ("POST", "/orgs/{ods}/simulations/join/{code}")
        | ("POST", "/orgs/{ods}/simulations/{scenario}/start")
        | ("GET", "/orgs/{ods}/simulations/runs/{run}")
        | ("POST", "/orgs/{ods}/simulations/runs/{run}/act")
        | ("POST", "/orgs/{ods}/simulations/runs/{run}/clock")
        | ("POST", "/orgs/{ods}/simulations/runs/{run}/end") => match who {
            Anonymous => 303,
            Learner | Foreign => 404,
            _ => 403,
        },
        ("POST", "/orgs/{ods}/learning/attempts/{attempt}/modules/{key}/submit") => match who {
            Anonymous => 303,
            Learner => 400,
            Foreign => 404,
            _ => 403,
        },
        // Authoring. "/authoring" goes to the first organisation where the caller authors.
        ("GET", "/authoring") => match who {
            Anonymous | Author | OrgAdmin | Platform | Foreign => 303,
            _ => 403,
        },
        ("GET", "/orgs/{ods}/authoring")
        | ("GET", "/orgs/{ods}/authoring/course")
        | ("GET", "/orgs/{ods}/authoring/bank")
        | ("GET", "/orgs/{ods}/authoring/bank/import")
        | ("GET", "/orgs/{ods}/authoring/images")
        // An empty lesson previews as nothing.
        | ("POST", "/orgs/{ods}/authoring/lesson-preview") => page_auth(authors, deny),
        // Empty forms name no action (the editors) or are not multipart (uploads): refused after the access check.
        ("POST", "/orgs/{ods}/authoring/course")
        | ("POST", "/orgs/{ods}/authoring/bank")
        | ("POST", "/orgs/{ods}/authoring/bank/import")
        | ("POST", "/orgs/{ods}/authoring/images") => match who {
            Anonymous => 303,
            _ if authors => 400,
            _ => deny,
        },
        // The matrix's bank and course do not exist.
        ("GET", "/orgs/{ods}/authoring/banks/{code}/export.csv")
        | ("GET", "/orgs/{ods}/authoring/banks/{code}/statistics")
        | ("GET", "/orgs/{ods}/authoring/courses/{code}/sharing")
        | ("POST", "/orgs/{ods}/authoring/courses/{code}/sharing") => match who {
            Anonymous => 303,
            _ if authors => 404,
            _ => deny,
        },
        // A lesson image is for those who learn or author here; the matrix's image does not exist.
        ("GET", "/orgs/{ods}/learning/images/{image_id}") => match who {
            Anonymous => 303,
            Learner | Foreign => 404,
            _ if authors => 404,
            _ => 403,
        },
        ("POST", "/api/v1/organisations/{ods}/courses")
        | ("POST", "/api/v1/organisations/{ods}/banks/{code}") => match who {
            Anonymous => 401,
            _ if authors => 400,
            _ => deny,
        },
        // Assigning courses is a manager's (within their units) or an admin's; an empty form names what is missing,
        // and an assignment that does not exist is 404.
        ("GET", "/orgs/{ods}/learning/assignments") => {
            page_auth(matches!(who, Manager | OrgAdmin | Platform), deny)
        }
        ("POST", "/orgs/{ods}/learning/assignments") => match who {
            Anonymous => 303,
            Manager | OrgAdmin | Platform => 400,
            _ => deny,
        },
        ("POST", "/orgs/{ods}/learning/assignments/{assignment}/cancel") => match who {
            Anonymous => 303,
            Manager | OrgAdmin | Platform => 404,
            _ => deny,
        },
        ("GET", "/orgs/{ods}/trends")
        | ("GET", "/orgs/{ods}/report")
        | ("GET", "/orgs/{ods}/report.csv")
        | ("GET", "/orgs/{ods}/report.xlsx")
        | ("GET", "/orgs/{ods}/report.pdf") => {
            page_auth(matches!(who, OrgAdmin | Auditor | Platform), deny)
        }
        ("GET", "/admin") => match who {
            Anonymous | OrgAdmin | Platform | Foreign => 303,
            _ => 403,
        },
        // An import template names its kind; without one it is refused with the reason.
        ("GET", "/orgs/{ods}/admin/import/template.csv") => match who {
            Anonymous => 303,
            OrgAdmin | Platform => 400,
            _ => deny,
        },
        ("GET", "/orgs/{ods}/admin")
        | ("GET", "/orgs/{ods}/admin/rules/{rule_id}/new-version")
        | ("GET", "/orgs/{ods}/admin/settings")
        | ("GET", "/orgs/{ods}/admin/test-out")
        | ("GET", "/orgs/{ods}/admin/people")
        | ("GET", "/orgs/{ods}/admin/import")
        | ("GET", "/orgs/{ods}/admin/users")
        | ("GET", "/orgs/{ods}/admin/locks")
        | ("GET", "/orgs/{ods}/admin/sso")
        | ("GET", "/orgs/{ods}/admin/virtual-patient")
        | ("GET", "/orgs/{ods}/admin/lrs")
        | ("GET", "/orgs/{ods}/admin/lrs/erase")
        | ("GET", "/orgs/{ods}/admin/framework")
        // An organisation admin uploads SCORM packages (the page lists them).
        | ("GET", "/orgs/{ods}/learning/packages") => page_auth(matches!(who, OrgAdmin | Platform), deny),
        // The changes page: admins and auditors; a change that does not exist is 404.
        ("GET", "/orgs/{ods}/changes") => page_auth(matches!(who, OrgAdmin | Auditor | Platform), deny),
        ("GET", "/orgs/{ods}/changes/{change_id}") => {
            match page_auth(matches!(who, OrgAdmin | Auditor | Platform), deny) {
                200 => 404,
                other => other,
            }
        }
        // Applying a framework is a platform admin's (it reaches every organisation); an empty form names the file.
        ("POST", "/orgs/{ods}/admin/framework/apply") => match who {
            Anonymous => 303,
            Platform => 400,
            OrgAdmin => 403,
            _ => deny,
        },
        // Empty forms: an admin is told what is missing; an upload that is not multipart is refused after the
        // access check; resetting an account that holds no role here is 404.
        ("POST", "/orgs/{ods}/admin/rules/{rule_id}/new-version")
        | ("POST", "/orgs/{ods}/admin/settings")
        | ("POST", "/orgs/{ods}/admin/settings/reminders")
        | ("POST", "/orgs/{ods}/admin/settings/notices")
        | ("POST", "/orgs/{ods}/admin/local-requirements")
        | ("POST", "/orgs/{ods}/admin/how-to-complete")
        | ("POST", "/orgs/{ods}/admin/settings/time-zone")
        | ("POST", "/orgs/{ods}/admin/settings/rehire")
        | ("POST", "/orgs/{ods}/admin/test-out")
        | ("POST", "/orgs/{ods}/admin/import")
        | ("POST", "/orgs/{ods}/learning/packages")
        | ("POST", "/orgs/{ods}/admin/framework")
        | ("POST", "/orgs/{ods}/admin/users")
        | ("POST", "/orgs/{ods}/admin/sso")
        // An empty form names no endpoint or model.
        | ("POST", "/orgs/{ods}/admin/virtual-patient")
        // Linking an identity before single sign-on is set up is refused with a reason.
        | ("POST", "/orgs/{ods}/admin/sso/links")
        | ("POST", "/orgs/{ods}/admin/lrs/credentials")
        | ("POST", "/orgs/{ods}/admin/lrs/mappings")
        | ("POST", "/orgs/{ods}/admin/lrs/erase") => match who {
            Anonymous => 303,
            OrgAdmin | Platform => 400,
            _ => deny,
        },
        // Inviting the staff list is an admin's; it answers with the accounts page.
        ("POST", "/orgs/{ods}/admin/users/invite-staff") => match who {
            Anonymous => 303,
            OrgAdmin | Platform => 303,
            _ => deny,
        },
        ("POST", "/orgs/{ods}/admin/users/{account_id}/reset")
        | ("POST", "/orgs/{ods}/admin/users/{account_id}/access")
        | ("POST", "/orgs/{ods}/admin/users/{account_id}/grants/remove")
        | ("POST", "/orgs/{ods}/admin/invitations/{invitation_id}/resend")
        | ("POST", "/orgs/{ods}/admin/invitations/{invitation_id}/withdraw")
        | ("POST", "/orgs/{ods}/admin/locks/{account_id}/clear")
        | ("POST", "/orgs/{ods}/admin/sso/links/{account_id}/remove")
        | ("POST", "/orgs/{ods}/admin/lrs/credentials/{credential_id}/revoke")
        | ("POST", "/orgs/{ods}/admin/lrs/mappings/{mapping_id}/retire") => match who {
            Anonymous => 303,
            OrgAdmin | Platform => 404,
            _ => deny,
        },
        // A manager's units, and any unit of the organisation an admin or auditor oversees (the foreign admin's
        // own).
        ("GET", "/team")
        | ("GET", "/team.csv")
        | ("GET", "/team.xlsx")
        | ("GET", "/team/revalidation")
        | ("GET", "/team/calendar")
        | ("GET", "/team/calendar.ics") => {
            page_auth(matches!(who, Manager | OrgAdmin | Auditor | Foreign), 403)
        }
        // The confirmation lists everyone shown who is overdue; sending needs the unit named (an empty form is
        // refused rather than reminding a whole organisation). Auditors only look.
        // Saving a view needs a unit the caller may open; an empty name is refused. Removing a view that is not
        // the caller's is 404 for anyone.
        ("POST", "/team/views") => match who {
            Anonymous => 303,
            Manager | OrgAdmin | Auditor | Foreign => 400,
            _ => 403,
        },
        ("POST", "/team/views/{view_id}/remove") => page_auth(false, 404),
        ("GET", "/team/remind") | ("GET", "/team/assign") => {
            page_auth(matches!(who, Manager | OrgAdmin | Foreign), 403)
        }
        // Assigning to those ticked names its unit too; auditors only look.
        ("POST", "/team/assign") => match who {
            Anonymous => 303,
            Manager | OrgAdmin | Foreign => 400,
            _ => 403,
        },
        ("POST", "/team/remind") => match who {
            Anonymous => 303,
            Manager | OrgAdmin | Foreign => 400,
            _ => 403,
        },
        ("GET", "/sign-in") => {
            if signed_in {
                303
            } else {
                200
            }
        }
        ("POST", "/sign-in") => 400,
        ("POST", "/sign-out") => 303,
        // Single sign-on is public: the start page is 404 where it is not set up, the callback 400 without a state.
        ("GET", "/sign-in/sso/{ods}") => 404,
        ("GET", "/sign-in/sso/callback") => 400,
        ("GET", "/account/password") => page_auth(true, 0),
        ("POST", "/account/password") => {
            if signed_in {
                400
            } else {
                303
            }
        }
        ("GET", "/password-reset") | ("GET", "/password-reset/{token}") => 200,
        // An invitation link that does not exist says so (404); an empty form names no action (400).
        ("GET", "/invitations/{token}") => 404,
        ("POST", "/invitations/{token}") => 400,
        ("POST", "/password-reset") | ("POST", "/password-reset/{token}") => 400,
        ("GET", "/assets/{version}/{*file}")
        | ("GET", "/source")
        | ("GET", "/licences")
        | ("GET", "/accessibility")
        | ("GET", "/privacy")
        | ("GET", "/healthz")
        | ("GET", "/api/openapi.json") => 200,
        // /metrics is not on the main address at all (only on --metrics-listen): see server.rs.
        ("GET", "/api/v1/organisations") => api_auth(true, 0),
        ("GET", "/api/v1/organisations/{ods}/compliance")
        | ("GET", "/api/v1/organisations/{ods}/units/{unit_id}/people") => api_auth(oversees, deny),
        ("GET", "/api/v1/organisations/{ods}/people/{person_id}/compliance")
        | ("GET", "/api/v1/organisations/{ods}/people/{person_id}/revalidation") => {
            api_auth(in_rj1, 404)
        }
        ("GET", "/api/v1/me/training") | ("GET", "/api/v1/me/pathway") => {
            api_auth(who == Learner, 404)
        }
        // Everyone signed in gets their courses: none where they are no learner.
        ("GET", "/api/v1/me/courses") => api_auth(true, 0),
        // A learner's own attempts: the matrix's course, attempt and paper do not exist (404); an empty form is not
        // a JSON submission (400, after the access check). Nobody else in RJ1 is a learner (403).
        ("POST", "/api/v1/organisations/{ods}/courses/{code}/attempts")
        | ("GET", "/api/v1/organisations/{ods}/attempts/{attempt}")
        | ("GET", "/api/v1/organisations/{ods}/attempts/{attempt}/modules/{key}/paper") => match who {
            Anonymous => 401,
            Learner | Foreign => 404,
            _ => 403,
        },
        ("POST", "/api/v1/organisations/{ods}/attempts/{attempt}/papers/{paper}/submission") => match who {
            Anonymous => 401,
            Learner => 400,
            Foreign => 404,
            _ => 403,
        },
        // NEWS2 scores for anyone signed in; an empty form is not observations (400).
        ("POST", "/api/v1/news2") => match who {
            Anonymous => 401,
            _ => 400,
        },
        ("GET", "/api/v1/team") => {
            api_auth(matches!(who, Manager | OrgAdmin | Auditor | Foreign), 403)
        }
        ("GET", "/api/v1/organisations/{ods}/trends") => {
            api_auth(matches!(who, OrgAdmin | Auditor | Platform), deny)
        }
        ("GET", "/api/v1/organisations/{ods}/rules") => {
            api_auth(matches!(who, OrgAdmin | Platform), deny)
        }
        // An empty form is not a JSON body: refused with a reason once access is granted, never before.
        ("POST", "/api/v1/organisations/{ods}/rules/{rule_id}/versions")
        | ("POST", "/api/v1/organisations/{ods}/rules/{rule_id}/versions/preview") => match who {
            Anonymous => 401,
            OrgAdmin | Platform => 400,
            _ => deny,
        },
        ("POST", "/api/v1/organisations/{ods}/framework-preview") => match who {
            Anonymous => 401,
            OrgAdmin | Platform => 400,
            _ => deny,
        },
        ("POST", "/api/v1/frameworks") => match who {
            Anonymous => 401,
            Platform => 400,
            _ => 403,
        },
        ("GET", "/api/v1/organisations/{ods}/changes") => {
            api_auth(matches!(who, OrgAdmin | Auditor | Platform), deny)
        }
        // The LRS takes client credentials and the xAPI version header, never a session: a browser request without
        // the header is refused before anything is read, whoever is signed in. /xapi/about is public.
        ("GET", "/xapi/about") => 200,
        // The cmi5 fetch URL needs no session: its token is the credential. An unknown one is answered 200 with the
        // spec's error body (error code 2), whoever asks.
        ("POST", "/cmi5/fetch/{token}") => 200,
        (_, p) if p.starts_with("/xapi/") => 400,
        _ => return None,
    })
}

struct Params {
    ods: String,
    unit: i64,
    person: i64,
    rule: i64,
}

fn fill(path: &str, p: &Params) -> String {
    path.replace("{ods}", &p.ods)
        .replace("{unit_id}", &p.unit.to_string())
        .replace("{person_id}", &p.person.to_string())
        .replace("{rule_id}", &p.rule.to_string())
        .replace("{account_id}", "999999")
        .replace("{invitation_id}", "999999")
        .replace("{credential_id}", "999999")
        .replace("{mapping_id}", "999999")
        .replace("{evidence_id}", "999999")
        .replace("{record_id}", "999999")
        .replace("{exemption_id}", "999999")
        .replace("{view_id}", "999999")
        .replace("{image_id}", "999999")
        .replace("{change_id}", "999999")
        .replace("{code}", "no-such-course")
        .replace("{attempt}", "999999")
        .replace("{scenario}", "no-such-scenario")
        .replace("{run}", "999999")
        .replace("{assignment}", "999999")
        .replace("{paper}", "999999")
        .replace("{key}", "no-such-module")
        .replace("{token}", "not-a-real-token")
        .replace("{version}", "any")
        .replace("{*file}", "nhsuk.min.css")
}

async fn request(client: &mut Client, method: &str, uri: &str) -> crate::web::Response {
    match method {
        "GET" => client.get(uri).await,
        "POST" => client.post_form(uri, &[], None).await,
        "PUT" | "DELETE" => client.bodiless(method, uri).await,
        m => panic!("no driver for {m}"),
    }
}

#[tokio::test]
async fn authorisation_matrix_covers_every_route_and_never_leaks_across_organisations() {
    let routes = lantern_web::route_list();
    let missing: Vec<String> = routes
        .iter()
        .filter(|(m, p)| expected(m, p, Who::Anonymous).is_none())
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without an expectation in the matrix: {missing:?}"
    );
    assert!(
        routes.len() >= 20,
        "the route list comes from the router: {routes:?}"
    );

    for (name, store, _dir) in backends().await {
        let foreign_ods = world(&store).await;
        let app = lantern_web::app(
            lantern_web::AppState::new(store.clone(), test_auth())
                .with_source(lantern::source::archive()),
        );
        let learner = store
            .account_by_email(LEARNER.0)
            .await
            .expect("learner")
            .expect("exists");
        let manager_unit = store
            .grants(store.account_by_email(MANAGER.0).await.unwrap().unwrap().id)
            .await
            .unwrap()[0]
            .unit
            .expect("a unit");
        let rj1_org = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        let rj1_rule = store
            .org_context(&Scope::Platform, rj1_org.id)
            .await
            .expect("ctx")
            .rules[0]
            .id
            .0;
        let own = Params {
            ods: "RJ1".into(),
            unit: manager_unit.0,
            person: learner.person_id.expect("person").0,
            rule: rj1_rule,
        };
        let foreign_org = store
            .org_by_code(&Scope::Platform, &foreign_ods)
            .await
            .expect("foreign org");
        let foreign_people = store
            .people(&Scope::Platform, foreign_org.id, &PeopleFilter::All)
            .await
            .expect("people");
        let stranger = &foreign_people[0];
        let foreign_rule = store
            .org_context(&Scope::Platform, foreign_org.id)
            .await
            .expect("ctx")
            .rules[0]
            .id
            .0;
        let foreign = Params {
            ods: foreign_ods.clone(),
            unit: stranger.posts[0].unit_id.0,
            person: stranger.person.id.0,
            rule: foreign_rule,
        };
        let secrets = [
            foreign_org.name.clone(),
            stranger.person.family_name.clone(),
        ];

        let mut clients = Vec::new();
        for who in EVERYONE {
            let creds = match who {
                Who::Anonymous => None,
                Who::Learner => Some(LEARNER),
                Who::Manager => Some(MANAGER),
                Who::OrgAdmin => Some(ADMIN),
                Who::Auditor => Some(AUDITOR),
                Who::Platform => Some(PLATFORM),
                Who::Foreign => Some(FOREIGN),
                Who::Author => Some(AUTHOR),
            };
            let client = match creds {
                Some((e, p)) => Client::signed_in(&app, e, p).await,
                None => Client::new(&app),
            };
            clients.push((who, client));
        }

        let mut checked = 0;
        for (method, path) in &routes {
            for (who, client) in clients.iter_mut() {
                if *method == "POST" && path == "/sign-out" {
                    continue; // checked below, last, so the other rows keep their sessions
                }
                let want = expected(method, path, *who).expect("listed");
                let uri = fill(path, &own);
                let res = request(client, method, &uri).await;
                assert_eq!(
                    res.status.as_u16(),
                    want,
                    "{name}: {who:?} {method} {uri}: {}",
                    &res.body[..res.body.len().min(300)]
                );
                checked += 1;

                // The same route aimed at another organisation: its own admin and the platform admin act there as
                // an organisation admin would at RJ1; everyone else gets 404 (or the sign-in redirect / 401) and
                // never a byte of its data.
                if path.contains("{ods}") {
                    let uri = fill(path, &foreign);
                    let res = request(client, method, &uri).await;
                    let sees = matches!(who, Who::Platform | Who::Foreign);
                    let want = match who {
                        _ if path.starts_with("/sign-in") => {
                            expected(method, path, *who).expect("listed")
                        }
                        Who::Anonymous if path.starts_with("/api") => 401,
                        Who::Anonymous => 303,
                        // Applying a framework is the platform admin's alone, wherever it is asked from.
                        Who::Platform if path.ends_with("/admin/framework/apply") => {
                            expected(method, path, Who::Platform).expect("listed")
                        }
                        _ if sees => expected(method, path, Who::OrgAdmin).expect("listed"),
                        _ => 404,
                    };
                    assert_eq!(res.status.as_u16(), want, "{name}: {who:?} {method} {uri}");
                    if !sees {
                        for s in &secrets {
                            assert!(
                                !res.body.contains(s.as_str()),
                                "{name}: {who:?} {method} {uri} leaked {s:?}"
                            );
                        }
                    }
                    checked += 1;
                }
            }
        }
        for (who, client) in clients.iter_mut() {
            let res = client.post_form("/sign-out", &[], None).await;
            assert_eq!(res.status.as_u16(), 303, "{name}: {who:?} signs out");
        }

        // Within an organisation, a manager sees only their units and the people in them.
        let mut manager = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        let ctx = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("ctx");
        let h = lantern_domain::rollup::Hierarchy::new(&ctx.units);
        let elsewhere = ctx
            .units
            .iter()
            .find(|u| !h.is_within(u.id, manager_unit) && u.parent_id.is_some())
            .expect("another unit");
        let res = manager
            .get(&format!("/orgs/RJ1/units/{}", elsewhere.id))
            .await;
        assert_eq!(
            res.status,
            StatusCode::NOT_FOUND,
            "{name}: a unit the manager does not manage"
        );
        let everyone = store
            .people(&Scope::Platform, rj1.id, &PeopleFilter::All)
            .await
            .expect("people");
        let outsider = everyone
            .iter()
            .find(|p| {
                p.posts
                    .iter()
                    .all(|x| !h.is_within(x.unit_id, manager_unit))
            })
            .expect("someone outside the manager's unit");
        let res = manager
            .get(&format!("/orgs/RJ1/people/{}", outsider.person.id))
            .await;
        assert_eq!(
            res.status,
            StatusCode::NOT_FOUND,
            "{name}: a person outside the manager's units"
        );
        let res = manager.get("/orgs/RJ1").await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        assert!(
            !res.body.contains(&format!("/units/{}\"", elsewhere.id)),
            "{name}: the heatmap shows only their units"
        );
        // A learner sees only themselves.
        let mut learner_c = Client::signed_in(&app, LEARNER.0, LEARNER.1).await;
        let res = learner_c
            .get(&format!(
                "/api/v1/organisations/RJ1/people/{}/compliance",
                outsider.person.id
            ))
            .await;
        assert!(
            matches!(res.status.as_u16(), 403 | 404),
            "{name}: {}",
            res.status
        );
        assert!(!res.body.contains(&outsider.person.family_name), "{name}");
        assert!(checked > 100, "{name}: {checked} checks");
    }
}

#[tokio::test]
async fn my_training_and_my_team_show_the_right_people() {
    for (name, store, _dir) in backends().await {
        world(&store).await;
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let learner = store.account_by_email(LEARNER.0).await.unwrap().unwrap();
        let person = learner.person_id.expect("person");

        let mut c = Client::signed_in(&app, LEARNER.0, LEARNER.1).await;
        let home = c.get("/").await;
        assert_eq!(
            home.location(),
            "/me",
            "{name}: a learner's home is their training"
        );
        let me = c.get("/me").await;
        assert_eq!(me.status, StatusCode::OK, "{name}");
        assert!(
            me.body.contains("My training") && me.body.contains("Fire Safety"),
            "{name}"
        );
        assert!(
            me.body.contains("aria-current=\"page\""),
            "{name}: the navigation marks where you are"
        );
        assert!(
            !me.body.contains("My team"),
            "{name}: a learner's navigation has no team"
        );
        assert!(
            me.body.contains("Your training records"),
            "{name}: their records, with hours and evidence"
        );
        let api = c.get("/api/v1/me/training").await;
        assert_eq!(api.status, StatusCode::OK, "{name}");
        let json = api.json();
        assert_eq!(json[0]["ods_code"], "RJ1", "{name}");
        assert!(
            json[0]["records"].as_array().is_some_and(|r| !r.is_empty()),
            "{name}: records in the API too"
        );
        assert!(
            json[0]["revalidation"][0]["standard"]
                .as_str()
                .is_some_and(|s| s.starts_with("NMC")),
            "{name}"
        );
        assert!(
            me.body.contains("35 hours of CPD (20 participatory)")
                && me.body.contains("Participatory hours"),
            "{name}: the demo nurse sees progress towards NMC revalidation"
        );

        let mut m = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        let team = m.get("/team").await;
        assert_eq!(team.status, StatusCode::OK, "{name}: {}", team.body);
        assert!(
            team.body.contains(&format!("/orgs/RJ1/people/{person}")),
            "{name}: the learner is in the team"
        );
        assert!(team.body.contains("have something overdue"), "{name}");
        let csv = m.get("/team.csv?status=missing").await;
        assert_eq!(csv.status, StatusCode::OK, "{name}");
        assert!(
            csv.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv"),
            "{name}"
        );
        let header = csv.body.lines().next().expect("header");
        assert!(
            header.starts_with("\"Employee number\",\"Name\""),
            "{name}: {header}"
        );
        for line in csv.body.lines().skip(1) {
            assert!(
                line.contains("\"Missing\""),
                "{name}: filtered to people with something missing: {line}"
            );
        }
        let xlsx = m.get("/team.xlsx?status=missing").await;
        assert_eq!(xlsx.status, StatusCode::OK, "{name}");
        assert!(
            xlsx.headers["content-type"]
                .to_str()
                .unwrap()
                .contains("spreadsheetml"),
            "{name}"
        );
        let bad = m.get("/team?status=great").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{name}");

        // Remind: everyone with something overdue gets an email listing it; a person outside the team cannot be
        // reminded.
        let outbox = tempfile::tempdir().expect("outbox");
        let auth = lantern_web::AuthConfig {
            outbox: Some(outbox.path().to_owned()),
            ..test_auth()
        };
        let (app2, state2) = crate::app_with(&store, auth);
        let mut m2 = Client {
            app: app2,
            cookies: m.cookies.clone(),
        };
        let team = m2.get("/team").await;
        let overdue: usize = team
            .body
            .split("have something overdue")
            .next()
            .and_then(|s| {
                s.rsplit("nhsuk-heading-xl nhsuk-u-margin-bottom-1\">")
                    .next()
            })
            .and_then(|s| s.split('<').next())
            .and_then(|n| n.trim().parse().ok())
            .expect("the overdue count");
        assert!(
            overdue > 0,
            "{name}: the demo ward has someone overdue to remind"
        );
        let res = m2.post_form("/team/remind", &[], None).await;
        assert_eq!(
            res.status,
            StatusCode::BAD_REQUEST,
            "{name}: sending names its unit"
        );
        let unit = m2.get("/api/v1/team").await.json()["unit_id"].to_string();
        let res = m2
            .post_form("/team/remind", &[("unit", unit.as_str())], None)
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert!(
            res.location().contains(&format!("reminded={overdue}")),
            "{name}: {}",
            res.location()
        );
        crate::deliver(&state2).await;
        let mails: Vec<String> = std::fs::read_dir(outbox.path())
            .expect("outbox")
            .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("mail"))
            .collect();
        assert_eq!(mails.len(), overdue, "{name}");
        assert!(
            mails
                .iter()
                .all(|m| m.contains("Subject: Training to complete") && m.contains("overdue")),
            "{name}"
        );
        let res = m2
            .post_form("/team/remind", &[("person", "999999")], None)
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{name}");
        let shown = m2
            .get(&format!("/team?reminded={overdue}&no_email=0"))
            .await;
        assert!(
            shown.body.contains(&format!("Reminders sent: {overdue}.")),
            "{name}: the team page says so"
        );
    }
}
