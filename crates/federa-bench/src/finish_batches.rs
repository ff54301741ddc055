//! Finishing jobs one per request against many per request: transitions/s
//! through `POST /jobs/{id}/complete` and through `POST /jobs/finish`, each
//! beside the single-row commit rate measured in the same run.

use std::sync::Arc;
use std::time::Instant;

use federa_client::api::jobs::{CompleteJobReq, FinishJobReq, FinishJobsReq};
use federa_testkit::{Api, Federation};
use uuid::Uuid;

use crate::job_steps::{claim_batch, complete_shares, order_into};
use crate::settings::Settings;
use crate::stats::per_second;

/// Reports per request in the batched run.
const BATCH: usize = 50;

/// Prints the figure for `jobs` jobs each way, finished by `settings.agents`
/// concurrent agent instances.
pub async fn report(
    api: &Api,
    federation: &Arc<Federation>,
    settings: &Settings,
    commit_rate: f64,
) {
    let jobs = settings.jobs.clamp(1, 1000);
    let instances = settings.agents.max(1);
    let single = held_jobs(api, federation, jobs, "single").await;
    let count = single.len();
    let started = Instant::now();
    complete_shares(api, federation, share(single, instances)).await;
    let one_by_one = per_second(count, started.elapsed());

    let batched = held_jobs(api, federation, jobs, "batched").await;
    let count = batched.len();
    let agent = api.client(&federation.agent_token);
    let started = Instant::now();
    let workers: Vec<_> = share(batched, instances)
        .into_iter()
        .map(|ids| {
            let agent = agent.clone();
            tokio::spawn(async move {
                for chunk in ids.chunks(BATCH) {
                    let request = FinishJobsReq {
                        jobs: chunk
                            .iter()
                            .map(|id| FinishJobReq::completed(*id, CompleteJobReq::default()))
                            .collect(),
                    };
                    let answer = agent.finish_jobs(&request).await.expect("batch answered");
                    assert!(answer.jobs.iter().all(|job| job.finished()), "{answer:?}");
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
    let in_batches = per_second(count, started.elapsed());
    println!(
        "  finishing jobs, {instances} agent instance(s), {jobs} jobs each way: one per request {one_by_one:.0}/s = {:.2} × commit rate; {BATCH} per request {in_batches:.0}/s = {:.2} × commit rate ({:.1} × one per request)",
        one_by_one / commit_rate,
        in_batches / commit_rate,
        in_batches / one_by_one
    );
}

/// Orders `jobs` services, each in a group of its own, and claims their
/// jobs as the federation's agent; the claimed jobs' ids.
async fn held_jobs(api: &Api, federation: &Federation, jobs: usize, run: &str) -> Vec<Uuid> {
    for n in 0..jobs {
        let group = federation.group(api, &format!("finish-{run}-{n}")).await;
        order_into(api, federation, &format!("finish-{run}-{n}"), &group).await;
    }
    let mut held = Vec::with_capacity(jobs);
    while held.len() < jobs {
        let claimed = claim_batch(api, &federation.agent_token).await;
        if claimed.is_empty() {
            break;
        }
        held.extend(claimed.into_iter().map(|job| job.id));
    }
    held
}

/// `ids` dealt out to `instances` workers.
fn share(ids: Vec<Uuid>, instances: usize) -> Vec<Vec<Uuid>> {
    let mut shares = vec![Vec::new(); instances];
    for (n, id) in ids.into_iter().enumerate() {
        shares[n % instances].push(id);
    }
    shares
}
