//! Where a database URL's data lives on this machine, for what sits beside
//! it (the vault key, the single-server lock). Parsed with the driver's own
//! URL rules, so a path means the same file the store opens.

use std::path::PathBuf;
use std::str::FromStr;

/// Where a database URL keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataLocation {
    /// A PostgreSQL server: nothing on this machine.
    Server,
    /// An in-memory SQLite database: gone with the process.
    Memory,
    /// A SQLite database file.
    File(PathBuf),
}

impl DataLocation {
    /// The location of `database_url`, or why it cannot be read.
    pub fn of(database_url: &str) -> Result<DataLocation, String> {
        if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
            return Ok(DataLocation::Server);
        }
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(database_url)
            .map_err(|error| error.to_string())?;
        let file = options.get_filename();
        // sqlx names each in-memory database `file:sqlx-in-memory-N`.
        let in_memory = file
            .to_str()
            .is_some_and(|name| name.starts_with("file:sqlx-in-memory-"));
        if in_memory || file.as_os_str().is_empty() || file.as_os_str() == ":memory:" {
            return Ok(DataLocation::Memory);
        }
        Ok(DataLocation::File(file.to_path_buf()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_url_has_its_location() {
        assert_eq!(
            DataLocation::of("postgres://federa@127.0.0.1/db"),
            Ok(DataLocation::Server)
        );
        assert_eq!(
            DataLocation::of("sqlite::memory:"),
            Ok(DataLocation::Memory)
        );
        assert_eq!(
            DataLocation::of("sqlite://data/federa.db?mode=rwc"),
            Ok(DataLocation::File(PathBuf::from("data/federa.db")))
        );
        assert!(DataLocation::of("sqlite://x.db?mode=nonsense").is_err());
    }
}
