//! The two families of pools, and everything in which they differ, as
//! data: service pools hand values to services, config pools to agents.
//! The entities, the choice and claim of a value, the routes and the
//! checks of input are otherwise one for both.

use crate::access::Object;
use crate::event_kind::EventKind;
use crate::listing::{FilterKind, FilterSpec, ListSpec};

use super::generator::GeneratorType;

/// Whose values a pool hands out: services' properties or agents'
/// configuration properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolFamily {
    Service,
    Config,
}

/// What a family is called and how it is checked and listed.
#[derive(Debug)]
pub struct FamilyTerms {
    /// How errors name a pool: `service pool`, `config pool`.
    pub noun: &'static str,
    pub pool_object: Object,
    pub value_object: Object,
    /// The kinds of the events of its pools and of their values.
    pub pool_created: EventKind,
    pub pool_updated: EventKind,
    pub pool_deleted: EventKind,
    pub value_created: EventKind,
    pub value_deleted: EventKind,
    /// The generators its pools may use: config pools hand out only values
    /// an admin or participant entered.
    pub generators: &'static [GeneratorType],
    /// The request field holding the properties its pools fill.
    pub filled_field: &'static str,
    /// The wire names of where a pool belongs, of a value's pool and of a
    /// value's holder.
    pub home_field: &'static str,
    pub pool_id_field: &'static str,
    pub holder_field: &'static str,
    pub pool_list: &'static ListSpec,
    pub value_list: &'static ListSpec,
}

impl PoolFamily {
    pub const ALL: [PoolFamily; 2] = [PoolFamily::Service, PoolFamily::Config];

    pub fn terms(self) -> &'static FamilyTerms {
        match self {
            PoolFamily::Service => &SERVICE,
            PoolFamily::Config => &CONFIG,
        }
    }

    /// The filters and sorts of a family's pool list, as the exchange and
    /// the command line check them.
    pub fn pool_list(self) -> &'static ListSpec {
        self.terms().pool_list
    }

    pub fn value_list(self) -> &'static ListSpec {
        self.terms().value_list
    }
}

const SERVICE: FamilyTerms = FamilyTerms {
    noun: "service pool",
    pool_object: Object::ServicePool,
    value_object: Object::ServicePoolValue,
    pool_created: EventKind::ServicePoolCreated,
    pool_updated: EventKind::ServicePoolUpdated,
    pool_deleted: EventKind::ServicePoolDeleted,
    value_created: EventKind::ServicePoolValueCreated,
    value_deleted: EventKind::ServicePoolValueDeleted,
    generators: &GeneratorType::ALL,
    filled_field: "properties",
    home_field: "servicePoolSetId",
    pool_id_field: "servicePoolId",
    holder_field: "serviceId",
    pool_list: &ListSpec {
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
    },
    value_list: &ListSpec {
        filters: &[
            NAME_FILTER,
            FilterSpec::new("servicePoolId", "service_pool_id", FilterKind::Uuid),
            FilterSpec::new("serviceId", "service_id", FilterKind::Uuid),
        ],
        sorts: VALUE_SORTS,
        default_sort: ("created_at", false),
    },
};

const CONFIG: FamilyTerms = FamilyTerms {
    noun: "config pool",
    pool_object: Object::ConfigPool,
    value_object: Object::ConfigPoolValue,
    pool_created: EventKind::ConfigPoolCreated,
    pool_updated: EventKind::ConfigPoolUpdated,
    pool_deleted: EventKind::ConfigPoolDeleted,
    value_created: EventKind::ConfigPoolValueCreated,
    value_deleted: EventKind::ConfigPoolValueDeleted,
    generators: &[GeneratorType::List],
    filled_field: "configuration",
    home_field: "participantId",
    pool_id_field: "configPoolId",
    holder_field: "agentId",
    pool_list: &ListSpec {
        filters: &[
            NAME_FILTER,
            FilterSpec::new("type", "type", FilterKind::Exact),
            FilterSpec::new(
                "generatorType",
                "generator_type",
                FilterKind::OneOf(&["list"]),
            ),
            FilterSpec::new("participantId", "participant_id", FilterKind::Uuid),
        ],
        sorts: POOL_SORTS,
        default_sort: ("created_at", false),
    },
    value_list: &ListSpec {
        filters: &[
            NAME_FILTER,
            FilterSpec::new("configPoolId", "config_pool_id", FilterKind::Uuid),
            FilterSpec::new("agentId", "agent_id", FilterKind::Uuid),
        ],
        sorts: VALUE_SORTS,
        default_sort: ("created_at", false),
    },
};

const NAME_FILTER: FilterSpec = FilterSpec::new("name", "name", FilterKind::Contains);
const POOL_SORTS: &[(&str, &str)] = &[
    ("name", "LOWER(name)"),
    ("type", "type"),
    ("createdAt", "created_at"),
];
const VALUE_SORTS: &[(&str, &str)] = &[("name", "LOWER(name)"), ("createdAt", "created_at")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_pools_only_list_while_service_pools_also_generate_addresses() {
        assert_eq!(
            PoolFamily::Config.terms().generators,
            &[GeneratorType::List]
        );
        assert_eq!(PoolFamily::Service.terms().generators, &GeneratorType::ALL);
        let listed = |family: PoolFamily| {
            family
                .terms()
                .pool_list
                .parse(&[("generatorType".into(), "subnet".into())])
                .is_ok()
        };
        assert!(listed(PoolFamily::Service));
        assert!(!listed(PoolFamily::Config));
    }

    #[test]
    fn each_family_lists_by_its_own_wire_names() {
        let params = |spec: &ListSpec| -> Vec<&str> {
            spec.filters.iter().map(|filter| filter.param).collect()
        };
        for family in PoolFamily::ALL {
            let terms = family.terms();
            assert!(params(terms.value_list).contains(&terms.pool_id_field));
            assert!(params(terms.value_list).contains(&terms.holder_field));
            assert!(params(terms.pool_list).contains(&terms.home_field));
        }
    }
}
