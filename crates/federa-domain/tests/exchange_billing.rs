//! Billing: running time clipped to the period, property units and metrics
//! priced exactly, and totals rounded once, half up, to the cent.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use federa_domain::exchange::billing::{
    bill_service, build_invoice, BillingError, Currency, InvoiceLine, LineKind, MetricTotal,
    Statement, StatusChange, UsageWindow,
};
use federa_domain::exchange::{MetricPrice, PriceSheet, PropertyPrice};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use uuid::Uuid;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("valid decimal literal")
}

fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("valid test time")
        .with_timezone(&Utc)
}

fn may() -> (DateTime<Utc>, DateTime<Utc>) {
    (t("2026-05-01T00:00:00Z"), t("2026-06-01T00:00:00Z"))
}

fn service() -> Uuid {
    Uuid::from_u128(1)
}

fn vm_prices() -> PriceSheet {
    PriceSheet {
        hourly: dec("0.01"),
        per_property: vec![
            PropertyPrice {
                property: "cpu".into(),
                unit: "vCPU".into(),
                hourly_per_unit: dec("0.02"),
            },
            PropertyPrice {
                property: "memory".into(),
                unit: "GiB".into(),
                hourly_per_unit: dec("0.005"),
            },
        ],
        per_metric: vec![MetricPrice {
            metric_type: "network.egress".into(),
            unit: "GiB".into(),
            per_unit: dec("0.01"),
        }],
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn window(changes: &[(&str, &str)]) -> UsageWindow {
    UsageWindow {
        service_id: service(),
        price: vm_prices(),
        properties: object(json!({"cpu": 2, "memory": 4, "name": "web-1"})),
        status_changes: changes
            .iter()
            .map(|(at, status)| StatusChange {
                at: t(at),
                status: (*status).into(),
            })
            .collect(),
        running_states: vec!["Started".into(), "Degraded".into()],
        metric_totals: vec![],
    }
}

#[test]
fn running_hours_count_only_running_time_inside_the_period() {
    /// Name, status changes (time, status), expected hours.
    type Case = (
        &'static str,
        Vec<(&'static str, &'static str)>,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "started before the period and never stopped",
            vec![("2026-04-20T00:00:00Z", "Started")],
            "744",
        ),
        (
            "running state carried into the period, stopped inside",
            vec![
                ("2026-04-20T00:00:00Z", "Started"),
                ("2026-05-02T00:00:00Z", "Stopped"),
            ],
            "24",
        ),
        (
            "started inside, still running at the end",
            vec![
                ("2026-05-31T12:00:00Z", "Started"),
                ("2026-06-03T00:00:00Z", "Stopped"),
            ],
            "12",
        ),
        (
            "several flips, one lasting a second",
            vec![
                ("2026-05-01T00:00:00Z", "Started"),
                ("2026-05-01T01:30:00Z", "Stopped"),
                ("2026-05-10T00:00:00Z", "Started"),
                ("2026-05-10T00:00:01Z", "Stopped"),
                ("2026-05-20T00:00:00Z", "Degraded"),
                ("2026-05-20T02:00:00Z", "Deleted"),
            ],
            "3.500278",
        ),
        (
            "fractions of a second are kept before rounding",
            vec![
                ("2026-05-01T00:00:00.5Z", "Started"),
                ("2026-05-01T00:00:02Z", "Stopped"),
            ],
            "0.000417",
        ),
        (
            "stopped before the period",
            vec![
                ("2026-04-01T00:00:00Z", "Started"),
                ("2026-04-30T23:00:00Z", "Stopped"),
            ],
            "0",
        ),
        (
            "started exactly at the end of the period",
            vec![("2026-06-01T00:00:00Z", "Started")],
            "0",
        ),
        (
            "created inside the period, not running before",
            vec![
                ("2026-05-31T20:00:00Z", "New"),
                ("2026-05-31T23:00:00Z", "Started"),
            ],
            "1",
        ),
        (
            "changes given out of order are taken in time order",
            vec![
                ("2026-05-02T00:00:00Z", "Stopped"),
                ("2026-05-01T18:00:00Z", "Started"),
            ],
            "6",
        ),
        ("no history at all", vec![], "0"),
    ];
    let (from, to) = may();
    for (name, changes, hours) in cases {
        assert_eq!(
            window(&changes).running_hours(from, to),
            dec(hours),
            "{name}"
        );
    }
}

#[test]
fn a_service_is_billed_per_hour_per_property_unit_and_per_metric() {
    let mut usage = window(&[
        ("2026-05-31T14:00:00Z", "Started"),
        ("2026-06-01T02:00:00Z", "Stopped"),
    ]);
    usage.metric_totals = vec![
        MetricTotal {
            metric_type: "network.egress".into(),
            quantity: dec("10"),
        },
        MetricTotal {
            metric_type: "disk.iops".into(),
            quantity: dec("99999"),
        },
        MetricTotal {
            metric_type: "network.egress".into(),
            quantity: dec("2.5"),
        },
    ];
    let (from, to) = may();
    let line =
        |description: &str, kind, quantity: &str, unit_price: &str, amount: &str| InvoiceLine {
            service_id: service(),
            description: description.into(),
            kind,
            quantity: dec(quantity),
            unit_price: dec(unit_price),
            amount: dec(amount),
        };
    let lines = bill_service(&usage, from, to).expect("bills");
    assert_eq!(
        lines,
        [
            line("running hours", LineKind::RunningHours, "10", "0.01", "0.1"),
            line(
                "cpu: vCPU-hours",
                LineKind::PropertyUnits,
                "20",
                "0.02",
                "0.4"
            ),
            line(
                "memory: GiB-hours",
                LineKind::PropertyUnits,
                "40",
                "0.005",
                "0.2"
            ),
            line(
                "network.egress: GiB",
                LineKind::Metric,
                "12.5",
                "0.01",
                "0.125"
            ),
        ]
    );
    let invoice = build_invoice(Uuid::from_u128(42), from, to, lines).expect("totals");
    assert_eq!(invoice.total, dec("0.83"));
    assert_eq!(invoice.total.to_string(), "0.83");
}

#[test]
fn lines_with_nothing_to_bill_are_left_out() {
    let (from, to) = may();
    type Case = (&'static str, UsageWindow, Vec<LineKind>);
    let never_ran = window(&[("2026-05-01T00:00:00Z", "Stopped")]);
    let mut half_priced = window(&[("2026-05-31T23:00:00Z", "Started")]);
    half_priced.properties = object(json!({"cpu": 0, "memory": "lots"}));
    half_priced.metric_totals = vec![
        MetricTotal {
            metric_type: "network.egress".into(),
            quantity: dec("5"),
        },
        MetricTotal {
            metric_type: "network.egress".into(),
            quantity: dec("-5"),
        },
    ];
    let mut metrics_only = never_ran.clone();
    metrics_only.metric_totals = vec![MetricTotal {
        metric_type: "network.egress".into(),
        quantity: dec("3"),
    }];
    let cases: Vec<Case> = vec![
        ("never ran, no metrics", never_ran, vec![]),
        (
            "zero and non-numeric properties, metrics cancelling out",
            half_priced,
            vec![LineKind::RunningHours],
        ),
        (
            "metrics of a stopped service",
            metrics_only,
            vec![LineKind::Metric],
        ),
    ];
    for (name, usage, kinds) in cases {
        let lines = bill_service(&usage, from, to).expect("bills");
        let found: Vec<LineKind> = lines.iter().map(|line| line.kind).collect();
        assert_eq!(found, kinds, "{name}");
    }
}

#[test]
fn line_amounts_are_not_rounded() {
    let mut usage = window(&[
        ("2026-05-01T00:00:00Z", "Started"),
        ("2026-05-01T00:00:01Z", "Stopped"),
    ]);
    usage.price.per_property.clear();
    usage.price.hourly = dec("0.015");
    let (from, to) = may();
    let lines = bill_service(&usage, from, to).expect("bills");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].quantity, dec("0.000278"));
    assert_eq!(lines[0].amount, dec("0.00000417"));
}

#[test]
fn totals_round_half_away_from_zero_to_the_cent() {
    let cases = [
        (vec!["0.125"], "0.13"),
        (vec!["0.124999"], "0.12"),
        (vec!["0.0049", "0.0001"], "0.01"),
        (vec!["0.1", "0.2"], "0.30"),
        (vec!["1.994", "0.001"], "2.00"),
        (vec!["-0.125"], "-0.13"),
        (vec!["0.333333", "0.333333", "0.333333"], "1.00"),
        (vec![], "0"),
    ];
    let (from, to) = may();
    for (amounts, total) in cases {
        let lines = amounts
            .iter()
            .map(|amount| InvoiceLine {
                service_id: service(),
                description: "running hours".into(),
                kind: LineKind::RunningHours,
                quantity: dec("1"),
                unit_price: dec(amount),
                amount: dec(amount),
            })
            .collect();
        let invoice = build_invoice(Uuid::from_u128(42), from, to, lines).expect("totals");
        assert_eq!(invoice.total, dec(total), "{amounts:?}");
        assert_eq!(invoice.currency, Currency::Eur);
    }
}

#[test]
fn invoices_and_statements_share_one_shape() {
    let (from, to) = may();
    let line = InvoiceLine {
        service_id: service(),
        description: "network.egress: GiB".into(),
        kind: LineKind::Metric,
        quantity: dec("12.5"),
        unit_price: dec("0.01"),
        amount: dec("0.125"),
    };
    let statement: Statement =
        build_invoice(Uuid::from_u128(7), from, to, vec![line]).expect("totals");
    assert_eq!(
        serde_json::to_value(&statement).expect("serializes"),
        json!({
            "participantId": Uuid::from_u128(7),
            "periodFrom": "2026-05-01T00:00:00Z",
            "periodTo": "2026-06-01T00:00:00Z",
            "lines": [{
                "serviceId": service(),
                "description": "network.egress: GiB",
                "kind": "metric",
                "quantity": "12.5",
                "unitPrice": "0.01",
                "amount": "0.125"
            }],
            "total": "0.13",
            "currency": "EUR"
        })
    );
}

#[test]
fn impossible_bills_are_errors_not_panics() {
    let (from, to) = may();
    let running = window(&[("2026-05-01T00:00:00Z", "Started")]);

    assert_eq!(
        bill_service(&running, to, from),
        Err(BillingError::EmptyPeriod { from: to, to: from })
    );
    assert_eq!(
        build_invoice(Uuid::from_u128(42), from, from, vec![]),
        Err(BillingError::EmptyPeriod { from, to: from })
    );

    let mut huge_property = running.clone();
    huge_property.properties = object(json!({"cpu": 1e300}));
    let error = bill_service(&huge_property, from, to).expect_err("too large");
    assert_eq!(
        error.to_string(),
        format!(
            "property `cpu` of service {} is too large to bill",
            service()
        )
    );

    let mut huge_price = running.clone();
    huge_price.price.hourly = Decimal::MAX;
    let error = bill_service(&huge_price, from, to).expect_err("too large");
    assert_eq!(
        error,
        BillingError::LineTooLarge {
            service_id: service(),
            description: "running hours".into()
        }
    );

    let max_line = InvoiceLine {
        service_id: service(),
        description: "running hours".into(),
        kind: LineKind::RunningHours,
        quantity: dec("1"),
        unit_price: Decimal::MAX,
        amount: Decimal::MAX,
    };
    assert_eq!(
        build_invoice(
            Uuid::from_u128(42),
            from,
            to,
            vec![max_line.clone(), max_line]
        ),
        Err(BillingError::TotalTooLarge)
    );
}
