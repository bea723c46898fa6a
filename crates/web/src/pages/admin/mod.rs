//! The organisation admin's pages, under `/orgs/{ods}/admin`, one file a page:
//! - `rules`: requirement rules and their versions (a change is a new version with an effective date, never an edit);
//! - `settings`: the compliance target, the reminder interval, the time zone and the re-hire break;
//! - `import`: CSV import through the browser (all-or-nothing, with a downloadable report of every problem);
//! - `users`: accounts and roles, and password-reset links;
//! - `locks`: accounts held up by failed sign-ins, and clearing that;
//! - `people`: the unit tree and a search for people;
//! - `framework`: a new framework version uploaded, previewed for this organisation and (by a platform admin)
//!   applied to every organisation with a transition;
//! - `test_out`: per requirement, whether people due for renewal may take a course's assessment first.
//!
//! Every handler starts with [`admin_org`], which refuses anyone who may not administer the organisation.

mod framework;
mod how_to_complete;
mod import;
mod invite_staff;
mod local;
mod locks;
mod people;
mod rules;
mod settings;
pub mod test_out;
mod users;

pub use framework::{MAX_FRAMEWORK, framework_apply, framework_page, framework_preview};
pub use how_to_complete::{page as how_to_complete_page, submit as how_to_complete_submit};
pub use import::{MAX_UPLOAD, import_page, import_submit, template as import_template};
pub use invite_staff::invite_staff;
pub use local::{local_page, local_submit};
pub use locks::{lock_clear, locks_page};
pub use people::people_page;
pub use rules::{period, rule_version_page, rule_version_submit, rules};
pub use settings::{
    notices_submit, rehire_settings_submit, reminder_settings_submit, settings_page,
    settings_submit, time_zone_submit,
};
pub use users::{
    grant_remove, invitation_resend, invitation_withdraw, user_access, user_reset, users_page,
    users_submit,
};

use crate::auth::Caller;
use crate::auth::sign_in::FieldError;
use crate::{AppError, AppState};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::access::Action;
use lantern_store::OrgContext;

/// The organisation, if the caller may administer it (404 outside their organisations, 403 inside without the role).
pub(crate) async fn admin_org(
    state: &AppState,
    caller: &Caller,
    ods: &str,
) -> Result<OrgContext, AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::Administer(org.id))?;
    Ok(state.store.org_context(&scope, org.id).await?)
}

#[derive(serde::Deserialize, Default)]
pub struct Notice {
    pub saved: Option<String>,
}

/// Back to an admin tab (`users`, `sso`, `lrs`...), saying what was done.
pub(crate) fn saved(ctx: &OrgContext, tab: &str, message: &str) -> Response {
    Redirect::to(&format!(
        "/orgs/{}/admin/{tab}?saved={}",
        ctx.org.ods_code,
        urlencode(message)
    ))
    .into_response()
}

pub(crate) fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Parses a number from a form field, or records the field's error ("Enter {what}").
pub(crate) fn number<T: std::str::FromStr>(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    what: &str,
    ok: impl Fn(&T) -> bool,
) -> Option<T> {
    match value.trim().parse::<T>() {
        Ok(v) if ok(&v) => Some(v),
        _ => {
            errors.push(FieldError {
                field,
                message: format!("Enter {what}"),
            });
            None
        }
    }
}
