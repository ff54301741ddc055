//! A database that exists for one test: a fresh SQLite file, or a fresh
//! PostgreSQL database when `FEDERA_TEST_POSTGRES_URL` names a server. The
//! store's own suite and the test kit choose the backend this one way.

use sqlx::Connection;

/// The environment variable naming a PostgreSQL server for the tests. Each
/// test creates its own database on it.
pub const POSTGRES_ENV: &str = "FEDERA_TEST_POSTGRES_URL";

/// `postgres` when the suite runs against PostgreSQL, else `sqlite`.
pub fn backend_name() -> &'static str {
    if std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    }
}

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: String,
    // Keeps the SQLite file's directory alive until the test ends.
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        match std::env::var(POSTGRES_ENV) {
            Ok(server) if !server.is_empty() => {
                let name = format!("federa_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::PgConnection::connect(&server)
                    .await
                    .expect("connect to the test PostgreSQL server");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .expect("create a test database");
                let _ = admin.close().await;
                TestDatabase {
                    url: replace_database(&server, &name),
                    _dir: None,
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("federa.db").display());
                TestDatabase {
                    url,
                    _dir: Some(dir),
                }
            }
        }
    }

    /// Runs `sql`, statements without parameters, straight on the
    /// database, as a test does to set up rows the API would never write.
    pub async fn execute(&self, sql: &str) {
        if self.url.starts_with("postgres") {
            execute_on::<sqlx::PgConnection>(&self.url, sql).await;
        } else {
            execute_on::<sqlx::SqliteConnection>(&self.url, sql).await;
        }
    }
}

async fn execute_on<C>(url: &str, sql: &str)
where
    C: Connection,
    for<'c> &'c mut C: sqlx::Executor<'c, Database = C::Database>,
{
    let mut db = C::connect(url).await.expect("connect");
    let done = sqlx::raw_sql(sql).execute(&mut db).await;
    let _ = db.close().await;
    done.expect("the statements run");
}

/// `postgres://u@h:p/db?x` with `db` replaced by `name`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j));
    match authority_end {
        Some(slash) => format!("{}/{name}{query}", &base[..slash]),
        None => format!("{base}/{name}{query}"),
    }
}
