//! The API resources the command line knows, and the columns of their tables.

pub struct Resource {
    /// The subcommand, e.g. `participants`.
    pub name: &'static str,
    /// Its collection under `/api/v1`.
    pub path: &'static str,
    /// Table headers and the JSON field each shows.
    pub columns: &'static [(&'static str, &'static str)],
}

const ID: (&str, &str) = ("ID", "id");
const NAME: (&str, &str) = ("NAME", "name");
const STATUS: (&str, &str) = ("STATUS", "status");

pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "participants",
        path: "/participants",
        columns: &[ID, NAME, STATUS],
    },
    Resource {
        name: "tokens",
        path: "/tokens",
        columns: &[ID, NAME, ("ROLE", "role"), ("EXPIRES", "expireAt")],
    },
    Resource {
        name: "service-types",
        path: "/service-types",
        columns: &[ID, NAME],
    },
    Resource {
        name: "agent-types",
        path: "/agent-types",
        columns: &[ID, NAME, ("SERVICE TYPES", "serviceTypeIds")],
    },
    Resource {
        name: "agents",
        path: "/agents",
        columns: &[ID, NAME, STATUS, ("PROVIDER", "providerId")],
    },
    Resource {
        name: "service-groups",
        path: "/service-groups",
        columns: &[ID, NAME, ("CONSUMER", "consumerId")],
    },
    Resource {
        name: "service-option-types",
        path: "/service-option-types",
        columns: &[ID, NAME, ("TYPE", "type")],
    },
    Resource {
        name: "service-options",
        path: "/service-options",
        columns: &[ID, NAME, ("VALUE", "value"), ("ENABLED", "enabled")],
    },
    Resource {
        name: "services",
        path: "/services",
        columns: &[ID, NAME, STATUS, ("AGENT", "agentId")],
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
    },
    Resource {
        name: "metric-types",
        path: "/metric-types",
        columns: &[ID, NAME, ("ENTITY", "entityType")],
    },
    Resource {
        name: "metric-entries",
        path: "/metric-entries",
        columns: &[
            ("SERVICE", "serviceId"),
            ("RESOURCE", "resourceId"),
            ("VALUE", "value"),
            ("AT", "createdAt"),
        ],
    },
    Resource {
        name: "service-pool-sets",
        path: "/service-pool-sets",
        columns: &[ID, NAME, ("PROVIDER", "providerId")],
    },
    Resource {
        name: "service-pools",
        path: "/service-pools",
        columns: &[ID, NAME, ("TYPE", "type"), ("GENERATOR", "generatorType")],
    },
    Resource {
        name: "service-pool-values",
        path: "/service-pool-values",
        columns: &[ID, NAME, ("VALUE", "value"), ("SERVICE", "serviceId")],
    },
    Resource {
        name: "config-pools",
        path: "/config-pools",
        columns: &[ID, NAME, ("TYPE", "type"), ("PARTICIPANT", "participantId")],
    },
    Resource {
        name: "config-pool-values",
        path: "/config-pool-values",
        columns: &[ID, NAME, ("VALUE", "value"), ("AGENT", "agentId")],
    },
    Resource {
        name: "provider-profiles",
        path: "/provider-profiles",
        columns: &[
            ("PARTICIPANT", "participantId"),
            ("JURISDICTION", "jurisdiction"),
        ],
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
        ],
    },
    Resource {
        name: "placement-policies",
        path: "/placement-policies",
        columns: &[ID, NAME, ("PARTICIPANT", "participantId")],
    },
    Resource {
        name: "compositions",
        path: "/compositions",
        columns: &[ID, NAME, STATUS],
    },
];

pub fn find(name: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.name == name)
}
