use std::collections::hash_map::Entry;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use federa_domain::access::{Action, Identity, Object};
use federa_domain::event::Initiator;
use federa_domain::listing::{FieldError, Page};
use federa_domain::provisioning::{CompletionReport, Job, JobStatus, JOB_LIST};
use federa_exchange::finishing::{self, Outcome, Report, MAX_REPORTS};
use federa_exchange::{leases, long_poll};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::jobs::{
    ClaimNextReq, CompleteJobReq, FailJobReq, FinishJobReq, FinishJobsReq, FinishJobsRes,
    FinishedJobRes, HeartbeatReq, JobOutcome, LeaseRes, CLAIM_ATTEMPT_HEADER,
};

use crate::auth::Caller;
use crate::authorized::fetch_authorized;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::routes::documented::{Conflicting, Invalid, Missing, Paging, Refused};
use crate::routes::PageRes;
use crate::state::AppState;
use federa_api::jobs::JobRes;

/// The longest `wait` a long-poll may ask for.
pub const MAX_WAIT: Duration = Duration::from_secs(60);
const DEFAULT_PENDING_LIMIT: u32 = 10;
const MAX_PENDING_LIMIT: u32 = 100;

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
        .routes(routes!(finish))
}

async fn load(state: &AppState, caller: &Identity, id: Uuid, action: Action) -> ApiResult<Job> {
    fetch_authorized(
        caller,
        Object::Job,
        action,
        state.store.job(id),
        Job::owners,
    )
    .await
}

/// List jobs.
#[utoipa::path(get, path = "/jobs", tag = "Jobs",
    params(Paging,
        ("action" = Option<String>, Query), ("status" = Option<JobStatus>, Query), ("agentId" = Option<Uuid>, Query), ("serviceId" = Option<Uuid>, Query)),
    responses((status = 200, body = PageRes<JobRes>), Invalid, Refused))]
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
    responses((status = 200, body = JobRes), Refused, Missing))]
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
    responses((status = 200, body = Vec<JobRes>), Invalid, Refused, (status = 429, body = crate::routes::ErrorRes, description = "the agent already holds the most long-polls it may")))]
async fn pending(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Vec<JobRes>>> {
    caller.may(Object::Job, Action::GetPending)?;
    let agent_id = caller
        .agent_id()
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
    let jobs =
        long_poll::pending_jobs(&state, agent_id, limit, wait, state.closing.closed()).await?;
    Ok(Json(
        jobs.into_iter()
            .map(|(job, service)| JobRes::new(job, Some(service)))
            .collect(),
    ))
}

/// Claim a pending job. Exactly one of any number of concurrent claims wins;
/// the others get 409. The claim is a lease of the server's lease duration,
/// running from when the claim holds its locks, renewed with
/// `POST /jobs/{id}/heartbeat`; the `Federa-Claim-Attempt` header names it.
#[utoipa::path(post, path = "/jobs/{id}/claim", tag = "Jobs", params(("id" = Uuid, Path)),
    responses((status = 204, headers(("Federa-Claim-Attempt" = i32, description = "the claim granted, to send back as `attempt`"))), Refused, Missing, Conflicting))]
async fn claim(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<impl IntoResponse> {
    let job = load(&state, &caller, id, Action::Claim).await?;
    let attempt = leases::claim(&state, Initiator::of(&caller), &job).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(CLAIM_ATTEMPT_HEADER, attempt.to_string())],
    ))
}

/// Claim up to `limit` of the calling agent's pending jobs in one call
/// (at most one per service group) and return them.
#[utoipa::path(post, path = "/jobs/claim", tag = "Jobs", request_body(content = Option<ClaimNextReq>),
    responses((status = 200, body = Vec<JobRes>), Invalid, Refused))]
async fn claim_next(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: axum::body::Bytes,
) -> ApiResult<Json<Vec<JobRes>>> {
    caller.may(Object::Job, Action::Claim)?;
    let agent_id = caller
        .agent_id()
        .ok_or_else(|| ApiError::Forbidden("only agents claim jobs".into()))?;
    let req: ClaimNextReq = crate::extract::decode_optional(&body)?;
    let limit = req.limit.unwrap_or(1);
    if !(1..=MAX_PENDING_LIMIT).contains(&limit) {
        return Err(ApiError::field("limit", "must be from 1 to 100"));
    }
    let claimed = leases::claim_next(&state, Initiator::of(&caller), agent_id, limit).await?;
    Ok(Json(
        claimed
            .into_iter()
            .map(|(job, service)| JobRes::new(job, Some(service)))
            .collect(),
    ))
}

/// Renew the lease on a job the agent is working on.
#[utoipa::path(post, path = "/jobs/{id}/heartbeat", tag = "Jobs", params(("id" = Uuid, Path)), request_body(content = Option<HeartbeatReq>),
    responses((status = 200, body = LeaseRes), Invalid, Refused, Missing, Conflicting))]
async fn heartbeat(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    body: axum::body::Bytes,
) -> ApiResult<Json<LeaseRes>> {
    let job = load(&state, &caller, id, Action::Complete).await?;
    let req: HeartbeatReq = crate::extract::decode_optional(&body)?;
    let lease_expires_at = leases::renew(&state, &job, req.attempt).await?;
    Ok(Json(LeaseRes { lease_expires_at }))
}

/// Report success. Repeating the same report answers 204 again, however
/// many arrive at once; another report for a completed job, or completing a
/// failed one, is a 409.
#[utoipa::path(post, path = "/jobs/{id}/complete", tag = "Jobs", params(("id" = Uuid, Path)), request_body = CompleteJobReq,
    responses((status = 204), Invalid, Refused, Missing, Conflicting))]
async fn complete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<CompleteJobReq>,
) -> ApiResult<StatusCode> {
    let job = load(&state, &caller, id, Action::Complete).await?;
    let attempt = req.attempt;
    let report = completion_report(req);
    finishing::complete(&state, Initiator::of(&caller), &job, report, attempt).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A completion as the exchange records it.
fn completion_report(req: CompleteJobReq) -> CompletionReport {
    let result = switch_result(&req);
    CompletionReport {
        agent_instance_id: req.agent_instance_id,
        agent_instance_data: req.agent_instance_data,
        properties: req.properties,
        result,
    }
}

/// What a switch's job reports beyond the service's properties, kept with
/// the job for the switch to read: `{"exported": …}`, `{"imported": …}` or
/// `{"erased": …}`.
fn switch_result(req: &CompleteJobReq) -> Option<serde_json::Value> {
    let reported = [
        ("exported", req.exported.as_ref().map(serde_json::to_value)),
        ("imported", req.imported.as_ref().map(serde_json::to_value)),
        ("erased", req.erased.as_ref().map(serde_json::to_value)),
    ];
    let result: serde_json::Map<String, serde_json::Value> = reported
        .into_iter()
        .filter_map(|(field, value)| Some((field.to_owned(), value?.ok()?)))
        .collect();
    (!result.is_empty()).then_some(serde_json::Value::Object(result))
}

/// Report failure; the service moves by the lifecycle's error transitions.
/// Failing a still-pending job is its agent refusing it. Repeating the same
/// report answers 204 again; a different outcome is a 409.
#[utoipa::path(post, path = "/jobs/{id}/fail", tag = "Jobs", params(("id" = Uuid, Path)), request_body = FailJobReq,
    responses((status = 204), Invalid, Refused, Missing, Conflicting))]
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
    let message = kept_message(&req.error_message);
    finishing::fail(&state, Initiator::of(&caller), &job, &message, req.attempt).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A failure's message as it is kept: U+0000, which the database cannot
/// store, becomes U+FFFD.
fn kept_message(message: &str) -> String {
    message.replace('\0', "\u{FFFD}")
}

/// Report several jobs' outcomes at once (a Federa extension, for agents).
/// Each report is judged as `POST /jobs/{id}/complete` or `/jobs/{id}/fail`
/// judges it, and answered on its own with the status that endpoint would
/// give (204 when finished; a repeat of a recorded report is 204 again);
/// the finishes, with their services' moves and events, are written in one
/// transaction, and a refused report leaves the others recorded. A body
/// that does not hold 1 to 100 well-formed reports on distinct jobs is a
/// 400 naming each failing field by its index (`jobs[3].errorMessage`).
#[utoipa::path(post, path = "/jobs/finish", tag = "Jobs", request_body = FinishJobsReq,
    responses((status = 200, body = FinishJobsRes), Invalid, Refused))]
async fn finish(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: axum::body::Bytes,
) -> ApiResult<Json<FinishJobsRes>> {
    caller.may(Object::Job, Action::Complete)?;
    if caller.agent_id().is_none() {
        return Err(ApiError::Forbidden("only agents report jobs".into()));
    }
    let req: FinishJobsReq = crate::extract::decode(&with_kept_messages(&body))?;
    check_reports(&req.jobs)?;
    let mut answers: Vec<Option<FinishedJobRes>> = req.jobs.iter().map(|_| None).collect();
    let mut reports = Vec::new();
    let mut indices = Vec::new();
    for (index, item) in req.jobs.into_iter().enumerate() {
        let (action, outcome) = match item.outcome {
            JobOutcome::Completed => (
                Action::Complete,
                Outcome::Completed(completion_report(item.completion())),
            ),
            JobOutcome::Failed => (
                Action::Fail,
                Outcome::Failed(item.error_message.clone().unwrap_or_default()),
            ),
        };
        match load(&state, &caller, item.job_id, action).await {
            Ok(job) => {
                indices.push((index, item.job_id));
                reports.push(Report {
                    job,
                    outcome,
                    attempt: item.attempt,
                });
            }
            Err(error) => answers[index] = Some(answer(index, item.job_id, Err(error))),
        }
    }
    let recorded = finishing::record_reports(&state, Initiator::of(&caller), reports).await?;
    for ((index, job_id), recorded) in indices.into_iter().zip(recorded) {
        answers[index] = Some(answer(index, job_id, recorded.map_err(ApiError::from)));
    }
    Ok(Json(FinishJobsRes {
        jobs: answers.into_iter().flatten().collect(),
    }))
}

/// The body with U+0000 in each report's `errorMessage` kept as U+FFFD,
/// as `/jobs/{id}/fail` keeps it; anywhere else it is refused.
fn with_kept_messages(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    const ESCAPED: &[u8] = b"\\u0000";
    if !body.windows(ESCAPED.len()).any(|w| w == ESCAPED) {
        return std::borrow::Cow::Borrowed(body);
    }
    let Ok(mut document) = serde_json::from_slice::<serde_json::Value>(body) else {
        return std::borrow::Cow::Borrowed(body);
    };
    let items = document
        .get_mut("jobs")
        .and_then(serde_json::Value::as_array_mut);
    for item in items.into_iter().flatten() {
        if let Some(serde_json::Value::String(message)) = item.get_mut("errorMessage") {
            *message = kept_message(message);
        }
    }
    std::borrow::Cow::Owned(serde_json::to_vec(&document).unwrap_or_else(|_| body.to_vec()))
}

/// Refuses a batch that is empty, too long, names a job twice, or has a
/// report whose outcome and `errorMessage` disagree, naming every such
/// field by its index.
fn check_reports(jobs: &[FinishJobReq]) -> ApiResult<()> {
    if jobs.is_empty() || jobs.len() > MAX_REPORTS {
        return Err(ApiError::field(
            "jobs",
            format!("must hold 1 to {MAX_REPORTS} reports, got {}", jobs.len()),
        ));
    }
    let mut errors = Vec::new();
    for (index, item) in jobs.iter().enumerate() {
        let at = |field: &str| format!("jobs[{index}].{field}");
        if let Some(first) = jobs[..index].iter().position(|j| j.job_id == item.job_id) {
            errors.push(FieldError::new(
                at("jobId"),
                format!("names the job of jobs[{first}] again"),
            ));
        }
        let completion_fields = [
            ("agentInstanceId", item.agent_instance_id.is_some()),
            ("agentInstanceData", item.agent_instance_data.is_some()),
            ("properties", item.properties.is_some()),
            ("exported", item.exported.is_some()),
            ("imported", item.imported.is_some()),
            ("erased", item.erased.is_some()),
        ];
        match (item.outcome, &item.error_message) {
            (JobOutcome::Failed, None) => errors.push(FieldError::new(
                at("errorMessage"),
                "is required when outcome is failed",
            )),
            (JobOutcome::Failed, Some(_)) => {
                for (field, _) in completion_fields.iter().filter(|(_, given)| *given) {
                    errors.push(FieldError::new(
                        at(field),
                        "is a completion's field; this outcome is failed",
                    ));
                }
            }
            (JobOutcome::Completed, Some(_)) => errors.push(FieldError::new(
                at("errorMessage"),
                "is only for outcome failed",
            )),
            (JobOutcome::Completed, None) => {}
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(errors))
    }
}

/// Report `index`'s answer: refusals as their envelope, with each failing
/// field named under the report's index.
fn answer(index: usize, job_id: Uuid, outcome: ApiResult<()>) -> FinishedJobRes {
    let error = match outcome {
        Ok(()) => {
            return FinishedJobRes {
                job_id,
                code: StatusCode::NO_CONTENT.as_u16(),
                refused: None,
            }
        }
        Err(ApiError::Invalid(errors)) => ApiError::Invalid(
            errors
                .into_iter()
                .map(|e| e.under(&format!("jobs[{index}]")))
                .collect(),
        ),
        Err(error) => error,
    };
    let (status, envelope) = error.envelope();
    FinishedJobRes {
        job_id,
        code: status.as_u16(),
        refused: serde_json::from_value(envelope).ok(),
    }
}
