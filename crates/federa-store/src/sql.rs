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

/// The page's rows. A scope of several alternatives is read as a
/// `UNION ALL` of one branch per alternative, each ordered and cut after
/// the page on its own, then merged: the database cannot serve an `OR` of
/// two columns with an `ORDER BY` from one index, so it would fetch and
/// sort every row of the participant to return a page of them.
fn rows_sql(select: &str, filter: &Where, query: &ListQuery, id_column: &str) -> String {
    let page = query.page;
    let branches = filter.branch_sqls();
    if let [only] = branches.as_slice() {
        return format!(
            "{select}{only}{} LIMIT {} OFFSET {}",
            order_by(query.sort, id_column),
            page.limit(),
            page.offset()
        );
    }
    // The merged branches are ordered by their keys under names of their
    // own, which the sort's column (say `LOWER(name)`) cannot be.
    let keyed = select.replacen(
        "SELECT ",
        &format!(
            "SELECT {} AS page_sort_key, {id_column} AS page_row_id, ",
            query.sort.column
        ),
        1,
    );
    let window = page.offset() + page.limit();
    let union = branches
        .iter()
        .enumerate()
        .map(|(n, branch_where)| {
            format!(
                "SELECT * FROM ({keyed}{branch_where}{} LIMIT {window}) AS branch{n}",
                order_by(query.sort, id_column)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    format!(
        "SELECT * FROM ({union}) AS scoped{} LIMIT {} OFFSET {}",
        order_by(
            Sort {
                column: "page_sort_key",
                descending: query.sort.descending
            },
            "page_row_id"
        ),
        page.limit(),
        page.offset()
    )
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
    let rows_sql = rows_sql(select, filter, query, id_column);
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
