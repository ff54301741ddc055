//! One server per SQLite database file. Two processes writing one file
//! would each keep their own job dispatch, lease sweeps and caches, so a
//! second `serve` on the same file is refused while the first still runs,
//! including while it is stopping. PostgreSQL takes replicas and needs no
//! lock.

use std::path::PathBuf;

use anyhow::Context;
use federa_store::DataLocation;

/// Held for as long as the server runs; the lock ends with the process, so
/// a crashed server never leaves its database locked.
pub struct DatabaseLock {
    _file: Option<std::fs::File>,
}

/// The lock file of the SQLite database `database_url` names; `None` for
/// PostgreSQL and in-memory databases.
fn lock_path(database_url: &str) -> Option<PathBuf> {
    let DataLocation::File(database) = DataLocation::of(database_url).ok()? else {
        return None;
    };
    let mut name = database.as_os_str().to_os_string();
    name.push(".lock");
    Some(PathBuf::from(name))
}

/// Takes the database's lock, or explains which database is in use.
pub fn acquire(database_url: &str) -> anyhow::Result<DatabaseLock> {
    let Some(path) = lock_path(database_url) else {
        return Ok(DatabaseLock { _file: None });
    };
    if let Some(directory) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(directory)
            .with_context(|| format!("cannot create {}", directory.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    if !try_lock(&file) {
        anyhow::bail!(
            "another federa server is using the database {database_url} (it holds {}); \
             stop it first, or give this one another --database-url",
            path.display()
        );
    }
    Ok(DatabaseLock { _file: Some(file) })
}

#[cfg(unix)]
fn try_lock(file: &std::fs::File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor this function's caller owns and keeps open.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[cfg(not(unix))]
fn try_lock(_file: &std::fs::File) -> bool {
    true
}
