//! `/offerings`: what providers propose — a service type in some of their
//! regions, at a price, up to a capacity. Everyone reads them; the provider
//! (or an admin) writes its own. Prices are decimal strings in EUR, and so
//! is the switching charge of an offering's exit terms.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::exchange::lists::OFFERING_LIST;
use federa_domain::exchange::Offering;
use federa_domain::listing::{ListSpec, Page};
use federa_store::exchange::Stored;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::offerings::{OfferingCreateReq, OfferingRes, OfferingUpdateReq};

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

impl Resource for Stored<Offering> {
    const OBJECT: Object = Object::Offering;
    const LIST: ListSpec = OFFERING_LIST;
    type Res = OfferingRes;

    /// An offering as answered, with the times the store keeps.
    fn res(self) -> OfferingRes {
        let offering = self.value;
        OfferingRes {
            id: offering.id,
            participant_id: offering.participant_id,
            service_type_id: offering.service_type_id,
            regions: offering.regions,
            price: offering.price,
            capacity: offering.capacity,
            enabled: offering.enabled,
            exit_terms: offering.exit_terms,
            requires_acceptance: offering.requires_acceptance,
            // Filled in by `versioned`, which reads the price history.
            version: 1,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    fn owners(&self) -> Owners {
        Owners::owner(self.value.participant_id)
    }
}

impl Edited for Stored<Offering> {
    const CHANGES: ChangeKinds = ChangeKinds {
        created: EventKind::OfferingCreated,
        updated: EventKind::OfferingUpdated,
        deleted: EventKind::OfferingDeleted,
    };

    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent {
        let offering = &self.value;
        NewEvent::new(kind, Initiator::of(caller), offering.id)
            .provider(Some(offering.participant_id))
            .properties(json!({
                "serviceTypeId": offering.service_type_id,
                "regions": offering.regions,
                "price": offering.price,
                "capacity": offering.capacity,
                "enabled": offering.enabled,
                "exitTerms": offering.exit_terms,
                "requiresAcceptance": offering.requires_acceptance,
            }))
    }
}

/// `offerings` with the version each has reached, read in one query.
async fn versioned(
    state: &AppState,
    mut offerings: Vec<OfferingRes>,
) -> ApiResult<Vec<OfferingRes>> {
    let ids: Vec<Uuid> = offerings.iter().map(|offering| offering.id).collect();
    let versions = state.store.offering_versions(&ids).await?;
    for offering in &mut offerings {
        offering.version = versions.get(&offering.id).copied().unwrap_or(1);
    }
    Ok(offerings)
}

async fn versioned_one(state: &AppState, offering: OfferingRes) -> ApiResult<Json<OfferingRes>> {
    let mut one = versioned(state, vec![offering]).await?;
    Ok(Json(one.remove(0)))
}

/// Checks the offering against its provider's profile.
async fn validate(state: &AppState, offering: &Offering) -> ApiResult<()> {
    let profile = state
        .store
        .provider_profile(offering.participant_id)
        .await?
        .ok_or_else(|| {
            ApiError::field(
                "participantId",
                "the participant has no provider profile; declare one first",
            )
        })?;
    offering.validate(&profile.value)?;
    Ok(())
}

/// List offerings.
#[utoipa::path(get, path = "/offerings", tag = "Offerings",
    params(Paging,
        ("participantId" = Option<Uuid>, Query), ("serviceTypeId" = Option<Uuid>, Query), ("enabled" = Option<bool>, Query)),
    responses((status = 200, body = PageRes<OfferingRes>), Invalid, Refused))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<OfferingRes>>> {
    let Json(mut page) = resource::list::<Stored<Offering>>(&state, &caller, &pairs).await?;
    page.items = versioned(&state, std::mem::take(&mut page.items)).await?;
    Ok(Json(page))
}

/// Publish an offering.
#[utoipa::path(post, path = "/offerings", tag = "Offerings", request_body = OfferingCreateReq,
    responses((status = 201, body = OfferingRes), Invalid, Refused))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<OfferingCreateReq>,
) -> ApiResult<(StatusCode, Json<OfferingRes>)> {
    caller.authorize(
        Object::Offering,
        Action::Create,
        &Owners::owner(req.participant_id),
    )?;
    let offering = Offering {
        id: Uuid::now_v7(),
        participant_id: req.participant_id,
        service_type_id: req.service_type_id,
        regions: req.regions,
        price: req.price,
        capacity: req.capacity,
        enabled: req.enabled.unwrap_or(true),
        exit_terms: req.exit_terms.unwrap_or_default(),
        requires_acceptance: req.requires_acceptance.unwrap_or(false),
    };
    validate(&state, &offering).await?;
    if state
        .store
        .service_type_rules(req.service_type_id)
        .await?
        .is_none()
    {
        return Err(ApiError::field(
            "serviceTypeId",
            "no service type has this id",
        ));
    }
    let now = clock::now();
    let stored = Stored {
        value: offering,
        created_at: now,
        updated_at: now,
    };
    // Not the generic insert: an offering's first price is written with it.
    let event = stored.event(EventKind::OfferingCreated, &caller);
    state.store.insert_offering(&stored, &event).await?;
    Ok((StatusCode::CREATED, Json(stored.res())))
}

/// Get an offering.
#[utoipa::path(get, path = "/offerings/{id}", tag = "Offerings", params(("id" = Uuid, Path)),
    responses((status = 200, body = OfferingRes), Refused, Missing))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<OfferingRes>> {
    let Json(offering) = resource::get::<Stored<Offering>>(&state, &caller, id).await?;
    versioned_one(&state, offering).await
}

/// Change an offering. A new price applies from now on.
#[utoipa::path(patch, path = "/offerings/{id}", tag = "Offerings", params(("id" = Uuid, Path)), request_body = OfferingUpdateReq,
    responses((status = 200, body = OfferingRes), Invalid, Refused, Missing))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<OfferingUpdateReq>,
) -> ApiResult<Json<OfferingRes>> {
    let mut stored: Stored<Offering> = resource::load(&state, &caller, id, Action::Update).await?;
    let offering = &mut stored.value;
    let mut reprice = false;
    if let Some(regions) = req.regions {
        offering.regions = regions;
    }
    if let Some(price) = req.price {
        reprice = price != offering.price;
        offering.price = price;
    }
    if let Some(capacity) = req.capacity {
        offering.capacity = capacity;
    }
    if let Some(enabled) = req.enabled {
        offering.enabled = enabled;
    }
    if let Some(exit_terms) = req.exit_terms {
        offering.exit_terms = exit_terms;
    }
    if let Some(requires_acceptance) = req.requires_acceptance {
        offering.requires_acceptance = requires_acceptance;
    }
    validate(&state, offering).await?;
    stored.updated_at = clock::now();
    let event = stored.event(EventKind::OfferingUpdated, &caller);
    state
        .store
        .update_offering(&stored, reprice, &event)
        .await?;
    versioned_one(&state, stored.res()).await
}

/// Delete an offering; refused once services were placed on it, since
/// they are billed by it (disable it instead).
#[utoipa::path(delete, path = "/offerings/{id}", tag = "Offerings", params(("id" = Uuid, Path)),
    responses((status = 204), Refused, Missing, Conflicting))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    resource::delete::<Stored<Offering>>(&state, &caller, id).await
}
