//! How a claim's cost changes as one agent's pending backlog grows: an
//! agent of its own gets 100, then 1,000, then 10,000 pending jobs (filled
//! in SQL, spread over [`GROUPS`] service groups, so every group always has
//! a job to hand out), and single claims are timed at each size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use federa_testkit::{Api, Federation};
use serde_json::json;
use uuid::Uuid;

use crate::database::{Database, Direct};
use crate::stats::{ms, Latencies};

/// Groups the backlog is spread over; each timed claim takes the head of
/// a different one.
const GROUPS: usize = 100;
const SIZES: [usize; 3] = [100, 1_000, 10_000];

struct Backlog {
    agent_id: Uuid,
    agent_token: String,
    groups: Vec<Uuid>,
    service_type_id: Uuid,
    provider_id: Uuid,
    consumer_id: Uuid,
}

pub async fn report(
    api: &Api,
    federation: &Arc<Federation>,
    database: &Database,
) -> anyhow::Result<()> {
    let (agent_id, agent_token) = federation.agent(api, "backlog", &[]).await;
    let mut groups = Vec::with_capacity(GROUPS);
    for g in 0..GROUPS {
        groups.push(
            federation
                .group(api, &format!("backlog-{g}"))
                .await
                .parse()?,
        );
    }
    let backlog = Backlog {
        agent_id: agent_id.parse()?,
        agent_token,
        groups,
        service_type_id: federation.service_type_id.parse()?,
        provider_id: federation.provider_id.parse()?,
        consumer_id: federation.consumer_id.parse()?,
    };
    let mut direct = database.connect().await?;
    println!(
        "  claim cost by one agent's pending backlog ({GROUPS} groups; p50 of {GROUPS} claims):"
    );
    let mut first: Option<Duration> = None;
    let mut added = 0;
    for size in SIZES {
        let pending = refill(&mut direct, &backlog, size, added).await?;
        added += pending;
        let claims = claim_heads(api, &backlog.agent_token).await;
        let p50 = claims.percentile(50.0);
        let base = *first.get_or_insert(p50);
        println!(
            "    {size:>9} pending:  POST /jobs/claim p50 {} ({:.1}×)",
            ms(p50),
            p50.as_secs_f64() / base.as_secs_f64().max(1e-9)
        );
    }
    Ok(())
}

/// Finishes the jobs the previous size claimed (in SQL, untimed) and adds
/// pending jobs until the agent has `size`; how many were added. `added`
/// numbers the new services after those of earlier sizes.
async fn refill(
    direct: &mut Direct,
    backlog: &Backlog,
    size: usize,
    added: usize,
) -> anyhow::Result<usize> {
    const FINISH: &str = "UPDATE jobs SET status = 'Completed', completed_at = updated_at WHERE agent_id = $1 AND status = 'Processing'";
    const PENDING: &str = "SELECT COUNT(*) FROM jobs WHERE agent_id = $1 AND status = 'Pending'";
    // One body, compiled once per connection type.
    macro_rules! finish_and_count {
        ($connection:expr) => {{
            let connection = $connection;
            sqlx::query(FINISH)
                .bind(backlog.agent_id)
                .execute(&mut *connection)
                .await?;
            sqlx::query_scalar(PENDING)
                .bind(backlog.agent_id)
                .fetch_one(&mut *connection)
                .await?
        }};
    }
    let pending: i64 = match direct {
        Direct::Postgres(c) => finish_and_count!(c),
        Direct::Sqlite(c) => finish_and_count!(c),
    };
    let missing = size.saturating_sub(pending.max(0) as usize);
    if missing > 0 {
        add_pending(direct, backlog, added, missing).await?;
    }
    // Written behind the store's back, so each group's next job is marked
    // here as the store's own writes mark it.
    const HEADS: &str = "UPDATE jobs SET head = (status = 'Pending' \
        AND NOT EXISTS (SELECT 1 FROM jobs busy WHERE busy.group_id = jobs.group_id AND busy.agent_id = jobs.agent_id AND busy.status = 'Processing') \
        AND id = (SELECT lead.id FROM jobs lead WHERE lead.group_id = jobs.group_id AND lead.agent_id = jobs.agent_id AND lead.status = 'Pending' \
            ORDER BY lead.priority DESC, lead.created_at, lead.id LIMIT 1)) \
        WHERE agent_id = $1 AND (head OR status = 'Pending')";
    match direct {
        Direct::Postgres(c) => {
            sqlx::query(HEADS)
                .bind(backlog.agent_id)
                .execute(&mut *c)
                .await?;
        }
        Direct::Sqlite(c) => {
            sqlx::query(HEADS)
                .bind(backlog.agent_id)
                .execute(&mut *c)
                .await?;
        }
    }
    Ok(missing)
}

/// Adds `missing` pending jobs of new services, numbered after `added`.
async fn add_pending(
    direct: &mut Direct,
    backlog: &Backlog,
    added: usize,
    missing: usize,
) -> anyhow::Result<()> {
    let (first, last) = (i32::try_from(added + 1)?, i32::try_from(added + missing)?);
    const JOBS: &str = "INSERT INTO jobs (id, service_id, agent_id, provider_id, consumer_id, group_id, action, params, status, priority, error_message, attempts, claimed_at, lease_expires_at, completed_at, created_at, updated_at) \
        SELECT {id}, id, agent_id, provider_id, consumer_id, group_id, 'create', NULL, 'Pending', 0, NULL, 0, NULL, NULL, NULL, created_at, created_at \
        FROM services WHERE agent_id = $1 AND name >= 'backlog-' AND name < 'backlog.' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.service_id = services.id)";
    match direct {
        Direct::Postgres(c) => {
            sqlx::query(
                "INSERT INTO services (id, name, status, service_type_id, group_id, provider_id, consumer_id, agent_id, properties, created_at, updated_at) \
                 SELECT gen_random_uuid(), 'backlog-' || g, 'Stopped', $1, ($2::uuid[])[1 + g % $3], $4, $5, $6, '{}'::jsonb, now(), now() \
                 FROM generate_series($7::int, $8::int) g",
            )
            .bind(backlog.service_type_id)
            .bind(&backlog.groups)
            .bind(GROUPS as i32)
            .bind(backlog.provider_id)
            .bind(backlog.consumer_id)
            .bind(backlog.agent_id)
            .bind(first)
            .bind(last)
            .execute(&mut *c)
            .await?;
            sqlx::query(&JOBS.replace("{id}", "gen_random_uuid()"))
                .bind(backlog.agent_id)
                .execute(&mut *c)
                .await?;
            sqlx::query("ANALYZE services, jobs")
                .execute(&mut *c)
                .await?;
        }
        Direct::Sqlite(c) => {
            use sqlx::Connection;
            let mut tx = c.begin().await?;
            sqlx::query("CREATE TEMP TABLE IF NOT EXISTS backlog_groups (n INTEGER PRIMARY KEY, id BLOB NOT NULL)")
                .execute(&mut *tx)
                .await?;
            for (n, id) in backlog.groups.iter().enumerate() {
                sqlx::query("INSERT OR REPLACE INTO backlog_groups (n, id) VALUES ($1, $2)")
                    .bind(n as i64)
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?;
            }
            let now = "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')";
            sqlx::query(&format!(
                "WITH RECURSIVE n(g) AS (SELECT $1 UNION ALL SELECT g + 1 FROM n WHERE g < $2) \
                 INSERT INTO services (id, name, status, service_type_id, group_id, provider_id, consumer_id, agent_id, properties, created_at, updated_at) \
                 SELECT randomblob(16), 'backlog-' || g, 'Stopped', $3, bg.id, $4, $5, $6, '{{}}', {now}, {now} \
                 FROM n JOIN backlog_groups bg ON bg.n = g % {GROUPS}"
            ))
            .bind(first)
            .bind(last)
            .bind(backlog.service_type_id)
            .bind(backlog.provider_id)
            .bind(backlog.consumer_id)
            .bind(backlog.agent_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&JOBS.replace("{id}", "randomblob(16)"))
                .bind(backlog.agent_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

/// [`GROUPS`] single claims, one after another.
async fn claim_heads(api: &Api, token: &str) -> Latencies {
    let mut samples = Vec::with_capacity(GROUPS);
    for _ in 0..GROUPS {
        let sent = Instant::now();
        let response = api
            .post("/api/v1/jobs/claim", token, &json!({"limit": 1}))
            .await;
        samples.push(sent.elapsed());
        assert_eq!(response.status, 200, "{:?}", response.body);
        assert_eq!(
            response.body.as_array().map(Vec::len),
            Some(1),
            "every group has a job to hand out: {:?}",
            response.body
        );
    }
    Latencies::new(samples)
}
