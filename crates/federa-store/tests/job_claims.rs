//! The store's claim contract: a claim is a conditional update, so of any
//! number of concurrent claimants exactly one wins and the others learn
//! they lost, on either backend and across replicas.

mod support;

use std::sync::Arc;

use chrono::Duration;
use federa_domain::provisioning::JobStatus;
use tokio::sync::Barrier;

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
                            &support::event("job.claimed", job_id),
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
        let claims = support::events_of_kind(&test.store, "job.claimed", job.id).await;
        assert_eq!(claims, 1, "round {round}");
        // The service's next job may be ordered only once this one ends.
        let finish = federa_store::provisioning::JobFinish {
            job_id: job.id,
            service_id: job.service_id,
            from: &[JobStatus::Processing],
            to: JobStatus::Completed,
            error_message: None,
            outcome_digest: None,
            service: federa_domain::provisioning::ServiceChange {
                status: "Started".into(),
                properties: None,
                agent_instance_id: None,
                agent_instance_data: None,
            },
            at: support::now(),
            lapsed_before: None,
            attempt: Some(won[0].attempt),
            releases_pool_values: false,
        };
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
                    &support::event("job.claimed", job.id),
                )
                .await
                .expect("claim answered")
        }
    };
    assert_eq!(claim(other.agent_id).await, None);
    assert!(claim(offer.agent_id).await.is_some());
    assert_eq!(claim(offer.agent_id).await, None);
    assert_eq!(
        support::events_of_kind(&test.store, "job.claimed", job.id).await,
        1
    );
}
