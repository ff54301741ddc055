//! Values of pools of either family: reading, listing, adding and deleting
//! them, and the candidates a claim tries. Claims and releases themselves
//! run with the write of their holder (`allocation`).

use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use federa_domain::pools::{ListedValue, PoolFamily, PoolValue};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::tables::tables;
use crate::error::Result;
use crate::sql::{fetch_scoped_page, Arg};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

fn select(family: PoolFamily) -> String {
    let tables = tables(family);
    format!(
        "SELECT id, name, value, {pool} AS pool_id, {owner} AS owner_id, {holder} AS holder_id, property_name, allocated_at, created_at, updated_at FROM {values}",
        pool = tables.pool_column,
        owner = tables.owner_column,
        holder = tables.holder_column,
        values = tables.values,
    )
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    value: Json<Value>,
    pool_id: Uuid,
    owner_id: Option<Uuid>,
    holder_id: Option<Uuid>,
    property_name: Option<String>,
    allocated_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Row {
    fn into_value(self, family: PoolFamily) -> PoolValue {
        PoolValue {
            family,
            id: self.id,
            name: self.name,
            value: self.value.0,
            pool_id: self.pool_id,
            owner_id: self.owner_id,
            holder_id: self.holder_id,
            property_name: self.property_name,
            allocated_at: self.allocated_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

impl Store {
    pub async fn pool_value(&self, family: PoolFamily, id: Uuid) -> Result<Option<PoolValue>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{} WHERE id = $1", select(family)),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(|row| row.into_value(family)))
    }

    pub async fn pool_values(
        &self,
        family: PoolFamily,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<PoolValue>> {
        let tables = tables(family);
        let page: Page<Row> = fetch_scoped_page(
            &self.read,
            (&select(family), tables.values, "id"),
            (scope, tables.scope()),
            query,
        )
        .await?;
        Ok(page.map(|row| row.into_value(family)))
    }

    /// The values a service or agent holds, one per property.
    pub async fn values_held_by(
        &self,
        family: PoolFamily,
        holder_id: Uuid,
    ) -> Result<Vec<PoolValue>> {
        let rows: Vec<Row> = fetch_all(
            &self.read,
            &format!(
                "{} WHERE {} = $1 ORDER BY property_name, id",
                select(family),
                tables(family).holder_column
            ),
            &[Arg::Uuid(holder_id)],
        )
        .await?;
        Ok(rows.into_iter().map(|row| row.into_value(family)).collect())
    }

    /// Up to `limit` free values of a list pool of `family`, oldest first.
    /// Only a candidate: the claim decides whether it is still free.
    pub async fn free_listed_values(
        &self,
        family: PoolFamily,
        pool_id: Uuid,
        limit: usize,
    ) -> Result<Vec<ListedValue>> {
        let tables = tables(family);
        let sql = format!(
            "SELECT id, value FROM {table} WHERE {pool} = $1 AND {holder} IS NULL ORDER BY created_at, id LIMIT {limit}",
            table = tables.values,
            pool = tables.pool_column,
            holder = tables.holder_column,
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
        let tables = tables(family);
        let sql = format!(
            "SELECT address FROM {table} WHERE {pool} = $1 AND address IS NOT NULL",
            table = tables.values,
            pool = tables.pool_column,
        );
        let rows: Vec<(String,)> = fetch_all(&self.read, &sql, &[Arg::Uuid(pool_id)]).await?;
        Ok(rows.into_iter().map(|(address,)| address).collect())
    }

    /// Adds a free value to a list pool.
    pub async fn insert_pool_value(&self, value: &PoolValue, event: &NewEvent) -> Result<()> {
        let tables = tables(value.family);
        let statement = Statement::new(
            format!(
                "INSERT INTO {table} (id, name, value, {pool}, {owner}, {holder}, property_name, allocated_at, address, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL, NULL, $6, $7)",
                table = tables.values,
                pool = tables.pool_column,
                owner = tables.owner_column,
                holder = tables.holder_column,
            ),
            vec![
                Arg::Uuid(value.id),
                Arg::Text(value.name.clone()),
                Arg::Json(value.value.clone()),
                Arg::Uuid(value.pool_id),
                Arg::OptUuid(value.owner_id),
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
        let tables = tables(family);
        let statement = Statement::new(
            format!(
                "DELETE FROM {table} WHERE id = $1 AND {holder} IS NULL",
                table = tables.values,
                holder = tables.holder_column,
            ),
            vec![Arg::Uuid(id)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
    }
}
