//! The database a backend runs on, for the probes and fills that go to it
//! directly rather than through the server.

use std::time::Duration;

/// Where a backend's data lives, for the probes and fills that go to the
/// database directly rather than through the server.
pub enum Database {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Database {
    pub fn url(&self) -> String {
        match self {
            Database::Sqlite(path) => format!("sqlite://{}", path.display()),
            Database::Postgres(url) => url.clone(),
        }
    }

    /// Another, empty database on the same disk or server, for a server
    /// whose rows must not meet this one's.
    pub async fn beside(&self, name: &str) -> anyhow::Result<Database> {
        Ok(match self {
            Database::Sqlite(path) => Database::Sqlite(path.with_file_name(format!("{name}.db"))),
            Database::Postgres(url) => Database::Postgres(fresh_postgres_database(url).await?),
        })
    }

    /// A connection beside the server's own: same pragmas as the server on
    /// SQLite, so probes there pay what the server pays.
    pub async fn connect(&self) -> anyhow::Result<Direct> {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
        use sqlx::{ConnectOptions, Connection};
        Ok(match self {
            Database::Sqlite(path) => Direct::Sqlite(
                SqliteConnectOptions::new()
                    .filename(path)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(30))
                    .connect()
                    .await?,
            ),
            Database::Postgres(url) => Direct::Postgres(sqlx::PgConnection::connect(url).await?),
        })
    }
}

pub enum Direct {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

/// A new, empty database on the server of `url`.
pub async fn fresh_postgres_database(url: &str) -> anyhow::Result<String> {
    use sqlx::Connection;
    let name = format!("federa_bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let root = base.rsplit_once('/').map(|(root, _)| root).unwrap_or(base);
    Ok(format!("{root}/{name}{query}"))
}
