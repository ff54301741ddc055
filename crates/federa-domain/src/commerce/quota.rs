//! Quotas on what a consumer holds, set on the consumer or on one of its
//! projects: how many services, and a monthly budget in EUR. A limit on a
//! project counts the services of its groups, a limit on the consumer all
//! of its services; only services not in a terminal state of their
//! lifecycle count. A budget is compared with the forecast of those
//! services' monthly prices, as placement priced them, plus the service
//! being ordered. An order that would pass a quota is refused, naming it.

use std::fmt;

use rust_decimal::Decimal;
use uuid::Uuid;

/// Where a quota is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaScope {
    /// On the consumer, over all its services.
    Consumer,
    /// On a project, over the services of its groups.
    Project,
}

/// What a quota measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaMeasure {
    /// `serviceLimit`: services not in a terminal state.
    Services,
    /// `monthlyBudget`: EUR a month those services are forecast to cost.
    MonthlyBudget,
}

impl QuotaScope {
    fn holder(self) -> &'static str {
        match self {
            QuotaScope::Consumer => "consumer",
            QuotaScope::Project => "project",
        }
    }
}

impl QuotaMeasure {
    fn field(self) -> &'static str {
        match self {
            QuotaMeasure::Services => "serviceLimit",
            QuotaMeasure::MonthlyBudget => "monthlyBudget",
        }
    }
}

/// One quota: where it is set and what it measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub scope: QuotaScope,
    pub measure: QuotaMeasure,
}

impl Quota {
    pub const fn new(scope: QuotaScope, measure: QuotaMeasure) -> Quota {
        Quota { scope, measure }
    }

    /// The quota's name on the wire: where it is set, and the field, such
    /// as `project.monthlyBudget`.
    pub fn name(self) -> String {
        format!("{}.{}", self.scope.holder(), self.measure.field())
    }
}

/// How far a reached quota is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaUse {
    /// A service limit and how many services count against it.
    Services { limit: u32, count: u32 },
    /// A monthly budget, the forecast of the services that count against
    /// it and the monthly price of the service refused.
    MonthlyBudget {
        budget: Decimal,
        forecast: Decimal,
        requested: Decimal,
    },
}

/// A reached quota: which, on whom, and how far it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaUsage {
    pub scope: QuotaScope,
    /// The consumer or project the quota is set on.
    pub holder_id: Uuid,
    pub used: QuotaUse,
}

impl QuotaUsage {
    pub fn quota(&self) -> Quota {
        let measure = match self.used {
            QuotaUse::Services { .. } => QuotaMeasure::Services,
            QuotaUse::MonthlyBudget { .. } => QuotaMeasure::MonthlyBudget,
        };
        Quota::new(self.scope, measure)
    }
}

impl fmt::Display for QuotaUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let holder = self.scope.holder();
        let name = self.quota().name();
        match self.used {
            QuotaUse::Services { limit, count } => write!(
                f,
                "the {holder}'s quota {name} of {limit} services not in a terminal state is reached: it has {count}"
            ),
            QuotaUse::MonthlyBudget {
                budget,
                forecast,
                requested,
            } => write!(
                f,
                "the {holder}'s monthly budget {name} of {budget} EUR would be passed: its services are forecast at {forecast} EUR a month and this one adds {requested} EUR"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reached_quota_says_which_it_is_its_limit_and_its_count() {
        let usage = QuotaUsage {
            scope: QuotaScope::Project,
            holder_id: Uuid::nil(),
            used: QuotaUse::Services { limit: 5, count: 5 },
        };
        assert_eq!(
            usage.to_string(),
            "the project's quota project.serviceLimit of 5 services not in a terminal state is reached: it has 5"
        );
    }

    #[test]
    fn a_passed_budget_names_itself_its_forecast_and_the_order() {
        let usage = QuotaUsage {
            scope: QuotaScope::Consumer,
            holder_id: Uuid::nil(),
            used: QuotaUse::MonthlyBudget {
                budget: Decimal::new(10_000, 2),
                forecast: Decimal::new(9_125, 2),
                requested: Decimal::new(1_460, 2),
            },
        };
        assert_eq!(usage.quota().name(), "consumer.monthlyBudget");
        assert_eq!(
            usage.to_string(),
            "the consumer's monthly budget consumer.monthlyBudget of 100.00 EUR would be passed: its services are forecast at 91.25 EUR a month and this one adds 14.60 EUR"
        );
    }
}
