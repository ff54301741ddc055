//! The quotas an order is checked against: when a service limit or a
//! monthly budget is set on the consumer or on the project of the
//! service's group, the order's write carries a check of it (see
//! `federa_store::QuotaCheck`), which counts only services not in a
//! terminal state of their own type's lifecycle.

use federa_domain::exchange::placement::Placement;
use federa_domain::provisioning::Service;
use federa_store::{QuotaCheck, ServiceLimits};
use uuid::Uuid;

use crate::error::ExchangeResult;
use crate::type_rules::type_rules;
use crate::Exchange;

/// The quota check for writing `service`, placed by `placement`, with the
/// limits that apply to it; `None` when none does. A limit set after this
/// read applies to the orders after it.
pub async fn quota_check(
    exchange: &Exchange,
    service: &Service,
    placement: Option<&Placement>,
) -> ExchangeResult<Option<(QuotaCheck, ServiceLimits)>> {
    let limits = exchange
        .store
        .service_limits(service.consumer_id, service.group_id)
        .await?;
    if !limits.any() {
        return Ok(None);
    }
    Ok(Some((
        QuotaCheck {
            consumer_id: service.consumer_id,
            group_id: service.group_id,
            ended: ended_states(exchange, service.consumer_id).await?,
            monthly_cents: placement.map_or(0, Placement::monthly_cents),
            project_budget_waived: false,
        },
        limits,
    )))
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
