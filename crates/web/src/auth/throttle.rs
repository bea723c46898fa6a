//! How failed sign-ins slow down guessing without locking out the people who know their password
//! (OWASP Authentication Cheat Sheet, "Protect against automated attacks"; NIST SP 800-63B section 5.2.2).
//!
//! Three limits, each with its own reach:
//! - **An account from one address** (the pair): after a few failures, each further attempt waits for a delay that
//!   doubles with every failure, up to a cap. Only that pair waits: the same person at another computer, or anyone
//!   else at this one, is not slowed.
//! - **An account from everywhere**: after many failures spread over addresses (a distributed guess), the account is
//!   locked for every address for a while. A completed password reset, or an admin, clears it at once.
//! - **An address against every account**: a ceiling far above what a shared address (a trust's whole staff behind
//!   one NAT) mistypes, counting failures only, so people signing in correctly there never add to it.
//!
//! Attempts are recorded before the password is checked (`ThrottleStore::begin_sign_in`), so parallel guesses count
//! against each other; one turned away by a limit is withdrawn and does not lengthen the wait.

use chrono::TimeDelta;
use lantern_domain::Timestamp;
use lantern_store::{SignInFailures, SignInWindows};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct ThrottlePolicy {
    /// Failures of a pair allowed before it has to wait.
    pub pair_free_failures: i64,
    /// The first wait, doubled with every further failure...
    pub pair_first_delay: Duration,
    /// ...up to this.
    pub pair_max_delay: Duration,
    /// Failures (from any addresses) within `remember_for` that lock an account for every address...
    pub account_lock_after: i64,
    /// ...for this long.
    pub account_lock_for: Duration,
    /// How long failures count, for pairs and accounts.
    pub remember_for: Duration,
    /// Failures from one address (against any accounts) within `address_window` that stop it trying.
    pub address_ceiling: i64,
    pub address_window: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            pair_free_failures: 5,
            pair_first_delay: Duration::from_secs(1),
            pair_max_delay: Duration::from_secs(15 * 60),
            account_lock_after: 100,
            account_lock_for: Duration::from_secs(60 * 60),
            remember_for: Duration::from_secs(24 * 60 * 60),
            address_ceiling: 500,
            address_window: Duration::from_secs(15 * 60),
        }
    }
}

/// Why a sign-in attempt is turned away before its password is checked, and until when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The account is locked for every address.
    Account { until: Timestamp },
    /// This account from this address waits.
    Pair { until: Timestamp },
    /// This address has reached its ceiling.
    Address { until: Timestamp },
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl ThrottlePolicy {
    /// The windows the store counts in, at `now`.
    pub fn windows(&self, now: Timestamp) -> SignInWindows {
        SignInWindows {
            since: now - delta(self.remember_for),
            address_since: now - delta(self.address_window),
            address_limit: self.address_ceiling.max(1),
            forget_before: now - delta(self.remember_for.max(self.address_window)),
        }
    }

    /// How long a pair with this many failures waits after the latest: none up to `pair_free_failures`, then the
    /// first delay, doubling, capped.
    pub fn pair_delay(&self, failures: i64) -> Option<Duration> {
        let over = failures - self.pair_free_failures;
        if over < 0 {
            return None;
        }
        let doubled = self
            .pair_first_delay
            .checked_mul(1u32.checked_shl(over.min(31) as u32).unwrap_or(u32::MAX))
            .unwrap_or(self.pair_max_delay);
        Some(doubled.min(self.pair_max_delay))
    }

    /// When a pair may try again, if it has to wait.
    pub fn pair_until(&self, failures: i64, latest: Option<Timestamp>) -> Option<Timestamp> {
        Some(latest? + delta(self.pair_delay(failures)?))
    }

    /// Whether an attempt may go ahead, from what stood before it.
    pub fn refusal(&self, f: &SignInFailures, now: Timestamp) -> Option<Refusal> {
        if let Some(until) = f.locked_until.filter(|u| *u > now) {
            return Some(Refusal::Account { until });
        }
        if let Some(until) = self.pair_until(f.pair, f.pair_latest).filter(|u| *u > now) {
            return Some(Refusal::Pair { until });
        }
        let address_until = f
            .address_at_limit
            .map(|at| at + delta(self.address_window))
            .filter(|u| *u > now);
        address_until.map(|until| Refusal::Address { until })
    }

    /// The end of the lock an account gets after a failure that brought it to `failures`, if it does.
    pub fn account_lock(&self, failures: i64, now: Timestamp) -> Option<Timestamp> {
        (failures >= self.account_lock_after).then(|| now + delta(self.account_lock_for))
    }
}

impl Refusal {
    pub fn until(&self) -> Timestamp {
        match self {
            Refusal::Account { until } | Refusal::Pair { until } | Refusal::Address { until } => {
                *until
            }
        }
    }

    /// What the person signing in is told: what happened and when to try again. It says the same for an email
    /// with or without an account (their failures are counted alike).
    pub fn message(&self, now: Timestamp) -> String {
        let wait = wait_text(self.until() - now);
        match self {
            Refusal::Account { .. } => format!(
                "This account has been locked after too many failed attempts to sign in to it. Try again in {wait}, \
                 or reset your password to unlock it now."
            ),
            Refusal::Pair { .. } => format!(
                "There have been too many failed attempts to sign in to this account from this computer or network. \
                 Wait {wait} and try again, or reset your password."
            ),
            Refusal::Address { .. } => format!(
                "There have been too many failed sign-in attempts from your network. Wait {wait} and try again."
            ),
        }
    }
}

/// A wait in words, rounded up: "1 second", "40 seconds", "2 minutes", "1 hour".
pub fn wait_text(d: TimeDelta) -> String {
    let up = |n: u64, by: u64| n.div_ceil(by);
    let secs = up(d.num_milliseconds().max(1) as u64, 1000);
    let (n, unit) = if secs < 60 {
        (secs, "second")
    } else if secs < 90 * 60 {
        (up(secs, 60), "minute")
    } else {
        (up(secs, 3600), "hour")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> Timestamp {
        chrono::Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn a_pair_waits_twice_as_long_after_each_failure_up_to_the_cap() {
        let p = ThrottlePolicy::default();
        let waits: Vec<Option<u64>> = (0..=20)
            .map(|n| p.pair_delay(n).map(|d| d.as_secs()))
            .collect();
        assert_eq!(&waits[..5], &[None; 5], "five free failures");
        assert_eq!(
            &waits[5..15],
            &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map(Some)
        );
        assert_eq!(waits[15], Some(900), "capped at 15 minutes");
        assert_eq!(p.pair_delay(10_000), Some(Duration::from_secs(900)));
        assert_eq!(p.pair_delay(i64::MAX), Some(Duration::from_secs(900)));
    }

    #[test]
    fn each_limit_reaches_only_what_it_should() {
        let p = ThrottlePolicy::default();
        let now = t(0);
        let clear = SignInFailures::default();
        assert_eq!(p.refusal(&clear, now), None);
        // Seven failures of the pair, the latest 3 s ago: 4 s to wait, so 1 s more.
        let pair = SignInFailures {
            pair: 7,
            pair_latest: Some(t(-3)),
            ..clear.clone()
        };
        assert_eq!(p.refusal(&pair, now), Some(Refusal::Pair { until: t(1) }));
        assert_eq!(p.refusal(&pair, t(1)), None, "the wait is over");
        // A lock for every address, until it ends.
        let locked = SignInFailures {
            locked_until: Some(t(600)),
            ..clear.clone()
        };
        assert_eq!(
            p.refusal(&locked, now),
            Some(Refusal::Account { until: t(600) })
        );
        assert_eq!(p.refusal(&locked, t(600)), None);
        // The address's ceiling lasts until the failure at the limit is out of the window.
        let address = SignInFailures {
            address_at_limit: Some(t(-60)),
            ..clear
        };
        assert_eq!(
            p.refusal(&address, now),
            Some(Refusal::Address {
                until: t(15 * 60 - 60)
            })
        );
        assert_eq!(p.account_lock(99, now), None);
        assert_eq!(p.account_lock(100, now), Some(t(3600)));
    }

    #[test]
    fn messages_say_what_happened_and_when_to_try_again() {
        let now = t(0);
        let m = Refusal::Pair { until: t(90) }.message(now);
        assert!(
            m.contains("from this computer or network") && m.contains("Wait 2 minutes"),
            "{m}"
        );
        let m = Refusal::Account { until: t(3600) }.message(now);
        assert!(
            m.contains("locked")
                && m.contains("in 60 minutes")
                && m.contains("reset your password"),
            "{m}"
        );
        let m = Refusal::Address { until: t(1) }.message(now);
        assert!(
            m.contains("from your network") && m.contains("Wait 1 second"),
            "{m}"
        );
        assert_eq!(wait_text(TimeDelta::milliseconds(1)), "1 second");
        assert_eq!(wait_text(TimeDelta::seconds(59)), "59 seconds");
        assert_eq!(wait_text(TimeDelta::seconds(61)), "2 minutes");
        assert_eq!(wait_text(TimeDelta::hours(2)), "2 hours");
    }
}
