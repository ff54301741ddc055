use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use federa_domain::pools::{GeneratorType, PoolPropertyType, ServicePool};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::catalogue::taken;
use crate::error::Result;
use crate::sql::{fetch_page, Arg, ScopeColumns, Where};
use crate::write::{fetch_optional, Statement};
use crate::Store;

const SELECT: &str = "SELECT id, name, type, property_type, generator_type, generator_config, service_pool_set_id, \
     (SELECT s.name FROM service_pool_sets s WHERE s.id = service_pools.service_pool_set_id) AS service_pool_set_name, \
     provider_id, created_at, updated_at FROM service_pools";

const SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("provider_id"),
    consumer: None,
    agent: None,
};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    #[sqlx(rename = "type")]
    pool_type: String,
    property_type: String,
    generator_type: String,
    generator_config: Option<Json<Value>>,
    service_pool_set_id: Uuid,
    service_pool_set_name: Option<String>,
    provider_id: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for ServicePool {
    fn from(row: Row) -> ServicePool {
        ServicePool {
            id: row.id,
            name: row.name,
            pool_type: row.pool_type,
            // Written only from the enums.
            property_type: PoolPropertyType::parse("propertyType", &row.property_type)
                .unwrap_or(PoolPropertyType::Json),
            generator_type: GeneratorType::parse("generatorType", &row.generator_type)
                .unwrap_or(GeneratorType::List),
            generator_config: row.generator_config.map(|j| j.0),
            service_pool_set_id: row.service_pool_set_id,
            service_pool_set_name: row.service_pool_set_name.unwrap_or_default(),
            provider_id: row.provider_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

const TYPE_TAKEN: &str = "another pool of this pool set has this type";

impl Store {
    pub async fn service_pool(&self, id: Uuid) -> Result<Option<ServicePool>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(ServicePool::from))
    }

    /// The pool of `pool_type` in a set: where a `pool` generator draws from.
    pub async fn service_pool_of_type(
        &self,
        set_id: Uuid,
        pool_type: &str,
    ) -> Result<Option<ServicePool>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE service_pool_set_id = $1 AND type = $2"),
            &[Arg::Uuid(set_id), Arg::Text(pool_type.to_string())],
        )
        .await?;
        Ok(row.map(ServicePool::from))
    }

    pub async fn service_pools(
        &self,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<ServicePool>> {
        let mut filter = Where::new();
        filter.scope(scope, SCOPE);
        filter.filters(&query.filters);
        let page: Page<Row> =
            fetch_page(&self.read, SELECT, "service_pools", &filter, query, "id").await?;
        Ok(page.map(ServicePool::from))
    }

    pub async fn insert_service_pool(&self, pool: &ServicePool, event: &NewEvent) -> Result<()> {
        let statement = Statement::new(
            "INSERT INTO service_pools (id, name, type, property_type, generator_type, generator_config, service_pool_set_id, provider_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            vec![
                Arg::Uuid(pool.id),
                Arg::Text(pool.name.clone()),
                Arg::Text(pool.pool_type.clone()),
                Arg::Text(pool.property_type.as_str().into()),
                Arg::Text(pool.generator_type.as_str().into()),
                Arg::OptJson(pool.generator_config.clone()),
                Arg::Uuid(pool.service_pool_set_id),
                Arg::Uuid(pool.provider_id),
                Arg::Time(pool.created_at),
                Arg::Time(pool.updated_at),
            ],
        );
        self.apply(&[statement], std::slice::from_ref(event), pool.created_at)
            .await
            .map_err(|e| taken(e, TYPE_TAKEN))
    }
}
