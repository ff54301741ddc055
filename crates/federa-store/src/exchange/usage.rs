use std::collections::HashMap;

use chrono::{DateTime, Utc};
use federa_domain::event_kind::EventKind;
use federa_domain::exchange::billing::{MetricReading, PriceChange, StatusChange};
use federa_domain::exchange::Decimal;
use serde_json::{Map, Value};
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::Result;
use crate::sql::Arg;
use crate::write::fetch_all;
use crate::Store;

/// Whose services a bill covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BilledParty {
    /// The consumer's services: an invoice.
    Consumer(Uuid),
    /// The provider's services: a statement.
    Provider(Uuid),
}

impl BilledParty {
    fn column(self) -> (&'static str, Uuid) {
        match self {
            BilledParty::Consumer(id) => ("consumer_id", id),
            BilledParty::Provider(id) => ("provider_id", id),
        }
    }
}

/// A service as billing sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct BilledService {
    pub id: Uuid,
    pub name: String,
    pub service_type_id: Uuid,
    pub provider_id: Uuid,
    pub consumer_id: Uuid,
    pub properties: Map<String, Value>,
    /// The offering the service is billed by: the one it was placed on, or
    /// for a service ordered with an explicit agent, its provider's oldest
    /// offering of the service type. `None` when the provider offers none.
    pub offering_id: Option<Uuid>,
    /// The project of the service's group, if it has one.
    pub project_id: Option<Uuid>,
}

/// Everything needed to bill a party's services up to some instant.
#[derive(Debug, Clone, Default)]
pub struct UsageHistory {
    pub services: Vec<BilledService>,
    /// Every status each service entered, in the order it entered them.
    pub status_changes: HashMap<Uuid, Vec<StatusChange>>,
    /// Every price of every offering in `services`.
    pub prices: HashMap<Uuid, Vec<PriceChange>>,
    /// The metric readings of each service within the period.
    pub readings: HashMap<Uuid, Vec<MetricReading>>,
}

#[derive(sqlx::FromRow)]
struct ServiceRow {
    id: Uuid,
    name: String,
    service_type_id: Uuid,
    provider_id: Uuid,
    consumer_id: Uuid,
    properties: Json<Map<String, Value>>,
    offering_id: Option<Uuid>,
    project_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct ReadingRow {
    service_id: Uuid,
    name: String,
    value: f64,
    created_at: DateTime<Utc>,
}

/// A reported value as the decimal its shortest text spells: agents
/// report floats, and `0.1` must bill as one tenth. Values no decimal can
/// hold (infinite, or beyond 28 digits) cannot be billed and are skipped.
fn reading_quantity(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    let text = value.to_string();
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
}

#[derive(sqlx::FromRow)]
struct StatusRow {
    entity_id: Uuid,
    #[sqlx(rename = "type")]
    kind: String,
    properties: Json<Value>,
    created_at: DateTime<Utc>,
}

/// The status a service is billed in from one event of its history. A
/// drift that shows the instance not running bills as not running (named
/// after what was observed, which no lifecycle state is) until the drift
/// resolves or the lifecycle moves on; a drift to running bills nothing
/// the consumer did not ask for.
fn billed_status(kind: EventKind, properties: &Value) -> Option<String> {
    let text = |field: &str| properties.get(field).and_then(Value::as_str);
    match kind {
        EventKind::ServiceCreated => text("status").map(str::to_owned),
        EventKind::ServiceTransitioned => text("to").map(str::to_owned),
        EventKind::ServiceDrifted => text("observed")
            .filter(|observed| *observed != "Running")
            .map(|observed| format!("observed {observed}")),
        EventKind::ServiceDriftResolved => text("status").map(str::to_owned),
        // From the cut-over the consumer pays the target; the source keeps
        // running through the transitional period at its provider's cost.
        EventKind::ServiceSwitchedAway => Some(SWITCHED_AWAY.to_owned()),
        _ => None,
    }
}

/// The billed status of a source service after its switch's cut-over; no
/// lifecycle has a state of this name, so it is never running time.
const SWITCHED_AWAY: &str = "switched away";

/// The kinds of event a service's billed status is read from.
const BILLED_KINDS: [EventKind; 5] = [
    EventKind::ServiceCreated,
    EventKind::ServiceTransitioned,
    EventKind::ServiceDrifted,
    EventKind::ServiceDriftResolved,
    EventKind::ServiceSwitchedAway,
];

impl Store {
    /// The services of `party` created before `until`, with their status
    /// history up to `until`, their offerings' price history and their
    /// metric readings in `[from, until)`.
    ///
    /// Status history is read from the event log, which records every
    /// service's creation (`service.created`, with its first status) and
    /// every lifecycle move (`service.transitioned`, with `to`) in the
    /// transaction that made it: it is complete and never rewritten. Drift
    /// reports (`service.drifted`, `service.driftResolved`) mark the time
    /// an instance was observed not running; see [`billed_status`].
    pub async fn usage_history(
        &self,
        party: BilledParty,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<UsageHistory> {
        // The status history is read from the numbered log: every event
        // committed so far is numbered first.
        self.number_events().await?;
        let (column, id) = party.column();
        let services: Vec<ServiceRow> = fetch_all(
            &self.read,
            &format!(
                "SELECT s.id, s.name, s.service_type_id, s.provider_id, s.consumer_id, s.properties, \
                 COALESCE(p.offering_id, (SELECT o.id FROM offerings o WHERE o.participant_id = s.provider_id AND o.service_type_id = s.service_type_id ORDER BY o.created_at, o.id LIMIT 1)) AS offering_id \
                 , g.project_id \
                 FROM services s LEFT JOIN placements p ON p.service_id = s.id LEFT JOIN service_groups g ON g.id = s.group_id \
                 WHERE s.{column} = $1 AND s.created_at < $2 ORDER BY s.created_at, s.id"
            ),
            &[Arg::Uuid(id), Arg::Time(until)],
        )
        .await?;
        // Wire names are fixed identifiers, never input: safe to inline.
        let billed_kinds = BILLED_KINDS
            .iter()
            .map(|kind| format!("'{kind}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let statuses: Vec<StatusRow> = fetch_all(
            &self.read,
            &format!(
                "SELECT entity_id, type, properties, created_at FROM events \
                 WHERE {column} = $1 AND type IN ({billed_kinds}) AND created_at < $2 \
                 ORDER BY sequence_number"
            ),
            &[Arg::Uuid(id), Arg::Time(until)],
        )
        .await?;
        let mut status_changes: HashMap<Uuid, Vec<StatusChange>> = HashMap::new();
        for row in statuses {
            let kind = EventKind::parse(&row.kind);
            if let Some(status) = kind.and_then(|kind| billed_status(kind, &row.properties.0)) {
                status_changes
                    .entry(row.entity_id)
                    .or_default()
                    .push(StatusChange {
                        at: row.created_at,
                        status,
                    });
            }
        }
        let mut offering_ids: Vec<Uuid> = services.iter().filter_map(|s| s.offering_id).collect();
        offering_ids.sort();
        offering_ids.dedup();
        let prices = self.offering_prices(&offering_ids).await?;
        let rows: Vec<ReadingRow> = fetch_all(
            &self.read,
            &format!(
                "SELECT m.service_id, t.name, m.value, m.created_at FROM metric_entries m JOIN metric_types t ON t.id = m.type_id \
                 WHERE m.{column} = $1 AND m.created_at >= $2 AND m.created_at < $3"
            ),
            &[Arg::Uuid(id), Arg::Time(from), Arg::Time(until)],
        )
        .await?;
        let mut readings: HashMap<Uuid, Vec<MetricReading>> = HashMap::new();
        for row in rows {
            match reading_quantity(row.value) {
                Some(quantity) => readings
                    .entry(row.service_id)
                    .or_default()
                    .push(MetricReading {
                        metric_type: row.name,
                        quantity,
                        at: row.created_at,
                    }),
                None => {
                    tracing::warn!(service = %row.service_id, metric = %row.name, value = row.value, "metric reading too large to bill")
                }
            }
        }
        Ok(UsageHistory {
            services: services
                .into_iter()
                .map(|row| BilledService {
                    id: row.id,
                    name: row.name,
                    service_type_id: row.service_type_id,
                    provider_id: row.provider_id,
                    consumer_id: row.consumer_id,
                    properties: row.properties.0,
                    offering_id: row.offering_id,
                    project_id: row.project_id,
                })
                .collect(),
            status_changes,
            prices,
            readings,
        })
    }
}
