//! Reads that every request repeats and that rarely change, kept in memory:
//! a token by its hash, whether a credential's holder is disabled, a service
//! type's schemas, a service group's consumer and project, the agents that
//! may take a service of a type, the quotas set on a consumer and on a
//! group's project.
//!
//! Each is forgotten as the write that changes it commits. The store's one
//! write path ([`crate::write`]) knows from each statement's SQL which
//! tables it writes ([`Families::written_by`]); after a write in which such
//! a statement changed a row it clears the families those tables feed
//! here, and on PostgreSQL the same
//! transaction sends `pg_notify` on [`CHANNEL`] so every other replica
//! clears them when the write commits (see [`crate::job_wakes::relay`]).
//! Between that commit and the notification's arrival another replica may
//! still answer from what it kept: a few milliseconds on a healthy server.
//!
//! A read that misses loads from the database and keeps the answer only if
//! no clearing happened since it began (each cache counts its clearings),
//! so an answer read before a write committed is never kept after it. On
//! PostgreSQL nothing is kept or answered from memory unless this replica
//! is listening for the notifications: before the listener first connects
//! and while it reconnects, every read goes to the database.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use federa_domain::provisioning::AgentCandidate;
use federa_domain::token::Token;
use uuid::Uuid;

use crate::disabled_holder::DisabledHolder;
use crate::service_limits::ServiceLimits;
use crate::type_rules::ServiceTypeRules;

/// The PostgreSQL notification channel of cleared families; the payload is
/// the families' bits in decimal.
pub(crate) const CHANNEL: &str = "federa_read_cache";

/// Entries one cache keeps at most; past that it starts again empty, so
/// many tokens or types cannot grow the process without bound.
const MAX_ENTRIES: usize = 10_000;

/// Sets of cached reads, cleared together by the writes that feed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Families(u8);

impl Families {
    pub const NONE: Families = Families(0);
    /// Tokens and the status of participants and agents.
    pub const CREDENTIALS: Families = Families(1);
    pub const SERVICE_TYPES: Families = Families(2);
    pub const GROUPS: Families = Families(4);
    /// The agents that may take a service of each type, with their status.
    pub const AGENT_CANDIDATES: Families = Families(8);
    /// The quotas and budgets set on consumers and projects.
    pub const LIMITS: Families = Families(16);
    pub const ALL: Families = Families(31);

    pub const fn union(self, other: Families) -> Families {
        Families(self.0 | other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn contains(self, other: Families) -> bool {
        self.0 & other.0 == other.0
    }

    /// The families fed by `table`. Deleting a participant deletes its
    /// groups and agents with it (`ON DELETE CASCADE`), so a write to
    /// `participants` clears everything.
    fn of_table(table: &str) -> Families {
        match table {
            "participants" => Families::ALL,
            "tokens" => Families::CREDENTIALS,
            "agents" => Families::CREDENTIALS.union(Families::AGENT_CANDIDATES),
            "agent_types" | "agent_type_service_types" => Families::AGENT_CANDIDATES,
            "service_types" => Families::SERVICE_TYPES,
            // A group's project decides which project's quotas apply.
            "service_groups" => Families::GROUPS.union(Families::LIMITS),
            "projects" => Families::LIMITS,
            _ => Families::NONE,
        }
    }

    /// The families fed by the tables `sql` inserts into, updates or
    /// deletes from.
    pub(crate) fn written_by(sql: &str) -> Families {
        let words: Vec<String> = sql
            .split(|c: char| c.is_whitespace() || c == '(' || c == ',')
            .filter(|word| !word.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let mut families = Families::NONE;
        for (at, word) in words.iter().enumerate() {
            let table = match word.as_str() {
                "update" => words.get(at + 1),
                "into" | "from"
                    if at > 0 && matches!(words[at - 1].as_str(), "insert" | "delete") =>
                {
                    words.get(at + 1)
                }
                _ => None,
            };
            if let Some(table) = table {
                families = families.union(Families::of_table(table));
            }
        }
        families
    }

    /// The payload of a notification of these families.
    pub(crate) fn payload(self) -> String {
        self.0.to_string()
    }

    /// The families of a notification's payload; every family when it
    /// does not parse, which only costs reads.
    pub(crate) fn from_payload(payload: &str) -> Families {
        payload.parse().map(Families).unwrap_or(Families::ALL)
    }
}

/// One cache: its entries, and how many times it was cleared.
pub(crate) struct Cache<K, V> {
    kept: Mutex<Kept<K, V>>,
}

struct Kept<K, V> {
    clearings: u64,
    entries: HashMap<K, V>,
}

impl<K: Eq + Hash, V: Clone> Cache<K, V> {
    fn new() -> Self {
        Cache {
            kept: Mutex::new(Kept {
                clearings: 0,
                entries: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept<K, V>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The kept answer, or how many clearings there were before loading it.
    fn get(&self, key: &K) -> Result<V, u64> {
        let kept = self.lock();
        kept.entries.get(key).cloned().ok_or(kept.clearings)
    }

    /// Keeps `value` unless the cache was cleared since `clearings`.
    fn put(&self, clearings: u64, key: K, value: V) {
        let mut kept = self.lock();
        if kept.clearings != clearings {
            return;
        }
        if kept.entries.len() >= MAX_ENTRIES {
            kept.entries.clear();
        }
        kept.entries.insert(key, value);
    }

    fn clear(&self) {
        let mut kept = self.lock();
        kept.clearings += 1;
        kept.entries.clear();
    }
}

/// A service group's consumer and, if it has one, project.
pub(crate) type GroupOwner = (Uuid, Option<Uuid>);

/// The store's caches of rarely changing reads.
pub struct ReadCaches {
    /// Whether answers may be kept and given: always on SQLite, whose one
    /// server process makes every write; on PostgreSQL only while this
    /// replica listens for other replicas' clearings.
    trusted: AtomicBool,
    pub(crate) tokens: Cache<String, Option<Token>>,
    pub(crate) disabled_holders: Cache<(Option<Uuid>, Option<Uuid>), Option<DisabledHolder>>,
    pub(crate) service_types: Cache<Uuid, Option<Arc<ServiceTypeRules>>>,
    pub(crate) groups: Cache<Uuid, Option<Arc<GroupOwner>>>,
    /// By service type and the agent an order names, if any.
    pub(crate) agent_candidates: Cache<(Uuid, Option<Uuid>), Vec<AgentCandidate>>,
    /// By consumer and service group.
    pub(crate) limits: Cache<(Uuid, Uuid), ServiceLimits>,
}

impl ReadCaches {
    pub(crate) fn new(trusted: bool) -> ReadCaches {
        ReadCaches {
            trusted: AtomicBool::new(trusted),
            tokens: Cache::new(),
            disabled_holders: Cache::new(),
            service_types: Cache::new(),
            groups: Cache::new(),
            agent_candidates: Cache::new(),
            limits: Cache::new(),
        }
    }

    /// Forgets every kept answer of `families`.
    pub fn clear(&self, families: Families) {
        if families.contains(Families::CREDENTIALS) {
            self.tokens.clear();
            self.disabled_holders.clear();
        }
        if families.contains(Families::SERVICE_TYPES) {
            self.service_types.clear();
        }
        if families.contains(Families::GROUPS) {
            self.groups.clear();
        }
        if families.contains(Families::AGENT_CANDIDATES) {
            self.agent_candidates.clear();
        }
        if families.contains(Families::LIMITS) {
            self.limits.clear();
        }
    }

    /// Whether this replica hears other replicas' clearings: while it does
    /// not, nothing is kept or answered from memory. Either way everything
    /// kept so far is forgotten, since clearings may have been missed.
    pub fn set_listening(&self, listening: bool) {
        self.trusted.store(false, Ordering::SeqCst);
        self.clear(Families::ALL);
        self.trusted.store(listening, Ordering::SeqCst);
    }

    /// Whether answers are kept and given from memory now.
    pub fn in_use(&self) -> bool {
        self.trusted.load(Ordering::SeqCst)
    }
}

/// The answer for `key` from `cache`, else from `load`, kept when `keep`
/// says it may be (a token that is not found is not kept: guesses must not
/// fill memory).
pub(crate) async fn read_through<K, V, E, F>(
    caches: &ReadCaches,
    cache: &Cache<K, V>,
    key: K,
    keep: impl Fn(&V) -> bool,
    load: F,
) -> Result<V, E>
where
    K: Eq + Hash,
    V: Clone,
    F: std::future::Future<Output = Result<V, E>>,
{
    if !caches.in_use() {
        return load.await;
    }
    let clearings = match cache.get(&key) {
        Ok(kept) => return Ok(kept),
        Err(clearings) => clearings,
    };
    let value = load.await?;
    // Trusted still: a listener lost meanwhile has cleared, so `put` refuses.
    if keep(&value) {
        cache.put(clearings, key, value.clone());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_a_statement_writes_name_its_families() {
        let written = Families::written_by;
        assert_eq!(
            written("DELETE FROM tokens WHERE id = $1"),
            Families::CREDENTIALS
        );
        assert_eq!(
            written("UPDATE agents SET status = $2 WHERE id = $1"),
            Families::CREDENTIALS.union(Families::AGENT_CANDIDATES)
        );
        assert_eq!(
            written("DELETE FROM agent_type_service_types WHERE agent_type_id = $1"),
            Families::AGENT_CANDIDATES
        );
        assert_eq!(
            written("INSERT INTO service_types(id, name) VALUES ($1, $2)"),
            Families::SERVICE_TYPES
        );
        assert_eq!(
            written("update participants set status = 'Disabled'"),
            Families::ALL
        );
        assert_eq!(
            written("INSERT INTO service_groups (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET name = excluded.name"),
            Families::GROUPS.union(Families::LIMITS)
        );
        assert_eq!(
            written("UPDATE projects SET service_limit = $2 WHERE id = $1"),
            Families::LIMITS
        );
        // Reading a cached table is no write of it.
        assert_eq!(
            written("INSERT INTO services (id, group_id) SELECT $1, id FROM service_groups WHERE id = $2"),
            Families::NONE
        );
        assert_eq!(
            written(
                "UPDATE jobs SET status = 'Processing' WHERE agent_id IN (SELECT id FROM agents)"
            ),
            Families::NONE
        );
    }

    #[test]
    fn an_answer_loaded_before_a_clearing_is_not_kept() {
        let cache: Cache<u8, &str> = Cache::new();
        let before = cache.get(&1).unwrap_err();
        cache.clear();
        cache.put(before, 1, "stale");
        assert!(cache.get(&1).is_err());
        let now = cache.get(&1).unwrap_err();
        cache.put(now, 1, "fresh");
        assert_eq!(cache.get(&1), Ok("fresh"));
    }

    #[test]
    fn a_payload_names_its_families_and_garbage_clears_all() {
        let families = Families::CREDENTIALS.union(Families::GROUPS);
        assert_eq!(Families::from_payload(&families.payload()), families);
        assert_eq!(Families::from_payload("nonsense"), Families::ALL);
    }
}
