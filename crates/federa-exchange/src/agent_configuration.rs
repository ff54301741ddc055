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

use federa_domain::catalogue::{Agent, AgentType};
use federa_domain::event::NewEvent;
use federa_domain::listing::FieldError;
use federa_domain::property_schema::{Actor, GeneratorRequest, PropertySchema, ValidationContext};
use federa_store::pools::{PoolClaim, PoolFamily};
use federa_store::StoreError;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{under, ExchangeError, ExchangeResult};
use crate::pools::{sources, with_claimed_values, PoolsOf};
use crate::secrets;
use crate::vault::SecretOwner;
use crate::Exchange;

/// A configuration checked against its agent type's schema, secrets sealed.
pub struct Configured {
    pub schema: PropertySchema,
    pub properties: Map<String, Value>,
    /// Absent properties that a config pool must fill.
    pub pooled: Vec<GeneratorRequest>,
}

/// Checks a configuration against its agent type and moves new secret
/// values into the vault; `None` stays `None`, unless the schema has
/// properties that config pools fill, which a new agent gets either way.
/// The configuration replaces `current` whole, but vault references sent
/// back unchanged are kept.
pub async fn checked_configuration(
    exchange: &Exchange,
    agent_type: &AgentType,
    agent_id: Uuid,
    current: Option<&Map<String, Value>>,
    configuration: Option<Map<String, Value>>,
) -> ExchangeResult<Option<Configured>> {
    let Some(schema) = agent_type.configuration() else {
        return Ok(None);
    };
    let configuration = match configuration {
        Some(configuration) => configuration,
        None if !schema.generated_paths().is_empty() => Map::new(),
        None => return Ok(None),
    };
    let kept = secrets::unchanged_references(current, &configuration);
    let context = if kept.is_empty() {
        ValidationContext::create(Actor::User)
    } else {
        ValidationContext::update(Actor::User, &kept, "")
    };
    let mut validated = schema
        .validate(&configuration, &context)
        .map_err(|errors| under("configuration", errors))?;
    secrets::seal_secrets(exchange, &mut validated, SecretOwner::agent(agent_id)).await?;
    Ok(Some(Configured {
        schema,
        properties: validated.properties,
        pooled: validated.generators,
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentWrite {
    Insert,
    Update,
}

/// Writes `agent`; with `configured`, its configuration becomes those
/// properties with every pooled one filled from a config pool.
pub async fn write_agent(
    exchange: &Exchange,
    agent: &mut Agent,
    configured: Option<Configured>,
    event: &(dyn Fn(&Agent) -> NewEvent + Sync),
    write: AgentWrite,
) -> ExchangeResult<()> {
    let name = agent.name.clone();
    write_configured(exchange, agent, configured, event, write)
        .await
        .map_err(|error| name_taken(error, &name))
}

/// Besides its id, the only unique value of an agent is its name within
/// its provider, so a uniqueness conflict is about the name.
fn name_taken(error: ExchangeError, name: &str) -> ExchangeError {
    match error {
        ExchangeError::Conflict(message) if message == federa_store::UNIQUE_CONFLICT => {
            ExchangeError::Conflict(format!(
                "name: the provider already has an agent named {name:?}"
            ))
        }
        other => other,
    }
}

async fn write_configured(
    exchange: &Exchange,
    agent: &mut Agent,
    configured: Option<Configured>,
    event: &(dyn Fn(&Agent) -> NewEvent + Sync),
    write: AgentWrite,
) -> ExchangeResult<()> {
    let Some(Configured {
        schema,
        mut properties,
        pooled,
    }) = configured
    else {
        return Ok(store(exchange, agent, event, &[], write).await?);
    };
    let pooled = match write {
        AgentWrite::Insert => pooled,
        AgentWrite::Update => {
            keep_held(exchange, agent.id, &schema, &mut properties, pooled).await?
        }
    };
    if pooled.is_empty() {
        agent.configuration = Some(properties);
        return Ok(store(exchange, agent, event, &[], write).await?);
    }
    let sources = sources(exchange, &PoolsOf::Provider(agent.provider_id), &pooled).await?;
    with_claimed_values(
        exchange,
        PoolFamily::Config,
        &schema,
        &sources,
        properties,
        |filled, claims| {
            agent.configuration = Some(filled);
            let agent = agent.clone();
            async move { store(exchange, &agent, event, &claims, write).await }
        },
    )
    .await
}

/// Writes the agent as it now is, with the event that describes it.
async fn store(
    exchange: &Exchange,
    agent: &Agent,
    event: &(dyn Fn(&Agent) -> NewEvent + Sync),
    claims: &[PoolClaim],
    write: AgentWrite,
) -> Result<(), StoreError> {
    let event = event(agent);
    match write {
        AgentWrite::Insert => exchange.store.insert_agent(agent, &event, claims).await,
        AgentWrite::Update => exchange.store.update_agent(agent, &event, claims).await,
    }
}

/// An agent keeps the values it holds: a pooled property that an update
/// leaves out gets its value back, and one it changes is refused, since the
/// value stays allocated to the agent. Returns the requests still to fill.
async fn keep_held(
    exchange: &Exchange,
    agent_id: Uuid,
    schema: &PropertySchema,
    properties: &mut Map<String, Value>,
    pooled: Vec<GeneratorRequest>,
) -> ExchangeResult<Vec<GeneratorRequest>> {
    let paths = schema.generated_paths();
    if paths.is_empty() {
        return Ok(pooled);
    }
    let held = exchange
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
                let message = format!(
                    "keeps {} from config pool {} while the agent exists",
                    value.value, value.pool_id
                );
                changed.push(FieldError::new(name, message).under("configuration"));
            }
        }
    }
    if changed.is_empty() {
        Ok(remaining)
    } else {
        Err(changed.into())
    }
}
