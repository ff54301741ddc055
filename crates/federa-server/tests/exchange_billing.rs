//! Invoices and statements over HTTP: CSV export, who may read which bill,
//! checked parameters, and services ordered with an explicit agent.

mod exchange_kit;

use chrono::{SecondsFormat, Utc};
use exchange_kit::{act, offering, placed_order, profile_in, provider};
use federa_testkit::{Federation, TestServer, ADMIN_TOKEN};
use serde_json::json;

fn period() -> String {
    let from =
        (Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Micros, true);
    let to = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Micros, true);
    format!("from={from}&to={to}")
}

/// The body of a GET as text, with its content type.
async fn text(server: &TestServer, path: &str, token: &str, accept: &str) -> (u16, String, String) {
    let response = server
        .http
        .get(server.url(path))
        .bearer_auth(token)
        .header("Accept", accept)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, content_type, response.text().await.expect("text"))
}

#[tokio::test]
async fn a_running_service_is_invoiced_up_to_now_and_exports_as_csv() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let nordic = provider(
        &server,
        &federation,
        "Nordic, Oy",
        profile_in("FI", "fi-hel-1"),
    )
    .await;
    offering(
        &server,
        &federation,
        &nordic,
        &["fi-hel-1"],
        json!({"hourly": "360000", "perProperty": [{"property": "diskSize", "unit": "GB", "hourlyPerUnit": "0.5"}]}),
    )
    .await;
    let ordered = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &placed_order(&federation, "web-01", json!({})),
        )
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    let service_id = ordered.body["id"].as_str().unwrap().to_string();
    let period = period();
    let before = server
        .get(
            &format!("/api/v1/invoices?{period}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(
        before.body["total"], "0.00",
        "not running yet: {:?}",
        before.body
    );

    server.run_job(&nordic.agent_token, "create").await;
    act(&server, &federation, &service_id, "start").await;
    server.run_job(&nordic.agent_token, "start").await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;

    let first = server
        .get(
            &format!("/api/v1/invoices?{period}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let lines = first.body["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["kind"], "runningHours");
    assert_eq!(lines[1]["description"], "diskSize: GB-hours");
    let total =
        |body: &serde_json::Value| -> f64 { body["total"].as_str().unwrap().parse().unwrap() };
    // 360000 EUR an hour is 100 EUR a second: 50 ms is at least 5 EUR.
    assert!(total(&first.body) >= 5.0, "{:?}", first.body);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let later = server
        .get(
            &format!("/api/v1/invoices?{period}"),
            &federation.consumer_token,
        )
        .await;
    assert!(
        total(&later.body) > total(&first.body),
        "still running, still billed"
    );

    act(&server, &federation, &service_id, "stop").await;
    server.run_job(&nordic.agent_token, "stop").await;
    let stopped = server
        .get(
            &format!("/api/v1/invoices?{period}"),
            &federation.consumer_token,
        )
        .await;
    let (status, content_type, csv) = text(
        &server,
        &format!("/api/v1/invoices?{period}"),
        &federation.consumer_token,
        "text/csv",
    )
    .await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "serviceId,serviceName,providerId,consumerId,offeringId,description,kind,quantity,unitPrice,amount,currency"
    );
    assert_eq!(rows.len(), 4, "{csv}");
    assert!(
        rows[1].starts_with(&format!("{service_id},web-01,{},", nordic.id)),
        "{csv}"
    );
    assert!(rows[1].contains(",running hours,runningHours,"), "{csv}");
    assert_eq!(
        rows[3],
        format!(
            ",,,,,total,,,,{},EUR",
            stopped.body["total"].as_str().unwrap()
        )
    );
    let (_, _, by_query) = text(
        &server,
        &format!("/api/v1/statements?{period}&format=csv"),
        &nordic.token,
        "*/*",
    )
    .await;
    assert_eq!(by_query, csv, "the statement is the same bill");
}

#[tokio::test]
async fn a_service_ordered_with_its_agent_is_billed_by_its_providers_offering() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let nordic = provider(&server, &federation, "Nordic", profile_in("FI", "fi-hel-1")).await;
    offering(
        &server,
        &federation,
        &nordic,
        &["fi-hel-1"],
        json!({"hourly": "360000"}),
    )
    .await;
    let mut order = federation.order("web-01");
    order["agentId"] = json!(nordic.agent_id);
    let ordered = server
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    let service_id = ordered.body["id"].as_str().unwrap().to_string();
    server.run_job(&nordic.agent_token, "create").await;
    act(&server, &federation, &service_id, "start").await;
    server.run_job(&nordic.agent_token, "start").await;
    // Long enough running for the hour price to reach a cent.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let invoice = server
        .get(
            &format!("/api/v1/invoices?{}", period()),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(
        invoice.body["lines"][0]["serviceId"],
        service_id.as_str(),
        "{:?}",
        invoice.body
    );

    // The federation's own provider publishes nothing: its services are free.
    let mut unpriced = federation.order("web-02");
    unpriced["agentId"] = json!(federation.agent_id);
    let ordered = server
        .post("/api/v1/services", &federation.consumer_token, &unpriced)
        .await;
    assert_eq!(ordered.status, 201);
    let statement = server
        .get(
            &format!("/api/v1/statements?{}", period()),
            &federation.provider_token,
        )
        .await;
    assert_eq!(statement.status, 200);
    assert_eq!(statement.body["total"], "0.00");
}

#[tokio::test]
async fn bills_are_for_their_own_party_and_their_parameters_are_checked() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let period = period();
    let own = server
        .get(
            &format!("/api/v1/invoices?{period}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(own.status, 200, "{:?}", own.body);
    assert_eq!(own.body["participantId"], federation.consumer_id.as_str());
    assert_eq!(own.body["total"], "0.00");
    let foreign = server
        .get(
            &format!(
                "/api/v1/invoices?consumerId={}&{period}",
                federation.consumer_id
            ),
            &federation.provider_token,
        )
        .await;
    assert_eq!(foreign.status, 403);
    let by_agent = server
        .get(
            &format!("/api/v1/statements?{period}"),
            &federation.agent_token,
        )
        .await;
    assert_eq!(by_agent.status, 403);
    let admin = server
        .get(&format!("/api/v1/statements?{period}"), ADMIN_TOKEN)
        .await;
    assert_eq!(admin.status, 400);
    assert_eq!(admin.body["errors"][0]["path"], "providerId");

    for (query, path) in [
        ("to=2026-01-01T00:00:00Z", "from"),
        ("from=2026-01-01T00:00:00Z", "to"),
        ("from=yesterday&to=2026-01-01T00:00:00Z", "from"),
        ("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        (
            "from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&format=pdf",
            "format",
        ),
    ] {
        let answer = server
            .get(
                &format!("/api/v1/invoices?{query}"),
                &federation.consumer_token,
            )
            .await;
        assert_eq!(answer.status, 400, "{query}");
        assert_eq!(
            answer.body["errors"][0]["path"], path,
            "{query}: {:?}",
            answer.body
        );
    }
}

#[tokio::test]
async fn metered_metrics_are_billed_by_the_units_reported() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let nordic = provider(&server, &federation, "Nordic", profile_in("FI", "fi-hel-1")).await;
    offering(
        &server,
        &federation,
        &nordic,
        &["fi-hel-1"],
        json!({"hourly": "0", "perMetric": [{"metricType": "network.egress", "unit": "GiB", "perUnit": "0.09"}]}),
    )
    .await;
    let metric_type = server
        .post(
            "/api/v1/metric-types",
            ADMIN_TOKEN,
            &json!({"name": "network.egress", "entityType": "Service"}),
        )
        .await;
    assert_eq!(metric_type.status, 201, "{:?}", metric_type.body);
    let ordered = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &placed_order(&federation, "web-01", json!({})),
        )
        .await;
    let service_id = ordered.body["id"].as_str().unwrap().to_string();
    for value in [1.5, 0.1, 0.2] {
        let reported = server
            .post(
                "/api/v1/metric-entries",
                &nordic.agent_token,
                &json!({"serviceId": service_id, "resourceId": "eth0", "typeName": "network.egress", "value": value}),
            )
            .await;
        assert_eq!(reported.status, 201, "{:?}", reported.body);
    }
    let invoice = server
        .get(
            &format!("/api/v1/invoices?{}", period()),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(invoice.status, 200, "{:?}", invoice.body);
    let line = &invoice.body["lines"][0];
    assert_eq!(line["kind"], "metric", "{:?}", invoice.body);
    assert_eq!(line["description"], "network.egress: GiB");
    // 1.5 + 0.1 + 0.2 GiB, added as the decimals they were written as.
    assert_eq!(line["quantity"], "1.8");
    assert_eq!(line["amount"], "0.162");
    assert_eq!(invoice.body["total"], "0.16");
}

#[tokio::test]
async fn an_invoice_totals_each_project_and_bills_one_project_alone() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let nordic = provider(&server, &federation, "Nordic", profile_in("FI", "fi-hel-1")).await;
    offering(
        &server,
        &federation,
        &nordic,
        &["fi-hel-1"],
        json!({"hourly": "360000"}),
    )
    .await;
    let consumer = &federation.consumer_token;
    let mut projects = Vec::new();
    for name in ["Research", "Teaching"] {
        let project = server
            .post(
                "/api/v1/projects",
                consumer,
                &json!({"consumerId": federation.consumer_id, "name": name}),
            )
            .await;
        assert_eq!(project.status, 201, "{:?}", project.body);
        projects.push(project.body["id"].as_str().unwrap().to_string());
    }
    let mut services = Vec::new();
    // One service in each project, and one in a group of no project.
    for (name, project) in [
        ("lab", Some(&projects[0])),
        ("class", Some(&projects[1])),
        ("loose", None),
    ] {
        let group = server
            .post(
                "/api/v1/service-groups",
                consumer,
                &json!({"name": name, "consumerId": federation.consumer_id, "projectId": project}),
            )
            .await;
        assert_eq!(group.status, 201, "{:?}", group.body);
        let mut order = placed_order(&federation, name, json!({}));
        order["groupId"] = group.body["id"].clone();
        let ordered = server.post("/api/v1/services", consumer, &order).await;
        assert_eq!(ordered.status, 201, "{:?}", ordered.body);
        let service_id = ordered.body["id"].as_str().unwrap().to_string();
        server.run_job(&nordic.agent_token, "create").await;
        act(&server, &federation, &service_id, "start").await;
        server.run_job(&nordic.agent_token, "start").await;
        services.push(service_id);
    }
    for service_id in &services {
        act(&server, &federation, service_id, "stop").await;
        server.run_job(&nordic.agent_token, "stop").await;
    }
    let period = period();
    let whole = server
        .get(&format!("/api/v1/invoices?{period}"), consumer)
        .await;
    assert_eq!(whole.status, 200, "{:?}", whole.body);
    let totals = whole.body["projects"].as_array().expect("project totals");
    assert_eq!(totals.len(), 3, "{totals:?}");
    assert_eq!(totals[0]["projectId"], projects[0].as_str());
    assert_eq!(totals[1]["projectId"], projects[1].as_str());
    assert!(totals[2].get("projectId").is_none(), "{totals:?}");
    let cents = |value: &serde_json::Value| -> i64 {
        (value.as_str().unwrap().parse::<f64>().unwrap() * 100.0).round() as i64
    };
    let sum: i64 = totals.iter().map(|total| cents(&total["total"])).sum();
    // Each total is rounded once, so together they come within half a cent
    // per project of the whole's.
    assert!(
        (sum - cents(&whole.body["total"])).abs() <= 2,
        "{:?}",
        whole.body
    );
    for line in whole.body["lines"].as_array().unwrap() {
        let at = services
            .iter()
            .position(|id| line["serviceId"] == id.as_str())
            .unwrap();
        match projects.get(at) {
            Some(project) => assert_eq!(line["projectId"], project.as_str()),
            None => assert!(line.get("projectId").is_none(), "{line:?}"),
        }
    }

    let research = server
        .get(
            &format!("/api/v1/invoices?{period}&projectId={}", projects[0]),
            consumer,
        )
        .await;
    assert_eq!(research.status, 200, "{:?}", research.body);
    let lines = research.body["lines"].as_array().unwrap();
    assert!(!lines.is_empty());
    assert!(lines
        .iter()
        .all(|line| line["serviceId"] == services[0].as_str()));
    assert_eq!(research.body["total"], totals[0]["total"]);

    // A project that is not the consumer's, or no id at all, is refused.
    let stranger = server.participant("Stranger").await;
    let stranger_token = server.token("participant", Some(&stranger)).await;
    let theirs = server
        .post(
            "/api/v1/projects",
            &stranger_token,
            &json!({"consumerId": stranger, "name": "Theirs"}),
        )
        .await;
    assert_eq!(theirs.status, 201, "{:?}", theirs.body);
    for project in [theirs.body["id"].as_str().unwrap(), "nope"] {
        let refused = server
            .get(
                &format!("/api/v1/invoices?{period}&projectId={project}"),
                consumer,
            )
            .await;
        assert_eq!(refused.status, 400, "{:?}", refused.body);
        assert_eq!(refused.body["errors"][0]["path"], "projectId");
    }
    // A provider's statement names no consumer's projects.
    let statement = server
        .get(&format!("/api/v1/statements?{period}"), &nordic.token)
        .await;
    assert!(
        statement.body.get("projects").is_none(),
        "{:?}",
        statement.body
    );
    assert!(statement.body["lines"][0].get("projectId").is_none());
}
