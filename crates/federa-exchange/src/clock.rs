use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// The current time at the precision both databases keep (microseconds), so
/// a value read back equals the value written and answered.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}
