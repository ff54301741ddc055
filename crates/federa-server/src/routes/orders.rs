//! `/orders`: a consumer's orders of one service with a binding quote. The
//! exchange places an order when it is made and quotes the chosen
//! offering; the consumer accepts (the service is ordered at that
//! offering) or cancels it, and where its project's approval threshold is
//! passed an approver of the consumer approves or rejects it. The
//! provider a quote names sees the order once it is accepted.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::commerce::{Order, ORDER_LIST};
use federa_domain::event::Initiator;
use federa_domain::exchange::Offering;
use federa_domain::listing::{FieldError, ListSpec, Page};
use federa_domain::participant::check_name;
use federa_exchange::ordering::actor;
use federa_exchange::orders::{self, Decision, NewOrder, Verb};
use federa_store::exchange::Stored;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::orders::{OrderCreateReq, OrderDecisionReq, OrderRes};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{decode_optional, Body, IdPath, QueryPairs};
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
        reason: req.reason,
    };
    Ok(Json(
        orders::decide(state, &order, verb, decision).await?.into(),
    ))
}

list_route!(
    /// List the orders the caller may see: a consumer's own, and a
    /// provider's once their consumers accepted them.
    "/orders", "Orders",
    params(Paging, ("consumerId" = Option<Uuid>, Query), ("providerId" = Option<Uuid>, Query), ("projectId" = Option<Uuid>, Query), ("serviceId" = Option<Uuid>, Query), ("state" = Option<String>, Query)),
    Order => OrderRes
);

/// Order one service: the exchange places it now and answers the order,
/// `Quoted`, with the quote of the chosen offering until `expiresAt`.
#[utoipa::path(post, path = "/orders", tag = "Orders", request_body = OrderCreateReq,
    responses((status = 201, body = OrderRes), Invalid, Refused, Conflicting))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(mut item): Body<OrderCreateReq>,
) -> ApiResult<(StatusCode, Json<OrderRes>)> {
    caller.may(Object::Order, Action::Create)?;
    let mut problems: Vec<FieldError> = Vec::new();
    let name = check_name("name", &item.name).map_err(|error| problems.push(error));
    let group = state
        .store
        .group_consumer_and_project(item.group_id)
        .await?;
    if group.is_none() {
        problems.push(FieldError::new("groupId", "no service group has this id"));
    }
    if let Some(offering_id) = item.offering_id {
        let offering = state.store.record::<Stored<Offering>>(offering_id).await?;
        if offering.is_none_or(|offering| offering.value.service_type_id != item.service_type_id) {
            problems.push(FieldError::new(
                "offeringId",
                "no offering of the service type has this id",
            ));
        }
    }
    let (Ok(name), Some((consumer_id, project_id)), true) = (name, group, problems.is_empty())
    else {
        return Err(ApiError::Invalid(problems));
    };
    item.name = name;
    // The consumer is the group's owner: a participant orders only into its
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
            item,
            actor: actor(&caller),
            initiator: Initiator::of(&caller),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(order.into())))
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
