use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::Identity;
use federa_domain::access::{Action, Object, Owners};
use federa_domain::catalogue::{
    check_option_type_key, ServiceOptionType, SERVICE_OPTION_TYPE_LIST,
};
use federa_domain::event::NewEvent;
use federa_domain::event_kind::EventKind;
use federa_domain::listing::{ListSpec, Page};
use federa_domain::participant::check_name;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::catalogue_event::catalogue_event;
use federa_api::service_option_types::{
    ServiceOptionTypeCreateReq, ServiceOptionTypeRes, ServiceOptionTypeUpdateReq,
};

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::resource::{self, ChangeKinds, Edited, Resource};
use crate::routes::documented::{Conflicting, Invalid, Missing, Paging, Refused};
use crate::routes::record_routes::{delete_route, get_route, list_route};
use crate::routes::PageRes;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
}

impl Resource for ServiceOptionType {
    const OBJECT: Object = Object::ServiceOptionType;
    const LIST: ListSpec = SERVICE_OPTION_TYPE_LIST;
    type Res = ServiceOptionTypeRes;

    fn res(self) -> ServiceOptionTypeRes {
        self.into()
    }
}

impl Edited for ServiceOptionType {
    const CHANGES: ChangeKinds = ChangeKinds {
        created: EventKind::ServiceOptionTypeCreated,
        updated: EventKind::ServiceOptionTypeUpdated,
        deleted: EventKind::ServiceOptionTypeDeleted,
    };

    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent {
        catalogue_event(kind, caller, self.id, &self.name)
    }
}

list_route!(
    /// List service option types.
    "/service-option-types", "Service options",
    params(Paging, ("name" = Option<String>, Query), ("type" = Option<String>, Query)),
    ServiceOptionType => ServiceOptionTypeRes
);

/// Create a service option type.
#[utoipa::path(post, path = "/service-option-types", tag = "Service options", request_body = ServiceOptionTypeCreateReq,
    responses((status = 201, body = ServiceOptionTypeRes), Invalid, Refused, Conflicting))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ServiceOptionTypeCreateReq>,
) -> ApiResult<(StatusCode, Json<ServiceOptionTypeRes>)> {
    caller.authorize(Object::ServiceOptionType, Action::Create, &Owners::none())?;
    let mut errors = Vec::new();
    let name = check_name("name", &req.name)
        .map_err(|e| errors.push(e))
        .ok();
    let type_key = check_option_type_key(&req.type_key)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(name), Some(type_key)) = (name, type_key) else {
        return Err(ApiError::Invalid(errors));
    };
    let now = clock::now();
    let option_type = ServiceOptionType {
        id: Uuid::now_v7(),
        name,
        type_key,
        description: req.description,
        created_at: now,
        updated_at: now,
    };
    resource::create(&state, &caller, option_type).await
}

get_route!(
    /// Get a service option type.
    "/service-option-types/{id}", "Service options", ServiceOptionType => ServiceOptionTypeRes
);

/// Update a service option type's name or description; its `type` is fixed.
#[utoipa::path(patch, path = "/service-option-types/{id}", tag = "Service options", params(("id" = Uuid, Path)), request_body = ServiceOptionTypeUpdateReq,
    responses((status = 200, body = ServiceOptionTypeRes), Invalid, Refused, Missing))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ServiceOptionTypeUpdateReq>,
) -> ApiResult<Json<ServiceOptionTypeRes>> {
    let mut option_type: ServiceOptionType =
        resource::load(&state, &caller, id, Action::Update).await?;
    if let Some(name) = req.name {
        option_type.name = check_name("name", &name)?;
    }
    if let Some(description) = req.description {
        option_type.description = Some(description).filter(|d| !d.is_empty());
    }
    option_type.updated_at = clock::now();
    resource::save(&state, &caller, option_type).await
}

delete_route!(
    /// Delete a service option type no provider publishes options for.
    "/service-option-types/{id}", "Service options", ServiceOptionType,
    responses(Refused, Missing, Conflicting)
);
