use chrono::{DateTime, Utc};
use federa_domain::catalogue::ServiceType;
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::{in_use, taken};
use crate::error::Result;
use crate::sql::{fetch_page, Arg, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

const SELECT: &str =
    "SELECT id, name, property_schema, lifecycle_schema, created_at, updated_at FROM service_types";

#[derive(sqlx::FromRow)]
struct Row {
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

const NAME_TAKEN: &str = "another service type has this name";

impl Store {
    pub async fn service_type(&self, id: Uuid) -> Result<Option<ServiceType>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(ServiceType::from))
    }

    pub async fn service_types(&self, query: &ListQuery) -> Result<Page<ServiceType>> {
        let mut filter = Where::new();
        filter.filters(&query.filters);
        let page: Page<Row> =
            fetch_page(&self.read, SELECT, "service_types", &filter, query, "id").await?;
        Ok(page.map(ServiceType::from))
    }

    pub async fn insert_service_type(
        &self,
        service_type: &ServiceType,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "INSERT INTO service_types (id, name, property_schema, lifecycle_schema, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                Arg::Uuid(service_type.id),
                Arg::Text(service_type.name.clone()),
                Arg::OptJson(service_type.property_schema.clone()),
                Arg::OptJson(service_type.lifecycle_schema.clone()),
                Arg::Time(service_type.created_at),
                Arg::Time(service_type.updated_at),
            ],
        );
        self.apply(
            &[statement],
            std::slice::from_ref(event),
            service_type.created_at,
        )
        .await
        .map_err(|e| taken(e, NAME_TAKEN))
    }

    pub async fn update_service_type(
        &self,
        service_type: &ServiceType,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "UPDATE service_types SET name = $2, property_schema = $3, lifecycle_schema = $4, updated_at = $5 WHERE id = $1",
            vec![
                Arg::Uuid(service_type.id),
                Arg::Text(service_type.name.clone()),
                Arg::OptJson(service_type.property_schema.clone()),
                Arg::OptJson(service_type.lifecycle_schema.clone()),
                Arg::Time(service_type.updated_at),
            ],
        )
        .must_change();
        self.apply(
            &[statement],
            std::slice::from_ref(event),
            service_type.updated_at,
        )
        .await
        .map_err(|e| taken(e, NAME_TAKEN))
    }

    pub async fn delete_service_type(
        &self,
        id: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            "DELETE FROM service_types WHERE id = $1",
            vec![Arg::Uuid(id)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now).await.map_err(|e| {
            in_use(
                e,
                "the service type is still offered by an agent type or used by services; remove those first",
            )
        })
    }

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
