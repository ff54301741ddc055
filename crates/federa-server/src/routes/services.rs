use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners, ProjectReach};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::Page;
use federa_domain::participant::check_name;
use federa_domain::provisioning::{Service, SERVICE_LIST};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{uuid_param, Body, IdPath, QueryPairs};
use crate::routes::documented::{Conflicting, Invalid, Missing, Paging, Refused};
use crate::routes::placement::placement_res;
use crate::routes::PageRes;
use crate::state::AppState;
use federa_api::placement::OrderedServiceRes;
use federa_api::services::ServiceRes;
use federa_api::services::{ServiceActionReq, ServiceCreateReq, ServiceUpdateReq};
use federa_exchange::ordering::{self, actor, Order, Prepared};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(act))
}

async fn load(state: &AppState, caller: &Identity, id: Uuid, action: Action) -> ApiResult<Service> {
    caller.may(Object::Service, action)?;
    let service = state.store.service(id).await?.ok_or(ApiError::NotFound)?;
    // A person limited to projects is judged by the service's project,
    // which only its group knows.
    let project = if limited_to_projects(caller) {
        group_project(state, service.group_id).await?
    } else {
        None
    };
    caller.authorize(
        Object::Service,
        action,
        &service.owners().with_project(project),
    )?;
    Ok(service)
}

/// Whether the caller is a person whose service rights stop at some projects.
fn limited_to_projects(caller: &Identity) -> bool {
    caller
        .person_ref()
        .is_some_and(|person| person.projects != ProjectReach::Whole)
}

/// The project a service group belongs to, if any.
async fn group_project(state: &AppState, group_id: Uuid) -> ApiResult<Option<Uuid>> {
    Ok(state
        .store
        .group_consumer_and_project(group_id)
        .await?
        .and_then(|(_, project)| project))
}

/// List services.
#[utoipa::path(get, path = "/services", tag = "Services",
    params(Paging,
        ("name" = Option<String>, Query), ("currentStatus" = Option<String>, Query), ("serviceTypeId" = Option<Uuid>, Query),
        ("groupId" = Option<Uuid>, Query), ("agentId" = Option<Uuid>, Query), ("providerId" = Option<Uuid>, Query), ("consumerId" = Option<Uuid>, Query), ("projectId" = Option<Uuid>, Query)),
    responses((status = 200, body = PageRes<ServiceRes>), Invalid, Refused))]
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
    responses((status = 201, body = OrderedServiceRes), Invalid, Refused, Conflicting))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ServiceCreateReq>,
) -> ApiResult<(StatusCode, Json<OrderedServiceRes>)> {
    caller.may(Object::Service, Action::Create)?;
    let name = check_name("name", &req.name)?;
    let (consumer_id, project_id) = state
        .store
        .group_consumer_and_project(req.group_id)
        .await?
        .ok_or_else(|| ApiError::field("groupId", "no service group has this id"))?;
    // The consumer is the group's owner: a participant orders only into its
    // own groups, a member only into its projects' groups.
    caller.authorize(
        Object::Service,
        Action::Create,
        &Owners::none()
            .with_consumer(consumer_id)
            .with_project(project_id),
    )?;
    let prepared = ordering::order(
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
            import_format: None,
            offering_id: None,
            actor: actor(&caller),
            initiator: Initiator::of(&caller),
        },
    )
    .await?;
    let Prepared {
        service, placed, ..
    } = prepared;
    Ok((
        StatusCode::CREATED,
        Json(OrderedServiceRes {
            service: service.into(),
            placement: placed.map(|(decided, _)| placement_res(&decided)),
        }),
    ))
}

/// Get a service.
#[utoipa::path(get, path = "/services/{id}", tag = "Services", params(("id" = Uuid, Path)),
    responses((status = 200, body = ServiceRes), Refused, Missing))]
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
    responses((status = 200, body = ServiceRes), Invalid, Refused, Missing, Conflicting))]
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
        ordering::change_properties(
            &state,
            actor(&caller),
            Initiator::of(&caller),
            &service,
            changes,
        )
        .await?;
    }
    if let Some(name) = name {
        let now = clock::now();
        let event = NewEvent::new(EventKind::ServiceUpdated, Initiator::of(&caller), id)
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
    responses((status = 204), Invalid, Refused, Missing, Conflicting))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let service = load(&state, &caller, id, Action::Delete).await?;
    ordering::queue_action(&state, Initiator::of(&caller), &service, "delete", None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Perform any action of the service type's lifecycle (`start`, `stop`, …).
#[utoipa::path(post, path = "/services/{id}/{action}", tag = "Services",
    params(("id" = Uuid, Path), ("action" = String, Path)), request_body(content = Option<ServiceActionReq>),
    responses((status = 200, body = ServiceRes), Invalid, Refused, Missing, Conflicting))]
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
    ordering::act(
        &state,
        actor(&caller),
        Initiator::of(&caller),
        &service,
        &action,
        req.properties.as_ref(),
    )
    .await?;
    Ok(Json(service.into()))
}
