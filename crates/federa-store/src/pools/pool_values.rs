use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use federa_domain::pools::{ListedValue, ServicePoolValue};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::PoolFamily;
use crate::error::Result;
use crate::sql::{fetch_page, Arg, ScopeColumns, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

const SELECT: &str = "SELECT id, name, value, service_pool_id, provider_id, service_id, property_name, allocated_at, created_at, updated_at FROM service_pool_values";

const SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("provider_id"),
    consumer: None,
    agent: None,
};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    value: Json<Value>,
    service_pool_id: Uuid,
    provider_id: Uuid,
    service_id: Option<Uuid>,
    property_name: Option<String>,
    allocated_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for ServicePoolValue {
    fn from(row: Row) -> ServicePoolValue {
        ServicePoolValue {
            id: row.id,
            name: row.name,
            value: row.value.0,
            service_pool_id: row.service_pool_id,
            provider_id: row.provider_id,
            service_id: row.service_id,
            property_name: row.property_name,
            allocated_at: row.allocated_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Store {
    pub async fn service_pool_value(&self, id: Uuid) -> Result<Option<ServicePoolValue>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(ServicePoolValue::from))
    }

    pub async fn service_pool_values(
        &self,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<ServicePoolValue>> {
        let mut filter = Where::new();
        filter.scope(scope, SCOPE);
        filter.filters(&query.filters);
        let page: Page<Row> = fetch_page(
            &self.read,
            SELECT,
            "service_pool_values",
            &filter,
            query,
            "id",
        )
        .await?;
        Ok(page.map(ServicePoolValue::from))
    }

    /// Up to `limit` free values of a list pool of `family`, oldest first.
    /// Only a candidate: the claim decides whether it is still free.
    pub async fn free_listed_values(
        &self,
        family: PoolFamily,
        pool_id: Uuid,
        limit: usize,
    ) -> Result<Vec<ListedValue>> {
        let sql = format!(
            "SELECT id, value FROM {table} WHERE {pool} = $1 AND {holder} IS NULL ORDER BY created_at, id LIMIT {limit}",
            table = family.values_table(),
            pool = family.pool_column(),
            holder = family.holder_column(),
        );
        let rows: Vec<(Uuid, Json<Value>)> =
            fetch_all(&self.read, &sql, &[Arg::Uuid(pool_id)]).await?;
        Ok(rows
            .into_iter()
            .map(|(id, value)| ListedValue { id, value: value.0 })
            .collect())
    }

    /// Every address a subnet pool of `family` has handed out and not yet
    /// taken back.
    pub async fn generated_addresses(
        &self,
        family: PoolFamily,
        pool_id: Uuid,
    ) -> Result<Vec<String>> {
        let sql = format!(
            "SELECT address FROM {table} WHERE {pool} = $1 AND address IS NOT NULL",
            table = family.values_table(),
            pool = family.pool_column(),
        );
        let rows: Vec<(String,)> = fetch_all(&self.read, &sql, &[Arg::Uuid(pool_id)]).await?;
        Ok(rows.into_iter().map(|(address,)| address).collect())
    }

    pub async fn insert_service_pool_value(
        &self,
        value: &ServicePoolValue,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "INSERT INTO service_pool_values (id, name, value, service_pool_id, provider_id, service_id, property_name, allocated_at, address, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL, NULL, $6, $7)",
            vec![
                Arg::Uuid(value.id),
                Arg::Text(value.name.clone()),
                Arg::Json(value.value.clone()),
                Arg::Uuid(value.service_pool_id),
                Arg::Uuid(value.provider_id),
                Arg::Time(value.created_at),
                Arg::Time(value.updated_at),
            ],
        );
        self.apply(&[statement], std::slice::from_ref(event), value.created_at)
            .await
    }

    /// Deletes a value of `family` that nobody holds; `NotFound` if it is
    /// gone or was taken meanwhile.
    pub async fn delete_free_pool_value(
        &self,
        family: PoolFamily,
        id: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            format!(
                "DELETE FROM {table} WHERE id = $1 AND {holder} IS NULL",
                table = family.values_table(),
                holder = family.holder_column(),
            ),
            vec![Arg::Uuid(id)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
    }
}
