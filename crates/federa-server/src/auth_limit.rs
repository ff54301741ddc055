//! A limit on failed authentication attempts per client address. Tokens are
//! 256 random bits, so guessing is hopeless anyway; the limit slows a
//! guessing client down and makes it visible. An address over its limit is
//! answered 429 for every refused credential until its window ends; a valid
//! credential from the same address is still served, so clients sharing an
//! address (behind one NAT) are not locked out by a neighbour's guesses.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts one address may make in one window.
pub const DEFAULT_LIMIT: u32 = 30;
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

/// Addresses remembered at once. Past this, windows that have ended are
/// forgotten; if all are live, the oldest half is, so memory stays bounded
/// under a flood of addresses.
const MAX_CLIENTS: usize = 100_000;

pub struct FailedAttempts {
    limit: u32,
    window: Duration,
    clients: Mutex<HashMap<IpAddr, Attempts>>,
}

#[derive(Clone, Copy)]
struct Attempts {
    /// When the first failure of the current window happened.
    since: Instant,
    failures: u32,
}

impl Default for FailedAttempts {
    fn default() -> Self {
        FailedAttempts::new(DEFAULT_LIMIT, DEFAULT_WINDOW)
    }
}

/// IPv6 clients usually hold a whole /64, so they are counted by it.
fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

impl FailedAttempts {
    pub fn new(limit: u32, window: Duration) -> FailedAttempts {
        FailedAttempts {
            limit,
            window,
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn clients(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Attempts>> {
        // The map holds only counters: one left by a panicking thread is
        // still usable.
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err(wait)` while `client` has used up its failures for the window.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let clients = self.clients();
        match clients.get(&client_key(client)) {
            Some(attempts) if attempts.failures >= self.limit => {
                let ends = attempts.since + self.window;
                if now < ends {
                    Err(ends - now)
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// Counts one failed attempt by `client`.
    pub fn record(&self, client: IpAddr, now: Instant) {
        let mut clients = self.clients();
        if clients.len() >= MAX_CLIENTS {
            self.forget_some(&mut clients, now);
        }
        let attempts = clients.entry(client_key(client)).or_insert(Attempts {
            since: now,
            failures: 0,
        });
        if now >= attempts.since + self.window {
            *attempts = Attempts {
                since: now,
                failures: 0,
            };
        }
        attempts.failures = attempts.failures.saturating_add(1);
    }

    fn forget_some(&self, clients: &mut HashMap<IpAddr, Attempts>, now: Instant) {
        clients.retain(|_, attempts| now < attempts.since + self.window);
        if clients.len() >= MAX_CLIENTS {
            let mut starts: Vec<Instant> = clients.values().map(|a| a.since).collect();
            let middle = starts.len() / 2;
            let (_, median, _) = starts.select_nth_unstable(middle);
            let median = *median;
            clients.retain(|_, attempts| attempts.since > median);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_is_refused_after_its_limit_until_the_window_ends() {
        let limiter = FailedAttempts::new(3, Duration::from_secs(60));
        let start = Instant::now();
        let client = address("192.0.2.7");
        for n in 0..3 {
            assert!(limiter.check(client, start).is_ok(), "attempt {n}");
            limiter.record(client, start + Duration::from_secs(n));
        }
        let wait = limiter
            .check(client, start + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(limiter.check(address("192.0.2.8"), start).is_ok());
        let later = start + Duration::from_secs(60);
        assert!(limiter.check(client, later).is_ok());
        limiter.record(client, later);
        assert!(limiter.check(client, later).is_ok(), "a new window");
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_prefix() {
        let limiter = FailedAttempts::new(2, Duration::from_secs(60));
        let now = Instant::now();
        limiter.record(address("2001:db8:1:2::1"), now);
        limiter.record(address("2001:db8:1:2:ffff::9"), now);
        assert!(limiter.check(address("2001:db8:1:2::42"), now).is_err());
        assert!(limiter.check(address("2001:db8:1:3::1"), now).is_ok());
        limiter.record(address("::ffff:192.0.2.1"), now);
        limiter.record(address("192.0.2.1"), now);
        assert!(limiter.check(address("192.0.2.1"), now).is_err());
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_addresses() {
        let limiter = FailedAttempts::new(1, Duration::from_secs(60));
        let now = Instant::now();
        for n in 0..(MAX_CLIENTS as u32 + 10) {
            limiter.record(IpAddr::V4(n.into()), now + Duration::from_nanos(n.into()));
        }
        assert!(limiter.clients().len() <= MAX_CLIENTS);
        let newest = IpAddr::V4((MAX_CLIENTS as u32 + 9).into());
        assert!(limiter.check(newest, now).is_err(), "recent ones are kept");
    }
}
