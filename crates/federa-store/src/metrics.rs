//! Metric types and metric entries.
//!
//! Types change rarely and record an event with each change, like the
//! catalogue. Entries arrive by the thousand and are immutable: they are
//! written in multi-row inserts inside one transaction and record no event.
//! Aggregation runs in SQL, with one fixed set of partial results per bucket
//! whatever the function; only the bucket truncation differs between the
//! engines ([`bucket_start`]).

use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::listing::{FieldError, ListQuery, Page};
use federa_domain::metrics::{
    AggregateQuery, Bucket, BucketStats, MetricEntityType, MetricEntry, MetricTarget, MetricType,
    ServiceRef,
};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::records::{Record, Table};
use crate::sql::{fetch_scoped_page, Arg, ScopeColumns, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::{Backend, Store};

const ENTRY_COLUMNS: &str =
    "id, service_id, type_id, agent_id, provider_id, consumer_id, resource_id, value, created_at";
const TARGET_COLUMNS: &str = "id, agent_id, provider_id, consumer_id, agent_instance_id";

const ENTRY_SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("provider_id"),
    consumer: Some("consumer_id"),
    agent: Some("agent_id"),
};

/// Rows per INSERT statement: 9 parameters each keeps a statement at 4,500
/// parameters, far below SQLite's limit of 32,766 and PostgreSQL's 65,535,
/// while a 5,000-entry batch still needs only ten round trips.
const ROWS_PER_INSERT: usize = 500;
const _: () = assert!(ROWS_PER_INSERT * 9 <= 32_766);
/// Values per `IN (…)` list when looking up many services or types at once.
const IDS_PER_LOOKUP: usize = 500;

#[derive(sqlx::FromRow)]
pub struct TypeRow {
    id: Uuid,
    name: String,
    entity_type: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<TypeRow> for MetricType {
    fn from(row: TypeRow) -> MetricType {
        MetricType {
            id: row.id,
            name: row.name,
            entity_type: MetricEntityType::parse(&row.entity_type)
                .unwrap_or(MetricEntityType::Resource),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: Uuid,
    service_id: Uuid,
    type_id: Uuid,
    agent_id: Uuid,
    provider_id: Uuid,
    consumer_id: Uuid,
    resource_id: String,
    value: f64,
    created_at: DateTime<Utc>,
}

impl From<EntryRow> for MetricEntry {
    fn from(row: EntryRow) -> MetricEntry {
        MetricEntry {
            id: row.id,
            agent_id: row.agent_id,
            service_id: row.service_id,
            provider_id: row.provider_id,
            consumer_id: row.consumer_id,
            resource_id: row.resource_id,
            type_id: row.type_id,
            value: row.value,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct TargetRow {
    id: Uuid,
    agent_id: Uuid,
    provider_id: Uuid,
    consumer_id: Uuid,
    agent_instance_id: Option<String>,
}

impl From<TargetRow> for MetricTarget {
    fn from(row: TargetRow) -> MetricTarget {
        MetricTarget {
            service_id: row.id,
            agent_id: row.agent_id,
            provider_id: row.provider_id,
            consumer_id: row.consumer_id,
            agent_instance_id: row.agent_instance_id,
        }
    }
}

#[derive(sqlx::FromRow)]
struct BucketRow {
    bucket_start: String,
    entries: i64,
    min_value: f64,
    max_value: f64,
    sum_value: f64,
}

/// `$first, $first+1, …` for `count` values.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn insert_entries_sql(rows: usize) -> String {
    const COLUMNS: usize = 9;
    let values: Vec<String> = (0..rows)
        .map(|row| format!("({})", placeholders(row * COLUMNS + 1, COLUMNS)))
        .collect();
    format!(
        "INSERT INTO metric_entries ({ENTRY_COLUMNS}) VALUES {}",
        values.join(", ")
    )
}

/// The start of an entry's bucket as `YYYY-MM-DDTHH:MM:SSZ` text, in UTC.
/// Text sorts like time in this form and decodes the same from both engines.
fn bucket_start(backend: Backend, bucket: Bucket) -> String {
    match backend {
        Backend::Sqlite => {
            let format = match bucket {
                Bucket::Minute => "%Y-%m-%dT%H:%M:00Z",
                Bucket::Hour => "%Y-%m-%dT%H:00:00Z",
                Bucket::Day => "%Y-%m-%dT00:00:00Z",
                Bucket::Month => "%Y-%m-01T00:00:00Z",
            };
            format!("strftime('{format}', created_at)")
        }
        // `AT TIME ZONE 'UTC'` makes the truncation independent of the
        // session's time zone.
        Backend::Postgres => format!(
            "to_char(date_trunc('{}', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
            bucket.as_str()
        ),
    }
}

impl Record for MetricType {
    type Row = TypeRow;
    const TABLE: Table = Table::new(
        "metric_types",
        &["id", "name", "entity_type", "created_at", "updated_at"],
        &["name", "updated_at"],
    )
    .taken("another metric type has this name")
    .in_use("metric entries of this type exist; it cannot be deleted");

    fn values(&self) -> Vec<Arg> {
        vec![
            Arg::Uuid(self.id),
            Arg::Text(self.name.clone()),
            Arg::Text(self.entity_type.as_str().into()),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

impl Store {
    /// The metric types with any of these names; unknown names are left out.
    pub async fn metric_types_named(&self, names: &[String]) -> Result<Vec<MetricType>> {
        let mut types = Vec::new();
        for chunk in names.chunks(IDS_PER_LOOKUP) {
            let args: Vec<Arg> = chunk.iter().map(|n| Arg::Text(n.clone())).collect();
            let sql = format!(
                "{} WHERE name IN ({})",
                MetricType::TABLE.select(),
                placeholders(1, args.len())
            );
            let rows: Vec<TypeRow> = fetch_all(&self.read, &sql, &args).await?;
            types.extend(rows.into_iter().map(MetricType::from));
        }
        Ok(types)
    }

    /// The services these references name, with who runs, provides and
    /// consumes each; references to no service are left out.
    pub async fn metric_targets(&self, refs: &[ServiceRef]) -> Result<Vec<MetricTarget>> {
        let mut ids: Vec<Uuid> = Vec::new();
        let mut instances: Vec<(Uuid, &str)> = Vec::new();
        for reference in refs {
            match reference {
                ServiceRef::Id(id) => ids.push(*id),
                ServiceRef::AgentInstance {
                    agent_id,
                    instance_id,
                } => instances.push((*agent_id, instance_id)),
            }
        }
        ids.sort_unstable();
        ids.dedup();
        instances.sort_unstable();
        instances.dedup();

        let mut targets = Vec::new();
        for chunk in ids.chunks(IDS_PER_LOOKUP) {
            let args: Vec<Arg> = chunk.iter().map(|id| Arg::Uuid(*id)).collect();
            let sql = format!(
                "SELECT {TARGET_COLUMNS} FROM services WHERE id IN ({})",
                placeholders(1, args.len())
            );
            let rows: Vec<TargetRow> = fetch_all(&self.read, &sql, &args).await?;
            targets.extend(rows.into_iter().map(MetricTarget::from));
        }
        // Instance ids are unique per agent, so each agent's are looked up
        // under that agent.
        for per_agent in instances.chunk_by(|a, b| a.0 == b.0) {
            let agent_id = per_agent[0].0;
            for chunk in per_agent.chunks(IDS_PER_LOOKUP) {
                let mut args = vec![Arg::Uuid(agent_id)];
                args.extend(chunk.iter().map(|(_, i)| Arg::Text(i.to_string())));
                let sql = format!(
                    "SELECT {TARGET_COLUMNS} FROM services WHERE agent_id = $1 AND agent_instance_id IN ({})",
                    placeholders(2, chunk.len())
                );
                let rows: Vec<TargetRow> = fetch_all(&self.read, &sql, &args).await?;
                targets.extend(rows.into_iter().map(MetricTarget::from));
            }
        }
        Ok(targets)
    }

    /// Stores every entry in one transaction, or none.
    pub async fn insert_metric_entries(&self, entries: &[MetricEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let statements: Vec<Statement> = entries
            .chunks(ROWS_PER_INSERT)
            .map(|chunk| {
                let args = chunk
                    .iter()
                    .flat_map(|entry| {
                        [
                            Arg::Uuid(entry.id),
                            Arg::Uuid(entry.service_id),
                            Arg::Uuid(entry.type_id),
                            Arg::Uuid(entry.agent_id),
                            Arg::Uuid(entry.provider_id),
                            Arg::Uuid(entry.consumer_id),
                            Arg::Text(entry.resource_id.clone()),
                            Arg::Float(entry.value),
                            Arg::Time(entry.created_at),
                        ]
                    })
                    .collect();
                Statement::new(insert_entries_sql(chunk.len()), args)
            })
            .collect();
        self.apply(&statements, &[], Utc::now()).await
    }

    pub async fn metric_entries(
        &self,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<MetricEntry>> {
        let select = format!("SELECT {ENTRY_COLUMNS} FROM metric_entries");
        let page: Page<EntryRow> = fetch_scoped_page(
            &self.read,
            (&select, "metric_entries", "id"),
            (scope, ENTRY_SCOPE),
            query,
        )
        .await?;
        Ok(page.map(MetricEntry::from))
    }

    /// One page of the distinct resource ids among the entries `scope` and
    /// the query's filters select.
    pub async fn metric_resource_ids(
        &self,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<String>> {
        if query.cursor.is_some() {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "cursor",
                "this list is read by page number only",
            )]));
        }
        let mut filter = Where::new();
        filter.scope(scope, ENTRY_SCOPE);
        filter.filters(&query.filters);
        let where_sql = filter.sql();
        let direction = if query.sort.descending { "DESC" } else { "ASC" };
        let rows_sql = format!(
            "SELECT DISTINCT resource_id FROM metric_entries{where_sql} ORDER BY resource_id {direction} LIMIT {} OFFSET {}",
            query.page.limit(),
            query.page.offset()
        );
        let count_sql =
            format!("SELECT COUNT(DISTINCT resource_id) FROM metric_entries{where_sql}");
        let rows: Vec<(String,)> = fetch_all(&self.read, &rows_sql, &filter.args).await?;
        let total: Option<(i64,)> = fetch_optional(&self.read, &count_sql, &filter.args).await?;
        let total = total.map_or(0, |(n,)| n.max(0) as u64);
        Ok(Page::new(
            rows.into_iter().map(|(id,)| id).collect(),
            total,
            query.page,
        ))
    }

    /// Per-bucket statistics of one series (a service's resource and metric
    /// type) over the query's range, oldest bucket first; buckets without
    /// entries are absent.
    pub async fn metric_series(
        &self,
        scope: ListScope,
        service_id: Uuid,
        resource_id: &str,
        type_id: Uuid,
        query: &AggregateQuery,
    ) -> Result<Vec<BucketStats>> {
        let mut filter = Where::new();
        filter.eq("service_id", Arg::Uuid(service_id));
        filter.eq("resource_id", Arg::Text(resource_id.to_string()));
        filter.eq("type_id", Arg::Uuid(type_id));
        let start = filter.param(Arg::Time(query.start));
        filter.and(format!("created_at >= {start}"));
        let end = filter.param(Arg::Time(query.end));
        filter.and(format!("created_at <= {end}"));
        filter.scope(scope, ENTRY_SCOPE);
        let sql = format!(
            "SELECT {} AS bucket_start, COUNT(*) AS entries, MIN(value) AS min_value, MAX(value) AS max_value, SUM(value) AS sum_value \
             FROM metric_entries{} GROUP BY bucket_start ORDER BY bucket_start",
            bucket_start(self.backend(), query.bucket),
            filter.sql()
        );
        let rows: Vec<BucketRow> = fetch_all(&self.read, &sql, &filter.args).await?;
        rows.into_iter()
            .map(|row| {
                let start = DateTime::parse_from_rfc3339(&row.bucket_start)
                    .map_err(|e| StoreError::Database(sqlx::Error::Decode(e.into())))?
                    .with_timezone(&Utc);
                Ok(BucketStats {
                    start,
                    count: row.entries.max(0) as u64,
                    min: row.min_value,
                    max: row.max_value,
                    sum: row.sum_value,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_statements_number_every_row_in_order() {
        assert_eq!(
            insert_entries_sql(2),
            format!(
                "INSERT INTO metric_entries ({ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9), ($10, $11, $12, $13, $14, $15, $16, $17, $18)"
            )
        );
    }

    #[test]
    fn a_full_insert_binds_nine_parameters_per_row() {
        let sql = insert_entries_sql(ROWS_PER_INSERT);
        assert!(sql.ends_with(&format!("${})", ROWS_PER_INSERT * 9)));
    }
}
