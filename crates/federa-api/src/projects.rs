//! Projects: a consumer's cost centres, which its service groups belong to.

use chrono::{DateTime, Utc};
use federa_domain::commerce::{OverBudget, Project, PropertyLimits};

use crate::budgets::budget_fields;
use federa_domain::exchange::money::optional_amount;
use federa_domain::exchange::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProjectRes {
    pub id: Uuid,
    pub consumer_id: Uuid,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Most services not in a terminal state the project's groups may
    /// hold at once; none means no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_limit: Option<u32>,
    /// EUR a month above which an accepted order's quote waits for an
    /// approver; none means never.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub approval_threshold: Option<Decimal>,
    /// EUR a month its services may be forecast to cost; none means no
    /// budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub monthly_budget: Option<Decimal>,
    /// Percentages of the budget at which a `project.budgetAlert` event
    /// is raised; shown with a budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_alerts: Option<Vec<u32>>,
    /// What accepting an order past the budget does: `Refuse` it (409
    /// naming `project.monthlyBudget`) or `AwaitApproval`.
    #[serde(default)]
    pub over_budget: OverBudget,
    /// Limits on sums of the properties service types count towards each
    /// quota (a property schema's `"quota": "vcpus"`), by quota name.
    #[serde(default, skip_serializing_if = "PropertyLimits::is_empty")]
    pub property_limits: PropertyLimits,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Project> for ProjectRes {
    fn from(p: Project) -> Self {
        let (monthly_budget, budget_alerts) = budget_fields(p.budget.as_ref());
        ProjectRes {
            id: p.id,
            consumer_id: p.consumer_id,
            name: p.name,
            description: p.description,
            service_limit: p.service_limit,
            approval_threshold: p.approval_threshold,
            monthly_budget,
            budget_alerts,
            over_budget: p.over_budget,
            property_limits: p.property_limits,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProjectCreateReq {
    pub consumer_id: Uuid,
    /// Unique within the consumer.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_limit: Option<u32>,
    /// A decimal string of EUR a month, such as `"100.00"`.
    #[serde(
        default,
        deserialize_with = "optional_amount",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub approval_threshold: Option<Decimal>,
    /// A decimal string of EUR a month, in whole cents.
    #[serde(
        default,
        deserialize_with = "optional_amount",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub monthly_budget: Option<Decimal>,
    /// Percentages of the budget, 1 to 1000; absent for 80 and 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_alerts: Option<Vec<u32>>,
    /// `Refuse` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_budget: Option<OverBudget>,
    /// Limits on sums of quota-counted properties, by quota name (such as
    /// `{"vcpus": 16}`); replaces all of them, `{}` removes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_limits: Option<PropertyLimits>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProjectUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An empty text removes the description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `null` removes the limit.
    #[serde(default, deserialize_with = "crate::envelope::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u32>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_limit: Option<Option<u32>>,
    /// `null` removes the threshold.
    #[serde(default, deserialize_with = "present_amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_threshold: Option<Option<Decimal>>,
    /// `null` removes the budget.
    #[serde(default, deserialize_with = "present_amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_budget: Option<Option<Decimal>>,
    /// `[]` restores the default thresholds, 80 and 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_alerts: Option<Vec<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_budget: Option<OverBudget>,
    /// Limits on sums of quota-counted properties, by quota name (such as
    /// `{"vcpus": 16}`); replaces all of them, `{}` removes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_limits: Option<PropertyLimits>,
}

/// Tells an amount given as `null` (`Some(None)`) from one left out (`None`).
pub(crate) fn present_amount<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<Decimal>>, D::Error> {
    optional_amount(deserializer).map(Some)
}
