//! Moving compositions forward: ordering members whose dependencies are
//! ready, with their inputs wired from those dependencies' outputs and
//! their placement kept in relation to the members already placed, and
//! deleting members one at a time, in reverse order, on rollback or
//! deletion.
//!
//! [`advance`] reads the composition, brings each member's state up to
//! date from its latest job, and takes the steps the domain's
//! [`next_steps`] proposes. It is called after a member's job finishes and
//! by the maintenance sweep, and is safe to call any number of times from
//! any number of replicas: every step is a conditional write from the
//! state it was read in, and only one writer wins it.
//!
//! A member's outputs are the top-level properties of its service once its
//! `create` job completed (including those its agent reported, such as an
//! address), then the top-level fields of the agent's instance data for
//! names the properties do not have.

use std::collections::HashMap;

use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::exchange::composition::{wire_inputs, PlacedPeer, MAX_COMPONENTS};
use federa_domain::exchange::composition_progress::{
    next_steps, status, CompositionStatus, Intent, MemberState, Step,
};
use federa_domain::property_schema::Actor;
use federa_domain::provisioning::{JobStatus, Service};
use federa_store::exchange::{MemberOrder, MemberPlacement, StoredComposition, StoredMember};
use federa_store::provisioning::ServiceOrder;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::clock;
use crate::error::{ExchangeError, ExchangeResult};
use crate::job_events::job_event;
use crate::ordering::{self, new_job, Order};
use crate::type_rules::type_rules;
use crate::Exchange;

/// How many compositions one sweep advances; the next sweep takes the rest.
const SWEEP_BATCH: u32 = 100;

/// Advances the composition `service_id` belongs to, if any, after one of
/// its jobs finished. A failure is only logged: the job's outcome is
/// already recorded, and the next sweep takes the step again.
pub async fn after_job(exchange: &Exchange, service_id: Uuid) {
    let result = match exchange.store.service_composition(service_id).await {
        Ok(Some(id)) => advance(exchange, id).await,
        Ok(None) => Ok(()),
        Err(error) => Err(error.into()),
    };
    if let Err(error) = result {
        tracing::warn!(?error, %service_id, "composition not advanced; the sweep retries");
    }
}

/// Advances every composition still moving; returns how many were looked at.
pub async fn sweep(exchange: &Exchange) -> ExchangeResult<usize> {
    let moving: Vec<&str> = CompositionStatus::MOVING
        .iter()
        .map(|status| status.as_str())
        .collect();
    let ids = exchange.store.compositions_in(&moving, SWEEP_BATCH).await?;
    for id in &ids {
        advance(exchange, *id).await?;
    }
    Ok(ids.len())
}

/// Takes every step the composition allows now, then records its overall
/// status once nothing more can happen without a job finishing.
pub async fn advance(exchange: &Exchange, id: Uuid) -> ExchangeResult<()> {
    // Each round either changes something or ends, and orders one member at
    // most; the bound only guards against a store that keeps answering
    // differently.
    for _ in 0..3 * MAX_COMPONENTS {
        let Some(composition) = exchange.store.composition(id).await? else {
            return Ok(());
        };
        if composition.members.len() != composition.spec.components.len() {
            tracing::error!(%id, "composition members do not match its components");
            return Ok(());
        }
        if reconcile(exchange, &composition).await? {
            continue;
        }
        let states: Vec<MemberState> = composition.members.iter().map(|m| m.state).collect();
        let steps = next_steps(&composition.spec, composition.intent, &states);
        if steps.is_empty() {
            return record_status(exchange, &composition, &states).await;
        }
        let mut changed = false;
        for step in steps {
            let ordering = matches!(step, Step::Order(_));
            changed |= take(exchange, &composition, step).await?;
            // A member placed now is a peer whose provider and country the
            // next member's placement must see: read again first.
            if ordering {
                break;
            }
        }
        if !changed {
            return Ok(());
        }
    }
    Ok(())
}

fn event(kind: EventKind, composition: &StoredComposition, properties: Value) -> NewEvent {
    NewEvent::new(kind, Initiator::system(), composition.id)
        .consumer(Some(composition.consumer_id))
        .properties(properties)
}

/// Moves members whose latest job finished: `create` to ready or failed,
/// `delete` to deleted or kept. `true` when anything moved.
async fn reconcile(exchange: &Exchange, composition: &StoredComposition) -> ExchangeResult<bool> {
    let mut changed = false;
    for member in &composition.members {
        let (MemberState::Creating | MemberState::Deleting, Some(job_id)) =
            (member.state, member.job_id)
        else {
            continue;
        };
        let Some(job) = exchange.store.job(job_id).await? else {
            continue;
        };
        let creating = member.state == MemberState::Creating;
        let to = match (job.status, creating) {
            (JobStatus::Completed, true) => MemberState::Ready,
            (JobStatus::Failed, true) => MemberState::Failed,
            (JobStatus::Completed, false) => MemberState::Deleted,
            (JobStatus::Failed, false) => MemberState::Kept,
            _ => continue,
        };
        let properties = json!({
            "key": member.key,
            "serviceId": member.service_id,
            "jobId": job.id,
            "state": to.as_str(),
            "error": job.error_message,
        });
        changed |= exchange
            .store
            .move_member(
                composition.id,
                &member.key,
                member.state,
                to,
                job.error_message.clone(),
                &event(EventKind::CompositionMemberChanged, composition, properties),
                clock::now(),
            )
            .await?;
    }
    Ok(changed)
}

async fn record_status(
    exchange: &Exchange,
    composition: &StoredComposition,
    states: &[MemberState],
) -> ExchangeResult<()> {
    let derived = status(composition.intent, states).as_str();
    if derived != composition.status {
        exchange
            .store
            .set_composition_status(
                composition.id,
                derived,
                &event(
                    EventKind::CompositionStatusChanged,
                    composition,
                    json!({"from": composition.status, "to": derived}),
                ),
                clock::now(),
            )
            .await?;
    }
    Ok(())
}

/// Takes one step; `true` when this call made the change.
async fn take(
    exchange: &Exchange,
    composition: &StoredComposition,
    step: Step,
) -> ExchangeResult<bool> {
    match step {
        Step::RollBack => {
            let to = CompositionStatus::RollingBack.as_str();
            Ok(exchange
                .store
                .set_composition_intent(
                    composition.id,
                    &[Intent::Provision],
                    Intent::RollBack,
                    to,
                    &event(
                        EventKind::CompositionStatusChanged,
                        composition,
                        json!({"from": composition.status, "to": to}),
                    ),
                    clock::now(),
                )
                .await?)
        }
        Step::Skip(index) => {
            let member = &composition.members[index];
            move_member(exchange, composition, member, MemberState::Skipped, None).await
        }
        Step::Delete(index) => delete(exchange, composition, &composition.members[index]).await,
        Step::Order(index) => order(exchange, composition, index).await,
    }
}

async fn move_member(
    exchange: &Exchange,
    composition: &StoredComposition,
    member: &StoredMember,
    to: MemberState,
    error: Option<String>,
) -> ExchangeResult<bool> {
    let properties = json!({
        "key": member.key,
        "serviceId": member.service_id,
        "state": to.as_str(),
        "error": error,
    });
    Ok(exchange
        .store
        .move_member(
            composition.id,
            &member.key,
            member.state,
            to,
            error,
            &event(EventKind::CompositionMemberChanged, composition, properties),
            clock::now(),
        )
        .await?)
}

/// Queues the deletion of a member's service, or settles the member when
/// its lifecycle has nothing to delete (already gone) or refuses.
async fn delete(
    exchange: &Exchange,
    composition: &StoredComposition,
    member: &StoredMember,
) -> ExchangeResult<bool> {
    let service = match member.service_id {
        Some(id) => exchange.store.service(id).await?,
        None => None,
    };
    let Some(service) = service else {
        // Refused before a service existed: nothing to delete.
        return move_member(exchange, composition, member, MemberState::Deleted, None).await;
    };
    let rules = type_rules(exchange, service.service_type_id, "serviceTypeId").await?;
    if rules.lifecycle.is_terminal(&service.status) {
        return move_member(exchange, composition, member, MemberState::Deleted, None).await;
    }
    if let Err(refused) = rules.lifecycle.can_perform(&service.status, "delete") {
        let error = format!("not deleted: {refused}");
        return move_member(
            exchange,
            composition,
            member,
            MemberState::Kept,
            Some(error),
        )
        .await;
    }
    let job = new_job(&service, "delete", None);
    let events = [
        job_event(EventKind::JobCreated, Initiator::system(), &job, json!({})),
        event(
            EventKind::CompositionMemberChanged,
            composition,
            json!({"key": member.key, "serviceId": service.id, "jobId": job.id, "state": MemberState::Deleting.as_str()}),
        ),
    ];
    let queued = exchange
        .store
        .delete_member(composition.id, &member.key, member.state, &job, &events)
        .await?;
    if queued {
        exchange.dispatch.wake(job.agent_id);
    }
    Ok(queued)
}

/// The outputs of a provisioned member's service.
fn outputs(service: &Service) -> Map<String, Value> {
    let mut outputs = service.properties.clone();
    if let Some(Value::Object(data)) = &service.agent_instance_data {
        for (name, value) in data {
            outputs.entry(name.clone()).or_insert_with(|| value.clone());
        }
    }
    outputs
}

/// Orders the member at `index`: wires its inputs, places it near its
/// peers and writes its service and `create` job. An order the rules
/// refuse fails the member; a storage error is returned for a later retry.
async fn order(
    exchange: &Exchange,
    composition: &StoredComposition,
    index: usize,
) -> ExchangeResult<bool> {
    let member = &composition.members[index];
    let component = &crate::composition_secrets::opened(
        exchange,
        composition.id,
        &composition.spec.components[index],
    )
    .await?;
    let mut provided = HashMap::new();
    for dependency in composition.spec.dependencies_of(index) {
        let source = &composition.members[dependency];
        if let Some(service_id) = source.service_id {
            if let Some(service) = exchange.store.service(service_id).await? {
                provided.insert(source.key.clone(), outputs(&service));
            }
        }
    }
    let properties = match wire_inputs(component, &provided) {
        Ok(properties) => properties,
        Err(errors) => {
            let error = ExchangeError::Invalid(errors).refusal();
            return move_member(exchange, composition, member, MemberState::Failed, error).await;
        }
    };
    let placed: HashMap<String, PlacedPeer> = composition
        .members
        .iter()
        .filter_map(|peer| {
            Some((
                peer.key.clone(),
                PlacedPeer {
                    participant_id: peer.provider_id?,
                    country: peer.country.clone()?,
                },
            ))
        })
        .collect();
    let peers = composition.spec.peer_placements(&member.key, &placed);
    let prepared = ordering::prepare(
        exchange,
        Order {
            name: component.name.clone(),
            service_type_id: component.service_type_id,
            group_id: composition.group_id,
            consumer_id: composition.consumer_id,
            agent_id: None,
            agent_tags: &[],
            properties: &properties,
            placement: Some(&component.placement),
            peers: &peers,
            import_format: None,
            offering_id: component.offering_id,
            actor: Actor::User,
            initiator: Initiator::system(),
        },
    )
    .await;
    let mut prepared = match prepared {
        Ok(mut prepared) => {
            prepared.project_budget_waived =
                crate::budgets::composition_budget_waived(exchange, composition.id).await?;
            prepared
        }
        Err(error) => {
            let Some(message) = error.refusal() else {
                return Err(error);
            };
            return move_member(
                exchange,
                composition,
                member,
                MemberState::Failed,
                Some(message),
            )
            .await;
        }
    };
    let (Some((decided, choice)), Some(decision)) = (&prepared.placed, &prepared.placement) else {
        return Err(ExchangeError::internal(
            "a prepared member has no placement decision",
        ));
    };
    let country = ordering::region_country(exchange, choice.participant_id, &choice.region)
        .await?
        .unwrap_or_default();
    let placement = MemberPlacement {
        provider_id: choice.participant_id,
        country,
        explanation: decided.decision.explain(),
    };
    let decision = decision.clone();
    prepared.events.push(event(
        EventKind::CompositionMemberChanged,
        composition,
        json!({
            "key": member.key,
            "serviceId": prepared.service.id,
            "jobId": prepared.job.id,
            "state": MemberState::Creating.as_str(),
            "providerId": placement.provider_id,
        }),
    ));
    let written = ordering::write_prepared(exchange, &mut prepared, |write| {
        let (placed, decision) = (&placement, &decision);
        async move {
            exchange
                .store
                .order_member(
                    composition.id,
                    MemberOrder {
                        key: &member.key,
                        placed,
                        order: ServiceOrder {
                            placement: Some(decision),
                            ..write.service_order()
                        },
                    },
                    write.events,
                )
                .await
        }
    })
    .await;
    match written {
        Ok(written) => {
            if written {
                exchange.dispatch.wake(prepared.service.agent_id);
            }
            Ok(written)
        }
        // An exhausted or missing pool refuses the member as it would refuse
        // an order.
        Err(error) => match error.refusal() {
            Some(message) => {
                move_member(
                    exchange,
                    composition,
                    member,
                    MemberState::Failed,
                    Some(message),
                )
                .await
            }
            None => Err(error),
        },
    }
}
