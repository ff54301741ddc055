//! What the exchange knows about one offering when it places a service.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::exchange::offering::Offering;
use crate::exchange::profile::ProviderProfile;

/// An offering of the requested service type, with the facts its
/// eligibility depends on. The caller gathers these; placement only reads
/// them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub offering: Offering,
    /// The profile of the offering's provider.
    pub profile: ProviderProfile,
    /// The provider's name, so an explanation names it rather than its id.
    #[serde(default)]
    pub provider_name: String,
    /// The provider's agents that could run the service.
    pub agents: Vec<CandidateAgent>,
    /// Services of this offering not in a terminal state, for capacity.
    pub active_services: u32,
    /// This consumer's active services with the same provider, for
    /// [`Strategy::Spread`](super::Strategy::Spread).
    pub consumer_services_here: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateAgent {
    pub agent_id: Uuid,
    /// Only a connected agent is known to be there to claim the job.
    pub connected: bool,
    pub tags: Vec<String>,
    /// The agent's name and status, so a rejection can say which agent is
    /// missing and why.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub status: String,
}

impl CandidateAgent {
    pub fn has_tags(&self, required: &[String]) -> bool {
        required.iter().all(|tag| self.tags.contains(tag))
    }
}
