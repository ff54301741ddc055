use chrono::{DateTime, Utc};
use federa_domain::catalogue::{Agent, AgentStatus};
use federa_domain::event::NewEvent;
use serde_json::{Map, Value};
use sqlx::types::Json;
use uuid::Uuid;

use super::in_use;
use crate::error::{Result, StoreError};
use crate::pools::allocation::release_statements;
use crate::pools::{claim_statements, PoolClaim, PoolFamily};
use crate::records::{insert_statement, update_statement, Record, Table};
use crate::sql::{Arg, ScopeColumns};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

#[derive(sqlx::FromRow)]
pub struct Row {
    id: Uuid,
    name: String,
    status: String,
    participant_id: Uuid,
    agent_type_id: Uuid,
    tags: Json<Vec<String>>,
    configuration: Option<Json<Map<String, Value>>>,
    service_pool_set_id: Option<Uuid>,
    last_status_update: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Agent {
    fn from(row: Row) -> Agent {
        Agent {
            id: row.id,
            name: row.name,
            // Written only from the enum.
            status: AgentStatus::parse(&row.status).unwrap_or(AgentStatus::Disabled),
            provider_id: row.participant_id,
            agent_type_id: row.agent_type_id,
            tags: row.tags.0,
            configuration: row.configuration.map(|j| j.0),
            service_pool_set_id: row.service_pool_set_id,
            last_status_update: row.last_status_update,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Record for Agent {
    type Row = Row;
    const TABLE: Table = Table::new(
        "agents",
        &[
            "id",
            "name",
            "status",
            "participant_id",
            "agent_type_id",
            "tags",
            "configuration",
            "service_pool_set_id",
            "last_status_update",
            "created_at",
            "updated_at",
        ],
        &[
            "name",
            "status",
            "tags",
            "configuration",
            "service_pool_set_id",
            "updated_at",
        ],
    )
    .scoped(ScopeColumns {
        owner: Some("participant_id"),
        consumer: None,
        agent: Some("id"),
    });

    fn values(&self) -> Vec<Arg> {
        vec![
            Arg::Uuid(self.id),
            Arg::Text(self.name.clone()),
            Arg::Text(self.status.as_str().into()),
            Arg::Uuid(self.provider_id),
            Arg::Uuid(self.agent_type_id),
            Arg::Json(Value::from(self.tags.clone())),
            Arg::OptJson(self.configuration.clone().map(Value::Object)),
            Arg::OptUuid(self.service_pool_set_id),
            Arg::OptTime(self.last_status_update),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

impl Store {
    /// The agent with this id.
    pub async fn agent(&self, id: Uuid) -> Result<Option<Agent>> {
        self.record(id).await
    }

    /// The participant that operates an agent, if the agent exists.
    pub async fn agent_participant(&self, agent_id: Uuid) -> Result<Option<Uuid>> {
        let row: Option<(Uuid,)> = fetch_optional(
            &self.read,
            "SELECT participant_id FROM agents WHERE id = $1",
            &[Arg::Uuid(agent_id)],
        )
        .await?;
        Ok(row.map(|(id,)| id))
    }

    /// Inserts an agent with the config pool values its configuration took.
    pub async fn insert_agent(
        &self,
        agent: &Agent,
        event: &NewEvent,
        claims: &[PoolClaim],
    ) -> Result<()> {
        let mut statements = vec![insert_statement(agent)];
        statements.extend(claim_statements(
            PoolFamily::Config,
            claims,
            agent.id,
            agent.created_at,
        ));
        self.apply(&statements, std::slice::from_ref(event), agent.created_at)
            .await
    }

    /// Updates an agent, taking the config pool values that properties new
    /// to its configuration need.
    pub async fn update_agent(
        &self,
        agent: &Agent,
        event: &NewEvent,
        claims: &[PoolClaim],
    ) -> Result<()> {
        let mut statements = vec![update_statement(agent)];
        statements.extend(claim_statements(
            PoolFamily::Config,
            claims,
            agent.id,
            agent.updated_at,
        ));
        self.apply(&statements, std::slice::from_ref(event), agent.updated_at)
            .await
    }

    /// Records an agent's own report of its health. Repeated reports of the
    /// same status refresh `last_status_update` without an event, so a
    /// heartbeat every few seconds does not flood the log.
    pub async fn report_agent_status(
        &self,
        agent: &Agent,
        status: AgentStatus,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let changed = agent.status != status;
        let statement = Statement::new(
            "UPDATE agents SET status = $2, last_status_update = $3, updated_at = $3 WHERE id = $1",
            vec![
                Arg::Uuid(agent.id),
                Arg::Text(status.as_str().into()),
                Arg::Time(now),
            ],
        )
        .must_change();
        let events = if changed {
            std::slice::from_ref(event)
        } else {
            &[]
        };
        self.apply(&[statement], events, now).await
    }

    /// Records that an agent spoke at `now`. A `Disconnected` agent is
    /// `Connected` again, with `revived` as its event, in the same write;
    /// answers whether it was revived (so another server's concurrent
    /// revival writes the event only once).
    pub async fn record_sign_of_life(
        &self,
        agent_id: Uuid,
        revived: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let revive = Statement::new(
            "UPDATE agents SET status = 'Connected', last_status_update = $2, updated_at = $2 WHERE id = $1 AND status = 'Disconnected'",
            vec![Arg::Uuid(agent_id), Arg::Time(now)],
        )
        .must_change();
        match self
            .apply(&[revive], std::slice::from_ref(revived), now)
            .await
        {
            Ok(()) => return Ok(true),
            Err(StoreError::NotFound) => {}
            Err(error) => return Err(error),
        }
        self.apply(
            &[Statement::new(
                "UPDATE agents SET last_status_update = $2 WHERE id = $1 AND (last_status_update IS NULL OR last_status_update < $2)",
                vec![Arg::Uuid(agent_id), Arg::Time(now)],
            )
            .keeps_caches()],
            &[],
            now,
        )
        .await?;
        Ok(false)
    }

    /// Connected agents last heard of before `silent_before`, oldest first.
    pub async fn silent_agents(
        &self,
        silent_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Agent>> {
        let rows: Vec<Row> = fetch_all(
            &self.read,
            &format!("{} WHERE status = 'Connected' AND (last_status_update IS NULL OR last_status_update < $1) ORDER BY last_status_update LIMIT $2", Agent::TABLE.select()),
            &[Arg::Time(silent_before), Arg::Int(i64::from(limit))],
        )
        .await?;
        Ok(rows.into_iter().map(Agent::from).collect())
    }

    /// Marks a silent agent `Disconnected` with `event`, unless it spoke
    /// or changed meanwhile; answers whether this call marked it, so of two
    /// servers sweeping at once exactly one does.
    pub async fn mark_agent_silent(
        &self,
        agent: &Agent,
        silent_before: DateTime<Utc>,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let statement = Statement::new(
            "UPDATE agents SET status = 'Disconnected', updated_at = $3 WHERE id = $1 AND status = 'Connected' AND (last_status_update IS NULL OR last_status_update < $2)",
            vec![Arg::Uuid(agent.id), Arg::Time(silent_before), Arg::Time(now)],
        )
        .guard();
        self.apply_if(&[statement], std::slice::from_ref(event), now)
            .await
    }

    /// Deletes an agent and the tokens that act as it, and gives back the
    /// config pool values it held.
    pub async fn delete_agent(&self, id: Uuid, event: &NewEvent, now: DateTime<Utc>) -> Result<()> {
        let mut statements = vec![Statement::new(
            "DELETE FROM tokens WHERE agent_id = $1",
            vec![Arg::Uuid(id)],
        )];
        statements.extend(release_statements(PoolFamily::Config, id, now));
        statements.push(
            Statement::new("DELETE FROM agents WHERE id = $1", vec![Arg::Uuid(id)]).must_change(),
        );
        self.apply(&statements, std::slice::from_ref(event), now)
            .await
            .map_err(|e| {
                in_use(
                    e,
                    "the agent still runs services; delete or move them first",
                )
            })
    }
}
