use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Object, Owners};
use federa_domain::catalogue::{check_agent_type, AgentType, AGENT_TYPE_LIST};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::{FieldError, Page};
use federa_domain::participant::check_name;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::catalogue_event::catalogue_event;
use federa_api::agent_types::{AgentTypeCreateReq, AgentTypeRes, AgentTypeUpdateReq};

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::routes::documented::{Conflicting, Invalid, Missing, Paging, Refused};
use crate::routes::PageRes;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
}

/// Every rule of an agent type, including that its service types exist.
async fn check(state: &AppState, agent_type: &AgentType) -> ApiResult<()> {
    let mut errors = check_agent_type(agent_type).err().unwrap_or_default();
    let missing = state
        .store
        .missing_service_types(&agent_type.service_type_ids)
        .await?;
    errors.extend(
        missing.into_iter().map(|id| {
            FieldError::new("serviceTypeIds", format!("no service type has the id {id}"))
        }),
    );
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(errors))
    }
}

/// List agent types.
#[utoipa::path(get, path = "/agent-types", tag = "Agent types",
    params(Paging, ("name" = Option<String>, Query)),
    responses((status = 200, body = PageRes<AgentTypeRes>), Invalid, Refused))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<AgentTypeRes>>> {
    caller.may(Object::AgentType, Action::List)?;
    let query = AGENT_TYPE_LIST.parse(&pairs)?;
    let page = state.store.agent_types(&query).await?;
    Ok(Json(page.map(AgentTypeRes::from)))
}

/// Create an agent type.
#[utoipa::path(post, path = "/agent-types", tag = "Agent types", request_body = AgentTypeCreateReq,
    responses((status = 201, body = AgentTypeRes), Invalid, Refused, Conflicting))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<AgentTypeCreateReq>,
) -> ApiResult<(StatusCode, Json<AgentTypeRes>)> {
    caller.authorize(Object::AgentType, Action::Create, &Owners::none())?;
    let now = clock::now();
    let agent_type = AgentType {
        id: Uuid::now_v7(),
        name: check_name("name", &req.name)?,
        service_type_ids: req.service_type_ids,
        configuration_schema: req.configuration_schema,
        config_template: req.config_template,
        cmd_template: req.cmd_template,
        config_content_type: req.config_content_type,
        created_at: now,
        updated_at: now,
    };
    check(&state, &agent_type).await?;
    let event = catalogue_event(
        EventKind::AgentTypeCreated,
        &caller,
        agent_type.id,
        &agent_type.name,
    );
    state.store.insert_agent_type(&agent_type, &event).await?;
    Ok((StatusCode::CREATED, Json(agent_type.into())))
}

/// Get an agent type.
#[utoipa::path(get, path = "/agent-types/{id}", tag = "Agent types", params(("id" = Uuid, Path)),
    responses((status = 200, body = AgentTypeRes), Refused, Missing))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<AgentTypeRes>> {
    caller.may(Object::AgentType, Action::Get)?;
    let agent_type = state
        .store
        .agent_type(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(agent_type.into()))
}

/// Update an agent type; given fields replace the stored ones.
#[utoipa::path(patch, path = "/agent-types/{id}", tag = "Agent types", params(("id" = Uuid, Path)), request_body = AgentTypeUpdateReq,
    responses((status = 200, body = AgentTypeRes), Invalid, Refused, Missing, Conflicting))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<AgentTypeUpdateReq>,
) -> ApiResult<Json<AgentTypeRes>> {
    caller.authorize(Object::AgentType, Action::Update, &Owners::none())?;
    let mut agent_type = state
        .store
        .agent_type(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(name) = req.name {
        agent_type.name = check_name("name", &name)?;
    }
    if let Some(ids) = req.service_type_ids {
        agent_type.service_type_ids = ids;
    }
    if let Some(schema) = req.configuration_schema {
        agent_type.configuration_schema = schema;
    }
    if let Some(template) = req.config_template {
        agent_type.config_template = Some(template).filter(|t| !t.is_empty());
    }
    if let Some(template) = req.cmd_template {
        agent_type.cmd_template = Some(template).filter(|t| !t.is_empty());
    }
    if let Some(content_type) = req.config_content_type {
        agent_type.config_content_type = Some(content_type);
    }
    check(&state, &agent_type).await?;
    agent_type.updated_at = clock::now();
    let event = catalogue_event(EventKind::AgentTypeUpdated, &caller, id, &agent_type.name);
    state.store.update_agent_type(&agent_type, &event).await?;
    Ok(Json(agent_type.into()))
}

/// Delete an agent type that has no agents.
#[utoipa::path(delete, path = "/agent-types/{id}", tag = "Agent types", params(("id" = Uuid, Path)),
    responses((status = 204), Refused, Missing, Conflicting))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    caller.authorize(Object::AgentType, Action::Delete, &Owners::none())?;
    let agent_type = state
        .store
        .agent_type(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let event = catalogue_event(EventKind::AgentTypeDeleted, &caller, id, &agent_type.name);
    state
        .store
        .delete_agent_type(id, &event, clock::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
