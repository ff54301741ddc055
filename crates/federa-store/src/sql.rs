//! Rendering of list requests into SQL that both engines accept.

use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::listing::{Filter, ListQuery, Match, Page, PageRequest, Sort};
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
#[derive(Debug, Default)]
pub struct Where {
    clauses: Vec<String>,
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
                Match::AnyUuid(values) => self.any(
                    values
                        .iter()
                        .map(|v| (format!("{column} = "), Arg::Uuid(*v), "")),
                ),
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
        for (column, value) in pairs {
            if let (Some(column), Some(value)) = (column, value) {
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
        if alternatives.is_empty() {
            self.and("1 = 0".into());
        } else {
            self.and(format!("({})", alternatives.join(" OR ")));
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
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
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

/// One page of `select` (a `SELECT … FROM …` without `WHERE`) and the total
/// count of matching rows.
pub(crate) async fn fetch_page<R: AnyRow>(
    db: &Db,
    select: &str,
    from: &str,
    filter: &Where,
    query: &ListQuery,
    id_column: &str,
) -> Result<Page<R>> {
    let where_sql = filter.sql();
    let page: PageRequest = query.page;
    let rows_sql = format!(
        "{select}{where_sql}{} LIMIT {} OFFSET {}",
        order_by(query.sort, id_column),
        page.limit(),
        page.offset()
    );
    let count_sql = format!("SELECT COUNT(*) FROM {from}{where_sql}");
    let rows: Vec<R> = on_pool_again_if_broken!(db, pool => {
        bind_args!(sqlx::query_as::<_, R>(&rows_sql), &filter.args)
            .fetch_all(pool)
            .await
    })
    .map_err(StoreError::classify)?;
    let total: i64 = on_pool_again_if_broken!(db, pool => {
        bind_args!(sqlx::query_scalar::<_, i64>(&count_sql), &filter.args)
            .fetch_one(pool)
            .await
    })
    .map_err(StoreError::classify)?;
    Ok(Page::new(rows, total.max(0) as u64, page))
}
