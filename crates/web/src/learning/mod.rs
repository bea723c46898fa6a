//! Learning pages: a course's page with "Start" or "Continue", and "Take the assessment first" where the learner may
//! test out (`course.rs`); an attempt with its modules: a lesson to read and an assessment to sit, marked on the
//! server with feedback (`attempt.rs`), and a SCORM package, played in a frame from the content origin (`package.rs`,
//! `crate::content`); a completed attempt's certificate as a PDF (`certificate.rs`); an organisation admin's upload
//! of a package, which becomes a course (`package_import.rs`); a cmi5 course's assignable units, each launched by
//! the cmi5 launch protocol (`cmi5.rs`, with the LRS's side in `crate::xapi::cmi5`). Every learner's route asks the
//! policy for
//! `Action::Learn` in the organisation, and the store only ever opens the caller's own attempts (its scope is the
//! learner's own person), so one learner can never reach another's. `assignments.rs` is the manager's side: courses
//! assigned to a person or a unit (`Action::Assign`).

mod assignments;
mod attempt;
mod certificate;
pub mod cmi5;
mod course;
mod package;
mod package_import;

pub use package_import::{CourseSettings, ImportError, import as import_package};

pub(crate) use course::start_test_out;

use crate::auth::Caller;
use crate::routes::Routes;
use crate::{AppError, AppState};
use lantern_domain::access::{Action, Grant, Reach, Scope};
use lantern_domain::{Organisation, PersonId};

/// The learning pages' routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/orgs/{ods}/learning/courses/{code}", course::page)
        .post("/orgs/{ods}/learning/courses/{code}/start", course::start)
        .post(
            "/orgs/{ods}/learning/courses/{code}/test-out",
            course::test_out,
        )
        .get("/orgs/{ods}/learning/attempts/{attempt}", attempt::page)
        .get(
            "/orgs/{ods}/learning/attempts/{attempt}/certificate.pdf",
            certificate::download,
        )
        .get(
            "/orgs/{ods}/learning/attempts/{attempt}/modules/{key}",
            attempt::module,
        )
        .post(
            "/orgs/{ods}/learning/attempts/{attempt}/modules/{key}/complete",
            attempt::complete,
        )
        .post(
            "/orgs/{ods}/learning/attempts/{attempt}/modules/{key}/submit",
            attempt::submit,
        )
        .post(
            "/orgs/{ods}/learning/attempts/{attempt}/modules/{key}/launch",
            cmi5::launch,
        )
        .form(
            "/orgs/{ods}/learning/assignments",
            assignments::page,
            assignments::submit,
        )
        .post(
            "/orgs/{ods}/learning/assignments/{assignment}/cancel",
            assignments::cancel,
        )
        .upload(
            "/orgs/{ods}/learning/packages",
            package_import::page,
            package_import::upload,
            package_import::MAX_UPLOAD,
        )
}

/// The cmi5 fetch URL (cmi5 8.2), outside the session and CSRF layers: an AU on another origin calls it with no
/// cookie, and its token is its only credential (`crate::xapi::cmi5::fetch`).
pub fn cmi5_routes() -> Routes {
    let path = "/cmi5/fetch/{token}";
    Routes {
        router: axum::Router::new().route(
            path,
            axum::routing::post(crate::xapi::cmi5::fetch)
                .options(crate::xapi::cmi5::fetch_preflight),
        ),
        list: vec![(axum::http::Method::POST, path)],
    }
}

/// The organisation, the learner's own person, and a scope that reaches only them.
pub(crate) async fn learner(
    state: &AppState,
    caller: &Caller,
    ods: &str,
) -> Result<(Organisation, PersonId, Scope), AppError> {
    // An organisation outside the caller's scope is not found; inside it, a caller who is not a learner there
    // (a manager, an auditor, a platform admin) is refused.
    let org = state.store.org_by_code(&caller.scope(), ods).await?;
    if !caller.may(Action::Learn(org.id)) {
        return Err(AppError::Forbidden(
            "Courses are taken by learners, in the organisation where they work.".into(),
        ));
    }
    let person = caller.principal.person.ok_or(AppError::NotFound)?;
    let scope = Scope::Grants(vec![Grant {
        org: org.id,
        reach: Reach::Person(person),
    }]);
    Ok((org, person, scope))
}
