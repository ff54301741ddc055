//! Offerings: what a provider's agent offers of a service type, where, and at what price.

use chrono::{DateTime, Utc};
use federa_domain::exchange::{ExitTerms, PriceSheet};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OfferingRes {
    pub id: Uuid,
    /// The provider.
    pub participant_id: Uuid,
    pub service_type_id: Uuid,
    /// Codes of regions of the provider's profile, in its order of preference.
    pub regions: Vec<String>,
    pub price: PriceSheet,
    /// Most services not in a terminal state at once; absent is unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    pub enabled: bool,
    /// What a customer leaving for another provider can count on.
    pub exit_terms: ExitTerms,
    /// An order's quote on it, once accepted by its consumer, waits for
    /// the provider to accept it.
    #[serde(default)]
    pub requires_acceptance: bool,
    /// How many prices it has had, counting the one it has now: the
    /// version an order's quote on it names.
    pub version: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OfferingCreateReq {
    pub participant_id: Uuid,
    pub service_type_id: Uuid,
    pub regions: Vec<String>,
    pub price: PriceSheet,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Absent: no notice, 30 days' transition, nothing exportable, no
    /// switching charge; a field left out takes that default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_terms: Option<ExitTerms>,
    /// Absent: orders need no acceptance by the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_acceptance: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OfferingUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<String>>,
    /// A new price, in force from now on; usage before stays billed at the
    /// price of its time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<PriceSheet>,
    /// `null` removes the limit.
    #[serde(default, deserialize_with = "crate::envelope::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u32>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Option<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// New exit terms, replacing the old; a field left out takes its
    /// default, as on creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_terms: Option<ExitTerms>,
    /// Absent: orders need no acceptance by the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_acceptance: Option<bool>,
}
