//! Accepting an invitation to a role: `/invitations/{token}`, the link an organisation admin's invitation emails.
//!
//! Only the holder of the emailed link gets here, so this page may say whether the address has an account (the
//! admin who sent it never learns). The person either signs in to their account and accepts, or, with no account
//! yet, chooses a password, which creates the account with the role in one transaction. They may also decline.
//! Accepting into an account needs that account to be signed in and to be the address invited.

use super::{Caller, password};
use crate::auth::csrf::CsrfToken;
use crate::auth::sign_in::{FieldError, new_password_problem, start_session};
use crate::pages::PageError;
use crate::pages::layout::Layout;
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use lantern_store::{Acceptance, Invitation, InvitationState, StoreError};

/// What the page offers.
pub enum Offer {
    /// The link is unknown, or the invitation has ended: why, in words.
    Ended(String),
    /// Signed in as the person invited.
    Accept,
    /// Signed in as someone else.
    WrongAccount,
    /// The address has an account: sign in to it first.
    SignIn,
    /// No account yet: choose a password.
    Create,
}

#[derive(Template, WebTemplate)]
#[template(path = "invitation.html")]
pub struct InvitationPage {
    layout: Layout,
    token: String,
    email: String,
    name: String,
    org_name: String,
    role: String,
    offer: Offer,
    errors: Vec<FieldError>,
}

impl InvitationPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

fn layout(caller: Option<&Caller>, csrf: &CsrfToken) -> Layout {
    match caller {
        Some(c) => Layout::for_caller(c, csrf, "/invitations"),
        None => Layout::anonymous(csrf),
    }
}

/// The invitation behind a link and what to offer, or why there is nothing to accept.
async fn offer_for(
    state: &AppState,
    caller: Option<&Caller>,
    token: &str,
) -> Result<(Option<Invitation>, Offer), AppError> {
    let Some(inv) = state
        .store
        .invitation(&super::token_hash(token), Utc::now())
        .await?
    else {
        return Ok((
            None,
            Offer::Ended(
                "This invitation link is not valid. Check that you opened the whole link from the email.".into(),
            ),
        ));
    };
    let offer = match inv.state {
        InvitationState::Accepted => Offer::Ended(
            "This invitation has been accepted already. Sign in to use your account.".into(),
        ),
        InvitationState::Withdrawn => Offer::Ended(
            "This invitation was withdrawn or declined. If you need access, ask the administrator who invited you."
                .into(),
        ),
        InvitationState::Expired => Offer::Ended(
            "This invitation has expired. Ask the administrator who invited you to send it again.".into(),
        ),
        InvitationState::Pending => match caller {
            Some(c) if c.account.email == inv.email => Offer::Accept,
            Some(_) => Offer::WrongAccount,
            None if state.store.account_by_email(&inv.email).await?.is_some() => Offer::SignIn,
            None => Offer::Create,
        },
    };
    Ok((Some(inv), offer))
}

fn page(
    caller: Option<&Caller>,
    csrf: &CsrfToken,
    token: String,
    inv: Option<Invitation>,
    offer: Offer,
    errors: Vec<FieldError>,
) -> InvitationPage {
    let (email, name, org_name, role) = match inv {
        Some(i) => {
            let role = match &i.unit_name {
                Some(unit) => format!("{} of {unit}", i.grant.role.label()),
                None => i.grant.role.label().to_owned(),
            };
            (i.email, i.display_name, i.org_name, role)
        }
        None => Default::default(),
    };
    InvitationPage {
        layout: layout(caller, csrf),
        token,
        email,
        name,
        org_name,
        role,
        offer,
        errors,
    }
}

pub async fn show(
    State(state): State<AppState>,
    csrf: CsrfToken,
    caller: Option<Extension<Caller>>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let caller = caller.map(|Extension(c)| c);
    let (inv, offer) = offer_for(&state, caller.as_ref(), &token).await?;
    let status = match (&inv, &offer) {
        (None, _) => StatusCode::NOT_FOUND,
        (_, Offer::Ended(_)) => StatusCode::GONE,
        _ => StatusCode::OK,
    };
    Ok((
        status,
        page(caller.as_ref(), &csrf, token, inv, offer, Vec::new()),
    )
        .into_response())
}

#[derive(serde::Deserialize)]
pub struct InvitationForm {
    /// "accept" or "decline".
    #[serde(default)]
    action: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn submit(
    State(state): State<AppState>,
    csrf: CsrfToken,
    caller: Option<Extension<Caller>>,
    Path(token): Path<String>,
    Form(form): Form<InvitationForm>,
) -> Result<Response, PageError> {
    let caller = caller.map(|Extension(c)| c);
    let hash = super::token_hash(&token);
    let (inv, offer) = offer_for(&state, caller.as_ref(), &token).await?;
    let again = |inv, offer, errors, status: StatusCode| {
        (
            status,
            page(caller.as_ref(), &csrf, token.clone(), inv, offer, errors),
        )
            .into_response()
    };
    if form.action == "decline" {
        if matches!(offer, Offer::Ended(_)) {
            return Ok(again(inv, offer, Vec::new(), StatusCode::GONE));
        }
        state.store.decline_invitation(&hash, Utc::now()).await?;
        tracing::info!("invitation declined");
        return Ok(again(
            inv,
            Offer::Ended(
                "You have declined the invitation. Nothing has changed, and the link no longer works.".into(),
            ),
            Vec::new(),
            StatusCode::OK,
        ));
    }
    if form.action != "accept" {
        return Err(AppError::BadRequest("action must be accept or decline".into()).into());
    }
    let how = match (&offer, &caller) {
        (Offer::Accept, Some(c)) => Acceptance::Existing(c.account.id),
        (Offer::Create, None) => {
            let errors: Vec<FieldError> = new_password_problem(&form.password, &form.confirm)
                .into_iter()
                .collect();
            if !errors.is_empty() {
                return Ok(again(inv, offer, errors, StatusCode::BAD_REQUEST));
            }
            let hash = password::hash(form.password)
                .await
                .map_err(AppError::Internal)?;
            return accept(&state, &token, &csrf, caller.as_ref(), inv, hash).await;
        }
        // Ended, signed in as someone else, or must sign in first: the page says what to do.
        _ => return Ok(again(inv, offer, Vec::new(), StatusCode::CONFLICT)),
    };
    match state.store.accept_invitation(&hash, how, Utc::now()).await {
        Ok(account) => {
            tracing::info!(account = %account, "invitation accepted");
            Ok(Redirect::to("/").into_response())
        }
        Err(StoreError::Rejected(problems)) => Ok(again(
            inv,
            offer,
            problems
                .into_iter()
                .map(|p| FieldError {
                    field: "invitation",
                    message: p.message,
                })
                .collect(),
            StatusCode::CONFLICT,
        )),
        Err(e) => Err(e.into()),
    }
}

/// Creates the account from the invitation and signs the person in: they proved they hold the address by opening
/// the link, and have just chosen their password.
async fn accept(
    state: &AppState,
    token: &str,
    csrf: &CsrfToken,
    caller: Option<&Caller>,
    inv: Option<Invitation>,
    password_hash: String,
) -> Result<Response, PageError> {
    let accepted = state
        .store
        .accept_invitation(
            &super::token_hash(token),
            Acceptance::New {
                password_hash: &password_hash,
            },
            Utc::now(),
        )
        .await;
    match accepted {
        Ok(id) => {
            tracing::info!(account = %id, "invitation accepted with a new account");
            let account = state.store.account(id).await?.ok_or(AppError::NotFound)?;
            start_session(
                state,
                &account,
                None,
                caller,
                &super::next::NextPath::home(),
            )
            .await
        }
        Err(StoreError::Rejected(problems)) => Ok((
            StatusCode::CONFLICT,
            page(
                caller,
                csrf,
                token.to_owned(),
                inv,
                Offer::Create,
                problems
                    .into_iter()
                    .map(|p| FieldError {
                        field: "invitation",
                        message: p.message,
                    })
                    .collect(),
            ),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}
