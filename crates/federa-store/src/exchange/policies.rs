use chrono::{DateTime, Utc};
use federa_domain::exchange::placement::{PlacementPolicy, PlacementRequest};
use sqlx::types::Json;
use uuid::Uuid;

use super::Stored;
use crate::error::Result;
use crate::records::{Record, Table};
use crate::sql::{Arg, ScopeColumns};
use crate::write::fetch_all;
use crate::Store;

#[derive(sqlx::FromRow)]
pub struct Row {
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

impl Record for Stored<PlacementPolicy> {
    type Row = Row;
    const TABLE: Table = Table::new(
        "placement_policies",
        &[
            "id",
            "participant_id",
            "name",
            "rules",
            "attached",
            "created_at",
            "updated_at",
        ],
        &["name", "rules", "attached", "updated_at"],
    )
    .scoped(ScopeColumns {
        owner: Some("participant_id"),
        consumer: None,
        agent: None,
    });

    fn values(&self) -> Vec<Arg> {
        let policy = &self.value;
        vec![
            Arg::Uuid(policy.id),
            Arg::Uuid(policy.participant_id),
            Arg::Text(policy.name.clone()),
            Arg::Json(serde_json::to_value(&policy.rules).unwrap_or_default()),
            Arg::Bool(policy.attached),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

impl Store {
    /// The policies attached to a consumer, oldest first: every placement
    /// it asks for is narrowed by all of them.
    pub async fn attached_placement_policies(
        &self,
        participant_id: Uuid,
    ) -> Result<Vec<PlacementPolicy>> {
        let rows: Vec<Row> = fetch_all(
            &self.read,
            &format!(
                "{} WHERE participant_id = $1 AND attached = $2 ORDER BY created_at, id",
                <Stored<PlacementPolicy> as Record>::TABLE.select()
            ),
            &[Arg::Uuid(participant_id), Arg::Bool(true)],
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Stored::from(row).value)
            .collect())
    }
}
