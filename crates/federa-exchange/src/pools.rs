//! The allocator of pool values, for both families: a service takes values
//! from its agent's service pool set when it is ordered, an agent from its
//! provider's (else the global) config pools when it is written, each in
//! the transaction that writes the holder; the holder gives them back when
//! it ends.
//!
//! The values are chosen from a fresh read and claimed conditionally; when
//! a concurrent order claimed one first, the whole write rolls back and the
//! choice is made again, so a value is never held twice and an exhausted
//! pool refuses the order without leaving a service or a job behind.

use std::collections::BTreeSet;
use std::net::IpAddr;

use federa_domain::listing::FieldError;
use federa_domain::pools::{
    next_listed_value, pool_for_provider, Pool, PoolGenerator, ServicePoolSet,
};
use federa_domain::property_schema::{GeneratorKind, GeneratorRequest, PropertySchema};
use federa_domain::provisioning::{Job, Service};
use federa_store::pools::{PoolClaim, PoolFamily};
use federa_store::StoreError;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{under, ExchangeError, ExchangeResult};
use crate::Exchange;

/// Each lost claim means another order took a value, so a few dozen rounds
/// only run out when the pool churns faster than orders can be written.
pub(crate) const ATTEMPTS: usize = 64;

/// A generator request with the pool it draws from.
pub(crate) struct Source<'a> {
    request: &'a GeneratorRequest,
    pool: Pool,
    generator: PoolGenerator,
}

/// Where a holder's pools are found, which also says their family.
pub(crate) enum PoolsOf {
    /// A service draws from the pool set its agent names, if that set is
    /// its provider's.
    AgentSet { agent_id: Uuid, provider_id: Uuid },
    /// An agent draws from its provider's config pools, else the global ones.
    Provider(Uuid),
}

impl PoolsOf {
    fn family(&self) -> PoolFamily {
        match self {
            PoolsOf::AgentSet { .. } => PoolFamily::Service,
            PoolsOf::Provider(_) => PoolFamily::Config,
        }
    }
}

impl<'a> Source<'a> {
    /// Pairs `request` with `pool`, refusing a pool whose stored generator
    /// configuration no longer parses.
    fn new(request: &'a GeneratorRequest, pool: Pool) -> ExchangeResult<Source<'a>> {
        let family = pool.family();
        let generator = PoolGenerator::parse(
            pool.generator_type,
            pool.generator_config.as_ref(),
            pool.property_type,
        )
        .map_err(|_| {
            let message = format!(
                "{} {} has an unusable generatorConfig",
                family.terms().noun,
                pool.id
            );
            ExchangeError::Conflict(field_error(family, request, message).to_string())
        })?;
        Ok(Source {
            request,
            pool,
            generator,
        })
    }
}

/// Fills `service`'s pooled properties (and its `create` job's params) with
/// values from the agent's pools and hands them to `write`, which claims
/// them in the transaction that writes the service. A lost claim means
/// another order took a value first: the choice is made again.
pub async fn write_with_values<T, Write, Written>(
    exchange: &Exchange,
    schema: Option<&PropertySchema>,
    requests: &[GeneratorRequest],
    service: &mut Service,
    job: &mut Job,
    mut write: Write,
) -> ExchangeResult<T>
where
    Write: FnMut(Service, Job, Vec<PoolClaim>) -> Written,
    Written: std::future::Future<Output = Result<T, StoreError>>,
{
    let (Some(schema), false) = (schema, requests.is_empty()) else {
        return Ok(write(service.clone(), job.clone(), Vec::new()).await?);
    };
    let pools_of = PoolsOf::AgentSet {
        agent_id: service.agent_id,
        provider_id: service.provider_id,
    };
    let sources = sources(exchange, &pools_of, requests).await?;
    let asked = service.properties.clone();
    with_claimed_values(
        exchange,
        PoolFamily::Service,
        schema,
        &sources,
        asked,
        |properties, claims| {
            service.properties = properties.clone();
            job.params = Some(Value::Object(properties));
            write(service.clone(), job.clone(), claims)
        },
    )
    .await
}

/// Values claimed for one holder, each with its pool, which the next
/// holder written in the same transaction must not choose again.
pub(crate) type Held = Vec<(Uuid, PoolClaim)>;

/// One choice of values for `service`'s pooled properties from a fresh
/// read, leaving out the values in `held` (taken by services written in
/// the same transaction): the service and its `create` job with the
/// values filled in, and their claims with their pools. Nothing is
/// written; a lost claim rolls the whole write back and the caller
/// chooses again.
pub(crate) async fn fill_service_values(
    exchange: &Exchange,
    schema: Option<&PropertySchema>,
    requests: &[GeneratorRequest],
    service: &Service,
    job: &Job,
    held: &[(Uuid, PoolClaim)],
) -> ExchangeResult<(Service, Job, Held)> {
    let (Some(schema), false) = (schema, requests.is_empty()) else {
        return Ok((service.clone(), job.clone(), Vec::new()));
    };
    let pools_of = PoolsOf::AgentSet {
        agent_id: service.agent_id,
        provider_id: service.provider_id,
    };
    let sources = sources(exchange, &pools_of, requests).await?;
    let (properties, claims) = choose(
        exchange,
        PoolFamily::Service,
        schema,
        &sources,
        service.properties.clone(),
        held,
    )
    .await?;
    let mut service = service.clone();
    let mut job = job.clone();
    service.properties = properties.clone();
    job.params = Some(Value::Object(properties));
    let claimed = sources
        .iter()
        .map(|source| source.pool.id)
        .zip(claims)
        .collect();
    Ok((service, job, claimed))
}

/// Chooses a value for every source, fills them into `asked` and hands the
/// filled properties and their claims to `write`, which claims them in the
/// transaction that writes their holder. A lost claim means another holder
/// took a value first: the choice is made again, a bounded number of times.
pub(crate) async fn with_claimed_values<T, Write, Written>(
    exchange: &Exchange,
    family: PoolFamily,
    schema: &PropertySchema,
    sources: &[Source<'_>],
    asked: Map<String, Value>,
    mut write: Write,
) -> ExchangeResult<T>
where
    Write: FnMut(Map<String, Value>, Vec<PoolClaim>) -> Written,
    Written: std::future::Future<Output = Result<T, StoreError>>,
{
    for _ in 0..ATTEMPTS {
        let (properties, claims) =
            choose(exchange, family, schema, sources, asked.clone(), &[]).await?;
        match write(properties, claims).await {
            Err(StoreError::Raced(_)) => continue,
            done => return Ok(done?),
        }
    }
    Err(ExchangeError::Conflict(format!(
        "the {}s are busy with other writes; retry",
        family.terms().noun
    )))
}

/// Refuses an agent's `servicePoolSetId` unless it names a set of the
/// agent's own provider.
pub async fn check_agent_pool_set(
    exchange: &Exchange,
    provider_id: Uuid,
    set_id: Option<Uuid>,
) -> ExchangeResult<()> {
    let Some(set_id) = set_id else {
        return Ok(());
    };
    match exchange.store.record::<ServicePoolSet>(set_id).await? {
        Some(set) if set.provider_id == provider_id => Ok(()),
        _ => Err(ExchangeError::field(
            "servicePoolSetId",
            "no service pool set of the agent's provider has this id",
        )),
    }
}

/// An error about a request's property, at its path under the family's
/// field, e.g. `configuration.publicIp`.
pub(crate) fn field_error(
    family: PoolFamily,
    request: &GeneratorRequest,
    message: impl Into<String>,
) -> FieldError {
    FieldError::new(request.path.to_string(), message).under(family.terms().filled_field)
}

/// The pool of each request, of the `poolType` its property names; every
/// request without one is named in the error.
pub(crate) async fn sources<'a>(
    exchange: &Exchange,
    pools_of: &PoolsOf,
    requests: &'a [GeneratorRequest],
) -> ExchangeResult<Vec<Source<'a>>> {
    let family = pools_of.family();
    let drawing = match *pools_of {
        PoolsOf::AgentSet {
            agent_id,
            provider_id,
        } => match agent_set(exchange, agent_id, provider_id).await? {
            Some(set_id) => Drawing::Set(set_id),
            None => Drawing::NoSet(agent_id),
        },
        PoolsOf::Provider(provider_id) => Drawing::Provider(provider_id),
    };
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for request in requests {
        let GeneratorKind::Pool { pool_type } = &request.generator.kind;
        match pool_of_type(exchange, &drawing, pool_type).await? {
            Ok(pool) => out.push(Source::new(request, pool)?),
            Err(message) => missing.push(field_error(family, request, message)),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing.into())
    }
}

/// Where a holder's pools were found to be.
enum Drawing {
    Set(Uuid),
    /// A service whose agent names no pool set of the service's provider.
    NoSet(Uuid),
    Provider(Uuid),
}

/// The pool of `pool_type` a holder draws from, or why there is none.
async fn pool_of_type(
    exchange: &Exchange,
    drawing: &Drawing,
    pool_type: &str,
) -> ExchangeResult<Result<Pool, String>> {
    Ok(match *drawing {
        Drawing::Set(set_id) => exchange
            .store
            .service_pool_of_type(set_id, pool_type)
            .await?
            .ok_or_else(|| format!("service pool set {set_id} has no pool of type `{pool_type}`")),
        Drawing::NoSet(agent_id) => Err(format!(
            "needs a value from a service pool, but agent {agent_id} draws from no service pool set of its provider"
        )),
        Drawing::Provider(provider_id) => {
            let pools = exchange.store.config_pools_of_type(pool_type).await?;
            pool_for_provider(&pools, provider_id).cloned().ok_or_else(|| format!(
                "needs a value from a config pool of type `{pool_type}`, but neither provider {provider_id} nor the exchange has one"
            ))
        }
    })
}

/// The pool set a service's agent names, when it is the service provider's:
/// an agent may name any set, but only its own provider's sets count, so no
/// provider hands out another's values.
async fn agent_set(
    exchange: &Exchange,
    agent_id: Uuid,
    provider_id: Uuid,
) -> ExchangeResult<Option<Uuid>> {
    let agent = exchange
        .store
        .agent(agent_id)
        .await?
        .ok_or_else(|| ExchangeError::field("agentId", "no agent has this id"))?;
    let Some(set_id) = agent.service_pool_set_id else {
        return Ok(None);
    };
    Ok(exchange
        .store
        .record::<ServicePoolSet>(set_id)
        .await?
        .filter(|set| set.provider_id == provider_id)
        .map(|set| set.id))
}

/// One choice of values from a fresh read, leaving out those in `held`:
/// the properties with the values filled in, and the claims that must
/// succeed for the choice to hold.
async fn choose(
    exchange: &Exchange,
    family: PoolFamily,
    schema: &PropertySchema,
    sources: &[Source<'_>],
    mut properties: Map<String, Value>,
    held: &[(Uuid, PoolClaim)],
) -> ExchangeResult<(Map<String, Value>, Vec<PoolClaim>)> {
    let mut claims = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        // Earlier properties of this write drawing from the same pool.
        let same_pool = || {
            held.iter()
                .filter(|(pool_id, _)| *pool_id == source.pool.id)
                .map(|(_, claim)| claim)
                .chain(
                    sources[..index]
                        .iter()
                        .zip(&claims)
                        .filter(|(earlier, _)| earlier.pool.id == source.pool.id)
                        .map(|(_, claim)| claim),
                )
        };
        let property_name = source.request.path.to_string();
        let exhausted = || {
            let message = format!(
                "{} `{}` has no free value left",
                family.terms().noun,
                source.pool.pool_type
            );
            ExchangeError::Conflict(field_error(family, source.request, message).to_string())
        };
        let (value, claim) = match &source.generator {
            PoolGenerator::List => {
                let chosen: Vec<Uuid> = same_pool()
                    .filter_map(|claim| match claim {
                        PoolClaim::Listed { value_id, .. } => Some(*value_id),
                        PoolClaim::Generated { .. } => None,
                    })
                    .collect();
                let free = exchange
                    .store
                    .free_listed_values(family, source.pool.id, chosen.len() + 1)
                    .await?;
                let picked = next_listed_value(&free, &chosen).ok_or_else(exhausted)?;
                let claim = PoolClaim::Listed {
                    value_id: picked.id,
                    property_name,
                };
                (picked.value.clone(), claim)
            }
            PoolGenerator::Subnet(subnet) => {
                let mut taken: BTreeSet<IpAddr> = exchange
                    .store
                    .generated_addresses(family, source.pool.id)
                    .await?
                    .iter()
                    .filter_map(|address| address.parse().ok())
                    .collect();
                taken.extend(same_pool().filter_map(|claim| match claim {
                    PoolClaim::Generated { address, .. } => address.parse::<IpAddr>().ok(),
                    PoolClaim::Listed { .. } => None,
                }));
                let address = subnet.next_free(&taken).ok_or_else(exhausted)?.to_string();
                let claim = PoolClaim::Generated {
                    value_id: Uuid::now_v7(),
                    pool_id: source.pool.id,
                    owner_id: source.pool.owner_id(),
                    address: address.clone(),
                    property_name,
                };
                (Value::String(address), claim)
            }
        };
        let value = schema
            .check_generated(source.request, &value)
            .map_err(|errors| under(family.terms().filled_field, errors))?;
        if !source.request.path.store(&mut properties, value) {
            return Err(field_error(
                family,
                source.request,
                "cannot take a pool value because the object holding it is absent",
            )
            .into());
        }
        claims.push(claim);
    }
    Ok((properties, claims))
}
