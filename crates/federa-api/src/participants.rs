//! Participants: the parties of the exchange, providers and consumers alike.

use chrono::{DateTime, Utc};
use federa_domain::commerce::PropertyLimits;
use federa_domain::exchange::Decimal;
use federa_domain::participant::Participant;
pub use federa_domain::participant::ParticipantStatus;
use serde::{Deserialize, Serialize};

use crate::budgets::budget_fields;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ParticipantRes {
    pub id: Uuid,
    pub name: String,
    pub status: ParticipantStatus,
    /// Most services not in a terminal state it may consume at once; none
    /// means no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_limit: Option<u32>,
    /// EUR a month its services may be forecast to cost; none means no
    /// budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub monthly_budget: Option<Decimal>,
    /// Percentages of the budget at which a `participant.budgetAlert`
    /// event is raised; shown with a budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_alerts: Option<Vec<u32>>,
    /// Limits on sums of the properties service types count towards each
    /// quota (a property schema's `"quota": "vcpus"`), by quota name.
    #[serde(default, skip_serializing_if = "PropertyLimits::is_empty")]
    pub property_limits: PropertyLimits,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Participant> for ParticipantRes {
    fn from(p: Participant) -> Self {
        let (monthly_budget, budget_alerts) = budget_fields(p.budget.as_ref());
        ParticipantRes {
            id: p.id,
            name: p.name,
            status: p.status,
            service_limit: p.service_limit,
            monthly_budget,
            budget_alerts,
            property_limits: p.property_limits,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ParticipantCreateReq {
    pub name: String,
    pub status: ParticipantStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ParticipantUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ParticipantStatus>,
    /// Set by an admin; `null` removes the limit.
    #[serde(default, deserialize_with = "crate::envelope::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u32>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_limit: Option<Option<u32>>,
    /// Set by the participant itself or an admin, a decimal string of EUR
    /// a month in whole cents; `null` removes the budget.
    #[serde(default, deserialize_with = "crate::projects::present_amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_budget: Option<Option<Decimal>>,
    /// `[]` restores the default thresholds, 80 and 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_alerts: Option<Vec<u32>>,
    /// Set by an admin, as the service limit is.
    /// Limits on sums of quota-counted properties, by quota name (such as
    /// `{"vcpus": 16}`); replaces all of them, `{}` removes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_limits: Option<PropertyLimits>,
}
