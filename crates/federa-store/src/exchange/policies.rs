use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::exchange::placement::{PlacementPolicy, PlacementRequest};
use federa_domain::listing::{ListQuery, Page};
use sqlx::types::Json;
use uuid::Uuid;

use super::Stored;
use crate::error::Result;
use crate::sql::{fetch_page, Arg, ScopeColumns, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

const SELECT: &str = "SELECT id, participant_id, name, rules, attached, created_at, updated_at FROM placement_policies";

const SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("participant_id"),
    consumer: None,
    agent: None,
};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    participant_id: Uuid,
    name: String,
    rules: Json<PlacementRequest>,
    attached: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Stored<PlacementPolicy> {
    fn from(row: Row) -> Stored<PlacementPolicy> {
        Stored {
            value: PlacementPolicy {
                id: row.id,
                participant_id: row.participant_id,
                name: row.name,
                rules: row.rules.0,
                attached: row.attached,
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn row_args(policy: &Stored<PlacementPolicy>) -> Vec<Arg> {
    let value = &policy.value;
    vec![
        Arg::Uuid(value.id),
        Arg::Text(value.name.clone()),
        Arg::Json(serde_json::to_value(&value.rules).unwrap_or_default()),
        Arg::Bool(value.attached),
        Arg::Time(policy.updated_at),
    ]
}

impl Store {
    pub async fn placement_policy(&self, id: Uuid) -> Result<Option<Stored<PlacementPolicy>>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(Stored::from))
    }

    pub async fn placement_policies(
        &self,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<Stored<PlacementPolicy>>> {
        let mut filter = Where::new();
        filter.scope(scope, SCOPE);
        filter.filters(&query.filters);
        let page: Page<Row> = fetch_page(
            &self.read,
            SELECT,
            "placement_policies",
            &filter,
            query,
            "id",
        )
        .await?;
        Ok(page.map(Stored::from))
    }

    /// The policies attached to a consumer, oldest first: every placement
    /// it asks for is narrowed by all of them.
    pub async fn attached_placement_policies(
        &self,
        participant_id: Uuid,
    ) -> Result<Vec<PlacementPolicy>> {
        let rows: Vec<Row> = fetch_all(
            &self.read,
            &format!(
                "{SELECT} WHERE participant_id = $1 AND attached = $2 ORDER BY created_at, id"
            ),
            &[Arg::Uuid(participant_id), Arg::Bool(true)],
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Stored::from(row).value)
            .collect())
    }

    pub async fn insert_placement_policy(
        &self,
        policy: &Stored<PlacementPolicy>,
        event: &NewEvent,
    ) -> Result<()> {
        let mut args = row_args(policy);
        args.extend([
            Arg::Uuid(policy.value.participant_id),
            Arg::Time(policy.created_at),
        ]);
        let statement = Statement::new(
            "INSERT INTO placement_policies (id, name, rules, attached, updated_at, participant_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args,
        );
        self.apply(&[statement], std::slice::from_ref(event), policy.created_at)
            .await
    }

    pub async fn update_placement_policy(
        &self,
        policy: &Stored<PlacementPolicy>,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "UPDATE placement_policies SET name = $2, rules = $3, attached = $4, updated_at = $5 WHERE id = $1",
            row_args(policy),
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), policy.updated_at)
            .await
    }

    pub async fn delete_placement_policy(
        &self,
        id: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            "DELETE FROM placement_policies WHERE id = $1",
            vec![Arg::Uuid(id)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
    }
}
