use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::{Result, StoreError};

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of `$db`. The body is
/// compiled once per backend, so one query text serves both.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match &$db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

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
}

const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

impl Store {
    /// Opens the database at `url` (`sqlite:PATH` or `postgres://…`), creating
    /// a SQLite file and its directory when missing, and applies migrations.
    pub async fn open(url: &str) -> Result<Store> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_postgres(url).await?
        } else if url.starts_with("sqlite:") {
            Self::open_sqlite(url).await?
        } else {
            return Err(StoreError::Unavailable(
                "database URL must start with sqlite: or postgres://".into(),
            ));
        };
        store.migrate().await?;
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
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Store {
            read: Db::Sqlite(read),
            write: Db::Sqlite(write),
            backend: Backend::Sqlite,
        })
    }

    async fn open_postgres(url: &str) -> Result<Store> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await?;
        Ok(Store {
            read: Db::Postgres(pool.clone()),
            write: Db::Postgres(pool),
            backend: Backend::Postgres,
        })
    }

    async fn migrate(&self) -> Result<()> {
        match &self.write {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Succeeds when the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self.read, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
            .map(|_| ())
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    pub async fn close(&self) {
        on_pool!(self.read, pool => pool.close().await);
        on_pool!(self.write, pool => pool.close().await);
    }
}
