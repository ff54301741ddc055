use chrono::{DateTime, Utc};
use federa_domain::event::NewEvent;
use federa_domain::pools::ServicePoolSet;
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::records::{Record, Table};
use crate::sql::{Arg, ScopeColumns};
use crate::write::fetch_optional;
use crate::Store;

#[derive(sqlx::FromRow)]
pub struct Row {
    id: Uuid,
    name: String,
    provider_id: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for ServicePoolSet {
    fn from(row: Row) -> ServicePoolSet {
        ServicePoolSet {
            id: row.id,
            name: row.name,
            provider_id: row.provider_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Record for ServicePoolSet {
    type Row = Row;
    const TABLE: Table = Table::new(
        "service_pool_sets",
        &["id", "name", "provider_id", "created_at", "updated_at"],
        &["name", "updated_at"],
    )
    .scoped(ScopeColumns {
        owner: Some("provider_id"),
        consumer: None,
        agent: None,
    })
    .in_use("the pool set still has pools; delete them first");

    fn values(&self) -> Vec<Arg> {
        vec![
            Arg::Uuid(self.id),
            Arg::Text(self.name.clone()),
            Arg::Uuid(self.provider_id),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

impl Store {
    /// Refused while pools belong to the set or agents draw from it; agents
    /// name their set without a foreign key, so the delete checks them itself.
    pub async fn delete_service_pool_set(
        &self,
        id: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let used: Option<(Uuid,)> = fetch_optional(
            &self.read,
            "SELECT id FROM agents WHERE service_pool_set_id = $1 LIMIT 1",
            &[Arg::Uuid(id)],
        )
        .await?;
        if used.is_some() {
            return Err(StoreError::Conflict(
                "agents still draw from this pool set; point them elsewhere first".into(),
            ));
        }
        self.delete_record::<ServicePoolSet>(id, event, now).await
    }
}
