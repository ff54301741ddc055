//! Placement: deciding which provider's offering, region and agent run a
//! consumer's new service, and saying why.
//!
//! - [`PlacementRequest`] holds the consumer's constraints and strategy;
//!   [`PlacementRequest::merge_policy`] narrows it by the consumer's saved
//!   policy and [`PlacementRequest::validate`] checks it.
//! - [`place`] judges every [`Candidate`] against every rule, lists each
//!   broken rule as a [`Rejection`], and ranks the eligible ones.
//!
//! Placement neither reads nor writes anything: the caller gathers the
//! candidates (offerings of the right service type with their provider's
//! profile, agents and counts) and records the decision.

mod candidate;
mod decision;
mod peers;
mod place;
mod policy;
mod record;
mod request;
mod rules;

pub use candidate::{Candidate, CandidateAgent};
pub use decision::{CandidateVerdict, Choice, PlacementDecision, Rejection, RejectionRule};
pub use peers::{provider_conflict, PeerPlacement};
pub use place::{place, place_near_peers, place_related, Relations};
pub use record::{apply_policies, Placement, PlacementPolicy};
pub use request::{JurisdictionRule, PlacementRequest, Strategy};
