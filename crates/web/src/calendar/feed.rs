//! A calendar as iCalendar (RFC 5545), with the icalendar crate: one all-day event per date, whose identifier is
//! stable for the same person, requirement and date, so an app refreshing a feed updates its entries rather than
//! adding new ones. Summaries say what happens ("Fire Safety level 1 expires", with the person's name on a team's);
//! descriptions say where to see it.

use super::Entry;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use icalendar::{Calendar, Component, Event, EventLike};

pub fn calendar(name: &str, entries: &[Entry], public_url: &str) -> String {
    let base = public_url.trim_end_matches('/');
    let mut cal = Calendar::new();
    cal.name(name);
    // Ask subscribing apps to check twice a day: dates change when training is done or a rule changes.
    cal.ttl(&chrono::Duration::hours(12));
    for e in entries {
        let (summary, uid, url) = match &e.person {
            Some((id, name)) => (
                format!("{name}: {}", e.due.summary()),
                format!(
                    "{}-{id}-{}-{}-{}@lantern",
                    e.ods, e.due.subject, e.due.level, e.due.on
                ),
                format!("{base}/orgs/{}/people/{id}", e.ods),
            ),
            None => (
                e.due.summary(),
                format!(
                    "{}-me-{}-{}-{}@lantern",
                    e.ods, e.due.subject, e.due.level, e.due.on
                ),
                format!("{base}/me"),
            ),
        };
        cal.push(
            Event::new()
                .uid(&uid)
                .summary(&summary)
                .description(&format!(
                    "{} ({}). Details: {url}",
                    e.due.summary(),
                    e.org_name
                ))
                .url(&url)
                .starts(e.due.on)
                // An all-day event ends the next day (DTEND is exclusive).
                .ends(e.due.on + chrono::Days::new(1))
                .done(),
        );
    }
    cal.done().to_string()
}

/// The calendar as a response: a feed, or a file to download when `file` names it.
pub fn response(ics: String, file: Option<&str>) -> Response {
    let mut res = (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        ics,
    )
        .into_response();
    if let Some(f) = file
        && let Ok(v) = format!("attachment; filename=\"{f}\"").parse()
    {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}
