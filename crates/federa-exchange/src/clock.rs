//! The exchange's time: [`now`] for what is written and answered, and a
//! [`Clock`] for the date rules placement judges by (certifications'
//! expiry, switching charges), which a test can set to another day.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// The current time at the precision both databases keep (microseconds), so
/// a value read back equals the value written and answered.
pub fn now() -> DateTime<Utc> {
    to_microseconds(Utc::now())
}

fn to_microseconds(moment: DateTime<Utc>) -> DateTime<Utc> {
    moment
        .duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(moment)
}

/// The system's time, or the system's time moved by a fixed offset: it
/// keeps running, so a clock started on a date stays on it for the day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    offset: TimeDelta,
}

impl Clock {
    /// The system's time.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that reads `moment` now and runs on from there.
    pub fn starting_at(moment: DateTime<Utc>) -> Clock {
        Clock {
            offset: moment - Utc::now(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        to_microseconds(Utc::now() + self.offset)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_clock_started_on_a_date_reads_that_date_and_runs_on() {
        let start = Utc.with_ymd_and_hms(2027, 1, 12, 0, 0, 0).unwrap();
        let clock = Clock::starting_at(start);
        let read = clock.now();
        assert!(
            read >= start && read - start < TimeDelta::minutes(1),
            "{read}"
        );
        assert!(clock.now() >= read);
        assert!((Clock::system().now() - now()).abs() < TimeDelta::minutes(1));
    }
}
