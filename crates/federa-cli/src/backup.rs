//! `federa backup`: a consistent copy of an embedded SQLite database, taken
//! while the exchange runs, with the vault key that opens its secrets.
//! PostgreSQL is backed up with its own tools; the command says how.

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;

/// What to do for PostgreSQL instead.
const POSTGRES_GUIDANCE: &str = "a PostgreSQL database is backed up with PostgreSQL's tools: \
    `pg_dump --format=custom --file=federa.dump \"$DATABASE_URL\"` while the exchange runs, \
    restored with `pg_restore --dbname=NEW_DATABASE_URL federa.dump` into an empty database; \
    keep the vault key (FEDERA_VAULT_KEY or --vault-key-file) with the dump, as secrets cannot be read without it";

pub async fn run(database_url: &str, to: &Path) -> anyhow::Result<()> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        anyhow::bail!("{POSTGRES_GUIDANCE}");
    }
    let source = sqlx::sqlite::SqliteConnectOptions::from_str(database_url)
        .with_context(|| format!("{database_url} is not a sqlite: URL"))?
        .get_filename()
        .to_path_buf();
    if !source.exists() {
        anyhow::bail!("there is no database at {}", source.display());
    }
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let target = to.join("federa.db");
    if target.exists() {
        anyhow::bail!(
            "{} exists; back up into an empty directory",
            target.display()
        );
    }
    let store = federa_store::Store::open(database_url).await?;
    let copied = store.backup_sqlite(&target).await;
    store.close().await;
    copied?;
    let key = source
        .parent()
        .unwrap_or(Path::new(""))
        .join(federa_server::vault::KEY_FILE_NAME);
    if key.exists() {
        let copy = to.join(federa_server::vault::KEY_FILE_NAME);
        std::fs::copy(&key, &copy).with_context(|| format!("cannot copy {}", key.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    println!(
        "Backed up {} to {}{}",
        source.display(),
        target.display(),
        if key.exists() {
            ", with its vault key"
        } else {
            ""
        }
    );
    println!("To restore: stop the exchange and put both files back in the database's directory.");
    Ok(())
}
