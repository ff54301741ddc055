//! The exchange's tables: provider profiles, offerings and their price
//! history, placement policies, placements, compositions, switches, and the usage
//! billing reads.
//! Writes go through [`Store::apply`](crate::Store) so each change commits
//! with its event.

pub(crate) mod compositions;
mod offerings;
mod placements;
pub(crate) use placements::insert_placement;
mod policies;
mod profiles;
mod switches;
mod usage;

use chrono::{DateTime, Utc};

pub use compositions::{MemberOrder, MemberPlacement, StoredComposition, StoredMember};
pub use placements::PlacementCandidates;
pub use switches::{StoredSwitch, SwitchStep, SwitchedMember};
pub use usage::{BilledParty, BilledService, UsageHistory};

/// A stored object with the times it was created and last changed, which
/// the domain object itself does not carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    pub value: T,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
