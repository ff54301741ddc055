//! Rendering of list requests into SQL that both engines accept.

use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::listing::{
    Cursor, FieldError, Filter, ListQuery, Match, Page, PagePlace, Sort, SortKey, Total,
    CURSOR_RULE, EXACT_TOTAL_MAX,
};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::FromRow;
use uuid::Uuid;

use crate::db::{on_pool_again_if_broken, Db};
use crate::error::{Result, StoreError};

/// A value bound to a `$N` placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    Uuid(Uuid),
    Text(String),
    Time(DateTime<Utc>),
    Bool(bool),
    Int(i64),
    Float(f64),
    Bytes(Vec<u8>),
    Json(serde_json::Value),
    /// Nullable columns: `None` binds a typed `NULL`.
    OptUuid(Option<Uuid>),
    OptInt(Option<i64>),
    OptText(Option<String>),
    OptTime(Option<DateTime<Utc>>),
    OptJson(Option<serde_json::Value>),
}

/// Binds every [`Arg`] in order to a query of either backend.
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                $crate::sql::Arg::Uuid(v) => query.bind(*v),
                $crate::sql::Arg::Text(v) => query.bind(v.as_str()),
                $crate::sql::Arg::Time(v) => query.bind(*v),
                $crate::sql::Arg::Bool(v) => query.bind(*v),
                $crate::sql::Arg::Int(v) => query.bind(*v),
                $crate::sql::Arg::Float(v) => query.bind(*v),
                $crate::sql::Arg::Bytes(v) => query.bind(v.as_slice()),
                $crate::sql::Arg::Json(v) => query.bind(sqlx::types::Json(v)),
                $crate::sql::Arg::OptUuid(v) => query.bind(*v),
                $crate::sql::Arg::OptInt(v) => query.bind(*v),
                $crate::sql::Arg::OptText(v) => query.bind(v.as_deref()),
                $crate::sql::Arg::OptTime(v) => query.bind(*v),
                $crate::sql::Arg::OptJson(v) => query.bind(v.as_ref().map(sqlx::types::Json)),
            };
        }
        query
    }};
}
#[allow(unused_imports)]
pub(crate) use bind_args;

/// The columns a list scope compares with, per table, or conditions with a
/// `{}` slot for the value. `None` means the table has no such relation, so
/// that alternative matches nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScopeColumns {
    pub owner: Option<&'static str>,
    pub consumer: Option<&'static str>,
    pub agent: Option<&'static str>,
}

/// A `WHERE` clause under construction, with its arguments.
#[derive(Debug, Default, Clone)]
pub struct Where {
    clauses: Vec<String>,
    /// The caller's scope when it is several alternatives (a participant's
    /// rows as provider or as consumer), and where in `clauses` their `OR`
    /// stands. A page reads each alternative as its own branch instead.
    scope_branches: Option<(usize, Vec<String>)>,
    pub args: Vec<Arg>,
}

impl Where {
    pub fn new() -> Where {
        Where::default()
    }

    /// Adds `arg` and returns its placeholder.
    pub fn param(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// Adds a raw condition; its placeholders must come from [`Where::param`].
    pub fn and(&mut self, condition: String) {
        self.clauses.push(condition);
    }

    /// `column` is one of `args`; none matches an empty list.
    pub fn any_of(&mut self, column: &str, args: impl IntoIterator<Item = Arg>) {
        let placeholders: Vec<String> = args.into_iter().map(|arg| self.param(arg)).collect();
        if placeholders.is_empty() {
            self.and("1 = 0".into());
        } else {
            self.and(format!("{column} IN ({})", placeholders.join(", ")));
        }
    }

    pub fn eq(&mut self, column: &str, arg: Arg) {
        let p = self.param(arg);
        self.and(format!("{column} = {p}"));
    }

    pub fn filters(&mut self, filters: &[Filter]) {
        for filter in filters {
            let column = filter.column;
            let condition = match &filter.matching {
                Match::Contains(fragments) => self.any(fragments.iter().map(|f| {
                    (
                        format!("LOWER({column}) LIKE "),
                        Arg::Text(format!("%{}%", escape_like(f))),
                        " ESCAPE '\\'",
                    )
                })),
                Match::AnyText(values) => self.any(
                    values
                        .iter()
                        .map(|v| (format!("{column} = "), Arg::Text(v.clone()), "")),
                ),
                // A condition with a `{}` slot (an EXISTS over a related
                // table) takes each value there.
                Match::AnyUuid(values) => match column.split_once("{}") {
                    Some((before, after)) => self.any(
                        values
                            .iter()
                            .map(|v| (before.to_string(), Arg::Uuid(*v), after)),
                    ),
                    None => self.any(
                        values
                            .iter()
                            .map(|v| (format!("{column} = "), Arg::Uuid(*v), "")),
                    ),
                },
                Match::Since(t) => format!("{column} >= {}", self.param(Arg::Time(*t))),
                Match::Until(t) => format!("{column} < {}", self.param(Arg::Time(*t))),
                Match::Bool(b) => format!("{column} = {}", self.param(Arg::Bool(*b))),
            };
            self.and(condition);
        }
    }

    pub fn scope(&mut self, scope: ListScope, columns: ScopeColumns) {
        let ListScope::Matching {
            owner,
            consumer,
            agent,
        } = scope
        else {
            return;
        };
        let pairs = [
            (columns.owner, owner),
            (columns.consumer, consumer),
            (columns.agent, agent),
        ];
        let mut alternatives = Vec::new();
        let mut compared: Vec<&str> = Vec::new();
        for (column, value) in pairs {
            if let (Some(column), Some(value)) = (column, value) {
                // Two relations read from one column (a project's owner is
                // its consumer) are one alternative.
                if compared.contains(&column) {
                    continue;
                }
                compared.push(column);
                let p = self.param(Arg::Uuid(value));
                // A condition with a `{}` slot (say, an EXISTS over a related
                // table) takes the placeholder there; a bare column is compared.
                alternatives.push(if column.contains("{}") {
                    column.replace("{}", &p)
                } else {
                    format!("{column} = {p}")
                });
            }
        }
        match alternatives.len() {
            0 => self.and("1 = 0".into()),
            1 => self.and(format!("({})", alternatives[0])),
            _ => {
                self.scope_branches = Some((self.clauses.len(), alternatives.clone()));
                self.and(format!("({})", alternatives.join(" OR ")));
            }
        }
    }

    fn any(&mut self, parts: impl Iterator<Item = (String, Arg, &'static str)>) -> String {
        let mut alternatives = Vec::new();
        for (prefix, arg, suffix) in parts {
            let p = self.param(arg);
            alternatives.push(format!("{prefix}{p}{suffix}"));
        }
        format!("({})", alternatives.join(" OR "))
    }

    pub fn sql(&self) -> String {
        where_sql(&self.clauses)
    }

    /// The clause split into one per scope alternative, each without the
    /// rows an earlier one matched, so together they match each row once:
    /// what [`Where::sql`] matches, as a `UNION ALL` whose every branch an
    /// index on its own column can serve. One clause when the scope is not
    /// several alternatives.
    fn branch_sqls(&self) -> Vec<String> {
        let Some((position, alternatives)) = &self.scope_branches else {
            return vec![self.sql()];
        };
        (0..alternatives.len())
            .map(|n| {
                // `IS NOT TRUE`, not `NOT`: an earlier alternative on a
                // column holding NULL is not true, and its rows belong here.
                let earlier = alternatives[..n]
                    .iter()
                    .map(|alternative| format!(" AND ({alternative}) IS NOT TRUE"));
                let branch = std::iter::once(alternatives[n].clone())
                    .chain(earlier)
                    .collect::<String>();
                let mut clauses = self.clauses.clone();
                clauses[*position] = branch;
                where_sql(&clauses)
            })
            .collect()
    }
}

fn where_sql(clauses: &[String]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    }
}

fn escape_like(fragment: &str) -> String {
    fragment
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn order_by(sort: Sort, id_column: &str) -> String {
    let direction = if sort.descending { "DESC" } else { "ASC" };
    format!(" ORDER BY {} {direction}, {id_column} ASC", sort.column)
}

/// Rows that both backends can decode into `R`.
pub trait AnyRow:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}
impl<R> AnyRow for R where
    R: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

/// The page's rows and the one after them (which says whether another page
/// follows), each with its place in the order under names of its own
/// ([`Keyed`]). A scope of several alternatives is read as a `UNION ALL` of
/// one branch per alternative, each ordered and cut after the page on its
/// own, then merged: the database cannot serve an `OR` of two columns with
/// an `ORDER BY` from one index, so it would fetch and sort every row of
/// the participant to return a page of them.
fn rows_sql(select: &str, filter: &Where, query: &ListQuery, id_column: &str) -> String {
    let page = query.page;
    // After a cursor the page starts there; by number, after the pages
    // before it.
    let offset = if query.cursor.is_some() {
        0
    } else {
        page.offset()
    };
    let limit = page.limit() + 1;
    let keyed = select.replacen(
        "SELECT ",
        &format!(
            "SELECT {} AS {SORT_KEY}, {id_column} AS {ROW_ID}, ",
            query.sort.column
        ),
        1,
    );
    let order = order_by(query.sort, id_column);
    let branches = filter.branch_sqls();
    if let [only] = branches.as_slice() {
        return format!("{keyed}{only}{order} LIMIT {limit} OFFSET {offset}");
    }
    let window = offset + limit;
    let union = branches
        .iter()
        .enumerate()
        .map(|(n, branch_where)| {
            format!("SELECT * FROM ({keyed}{branch_where}{order} LIMIT {window}) AS branch{n}")
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    // The merged rows are ordered by the names their keys were given: the
    // sort's column may be an expression (`LOWER(name)`).
    let merged_order = order_by(
        Sort {
            column: SORT_KEY,
            descending: query.sort.descending,
        },
        ROW_ID,
    );
    format!("SELECT * FROM ({union}) AS scoped{merged_order} LIMIT {limit} OFFSET {offset}")
}

/// The page of `select`'s rows from `from` that `scope` lets the caller
/// see and `query` asks for: the list reads of every table with owners.
pub(crate) async fn fetch_scoped_page<R: AnyRow>(
    db: &Db,
    (select, from, id_column): (&str, &str, &str),
    (scope, columns): (ListScope, ScopeColumns),
    query: &ListQuery,
) -> Result<Page<R>> {
    let mut filter = Where::new();
    filter.scope(scope, columns);
    filter.filters(&query.filters);
    fetch_page(db, select, from, &filter, query, id_column).await
}

/// One page of `select` (a `SELECT … FROM …` without `WHERE`), by number or
/// after the query's cursor, with the total of matching rows as far as
/// [`count`] counts it and the cursor of the page after it.
pub(crate) async fn fetch_page<R: AnyRow>(
    db: &Db,
    select: &str,
    from: &str,
    filter: &Where,
    query: &ListQuery,
    id_column: &str,
) -> Result<Page<R>> {
    let mut rows_filter = filter.clone();
    if let Some(cursor) = &query.cursor {
        after_cursor(&mut rows_filter, cursor, id_column);
    }
    let rows_sql = rows_sql(select, &rows_filter, query, id_column);
    let mut rows: Vec<Keyed<R>> = on_pool_again_if_broken!(db, pool => {
        bind_args!(sqlx::query_as::<_, Keyed<R>>(&rows_sql), &rows_filter.args)
            .fetch_all(pool)
            .await
    })
    .map_err(|error| refused_cursor(error, query))?;
    let page_size = query.page.limit() as usize;
    let has_next = rows.len() > page_size;
    rows.truncate(page_size);
    let next_cursor = rows.last().and_then(|last| {
        Some(
            Cursor {
                sort: query.sort,
                key: last.key.clone()?,
                id: last.id.clone()?,
            }
            .encode(),
        )
    });
    let total = count(db, from, filter).await?;
    let place = if query.cursor.is_some() {
        PagePlace::Cursor(query.page)
    } else {
        PagePlace::Number(query.page)
    };
    let items = rows.into_iter().map(|keyed| keyed.row).collect();
    Ok(Page::read(items, total, place, has_next, next_cursor))
}

/// How many rows `filter` matches, counted up to [`EXACT_TOTAL_MAX`] and
/// one more, branch by branch as the page reads them.
///
/// Past the bound the count stops, so a count costs the same at a million
/// rows as at a thousand; an exact count of a participant's 250,000
/// services read them all (10 ms on PostgreSQL, more on SQLite), for every
/// page. Above the bound the total is PostgreSQL's own estimate of the
/// rows (what it plans the count with, from the statistics `ANALYZE` and
/// autovacuum keep, read without running the count). SQLite keeps no such
/// statistics unless asked to, so there the estimate is the rows counted
/// before the count stopped: a floor. Either way `totalIsEstimate` says so,
/// `hasNext` is read, never inferred from the total, and the last page
/// read by number gives the exact total after all (see `Page::read`).
async fn count(db: &Db, from: &str, filter: &Where) -> Result<Total> {
    let cap = EXACT_TOTAL_MAX + 1;
    let branches = filter
        .branch_sqls()
        .iter()
        .enumerate()
        .map(|(n, branch_where)| {
            format!("SELECT * FROM (SELECT 1 AS counted FROM {from}{branch_where} LIMIT {cap}) AS count{n}")
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let count_sql = format!("SELECT COUNT(*) FROM ({branches}) AS capped");
    let counted: i64 = on_pool_again_if_broken!(db, pool => {
        bind_args!(sqlx::query_scalar::<_, i64>(&count_sql), &filter.args)
            .fetch_one(pool)
            .await
    })
    .map_err(StoreError::classify)?;
    let counted = counted.max(0) as u64;
    if counted <= EXACT_TOTAL_MAX {
        return Ok(Total::Exact(counted));
    }
    let estimate = match db {
        Db::Postgres(..) => planned_rows(db, from, filter).await?,
        Db::Sqlite(_) => 0,
    };
    Ok(Total::Estimate(estimate.max(counted)))
}

/// The rows PostgreSQL's planner expects `filter` to match.
async fn planned_rows(db: &Db, from: &str, filter: &Where) -> Result<u64> {
    let sql = format!("EXPLAIN (FORMAT JSON) SELECT 1 FROM {from}{}", filter.sql());
    let plan: sqlx::types::Json<serde_json::Value> = on_pool_again_if_broken!(db, pool => {
        bind_args!(sqlx::query_scalar::<_, sqlx::types::Json<serde_json::Value>>(&sql), &filter.args)
            .fetch_one(pool)
            .await
    })
    .map_err(StoreError::classify)?;
    let rows = plan.0[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(0.0);
    Ok(rows.max(0.0) as u64)
}

/// A cursor whose key the sort's column cannot be compared with (one made
/// up, not given by a page of this list) is a type error in PostgreSQL
/// (42883: no such operator; 42804 and class 22: a value of the wrong
/// type): the caller's mistake, answered as one.
fn refused_cursor(error: sqlx::Error, query: &ListQuery) -> StoreError {
    if let (Some(_), sqlx::Error::Database(db_error)) = (&query.cursor, &error) {
        let code = db_error.code().unwrap_or_default();
        if code == "42883" || code == "42804" || code.starts_with("22") {
            return StoreError::Invalid(vec![FieldError::new("cursor", CURSOR_RULE)]);
        }
    }
    StoreError::classify(error)
}

/// A row of a page with its place in the list's order (its value in the
/// sort's column and its id), read under names of their own, from which
/// the next page's cursor is made.
struct Keyed<R> {
    row: R,
    /// `None` for a value a cursor cannot carry (NULL, or a type without a
    /// [`SortKey`]): the page then offers no cursor.
    key: Option<SortKey>,
    id: Option<SortKey>,
}

const SORT_KEY: &str = "page_sort_key";
const ROW_ID: &str = "page_row_id";

impl<'r, R: FromRow<'r, SqliteRow>> FromRow<'r, SqliteRow> for Keyed<R> {
    fn from_row(row: &'r SqliteRow) -> sqlx::Result<Self> {
        Ok(Keyed {
            row: R::from_row(row)?,
            key: sqlite_key(row, SORT_KEY)?,
            id: sqlite_key(row, ROW_ID)?,
        })
    }
}

/// SQLite keeps every value as it was written and compares values of one
/// storage class, so a key is read, and later bound back, in its storage
/// class: a time stays the text it is stored as. Ids are 16-byte blobs.
fn sqlite_key(row: &SqliteRow, name: &str) -> sqlx::Result<Option<SortKey>> {
    use sqlx::{Row, TypeInfo, ValueRef};
    let raw = row.try_get_raw(name)?;
    if raw.is_null() {
        return Ok(None);
    }
    Ok(match raw.type_info().name() {
        "INTEGER" => Some(SortKey::Int(row.try_get(name)?)),
        "REAL" => Some(SortKey::Float(row.try_get(name)?)),
        "TEXT" => Some(SortKey::Text(row.try_get(name)?)),
        "BLOB" => row.try_get(name).ok().map(SortKey::Uuid),
        _ => None,
    })
}

impl<'r, R: FromRow<'r, PgRow>> FromRow<'r, PgRow> for Keyed<R> {
    fn from_row(row: &'r PgRow) -> sqlx::Result<Self> {
        Ok(Keyed {
            row: R::from_row(row)?,
            key: postgres_key(row, SORT_KEY)?,
            id: postgres_key(row, ROW_ID)?,
        })
    }
}

/// A key read by the column's type, to be bound back as the same type.
fn postgres_key(row: &PgRow, name: &str) -> sqlx::Result<Option<SortKey>> {
    use sqlx::{Row, TypeInfo, ValueRef};
    let raw = row.try_get_raw(name)?;
    if raw.is_null() {
        return Ok(None);
    }
    Ok(match raw.type_info().name() {
        "TIMESTAMPTZ" => Some(SortKey::Time(row.try_get(name)?)),
        "INT8" => Some(SortKey::Int(row.try_get(name)?)),
        "INT4" => Some(SortKey::Int(i64::from(row.try_get::<i32, _>(name)?))),
        "INT2" => Some(SortKey::Int(i64::from(row.try_get::<i16, _>(name)?))),
        "FLOAT8" => Some(SortKey::Float(row.try_get(name)?)),
        "TEXT" | "VARCHAR" => Some(SortKey::Text(row.try_get(name)?)),
        "UUID" => Some(SortKey::Uuid(row.try_get(name)?)),
        _ => None,
    })
}

fn key_arg(key: &SortKey) -> Arg {
    match key {
        SortKey::Text(text) => Arg::Text(text.clone()),
        SortKey::Int(n) => Arg::Int(*n),
        SortKey::Float(x) => Arg::Float(*x),
        SortKey::Time(time) => Arg::Time(*time),
        SortKey::Uuid(id) => Arg::Uuid(*id),
    }
}

/// Narrows `filter` to the rows after `cursor` in its sort, written so the
/// sort column's bound is a range an index can start from (`>=`, or `<=`
/// descending), with the tie on the id settled row by row.
fn after_cursor(filter: &mut Where, cursor: &Cursor, id_column: &str) {
    let column = cursor.sort.column;
    let key = filter.param(key_arg(&cursor.key));
    let id = filter.param(key_arg(&cursor.id));
    let (reached, past) = if cursor.sort.descending {
        ("<=", "<")
    } else {
        (">=", ">")
    };
    filter.and(format!(
        "{column} {reached} {key} AND ({column} {past} {key} OR {id_column} > {id})"
    ));
}
