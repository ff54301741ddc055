//! Metric entries: measurements agents report for the services they run.
//!
//! `POST /metric-entries` takes one entry as Fulcrum does. The addition
//! `POST /metric-entries/batch` takes up to 5,000, each with an optional
//! `timestamp`, and stores the valid ones in one transaction even when
//! others are rejected, answering each entry's outcome by index. Entries
//! record no event: they are far too many for the audit log.

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::SecondsFormat;
use federa_domain::access::{Action, Denied, Identity, Object};
use federa_domain::listing::{FieldError, Page};
use federa_domain::metrics::{
    check_entry, AggregateQuery, EntryDraft, MetricEntry, MetricTarget, ServiceRef, ValidEntry,
    MAX_BATCH_ENTRIES, METRIC_ENTRY_LIST, RESOURCE_ID_LIST,
};
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::metric_entries::{
    EntryOutcome, EntryResult, MetricEntryBatchReq, MetricEntryBatchRes, MetricEntryReq,
    MetricEntryRes,
};

use federa_api::metric_entries::AggregationRes;

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{decode_allowing_nul, missing_field, uuid_param, Body, QueryPairs};
use crate::routes::documented::{Invalid, Refused};
use crate::routes::PageRes;
use crate::state::AppState;

/// A full batch with long resource ids exceeds the 1 MiB every other body is
/// held to, so the batch route alone accepts more.
pub const MAX_BATCH_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A [`MetricEntryBatchReq`] as it is read: each entry is decoded on its
/// own, so that a malformed entry rejects only itself.
#[derive(Deserialize)]
struct BatchIntake {
    entries: Vec<Value>,
}

pub fn router() -> OpenApiRouter<AppState> {
    let batch_router = OpenApiRouter::new()
        .routes(routes!(create_batch))
        .layer(DefaultBodyLimit::max(MAX_BATCH_BODY_BYTES));
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(resource_ids))
        .routes(routes!(aggregate))
        .merge(batch_router)
}

/// Why an entry was not stored.
enum Refusal {
    Invalid(Vec<FieldError>),
    /// The service or metric type named does not exist.
    Missing(Vec<FieldError>),
    /// The service is not the caller's to report on.
    Denied(Denied),
}

impl Refusal {
    fn into_errors(self, prefix: &str) -> Vec<FieldError> {
        match self {
            Refusal::Invalid(errors) | Refusal::Missing(errors) => errors,
            Refusal::Denied(_) => {
                vec![
                    FieldError::new("serviceId", "the service is run by another agent")
                        .under(prefix),
                ]
            }
        }
    }
}

/// Checks each entry, looks up the services and metric types they name in
/// two queries for the whole request, and authorizes each entry against its
/// service. `prefix(i)` locates entry `i` in the request for error paths.
async fn resolve(
    state: &AppState,
    caller: &Identity,
    drafts: Vec<Result<EntryDraft, Vec<FieldError>>>,
    prefix: impl Fn(usize) -> String,
) -> ApiResult<Vec<Result<MetricEntry, Refusal>>> {
    let now = clock::now();
    let reporter = caller.agent_id();
    let checked: Vec<Result<ValidEntry, Vec<FieldError>>> = drafts
        .into_iter()
        .enumerate()
        .map(|(index, draft)| draft.and_then(|d| check_entry(&prefix(index), d, reporter, now)))
        .collect();

    let mut refs: Vec<ServiceRef> = Vec::new();
    let mut names: HashSet<&str> = HashSet::new();
    for entry in checked.iter().flatten() {
        refs.push(entry.service.clone());
        names.insert(entry.type_name.as_str());
    }
    let targets = state.store.metric_targets(&refs).await?;
    let names: Vec<String> = names.into_iter().map(str::to_string).collect();
    let types: HashMap<String, Uuid> = state
        .store
        .metric_types_named(&names)
        .await?
        .into_iter()
        .map(|t| (t.name, t.id))
        .collect();

    let by_id: HashMap<Uuid, &MetricTarget> = targets.iter().map(|t| (t.service_id, t)).collect();
    let by_instance: HashMap<(Uuid, &str), &MetricTarget> = targets
        .iter()
        .filter_map(|t| Some(((t.agent_id, t.agent_instance_id.as_deref()?), t)))
        .collect();

    let resolved = checked
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            let entry = entry.map_err(Refusal::Invalid)?;
            let prefix = prefix(index);
            let mut errors = Vec::new();
            let target = match &entry.service {
                ServiceRef::Id(id) => by_id.get(id).copied().ok_or_else(|| {
                    FieldError::new("serviceId", "no service has this id").under(&prefix)
                }),
                ServiceRef::AgentInstance {
                    agent_id,
                    instance_id,
                } => by_instance
                    .get(&(*agent_id, instance_id.as_str()))
                    .copied()
                    .ok_or_else(|| {
                        FieldError::new(
                            "agentInstanceId",
                            "no service of this agent has this instance id",
                        )
                        .under(&prefix)
                    }),
            };
            if let Ok(target) = target {
                caller
                    .authorize(Object::MetricEntry, Action::Create, &target.owners())
                    .map_err(Refusal::Denied)?;
            }
            let target = target.map_err(|e| errors.push(e)).ok();
            let type_id = types.get(&entry.type_name).copied();
            if type_id.is_none() {
                errors.push(
                    FieldError::new("typeName", "no metric type has this name").under(&prefix),
                );
            }
            let (Some(target), Some(type_id)) = (target, type_id) else {
                return Err(Refusal::Missing(errors));
            };
            Ok(MetricEntry::record(Uuid::now_v7(), entry, target, type_id))
        })
        .collect();
    Ok(resolved)
}

/// Decodes one batch entry on its own, so a malformed entry is that entry's
/// rejection rather than the whole request's.
fn decode_entry(prefix: &str, value: Value) -> Result<EntryDraft, Vec<FieldError>> {
    serde_path_to_error::deserialize::<_, MetricEntryReq>(value)
        .map(EntryDraft::from)
        .map_err(|error| {
            let message = error.inner().to_string();
            let path = error.path().to_string();
            // serde writes the entry itself as `.` and names a missing field
            // only in its message.
            let path = if path == "." {
                missing_field(&message).unwrap_or_default()
            } else {
                path
            };
            vec![FieldError::new(path, message).under(prefix)]
        })
}

/// List metric entries: participants see those of services they provide or
/// consume, agents their own.
#[utoipa::path(get, path = "/metric-entries", tag = "Metrics",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("cursor" = Option<String>, Query, description = "a page's nextCursor: the rows after that page"), ("sort" = Option<String>, Query, description = "createdAt or value, optionally prefixed with + or -"),
        ("agentId" = Option<Uuid>, Query), ("serviceId" = Option<Uuid>, Query), ("typeId" = Option<Uuid>, Query),
        ("resourceId" = Option<String>, Query, description = "case-insensitive substring"),
        ("since" = Option<DateTime<Utc>>, Query, description = "measured at or after"), ("until" = Option<DateTime<Utc>>, Query, description = "measured before")),
    responses((status = 200, body = PageRes<MetricEntryRes>), Invalid, Refused))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<MetricEntryRes>>> {
    let scope = caller.list_scope(Object::MetricEntry)?;
    let query = METRIC_ENTRY_LIST.parse(&pairs)?;
    let page = state.store.metric_entries(scope, &query).await?;
    Ok(Json(page.map(MetricEntryRes::from)))
}

/// Report one measurement for a service the calling agent runs.
#[utoipa::path(post, path = "/metric-entries", tag = "Metrics", request_body = MetricEntryReq,
    responses((status = 201, body = MetricEntryRes), Invalid, Refused))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<MetricEntryReq>,
) -> ApiResult<(StatusCode, Json<MetricEntryRes>)> {
    caller.may(Object::MetricEntry, Action::Create)?;
    let resolved = resolve(&state, &caller, vec![Ok(req.into())], |_| String::new()).await?;
    let entry = match resolved.into_iter().next() {
        Some(Ok(entry)) => entry,
        Some(Err(Refusal::Denied(denied))) => return Err(denied.into()),
        Some(Err(Refusal::Invalid(errors))) => return Err(errors.into()),
        // As in Fulcrum, an unknown service or metric type is a 404.
        Some(Err(Refusal::Missing(errors))) => return Err(ApiError::Missing(errors)),
        None => {
            return Err(ApiError::internal(
                "a metric entry was neither accepted nor refused",
            ))
        }
    };
    state
        .store
        .insert_metric_entries(std::slice::from_ref(&entry))
        .await?;
    Ok((StatusCode::CREATED, Json(entry.into())))
}

/// Report up to 5,000 measurements at once. Valid entries are stored even
/// when others are rejected; the answer gives each entry's outcome.
#[utoipa::path(post, path = "/metric-entries/batch", tag = "Metrics", request_body = MetricEntryBatchReq,
    responses((status = 200, body = MetricEntryBatchRes), Invalid, Refused, (status = 413, body = crate::routes::ErrorRes)))]
async fn create_batch(
    State(state): State<AppState>,
    Caller(caller): Caller,
    request: Request,
) -> ApiResult<Json<MetricEntryBatchRes>> {
    caller.may(Object::MetricEntry, Action::Create)?;
    let bytes = Bytes::from_request(request, &state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!(
                    "batch bodies are limited to {MAX_BATCH_BODY_BYTES} bytes"
                ))
            } else {
                ApiError::field("body", rejection.body_text())
            }
        })?;
    // U+0000 in an entry rejects only that entry (see `check_entry`).
    let batch: BatchIntake = decode_allowing_nul(&bytes)?;
    if batch.entries.is_empty() {
        return Err(ApiError::field("entries", "must not be empty"));
    }
    if batch.entries.len() > MAX_BATCH_ENTRIES {
        return Err(ApiError::field(
            "entries",
            format!(
                "must have at most {MAX_BATCH_ENTRIES} entries, got {}",
                batch.entries.len()
            ),
        ));
    }

    let prefix = |index: usize| format!("entries[{index}]");
    let drafts = batch
        .entries
        .into_iter()
        .enumerate()
        .map(|(index, value)| decode_entry(&prefix(index), value))
        .collect();
    let resolved = resolve(&state, &caller, drafts, prefix).await?;

    let mut stored = Vec::new();
    let mut results = Vec::with_capacity(resolved.len());
    for (index, outcome) in resolved.into_iter().enumerate() {
        match outcome {
            Ok(entry) => {
                results.push(EntryResult {
                    index,
                    status: EntryOutcome::Created,
                    id: Some(entry.id),
                    error: None,
                    errors: Vec::new(),
                });
                stored.push(entry);
            }
            Err(refusal) => {
                let errors = refusal.into_errors(&prefix(index));
                results.push(EntryResult {
                    index,
                    status: EntryOutcome::Rejected,
                    id: None,
                    error: errors.first().map(ToString::to_string),
                    errors,
                });
            }
        }
    }
    state.store.insert_metric_entries(&stored).await?;
    Ok(Json(MetricEntryBatchRes {
        created: stored.len(),
        rejected: results.len() - stored.len(),
        results,
    }))
}

/// List the distinct resource ids of the entries the caller may see.
#[utoipa::path(get, path = "/metric-entries/resource-ids", tag = "Metrics",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query),
        ("agentId" = Option<Uuid>, Query), ("serviceId" = Option<Uuid>, Query), ("typeId" = Option<Uuid>, Query),
        ("resourceId" = Option<String>, Query, description = "case-insensitive substring")),
    responses((status = 200, body = PageRes<String>), Invalid, Refused))]
async fn resource_ids(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<String>>> {
    let scope = caller.list_scope(Object::MetricEntry)?;
    let query = RESOURCE_ID_LIST.parse(&pairs)?;
    Ok(Json(state.store.metric_resource_ids(scope, &query).await?))
}

/// Aggregate one series per time bucket. The range may span at most 24
/// hours per minute, 7 days per hour, 90 days per day and 365 days per
/// month; `start` defaults to that much before `end`, `end` to now.
#[utoipa::path(get, path = "/metric-entries/aggregate/{serviceId}/{resourceId}/{typeId}", tag = "Metrics",
    params(("serviceId" = Uuid, Path), ("resourceId" = String, Path), ("typeId" = Uuid, Path),
        ("aggregateType" = Option<String>, Query, description = "min (default), max, sum, avg or diff (max − min)"),
        ("bucket" = Option<String>, Query, description = "minute, hour (default), day or month"),
        ("start" = Option<DateTime<Utc>>, Query), ("end" = Option<DateTime<Utc>>, Query)),
    responses((status = 200, body = AggregationRes), Invalid, Refused))]
async fn aggregate(
    State(state): State<AppState>,
    Caller(caller): Caller,
    path: Result<Path<(String, String, String)>, axum::extract::rejection::PathRejection>,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<AggregationRes>> {
    let scope = caller.list_scope(Object::MetricEntry)?;
    let Path((service_id, resource_id, type_id)) =
        path.map_err(|rejection| ApiError::field("path", rejection.body_text()))?;
    let service_id = uuid_param("serviceId", &service_id)?;
    let type_id = uuid_param("typeId", &type_id)?;
    let query = AggregateQuery::parse(&pairs, clock::now())?;
    let buckets = state
        .store
        .metric_series(scope, service_id, &resource_id, type_id, &query)
        .await?;
    Ok(Json(AggregationRes {
        data: buckets
            .iter()
            .map(|b| {
                (
                    b.start.to_rfc3339_opts(SecondsFormat::Secs, true),
                    query.aggregate.of(b),
                )
            })
            .collect(),
        aggregate: query.aggregate.as_str().to_string(),
        bucket: query.bucket.as_str().to_string(),
        start: query.start,
        end: query.end,
    }))
}
