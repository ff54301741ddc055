//! The event-kind catalogue: everything the log can say happened, one
//! variant per kind, with the wire name readers see as an event's `type`
//! and filter on. Stored events keep their names forever, so a name never
//! changes once released; a new kind is a new variant here.

use std::fmt;

/// One kind of change the event log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    ParticipantCreated,
    ParticipantUpdated,
    ParticipantDeleted,
    TokenCreated,
    TokenUpdated,
    TokenDeleted,
    /// A token's value was replaced; the old value stopped working.
    TokenRegenerated,
    AgentCreated,
    /// An agent's fields or its status changed.
    AgentUpdated,
    AgentDeleted,
    /// An agent replaced its own token.
    AgentTokenRotated,
    AgentInstallTokenCreated,
    AgentInstallTokenRegenerated,
    AgentInstallTokenRevoked,
    /// An installer traded its install token for the agent's token.
    AgentInstallTokenExchanged,
    AgentTypeCreated,
    AgentTypeUpdated,
    AgentTypeDeleted,
    ServiceTypeCreated,
    ServiceTypeUpdated,
    ServiceTypeDeleted,
    ServiceOptionTypeCreated,
    ServiceOptionTypeUpdated,
    ServiceOptionTypeDeleted,
    ServiceOptionCreated,
    ServiceOptionUpdated,
    ServiceOptionDeleted,
    ServiceGroupCreated,
    ServiceGroupUpdated,
    ServiceGroupDeleted,
    MetricTypeCreated,
    MetricTypeUpdated,
    MetricTypeDeleted,
    ServicePoolSetCreated,
    ServicePoolSetUpdated,
    ServicePoolSetDeleted,
    ServicePoolCreated,
    ServicePoolUpdated,
    ServicePoolDeleted,
    ServicePoolValueCreated,
    ServicePoolValueDeleted,
    ConfigPoolCreated,
    ConfigPoolUpdated,
    ConfigPoolDeleted,
    ConfigPoolValueCreated,
    ConfigPoolValueDeleted,
    OfferingCreated,
    OfferingUpdated,
    OfferingDeleted,
    PlacementPolicyCreated,
    PlacementPolicyUpdated,
    PlacementPolicyDeleted,
    ProviderProfileCreated,
    ProviderProfileUpdated,
    ProviderProfileDeleted,
    /// The exchange chose a provider and agent for a service, and why.
    PlacementDecided,
    ServiceCreated,
    /// A service's name changed.
    ServiceUpdated,
    /// A service moved from one lifecycle state to another.
    ServiceTransitioned,
    /// Its agent saw the service in a state other than its recorded one.
    ServiceDrifted,
    /// A drifted service was seen as recorded again.
    ServiceDriftResolved,
    JobCreated,
    JobClaimed,
    JobCompleted,
    JobFailed,
    /// A job's claim lapsed: it went back to the queue or failed, by policy.
    JobLeaseExpired,
    CompositionCreated,
    /// A composition's members are being deleted.
    CompositionDeleting,
    CompositionMemberChanged,
    CompositionStatusChanged,
    /// A webhook endpoint was subscribed.
    WebhookCreated,
    /// A webhook endpoint was removed.
    WebhookDeleted,
    /// A webhook endpoint's deliveries kept failing for the whole retry
    /// period and it was turned off.
    WebhookDisabled,
    ProjectCreated,
    ProjectUpdated,
    ProjectDeleted,
    /// A consumer asked to move a service to another provider with its data.
    SwitchCreated,
    /// A switch entered its next stage.
    SwitchStageChanged,
    /// A switch cut a service over to its target: the source service is no
    /// longer the consumer's and is no longer billed.
    ServiceSwitchedAway,
    UserCreated,
    UserUpdated,
    UserDeleted,
    MembershipCreated,
    MembershipUpdated,
    MembershipDeleted,
    PersonalTokenCreated,
    PersonalTokenDeleted,
    /// An order was placed and quoted.
    OrderQuoted,
    /// An order's quote was accepted past its project's approval threshold.
    OrderAwaitingApproval,
    /// An order was accepted on an offering whose provider accepts each order.
    OrderAwaitingProvider,
    /// An order's quote was accepted (and approved where needed).
    OrderAccepted,
    /// An accepted order's service was ordered.
    OrderProvisioning,
    /// An order's service was created.
    OrderDone,
    /// An order's service could not be created.
    OrderFailed,
    /// An order was accepted or approved after its quote expired.
    OrderExpired,
    /// An order was withdrawn before acceptance.
    OrderCancelled,
    /// An approver refused an order.
    OrderRejected,
    /// The provider refused an order placed on it.
    OrderDeclined,
    /// A consumer's forecast monthly spend reached another of its budget's
    /// alert thresholds.
    ParticipantBudgetAlert,
    /// A project's forecast monthly spend reached another of its budget's
    /// alert thresholds.
    ProjectBudgetAlert,
}

impl EventKind {
    /// Every kind, in catalogue order.
    pub const ALL: &'static [EventKind] = &[
        EventKind::ParticipantCreated,
        EventKind::ParticipantUpdated,
        EventKind::ParticipantDeleted,
        EventKind::TokenCreated,
        EventKind::TokenUpdated,
        EventKind::TokenDeleted,
        EventKind::TokenRegenerated,
        EventKind::AgentCreated,
        EventKind::AgentUpdated,
        EventKind::AgentDeleted,
        EventKind::AgentTokenRotated,
        EventKind::AgentInstallTokenCreated,
        EventKind::AgentInstallTokenRegenerated,
        EventKind::AgentInstallTokenRevoked,
        EventKind::AgentInstallTokenExchanged,
        EventKind::AgentTypeCreated,
        EventKind::AgentTypeUpdated,
        EventKind::AgentTypeDeleted,
        EventKind::ServiceTypeCreated,
        EventKind::ServiceTypeUpdated,
        EventKind::ServiceTypeDeleted,
        EventKind::ServiceOptionTypeCreated,
        EventKind::ServiceOptionTypeUpdated,
        EventKind::ServiceOptionTypeDeleted,
        EventKind::ServiceOptionCreated,
        EventKind::ServiceOptionUpdated,
        EventKind::ServiceOptionDeleted,
        EventKind::ServiceGroupCreated,
        EventKind::ServiceGroupUpdated,
        EventKind::ServiceGroupDeleted,
        EventKind::MetricTypeCreated,
        EventKind::MetricTypeUpdated,
        EventKind::MetricTypeDeleted,
        EventKind::ServicePoolSetCreated,
        EventKind::ServicePoolSetUpdated,
        EventKind::ServicePoolSetDeleted,
        EventKind::ServicePoolCreated,
        EventKind::ServicePoolUpdated,
        EventKind::ServicePoolDeleted,
        EventKind::ServicePoolValueCreated,
        EventKind::ServicePoolValueDeleted,
        EventKind::ConfigPoolCreated,
        EventKind::ConfigPoolUpdated,
        EventKind::ConfigPoolDeleted,
        EventKind::ConfigPoolValueCreated,
        EventKind::ConfigPoolValueDeleted,
        EventKind::OfferingCreated,
        EventKind::OfferingUpdated,
        EventKind::OfferingDeleted,
        EventKind::PlacementPolicyCreated,
        EventKind::PlacementPolicyUpdated,
        EventKind::PlacementPolicyDeleted,
        EventKind::ProviderProfileCreated,
        EventKind::ProviderProfileUpdated,
        EventKind::ProviderProfileDeleted,
        EventKind::PlacementDecided,
        EventKind::ServiceCreated,
        EventKind::ServiceUpdated,
        EventKind::ServiceTransitioned,
        EventKind::ServiceDrifted,
        EventKind::ServiceDriftResolved,
        EventKind::JobCreated,
        EventKind::JobClaimed,
        EventKind::JobCompleted,
        EventKind::JobFailed,
        EventKind::JobLeaseExpired,
        EventKind::CompositionCreated,
        EventKind::CompositionDeleting,
        EventKind::CompositionMemberChanged,
        EventKind::CompositionStatusChanged,
        EventKind::WebhookCreated,
        EventKind::WebhookDeleted,
        EventKind::WebhookDisabled,
        EventKind::ProjectCreated,
        EventKind::ProjectUpdated,
        EventKind::ProjectDeleted,
        EventKind::SwitchCreated,
        EventKind::SwitchStageChanged,
        EventKind::ServiceSwitchedAway,
        EventKind::UserCreated,
        EventKind::UserUpdated,
        EventKind::UserDeleted,
        EventKind::MembershipCreated,
        EventKind::MembershipUpdated,
        EventKind::MembershipDeleted,
        EventKind::PersonalTokenCreated,
        EventKind::PersonalTokenDeleted,
        EventKind::OrderQuoted,
        EventKind::OrderAwaitingApproval,
        EventKind::OrderAccepted,
        EventKind::OrderProvisioning,
        EventKind::OrderDone,
        EventKind::OrderFailed,
        EventKind::OrderExpired,
        EventKind::OrderCancelled,
        EventKind::OrderRejected,
        EventKind::OrderAwaitingProvider,
        EventKind::OrderDeclined,
        EventKind::ParticipantBudgetAlert,
        EventKind::ProjectBudgetAlert,
    ];

    /// The name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ParticipantCreated => "participant.created",
            EventKind::ParticipantUpdated => "participant.updated",
            EventKind::ParticipantDeleted => "participant.deleted",
            EventKind::TokenCreated => "token.created",
            EventKind::TokenUpdated => "token.updated",
            EventKind::TokenDeleted => "token.deleted",
            EventKind::TokenRegenerated => "token.regenerate",
            EventKind::AgentCreated => "agent.created",
            EventKind::AgentUpdated => "agent.updated",
            EventKind::AgentDeleted => "agent.deleted",
            EventKind::AgentTokenRotated => "agent.tokenRotated",
            EventKind::AgentInstallTokenCreated => "agent.install_token_created",
            EventKind::AgentInstallTokenRegenerated => "agent.install_token_regenerated",
            EventKind::AgentInstallTokenRevoked => "agent.install_token_revoked",
            EventKind::AgentInstallTokenExchanged => "agent.install_token_exchanged",
            EventKind::AgentTypeCreated => "agent_type.created",
            EventKind::AgentTypeUpdated => "agent_type.updated",
            EventKind::AgentTypeDeleted => "agent_type.deleted",
            EventKind::ServiceTypeCreated => "service_type.created",
            EventKind::ServiceTypeUpdated => "service_type.updated",
            EventKind::ServiceTypeDeleted => "service_type.deleted",
            EventKind::ServiceOptionTypeCreated => "service_option_type.created",
            EventKind::ServiceOptionTypeUpdated => "service_option_type.updated",
            EventKind::ServiceOptionTypeDeleted => "service_option_type.deleted",
            EventKind::ServiceOptionCreated => "service_option.created",
            EventKind::ServiceOptionUpdated => "service_option.updated",
            EventKind::ServiceOptionDeleted => "service_option.deleted",
            EventKind::ServiceGroupCreated => "service_group.created",
            EventKind::ServiceGroupUpdated => "service_group.updated",
            EventKind::ServiceGroupDeleted => "service_group.deleted",
            EventKind::MetricTypeCreated => "metric_type.created",
            EventKind::MetricTypeUpdated => "metric_type.updated",
            EventKind::MetricTypeDeleted => "metric_type.deleted",
            EventKind::ServicePoolSetCreated => "service_pool_set.created",
            EventKind::ServicePoolSetUpdated => "service_pool_set.updated",
            EventKind::ServicePoolSetDeleted => "service_pool_set.deleted",
            EventKind::ServicePoolCreated => "service_pool.created",
            EventKind::ServicePoolUpdated => "service_pool.updated",
            EventKind::ServicePoolDeleted => "service_pool.deleted",
            EventKind::ServicePoolValueCreated => "service_pool_value.created",
            EventKind::ServicePoolValueDeleted => "service_pool_value.deleted",
            EventKind::ConfigPoolCreated => "config_pool.created",
            EventKind::ConfigPoolUpdated => "config_pool.updated",
            EventKind::ConfigPoolDeleted => "config_pool.deleted",
            EventKind::ConfigPoolValueCreated => "config_pool_value.created",
            EventKind::ConfigPoolValueDeleted => "config_pool_value.deleted",
            EventKind::OfferingCreated => "offering.created",
            EventKind::OfferingUpdated => "offering.updated",
            EventKind::OfferingDeleted => "offering.deleted",
            EventKind::PlacementPolicyCreated => "placement_policy.created",
            EventKind::PlacementPolicyUpdated => "placement_policy.updated",
            EventKind::PlacementPolicyDeleted => "placement_policy.deleted",
            EventKind::ProviderProfileCreated => "provider_profile.created",
            EventKind::ProviderProfileUpdated => "provider_profile.updated",
            EventKind::ProviderProfileDeleted => "provider_profile.deleted",
            EventKind::PlacementDecided => "placement.decided",
            EventKind::ServiceCreated => "service.created",
            EventKind::ServiceUpdated => "service.updated",
            EventKind::ServiceTransitioned => "service.transitioned",
            EventKind::ServiceDrifted => "service.drifted",
            EventKind::ServiceDriftResolved => "service.driftResolved",
            EventKind::JobCreated => "job.created",
            EventKind::JobClaimed => "job.claimed",
            EventKind::JobCompleted => "job.completed",
            EventKind::JobFailed => "job.failed",
            EventKind::JobLeaseExpired => "job.leaseExpired",
            EventKind::CompositionCreated => "composition.created",
            EventKind::CompositionDeleting => "composition.deleting",
            EventKind::CompositionMemberChanged => "composition.memberChanged",
            EventKind::CompositionStatusChanged => "composition.statusChanged",
            EventKind::WebhookCreated => "webhook.created",
            EventKind::WebhookDeleted => "webhook.deleted",
            EventKind::WebhookDisabled => "webhook.disabled",
            EventKind::ProjectCreated => "project.created",
            EventKind::ProjectUpdated => "project.updated",
            EventKind::ProjectDeleted => "project.deleted",
            EventKind::SwitchCreated => "switch.created",
            EventKind::SwitchStageChanged => "switch.stageChanged",
            EventKind::ServiceSwitchedAway => "service.switchedAway",
            EventKind::UserCreated => "user.created",
            EventKind::UserUpdated => "user.updated",
            EventKind::UserDeleted => "user.deleted",
            EventKind::MembershipCreated => "membership.created",
            EventKind::MembershipUpdated => "membership.updated",
            EventKind::MembershipDeleted => "membership.deleted",
            EventKind::PersonalTokenCreated => "personalToken.created",
            EventKind::PersonalTokenDeleted => "personalToken.deleted",
            EventKind::OrderQuoted => "order.quoted",
            EventKind::OrderAwaitingApproval => "order.awaitingApproval",
            EventKind::OrderAccepted => "order.accepted",
            EventKind::OrderProvisioning => "order.provisioning",
            EventKind::OrderDone => "order.done",
            EventKind::OrderFailed => "order.failed",
            EventKind::OrderExpired => "order.expired",
            EventKind::OrderCancelled => "order.cancelled",
            EventKind::OrderRejected => "order.rejected",
            EventKind::OrderAwaitingProvider => "order.awaitingProvider",
            EventKind::OrderDeclined => "order.declined",
            EventKind::ParticipantBudgetAlert => "participant.budgetAlert",
            EventKind::ProjectBudgetAlert => "project.budgetAlert",
        }
    }

    /// The kind a wire name stands for.
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_wire_name() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(*kind), "{kind:?}");
        }
        assert_eq!(EventKind::parse("service.deleted"), None);
    }

    #[test]
    fn the_catalogue_lists_each_wire_name_once() {
        let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len());
    }

    /// The names already in stored logs and in Fulcrum-speaking clients:
    /// changing one breaks them, so this list changes only by additions.
    #[test]
    fn wire_names_are_those_already_released() {
        let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "participant.created",
                "participant.updated",
                "participant.deleted",
                "token.created",
                "token.updated",
                "token.deleted",
                "token.regenerate",
                "agent.created",
                "agent.updated",
                "agent.deleted",
                "agent.tokenRotated",
                "agent.install_token_created",
                "agent.install_token_regenerated",
                "agent.install_token_revoked",
                "agent.install_token_exchanged",
                "agent_type.created",
                "agent_type.updated",
                "agent_type.deleted",
                "service_type.created",
                "service_type.updated",
                "service_type.deleted",
                "service_option_type.created",
                "service_option_type.updated",
                "service_option_type.deleted",
                "service_option.created",
                "service_option.updated",
                "service_option.deleted",
                "service_group.created",
                "service_group.updated",
                "service_group.deleted",
                "metric_type.created",
                "metric_type.updated",
                "metric_type.deleted",
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
                "offering.created",
                "offering.updated",
                "offering.deleted",
                "placement_policy.created",
                "placement_policy.updated",
                "placement_policy.deleted",
                "provider_profile.created",
                "provider_profile.updated",
                "provider_profile.deleted",
                "placement.decided",
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
                "composition.created",
                "composition.deleting",
                "composition.memberChanged",
                "composition.statusChanged",
                "webhook.created",
                "webhook.deleted",
                "webhook.disabled",
                "project.created",
                "project.updated",
                "project.deleted",
                "switch.created",
                "switch.stageChanged",
                "service.switchedAway",
                "user.created",
                "user.updated",
                "user.deleted",
                "membership.created",
                "membership.updated",
                "membership.deleted",
                "personalToken.created",
                "personalToken.deleted",
                "order.quoted",
                "order.awaitingApproval",
                "order.accepted",
                "order.provisioning",
                "order.done",
                "order.failed",
                "order.expired",
                "order.cancelled",
                "order.rejected",
                "order.awaitingProvider",
                "order.declined",
                "participant.budgetAlert",
                "project.budgetAlert",
            ]
        );
    }
}
