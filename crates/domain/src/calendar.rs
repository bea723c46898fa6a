//! What is coming up: the dates on which a person's requirements fall due, from their explained statuses. A
//! requirement in date expires on its due date (its last valid day); a new starter's or a changed requirement's
//! deadline is the day it must be done by; an exemption's end is the day it stops covering. Overdue requirements are
//! not coming up: they are due now, and the pages say so. The person's page, My training's calendar, the team's
//! calendar and the iCalendar feed all read this.

use crate::engine::{RequirementStatus, Status};
use crate::{Date, Subject};

/// What happens on a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DueKind {
    /// The last day a record counts: renew by then.
    Expires,
    /// A new starter's (or a changed requirement's) deadline.
    Deadline,
    /// The last day an exemption covers.
    ExemptionEnds,
}

impl DueKind {
    /// How a calendar entry reads: "Fire Safety level 1 expires".
    pub fn phrase(self) -> &'static str {
        match self {
            DueKind::Expires => "expires",
            DueKind::Deadline => "due",
            DueKind::ExemptionEnds => "exemption ends",
        }
    }
}

/// One date coming up for one requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub on: Date,
    pub kind: DueKind,
    pub subject: Subject,
    pub level: u8,
    /// "Fire Safety level 1".
    pub title: String,
}

impl Due {
    /// "Fire Safety level 1 expires".
    pub fn summary(&self) -> String {
        format!("{} {}", self.title, self.kind.phrase())
    }
}

/// What a requirement's due date means in its status; None for one overdue (due now, not coming up).
pub fn due_kind(status: Status) -> Option<DueKind> {
    match status {
        Status::Compliant | Status::Expiring => Some(DueKind::Expires),
        Status::Pending => Some(DueKind::Deadline),
        Status::Exempt => Some(DueKind::ExemptionEnds),
        Status::Expired | Status::Missing => None,
    }
}

/// The dates coming up for one person's requirements from `today` to `until` (both included), soonest first.
pub fn upcoming(requirements: &[RequirementStatus], today: Date, until: Date) -> Vec<Due> {
    let mut out: Vec<Due> = requirements
        .iter()
        .filter_map(|r| {
            let kind = due_kind(r.status)?;
            let on = r.due_on?;
            (today <= on && on <= until).then(|| Due {
                on,
                kind,
                subject: r.subject.clone(),
                level: r.level,
                title: format!("{} level {}", r.explanation.rule.title, r.level),
            })
        })
        .collect();
    out.sort_by(|a, b| (a.on, &a.title).cmp(&(b.on, &b.title)));
    out
}
