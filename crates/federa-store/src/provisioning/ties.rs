//! What a service takes part in beyond itself: a composition, a switch, an
//! order. A finished job's effects ask once, and only the ones that apply
//! read further.

use uuid::Uuid;

use crate::error::Result;
use crate::sql::Arg;
use crate::write::fetch_optional;
use crate::Store;

/// Whether a service is a member of a composition, a side of a switch, or
/// a line of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServiceTies {
    pub composition: bool,
    pub switch: bool,
    pub order: bool,
}

impl ServiceTies {
    /// Every tie, for when they cannot be read: each effect then looks for
    /// itself, as it would without this read.
    pub const ALL: ServiceTies = ServiceTies {
        composition: true,
        switch: true,
        order: true,
    };
}

impl Store {
    /// What `service_id` takes part in, in one read.
    pub async fn service_ties(&self, service_id: Uuid) -> Result<ServiceTies> {
        let row: Option<(bool, bool, bool)> = fetch_optional(
            &self.read,
            "SELECT EXISTS (SELECT 1 FROM composition_members WHERE service_id = $1), \
             EXISTS (SELECT 1 FROM switches WHERE source_service_id = $1 OR target_service_id = $1), \
             EXISTS (SELECT 1 FROM order_lines WHERE service_id = $1)",
            &[Arg::Uuid(service_id)],
        )
        .await?;
        let (composition, switch, order) = row.unwrap_or_default();
        Ok(ServiceTies {
            composition,
            switch,
            order,
        })
    }
}
