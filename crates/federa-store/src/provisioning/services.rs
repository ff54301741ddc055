use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::exchange::placement::Placement;
use federa_domain::listing::{ListQuery, Page};
use federa_domain::provisioning::{AgentCandidate, Job, Service};
use serde_json::{Map, Value};
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::{on_pool, Backend};
use crate::error::{Result, StoreError};
use crate::events::record_event;
use crate::exchange::insert_placement;
use crate::pools::{claim_pool_values, PoolClaim, PoolFamily};
use crate::sql::{fetch_page, Arg, ScopeColumns, Where};
use crate::write::{run_statement, Statement};
use crate::Store;

pub(crate) const SERVICE_COLUMNS: &str = "id, name, status, service_type_id, group_id, provider_id, consumer_id, agent_id, agent_instance_id, agent_instance_data, properties, created_at, updated_at";
/// [`SERVICE_COLUMNS`] and what reconciliation records, for reading.
pub(crate) const SERVICE_READ_COLUMNS: &str = "id, name, status, service_type_id, group_id, provider_id, consumer_id, agent_id, agent_instance_id, agent_instance_data, properties, created_at, updated_at, observed_state, observed_at";

const SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("provider_id"),
    consumer: Some("consumer_id"),
    agent: Some("agent_id"),
};

#[derive(sqlx::FromRow)]
pub(crate) struct ServiceRow {
    id: Uuid,
    name: String,
    status: String,
    service_type_id: Uuid,
    group_id: Uuid,
    provider_id: Uuid,
    consumer_id: Uuid,
    agent_id: Uuid,
    agent_instance_id: Option<String>,
    agent_instance_data: Option<Json<Value>>,
    properties: Json<Map<String, Value>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    observed_state: Option<String>,
    observed_at: Option<DateTime<Utc>>,
}

impl From<ServiceRow> for Service {
    fn from(row: ServiceRow) -> Service {
        Service {
            id: row.id,
            name: row.name,
            status: row.status,
            service_type_id: row.service_type_id,
            group_id: row.group_id,
            provider_id: row.provider_id,
            consumer_id: row.consumer_id,
            agent_id: row.agent_id,
            agent_instance_id: row.agent_instance_id,
            agent_instance_data: row.agent_instance_data.map(|j| j.0),
            properties: row.properties.0,
            created_at: row.created_at,
            updated_at: row.updated_at,
            observed_state: row.observed_state,
            observed_at: row.observed_at,
        }
    }
}

/// The two schemas of a service type, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceTypeRules {
    pub property_schema: Option<Json<Value>>,
    pub lifecycle_schema: Option<Json<Value>>,
    /// Changes whenever the schemas may have; parsed rules are cached by it.
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: Uuid,
    name: String,
    participant_id: Uuid,
    status: String,
    tags: Json<Vec<String>>,
    offers: bool,
}

/// Wakes listeners on other replicas after a job for `agent` commits.
macro_rules! notify_job {
    ($tx:expr, $backend:expr, $agent:expr) => {
        if $backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind($crate::job_wakes::CHANNEL)
                .bind($agent.to_string())
                .execute(&mut *$tx)
                .await
                .map_err(StoreError::classify)?;
        }
    };
}
pub(crate) use notify_job;

/// Inserts a new service's row inside a transaction.
macro_rules! insert_service_row {
    ($tx:expr, $service:expr) => {{
        let service: &Service = $service;
        sqlx::query(&format!("INSERT INTO services ({SERVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"))
            .bind(service.id)
            .bind(&service.name)
            .bind(&service.status)
            .bind(service.service_type_id)
            .bind(service.group_id)
            .bind(service.provider_id)
            .bind(service.consumer_id)
            .bind(service.agent_id)
            .bind(service.agent_instance_id.as_deref())
            .bind(service.agent_instance_data.as_ref().map(Json))
            .bind(Json(&service.properties))
            .bind(service.created_at)
            .bind(service.updated_at)
            .execute(&mut *$tx)
            .await
            .map_err(StoreError::classify)?;
    }};
}
pub(crate) use insert_service_row;

pub(crate) const INSERT_JOB: &str = "INSERT INTO jobs (id, service_id, agent_id, provider_id, consumer_id, group_id, action, params, status, priority, error_message, attempts, claimed_at, lease_expires_at, completed_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, 0, NULL, NULL, NULL, $11, $11)";

macro_rules! insert_job {
    ($tx:expr, $job:expr) => {{
        let job: &Job = $job;
        sqlx::query(INSERT_JOB)
            .bind(job.id)
            .bind(job.service_id)
            .bind(job.agent_id)
            .bind(job.provider_id)
            .bind(job.consumer_id)
            .bind(job.group_id)
            .bind(job.action.as_str())
            .bind(job.params.as_ref().map(Json))
            .bind(job.status.as_str())
            .bind(job.priority)
            .bind(job.created_at)
            .execute(&mut *$tx)
            .await
            .map_err(|e| match StoreError::classify(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict("the service already has an active job".into())
                }
                other => other,
            })?;
    }};
}
pub(crate) use insert_job;

impl Store {
    pub async fn service(&self, id: Uuid) -> Result<Option<Service>> {
        let sql = format!("SELECT {SERVICE_READ_COLUMNS} FROM services WHERE id = $1");
        let row: Option<ServiceRow> =
            on_pool!(self.read, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
                .map_err(StoreError::classify)?;
        Ok(row.map(Service::from))
    }

    pub async fn services(&self, scope: ListScope, query: &ListQuery) -> Result<Page<Service>> {
        let mut filter = Where::new();
        filter.scope(scope, SCOPE);
        filter.filters(&query.filters);
        let select = format!("SELECT {SERVICE_READ_COLUMNS} FROM services");
        let page: Page<ServiceRow> =
            fetch_page(&self.read, &select, "services", &filter, query, "id").await?;
        Ok(page.map(Service::from))
    }

    pub async fn service_type_rules(&self, id: Uuid) -> Result<Option<ServiceTypeRules>> {
        on_pool!(self.read, pool => sqlx::query_as("SELECT property_schema, lifecycle_schema, updated_at FROM service_types WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await)
        .map_err(StoreError::classify)
    }

    /// The consumer owning a service group, if the group exists.
    pub async fn group_consumer(&self, group_id: Uuid) -> Result<Option<Uuid>> {
        on_pool!(self.read, pool => sqlx::query_scalar("SELECT consumer_id FROM service_groups WHERE id = $1")
            .bind(group_id)
            .fetch_optional(pool)
            .await)
        .map_err(StoreError::classify)
    }

    /// Agents that offer `service_type_id`, plus `explicit` whatever its type.
    pub async fn agent_candidates(
        &self,
        service_type_id: Uuid,
        explicit: Option<Uuid>,
    ) -> Result<Vec<AgentCandidate>> {
        let rows: Vec<CandidateRow> = on_pool!(self.read, pool => sqlx::query_as(
            // An agent of a disabled provider is as disabled as the provider.
            "SELECT a.id, a.name, a.participant_id, \
             CASE WHEN p.status = 'Disabled' THEN 'Disabled' ELSE a.status END AS status, a.tags, \
             EXISTS (SELECT 1 FROM agent_type_service_types x WHERE x.agent_type_id = a.agent_type_id AND x.service_type_id = $1) AS offers \
             FROM agents a JOIN participants p ON p.id = a.participant_id WHERE a.id = $2 OR EXISTS (SELECT 1 FROM agent_type_service_types x WHERE x.agent_type_id = a.agent_type_id AND x.service_type_id = $1)")
            .bind(service_type_id)
            .bind(explicit.unwrap_or(Uuid::nil()))
            .fetch_all(pool)
            .await)
        .map_err(StoreError::classify)?;
        Ok(rows
            .into_iter()
            .map(|r| AgentCandidate {
                agent_id: r.id,
                name: r.name,
                participant_id: r.participant_id,
                status: r.status,
                tags: r.tags.0,
                offers_service_type: r.offers,
            })
            .collect())
    }

    /// Creates a service, its first job and its pool value claims in one
    /// transaction.
    pub async fn insert_service(
        &self,
        service: &Service,
        job: &Job,
        events: &[NewEvent],
        claims: &[PoolClaim],
        placement: Option<&Placement>,
    ) -> Result<()> {
        let backend = self.backend();
        on_pool!(self.write, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::classify)?;
            insert_service_row!(tx, service);
            if let Some(placement) = placement {
                run_statement!(tx, insert_placement(placement));
            }
            claim_pool_values!(tx, PoolFamily::Service, claims, service.id, service.created_at);
            insert_job!(tx, job);
            for event in events {
                record_event!(tx, event, service.created_at);
            }
            notify_job!(tx, backend, job.agent_id);
            tx.commit().await.map_err(StoreError::classify)?;
        });
        Ok(())
    }

    /// Queues a job for an existing service; refused with a conflict while
    /// the service has another active job.
    pub async fn queue_job(&self, job: &Job, event: &NewEvent) -> Result<()> {
        let backend = self.backend();
        on_pool!(self.write, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::classify)?;
            insert_job!(tx, job);
            record_event!(tx, event, job.created_at);
            notify_job!(tx, backend, job.agent_id);
            tx.commit().await.map_err(StoreError::classify)?;
        });
        Ok(())
    }

    /// Records what a service's agent saw of it at `at`, with `events`, and
    /// moves it to `to` when drift calls for it: only while the service is
    /// still in the status it was judged in, has no job in flight and holds
    /// no later observation. Answers whether it was written.
    pub async fn record_observation(
        &self,
        service: &Service,
        observed: &str,
        at: DateTime<Utc>,
        to: Option<&str>,
        events: &[NewEvent],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        // Only a move is a change of the service; an observation is not.
        let updated_at = if to.is_some() {
            now
        } else {
            service.updated_at
        };
        let statement = Statement::new(
            "UPDATE services SET observed_state = $2, observed_at = $3, status = $4, updated_at = $5 \
             WHERE id = $1 AND status = $6 AND (observed_at IS NULL OR observed_at <= $3) \
             AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.service_id = $1 AND jobs.status IN ('Pending', 'Processing'))",
            vec![
                Arg::Uuid(service.id),
                Arg::Text(observed.to_owned()),
                Arg::Time(at),
                Arg::Text(to.unwrap_or(&service.status).to_owned()),
                Arg::Time(updated_at),
                Arg::Text(service.status.clone()),
            ],
        )
        .must_change();
        match self.apply(&[statement], events, now).await {
            Ok(()) => Ok(true),
            Err(StoreError::NotFound) => Ok(false),
            Err(error) => Err(error),
        }
    }

    pub async fn rename_service(
        &self,
        id: Uuid,
        name: &str,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self.write, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::classify)?;
            let done = sqlx::query("UPDATE services SET name = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(name)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::classify)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            record_event!(tx, event, now);
            tx.commit().await.map_err(StoreError::classify)?;
        });
        Ok(())
    }
}
