//! The API resources the command line knows, and the columns of their tables.

use federa_domain as domain;
use federa_domain::listing::ListSpec;
use federa_domain::pools::PoolFamily;

use super::names::{self, Kind};

pub struct Resource {
    /// The subcommand, e.g. `participants`.
    pub name: &'static str,
    /// Its collection under `/api/v1`.
    pub path: &'static str,
    /// Table headers and the JSON field each shows.
    pub columns: &'static [(&'static str, &'static str)],
    /// The filters and sorts its list takes: the exchange's own, so that a
    /// misspelt filter is refused here instead of silently ignored there.
    pub list: fn() -> &'static ListSpec,
    /// Fields of its tables that hold ids, shown by the name of what they
    /// name.
    pub named: &'static [(&'static str, Kind)],
}

const ID: (&str, &str) = ("ID", "id");
const NAME: (&str, &str) = ("NAME", "name");
const STATUS: (&str, &str) = ("STATUS", "status");

pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "participants",
        path: "/participants",
        columns: &[ID, NAME, STATUS],
        list: || &domain::participant::PARTICIPANT_LIST,
        named: &[],
    },
    Resource {
        name: "projects",
        path: "/projects",
        columns: &[
            ID,
            NAME,
            ("CONSUMER", "consumerId"),
            ("EUR/MONTH BUDGET", "monthlyBudget"),
            ("SERVICE LIMIT", "serviceLimit"),
        ],
        list: || &domain::commerce::PROJECT_LIST,
        named: &[("consumerId", names::PARTICIPANT)],
    },
    Resource {
        name: "tokens",
        path: "/tokens",
        columns: &[ID, NAME, ("ROLE", "role"), ("EXPIRES", "expireAt")],
        list: || &domain::token::TOKEN_LIST,
        named: &[],
    },
    Resource {
        name: "users",
        path: "/users",
        columns: &[
            ID,
            NAME,
            ("EMAIL", "email"),
            ("OIDC SUBJECT", "oidcSubject"),
        ],
        list: || &domain::people::USER_LIST,
        named: &[],
    },
    Resource {
        name: "memberships",
        path: "/memberships",
        columns: &[
            ID,
            ("USER", "userId"),
            ("PARTICIPANT", "participantId"),
            ("ROLE", "role"),
            ("PROJECTS", "projectIds"),
        ],
        list: || &domain::people::MEMBERSHIP_LIST,
        named: &[("participantId", names::PARTICIPANT)],
    },
    Resource {
        name: "service-types",
        path: "/service-types",
        columns: &[ID, NAME],
        list: || &domain::catalogue::SERVICE_TYPE_LIST,
        named: &[],
    },
    Resource {
        name: "agent-types",
        path: "/agent-types",
        columns: &[ID, NAME, ("SERVICE TYPES", "serviceTypeIds")],
        list: || &domain::catalogue::AGENT_TYPE_LIST,
        named: &[],
    },
    Resource {
        name: "agents",
        path: "/agents",
        columns: &[ID, NAME, STATUS, ("PROVIDER", "providerId")],
        list: || &domain::catalogue::AGENT_LIST,
        named: &[("providerId", Kind::Provider)],
    },
    Resource {
        name: "service-groups",
        path: "/service-groups",
        columns: &[ID, NAME, ("CONSUMER", "consumerId")],
        list: || &domain::catalogue::SERVICE_GROUP_LIST,
        named: &[("consumerId", names::PARTICIPANT)],
    },
    Resource {
        name: "service-option-types",
        path: "/service-option-types",
        columns: &[ID, NAME, ("TYPE", "type")],
        list: || &domain::catalogue::SERVICE_OPTION_TYPE_LIST,
        named: &[],
    },
    Resource {
        name: "service-options",
        path: "/service-options",
        columns: &[ID, NAME, ("VALUE", "value"), ("ENABLED", "enabled")],
        list: || &domain::catalogue::SERVICE_OPTION_LIST,
        named: &[],
    },
    Resource {
        name: "services",
        path: "/services",
        columns: &[
            ID,
            NAME,
            STATUS,
            ("TYPE", "serviceTypeId"),
            ("PROVIDER", "providerId"),
        ],
        list: || &domain::provisioning::SERVICE_LIST,
        named: &[
            ("serviceTypeId", names::SERVICE_TYPE),
            ("providerId", Kind::Provider),
        ],
    },
    Resource {
        name: "jobs",
        path: "/jobs",
        columns: &[
            ID,
            ("ACTION", "action"),
            STATUS,
            ("SERVICE", "serviceId"),
            ("CREATED", "createdAt"),
        ],
        list: || &domain::provisioning::JOB_LIST,
        named: &[("serviceId", names::SERVICE)],
    },
    Resource {
        name: "events",
        path: "/events",
        columns: &[
            ("SEQ", "sequenceNumber"),
            ("TYPE", "type"),
            ("INITIATOR", "initiatorId"),
            ("CREATED", "createdAt"),
        ],
        list: || &domain::event::EVENT_LIST,
        named: &[],
    },
    Resource {
        name: "metric-types",
        path: "/metric-types",
        columns: &[ID, NAME, ("ENTITY", "entityType")],
        list: || &domain::metrics::METRIC_TYPE_LIST,
        named: &[],
    },
    Resource {
        name: "metrics",
        path: "/metric-entries",
        columns: &[
            ("SERVICE", "serviceId"),
            ("RESOURCE", "resourceId"),
            ("VALUE", "value"),
            ("AT", "createdAt"),
        ],
        list: || &domain::metrics::METRIC_ENTRY_LIST,
        named: &[("serviceId", names::SERVICE)],
    },
    Resource {
        name: "service-pool-sets",
        path: "/service-pool-sets",
        columns: &[ID, NAME, ("PROVIDER", "providerId")],
        list: || &domain::pools::SERVICE_POOL_SET_LIST,
        named: &[],
    },
    Resource {
        name: "service-pools",
        path: "/service-pools",
        columns: &[ID, NAME, ("TYPE", "type"), ("GENERATOR", "generatorType")],
        list: || PoolFamily::Service.pool_list(),
        named: &[],
    },
    Resource {
        name: "service-pool-values",
        path: "/service-pool-values",
        columns: &[ID, NAME, ("VALUE", "value"), ("SERVICE", "serviceId")],
        list: || PoolFamily::Service.value_list(),
        named: &[],
    },
    Resource {
        name: "config-pools",
        path: "/config-pools",
        columns: &[ID, NAME, ("TYPE", "type"), ("PARTICIPANT", "participantId")],
        list: || PoolFamily::Config.pool_list(),
        named: &[],
    },
    Resource {
        name: "config-pool-values",
        path: "/config-pool-values",
        columns: &[ID, NAME, ("VALUE", "value"), ("AGENT", "agentId")],
        list: || PoolFamily::Config.value_list(),
        named: &[],
    },
    Resource {
        name: "provider-profiles",
        path: "/provider-profiles",
        columns: &[
            ("PROVIDER", "participantName"),
            ("JURISDICTION", "jurisdiction"),
        ],
        list: || &domain::exchange::lists::PROVIDER_PROFILE_LIST,
        named: &[],
    },
    Resource {
        name: "offerings",
        path: "/offerings",
        columns: &[
            ID,
            ("PROVIDER", "participantId"),
            ("SERVICE TYPE", "serviceTypeId"),
            ("REGIONS", "regions"),
            ("EUR/HOUR", "price.hourly"),
            ("NOTICE DAYS", "exitTerms.noticePeriodDays"),
            ("SWITCH EUR", "exitTerms.switchingCharge"),
        ],
        list: || &domain::exchange::lists::OFFERING_LIST,
        named: &[
            ("participantId", Kind::Provider),
            ("serviceTypeId", names::SERVICE_TYPE),
        ],
    },
    Resource {
        name: "placement-policies",
        path: "/placement-policies",
        columns: &[ID, NAME, ("PARTICIPANT", "participantId")],
        list: || &domain::exchange::lists::PLACEMENT_POLICY_LIST,
        named: &[("participantId", names::PARTICIPANT)],
    },
    Resource {
        name: "switches",
        path: "/switches",
        columns: &[
            ID,
            ("STAGE", "stage"),
            ("SERVICE", "sourceServiceId"),
            ("FROM", "sourceProviderId"),
            ("TO", "targetProviderId"),
            ("CREATED", "createdAt"),
        ],
        list: || &domain::exchange::lists::SWITCH_LIST,
        named: &[
            ("sourceServiceId", names::SERVICE),
            ("sourceProviderId", Kind::Provider),
            ("targetProviderId", Kind::Provider),
        ],
    },
    Resource {
        name: "orders",
        path: "/orders",
        columns: &[
            ID,
            NAME,
            ("STATE", "state"),
            ("PROVIDER", "quote.providerName"),
            ("EUR/MONTH", "quote.monthlyEstimate"),
            ("EXPIRES", "quote.expiresAt"),
        ],
        list: || &domain::commerce::ORDER_LIST,
        named: &[],
    },
    Resource {
        name: "webhooks",
        path: "/webhooks",
        columns: &[
            ID,
            ("URL", "url"),
            STATUS,
            ("EVENTS", "eventTypes"),
            ("PARTICIPANT", "participantId"),
        ],
        list: || &domain::webhooks::WEBHOOK_LIST,
        named: &[("participantId", names::PARTICIPANT)],
    },
    Resource {
        name: "compositions",
        path: "/compositions",
        columns: &[ID, NAME, STATUS],
        list: || &domain::exchange::lists::COMPOSITION_LIST,
        named: &[],
    },
];

pub fn find(name: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.name == name)
}
