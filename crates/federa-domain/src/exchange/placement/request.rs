//! What a consumer asks of a placement: where its service may run, under
//! whose law, with which certifications, up to what price, and how to pick
//! among the offerings that qualify.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::exchange::certification::CertificationKind;
use crate::exchange::money::optional_amount;
use crate::exchange::problems::Problems;
use crate::exchange::profile::{is_region_code, NOT_A_REGION_CODE};
use crate::listing::FieldError;

/// Placement constraints. Every field has a default, so `{}` means
/// "anywhere, anyone, cheapest". Unknown fields are refused: a misspelt
/// constraint silently ignored would place data where it must not go.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct PlacementRequest {
    /// Countries the service may run in; empty allows any.
    pub countries: Vec<String>,
    /// Region codes the service may run in; empty allows any.
    pub regions: Vec<String>,
    pub jurisdiction: JurisdictionRule,
    pub required_certifications: Vec<CertificationKind>,
    /// Highest acceptable EUR per running hour for the requested properties.
    #[serde(deserialize_with = "optional_amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub max_hourly_price: Option<Decimal>,
    pub strategy: Strategy,
    /// The country [`Strategy::Nearest`] measures from; required by it,
    /// ignored by the other strategies.
    pub near_country: Option<String>,
}

/// Whose law the provider may answer to. Ordered from loosest to strictest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum JurisdictionRule {
    #[default]
    Any,
    /// Provider headquartered in the EU or the EEA.
    Eu,
    /// Headquartered in the EU or the EEA, and not subject to any non-EU
    /// law (no foreign parent that a CLOUD Act order could reach).
    EuNoForeignLaw,
}

impl JurisdictionRule {
    /// The stricter of two rules: whatever satisfies it satisfies both.
    pub fn stricter(self, other: JurisdictionRule) -> JurisdictionRule {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    fn rank(self) -> u8 {
        match self {
            JurisdictionRule::Any => 0,
            JurisdictionRule::Eu => 1,
            JurisdictionRule::EuNoForeignLaw => 2,
        }
    }
}

/// How to choose among eligible offerings. Every strategy then prefers the
/// lower price, then the lower participant id, then the lower offering id,
/// so the same inputs always give the same choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum Strategy {
    /// Lowest hourly price.
    #[default]
    Cheapest,
    /// Region whose country's capital is closest to `nearCountry`'s.
    Nearest,
    /// Provider running the fewest of this consumer's active services, so
    /// one provider's outage takes down as little as possible.
    Spread,
}

impl PlacementRequest {
    /// Every problem with the request, each with the path of its field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut problems = Problems::default();
        for (index, code) in self.countries.iter().enumerate() {
            problems.country(format!("countries[{index}]"), code);
        }
        for (index, code) in self.regions.iter().enumerate() {
            if !is_region_code(code) {
                problems.push(format!("regions[{index}]"), NOT_A_REGION_CODE);
            }
        }
        if let Some(max) = self.max_hourly_price {
            problems.not_negative("maxHourlyPrice", max);
        }
        match &self.near_country {
            Some(code) => problems.country("nearCountry", code),
            None if self.strategy == Strategy::Nearest => {
                problems.push("nearCountry", "is required when strategy is nearest");
            }
            None => {}
        }
        problems.into_result()
    }
}
