//! Provider profiles: a provider's jurisdiction, regions and certifications.

use chrono::{DateTime, Utc};
use federa_domain::exchange::{Certification, Region};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProviderProfileRes {
    pub participant_id: Uuid,
    /// The provider's name: a profile is its public face on the exchange.
    pub participant_name: String,
    /// ISO 3166-1 alpha-2 code of the country of headquarters.
    pub jurisdiction: String,
    pub subject_to_non_eu_law: bool,
    pub regions: Vec<Region>,
    pub certifications: Vec<Certification>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProviderProfileCreateReq {
    pub participant_id: Uuid,
    pub jurisdiction: String,
    /// Whether a non-EU law (e.g. through a foreign parent company) can
    /// compel the provider, wherever its headquarters are.
    #[serde(default)]
    pub subject_to_non_eu_law: bool,
    pub regions: Vec<Region>,
    #[serde(default)]
    pub certifications: Vec<Certification>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProviderProfileUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_to_non_eu_law: Option<bool>,
    /// Replaces every region; regions named by offerings must stay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<Region>>,
    /// Replaces every certification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certifications: Option<Vec<Certification>>,
}
