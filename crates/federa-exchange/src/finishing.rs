//! Finishing a job: an agent's report of success or failure, and a lapsed
//! lease failed by policy, all end in [`finish_job`], which writes the
//! job's outcome with its service's move and then takes the effects that
//! follow every finish: the agent's next job is woken, the secrets the job
//! leaves behind are released, and the service's composition and switch
//! move on.
//!
//! Reports are idempotent: the same report sent again (however many arrive
//! at once) is answered as done, a different outcome for a finished job is
//! a conflict, and a report from a claim that a later claim superseded is
//! refused.

use chrono::{DateTime, Utc};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::exchange::switching::ERASED_STATUS;
use federa_domain::property_schema::{check_weight, json_weight, PropertySchema};
use federa_domain::provisioning::{
    complete_verdict, completion_change, fail_verdict, failure_change, CompletionError,
    CompletionReport, Job, JobStatus, Service, Verdict,
};
use federa_store::provisioning::JobFinish;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::clock;
use crate::error::{under, ExchangeError, ExchangeResult};
use crate::job_events::{job_event, transition_event};
use crate::type_rules::type_rules;
use crate::Exchange;

/// Longer than any platform's id for a machine or a container.
const MAX_AGENT_INSTANCE_ID_CHARS: usize = 1000;

/// Writes `finish` with its `events` and, when this call finished the job,
/// takes what follows every finish. `false` when the job had already left
/// the states `finish` moves it from (another report or sweep won).
pub async fn finish_job(
    exchange: &Exchange,
    job: &Job,
    service: &Service,
    finish: &JobFinish,
    events: &[NewEvent],
) -> ExchangeResult<bool> {
    if !exchange.store.finish_job(finish, events).await? {
        return Ok(false);
    }
    // The next job of the service group may now be handed out.
    exchange.dispatch.wake(job.agent_id);
    crate::secrets::job_finished(
        exchange,
        job,
        service,
        finish.service.properties.as_ref(),
        finish.releases_pool_values,
    )
    .await;
    crate::composing::after_job(exchange, job.service_id).await;
    crate::switching::after_job(exchange, job.service_id).await;
    crate::orders::after_job(exchange, job, finish.to, finish.error_message.as_deref()).await;
    Ok(true)
}

/// Refuses a heartbeat or report from a claim that a later claim of the
/// job superseded: its lease lapsed and the job went to another worker.
pub fn check_attempt(job: &Job, attempt: Option<i32>) -> ExchangeResult<()> {
    match attempt {
        Some(attempt) if attempt != job.attempts => Err(ExchangeError::Conflict(format!(
            "claim {attempt} of this job lapsed and was superseded by claim {}",
            job.attempts
        ))),
        _ => Ok(()),
    }
}

/// Records `job`'s success as `report` says, from the claim `attempt`.
/// Answers `Ok` also when the same report was already recorded.
pub async fn complete(
    exchange: &Exchange,
    initiator: Initiator,
    job: &Job,
    report: CompletionReport,
    attempt: Option<i32>,
) -> ExchangeResult<()> {
    let digest = completion_digest(job.id, &report);
    let verdict = |job: &Job| complete_verdict(job.status, job.outcome_digest.as_deref(), &digest);
    check_attempt(job, attempt)?;
    match verdict(job) {
        Verdict::Apply => {}
        Verdict::AlreadyDone => return Ok(()),
        Verdict::Conflict(message) => return Err(ExchangeError::Conflict(message.into())),
    }
    let result = report.result.clone();
    let prepared = prepare_completion(exchange, initiator, job, report, attempt).await;
    let (finish, events, service) = match prepared {
        Ok(prepared) => prepared,
        // A concurrent report may have finished the job (and moved its
        // service) since it was read: judge this one against that outcome.
        Err(error) => return settle_or(exchange, job.id, attempt, &verdict, error).await,
    };
    let finish = JobFinish {
        outcome_digest: Some(digest.clone()),
        result: result.clone(),
        ..finish
    };
    if !finish_job(exchange, job, &service, &finish, &events).await? {
        return settle(exchange, job.id, attempt, verdict).await;
    }
    Ok(())
}

/// Records `job`'s failure with `message`, from the claim `attempt`;
/// failing a still-pending job is its agent refusing it. Answers `Ok` also
/// when the same failure was already recorded.
pub async fn fail(
    exchange: &Exchange,
    initiator: Initiator,
    job: &Job,
    message: &str,
    attempt: Option<i32>,
) -> ExchangeResult<()> {
    check_attempt(job, attempt)?;
    match fail_verdict(job.status, job.error_message.as_deref(), message) {
        Verdict::Apply => {}
        Verdict::AlreadyDone => return Ok(()),
        Verdict::Conflict(conflict) => return Err(ExchangeError::Conflict(conflict.into())),
    }
    let from = &[JobStatus::Processing, JobStatus::Pending];
    let failed = record_failure(exchange, job, initiator, message, from, None, attempt).await?;
    if !failed {
        return settle(exchange, job.id, attempt, |job| {
            fail_verdict(job.status, job.error_message.as_deref(), message)
        })
        .await;
    }
    Ok(())
}

/// Answers a report that lost a race by looking at what was recorded.
async fn settle(
    exchange: &Exchange,
    id: Uuid,
    attempt: Option<i32>,
    verdict: impl Fn(&Job) -> Verdict,
) -> ExchangeResult<()> {
    let job = exchange
        .store
        .job(id)
        .await?
        .ok_or(ExchangeError::NotFound { what: "job" })?;
    check_attempt(&job, attempt)?;
    match verdict(&job) {
        Verdict::AlreadyDone => Ok(()),
        Verdict::Conflict(message) => Err(ExchangeError::Conflict(message.into())),
        Verdict::Apply => Err(ExchangeError::Conflict(
            "the job changed meanwhile; retry".into(),
        )),
    }
}

/// A report that could not be applied: if the job has meanwhile left
/// `Processing`, the verdict on its recorded outcome answers; else `error`.
async fn settle_or(
    exchange: &Exchange,
    id: Uuid,
    attempt: Option<i32>,
    verdict: &impl Fn(&Job) -> Verdict,
    error: ExchangeError,
) -> ExchangeResult<()> {
    match exchange.store.job(id).await? {
        Some(job) if job.status != JobStatus::Processing => {
            settle(exchange, id, attempt, verdict).await
        }
        _ => Err(error),
    }
}

/// What completing `job` with `report` writes: the job's finish, its events
/// and the service as it was read.
async fn prepare_completion(
    exchange: &Exchange,
    initiator: Initiator,
    job: &Job,
    report: CompletionReport,
    attempt: Option<i32>,
) -> ExchangeResult<(JobFinish, [NewEvent; 2], Service)> {
    let service = exchange
        .store
        .service(job.service_id)
        .await?
        .ok_or(ExchangeError::NotFound { what: "service" })?;
    let rules = type_rules(exchange, service.service_type_id, "serviceTypeId").await?;
    if report
        .agent_instance_id
        .as_ref()
        .is_some_and(|id| id.chars().count() > MAX_AGENT_INSTANCE_ID_CHARS)
    {
        return Err(ExchangeError::field(
            "agentInstanceId",
            format!("must be at most {MAX_AGENT_INSTANCE_ID_CHARS} characters"),
        ));
    }
    if let Some(data) = &report.agent_instance_data {
        let weight = json_weight(data);
        if weight > exchange.max_properties_bytes {
            return Err(ExchangeError::field(
                "agentInstanceData",
                format!(
                    "must weigh at most {} bytes as JSON, got {weight}",
                    exchange.max_properties_bytes
                ),
            ));
        }
    }
    let empty_schema;
    let schema = match &rules.properties {
        Some(schema) => schema,
        None => {
            empty_schema = PropertySchema::parse(&json!({"properties": {}}))
                .map_err(|_| ExchangeError::internal("the empty property schema does not parse"))?;
            &empty_schema
        }
    };
    let mut change = completion_change(&rules.lifecycle, schema, &service, job, &report).map_err(
        |e| match e {
            CompletionError::Lifecycle(error) => ExchangeError::field("action", error.to_string()),
            CompletionError::Properties(errors) => under("", errors),
        },
    )?;
    if let Some(properties) = &change.properties {
        check_weight("properties", properties, exchange.max_properties_bytes)?;
    }
    crate::secrets::seal_reported(exchange, schema, &service, &mut change.properties).await?;
    let events = [
        job_event(EventKind::JobCompleted, initiator.clone(), job, json!({})),
        transition_event(initiator, job, &service, &change.status),
    ];
    let terminal = rules.lifecycle.is_terminal(&change.status) || change.status == ERASED_STATUS;
    let finish = JobFinish {
        job_id: job.id,
        service_id: service.id,
        from: &[JobStatus::Processing],
        to: JobStatus::Completed,
        error_message: None,
        outcome_digest: None,
        result: None,
        service: change,
        at: clock::now(),
        lapsed_before: None,
        attempt,
        releases_pool_values: terminal,
    };
    Ok((finish, events, service))
}

/// Fails `job` with `message` if it is still in one of `from`, moving its
/// service by the lifecycle's error transitions. `false` when the job had
/// already left those states (or, with `lapsed_before`, its lease was
/// renewed, or with `attempt`, a later claim superseded that one). Shared
/// by agents' reports and lapsed leases.
pub async fn record_failure(
    exchange: &Exchange,
    job: &Job,
    initiator: Initiator,
    message: &str,
    from: &'static [JobStatus],
    lapsed_before: Option<DateTime<Utc>>,
    attempt: Option<i32>,
) -> ExchangeResult<bool> {
    let service = exchange
        .store
        .service(job.service_id)
        .await?
        .ok_or(ExchangeError::NotFound { what: "service" })?;
    let rules = type_rules(exchange, service.service_type_id, "serviceTypeId").await?;
    let change = failure_change(&rules.lifecycle, &service, job, message);
    let events = [
        job_event(
            EventKind::JobFailed,
            initiator.clone(),
            job,
            json!({"errorMessage": message}),
        ),
        transition_event(initiator, job, &service, &change.status),
    ];
    let terminal = rules.lifecycle.is_terminal(&change.status);
    let finish = JobFinish {
        job_id: job.id,
        service_id: service.id,
        from,
        to: JobStatus::Failed,
        error_message: Some(message.to_string()),
        outcome_digest: None,
        result: None,
        service: change,
        at: clock::now(),
        lapsed_before,
        attempt,
        releases_pool_values: terminal,
    };
    finish_job(exchange, job, &service, &finish, &events).await
}

/// Identifies a completion report: the same report sent again gives the
/// same digest, any other a different one. Salted with the job's id.
fn completion_digest(job_id: Uuid, report: &CompletionReport) -> String {
    let mut described = json!({
        "agentInstanceId": report.agent_instance_id,
        "agentInstanceData": report.agent_instance_data,
        "properties": report.properties,
    });
    // Only when present, so reports without one keep the digests they had.
    if let Some(result) = &report.result {
        described["result"] = result.clone();
    }
    let report = described;
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
