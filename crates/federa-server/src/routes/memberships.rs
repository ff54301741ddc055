//! `/memberships`: who belongs to a participant, with which role, and
//! which of its projects a member's service rights are limited to. An
//! admin, the participant's own credential, and its owners and managers
//! manage them; a person gives no role above its own. Everyone of the
//! participant sees them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, MemberRole, Object, Owners};
use federa_domain::commerce::Project;
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::{FieldError, ListSpec, Page};
use federa_domain::participant::Participant;
use federa_domain::people::{check_projects, may_assign, Membership, User, MEMBERSHIP_LIST};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::people::{MembershipCreateReq, MembershipRes, MembershipUpdateReq};

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::resource::{self, ChangeKinds, Edited, Resource};
use crate::routes::documented::{Conflicting, Invalid, Missing, Paging, Refused};
use crate::routes::PageRes;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
}

impl Resource for Membership {
    const OBJECT: Object = Object::Membership;
    const LIST: ListSpec = MEMBERSHIP_LIST;
    type Res = MembershipRes;

    fn res(self) -> MembershipRes {
        self.into()
    }

    fn owners(&self) -> Owners {
        Membership::owners(self)
    }
}

impl Edited for Membership {
    const CHANGES: ChangeKinds = ChangeKinds {
        created: EventKind::MembershipCreated,
        updated: EventKind::MembershipUpdated,
        deleted: EventKind::MembershipDeleted,
    };

    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent {
        NewEvent::new(kind, Initiator::of(caller), self.id)
            .provider(Some(self.participant_id))
            .consumer(Some(self.participant_id))
            .properties(
                json!({"userId": self.user_id, "role": self.role, "projectIds": self.project_ids}),
            )
    }
}

/// A person may give, change or take away no role above its own.
fn check_assignable(caller: &Identity, role: MemberRole) -> ApiResult<()> {
    let granter = caller.person_ref().map(|person| person.role);
    if may_assign(granter, role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "a {} may not give or take away the role {}",
            granter.map_or("caller", MemberRole::as_str),
            role.as_str()
        )))
    }
}

/// The checked projects: each a project of `participant_id`.
async fn checked_projects(
    state: &AppState,
    participant_id: Uuid,
    projects: &[Uuid],
) -> ApiResult<Vec<Uuid>> {
    let projects = check_projects("projectIds", projects)?;
    let mut errors = Vec::new();
    for (index, id) in projects.iter().enumerate() {
        let project = state.store.record::<Project>(*id).await?;
        if project.is_none_or(|p| p.consumer_id != participant_id) {
            errors.push(FieldError::new(
                format!("projectIds[{index}]"),
                "no project of the participant has this id",
            ));
        }
    }
    if errors.is_empty() {
        Ok(projects)
    } else {
        Err(ApiError::Invalid(errors))
    }
}

/// List the memberships the caller may see.
#[utoipa::path(get, path = "/memberships", tag = "Memberships",
    params(Paging,
        ("userId" = Option<Uuid>, Query), ("participantId" = Option<Uuid>, Query), ("role" = Option<MemberRole>, Query)),
    responses((status = 200, body = PageRes<MembershipRes>), Invalid, Refused))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<MembershipRes>>> {
    let Json(mut page) = resource::list::<Membership>(&state, &caller, &pairs).await?;
    name_users(&state, &mut page.items).await?;
    Ok(Json(page))
}

/// Fills in each membership's user name.
async fn name_users(state: &AppState, memberships: &mut [MembershipRes]) -> ApiResult<()> {
    let ids: Vec<Uuid> = memberships.iter().map(|m| m.user_id).collect();
    let names = state.store.user_names(&ids).await?;
    for membership in memberships {
        membership.user_name = names.get(&membership.user_id).cloned();
    }
    Ok(())
}

/// Make a user a member of a participant with a role.
#[utoipa::path(post, path = "/memberships", tag = "Memberships", request_body = MembershipCreateReq,
    responses((status = 201, body = MembershipRes), Invalid, Refused, Conflicting))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<MembershipCreateReq>,
) -> ApiResult<(StatusCode, Json<MembershipRes>)> {
    caller.authorize(
        Object::Membership,
        Action::Create,
        &Owners::owner(req.participant_id),
    )?;
    check_assignable(&caller, req.role)?;
    resource::referenced::<User>(&state, req.user_id, "userId", "user").await?;
    resource::referenced::<Participant>(&state, req.participant_id, "participantId", "participant")
        .await?;
    let project_ids = checked_projects(&state, req.participant_id, &req.project_ids).await?;
    let now = clock::now();
    let membership = Membership {
        id: Uuid::now_v7(),
        user_id: req.user_id,
        participant_id: req.participant_id,
        role: req.role,
        project_ids,
        created_at: now,
        updated_at: now,
    };
    resource::create(&state, &caller, membership).await
}

/// Get a membership.
#[utoipa::path(get, path = "/memberships/{id}", tag = "Memberships", params(("id" = Uuid, Path)),
    responses((status = 200, body = MembershipRes), Refused, Missing))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<MembershipRes>> {
    let Json(mut membership) = resource::get::<Membership>(&state, &caller, id).await?;
    name_users(&state, std::slice::from_mut(&mut membership)).await?;
    Ok(Json(membership))
}

/// Change a member's role or projects.
#[utoipa::path(patch, path = "/memberships/{id}", tag = "Memberships", params(("id" = Uuid, Path)), request_body = MembershipUpdateReq,
    responses((status = 200, body = MembershipRes), Invalid, Refused, Missing))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<MembershipUpdateReq>,
) -> ApiResult<Json<MembershipRes>> {
    let mut membership: Membership = resource::load(&state, &caller, id, Action::Update).await?;
    check_assignable(&caller, membership.role)?;
    if let Some(role) = req.role {
        check_assignable(&caller, role)?;
        membership.role = role;
    }
    if let Some(projects) = &req.project_ids {
        membership.project_ids =
            checked_projects(&state, membership.participant_id, projects).await?;
    }
    membership.updated_at = clock::now();
    resource::save(&state, &caller, membership).await
}

/// Remove a user from a participant; its personal tokens for it stop working.
#[utoipa::path(delete, path = "/memberships/{id}", tag = "Memberships", params(("id" = Uuid, Path)),
    responses((status = 204), Refused, Missing))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let membership: Membership = resource::load(&state, &caller, id, Action::Delete).await?;
    check_assignable(&caller, membership.role)?;
    resource::delete::<Membership>(&state, &caller, id).await
}
