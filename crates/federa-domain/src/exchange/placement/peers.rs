//! Relations to services placed before this one: the same provider as one,
//! another provider than another, a different country than a third. They
//! come from compositions, whose later components are judged against the
//! earlier ones already running.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::candidate::Candidate;
use super::decision::{Rejection, RejectionRule};
use crate::exchange::composition::PeerRule;
use crate::exchange::profile::Region;

/// A service already placed that the one being placed must relate to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerPlacement {
    /// How the peer is known to the consumer, e.g. a component key.
    pub name: String,
    pub rule: PeerRule,
    pub participant_id: Uuid,
    pub country: String,
}

/// Why running with provider `participant_id` would break the relation to
/// `peer`, if it would.
pub fn provider_conflict(peer: &PeerPlacement, participant_id: Uuid) -> Option<String> {
    match peer.rule {
        PeerRule::SameProvider if peer.participant_id != participant_id => {
            Some(format!("`{}` runs with another provider", peer.name))
        }
        PeerRule::DifferentProviders if peer.participant_id == participant_id => {
            Some(format!("`{}` already runs with this provider", peer.name))
        }
        _ => None,
    }
}

/// Every provider relation `candidate` breaks.
pub(super) fn check_providers(
    peers: &[PeerPlacement],
    candidate: &Candidate,
    rejections: &mut Vec<Rejection>,
) {
    for peer in peers {
        if let Some(message) = provider_conflict(peer, candidate.offering.participant_id) {
            rejections.push(Rejection {
                rule: RejectionRule::PeerRelation,
                message,
            });
        }
    }
}

/// Whether `region` is in no country a `differentCountries` peer runs in.
pub(super) fn apart(peers: &[PeerPlacement], region: &Region) -> bool {
    !peers
        .iter()
        .any(|peer| peer.rule == PeerRule::DifferentCountries && peer.country == region.country)
}

/// The rejection of a candidate whose every region shares a country with
/// a `differentCountries` peer.
pub(super) fn countries_taken(peers: &[PeerPlacement], regions: &[&Region]) -> Rejection {
    let names: Vec<String> = peers
        .iter()
        .filter(|peer| {
            peer.rule == PeerRule::DifferentCountries
                && regions.iter().any(|region| region.country == peer.country)
        })
        .map(|peer| format!("`{}` ({})", peer.name, peer.country))
        .collect();
    Rejection {
        rule: RejectionRule::PeerRelation,
        message: format!(
            "offers regions only in countries where related services run: {}",
            names.join(", ")
        ),
    }
}
