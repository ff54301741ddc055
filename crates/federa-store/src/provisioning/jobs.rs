use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use federa_domain::provisioning::{Job, JobStatus, Service, ServiceChange};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::services::{job_wake, ServiceRow, SERVICE_READ_COLUMNS};
use crate::db::{on_pool, on_pool_again_if_broken, Backend};
use crate::error::{Result, StoreError};
use crate::pools::allocation::release_statements;
use crate::pools::PoolFamily;
use crate::provisioning::job_heads;
use crate::sql::{bind_args, fetch_scoped_page, Arg, ScopeColumns, Where};
use crate::write::{Refusal, Statement};
use crate::Store;

const JOB_COLUMNS: &str = "id, service_id, agent_id, provider_id, consumer_id, group_id, action, params, status, priority, error_message, attempts, claimed_at, lease_expires_at, completed_at, created_at, updated_at, outcome_digest, result";

const SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("provider_id"),
    consumer: Some("consumer_id"),
    agent: Some("agent_id"),
};

#[derive(sqlx::FromRow, Clone)]
struct JobRow {
    id: Uuid,
    service_id: Uuid,
    agent_id: Uuid,
    provider_id: Uuid,
    consumer_id: Uuid,
    group_id: Uuid,
    action: String,
    params: Option<Json<Value>>,
    status: String,
    priority: i32,
    error_message: Option<String>,
    attempts: i32,
    claimed_at: Option<DateTime<Utc>>,
    lease_expires_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    outcome_digest: Option<String>,
    result: Option<Json<Value>>,
}

impl From<JobRow> for Job {
    fn from(row: JobRow) -> Job {
        Job {
            id: row.id,
            service_id: row.service_id,
            agent_id: row.agent_id,
            provider_id: row.provider_id,
            consumer_id: row.consumer_id,
            group_id: row.group_id,
            action: row.action,
            params: row.params.map(|j| j.0),
            // Written only from the enum; an unknown value reads as finished.
            status: JobStatus::parse(&row.status).unwrap_or(JobStatus::Failed),
            priority: row.priority,
            error_message: row.error_message,
            attempts: row.attempts,
            claimed_at: row.claimed_at,
            lease_expires_at: row.lease_expires_at,
            completed_at: row.completed_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            outcome_digest: row.outcome_digest,
            result: row.result.map(|j| j.0),
        }
    }
}

/// A granted claim: its number among the job's claims and its lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub attempt: i32,
    pub claimed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Moves a job to `Completed` or `Failed`, only from one of `from`.
#[derive(Debug, Clone, PartialEq)]
pub struct JobFinish {
    pub job_id: Uuid,
    /// The job's service group and agent, whose next job may change.
    pub group_id: Uuid,
    pub agent_id: Uuid,
    pub service_id: Uuid,
    pub from: &'static [JobStatus],
    pub to: JobStatus,
    pub error_message: Option<String>,
    /// Identifies the completion report, for telling a repeat from a conflict.
    pub outcome_digest: Option<String>,
    /// What the agent reported beyond the service's properties.
    pub result: Option<Value>,
    pub service: ServiceChange,
    pub at: DateTime<Utc>,
    /// Only if the lease lapsed before this instant: a sweep must not fail
    /// a job whose agent renewed the claim meanwhile.
    pub lapsed_before: Option<DateTime<Utc>>,
    /// Only if this claim (the job's `attempts` when it was granted) is
    /// still the latest: a report from a claim that lapsed and was
    /// superseded must not finish the job another claim now holds.
    pub attempt: Option<i32>,
    /// The service reaches a terminal state: its pool values are given back
    /// in the same transaction, so no crash can leave them held.
    pub releases_pool_values: bool,
}

/// Agent `$1`'s jobs `j` that may be handed out: the heads of its service
/// groups (see [`job_heads`]), read in hand-out order from `jobs_heads`
/// and stopped at the limit, so a claim costs the same however long the
/// backlog behind them is.
const CLAIMABLE: &str = "j.agent_id = $1 AND j.head";

/// The order jobs are handed out in.
const HAND_OUT_ORDER: &str = "j.priority DESC, j.created_at, j.id";

/// Claims up to `$2` of agent `$1`'s claimable jobs in one statement, with
/// the lease from `$3` to `$4`, answering them. On PostgreSQL the jobs are
/// locked as they are chosen, skipping any another claim holds, so
/// concurrent claims take different jobs and none waits for another's job
/// rows or fails; a job another claim took since this one's snapshot is rechecked
/// as it is locked and left out. SQLite has one writer, so choosing and
/// updating cannot interleave with another claim.
fn claim_next_sql(postgres: bool) -> String {
    let lock = if postgres {
        " FOR UPDATE OF j SKIP LOCKED"
    } else {
        ""
    };
    let chosen = format!(
        "SELECT j.id AS next_id FROM jobs j WHERE {CLAIMABLE} ORDER BY {HAND_OUT_ORDER} LIMIT $2{lock}"
    );
    let set = "status = 'Processing', head = FALSE, claimed_at = $3, lease_expires_at = $4, attempts = attempts + 1, updated_at = $3";
    if postgres {
        // Chosen once, in a CTE kept apart from the update: as a subquery
        // joined to it, a plan made while few jobs were heads read it on
        // the inner side of a loop, choosing (and locking) again for each
        // head, and one claim took them all.
        format!("WITH chosen AS MATERIALIZED ({chosen}) UPDATE jobs SET {set} FROM chosen WHERE jobs.id = chosen.next_id AND jobs.head RETURNING {JOB_COLUMNS}")
    } else {
        format!("UPDATE jobs SET {set} WHERE id IN ({chosen}) RETURNING {JOB_COLUMNS}")
    }
}

fn status_list(statuses: &[JobStatus]) -> String {
    statuses
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    pub async fn job(&self, id: Uuid) -> Result<Option<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        let row: Option<JobRow> =
            on_pool_again_if_broken!(self.read, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
                .map_err(StoreError::classify)?;
        Ok(row.map(Job::from))
    }

    pub async fn jobs(&self, scope: ListScope, query: &ListQuery) -> Result<Page<Job>> {
        let select = format!("SELECT {JOB_COLUMNS} FROM jobs");
        let page: Page<JobRow> =
            fetch_scoped_page(&self.read, (&select, "jobs", "id"), (scope, SCOPE), query).await?;
        Ok(page.map(Job::from))
    }

    /// The agent's pending jobs: per service group only the first by priority
    /// then age, and none from a group that already has a job in progress.
    pub async fn pending_jobs(&self, agent_id: Uuid, limit: u32) -> Result<Vec<(Job, Service)>> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs j WHERE {CLAIMABLE} ORDER BY {HAND_OUT_ORDER} LIMIT $2"
        );
        let rows: Vec<JobRow> = on_pool_again_if_broken!(self.read, pool => sqlx::query_as(&sql).bind(agent_id).bind(i64::from(limit)).fetch_all(pool).await)
            .map_err(StoreError::classify)?;
        self.with_services(rows.into_iter().map(Job::from).collect())
            .await
    }

    /// Claims up to `limit` of the agent's pending jobs (those
    /// [`Store::pending_jobs`] answers) in one statement and records
    /// `event` of each in the same transaction; the jobs claimed, in
    /// hand-out order, with their services. Concurrent calls claim
    /// different jobs, and one that finds none left answers none.
    ///
    /// The lease runs from a `clock` reading taken as the claim statement
    /// runs, after every lock the claim waits for: on PostgreSQL it waits
    /// for none (job rows another claim holds are skipped, and its events
    /// are numbered after it commits), on SQLite only for the one writer,
    /// before the transaction begins. So a claim that waited on a stalled
    /// peer is never granted already lapsed.
    pub async fn claim_next_jobs(
        &self,
        agent_id: Uuid,
        limit: u32,
        lease: chrono::Duration,
        clock: fn() -> DateTime<Utc>,
        event: &(dyn Fn(&Job) -> NewEvent + Sync),
    ) -> Result<Vec<(Job, Service)>> {
        let postgres = self.backend() == Backend::Postgres;
        let claim = Statement::new(
            claim_next_sql(postgres),
            vec![Arg::Uuid(agent_id), Arg::Int(i64::from(limit))],
        )
        .stamped(clock, vec![chrono::Duration::zero(), lease])
        .returning();
        let row_event = |row: &JobRow| event(&Job::from(row.clone()));
        let rows: Vec<JobRow> = self
            .apply_for_each_row(&[claim], &row_event, clock())
            .await?;
        let mut jobs: Vec<Job> = rows.into_iter().map(Job::from).collect();
        jobs.sort_by(|a, b| {
            (b.priority, a.created_at, a.id).cmp(&(a.priority, b.created_at, b.id))
        });
        self.with_services(jobs).await
    }

    /// Each job with its service, in the jobs' order.
    async fn with_services(&self, jobs: Vec<Job>) -> Result<Vec<(Job, Service)>> {
        let services = self
            .services_by_id(jobs.iter().map(|j| j.service_id))
            .await?;
        Ok(jobs
            .into_iter()
            .filter_map(|job| {
                let service = services.iter().find(|s| s.id == job.service_id)?.clone();
                Some((job, service))
            })
            .collect())
    }

    async fn services_by_id(&self, ids: impl Iterator<Item = Uuid>) -> Result<Vec<Service>> {
        let mut filter = Where::new();
        let placeholders: Vec<String> = ids.map(|id| filter.param(Arg::Uuid(id))).collect();
        if placeholders.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {SERVICE_READ_COLUMNS} FROM services WHERE id IN ({})",
            placeholders.join(", ")
        );
        let rows: Vec<ServiceRow> = on_pool_again_if_broken!(self.read, pool => bind_args!(sqlx::query_as(&sql), &filter.args).fetch_all(pool).await)
            .map_err(StoreError::classify)?;
        Ok(rows.into_iter().map(Service::from).collect())
    }

    /// Claims a pending job for its agent. A conditional update: of any number
    /// of concurrent claims exactly one changes the row and gets its lease.
    ///
    /// The lease is stamped again once the claim's event is recorded, after
    /// the last lock the claim waits for (its job's row; on SQLite the one
    /// writer), so it runs from a `clock` reading taken with every lock
    /// held: a claim that waited on a stalled peer is never granted already
    /// lapsed.
    pub async fn claim_job(
        &self,
        id: Uuid,
        agent_id: Uuid,
        lease: chrono::Duration,
        clock: fn() -> DateTime<Utc>,
        event: &NewEvent,
    ) -> Result<Option<Lease>> {
        let asked_at = clock();
        let claim = Statement::new(
            "UPDATE jobs SET status = 'Processing', head = FALSE, claimed_at = $3, lease_expires_at = $4, attempts = attempts + 1, updated_at = $3 WHERE id = $1 AND agent_id = $2 AND status = 'Pending'",
            vec![
                Arg::Uuid(id),
                Arg::Uuid(agent_id),
                Arg::Time(asked_at),
                Arg::Time(asked_at + lease),
            ],
        )
        .guard();
        let stamp = Statement::new(
            "UPDATE jobs SET claimed_at = $2, lease_expires_at = $3, updated_at = $2 WHERE id = $1 RETURNING attempts, claimed_at, lease_expires_at",
            vec![Arg::Uuid(id)],
        )
        .stamped(clock, vec![chrono::Duration::zero(), lease])
        .after_events()
        .returning();
        let granted: Option<(i32, DateTime<Utc>, DateTime<Utc>)> = self
            .apply_returning(
                &claimed_by_id(claim, id, agent_id, stamp),
                std::slice::from_ref(event),
                asked_at,
            )
            .await?;
        Ok(granted.map(|(attempt, claimed_at, expires_at)| Lease {
            attempt,
            claimed_at,
            expires_at,
        }))
    }

    /// Extends the lease of a job the agent holds; with `attempt`, only if
    /// that claim is still the job's latest.
    pub async fn renew_lease(
        &self,
        id: Uuid,
        agent_id: Uuid,
        attempt: Option<i32>,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        let done = on_pool!(self.write, pool => sqlx::query("UPDATE jobs SET lease_expires_at = $3, updated_at = $4 WHERE id = $1 AND agent_id = $2 AND status = 'Processing' AND ($5 IS NULL OR attempts = $5)")
            .bind(id)
            .bind(agent_id)
            .bind(lease_until)
            .bind(now)
            .bind(attempt)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .map_err(StoreError::classify)?;
        Ok(done == 1)
    }

    /// Finishes a job and applies its effect on the service in one
    /// transaction. `false` when the job was no longer in a `from` state, so
    /// the caller can re-read it and tell a retry from a conflict.
    pub async fn finish_job(&self, finish: &JobFinish, events: &[NewEvent]) -> Result<bool> {
        self.apply_if(&finish_statements(finish), events, finish.at)
            .await
    }

    /// Finishes each job as [`Store::finish_job`] does, all in one
    /// transaction, each on its own: a finish that is refused, or whose job
    /// was no longer in a `from` state, leaves nothing behind while the
    /// others commit. Each finish's answer in order; `Err` only when the
    /// transaction failed, and then none was written.
    pub async fn finish_jobs(
        &self,
        finishes: &[(JobFinish, Vec<NewEvent>)],
    ) -> Result<Vec<Result<bool>>> {
        let parts: Vec<_> = finishes
            .iter()
            .map(|(finish, events)| (finish_statements(finish), events.as_slice(), finish.at))
            .collect();
        self.apply_each(&parts).await
    }

    /// Jobs whose lease ran out before `now`.
    pub async fn expired_leases(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE status = 'Processing' AND lease_expires_at < $1 ORDER BY lease_expires_at LIMIT $2");
        let rows: Vec<JobRow> = on_pool_again_if_broken!(self.read, pool => sqlx::query_as(&sql).bind(now).bind(i64::from(limit)).fetch_all(pool).await)
            .map_err(StoreError::classify)?;
        Ok(rows.into_iter().map(Job::from).collect())
    }

    /// Returns a job whose lease expired to the queue, unless someone
    /// finished or renewed it meanwhile.
    pub async fn requeue_job(
        &self,
        job: &Job,
        now: DateTime<Utc>,
        event: &NewEvent,
    ) -> Result<bool> {
        let requeue = Statement::new(
            "UPDATE jobs SET status = 'Pending', claimed_at = NULL, lease_expires_at = NULL, updated_at = $2 WHERE id = $1 AND status = 'Processing' AND lease_expires_at < $2",
            vec![Arg::Uuid(job.id), Arg::Time(now)],
        )
        .guard();
        let [lock, head] = job_heads::after_requeue(job.group_id, job.agent_id);
        self.apply_if(
            &[requeue, lock, head, job_wake(job.agent_id)],
            std::slice::from_ref(event),
            now,
        )
        .await
    }
}

/// The statements finishing a job: the job's guarded move, its service's
/// change, the pool values a terminal service gives back, and the wake-up
/// of its agent on other replicas.
fn finish_statements(finish: &JobFinish) -> Vec<Statement> {
    let lapsed = if finish.lapsed_before.is_some() {
        " AND lease_expires_at < $8"
    } else {
        ""
    };
    let job_sql = format!(
        "UPDATE jobs SET status = $2, head = FALSE, error_message = $3, completed_at = $4, lease_expires_at = NULL, updated_at = $4, outcome_digest = $6, result = $7 WHERE id = $1 AND ($5 IS NULL OR attempts = $5) AND status IN ({}){lapsed}",
        status_list(finish.from)
    );
    let change = &finish.service;
    let mut sets = Where::new();
    let mut assignments = Vec::new();
    let id = sets.param(Arg::Uuid(finish.service_id));
    for (column, arg) in [
        ("status", Some(Arg::Text(change.status.clone()))),
        ("updated_at", Some(Arg::Time(finish.at))),
        (
            "properties",
            change
                .properties
                .clone()
                .map(|p| Arg::Json(Value::Object(p))),
        ),
        (
            "agent_instance_data",
            change.agent_instance_data.clone().map(Arg::Json),
        ),
    ] {
        if let Some(arg) = arg {
            assignments.push(format!("{column} = {}", sets.param(arg)));
        }
    }
    match &change.agent_instance_id {
        Some(Some(instance)) => assignments.push(format!(
            "agent_instance_id = {}",
            sets.param(Arg::Text(instance.clone()))
        )),
        Some(None) => assignments.push("agent_instance_id = NULL".into()),
        None => {}
    }
    let service_sql = format!(
        "UPDATE services SET {} WHERE id = {id}",
        assignments.join(", ")
    );
    let mut job_args = vec![
        Arg::Uuid(finish.job_id),
        Arg::Text(finish.to.as_str().into()),
        Arg::OptText(finish.error_message.clone()),
        Arg::Time(finish.at),
        Arg::OptInt(finish.attempt.map(i64::from)),
        Arg::OptText(finish.outcome_digest.clone()),
        Arg::OptJson(finish.result.clone()),
    ];
    job_args.extend(finish.lapsed_before.map(Arg::Time));
    let mut statements = vec![
        Statement::new(job_sql, job_args).guard(),
        Statement::new(service_sql, sets.args).if_conflict(Refusal::Conflict(
            "another service of this agent already has this agentInstanceId",
        )),
    ];
    if finish.releases_pool_values {
        statements.extend(release_statements(
            PoolFamily::Service,
            finish.service_id,
            finish.at,
        ));
    }
    // The job's group, and so its agent, may have a next job now.
    statements.extend(job_heads::after_finish(finish.group_id, finish.agent_id));
    statements
}

/// A claim of one job by id, which may not be its group's head: the
/// claim, the group's head cleared while the job is in progress, then
/// `stamp`.
fn claimed_by_id(
    claim: Statement,
    job_id: Uuid,
    agent_id: Uuid,
    stamp: Statement,
) -> [Statement; 3] {
    [claim, job_heads::after_claim_by_id(job_id, agent_id), stamp]
}

impl Store {
    /// Deletes up to `limit` jobs that finished before `before`; the number
    /// deleted. Their events stay in the log.
    pub async fn delete_finished_jobs(&self, before: DateTime<Utc>, limit: u32) -> Result<u64> {
        let done = on_pool!(self.write, pool => sqlx::query(
            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status IN ('Completed', 'Failed') AND completed_at < $1 ORDER BY completed_at LIMIT $2)")
            .bind(before)
            .bind(i64::from(limit))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .map_err(StoreError::classify)?;
        Ok(done)
    }
}
