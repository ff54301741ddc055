//! Webhook endpoints (Federa's addition): subscribing a URL to the events
//! its owner may see, and reading its delivery log. The signing secret is
//! in the answer to create only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::event::Initiator;
use federa_domain::listing::Page;
use federa_domain::webhooks::{
    WebhookDelivery, WebhookEndpoint, WEBHOOK_DELIVERY_LIST, WEBHOOK_LIST,
};
use federa_exchange::webhooks::{self, EndpointRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::routes::PageRes;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRes {
    id: Uuid,
    /// The participant whose events it is sent; absent for an admin's
    /// endpoint, which is sent every event.
    #[serde(skip_serializing_if = "Option::is_none")]
    participant_id: Option<Uuid>,
    url: String,
    /// Event kinds it is sent; empty means every kind its owner may see.
    event_types: Vec<String>,
    /// `Enabled`, or `Disabled` after its deliveries failed for a day.
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&WebhookEndpoint> for WebhookRes {
    fn from(endpoint: &WebhookEndpoint) -> WebhookRes {
        WebhookRes {
            id: endpoint.id,
            participant_id: endpoint.participant_id,
            url: endpoint.url.clone(),
            event_types: endpoint.event_types.clone(),
            status: endpoint.status.as_str().into(),
            created_at: endpoint.created_at,
            updated_at: endpoint.updated_at,
        }
    }
}

/// The answer to create: the endpoint and, this once, its secret.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookCreatedRes {
    #[serde(flatten)]
    endpoint: WebhookRes,
    /// `whsec_` and base64 of 32 random bytes: the Standard Webhooks
    /// signing secret. Shown only here.
    secret: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookCreateReq {
    /// `https://`; `http://` only to a loopback address.
    url: String,
    /// Event kinds to send; empty or absent for every kind.
    #[serde(default)]
    event_types: Vec<String>,
    /// The participant the endpoint belongs to: a participant's own
    /// (the default for a participant's token); an admin may name any,
    /// or none for an endpoint sent every event.
    participant_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDeliveryRes {
    id: Uuid,
    /// Also the `webhook-id` header of every attempt.
    event_id: Uuid,
    event_sequence: i64,
    event_type: String,
    attempts: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_status_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_attempt_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivered_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<WebhookDelivery> for WebhookDeliveryRes {
    fn from(d: WebhookDelivery) -> WebhookDeliveryRes {
        WebhookDeliveryRes {
            id: d.id,
            event_id: d.event_id,
            event_sequence: d.event_sequence,
            event_type: d.event_type,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}

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
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("sort" = Option<String>, Query),
        ("participantId" = Option<Uuid>, Query), ("status" = Option<String>, Query)),
    responses((status = 200, body = PageRes<WebhookRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
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
    responses((status = 201, body = WebhookCreatedRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<WebhookCreateReq>,
) -> ApiResult<(StatusCode, Json<WebhookCreatedRes>)> {
    let participant_id = req.participant_id.or(caller.participant_id);
    let owners = participant_id.map(Owners::owner).unwrap_or_default();
    caller.authorize(Object::Webhook, Action::Create, &owners)?;
    if let Some(participant_id) = participant_id {
        if state.store.participant(participant_id).await?.is_none() {
            return Err(ApiError::field(
                "participantId",
                "no participant has this id",
            ));
        }
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
    responses((status = 200, body = WebhookRes), (status = 401), (status = 403), (status = 404)))]
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
    responses((status = 204), (status = 401), (status = 403), (status = 404)))]
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
        ("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query),
        ("sort" = Option<String>, Query, description = "eventSequence (default) or createdAt, prefixed with + or -"),
        ("eventType" = Option<String>, Query)),
    responses((status = 200, body = PageRes<WebhookDeliveryRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404)))]
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
