//! Monthly budgets as they stand, and their alerts. A holder's alert level
//! is the highest of its thresholds its forecast reaches; each time a
//! write raises it, one `budgetAlert` event says so (and so reaches the
//! holder's webhooks). The level moves only from the level read, so two
//! writers seeing one crossing alert once; a forecast that falls lowers
//! the level quietly, so climbing again alerts again.

use federa_domain::commerce::budget::{alert_level, from_cents};
use federa_domain::commerce::{Order, OverBudget, Project, QuotaScope};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_store::{BudgetStanding, ServiceLimits};
use serde_json::json;
use uuid::Uuid;

use crate::clock;
use crate::error::{ExchangeError, ExchangeResult};
use crate::quotas::ended_states;
use crate::Exchange;

/// The budget of the `scope` holder `holder_id` as it stands now.
pub async fn standing(
    exchange: &Exchange,
    scope: QuotaScope,
    holder_id: Uuid,
    consumer_id: Uuid,
) -> ExchangeResult<BudgetStanding> {
    let ended = ended_states(exchange, consumer_id).await?;
    exchange
        .store
        .budget_standing(scope, holder_id, &ended)
        .await?
        .ok_or(ExchangeError::NotFound {
            what: "budget holder",
        })
}

/// After a priced service of `consumer_id` was written or ended: raises or
/// lowers the alert level of each budget in `limits` to where its forecast
/// stands now. An alert that cannot be written is logged; the service
/// stands either way.
pub async fn review(
    exchange: &Exchange,
    ended: &[(Uuid, Vec<String>)],
    consumer_id: Uuid,
    limits: &ServiceLimits,
) {
    let holders = [
        limits
            .consumer_budget
            .map(|_| (QuotaScope::Consumer, consumer_id)),
        limits
            .project_budget
            .and(limits.project_id)
            .map(|project_id| (QuotaScope::Project, project_id)),
    ];
    for (scope, holder_id) in holders.into_iter().flatten() {
        if let Err(error) = review_one(exchange, scope, holder_id, consumer_id, ended).await {
            tracing::warn!(?error, %holder_id, "budget alert not reviewed");
        }
    }
}

/// After a service of `consumer_id` in `group_id` reached a terminal
/// state: lowers the alert level of the budgets it counted towards, so
/// that climbing past a threshold again alerts again.
pub async fn after_service_ended(exchange: &Exchange, consumer_id: Uuid, group_id: Uuid) {
    let outcome = async {
        let limits = exchange.store.service_limits(consumer_id, group_id).await?;
        if limits.consumer_budget.is_some() || limits.project_budget.is_some() {
            let ended = ended_states(exchange, consumer_id).await?;
            review(exchange, &ended, consumer_id, &limits).await;
        }
        Ok::<_, ExchangeError>(())
    }
    .await;
    if let Err(error) = outcome {
        tracing::warn!(?error, %consumer_id, "budget alerts not reviewed after a service ended");
    }
}

/// Reviews the alert level of one holder after its budget changed.
pub async fn review_holder(
    exchange: &Exchange,
    scope: QuotaScope,
    holder_id: Uuid,
    consumer_id: Uuid,
) -> ExchangeResult<()> {
    let ended = ended_states(exchange, consumer_id).await?;
    review_one(exchange, scope, holder_id, consumer_id, &ended).await
}

async fn review_one(
    exchange: &Exchange,
    scope: QuotaScope,
    holder_id: Uuid,
    consumer_id: Uuid,
    ended: &[(Uuid, Vec<String>)],
) -> ExchangeResult<()> {
    let Some(standing) = exchange
        .store
        .budget_standing(scope, holder_id, ended)
        .await?
    else {
        return Ok(());
    };
    let level = standing.budget.as_ref().map_or(0, |budget| {
        alert_level(
            budget.thresholds(),
            budget.monthly_cents,
            standing.forecast_cents,
        )
    });
    if level == standing.alerted {
        return Ok(());
    }
    let mut events = Vec::new();
    if let (Some(budget), true) = (&standing.budget, level > standing.alerted) {
        let kind = match scope {
            QuotaScope::Consumer => EventKind::ParticipantBudgetAlert,
            QuotaScope::Project => EventKind::ProjectBudgetAlert,
        };
        events.push(
            NewEvent::new(kind, Initiator::system(), holder_id)
                .consumer(Some(consumer_id))
                .properties(json!({
                    "threshold": level,
                    "monthlyBudget": budget.monthly(),
                    "forecast": from_cents(standing.forecast_cents),
                })),
        );
    }
    // Another writer moving the level first reviewed the same crossing.
    exchange
        .store
        .move_budget_alert(
            scope,
            holder_id,
            standing.alerted,
            level,
            &events,
            clock::now(),
        )
        .await?;
    Ok(())
}

/// Whether an approver's approval lets `order` pass its project's budget:
/// it was approved (now, when `approving`, or before it waited for its
/// providers) and its project asks approvers to decide on that.
pub async fn approved_past_budget(
    exchange: &Exchange,
    order: &Order,
    approving: bool,
) -> ExchangeResult<bool> {
    if !approving && order.decided_by.is_none() {
        return Ok(false);
    }
    let Some(project_id) = order.project_id else {
        return Ok(false);
    };
    Ok(exchange
        .store
        .record::<Project>(project_id)
        .await?
        .is_some_and(|project| project.over_budget == OverBudget::AwaitApproval))
}

/// Whether the members of composition `composition_id` may pass their
/// project's budget: the order that asked for it was approved where its
/// project has approvers decide on that.
pub async fn composition_budget_waived(
    exchange: &Exchange,
    composition_id: Uuid,
) -> ExchangeResult<bool> {
    match exchange.store.composition_order(composition_id).await? {
        Some(order) => approved_past_budget(exchange, &order, false).await,
        None => Ok(false),
    }
}
