use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::catalogue::{ServiceOption, ServiceOptionType, SERVICE_OPTION_LIST};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::{ListSpec, Page};
use federa_domain::participant::{check_name, Participant};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::service_options::{
    ServiceOptionCreateReq, ServiceOptionRes, ServiceOptionUpdateReq,
};

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::resource::{self, ChangeKinds, Edited, Resource};
use crate::routes::documented::{Invalid, Missing, Paging, Refused};
use crate::routes::record_routes::{delete_route, get_route, list_route};
use crate::routes::PageRes;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
}

impl Resource for ServiceOption {
    const OBJECT: Object = Object::ServiceOption;
    const LIST: ListSpec = SERVICE_OPTION_LIST;
    type Res = ServiceOptionRes;

    fn res(self) -> ServiceOptionRes {
        self.into()
    }

    fn owners(&self) -> Owners {
        ServiceOption::owners(self)
    }
}

impl Edited for ServiceOption {
    const CHANGES: ChangeKinds = ChangeKinds {
        created: EventKind::ServiceOptionCreated,
        updated: EventKind::ServiceOptionUpdated,
        deleted: EventKind::ServiceOptionDeleted,
    };

    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent {
        NewEvent::new(kind, Initiator::of(caller), self.id)
            .provider(Some(self.provider_id))
            .properties(
                json!({"name": self.name, "serviceOptionTypeId": self.service_option_type_id}),
            )
    }
}

/// `null` is not an option a property could hold.
fn check_value(value: &Value) -> ApiResult<()> {
    if value.is_null() {
        return Err(ApiError::field("value", "must not be null"));
    }
    Ok(())
}

list_route!(
    /// List service options.
    "/service-options", "Service options",
    params(Paging, ("name" = Option<String>, Query), ("providerId" = Option<Uuid>, Query), ("serviceOptionTypeId" = Option<Uuid>, Query), ("enabled" = Option<bool>, Query)),
    ServiceOption => ServiceOptionRes
);

/// Publish an option for a provider.
#[utoipa::path(post, path = "/service-options", tag = "Service options", request_body = ServiceOptionCreateReq,
    responses((status = 201, body = ServiceOptionRes), Invalid, Refused))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ServiceOptionCreateReq>,
) -> ApiResult<(StatusCode, Json<ServiceOptionRes>)> {
    caller.authorize(
        Object::ServiceOption,
        Action::Create,
        &Owners::owner(req.provider_id),
    )?;
    let name = check_name("name", &req.name)?;
    check_value(&req.value)?;
    resource::referenced::<Participant>(&state, req.provider_id, "providerId", "participant")
        .await?;
    resource::referenced::<ServiceOptionType>(
        &state,
        req.service_option_type_id,
        "serviceOptionTypeId",
        "service option type",
    )
    .await?;
    let now = clock::now();
    let option = ServiceOption {
        id: Uuid::now_v7(),
        provider_id: req.provider_id,
        service_option_type_id: req.service_option_type_id,
        name,
        value: req.value,
        enabled: req.enabled.unwrap_or(true),
        display_order: req.display_order.unwrap_or(0),
        created_at: now,
        updated_at: now,
    };
    resource::create(&state, &caller, option).await
}

get_route!(
    /// Get a service option.
    "/service-options/{id}", "Service options", ServiceOption => ServiceOptionRes
);

/// Update a service option.
#[utoipa::path(patch, path = "/service-options/{id}", tag = "Service options", params(("id" = Uuid, Path)), request_body = ServiceOptionUpdateReq,
    responses((status = 200, body = ServiceOptionRes), Invalid, Refused, Missing))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ServiceOptionUpdateReq>,
) -> ApiResult<Json<ServiceOptionRes>> {
    let mut option: ServiceOption = resource::load(&state, &caller, id, Action::Update).await?;
    if let Some(name) = req.name {
        option.name = check_name("name", &name)?;
    }
    if let Some(value) = req.value {
        check_value(&value)?;
        option.value = value;
    }
    if let Some(enabled) = req.enabled {
        option.enabled = enabled;
    }
    if let Some(order) = req.display_order {
        option.display_order = order;
    }
    option.updated_at = clock::now();
    resource::save(&state, &caller, option).await
}

delete_route!(
    /// Delete a service option.
    "/service-options/{id}", "Service options", ServiceOption,
    responses(Refused, Missing)
);
