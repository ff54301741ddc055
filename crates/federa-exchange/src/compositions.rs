//! Compositions as the consumer asks for them: submitting one (checking
//! the whole request, sealing its secrets, recording it and taking its
//! first steps) and withdrawing one (recording the intent to delete its
//! members). Moving a composition on is [`crate::composing`].

use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::exchange::composition::CompositionSpec;
use federa_domain::exchange::composition_progress::{CompositionStatus, Intent, MemberState};
use federa_domain::exchange::Offering;
use federa_domain::listing::FieldError;
use federa_domain::participant::check_name;
use federa_domain::property_schema::{Actor, PropertySchema, ValidationContext};
use federa_store::exchange::{Stored, StoredComposition, StoredMember};
use serde_json::json;
use uuid::Uuid;

use crate::clock;
use crate::composing;
use crate::error::{under, ExchangeError, ExchangeResult};
use crate::type_rules::type_rules;
use crate::Exchange;

/// Records `spec` as a new composition of `consumer_id` in `group_id` and
/// takes its first steps; answers it as stored after them.
pub async fn submit(
    exchange: &Exchange,
    initiator: Initiator,
    consumer_id: Uuid,
    group_id: Uuid,
    mut spec: CompositionSpec,
) -> ExchangeResult<StoredComposition> {
    spec.validate()?;
    check(exchange, &spec).await?;
    let id = Uuid::now_v7();
    crate::composition_secrets::seal(exchange, id, &mut spec).await?;
    let composition = record(id, consumer_id, group_id, spec, clock::now());
    let event = created_event(&composition, initiator);
    exchange
        .store
        .insert_composition(&composition, &event)
        .await?;
    if let Err(error) = composing::advance(exchange, composition.id).await {
        tracing::warn!(?error, id = %composition.id, "composition not advanced; the sweep retries");
    }
    let stored = exchange
        .store
        .composition(composition.id)
        .await?
        .unwrap_or(composition);
    Ok(stored)
}

/// A new composition `id` of `spec`, nothing ordered yet.
pub(crate) fn record(
    id: Uuid,
    consumer_id: Uuid,
    group_id: Uuid,
    spec: CompositionSpec,
    now: chrono::DateTime<chrono::Utc>,
) -> StoredComposition {
    StoredComposition {
        id,
        consumer_id,
        group_id,
        intent: Intent::Provision,
        status: CompositionStatus::Pending.as_str().to_owned(),
        members: spec
            .components
            .iter()
            .map(|component| StoredMember {
                key: component.key.clone(),
                state: MemberState::Waiting,
                service_id: None,
                job_id: None,
                provider_id: None,
                country: None,
                explanation: None,
                error: None,
                updated_at: now,
            })
            .collect(),
        spec,
        created_at: now,
        updated_at: now,
    }
}

/// The event saying `composition` was submitted.
pub(crate) fn created_event(composition: &StoredComposition, initiator: Initiator) -> NewEvent {
    NewEvent::new(EventKind::CompositionCreated, initiator, composition.id)
        .consumer(Some(composition.consumer_id))
        .properties(json!({
            "name": composition.spec.name,
            "groupId": composition.group_id,
            "components": composition.members.iter().map(|m| m.key.as_str()).collect::<Vec<_>>(),
        }))
}

/// Records that the consumer wants `composition` gone: its members'
/// services are deleted one at a time, in reverse dependency order, and
/// members not ordered yet never will be.
pub async fn withdraw(
    exchange: &Exchange,
    initiator: Initiator,
    composition: &StoredComposition,
) -> ExchangeResult<()> {
    let id = composition.id;
    if composition.intent != Intent::Delete {
        let to = CompositionStatus::Deleting.as_str();
        let event = NewEvent::new(EventKind::CompositionDeleting, initiator, id)
            .consumer(Some(composition.consumer_id))
            .properties(json!({"from": composition.status, "to": to}));
        exchange
            .store
            .set_composition_intent(
                id,
                &[Intent::Provision, Intent::RollBack],
                Intent::Delete,
                to,
                &event,
                clock::now(),
            )
            .await?;
    }
    if let Err(error) = composing::advance(exchange, id).await {
        tracing::warn!(?error, %id, "composition not advanced; the sweep retries");
    }
    Ok(())
}

/// Every problem with the request beyond the spec's own shape: names,
/// service types, placement requests, properties that need no input, and
/// inputs naming properties the service types do not have.
pub(crate) async fn check(exchange: &Exchange, spec: &CompositionSpec) -> ExchangeResult<()> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut collect = |result: ExchangeResult<()>| -> ExchangeResult<()> {
        match result {
            Ok(()) => Ok(()),
            Err(ExchangeError::Invalid(found)) => {
                errors.extend(found);
                Ok(())
            }
            Err(other) => Err(other),
        }
    };
    collect(
        check_name("name", &spec.name)
            .map(|_| ())
            .map_err(Into::into),
    )?;
    let mut schemas: Vec<Option<PropertySchema>> = Vec::new();
    for (index, component) in spec.components.iter().enumerate() {
        let path = format!("components[{index}]");
        collect(
            check_name(&format!("{path}.name"), &component.name)
                .map(|_| ())
                .map_err(Into::into),
        )?;
        collect(
            component
                .placement
                .validate()
                .map_err(|found| under(&format!("{path}.placement"), found)),
        )?;
        if let Some(offering_id) = component.offering_id {
            let offering = exchange
                .store
                .record::<Stored<Offering>>(offering_id)
                .await?;
            if offering
                .is_none_or(|offering| offering.value.service_type_id != component.service_type_id)
            {
                collect(Err(ExchangeError::field(
                    format!("{path}.offeringId"),
                    "no offering of the service type has this id",
                )))?;
            }
        }
        let field = format!("{path}.serviceTypeId");
        match type_rules(exchange, component.service_type_id, &field).await {
            Ok(rules) => {
                if let (Some(schema), true) = (&rules.properties, component.inputs.is_empty()) {
                    collect(
                        schema
                            .validate(
                                &component.properties,
                                &ValidationContext::create(Actor::User),
                            )
                            .map(|_| ())
                            .map_err(|found| under(&format!("{path}.properties"), found)),
                    )?;
                }
                schemas.push(rules.properties.clone());
            }
            Err(error) => {
                collect(Err(error))?;
                schemas.push(None);
            }
        }
    }
    for (index, component) in spec.components.iter().enumerate() {
        for (position, input) in component.inputs.iter().enumerate() {
            let path = format!("components[{index}].inputs[{position}]");
            if let Some(Some(schema)) = schemas.get(index) {
                if schema.property(&input.property).is_none() {
                    errors.push(FieldError::new(
                        format!("{path}.property"),
                        format!(
                            "`{}` is not a property of the service type of `{}`",
                            input.property, component.key
                        ),
                    ));
                }
            }
            let source = spec
                .components
                .iter()
                .position(|other| other.key == input.from);
            if let Some(Some(schema)) = source.and_then(|source| schemas.get(source)) {
                if schema.property(&input.output).is_none() {
                    errors.push(FieldError::new(
                        format!("{path}.output"),
                        format!(
                            "`{}` is not a property of the service type of `{}`",
                            input.output, input.from
                        ),
                    ));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ExchangeError::Invalid(errors))
    }
}
