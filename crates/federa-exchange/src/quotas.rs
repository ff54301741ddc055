//! The service quotas an order is checked against: when a limit is set on
//! the consumer or on the project of the service's group, the order's
//! write carries a check of it (see `federa_store::QuotaCheck`), which
//! counts only services not in a terminal state of their own type's
//! lifecycle.

use federa_domain::provisioning::Service;
use federa_store::QuotaCheck;

use crate::error::ExchangeResult;
use crate::type_rules::type_rules;
use crate::Exchange;

/// The quota check for writing `service`, or `None` when no limit applies
/// to it. A limit set after this read applies to the orders after it.
pub async fn quota_check(
    exchange: &Exchange,
    service: &Service,
) -> ExchangeResult<Option<QuotaCheck>> {
    let limits = exchange
        .store
        .service_limits(service.consumer_id, service.group_id)
        .await?;
    if !limits.any() {
        return Ok(None);
    }
    // A type none of the consumer's services had when this was read
    // counts all its services, which are new.
    let types = exchange
        .store
        .consumer_service_types(service.consumer_id)
        .await?;
    let mut ended = Vec::with_capacity(types.len());
    for service_type_id in types {
        let rules = type_rules(exchange, service_type_id, "serviceTypeId").await?;
        ended.push((service_type_id, rules.lifecycle.terminal_states().to_vec()));
    }
    Ok(Some(QuotaCheck {
        consumer_id: service.consumer_id,
        group_id: service.group_id,
        ended,
    }))
}
