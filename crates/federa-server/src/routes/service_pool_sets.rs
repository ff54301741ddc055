use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::{ListSpec, Page};
use federa_domain::participant::{check_name, Participant};
use federa_domain::pools::{ServicePoolSet, SERVICE_POOL_SET_LIST};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::service_pool_sets::{
    ServicePoolSetCreateReq, ServicePoolSetRes, ServicePoolSetUpdateReq,
};

use crate::auth::Caller;
use crate::clock;
use crate::error::ApiResult;
use crate::extract::{Body, IdPath, QueryPairs};
use crate::resource::{self, ChangeKinds, Edited, Resource};
use crate::routes::documented::{Conflicting, Invalid, Missing, Paging, Refused};
use crate::routes::record_routes::{get_route, list_route};
use crate::routes::PageRes;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
}

impl Resource for ServicePoolSet {
    const OBJECT: Object = Object::ServicePoolSet;
    const LIST: ListSpec = SERVICE_POOL_SET_LIST;
    type Res = ServicePoolSetRes;

    fn res(self) -> ServicePoolSetRes {
        self.into()
    }

    fn owners(&self) -> Owners {
        ServicePoolSet::owners(self)
    }
}

impl Edited for ServicePoolSet {
    const CHANGES: ChangeKinds = ChangeKinds {
        created: EventKind::ServicePoolSetCreated,
        updated: EventKind::ServicePoolSetUpdated,
        deleted: EventKind::ServicePoolSetDeleted,
    };

    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent {
        NewEvent::new(kind, Initiator::of(caller), self.id)
            .provider(Some(self.provider_id))
            .properties(json!({"name": self.name}))
    }
}

list_route!(
    /// List service pool sets.
    "/service-pool-sets", "Service pools",
    params(Paging, ("name" = Option<String>, Query), ("providerId" = Option<Uuid>, Query)),
    ServicePoolSet => ServicePoolSetRes
);

/// Create a pool set for a provider; its agents name it as `servicePoolSetId`.
#[utoipa::path(post, path = "/service-pool-sets", tag = "Service pools", request_body = ServicePoolSetCreateReq,
    responses((status = 201, body = ServicePoolSetRes), Invalid, Refused))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ServicePoolSetCreateReq>,
) -> ApiResult<(StatusCode, Json<ServicePoolSetRes>)> {
    caller.authorize(
        Object::ServicePoolSet,
        Action::Create,
        &Owners::owner(req.provider_id),
    )?;
    let name = check_name("name", &req.name)?;
    resource::referenced::<Participant>(&state, req.provider_id, "providerId", "participant")
        .await?;
    let now = clock::now();
    let set = ServicePoolSet {
        id: Uuid::now_v7(),
        name,
        provider_id: req.provider_id,
        created_at: now,
        updated_at: now,
    };
    resource::create(&state, &caller, set).await
}

get_route!(
    /// Get a service pool set.
    "/service-pool-sets/{id}", "Service pools", ServicePoolSet => ServicePoolSetRes
);

/// Rename a service pool set.
#[utoipa::path(patch, path = "/service-pool-sets/{id}", tag = "Service pools", params(("id" = Uuid, Path)), request_body = ServicePoolSetUpdateReq,
    responses((status = 200, body = ServicePoolSetRes), Invalid, Refused, Missing))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ServicePoolSetUpdateReq>,
) -> ApiResult<Json<ServicePoolSetRes>> {
    let mut set: ServicePoolSet = resource::load(&state, &caller, id, Action::Update).await?;
    if let Some(name) = req.name {
        set.name = check_name("name", &name)?;
    }
    set.updated_at = clock::now();
    resource::save(&state, &caller, set).await
}

/// Delete a service pool set that has no pools and no agent drawing from it.
#[utoipa::path(delete, path = "/service-pool-sets/{id}", tag = "Service pools", params(("id" = Uuid, Path)),
    responses((status = 204), Refused, Missing, Conflicting))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    // The store checks the agents drawing from the set before it deletes.
    let set: ServicePoolSet = resource::load(&state, &caller, id, Action::Delete).await?;
    let event = set.event(EventKind::ServicePoolSetDeleted, &caller);
    state
        .store
        .delete_service_pool_set(id, &event, clock::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
