use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::Identity;
use federa_domain::access::{Action, Object, Owners};
use federa_domain::catalogue::{check_service_type_schemas, ServiceType, SERVICE_TYPE_LIST};
use federa_domain::event::NewEvent;
use federa_domain::event_kind::EventKind;
use federa_domain::lifecycle::LifecycleSchema;
use federa_domain::listing::{FieldError, ListSpec, Page};
use federa_domain::participant::check_name;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::catalogue_event::catalogue_event;
use federa_api::service_types::{ServiceTypeCreateReq, ServiceTypeRes, ServiceTypeUpdateReq};

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

impl Resource for ServiceType {
    const OBJECT: Object = Object::ServiceType;
    const LIST: ListSpec = SERVICE_TYPE_LIST;
    type Res = ServiceTypeRes;

    fn res(self) -> ServiceTypeRes {
        self.into()
    }
}

impl Edited for ServiceType {
    const CHANGES: ChangeKinds = ChangeKinds {
        created: EventKind::ServiceTypeCreated,
        updated: EventKind::ServiceTypeUpdated,
        deleted: EventKind::ServiceTypeDeleted,
    };

    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent {
        catalogue_event(kind, caller, self.id, &self.name)
    }
}

list_route!(
    /// List service types.
    "/service-types", "Service types",
    params(Paging, ("name" = Option<String>, Query)),
    ServiceType => ServiceTypeRes
);

/// Create a service type; both schemas are checked first, and a lifecycle
/// is required.
#[utoipa::path(post, path = "/service-types", tag = "Service types", request_body = ServiceTypeCreateReq,
    responses((status = 201, body = ServiceTypeRes), Invalid, Refused, Conflicting))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ServiceTypeCreateReq>,
) -> ApiResult<(StatusCode, Json<ServiceTypeRes>)> {
    caller.authorize(Object::ServiceType, Action::Create, &Owners::none())?;
    let mut errors = Vec::new();
    let name = check_name("name", &req.name)
        .map_err(|e| errors.push(e))
        .ok();
    if let Err(e) =
        check_service_type_schemas(req.property_schema.as_ref(), req.lifecycle_schema.as_ref())
    {
        errors.extend(e);
    }
    // Every order starts with the lifecycle's create action.
    if req.lifecycle_schema.is_none() {
        errors.push(FieldError::new(
            "lifecycleSchema",
            "is required: a service of a type without a lifecycle cannot be ordered",
        ));
    }
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let now = clock::now();
    let service_type = ServiceType {
        id: Uuid::now_v7(),
        name,
        property_schema: req.property_schema,
        lifecycle_schema: req.lifecycle_schema,
        created_at: now,
        updated_at: now,
    };
    resource::create(&state, &caller, service_type).await
}

get_route!(
    /// Get a service type.
    "/service-types/{id}", "Service types", ServiceType => ServiceTypeRes
);

/// Update a service type's name or schemas.
#[utoipa::path(patch, path = "/service-types/{id}", tag = "Service types", params(("id" = Uuid, Path)), request_body = ServiceTypeUpdateReq,
    responses((status = 200, body = ServiceTypeRes), Invalid, Refused, Missing, Conflicting))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ServiceTypeUpdateReq>,
) -> ApiResult<Json<ServiceTypeRes>> {
    let mut service_type: ServiceType = resource::load(&state, &caller, id, Action::Update).await?;
    if let Some(name) = req.name {
        service_type.name = check_name("name", &name)?;
    }
    if let Some(schema) = req.property_schema {
        service_type.property_schema = Some(schema);
    }
    let lifecycle_changed = req.lifecycle_schema.is_some();
    if let Some(schema) = req.lifecycle_schema {
        service_type.lifecycle_schema = Some(schema);
    }
    check_service_type_schemas(
        service_type.property_schema.as_ref(),
        service_type.lifecycle_schema.as_ref(),
    )?;
    if lifecycle_changed {
        keeps_states_in_use(&state, &service_type).await?;
    }
    service_type.updated_at = clock::now();
    resource::save(&state, &caller, service_type).await
}

/// A new lifecycle must still know every state a service of the type is in.
async fn keeps_states_in_use(state: &AppState, service_type: &ServiceType) -> ApiResult<()> {
    let Some(lifecycle) = service_type
        .lifecycle_schema
        .as_ref()
        .and_then(|document| LifecycleSchema::parse(document).ok())
    else {
        return Ok(());
    };
    let missing: Vec<String> = state
        .store
        .service_type_states_in_use(service_type.id)
        .await?
        .into_iter()
        .filter(|s| !lifecycle.has_state(s))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(FieldError::new(
            "lifecycleSchema.states",
            format!(
                "must keep the states services of this type are in: {}",
                missing.join(", ")
            ),
        )
        .into())
    }
}

delete_route!(
    /// Delete a service type that no agent type offers and no service uses.
    "/service-types/{id}", "Service types", ServiceType,
    responses(Refused, Missing, Conflicting)
);
