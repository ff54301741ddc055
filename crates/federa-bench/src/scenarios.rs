//! The figures, per backend.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use federa_client::api::PageRes;
use federa_testkit::{Api, Federation, ADMIN_TOKEN};
use serde::de::IgnoredAny;
use serde_json::json;

use crate::database::Database;
use crate::job_steps::{claim_batch, complete, complete_shares, in_group, jobs_in, order_into};
use crate::probes::{rss_bytes, settle};
use crate::settings::Settings;
use crate::stats::{ms, per_second, Latencies};
use crate::Server;

/// Runs every figure on one backend and returns its job cycles/s.
pub async fn run_backend(
    binary: &std::path::Path,
    label: &str,
    database: &Database,
    commit_rate: f64,
    settings: &Settings,
) -> anyhow::Result<f64> {
    println!();
    println!("{label}");
    // A server of its own, stopped before the figures below start theirs:
    // a SQLite database takes one server at a time.
    crate::round_trips::report(binary, database).await?;
    let server = Server::start(binary, &database.url()).await?;
    settle().await;
    let idle_rss = rss_bytes(server.pid()).unwrap_or(0);
    let api = server.api.clone();
    println!(
        "  idle RSS                                       {:>10.1} MiB",
        mib(idle_rss)
    );

    let floor = load(&api, "/healthz", None, settings.clients, 5000).await;
    println!(
        "  HTTP floor GET /healthz: {:>8.0} req/s   p50 {}  p99 {}",
        floor.rate,
        ms(floor.latencies.percentile(50.0)),
        ms(floor.latencies.percentile(99.0))
    );

    let federation = Arc::new(Federation::create(&api).await);
    let cycle = job_cycles(&api, &federation, settings).await;
    println!(
        "  job cycles/s (order → claim → complete):   {:>10.0}   = {:.2} × single-row commit rate ({commit_rate:.0}/s)",
        cycle,
        cycle / commit_rate
    );
    if settings.cycles_only {
        if settings.backlog_too {
            crate::backlog::report(&api, &federation, database).await?;
        }
        server.stop().await;
        return Ok(cycle);
    }
    for instances in [settings.agents, 1] {
        let steps = cycle_steps(&api, &federation, settings, instances).await;
        println!(
            "  … each step alone, {instances} agent instance(s), {} jobs: order {:.0}/s, claim {:.0}/s ({} calls), complete {:.0}/s",
            steps.jobs, steps.order, steps.claim, steps.claim_calls, steps.complete
        );
    }

    crate::finish_batches::report(&api, &federation, settings, commit_rate).await;

    let dispatch = dispatch_latency(&api, &federation, 50).await;
    println!(
        "  dispatch, order sent → long-poll answered:  p50 {}  p99 {}",
        ms(dispatch.percentile(50.0)),
        ms(dispatch.percentile(99.0))
    );

    let get = load(
        &api,
        "/api/v1/services?pageSize=10",
        Some(&federation.consumer_token),
        settings.clients,
        5000,
    )
    .await;
    println!(
        "  authenticated GET /services: {:>8.0} req/s   p50 {}  p99 {}   ({:.2} × HTTP floor)",
        get.rate,
        ms(get.latencies.percentile(50.0)),
        ms(get.latencies.percentile(99.0)),
        get.rate / floor.rate
    );
    let paced = paced_load(
        &api,
        "/api/v1/services?pageSize=10",
        &federation.consumer_token,
        get.rate * 0.7,
        3000,
    )
    .await;
    println!(
        "  … at 70% of that rate:                      p50 {}  p99 {}",
        ms(paced.percentile(50.0)),
        ms(paced.percentile(99.0))
    );

    let (events, elapsed) = catch_up(&api).await;
    println!(
        "  event-log catch-up (pages of 100):          {:>10.0} events/s ({events} events)",
        per_second(events, elapsed)
    );

    // The load above grows the heap, and the allocator keeps much of it; the
    // cost of a connection is the growth from here, not from start-up.
    long_poll_memory(&server, &federation, settings, "after the load above").await;

    crate::ingest::report(&api, &federation, database, settings).await?;
    crate::scaling::report(&api, &federation, database, &settings.scale_sizes).await?;
    crate::backlog::report(&api, &federation, database).await?;
    server.stop().await;
    Ok(cycle)
}

/// The memory idle long-polls hold: RSS right before `settings.idle_polls`
/// of them open and once they are parked, the difference per connection.
/// `moment` says what the server did before.
async fn long_poll_memory(
    server: &Server,
    federation: &Arc<Federation>,
    settings: &Settings,
    moment: &str,
) {
    let before_polls = rss_bytes(server.pid()).unwrap_or(0);
    let polls = idle_long_polls(&server.api, federation, settings.idle_polls).await;
    settle().await;
    let busy_rss = rss_bytes(server.pid()).unwrap_or(0);
    let per_connection =
        busy_rss.saturating_sub(before_polls) as f64 / settings.idle_polls.max(1) as f64;
    println!(
        "  RSS {moment} {:.1} MiB; with {} idle long-polls {:.1} MiB  ≈ {:.1} KiB per connection",
        mib(before_polls),
        settings.idle_polls,
        mib(busy_rss),
        per_connection / 1024.0
    );
    for poll in polls {
        poll.abort();
    }
}

/// Only the memory of idle long-polls, on a server of its own that has
/// answered 200 job cycles first, so its heap is past start-up.
pub async fn run_long_polls(
    binary: &std::path::Path,
    label: &str,
    database: &Database,
    settings: &Settings,
) -> anyhow::Result<()> {
    let (server, federation) = own_server(binary, label, database).await?;
    let warm = Settings {
        jobs: 200,
        ..settings.clone()
    };
    job_cycles(&server.api, &federation, &warm).await;
    settle().await;
    long_poll_memory(&server, &federation, settings, "after 200 job cycles").await;
    server.stop().await;
    Ok(())
}

/// Only the figure of finishing jobs one per request and in batches, on a
/// server of its own.
pub async fn run_finish_batches(
    binary: &std::path::Path,
    label: &str,
    database: &Database,
    commit_rate: f64,
    settings: &Settings,
) -> anyhow::Result<()> {
    let (server, federation) = own_server(binary, label, database).await?;
    crate::finish_batches::report(&server.api, &federation, settings, commit_rate).await;
    server.stop().await;
    Ok(())
}

/// A server of its own on `database` with a federation on it, under the
/// heading `label`, for a figure run alone.
async fn own_server(
    binary: &std::path::Path,
    label: &str,
    database: &Database,
) -> anyhow::Result<(Server, Arc<Federation>)> {
    println!();
    println!("{label}");
    let server = Server::start(binary, &database.url()).await?;
    let federation = Arc::new(Federation::create(&server.api).await);
    Ok((server, federation))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

struct Load {
    rate: f64,
    latencies: Latencies,
}

/// `total` GETs of `path` from `clients` concurrent clients, as fast as the
/// server answers.
async fn load(api: &Api, path: &str, token: Option<&str>, clients: usize, total: usize) -> Load {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (api, next, path, token) = (
                api.clone(),
                next.clone(),
                path.to_string(),
                token.map(str::to_string),
            );
            tokio::spawn(async move {
                let mut samples = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    let sent = Instant::now();
                    let response = api.call("GET", &path, token.as_deref(), None).await;
                    assert_eq!(response.status, 200, "{path}: {:?}", response.body);
                    samples.push(sent.elapsed());
                }
                samples
            })
        })
        .collect();
    let mut samples = Vec::new();
    for worker in workers {
        samples.extend(worker.await.unwrap_or_default());
    }
    Load {
        rate: per_second(samples.len(), started.elapsed()),
        latencies: Latencies::new(samples),
    }
}

/// `total` GETs at a fixed rate, each on its own task, to see latency
/// below saturation.
async fn paced_load(api: &Api, path: &str, token: &str, rate: f64, total: usize) -> Latencies {
    let interval = Duration::from_secs_f64(1.0 / rate.max(1.0));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(total);
    for _ in 0..total {
        ticker.tick().await;
        let (api, path, token) = (api.clone(), path.to_string(), token.to_string());
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            api.get(&path, &token).await;
            sent.elapsed()
        }));
    }
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await.ok());
    }
    Latencies::new(samples)
}

/// Orders `jobs` services while `agents` instances claim and complete
/// their jobs; cycles per second from the first order to the last
/// completion.
async fn job_cycles(api: &Api, federation: &Arc<Federation>, settings: &Settings) -> f64 {
    let groups: Vec<String> = {
        let mut groups = Vec::new();
        for g in 0..(settings.jobs / 10).max(1) {
            groups.push(federation.group(api, &format!("bench-{g}")).await);
        }
        groups
    };
    let groups = Arc::new(groups);
    let completed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let consumers: Vec<_> = (0..settings.clients.min(16))
        .map(|worker| {
            let (api, federation, groups) = (api.clone(), federation.clone(), groups.clone());
            let (step, jobs) = (settings.clients.min(16), settings.jobs);
            tokio::spawn(async move {
                for n in (worker..jobs).step_by(step) {
                    order_into(
                        &api,
                        &federation,
                        &format!("vm-{n}"),
                        &groups[n % groups.len()],
                    )
                    .await;
                }
            })
        })
        .collect();
    let agents: Vec<_> = (0..settings.agents)
        .map(|_| {
            let (api, federation, completed) = (api.clone(), federation.clone(), completed.clone());
            let jobs = settings.jobs;
            tokio::spawn(async move {
                while completed.load(Ordering::Relaxed) < jobs {
                    let batch = claim_batch(&api, &federation.agent_token).await;
                    if batch.is_empty() {
                        let _ = api
                            .get(
                                "/api/v1/jobs/pending?wait=1s&limit=1",
                                &federation.agent_token,
                            )
                            .await;
                        continue;
                    }
                    for job in batch {
                        complete(&api, &federation.agent_token, job.id).await;
                        completed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for consumer in consumers {
        let _ = consumer.await;
    }
    for agent in agents {
        let _ = agent.await;
    }
    per_second(settings.jobs, started.elapsed())
}

/// From sending an order to the waiting agent's long-poll answering.
async fn dispatch_latency(api: &Api, federation: &Arc<Federation>, rounds: usize) -> Latencies {
    let group = federation.group(api, "dispatch").await;
    let mut samples = Vec::new();
    for round in 0..rounds {
        let waiter = {
            let (api, token) = (api.clone(), federation.agent_token.clone());
            tokio::spawn(async move {
                let response = api
                    .get("/api/v1/jobs/pending?wait=10s&limit=1", &token)
                    .await;
                (Instant::now(), response)
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let order = in_group(federation.order(&format!("dispatch-{round}")), &group);
        let sent = Instant::now();
        api.post("/api/v1/services", &federation.consumer_token, &order)
            .await;
        let (answered, response) = waiter.await.expect("long-poll");
        samples.push(answered.saturating_duration_since(sent));
        // Finish the job so the group's next job can be handed out.
        if let Some(job) = jobs_in(response.body).first() {
            let id = job.id;
            api.post(
                &format!("/api/v1/jobs/{id}/claim"),
                &federation.agent_token,
                &json!({}),
            )
            .await;
            api.post(
                &format!("/api/v1/jobs/{id}/complete"),
                &federation.agent_token,
                &json!({}),
            )
            .await;
        }
    }
    Latencies::new(samples)
}

/// Reads the whole event log in pages, as a subscriber catching up does.
async fn catch_up(api: &Api) -> (usize, Duration) {
    let started = Instant::now();
    let mut seen = 0;
    for page in 1.. {
        let response = api
            .get(
                &format!("/api/v1/events?pageSize=100&page={page}&sort=sequenceNumber"),
                ADMIN_TOKEN,
            )
            .await;
        // The envelope only: decoding every event would add the reader's
        // own work to the time this figure gives the exchange.
        let Ok(page) = serde_json::from_value::<PageRes<IgnoredAny>>(response.body) else {
            break;
        };
        seen += page.items.len();
        if !page.has_next {
            break;
        }
    }
    (seen, started.elapsed())
}

/// Long-polls that stay open, from an agent with no work.
async fn idle_long_polls(
    api: &Api,
    federation: &Arc<Federation>,
    count: usize,
) -> Vec<tokio::task::JoinHandle<()>> {
    // An agent may hold only so many long-polls open; idle agents each
    // hold a share.
    let per_agent = federa_server::dispatch::MAX_WAITERS_PER_AGENT;
    let mut polls = Vec::with_capacity(count);
    for agent in 0..count.div_ceil(per_agent) {
        let (_, token) = federation.agent(api, &format!("idle-{agent}"), &[]).await;
        for _ in 0..per_agent.min(count - polls.len()) {
            let (api, token) = (api.clone(), token.clone());
            polls.push(tokio::spawn(async move {
                let _ = api.get("/api/v1/jobs/pending?wait=60s", &token).await;
            }));
        }
    }
    polls
}

pub struct Steps {
    pub jobs: usize,
    pub order: f64,
    pub claim: f64,
    pub complete: f64,
    pub claim_calls: usize,
}

/// The cycle's three steps run one after another, each with the same
/// concurrency as in the cycle, to see which one bounds it. Every service
/// gets its own group so that all its jobs are claimable at once.
async fn cycle_steps(
    api: &Api,
    federation: &Arc<Federation>,
    settings: &Settings,
    instances: usize,
) -> Steps {
    let jobs = settings.jobs.clamp(1, 500);
    let mut groups = Vec::with_capacity(jobs);
    for g in 0..jobs {
        groups.push(
            federation
                .group(api, &format!("steps-{instances}-{g}"))
                .await,
        );
    }
    let groups = Arc::new(groups);
    let clients = settings.clients.min(16);

    let started = Instant::now();
    let orders: Vec<_> = (0..clients)
        .map(|worker| {
            let (api, federation, groups) = (api.clone(), federation.clone(), groups.clone());
            tokio::spawn(async move {
                for n in (worker..jobs).step_by(clients) {
                    order_into(
                        &api,
                        &federation,
                        &format!("step-{instances}-{n}"),
                        &groups[n],
                    )
                    .await;
                }
            })
        })
        .collect();
    for order in orders {
        let _ = order.await;
    }
    let order = per_second(jobs, started.elapsed());

    let claimed = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(120);
    let claimers: Vec<_> = (0..instances)
        .map(|_| {
            let (api, federation) = (api.clone(), federation.clone());
            let (claimed, calls) = (claimed.clone(), calls.clone());
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while claimed.load(Ordering::Relaxed) < jobs && Instant::now() < deadline {
                    calls.fetch_add(1, Ordering::Relaxed);
                    let batch = claim_batch(&api, &federation.agent_token).await;
                    claimed.fetch_add(batch.len(), Ordering::Relaxed);
                    mine.extend(batch.iter().map(|job| job.id));
                }
                mine
            })
        })
        .collect();
    let mut held = Vec::new();
    for claimer in claimers {
        held.push(claimer.await.unwrap_or_default());
    }
    let claim = per_second(jobs, started.elapsed());

    let started = Instant::now();
    complete_shares(api, federation, held).await;
    let complete = per_second(jobs, started.elapsed());
    Steps {
        jobs,
        order,
        claim,
        complete,
        claim_calls: calls.load(Ordering::Relaxed),
    }
}
