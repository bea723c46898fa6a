//! The emails a regulatory change sends once it is applied: one to each person it makes due, listing their new
//! requirements and dates, and one digest to each of their managers. They are queued in the same transaction as the
//! change (`ChangeStore`), so they go once, and only for a change that was made.

use super::changes::ChangeSummary;
use lantern_domain::Organisation;
use lantern_domain::regulatory_change::{AffectedPerson, NewRequirement};
use lantern_store::OutgoingMail;

fn line(r: &NewRequirement) -> String {
    let why = if r.reason == "new requirement" {
        "new requirement"
    } else {
        "your record stops counting under the new rules"
    };
    format!("- {}: due by {} ({why})", r.title, r.due_by)
}

fn subject(org: &Organisation, summary: &ChangeSummary) -> String {
    format!(
        "{}: new training requirements from {}",
        org.name, summary.title
    )
}

/// The email to one person.
pub fn person_email(
    to: &str,
    org: &Organisation,
    summary: &ChangeSummary,
    person: &AffectedPerson,
    public_url: &str,
) -> OutgoingMail {
    let lines: Vec<String> = person.requirements.iter().map(line).collect();
    OutgoingMail {
        to: to.to_owned(),
        subject: subject(org, summary),
        body: format!(
            "Hello {},\n\n{} applies {} from {}. It changes what you need to do:\n\n{}\n\nBook or start each course \
             through your usual training route; it shows as done in Lantern once it is recorded. See everything you \
             need, and why, under My training: {}/me\n",
            person.name,
            org.name,
            summary.title,
            summary.effective_from,
            lines.join("\n"),
            public_url.trim_end_matches('/')
        ),
    }
}

/// The digest to one manager, naming each of their people the change makes due.
pub fn manager_digest(
    to: &str,
    manager: &str,
    org: &Organisation,
    summary: &ChangeSummary,
    team: &[&AffectedPerson],
    public_url: &str,
) -> OutgoingMail {
    let mut lines = Vec::new();
    for p in team {
        lines.push(format!("{}:", p.name));
        lines.extend(p.requirements.iter().map(|r| format!("  {}", line(r))));
    }
    OutgoingMail {
        to: to.to_owned(),
        subject: format!("{} (your team)", subject(org, summary)),
        body: format!(
            "Hello {manager},\n\n{} applies {} from {}. {} of the people you manage have new requirements:\n\n{}\n\n\
             Each of them has been emailed. See your team under My team: {}/team\n",
            org.name,
            summary.title,
            summary.effective_from,
            team.len(),
            lines.join("\n"),
            public_url.trim_end_matches('/')
        ),
    }
}
