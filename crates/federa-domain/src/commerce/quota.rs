//! Quotas on what a consumer holds, set on the consumer or on one of its
//! projects: how many services, and a monthly budget in EUR. A limit on a
//! project counts the services of its groups, a limit on the consumer all
//! of its services; only services not in a terminal state of their
//! lifecycle count. A budget is compared with the forecast of those
//! services' monthly prices, as placement priced them, plus the service
//! being ordered. An order that would pass a quota is refused, naming it.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use uuid::Uuid;

use crate::listing::FieldError;
use crate::property_schema::is_quota_name;

/// Where a quota is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaScope {
    /// On the consumer, over all its services.
    Consumer,
    /// On a project, over the services of its groups.
    Project,
}

/// What a quota measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaMeasure {
    /// `serviceLimit`: services not in a terminal state.
    Services,
    /// `monthlyBudget`: EUR a month those services are forecast to cost.
    MonthlyBudget,
    /// `propertyLimits.<name>`: the sum of the properties that service
    /// types declare count towards the quota of that name (such as
    /// `vcpus`), over those services.
    Property(String),
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
    fn field(&self) -> String {
        match self {
            QuotaMeasure::Services => "serviceLimit".into(),
            QuotaMeasure::MonthlyBudget => "monthlyBudget".into(),
            QuotaMeasure::Property(name) => format!("propertyLimits.{name}"),
        }
    }
}

/// One quota: where it is set and what it measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    pub scope: QuotaScope,
    pub measure: QuotaMeasure,
}

impl Quota {
    pub fn new(scope: QuotaScope, measure: QuotaMeasure) -> Quota {
        Quota { scope, measure }
    }

    /// The quota's name on the wire: where it is set, and the field, such
    /// as `project.monthlyBudget`.
    pub fn name(&self) -> String {
        format!("{}.{}", self.scope.holder(), self.measure.field())
    }
}

/// How far a reached quota is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaUse {
    /// A service limit and how many services count against it.
    Services { limit: u32, count: u32 },
    /// A limit on the sum of a quota-counted property, the sum over the
    /// services that count against it and the amount of the service
    /// refused.
    Property {
        name: String,
        limit: i64,
        total: i64,
        requested: i64,
    },
    /// A monthly budget, the forecast of the services that count against
    /// it and the monthly price of the service refused.
    MonthlyBudget {
        budget: Decimal,
        forecast: Decimal,
        requested: Decimal,
    },
}

/// A reached quota: which, on whom, and how far it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaUsage {
    pub scope: QuotaScope,
    /// The consumer or project the quota is set on.
    pub holder_id: Uuid,
    pub used: QuotaUse,
}

impl QuotaUsage {
    pub fn quota(&self) -> Quota {
        let measure = match &self.used {
            QuotaUse::Services { .. } => QuotaMeasure::Services,
            QuotaUse::MonthlyBudget { .. } => QuotaMeasure::MonthlyBudget,
            QuotaUse::Property { name, .. } => QuotaMeasure::Property(name.clone()),
        };
        Quota::new(self.scope, measure)
    }
}

impl fmt::Display for QuotaUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let holder = self.scope.holder();
        let name = self.quota().name();
        match &self.used {
            QuotaUse::Property {
                limit,
                total,
                requested,
                ..
            } => write!(
                f,
                "the {holder}'s quota {name} of {limit} would be passed: its services count {total} and this one {requested}"
            ),
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

/// Limits on sums of quota-counted properties, by quota name.
pub type PropertyLimits = BTreeMap<String, i64>;

/// Property limits as given: each named as a quota may be (see
/// `is_quota_name`) and not negative. Every failing one, by its path.
pub fn check_property_limits(limits: &PropertyLimits) -> Result<(), Vec<FieldError>> {
    let errors: Vec<FieldError> = limits
        .iter()
        .filter_map(|(name, limit)| {
            let path = format!("propertyLimits.{name}");
            if !is_quota_name(name) {
                Some(FieldError::new(
                    path,
                    "must be a quota name of 1 to 64 letters and digits, starting with a letter",
                ))
            } else if *limit < 0 {
                Some(FieldError::new(path, "must not be negative"))
            } else {
                None
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
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
    fn a_passed_property_limit_names_the_property_quota() {
        let usage = QuotaUsage {
            scope: QuotaScope::Project,
            holder_id: Uuid::nil(),
            used: QuotaUse::Property {
                name: "vcpus".into(),
                limit: 8,
                total: 6,
                requested: 4,
            },
        };
        assert_eq!(usage.quota().name(), "project.propertyLimits.vcpus");
        assert_eq!(
            usage.to_string(),
            "the project's quota project.propertyLimits.vcpus of 8 would be passed: its services count 6 and this one 4"
        );
    }

    #[test]
    fn property_limits_name_quotas_and_are_not_negative() {
        let fine = PropertyLimits::from([("vcpus".to_string(), 16), ("memoryMiB".to_string(), 0)]);
        assert_eq!(check_property_limits(&fine), Ok(()));
        let bad = PropertyLimits::from([("v cpus".to_string(), 1), ("disk".to_string(), -1)]);
        let paths: Vec<String> = check_property_limits(&bad)
            .unwrap_err()
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["propertyLimits.disk", "propertyLimits.v cpus"]);
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
