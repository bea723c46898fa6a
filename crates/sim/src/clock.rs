//! The simulated clock of a run played in the browser: paused, or running at a speed, from controls the learner
//! uses. The server keeps the controls (with the wall-clock time each arrived) and works out the simulated time of
//! every action from them, so a learner cannot take an action "earlier" than it was taken, and a reload resumes
//! where the clock stands. Wall time is handed in (milliseconds), never read here.

use serde::{Deserialize, Serialize};

/// Speeds the player offers: simulated seconds per real second.
pub const SPEEDS: [u32; 4] = [1, 2, 5, 10];

/// A control, at a wall-clock instant (ms since the Unix epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control {
    pub wall_ms: i64,
    pub kind: ControlKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "control", rename_all = "snake_case")]
pub enum ControlKind {
    Pause,
    /// Run (again) at this speed.
    Run {
        speed: u32,
    },
}

/// Where the clock stands at a wall-clock instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ClockState {
    /// Simulated seconds.
    pub at: u32,
    /// None while paused.
    pub speed: Option<u32>,
    /// The time limit is reached.
    pub out_of_time: bool,
}

/// The simulated second at `wall_ms`, given the run's controls in the order they arrived (a run starts paused at
/// 0) and its time limit.
pub fn state(controls: &[Control], wall_ms: i64, limit: u32) -> ClockState {
    let mut at_ms: i64 = 0; // simulated milliseconds at the last control
    let mut since: Option<(i64, u32)> = None; // running: from this wall instant at this speed
    for c in controls {
        if let Some((from, speed)) = since {
            at_ms += (c.wall_ms - from).max(0) * i64::from(speed);
        }
        since = match c.kind {
            ControlKind::Pause => None,
            ControlKind::Run { speed } => Some((c.wall_ms, speed)),
        };
    }
    if let Some((from, speed)) = since {
        at_ms += (wall_ms - from).max(0) * i64::from(speed);
    }
    let limit_ms = i64::from(limit) * 1000;
    let out_of_time = at_ms >= limit_ms;
    ClockState {
        at: (at_ms.min(limit_ms) / 1000) as u32,
        speed: if out_of_time {
            None
        } else {
            since.map(|(_, s)| s)
        },
        out_of_time,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(wall_ms: i64, speed: u32) -> Control {
        Control {
            wall_ms,
            kind: ControlKind::Run { speed },
        }
    }

    fn pause(wall_ms: i64) -> Control {
        Control {
            wall_ms,
            kind: ControlKind::Pause,
        }
    }

    #[test]
    fn the_clock_runs_pauses_and_changes_speed() {
        assert_eq!(state(&[], 99_000, 600).at, 0, "a run starts paused");
        let c = [run(1_000, 1), pause(11_000), run(20_000, 5)];
        assert_eq!(state(&c[..1], 6_000, 600).at, 5);
        assert_eq!(state(&c[..2], 50_000, 600).at, 10, "paused at 10 s");
        let s = state(&c, 22_000, 600);
        assert_eq!((s.at, s.speed), (20, Some(5)), "10 s, then 2 s at 5x");
        let s = state(&c, 1_000_000, 600);
        assert_eq!((s.at, s.speed, s.out_of_time), (600, None, true));
    }
}
