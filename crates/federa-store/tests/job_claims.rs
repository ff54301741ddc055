//! The store's claim contract: a claim is a conditional update, so of any
//! number of concurrent claimants exactly one wins and the others learn
//! they lost, on either backend and across replicas.

mod support;

use federa_domain::event_kind::EventKind;
use std::sync::Arc;

use chrono::Duration;
use federa_domain::provisioning::{Job, JobStatus};
use federa_store::Store;
use tokio::sync::Barrier;
use uuid::Uuid;

const CLAIMANTS: usize = 24;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_is_won_by_exactly_one_of_many_concurrent_claimants() {
    let test = support::open().await;
    let offer = support::offer(&test.store).await;
    let stores = support::replicas(&test, 4).await;
    for round in 0..3 {
        let job = support::order(&test.store, &offer, &format!("web-{round}")).await;
        let start = Arc::new(Barrier::new(CLAIMANTS));
        let claimants: Vec<_> = (0..CLAIMANTS)
            .map(|n| {
                let (store, start) = (stores[n % stores.len()].clone(), start.clone());
                let (job_id, agent_id) = (job.id, job.agent_id);
                tokio::spawn(async move {
                    start.wait().await;
                    store
                        .claim_job(
                            job_id,
                            agent_id,
                            Duration::seconds(60),
                            support::now,
                            &support::event(EventKind::JobClaimed, job_id),
                        )
                        .await
                })
            })
            .collect();
        let mut won = Vec::new();
        for claimant in claimants {
            if let Some(lease) = claimant
                .await
                .expect("claimant ran")
                .expect("claim answered")
            {
                won.push(lease);
            }
        }
        assert_eq!(won.len(), 1, "round {round}: winners {won:?}");
        assert_eq!(won[0].attempt, 1);
        let stored = test.store.job(job.id).await.unwrap().expect("job exists");
        assert_eq!(stored.status, JobStatus::Processing);
        assert_eq!(stored.attempts, 1);
        assert_eq!(stored.claimed_at, Some(won[0].claimed_at));
        assert_eq!(stored.lease_expires_at, Some(won[0].expires_at));
        // Losers write nothing: the log holds the winner's claim only.
        let claims = support::events_of_kind(&test.store, EventKind::JobClaimed, job.id).await;
        assert_eq!(claims, 1, "round {round}");
        // The service's next job may be ordered only once this one ends.
        let finish = support::completion(&job, won[0].attempt);
        assert!(test.store.finish_job(&finish, &[]).await.unwrap());
    }
}

#[tokio::test]
async fn a_job_held_by_a_claim_is_not_claimed_again_and_another_agent_never_claims_it() {
    let test = support::open().await;
    let offer = support::offer(&test.store).await;
    let other = support::offer(&test.store).await;
    let job = support::order(&test.store, &offer, "web").await;
    let claim = |agent_id| {
        let store = test.store.clone();
        async move {
            store
                .claim_job(
                    job.id,
                    agent_id,
                    Duration::seconds(60),
                    support::now,
                    &support::event(EventKind::JobClaimed, job.id),
                )
                .await
                .expect("claim answered")
        }
    };
    assert_eq!(claim(other.agent_id).await, None);
    assert!(claim(offer.agent_id).await.is_some());
    assert_eq!(claim(offer.agent_id).await, None);
    assert_eq!(
        support::events_of_kind(&test.store, EventKind::JobClaimed, job.id).await,
        1
    );
}

/// Claims of whichever jobs are next, from many instances of one agent at
/// once (on three store handles, as replicas hold them): each group's
/// first job is taken once, no group gives a second job while its first
/// is in progress, no claim fails or waits for another, and only the jobs
/// taken get a claim event.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batch_claims_take_each_groups_next_job_once_and_none_fails() {
    const GROUPS: usize = 6;
    const JOBS_PER_GROUP: usize = 3;
    let test = support::open().await;
    let replicas = support::replicas(&test, 3).await;
    let offer = support::offer(&test.store).await;
    let mut firsts = Vec::new();
    let mut seconds = Vec::new();
    for g in 0..GROUPS {
        let group = support::another_group(&test.store, &offer).await;
        for n in 0..JOBS_PER_GROUP {
            let job = support::order(&test.store, &group, &format!("batch-{g}-{n}")).await;
            match n {
                0 => firsts.push(job.id),
                1 => seconds.push(job.id),
                _ => {}
            }
        }
    }
    let barrier = Arc::new(Barrier::new(CLAIMANTS));
    let claimants: Vec<_> = (0..CLAIMANTS)
        .map(|n| {
            let store = replicas[n % replicas.len()].clone();
            let barrier = barrier.clone();
            let agent_id = offer.agent_id;
            tokio::spawn(async move {
                barrier.wait().await;
                claim_next(&store, agent_id, 2).await
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for claimant in claimants {
        let jobs = claimant
            .await
            .expect("claimant ran")
            .expect("a claim that finds nothing left answers none, not an error");
        claimed.extend(jobs);
    }
    let mut ids: Vec<_> = claimed.iter().map(|job| job.id).collect();
    ids.sort();
    let mut expected = firsts.clone();
    expected.sort();
    assert_eq!(ids, expected, "every group's first job, each once");
    for job in &claimed {
        assert_eq!(job.status, JobStatus::Processing);
        assert_eq!(job.attempts, 1);
        let stored = test.store.job(job.id).await.unwrap().unwrap();
        assert_eq!(stored.lease_expires_at, job.lease_expires_at);
        assert_eq!(
            support::events_of_kind(&test.store, EventKind::JobClaimed, job.id).await,
            1
        );
    }
    for id in &seconds {
        assert_eq!(
            support::events_of_kind(&test.store, EventKind::JobClaimed, *id).await,
            0,
            "a group's next job waits while its first is in progress"
        );
    }
    let again = claim_next(&test.store, offer.agent_id, 10).await.unwrap();
    assert!(again.is_empty(), "every group is busy: {again:?}");
}

/// A group's jobs are handed out one at a time, oldest first: the next as
/// soon as the one before it finished.
#[tokio::test]
async fn a_batch_claim_follows_each_group_in_order() {
    let test = support::open().await;
    let offer = support::offer(&test.store).await;
    let first = support::order(&test.store, &offer, "first").await;
    let second = support::order(&test.store, &offer, "second").await;
    let claimed_ids = || async {
        let claimed = claim_next(&test.store, offer.agent_id, 5).await.unwrap();
        claimed.into_iter().map(|job| job.id).collect::<Vec<_>>()
    };
    assert_eq!(claimed_ids().await, vec![first.id]);
    assert!(claimed_ids().await.is_empty());
    let finish = support::completion(&first, 1);
    assert!(test.store.finish_job(&finish, &[]).await.unwrap());
    assert_eq!(claimed_ids().await, vec![second.id]);
}

/// A group's next job is found by claims whichever way its turn comes:
/// the job before it finishing while the next is ordered, on two store
/// handles at once (replicas on PostgreSQL, where each decides from what
/// the other has committed), every round.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_groups_next_job_is_claimable_when_its_order_races_the_finish_before_it() {
    let test = support::open().await;
    let replicas = support::replicas(&test, 2).await;
    let offer = support::offer(&test.store).await;
    for round in 0..24 {
        let group = support::another_group(&test.store, &offer).await;
        let first = support::order(&test.store, &group, &format!("first-{round}")).await;
        assert_eq!(
            ids(claim_next(&test.store, offer.agent_id, 5).await),
            vec![first.id]
        );
        let start = Arc::new(Barrier::new(2));
        let finisher = {
            let (store, start) = (replicas[0].clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                store.finish_job(&support::completion(&first, 1), &[]).await
            })
        };
        let orderer = {
            let (store, start, group) = (replicas[1].clone(), start.clone(), group.clone());
            tokio::spawn(async move {
                start.wait().await;
                support::order(&store, &group, &format!("next-{round}")).await
            })
        };
        assert!(finisher.await.unwrap().unwrap(), "round {round}: finished");
        let next = orderer.await.unwrap();
        assert_eq!(
            ids(claim_next(&test.store, offer.agent_id, 5).await),
            vec![next.id],
            "round {round}: the group's next job is handed out"
        );
        assert!(test
            .store
            .finish_job(&support::completion(&next, 1), &[])
            .await
            .unwrap());
    }
}

/// A job claimed by id ahead of its turn holds its group: claims of
/// whichever jobs are next take none of the group's until it ends, then
/// the group's first.
#[tokio::test]
async fn a_job_claimed_out_of_turn_holds_its_group() {
    let test = support::open().await;
    let offer = support::offer(&test.store).await;
    let first = support::order(&test.store, &offer, "first").await;
    let second = support::order(&test.store, &offer, "second").await;
    let lease = test
        .store
        .claim_job(
            second.id,
            offer.agent_id,
            Duration::seconds(60),
            support::now,
            &support::event(EventKind::JobClaimed, second.id),
        )
        .await
        .unwrap()
        .expect("claimed by id");
    assert!(ids(claim_next(&test.store, offer.agent_id, 5).await).is_empty());
    let finish = support::completion(&second, lease.attempt);
    assert!(test.store.finish_job(&finish, &[]).await.unwrap());
    assert_eq!(
        ids(claim_next(&test.store, offer.agent_id, 5).await),
        vec![first.id]
    );
}

/// A job whose lease ran out goes back to the head of its group.
#[tokio::test]
async fn a_job_back_from_a_lapsed_lease_is_its_groups_next_again() {
    let test = support::open().await;
    let offer = support::offer(&test.store).await;
    let first = support::order(&test.store, &offer, "first").await;
    support::order(&test.store, &offer, "second").await;
    let claimed = test
        .store
        .claim_next_jobs(
            offer.agent_id,
            5,
            Duration::milliseconds(1),
            support::now,
            &|job| support::event(EventKind::JobClaimed, job.id),
        )
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (lapsed, _) = &claimed[0];
    assert!(test
        .store
        .requeue_job(
            lapsed,
            support::now(),
            &support::event(EventKind::JobLeaseExpired, first.id)
        )
        .await
        .unwrap());
    assert_eq!(
        ids(claim_next(&test.store, offer.agent_id, 5).await),
        vec![first.id]
    );
}

/// A claim takes at most as many jobs as it asks for, however many groups
/// have one to hand out. PostgreSQL keeps a plan for the claim made while
/// the agent had few jobs (after five runs on a connection it may reuse a
/// generic one), so the claim runs first on an empty queue, many times.
#[tokio::test]
async fn a_claim_takes_no_more_jobs_than_its_limit() {
    let test = support::open().await;
    let offer = support::offer(&test.store).await;
    // A table of finished jobs and no group with a job to hand out, as
    // the plans are made.
    for g in 0..200 {
        let group = support::another_group(&test.store, &offer).await;
        support::order(&test.store, &group, &format!("done-{g}")).await;
    }
    let mut claimed = Vec::new();
    while claimed.len() < 200 {
        claimed.extend(claim_next(&test.store, offer.agent_id, 200).await.unwrap());
    }
    for job in &claimed {
        assert!(test
            .store
            .finish_job(&support::completion(job, 1), &[])
            .await
            .unwrap());
    }
    test.database.execute("ANALYZE").await;
    for _ in 0..40 {
        assert!(ids(claim_next(&test.store, offer.agent_id, 1).await).is_empty());
    }
    for g in 0..100 {
        let group = support::another_group(&test.store, &offer).await;
        support::order(&test.store, &group, &format!("limit-{g}")).await;
    }
    for limit in [1, 1, 1, 5, 20] {
        let claimed = ids(claim_next(&test.store, offer.agent_id, limit).await);
        assert_eq!(claimed.len(), limit as usize, "a claim of at most {limit}");
    }
}

fn ids(claimed: federa_store::Result<Vec<Job>>) -> Vec<Uuid> {
    claimed
        .expect("claim answered")
        .into_iter()
        .map(|job| job.id)
        .collect()
}

/// Claims up to `limit` of the agent's next jobs through `store`, with a
/// minute's lease; the jobs claimed.
async fn claim_next(store: &Store, agent_id: Uuid, limit: u32) -> federa_store::Result<Vec<Job>> {
    let claimed = store
        .claim_next_jobs(
            agent_id,
            limit,
            Duration::seconds(60),
            support::now,
            &|job| support::event(EventKind::JobClaimed, job.id),
        )
        .await?;
    Ok(claimed.into_iter().map(|(job, _)| job).collect())
}
