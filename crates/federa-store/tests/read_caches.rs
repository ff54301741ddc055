//! The store keeps tokens, credential holders' status, service types and
//! groups in memory, and forgets each as the write that changes it
//! commits: on the store that wrote it at once, and on PostgreSQL on every
//! other replica once its listener hears the write's notification.

mod support;

use std::time::{Duration, Instant};

use federa_domain::access::Role;
use federa_domain::event_kind::EventKind;
use federa_domain::participant::{Participant, ParticipantStatus};
use federa_domain::token::Token;
use federa_store::participants::DisabledHolder;
use federa_store::Store;
use federa_test_database::backend_name;
use uuid::Uuid;

async fn token(store: &Store, participant_id: Uuid, hashed_value: &str) -> Token {
    let now = support::now();
    let token = Token {
        id: Uuid::now_v7(),
        name: format!("token-{hashed_value}"),
        role: Role::Participant,
        expire_at: Some(now + chrono::Duration::days(1)),
        participant_id: Some(participant_id),
        agent_id: None,
        created_at: now,
        updated_at: now,
    };
    store
        .insert_token(
            &token,
            hashed_value,
            &support::event(EventKind::TokenCreated, token.id),
        )
        .await
        .expect("insert a token");
    token
}

async fn delete_token(store: &Store, token: &Token) {
    store
        .delete_record::<Token>(
            token.id,
            &support::event(EventKind::TokenDeleted, token.id),
            support::now(),
        )
        .await
        .expect("delete the token");
}

async fn disable(store: &Store, participant_id: Uuid) {
    let mut participant: Participant = store
        .participant(participant_id)
        .await
        .expect("read")
        .expect("exists");
    participant.status = ParticipantStatus::Disabled;
    participant.updated_at = support::now();
    store
        .update_record(
            &participant,
            &support::event(EventKind::ParticipantUpdated, participant_id),
        )
        .await
        .expect("disable the participant");
}

/// Renames the token of `hashed_value` straight on the database, where the
/// store cannot see it: a store answering from memory keeps the old name.
async fn rename_behind_the_store(test: &support::TestStore, hashed_value: &str, name: &str) {
    test.database
        .execute(&format!(
            "UPDATE tokens SET name = '{name}' WHERE hashed_value = '{hashed_value}'"
        ))
        .await;
}

async fn name_of(store: &Store, hashed_value: &str) -> Option<String> {
    store
        .token_by_hash(hashed_value)
        .await
        .expect("read the token")
        .map(|token| token.name)
}

/// Starts `store`'s listener and waits until its answers come from memory.
async fn listening(store: &Store, url: &str) -> tokio::task::JoinHandle<()> {
    let listener = tokio::spawn(federa_store::job_wakes::relay(
        url.to_string(),
        store.read_caches(),
        |_| {},
    ));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !store.read_caches().in_use() {
        assert!(Instant::now() < deadline, "the listener never connected");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    listener
}

#[tokio::test]
async fn a_kept_token_or_status_is_forgotten_at_once_by_the_store_that_changed_it() {
    let test = support::open().await;
    let store = &test.store;
    let participant_id = support::participant(store, "holder").await;
    let token = token(store, participant_id, "hash-one").await;
    // Listening only now: the notifications of the writes above, which
    // arrive a moment after them, would clear what is read below.
    let _listener = match backend_name() {
        "postgres" => Some(listening(store, &test.database.url).await),
        _ => None,
    };
    assert_eq!(name_of(store, "hash-one").await, Some(token.name.clone()));
    assert_eq!(
        store
            .disabled_holder(Some(participant_id), None)
            .await
            .unwrap(),
        None
    );
    rename_behind_the_store(&test, "hash-one", "renamed").await;
    assert_eq!(
        name_of(store, "hash-one").await,
        Some(token.name.clone()),
        "the second read is answered from memory"
    );

    delete_token(store, &token).await;
    assert_eq!(name_of(store, "hash-one").await, None);
    disable(store, participant_id).await;
    assert_eq!(
        store
            .disabled_holder(Some(participant_id), None)
            .await
            .unwrap(),
        Some(DisabledHolder::Participant)
    );
}

#[tokio::test]
async fn another_replica_keeps_nothing_until_it_listens_and_forgets_once_notified() {
    if backend_name() != "postgres" {
        eprintln!(
            "replicas share a database only on PostgreSQL; this runs with FEDERA_TEST_POSTGRES_URL"
        );
        return;
    }
    let test = support::open().await;
    let writer = &test.store;
    let reader = Store::open(&test.database.url)
        .await
        .expect("open a second replica's store");
    let participant_id = support::participant(writer, "holder").await;
    let token = token(writer, participant_id, "hash-two").await;

    // Not listening: a write it could not hear of is never hidden behind
    // a kept answer.
    assert!(!reader.read_caches().in_use());
    assert_eq!(name_of(&reader, "hash-two").await, Some(token.name.clone()));
    rename_behind_the_store(&test, "hash-two", "renamed").await;
    assert_eq!(name_of(&reader, "hash-two").await, Some("renamed".into()));

    let listener = listening(&reader, &test.database.url).await;
    assert_eq!(name_of(&reader, "hash-two").await, Some("renamed".into()));
    assert_eq!(
        reader
            .disabled_holder(Some(participant_id), None)
            .await
            .unwrap(),
        None
    );
    rename_behind_the_store(&test, "hash-two", "renamed-again").await;
    assert_eq!(
        name_of(&reader, "hash-two").await,
        Some("renamed".into()),
        "listening, the reader answers from memory"
    );

    delete_token(writer, &token).await;
    disable(writer, participant_id).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let token_gone = name_of(&reader, "hash-two").await.is_none();
        let disabled = reader
            .disabled_holder(Some(participant_id), None)
            .await
            .unwrap()
            == Some(DisabledHolder::Participant);
        if token_gone && disabled {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second replica still answers from memory 5 s after the writes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    listener.abort();
}

/// The quotas that apply to an order are kept by consumer and group, and
/// forgotten at once when the consumer's limit, the group's project or
/// that project's limit is changed through the store.
#[tokio::test]
async fn kept_quotas_are_forgotten_when_a_limit_or_a_groups_project_changes() {
    use federa_domain::catalogue::ServiceGroup;
    use federa_domain::commerce::{OverBudget, Project};

    let test = support::open().await;
    let offer = support::offer(&test.store).await;
    // Listening only now, as above.
    let _listener = match backend_name() {
        "postgres" => Some(listening(&test.store, &test.database.url).await),
        _ => None,
    };
    let limits = || test.store.service_limits(offer.consumer_id, offer.group_id);
    assert_eq!(limits().await.unwrap().consumer_limit, None);
    test.database
        .execute(&format!(
            "UPDATE participants SET service_limit = 7 WHERE id = '{}'",
            offer.consumer_id
        ))
        .await;
    assert_eq!(
        limits().await.unwrap().consumer_limit,
        None,
        "{}: answered from memory",
        backend_name()
    );

    let mut consumer: Participant = test
        .store
        .participant(offer.consumer_id)
        .await
        .unwrap()
        .unwrap();
    consumer.service_limit = Some(3);
    test.store
        .update_record(
            &consumer,
            &support::event(EventKind::ParticipantUpdated, consumer.id),
        )
        .await
        .unwrap();
    assert_eq!(limits().await.unwrap().consumer_limit, Some(3));

    let now = support::now();
    let mut project = Project {
        id: Uuid::now_v7(),
        consumer_id: offer.consumer_id,
        name: "kept".into(),
        description: None,
        service_limit: Some(5),
        approval_threshold: None,
        budget: None,
        over_budget: OverBudget::Refuse,
        property_limits: Default::default(),
        created_at: now,
        updated_at: now,
    };
    test.store
        .insert_record(
            &project,
            &support::event(EventKind::ProjectCreated, project.id),
        )
        .await
        .unwrap();
    let mut group: ServiceGroup = test.store.record(offer.group_id).await.unwrap().unwrap();
    group.project_id = Some(project.id);
    test.store
        .update_record(
            &group,
            &support::event(EventKind::ServiceGroupUpdated, group.id),
        )
        .await
        .unwrap();
    let kept = limits().await.unwrap();
    assert_eq!(
        (kept.project_id, kept.project_limit),
        (Some(project.id), Some(5))
    );

    project.service_limit = Some(2);
    project.updated_at = support::now();
    test.store
        .update_record(
            &project,
            &support::event(EventKind::ProjectUpdated, project.id),
        )
        .await
        .unwrap();
    assert_eq!(limits().await.unwrap().project_limit, Some(2));
}
