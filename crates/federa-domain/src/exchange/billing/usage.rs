//! What a service did during a billing period: the facts metering records,
//! and the running time they add up to.

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::exchange::pricing::PriceSheet;

/// One service's usage, with the price sheet and properties it is billed
/// by (snapshots, so a later price change does not rewrite past bills).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageWindow {
    pub service_id: Uuid,
    pub price: PriceSheet,
    pub properties: Map<String, Value>,
    /// Every status the service entered, including the last one before
    /// the period starts: that status is still in force when it begins.
    pub status_changes: Vec<StatusChange>,
    /// Statuses billed as running time, from the service type's lifecycle.
    pub running_states: Vec<String>,
    /// Metric quantities reported during the period, one or more entries
    /// per metric type; entries of a type are added up.
    #[serde(default)]
    pub metric_totals: Vec<MetricTotal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    pub at: DateTime<Utc>,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricTotal {
    pub metric_type: String,
    pub quantity: Decimal,
}

const SECONDS_PER_HOUR: Decimal = Decimal::from_parts(3600, 0, 0, false, 0);

/// Decimal places kept on billed hours: a microhour is 3.6 ms.
pub const HOURS_DECIMALS: u32 = 6;

impl UsageWindow {
    /// Hours spent in a running state within `[from, to)`, to six decimals
    /// (half away from zero). Each status lasts until the next change, the
    /// last one until `to`; before the first change the service did not
    /// exist and is not billed.
    pub fn running_hours(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Decimal {
        let mut changes: Vec<&StatusChange> = self.status_changes.iter().collect();
        // Stable, so changes recorded at the same instant keep their order.
        changes.sort_by_key(|change| change.at);
        let mut seconds = Decimal::ZERO;
        for (index, change) in changes.iter().enumerate() {
            if !self.running_states.contains(&change.status) {
                continue;
            }
            let until = changes.get(index + 1).map_or(to, |next| next.at);
            let start = change.at.max(from);
            let end = until.min(to);
            if end > start {
                seconds += exact_seconds(end - start);
            }
        }
        (seconds / SECONDS_PER_HOUR)
            .round_dp_with_strategy(HOURS_DECIMALS, RoundingStrategy::MidpointAwayFromZero)
    }
}

/// The duration in seconds, nanoseconds included. Durations between two
/// times are at most about 5e5 years, so the sum of disjoint ones within a
/// period cannot come near a decimal's range.
fn exact_seconds(duration: TimeDelta) -> Decimal {
    Decimal::from(duration.num_seconds()) + Decimal::new(i64::from(duration.subsec_nanos()), 9)
}
