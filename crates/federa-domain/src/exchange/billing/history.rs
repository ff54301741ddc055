//! Billing across price changes: each price sheet an offering had bills the
//! part of the period during which it was in force.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::BillingError;
use super::lines::{bill_service, InvoiceLine};
use super::usage::{MetricTotal, UsageWindow};
use crate::exchange::pricing::PriceSheet;

/// A price sheet in force from `effective_from` until the next change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceChange {
    pub effective_from: DateTime<Utc>,
    pub price: PriceSheet,
}

/// One stretch of a period billed at one price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PricedSpan<'a> {
    pub from: DateTime<Utc>,
    /// Exclusive.
    pub to: DateTime<Utc>,
    pub price: &'a PriceSheet,
}

/// The parts of `[from, to)` each price was in force for, in time order.
/// Before the first change there was no price, so that time is in no span;
/// two changes at the same instant leave the one listed last in force.
pub fn priced_spans(
    prices: &[PriceChange],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<PricedSpan<'_>> {
    let mut ordered: Vec<&PriceChange> = prices.iter().collect();
    // Stable, so changes at the same instant keep their order.
    ordered.sort_by_key(|change| change.effective_from);
    let mut spans = Vec::new();
    for (index, change) in ordered.iter().enumerate() {
        let until = ordered
            .get(index + 1)
            .map_or(to, |next| next.effective_from);
        let start = change.effective_from.max(from);
        let end = until.min(to);
        if end > start {
            spans.push(PricedSpan {
                from: start,
                to: end,
                price: &change.price,
            });
        }
    }
    spans
}

/// One metric measurement of a service, as its agent reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricReading {
    pub metric_type: String,
    pub quantity: Decimal,
    pub at: DateTime<Utc>,
}

/// The lines one service owes for `[from, to)` when its offering's price
/// changed over time: running time, property units and the metric
/// `readings` taken in each span are billed at the price then in force.
/// `window.price` and `window.metric_totals` are not used.
pub fn bill_service_over_prices(
    window: &UsageWindow,
    prices: &[PriceChange],
    readings: &[MetricReading],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<InvoiceLine>, BillingError> {
    if to <= from {
        return Err(BillingError::EmptyPeriod { from, to });
    }
    let mut lines = Vec::new();
    for span in priced_spans(prices, from, to) {
        let metric_totals = readings
            .iter()
            .filter(|reading| span.from <= reading.at && reading.at < span.to)
            .map(|reading| MetricTotal {
                metric_type: reading.metric_type.clone(),
                quantity: reading.quantity,
            })
            .collect();
        let priced = UsageWindow {
            price: span.price.clone(),
            metric_totals,
            ..window.clone()
        };
        lines.extend(bill_service(&priced, span.from, span.to)?);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use serde_json::Map;
    use uuid::Uuid;

    use super::*;
    use crate::exchange::billing::{build_invoice, LineKind, StatusChange};
    use crate::exchange::pricing::{MetricPrice, PropertyPrice};

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("decimal")
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn sheet(hourly: &str, per_cpu: &str, per_gib: &str) -> PriceSheet {
        PriceSheet {
            hourly: dec(hourly),
            per_property: vec![PropertyPrice {
                property: "cpu".into(),
                unit: "vCPU".into(),
                hourly_per_unit: dec(per_cpu),
            }],
            per_metric: vec![MetricPrice {
                metric_type: "egress".into(),
                unit: "GiB".into(),
                per_unit: dec(per_gib),
            }],
        }
    }

    fn change(from: &str, price: PriceSheet) -> PriceChange {
        PriceChange {
            effective_from: at(from),
            price,
        }
    }

    fn window(changes: &[(&str, &str)]) -> UsageWindow {
        let mut properties = Map::new();
        properties.insert("cpu".into(), 2.into());
        UsageWindow {
            service_id: Uuid::from_u128(1),
            price: PriceSheet::default(),
            properties,
            status_changes: changes
                .iter()
                .map(|(time, status)| StatusChange {
                    at: at(time),
                    status: (*status).to_owned(),
                })
                .collect(),
            running_states: vec!["Started".into()],
            metric_totals: Vec::new(),
        }
    }

    fn reading(time: &str, quantity: &str) -> MetricReading {
        MetricReading {
            metric_type: "egress".into(),
            quantity: dec(quantity),
            at: at(time),
        }
    }

    #[test]
    fn spans_cover_only_the_period_and_only_while_a_price_existed() {
        let prices = [
            change("2026-05-10T00:00:00Z", sheet("1", "0", "0")),
            change("2026-04-01T00:00:00Z", sheet("2", "0", "0")),
            change("2026-06-10T00:00:00Z", sheet("3", "0", "0")),
        ];
        let spans = priced_spans(
            &prices,
            at("2026-05-01T00:00:00Z"),
            at("2026-06-01T00:00:00Z"),
        );
        let shown: Vec<(DateTime<Utc>, DateTime<Utc>, Decimal)> = spans
            .iter()
            .map(|span| (span.from, span.to, span.price.hourly))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    at("2026-05-01T00:00:00Z"),
                    at("2026-05-10T00:00:00Z"),
                    dec("2")
                ),
                (
                    at("2026-05-10T00:00:00Z"),
                    at("2026-06-01T00:00:00Z"),
                    dec("1")
                ),
            ]
        );
        let before_any = priced_spans(
            &prices[..1],
            at("2026-05-01T00:00:00Z"),
            at("2026-05-10T00:00:00Z"),
        );
        assert!(before_any.is_empty(), "no price, no bill");
    }

    #[test]
    fn a_price_change_mid_run_bills_each_part_at_its_own_price_to_the_cent() {
        // Running 10:00 to 13:30; repriced at 12:00; metrics either side.
        let usage = window(&[
            ("2026-05-01T09:00:00Z", "Stopped"),
            ("2026-05-01T10:00:00Z", "Started"),
            ("2026-05-01T13:30:00Z", "Stopped"),
        ]);
        let prices = [
            change("2026-04-01T00:00:00Z", sheet("0.10", "0.015", "0.01")),
            change("2026-05-01T12:00:00Z", sheet("0.125", "0.0175", "0.02")),
        ];
        let readings = [
            reading("2026-05-01T11:00:00Z", "1.5"),
            reading("2026-05-01T12:00:00Z", "2"),
            reading("2026-05-01T12:30:00Z", "0.25"),
            reading("2026-05-02T00:00:00Z", "100"),
        ];
        let from = at("2026-05-01T00:00:00Z");
        let to = at("2026-05-02T00:00:00Z");
        let lines = bill_service_over_prices(&usage, &prices, &readings, from, to).expect("bills");
        let shown: Vec<(LineKind, Decimal, Decimal, Decimal)> = lines
            .iter()
            .map(|line| (line.kind, line.quantity, line.unit_price, line.amount))
            .collect();
        assert_eq!(
            shown,
            [
                (LineKind::RunningHours, dec("2"), dec("0.10"), dec("0.2")),
                (LineKind::PropertyUnits, dec("4"), dec("0.015"), dec("0.06")),
                (LineKind::Metric, dec("1.5"), dec("0.01"), dec("0.015")),
                (
                    LineKind::RunningHours,
                    dec("1.5"),
                    dec("0.125"),
                    dec("0.1875")
                ),
                (
                    LineKind::PropertyUnits,
                    dec("3"),
                    dec("0.0175"),
                    dec("0.0525")
                ),
                (LineKind::Metric, dec("2.25"), dec("0.02"), dec("0.045")),
            ]
        );
        // 0.2 + 0.06 + 0.015 + 0.1875 + 0.0525 + 0.045 = 0.56
        let invoice = build_invoice(Uuid::from_u128(9), from, to, lines).expect("totals");
        assert_eq!(invoice.total.to_string(), "0.56");
    }

    #[test]
    fn changes_at_the_same_instant_leave_the_last_one_listed_in_force() {
        let usage = window(&[("2026-05-01T00:00:00Z", "Started")]);
        let prices = [
            change("2026-05-01T00:00:00Z", sheet("1", "0", "0")),
            change("2026-05-01T00:00:00Z", sheet("2", "0", "0")),
        ];
        let lines = bill_service_over_prices(
            &usage,
            &prices,
            &[],
            at("2026-05-01T00:00:00Z"),
            at("2026-05-01T01:00:00Z"),
        )
        .expect("bills");
        assert_eq!(lines[0].kind, LineKind::RunningHours);
        assert_eq!(lines[0].quantity, dec("1"));
        assert_eq!(lines[0].unit_price, dec("2"));
        assert!(
            lines.iter().all(|line| line.unit_price != dec("1")),
            "{lines:?}"
        );
    }

    #[test]
    fn an_empty_period_is_refused() {
        let usage = window(&[]);
        let now = at("2026-05-01T00:00:00Z");
        assert_eq!(
            bill_service_over_prices(&usage, &[], &[], now, now),
            Err(BillingError::EmptyPeriod { from: now, to: now })
        );
    }
}
