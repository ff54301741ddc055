//! `/placement-policies`: a consumer's saved placement constraints. An
//! attached policy narrows every placement the consumer asks for, whether
//! previewed or ordered.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::exchange::lists::PLACEMENT_POLICY_LIST;
use federa_domain::exchange::placement::{PlacementPolicy, PlacementRequest};
use federa_domain::listing::{ListSpec, Page};
use federa_domain::participant::{check_name, Participant};
use federa_store::exchange::Stored;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::placement_policies::{
    PlacementPolicyCreateReq, PlacementPolicyRes, PlacementPolicyUpdateReq,
};

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::resource::{self, ChangeKinds, Edited, Resource};
use crate::routes::documented::{Invalid, Missing, Paging, Refused};
use crate::routes::PageRes;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
}

impl Resource for Stored<PlacementPolicy> {
    const OBJECT: Object = Object::PlacementPolicy;
    const LIST: ListSpec = PLACEMENT_POLICY_LIST;
    type Res = PlacementPolicyRes;

    /// A policy as answered, with the times the store keeps.
    fn res(self) -> PlacementPolicyRes {
        let policy = self.value;
        PlacementPolicyRes {
            id: policy.id,
            participant_id: policy.participant_id,
            name: policy.name,
            rules: policy.rules,
            attached: policy.attached,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    fn owners(&self) -> Owners {
        Owners::owner(self.value.participant_id)
    }
}

impl Edited for Stored<PlacementPolicy> {
    const CHANGES: ChangeKinds = ChangeKinds {
        created: EventKind::PlacementPolicyCreated,
        updated: EventKind::PlacementPolicyUpdated,
        deleted: EventKind::PlacementPolicyDeleted,
    };

    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent {
        let policy = &self.value;
        NewEvent::new(kind, Initiator::of(caller), policy.id)
            .consumer(Some(policy.participant_id))
            .properties(
                json!({"name": policy.name, "rules": policy.rules, "attached": policy.attached}),
            )
    }
}

fn check_rules(rules: &PlacementRequest) -> ApiResult<()> {
    rules.validate().map_err(|errors| {
        ApiError::Invalid(
            errors
                .into_iter()
                .map(|error| error.under("rules"))
                .collect(),
        )
    })
}

/// List placement policies.
#[utoipa::path(get, path = "/placement-policies", tag = "Placement policies",
    params(Paging,
        ("name" = Option<String>, Query), ("participantId" = Option<Uuid>, Query), ("attached" = Option<bool>, Query)),
    responses((status = 200, body = PageRes<PlacementPolicyRes>), Invalid, Refused))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<PlacementPolicyRes>>> {
    resource::list::<Stored<PlacementPolicy>>(&state, &caller, &pairs).await
}

/// Save a placement policy for a consumer.
#[utoipa::path(post, path = "/placement-policies", tag = "Placement policies", request_body = PlacementPolicyCreateReq,
    responses((status = 201, body = PlacementPolicyRes), Invalid, Refused))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<PlacementPolicyCreateReq>,
) -> ApiResult<(StatusCode, Json<PlacementPolicyRes>)> {
    caller.authorize(
        Object::PlacementPolicy,
        Action::Create,
        &Owners::owner(req.participant_id),
    )?;
    let name = check_name("name", &req.name)?;
    check_rules(&req.rules)?;
    resource::referenced::<Participant>(&state, req.participant_id, "participantId", "participant")
        .await?;
    let now = clock::now();
    let stored = Stored {
        value: PlacementPolicy {
            id: Uuid::now_v7(),
            participant_id: req.participant_id,
            name,
            rules: req.rules,
            attached: req.attached.unwrap_or(true),
        },
        created_at: now,
        updated_at: now,
    };
    resource::create(&state, &caller, stored).await
}

/// Get a placement policy.
#[utoipa::path(get, path = "/placement-policies/{id}", tag = "Placement policies", params(("id" = Uuid, Path)),
    responses((status = 200, body = PlacementPolicyRes), Refused, Missing))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<PlacementPolicyRes>> {
    resource::get::<Stored<PlacementPolicy>>(&state, &caller, id).await
}

/// Change a placement policy, or attach or detach it.
#[utoipa::path(patch, path = "/placement-policies/{id}", tag = "Placement policies", params(("id" = Uuid, Path)), request_body = PlacementPolicyUpdateReq,
    responses((status = 200, body = PlacementPolicyRes), Invalid, Refused, Missing))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<PlacementPolicyUpdateReq>,
) -> ApiResult<Json<PlacementPolicyRes>> {
    let mut stored: Stored<PlacementPolicy> =
        resource::load(&state, &caller, id, Action::Update).await?;
    if let Some(name) = req.name {
        stored.value.name = check_name("name", &name)?;
    }
    if let Some(rules) = req.rules {
        check_rules(&rules)?;
        stored.value.rules = rules;
    }
    if let Some(attached) = req.attached {
        stored.value.attached = attached;
    }
    stored.updated_at = clock::now();
    resource::save(&state, &caller, stored).await
}

/// Delete a placement policy.
#[utoipa::path(delete, path = "/placement-policies/{id}", tag = "Placement policies", params(("id" = Uuid, Path)),
    responses((status = 204), Refused, Missing))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    resource::delete::<Stored<PlacementPolicy>>(&state, &caller, id).await
}
