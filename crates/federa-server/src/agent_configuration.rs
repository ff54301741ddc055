//! Writing an agent with its configuration: a configuration property whose
//! schema declares a `pool` generator takes a value from a config pool in
//! the transaction that writes the agent, and gives it back when the agent
//! is deleted; an update keeps the values the agent holds.
//!
//! The pool is the provider's own of the property's `poolType`, else the
//! global one. Values are chosen and claimed by the allocator
//! ([`crate::pools`]): a lost claim rolls the write back and the choice is
//! made again, so no two agents hold a value and no agent is written
//! without the values its configuration needs.

use federa_domain::catalogue::Agent;
use federa_domain::event::NewEvent;
use federa_domain::listing::FieldError;
use federa_domain::property_schema::{GeneratorRequest, PropertySchema};
use federa_store::pools::{PoolClaim, PoolFamily};
use federa_store::StoreError;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::ApiResult;
use crate::pools::{sources, with_claimed_values, PoolsOf};
use crate::state::AppState;

/// A configuration checked against its agent type's schema, secrets sealed.
pub struct Configured {
    pub schema: PropertySchema,
    pub properties: Map<String, Value>,
    /// Absent properties that a config pool must fill.
    pub pooled: Vec<GeneratorRequest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentWrite {
    Insert,
    Update,
}

/// Writes `agent`; with `configured`, its configuration becomes those
/// properties with every pooled one filled from a config pool.
pub async fn write_agent(
    state: &AppState,
    agent: &mut Agent,
    configured: Option<Configured>,
    event: &(dyn Fn(&Agent) -> NewEvent + Sync),
    write: AgentWrite,
) -> ApiResult<()> {
    let Some(Configured {
        schema,
        mut properties,
        pooled,
    }) = configured
    else {
        return Ok(store(state, agent, event, &[], write).await?);
    };
    let pooled = match write {
        AgentWrite::Insert => pooled,
        AgentWrite::Update => keep_held(state, agent.id, &schema, &mut properties, pooled).await?,
    };
    if pooled.is_empty() {
        agent.configuration = Some(properties);
        return Ok(store(state, agent, event, &[], write).await?);
    }
    let sources = sources(state, &PoolsOf::Provider(agent.provider_id), &pooled).await?;
    with_claimed_values(
        state,
        PoolFamily::Config,
        &schema,
        &sources,
        properties,
        |filled, claims| {
            agent.configuration = Some(filled);
            let agent = agent.clone();
            async move { store(state, &agent, event, &claims, write).await }
        },
    )
    .await
}

/// Writes the agent as it now is, with the event that describes it.
async fn store(
    state: &AppState,
    agent: &Agent,
    event: &(dyn Fn(&Agent) -> NewEvent + Sync),
    claims: &[PoolClaim],
    write: AgentWrite,
) -> Result<(), StoreError> {
    let event = event(agent);
    match write {
        AgentWrite::Insert => state.store.insert_agent(agent, &event, claims).await,
        AgentWrite::Update => state.store.update_agent(agent, &event, claims).await,
    }
}

/// An agent keeps the values it holds: a pooled property that an update
/// leaves out gets its value back, and one it changes is refused, since the
/// value stays allocated to the agent. Returns the requests still to fill.
async fn keep_held(
    state: &AppState,
    agent_id: Uuid,
    schema: &PropertySchema,
    properties: &mut Map<String, Value>,
    pooled: Vec<GeneratorRequest>,
) -> ApiResult<Vec<GeneratorRequest>> {
    let paths = schema.generated_paths();
    if paths.is_empty() {
        return Ok(pooled);
    }
    let held = state
        .store
        .values_held_by(PoolFamily::Config, agent_id)
        .await?;
    if held.is_empty() {
        return Ok(pooled);
    }
    let held_by = |name: &str| {
        held.iter()
            .find(|value| value.property_name.as_deref() == Some(name))
    };
    let mut remaining = Vec::new();
    for request in pooled {
        match held_by(&request.path.to_string()) {
            Some(value) => {
                request.path.store(properties, value.value.clone());
            }
            None => remaining.push(request),
        }
    }
    let mut changed = Vec::new();
    for path in paths {
        let name = path.to_string();
        if let (Some(value), Some(sent)) = (held_by(&name), path.lookup(properties)) {
            if *sent != value.value {
                changed.push(FieldError::new(
                    format!("configuration.{name}"),
                    format!(
                        "keeps {} from config pool {} while the agent exists",
                        value.value, value.pool_id
                    ),
                ));
            }
        }
    }
    if changed.is_empty() {
        Ok(remaining)
    } else {
        Err(changed.into())
    }
}
