//! Sending reminders: one email per person naming each overdue requirement and what to do about it, recorded in the
//! store before the answer and queued for the mail deliverer (a relay's refusal is the deliverer's to log and retry). The store decides, under the organisation's reminder lock, which requirements were
//! already reminded within the organisation's interval; those are left out of the email (and recorded as skipped),
//! and a person with nothing left is not emailed at all.

use crate::auth::Caller;
use crate::views::{self, PersonStatusBrief};
use crate::{AppError, AppState};
use lantern_domain::access::Action;
use lantern_domain::{Organisation, PersonId, Status};
use lantern_store::PeopleFilter;
use lantern_store::reminders::{NewReminder, Reminder, ReminderOutcome};

/// Someone to remind, and the overdue requirements to remind them about.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Target {
    #[serde(rename = "person_id")]
    #[schema(value_type = i64)]
    pub person: PersonId,
    pub name: String,
    /// Expired or missing requirements, as the team view shows them.
    pub overdue: Vec<PersonStatusBrief>,
}

/// What a round of reminders did, counted in people.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Emailed.
    pub reminded: usize,
    /// Not emailed: every requirement was reminded within the interval.
    pub skipped: usize,
    /// Not emailed: no address on the staff record.
    pub no_email: usize,
    /// The mail relay refused their email.
    pub failed: usize,
}

pub const SUBJECT: &str = "Training to complete";

/// Reminds each target about their overdue requirements, as the caller, in the caller's organisation `org`.
/// Targets must come from a view the caller may see; the store refuses anyone outside their scope as well.
pub async fn send(
    state: &AppState,
    caller: &Caller,
    org: &Organisation,
    targets: &[Target],
) -> Result<Round, AppError> {
    caller.require(Action::Remind(org.id))?;
    if targets.is_empty() {
        return Ok(Round::default());
    }
    let scope = caller.scope();
    let ids: Vec<PersonId> = targets.iter().map(|t| t.person).collect();
    let people = state
        .store
        .people(&scope, org.id, &PeopleFilter::People(ids))
        .await?;
    let address = |p: PersonId| {
        people
            .iter()
            .find(|b| b.person.id == p)
            .and_then(|b| b.person.email.clone())
    };
    let given_name = |p: PersonId| {
        people
            .iter()
            .find(|b| b.person.id == p)
            .map(|b| b.person.given_name.clone())
            .unwrap_or_default()
    };
    let wanted: Vec<NewReminder> = targets
        .iter()
        .flat_map(|t| {
            t.overdue.iter().map(|s| NewReminder {
                person: t.person,
                subject: s.subject.clone(),
                level: s.level,
                address: address(t.person),
            })
        })
        .collect();
    let routes =
        views::where_to_complete::Routes::load(state, org.id, org.ods_code.as_str()).await?;
    let interval = state.store.reminder_interval_days(org.id).await?;
    let rows = state
        .store
        .record_reminders(
            &scope,
            org.id,
            caller.account.id,
            chrono::Utc::now(),
            interval,
            &wanted,
        )
        .await?;

    let mut round = Round::default();
    for t in targets {
        let mine: Vec<&Reminder> = rows.iter().filter(|r| r.person == t.person).collect();
        let sent: Vec<&Reminder> = mine
            .iter()
            .copied()
            .filter(|r| r.outcome == ReminderOutcome::Sent)
            .collect();
        let Some(to) = sent.first().and_then(|r| r.address.clone()) else {
            if mine.iter().any(|r| r.outcome == ReminderOutcome::NoEmail) {
                round.no_email += 1;
            } else if !mine.is_empty() {
                round.skipped += 1;
            }
            continue;
        };
        let items: Vec<&PersonStatusBrief> = t
            .overdue
            .iter()
            .filter(|s| {
                sent.iter()
                    .any(|r| r.subject == s.subject && r.level == s.level)
            })
            .collect();
        let body = email_body(
            &given_name(t.person),
            &caller.account.display_name,
            &org.name,
            &items,
            &routes,
            &state.auth.public_url,
        );
        match crate::mail::send(&state.auth, &to, SUBJECT, &body).await {
            Ok(()) => round.reminded += 1,
            Err(e) => {
                tracing::warn!(error = format!("{e:#}"), org = %org.ods_code, "a reminder was not accepted");
                let ids: Vec<i64> = sent.iter().map(|r| r.id).collect();
                state
                    .store
                    .record_reminder_failures(org.id, caller.account.id, chrono::Utc::now(), &ids)
                    .await?;
                round.failed += 1;
            }
        }
    }
    tracing::info!(
        org = %org.ods_code,
        reminded = round.reminded,
        skipped = round.skipped,
        no_email = round.no_email,
        failed = round.failed,
        "reminders"
    );
    Ok(round)
}

/// The email: each requirement with its status, what to do and where (a course here, or the organisation's link),
/// and where to see the rest.
pub fn email_body(
    given_name: &str,
    manager: &str,
    org_name: &str,
    items: &[&PersonStatusBrief],
    routes: &views::where_to_complete::Routes,
    public_url: &str,
) -> String {
    let lines: Vec<String> = items
        .iter()
        .map(|s| {
            let state = match (s.status, s.due_on) {
                (Status::Expired, Some(d)) => format!("expired on {d}"),
                (Status::Missing, Some(d)) => format!("not completed, due by {d}"),
                (Status::Missing, None) => "not completed".to_owned(),
                (status, _) => status.label().to_lowercase(),
            };
            let line = format!(
                "- {} level {}: {state}. {}",
                s.title,
                s.level,
                views::what_to_do(s.status, s.due_on)
            );
            match routes.email_line(&s.subject, s.level, public_url) {
                Some(w) => format!("{line}\n  {w}"),
                None => line,
            }
        })
        .collect();
    format!(
        "Hello {given_name},\n\n{manager} asks you to complete the training below, which is overdue at {org_name}:\n\n\
         {}\n\nBook or start each course through your usual training route; it shows as done in Lantern once it is \
         recorded. See everything you need, and why, under My training: {}/me\n",
        lines.join("\n"),
        public_url.trim_end_matches('/')
    )
}
