//! Connections leave the pool untested: a test is a round trip on every
//! acquire, paid by every statement for the rare connection the server
//! has dropped. Such a connection (the server restarted, or an
//! administrator ended its session) instead fails its next statement.
//! The store then counts every connection opened before that moment as
//! suspect, and the pool discards each as it is next taken, without a
//! round trip; and it runs a read, or a write that had not yet sent its
//! commit, once more on a connection opened since. A write whose commit
//! was cut off is not run again: it may have committed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// When a connection of one pool was last found broken.
#[derive(Debug)]
pub(crate) struct Staleness {
    /// The reference the mark is measured from.
    origin: Instant,
    /// Nanoseconds from `origin` to the last time a connection was found
    /// broken; 0 while none has been.
    broken_at: AtomicU64,
}

impl Staleness {
    pub(crate) fn new() -> Staleness {
        Staleness {
            origin: Instant::now(),
            broken_at: AtomicU64::new(0),
        }
    }

    /// Every connection opened until now is suspect.
    pub(crate) fn mark_broken(&self) {
        let since_origin = self.origin.elapsed().as_nanos().max(1);
        let since_origin = u64::try_from(since_origin).unwrap_or(u64::MAX);
        self.broken_at.fetch_max(since_origin, Ordering::Relaxed);
    }

    /// Whether a connection opened `age` ago predates the last broken one.
    pub(crate) fn is_suspect(&self, age: Duration) -> bool {
        let broken_at = self.broken_at.load(Ordering::Relaxed);
        if broken_at == 0 {
            return false;
        }
        let opened_at = self.origin.elapsed().saturating_sub(age);
        opened_at <= Duration::from_nanos(broken_at)
    }
}

/// Whether `error` says the connection itself is gone (the socket closed,
/// or the server ended the session as it shut down), rather than that the
/// statement was refused: only then may a fresh connection do better.
pub(crate) fn is_broken_connection(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) => true,
        // Class 08 (connection exception), 57P01 (admin_shutdown), 57P02
        // (crash_shutdown). Not 57014: a statement cancelled by its
        // timeout would only time out again.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code == "57P01" || code == "57P02"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_connections_opened_before_the_mark_are_suspect() {
        let staleness = Staleness::new();
        std::thread::sleep(Duration::from_millis(5));
        assert!(
            !staleness.is_suspect(Duration::from_millis(4)),
            "nothing is suspect before a connection is found broken"
        );
        staleness.mark_broken();
        std::thread::sleep(Duration::from_millis(5));
        assert!(staleness.is_suspect(Duration::from_millis(8)));
        assert!(!staleness.is_suspect(Duration::from_millis(1)));
    }

    #[test]
    fn a_closed_socket_is_broken_but_a_refused_statement_is_not() {
        let closed = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
        assert!(is_broken_connection(&closed));
        assert!(!is_broken_connection(&sqlx::Error::RowNotFound));
        assert!(!is_broken_connection(&sqlx::Error::PoolTimedOut));
    }
}
