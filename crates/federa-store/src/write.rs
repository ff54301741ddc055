//! The store's one write path: every change and the events describing it
//! are written by [`Store::apply`] (or its conditional forms) in one
//! transaction, so a change never commits without its audit trail. Also
//! the generic reads for tables whose rows map one-to-one onto domain
//! objects, so each table's module holds only its SQL.

use chrono::{DateTime, Duration, Utc};
use federa_domain::commerce::Quota;
use federa_domain::event::NewEvent;

use crate::broken_connections::is_broken_connection;
use crate::db::{on_pool, on_pool_again_if_broken, Backend, Db};
use crate::error::{Result, StoreError};
use crate::events::record_events;
use crate::read_cache::{Families, CHANNEL};
use crate::sql::{bind_args, AnyRow, Arg};
use crate::Store;

/// One statement of a write, with its arguments in `$N` order and what it
/// means when it changes no row or breaks a uniqueness rule.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) sql: String,
    pub(crate) args: Vec<Arg>,
    if_unchanged: IfUnchanged,
    /// The meaning of a uniqueness or reference refusal, instead of the
    /// generic conflict.
    if_conflict: Option<Refusal>,
    /// What it means when the statement changes a row: a check that
    /// refuses the write by finding its row.
    if_changed: Option<Refusal>,
    /// Runs after the write's events are numbered rather than before.
    after_events: bool,
    /// Its rows are the write's answer (see [`Store::apply_returning`] and
    /// [`Store::apply_for_each_row`]).
    returning: bool,
    /// Runs on PostgreSQL only (notifications to other replicas).
    postgres_only: bool,
    stamp: Option<Stamp>,
    /// The cached reads its tables feed, cleared once a write in which it
    /// changed a row is done.
    clears: Families,
}

/// Times read from a clock when a statement runs, appended to its
/// arguments: for stamping the moment every lock of the write is held.
#[derive(Debug, Clone)]
struct Stamp {
    clock: fn() -> DateTime<Utc>,
    /// One argument per offset: the reading plus the offset.
    offsets: Vec<Duration>,
}

/// What a statement that changes no row does to its write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IfUnchanged {
    /// Nothing: the statement had nothing to do.
    Continue,
    /// The row it targets is gone: the write fails with `NotFound`.
    NotFound,
    /// Its row is no longer as the caller read it: nothing is written and
    /// the conditional forms of `apply` answer so.
    Abandon,
    /// The write fails with `Raced`, saying this.
    Raced(&'static str),
}

/// An error a statement's refusal becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    Conflict(&'static str),
    Raced(&'static str),
    QuotaReached(Quota),
}

impl Refusal {
    fn error(self) -> StoreError {
        match self {
            Refusal::Conflict(message) => StoreError::Conflict(message.into()),
            Refusal::Raced(message) => StoreError::Raced(message.into()),
            Refusal::QuotaReached(quota) => StoreError::QuotaReached(quota),
        }
    }
}

impl Statement {
    pub(crate) fn new(sql: impl Into<String>, args: Vec<Arg>) -> Statement {
        let sql = sql.into();
        Statement {
            clears: Families::written_by(&sql),
            sql,
            args,
            if_unchanged: IfUnchanged::Continue,
            if_conflict: None,
            if_changed: None,
            after_events: false,
            returning: false,
            postgres_only: false,
            stamp: None,
        }
    }

    /// The statement targets an existing row; changing none means it is gone.
    pub(crate) fn must_change(self) -> Statement {
        self.if_unchanged(IfUnchanged::NotFound)
    }

    /// The statement is the write's condition: when it changes no row,
    /// nothing is written.
    pub(crate) fn guard(self) -> Statement {
        self.if_unchanged(IfUnchanged::Abandon)
    }

    pub(crate) fn if_unchanged(mut self, meaning: IfUnchanged) -> Statement {
        self.if_unchanged = meaning;
        self
    }

    /// A uniqueness or reference refusal of this statement means `refusal`.
    pub(crate) fn if_conflict(mut self, refusal: Refusal) -> Statement {
        self.if_conflict = Some(refusal);
        self
    }

    /// Changing a row means `refusal`: nothing is written.
    pub(crate) fn refuse_if_changed(mut self, refusal: Refusal) -> Statement {
        self.if_changed = Some(refusal);
        self
    }

    pub(crate) fn after_events(mut self) -> Statement {
        self.after_events = true;
        self
    }

    pub(crate) fn returning(mut self) -> Statement {
        self.returning = true;
        self
    }

    /// The statement changes nothing any cached read holds (a timestamp
    /// no cache keeps), so it clears none.
    pub(crate) fn keeps_caches(mut self) -> Statement {
        self.clears = Families::NONE;
        self
    }

    pub(crate) fn postgres_only(mut self) -> Statement {
        self.postgres_only = true;
        self
    }

    /// Appends one reading of `clock`, taken as the statement runs, plus
    /// each of `offsets`, to the arguments.
    pub(crate) fn stamped(
        mut self,
        clock: fn() -> DateTime<Utc>,
        offsets: Vec<Duration>,
    ) -> Statement {
        self.stamp = Some(Stamp { clock, offsets });
        self
    }

    fn failure(&self, error: sqlx::Error) -> Failure {
        match (Failure::before_commit(error), self.if_conflict.clone()) {
            (Failure::Refused(StoreError::Conflict(_)), Some(refusal)) => {
                Failure::Refused(refusal.error())
            }
            (other, _) => other,
        }
    }

    /// The arguments to bind now, with the clock read if it has one.
    fn bound_args(&self) -> std::borrow::Cow<'_, [Arg]> {
        match &self.stamp {
            None => std::borrow::Cow::Borrowed(&self.args),
            Some(stamp) => {
                let reading = (stamp.clock)();
                let mut args = self.args.clone();
                args.extend(
                    stamp
                        .offsets
                        .iter()
                        .map(|offset| Arg::Time(reading + *offset)),
                );
                std::borrow::Cow::Owned(args)
            }
        }
    }
}

/// The step of a write that decides what happens when nothing changed.
enum Step<'a> {
    Run(&'a Statement),
    /// All of the write's events, recorded together.
    Record(&'a [NewEvent]),
}

/// A write's statements in order, with its events numbered between those
/// that run before them and those that run after.
fn steps<'a>(statements: &'a [Statement], events: &'a [NewEvent]) -> Vec<Step<'a>> {
    let before = statements.iter().filter(|s| !s.after_events);
    let after = statements.iter().filter(|s| s.after_events);
    before
        .map(Step::Run)
        .chain(std::iter::once(Step::Record(events)))
        .chain(after.map(Step::Run))
        .collect()
}

/// Makes the event that records one row a write returned.
pub(crate) type RowEvent<'a, R> = &'a (dyn Fn(&R) -> NewEvent + Sync);

/// Stands for "no row" when a write returns none.
#[derive(sqlx::FromRow)]
struct NoRow {}

impl Store {
    /// Runs `statements` and records `events` in one transaction: the change
    /// and its audit trail commit together or not at all.
    pub(crate) async fn apply(
        &self,
        statements: &[Statement],
        events: &[NewEvent],
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.apply_if(statements, events, now).await.map(|_| ())
    }

    /// [`Store::apply`] for a write with a [`Statement::guard`]: `false`,
    /// with nothing written, when the guard changed no row.
    pub(crate) async fn apply_if(
        &self,
        statements: &[Statement],
        events: &[NewEvent],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let written = self.write::<NoRow>(statements, events, None, now).await?;
        Ok(written.is_some())
    }

    /// [`Store::apply_if`] answering with the first row of the statement
    /// marked [`Statement::returning`]; `None` when nothing was written.
    pub(crate) async fn apply_returning<R: AnyRow>(
        &self,
        statements: &[Statement],
        events: &[NewEvent],
        now: DateTime<Utc>,
    ) -> Result<Option<R>> {
        let written = self.write(statements, events, None, now).await?;
        Ok(written.and_then(|rows| rows.into_iter().next()))
    }

    /// Runs `statements` in one transaction, recording, right after the
    /// statement marked [`Statement::returning`], the event `row_event`
    /// makes of each row it answers; those rows (none when a guard stopped
    /// the write). For a write whose rows are chosen as it runs, such as a
    /// claim of whichever jobs are next.
    pub(crate) async fn apply_for_each_row<R: AnyRow>(
        &self,
        statements: &[Statement],
        row_event: RowEvent<'_, R>,
        now: DateTime<Utc>,
    ) -> Result<Vec<R>> {
        let written = self.write(statements, &[], Some(row_event), now).await?;
        Ok(written.unwrap_or_default())
    }

    /// The one transaction every write runs in: `None` when a guard
    /// stopped it, else the rows of the statement that returns some. A
    /// transaction whose connection broke before it sent its commit runs
    /// once more on a fresh one (see [`crate::broken_connections`]).
    async fn write<R: AnyRow>(
        &self,
        statements: &[Statement],
        events: &[NewEvent],
        row_event: Option<RowEvent<'_, R>>,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<R>>> {
        let parts = [Part {
            steps: steps(statements, events),
            now,
        }];
        let mut written = self.write_parts(&parts, row_event, false).await?;
        match written.pop() {
            Some(Written::Rows(rows)) => Ok(Some(rows)),
            Some(Written::Refused(error)) => Err(error),
            Some(Written::Abandoned) | None => Ok(None),
        }
    }

    /// Runs each of `parts` (its statements and events, numbered at `now`)
    /// in one transaction, each part on its own: a part whose guard
    /// changes no row, or that is refused, leaves nothing behind while the
    /// others commit. What became of each part, in order; `Err` only when
    /// the transaction itself failed, and then nothing was written.
    pub(crate) async fn apply_each(
        &self,
        parts: &[(Vec<Statement>, &[NewEvent], DateTime<Utc>)],
    ) -> Result<Vec<Result<bool>>> {
        let parts: Vec<Part> = parts
            .iter()
            .map(|(statements, events, now)| Part {
                steps: steps(statements, events),
                now: *now,
            })
            .collect();
        // One part needs no savepoint: the transaction is its own.
        let separately = parts.len() > 1;
        let written = self.write_parts::<NoRow>(&parts, None, separately).await?;
        Ok(written
            .into_iter()
            .map(|part| match part {
                Written::Rows(_) => Ok(true),
                Written::Abandoned => Ok(false),
                Written::Refused(error) => Err(error),
            })
            .collect())
    }

    /// [`Store::transaction`], run once more on a fresh connection when
    /// the first broke before it sent its commit.
    async fn write_parts<R: AnyRow>(
        &self,
        parts: &[Part<'_>],
        row_event: Option<RowEvent<'_, R>>,
        separately: bool,
    ) -> Result<Vec<Written<R>>> {
        let mut clears = Families::NONE;
        let outcome = match self
            .transaction(parts, row_event, separately, &mut clears)
            .await
        {
            Err(Failure::Broken(error)) if self.write.found_broken(&error) => {
                self.transaction(parts, row_event, separately, &mut clears)
                    .await
            }
            outcome => outcome,
        };
        // Whatever the outcome: a commit whose answer was lost may have
        // been applied, and forgetting costs only reads.
        if !clears.is_empty() {
            self.caches.clear(clears);
        }
        outcome.map_err(Failure::into_error)
    }

    /// Runs `parts` in one transaction. `separately`, each part runs under
    /// a savepoint that a guard or refusal rolls back to; else the first
    /// refusal fails the transaction and a guard abandons it.
    async fn transaction<R: AnyRow>(
        &self,
        parts: &[Part<'_>],
        row_event: Option<RowEvent<'_, R>>,
        separately: bool,
        clears: &mut Families,
    ) -> std::result::Result<Vec<Written<R>>, Failure> {
        let postgres = self.backend() == Backend::Postgres;
        let written = on_pool!(self.write, pool => {
            let mut tx = pool.begin().await.map_err(Failure::before_commit)?;
            let mut written = Vec::with_capacity(parts.len());
            for part in parts {
                if separately {
                    sqlx::query("SAVEPOINT part").execute(&mut *tx).await.map_err(Failure::before_commit)?;
                }
                let now = part.now;
                let outcome = async {
                    let mut returned = Vec::new();
                    for step in &part.steps {
                        let statement = match step {
                            Step::Record(events) => {
                                record_events!(tx, postgres, events, now, Failure::before_commit);
                                continue;
                            }
                            Step::Run(statement) if statement.postgres_only && !postgres => continue,
                            Step::Run(statement) => statement,
                        };
                        let args = statement.bound_args();
                        let changed = if statement.returning {
                            let rows: Vec<R> = bind_args!(sqlx::query_as::<_, R>(&statement.sql), args.iter())
                                .fetch_all(&mut *tx)
                                .await
                                .map_err(|e| statement.failure(e))?;
                            if let Some(row_event) = row_event {
                                let events: Vec<NewEvent> = rows.iter().map(row_event).collect();
                                record_events!(tx, postgres, &events, now, Failure::before_commit);
                            }
                            let changed = !rows.is_empty();
                            returned.extend(rows);
                            changed
                        } else {
                            let done = bind_args!(sqlx::query(&statement.sql), args.iter())
                                .execute(&mut *tx)
                                .await
                                .map_err(|e| statement.failure(e))?;
                            done.rows_affected() > 0
                        };
                        if changed {
                            *clears = clears.union(statement.clears);
                        }
                        if let (true, Some(refusal)) = (changed, statement.if_changed.clone()) {
                            return Err(Failure::Refused(refusal.error()));
                        }
                        if !changed {
                            match statement.if_unchanged {
                                IfUnchanged::Continue => {}
                                IfUnchanged::NotFound => return Err(Failure::Refused(StoreError::NotFound)),
                                IfUnchanged::Abandon => return Ok(Written::Abandoned),
                                IfUnchanged::Raced(message) => {
                                    return Err(Failure::Refused(StoreError::Raced(message.into())))
                                }
                            }
                        }
                    }
                    Ok::<_, Failure>(Written::Rows(returned))
                }
                .await;
                let outcome = match outcome {
                    Ok(outcome) => outcome,
                    Err(Failure::Refused(error)) if separately => Written::Refused(error),
                    Err(failure) => return Err(failure),
                };
                if separately {
                    let end = match outcome {
                        Written::Rows(_) => "RELEASE SAVEPOINT part",
                        _ => "ROLLBACK TO SAVEPOINT part",
                    };
                    sqlx::query(end).execute(&mut *tx).await.map_err(Failure::before_commit)?;
                } else if matches!(outcome, Written::Abandoned) {
                    // Dropped without a commit: nothing is written.
                    return Ok(vec![outcome]);
                }
                written.push(outcome);
            }
            if postgres && !clears.is_empty() {
                // A part rolled back to its savepoint may have added to
                // `clears`: clearing more than changed costs only reads.
                // Delivered to every replica's listener when this commits.
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(clears.payload())
                    .execute(&mut *tx)
                    .await
                    .map_err(Failure::before_commit)?;
            }
            // Not run again if this fails: the commit may have been applied.
            tx.commit()
                .await
                .map_err(|e| Failure::Refused(StoreError::classify(e)))?;
            written
        });
        Ok(written)
    }
}

/// One part of a write: its steps, and when its events are recorded.
struct Part<'a> {
    steps: Vec<Step<'a>>,
    now: DateTime<Utc>,
}

/// What became of one part of a write.
enum Written<R> {
    /// Written, with the rows of its statement that returns some.
    Rows(Vec<R>),
    /// A guard changed no row: nothing of the part is written.
    Abandoned,
    /// Refused: nothing of the part is written.
    Refused(StoreError),
}

/// Why one run of a write's transaction failed.
enum Failure {
    /// The connection broke before the commit was sent, so nothing of the
    /// transaction was applied and it may run again.
    Broken(sqlx::Error),
    Refused(StoreError),
}

impl Failure {
    fn before_commit(error: sqlx::Error) -> Failure {
        if is_broken_connection(&error) {
            Failure::Broken(error)
        } else {
            Failure::Refused(StoreError::classify(error))
        }
    }

    fn into_error(self) -> StoreError {
        match self {
            Failure::Broken(error) => StoreError::classify(error),
            Failure::Refused(error) => error,
        }
    }
}

/// At most one row of `sql` on the read pool.
pub(crate) async fn fetch_optional<R: AnyRow>(
    db: &Db,
    sql: &str,
    args: &[Arg],
) -> Result<Option<R>> {
    on_pool_again_if_broken!(db, pool => bind_args!(sqlx::query_as::<_, R>(sql), args).fetch_optional(pool).await)
        .map_err(StoreError::classify)
}

/// Every row of `sql`.
pub(crate) async fn fetch_all<R: AnyRow>(db: &Db, sql: &str, args: &[Arg]) -> Result<Vec<R>> {
    on_pool_again_if_broken!(db, pool => bind_args!(sqlx::query_as::<_, R>(sql), args).fetch_all(pool).await)
        .map_err(StoreError::classify)
}
