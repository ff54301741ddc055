//! Ordering a service: validating its properties, choosing its agent (by
//! name, by type and tags, or through the exchange's placement) and
//! building the service and its `create` job. `POST /services` and
//! compositions order through here, so a member of a composition is
//! checked, placed and recorded exactly as a service ordered on its own.

use federa_domain::access::{Identity, Role};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::exchange::placement::{Choice, PeerPlacement, Placement, PlacementRequest};
use federa_domain::property_schema::{check_weight, Actor, GeneratorRequest, ValidationContext};
use federa_domain::provisioning::{choose_agent, Job, JobStatus, Service};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::provisioning::{
    job_event, resolve_lookups, type_rules, under, PropertyOwner, TypeRules,
};
use crate::routes::placement::{self, Decided};
use crate::state::AppState;
use crate::vault::{self, SecretOwner};

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
}

/// The property actor a caller writes as.
pub fn actor(caller: &Identity) -> Actor {
    match caller.role {
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
    }
}

/// Validates properties by the type's schema, resolves the references and
/// options it asks about and moves new secret values into the vault. A type
/// without a schema takes them as given (merged over the current ones on
/// update). Also returns the properties a pool must fill.
pub async fn checked_properties(
    state: &AppState,
    rules: &TypeRules,
    input: &Map<String, Value>,
    context: &ValidationContext<'_>,
    owner: &PropertyOwner,
) -> ApiResult<(Map<String, Value>, Vec<GeneratorRequest>)> {
    let Some(schema) = &rules.properties else {
        let mut merged = context.current().cloned().unwrap_or_default();
        merged.extend(input.clone());
        check_weight("properties", &merged, state.max_properties_bytes)?;
        return Ok((merged, Vec::new()));
    };
    let mut validated = schema
        .validate(input, context)
        .map_err(|errors| under("properties", errors))?;
    check_weight(
        "properties",
        &validated.properties,
        state.max_properties_bytes,
    )?;
    resolve_lookups(state, &validated, owner).await?;
    let secrets_of = SecretOwner::service(owner.service_id, owner.agent_id);
    vault::seal_secrets(state, &mut validated, secrets_of).await?;
    Ok((validated.properties, validated.generators))
}

/// Checks `order` and chooses where it runs; the caller writes the service,
/// its job and its placement in one transaction.
pub async fn prepare(state: &AppState, order: Order<'_>) -> ApiResult<Prepared> {
    let rules = type_rules(state, order.service_type_id, "serviceTypeId").await?;
    let placed = match order.placement {
        Some(_) if order.agent_id.is_some() => {
            return Err(ApiError::field(
                "agentId",
                "must not be given with placement, which chooses the agent",
            ))
        }
        Some(request) => Some(
            placement::choose(
                state,
                order.consumer_id,
                order.service_type_id,
                &rules,
                order.properties,
                order.agent_tags,
                request,
                order.peers,
                order.actor,
            )
            .await?,
        ),
        None => None,
    };
    let (agent_id, provider_id) = match &placed {
        Some((_, choice)) => (choice.agent_id, choice.participant_id),
        None => {
            let candidates = state
                .store
                .agent_candidates(order.service_type_id, order.agent_id)
                .await?;
            let agent = choose_agent(&candidates, order.agent_id, order.agent_tags)
                .map_err(|why| ApiError::field(why.field(), why.to_string()))?;
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
        state,
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
            placement::placement_event("placement.decided", order.initiator.clone(), placement)
        })
        .collect();
    events.extend([
        NewEvent::new("service.created", order.initiator.clone(), service.id)
            .provider(Some(service.provider_id))
            .consumer(Some(order.consumer_id))
            .agent(Some(service.agent_id))
            .properties(created),
        job_event("job.created", order.initiator, &job, json!({})),
    ]);
    Ok(Prepared {
        service,
        job,
        events,
        rules,
        pooled,
        placed,
        placement,
    })
}
