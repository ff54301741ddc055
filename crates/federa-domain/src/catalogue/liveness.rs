//! When an agent counts as gone: every authenticated call it makes is a
//! sign of life, and one silent for longer than the timeout is
//! `Disconnected` until it speaks again. Pure: times are passed in.

use chrono::{DateTime, TimeDelta, Utc};

use super::AgentStatus;

/// Fulcrum's agents report their status every 60 s; three missed reports
/// in a row mean the agent is gone, one late report does not.
pub const DEFAULT_AGENT_TIMEOUT: TimeDelta = TimeDelta::seconds(180);

/// How long an agent may stay silent before it counts as disconnected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Liveness {
    pub timeout: TimeDelta,
}

impl Default for Liveness {
    fn default() -> Liveness {
        Liveness {
            timeout: DEFAULT_AGENT_TIMEOUT,
        }
    }
}

impl Liveness {
    /// Agents last heard of before this instant are silent at `now`.
    pub fn silent_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.timeout
    }

    /// Whether an agent with `status`, last heard of at `last_seen`, must be
    /// marked `Disconnected` at `now`. Only a connected agent falls silent:
    /// one that is new, disabled or reported an error keeps what it has.
    pub fn falls_silent(
        &self,
        status: AgentStatus,
        last_seen: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> bool {
        status == AgentStatus::Connected
            && last_seen.is_none_or(|seen| seen < self.silent_before(now))
    }

    /// How often one server writes an agent's sign of life: often enough
    /// that a live agent is never older than a small part of the timeout,
    /// rarely enough that polling agents do not turn every call into a write.
    pub fn refresh_every(&self) -> TimeDelta {
        (self.timeout / 10).clamp(TimeDelta::milliseconds(200), TimeDelta::seconds(10))
    }

    /// How often the sweep looks for silent agents, so one is marked
    /// within a small part of the timeout after it lapses.
    pub fn sweep_every(&self) -> TimeDelta {
        (self.timeout / 6).clamp(TimeDelta::milliseconds(500), TimeDelta::seconds(30))
    }
}

/// A silent agent speaking again is connected again; an agent that is new,
/// disabled or in error changes only by its own report or a person's edit.
pub fn revived_by_sign_of_life(status: AgentStatus) -> bool {
    status == AgentStatus::Disconnected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn a_fulcrum_agent_reporting_every_minute_never_falls_silent_by_default() {
        let liveness = Liveness::default();
        // Reports at 0, 60, 120 ... each up to 30 s late; looked at every second.
        let mut last_report = at(0);
        for second in 0..3600 {
            let now = at(second);
            if second % 60 == 30 {
                last_report = now;
            }
            assert!(
                !liveness.falls_silent(AgentStatus::Connected, Some(last_report), now),
                "marked silent at {second} s with the last report at {last_report}"
            );
        }
    }

    #[test]
    fn a_connected_agent_silent_past_the_timeout_falls_silent() {
        let liveness = Liveness {
            timeout: TimeDelta::seconds(5),
        };
        let seen = Some(at(0));
        assert!(!liveness.falls_silent(AgentStatus::Connected, seen, at(5)));
        assert!(liveness.falls_silent(AgentStatus::Connected, seen, at(6)));
        assert!(liveness.falls_silent(AgentStatus::Connected, None, at(6)));
        for status in [
            AgentStatus::New,
            AgentStatus::Disconnected,
            AgentStatus::Error,
            AgentStatus::Disabled,
        ] {
            assert!(!liveness.falls_silent(status, seen, at(600)), "{status:?}");
        }
    }

    #[test]
    fn only_a_disconnected_agent_is_revived_by_speaking() {
        assert!(revived_by_sign_of_life(AgentStatus::Disconnected));
        for status in [
            AgentStatus::New,
            AgentStatus::Connected,
            AgentStatus::Error,
            AgentStatus::Disabled,
        ] {
            assert!(!revived_by_sign_of_life(status), "{status:?}");
        }
    }

    #[test]
    fn refresh_and_sweep_are_small_parts_of_the_timeout() {
        let default = Liveness::default();
        assert_eq!(default.refresh_every(), TimeDelta::seconds(10));
        assert_eq!(default.sweep_every(), TimeDelta::seconds(30));
        let short = Liveness {
            timeout: TimeDelta::seconds(3),
        };
        assert_eq!(short.refresh_every(), TimeDelta::milliseconds(300));
        assert_eq!(short.sweep_every(), TimeDelta::milliseconds(500));
    }
}
