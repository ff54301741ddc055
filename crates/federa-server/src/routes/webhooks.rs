//! Webhook endpoints (Federa's addition): subscribing a URL to the events
//! its owner may see, and reading its delivery log. The signing secret is
//! in the answer to create only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_api::webhooks::{WebhookCreateReq, WebhookCreatedRes, WebhookDeliveryRes, WebhookRes};
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::event::Initiator;
use federa_domain::listing::Page;
use federa_domain::participant::Participant;
use federa_domain::webhooks::{WebhookEndpoint, WEBHOOK_DELIVERY_LIST, WEBHOOK_LIST};
use federa_exchange::webhooks::{self, EndpointRequest};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::resource;
use crate::routes::documented::{Invalid, Missing, Paging, Refused};
use crate::routes::PageRes;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, delete))
        .routes(routes!(deliveries))
}

async fn load(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<WebhookEndpoint> {
    caller.may(Object::Webhook, action)?;
    let endpoint = state.store.webhook(id).await?.ok_or(ApiError::NotFound)?;
    caller.authorize(Object::Webhook, action, &endpoint.owners())?;
    Ok(endpoint)
}

/// List webhook endpoints.
#[utoipa::path(get, path = "/webhooks", tag = "Webhooks",
    params(Paging,
        ("participantId" = Option<Uuid>, Query), ("status" = Option<String>, Query)),
    responses((status = 200, body = PageRes<WebhookRes>), Invalid, Refused))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<WebhookRes>>> {
    let scope = caller.list_scope(Object::Webhook)?;
    let query = WEBHOOK_LIST.parse(&pairs)?;
    let page = state.store.webhooks(scope, &query).await?;
    Ok(Json(page.map(|endpoint| WebhookRes::from(&endpoint))))
}

/// Subscribe an endpoint. The answer holds its signing secret, shown once.
#[utoipa::path(post, path = "/webhooks", tag = "Webhooks", request_body = WebhookCreateReq,
    responses((status = 201, body = WebhookCreatedRes), Invalid, Refused))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<WebhookCreateReq>,
) -> ApiResult<(StatusCode, Json<WebhookCreatedRes>)> {
    let participant_id = req.participant_id.or(caller.participant_id());
    let owners = participant_id.map(Owners::owner).unwrap_or_default();
    caller.authorize(Object::Webhook, Action::Create, &owners)?;
    if let Some(participant_id) = participant_id {
        resource::referenced::<Participant>(&state, participant_id, "participantId", "participant")
            .await?;
    }
    let subscribed = webhooks::subscribe(
        &state,
        Initiator::of(&caller),
        EndpointRequest {
            participant_id,
            url: req.url,
            event_types: req.event_types,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookCreatedRes {
            endpoint: WebhookRes::from(&subscribed.endpoint),
            secret: subscribed.secret.to_string(),
        }),
    ))
}

/// Get a webhook endpoint (never its secret).
#[utoipa::path(get, path = "/webhooks/{id}", tag = "Webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhookRes), Refused, Missing))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<WebhookRes>> {
    let endpoint = load(&state, &caller, id, Action::Get).await?;
    Ok(Json(WebhookRes::from(&endpoint)))
}

/// Remove a webhook endpoint and its delivery log.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "Webhooks", params(("id" = Uuid, Path)),
    responses((status = 204), Refused, Missing))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let endpoint = load(&state, &caller, id, Action::Delete).await?;
    webhooks::unsubscribe(&state, Initiator::of(&caller), &endpoint).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An endpoint's delivery log, oldest event first by default.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "Webhooks", params(("id" = Uuid, Path),
        ("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("cursor" = Option<String>, Query, description = "a page's nextCursor: the rows after that page"),
        ("sort" = Option<String>, Query, description = "eventSequence (default) or createdAt, prefixed with + or -"),
        ("eventType" = Option<String>, Query)),
    responses((status = 200, body = PageRes<WebhookDeliveryRes>), Invalid, Refused, Missing))]
async fn deliveries(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<WebhookDeliveryRes>>> {
    let endpoint = load(&state, &caller, id, Action::Get).await?;
    let query = WEBHOOK_DELIVERY_LIST.parse(&pairs)?;
    let page = state.store.webhook_deliveries(endpoint.id, &query).await?;
    Ok(Json(page.map(WebhookDeliveryRes::from)))
}
