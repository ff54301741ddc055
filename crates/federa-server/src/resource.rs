//! The one path of an object the API keeps as a single stored record (the
//! store's [`Record`]): its authorized read, its list, and its writes, each
//! with the event saying what changed. A route module says which object it
//! is ([`Resource`]) and keeps only its own checks and answer.

use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::event::NewEvent;
use federa_domain::event_kind::EventKind;
use federa_domain::listing::{ListSpec, Page};
use federa_store::Record;
use serde::Serialize;
use uuid::Uuid;

use crate::authorized::fetch_authorized;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The event kinds of an object's creation, change and deletion.
pub struct ChangeKinds {
    pub created: EventKind,
    pub updated: EventKind,
    pub deleted: EventKind,
}

/// An object of the access table stored as one record.
pub trait Resource: Record {
    const OBJECT: Object;
    /// The filters and sorts its list accepts.
    const LIST: ListSpec;

    /// What the API answers for it.
    type Res: Serialize;

    fn res(self) -> Self::Res;

    /// Whose it is, for the access table; by default no one's, so that
    /// only grants that need no owner let a caller reach it.
    fn owners(&self) -> Owners {
        Owners::none()
    }

    /// Whose it is as `caller` sees it, where that depends on the caller
    /// (an order of several providers is each one's); by default
    /// [`Resource::owners`].
    fn owners_for(&self, _caller: &Identity) -> Owners {
        self.owners()
    }

    /// What the API answers `caller` for it, where part of it is not
    /// theirs to see; by default [`Resource::res`].
    fn res_for(self, _caller: &Identity) -> Self::Res
    where
        Self: Sized,
    {
        self.res()
    }
}

/// A [`Resource`] whose handlers write it themselves, each change with an
/// event (others are written by a workflow of the exchange).
pub trait Edited: Resource {
    const CHANGES: ChangeKinds;

    /// The event of a change of kind `kind` to it by `caller`.
    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent;
}

/// The object, if `caller` may do `action` to it.
pub async fn load<R: Resource>(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<R> {
    fetch_authorized(
        caller,
        R::OBJECT,
        action,
        state.store.record::<R>(id),
        |found: &R| found.owners_for(caller),
    )
    .await
}

/// The record of type `R` that a request's `field` names by id; a 400
/// saying `no {what} has this id` when there is none.
pub async fn referenced<R: Record>(
    state: &AppState,
    id: Uuid,
    field: &str,
    what: &str,
) -> ApiResult<R> {
    state
        .store
        .record::<R>(id)
        .await?
        .ok_or_else(|| ApiError::field(field, format!("no {what} has this id")))
}

/// The page of the objects `caller` may see that the query asks for.
pub async fn list<R: Resource>(
    state: &AppState,
    caller: &Identity,
    pairs: &[(String, String)],
) -> ApiResult<Json<Page<R::Res>>> {
    let scope = caller.list_scope(R::OBJECT)?;
    let query = R::LIST.parse(pairs)?;
    let page = state.store.records::<R>(scope, &query).await?;
    Ok(Json(page.map(|found| found.res_for(caller))))
}

/// The object as answered, if `caller` may read it.
pub async fn get<R: Resource>(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
) -> ApiResult<Json<R::Res>> {
    Ok(Json(
        load::<R>(state, caller, id, Action::Get)
            .await?
            .res_for(caller),
    ))
}

/// Stores a new object, already authorized and checked, with its event.
pub async fn create<R: Edited>(
    state: &AppState,
    caller: &Identity,
    created: R,
) -> ApiResult<(StatusCode, Json<R::Res>)> {
    let event = created.event(R::CHANGES.created, caller);
    state.store.insert_record(&created, &event).await?;
    Ok((StatusCode::CREATED, Json(created.res())))
}

/// Stores a changed object, loaded for [`Action::Update`] and checked,
/// with its event.
pub async fn save<R: Edited>(
    state: &AppState,
    caller: &Identity,
    changed: R,
) -> ApiResult<Json<R::Res>> {
    let event = changed.event(R::CHANGES.updated, caller);
    state.store.update_record(&changed, &event).await?;
    Ok(Json(changed.res()))
}

/// Deletes the object, if `caller` may, with its event.
pub async fn delete<R: Edited>(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
) -> ApiResult<StatusCode> {
    let deleted = load::<R>(state, caller, id, Action::Delete).await?;
    let event = deleted.event(R::CHANGES.deleted, caller);
    state
        .store
        .delete_record::<R>(id, &event, clock::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
