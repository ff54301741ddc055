use std::collections::hash_map::Entry;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use federa_domain::access::{Action, Identity, Object};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::listing::Page;
use federa_domain::provisioning::{
    complete_verdict, completion_change, fail_verdict, CompletionError, CompletionReport, Job,
    JobStatus, Service, Verdict, JOB_LIST,
};
use federa_store::provisioning::JobFinish;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Caller;
use crate::clock;
use crate::dispatch::MAX_WAITERS_PER_AGENT;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::provisioning::{job_event, record_failure, transition_event, type_rules, under, JobRes};
use crate::routes::PageRes;
use crate::state::AppState;
use crate::vault;
use federa_domain::property_schema::{check_weight, json_weight};

/// The longest `wait` a long-poll may ask for.
pub const MAX_WAIT: Duration = Duration::from_secs(60);
/// Longer than any platform's id for a machine or a container.
const MAX_AGENT_INSTANCE_ID_CHARS: usize = 1000;
const DEFAULT_PENDING_LIMIT: u32 = 10;
const MAX_PENDING_LIMIT: u32 = 100;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompleteJobReq {
    /// The agent's id for the instance; `null` keeps the current one.
    agent_instance_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    agent_instance_data: Option<Value>,
    /// Properties the agent sets (validated as the agent actor).
    #[schema(value_type = Option<Object>)]
    properties: Option<Map<String, Value>>,
    /// The claim reporting (see [`CLAIM_ATTEMPT_HEADER`]); a claim a later
    /// one superseded is refused with 409.
    attempt: Option<i32>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailJobReq {
    error_message: String,
    /// The claim reporting, as for completion.
    attempt: Option<i32>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatReq {
    /// The claim renewing; a claim a later one superseded is refused with 409.
    attempt: Option<i32>,
}

/// Names the claim a successful `POST /jobs/{id}/claim` granted: the job's
/// `attempts` once claimed. Agents that send it back as `attempt` with
/// heartbeats and reports are refused once another claim superseded theirs.
pub const CLAIM_ATTEMPT_HEADER: &str = "federa-claim-attempt";

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct ClaimNextReq {
    /// How many jobs to claim at most (1–100, default 1).
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaseRes {
    lease_expires_at: DateTime<Utc>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(pending))
        .routes(routes!(claim_next))
        .routes(routes!(get))
        .routes(routes!(claim))
        .routes(routes!(heartbeat))
        .routes(routes!(complete))
        .routes(routes!(fail))
}

async fn load(state: &AppState, caller: &Identity, id: Uuid, action: Action) -> ApiResult<Job> {
    caller.may(Object::Job, action)?;
    let job = state.store.job(id).await?.ok_or(ApiError::NotFound)?;
    caller.authorize(Object::Job, action, &job.owners())?;
    Ok(job)
}

/// List jobs.
#[utoipa::path(get, path = "/jobs", tag = "Jobs",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("sort" = Option<String>, Query),
        ("action" = Option<String>, Query), ("status" = Option<JobStatus>, Query), ("agentId" = Option<Uuid>, Query), ("serviceId" = Option<Uuid>, Query)),
    responses((status = 200, body = PageRes<JobRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<JobRes>>> {
    let scope = caller.list_scope(Object::Job)?;
    let query = JOB_LIST.parse(&pairs)?;
    let page = state.store.jobs(scope, &query).await?;
    // As in Fulcrum, each job carries its service.
    let mut services = std::collections::HashMap::new();
    for job in &page.items {
        if let Entry::Vacant(slot) = services.entry(job.service_id) {
            slot.insert(state.store.service(job.service_id).await?);
        }
    }
    Ok(Json(page.map(|job| {
        let service = services.get(&job.service_id).cloned().flatten();
        JobRes::new(job, service)
    })))
}

/// Get a job.
#[utoipa::path(get, path = "/jobs/{id}", tag = "Jobs", params(("id" = Uuid, Path)),
    responses((status = 200, body = JobRes), (status = 401), (status = 403), (status = 404)))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<JobRes>> {
    let job = load(&state, &caller, id, Action::Get).await?;
    let service = state.store.service(job.service_id).await?;
    Ok(Json(JobRes::new(job, service)))
}

/// `30s`, `500ms`, `2m` or a bare number of seconds.
pub(crate) fn parse_wait(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number.parse().ok()?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return None,
    };
    (seconds.is_finite() && (0.0..=MAX_WAIT.as_secs_f64()).contains(&seconds))
        .then(|| Duration::from_secs_f64(seconds))
}

/// The calling agent's pending jobs, at most one per service group, as a bare
/// array. With `wait` (e.g. `30s`, at most 60 s) the call long-polls: it
/// answers as soon as a job for this agent exists, or `[]` when the wait ends.
#[utoipa::path(get, path = "/jobs/pending", tag = "Jobs",
    params(("limit" = Option<u32>, Query), ("wait" = Option<String>, Query, description = "long-poll duration, e.g. 30s")),
    responses((status = 200, body = Vec<JobRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 429, body = crate::routes::ErrorRes, description = "the agent already holds the most long-polls it may")))]
async fn pending(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Vec<JobRes>>> {
    caller.may(Object::Job, Action::GetPending)?;
    let agent_id = caller
        .agent_id
        .ok_or_else(|| ApiError::Forbidden("only agents have pending jobs".into()))?;
    // As Fulcrum: a limit that is not a positive number is ignored.
    let limit = pairs
        .iter()
        .find(|(k, _)| k == "limit")
        .and_then(|(_, v)| v.parse::<u32>().ok())
        .filter(|n| *n > 0)
        .map_or(DEFAULT_PENDING_LIMIT, |n| n.min(MAX_PENDING_LIMIT));
    let wait = match pairs.iter().find(|(k, _)| k == "wait") {
        Some((_, text)) => parse_wait(text).ok_or_else(|| {
            ApiError::field(
                "wait",
                format!(
                    "must be a duration such as 30s, 500ms or 1m, at most {} s",
                    MAX_WAIT.as_secs()
                ),
            )
        })?,
        None => Duration::ZERO,
    };
    let answer = |jobs: Vec<(Job, Service)>| {
        Json(
            jobs.into_iter()
                .map(|(job, service)| JobRes::new(job, Some(service)))
                .collect(),
        )
    };
    if wait.is_zero() {
        return Ok(answer(state.store.pending_jobs(agent_id, limit).await?));
    }
    let deadline = tokio::time::Instant::now() + wait;
    let handle = state
        .dispatch
        .waiter(agent_id)
        .ok_or_else(|| ApiError::TooManyRequests {
            error: format!(
                "wait: an agent may hold at most {MAX_WAITERS_PER_AGENT} long-polls open at once"
            ),
            retry_after: None,
        })?;
    loop {
        let notified = handle.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let jobs = state.store.pending_jobs(agent_id, limit).await?;
        let now = tokio::time::Instant::now();
        if !jobs.is_empty() || now >= deadline {
            return Ok(answer(jobs));
        }
        // A wake-up can be missed only while a replica's notification
        // connection reconnects; re-checking every few seconds bounds that.
        let slice = (deadline - now).min(Duration::from_secs(5));
        tokio::select! {
            _ = tokio::time::timeout(slice, notified) => {}
            // The agent asks again, of this server's successor.
            () = state.closing.closed() => return Ok(answer(Vec::new())),
        }
    }
}

/// Claim a pending job. Exactly one of any number of concurrent claims wins;
/// the others get 409. The claim is a lease of the server's lease duration,
/// running from when the claim holds its locks, renewed with
/// `POST /jobs/{id}/heartbeat`; the `Federa-Claim-Attempt` header names it.
#[utoipa::path(post, path = "/jobs/{id}/claim", tag = "Jobs", params(("id" = Uuid, Path)),
    responses((status = 204, headers(("Federa-Claim-Attempt" = i32, description = "the claim granted, to send back as `attempt`"))), (status = 401), (status = 403), (status = 404), (status = 409, body = crate::routes::ErrorRes)))]
async fn claim(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<impl IntoResponse> {
    let job = load(&state, &caller, id, Action::Claim).await?;
    let event = job_event("job.claimed", Initiator::of(&caller), &job, json!({}));
    match state
        .store
        .claim_job(id, job.agent_id, state.lease.duration, clock::now, &event)
        .await?
    {
        Some(lease) => Ok((
            StatusCode::NO_CONTENT,
            [(CLAIM_ATTEMPT_HEADER, lease.attempt.to_string())],
        )),
        None => Err(ApiError::Conflict("the job is not pending".into())),
    }
}

/// Claim up to `limit` of the calling agent's pending jobs in one call
/// (at most one per service group) and return them.
#[utoipa::path(post, path = "/jobs/claim", tag = "Jobs", request_body(content = Option<ClaimNextReq>),
    responses((status = 200, body = Vec<JobRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn claim_next(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: axum::body::Bytes,
) -> ApiResult<Json<Vec<JobRes>>> {
    caller.may(Object::Job, Action::Claim)?;
    let agent_id = caller
        .agent_id
        .ok_or_else(|| ApiError::Forbidden("only agents claim jobs".into()))?;
    let req: ClaimNextReq = crate::extract::decode_optional(&body)?;
    let limit = req.limit.unwrap_or(1);
    if !(1..=MAX_PENDING_LIMIT).contains(&limit) {
        return Err(ApiError::field("limit", "must be from 1 to 100"));
    }
    let mut claimed = Vec::new();
    for (mut job, service) in state.store.pending_jobs(agent_id, limit).await? {
        let event = job_event("job.claimed", Initiator::of(&caller), &job, json!({}));
        // Another instance of the agent may take a job first; skip it.
        if let Some(lease) = state
            .store
            .claim_job(job.id, agent_id, state.lease.duration, clock::now, &event)
            .await?
        {
            job.status = JobStatus::Processing;
            job.claimed_at = Some(lease.claimed_at);
            job.lease_expires_at = Some(lease.expires_at);
            job.attempts = lease.attempt;
            claimed.push(JobRes::new(job, Some(service)));
        }
    }
    Ok(Json(claimed))
}

/// Renew the lease on a job the agent is working on.
#[utoipa::path(post, path = "/jobs/{id}/heartbeat", tag = "Jobs", params(("id" = Uuid, Path)), request_body(content = Option<HeartbeatReq>),
    responses((status = 200, body = LeaseRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404), (status = 409, body = crate::routes::ErrorRes)))]
async fn heartbeat(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    body: axum::body::Bytes,
) -> ApiResult<Json<LeaseRes>> {
    let job = load(&state, &caller, id, Action::Complete).await?;
    let req: HeartbeatReq = crate::extract::decode_optional(&body)?;
    check_attempt(&job, req.attempt)?;
    let now = clock::now();
    let until = now + state.lease.duration;
    if state
        .store
        .renew_lease(id, job.agent_id, req.attempt, now, until)
        .await?
    {
        Ok(Json(LeaseRes {
            lease_expires_at: until,
        }))
    } else {
        Err(ApiError::Conflict("the job is not in progress".into()))
    }
}

/// Refuses a heartbeat or report from a claim that a later claim of the
/// job superseded: its lease lapsed and the job went to another worker.
fn check_attempt(job: &Job, attempt: Option<i32>) -> ApiResult<()> {
    match attempt {
        Some(attempt) if attempt != job.attempts => Err(ApiError::Conflict(format!(
            "claim {attempt} of this job lapsed and was superseded by claim {}",
            job.attempts
        ))),
        _ => Ok(()),
    }
}

/// Answers a report that lost a race by looking at what was recorded.
async fn settle(
    state: &AppState,
    id: Uuid,
    attempt: Option<i32>,
    verdict: impl Fn(&Job) -> Verdict,
) -> ApiResult<StatusCode> {
    let job = state.store.job(id).await?.ok_or(ApiError::NotFound)?;
    check_attempt(&job, attempt)?;
    match verdict(&job) {
        Verdict::AlreadyDone => Ok(StatusCode::NO_CONTENT),
        Verdict::Conflict(message) => Err(ApiError::Conflict(message.into())),
        Verdict::Apply => Err(ApiError::Conflict(
            "the job changed meanwhile; retry".into(),
        )),
    }
}

/// Report success. Repeating the same report answers 204 again, however
/// many arrive at once; another report for a completed job, or completing a
/// failed one, is a 409.
#[utoipa::path(post, path = "/jobs/{id}/complete", tag = "Jobs", params(("id" = Uuid, Path)), request_body = CompleteJobReq,
    responses((status = 204), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404), (status = 409, body = crate::routes::ErrorRes)))]
async fn complete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<CompleteJobReq>,
) -> ApiResult<StatusCode> {
    let digest = completion_digest(id, &req);
    let attempt = req.attempt;
    let verdict = |job: &Job| complete_verdict(job.status, job.outcome_digest.as_deref(), &digest);
    let job = load(&state, &caller, id, Action::Complete).await?;
    check_attempt(&job, attempt)?;
    match verdict(&job) {
        Verdict::Apply => {}
        Verdict::AlreadyDone => return Ok(StatusCode::NO_CONTENT),
        Verdict::Conflict(message) => return Err(ApiError::Conflict(message.into())),
    }
    let prepared = prepare_completion(&state, &caller, &job, req).await;
    let (finish, events, service) = match prepared {
        Ok(prepared) => prepared,
        // A concurrent report may have finished the job (and moved its
        // service) since it was read: judge this one against that outcome.
        Err(error) => return settle_or(&state, id, attempt, &verdict, error).await,
    };
    let finish = JobFinish {
        outcome_digest: Some(digest.clone()),
        ..finish
    };
    if !state.store.finish_job(&finish, &events).await? {
        return settle(&state, id, attempt, verdict).await;
    }
    let terminal = finish.releases_pool_values;
    // The next job of the service group may now be handed out.
    state.dispatch.wake(job.agent_id);
    vault::job_finished(
        &state,
        &job,
        &service,
        finish.service.properties.as_ref(),
        terminal,
    )
    .await;
    crate::composing::after_job(&state, job.service_id).await;
    Ok(StatusCode::NO_CONTENT)
}

/// What completing `job` with `req` writes: the job's finish, its events
/// and the service as it was read.
async fn prepare_completion(
    state: &AppState,
    caller: &Identity,
    job: &Job,
    req: CompleteJobReq,
) -> ApiResult<(JobFinish, [NewEvent; 2], Service)> {
    let service = state
        .store
        .service(job.service_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let rules = type_rules(state, service.service_type_id, "serviceTypeId").await?;
    if req
        .agent_instance_id
        .as_ref()
        .is_some_and(|id| id.chars().count() > MAX_AGENT_INSTANCE_ID_CHARS)
    {
        return Err(ApiError::field(
            "agentInstanceId",
            format!("must be at most {MAX_AGENT_INSTANCE_ID_CHARS} characters"),
        ));
    }
    if let Some(data) = &req.agent_instance_data {
        let weight = json_weight(data);
        if weight > state.max_properties_bytes {
            return Err(ApiError::field(
                "agentInstanceData",
                format!(
                    "must weigh at most {} bytes as JSON, got {weight}",
                    state.max_properties_bytes
                ),
            ));
        }
    }
    let report = CompletionReport {
        agent_instance_id: req.agent_instance_id,
        agent_instance_data: req.agent_instance_data,
        properties: req.properties,
    };
    let empty_schema;
    let schema = match &rules.properties {
        Some(schema) => schema,
        None => {
            empty_schema =
                federa_domain::property_schema::PropertySchema::parse(&json!({"properties": {}}))
                    .map_err(|_| ApiError::internal("the empty property schema does not parse"))?;
            &empty_schema
        }
    };
    let mut change = completion_change(&rules.lifecycle, schema, &service, job, &report).map_err(
        |e| match e {
            CompletionError::Lifecycle(error) => ApiError::field("action", error.to_string()),
            CompletionError::Properties(errors) => under("", errors),
        },
    )?;
    if let Some(properties) = &change.properties {
        check_weight("properties", properties, state.max_properties_bytes)?;
    }
    vault::seal_reported(state, schema, &service, &mut change.properties).await?;
    let initiator = Initiator::of(caller);
    let events = [
        job_event("job.completed", initiator.clone(), job, json!({})),
        transition_event(initiator, job, &service, &change.status),
    ];
    let terminal = rules.lifecycle.is_terminal(&change.status);
    let finish = JobFinish {
        job_id: job.id,
        service_id: service.id,
        from: &[JobStatus::Processing],
        to: JobStatus::Completed,
        error_message: None,
        outcome_digest: None,
        service: change,
        at: clock::now(),
        lapsed_before: None,
        attempt: req.attempt,
        releases_pool_values: terminal,
    };
    Ok((finish, events, service))
}

/// Identifies a completion report: the same report sent again gives the
/// same digest, any other a different one. Salted with the job's id.
fn completion_digest(job_id: Uuid, req: &CompleteJobReq) -> String {
    let report = json!({
        "agentInstanceId": req.agent_instance_id,
        "agentInstanceData": req.agent_instance_data,
        "properties": req.properties,
    });
    let mut hasher = Sha256::new();
    hasher.update(job_id.as_bytes());
    hasher.update(canonical(&report).as_bytes());
    format!("{:x}", hasher.finalize())
}

/// JSON text with object members in name order, whatever order they came in.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(members) => {
            let mut names: Vec<&String> = members.keys().collect();
            names.sort();
            let inner: Vec<String> = names
                .into_iter()
                .map(|name| {
                    format!(
                        "{}:{}",
                        Value::from(name.as_str()),
                        canonical(&members[name])
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(canonical).collect::<Vec<_>>().join(",")
            )
        }
        other => other.to_string(),
    }
}

/// A report that could not be applied: if the job has meanwhile left
/// `Processing`, the verdict on its recorded outcome answers; else `error`.
async fn settle_or(
    state: &AppState,
    id: Uuid,
    attempt: Option<i32>,
    verdict: &impl Fn(&Job) -> Verdict,
    error: ApiError,
) -> ApiResult<StatusCode> {
    match state.store.job(id).await? {
        Some(job) if job.status != JobStatus::Processing => {
            settle(state, id, attempt, verdict).await
        }
        _ => Err(error),
    }
}

/// Report failure; the service moves by the lifecycle's error transitions.
/// Failing a still-pending job is its agent refusing it. Repeating the same
/// report answers 204 again; a different outcome is a 409.
#[utoipa::path(post, path = "/jobs/{id}/fail", tag = "Jobs", params(("id" = Uuid, Path)), request_body = FailJobReq,
    responses((status = 204), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404), (status = 409, body = crate::routes::ErrorRes)))]
async fn fail(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    // An agent's report is kept whatever its text holds: U+0000, which the
    // database cannot store, becomes U+FFFD instead of refusing the report.
    let req: FailJobReq = crate::extract::decode_allowing_nul(&body)?;
    let job = load(&state, &caller, id, Action::Fail).await?;
    check_attempt(&job, req.attempt)?;
    let message = req.error_message.replace('\0', "\u{FFFD}");
    match fail_verdict(job.status, job.error_message.as_deref(), &message) {
        Verdict::Apply => {}
        Verdict::AlreadyDone => return Ok(StatusCode::NO_CONTENT),
        Verdict::Conflict(conflict) => return Err(ApiError::Conflict(conflict.into())),
    }
    let from = &[JobStatus::Processing, JobStatus::Pending];
    let failed = record_failure(
        &state,
        &job,
        Initiator::of(&caller),
        &message,
        from,
        None,
        req.attempt,
    )
    .await?;
    if !failed {
        return settle(&state, id, req.attempt, |job| {
            fail_verdict(job.status, job.error_message.as_deref(), &message)
        })
        .await;
    }
    Ok(StatusCode::NO_CONTENT)
}
