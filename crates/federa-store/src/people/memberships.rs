//! Memberships, one row per user and participant.

use chrono::{DateTime, Utc};
use federa_domain::access::MemberRole;
use federa_domain::people::Membership;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::on_pool_again_if_broken;
use crate::error::{Result, StoreError};
use crate::records::{Record, Table};
use crate::sql::{Arg, ScopeColumns};
use crate::Store;

#[derive(sqlx::FromRow)]
pub struct Row {
    id: Uuid,
    user_id: Uuid,
    participant_id: Uuid,
    role: String,
    project_ids: Json<Vec<Uuid>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Membership {
    fn from(row: Row) -> Membership {
        Membership {
            id: row.id,
            user_id: row.user_id,
            participant_id: row.participant_id,
            // The table's CHECK admits only known roles; reading anything
            // else as viewer grants the least.
            role: MemberRole::parse(&row.role).unwrap_or(MemberRole::Viewer),
            project_ids: row.project_ids.0,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Record for Membership {
    type Row = Row;
    const TABLE: Table = Table::new(
        "memberships",
        &[
            "id",
            "user_id",
            "participant_id",
            "role",
            "project_ids",
            "created_at",
            "updated_at",
        ],
        &["role", "project_ids", "updated_at"],
    )
    .scoped(ScopeColumns {
        owner: Some("participant_id"),
        consumer: Some("participant_id"),
        agent: None,
    })
    .taken("the user already belongs to this participant; change that membership's role instead");

    fn values(&self) -> Vec<Arg> {
        vec![
            Arg::Uuid(self.id),
            Arg::Uuid(self.user_id),
            Arg::Uuid(self.participant_id),
            Arg::Text(self.role.as_str().into()),
            Arg::Json(serde_json::json!(self.project_ids)),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

impl Store {
    /// The membership of `user_id` in `participant_id`, if it has one.
    pub async fn membership_of(
        &self,
        user_id: Uuid,
        participant_id: Uuid,
    ) -> Result<Option<Membership>> {
        let sql = format!(
            "{} WHERE user_id = $1 AND participant_id = $2",
            Membership::TABLE.select()
        );
        let row: Option<Row> = on_pool_again_if_broken!(self.read, pool => sqlx::query_as(&sql).bind(user_id).bind(participant_id).fetch_optional(pool).await)
            .map_err(StoreError::classify)?;
        Ok(row.map(Membership::from))
    }

    /// Every membership of `user_id`, oldest first.
    pub async fn memberships_of(&self, user_id: Uuid) -> Result<Vec<Membership>> {
        let sql = format!(
            "{} WHERE user_id = $1 ORDER BY created_at, id",
            Membership::TABLE.select()
        );
        let rows: Vec<Row> = on_pool_again_if_broken!(self.read, pool => sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await)
            .map_err(StoreError::classify)?;
        Ok(rows.into_iter().map(Membership::from).collect())
    }
}
