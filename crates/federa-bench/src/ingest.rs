//! Metric ingest through `POST /metric-entries/batch`, next to the fastest
//! way the same database takes the same rows: `COPY` on PostgreSQL,
//! multi-row `INSERT`s in one transaction on SQLite.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use federa_client::api::metric_types::MetricTypeCreateReq;
use federa_client::api::placement::OrderedServiceRes;
use federa_client::{Method, MetricTypes};
use federa_domain::metrics::MetricEntityType;
use federa_testkit::{Api, Federation};
use serde_json::json;
use uuid::Uuid;

use crate::database::{Database, Direct};
use crate::settings::Settings;
use crate::stats::per_second;

/// Services each reporting agent runs; entries cycle over them.
const SERVICES_PER_AGENT: usize = 10;
/// Rows per `INSERT` in the SQLite probe, as many as the store uses.
const PROBE_ROWS_PER_INSERT: usize = 500;
const COLUMNS: &str =
    "id, service_id, type_id, agent_id, provider_id, consumer_id, resource_id, value, created_at";

struct Reporter {
    token: String,
    agent_id: Uuid,
    services: Vec<Uuid>,
}

/// One metric-shaped row, as the probe writes it.
struct Row {
    id: Uuid,
    service_id: Uuid,
    type_id: Uuid,
    agent_id: Uuid,
    provider_id: Uuid,
    consumer_id: Uuid,
    resource_id: String,
    value: f64,
    created_at: DateTime<Utc>,
}

pub async fn report(
    api: &Api,
    federation: &Arc<Federation>,
    database: &Database,
    settings: &Settings,
) -> anyhow::Result<()> {
    let metric_type = MetricTypeCreateReq {
        name: "bench.cpu".to_string(),
        entity_type: MetricEntityType::Resource,
    };
    let type_id = api.admin.create::<MetricTypes>(&metric_type).await?.id;
    let consumer = api.client(&federation.consumer_token);
    let mut reporters = Vec::new();
    for a in 0..settings.metric_agents {
        let (agent_id, token) = federation.agent(api, &format!("metrics-{a}"), &[]).await;
        let mut services = Vec::new();
        for s in 0..SERVICES_PER_AGENT {
            let mut order = federation.order(&format!("metered-{a}-{s}"));
            if let Some(fields) = order.as_object_mut() {
                fields.insert("agentId".to_string(), json!(agent_id));
            }
            let ordered: OrderedServiceRes =
                consumer.submit(Method::POST, "/services", &order).await?;
            services.push(ordered.service.id);
        }
        reporters.push(Reporter {
            token,
            agent_id: agent_id.parse()?,
            services,
        });
    }
    let batches = settings
        .metric_entries
        .div_ceil(settings.metric_batch)
        .max(1);
    let entries = batches * settings.metric_batch;

    let provider_id: Uuid = federation.provider_id.parse()?;
    let consumer_id: Uuid = federation.consumer_id.parse()?;
    let now = Utc::now();
    let rows: Vec<Row> = (0..entries)
        .map(|n| {
            let reporter = &reporters[n % reporters.len()];
            Row {
                id: Uuid::now_v7(),
                service_id: reporter.services[n % SERVICES_PER_AGENT],
                type_id,
                agent_id: reporter.agent_id,
                provider_id,
                consumer_id,
                resource_id: format!("cpu-{}", n % 4),
                value: (n % 100) as f64,
                created_at: now,
            }
        })
        .collect();
    let (probe_label, probe_rate) = match database.connect().await? {
        Direct::Postgres(mut connection) => ("COPY", copy_probe(&mut connection, &rows).await?),
        Direct::Sqlite(mut connection) => (
            "multi-row INSERT, one transaction",
            insert_probe(&mut connection, &rows).await?,
        ),
    };
    drop(rows);

    let api_rate = ingest(api, &reporters, batches, settings.metric_batch).await?;
    println!(
        "  metric entries/s, batch endpoint ({} × {}, {} agents): {:>8.0}   = {:.2} × {probe_label} ({probe_rate:.0} rows/s)",
        batches,
        settings.metric_batch,
        reporters.len(),
        api_rate,
        api_rate / probe_rate
    );
    Ok(())
}

/// Sends `batches` batch requests from every reporter at once, bodies
/// serialised beforehand so the load generator spends its share of the
/// cores on sending, not on JSON.
async fn ingest(
    api: &Api,
    reporters: &[Reporter],
    batches: usize,
    batch: usize,
) -> anyhow::Result<f64> {
    let bodies: Vec<Vec<u8>> = (0..batches)
        .map(|b| {
            let reporter = &reporters[b % reporters.len()];
            let entries: Vec<_> = (0..batch)
                .map(|n| {
                    json!({
                        "serviceId": reporter.services[n % SERVICES_PER_AGENT],
                        "resourceId": format!("cpu-{}", n % 4),
                        "typeName": "bench.cpu",
                        "value": (n % 100) as f64,
                    })
                })
                .collect();
            serde_json::to_vec(&json!({ "entries": entries })).unwrap_or_default()
        })
        .collect();
    let bodies = Arc::new(bodies);
    let started = Instant::now();
    let senders: Vec<_> = reporters
        .iter()
        .enumerate()
        .map(|(r, reporter)| {
            let (api, bodies) = (api.clone(), bodies.clone());
            let token = reporter.token.clone();
            let reporters = reporters.len();
            tokio::spawn(async move {
                // Each reporter sends only the bodies naming its services.
                let mut b = r;
                while b < bodies.len() {
                    let response = api
                        .http
                        .post(api.url("/api/v1/metric-entries/batch"))
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(bodies[b].clone())
                        .send()
                        .await?;
                    let status = response.status();
                    let text = response.text().await?;
                    anyhow::ensure!(
                        status == 200 && text.contains("\"rejected\":0"),
                        "batch: {status} {}",
                        text.chars().take(300).collect::<String>()
                    );
                    b += reporters;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for sender in senders {
        sender.await??;
    }
    Ok(per_second(batches * batch, started.elapsed()))
}

/// `COPY … FROM STDIN` into a table shaped like `metric_entries` (same
/// columns, indexes and foreign keys), text built beforehand.
async fn copy_probe(connection: &mut sqlx::PgConnection, rows: &[Row]) -> anyhow::Result<f64> {
    let mut text = String::with_capacity(rows.len() * 200);
    for row in rows {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            row.id,
            row.service_id,
            row.type_id,
            row.agent_id,
            row.provider_id,
            row.consumer_id,
            row.resource_id,
            row.value,
            row.created_at.to_rfc3339()
        ));
    }
    for statement in [
        "CREATE TABLE metric_probe (LIKE metric_entries INCLUDING ALL)",
        "ALTER TABLE metric_probe ADD FOREIGN KEY (service_id) REFERENCES services (id), ADD FOREIGN KEY (type_id) REFERENCES metric_types (id)",
    ] {
        sqlx::query(statement).execute(&mut *connection).await?;
    }
    let started = Instant::now();
    let mut copy = connection
        .copy_in_raw(&format!("COPY metric_probe ({COLUMNS}) FROM STDIN"))
        .await?;
    for chunk in text.as_bytes().chunks(1 << 20) {
        copy.send(chunk).await?;
    }
    copy.finish().await?;
    let rate = per_second(rows.len(), started.elapsed());
    sqlx::query("DROP TABLE metric_probe")
        .execute(&mut *connection)
        .await?;
    Ok(rate)
}

/// Multi-row `INSERT`s in one transaction into a copy of `metric_entries`
/// (its own `CREATE` statements, foreign keys included).
async fn insert_probe(
    connection: &mut sqlx::SqliteConnection,
    rows: &[Row],
) -> anyhow::Result<f64> {
    use sqlx::Connection;
    let schema: Vec<(String,)> = sqlx::query_as(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'metric_entries' AND sql IS NOT NULL ORDER BY type = 'index'",
    )
    .fetch_all(&mut *connection)
    .await?;
    for (statement,) in &schema {
        sqlx::query(&statement.replace("metric_entries", "metric_probe"))
            .execute(&mut *connection)
            .await?;
    }
    let started = Instant::now();
    let mut tx = connection.begin().await?;
    for chunk in rows.chunks(PROBE_ROWS_PER_INSERT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|r| {
                let first = r * 9 + 1;
                let list: Vec<String> = (first..first + 9).map(|n| format!("${n}")).collect();
                format!("({})", list.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO metric_probe ({COLUMNS}) VALUES {}",
            values.join(", ")
        );
        let mut insert = sqlx::query(&sql);
        for row in chunk {
            insert = insert
                .bind(row.id)
                .bind(row.service_id)
                .bind(row.type_id)
                .bind(row.agent_id)
                .bind(row.provider_id)
                .bind(row.consumer_id)
                .bind(row.resource_id.as_str())
                .bind(row.value)
                .bind(row.created_at);
        }
        insert.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    let rate = per_second(rows.len(), started.elapsed());
    sqlx::query("DROP TABLE metric_probe")
        .execute(&mut *connection)
        .await?;
    Ok(rate)
}
