//! The catalogue of event kinds the exchange writes, so that a subscriber
//! naming kinds (a webhook's `eventTypes`) is told at once when one is not
//! a kind any event will ever carry.

/// Every kind of event, as it appears in an event's `type`.
pub const EVENT_KINDS: &[&str] = &[
    "participant.created",
    "participant.updated",
    "participant.deleted",
    "token.created",
    "token.updated",
    "token.deleted",
    "token.regenerate",
    "agent_type.created",
    "agent_type.updated",
    "agent_type.deleted",
    "agent.created",
    "agent.updated",
    "agent.deleted",
    "agent.tokenRotated",
    "agent.install_token_created",
    "agent.install_token_exchanged",
    "agent.install_token_regenerated",
    "agent.install_token_revoked",
    "service_type.created",
    "service_type.updated",
    "service_type.deleted",
    "metric_type.created",
    "metric_type.updated",
    "metric_type.deleted",
    "service_group.created",
    "service_group.updated",
    "service_group.deleted",
    "service_option_type.created",
    "service_option_type.updated",
    "service_option_type.deleted",
    "service_option.created",
    "service_option.updated",
    "service_option.deleted",
    "service_pool_set.created",
    "service_pool_set.updated",
    "service_pool_set.deleted",
    "service_pool.created",
    "service_pool.updated",
    "service_pool.deleted",
    "service_pool_value.created",
    "service_pool_value.deleted",
    "config_pool.created",
    "config_pool.updated",
    "config_pool.deleted",
    "config_pool_value.created",
    "config_pool_value.deleted",
    "service.created",
    "service.updated",
    "service.transitioned",
    "service.drifted",
    "service.driftResolved",
    "job.created",
    "job.claimed",
    "job.completed",
    "job.failed",
    "job.leaseExpired",
    "provider_profile.created",
    "provider_profile.updated",
    "provider_profile.deleted",
    "offering.created",
    "offering.updated",
    "offering.deleted",
    "placement_policy.created",
    "placement_policy.updated",
    "placement_policy.deleted",
    "placement.decided",
    "composition.created",
    "composition.deleting",
    "composition.memberChanged",
    "composition.statusChanged",
    crate::webhooks::ENDPOINT_CREATED,
    crate::webhooks::ENDPOINT_DELETED,
    crate::webhooks::ENDPOINT_DISABLED,
];

/// Whether `kind` is in [`EVENT_KINDS`].
pub fn is_event_kind(kind: &str) -> bool {
    EVENT_KINDS.contains(&kind)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn each_kind_is_listed_once() {
        let distinct: BTreeSet<_> = EVENT_KINDS.iter().collect();
        assert_eq!(distinct.len(), EVENT_KINDS.len());
        assert!(is_event_kind("service.created"));
        assert!(!is_event_kind("service.exploded"));
    }
}
