use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::catalogue::ServiceGroup;
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use uuid::Uuid;

use super::in_use;
use crate::error::Result;
use crate::sql::{fetch_page, Arg, ScopeColumns, Where};
use crate::write::{fetch_optional, Statement};
use crate::Store;

const SELECT: &str = "SELECT id, name, consumer_id, created_at, updated_at FROM service_groups";

/// Agents see the groups of the services they run.
const SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("consumer_id"),
    consumer: Some("consumer_id"),
    agent: Some("EXISTS (SELECT 1 FROM services s WHERE s.group_id = service_groups.id AND s.agent_id = {})"),
};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    consumer_id: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for ServiceGroup {
    fn from(row: Row) -> ServiceGroup {
        ServiceGroup {
            id: row.id,
            name: row.name,
            consumer_id: row.consumer_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Store {
    pub async fn service_group(&self, id: Uuid) -> Result<Option<ServiceGroup>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(ServiceGroup::from))
    }

    pub async fn service_groups(
        &self,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<ServiceGroup>> {
        let mut filter = Where::new();
        filter.scope(scope, SCOPE);
        filter.filters(&query.filters);
        let page: Page<Row> =
            fetch_page(&self.read, SELECT, "service_groups", &filter, query, "id").await?;
        Ok(page.map(ServiceGroup::from))
    }

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

    pub async fn insert_service_group(&self, group: &ServiceGroup, event: &NewEvent) -> Result<()> {
        let statement = Statement::new(
            "INSERT INTO service_groups (id, name, consumer_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                Arg::Uuid(group.id),
                Arg::Text(group.name.clone()),
                Arg::Uuid(group.consumer_id),
                Arg::Time(group.created_at),
                Arg::Time(group.updated_at),
            ],
        );
        self.apply(&[statement], std::slice::from_ref(event), group.created_at)
            .await
    }

    pub async fn update_service_group(&self, group: &ServiceGroup, event: &NewEvent) -> Result<()> {
        let statement = Statement::new(
            "UPDATE service_groups SET name = $2, updated_at = $3 WHERE id = $1",
            vec![
                Arg::Uuid(group.id),
                Arg::Text(group.name.clone()),
                Arg::Time(group.updated_at),
            ],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), group.updated_at)
            .await
    }

    pub async fn delete_service_group(
        &self,
        id: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            "DELETE FROM service_groups WHERE id = $1",
            vec![Arg::Uuid(id)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
            .map_err(|e| in_use(e, "the service group still has services; delete them first"))
    }
}
