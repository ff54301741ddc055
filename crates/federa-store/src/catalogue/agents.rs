use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::catalogue::{Agent, AgentStatus};
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use serde_json::{Map, Value};
use sqlx::types::Json;
use uuid::Uuid;

use super::in_use;
use crate::error::{Result, StoreError};
use crate::pools::allocation::release_statements;
use crate::pools::{claim_statements, PoolClaim, PoolFamily};
use crate::sql::{fetch_page, Arg, ScopeColumns, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

const SELECT: &str = "SELECT id, name, status, participant_id, agent_type_id, tags, configuration, service_pool_set_id, last_status_update, created_at, updated_at FROM agents";

const SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("participant_id"),
    consumer: None,
    agent: Some("id"),
};

#[derive(sqlx::FromRow)]
struct Row {
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

fn row_args(agent: &Agent) -> Vec<Arg> {
    vec![
        Arg::Uuid(agent.id),
        Arg::Text(agent.name.clone()),
        Arg::Text(agent.status.as_str().into()),
        Arg::Json(Value::from(agent.tags.clone())),
        Arg::OptJson(agent.configuration.clone().map(Value::Object)),
        Arg::OptUuid(agent.service_pool_set_id),
        Arg::Time(agent.updated_at),
    ]
}

impl Store {
    pub async fn agent(&self, id: Uuid) -> Result<Option<Agent>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(Agent::from))
    }

    pub async fn agents(&self, scope: ListScope, query: &ListQuery) -> Result<Page<Agent>> {
        let mut filter = Where::new();
        filter.scope(scope, SCOPE);
        filter.filters(&query.filters);
        let page: Page<Row> =
            fetch_page(&self.read, SELECT, "agents", &filter, query, "id").await?;
        Ok(page.map(Agent::from))
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
        let mut args = row_args(agent);
        args.extend([
            Arg::Uuid(agent.provider_id),
            Arg::Uuid(agent.agent_type_id),
            Arg::Time(agent.created_at),
            Arg::OptTime(agent.last_status_update),
        ]);
        let statement = Statement::new(
            "INSERT INTO agents (id, name, status, tags, configuration, service_pool_set_id, updated_at, participant_id, agent_type_id, created_at, last_status_update) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            args,
        );
        let mut statements = vec![statement];
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
        let statement = Statement::new(
            "UPDATE agents SET name = $2, status = $3, tags = $4, configuration = $5, service_pool_set_id = $6, updated_at = $7 WHERE id = $1",
            row_args(agent),
        )
        .must_change();
        let mut statements = vec![statement];
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
            )],
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
            &format!("{SELECT} WHERE status = 'Connected' AND (last_status_update IS NULL OR last_status_update < $1) ORDER BY last_status_update LIMIT $2"),
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
