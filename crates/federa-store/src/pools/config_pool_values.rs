use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use federa_domain::pools::ConfigPoolValue;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::Result;
use crate::sql::{fetch_page, Arg, ScopeColumns, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

const SELECT: &str = "SELECT id, name, value, config_pool_id, participant_id, agent_id, property_name, allocated_at, created_at, updated_at FROM config_pool_values";

const SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("participant_id"),
    consumer: None,
    agent: None,
};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    value: Json<Value>,
    config_pool_id: Uuid,
    participant_id: Option<Uuid>,
    agent_id: Option<Uuid>,
    property_name: Option<String>,
    allocated_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for ConfigPoolValue {
    fn from(row: Row) -> ConfigPoolValue {
        ConfigPoolValue {
            id: row.id,
            name: row.name,
            value: row.value.0,
            config_pool_id: row.config_pool_id,
            participant_id: row.participant_id,
            agent_id: row.agent_id,
            property_name: row.property_name,
            allocated_at: row.allocated_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Store {
    pub async fn config_pool_value(&self, id: Uuid) -> Result<Option<ConfigPoolValue>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(ConfigPoolValue::from))
    }

    pub async fn config_pool_values(
        &self,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<ConfigPoolValue>> {
        let mut filter = Where::new();
        filter.scope(scope, SCOPE);
        filter.filters(&query.filters);
        let page: Page<Row> = fetch_page(
            &self.read,
            SELECT,
            "config_pool_values",
            &filter,
            query,
            "id",
        )
        .await?;
        Ok(page.map(ConfigPoolValue::from))
    }

    /// The values an agent holds, one per configuration property.
    pub async fn config_values_of_agent(&self, agent_id: Uuid) -> Result<Vec<ConfigPoolValue>> {
        let rows: Vec<Row> = fetch_all(
            &self.read,
            &format!("{SELECT} WHERE agent_id = $1 ORDER BY property_name, id"),
            &[Arg::Uuid(agent_id)],
        )
        .await?;
        Ok(rows.into_iter().map(ConfigPoolValue::from).collect())
    }

    pub async fn insert_config_pool_value(
        &self,
        value: &ConfigPoolValue,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "INSERT INTO config_pool_values (id, name, value, config_pool_id, participant_id, agent_id, property_name, allocated_at, address, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL, NULL, $6, $7)",
            vec![
                Arg::Uuid(value.id),
                Arg::Text(value.name.clone()),
                Arg::Json(value.value.clone()),
                Arg::Uuid(value.config_pool_id),
                Arg::OptUuid(value.participant_id),
                Arg::Time(value.created_at),
                Arg::Time(value.updated_at),
            ],
        );
        self.apply(&[statement], std::slice::from_ref(event), value.created_at)
            .await
    }
}
