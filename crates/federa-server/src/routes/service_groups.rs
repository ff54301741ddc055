use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::catalogue::{ServiceGroup, SERVICE_GROUP_LIST};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::{ListSpec, Page};
use federa_domain::participant::{check_name, Participant};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::service_groups::{ServiceGroupCreateReq, ServiceGroupRes, ServiceGroupUpdateReq};

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::resource::{self, ChangeKinds, Edited, Resource};
use crate::routes::documented::{Conflicting, Invalid, Missing, Paging, Refused};
use crate::routes::projects::consumers_project;
use crate::routes::record_routes::list_route;
use crate::routes::PageRes;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
}

impl Resource for ServiceGroup {
    const OBJECT: Object = Object::ServiceGroup;
    const LIST: ListSpec = SERVICE_GROUP_LIST;
    type Res = ServiceGroupRes;

    fn res(self) -> ServiceGroupRes {
        self.into()
    }

    fn owners(&self) -> Owners {
        ServiceGroup::owners(self)
    }
}

impl Edited for ServiceGroup {
    const CHANGES: ChangeKinds = ChangeKinds {
        created: EventKind::ServiceGroupCreated,
        updated: EventKind::ServiceGroupUpdated,
        deleted: EventKind::ServiceGroupDeleted,
    };

    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent {
        // Groups outside projects keep the properties Fulcrum's events have.
        let mut properties = json!({"name": self.name});
        if let Some(project_id) = self.project_id {
            properties["projectId"] = json!(project_id);
        }
        NewEvent::new(kind, Initiator::of(caller), self.id)
            .consumer(Some(self.consumer_id))
            .properties(properties)
    }
}

/// Loads a group; an agent may read the groups of the services it runs.
async fn load(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<ServiceGroup> {
    caller.may(Object::ServiceGroup, action)?;
    let group: ServiceGroup = state.store.record(id).await?.ok_or(ApiError::NotFound)?;
    let mut owners = group.owners();
    if let Some(agent_id) = caller.agent_id() {
        if state.store.group_has_agent(id, agent_id).await? {
            owners = owners.with_agent(Some(agent_id));
        }
    }
    caller.authorize(Object::ServiceGroup, action, &owners)?;
    Ok(group)
}

list_route!(
    /// List service groups.
    "/service-groups", "Service groups",
    params(Paging, ("name" = Option<String>, Query), ("consumerId" = Option<Uuid>, Query), ("projectId" = Option<Uuid>, Query)),
    ServiceGroup => ServiceGroupRes
);

/// Create a service group for a consumer.
#[utoipa::path(post, path = "/service-groups", tag = "Service groups", request_body = ServiceGroupCreateReq,
    responses((status = 201, body = ServiceGroupRes), Invalid, Refused))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ServiceGroupCreateReq>,
) -> ApiResult<(StatusCode, Json<ServiceGroupRes>)> {
    caller.authorize(
        Object::ServiceGroup,
        Action::Create,
        &Owners::owner(req.consumer_id),
    )?;
    let name = check_name("name", &req.name)?;
    resource::referenced::<Participant>(&state, req.consumer_id, "consumerId", "participant")
        .await?;
    if let Some(project_id) = req.project_id {
        consumers_project(&state, project_id, req.consumer_id).await?;
    }
    let now = clock::now();
    let group = ServiceGroup {
        id: Uuid::now_v7(),
        name,
        consumer_id: req.consumer_id,
        project_id: req.project_id,
        created_at: now,
        updated_at: now,
    };
    resource::create(&state, &caller, group).await
}

/// Get a service group.
#[utoipa::path(get, path = "/service-groups/{id}", tag = "Service groups", params(("id" = Uuid, Path)),
    responses((status = 200, body = ServiceGroupRes), Refused, Missing))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ServiceGroupRes>> {
    Ok(Json(load(&state, &caller, id, Action::Get).await?.into()))
}

/// Rename a service group or move it into a project of its consumer.
#[utoipa::path(patch, path = "/service-groups/{id}", tag = "Service groups", params(("id" = Uuid, Path)), request_body = ServiceGroupUpdateReq,
    responses((status = 200, body = ServiceGroupRes), Invalid, Refused, Missing))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ServiceGroupUpdateReq>,
) -> ApiResult<Json<ServiceGroupRes>> {
    let mut group = load(&state, &caller, id, Action::Update).await?;
    if let Some(name) = req.name {
        group.name = check_name("name", &name)?;
    }
    if let Some(project_id) = req.project_id {
        consumers_project(&state, project_id, group.consumer_id).await?;
        group.project_id = Some(project_id);
    }
    group.updated_at = clock::now();
    resource::save(&state, &caller, group).await
}

/// Delete a service group that has no services.
#[utoipa::path(delete, path = "/service-groups/{id}", tag = "Service groups", params(("id" = Uuid, Path)),
    responses((status = 204), Refused, Missing, Conflicting))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let group = load(&state, &caller, id, Action::Delete).await?;
    let event = group.event(EventKind::ServiceGroupDeleted, &caller);
    state
        .store
        .delete_record::<ServiceGroup>(id, &event, clock::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
