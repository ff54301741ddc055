use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::exchange::placement::PlacementRequest;
use federa_domain::listing::Page;
use federa_domain::participant::check_name;
use federa_domain::property_schema::ValidationContext;
use federa_domain::provisioning::{Service, SERVICE_LIST};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_store::StoreError;

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{uuid_param, Body, IdPath, QueryPairs};
use crate::ordering::{self, actor, checked_properties, new_job, Order, Prepared};
use crate::provisioning::{job_event, type_rules, PropertyOwner, ServiceRes, TypeRules};
use crate::routes::placement::OrderedServiceRes;
use crate::routes::PageRes;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceCreateReq {
    name: String,
    service_type_id: Uuid,
    group_id: Uuid,
    /// The agent to run the service; without it one is chosen by service type and `agentTags`.
    agent_id: Option<Uuid>,
    #[serde(default)]
    agent_tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    properties: Map<String, Value>,
    /// Let the exchange choose the provider's offering, region and agent
    /// under these constraints (and the consumer's attached policies)
    /// instead of naming an agent; the answer explains the choice.
    placement: Option<PlacementRequest>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceUpdateReq {
    name: Option<String>,
    /// Changed properties; queues an `update` job with the merged result.
    #[schema(value_type = Option<Object>)]
    properties: Option<Map<String, Value>>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceActionReq {
    /// Only for an action whose lifecycle declares `requestSchemaType:
    /// properties`; validated by the service type's property schema, as an
    /// update of the service's properties.
    #[schema(value_type = Option<Object>)]
    properties: Option<Map<String, Value>>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(act))
}

async fn load(state: &AppState, caller: &Identity, id: Uuid, action: Action) -> ApiResult<Service> {
    caller.may(Object::Service, action)?;
    let service = state.store.service(id).await?.ok_or(ApiError::NotFound)?;
    caller.authorize(Object::Service, action, &service.owners())?;
    Ok(service)
}

/// Queues `action` on `service` after checking the lifecycle allows it now.
async fn queue_action(
    state: &AppState,
    caller: &Identity,
    service: &Service,
    action: &str,
    params: Option<Value>,
) -> ApiResult<()> {
    let rules = type_rules(state, service.service_type_id, "serviceTypeId").await?;
    rules.lifecycle.can_perform(&service.status, action)?;
    let job = new_job(service, action, params);
    state
        .store
        .queue_job(
            &job,
            &job_event("job.created", Initiator::of(caller), &job, json!({})),
        )
        .await
        .map_err(|error| match error {
            // Fulcrum refuses an action during another job as invalid input.
            StoreError::Conflict(message) => ApiError::field("action", message),
            other => other.into(),
        })?;
    state.dispatch.wake(job.agent_id);
    Ok(())
}

/// List services.
#[utoipa::path(get, path = "/services", tag = "Services",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("sort" = Option<String>, Query),
        ("name" = Option<String>, Query), ("currentStatus" = Option<String>, Query), ("serviceTypeId" = Option<Uuid>, Query),
        ("groupId" = Option<Uuid>, Query), ("agentId" = Option<Uuid>, Query), ("providerId" = Option<Uuid>, Query), ("consumerId" = Option<Uuid>, Query)),
    responses((status = 200, body = PageRes<ServiceRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<ServiceRes>>> {
    let scope = caller.list_scope(Object::Service)?;
    let query = SERVICE_LIST.parse(&pairs)?;
    let page = state.store.services(scope, &query).await?;
    Ok(Json(page.map(ServiceRes::from)))
}

/// Order a service: validates its properties, chooses an agent (or places it through the exchange) and queues the `create` job.
#[utoipa::path(post, path = "/services", tag = "Services", request_body = ServiceCreateReq,
    responses((status = 201, body = OrderedServiceRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ServiceCreateReq>,
) -> ApiResult<(StatusCode, Json<OrderedServiceRes>)> {
    caller.may(Object::Service, Action::Create)?;
    let name = check_name("name", &req.name)?;
    let consumer_id = state
        .store
        .group_consumer(req.group_id)
        .await?
        .ok_or_else(|| ApiError::field("groupId", "no service group has this id"))?;
    // The consumer is the group's owner: a participant orders only into its own groups.
    caller.authorize(
        Object::Service,
        Action::Create,
        &Owners::none().with_consumer(consumer_id),
    )?;
    let mut prepared = ordering::prepare(
        &state,
        Order {
            name,
            service_type_id: req.service_type_id,
            group_id: req.group_id,
            consumer_id,
            agent_id: req.agent_id,
            agent_tags: &req.agent_tags,
            properties: &req.properties,
            placement: req.placement.as_ref(),
            peers: &[],
            actor: actor(&caller),
            initiator: Initiator::of(&caller),
        },
    )
    .await?;
    crate::pools::insert_service(
        &state,
        prepared.rules.properties.as_ref(),
        &prepared.pooled,
        &mut prepared.service,
        &mut prepared.job,
        &prepared.events,
        prepared.placement.as_ref(),
    )
    .await?;
    let Prepared {
        service, placed, ..
    } = prepared;
    state.dispatch.wake(service.agent_id);
    Ok((
        StatusCode::CREATED,
        Json(OrderedServiceRes {
            service: service.into(),
            placement: placed.map(|(decided, _)| decided.response()),
        }),
    ))
}

/// Get a service.
#[utoipa::path(get, path = "/services/{id}", tag = "Services", params(("id" = Uuid, Path)),
    responses((status = 200, body = ServiceRes), (status = 401), (status = 403), (status = 404)))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ServiceRes>> {
    let service = load(&state, &caller, id, Action::Get).await?;
    let agent_status = state
        .store
        .agent(service.agent_id)
        .await?
        .map(|agent| agent.status);
    Ok(Json(ServiceRes {
        agent_status,
        ..service.into()
    }))
}

/// Rename a service, or change its properties through an `update` job.
#[utoipa::path(patch, path = "/services/{id}", tag = "Services", params(("id" = Uuid, Path)), request_body = ServiceUpdateReq,
    responses((status = 200, body = ServiceRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404), (status = 409, body = crate::routes::ErrorRes)))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ServiceUpdateReq>,
) -> ApiResult<Json<ServiceRes>> {
    let mut service = load(&state, &caller, id, Action::Update).await?;
    let name = req
        .name
        .as_deref()
        .map(|n| check_name("name", n))
        .transpose()?;
    if let Some(changes) = &req.properties {
        let rules = type_rules(&state, service.service_type_id, "serviceTypeId").await?;
        let merged = changed_properties(&state, &caller, &service, &rules, changes).await?;
        queue_action(
            &state,
            &caller,
            &service,
            "update",
            Some(Value::Object(merged)),
        )
        .await?;
    }
    if let Some(name) = name {
        let now = clock::now();
        let event = NewEvent::new("service.updated", Initiator::of(&caller), id)
            .provider(Some(service.provider_id))
            .consumer(Some(service.consumer_id))
            .agent(Some(service.agent_id))
            .properties(json!({"name": name}));
        state.store.rename_service(id, &name, &event, now).await?;
        service.name = name;
        service.updated_at = now;
    }
    Ok(Json(service.into()))
}

/// Delete a service: queues its lifecycle's `delete` action.
#[utoipa::path(delete, path = "/services/{id}", tag = "Services", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404), (status = 409, body = crate::routes::ErrorRes)))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let service = load(&state, &caller, id, Action::Delete).await?;
    queue_action(&state, &caller, &service, "delete", None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Perform any action of the service type's lifecycle (`start`, `stop`, …).
#[utoipa::path(post, path = "/services/{id}/{action}", tag = "Services",
    params(("id" = Uuid, Path), ("action" = String, Path)), request_body(content = Option<ServiceActionReq>),
    responses((status = 200, body = ServiceRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404), (status = 409, body = crate::routes::ErrorRes)))]
async fn act(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ServiceRes>> {
    let id = uuid_param("id", &id)?;
    let req: ServiceActionReq = if body.iter().all(u8::is_ascii_whitespace) {
        ServiceActionReq::default()
    } else {
        crate::extract::decode(&body)?
    };
    let service = load(&state, &caller, id, Action::Update).await?;
    if action == "update" {
        return Err(ApiError::field(
            "action",
            "use PATCH /services/{id} to change properties",
        ));
    }
    let params = match req.properties {
        Some(changes) => Some(Value::Object(
            action_properties(&state, &caller, &service, &action, &changes).await?,
        )),
        None => None,
    };
    queue_action(&state, &caller, &service, &action, params).await?;
    Ok(Json(service.into()))
}

/// The properties an action's request carries, checked as an update of the
/// service's properties with new secrets sealed; refused for an action
/// whose lifecycle declares no request schema.
async fn action_properties(
    state: &AppState,
    caller: &Identity,
    service: &Service,
    action: &str,
    changes: &Map<String, Value>,
) -> ApiResult<Map<String, Value>> {
    let rules = type_rules(state, service.service_type_id, "serviceTypeId").await?;
    let Some(declared) = rules.lifecycle.action(action) else {
        // Unknown actions are refused by the lifecycle check, as before.
        rules.lifecycle.can_perform(&service.status, action)?;
        return Err(ApiError::field(
            "action",
            "is not an action of the lifecycle",
        ));
    };
    if !declared.accepts_properties() {
        return Err(ApiError::field(
            "properties",
            format!("the `{action}` action declares no request schema, so it takes no properties"),
        ));
    }
    changed_properties(state, caller, service, &rules, changes).await
}

/// The service's properties with `changes` applied, checked as an update by
/// `caller` and with new secrets sealed.
async fn changed_properties(
    state: &AppState,
    caller: &Identity,
    service: &Service,
    rules: &TypeRules,
    changes: &Map<String, Value>,
) -> ApiResult<Map<String, Value>> {
    let owner = PropertyOwner {
        service_id: service.id,
        agent_id: service.agent_id,
        provider_id: service.provider_id,
        consumer_id: service.consumer_id,
        group_id: service.group_id,
    };
    let context = ValidationContext::update(actor(caller), &service.properties, &service.status);
    // Pool values are taken once, when the service is ordered; a pooled
    // property keeps its value through updates.
    let (merged, _) = checked_properties(state, rules, changes, &context, &owner).await?;
    Ok(merged)
}
