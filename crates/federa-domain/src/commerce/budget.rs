//! A monthly budget in EUR, set on a consumer or on one of its projects:
//! the quota on what its services are forecast to cost a month (see
//! `quota`), with the thresholds at which the holder is alerted as the
//! forecast climbs. Amounts are kept as whole cents so a database sums
//! them exactly.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::listing::FieldError;

/// A holder's monthly budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// EUR a month, in whole cents.
    pub monthly_cents: i64,
    /// Percentages of the budget at which the forecast raises an alert,
    /// ascending; empty means [`DEFAULT_BUDGET_ALERTS`].
    pub alerts: Vec<u32>,
}

impl Budget {
    pub fn monthly(&self) -> Decimal {
        from_cents(self.monthly_cents)
    }

    /// Whether a service adding `requested_cents` a month would take a
    /// forecast of `forecast_cents` past the budget: the rule the store
    /// applies as it writes the service, read ahead where an order may
    /// wait for an approver instead. A service that costs nothing passes.
    pub fn passed_by(&self, forecast_cents: i64, requested_cents: i64) -> bool {
        requested_cents > 0 && forecast_cents.saturating_add(requested_cents) > self.monthly_cents
    }

    /// The thresholds alerted on.
    pub fn thresholds(&self) -> &[u32] {
        if self.alerts.is_empty() {
            &DEFAULT_BUDGET_ALERTS
        } else {
            &self.alerts
        }
    }
}

/// What accepting an order that would pass a project's budget does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OverBudget {
    /// The order is refused, naming the budget.
    #[default]
    Refuse,
    /// The order waits for an approver of the consumer, whose approval
    /// lets it pass the project's budget (never the consumer's).
    AwaitApproval,
}

impl OverBudget {
    pub fn as_str(self) -> &'static str {
        match self {
            OverBudget::Refuse => "Refuse",
            OverBudget::AwaitApproval => "AwaitApproval",
        }
    }

    pub fn parse(text: &str) -> Option<OverBudget> {
        match text {
            "Refuse" => Some(OverBudget::Refuse),
            "AwaitApproval" => Some(OverBudget::AwaitApproval),
            _ => None,
        }
    }
}

/// Cents in a euro: budgets and monthly prices are kept as whole cents so
/// a database sums them exactly.
const CENTS_PER_EUR: Decimal = Decimal::ONE_HUNDRED;

/// `amount` EUR as whole cents, rounded up so a forecast never falls
/// below what is billed; `None` when it does not fit.
pub fn cents(amount: Decimal) -> Option<i64> {
    let cents = amount.checked_mul(CENTS_PER_EUR)?.ceil();
    i64::try_from(cents).ok()
}

/// `cents` as EUR with two decimal places.
pub fn from_cents(cents: i64) -> Decimal {
    let mut amount = Decimal::from(cents) / CENTS_PER_EUR;
    amount.rescale(2);
    amount
}

/// The budget thresholds alerted on when a holder sets none: percentages
/// of the monthly budget.
pub const DEFAULT_BUDGET_ALERTS: [u32; 2] = [80, 100];

/// The highest of `thresholds` (percentages of `budget_cents`) that
/// `forecast_cents` reaches, or 0 when it reaches none: the alert level a
/// holder is at.
pub fn alert_level(thresholds: &[u32], budget_cents: i64, forecast_cents: i64) -> u32 {
    thresholds
        .iter()
        .copied()
        .filter(|percent| {
            // forecast / budget >= percent / 100, kept in whole numbers.
            i128::from(forecast_cents) * 100 >= i128::from(budget_cents) * i128::from(*percent)
        })
        .max()
        .unwrap_or(0)
}

/// Budget alert thresholds as given: each a percentage from 1 to 1000,
/// at most ten; returned sorted without repeats.
pub fn check_alert_thresholds(thresholds: &[u32]) -> Result<Vec<u32>, String> {
    if thresholds.len() > 10 {
        return Err("must hold at most 10 thresholds".into());
    }
    if let Some(bad) = thresholds.iter().find(|p| !(1..=1000).contains(*p)) {
        return Err(format!(
            "{bad} is not a percentage of the budget from 1 to 1000"
        ));
    }
    let mut sorted = thresholds.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    Ok(sorted)
}

/// A monthly budget as given: EUR, not negative, at most two decimal places.
pub fn check_budget(budget: Decimal) -> Result<i64, String> {
    if budget.is_sign_negative() {
        return Err("must not be negative".into());
    }
    if budget.normalize().scale() > 2 {
        return Err("must be a whole number of cents, such as \"100.00\"".into());
    }
    cents(budget).ok_or_else(|| "is too large".into())
}

/// `current` with the changes asked: `monthly` sets (`Some(Some)`) or
/// removes (`Some(None)`) the budget, `alerts` replaces its thresholds
/// (`[]` restores the default). Every field that fails, by its path
/// (`monthlyBudget`, `budgetAlerts`).
pub fn edit_budget(
    current: Option<Budget>,
    monthly: Option<Option<Decimal>>,
    alerts: Option<&[u32]>,
) -> Result<Option<Budget>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let monthly_cents = match monthly {
        None => current.as_ref().map(|budget| budget.monthly_cents),
        Some(None) => None,
        Some(Some(amount)) => match check_budget(amount) {
            Ok(cents) => Some(cents),
            Err(message) => {
                errors.push(FieldError::new("monthlyBudget", message));
                None
            }
        },
    };
    let thresholds = match alerts {
        None => current.map(|budget| budget.alerts).unwrap_or_default(),
        Some(given) => match check_alert_thresholds(given) {
            Ok(sorted) => sorted,
            Err(message) => {
                errors.push(FieldError::new("budgetAlerts", message));
                Vec::new()
            }
        },
    };
    if monthly_cents.is_none() && alerts.is_some_and(|given| !given.is_empty()) && errors.is_empty()
    {
        errors.push(FieldError::new(
            "budgetAlerts",
            "alerts need a monthlyBudget to be a percentage of",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(monthly_cents.map(|monthly_cents| Budget {
        monthly_cents,
        alerts: thresholds,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_passed_only_by_a_priced_service_taking_the_forecast_above_it() {
        let budget = Budget {
            monthly_cents: 5_000,
            alerts: vec![],
        };
        assert!(!budget.passed_by(3_540, 1_460), "exactly at the budget");
        assert!(budget.passed_by(3_541, 1_460));
        assert!(!budget.passed_by(9_000, 0), "a free service passes");
        assert!(budget.passed_by(i64::MAX, 1), "no overflow");
    }

    #[test]
    fn a_budget_is_set_kept_changed_and_removed_field_by_field() {
        let set = edit_budget(None, Some(Some(Decimal::new(100, 0))), None).unwrap();
        assert_eq!(
            set,
            Some(Budget {
                monthly_cents: 10_000,
                alerts: vec![]
            })
        );
        let alerted = edit_budget(set.clone(), None, Some(&[90, 50])).unwrap();
        assert_eq!(alerted.as_ref().unwrap().alerts, [50, 90]);
        assert_eq!(alerted.as_ref().unwrap().monthly_cents, 10_000);
        assert_eq!(edit_budget(alerted.clone(), Some(None), None), Ok(None));
        let both_wrong =
            edit_budget(None, Some(Some(Decimal::new(-1, 0))), Some(&[0])).unwrap_err();
        let paths: Vec<&str> = both_wrong.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["monthlyBudget", "budgetAlerts"]);
        let no_budget = edit_budget(None, None, Some(&[80])).unwrap_err();
        assert_eq!(no_budget[0].path, "budgetAlerts");
        assert_eq!(edit_budget(None, None, Some(&[])), Ok(None));
    }

    #[test]
    fn cents_round_up_and_come_back_with_two_places() {
        assert_eq!(cents(Decimal::new(1460, 2)), Some(1460));
        assert_eq!(cents(Decimal::new(14601, 3)), Some(1461));
        assert_eq!(from_cents(1460).to_string(), "14.60");
        assert_eq!(from_cents(0).to_string(), "0.00");
        assert_eq!(cents(Decimal::MAX), None);
    }

    #[test]
    fn the_alert_level_is_the_highest_threshold_reached() {
        let thresholds = [50, 80, 100];
        assert_eq!(alert_level(&thresholds, 10_000, 4_999), 0);
        assert_eq!(alert_level(&thresholds, 10_000, 5_000), 50);
        assert_eq!(alert_level(&thresholds, 10_000, 9_999), 80);
        assert_eq!(alert_level(&thresholds, 10_000, 12_000), 100);
        assert_eq!(alert_level(&[], 10_000, 12_000), 0);
        // A zero budget is reached by any forecast.
        assert_eq!(alert_level(&thresholds, 0, 0), 100);
    }

    #[test]
    fn thresholds_and_budgets_are_checked() {
        assert_eq!(check_alert_thresholds(&[100, 80, 80]), Ok(vec![80, 100]));
        assert!(check_alert_thresholds(&[0]).is_err());
        assert!(check_alert_thresholds(&[1001]).is_err());
        assert!(check_alert_thresholds(&[1; 11]).is_err());
        assert_eq!(check_budget(Decimal::new(10_000, 2)), Ok(10_000));
        assert_eq!(check_budget(Decimal::new(100_000, 3)), Ok(10_000));
        assert!(check_budget(Decimal::new(-1, 0)).is_err());
        assert!(check_budget(Decimal::new(1, 3)).is_err());
    }
}
