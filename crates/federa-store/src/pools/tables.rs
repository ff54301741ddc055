//! Where each pool family lives: two pairs of tables of one shape, so that
//! every statement on pools and values is written once with these names.

use federa_domain::pools::PoolFamily;

use crate::sql::ScopeColumns;

pub(crate) struct Tables {
    pub pools: &'static str,
    pub values: &'static str,
    /// The column of a value naming its pool.
    pub pool_column: &'static str,
    /// The owning participant, on pools and values alike.
    pub owner_column: &'static str,
    /// The column of a value naming the service or agent that holds it.
    pub holder_column: &'static str,
}

const SERVICE: Tables = Tables {
    pools: "service_pools",
    values: "service_pool_values",
    pool_column: "service_pool_id",
    owner_column: "provider_id",
    holder_column: "service_id",
};

const CONFIG: Tables = Tables {
    pools: "config_pools",
    values: "config_pool_values",
    pool_column: "config_pool_id",
    owner_column: "participant_id",
    holder_column: "agent_id",
};

pub(crate) fn tables(family: PoolFamily) -> &'static Tables {
    match family {
        PoolFamily::Service => &SERVICE,
        PoolFamily::Config => &CONFIG,
    }
}

impl Tables {
    /// A participant lists what it owns; global config pools have no owner,
    /// so only admins see them.
    pub fn scope(&self) -> ScopeColumns {
        ScopeColumns {
            owner: Some(self.owner_column),
            consumer: None,
            agent: None,
        }
    }
}
