//! Service pools: provider-owned sets of values (addresses, VLAN ids,
//! licence keys…) that the exchange hands out exclusively to services whose
//! property schema asks for one with a `pool` generator.
//!
//! A provider groups its pools in a pool set and points its agents at one
//! set; a property `{"generator": {"type": "pool", "config": {"poolType":
//! "public_ip"}}}` of a service placed on that agent takes a value from the
//! set's pool of type `public_ip`. Two generators exist:
//! - `list`: the provider enters the values; one free value is taken;
//! - `subnet`: addresses of a CIDR range, created as they are taken.
//!
//! Config pools do the same for agents: a property of an agent type's
//! configuration schema with a `pool` generator takes a value when an agent
//! of that type is created. Both are one model, [`Pool`], told apart by
//! [`PoolFamily`]; what differs between the families is data there.
//!
//! This module owns the entities, the checks of their input and the choice
//! of the next free value. Whether that value is still free when the
//! service or agent is written is the store's business: it claims the value
//! in the same transaction, so the choice here may lose a race and be made
//! again.

mod config_scope;
mod entities;
mod family;
mod generator;
mod list;
mod property_type;
mod subnet;

pub use config_scope::{pool_for_provider, type_clash};
pub use entities::{
    check_pool_type, Pool, PoolScope, PoolValue, ServicePoolSet, SERVICE_POOL_SET_LIST,
};
pub use family::PoolFamily;
pub use generator::{GeneratorType, PoolGenerator};
pub use list::{next_listed_value, ListedValue};
pub use property_type::PoolPropertyType;
pub use subnet::SubnetConfig;
