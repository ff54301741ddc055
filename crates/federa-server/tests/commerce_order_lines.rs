//! Orders of several services over HTTP: each item is placed and quoted
//! on its own provider, the order is accepted, approved and provisioned
//! as a whole (every service within the quotas, or none), each provider
//! accepts its own lines and sees only those, concurrent acceptances by
//! two providers are both kept, lines drawing from one pool take
//! different values, and each service is billed at its own line's quote.

mod exchange_kit;

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use exchange_kit::{act, claim_only, edge_pool, finish, pool_address, two_providers};
use federa_testkit::{error_paths, Federation, TestServer};
use serde_json::{json, Value};

/// An item of the federation's VM named `name`, placed in `country`.
fn item(f: &Federation, name: &str, country: &str) -> Value {
    let mut body = f.order(name);
    body["placement"] = json!({"countries": [country]});
    body
}

fn id(body: &Value) -> String {
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {body:?}"))
        .to_string()
}

async fn decide(server: &TestServer, token: &str, order_id: &str, verb: &str) -> (u16, Value) {
    let answer = server
        .post(
            &format!("/api/v1/orders/{order_id}/{verb}"),
            token,
            &json!({}),
        )
        .await;
    (answer.status, answer.body)
}

async fn services_in_group(server: &TestServer, f: &Federation) -> Vec<Value> {
    let listed = server
        .get(
            &format!("/api/v1/services?groupId={}", f.group_id),
            &f.consumer_token,
        )
        .await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    listed.body["items"].as_array().unwrap().clone()
}

/// Places an order of a Finnish `web` and a Spanish `db`.
async fn place_pair(server: &TestServer, f: &Federation) -> Value {
    let placed = server
        .post(
            "/api/v1/orders",
            &f.consumer_token,
            &json!({"items": [item(f, "web", "FI"), item(f, "db-01", "ES")]}),
        )
        .await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);
    placed.body
}

#[tokio::test]
async fn an_order_of_two_providers_waits_for_both_and_is_provisioned_together() {
    let server = TestServer::start().await;
    let (f, nordic, iberia, _) = two_providers(&server, "0.50", "0.25", true).await;
    let placed = place_pair(&server, &f).await;
    let order_id = id(&placed);
    let lines = placed["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{placed:?}");
    assert_eq!(lines[0]["item"]["name"], "web");
    assert_eq!(lines[0]["quote"]["providerId"], nordic.id.as_str());
    assert_eq!(lines[1]["quote"]["providerId"], iberia.id.as_str());
    assert_eq!(lines[0]["quote"]["monthlyEstimate"], "365.00");
    assert_eq!(lines[1]["quote"]["monthlyEstimate"], "182.50");
    assert_eq!(placed["monthlyEstimate"], "547.50");
    assert_eq!(
        lines[0]["quote"]["expiresAt"],
        lines[1]["quote"]["expiresAt"]
    );
    assert_eq!(placed["expiresAt"], lines[0]["quote"]["expiresAt"]);
    // The first line is also the order's top-level item, as for one item.
    assert_eq!(placed["name"], "web");

    // Before the consumer accepts, no provider sees the order.
    let unseen = server
        .get(&format!("/api/v1/orders/{order_id}"), &iberia.token)
        .await;
    assert_eq!(unseen.status, 403, "{:?}", unseen.body);
    let (status, waiting) = decide(&server, &f.consumer_token, &order_id, "accept").await;
    assert_eq!(status, 200, "{waiting:?}");
    assert_eq!(waiting["state"], "AwaitingProvider");

    // Each provider sees the order with its own line only.
    for (who, name) in [(&nordic, "web"), (&iberia, "db-01")] {
        let seen = server
            .get(&format!("/api/v1/orders/{order_id}"), &who.token)
            .await;
        assert_eq!(seen.status, 200, "{:?}", seen.body);
        let lines = seen.body["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 1, "{:?}", seen.body);
        assert_eq!(lines[0]["item"]["name"], name);
        assert_eq!(seen.body["name"], name);
        let listed = server
            .get("/api/v1/orders?state=AwaitingProvider", &who.token)
            .await;
        assert_eq!(listed.body["totalItems"], 1, "{:?}", listed.body);
        assert_eq!(
            listed.body["items"][0]["lines"].as_array().unwrap().len(),
            1
        );
        let filtered = server
            .get(
                &format!("/api/v1/orders?providerId={}", who.id),
                &f.consumer_token,
            )
            .await;
        assert_eq!(filtered.body["totalItems"], 1, "{:?}", filtered.body);
    }

    // One provider's acceptance orders nothing while the other's waits.
    let (status, half) = decide(&server, &nordic.token, &order_id, "confirm").await;
    assert_eq!(status, 200, "{half:?}");
    assert_eq!(half["state"], "AwaitingProvider");
    assert!(half["lines"][0]["confirmedAt"].is_string(), "{half:?}");
    assert!(services_in_group(&server, &f).await.is_empty());
    let (status, again) = decide(&server, &nordic.token, &order_id, "confirm").await;
    assert_eq!(status, 409, "{again:?}");

    let (status, done) = decide(&server, &iberia.token, &order_id, "confirm").await;
    assert_eq!(status, 200, "{done:?}");
    assert_eq!(done["state"], "Provisioning");
    let full = server
        .get(&format!("/api/v1/orders/{order_id}"), &f.consumer_token)
        .await;
    let service_ids: Vec<Value> = full.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["serviceId"].clone())
        .collect();
    assert!(service_ids.iter().all(Value::is_string), "{:?}", full.body);
    let mut listed: Vec<Value> = services_in_group(&server, &f)
        .await
        .iter()
        .map(|service| service["id"].clone())
        .collect();
    listed.sort_by_key(ToString::to_string);
    let mut ordered = service_ids.clone();
    ordered.sort_by_key(ToString::to_string);
    assert_eq!(listed, ordered);

    // Done once both services' create jobs completed.
    let web = claim_only(&server, &nordic, "create").await;
    finish(&server, &nordic, &web, "complete", &json!({})).await;
    let midway = server
        .get(&format!("/api/v1/orders/{order_id}"), &f.consumer_token)
        .await;
    assert_eq!(midway.body["state"], "Provisioning", "{:?}", midway.body);
    let db = claim_only(&server, &iberia, "create").await;
    finish(&server, &iberia, &db, "complete", &json!({})).await;
    let finished = server
        .get(&format!("/api/v1/orders/{order_id}"), &f.consumer_token)
        .await;
    assert_eq!(finished.body["state"], "Done", "{:?}", finished.body);
    let events = server
        .get(
            &format!("/api/v1/events?entityId={order_id}&pageSize=100&sort=sequenceNumber"),
            &f.consumer_token,
        )
        .await;
    let kinds: Vec<&str> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        [
            "order.quoted",
            "order.awaitingProvider",
            "order.awaitingProvider",
            "order.accepted",
            "order.provisioning",
            "order.done"
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn two_providers_accepting_at_once_are_both_kept_and_the_order_is_provisioned_once() {
    let server = TestServer::start().await;
    let (f, nordic, iberia, _) = two_providers(&server, "0.50", "0.25", true).await;
    for round in 0..4 {
        let placed = place_pair(&server, &f).await;
        let order_id = id(&placed);
        let (status, _) = decide(&server, &f.consumer_token, &order_id, "accept").await;
        assert_eq!(status, 200);
        let (first, second) = tokio::join!(
            decide(&server, &nordic.token, &order_id, "confirm"),
            decide(&server, &iberia.token, &order_id, "confirm"),
        );
        assert_eq!((first.0, second.0), (200, 200), "{first:?} {second:?}");
        let read = server
            .get(&format!("/api/v1/orders/{order_id}"), &f.consumer_token)
            .await;
        assert_eq!(read.body["state"], "Provisioning", "{:?}", read.body);
        assert_eq!(
            services_in_group(&server, &f).await.len(),
            2 * (round + 1),
            "each order ordered its two services once"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn an_order_of_several_items_is_ordered_whole_or_not_at_all() {
    let server = TestServer::start().await;
    let (f, _, iberia, _) = two_providers(&server, "0.50", "0.25", false).await;
    let project = server
        .post(
            "/api/v1/projects",
            &f.consumer_token,
            &json!({"consumerId": f.consumer_id, "name": "Small", "serviceLimit": 1}),
        )
        .await;
    assert_eq!(project.status, 201, "{:?}", project.body);
    let project_id = id(&project.body);
    let group = server
        .post(
            "/api/v1/service-groups",
            &f.consumer_token,
            &json!({"name": "small", "consumerId": f.consumer_id, "projectId": project_id}),
        )
        .await;
    assert_eq!(group.status, 201, "{:?}", group.body);
    let mut items = vec![item(&f, "web", "FI"), item(&f, "db-01", "ES")];
    for item in &mut items {
        item["groupId"] = group.body["id"].clone();
    }
    let placed = server
        .post(
            "/api/v1/orders",
            &f.consumer_token,
            &json!({"items": items}),
        )
        .await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);
    let order_id = id(&placed.body);

    // Room for one service: the second line's check refuses both.
    let (status, refused) = decide(&server, &f.consumer_token, &order_id, "accept").await;
    assert_eq!(status, 409, "{refused:?}");
    assert_eq!(refused["quota"]["name"], "project.serviceLimit");
    let group_services = server
        .get(
            &format!("/api/v1/services?groupId={}", id(&group.body)),
            &f.consumer_token,
        )
        .await;
    assert_eq!(
        group_services.body["totalItems"], 0,
        "{:?}",
        group_services.body
    );
    let read = server
        .get(&format!("/api/v1/orders/{order_id}"), &f.consumer_token)
        .await;
    assert_eq!(read.body["state"], "Quoted");

    // With room for both, both are ordered.
    let raised = server
        .patch(
            &format!("/api/v1/projects/{project_id}"),
            &f.consumer_token,
            &json!({"serviceLimit": 2}),
        )
        .await;
    assert_eq!(raised.status, 200, "{:?}", raised.body);
    let (status, accepted) = decide(&server, &f.consumer_token, &order_id, "accept").await;
    assert_eq!(status, 200, "{accepted:?}");
    assert_eq!(accepted["state"], "Provisioning");
    let group_services = server
        .get(
            &format!("/api/v1/services?groupId={}", id(&group.body)),
            &f.consumer_token,
        )
        .await;
    assert_eq!(
        group_services.body["totalItems"], 2,
        "{:?}",
        group_services.body
    );

    // A failed line fails the order, naming the line.
    let db = claim_only(&server, &iberia, "create").await;
    finish(
        &server,
        &iberia,
        &db,
        "fail",
        &json!({"errorMessage": "no capacity"}),
    )
    .await;
    let failed = server
        .get(&format!("/api/v1/orders/{order_id}"), &f.consumer_token)
        .await;
    assert_eq!(failed.body["state"], "Failed", "{:?}", failed.body);
    assert_eq!(failed.body["reason"], "items[1]: no capacity");
    server.stop().await;
}

#[tokio::test]
async fn one_provider_declining_declines_the_whole_order() {
    let server = TestServer::start().await;
    let (f, nordic, iberia, _) = two_providers(&server, "0.50", "0.25", true).await;
    let placed = place_pair(&server, &f).await;
    let order_id = id(&placed);
    let (status, _) = decide(&server, &f.consumer_token, &order_id, "accept").await;
    assert_eq!(status, 200);
    let (status, _) = decide(&server, &nordic.token, &order_id, "confirm").await;
    assert_eq!(status, 200);
    // A provider whose lines are all accepted has nothing left to decline.
    let declined_late = server
        .post(
            &format!("/api/v1/orders/{order_id}/decline"),
            &nordic.token,
            &json!({"reason": "changed our mind"}),
        )
        .await;
    assert_eq!(declined_late.status, 409, "{:?}", declined_late.body);
    let declined = server
        .post(
            &format!("/api/v1/orders/{order_id}/decline"),
            &iberia.token,
            &json!({"reason": "Madrid is full"}),
        )
        .await;
    assert_eq!(declined.status, 200, "{:?}", declined.body);
    assert_eq!(declined.body["state"], "Declined");
    assert!(services_in_group(&server, &f).await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn bad_orders_of_several_items_name_each_failing_field() {
    let server = TestServer::start().await;
    let (f, _, _, _) = two_providers(&server, "0.50", "0.25", false).await;
    let empty = server
        .post("/api/v1/orders", &f.consumer_token, &json!({"items": []}))
        .await;
    assert_eq!(empty.status, 400, "{:?}", empty.body);
    assert_eq!(error_paths(&empty.body), ["items"]);

    let mut unnamed = item(&f, "web", "FI");
    unnamed["name"] = json!("  ");
    let mut nowhere = item(&f, "db-01", "ES");
    nowhere["groupId"] = json!(uuid::Uuid::now_v7());
    let bad = server
        .post(
            "/api/v1/orders",
            &f.consumer_token,
            &json!({"items": [unnamed, nowhere]}),
        )
        .await;
    assert_eq!(bad.status, 400, "{:?}", bad.body);
    assert_eq!(
        error_paths(&bad.body),
        ["items[0].name", "items[1].groupId"]
    );

    let mut typeless = item(&f, "db-01", "ES");
    typeless["serviceTypeId"] = json!("not-an-id");
    let undecodable = server
        .post(
            "/api/v1/orders",
            &f.consumer_token,
            &json!({"items": [item(&f, "web", "FI"), typeless]}),
        )
        .await;
    assert_eq!(undecodable.status, 400, "{:?}", undecodable.body);
    assert_eq!(error_paths(&undecodable.body), ["items[1].serviceTypeId"]);

    // Every item's group belongs to one consumer.
    let other = server.participant("Other consumer").await;
    let admin_group = server
        .post(
            "/api/v1/service-groups",
            federa_testkit::ADMIN_TOKEN,
            &json!({"name": "theirs", "consumerId": other}),
        )
        .await;
    assert_eq!(admin_group.status, 201, "{:?}", admin_group.body);
    let mut foreign = item(&f, "db-01", "ES");
    foreign["groupId"] = admin_group.body["id"].clone();
    let mixed = server
        .post(
            "/api/v1/orders",
            &f.consumer_token,
            &json!({"items": [item(&f, "web", "FI"), foreign]}),
        )
        .await;
    assert_eq!(mixed.status, 400, "{:?}", mixed.body);
    assert_eq!(error_paths(&mixed.body), ["items[1].groupId"]);

    // An item no provider can take is named.
    let nowhere_to_go = server
        .post(
            "/api/v1/orders",
            &f.consumer_token,
            &json!({"items": [item(&f, "web", "FI"), item(&f, "db-01", "JP")]}),
        )
        .await;
    assert!(
        nowhere_to_go.status == 400 || nowhere_to_go.status == 409,
        "{:?}",
        nowhere_to_go.body
    );
    assert!(
        nowhere_to_go.body.to_string().contains("items[1]"),
        "{:?}",
        nowhere_to_go.body
    );
    server.stop().await;
}

#[tokio::test]
async fn each_line_is_billed_at_its_own_quote_after_its_provider_raises_its_price() {
    let server = TestServer::start().await;
    // 3,600 EUR a running hour is one euro a second.
    let (f, nordic, iberia, iberia_offering) = two_providers(&server, "3600", "7200", false).await;
    let from =
        (Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Micros, true);
    let placed = place_pair(&server, &f).await;
    let (status, accepted) = decide(&server, &f.consumer_token, &id(&placed), "accept").await;
    assert_eq!(status, 200, "{accepted:?}");
    let web = accepted["lines"][0]["serviceId"]
        .as_str()
        .unwrap()
        .to_string();
    let db = accepted["lines"][1]["serviceId"]
        .as_str()
        .unwrap()
        .to_string();
    for (who, service_id) in [(&nordic, &web), (&iberia, &db)] {
        server.run_job(&who.agent_token, "create").await;
        act(&server, &f, service_id, "start").await;
        server.run_job(&who.agent_token, "start").await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let raised = server
        .patch(
            &format!("/api/v1/offerings/{iberia_offering}"),
            &iberia.token,
            &json!({"price": {"hourly": "72000"}}),
        )
        .await;
    assert_eq!(raised.status, 200, "{:?}", raised.body);
    tokio::time::sleep(Duration::from_millis(50)).await;

    let to = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Micros, true);
    let invoice = server
        .get(
            &format!("/api/v1/invoices?from={from}&to={to}"),
            &f.consumer_token,
        )
        .await;
    assert_eq!(invoice.status, 200, "{:?}", invoice.body);
    let lines = invoice.body["lines"].as_array().unwrap();
    for (service_id, price) in [(&web, "3600"), (&db, "7200")] {
        let billed: Vec<&Value> = lines
            .iter()
            .filter(|line| line["serviceId"] == service_id.as_str())
            .collect();
        assert!(!billed.is_empty(), "{:?}", invoice.body);
        for line in billed {
            let unit: f64 = line["unitPrice"].as_str().unwrap().parse().unwrap();
            assert_eq!(unit, price.parse::<f64>().unwrap(), "{line:?}");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn lines_drawing_from_one_pool_take_different_values_or_the_order_waits() {
    let server = TestServer::start().await;
    let (f, rhein, pool) = edge_pool(&server).await;
    for n in [10, 11] {
        pool_address(
            &server,
            &rhein,
            &pool,
            &format!("edge-{n}"),
            &format!("203.0.113.{n}"),
        )
        .await;
    }
    let edge = |name: &str| {
        json!({"name": name, "serviceTypeId": f.service_type_id, "groupId": f.group_id,
               "properties": {"name": name}, "placement": {"countries": ["DE"]}})
    };
    let placed = server
        .post(
            "/api/v1/orders",
            &f.consumer_token,
            &json!({"items": [edge("edge-a"), edge("edge-b"), edge("edge-c")]}),
        )
        .await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);
    let order_id = id(&placed.body);

    // Two values for three lines: nothing is ordered, the order waits.
    let (status, short) = decide(&server, &f.consumer_token, &order_id, "accept").await;
    assert_eq!(status, 409, "{short:?}");
    assert!(short.to_string().contains("publicIp"), "{short:?}");
    assert!(services_in_group(&server, &f).await.is_empty());

    // A third value: each line takes its own.
    pool_address(&server, &rhein, &pool, "edge-12", "203.0.113.12").await;
    let (status, accepted) = decide(&server, &f.consumer_token, &order_id, "accept").await;
    assert_eq!(status, 200, "{accepted:?}");
    let mut addresses: Vec<String> = services_in_group(&server, &f)
        .await
        .iter()
        .map(|service| {
            service["properties"]["publicIp"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    addresses.sort();
    assert_eq!(addresses, ["203.0.113.10", "203.0.113.11", "203.0.113.12"]);
    server.stop().await;
}
