use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::catalogue::{check_tags, Agent, AgentStatus, AGENT_LIST};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::{ListSpec, Page};
use federa_domain::participant::{check_name, Participant};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::resource::{self, Resource};
use crate::routes::documented::{Conflicting, Invalid, Missing, Paging, Refused};
use crate::routes::record_routes::{get_route, list_route};
use crate::routes::PageRes;
use crate::state::AppState;
use federa_api::agents::{AgentCreateReq, AgentRes, AgentStatusReq, AgentUpdateReq};
use federa_exchange::agent_configuration::{checked_configuration, write_agent, AgentWrite};
use federa_exchange::agent_events::agent_updated_event;
use federa_exchange::secrets;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(me))
        .routes(routes!(report_status))
        .routes(routes!(get, update, delete))
}

fn agent_event(kind: EventKind, caller: &Identity, agent: &Agent, properties: Value) -> NewEvent {
    NewEvent::new(kind, Initiator::of(caller), agent.id)
        .provider(Some(agent.provider_id))
        .agent(Some(agent.id))
        .properties(properties)
}

/// Agents are written by the exchange's `agent_configuration`, which takes
/// the config pool values their configuration needs.
impl Resource for Agent {
    const OBJECT: Object = Object::Agent;
    const LIST: ListSpec = AGENT_LIST;
    type Res = AgentRes;

    fn res(self) -> AgentRes {
        self.into()
    }

    fn owners(&self) -> Owners {
        Agent::owners(self)
    }
}

/// The agent a token acts as.
async fn current(state: &AppState, caller: &Identity) -> ApiResult<Agent> {
    let id = caller
        .agent_id()
        .ok_or_else(|| ApiError::Forbidden("only an agent token has a current agent".into()))?;
    resource::load::<Agent>(state, caller, id, Action::Get).await
}

list_route!(
    /// List agents.
    "/agents", "Agents",
    params(Paging, ("name" = Option<String>, Query), ("status" = Option<AgentStatus>, Query), ("providerId" = Option<Uuid>, Query), ("agentTypeId" = Option<Uuid>, Query)),
    Agent => AgentRes
);

/// Register an agent for a provider. It starts as `New` until it reports.
/// Configuration properties that config pools fill take a free value;
/// none left is a 409.
#[utoipa::path(post, path = "/agents", tag = "Agents", request_body = AgentCreateReq,
    responses((status = 201, body = AgentRes), Invalid, Refused, Conflicting))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<AgentCreateReq>,
) -> ApiResult<(StatusCode, Json<AgentRes>)> {
    caller.authorize(
        Object::Agent,
        Action::Create,
        &Owners::owner(req.provider_id),
    )?;
    let name = check_name("name", &req.name)?;
    let tags = check_tags(&req.tags)?;
    resource::referenced::<Participant>(&state, req.provider_id, "providerId", "participant")
        .await?;
    let agent_type = state
        .store
        .agent_type(req.agent_type_id)
        .await?
        .ok_or_else(|| ApiError::field("agentTypeId", "no agent type has this id"))?;
    federa_exchange::pools::check_agent_pool_set(&state, req.provider_id, req.service_pool_set_id)
        .await?;
    let agent_id = Uuid::now_v7();
    let configured =
        checked_configuration(&state, &agent_type, agent_id, None, req.configuration).await?;
    let now = clock::now();
    let mut agent = Agent {
        id: agent_id,
        name,
        // `New` until it first calls, told apart from an agent that fell
        // silent (Fulcrum starts it `Disconnected`).
        status: AgentStatus::New,
        provider_id: req.provider_id,
        agent_type_id: req.agent_type_id,
        tags,
        configuration: None,
        service_pool_set_id: req.service_pool_set_id,
        last_status_update: None,
        created_at: now,
        updated_at: now,
    };
    let event = |agent: &Agent| {
        agent_event(
            EventKind::AgentCreated,
            &caller,
            agent,
            json!({"name": agent.name}),
        )
    };
    write_agent(&state, &mut agent, configured, &event, AgentWrite::Insert).await?;
    Ok((StatusCode::CREATED, Json(agent.into())))
}

/// The agent the calling token acts as.
#[utoipa::path(get, path = "/agents/me", tag = "Agents",
    responses((status = 200, body = AgentRes), Refused))]
async fn me(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<AgentRes>> {
    Ok(Json(current(&state, &caller).await?.into()))
}

/// An agent reports its health: `Connected`, `Disconnected` or `Error`.
#[utoipa::path(put, path = "/agents/me/status", tag = "Agents", request_body = AgentStatusReq,
    responses((status = 200, body = AgentRes), Invalid, Refused))]
async fn report_status(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<AgentStatusReq>,
) -> ApiResult<Json<AgentRes>> {
    let mut agent = current(&state, &caller).await?;
    caller.authorize(Object::Agent, Action::UpdateStatus, &agent.owners())?;
    let status = req.status.check_reported(agent.status)?;
    let now = clock::now();
    let before = agent.clone();
    agent.status = status;
    agent.last_status_update = Some(now);
    agent.updated_at = now;
    let event = agent_updated_event(Initiator::of(&caller), &before, &agent);
    state
        .store
        .report_agent_status(&before, status, &event, now)
        .await?;
    Ok(Json(agent.into()))
}

get_route!(
    /// Get an agent.
    "/agents/{id}", "Agents", Agent => AgentRes
);

/// Update an agent's name, status, tags or configuration. Values the agent
/// holds from config pools stay; a property new to its configuration takes
/// one, and none left is a 409.
#[utoipa::path(patch, path = "/agents/{id}", tag = "Agents", params(("id" = Uuid, Path)), request_body = AgentUpdateReq,
    responses((status = 200, body = AgentRes), Invalid, Refused, Missing, Conflicting))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<AgentUpdateReq>,
) -> ApiResult<Json<AgentRes>> {
    let mut agent = resource::load::<Agent>(&state, &caller, id, Action::Update).await?;
    let before = agent.clone();
    let previous = agent.configuration.clone();
    if let Some(name) = req.name {
        agent.name = check_name("name", &name)?;
    }
    if let Some(tags) = req.tags {
        agent.tags = check_tags(&tags)?;
    }
    if let Some(status) = req.status {
        agent.status = status;
    }
    let mut configured = None;
    if req.configuration.is_some() {
        let agent_type = state
            .store
            .agent_type(agent.agent_type_id)
            .await?
            .ok_or_else(|| ApiError::internal("an agent's type is missing"))?;
        configured = checked_configuration(
            &state,
            &agent_type,
            agent.id,
            previous.as_ref(),
            req.configuration,
        )
        .await?;
        if configured.is_none() {
            agent.configuration = None;
        }
    }
    if req.service_pool_set_id.is_some() {
        federa_exchange::pools::check_agent_pool_set(
            &state,
            agent.provider_id,
            req.service_pool_set_id,
        )
        .await?;
        agent.service_pool_set_id = req.service_pool_set_id;
    }
    agent.updated_at = clock::now();
    let initiator = Initiator::of(&caller);
    let event = |agent: &Agent| agent_updated_event(initiator.clone(), &before, agent);
    write_agent(&state, &mut agent, configured, &event, AgentWrite::Update).await?;
    secrets::agent_configuration_changed(
        &state,
        agent.id,
        previous.as_ref(),
        agent.configuration.as_ref(),
    )
    .await;
    Ok(Json(agent.into()))
}

/// Delete an agent that runs no services, and its tokens; the config pool
/// values it held become free.
#[utoipa::path(delete, path = "/agents/{id}", tag = "Agents", params(("id" = Uuid, Path)),
    responses((status = 204), Refused, Missing, Conflicting))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let agent = resource::load::<Agent>(&state, &caller, id, Action::Delete).await?;
    let event = agent_event(
        EventKind::AgentDeleted,
        &caller,
        &agent,
        json!({"name": agent.name}),
    );
    state.store.delete_agent(id, &event, clock::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
