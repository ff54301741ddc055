use federa_domain::commerce::{Quota, QuotaUsage};
use federa_domain::listing::FieldError;

/// Storage failures, split by what the caller can do about them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A request the database could not read as it was given (a made-up
    /// cursor): each failing field and its rule.
    #[error("invalid: {0:?}")]
    Invalid(Vec<FieldError>),
    /// A uniqueness or reference rule of the schema refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database could not be reached or answered with an error.
    /// A conditional write found its row taken by a concurrent writer;
    /// reading again and retrying may succeed.
    #[error("lost a race: {0}")]
    Raced(String),
    /// A write's check found a quota would be passed: which one.
    #[error("the quota {} is reached", .0.name())]
    QuotaReached(Quota),
    /// An order found a service quota reached: its limit and count.
    #[error("{0}")]
    QuotaExceeded(QuotaUsage),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// The message of a [`StoreError::Conflict`] a uniqueness rule caused.
pub const UNIQUE_CONFLICT: &str = "an object with the same unique value exists";

impl StoreError {
    /// Maps constraint violations to [`StoreError::Conflict`] and lost
    /// connections to [`StoreError::Unavailable`]; other errors stay as they are.
    pub fn classify(error: sqlx::Error) -> StoreError {
        match &error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => {
                if db.is_unique_violation() {
                    StoreError::Conflict(UNIQUE_CONFLICT.into())
                } else if db.is_foreign_key_violation()
                    // SQLite reports an `ON DELETE RESTRICT` refusal with a
                    // trigger code, not the foreign-key one.
                    || db.message().contains("FOREIGN KEY constraint failed")
                {
                    StoreError::Conflict(
                        "the object is referenced by, or refers to, another object".into(),
                    )
                } else if db.code().is_some_and(|code| is_outage(&code)) {
                    StoreError::Unavailable(error.to_string())
                } else {
                    StoreError::Database(error)
                }
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                StoreError::Unavailable(error.to_string())
            }
            _ => StoreError::Database(error),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// SQLSTATEs of a server going away or giving up waiting rather than of a
/// bad statement: classes 08 (connection exception) and 57 (operator
/// intervention: shutdown, crash, a statement cancelled by
/// `statement_timeout`), 55P03 (a lock not granted within `lock_timeout`)
/// and 25P03 (a session ended by `idle_in_transaction_session_timeout`).
/// The transaction is rolled back in each case, so nothing is half-done.
fn is_outage(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("57") || code == "55P03" || code == "25P03"
}
