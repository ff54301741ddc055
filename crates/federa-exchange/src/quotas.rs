//! The quotas an order is checked against: when a service limit, a
//! monthly budget or a limit on quota-counted properties is set on the
//! consumer or on the project of the service's group, the order's write
//! carries a check of it (see `federa_store::QuotaCheck`), which counts
//! only services not in a terminal state of their own type's lifecycle.

use federa_domain::exchange::placement::Placement;
use federa_domain::provisioning::Service;
use federa_store::{QuotaCheck, ServiceLimits};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::ExchangeResult;
use crate::type_rules::{type_rules, TypeRules};
use crate::Exchange;

/// The quota check for writing `service` (of a type with `rules`), placed
/// by `placement`, with the limits that apply to it; `None` when none
/// does. A limit set after this read applies to the orders after it.
pub async fn quota_check(
    exchange: &Exchange,
    service: &Service,
    rules: &TypeRules,
    placement: Option<&Placement>,
    project_budget_waived: bool,
) -> ExchangeResult<Option<(QuotaCheck, ServiceLimits)>> {
    let limits = exchange
        .store
        .service_limits(service.consumer_id, service.group_id)
        .await?;
    if !limits.any() {
        return Ok(None);
    }
    let amounts = match (&rules.properties, limits.property_limits) {
        (Some(schema), true) => schema.quota_amounts(&service.properties),
        _ => Vec::new(),
    };
    let counted = if amounts.is_empty() {
        Vec::new()
    } else {
        counting_types(exchange).await?
    };
    Ok(Some((
        QuotaCheck {
            consumer_id: service.consumer_id,
            group_id: service.group_id,
            ended: ended_states(exchange, service.consumer_id).await?,
            monthly_cents: placement.map_or(0, Placement::monthly_cents),
            project_budget_waived,
            adds_service: true,
            amounts,
            counted,
        },
        limits,
    )))
}

/// The check of changing `service`'s properties (by its type's `rules`)
/// to `changed`: what the change adds to each property quota, where it
/// adds anything and a limit is set; `None` otherwise. The service's
/// current properties already count, so only the growth is checked.
pub async fn growth_check(
    exchange: &Exchange,
    service: &Service,
    rules: &TypeRules,
    changed: &Map<String, Value>,
) -> ExchangeResult<Option<QuotaCheck>> {
    let Some(schema) = &rules.properties else {
        return Ok(None);
    };
    let before = schema.quota_amounts(&service.properties);
    let growth: Vec<(String, i64)> = schema
        .quota_amounts(changed)
        .into_iter()
        .filter_map(|(quota, after)| {
            let was = before
                .iter()
                .find(|(name, _)| *name == quota)
                .map_or(0, |(_, amount)| *amount);
            (after > was).then(|| (quota, after - was))
        })
        .collect();
    if growth.is_empty() {
        return Ok(None);
    }
    let limits = exchange
        .store
        .service_limits(service.consumer_id, service.group_id)
        .await?;
    if !limits.property_limits {
        return Ok(None);
    }
    Ok(Some(QuotaCheck {
        consumer_id: service.consumer_id,
        group_id: service.group_id,
        ended: ended_states(exchange, service.consumer_id).await?,
        monthly_cents: 0,
        project_budget_waived: false,
        adds_service: false,
        amounts: growth,
        counted: counting_types(exchange).await?,
    }))
}

/// The properties each service type of the catalogue counts towards each
/// property quota: every type, not only those the consumer has services
/// of, so that services of a type new to it ordered concurrently count.
async fn counting_types(exchange: &Exchange) -> ExchangeResult<Vec<(Uuid, Vec<(String, String)>)>> {
    let mut counted = Vec::new();
    for service_type_id in exchange.store.service_type_ids().await? {
        let Ok(rules) = type_rules(exchange, service_type_id, "serviceTypeId").await else {
            // Deleted since it was listed.
            continue;
        };
        let quotas = rules
            .properties
            .as_ref()
            .map(|schema| schema.quota_properties())
            .unwrap_or_default();
        if !quotas.is_empty() {
            counted.push((service_type_id, quotas));
        }
    }
    Ok(counted)
}

/// The terminal states of each type `consumer_id` has services of. A type
/// none of its services had when this was read counts all its services,
/// which are new.
pub async fn ended_states(
    exchange: &Exchange,
    consumer_id: Uuid,
) -> ExchangeResult<Vec<(Uuid, Vec<String>)>> {
    let types = exchange.store.consumer_service_types(consumer_id).await?;
    let mut ended = Vec::with_capacity(types.len());
    for service_type_id in types {
        let rules = type_rules(exchange, service_type_id, "serviceTypeId").await?;
        ended.push((service_type_id, rules.lifecycle.terminal_states().to_vec()));
    }
    Ok(ended)
}
