//! Transitions: how long people a change makes overdue have before they count as overdue. Each kind of change has a
//! default (the admin may choose another); a change of several kinds takes the longest default among them.
//!
//! These periods are Lantern's defaults, not figures from a regulator: no national source sets a transition for a
//! new CSTF version. The reasons beside each say why it is that long; docs/regulatory-change.md repeats them.

use crate::Date;
use crate::dates::add_days;
use serde::{Deserialize, Serialize};

/// The kind of a change to one requirement, as far as people's deadlines are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ChangeKind {
    /// A requirement nobody had (a new subject, or a development competency made a requirement).
    NewRequirement,
    /// The requirement reaches people it did not (a new staff group, job role or patient contact in scope).
    WiderScope,
    /// A completion is renewed more often (24 months to 12, say): some records stop counting earlier.
    ShorterPeriod,
    /// More hours, a shorter window, a larger participatory share, or a different kind of requirement.
    MoreDemanding,
    /// Nothing is asked of anyone sooner (a longer period, fewer hours, a new warning window or new-starter deadline).
    Relaxed,
    /// The requirement ends.
    Retired,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::NewRequirement => "New requirement",
            ChangeKind::WiderScope => "Wider scope",
            ChangeKind::ShorterPeriod => "Shorter refresher period",
            ChangeKind::MoreDemanding => "More demanding",
            ChangeKind::Relaxed => "Relaxed",
            ChangeKind::Retired => "Retired",
        }
    }
}

/// The default transition of one kind of change, with why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransitionDefault {
    pub kind: ChangeKind,
    pub days: u32,
    pub why: &'static str,
}

/// The defaults, one per kind.
pub const TRANSITION_DEFAULTS: &[TransitionDefault] = &[
    TransitionDefault {
        kind: ChangeKind::NewRequirement,
        days: 365,
        why: "Nobody has had the chance to train. A whole workforce needs places booked and released from rotas: a \
              year is one cycle of the shortest common refresher period (12 months), so every course runs at least \
              once in it.",
    },
    TransitionDefault {
        kind: ChangeKind::WiderScope,
        days: 365,
        why: "For the people newly in scope this is a new requirement, and it has the same default.",
    },
    TransitionDefault {
        kind: ChangeKind::MoreDemanding,
        days: 180,
        why: "People have trained, but not enough under the new figures: half a year to make up hours or sessions \
              within a rolling window.",
    },
    TransitionDefault {
        kind: ChangeKind::ShorterPeriod,
        days: 90,
        why: "People have trained; only their renewal comes sooner. Three months is long enough to book a refresher \
              and longer than the 60-day warning window Lantern gives before any expiry.",
    },
    TransitionDefault {
        kind: ChangeKind::Relaxed,
        days: 0,
        why: "Nobody is asked for anything sooner.",
    },
    TransitionDefault {
        kind: ChangeKind::Retired,
        days: 0,
        why: "Nothing is asked any more.",
    },
];

/// The default transition of a kind, in days.
pub fn default_days(kind: ChangeKind) -> u32 {
    TRANSITION_DEFAULTS
        .iter()
        .find(|d| d.kind == kind)
        .map_or(0, |d| d.days)
}

/// A chosen transition: its end (exclusive: the first day people are overdue as usual), or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transition {
    /// The first day after the transition; None for no transition.
    pub ends: Option<Date>,
}

impl Transition {
    pub const NONE: Transition = Transition { ends: None };

    /// A transition of `days` from the later of the effective date and today: people cannot be asked to have
    /// trained for a requirement before they could know of it, so a backdated change counts from when it is made.
    pub fn days(effective_from: Date, today: Date, days: u32) -> Transition {
        Transition {
            ends: (days > 0).then(|| add_days(effective_from.max(today), days)),
        }
    }

    /// A transition whose last day is `last_day`; refused when that is before the effective date.
    pub fn until(effective_from: Date, last_day: Date) -> Result<Transition, String> {
        if last_day < effective_from {
            return Err(format!(
                "the transition must end on or after the effective date, {effective_from}"
            ));
        }
        Ok(Transition {
            ends: Some(add_days(last_day, 1)),
        })
    }

    /// The default for a change of these kinds: the longest of their defaults.
    pub fn default_for(kinds: &[ChangeKind], effective_from: Date, today: Date) -> Transition {
        let days = kinds.iter().map(|k| default_days(*k)).max().unwrap_or(0);
        Transition::days(effective_from, today, days)
    }

    /// The last day of the transition, what pages show as "due by".
    pub fn last_day(&self) -> Option<Date> {
        self.ends.map(|e| crate::dates::sub_days(e, 1))
    }
}
