//! How claim and list costs change as the services and jobs tables grow:
//! the tables are filled directly in SQL with rows shaped like real ones
//! (services in several states across a few consumers and two agents, one
//! finished job each), then the same requests are timed at each size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use federa_client::api::service_groups::ServiceGroupCreateReq;
use federa_client::ServiceGroups;
use federa_testkit::{Api, Federation};
use serde_json::json;
use uuid::Uuid;

use crate::database::{Database, Direct};
use crate::job_steps::{in_group, jobs_in};
use crate::stats::{ms, Latencies};

/// Requests timed per size and figure.
const SAMPLES: usize = 100;
/// Consumers the filled services are spread over; the measured one is
/// the first.
const CONSUMERS: usize = 4;

/// 1k, 10k, 100k, 1M, up to `max`.
pub fn sizes(max: usize) -> Vec<usize> {
    [1_000, 10_000, 100_000, 1_000_000]
        .into_iter()
        .filter(|size| *size <= max.max(1_000))
        .collect()
}

/// The rows a fill points at: who owns, consumes and runs them.
struct Owners {
    service_type_id: Uuid,
    provider_id: Uuid,
    consumers: Vec<Uuid>,
    groups: Vec<Uuid>,
    agents: Vec<Uuid>,
}

pub async fn report(
    api: &Api,
    federation: &Arc<Federation>,
    database: &Database,
    sizes: &[usize],
) -> anyhow::Result<()> {
    if sizes.is_empty() {
        return Ok(());
    }
    let owners = owners(api, federation).await?;
    let mut claim_groups = Vec::with_capacity(SAMPLES);
    for g in 0..SAMPLES {
        claim_groups.push(federation.group(api, &format!("claim-{g}")).await);
    }
    let mut direct = database.connect().await?;
    println!(
        "  claim and list cost by table size (services and jobs rows each; p50 of {SAMPLES}):"
    );
    let mut filled = count_services(&mut direct).await?;
    let mut first: Option<(Duration, Duration)> = None;
    for &size in sizes {
        if size > filled {
            let started = Instant::now();
            fill(&mut direct, &owners, filled, size).await?;
            filled = size;
            print!(
                "    {size:>9} rows (filled in {:>4.1} s): ",
                started.elapsed().as_secs_f64()
            );
        } else {
            // The figures above leave rows behind; say how many there are.
            print!("    {filled:>9} rows (the run's own):  ");
        }
        let list = list_cost(api, federation).await;
        let claim = claim_cost(api, federation, &claim_groups).await;
        let (list_p50, claim_p50) = (list.percentile(50.0), claim.percentile(50.0));
        let (list_base, claim_base) = *first.get_or_insert((list_p50, claim_p50));
        println!(
            "GET /services p50 {} ({:.1}×)   POST /jobs/claim p50 {} ({:.1}×)",
            ms(list_p50),
            ratio(list_p50, list_base),
            ms(claim_p50),
            ratio(claim_p50, claim_base),
        );
    }
    Ok(())
}

fn ratio(now: Duration, base: Duration) -> f64 {
    now.as_secs_f64() / base.as_secs_f64().max(1e-9)
}

/// The federation's consumer and agent plus a few more, with one group
/// per consumer.
async fn owners(api: &Api, federation: &Federation) -> anyhow::Result<Owners> {
    let mut consumers = vec![federation.consumer_id.parse()?];
    let mut groups = vec![federation.group(api, "filled").await.parse()?];
    for c in 1..CONSUMERS {
        let consumer = api.participant(&format!("Consumer {c}")).await;
        let token = api.token("participant", Some(&consumer)).await;
        let consumer: Uuid = consumer.parse()?;
        let group = ServiceGroupCreateReq {
            name: "filled".to_string(),
            consumer_id: consumer,
            project_id: None,
        };
        let group = api.client(&token).create::<ServiceGroups>(&group).await?;
        consumers.push(consumer);
        groups.push(group.id);
    }
    let (other_agent, _) = federation.agent(api, "filled-agent", &[]).await;
    Ok(Owners {
        service_type_id: federation.service_type_id.parse()?,
        provider_id: federation.provider_id.parse()?,
        consumers,
        groups,
        agents: vec![federation.agent_id.parse()?, other_agent.parse()?],
    })
}

async fn count_services(direct: &mut Direct) -> anyhow::Result<usize> {
    let sql = "SELECT COUNT(*) FROM services";
    let count: i64 = match direct {
        Direct::Sqlite(c) => sqlx::query_scalar(sql).fetch_one(c).await?,
        Direct::Postgres(c) => sqlx::query_scalar(sql).fetch_one(c).await?,
    };
    Ok(count.max(0) as usize)
}

/// Adds services `from + 1 ..= to`, each with one finished job, oldest
/// first, a minute apart so real rows stay the newest.
async fn fill(direct: &mut Direct, owners: &Owners, from: usize, to: usize) -> anyhow::Result<()> {
    let (first, last) = (i32::try_from(from + 1)?, i32::try_from(to)?);
    match direct {
        Direct::Postgres(connection) => {
            sqlx::query(
                "WITH s AS ( \
                   INSERT INTO services (id, name, status, service_type_id, group_id, provider_id, consumer_id, agent_id, agent_instance_id, agent_instance_data, properties, created_at, updated_at) \
                   SELECT gen_random_uuid(), 'filled-' || g, (ARRAY['Started', 'Stopped', 'Deleted', 'Failed'])[1 + g % 4], \
                     $1, ($2::uuid[])[1 + g % 4], $3, ($4::uuid[])[1 + g % 4], ($5::uuid[])[1 + g % 2], \
                     'instance-' || g, jsonb_build_object('host', 'node-' || g % 50), \
                     jsonb_build_object('name', 'filled-' || g, 'cpu', 1 + g % 8, 'memory', 1 + g % 32), \
                     now() - interval '3 years' + g * interval '1 minute', now() - interval '3 years' + g * interval '1 minute' + interval '5 minutes' \
                   FROM generate_series($6::int, $7::int) g \
                   RETURNING id, agent_id, provider_id, consumer_id, group_id, status, created_at) \
                 INSERT INTO jobs (id, service_id, agent_id, provider_id, consumer_id, group_id, action, params, status, priority, error_message, attempts, claimed_at, lease_expires_at, completed_at, created_at, updated_at) \
                 SELECT gen_random_uuid(), id, agent_id, provider_id, consumer_id, group_id, 'create', NULL, \
                   CASE status WHEN 'Failed' THEN 'Failed' ELSE 'Completed' END, 0, \
                   CASE status WHEN 'Failed' THEN 'quota exceeded' END, 1, \
                   created_at + interval '1 second', NULL, created_at + interval '4 minutes', created_at, created_at + interval '4 minutes' \
                 FROM s",
            )
            .bind(owners.service_type_id)
            .bind(&owners.groups)
            .bind(owners.provider_id)
            .bind(&owners.consumers)
            .bind(&owners.agents)
            .bind(first)
            .bind(last)
            .execute(&mut *connection)
            .await?;
            // Autovacuum would analyse a table this size within a minute;
            // measuring before it does would time a stale plan.
            sqlx::query("ANALYZE services, jobs")
                .execute(&mut *connection)
                .await?;
        }
        Direct::Sqlite(connection) => {
            use sqlx::Connection;
            let mut tx = connection.begin().await?;
            let top: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(rowid), 0) FROM services")
                .fetch_one(&mut *tx)
                .await?;
            let pick = |column: &str, n: usize, first: usize| {
                let arms: Vec<String> = (0..n)
                    .map(|k| format!("WHEN {k} THEN ${}", first + k))
                    .collect();
                format!("CASE g % {n} {} END AS {column}", arms.join(" "))
            };
            let at = |offset: &str| {
                format!("strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '-3 years', '+' || g || ' minutes'{offset})")
            };
            let groups = pick("group_id", CONSUMERS, 3);
            let consumers = pick("consumer_id", CONSUMERS, 3 + CONSUMERS);
            let agents = pick("agent_id", 2, 3 + 2 * CONSUMERS);
            let (first_p, last_p) = (3 + 2 * CONSUMERS + 2, 3 + 2 * CONSUMERS + 3);
            let sql = format!(
                "WITH RECURSIVE n(g) AS (SELECT ${first_p} UNION ALL SELECT g + 1 FROM n WHERE g < ${last_p}), \
                 r AS (SELECT g, {groups}, {consumers}, {agents} FROM n) \
                 INSERT INTO services (id, name, status, service_type_id, group_id, provider_id, consumer_id, agent_id, agent_instance_id, agent_instance_data, properties, created_at, updated_at) \
                 SELECT randomblob(16), 'filled-' || g, CASE g % 4 WHEN 0 THEN 'Started' WHEN 1 THEN 'Stopped' WHEN 2 THEN 'Deleted' ELSE 'Failed' END, \
                   $1, group_id, $2, consumer_id, agent_id, 'instance-' || g, json_object('host', 'node-' || (g % 50)), \
                   json_object('name', 'filled-' || g, 'cpu', 1 + g % 8, 'memory', 1 + g % 32), {}, {} \
                 FROM r",
                at(""),
                at(", '+5 minutes'")
            );
            let mut insert = sqlx::query(&sql)
                .bind(owners.service_type_id)
                .bind(owners.provider_id);
            for id in owners
                .groups
                .iter()
                .chain(&owners.consumers)
                .chain(&owners.agents)
            {
                insert = insert.bind(*id);
            }
            insert.bind(first).bind(last).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO jobs (id, service_id, agent_id, provider_id, consumer_id, group_id, action, params, status, priority, error_message, attempts, claimed_at, lease_expires_at, completed_at, created_at, updated_at) \
                 SELECT randomblob(16), id, agent_id, provider_id, consumer_id, group_id, 'create', NULL, \
                   CASE status WHEN 'Failed' THEN 'Failed' ELSE 'Completed' END, 0, \
                   CASE status WHEN 'Failed' THEN 'quota exceeded' END, 1, \
                   created_at, NULL, created_at, created_at, created_at \
                 FROM services WHERE rowid > $1",
            )
            .bind(top)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

/// A consumer's first page of services, as the list figure asks for it.
async fn list_cost(api: &Api, federation: &Federation) -> Latencies {
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let sent = Instant::now();
        let response = api
            .get("/api/v1/services?pageSize=10", &federation.consumer_token)
            .await;
        samples.push(sent.elapsed());
        assert_eq!(response.status, 200, "{:?}", response.body);
    }
    Latencies::new(samples)
}

/// One pending job per group, then single claims timed one at a time; each
/// claimed job is completed untimed so the next size starts clean.
async fn claim_cost(api: &Api, federation: &Federation, groups: &[String]) -> Latencies {
    for (g, group) in groups.iter().enumerate() {
        let mut order = in_group(
            federation.order(&format!("claimed-{g}-{}", Uuid::new_v4().simple())),
            group,
        );
        if let Some(fields) = order.as_object_mut() {
            fields.insert("agentId".to_string(), json!(federation.agent_id));
        }
        let response = api
            .post("/api/v1/services", &federation.consumer_token, &order)
            .await;
        assert_eq!(response.status, 201, "{:?}", response.body);
    }
    let mut samples = Vec::with_capacity(groups.len());
    let mut claimed = Vec::with_capacity(groups.len());
    for _ in 0..groups.len() {
        let sent = Instant::now();
        let response = api
            .post(
                "/api/v1/jobs/claim",
                &federation.agent_token,
                &json!({"limit": 1}),
            )
            .await;
        samples.push(sent.elapsed());
        claimed.extend(jobs_in(response.body).into_iter().map(|job| job.id));
    }
    for id in claimed {
        api.post(
            &format!("/api/v1/jobs/{id}/complete"),
            &federation.agent_token,
            &json!({}),
        )
        .await;
    }
    Latencies::new(samples)
}
