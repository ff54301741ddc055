//! Monthly budgets on the wire: the fields a consumer or project carries,
//! and how a budget stands (`GET /participants/{id}/budget`,
//! `GET /projects/{id}/budget`).

use federa_domain::commerce::budget::from_cents;
use federa_domain::commerce::Budget;
use federa_domain::exchange::Decimal;
use serde::{Deserialize, Serialize};

/// A budget's amount in EUR and the thresholds it alerts at, as a holder's
/// answer shows them; both absent when it has no budget.
pub fn budget_fields(budget: Option<&Budget>) -> (Option<Decimal>, Option<Vec<u32>>) {
    match budget {
        Some(budget) => (Some(budget.monthly()), Some(budget.thresholds().to_vec())),
        None => (None, None),
    }
}

/// How a consumer's or project's monthly budget stands now.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BudgetRes {
    /// EUR a month; absent when no budget is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub monthly_budget: Option<Decimal>,
    /// EUR a month its services not in a terminal state are forecast to
    /// cost, from the prices placement chose them at.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub forecast: Decimal,
    /// Percentages of the budget that raise an alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_alerts: Option<Vec<u32>>,
    /// The highest of them the forecast has reached, 0 for none.
    pub alerted: u32,
}

impl BudgetRes {
    pub fn new(budget: Option<&Budget>, forecast_cents: i64, alerted: u32) -> BudgetRes {
        let (monthly_budget, budget_alerts) = budget_fields(budget);
        BudgetRes {
            monthly_budget,
            forecast: from_cents(forecast_cents),
            budget_alerts,
            alerted,
        }
    }
}
