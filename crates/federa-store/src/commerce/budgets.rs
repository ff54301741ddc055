//! Monthly budgets and property limits as their holders' rows keep them:
//! the budget in whole cents, its alert thresholds as a JSON array (NULL
//! for the default) and the limits as a JSON object, read and written the
//! same way for consumers and projects. Also how a budget stands against
//! its forecast, and the alert level each holder was last seen at, changed
//! only from the level the caller read so that each crossing is alerted
//! once however many writers see it.

use chrono::{DateTime, Utc};
use federa_domain::commerce::{Budget, PropertyLimits, QuotaScope};
use federa_domain::event::NewEvent;
use sqlx::types::Json;
use uuid::Uuid;

use crate::commerce::holders::{forecast_sql, holder_table, live_condition, EndedStates};
use crate::error::Result;
use crate::sql::Arg;
use crate::write::{fetch_optional, Statement};
use crate::Store;

/// A budget from its columns.
pub(crate) fn budget(monthly_cents: Option<i64>, alerts: Option<String>) -> Option<Budget> {
    monthly_cents.map(|monthly_cents| Budget {
        monthly_cents,
        // Written only from a list of numbers, so it always parses back.
        alerts: alerts
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default(),
    })
}

/// The columns' values for `budget`: the cents, and the thresholds unless
/// they are the default.
pub(crate) fn budget_args(budget: Option<&Budget>) -> [Arg; 2] {
    let cents = budget.map(|budget| budget.monthly_cents);
    let alerts = budget
        .filter(|budget| !budget.alerts.is_empty())
        .map(|budget| serde_json::to_string(&budget.alerts).unwrap_or_default());
    [Arg::OptInt(cents), Arg::OptText(alerts)]
}

/// Property limits from their column.
pub(crate) fn property_limits(column: Option<Json<PropertyLimits>>) -> PropertyLimits {
    column.map(|Json(limits)| limits).unwrap_or_default()
}

/// The column's value for `limits`: NULL for none.
pub(crate) fn property_limits_arg(limits: &PropertyLimits) -> Arg {
    Arg::OptJson((!limits.is_empty()).then(|| serde_json::json!(limits)))
}

/// A holder's budget as it stands: the budget (none when unset), the
/// forecast of its services and the alert level last recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetStanding {
    pub budget: Option<Budget>,
    pub forecast_cents: i64,
    pub alerted: u32,
}

#[derive(sqlx::FromRow)]
struct StandingRow {
    monthly_budget: Option<i64>,
    budget_alerts: Option<String>,
    budget_alerted: i32,
    forecast: i64,
}

impl Store {
    /// The budget of the `scope` holder `holder_id`, the forecast of the
    /// services it counts not in a terminal state (by `ended`) and its
    /// alert level; `None` when the holder does not exist.
    pub async fn budget_standing(
        &self,
        scope: QuotaScope,
        holder_id: Uuid,
        ended: &EndedStates,
    ) -> Result<Option<BudgetStanding>> {
        let table = holder_table(scope);
        let (live, live_args) = live_condition(ended);
        let mut args = vec![Arg::Uuid(holder_id)];
        args.extend(live_args);
        let row: Option<StandingRow> = fetch_optional(
            &self.read,
            &format!(
                "SELECT monthly_budget, budget_alerts, budget_alerted, CAST(({}) AS BIGINT) AS forecast FROM {table} WHERE id = $1",
                forecast_sql(scope, &live)
            ),
            &args,
        )
        .await?;
        Ok(row.map(|row| BudgetStanding {
            budget: budget(row.monthly_budget, row.budget_alerts),
            forecast_cents: row.forecast,
            alerted: u32::try_from(row.budget_alerted).unwrap_or(0),
        }))
    }

    /// Moves the alert level of the `scope` holder `holder_id` from `from`
    /// to `to`, with `events`; `false`, with nothing written, when another
    /// writer moved it first.
    pub async fn move_budget_alert(
        &self,
        scope: QuotaScope,
        holder_id: Uuid,
        from: u32,
        to: u32,
        events: &[NewEvent],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let table = holder_table(scope);
        let statement = Statement::new(
            format!("UPDATE {table} SET budget_alerted = $3 WHERE id = $1 AND budget_alerted = $2"),
            vec![
                Arg::Uuid(holder_id),
                Arg::Int(i64::from(from)),
                Arg::Int(i64::from(to)),
            ],
        )
        .guard();
        self.apply_if(&[statement], events, now).await
    }
}
