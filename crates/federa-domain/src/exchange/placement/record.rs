//! What the exchange keeps of placements: consumers' saved policies, and
//! the decision behind each service it placed.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::decision::{Choice, PlacementDecision};
use super::request::PlacementRequest;

/// A consumer's saved constraints. Attached policies apply to every
/// placement the consumer asks for, narrowing it by
/// [`PlacementRequest::merge_policy`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacementPolicy {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub name: String,
    pub rules: PlacementRequest,
    pub attached: bool,
}

/// `request` narrowed by every policy in turn; fails on the first policy
/// that leaves no country or region allowed, with paths under `placement`.
pub fn apply_policies<'a>(
    request: &PlacementRequest,
    policies: impl IntoIterator<Item = &'a PlacementPolicy>,
) -> Result<PlacementRequest, Vec<crate::listing::FieldError>> {
    let mut merged = request.clone();
    for policy in policies {
        merged = merged.merge_policy(&policy.rules).map_err(|errors| {
            errors
                .into_iter()
                .map(|mut error| {
                    error.message = format!("{} (policy \"{}\")", error.message, policy.name);
                    error
                })
                .collect::<Vec<_>>()
        })?;
    }
    Ok(merged)
}

/// The decision that put a service on an offering: the offering it is
/// billed by, and the full explanation for audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    pub id: Uuid,
    pub service_id: Uuid,
    pub consumer_id: Uuid,
    pub provider_id: Uuid,
    pub offering_id: Uuid,
    pub agent_id: Uuid,
    pub region: String,
    pub hourly_price: Decimal,
    /// The request after the consumer's policies were applied.
    pub request: PlacementRequest,
    pub decision: PlacementDecision,
    pub created_at: DateTime<Utc>,
}

impl Placement {
    /// The record of `choice`, made by `decision`, for a new service.
    pub fn new(
        service_id: Uuid,
        consumer_id: Uuid,
        choice: &Choice,
        request: PlacementRequest,
        decision: PlacementDecision,
        created_at: DateTime<Utc>,
    ) -> Placement {
        Placement {
            id: Uuid::now_v7(),
            service_id,
            consumer_id,
            provider_id: choice.participant_id,
            offering_id: choice.offering_id,
            agent_id: choice.agent_id,
            region: choice.region.clone(),
            hourly_price: choice.hourly_price,
            request,
            decision,
            created_at,
        }
    }

    /// The monthly price of the service placed, in whole cents: what it
    /// adds to its consumer's and project's budget forecasts.
    pub fn monthly_cents(&self) -> i64 {
        // Capped so that a database sums many without overflowing.
        const MOST: i64 = 1_000_000_000_000_000;
        crate::commerce::budget::cents(crate::commerce::Quote::monthly(self.hourly_price))
            .map_or(MOST, |cents| cents.min(MOST))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::placement::JurisdictionRule;

    fn policy(name: &str, rules: PlacementRequest) -> PlacementPolicy {
        PlacementPolicy {
            id: Uuid::from_u128(1),
            participant_id: Uuid::from_u128(2),
            name: name.into(),
            rules,
            attached: true,
        }
    }

    #[test]
    fn every_policy_narrows_the_request_in_turn() {
        let request = PlacementRequest {
            countries: vec!["FI".into(), "DE".into(), "FR".into()],
            ..PlacementRequest::default()
        };
        let eu = policy(
            "eu",
            PlacementRequest {
                jurisdiction: JurisdictionRule::Eu,
                countries: vec!["DE".into(), "FR".into()],
                ..PlacementRequest::default()
            },
        );
        let french = policy(
            "french",
            PlacementRequest {
                countries: vec!["FR".into()],
                ..PlacementRequest::default()
            },
        );
        let merged = apply_policies(&request, [&eu, &french]).expect("compatible");
        assert_eq!(merged.countries, ["FR"]);
        assert_eq!(merged.jurisdiction, JurisdictionRule::Eu);
        assert_eq!(
            apply_policies(&request, Vec::<&PlacementPolicy>::new()).expect("none"),
            request
        );
    }

    #[test]
    fn a_policy_leaving_nothing_allowed_is_named_in_the_refusal() {
        let request = PlacementRequest {
            countries: vec!["FI".into()],
            ..PlacementRequest::default()
        };
        let german = policy(
            "German data stays home",
            PlacementRequest {
                countries: vec!["DE".into()],
                ..PlacementRequest::default()
            },
        );
        let errors = apply_policies(&request, [&german]).expect_err("conflict");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "countries");
        assert!(
            errors[0]
                .message
                .ends_with("(policy \"German data stays home\")"),
            "{}",
            errors[0].message
        );
    }
}
