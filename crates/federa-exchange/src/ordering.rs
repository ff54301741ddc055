//! Ordering a service: validating its properties, choosing its agent (by
//! name, by type and tags, or through the exchange's placement) and
//! building the service and its `create` job; and queueing the jobs of its
//! later actions (`update`, `delete`, any action of its lifecycle).
//! `POST /services` and compositions order through here, so a member of a
//! composition is checked, placed and recorded exactly as a service
//! ordered on its own.

use federa_domain::access::{Identity, Role};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::exchange::placement::{
    Choice, PeerPlacement, Placement, PlacementRequest, Relations,
};
use federa_domain::property_schema::{check_weight, Actor, GeneratorRequest, ValidationContext};
use federa_domain::provisioning::{choose_agent, Job, JobStatus, Service};
use federa_store::pools::PoolClaim;
use federa_store::provisioning::ServiceOrder;
use federa_store::{QuotaCheck, StoreError};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::clock;
use crate::error::{under, ExchangeError, ExchangeResult};
use crate::job_events::job_event;
use crate::placement::{self, Decided};
use crate::secrets;
use crate::type_rules::{resolve_lookups, type_rules, PropertyOwner, TypeRules};
use crate::vault::SecretOwner;
use crate::Exchange;

/// What a new service is ordered with. The caller has checked the name
/// and that the consumer may order into the group.
pub struct Order<'a> {
    pub name: String,
    pub service_type_id: Uuid,
    pub group_id: Uuid,
    pub consumer_id: Uuid,
    /// The agent to run it; otherwise one is chosen by type and tags, or by
    /// placement.
    pub agent_id: Option<Uuid>,
    pub agent_tags: &'a [String],
    pub properties: &'a Map<String, Value>,
    pub placement: Option<&'a PlacementRequest>,
    /// Services placed before this one that placement must keep relations to.
    pub peers: &'a [PeerPlacement],
    /// For the target of a switch, the format the source's data leaves in,
    /// which placement only gives to offerings that can import it.
    pub import_format: Option<&'a str>,
    /// The only offering placement may choose, when a binding quote named it.
    pub offering_id: Option<Uuid>,
    pub actor: Actor,
    pub initiator: Initiator,
}

/// A checked order: the service and its `create` job with their events,
/// and the placement when the exchange chose the provider, none of it
/// written yet.
pub struct Prepared {
    pub service: Service,
    pub job: Job,
    pub events: Vec<NewEvent>,
    /// The rules of the service's type, which pooled properties are filled by.
    pub rules: std::sync::Arc<TypeRules>,
    /// Properties a value from the agent's pools must fill when the service
    /// is written.
    pub pooled: Vec<GeneratorRequest>,
    pub placed: Option<(Decided, Choice)>,
    pub placement: Option<Placement>,
    /// An approver let the order pass its project's monthly budget.
    pub project_budget_waived: bool,
}

/// The property actor a caller writes as.
pub fn actor(caller: &Identity) -> Actor {
    match caller.role() {
        Role::Agent => Actor::Agent,
        _ => Actor::User,
    }
}

/// A new job for `service`, not yet stored.
pub fn new_job(service: &Service, action: &str, params: Option<Value>) -> Job {
    let now = clock::now();
    Job {
        id: Uuid::now_v7(),
        service_id: service.id,
        agent_id: service.agent_id,
        provider_id: service.provider_id,
        consumer_id: service.consumer_id,
        group_id: service.group_id,
        action: action.to_string(),
        params,
        status: JobStatus::Pending,
        priority: 1,
        error_message: None,
        attempts: 0,
        claimed_at: None,
        lease_expires_at: None,
        completed_at: None,
        created_at: now,
        updated_at: now,
        outcome_digest: None,
        result: None,
    }
}

/// Validates properties by the type's schema, resolves the references and
/// options it asks about and moves new secret values into the vault. A type
/// without a schema takes them as given (merged over the current ones on
/// update). Also returns the properties a pool must fill.
pub async fn checked_properties(
    exchange: &Exchange,
    rules: &TypeRules,
    input: &Map<String, Value>,
    context: &ValidationContext<'_>,
    owner: &PropertyOwner,
) -> ExchangeResult<(Map<String, Value>, Vec<GeneratorRequest>)> {
    let Some(schema) = &rules.properties else {
        let mut merged = context.current().cloned().unwrap_or_default();
        merged.extend(input.clone());
        check_weight("properties", &merged, exchange.max_properties_bytes)?;
        return Ok((merged, Vec::new()));
    };
    let mut validated = schema
        .validate(input, context)
        .map_err(|errors| under("properties", errors))?;
    check_weight(
        "properties",
        &validated.properties,
        exchange.max_properties_bytes,
    )?;
    resolve_lookups(exchange, &validated, owner).await?;
    let secrets_of = SecretOwner::service(owner.service_id, owner.agent_id);
    secrets::seal_secrets(exchange, &mut validated, secrets_of).await?;
    Ok((validated.properties, validated.generators))
}

/// Checks `order` and chooses where it runs; the caller writes the service,
/// its job and its placement in one transaction.
pub async fn prepare(exchange: &Exchange, order: Order<'_>) -> ExchangeResult<Prepared> {
    let rules = type_rules(exchange, order.service_type_id, "serviceTypeId").await?;
    let placed = match order.placement {
        Some(_) if order.agent_id.is_some() => {
            return Err(ExchangeError::field(
                "agentId",
                "must not be given with placement, which chooses the agent",
            ))
        }
        Some(request) => Some(
            placement::choose(
                exchange,
                order.consumer_id,
                order.service_type_id,
                &rules,
                order.properties,
                order.agent_tags,
                request,
                Relations {
                    peers: order.peers,
                    import_format: order.import_format,
                    offering: order.offering_id,
                },
                order.actor,
            )
            .await?,
        ),
        None => None,
    };
    let (agent_id, provider_id) = match &placed {
        Some((_, choice)) => (choice.agent_id, choice.participant_id),
        None => {
            let candidates = exchange
                .store
                .agent_candidates(order.service_type_id, order.agent_id)
                .await?;
            let agent = choose_agent(&candidates, order.agent_id, order.agent_tags)
                .map_err(|why| ExchangeError::field(why.field(), why.to_string()))?;
            (agent.agent_id, agent.participant_id)
        }
    };
    let owner = PropertyOwner {
        service_id: Uuid::now_v7(),
        agent_id,
        provider_id,
        consumer_id: order.consumer_id,
        group_id: order.group_id,
    };
    let (properties, pooled) = checked_properties(
        exchange,
        &rules,
        order.properties,
        &ValidationContext::create(order.actor),
        &owner,
    )
    .await?;
    let now = clock::now();
    let service = Service {
        id: owner.service_id,
        name: order.name,
        status: rules.lifecycle.initial_state().to_string(),
        service_type_id: order.service_type_id,
        group_id: order.group_id,
        provider_id,
        consumer_id: order.consumer_id,
        agent_id,
        agent_instance_id: None,
        agent_instance_data: None,
        properties: properties.clone(),
        created_at: now,
        updated_at: now,
        observed_state: None,
        observed_at: None,
    };
    let mut job = new_job(&service, "create", Some(Value::Object(properties)));
    job.created_at = now;
    job.updated_at = now;
    let mut created = json!({"name": service.name, "status": service.status, "serviceTypeId": service.service_type_id});
    let placement = placed.as_ref().map(|(decided, choice)| {
        created["offeringId"] = json!(choice.offering_id);
        placement::decision_for(decided, choice, &service)
    });
    let mut events: Vec<NewEvent> = placement
        .iter()
        .map(|placement| {
            placement::placement_event(
                EventKind::PlacementDecided,
                order.initiator.clone(),
                placement,
            )
        })
        .collect();
    events.extend([
        NewEvent::new(
            EventKind::ServiceCreated,
            order.initiator.clone(),
            service.id,
        )
        .provider(Some(service.provider_id))
        .consumer(Some(order.consumer_id))
        .agent(Some(service.agent_id))
        .properties(created),
        job_event(EventKind::JobCreated, order.initiator, &job, json!({})),
    ]);
    Ok(Prepared {
        service,
        job,
        events,
        rules,
        pooled,
        placed,
        placement,
        project_budget_waived: false,
    })
}

/// Orders a service: checks and places `order`, then writes the service,
/// its `create` job, their events and its pool values within its quotas,
/// and wakes its agent.
pub async fn order(exchange: &Exchange, order: Order<'_>) -> ExchangeResult<Prepared> {
    let mut prepared = prepare(exchange, order).await?;
    write_prepared(exchange, &mut prepared, |write| async move {
        exchange
            .store
            .insert_service(write.service_order(), write.events)
            .await
    })
    .await?;
    exchange.dispatch.wake(prepared.service.agent_id);
    Ok(prepared)
}

/// One attempt at writing a prepared order: the service and its job with
/// the pool values filled in, the claims on those values, and the quota
/// check, for the store call that writes them with whatever the order
/// belongs to (nothing, a composition's member, a switch).
pub struct OrderWrite<'p> {
    pub service: Service,
    pub job: Job,
    pub claims: Vec<PoolClaim>,
    pub events: &'p [NewEvent],
    pub placement: Option<&'p Placement>,
    pub quota: Option<QuotaCheck>,
}

impl OrderWrite<'_> {
    /// The service as this attempt orders it, placed as the order was.
    pub fn service_order(&self) -> ServiceOrder<'_> {
        ServiceOrder {
            service: &self.service,
            job: &self.job,
            placement: self.placement,
            claims: &self.claims,
            quota: self.quota.as_ref(),
        }
    }
}

/// Writes `prepared` through `write` within the service quotas that apply
/// to it, its pooled properties filled from the agent's pools and claimed
/// in `write`'s transaction (chosen again when another order took a value
/// first). The caller wakes the agent once it is written.
pub async fn write_prepared<'p, T, Write, Written>(
    exchange: &Exchange,
    prepared: &'p mut Prepared,
    mut write: Write,
) -> ExchangeResult<T>
where
    Write: FnMut(OrderWrite<'p>) -> Written,
    Written: std::future::Future<Output = Result<T, StoreError>>,
{
    let (quota, limits) = crate::quotas::quota_check(
        exchange,
        &prepared.service,
        &prepared.rules,
        prepared.placement.as_ref(),
        prepared.project_budget_waived,
    )
    .await?
    .unzip();
    let Prepared {
        service,
        job,
        events,
        rules,
        pooled,
        placement,
        ..
    } = prepared;
    let (events, placement): (&'p [NewEvent], &'p Option<Placement>) = (events, placement);
    let written = crate::pools::write_with_values(
        exchange,
        rules.properties.as_ref(),
        pooled,
        service,
        job,
        |service, job, claims| {
            write(OrderWrite {
                service,
                job,
                claims,
                events,
                placement: placement.as_ref(),
                quota: quota.clone(),
            })
        },
    )
    .await;
    if let (Ok(_), Some(check), Some(limits)) = (&written, &quota, &limits) {
        if check.monthly_cents > 0 {
            crate::budgets::review(exchange, &check.ended, check.consumer_id, limits).await;
        }
    }
    written
}

/// The country of `region` in `provider_id`'s sovereignty profile, where
/// the profile states it.
pub async fn region_country(
    exchange: &Exchange,
    provider_id: Uuid,
    region: &str,
) -> ExchangeResult<Option<String>> {
    Ok(exchange
        .store
        .provider_profile(provider_id)
        .await?
        .and_then(|profile| {
            profile
                .value
                .region(region)
                .map(|region| region.country.clone())
        }))
}

/// Queues `action` on `service` after checking the lifecycle allows it now.
pub async fn queue_action(
    exchange: &Exchange,
    initiator: Initiator,
    service: &Service,
    action: &str,
    params: Option<Value>,
) -> ExchangeResult<()> {
    queue_action_within(exchange, initiator, service, action, params, None).await
}

/// [`queue_action`] within `quota`, the check of what the action grows.
async fn queue_action_within(
    exchange: &Exchange,
    initiator: Initiator,
    service: &Service,
    action: &str,
    params: Option<Value>,
    quota: Option<&QuotaCheck>,
) -> ExchangeResult<()> {
    let rules = type_rules(exchange, service.service_type_id, "serviceTypeId").await?;
    rules.lifecycle.can_perform(&service.status, action)?;
    let job = new_job(service, action, params);
    exchange
        .store
        .queue_job_within(
            &job,
            &job_event(EventKind::JobCreated, initiator, &job, json!({})),
            quota,
        )
        .await
        .map_err(|error| match error {
            // Fulcrum refuses an action during another job as invalid input.
            StoreError::Conflict(message) => ExchangeError::field("action", message),
            other => other.into(),
        })?;
    exchange.dispatch.wake(job.agent_id);
    Ok(())
}

/// Changes a service's properties: checks `changes` as an update by
/// `actor` and queues an `update` job with the merged result.
pub async fn change_properties(
    exchange: &Exchange,
    actor: Actor,
    initiator: Initiator,
    service: &Service,
    changes: &Map<String, Value>,
) -> ExchangeResult<()> {
    let rules = type_rules(exchange, service.service_type_id, "serviceTypeId").await?;
    let merged = changed_properties(exchange, actor, service, &rules, changes).await?;
    let growth = crate::quotas::growth_check(exchange, service, &rules, &merged).await?;
    queue_action_within(
        exchange,
        initiator,
        service,
        "update",
        Some(Value::Object(merged)),
        growth.as_ref(),
    )
    .await
}

/// Performs `action` of the service's lifecycle, with the properties its
/// request carries when the action declares a request schema.
pub async fn act(
    exchange: &Exchange,
    actor: Actor,
    initiator: Initiator,
    service: &Service,
    action: &str,
    changes: Option<&Map<String, Value>>,
) -> ExchangeResult<()> {
    if action == "update" {
        return Err(ExchangeError::field(
            "action",
            "use PATCH /services/{id} to change properties",
        ));
    }
    let params = match changes {
        Some(changes) => Some(Value::Object(
            action_properties(exchange, actor, service, action, changes).await?,
        )),
        None => None,
    };
    queue_action(exchange, initiator, service, action, params).await
}

/// The properties an action's request carries, checked as an update of the
/// service's properties with new secrets sealed; refused for an action
/// whose lifecycle declares no request schema.
async fn action_properties(
    exchange: &Exchange,
    actor: Actor,
    service: &Service,
    action: &str,
    changes: &Map<String, Value>,
) -> ExchangeResult<Map<String, Value>> {
    let rules = type_rules(exchange, service.service_type_id, "serviceTypeId").await?;
    let Some(declared) = rules.lifecycle.action(action) else {
        // Unknown actions are refused by the lifecycle check, as before.
        rules.lifecycle.can_perform(&service.status, action)?;
        return Err(ExchangeError::field(
            "action",
            "is not an action of the lifecycle",
        ));
    };
    if !declared.accepts_properties() {
        return Err(ExchangeError::field(
            "properties",
            format!("the `{action}` action declares no request schema, so it takes no properties"),
        ));
    }
    changed_properties(exchange, actor, service, &rules, changes).await
}

/// The service's properties with `changes` applied, checked as an update by
/// `actor` and with new secrets sealed.
async fn changed_properties(
    exchange: &Exchange,
    actor: Actor,
    service: &Service,
    rules: &TypeRules,
    changes: &Map<String, Value>,
) -> ExchangeResult<Map<String, Value>> {
    let owner = PropertyOwner {
        service_id: service.id,
        agent_id: service.agent_id,
        provider_id: service.provider_id,
        consumer_id: service.consumer_id,
        group_id: service.group_id,
    };
    let context = ValidationContext::update(actor, &service.properties, &service.status);
    // Pool values are taken once, when the service is ordered; a pooled
    // property keeps its value through updates.
    let (merged, _) = checked_properties(exchange, rules, changes, &context, &owner).await?;
    Ok(merged)
}
