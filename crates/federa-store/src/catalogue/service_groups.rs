use chrono::{DateTime, Utc};
use federa_domain::catalogue::ServiceGroup;
use uuid::Uuid;

use crate::error::Result;
use crate::records::{Record, Table};
use crate::sql::{Arg, ScopeColumns};
use crate::write::fetch_optional;
use crate::Store;

#[derive(sqlx::FromRow)]
pub struct Row {
    id: Uuid,
    name: String,
    consumer_id: Uuid,
    project_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for ServiceGroup {
    fn from(row: Row) -> ServiceGroup {
        ServiceGroup {
            id: row.id,
            name: row.name,
            consumer_id: row.consumer_id,
            project_id: row.project_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Record for ServiceGroup {
    type Row = Row;
    const TABLE: Table = Table::new(
        "service_groups",
        &[
            "id",
            "name",
            "consumer_id",
            "project_id",
            "created_at",
            "updated_at",
        ],
        &["name", "project_id", "updated_at"],
    )
    .scoped(ScopeColumns {
        owner: Some("consumer_id"),
        consumer: Some("consumer_id"),
        // Agents see the groups of the services they run.
        agent: Some("EXISTS (SELECT 1 FROM services s WHERE s.group_id = service_groups.id AND s.agent_id = {})"),
    })
    .in_use("the service group still has services; delete them first");

    fn values(&self) -> Vec<Arg> {
        vec![
            Arg::Uuid(self.id),
            Arg::Text(self.name.clone()),
            Arg::Uuid(self.consumer_id),
            Arg::OptUuid(self.project_id),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

impl Store {
    /// Whether `agent_id` runs any service of the group.
    pub async fn group_has_agent(&self, group_id: Uuid, agent_id: Uuid) -> Result<bool> {
        let row: Option<(Uuid,)> = fetch_optional(
            &self.read,
            "SELECT id FROM services WHERE group_id = $1 AND agent_id = $2 LIMIT 1",
            &[Arg::Uuid(group_id), Arg::Uuid(agent_id)],
        )
        .await?;
        Ok(row.is_some())
    }
}
