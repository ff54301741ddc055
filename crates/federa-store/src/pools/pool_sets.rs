use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use federa_domain::pools::ServicePoolSet;
use uuid::Uuid;

use crate::catalogue::in_use;
use crate::error::{Result, StoreError};
use crate::sql::{fetch_page, Arg, ScopeColumns, Where};
use crate::write::{fetch_optional, Statement};
use crate::Store;

const SELECT: &str = "SELECT id, name, provider_id, created_at, updated_at FROM service_pool_sets";

const SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("provider_id"),
    consumer: None,
    agent: None,
};

#[derive(sqlx::FromRow)]
struct Row {
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

impl Store {
    pub async fn service_pool_set(&self, id: Uuid) -> Result<Option<ServicePoolSet>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(ServicePoolSet::from))
    }

    pub async fn service_pool_sets(
        &self,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<ServicePoolSet>> {
        let mut filter = Where::new();
        filter.scope(scope, SCOPE);
        filter.filters(&query.filters);
        let page: Page<Row> = fetch_page(
            &self.read,
            SELECT,
            "service_pool_sets",
            &filter,
            query,
            "id",
        )
        .await?;
        Ok(page.map(ServicePoolSet::from))
    }

    pub async fn insert_service_pool_set(
        &self,
        set: &ServicePoolSet,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "INSERT INTO service_pool_sets (id, name, provider_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                Arg::Uuid(set.id),
                Arg::Text(set.name.clone()),
                Arg::Uuid(set.provider_id),
                Arg::Time(set.created_at),
                Arg::Time(set.updated_at),
            ],
        );
        self.apply(&[statement], std::slice::from_ref(event), set.created_at)
            .await
    }

    pub async fn update_service_pool_set(
        &self,
        set: &ServicePoolSet,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "UPDATE service_pool_sets SET name = $2, updated_at = $3 WHERE id = $1",
            vec![
                Arg::Uuid(set.id),
                Arg::Text(set.name.clone()),
                Arg::Time(set.updated_at),
            ],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), set.updated_at)
            .await
    }

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
        let statement = Statement::new(
            "DELETE FROM service_pool_sets WHERE id = $1",
            vec![Arg::Uuid(id)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
            .map_err(|e| in_use(e, "the pool set still has pools; delete them first"))
    }
}
