//! When a failed delivery is tried again, and when an endpoint is given up.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// Exponential backoff: the first retry after `first_delay`, each later
/// one after twice the previous wait up to `max_delay`, until the
/// delivery has been failing for `give_up_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    /// 5 s doubling to at most an hour, for a day.
    fn default() -> RetryPolicy {
        RetryPolicy {
            first_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
        }
    }
}

/// What follows a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextAttempt {
    At(DateTime<Utc>),
    /// The delivery has failed for the whole period: disable the endpoint.
    GiveUp,
}

impl RetryPolicy {
    /// The next attempt after the `attempts`-th one failed at `now`, for a
    /// delivery first tried at `first_attempt`.
    pub fn after_failure(
        &self,
        attempts: i64,
        first_attempt: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> NextAttempt {
        let give_up_at = later(first_attempt, self.give_up_after);
        if now >= give_up_at {
            return NextAttempt::GiveUp;
        }
        // 2^30 times any delay is far past any cap, so the shift stays small.
        let doublings = attempts.saturating_sub(1).clamp(0, 30) as u32;
        let wait = self
            .first_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay);
        NextAttempt::At(later(now, wait).min(give_up_at))
    }
}

/// `duration` after `time`, or the last representable time for a
/// duration beyond the calendar.
pub fn later(time: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(duration)
        .ok()
        .and_then(|delta| time.checked_add_signed(delta))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_five_seconds_up_to_the_cap_then_give_up_after_a_day() {
        let policy = RetryPolicy::default();
        let start = Utc::now();
        let wait = |attempts| match policy.after_failure(attempts, start, start) {
            NextAttempt::At(at) => (at - start).num_seconds(),
            NextAttempt::GiveUp => -1,
        };
        assert_eq!(
            [1, 2, 3, 4].map(wait),
            [5, 10, 20, 40],
            "doubling from the first delay"
        );
        assert_eq!(wait(11), 3600, "capped");
        assert_eq!(wait(1000), 3600, "no overflow");
        let endless = RetryPolicy {
            give_up_after: Duration::MAX,
            ..policy
        };
        assert!(matches!(
            endless.after_failure(1, start, start),
            NextAttempt::At(_)
        ));
        let late = start + TimeDelta::hours(23) + TimeDelta::minutes(59);
        assert_eq!(
            policy.after_failure(20, start, late),
            NextAttempt::At(start + TimeDelta::hours(24)),
            "the last retry falls at the end of the period"
        );
        assert_eq!(
            policy.after_failure(21, start, start + TimeDelta::hours(24)),
            NextAttempt::GiveUp
        );
    }
}
