//! Agents: the processes that run next to a provider's infrastructure.

use uuid::Uuid;

use crate::db::on_pool;
use crate::error::{Result, StoreError};
use crate::Store;

impl Store {
    /// The participant that operates an agent, if the agent exists.
    pub async fn agent_participant(&self, agent_id: Uuid) -> Result<Option<Uuid>> {
        on_pool!(self.read, pool => sqlx::query_scalar("SELECT participant_id FROM agents WHERE id = $1")
            .bind(agent_id)
            .fetch_optional(pool)
            .await)
        .map_err(StoreError::classify)
    }
}
