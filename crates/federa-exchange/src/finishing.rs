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
//!
//! An agent's reports arrive one at a time or several at once; either way
//! they go through [`record_reports`], which writes the finishes of one
//! call in one transaction and answers each report on its own.

use chrono::{DateTime, Utc};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::exchange::switching::ERASED_STATUS;
use federa_domain::property_schema::{check_weight, json_weight, PropertySchema};
use federa_domain::provisioning::{
    complete_verdict, completion_change, fail_verdict, failure_change, CompletionError,
    CompletionReport, Job, JobStatus, Service, Verdict,
};
use federa_store::provisioning::{JobFinish, ServiceTies};
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
    after_finish(exchange, job, service, finish).await;
    Ok(true)
}

/// What follows every finish: the agent's next job is woken, the secrets
/// the job leaves behind are released, the service's composition, switch
/// and order move on, and a service that ended lowers its budgets' alerts.
async fn after_finish(exchange: &Exchange, job: &Job, service: &Service, finish: &JobFinish) {
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
    let ties = exchange
        .store
        .service_ties(job.service_id)
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(?error, service_id = %job.service_id, "cannot read what the service takes part in; every effect looks");
            ServiceTies::ALL
        });
    if ties.composition {
        crate::composing::after_job(exchange, job.service_id).await;
    }
    if ties.switch {
        crate::switching::after_job(exchange, job.service_id).await;
    }
    if ties.order {
        crate::orders::after_job(exchange, job).await;
    }
    if finish.releases_pool_values {
        crate::budgets::after_service_ended(exchange, job.consumer_id, job.group_id).await;
    }
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

/// How an agent says a job ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Completed(CompletionReport),
    /// Failed with this message; failing a still-pending job is its agent
    /// refusing it.
    Failed(String),
}

/// An agent's report of one job's outcome, from the claim `attempt`.
#[derive(Debug, Clone)]
pub struct Report {
    pub job: Job,
    pub outcome: Outcome,
    pub attempt: Option<i32>,
}

/// The most reports [`record_reports`] takes at once.
pub const MAX_REPORTS: usize = 100;

/// Records `job`'s success as `report` says, from the claim `attempt`.
/// Answers `Ok` also when the same report was already recorded.
pub async fn complete(
    exchange: &Exchange,
    initiator: Initiator,
    job: &Job,
    report: CompletionReport,
    attempt: Option<i32>,
) -> ExchangeResult<()> {
    record_one(
        exchange,
        initiator,
        job,
        Outcome::Completed(report),
        attempt,
    )
    .await
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
    let outcome = Outcome::Failed(message.to_string());
    record_one(exchange, initiator, job, outcome, attempt).await
}

async fn record_one(
    exchange: &Exchange,
    initiator: Initiator,
    job: &Job,
    outcome: Outcome,
    attempt: Option<i32>,
) -> ExchangeResult<()> {
    let report = Report {
        job: job.clone(),
        outcome,
        attempt,
    };
    let mut answers = record_reports(exchange, initiator, vec![report]).await?;
    answers
        .pop()
        .unwrap_or_else(|| Err(ExchangeError::internal("a report went unanswered")))
}

/// Records each of `reports` (at most [`MAX_REPORTS`]): the finishes they
/// make, with their services' moves and events, are written in one
/// transaction, each on its own, so one refused leaves the others
/// recorded. Each report's answer, in order: `Ok` when it finished its job
/// or the same report was already recorded. `Err` as a whole only when
/// the write failed; the reports of that write are then unrecorded and
/// may be sent again.
///
/// Reports on jobs of one service are written one transaction after
/// another, each prepared from the service as the one before left it.
pub async fn record_reports(
    exchange: &Exchange,
    initiator: Initiator,
    reports: Vec<Report>,
) -> ExchangeResult<Vec<ExchangeResult<()>>> {
    if reports.len() > MAX_REPORTS {
        return Err(ExchangeError::field(
            "jobs",
            format!("must hold at most {MAX_REPORTS} reports"),
        ));
    }
    let mut answers: Vec<Option<ExchangeResult<()>>> = reports.iter().map(|_| None).collect();
    let mut waiting: Vec<(usize, Report)> = reports.into_iter().enumerate().collect();
    while !waiting.is_empty() {
        // One report per service in each write.
        let mut round = Vec::new();
        let mut later = Vec::new();
        for (index, report) in waiting {
            let taken = round
                .iter()
                .any(|(_, r): &(usize, Report)| r.job.service_id == report.job.service_id);
            if taken {
                later.push((index, report));
            } else {
                round.push((index, report));
            }
        }
        waiting = later;
        let mut prepared = Vec::new();
        for (index, report) in round {
            match prepare_report(exchange, initiator.clone(), report).await {
                Prepared::Answered(answer) => answers[index] = Some(answer),
                Prepared::Write(write) => prepared.push((index, *write)),
            }
        }
        if prepared.is_empty() {
            continue;
        }
        let finishes: Vec<(JobFinish, Vec<NewEvent>)> = prepared
            .iter()
            .map(|(_, w)| (w.finish.clone(), w.events.clone()))
            .collect();
        let written = exchange.store.finish_jobs(&finishes).await?;
        for ((index, write), written) in prepared.into_iter().zip(written) {
            let answer = match written {
                Ok(true) => {
                    after_finish(exchange, &write.report.job, &write.service, &write.finish).await;
                    Ok(())
                }
                // Another report or sweep finished the job since it was read.
                Ok(false) => settle(exchange, &write.report).await,
                Err(error) => Err(error.into()),
            };
            answers[index] = Some(answer);
        }
    }
    Ok(answers
        .into_iter()
        .map(|answer| {
            answer.unwrap_or_else(|| Err(ExchangeError::internal("a report went unanswered")))
        })
        .collect())
}

/// A report as it stands before the write.
enum Prepared {
    /// Answered without writing: repeated, refused or invalid.
    Answered(ExchangeResult<()>),
    Write(Box<Write>),
}

/// What recording a report writes.
struct Write {
    report: Report,
    finish: JobFinish,
    events: Vec<NewEvent>,
    /// The service as it was read.
    service: Service,
}

impl Report {
    /// This report judged against `job` as recorded.
    fn verdict(&self, job: &Job) -> Verdict {
        match &self.outcome {
            Outcome::Completed(report) => complete_verdict(
                job.status,
                job.outcome_digest.as_deref(),
                &completion_digest(job.id, report),
            ),
            Outcome::Failed(message) => {
                fail_verdict(job.status, job.error_message.as_deref(), message)
            }
        }
    }
}

async fn prepare_report(exchange: &Exchange, initiator: Initiator, report: Report) -> Prepared {
    let job = &report.job;
    if let Err(error) = check_attempt(job, report.attempt) {
        return Prepared::Answered(Err(error));
    }
    match report.verdict(job) {
        Verdict::Apply => {}
        Verdict::AlreadyDone => return Prepared::Answered(Ok(())),
        Verdict::Conflict(message) => {
            return Prepared::Answered(Err(ExchangeError::Conflict(message.into())))
        }
    }
    let prepared = match &report.outcome {
        Outcome::Completed(completion) => {
            let digest = completion_digest(job.id, completion);
            let result = completion.result.clone();
            let prepared =
                prepare_completion(exchange, initiator, job, completion.clone(), report.attempt)
                    .await;
            match prepared {
                Ok((finish, events, service)) => Ok((
                    JobFinish {
                        outcome_digest: Some(digest),
                        result,
                        ..finish
                    },
                    events,
                    service,
                )),
                // A concurrent report may have finished the job (and moved
                // its service) since it was read: judge this one against
                // that outcome.
                Err(error) => return Prepared::Answered(settle_or(exchange, &report, error).await),
            }
        }
        Outcome::Failed(message) => {
            let from = &[JobStatus::Processing, JobStatus::Pending];
            prepare_failure(
                exchange,
                job,
                initiator,
                message,
                from,
                None,
                report.attempt,
            )
            .await
        }
    };
    match prepared {
        Ok((finish, events, service)) => Prepared::Write(Box::new(Write {
            report,
            finish,
            events: events.to_vec(),
            service,
        })),
        Err(error) => Prepared::Answered(Err(error)),
    }
}

/// Answers a report that lost a race by looking at what was recorded.
async fn settle(exchange: &Exchange, report: &Report) -> ExchangeResult<()> {
    let job = exchange
        .store
        .job(report.job.id)
        .await?
        .ok_or(ExchangeError::NotFound { what: "job" })?;
    check_attempt(&job, report.attempt)?;
    match report.verdict(&job) {
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
    report: &Report,
    error: ExchangeError,
) -> ExchangeResult<()> {
    match exchange.store.job(report.job.id).await? {
        Some(job) if job.status != JobStatus::Processing => settle(exchange, report).await,
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
        group_id: job.group_id,
        agent_id: job.agent_id,
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
    let (finish, events, service) = prepare_failure(
        exchange,
        job,
        initiator,
        message,
        from,
        lapsed_before,
        attempt,
    )
    .await?;
    finish_job(exchange, job, &service, &finish, &events).await
}

/// What failing `job` with `message` writes: the job's finish, its events
/// and the service as it was read.
async fn prepare_failure(
    exchange: &Exchange,
    job: &Job,
    initiator: Initiator,
    message: &str,
    from: &'static [JobStatus],
    lapsed_before: Option<DateTime<Utc>>,
    attempt: Option<i32>,
) -> ExchangeResult<(JobFinish, [NewEvent; 2], Service)> {
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
        group_id: job.group_id,
        agent_id: job.agent_id,
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
    Ok((finish, events, service))
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
