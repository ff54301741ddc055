//! Orders with binding quotes: placing an order now and quoting the chosen
//! offering, then moving it on as its consumer accepts or cancels it, an
//! approver decides on it, the provider accepts or declines it where the
//! offering asks that, and its service's `create` job finishes.
//! Accepting orders the service through `ordering`, at the quoted
//! offering only, with the order's move and the service's quota check in
//! one transaction, so an order is accepted once however many requests
//! race on it.

use federa_domain::commerce::budget::cents;
use federa_domain::commerce::order::{check_reason, QUOTE_TERM_DAYS};
use federa_domain::commerce::{
    needs_approval, Order, OrderItem, OrderState, OverBudget, Project, QuotaScope, Quote,
};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::exchange::placement::Relations;
use federa_domain::exchange::Offering;
use federa_domain::listing::FieldError;
use federa_domain::property_schema::{Actor, ValidationContext};
use federa_domain::provisioning::{Job, JobStatus};
use federa_store::exchange::Stored;
use federa_store::OrderMove;
use serde_json::json;
use uuid::Uuid;

use crate::budgets;
use crate::clock;
use crate::error::{under, ExchangeError, ExchangeResult};
use crate::ordering::{self, write_prepared};
use crate::placement;
use crate::type_rules::type_rules;
use crate::Exchange;

/// A consumer's new order; the caller checked the name and that the
/// caller may order into the item's group.
pub struct NewOrder {
    pub consumer_id: Uuid,
    pub project_id: Option<Uuid>,
    pub item: OrderItem,
    pub actor: Actor,
    pub initiator: Initiator,
}

/// Who moves an order, and why when asked.
#[derive(Clone)]
pub struct Decision {
    pub actor: Actor,
    pub initiator: Initiator,
    /// The person deciding, when a person is.
    pub user_id: Option<Uuid>,
    pub reason: Option<String>,
}

/// What is asked of an order once quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// The consumer accepts the quote.
    Accept,
    /// The consumer withdraws the order.
    Cancel,
    /// An approver lets the order through.
    Approve,
    /// An approver refuses it, saying why.
    Reject,
    /// The provider accepts an order on an offering that requires it.
    Confirm,
    /// The provider refuses it, saying why.
    Decline,
}

/// Moves `order` as `verb` asks, by `decision`.
pub async fn decide(
    exchange: &Exchange,
    order: &Order,
    verb: Verb,
    decision: Decision,
) -> ExchangeResult<Order> {
    match verb {
        Verb::Accept => accept(exchange, order, decision).await,
        Verb::Cancel => cancel(exchange, order, decision).await,
        Verb::Approve => approve(exchange, order, decision).await,
        Verb::Reject => {
            let (from, to) = (OrderState::AwaitingApproval, OrderState::Rejected);
            refuse(exchange, order, from, to, decision).await
        }
        Verb::Confirm => confirm(exchange, order, decision).await,
        Verb::Decline => {
            let (from, to) = (OrderState::AwaitingProvider, OrderState::Declined);
            refuse(exchange, order, from, to, decision).await
        }
    }
}

/// The event saying `order` entered its state.
fn order_event(order: &Order, initiator: Initiator) -> NewEvent {
    NewEvent::new(order.state.event_kind(), initiator, order.id)
        .consumer(Some(order.consumer_id))
        .provider(order.visible_provider())
        .properties(json!({
            "state": order.state.as_str(),
            "offeringId": order.quote.offering_id,
            "offeringVersion": order.quote.offering_version,
            "monthlyEstimate": order.quote.monthly_estimate,
            "serviceId": order.service_id,
            "reason": order.reason,
        }))
}

/// Places `new`'s item now and records the order, `Quoted`, with the
/// quote of the offering placement chose.
pub async fn quote(exchange: &Exchange, new: NewOrder) -> ExchangeResult<Order> {
    let item = &new.item;
    let rules = type_rules(exchange, item.service_type_id, "serviceTypeId").await?;
    if let Some(schema) = &rules.properties {
        let validated = schema
            .validate(&item.properties, &ValidationContext::create(new.actor))
            .map_err(|errors| under("properties", errors))?;
        // A quote is kept in the clear; a secret waits for the service.
        let secrets: Vec<FieldError> = validated
            .secrets
            .iter()
            .map(|secret| {
                FieldError::new(
                    format!("properties.{}", secret.path),
                    "a secret is not taken in an order; set it on the service once it is ordered",
                )
            })
            .collect();
        if !secrets.is_empty() {
            return Err(ExchangeError::Invalid(secrets));
        }
    }
    let (_, choice) = placement::choose(
        exchange,
        new.consumer_id,
        item.service_type_id,
        &rules,
        &item.properties,
        &[],
        &item.placement,
        Relations {
            offering: item.offering_id,
            ..Relations::default()
        },
        new.actor,
    )
    .await?;
    let offering = exchange
        .store
        .record::<Stored<Offering>>(choice.offering_id)
        .await?
        .ok_or_else(|| ExchangeError::Conflict("the chosen offering was withdrawn".into()))?;
    let version = exchange
        .store
        .offering_prices(&[offering.value.id])
        .await?
        .get(&offering.value.id)
        .map_or(1, Vec::len);
    let now = clock::now();
    let order = Order {
        id: Uuid::now_v7(),
        consumer_id: new.consumer_id,
        project_id: new.project_id,
        state: OrderState::Quoted,
        quote: Quote {
            offering_id: offering.value.id,
            offering_version: u32::try_from(version).unwrap_or(u32::MAX),
            provider_id: choice.participant_id,
            provider_name: choice.provider_name.clone(),
            region: choice.region.clone(),
            price: offering.value.price.clone(),
            hourly_price: choice.hourly_price,
            monthly_estimate: Quote::monthly(choice.hourly_price),
            currency: "EUR".into(),
            exit_terms: offering.value.exit_terms.clone(),
            requires_acceptance: offering.value.requires_acceptance,
            term_days: QUOTE_TERM_DAYS,
            expires_at: now + exchange.quote_validity,
        },
        item: new.item,
        service_id: None,
        accepted_at: None,
        decided_by: None,
        reason: None,
        created_at: now,
        updated_at: now,
    };
    exchange
        .store
        .insert_order(&order, &order_event(&order, new.initiator))
        .await?;
    Ok(order)
}

/// `order` moved to `to` from the states in `from`, with its event;
/// refused with 409 when another request moved it first.
async fn move_to(
    exchange: &Exchange,
    order: &Order,
    to: OrderState,
    from: &[OrderState],
    decision: &Decision,
) -> ExchangeResult<Order> {
    let mut moved = order.clone();
    moved.state = to;
    moved.updated_at = clock::now();
    if decision.reason.is_some() {
        moved.reason.clone_from(&decision.reason);
    }
    if matches!(to, OrderState::Rejected) {
        moved.decided_by = decision.user_id;
    }
    let event = order_event(&moved, decision.initiator.clone());
    let change = OrderMove {
        order: &moved,
        from,
    };
    if !exchange.store.move_order(&change, &[event]).await? {
        return Err(moved_meanwhile());
    }
    Ok(moved)
}

fn moved_meanwhile() -> ExchangeError {
    ExchangeError::Conflict("the order was moved on by another request meanwhile".into())
}

fn not_in(order: &Order, wanted: &str) -> ExchangeError {
    ExchangeError::Conflict(format!(
        "the order is {}; only {wanted}",
        order.state.as_str()
    ))
}

/// How many orders one sweep looks at; the next sweep takes the rest.
const SWEEP_BATCH: u32 = 100;

/// Records `Expired` every waiting order whose quote lapsed, so no order
/// waits on a price the exchange no longer binds itself to; returns how
/// many it expired. Each is a conditional move from the state it was read
/// in: an order accepted meanwhile is left to its acceptance.
pub async fn expire_lapsed(exchange: &Exchange) -> ExchangeResult<usize> {
    let now = clock::now();
    let decision = Decision {
        actor: Actor::System,
        initiator: Initiator::system(),
        user_id: None,
        reason: None,
    };
    let mut expired = 0;
    for order in exchange
        .store
        .orders_in(&OrderState::AWAITING, SWEEP_BATCH)
        .await?
    {
        if order.quote.open_at(now) {
            // Quoted under a longer validity than the younger ones after it.
            continue;
        }
        match move_to(
            exchange,
            &order,
            OrderState::Expired,
            &[order.state],
            &decision,
        )
        .await
        {
            Ok(_) => expired += 1,
            Err(ExchangeError::Conflict(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(expired)
}

/// Refuses an order whose quote expired, recording it `Expired`.
async fn check_open(exchange: &Exchange, order: &Order, decision: &Decision) -> ExchangeResult<()> {
    if order.quote.open_at(clock::now()) {
        return Ok(());
    }
    let expired = Decision {
        reason: None,
        ..decision.clone()
    };
    move_to(
        exchange,
        order,
        OrderState::Expired,
        &[order.state],
        &expired,
    )
    .await?;
    Err(ExchangeError::Conflict(format!(
        "the quote expired at {}; the order is now Expired",
        order.quote.expires_at.to_rfc3339()
    )))
}

/// The consumer accepts `order`'s quote: the service is ordered at the
/// quoted offering, or, past its project's approval threshold, the order
/// waits for an approver. A quote accepted after it expired is refused
/// and the order is `Expired`.
async fn accept(exchange: &Exchange, order: &Order, decision: Decision) -> ExchangeResult<Order> {
    if order.state != OrderState::Quoted {
        return Err(not_in(order, "a Quoted order is accepted"));
    }
    check_open(exchange, order, &decision).await?;
    let project = order_project(exchange, order).await?;
    let threshold = project.as_ref().and_then(|p| p.approval_threshold);
    if needs_approval(threshold, order.quote.monthly_estimate)
        || past_budget_awaits_approval(exchange, order, project.as_ref()).await?
    {
        return move_to(
            exchange,
            order,
            OrderState::AwaitingApproval,
            &[OrderState::Quoted],
            &decision,
        )
        .await;
    }
    onward(exchange, order, OrderState::Quoted, decision).await
}

/// The project `order` is for, if it still exists.
async fn order_project(exchange: &Exchange, order: &Order) -> ExchangeResult<Option<Project>> {
    match order.project_id {
        Some(project_id) => Ok(exchange.store.record::<Project>(project_id).await?),
        None => Ok(None),
    }
}

/// Whether `order` would pass its project's monthly budget where the
/// project has such orders wait for an approver. Elsewhere the budget is
/// checked only as the service is written, refusing it.
async fn past_budget_awaits_approval(
    exchange: &Exchange,
    order: &Order,
    project: Option<&Project>,
) -> ExchangeResult<bool> {
    let Some(project) = project.filter(|p| p.over_budget == OverBudget::AwaitApproval) else {
        return Ok(false);
    };
    let Some(budget) = &project.budget else {
        return Ok(false);
    };
    let standing =
        budgets::standing(exchange, QuotaScope::Project, project.id, order.consumer_id).await?;
    let requested = cents(order.quote.monthly_estimate).unwrap_or(i64::MAX);
    Ok(budget.passed_by(standing.forecast_cents, requested))
}

/// An approver of the consumer approves an order awaiting approval: the
/// service is ordered as on acceptance, if the quote still binds.
async fn approve(exchange: &Exchange, order: &Order, decision: Decision) -> ExchangeResult<Order> {
    if order.state != OrderState::AwaitingApproval {
        return Err(not_in(order, "an order AwaitingApproval is approved"));
    }
    check_open(exchange, order, &decision).await?;
    onward(exchange, order, OrderState::AwaitingApproval, decision).await
}

/// An order the consumer has accepted (and an approver approved where
/// needed) from `from`: it waits for the provider when its offering asks
/// that, and is ordered otherwise.
async fn onward(
    exchange: &Exchange,
    order: &Order,
    from: OrderState,
    decision: Decision,
) -> ExchangeResult<Order> {
    if !order.quote.requires_acceptance {
        return provision(exchange, order, &[from], decision).await;
    }
    let mut waiting = order.clone();
    waiting.accepted_at = Some(clock::now());
    if from == OrderState::AwaitingApproval {
        waiting.decided_by = decision.user_id;
    }
    move_to(
        exchange,
        &waiting,
        OrderState::AwaitingProvider,
        &[from],
        &decision,
    )
    .await
}

/// The provider accepts an order waiting for it: the service is ordered
/// as on acceptance, if the quote still binds.
async fn confirm(exchange: &Exchange, order: &Order, decision: Decision) -> ExchangeResult<Order> {
    if order.state != OrderState::AwaitingProvider {
        return Err(not_in(
            order,
            "an order AwaitingProvider is accepted by its provider",
        ));
    }
    check_open(exchange, order, &decision).await?;
    provision(exchange, order, &[OrderState::AwaitingProvider], decision).await
}

/// An order waiting in `from` refused with the reason `decision` gives,
/// moving to `to`: an approver rejecting, the provider declining.
async fn refuse(
    exchange: &Exchange,
    order: &Order,
    from: OrderState,
    to: OrderState,
    decision: Decision,
) -> ExchangeResult<Order> {
    let reason = check_reason("reason", decision.reason.as_deref())?;
    if order.state != from {
        return Err(ExchangeError::Conflict(format!(
            "the order is {}; only an order {} is {}",
            order.state.as_str(),
            from.as_str(),
            to.as_str().to_lowercase()
        )));
    }
    let decision = Decision {
        reason: Some(reason),
        ..decision
    };
    move_to(exchange, order, to, &[from], &decision).await
}

/// The consumer withdraws an order not yet accepted (or not yet approved).
async fn cancel(exchange: &Exchange, order: &Order, decision: Decision) -> ExchangeResult<Order> {
    if !order.state.cancellable() {
        return Err(not_in(
            order,
            "a Quoted order or one AwaitingApproval is cancelled",
        ));
    }
    move_to(
        exchange,
        order,
        OrderState::Cancelled,
        &[order.state],
        &decision,
    )
    .await
}

/// Orders the service of `order` at its quoted offering and moves the
/// order from `from` through `Accepted` to `Provisioning`, in the
/// transaction that writes the service within its quotas.
async fn provision(
    exchange: &Exchange,
    order: &Order,
    from: &[OrderState],
    decision: Decision,
) -> ExchangeResult<Order> {
    let item = &order.item;
    let mut prepared = ordering::prepare(
        exchange,
        ordering::Order {
            name: item.name.clone(),
            service_type_id: item.service_type_id,
            group_id: item.group_id,
            consumer_id: order.consumer_id,
            agent_id: None,
            agent_tags: &[],
            properties: &item.properties,
            placement: Some(&item.placement),
            peers: &[],
            import_format: None,
            offering_id: Some(order.quote.offering_id),
            actor: decision.actor,
            initiator: decision.initiator.clone(),
        },
    )
    .await
    .map_err(|error| match error {
        ExchangeError::Invalid(errors) if errors.iter().any(|error| error.path == "placement") => {
            ExchangeError::Conflict(format!(
                "the quoted offering can no longer take the service: {}",
                errors
                    .iter()
                    .map(|error| error.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        }
        other => other,
    })?;
    // An approver's approval lets the order pass its project's budget
    // where the project asks approvers to decide on that.
    if from.contains(&OrderState::AwaitingApproval) {
        prepared.project_budget_waived = order_project(exchange, order)
            .await?
            .is_some_and(|project| project.over_budget == OverBudget::AwaitApproval);
    }
    let now = prepared.service.created_at;
    let mut accepted = order.clone();
    accepted.state = OrderState::Accepted;
    accepted.accepted_at = order.accepted_at.or(Some(now));
    accepted.updated_at = now;
    accepted.service_id = Some(prepared.service.id);
    if from.contains(&OrderState::AwaitingApproval) {
        accepted.decided_by = decision.user_id;
    }
    let mut events = vec![order_event(&accepted, decision.initiator.clone())];
    accepted.state = OrderState::Provisioning;
    events.push(order_event(&accepted, decision.initiator.clone()));
    let accepted_ref = &accepted;
    let events_ref = &events;
    let written = write_prepared(exchange, &mut prepared, |write| {
        let mut all = events_ref.clone();
        all.extend(write.events.iter().cloned());
        async move {
            let change = OrderMove {
                order: accepted_ref,
                from,
            };
            exchange
                .store
                .order_ordered(&change, write.service_order(), &all)
                .await
        }
    })
    .await?;
    if !written {
        return Err(moved_meanwhile());
    }
    exchange.dispatch.wake(prepared.service.agent_id);
    Ok(accepted)
}

/// After a job finished: an order whose service's `create` job it was is
/// `Done` when it completed and `Failed` when it failed.
pub async fn after_job(exchange: &Exchange, job: &Job, to: JobStatus, error: Option<&str>) {
    if job.action != "create" {
        return;
    }
    let outcome = async {
        let Some(order) = exchange.store.service_order(job.service_id).await? else {
            return Ok(());
        };
        settle(exchange, &order, to, error).await
    }
    .await;
    if let Err(error) = outcome {
        tracing::warn!(?error, service_id = %job.service_id, "order not moved on after its job");
    }
}

/// Moves a `Provisioning` order on by how its service's `create` job
/// ended, `to`; nothing while the job runs or once another moved it.
async fn settle(
    exchange: &Exchange,
    order: &Order,
    to: JobStatus,
    error: Option<&str>,
) -> ExchangeResult<()> {
    let target = match to {
        JobStatus::Completed => OrderState::Done,
        JobStatus::Failed => OrderState::Failed,
        _ => return Ok(()),
    };
    if order.state != OrderState::Provisioning {
        return Ok(());
    }
    let decision = Decision {
        actor: Actor::System,
        initiator: Initiator::system(),
        user_id: None,
        reason: (target == OrderState::Failed).then(|| {
            error
                .unwrap_or("the service's create job failed")
                .to_string()
        }),
    };
    match move_to(
        exchange,
        order,
        target,
        &[OrderState::Provisioning],
        &decision,
    )
    .await
    {
        Err(ExchangeError::Conflict(_)) => Ok(()),
        moved => moved.map(|_| ()),
    }
}

/// Moves on the `Provisioning` orders whose `create` job finished without
/// the order following it (the replica that finished it stopped in
/// between), found in one query; returns how many it found.
pub async fn settle_provisioning(exchange: &Exchange) -> ExchangeResult<usize> {
    let provisioned = exchange.store.provisioned_orders(SWEEP_BATCH).await?;
    for (order, status, error) in &provisioned {
        settle(exchange, order, *status, error.as_deref()).await?;
    }
    Ok(provisioned.len())
}
