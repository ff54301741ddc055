//! `/provider-profiles`: each provider's sovereignty profile, one per
//! participant and addressed by the participant's id. Everyone reads them;
//! the participant itself (or an admin) writes its own.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::exchange::lists::PROVIDER_PROFILE_LIST;
use federa_domain::exchange::ProviderProfile;
use federa_domain::listing::{FieldError, Page};
use federa_domain::participant::Participant;
use federa_store::exchange::Stored;
use serde_json::json;
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::provider_profiles::{
    ProviderProfileCreateReq, ProviderProfileRes, ProviderProfileUpdateReq,
};

use crate::auth::Caller;
use crate::authorized::fetch_authorized;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::resource;
use crate::routes::documented::{Conflicting, Invalid, Missing, Paging, Refused};
use crate::routes::PageRes;
use crate::state::AppState;

/// Answers a page of profiles with their providers' names, in one lookup.
async fn named(
    state: &AppState,
    page: Page<Stored<ProviderProfile>>,
) -> ApiResult<Page<ProviderProfileRes>> {
    let names: HashMap<Uuid, String> = state
        .store
        .participants_by_id(page.items.iter().map(|p| p.value.participant_id))
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    Ok(page.map(|stored| {
        let name = names
            .get(&stored.value.participant_id)
            .cloned()
            .unwrap_or_default();
        profile_res(stored, name)
    }))
}

async fn named_one(
    state: &AppState,
    stored: Stored<ProviderProfile>,
) -> ApiResult<ProviderProfileRes> {
    let name = state
        .store
        .participant(stored.value.participant_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    Ok(profile_res(stored, name))
}

/// A profile as answered, with its participant's name and the times the
/// store keeps.
fn profile_res(stored: Stored<ProviderProfile>, participant_name: String) -> ProviderProfileRes {
    let profile = stored.value;
    ProviderProfileRes {
        participant_id: profile.participant_id,
        participant_name,
        jurisdiction: profile.jurisdiction,
        subject_to_non_eu_law: profile.subject_to_non_eu_law,
        regions: profile.regions,
        certifications: profile.certifications,
        created_at: stored.created_at,
        updated_at: stored.updated_at,
    }
}
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
}

fn profile_event(kind: EventKind, caller: &Identity, profile: &ProviderProfile) -> NewEvent {
    NewEvent::new(kind, Initiator::of(caller), profile.participant_id)
        .provider(Some(profile.participant_id))
        .properties(json!({
            "jurisdiction": profile.jurisdiction,
            "subjectToNonEuLaw": profile.subject_to_non_eu_law,
            "regions": profile.regions,
            "certifications": profile.certifications,
        }))
}

async fn load(
    state: &AppState,
    caller: &Identity,
    participant_id: Uuid,
    action: Action,
) -> ApiResult<Stored<ProviderProfile>> {
    fetch_authorized(
        caller,
        Object::ProviderProfile,
        action,
        state.store.record(participant_id),
        |_| Owners::owner(participant_id),
    )
    .await
}

/// Offerings name regions of the profile; dropping one of those would
/// leave the offering pointing nowhere.
async fn keep_offered_regions(state: &AppState, profile: &ProviderProfile) -> ApiResult<()> {
    let missing: Vec<FieldError> = state
        .store
        .offered_regions(profile.participant_id)
        .await?
        .into_iter()
        .filter(|code| profile.region(code).is_none())
        .map(|code| {
            FieldError::new(
                "regions",
                format!("must keep region `{code}`: an offering of the provider names it"),
            )
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(missing))
    }
}

/// List provider profiles.
#[utoipa::path(get, path = "/provider-profiles", tag = "Provider profiles",
    params(Paging,
        ("participantId" = Option<Uuid>, Query), ("jurisdiction" = Option<String>, Query), ("subjectToNonEuLaw" = Option<bool>, Query)),
    responses((status = 200, body = PageRes<ProviderProfileRes>), Invalid, Refused))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<ProviderProfileRes>>> {
    let scope = caller.list_scope(Object::ProviderProfile)?;
    let query = PROVIDER_PROFILE_LIST.parse(&pairs)?;
    let page = state.store.records(scope, &query).await?;
    Ok(Json(named(&state, page).await?))
}

/// Declare a participant's provider profile.
#[utoipa::path(post, path = "/provider-profiles", tag = "Provider profiles", request_body = ProviderProfileCreateReq,
    responses((status = 201, body = ProviderProfileRes), Invalid, Refused, Conflicting))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ProviderProfileCreateReq>,
) -> ApiResult<(StatusCode, Json<ProviderProfileRes>)> {
    caller.authorize(
        Object::ProviderProfile,
        Action::Create,
        &Owners::owner(req.participant_id),
    )?;
    let profile = ProviderProfile {
        participant_id: req.participant_id,
        jurisdiction: req.jurisdiction,
        subject_to_non_eu_law: req.subject_to_non_eu_law,
        regions: req.regions,
        certifications: req.certifications,
    };
    profile.validate()?;
    resource::referenced::<Participant>(&state, req.participant_id, "participantId", "participant")
        .await?;
    let now = clock::now();
    let stored = Stored {
        value: profile,
        created_at: now,
        updated_at: now,
    };
    let event = profile_event(EventKind::ProviderProfileCreated, &caller, &stored.value);
    state.store.insert_record(&stored, &event).await?;
    Ok((StatusCode::CREATED, Json(named_one(&state, stored).await?)))
}

/// Get a provider profile by its participant's id.
#[utoipa::path(get, path = "/provider-profiles/{id}", tag = "Provider profiles", params(("id" = Uuid, Path, description = "the participant's id")),
    responses((status = 200, body = ProviderProfileRes), Refused, Missing))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ProviderProfileRes>> {
    let stored = load(&state, &caller, id, Action::Get).await?;
    Ok(Json(named_one(&state, stored).await?))
}

/// Change a provider profile; lists given replace the stored ones.
#[utoipa::path(patch, path = "/provider-profiles/{id}", tag = "Provider profiles", params(("id" = Uuid, Path, description = "the participant's id")), request_body = ProviderProfileUpdateReq,
    responses((status = 200, body = ProviderProfileRes), Invalid, Refused, Missing))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ProviderProfileUpdateReq>,
) -> ApiResult<Json<ProviderProfileRes>> {
    let mut stored = load(&state, &caller, id, Action::Update).await?;
    let profile = &mut stored.value;
    if let Some(jurisdiction) = req.jurisdiction {
        profile.jurisdiction = jurisdiction;
    }
    if let Some(subject) = req.subject_to_non_eu_law {
        profile.subject_to_non_eu_law = subject;
    }
    if let Some(regions) = req.regions {
        profile.regions = regions;
    }
    if let Some(certifications) = req.certifications {
        profile.certifications = certifications;
    }
    profile.validate()?;
    keep_offered_regions(&state, profile).await?;
    stored.updated_at = clock::now();
    let event = profile_event(EventKind::ProviderProfileUpdated, &caller, &stored.value);
    state.store.update_record(&stored, &event).await?;
    Ok(Json(named_one(&state, stored).await?))
}

/// Delete a provider profile; refused while the provider has offerings.
#[utoipa::path(delete, path = "/provider-profiles/{id}", tag = "Provider profiles", params(("id" = Uuid, Path, description = "the participant's id")),
    responses((status = 204), Refused, Missing, Conflicting))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let stored = load(&state, &caller, id, Action::Delete).await?;
    let event = profile_event(EventKind::ProviderProfileDeleted, &caller, &stored.value);
    state
        .store
        .delete_record::<Stored<ProviderProfile>>(id, &event, clock::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
