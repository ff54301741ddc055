//! The two families of pools, and everything in which they differ, as
//! data: service pools hand values to services, config pools to agents.
//! The entities, the choice and claim of a value, the routes and the
//! checks of input are otherwise one for both.

use crate::access::Object;
use crate::listing::{FilterKind, FilterSpec, ListSpec};

use super::generator::GeneratorType;

/// Whose values a pool hands out: services' properties or agents'
/// configuration properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolFamily {
    Service,
    Config,
}

impl PoolFamily {
    pub const ALL: [PoolFamily; 2] = [PoolFamily::Service, PoolFamily::Config];

    /// How errors and event kinds name a pool: `service pool`, `config pool`.
    pub fn noun(self) -> &'static str {
        match self {
            PoolFamily::Service => "service pool",
            PoolFamily::Config => "config pool",
        }
    }

    /// The prefix of the kinds of a pool's events, e.g. `service_pool` for
    /// `service_pool.created`.
    pub fn pool_event_prefix(self) -> &'static str {
        match self {
            PoolFamily::Service => "service_pool",
            PoolFamily::Config => "config_pool",
        }
    }

    /// The prefix of the kinds of a pool value's events.
    pub fn value_event_prefix(self) -> &'static str {
        match self {
            PoolFamily::Service => "service_pool_value",
            PoolFamily::Config => "config_pool_value",
        }
    }

    pub fn pool_object(self) -> Object {
        match self {
            PoolFamily::Service => Object::ServicePool,
            PoolFamily::Config => Object::ConfigPool,
        }
    }

    pub fn value_object(self) -> Object {
        match self {
            PoolFamily::Service => Object::ServicePoolValue,
            PoolFamily::Config => Object::ConfigPoolValue,
        }
    }

    /// The generators a family's pools may use: config pools hand out only
    /// values an admin or participant entered.
    pub fn generators(self) -> &'static [GeneratorType] {
        match self {
            PoolFamily::Service => &GeneratorType::ALL,
            PoolFamily::Config => &[GeneratorType::List],
        }
    }

    /// The request field holding the properties a family's pools fill.
    pub fn filled_field(self) -> &'static str {
        match self {
            PoolFamily::Service => "properties",
            PoolFamily::Config => "configuration",
        }
    }

    /// The wire name of a value's pool, e.g. `servicePoolId`.
    pub fn pool_id_field(self) -> &'static str {
        match self {
            PoolFamily::Service => "servicePoolId",
            PoolFamily::Config => "configPoolId",
        }
    }

    /// The wire name of a value's holder, e.g. `serviceId`.
    pub fn holder_field(self) -> &'static str {
        match self {
            PoolFamily::Service => "serviceId",
            PoolFamily::Config => "agentId",
        }
    }

    /// What a value's holder is: `service`, `agent`.
    pub fn holder_noun(self) -> &'static str {
        match self {
            PoolFamily::Service => "service",
            PoolFamily::Config => "agent",
        }
    }

    pub fn pool_list(self) -> &'static ListSpec {
        match self {
            PoolFamily::Service => &SERVICE_POOL_LIST,
            PoolFamily::Config => &CONFIG_POOL_LIST,
        }
    }

    pub fn value_list(self) -> &'static ListSpec {
        match self {
            PoolFamily::Service => &SERVICE_POOL_VALUE_LIST,
            PoolFamily::Config => &CONFIG_POOL_VALUE_LIST,
        }
    }
}

const NAME_FILTER: FilterSpec = FilterSpec::new("name", "name", FilterKind::Contains);
const POOL_SORTS: &[(&str, &str)] = &[
    ("name", "LOWER(name)"),
    ("type", "type"),
    ("createdAt", "created_at"),
];
const VALUE_SORTS: &[(&str, &str)] = &[("name", "LOWER(name)"), ("createdAt", "created_at")];
const CONFIG_GENERATOR_NAMES: [&str; 1] = ["list"];

const SERVICE_POOL_LIST: ListSpec = ListSpec {
    filters: &[
        NAME_FILTER,
        FilterSpec::new("servicePoolSetId", "service_pool_set_id", FilterKind::Uuid),
        FilterSpec::new("type", "type", FilterKind::Exact),
        FilterSpec::new(
            "generatorType",
            "generator_type",
            FilterKind::OneOf(&GeneratorType::NAMES),
        ),
    ],
    sorts: POOL_SORTS,
    default_sort: ("created_at", false),
};

const CONFIG_POOL_LIST: ListSpec = ListSpec {
    filters: &[
        NAME_FILTER,
        FilterSpec::new("type", "type", FilterKind::Exact),
        FilterSpec::new(
            "generatorType",
            "generator_type",
            FilterKind::OneOf(&CONFIG_GENERATOR_NAMES),
        ),
        FilterSpec::new("participantId", "participant_id", FilterKind::Uuid),
    ],
    sorts: POOL_SORTS,
    default_sort: ("created_at", false),
};

const SERVICE_POOL_VALUE_LIST: ListSpec = ListSpec {
    filters: &[
        NAME_FILTER,
        FilterSpec::new("servicePoolId", "service_pool_id", FilterKind::Uuid),
        FilterSpec::new("serviceId", "service_id", FilterKind::Uuid),
    ],
    sorts: VALUE_SORTS,
    default_sort: ("created_at", false),
};

const CONFIG_POOL_VALUE_LIST: ListSpec = ListSpec {
    filters: &[
        NAME_FILTER,
        FilterSpec::new("configPoolId", "config_pool_id", FilterKind::Uuid),
        FilterSpec::new("agentId", "agent_id", FilterKind::Uuid),
    ],
    sorts: VALUE_SORTS,
    default_sort: ("created_at", false),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_pools_only_list_while_service_pools_also_generate_addresses() {
        assert_eq!(PoolFamily::Config.generators(), &[GeneratorType::List]);
        assert_eq!(PoolFamily::Service.generators(), &GeneratorType::ALL);
    }

    #[test]
    fn each_family_lists_by_its_own_wire_names() {
        let params = |spec: &ListSpec| -> Vec<&str> {
            spec.filters.iter().map(|filter| filter.param).collect()
        };
        for family in PoolFamily::ALL {
            assert!(params(family.value_list()).contains(&family.pool_id_field()));
            assert!(params(family.value_list()).contains(&family.holder_field()));
        }
        assert!(params(PoolFamily::Service.pool_list()).contains(&"servicePoolSetId"));
        assert!(params(PoolFamily::Config.pool_list()).contains(&"participantId"));
    }
}
