//! Bills: what a period of use costs, line by line.

use chrono::{DateTime, Utc};
use federa_domain::exchange::billing::{Currency, LineKind};
use federa_domain::exchange::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A consumer's invoice or a provider's statement: the same lines seen
/// from either side, so both agree to the cent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BillRes {
    /// The consumer invoiced, or the provider the statement is for.
    pub participant_id: Uuid,
    pub period_from: DateTime<Utc>,
    /// Exclusive. Usage is counted up to this instant or up to now,
    /// whichever comes first.
    pub period_to: DateTime<Utc>,
    pub currency: Currency,
    /// Sum of the line amounts, rounded once to the cent (half away from
    /// zero), as a decimal string.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub total: Decimal,
    pub lines: Vec<BillLineRes>,
    /// On an invoice: what the lines of each of the consumer's projects
    /// come to (`projectId` absent for services of groups in no project),
    /// in the order the projects first appear.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<ProjectTotalRes>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProjectTotalRes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
    /// Rounded once to the cent, as the bill's total is.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub total: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BillLineRes {
    pub service_id: Uuid,
    pub service_name: String,
    pub provider_id: Uuid,
    pub consumer_id: Uuid,
    /// On an invoice: the project of the service's group, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
    pub offering_id: Uuid,
    pub description: String,
    pub kind: LineKind,
    /// Hours, unit-hours or metric units, as a decimal string.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub quantity: Decimal,
    /// EUR per unit of `quantity`, as a decimal string.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit_price: Decimal,
    /// `quantity × unitPrice`, unrounded, as a decimal string.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: Decimal,
}
