use chrono::{DateTime, Utc};
use federa_domain::catalogue::ServiceType;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::Result;
use crate::records::{Record, Table};
use crate::sql::Arg;
use crate::write::{fetch_all, fetch_optional};
use crate::Store;

#[derive(sqlx::FromRow)]
pub struct Row {
    id: Uuid,
    name: String,
    property_schema: Option<Json<Value>>,
    lifecycle_schema: Option<Json<Value>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for ServiceType {
    fn from(row: Row) -> ServiceType {
        ServiceType {
            id: row.id,
            name: row.name,
            property_schema: row.property_schema.map(|j| j.0),
            lifecycle_schema: row.lifecycle_schema.map(|j| j.0),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Record for ServiceType {
    type Row = Row;
    const TABLE: Table = Table::new(
        "service_types",
        &["id", "name", "property_schema", "lifecycle_schema", "created_at", "updated_at"],
        &["name", "property_schema", "lifecycle_schema", "updated_at"],
    )
    .taken("another service type has this name")
    .in_use("the service type is still offered by an agent type or used by services; remove those first");

    fn values(&self) -> Vec<Arg> {
        vec![
            Arg::Uuid(self.id),
            Arg::Text(self.name.clone()),
            Arg::OptJson(self.property_schema.clone()),
            Arg::OptJson(self.lifecycle_schema.clone()),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

impl Store {
    /// The states services of this type are in now: a new lifecycle must
    /// keep them, or those services could never move again.
    pub async fn service_type_states_in_use(&self, id: Uuid) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = fetch_all(
            &self.read,
            "SELECT DISTINCT status FROM services WHERE service_type_id = $1",
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(rows.into_iter().map(|(status,)| status).collect())
    }
}

/// What a `serviceReference` validator needs to know about a service.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReferencedService {
    pub service_type_name: String,
    pub consumer_id: Uuid,
    pub group_id: Uuid,
}

impl Store {
    pub async fn referenced_service(&self, id: Uuid) -> Result<Option<ReferencedService>> {
        fetch_optional(
            &self.read,
            "SELECT t.name AS service_type_name, s.consumer_id, s.group_id FROM services s JOIN service_types t ON t.id = s.service_type_id WHERE s.id = $1",
            &[Arg::Uuid(id)],
        )
        .await
    }
}
