//! The outcome of a placement, with the reasons for it: which offering was
//! chosen and why, and for every offering considered, every rule it broke.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::exchange::exit_terms::ExitTermsOn;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlacementDecision {
    /// `None` when no candidate is eligible.
    pub chosen: Option<Choice>,
    /// Eligible candidates in ranking order (the chosen one first), then
    /// rejected ones by participant id and offering id.
    pub considered: Vec<CandidateVerdict>,
}

/// Where the service goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Choice {
    pub offering_id: Uuid,
    pub participant_id: Uuid,
    /// The provider's name; empty in decisions recorded before names were kept.
    #[serde(default)]
    pub provider_name: String,
    pub agent_id: Uuid,
    /// The agent's name; empty in decisions recorded before names were kept.
    #[serde(default)]
    pub agent_name: String,
    pub region: String,
    /// EUR per running hour for the requested properties.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub hourly_price: Decimal,
    /// Why this candidate ranked first, in a sentence.
    pub explanation: String,
    /// The offering's exit terms, with the switching charge on the day of
    /// the decision; absent in decisions recorded before terms were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_terms: Option<ExitTermsOn>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CandidateVerdict {
    pub offering_id: Uuid,
    pub participant_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub hourly_price: Decimal,
    /// True exactly when `rejections` is empty.
    pub accepted: bool,
    pub rejections: Vec<Rejection>,
    /// The offering's exit terms, with the switching charge on the day of
    /// the decision; absent in decisions recorded before terms were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_terms: Option<ExitTermsOn>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    pub rule: RejectionRule,
    /// A sentence naming the offending value, e.g. "certification
    /// SecNumCloud expired on 2026-01-31".
    pub message: String,
}

/// The rule a candidate broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum RejectionRule {
    OfferingDisabled,
    Country,
    Region,
    Jurisdiction,
    ForeignLaw,
    CertificationMissing,
    CertificationExpired,
    Price,
    Capacity,
    NoConnectedAgent,
    AgentTags,
    /// Breaks a relation to a service placed before it (same provider,
    /// different providers, different countries).
    PeerRelation,
    /// The target of a switch cannot import the format the source's data
    /// leaves in.
    ImportFormat,
}

impl RejectionRule {
    /// In the order rules are checked and reported.
    pub const ALL: &'static [RejectionRule] = &[
        RejectionRule::OfferingDisabled,
        RejectionRule::Country,
        RejectionRule::Region,
        RejectionRule::Jurisdiction,
        RejectionRule::ForeignLaw,
        RejectionRule::CertificationMissing,
        RejectionRule::CertificationExpired,
        RejectionRule::Price,
        RejectionRule::Capacity,
        RejectionRule::NoConnectedAgent,
        RejectionRule::AgentTags,
        RejectionRule::PeerRelation,
        RejectionRule::ImportFormat,
    ];

    /// The wire name, e.g. `certificationExpired`.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectionRule::OfferingDisabled => "offeringDisabled",
            RejectionRule::Country => "country",
            RejectionRule::Region => "region",
            RejectionRule::Jurisdiction => "jurisdiction",
            RejectionRule::ForeignLaw => "foreignLaw",
            RejectionRule::CertificationMissing => "certificationMissing",
            RejectionRule::CertificationExpired => "certificationExpired",
            RejectionRule::Price => "price",
            RejectionRule::Capacity => "capacity",
            RejectionRule::NoConnectedAgent => "noConnectedAgent",
            RejectionRule::AgentTags => "agentTags",
            RejectionRule::PeerRelation => "peerRelation",
            RejectionRule::ImportFormat => "importFormat",
        }
    }
}

impl PlacementDecision {
    /// A short summary for people: the choice and how many candidates were
    /// eligible, or how many broke each rule when none was.
    pub fn explain(&self) -> String {
        let total = self.considered.len();
        let eligible = self
            .considered
            .iter()
            .filter(|verdict| verdict.accepted)
            .count();
        match &self.chosen {
            Some(choice) => format!(
                "Placed on the offering of {} in region {} via agent {} at {} EUR/h: {}. {eligible} of {total} candidates were eligible.",
                name_or_id(&choice.provider_name, choice.participant_id),
                choice.region,
                name_or_id(&choice.agent_name, choice.agent_id),
                choice.hourly_price,
                choice.explanation,
            ),
            None if total == 0 => "No offering was available to consider.".to_owned(),
            None => {
                let counts: Vec<String> = RejectionRule::ALL
                    .iter()
                    .filter_map(|rule| {
                        let count = self
                            .considered
                            .iter()
                            .filter(|verdict| verdict.rejections.iter().any(|r| r.rule == *rule))
                            .count();
                        (count > 0).then(|| format!("{}: {count}", rule.as_str()))
                    })
                    .collect();
                format!(
                    "No offering can take the service: none of the {total} candidates is eligible ({}).",
                    counts.join(", ")
                )
            }
        }
    }
}

/// People read names; a decision recorded without one still says which.
fn name_or_id(name: &str, id: Uuid) -> String {
    if name.is_empty() {
        id.to_string()
    } else {
        name.to_owned()
    }
}
