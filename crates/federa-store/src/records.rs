//! The tables whose rows map one-to-one onto a domain object: each table's
//! module declares its columns once, as a [`Record`], and the read by key,
//! the scoped page, and the insert, update and delete with their event are
//! written here once for all of them, through [`Store::apply`].

use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::sql::{fetch_scoped_page, AnyRow, Arg, ScopeColumns};
use crate::write::{fetch_optional, Statement};
use crate::Store;

/// A table of [`Record`]s: its columns and what its refusals mean.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub(crate) name: &'static str,
    /// Every column, the key first, in the order of [`Record::values`].
    pub(crate) columns: &'static [&'static str],
    /// The columns an update writes; the others never change.
    pub(crate) changing: &'static [&'static str],
    /// The columns a caller's list scope compares with.
    pub(crate) scope: ScopeColumns,
    /// What a uniqueness refusal of an insert or update means.
    pub(crate) taken: Option<&'static str>,
    /// What a refused delete means: other rows still name this one.
    pub(crate) in_use: Option<&'static str>,
}

impl Table {
    /// A table whose key is its first column, scoped by nothing (a caller
    /// limited to some rows sees none) and with the generic refusals.
    pub(crate) const fn new(
        name: &'static str,
        columns: &'static [&'static str],
        changing: &'static [&'static str],
    ) -> Table {
        Table {
            name,
            columns,
            changing,
            scope: ScopeColumns {
                owner: None,
                consumer: None,
                agent: None,
            },
            taken: None,
            in_use: None,
        }
    }

    pub(crate) const fn scoped(mut self, scope: ScopeColumns) -> Table {
        self.scope = scope;
        self
    }

    pub(crate) const fn taken(mut self, message: &'static str) -> Table {
        self.taken = Some(message);
        self
    }

    pub(crate) const fn in_use(mut self, message: &'static str) -> Table {
        self.in_use = Some(message);
        self
    }

    fn key(&self) -> &'static str {
        self.columns[0]
    }

    /// `SELECT` of every column, without a `WHERE`.
    pub(crate) fn select(&self) -> String {
        format!("SELECT {} FROM {}", self.columns.join(", "), self.name)
    }

    fn insert_sql(&self) -> String {
        let placeholders: Vec<String> = (1..=self.columns.len()).map(|n| format!("${n}")).collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.name,
            self.columns.join(", "),
            placeholders.join(", ")
        )
    }

    fn update_sql(&self) -> String {
        let assignments: Vec<String> = self
            .changing
            .iter()
            .enumerate()
            .map(|(n, column)| format!("{column} = ${}", n + 2))
            .collect();
        format!(
            "UPDATE {} SET {} WHERE {} = $1",
            self.name,
            assignments.join(", "),
            self.key()
        )
    }

    /// Turns a refusal into the message that says what it means here.
    fn refusal(error: StoreError, message: Option<&'static str>) -> StoreError {
        match (error, message) {
            (StoreError::Conflict(_), Some(message)) => StoreError::Conflict(message.into()),
            (other, _) => other,
        }
    }
}

/// A domain object stored as one row of its [`Table`].
pub trait Record: Sized + Send + Sync + 'static {
    /// The row as both engines decode it.
    #[doc(hidden)]
    type Row: AnyRow + Into<Self>;
    #[doc(hidden)]
    const TABLE: Table;

    /// The values of the table's columns, in their order.
    #[doc(hidden)]
    fn values(&self) -> Vec<Arg>;
}

/// A record's columns with their values.
struct Columns(Vec<(&'static str, Arg)>);

impl Columns {
    fn of<R: Record>(record: &R) -> Columns {
        Columns(
            R::TABLE
                .columns
                .iter()
                .copied()
                .zip(record.values())
                .collect(),
        )
    }

    fn value(&self, name: &str) -> Option<Arg> {
        self.0
            .iter()
            .find(|(column, _)| *column == name)
            .map(|(_, value)| value.clone())
    }

    /// The time in column `name` (`created_at`, `updated_at`): a change's
    /// event is recorded at the time the row says it happened.
    fn time(&self, name: &str) -> DateTime<Utc> {
        match self.value(name) {
            Some(Arg::Time(time)) => time,
            _ => Utc::now(),
        }
    }
}

/// The statement writing a new record.
pub(crate) fn insert_statement<R: Record>(record: &R) -> Statement {
    let args = Columns::of(record)
        .0
        .into_iter()
        .map(|(_, value)| value)
        .collect();
    Statement::new(R::TABLE.insert_sql(), args)
}

/// The statement writing the changing columns of a record that exists.
pub(crate) fn update_statement<R: Record>(record: &R) -> Statement {
    let table = R::TABLE;
    let columns = Columns::of(record);
    let args = std::iter::once(table.key())
        .chain(table.changing.iter().copied())
        .filter_map(|name| columns.value(name))
        .collect();
    Statement::new(table.update_sql(), args).must_change()
}

impl Store {
    /// The record with this key.
    pub async fn record<R: Record>(&self, key: Uuid) -> Result<Option<R>> {
        let table = R::TABLE;
        let sql = format!("{} WHERE {} = $1", table.select(), table.key());
        let row: Option<R::Row> = fetch_optional(&self.read, &sql, &[Arg::Uuid(key)]).await?;
        Ok(row.map(Into::into))
    }

    /// A page of the records `scope` lets the caller see.
    pub async fn records<R: Record>(&self, scope: ListScope, query: &ListQuery) -> Result<Page<R>> {
        let table = R::TABLE;
        let page: Page<R::Row> = fetch_scoped_page(
            &self.read,
            (&table.select(), table.name, table.key()),
            (scope, table.scope),
            query,
        )
        .await?;
        Ok(page.map(Into::into))
    }

    /// Writes a new record with the event saying so.
    pub async fn insert_record<R: Record>(&self, record: &R, event: &NewEvent) -> Result<()> {
        self.write_record::<R>(
            &[insert_statement(record)],
            event,
            Columns::of(record).time("created_at"),
        )
        .await
    }

    /// Writes the changing columns of a record that exists, with the event
    /// saying so.
    pub async fn update_record<R: Record>(&self, record: &R, event: &NewEvent) -> Result<()> {
        self.write_record::<R>(
            &[update_statement(record)],
            event,
            Columns::of(record).time("updated_at"),
        )
        .await
    }

    /// Runs the statements of a record's write with its event, giving a
    /// uniqueness refusal the table's meaning.
    pub(crate) async fn write_record<R: Record>(
        &self,
        statements: &[Statement],
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.apply(statements, std::slice::from_ref(event), now)
            .await
            .map_err(|e| Table::refusal(e, R::TABLE.taken))
    }

    /// Deletes the record with this key, with the event saying so.
    pub async fn delete_record<R: Record>(
        &self,
        key: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let table = R::TABLE;
        let statement = Statement::new(
            format!("DELETE FROM {} WHERE {} = $1", table.name, table.key()),
            vec![Arg::Uuid(key)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
            .map_err(|e| Table::refusal(e, table.in_use))
    }
}
