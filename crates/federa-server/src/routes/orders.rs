//! `/orders`: a consumer's orders of one or several services with binding
//! quotes. The exchange places each item when the order is made and
//! quotes the chosen offering; the consumer accepts (every service is
//! ordered at its offering, all or none) or cancels it, and where its
//! project's approval threshold is passed an approver of the consumer
//! approves or rejects it. Each provider a quote names sees the order,
//! its own lines of it, once it is accepted.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::commerce::order::MAX_ORDER_ITEMS;
use federa_domain::commerce::{Order, OrderItem, ORDER_LIST};
use federa_domain::event::Initiator;
use federa_domain::exchange::composition::CompositionSpec;
use federa_domain::exchange::Offering;
use federa_domain::listing::{FieldError, ListSpec, Page};
use federa_domain::participant::check_name;
use federa_exchange::ordering::actor;
use federa_exchange::orders::{self, Asked, Decision, NewOrder, Verb};
use federa_store::exchange::Stored;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::orders::{
    OrderCompositionReq, OrderCreateReq, OrderDecisionReq, OrderItemsReq, OrderRes,
};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{decode, decode_optional, IdPath, QueryPairs};
use crate::resource::{self, Resource};
use crate::routes::documented::{Conflicting, Invalid, Missing, Paging, Refused};
use crate::routes::record_routes::{get_route, list_route};
use crate::routes::PageRes;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get))
        .routes(routes!(accept))
        .routes(routes!(cancel))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(confirm))
        .routes(routes!(decline))
}

impl Resource for Order {
    const OBJECT: Object = Object::Order;
    const LIST: ListSpec = ORDER_LIST;
    type Res = OrderRes;

    fn res(self) -> OrderRes {
        self.into()
    }

    fn owners(&self) -> Owners {
        Order::owners(self)
    }

    fn owners_for(&self, caller: &Identity) -> Owners {
        Order::owners_for(self, caller.participant_id())
    }

    fn res_for(self, caller: &Identity) -> OrderRes {
        seen_by(self, caller).into()
    }
}

/// `order` as `caller` may see it: a provider of it that is not its
/// consumer sees only its own lines.
fn seen_by(order: Order, caller: &Identity) -> Order {
    match caller.participant_id() {
        Some(participant)
            if participant != order.consumer_id
                && order.visible_providers().contains(&participant) =>
        {
            order.seen_by_provider(participant)
        }
        _ => order,
    }
}

/// Loads the order as `verb` needs it, with the body's reason, and
/// lets the exchange move it.
async fn decided(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
    body: &Bytes,
    verb: Verb,
) -> ApiResult<Json<OrderRes>> {
    let action = match verb {
        Verb::Accept | Verb::Cancel => Action::Update,
        Verb::Approve | Verb::Reject => Action::Approve,
        Verb::Confirm | Verb::Decline => Action::Confirm,
    };
    let order: Order = resource::load(state, caller, id, action).await?;
    let req: OrderDecisionReq = decode_optional(body)?;
    let decision = Decision {
        actor: actor(caller),
        initiator: Initiator::of(caller),
        user_id: caller.user_id(),
        participant_id: caller.participant_id(),
        reason: req.reason,
    };
    let moved = orders::decide(state, &order, verb, decision).await?;
    Ok(Json(seen_by(moved, caller).into()))
}

list_route!(
    /// List the orders the caller may see: a consumer's own, and a
    /// provider's once their consumers accepted them.
    "/orders", "Orders",
    params(Paging, ("consumerId" = Option<Uuid>, Query), ("providerId" = Option<Uuid>, Query), ("projectId" = Option<Uuid>, Query), ("serviceId" = Option<Uuid>, Query), ("state" = Option<String>, Query)),
    Order => OrderRes
);

/// Order one service, or several under `items`: the exchange places each
/// now and answers the order, `Quoted`, with the quote of each chosen
/// offering until `expiresAt`.
#[utoipa::path(post, path = "/orders", tag = "Orders", request_body = OrderCreateReq,
    responses((status = 201, body = OrderRes), Invalid, Refused, Conflicting))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<OrderRes>)> {
    caller.may(Object::Order, Action::Create)?;
    let (asked, consumer_id, project_id) = match decode_order(&body)? {
        OrderCreateReq::Items(several) => {
            let (items, consumer_id, project_id) =
                checked_items(&state, several.items, true).await?;
            let listed = true;
            (Asked::Items { items, listed }, consumer_id, project_id)
        }
        OrderCreateReq::Item(one) => {
            let (items, consumer_id, project_id) = checked_items(&state, vec![one], false).await?;
            let listed = false;
            (Asked::Items { items, listed }, consumer_id, project_id)
        }
        OrderCreateReq::Composition(composed) => {
            let req = composed.composition;
            let (consumer_id, project_id) = state
                .store
                .group_consumer_and_project(req.group_id)
                .await?
                .ok_or_else(|| {
                    ApiError::field("composition.groupId", "no service group has this id")
                })?;
            let spec = CompositionSpec {
                name: req.name,
                components: req.components,
                relations: req.relations,
                on_failure: req.on_failure,
            };
            let group_id = req.group_id;
            (
                Asked::Composition { group_id, spec },
                consumer_id,
                project_id,
            )
        }
    };
    // The consumer is the groups' owner: a participant orders only into its
    // own groups, a member only into its projects' groups.
    caller.authorize(
        Object::Order,
        Action::Create,
        &Owners::none()
            .with_consumer(consumer_id)
            .with_project(project_id),
    )?;
    let order = orders::quote(
        &state,
        NewOrder {
            consumer_id,
            project_id,
            asked,
            actor: actor(&caller),
            initiator: Initiator::of(&caller),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(order.into())))
}

/// The body as an order of several items when it has `items`, of a
/// composition when it has `composition`, else of one item, each decoded
/// with every failing field named.
fn decode_order(body: &[u8]) -> ApiResult<OrderCreateReq> {
    let document = serde_json::from_slice::<serde_json::Value>(body).ok();
    let has = |key: &str| {
        document
            .as_ref()
            .is_some_and(|value| value.get(key).is_some())
    };
    Ok(if has("items") {
        OrderCreateReq::Items(decode::<OrderItemsReq>(body)?)
    } else if has("composition") {
        OrderCreateReq::Composition(decode::<OrderCompositionReq>(body)?)
    } else {
        OrderCreateReq::Item(decode::<OrderItem>(body)?)
    })
}

/// `items` with their names checked, and the consumer and project whose
/// groups they are in: one of each for the whole order. Every failing
/// field is named, under `items[n]` when the items came as a list.
async fn checked_items(
    state: &AppState,
    mut items: Vec<OrderItem>,
    listed: bool,
) -> ApiResult<(Vec<OrderItem>, Uuid, Option<Uuid>)> {
    let mut problems: Vec<FieldError> = Vec::new();
    if items.is_empty() || items.len() > MAX_ORDER_ITEMS {
        problems.push(FieldError::new(
            "items",
            format!("must hold between 1 and {MAX_ORDER_ITEMS} items"),
        ));
    }
    let mut holder: Option<(Uuid, Option<Uuid>)> = None;
    for (index, item) in items.iter_mut().enumerate() {
        let at = |field: &str| {
            if listed {
                format!("items[{index}].{field}")
            } else {
                field.to_string()
            }
        };
        match check_name(&at("name"), &item.name) {
            Ok(name) => item.name = name,
            Err(error) => problems.push(error),
        }
        match state
            .store
            .group_consumer_and_project(item.group_id)
            .await?
        {
            None => problems.push(FieldError::new(
                at("groupId"),
                "no service group has this id",
            )),
            Some(group) if holder.is_some_and(|first| first != group) => {
                problems.push(FieldError::new(
                    at("groupId"),
                    "must be a group of the same consumer and project as the order's first item",
                ))
            }
            Some(group) => holder = Some(group),
        }
        if let Some(offering_id) = item.offering_id {
            let offering = state.store.record::<Stored<Offering>>(offering_id).await?;
            if offering
                .is_none_or(|offering| offering.value.service_type_id != item.service_type_id)
            {
                problems.push(FieldError::new(
                    at("offeringId"),
                    "no offering of the service type has this id",
                ));
            }
        }
    }
    match (holder, problems.is_empty()) {
        (Some((consumer_id, project_id)), true) => Ok((items, consumer_id, project_id)),
        _ => Err(ApiError::Invalid(problems)),
    }
}

get_route!(
    /// Get an order with its quote.
    "/orders/{id}", "Orders", Order => OrderRes
);

/// Accept an order's quote: within its expiry the service is ordered at
/// the quoted offering (or, past the project's approval threshold, the
/// order waits for an approver); after it, 409 and the order is `Expired`.
#[utoipa::path(post, path = "/orders/{id}/accept", tag = "Orders", params(("id" = Uuid, Path)),
    request_body(content = Option<OrderDecisionReq>),
    responses((status = 200, body = OrderRes), Invalid, Refused, Missing, Conflicting))]
async fn accept(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    body: Bytes,
) -> ApiResult<Json<OrderRes>> {
    decided(&state, &caller, id, &body, Verb::Accept).await
}

/// Withdraw an order before it is accepted, or while it awaits approval.
#[utoipa::path(post, path = "/orders/{id}/cancel", tag = "Orders", params(("id" = Uuid, Path)),
    request_body(content = Option<OrderDecisionReq>),
    responses((status = 200, body = OrderRes), Invalid, Refused, Missing, Conflicting))]
async fn cancel(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    body: Bytes,
) -> ApiResult<Json<OrderRes>> {
    decided(&state, &caller, id, &body, Verb::Cancel).await
}

/// Approve an order awaiting approval (an approver, manager or owner of
/// the consumer): the service is ordered at the quoted offering.
#[utoipa::path(post, path = "/orders/{id}/approve", tag = "Orders", params(("id" = Uuid, Path)),
    request_body(content = Option<OrderDecisionReq>),
    responses((status = 200, body = OrderRes), Invalid, Refused, Missing, Conflicting))]
async fn approve(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    body: Bytes,
) -> ApiResult<Json<OrderRes>> {
    decided(&state, &caller, id, &body, Verb::Approve).await
}

/// Reject an order awaiting approval, with a `reason`.
#[utoipa::path(post, path = "/orders/{id}/reject", tag = "Orders", params(("id" = Uuid, Path)),
    request_body = OrderDecisionReq,
    responses((status = 200, body = OrderRes), Invalid, Refused, Missing, Conflicting))]
async fn reject(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    body: Bytes,
) -> ApiResult<Json<OrderRes>> {
    decided(&state, &caller, id, &body, Verb::Reject).await
}

/// The provider accepts an order placed on an offering that requires its
/// acceptance: the service is ordered at the quoted offering.
#[utoipa::path(post, path = "/orders/{id}/confirm", tag = "Orders", params(("id" = Uuid, Path)),
    request_body(content = Option<OrderDecisionReq>),
    responses((status = 200, body = OrderRes), Invalid, Refused, Missing, Conflicting))]
async fn confirm(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    body: Bytes,
) -> ApiResult<Json<OrderRes>> {
    decided(&state, &caller, id, &body, Verb::Confirm).await
}

/// The provider declines an order placed on it, with a `reason`.
#[utoipa::path(post, path = "/orders/{id}/decline", tag = "Orders", params(("id" = Uuid, Path)),
    request_body = OrderDecisionReq,
    responses((status = 200, body = OrderRes), Invalid, Refused, Missing, Conflicting))]
async fn decline(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    body: Bytes,
) -> ApiResult<Json<OrderRes>> {
    decided(&state, &caller, id, &body, Verb::Decline).await
}
