use std::sync::Arc;

use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::exchange::placement::Placement;
use federa_domain::listing::{ListQuery, Page};
use federa_domain::provisioning::{AgentCandidate, Job, Service};
use serde_json::{Map, Value};
use sqlx::types::Json;
use uuid::Uuid;

use crate::commerce::quotas::{quota_statements, QuotaCheck};
use crate::db::on_pool_again_if_broken;
use crate::error::{Result, StoreError};
use crate::exchange::insert_placement;
use crate::pools::{claim_statements, PoolClaim, PoolFamily};
use crate::provisioning::job_heads;
use crate::read_cache::{read_through, Cache};
use crate::sql::{fetch_scoped_page, AnyRow, Arg, ScopeColumns};
pub use crate::type_rules::ServiceTypeRules;
use crate::write::{fetch_optional, Refusal, Statement};
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

#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: Uuid,
    name: String,
    participant_id: Uuid,
    status: String,
    tags: Json<Vec<String>>,
    offers: bool,
}

/// Wakes listeners on other replicas once a write queueing a job for
/// `agent_id` commits.
pub(crate) fn job_wake(agent_id: Uuid) -> Statement {
    Statement::new(
        "SELECT pg_notify($1, $2)",
        vec![
            Arg::Text(crate::job_wakes::CHANNEL.into()),
            Arg::Text(agent_id.to_string()),
        ],
    )
    .postgres_only()
    .after_events()
}

/// Inserts a new service's row.
fn insert_service_row(service: &Service) -> Statement {
    Statement::new(
        format!("INSERT INTO services ({SERVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"),
        vec![
            Arg::Uuid(service.id),
            Arg::Text(service.name.clone()),
            Arg::Text(service.status.clone()),
            Arg::Uuid(service.service_type_id),
            Arg::Uuid(service.group_id),
            Arg::Uuid(service.provider_id),
            Arg::Uuid(service.consumer_id),
            Arg::Uuid(service.agent_id),
            Arg::OptText(service.agent_instance_id.clone()),
            Arg::OptJson(service.agent_instance_data.clone()),
            Arg::Json(Value::Object(service.properties.clone())),
            Arg::Time(service.created_at),
            Arg::Time(service.updated_at),
        ],
    )
}

/// A service as ordered, whichever way it is ordered (alone, as a
/// composition's member, as a switch's target): its row, its `create` job,
/// the placement that chose its provider, the pool values it takes and the
/// quotas it is checked against, all written in one transaction.
#[derive(Clone, Copy)]
pub struct ServiceOrder<'a> {
    pub service: &'a Service,
    pub job: &'a Job,
    pub placement: Option<&'a Placement>,
    pub claims: &'a [PoolClaim],
    pub quota: Option<&'a QuotaCheck>,
}

/// The statements of ordering a service: the check of its quotas, its
/// row, where it was placed, the pool values it takes and its first job,
/// waking its agent.
pub(crate) fn order_statements(order: ServiceOrder<'_>) -> Vec<Statement> {
    let ServiceOrder {
        service,
        job,
        placement,
        claims,
        quota,
    } = order;
    let mut statements = quota.map(quota_statements).unwrap_or_default();
    statements.push(insert_service_row(service));
    statements.extend(placement.map(insert_placement));
    statements.extend(claim_statements(
        PoolFamily::Service,
        claims,
        service.id,
        service.created_at,
    ));
    statements.extend(insert_job(job));
    statements.push(job_wake(job.agent_id));
    statements
}

/// Inserts a new job, its group's head when it leads it (after the lock
/// that keeps heads right, see [`job_heads`]); refused while its service
/// has another active job.
pub(crate) fn insert_job(job: &Job) -> [Statement; 2] {
    let insert = Statement::new(
        format!(
            "INSERT INTO jobs (id, service_id, agent_id, provider_id, consumer_id, group_id, action, params, status, priority, error_message, attempts, claimed_at, lease_expires_at, completed_at, created_at, updated_at, head) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, 0, NULL, NULL, NULL, $11, $11, $9 = 'Pending' AND {})",
            job_heads::new_job_is_head("$6", "$3")
        ),
        vec![
            Arg::Uuid(job.id),
            Arg::Uuid(job.service_id),
            Arg::Uuid(job.agent_id),
            Arg::Uuid(job.provider_id),
            Arg::Uuid(job.consumer_id),
            Arg::Uuid(job.group_id),
            Arg::Text(job.action.clone()),
            Arg::OptJson(job.params.clone()),
            Arg::Text(job.status.as_str().into()),
            Arg::Int(i64::from(job.priority)),
            Arg::Time(job.created_at),
        ],
    )
    .if_conflict(Refusal::Conflict("the service already has an active job"));
    [job_heads::lock_for(job.group_id, job.agent_id), insert]
}

impl Store {
    pub async fn service(&self, id: Uuid) -> Result<Option<Service>> {
        let sql = format!("SELECT {SERVICE_READ_COLUMNS} FROM services WHERE id = $1");
        let row: Option<ServiceRow> =
            on_pool_again_if_broken!(self.read, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
                .map_err(StoreError::classify)?;
        Ok(row.map(Service::from))
    }

    pub async fn services(&self, scope: ListScope, query: &ListQuery) -> Result<Page<Service>> {
        let select = format!("SELECT {SERVICE_READ_COLUMNS} FROM services");
        let page: Page<ServiceRow> = fetch_scoped_page(
            &self.read,
            (&select, "services", "id"),
            (scope, SCOPE),
            query,
        )
        .await?;
        Ok(page.map(Service::from))
    }

    /// The schemas of a service type; kept in memory once found (see
    /// [`crate::read_cache`]).
    pub async fn service_type_rules(&self, id: Uuid) -> Result<Option<Arc<ServiceTypeRules>>> {
        self.kept_by_id(
            &self.caches.service_types,
            "SELECT property_schema, lifecycle_schema, updated_at FROM service_types WHERE id = $1",
            id,
        )
        .await
    }

    /// The consumer and project of a service group, if it exists; kept in
    /// memory once found (see [`crate::read_cache`]).
    pub async fn group_consumer_and_project(
        &self,
        group_id: Uuid,
    ) -> Result<Option<(Uuid, Option<Uuid>)>> {
        let group = self
            .kept_by_id(
                &self.caches.groups,
                "SELECT consumer_id, project_id FROM service_groups WHERE id = $1",
                group_id,
            )
            .await?;
        Ok(group.map(|group| *group))
    }

    /// The row of `sql` (one `$1`, the id) from `cache`, else read and kept
    /// when found; shared, so that a hit copies nothing.
    async fn kept_by_id<R: AnyRow>(
        &self,
        cache: &Cache<Uuid, Option<Arc<R>>>,
        sql: &str,
        id: Uuid,
    ) -> Result<Option<Arc<R>>> {
        let args = [Arg::Uuid(id)];
        let load = async {
            Ok(fetch_optional::<R>(&self.read, sql, &args)
                .await?
                .map(Arc::new))
        };
        read_through(&self.caches, cache, id, Option::is_some, load).await
    }

    /// The consumer owning a service group, if the group exists.
    pub async fn group_consumer(&self, group_id: Uuid) -> Result<Option<Uuid>> {
        let group = self.group_consumer_and_project(group_id).await?;
        Ok(group.map(|(consumer_id, _)| consumer_id))
    }

    /// The agents that offer `service_type_id`, plus `explicit` whatever its
    /// type, as placement sees them; kept in memory (see
    /// [`crate::read_cache`]).
    pub async fn agent_candidates(
        &self,
        service_type_id: Uuid,
        explicit: Option<Uuid>,
    ) -> Result<Vec<AgentCandidate>> {
        let load = async {
            let rows: Vec<CandidateRow> = on_pool_again_if_broken!(self.read, pool => sqlx::query_as(
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
        };
        read_through(
            &self.caches,
            &self.caches.agent_candidates,
            (service_type_id, explicit),
            |_| true,
            load,
        )
        .await
    }

    /// Creates a service, its first job and its pool value claims in one
    /// transaction, refused when `quota` finds a limit reached.
    pub async fn insert_service(&self, order: ServiceOrder<'_>, events: &[NewEvent]) -> Result<()> {
        let written = self
            .apply(&order_statements(order), events, order.service.created_at)
            .await;
        self.within_quotas(order.quota, written).await
    }

    /// Every service type's id: the catalogue is small.
    pub async fn service_type_ids(&self) -> Result<Vec<Uuid>> {
        let rows: Vec<(Uuid,)> =
            crate::write::fetch_all(&self.read, "SELECT id FROM service_types", &[]).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The service types `consumer_id` has services of.
    pub async fn consumer_service_types(&self, consumer_id: Uuid) -> Result<Vec<Uuid>> {
        let rows: Vec<(Uuid,)> = crate::write::fetch_all(
            &self.read,
            "SELECT DISTINCT service_type_id FROM services WHERE consumer_id = $1",
            &[Arg::Uuid(consumer_id)],
        )
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Queues a job for an existing service; refused with a conflict while
    /// the service has another active job.
    pub async fn queue_job(&self, job: &Job, event: &NewEvent) -> Result<()> {
        self.queue_job_within(job, event, None).await
    }

    /// Queues `job` within `quota` (a change of properties that grows what
    /// quota-counted properties sum to), refused when it would pass one.
    pub async fn queue_job_within(
        &self,
        job: &Job,
        event: &NewEvent,
        quota: Option<&QuotaCheck>,
    ) -> Result<()> {
        let mut statements = quota.map(quota_statements).unwrap_or_default();
        statements.extend(insert_job(job));
        statements.push(job_wake(job.agent_id));
        let written = self
            .apply(&statements, std::slice::from_ref(event), job.created_at)
            .await;
        self.within_quotas(quota, written).await
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
        .guard();
        self.apply_if(&[statement], events, now).await
    }

    pub async fn rename_service(
        &self,
        id: Uuid,
        name: &str,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            "UPDATE services SET name = $2, updated_at = $3 WHERE id = $1",
            vec![Arg::Uuid(id), Arg::Text(name.to_owned()), Arg::Time(now)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
    }
}
