//! What the store's contract tests share: a store on the suite's backend
//! (`FEDERA_TEST_POSTGRES_URL` chooses PostgreSQL, as for every suite) and
//! the rows a job stands on, written through the store's own API.

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use federa_domain::catalogue::{Agent, AgentStatus, AgentType, ServiceGroup, ServiceType};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::participant::{Participant, ParticipantStatus};
use federa_domain::provisioning::{Job, JobStatus, Service, ServiceChange};
use federa_store::provisioning::{JobFinish, ServiceOrder};
use federa_store::Store;
use federa_test_database::TestDatabase;
use serde_json::{json, Map};
use uuid::Uuid;

/// A store on a database of its own, kept alive with it.
pub struct TestStore {
    pub store: Store,
    pub database: TestDatabase,
}

pub async fn open() -> TestStore {
    let database = TestDatabase::create().await;
    let store = Store::open(&database.url).await.expect("open the store");
    TestStore { store, database }
}

/// Now, at the precision both databases keep (microseconds), so a time
/// read back equals the time written.
pub fn now() -> DateTime<Utc> {
    use chrono::DurationRound;
    let now = Utc::now();
    now.duration_trunc(chrono::TimeDelta::microseconds(1))
        .unwrap_or(now)
}

pub fn event(kind: EventKind, entity_id: Uuid) -> NewEvent {
    NewEvent::new(kind, Initiator::system(), entity_id)
}

/// A provider's agent that offers one service type, and a consumer's group
/// to order it into.
#[derive(Clone)]
pub struct Offer {
    pub provider_id: Uuid,
    pub consumer_id: Uuid,
    pub agent_id: Uuid,
    pub service_type_id: Uuid,
    pub group_id: Uuid,
}

pub async fn participant(store: &Store, name: &str) -> Uuid {
    try_participant(store, name)
        .await
        .expect("insert a participant")
}

/// Adds a participant named `name`; its id.
pub async fn try_participant(store: &Store, name: &str) -> federa_store::Result<Uuid> {
    let now = now();
    let participant = Participant {
        id: Uuid::now_v7(),
        name: name.into(),
        status: ParticipantStatus::Enabled,
        service_limit: None,
        budget: None,
        property_limits: Default::default(),
        created_at: now,
        updated_at: now,
    };
    store
        .insert_record(
            &participant,
            &event(EventKind::ParticipantCreated, participant.id),
        )
        .await?;
    Ok(participant.id)
}

pub async fn offer(store: &Store) -> Offer {
    let now = now();
    // Catalogue names are unique; each offer's are its own.
    let suffix = Uuid::now_v7().simple().to_string();
    let provider_id = participant(store, &format!("provider-{suffix}")).await;
    let consumer_id = participant(store, &format!("consumer-{suffix}")).await;
    let service_type = ServiceType {
        id: Uuid::now_v7(),
        name: format!("vm-{suffix}"),
        property_schema: None,
        lifecycle_schema: None,
        created_at: now,
        updated_at: now,
    };
    store
        .insert_record(
            &service_type,
            &event(EventKind::ServiceTypeCreated, service_type.id),
        )
        .await
        .expect("insert a service type");
    let agent_type = AgentType {
        id: Uuid::now_v7(),
        name: format!("hypervisor-{suffix}"),
        service_type_ids: vec![service_type.id],
        configuration_schema: json!({}),
        config_template: None,
        cmd_template: None,
        config_content_type: None,
        created_at: now,
        updated_at: now,
    };
    store
        .insert_agent_type(
            &agent_type,
            &event(EventKind::AgentTypeCreated, agent_type.id),
        )
        .await
        .expect("insert an agent type");
    let agent = Agent {
        id: Uuid::now_v7(),
        name: format!("agent-{suffix}"),
        status: AgentStatus::Connected,
        provider_id,
        agent_type_id: agent_type.id,
        tags: Vec::new(),
        configuration: None,
        service_pool_set_id: None,
        last_status_update: None,
        created_at: now,
        updated_at: now,
    };
    store
        .insert_agent(&agent, &event(EventKind::AgentCreated, agent.id), &[])
        .await
        .expect("insert an agent");
    Offer {
        provider_id,
        consumer_id,
        agent_id: agent.id,
        service_type_id: service_type.id,
        group_id: service_group(store, consumer_id).await,
    }
}

/// `offer` with a service group of its own, for the same consumer.
pub async fn another_group(store: &Store, offer: &Offer) -> Offer {
    Offer {
        group_id: service_group(store, offer.consumer_id).await,
        ..offer.clone()
    }
}

/// A new service group of `consumer_id`'s.
async fn service_group(store: &Store, consumer_id: Uuid) -> Uuid {
    let now = now();
    let group = ServiceGroup {
        id: Uuid::now_v7(),
        name: format!("group-{}", Uuid::now_v7().simple()),
        consumer_id,
        project_id: None,
        created_at: now,
        updated_at: now,
    };
    store
        .insert_record(&group, &event(EventKind::ServiceGroupCreated, group.id))
        .await
        .expect("insert a service group");
    group.id
}

/// The completion of `job` by its claim `attempt`, leaving the service
/// started.
pub fn completion(job: &Job, attempt: i32) -> JobFinish {
    JobFinish {
        job_id: job.id,
        group_id: job.group_id,
        agent_id: job.agent_id,
        service_id: job.service_id,
        from: &[JobStatus::Processing],
        to: JobStatus::Completed,
        error_message: None,
        outcome_digest: None,
        result: None,
        service: ServiceChange {
            status: "Started".into(),
            properties: None,
            agent_instance_id: None,
            agent_instance_data: None,
        },
        at: now(),
        lapsed_before: None,
        attempt: Some(attempt),
        releases_pool_values: false,
    }
}

/// Orders a service under `offer`: its row and its pending `create` job.
pub async fn order(store: &Store, offer: &Offer, name: &str) -> Job {
    order_at(store, offer, name, now()).await
}

/// [`order`] as of `now`, so tests can give several services one time.
pub async fn order_at(store: &Store, offer: &Offer, name: &str, now: DateTime<Utc>) -> Job {
    let service = Service {
        id: Uuid::now_v7(),
        name: name.into(),
        status: "New".into(),
        service_type_id: offer.service_type_id,
        group_id: offer.group_id,
        provider_id: offer.provider_id,
        consumer_id: offer.consumer_id,
        agent_id: offer.agent_id,
        agent_instance_id: None,
        agent_instance_data: None,
        properties: Map::new(),
        created_at: now,
        updated_at: now,
        observed_state: None,
        observed_at: None,
    };
    let job = pending_job(&service, now);
    store
        .insert_service(
            ServiceOrder {
                service: &service,
                job: &job,
                placement: None,
                claims: &[],
                quota: None,
            },
            &[event(EventKind::ServiceCreated, service.id)],
        )
        .await
        .expect("insert a service and its job");
    job
}

fn pending_job(service: &Service, now: DateTime<Utc>) -> Job {
    Job {
        id: Uuid::now_v7(),
        service_id: service.id,
        agent_id: service.agent_id,
        provider_id: service.provider_id,
        consumer_id: service.consumer_id,
        group_id: service.group_id,
        action: "create".into(),
        params: None,
        status: JobStatus::Pending,
        priority: 1,
        error_message: None,
        attempts: 0,
        claimed_at: None,
        lease_expires_at: None,
        completed_at: None,
        created_at: now,
        updated_at: now,
        outcome_digest: None,
        result: None,
    }
}

/// `count` handles on the test's database, as replicas would hold: each its
/// own pool on PostgreSQL. SQLite is one process's file, so its handles are
/// one store shared, as `federa serve` shares it.
pub async fn replicas(test: &TestStore, count: usize) -> Vec<Store> {
    let mut stores = vec![test.store.clone()];
    for _ in 1..count {
        stores.push(if test.store.backend() == federa_store::Backend::Postgres {
            Store::open(&test.database.url)
                .await
                .expect("open a replica")
        } else {
            test.store.clone()
        });
    }
    stores
}

/// How many events of `kind` the log holds about `entity_id`.
pub async fn events_of_kind(store: &Store, kind: EventKind, entity_id: Uuid) -> usize {
    use federa_domain::listing::{Filter, Match};
    let filters = [
        Filter {
            column: "type",
            matching: Match::AnyText(vec![kind.as_str().into()]),
        },
        Filter {
            column: "entity_id",
            matching: Match::AnyUuid(vec![entity_id]),
        },
    ];
    store
        .events_after(federa_domain::access::ListScope::All, &filters, 0, 10_000)
        .await
        .expect("read the log")
        .len()
}
