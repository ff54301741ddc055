use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::commerce::{check_property_limits, Budget, QuotaScope};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::{ListSpec, Page};
use federa_domain::participant::{check_name, Participant, ParticipantStatus, PARTICIPANT_LIST};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::budgets::BudgetRes;
use federa_api::participants::{ParticipantCreateReq, ParticipantRes, ParticipantUpdateReq};

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::resource::{self, ChangeKinds, Edited, Resource};
use crate::routes::budget_holders::{self, budget_route, BudgetHolder};
use crate::routes::documented::{Conflicting, Invalid, Missing, Refused};
use crate::routes::record_routes::{get_route, list_route};
use crate::routes::PageRes;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(budget))
}

impl Resource for Participant {
    const OBJECT: Object = Object::Participant;
    const LIST: ListSpec = PARTICIPANT_LIST;
    type Res = ParticipantRes;

    fn res(self) -> ParticipantRes {
        self.into()
    }

    fn owners(&self) -> Owners {
        Owners::owner(self.id)
    }
}

impl Edited for Participant {
    const CHANGES: ChangeKinds = ChangeKinds {
        created: EventKind::ParticipantCreated,
        updated: EventKind::ParticipantUpdated,
        deleted: EventKind::ParticipantDeleted,
    };

    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent {
        // Participants without a limit keep the properties Fulcrum's events have.
        let mut properties = serde_json::json!({"name": self.name, "status": self.status});
        if let Some(limit) = self.service_limit {
            properties["serviceLimit"] = limit.into();
        }
        if let Some(budget) = &self.budget {
            properties["monthlyBudget"] = serde_json::json!(budget.monthly());
        }
        participant_event(kind, caller, self.id).properties(properties)
    }
}

impl BudgetHolder for Participant {
    const SCOPE: QuotaScope = QuotaScope::Consumer;

    fn budget_mut(&mut self) -> &mut Option<Budget> {
        &mut self.budget
    }

    fn holder(&self) -> (Uuid, Uuid) {
        (self.id, self.id)
    }
}

/// A participant is both sides of the changes to itself.
fn participant_event(kind: EventKind, caller: &Identity, id: Uuid) -> NewEvent {
    NewEvent::new(kind, Initiator::of(caller), id)
        .provider(Some(id))
        .consumer(Some(id))
}

list_route!(
    /// List participants.
    "/participants", "Participants",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("cursor" = Option<String>, Query, description = "a page's nextCursor: the rows after that page"), ("sort" = Option<String>, Query, description = "name or createdAt, prefixed with + or -"), ("name" = Option<String>, Query), ("status" = Option<ParticipantStatus>, Query)),
    Participant => ParticipantRes
);

/// Create a participant.
#[utoipa::path(post, path = "/participants", tag = "Participants", request_body = ParticipantCreateReq,
    responses((status = 201, body = ParticipantRes), Invalid, Refused))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ParticipantCreateReq>,
) -> ApiResult<(StatusCode, Json<ParticipantRes>)> {
    caller.authorize(Object::Participant, Action::Create, &Owners::none())?;
    let now = clock::now();
    let participant = Participant {
        id: Uuid::now_v7(),
        name: check_name("name", &req.name)?,
        status: req.status,
        service_limit: None,
        budget: None,
        property_limits: Default::default(),
        created_at: now,
        updated_at: now,
    };
    resource::create(&state, &caller, participant).await
}

get_route!(
    /// Get a participant.
    "/participants/{id}", "Participants", Participant => ParticipantRes
);

/// Update a participant's name or (as admin) status and service limit.
#[utoipa::path(patch, path = "/participants/{id}", tag = "Participants", params(("id" = Uuid, Path)), request_body = ParticipantUpdateReq,
    responses((status = 200, body = ParticipantRes), Invalid, Refused, Missing))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ParticipantUpdateReq>,
) -> ApiResult<Json<ParticipantRes>> {
    let mut participant: Participant = resource::load(&state, &caller, id, Action::Update).await?;
    if let Some(name) = req.name {
        participant.name = check_name("name", &name)?;
    }
    if let Some(status) = req.status {
        // Disabling suspends a participant; it may not lift that itself.
        if status != participant.status && !caller.is_admin() {
            return Err(ApiError::Forbidden(
                "only an admin changes a participant's status".into(),
            ));
        }
        participant.status = status;
    }
    if let Some(service_limit) = req.service_limit {
        // A consumer's own limit is the exchange's cap on it.
        if service_limit != participant.service_limit && !caller.is_admin() {
            return Err(ApiError::Forbidden(
                "only an admin changes a participant's serviceLimit".into(),
            ));
        }
        participant.service_limit = service_limit;
    }
    if let Some(limits) = req.property_limits {
        check_property_limits(&limits)?;
        // Like its service limit, a consumer's property limits are the
        // exchange's cap on it.
        if limits != participant.property_limits && !caller.is_admin() {
            return Err(ApiError::Forbidden(
                "only an admin changes a participant's propertyLimits".into(),
            ));
        }
        participant.property_limits = limits;
    }
    participant.updated_at = clock::now();
    // A consumer caps its own spending; unlike its service limit, the
    // budget is its own to set.
    let alerts = req.budget_alerts.as_deref();
    budget_holders::save_with_budget(&state, &caller, participant, req.monthly_budget, alerts).await
}

budget_route!(
    /// How a participant's monthly budget as a consumer stands: the budget,
    /// the forecast of its services and the alert threshold last reached.
    "/participants/{id}/budget", "Participants", Participant
);

/// Delete a participant and its tokens.
#[utoipa::path(delete, path = "/participants/{id}", tag = "Participants", params(("id" = Uuid, Path)),
    responses((status = 204), Refused, Missing, Conflicting))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    caller.authorize(Object::Participant, Action::Delete, &Owners::owner(id))?;
    // Deleting needs no read first: the event names only the participant.
    let event = participant_event(EventKind::ParticipantDeleted, &caller, id);
    state
        .store
        .delete_record::<Participant>(id, &event, clock::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
