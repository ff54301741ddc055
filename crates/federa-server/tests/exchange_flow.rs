//! The exchange end to end: three providers with different countries,
//! certifications and prices; a placement only one of them satisfies; and
//! the invoice for the service's running time, checked to the cent against
//! a computation from the recorded timestamps.

mod exchange_kit;

use chrono::{DateTime, SecondsFormat, Utc};
use exchange_kit::{act, offering, placed_order, provider, rejections};
use federa_domain::exchange::Decimal;
use federa_testkit::{Federation, TestServer};
use rust_decimal::RoundingStrategy;
use serde_json::{json, Value};

fn dec(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a time: {value:?}"))
}

/// Hours between two instants as billing counts them: exact seconds over
/// 3600, to six places, half away from zero.
fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> Decimal {
    let micros = (to - from).num_microseconds().expect("a short span");
    (Decimal::new(micros, 6) / Decimal::from(3600))
        .round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
}

/// When the service last entered `status`, from its `service.transitioned` events.
async fn entered(
    server: &TestServer,
    federation: &Federation,
    service_id: &str,
    status: &str,
) -> DateTime<Utc> {
    let events = server
        .get(
            &format!("/api/v1/events?entityId={service_id}&type=service.transitioned&pageSize=100"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(events.status, 200, "{:?}", events.body);
    let items = events.body["items"].as_array().expect("items");
    let event = items
        .iter()
        .rev()
        .find(|event| event["properties"]["to"] == status)
        .unwrap_or_else(|| panic!("no transition to {status}: {items:?}"));
    time(&event["createdAt"])
}

#[tokio::test]
async fn a_placement_only_one_provider_satisfies_lands_there_and_is_invoiced_to_the_cent() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let started_at = Utc::now();

    // Finland: EU, no foreign law, ISO 27001 valid; the dearest.
    let nordic = provider(
        &server,
        &federation,
        "Nordic Cloud",
        json!({
            "jurisdiction": "FI",
            "subjectToNonEuLaw": false,
            "regions": [{"code": "fi-hel-1", "country": "FI", "name": "Helsinki"}],
            "certifications": [{"kind": "ISO27001", "expiresAt": "2031-01-01T00:00:00Z"}],
        }),
    )
    .await;
    // Germany: certified and cheapest, but a foreign parent can compel it.
    let rhein = provider(
        &server,
        &federation,
        "Rhein Compute",
        json!({
            "jurisdiction": "DE",
            "subjectToNonEuLaw": true,
            "regions": [{"code": "de-fra-1", "country": "DE"}],
            "certifications": [
                {"kind": "ISO27001", "expiresAt": "2031-01-01T00:00:00Z"},
                {"kind": "BSIC5", "expiresAt": "2031-01-01T00:00:00Z"}
            ],
        }),
    )
    .await;
    // France: sovereign, but its ISO 27001 has lapsed.
    let gaulois = provider(
        &server,
        &federation,
        "Gaulois Cloud",
        json!({
            "jurisdiction": "FR",
            "regions": [{"code": "fr-par-1", "country": "FR"}],
            "certifications": [
                {"kind": "ISO27001", "expiresAt": "2024-01-31T00:00:00Z"},
                {"kind": "SecNumCloud", "expiresAt": "2031-01-01T00:00:00Z"}
            ],
        }),
    )
    .await;
    let nordic_offering = offering(
        &server,
        &federation,
        &nordic,
        &["fi-hel-1"],
        json!({"hourly": "1234.5678", "perProperty": [{"property": "cpu", "unit": "vCPU", "hourlyPerUnit": "987.654321"}]}),
    )
    .await;
    offering(
        &server,
        &federation,
        &rhein,
        &["de-fra-1"],
        json!({"hourly": "0.02", "perProperty": [{"property": "cpu", "unit": "vCPU", "hourlyPerUnit": "0.01"}]}),
    )
    .await;
    offering(
        &server,
        &federation,
        &gaulois,
        &["fr-par-1"],
        json!({"hourly": "0.03"}),
    )
    .await;

    let placement = json!({
        "countries": ["FI", "DE", "FR"],
        "jurisdiction": "euNoForeignLaw",
        "requiredCertifications": ["ISO27001"],
        "maxHourlyPrice": "5000",
    });
    let mut preview_body = federation.order("db-01");
    preview_body["placement"] = placement.clone();
    let preview = server
        .post(
            "/api/v1/placement/preview",
            &federation.consumer_token,
            &preview_body,
        )
        .await;
    assert_eq!(preview.status, 200, "{:?}", preview.body);
    assert_eq!(preview.body["chosen"]["participantId"], nordic.id.as_str());

    let ordered = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &placed_order(&federation, "db-01", placement),
        )
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    assert_eq!(ordered.body["providerId"], nordic.id.as_str());
    assert_eq!(ordered.body["agentId"], nordic.agent_id.as_str());
    let explained = &ordered.body["placement"];
    assert_eq!(explained["chosen"]["offeringId"], nordic_offering["id"]);
    assert_eq!(explained["chosen"]["region"], "fi-hel-1");
    // 1234.5678 + 2 vCPU × 987.654321
    assert_eq!(explained["chosen"]["hourlyPrice"], "3209.876442");
    assert_eq!(rejections(explained, &rhein.id), ["foreignLaw"]);
    assert_eq!(rejections(explained, &gaulois.id), ["certificationExpired"]);
    let text = explained.to_string();
    assert!(
        text.contains("provider declares it is subject to non-EU law"),
        "{text}"
    );
    assert!(
        text.contains("certification ISO27001 expired on 2024-01-31"),
        "{text}"
    );
    assert_eq!(explained, &preview.body, "the preview answered the same");
    let service_id = ordered.body["id"].as_str().expect("id").to_string();

    // Provision, run, reprice while running, stop.
    server.run_job(&nordic.agent_token, "create").await;
    act(&server, &federation, &service_id, "start").await;
    server.run_job(&nordic.agent_token, "start").await;
    tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    let repriced = server
        .patch(
            &format!("/api/v1/offerings/{}", nordic_offering["id"].as_str().unwrap()),
            &nordic.token,
            &json!({"price": {"hourly": "2345.6789", "perProperty": [{"property": "cpu", "unit": "vCPU", "hourlyPerUnit": "123.456789"}]}}),
        )
        .await;
    assert_eq!(repriced.status, 200, "{:?}", repriced.body);
    tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    act(&server, &federation, &service_id, "stop").await;
    server.run_job(&nordic.agent_token, "stop").await;

    let running_from = entered(&server, &federation, &service_id, "Started").await;
    let repriced_at = time(&repriced.body["updatedAt"]);
    let running_to = entered(&server, &federation, &service_id, "Stopped").await;
    let before = hours(running_from, repriced_at);
    let after = hours(repriced_at, running_to);
    let two = Decimal::from(2);
    let expected = (before * dec("1234.5678")
        + two * before * dec("987.654321")
        + after * dec("2345.6789")
        + two * after * dec("123.456789"))
    .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    assert!(before > Decimal::ZERO && after > Decimal::ZERO);

    let from = started_at.to_rfc3339_opts(SecondsFormat::Micros, true);
    let to = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Micros, true);
    let invoice = server
        .get(
            &format!("/api/v1/invoices?from={from}&to={to}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(invoice.status, 200, "{:?}", invoice.body);
    assert_eq!(invoice.body["currency"], "EUR");
    assert_eq!(
        dec(invoice.body["total"].as_str().unwrap()),
        expected,
        "{:?}",
        invoice.body
    );
    let lines = invoice.body["lines"].as_array().expect("lines");
    let described: Vec<(&str, &str)> = lines
        .iter()
        .map(|line| {
            (
                line["description"].as_str().unwrap(),
                line["unitPrice"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            ("running hours", "1234.5678"),
            ("cpu: vCPU-hours", "987.654321"),
            ("running hours", "2345.6789"),
            ("cpu: vCPU-hours", "123.456789"),
        ]
    );
    assert_eq!(lines[0]["quantity"].as_str().map(dec), Some(before));
    assert_eq!(lines[1]["quantity"].as_str().map(dec), Some(two * before));
    assert!(lines
        .iter()
        .all(|line| line["serviceId"] == service_id.as_str()
            && line["providerId"] == nordic.id.as_str()
            && line["offeringId"] == nordic_offering["id"]));

    // The provider's statement is the same bill seen from the other side.
    let statement = server
        .get(
            &format!("/api/v1/statements?from={from}&to={to}"),
            &nordic.token,
        )
        .await;
    assert_eq!(statement.status, 200, "{:?}", statement.body);
    assert_eq!(statement.body["total"], invoice.body["total"]);
    assert_eq!(statement.body["lines"], invoice.body["lines"]);
    let idle = server
        .get(
            &format!("/api/v1/statements?from={from}&to={to}"),
            &rhein.token,
        )
        .await;
    assert_eq!(idle.body["total"], "0.00");
    assert_eq!(idle.body["lines"], json!([]));
}
