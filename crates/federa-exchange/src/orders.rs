//! Orders with binding quotes: placing each item of an order now and
//! quoting the chosen offering, then moving the order on as its consumer
//! accepts or cancels it, an approver decides on it, each provider accepts
//! or declines it where its offering asks that, and its services' `create`
//! jobs finish. Accepting orders every line's service through `ordering`,
//! at the quoted offering only, with the order's move and the services'
//! quota checks in one transaction: an order is accepted once however
//! many requests race on it, and all its services are ordered or none.

use federa_domain::commerce::budget::cents;
use federa_domain::commerce::order::{check_reason, QUOTE_TERM_DAYS};
use std::collections::HashMap;

use federa_domain::commerce::{
    needs_approval, Order, OrderComposition, OrderItem, OrderLine, OrderState, OverBudget, Project,
    QuotaScope, Quote,
};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::exchange::composition::{CompositionSpec, PlacedPeer};
use federa_domain::exchange::composition_progress::CompositionStatus;
use federa_domain::exchange::placement::PeerPlacement;
use federa_domain::exchange::placement::Relations;
use federa_domain::exchange::Offering;
use federa_domain::listing::FieldError;
use federa_domain::property_schema::{Actor, ValidationContext};
use federa_domain::provisioning::{Job, JobStatus};
use federa_store::exchange::Stored;
use federa_store::provisioning::ServiceOrder;
use federa_store::{OrderMove, StoreError};
use serde_json::json;
use uuid::Uuid;

use crate::budgets;
use crate::clock;
use crate::error::{under, ExchangeError, ExchangeResult};
use crate::ordering::{self, Prepared};
use crate::placement;
use crate::type_rules::type_rules;
use crate::Exchange;

/// A consumer's new order; the caller checked the names and that the
/// caller may order into the items' groups, all of the consumer's
/// `project_id`.
pub struct NewOrder {
    pub consumer_id: Uuid,
    pub project_id: Option<Uuid>,
    pub asked: Asked,
    pub actor: Actor,
    pub initiator: Initiator,
}

/// What an order asks for.
pub enum Asked {
    /// Services, at least one; `listed` when they came as a list, so an
    /// error names `items[n]` too.
    Items { items: Vec<OrderItem>, listed: bool },
    /// A composition, its members ordered into `group_id`.
    Composition {
        group_id: Uuid,
        spec: CompositionSpec,
    },
}

/// Who moves an order, and why when asked.
#[derive(Clone)]
pub struct Decision {
    pub actor: Actor,
    pub initiator: Initiator,
    /// The person deciding, when a person is.
    pub user_id: Option<Uuid>,
    /// The participant deciding, when one is: a provider accepts or
    /// declines its own lines.
    pub participant_id: Option<Uuid>,
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
            declines_own_line(order, &decision)?;
            let (from, to) = (OrderState::AwaitingProvider, OrderState::Declined);
            refuse(exchange, order, from, to, decision).await
        }
    }
}

/// The event saying `order` entered its state, seen by its consumer and,
/// where one provider has all its lines, by that provider.
fn order_event(order: &Order, initiator: Initiator) -> NewEvent {
    let first = order.lines.first();
    let lines: Vec<_> = order
        .lines
        .iter()
        .map(|line| {
            json!({
                "offeringId": line.quote.offering_id,
                "offeringVersion": line.quote.offering_version,
                "providerId": line.quote.provider_id,
                "monthlyEstimate": line.quote.monthly_estimate,
                "serviceId": line.service_id,
            })
        })
        .collect();
    let provider = match order.visible_providers().as_slice() {
        [provider] => Some(*provider),
        _ => None,
    };
    NewEvent::new(order.state.event_kind(), initiator, order.id)
        .consumer(Some(order.consumer_id))
        .provider(provider)
        .properties(json!({
            "state": order.state.as_str(),
            "offeringId": first.map(|line| line.quote.offering_id),
            "offeringVersion": first.map(|line| line.quote.offering_version),
            "monthlyEstimate": order.monthly_estimate(),
            "serviceId": first.and_then(|line| line.service_id),
            "lines": lines,
            "reason": order.reason,
        }))
}

/// Places each of `new`'s items (or its composition's components) now
/// and records the order, `Quoted`, each line with the quote of the
/// offering placement chose for it.
pub async fn quote(exchange: &Exchange, new: NewOrder) -> ExchangeResult<Order> {
    let (mut lines, composition) = match new.asked {
        Asked::Items { items, listed } => (
            quote_items(exchange, new.consumer_id, items, listed, new.actor).await?,
            None,
        ),
        Asked::Composition { group_id, spec } => {
            let lines = quote_composition(exchange, new.consumer_id, group_id, &spec, new.actor)
                .await
                .map_err(|error| match error {
                    ExchangeError::Invalid(errors) => ExchangeError::Invalid(
                        errors
                            .into_iter()
                            .map(|error| error.under("composition"))
                            .collect(),
                    ),
                    other => other,
                })?;
            let composition = OrderComposition {
                spec,
                composition_id: None,
            };
            (lines, Some(composition))
        }
    };
    let now = clock::now();
    // The lines are quoted together and bind until the same time.
    for line in &mut lines {
        line.quote.expires_at = now + exchange.quote_validity;
    }
    let order = Order {
        id: Uuid::now_v7(),
        consumer_id: new.consumer_id,
        project_id: new.project_id,
        state: OrderState::Quoted,
        lines,
        composition,
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

/// A line for each of `items`, each checked and placed on its own; every
/// failing field is named, under `items[n]` when they came `listed`.
async fn quote_items(
    exchange: &Exchange,
    consumer_id: Uuid,
    items: Vec<OrderItem>,
    listed: bool,
    actor: Actor,
) -> ExchangeResult<Vec<OrderLine>> {
    let mut lines = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let quoted = match check_item(exchange, &item, actor).await {
            Ok(()) => quote_line(exchange, consumer_id, item, actor, &[]).await,
            Err(error) => Err(error),
        };
        match quoted {
            Ok(line) => lines.push(line),
            Err(ExchangeError::Invalid(errors)) if listed => problems.extend(
                errors
                    .into_iter()
                    .map(|error| error.under(&format!("items[{index}]"))),
            ),
            Err(ExchangeError::Conflict(message)) if listed => {
                return Err(ExchangeError::Conflict(format!(
                    "items[{index}]: {message}"
                )))
            }
            Err(error) => return Err(error),
        }
    }
    if !problems.is_empty() {
        return Err(ExchangeError::Invalid(problems));
    }
    Ok(lines)
}

/// A line for each component of `spec`, in the spec's order, each placed
/// in dependency order under its relations to the components placed
/// before it, as the composition will order them.
async fn quote_composition(
    exchange: &Exchange,
    consumer_id: Uuid,
    group_id: Uuid,
    spec: &CompositionSpec,
    actor: Actor,
) -> ExchangeResult<Vec<OrderLine>> {
    spec.validate()?;
    crate::compositions::check(exchange, spec).await?;
    let mut secrets = Vec::new();
    for (index, component) in spec.components.iter().enumerate() {
        let path = format!("components[{index}].serviceTypeId");
        let rules = type_rules(exchange, component.service_type_id, &path).await?;
        if let Some(schema) = &rules.properties {
            secrets.extend(
                schema
                    .stored_secrets(&component.properties)
                    .iter()
                    .map(|secret| {
                        FieldError::new(
                            format!("components[{index}].properties.{}", secret.path),
                            SECRET_REFUSED,
                        )
                    }),
            );
        }
    }
    if !secrets.is_empty() {
        return Err(ExchangeError::Invalid(secrets));
    }
    let mut placed: HashMap<String, PlacedPeer> = HashMap::new();
    let mut lines: Vec<Option<OrderLine>> = vec![None; spec.components.len()];
    for index in spec.provisioning_order()? {
        let component = &spec.components[index];
        let peers = spec.peer_placements(&component.key, &placed);
        let item = OrderItem {
            name: component.name.clone(),
            service_type_id: component.service_type_id,
            group_id,
            properties: component.properties.clone(),
            placement: component.placement.clone(),
            offering_id: component.offering_id,
        };
        let line = quote_line(exchange, consumer_id, item, actor, &peers)
            .await
            .map_err(|error| match error {
                ExchangeError::Invalid(errors) => ExchangeError::Invalid(
                    errors
                        .into_iter()
                        .map(|error| error.under(&format!("components[{index}]")))
                        .collect(),
                ),
                ExchangeError::Conflict(message) => {
                    ExchangeError::Conflict(format!("components[{index}]: {message}"))
                }
                other => other,
            })?;
        let country =
            ordering::region_country(exchange, line.quote.provider_id, &line.quote.region)
                .await?
                .unwrap_or_default();
        placed.insert(
            component.key.clone(),
            PlacedPeer {
                participant_id: line.quote.provider_id,
                country,
            },
        );
        lines[index] = Some(line);
    }
    Ok(lines.into_iter().flatten().collect())
}

/// Why a secret property is refused in an order.
const SECRET_REFUSED: &str =
    "a secret is not taken in an order; set it on the service once it is ordered";

/// Checks `item`'s properties against its type's schema: a quote is kept
/// in the clear, so a secret waits for the service.
async fn check_item(exchange: &Exchange, item: &OrderItem, actor: Actor) -> ExchangeResult<()> {
    let rules = type_rules(exchange, item.service_type_id, "serviceTypeId").await?;
    if let Some(schema) = &rules.properties {
        let validated = schema
            .validate(&item.properties, &ValidationContext::create(actor))
            .map_err(|errors| under("properties", errors))?;
        let secrets: Vec<FieldError> = validated
            .secrets
            .iter()
            .map(|secret| FieldError::new(format!("properties.{}", secret.path), SECRET_REFUSED))
            .collect();
        if !secrets.is_empty() {
            return Err(ExchangeError::Invalid(secrets));
        }
    }
    Ok(())
}

/// Places `item` now, keeping its relations to `peers`, and quotes the
/// offering placement chose.
async fn quote_line(
    exchange: &Exchange,
    consumer_id: Uuid,
    item: OrderItem,
    actor: Actor,
    peers: &[PeerPlacement],
) -> ExchangeResult<OrderLine> {
    let rules = type_rules(exchange, item.service_type_id, "serviceTypeId").await?;
    let (_, choice) = placement::choose(
        exchange,
        consumer_id,
        item.service_type_id,
        &rules,
        &item.properties,
        &[],
        &item.placement,
        Relations {
            peers,
            offering: item.offering_id,
            ..Relations::default()
        },
        actor,
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
    Ok(OrderLine {
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
            // Set with the order's other lines.
            expires_at: clock::now(),
        },
        item,
        service_id: None,
        confirmed_at: None,
    })
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
    if decision.reason.is_some() {
        moved.reason.clone_from(&decision.reason);
    }
    if matches!(to, OrderState::Rejected) {
        moved.decided_by = decision.user_id;
    }
    write_move(exchange, order, moved, from, decision).await
}

/// Writes `moved`, a change of `read` (as it was read) leaving one of
/// `from`, with the event of the state it is in; 409 when another request
/// changed the order first.
async fn write_move(
    exchange: &Exchange,
    read: &Order,
    mut moved: Order,
    from: &[OrderState],
    decision: &Decision,
) -> ExchangeResult<Order> {
    moved.updated_at = OrderMove::stamp(read.updated_at, clock::now());
    let event = order_event(&moved, decision.initiator.clone());
    let change = OrderMove {
        order: &moved,
        from,
        read_at: read.updated_at,
    };
    if !exchange.store.move_order(&change, &[event]).await? {
        return Err(moved_meanwhile());
    }
    Ok(moved)
}

/// What a request that lost a race on an order is told.
const MOVED_MEANWHILE: &str = "the order was moved on by another request meanwhile";

fn moved_meanwhile() -> ExchangeError {
    ExchangeError::Conflict(MOVED_MEANWHILE.into())
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
    let decision = Decision::system(None);
    let mut expired = 0;
    for order in exchange
        .store
        .orders_in(&OrderState::AWAITING, SWEEP_BATCH)
        .await?
    {
        if order.open_at(now) {
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
    if order.open_at(clock::now()) {
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
        order.expires_at().to_rfc3339()
    )))
}

/// The consumer accepts `order`'s quotes: every line's service is ordered
/// at its quoted offering, or, past its project's approval threshold (by
/// the order's total), the order waits for an approver. A quote accepted after it expired is refused
/// and the order is `Expired`.
async fn accept(exchange: &Exchange, order: &Order, decision: Decision) -> ExchangeResult<Order> {
    if order.state != OrderState::Quoted {
        return Err(not_in(order, "a Quoted order is accepted"));
    }
    check_open(exchange, order, &decision).await?;
    let project = order_project(exchange, order).await?;
    let threshold = project.as_ref().and_then(|p| p.approval_threshold);
    if needs_approval(threshold, order.monthly_estimate())
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
    let requested = cents(order.monthly_estimate()).unwrap_or(i64::MAX);
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
/// needed) from `from`: it waits for its providers when an offering of
/// its lines asks that, and is ordered otherwise.
async fn onward(
    exchange: &Exchange,
    order: &Order,
    from: OrderState,
    decision: Decision,
) -> ExchangeResult<Order> {
    if !order.requires_acceptance() {
        return provision(exchange, order, order.clone(), &[from], decision).await;
    }
    let mut waiting = order.clone();
    waiting.accepted_at = Some(clock::now());
    if from == OrderState::AwaitingApproval {
        waiting.decided_by = decision.user_id;
    }
    waiting.state = OrderState::AwaitingProvider;
    write_move(exchange, order, waiting, &[from], &decision).await
}

/// A provider accepts its lines of an order waiting for it (an admin, all
/// of them): once no line waits, every service is ordered as on
/// acceptance, if the quotes still bind. Two providers accepting at once
/// are written one after the other.
async fn confirm(exchange: &Exchange, order: &Order, decision: Decision) -> ExchangeResult<Order> {
    let mut order = order.clone();
    for _ in 0..CONFIRM_ATTEMPTS {
        match confirm_once(exchange, &order, &decision).await {
            Err(ExchangeError::Conflict(message)) if message == MOVED_MEANWHILE => {
                order = exchange
                    .store
                    .record::<Order>(order.id)
                    .await?
                    .ok_or(ExchangeError::NotFound { what: "order" })?;
            }
            done => return done,
        }
    }
    Err(moved_meanwhile())
}

/// Each lost race means another provider's acceptance was written first.
const CONFIRM_ATTEMPTS: usize = 8;

async fn confirm_once(
    exchange: &Exchange,
    order: &Order,
    decision: &Decision,
) -> ExchangeResult<Order> {
    if order.state != OrderState::AwaitingProvider {
        return Err(not_in(
            order,
            "an order AwaitingProvider is accepted by its provider",
        ));
    }
    check_open(exchange, order, decision).await?;
    let now = clock::now();
    let mut confirmed = order.clone();
    let mut any = false;
    for line in &mut confirmed.lines {
        let theirs = decision
            .participant_id
            .is_none_or(|participant| participant == line.quote.provider_id);
        if theirs && line.awaits_provider() {
            line.confirmed_at = Some(now);
            any = true;
        }
    }
    if !any {
        return Err(ExchangeError::Conflict(
            "no line of the order awaits this provider's acceptance".into(),
        ));
    }
    if confirmed.awaits_providers() {
        let from = [OrderState::AwaitingProvider];
        return write_move(exchange, order, confirmed, &from, decision).await;
    }
    provision(
        exchange,
        order,
        confirmed,
        &[OrderState::AwaitingProvider],
        decision.clone(),
    )
    .await
}

/// Whether `decision`'s participant may decline `order`: a provider with a
/// line waiting for it (an admin, any).
fn declines_own_line(order: &Order, decision: &Decision) -> ExchangeResult<()> {
    let waiting = order.lines.iter().any(|line| {
        line.awaits_provider()
            && decision
                .participant_id
                .is_none_or(|participant| participant == line.quote.provider_id)
    });
    if waiting || order.state != OrderState::AwaitingProvider {
        return Ok(());
    }
    Err(ExchangeError::Conflict(
        "no line of the order awaits this provider's acceptance".into(),
    ))
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

/// Orders the service of every line of `order` (as read; `accepted`, the
/// order with the decision's changes) at its quoted offering and moves the
/// order from `from` through `Accepted` to `Provisioning`, in the
/// transaction that writes the services within their quotas: all of them
/// or none.
async fn provision(
    exchange: &Exchange,
    order: &Order,
    mut accepted: Order,
    from: &[OrderState],
    decision: Decision,
) -> ExchangeResult<Order> {
    if order.composition.is_some() {
        return compose(exchange, order, accepted, from, decision).await;
    }
    let budget_waived = budgets::approved_past_budget(
        exchange,
        order,
        from.contains(&OrderState::AwaitingApproval),
    )
    .await?;
    let mut prepared = Vec::with_capacity(order.lines.len());
    for (index, line) in order.lines.iter().enumerate() {
        let mut line_prepared = prepare_line(exchange, order, line, &decision)
            .await
            .map_err(|error| match error {
                ExchangeError::Conflict(message) if order.lines.len() > 1 => {
                    ExchangeError::Conflict(format!("items[{index}]: {message}"))
                }
                other => other,
            })?;
        line_prepared.project_budget_waived = budget_waived;
        prepared.push(line_prepared);
    }
    let now = prepared
        .first()
        .map_or_else(clock::now, |first| first.service.created_at);
    for (line, prepared) in accepted.lines.iter_mut().zip(&prepared) {
        line.service_id = Some(prepared.service.id);
    }
    let mut events = provisioning(order, &mut accepted, now, from, &decision);
    for line in &prepared {
        events.extend(line.events.iter().cloned());
    }
    let change = OrderMove {
        order: &accepted,
        from,
        read_at: order.updated_at,
    };
    if !write_services(exchange, &prepared, &change, &events).await? {
        return Err(moved_meanwhile());
    }
    for line in &prepared {
        exchange.dispatch.wake(line.service.agent_id);
    }
    Ok(accepted)
}

/// Moves `accepted` (a change of `order` as read) from `from` through
/// `Accepted` to `Provisioning` at `now`, recording the approver where an
/// approval moved it; the events of both states.
fn provisioning(
    order: &Order,
    accepted: &mut Order,
    now: chrono::DateTime<chrono::Utc>,
    from: &[OrderState],
    decision: &Decision,
) -> Vec<NewEvent> {
    accepted.state = OrderState::Accepted;
    accepted.accepted_at = order.accepted_at.or(Some(now));
    accepted.updated_at = OrderMove::stamp(order.updated_at, now);
    if from.contains(&OrderState::AwaitingApproval) {
        accepted.decided_by = decision.user_id;
    }
    let mut events = vec![order_event(accepted, decision.initiator.clone())];
    accepted.state = OrderState::Provisioning;
    events.push(order_event(accepted, decision.initiator.clone()));
    events
}

/// Records the composition of `order` (as read; `accepted`, the order with
/// the decision's changes), each component at its line's quoted offering,
/// and moves the order from `from` through `Accepted` to `Provisioning`
/// in the same transaction; the composition then orders its members as
/// their dependencies allow, each within the quotas as it is ordered.
async fn compose(
    exchange: &Exchange,
    order: &Order,
    mut accepted: Order,
    from: &[OrderState],
    decision: Decision,
) -> ExchangeResult<Order> {
    let (Some(asked), Some(first)) = (&order.composition, order.lines.first()) else {
        return Err(ExchangeError::internal(
            "a composition order without its composition",
        ));
    };
    let mut spec = asked.spec.clone();
    for (component, line) in spec.components.iter_mut().zip(&order.lines) {
        component.offering_id = Some(line.quote.offering_id);
    }
    let now = clock::now();
    let composition = crate::compositions::record(
        Uuid::now_v7(),
        order.consumer_id,
        first.item.group_id,
        spec,
        now,
    );
    if let Some(ordered) = &mut accepted.composition {
        ordered.composition_id = Some(composition.id);
    }
    let mut events = provisioning(order, &mut accepted, now, from, &decision);
    events.push(crate::compositions::created_event(
        &composition,
        decision.initiator.clone(),
    ));
    let change = OrderMove {
        order: &accepted,
        from,
        read_at: order.updated_at,
    };
    if !exchange
        .store
        .order_composed(&change, &composition, &events)
        .await?
    {
        return Err(moved_meanwhile());
    }
    if let Err(error) = crate::composing::advance(exchange, composition.id).await {
        tracing::warn!(?error, id = %composition.id, "composition not advanced; the sweep retries");
    }
    // A first member refused at once fails the composition in this
    // request; later changes follow its members' jobs or the sweep.
    if let Err(error) = settle(exchange, &accepted).await {
        tracing::warn!(?error, order_id = %accepted.id, "order not moved on after its composition; the sweep retries");
    }
    Ok(accepted)
}

/// Checks and places `line`'s service at its quoted offering, nothing
/// written yet; a placement the offering can no longer meet is a 409.
async fn prepare_line(
    exchange: &Exchange,
    order: &Order,
    line: &OrderLine,
    decision: &Decision,
) -> ExchangeResult<Prepared> {
    let item = &line.item;
    ordering::prepare(
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
            offering_id: Some(line.quote.offering_id),
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
    })
}

/// Writes the order's `change` with every prepared service in one
/// transaction, each within its quotas (counting the lines before it)
/// and with its pool values, chosen again when another write took one
/// first; `false` when the order moved meanwhile.
async fn write_services(
    exchange: &Exchange,
    prepared: &[Prepared],
    change: &OrderMove<'_>,
    events: &[NewEvent],
) -> ExchangeResult<bool> {
    let mut quotas = Vec::with_capacity(prepared.len());
    for line in prepared {
        quotas.push(
            crate::quotas::quota_check(
                exchange,
                &line.service,
                &line.rules,
                line.placement.as_ref(),
                line.project_budget_waived,
            )
            .await?,
        );
    }
    for _ in 0..crate::pools::ATTEMPTS {
        let mut held = Vec::new();
        let mut filled = Vec::with_capacity(prepared.len());
        for line in prepared {
            let (service, job, claimed) = crate::pools::fill_service_values(
                exchange,
                line.rules.properties.as_ref(),
                &line.pooled,
                &line.service,
                &line.job,
                &held,
            )
            .await?;
            held.extend(claimed.iter().cloned());
            let claims: Vec<_> = claimed.into_iter().map(|(_, claim)| claim).collect();
            filled.push((service, job, claims));
        }
        let services: Vec<ServiceOrder<'_>> = filled
            .iter()
            .zip(prepared)
            .zip(&quotas)
            .map(|(((service, job, claims), line), quota)| ServiceOrder {
                service,
                job,
                placement: line.placement.as_ref(),
                claims,
                quota: quota.as_ref().map(|(check, _)| check),
            })
            .collect();
        match exchange
            .store
            .order_ordered(change, &services, events)
            .await
        {
            Err(StoreError::Raced(_)) => continue,
            written => {
                let written = written?;
                if written {
                    review_budgets(exchange, &quotas).await;
                }
                return Ok(written);
            }
        }
    }
    Err(ExchangeError::Conflict(
        "the service pools are busy with other writes; retry".into(),
    ))
}

/// Reviews the budgets an order's priced services count against, once:
/// an order's lines share one consumer and one project.
async fn review_budgets(
    exchange: &Exchange,
    quotas: &[Option<(federa_store::QuotaCheck, federa_store::ServiceLimits)>],
) {
    let priced = quotas
        .iter()
        .flatten()
        .find(|(check, _)| check.monthly_cents > 0);
    if let Some((check, limits)) = priced {
        budgets::review(exchange, &check.ended, check.consumer_id, limits).await;
    }
}

/// After a job finished: an order whose line's service's `create` job it
/// was is `Done` once every line's completed, and `Failed` as soon as one
/// failed.
pub async fn after_job(exchange: &Exchange, job: &Job) {
    if job.action != "create" {
        return;
    }
    let outcome = async {
        let Some(order) = exchange.store.service_order(job.service_id).await? else {
            return Ok(());
        };
        settle(exchange, &order).await
    }
    .await;
    if let Err(error) = outcome {
        tracing::warn!(?error, service_id = %job.service_id, "order not moved on after its job");
    }
}

/// Moves a `Provisioning` order on by how its lines' `create` jobs ended;
/// nothing while one runs with none failed, or once another moved it.
async fn settle(exchange: &Exchange, order: &Order) -> ExchangeResult<()> {
    if order.state != OrderState::Provisioning {
        return Ok(());
    }
    if order.composition.is_some() {
        return settle_composed(exchange, order).await;
    }
    let jobs = exchange.store.order_create_jobs(order).await?;
    let failed = jobs.iter().enumerate().find_map(|(index, job)| match job {
        Some((JobStatus::Failed, error)) => Some((index, error.clone())),
        _ => None,
    });
    let (target, reason) = match failed {
        Some((index, error)) => {
            let error = error.unwrap_or_else(|| "the service's create job failed".into());
            let reason = if order.lines.len() > 1 {
                format!("items[{index}]: {error}")
            } else {
                error
            };
            (OrderState::Failed, Some(reason))
        }
        None if jobs
            .iter()
            .all(|job| matches!(job, Some((JobStatus::Completed, _)))) =>
        {
            (OrderState::Done, None)
        }
        None => return Ok(()),
    };
    let decision = Decision::system(reason);
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

/// Moves a `Provisioning` order of a composition on by where its
/// composition stands: `Done` once every member is ready, `Failed` once a
/// member failed, with each line's service as the composition ordered it.
async fn settle_composed(exchange: &Exchange, order: &Order) -> ExchangeResult<()> {
    let Some(composition_id) = order
        .composition
        .as_ref()
        .and_then(|composition| composition.composition_id)
    else {
        return Ok(());
    };
    let Some(composition) = exchange.store.composition(composition_id).await? else {
        return Ok(());
    };
    let over = CompositionStatus::PROVISIONING_OVER
        .into_iter()
        .find(|status| composition.status == status.as_str());
    let target = match over {
        Some(CompositionStatus::Ready) => OrderState::Done,
        Some(_) => OrderState::Failed,
        None => return Ok(()),
    };
    let mut moved = order.clone();
    moved.state = target;
    for (line, member) in moved.lines.iter_mut().zip(&composition.members) {
        line.service_id = member.service_id;
    }
    if target == OrderState::Failed {
        moved.reason = composition
            .members
            .iter()
            .find_map(|member| {
                let error = member.error.as_ref()?;
                Some(format!("components.{}: {error}", member.key))
            })
            .or_else(|| Some("the composition failed".into()));
    }
    let from = [OrderState::Provisioning];
    match write_move(exchange, order, moved, &from, &Decision::system(None)).await {
        Err(ExchangeError::Conflict(_)) => Ok(()),
        moved => moved.map(|_| ()),
    }
}

/// Moves on the `Provisioning` orders whose `create` jobs finished, or
/// whose composition ended, without the order following (the replica
/// that finished it stopped in between, or a member failed before it had
/// a job), found in one query; returns how many it looked at.
pub async fn settle_provisioning(exchange: &Exchange) -> ExchangeResult<usize> {
    let provisioned = exchange.store.provisioned_orders(SWEEP_BATCH).await?;
    for order in &provisioned {
        settle(exchange, order).await?;
    }
    Ok(provisioned.len())
}

impl Decision {
    /// The exchange itself moving an order, with `reason`.
    fn system(reason: Option<String>) -> Decision {
        Decision {
            actor: Actor::System,
            initiator: Initiator::system(),
            user_id: None,
            participant_id: None,
            reason,
        }
    }
}
