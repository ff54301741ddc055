//! Generic reads and writes for tables whose rows map one-to-one onto
//! domain objects, so each table's module holds only its SQL.

use chrono::{DateTime, Utc};
use federa_domain::event::NewEvent;
use uuid::Uuid;

use crate::db::{on_pool, Db};
use crate::error::{Result, StoreError};
use crate::events::record_event;
use crate::pools::{claim_pool_values, PoolClaim, PoolFamily};
use crate::sql::{bind_args, AnyRow, Arg};
use crate::Store;

/// One statement of a write, with its arguments in `$N` order.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) sql: String,
    pub(crate) args: Vec<Arg>,
    /// Fail with `NotFound` when the statement changes no row.
    pub(crate) must_change: bool,
}

/// Runs one [`Statement`] in the open transaction `tx` of a function that
/// returns the store's `Result`.
macro_rules! run_statement {
    ($tx:expr, $statement:expr) => {{
        let statement = $statement;
        let done = $crate::sql::bind_args!(sqlx::query(&statement.sql), &statement.args)
            .execute(&mut *$tx)
            .await
            .map_err($crate::StoreError::classify)?;
        if statement.must_change && done.rows_affected() == 0 {
            return Err($crate::StoreError::NotFound);
        }
    }};
}
pub(crate) use run_statement;

impl Statement {
    pub(crate) fn new(sql: impl Into<String>, args: Vec<Arg>) -> Statement {
        Statement {
            sql: sql.into(),
            args,
            must_change: false,
        }
    }

    /// The statement targets an existing row; changing none means it is gone.
    pub(crate) fn must_change(mut self) -> Statement {
        self.must_change = true;
        self
    }
}

/// Pool values a write takes for the service or agent it writes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Claims<'a> {
    pub(crate) family: PoolFamily,
    pub(crate) holder_id: Uuid,
    pub(crate) at: DateTime<Utc>,
    pub(crate) claims: &'a [PoolClaim],
}

impl Store {
    /// Runs `statements` and records `events` in one transaction: the change
    /// and its audit trail commit together or not at all.
    pub(crate) async fn apply(
        &self,
        statements: &[Statement],
        events: &[NewEvent],
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.apply_claiming(statements, None, events, now).await
    }

    /// [`Store::apply`], also taking pool values after the statements (which
    /// write their holder); a value taken meanwhile rolls everything back
    /// with [`StoreError::Raced`].
    pub(crate) async fn apply_claiming(
        &self,
        statements: &[Statement],
        claims: Option<Claims<'_>>,
        events: &[NewEvent],
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self.write, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::classify)?;
            for statement in statements {
                run_statement!(tx, statement);
            }
            if let Some(c) = claims {
                claim_pool_values!(tx, c.family, c.claims, c.holder_id, c.at);
            }
            for event in events {
                record_event!(tx, event, now);
            }
            tx.commit().await.map_err(StoreError::classify)?;
        });
        Ok(())
    }
}

/// At most one row of `sql` on the read pool.
pub(crate) async fn fetch_optional<R: AnyRow>(
    db: &Db,
    sql: &str,
    args: &[Arg],
) -> Result<Option<R>> {
    on_pool!(db, pool => bind_args!(sqlx::query_as::<_, R>(sql), args).fetch_optional(pool).await)
        .map_err(StoreError::classify)
}

/// Every row of `sql`.
pub(crate) async fn fetch_all<R: AnyRow>(db: &Db, sql: &str, args: &[Arg]) -> Result<Vec<R>> {
    on_pool!(db, pool => bind_args!(sqlx::query_as::<_, R>(sql), args).fetch_all(pool).await)
        .map_err(StoreError::classify)
}
