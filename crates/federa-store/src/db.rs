use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::broken_connections::{is_broken_connection, Staleness};
use crate::error::{Result, StoreError};
use crate::read_cache::ReadCaches;

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    /// With when one of its connections was last found broken.
    Postgres(PgPool, Arc<Staleness>),
}

impl Db {
    /// Whether `error` broke a connection of a pool whose statements may
    /// run again on a fresh one; if so, the connections opened so far are
    /// no longer taken. SQLite's connections are files of this process
    /// and never go stale.
    pub(crate) fn found_broken(&self, error: &sqlx::Error) -> bool {
        match self {
            Db::Sqlite(_) => false,
            Db::Postgres(_, staleness) => {
                let broken = is_broken_connection(error);
                if broken {
                    staleness.mark_broken();
                }
                broken
            }
        }
    }
}

/// Runs `$body` with `$pool` bound to the concrete pool of `$db`. The body is
/// compiled once per backend, so one query text serves both.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match &$db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool, _) => $body,
        }
    };
}
pub(crate) use on_pool;

/// [`on_pool!`] for a body that answers a `sqlx` result and may run twice
/// (a read): when its connection turns out broken, it runs once more on a
/// fresh one (see [`crate::broken_connections`]).
macro_rules! on_pool_again_if_broken {
    ($db:expr, $pool:ident => $body:expr) => {{
        let db: &$crate::db::Db = &$db;
        let mut first = true;
        loop {
            match $crate::db::on_pool!(db, $pool => $body) {
                Err(error) if first && db.found_broken(&error) => first = false,
                result => break result,
            }
        }
    }};
}
pub(crate) use on_pool_again_if_broken;

/// The storage handle shared by every request.
///
/// SQLite allows one writer at a time; funnelling writes through a
/// single-connection pool turns would-be `SQLITE_BUSY` failures into a short
/// queue, while reads run in parallel on their own pool. PostgreSQL uses one
/// pool for both.
#[derive(Clone)]
pub struct Store {
    pub(crate) read: Db,
    pub(crate) write: Db,
    backend: Backend,
    pub(crate) caches: Arc<ReadCaches>,
}

const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long PostgreSQL lets one of Federa's sessions wait or stall before
/// it ends the work, so a stalled replica or a slow statement cannot hold
/// every other writer: each is set on every connection of the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatabaseTimeouts {
    /// The longest one statement may run (`statement_timeout`).
    pub statement: Duration,
    /// The longest a statement waits for a row or table lock another
    /// session holds (`lock_timeout`).
    pub lock: Duration,
    /// The longest a session may sit inside an open transaction without
    /// sending anything (`idle_in_transaction_session_timeout`): a replica
    /// paused mid-transaction loses its session and its locks after this.
    pub idle_in_transaction: Duration,
}

impl Default for DatabaseTimeouts {
    fn default() -> Self {
        DatabaseTimeouts {
            statement: Duration::from_secs(10),
            lock: Duration::from_secs(3),
            idle_in_transaction: Duration::from_secs(5),
        }
    }
}

impl DatabaseTimeouts {
    /// The longest one request's database work may take before Federa
    /// gives up on its side too: a frozen server, unlike a busy one,
    /// cannot enforce its own timeouts.
    pub fn request_bound(&self) -> Duration {
        self.statement + self.lock.max(self.idle_in_transaction)
    }
}

impl Store {
    /// The caches of rarely changing reads, for the listener that clears
    /// them on other replicas' writes ([`crate::job_wakes::relay`]).
    pub fn read_caches(&self) -> Arc<ReadCaches> {
        self.caches.clone()
    }

    /// Opens the database at `url` (`sqlite:PATH` or `postgres://…`), creating
    /// a SQLite file and its directory when missing, and applies migrations.
    pub async fn open(url: &str) -> Result<Store> {
        Self::open_with(url, DatabaseTimeouts::default()).await
    }

    /// [`Store::open`] with the given PostgreSQL timeouts (SQLite, one
    /// process with one writer, has no peer to wait for).
    pub async fn open_with(url: &str, timeouts: DatabaseTimeouts) -> Result<Store> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_postgres(url, timeouts).await?
        } else if url.starts_with("sqlite:") {
            Self::open_sqlite(url).await?
        } else {
            return Err(StoreError::Unavailable(
                "database URL must start with sqlite: or postgres://".into(),
            ));
        };
        store.migrate(url).await?;
        Ok(store)
    }

    async fn open_sqlite(url: &str) -> Result<Store> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode never corrupts and keeps every commit across
            // a process crash; only an OS crash may lose the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        if let Some(dir) = Path::new(options.get_filename()).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        // Connections are not tested as they leave the pool: see
        // `broken_connections`.
        let write = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        let read = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(8)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Store {
            read: Db::Sqlite(read),
            write: Db::Sqlite(write),
            backend: Backend::Sqlite,
            // One server process makes every write to the file.
            caches: Arc::new(ReadCaches::new(true)),
        })
    }

    async fn open_postgres(url: &str, timeouts: DatabaseTimeouts) -> Result<Store> {
        let millis = |d: Duration| d.as_millis().max(1).to_string();
        let options = PgConnectOptions::from_str(url)?.options([
            ("statement_timeout", millis(timeouts.statement)),
            ("lock_timeout", millis(timeouts.lock)),
            (
                "idle_in_transaction_session_timeout",
                millis(timeouts.idle_in_transaction),
            ),
        ]);
        let staleness = Arc::new(Staleness::new());
        let judge = staleness.clone();
        // Instead of a round trip testing each connection as it is taken,
        // one opened before a connection was last found broken is dropped
        // unasked: see `broken_connections`.
        let pool = PgPoolOptions::new()
            .test_before_acquire(false)
            .before_acquire(move |_, connection| {
                let fresh = !judge.is_suspect(connection.age);
                Box::pin(async move { Ok(fresh) })
            })
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        Ok(Store {
            read: Db::Postgres(pool.clone(), staleness.clone()),
            write: Db::Postgres(pool, staleness),
            backend: Backend::Postgres,
            // Trusted once this replica listens for the others' writes.
            caches: Arc::new(ReadCaches::new(false)),
        })
    }

    /// Applies pending migrations. On PostgreSQL they run on a connection
    /// of their own without the pool's timeouts: a migration may rewrite a
    /// large table, and replicas starting together wait on each other's.
    async fn migrate(&self, url: &str) -> Result<()> {
        match &self.write {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Db::Postgres(..) => {
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(PgConnectOptions::from_str(url)?)
                    .await?;
                let migrated = sqlx::migrate!("./migrations/postgres").run(&pool).await;
                pool.close().await;
                migrated?;
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Succeeds when the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        on_pool_again_if_broken!(self.read, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
            .map(|_| ())
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    /// Writes a consistent copy of an embedded SQLite database to `target`
    /// (which must not exist) while it stays in use: `VACUUM INTO` reads one
    /// snapshot, so writes meanwhile are either wholly in it or not at all.
    pub async fn backup_sqlite(&self, target: &std::path::Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Conflict(
                "only an embedded SQLite database is copied this way".into(),
            ));
        }
        let target = target.display().to_string();
        on_pool!(self.write, pool => sqlx::query("VACUUM INTO $1").bind(&target).execute(pool).await.map(|_| ()))
            .map_err(StoreError::classify)
    }

    pub async fn close(&self) {
        on_pool!(self.read, pool => pool.close().await);
        on_pool!(self.write, pool => pool.close().await);
    }
}
