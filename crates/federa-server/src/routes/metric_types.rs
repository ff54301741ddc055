//! Metric types: the kinds of measurement agents may report. Everyone reads
//! them; only admins change them, and each change records an event.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::Identity;
use federa_domain::access::{Action, Object, Owners};
use federa_domain::event::NewEvent;
use federa_domain::event_kind::EventKind;
use federa_domain::listing::{ListSpec, Page};
use federa_domain::metrics::{MetricEntityType, MetricType, METRIC_TYPE_LIST};
use federa_domain::participant::check_name;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::catalogue_event::catalogue_event;
use federa_api::metric_types::{MetricTypeCreateReq, MetricTypeRes, MetricTypeUpdateReq};

use crate::auth::Caller;
use crate::clock;
use crate::error::ApiResult;
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

impl Resource for MetricType {
    const OBJECT: Object = Object::MetricType;
    const LIST: ListSpec = METRIC_TYPE_LIST;
    type Res = MetricTypeRes;

    fn res(self) -> MetricTypeRes {
        self.into()
    }
}

impl Edited for MetricType {
    const CHANGES: ChangeKinds = ChangeKinds {
        created: EventKind::MetricTypeCreated,
        updated: EventKind::MetricTypeUpdated,
        deleted: EventKind::MetricTypeDeleted,
    };

    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent {
        catalogue_event(kind, caller, self.id, &self.name)
    }
}

list_route!(
    /// List metric types.
    "/metric-types", "Metrics",
    params(Paging, ("name" = Option<String>, Query), ("entityType" = Option<MetricEntityType>, Query)),
    MetricType => MetricTypeRes
);

/// Create a metric type.
#[utoipa::path(post, path = "/metric-types", tag = "Metrics", request_body = MetricTypeCreateReq,
    responses((status = 201, body = MetricTypeRes), Invalid, Refused, Conflicting))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<MetricTypeCreateReq>,
) -> ApiResult<(StatusCode, Json<MetricTypeRes>)> {
    caller.authorize(Object::MetricType, Action::Create, &Owners::none())?;
    let now = clock::now();
    let metric_type = MetricType {
        id: Uuid::now_v7(),
        name: check_name("name", &req.name)?,
        entity_type: req.entity_type,
        created_at: now,
        updated_at: now,
    };
    resource::create(&state, &caller, metric_type).await
}

get_route!(
    /// Get a metric type.
    "/metric-types/{id}", "Metrics", MetricType => MetricTypeRes
);

/// Rename a metric type. Its entity type is fixed: entries already stored
/// were reported under it.
#[utoipa::path(patch, path = "/metric-types/{id}", tag = "Metrics", params(("id" = Uuid, Path)), request_body = MetricTypeUpdateReq,
    responses((status = 200, body = MetricTypeRes), Invalid, Refused, Missing, Conflicting))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<MetricTypeUpdateReq>,
) -> ApiResult<Json<MetricTypeRes>> {
    let mut metric_type: MetricType = resource::load(&state, &caller, id, Action::Update).await?;
    if let Some(name) = req.name {
        metric_type.name = check_name("name", &name)?;
    }
    metric_type.updated_at = clock::now();
    resource::save(&state, &caller, metric_type).await
}

delete_route!(
    /// Delete a metric type that no entry uses.
    "/metric-types/{id}", "Metrics", MetricType,
    responses(Refused, Missing, Conflicting)
);
