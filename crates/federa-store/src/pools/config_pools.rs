use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use federa_domain::pools::{ConfigPool, GeneratorType, PoolPropertyType};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::sql::{fetch_page, Arg, ScopeColumns, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

const SELECT: &str = "SELECT id, name, type, property_type, generator_type, generator_config, participant_id, created_at, updated_at FROM config_pools";

/// Global pools have no owner, so a participant's list never shows them.
const SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("participant_id"),
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
    participant_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for ConfigPool {
    fn from(row: Row) -> ConfigPool {
        ConfigPool {
            id: row.id,
            name: row.name,
            pool_type: row.pool_type,
            // Written only from the enums.
            property_type: PoolPropertyType::parse("propertyType", &row.property_type)
                .unwrap_or(PoolPropertyType::Json),
            generator_type: GeneratorType::parse("generatorType", &row.generator_type)
                .unwrap_or(GeneratorType::List),
            generator_config: row.generator_config.map(|j| j.0),
            participant_id: row.participant_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

const TYPE_TAKEN: &str = "another config pool in the same scope has this type";

impl Store {
    pub async fn config_pool(&self, id: Uuid) -> Result<Option<ConfigPool>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(ConfigPool::from))
    }

    /// Every pool of `pool_type`, whoever owns it: few, since each scope has
    /// at most one.
    pub async fn config_pools_of_type(&self, pool_type: &str) -> Result<Vec<ConfigPool>> {
        let rows: Vec<Row> = fetch_all(
            &self.read,
            &format!("{SELECT} WHERE type = $1 ORDER BY created_at, id"),
            &[Arg::Text(pool_type.to_string())],
        )
        .await?;
        Ok(rows.into_iter().map(ConfigPool::from).collect())
    }

    pub async fn config_pools(
        &self,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<ConfigPool>> {
        let mut filter = Where::new();
        filter.scope(scope, SCOPE);
        filter.filters(&query.filters);
        let page: Page<Row> =
            fetch_page(&self.read, SELECT, "config_pools", &filter, query, "id").await?;
        Ok(page.map(ConfigPool::from))
    }

    /// Inserts a pool unless its type is taken in its scope, the rule of
    /// `federa_domain::pools::type_clash`: checked in the insert itself so
    /// a concurrent creator cannot slip in between; a lost race is a
    /// `Conflict`.
    pub async fn insert_config_pool(&self, pool: &ConfigPool, event: &NewEvent) -> Result<()> {
        let statement = Statement::new(
            "INSERT INTO config_pools (id, name, type, property_type, generator_type, generator_config, participant_id, created_at, updated_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE NOT EXISTS \
             (SELECT 1 FROM config_pools WHERE type = $3 AND (participant_id IS NULL OR $7 IS NULL OR participant_id = $7))",
            vec![
                Arg::Uuid(pool.id),
                Arg::Text(pool.name.clone()),
                Arg::Text(pool.pool_type.clone()),
                Arg::Text(pool.property_type.as_str().into()),
                Arg::Text(pool.generator_type.as_str().into()),
                Arg::OptJson(pool.generator_config.clone()),
                Arg::OptUuid(pool.participant_id),
                Arg::Time(pool.created_at),
                Arg::Time(pool.updated_at),
            ],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), pool.created_at)
            .await
            .map_err(|e| match e {
                StoreError::NotFound | StoreError::Conflict(_) => {
                    StoreError::Conflict(TYPE_TAKEN.into())
                }
                other => other,
            })
    }
}
