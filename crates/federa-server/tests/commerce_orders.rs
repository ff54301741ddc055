//! Orders with binding quotes over HTTP: an order is placed and quoted at
//! once, accepted within its expiry (the service is ordered at the quoted
//! offering and the order follows its `create` job) or refused after it,
//! cancelled before acceptance, held for an approver past its project's
//! threshold or for its provider, refused past a service quota, accepted
//! once however many requests race, and billed at the quoted price after
//! the provider raises it.

mod exchange_kit;

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use exchange_kit::{act, market, offering, person};
use federa_domain::provisioning::{JobStatus, ServiceChange};
use federa_store::provisioning::JobFinish;
use federa_testkit::{error_paths, Federation, TestServer};
use serde_json::{json, Value};
use uuid::Uuid;

/// The body of an order of the federation's VM, placed anywhere in Finland.
fn order_body(f: &Federation, name: &str) -> Value {
    let mut body = f.order(name);
    body["placement"] = json!({"countries": ["FI"]});
    body
}

/// `body` ordering a VM named `name` instead.
fn renamed(body: &Value, name: &str) -> Value {
    let mut body = body.clone();
    body["name"] = json!(name);
    body["properties"]["name"] = json!(name);
    body
}

async fn place(server: &TestServer, token: &str, body: &Value) -> Value {
    let placed = server.post("/api/v1/orders", token, body).await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);
    placed.body
}

/// An amount of money, a decimal string on the wire, as a number.
fn amount(value: &Value) -> f64 {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("not an amount: {value:?}"))
}

fn id(body: &Value) -> String {
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {body:?}"))
        .to_string()
}

async fn decide(
    server: &TestServer,
    token: &str,
    order_id: &str,
    verb: &str,
    body: Value,
) -> (u16, Value) {
    let answer = server
        .post(&format!("/api/v1/orders/{order_id}/{verb}"), token, &body)
        .await;
    (answer.status, answer.body)
}

/// The kinds of the events about `entity_id`, oldest first.
async fn event_kinds(server: &TestServer, token: &str, entity_id: &str) -> Vec<String> {
    let events = server
        .get(
            &format!("/api/v1/events?entityId={entity_id}&pageSize=100&sort=sequenceNumber"),
            token,
        )
        .await;
    assert_eq!(events.status, 200, "{:?}", events.body);
    events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The consumer's services in the federation's default group.
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

#[tokio::test]
async fn an_order_is_quoted_at_once_and_accepted_into_a_service_that_finishes_it() {
    let server = TestServer::start().await;
    let (f, nordic, offering_id) = market(&server, "0.50").await;

    let placed = place(&server, &f.consumer_token, &order_body(&f, "web-01")).await;
    let order_id = id(&placed);
    assert_eq!(placed["state"], "Quoted");
    assert_eq!(placed["consumerId"], f.consumer_id.as_str());
    let quote = &placed["quote"];
    assert_eq!(quote["offeringId"], offering_id.as_str());
    assert_eq!(quote["offeringVersion"], 1);
    assert_eq!(quote["providerId"], nordic.id.as_str());
    assert_eq!(quote["providerName"], "Nordic");
    assert_eq!(quote["region"], "fi-hel-1");
    assert_eq!(quote["price"]["hourly"], "0.50");
    assert_eq!(amount(&quote["hourlyPrice"]), 0.5);
    // 730 hours at 0.50 EUR.
    assert_eq!(quote["monthlyEstimate"], "365.00");
    assert_eq!(quote["currency"], "EUR");
    assert_eq!(quote["exitTerms"]["transitionalPeriodDays"], 30);
    let expires: DateTime<Utc> = quote["expiresAt"].as_str().unwrap().parse().unwrap();
    let ahead = expires - Utc::now();
    assert!(
        ahead > chrono::Duration::hours(23) && ahead <= chrono::Duration::hours(24),
        "{ahead:?}"
    );
    assert!(
        services_in_group(&server, &f).await.is_empty(),
        "nothing ordered yet"
    );

    // The consumer lists and reads it; the provider sees nothing before acceptance.
    let mine = server.get("/api/v1/orders", &f.consumer_token).await;
    assert_eq!(mine.body["totalItems"], 1, "{:?}", mine.body);
    let theirs = server.get("/api/v1/orders", &nordic.token).await;
    assert_eq!(theirs.body["totalItems"], 0, "{:?}", theirs.body);
    let peek = server
        .get(&format!("/api/v1/orders/{order_id}"), &nordic.token)
        .await;
    assert_eq!(peek.status, 403, "{:?}", peek.body);

    let (status, accepted) =
        decide(&server, &f.consumer_token, &order_id, "accept", json!({})).await;
    assert_eq!(status, 200, "{accepted:?}");
    assert_eq!(accepted["state"], "Provisioning");
    assert!(accepted["acceptedAt"].is_string(), "{accepted:?}");
    let service_id = accepted["serviceId"].as_str().unwrap().to_string();
    let services = services_in_group(&server, &f).await;
    assert_eq!(services.len(), 1, "{services:?}");
    assert_eq!(services[0]["id"], service_id.as_str());
    assert_eq!(services[0]["providerId"], nordic.id.as_str());
    assert_eq!(services[0]["agentId"], nordic.agent_id.as_str());

    // Accepted, the order is the provider's to see too.
    let theirs = server.get("/api/v1/orders", &nordic.token).await;
    assert_eq!(theirs.body["totalItems"], 1, "{:?}", theirs.body);
    let seen = server
        .get(&format!("/api/v1/orders/{order_id}"), &nordic.token)
        .await;
    assert_eq!(seen.status, 200, "{:?}", seen.body);
    let (again, refused) = decide(&server, &f.consumer_token, &order_id, "accept", json!({})).await;
    assert_eq!(again, 409, "{refused:?}");
    let (late, refused) = decide(&server, &f.consumer_token, &order_id, "cancel", json!({})).await;
    assert_eq!(late, 409, "{refused:?}");

    server.run_job(&nordic.agent_token, "create").await;
    let done = server
        .get(&format!("/api/v1/orders/{order_id}"), &f.consumer_token)
        .await;
    assert_eq!(done.body["state"], "Done", "{:?}", done.body);
    assert_eq!(
        event_kinds(&server, &f.consumer_token, &order_id).await,
        [
            "order.quoted",
            "order.accepted",
            "order.provisioning",
            "order.done"
        ]
    );
    let by_state = server
        .get("/api/v1/orders?state=Done", &f.consumer_token)
        .await;
    assert_eq!(by_state.body["totalItems"], 1, "{:?}", by_state.body);
    server.stop().await;
}

#[tokio::test]
async fn an_order_named_by_offering_is_quoted_there_and_a_failed_create_fails_it() {
    let server = TestServer::start().await;
    let (f, nordic, _) = market(&server, "0.10").await;
    let dearer = offering(
        &server,
        &f,
        &nordic,
        &["fi-hel-1"],
        json!({"hourly": "0.90"}),
    )
    .await;
    let mut body = f.order("named");
    body["offeringId"] = dearer["id"].clone();
    let placed = place(&server, &f.consumer_token, &body).await;
    assert_eq!(placed["quote"]["offeringId"], dearer["id"]);
    assert_eq!(amount(&placed["quote"]["hourlyPrice"]), 0.9);
    let (status, accepted) = decide(
        &server,
        &f.consumer_token,
        &id(&placed),
        "accept",
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{accepted:?}");

    let agent = &nordic.agent_token;
    let pending = server.get("/api/v1/jobs/pending", agent).await;
    let job_id = pending.body[0]["id"].as_str().unwrap().to_string();
    let claimed = server
        .post(&format!("/api/v1/jobs/{job_id}/claim"), agent, &json!({}))
        .await;
    assert_eq!(claimed.status, 204, "{:?}", claimed.body);
    let failed = server
        .post(
            &format!("/api/v1/jobs/{job_id}/fail"),
            agent,
            &json!({"errorMessage": "no capacity left"}),
        )
        .await;
    assert_eq!(failed.status, 204, "{:?}", failed.body);
    let order = server
        .get(
            &format!("/api/v1/orders/{}", id(&placed)),
            &f.consumer_token,
        )
        .await;
    assert_eq!(order.body["state"], "Failed", "{:?}", order.body);
    assert_eq!(order.body["reason"], "no capacity left");
    server.stop().await;
}

#[tokio::test]
async fn a_quote_accepted_after_it_expired_is_refused_and_the_order_expires() {
    let server = TestServer::start_configured(|settings| {
        settings.quote_validity = chrono::Duration::milliseconds(200);
    })
    .await;
    let (f, _, _) = market(&server, "0.50").await;
    let placed = place(&server, &f.consumer_token, &order_body(&f, "late")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, refused) = decide(
        &server,
        &f.consumer_token,
        &id(&placed),
        "accept",
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "{refused:?}");
    assert!(
        refused["error"].as_str().unwrap().contains("expired"),
        "{refused:?}"
    );
    let order = server
        .get(
            &format!("/api/v1/orders/{}", id(&placed)),
            &f.consumer_token,
        )
        .await;
    assert_eq!(order.body["state"], "Expired", "{:?}", order.body);
    assert!(services_in_group(&server, &f).await.is_empty());
    assert_eq!(
        event_kinds(&server, &f.consumer_token, &id(&placed)).await,
        ["order.quoted", "order.expired"]
    );
    server.stop().await;
}

/// Polls the order until the sweep moves it to `state` (five seconds at
/// most).
async fn wait_for_state(server: &TestServer, token: &str, order_id: &str, state: &str) {
    let path = format!("/api/v1/orders/{order_id}");
    let mut seen = Value::Null;
    for _ in 0..50 {
        seen = server.get(&path, token).await.body["state"].clone();
        if seen == state {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("order {order_id} is {seen}, never {state}");
}

#[tokio::test]
async fn an_order_nobody_acts_on_expires_by_itself_when_its_quote_lapses() {
    let server = TestServer::start_configured(|settings| {
        settings.quote_validity = chrono::Duration::milliseconds(300);
        settings.sweep_interval = Duration::from_millis(100);
    })
    .await;
    let (f, _, _) = market(&server, "0.50").await;
    let forgotten = place(&server, &f.consumer_token, &order_body(&f, "forgotten")).await;
    let taken = place(&server, &f.consumer_token, &order_body(&f, "taken")).await;
    let (status, accepted) =
        decide(&server, &f.consumer_token, &id(&taken), "accept", json!({})).await;
    assert_eq!(status, 200, "{accepted:?}");
    wait_for_state(&server, &f.consumer_token, &id(&forgotten), "Expired").await;
    assert_eq!(
        event_kinds(&server, &f.consumer_token, &id(&forgotten)).await,
        ["order.quoted", "order.expired"]
    );
    // An order accepted in time is not touched by the sweep.
    let kept = server
        .get(&format!("/api/v1/orders/{}", id(&taken)), &f.consumer_token)
        .await;
    assert_ne!(kept.body["state"], "Expired", "{:?}", kept.body);
    assert_eq!(services_in_group(&server, &f).await.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn an_order_whose_job_finished_without_it_is_settled_by_the_sweep() {
    let server = TestServer::start_configured(|settings| {
        settings.sweep_interval = Duration::from_millis(100);
    })
    .await;
    let (f, nordic, _) = market(&server, "0.50").await;
    let placed = place(&server, &f.consumer_token, &order_body(&f, "healed")).await;
    let (status, accepted) = decide(
        &server,
        &f.consumer_token,
        &id(&placed),
        "accept",
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{accepted:?}");
    assert_eq!(accepted["state"], "Provisioning", "{accepted:?}");
    let pending = server
        .get("/api/v1/jobs/pending", &nordic.agent_token)
        .await;
    let job = pending.body[0].clone();
    let job_id = job["id"].as_str().unwrap();
    let claimed = server
        .post(
            &format!("/api/v1/jobs/{job_id}/claim"),
            &nordic.agent_token,
            &json!({}),
        )
        .await;
    assert_eq!(claimed.status, 204, "{:?}", claimed.body);
    // The completion is written as a replica writes it, and that replica
    // stops right there: nothing moves the order on but the sweep.
    let finish = JobFinish {
        job_id: job_id.parse::<Uuid>().unwrap(),
        group_id: job["service"]["groupId"]
            .as_str()
            .unwrap()
            .parse::<Uuid>()
            .unwrap(),
        agent_id: job["agentId"].as_str().unwrap().parse::<Uuid>().unwrap(),
        service_id: job["serviceId"].as_str().unwrap().parse::<Uuid>().unwrap(),
        from: &[JobStatus::Processing],
        to: JobStatus::Completed,
        error_message: None,
        outcome_digest: None,
        result: None,
        service: ServiceChange {
            status: "Stopped".into(),
            properties: None,
            agent_instance_id: None,
            agent_instance_data: None,
        },
        at: Utc::now(),
        lapsed_before: None,
        attempt: None,
        releases_pool_values: false,
    };
    assert!(server.store.finish_job(&finish, &[]).await.unwrap());
    wait_for_state(&server, &f.consumer_token, &id(&placed), "Done").await;
    server.stop().await;
}

#[tokio::test]
async fn an_order_cancelled_before_acceptance_orders_nothing() {
    let server = TestServer::start().await;
    let (f, _, _) = market(&server, "0.50").await;
    let placed = place(&server, &f.consumer_token, &order_body(&f, "changed-mind")).await;
    let (status, cancelled) = decide(
        &server,
        &f.consumer_token,
        &id(&placed),
        "cancel",
        json!({"reason": "found it cheaper"}),
    )
    .await;
    assert_eq!(status, 200, "{cancelled:?}");
    assert_eq!(cancelled["state"], "Cancelled");
    assert_eq!(cancelled["reason"], "found it cheaper");
    let (status, refused) = decide(
        &server,
        &f.consumer_token,
        &id(&placed),
        "accept",
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "{refused:?}");
    assert!(services_in_group(&server, &f).await.is_empty());
    assert_eq!(
        event_kinds(&server, &f.consumer_token, &id(&placed)).await,
        ["order.quoted", "order.cancelled"]
    );
    server.stop().await;
}

#[tokio::test]
async fn past_its_projects_threshold_an_order_waits_for_an_approver() {
    let server = TestServer::start().await;
    let (f, _, _) = market(&server, "0.50").await;
    let refused = server
        .post(
            "/api/v1/projects",
            &f.consumer_token,
            &json!({"consumerId": f.consumer_id, "name": "bad", "approvalThreshold": "-1"}),
        )
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(error_paths(&refused.body), ["approvalThreshold"]);
    let project = server
        .post(
            "/api/v1/projects",
            &f.consumer_token,
            &json!({"consumerId": f.consumer_id, "name": "Costly", "approvalThreshold": "100.00"}),
        )
        .await;
    assert_eq!(project.status, 201, "{:?}", project.body);
    assert_eq!(project.body["approvalThreshold"], "100.00");
    let group = server
        .post(
            "/api/v1/service-groups",
            &f.consumer_token,
            &json!({"name": "costly", "consumerId": f.consumer_id, "projectId": id(&project.body)}),
        )
        .await;
    assert_eq!(group.status, 201, "{:?}", group.body);
    let (_, member) = person(&server, &f.consumer_id, "member").await;
    let (approver_id, approver) = person(&server, &f.consumer_id, "approver").await;
    let mut body = order_body(&f, "big");
    body["groupId"] = group.body["id"].clone();

    // 365.00 EUR a month passes the 100.00 threshold.
    let placed = place(&server, &member, &body).await;
    let order_id = id(&placed);
    let (status, waiting) = decide(&server, &member, &order_id, "accept", json!({})).await;
    assert_eq!(status, 200, "{waiting:?}");
    assert_eq!(waiting["state"], "AwaitingApproval");
    assert!(waiting.get("serviceId").is_none(), "{waiting:?}");
    let (status, _) = decide(&server, &member, &order_id, "approve", json!({})).await;
    assert_eq!(status, 403, "a member does not approve");
    let (status, bare) = decide(
        &server,
        &approver,
        &order_id,
        "reject",
        json!({"reason": "  "}),
    )
    .await;
    assert_eq!(status, 400, "{bare:?}");
    assert_eq!(error_paths(&bare), ["reason"]);
    let (status, approved) = decide(&server, &approver, &order_id, "approve", json!({})).await;
    assert_eq!(status, 200, "{approved:?}");
    assert_eq!(approved["state"], "Provisioning");
    assert_eq!(approved["decidedBy"], approver_id.as_str());
    assert!(approved["serviceId"].is_string());

    let second = place(&server, &member, &renamed(&body, "bigger")).await;
    let (status, _) = decide(&server, &member, &id(&second), "accept", json!({})).await;
    assert_eq!(status, 200);
    let (status, rejected) = decide(
        &server,
        &approver,
        &id(&second),
        "reject",
        json!({"reason": "over budget this quarter"}),
    )
    .await;
    assert_eq!(status, 200, "{rejected:?}");
    assert_eq!(rejected["state"], "Rejected");
    assert_eq!(rejected["reason"], "over budget this quarter");
    assert_eq!(
        event_kinds(&server, &f.consumer_token, &id(&second)).await,
        ["order.quoted", "order.awaitingApproval", "order.rejected"]
    );

    // Under the threshold, acceptance orders at once.
    let raised = server
        .patch(
            &format!("/api/v1/projects/{}", id(&project.body)),
            &f.consumer_token,
            &json!({"approvalThreshold": "1000"}),
        )
        .await;
    assert_eq!(raised.status, 200, "{:?}", raised.body);
    let third = place(&server, &member, &renamed(&body, "fits")).await;
    let (status, accepted) = decide(&server, &member, &id(&third), "accept", json!({})).await;
    assert_eq!(status, 200, "{accepted:?}");
    assert_eq!(accepted["state"], "Provisioning");
    server.stop().await;
}

#[tokio::test]
async fn bad_orders_are_refused_naming_every_field() {
    let server = TestServer::start().await;
    let (f, _, _) = market(&server, "0.50").await;
    let mut body = order_body(&f, "vm-bad");
    body["name"] = json!(" ");
    body["groupId"] = json!(uuid::Uuid::now_v7());
    body["offeringId"] = json!(uuid::Uuid::now_v7());
    let refused = server
        .post("/api/v1/orders", &f.consumer_token, &body)
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(
        error_paths(&refused.body),
        ["name", "groupId", "offeringId"]
    );

    // Each change to a good order, and the field its refusal names.
    let cases: [(&str, &str, Value, &str); 5] = [
        (
            "placement",
            "countries",
            json!(["XX"]),
            "placement.countries[0]",
        ),
        ("properties", "cpu", json!("many"), "properties.cpu"),
        (
            "properties",
            "rootPassword",
            json!("kept-out-of-quotes"),
            "properties.rootPassword",
        ),
        // No offering in Germany: placement says why.
        ("placement", "countries", json!(["DE"]), "placement"),
        (
            "placement",
            "strategy",
            json!("dearest"),
            "placement.strategy",
        ),
    ];
    for (part, field, value, path) in cases {
        let mut body = order_body(&f, "vm-bad");
        body[part][field] = value;
        let refused = server
            .post("/api/v1/orders", &f.consumer_token, &body)
            .await;
        assert_eq!(refused.status, 400, "{path}: {:?}", refused.body);
        assert_eq!(error_paths(&refused.body), [path]);
        assert!(!refused.body.to_string().contains("kept-out-of-quotes"));
    }

    let unknown = server
        .call(
            "POST",
            &format!("/api/v1/orders/{}/reject", uuid::Uuid::now_v7()),
            Some(&f.consumer_token),
            None,
        )
        .await;
    assert_eq!(unknown.status, 404, "{:?}", unknown.body);
    server.stop().await;
}

#[tokio::test]
async fn two_concurrent_accepts_of_one_order_order_exactly_one_service() {
    let server = TestServer::start().await;
    let (f, _, _) = market(&server, "0.50").await;
    for round in 0..4 {
        let placed = place(
            &server,
            &f.consumer_token,
            &order_body(&f, &format!("raced-{round}")),
        )
        .await;
        let path = format!("/api/v1/orders/{}/accept", id(&placed));
        let empty = json!({});
        let (first, second) = tokio::join!(
            server.post(&path, &f.consumer_token, &empty),
            server.post(&path, &f.consumer_token, &empty),
        );
        let mut statuses = [first.status, second.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "{:?} {:?}", first.body, second.body);
    }
    assert_eq!(services_in_group(&server, &f).await.len(), 4);
    server.stop().await;
}

#[tokio::test]
async fn an_accepted_quote_binds_the_invoice_after_the_provider_raises_its_price() {
    let server = TestServer::start().await;
    // 3,600 EUR a running hour is one euro a second.
    let (f, nordic, offering_id) = market(&server, "3600").await;
    let from =
        (Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Micros, true);
    let placed = place(&server, &f.consumer_token, &order_body(&f, "bound")).await;
    let (status, accepted) = decide(
        &server,
        &f.consumer_token,
        &id(&placed),
        "accept",
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{accepted:?}");
    let service_id = accepted["serviceId"].as_str().unwrap().to_string();
    server.run_job(&nordic.agent_token, "create").await;
    act(&server, &f, &service_id, "start").await;
    server.run_job(&nordic.agent_token, "start").await;
    tokio::time::sleep(Duration::from_millis(50)).await;

    let raised = server
        .patch(
            &format!("/api/v1/offerings/{offering_id}"),
            &nordic.token,
            &json!({"price": {"hourly": "36000"}}),
        )
        .await;
    assert_eq!(raised.status, 200, "{:?}", raised.body);
    assert_eq!(raised.body["version"], 2, "a new price is a new version");
    // A change that leaves the price as it is makes no new version.
    let renamed = server
        .patch(
            &format!("/api/v1/offerings/{offering_id}"),
            &nordic.token,
            &json!({"price": {"hourly": "36000"}, "capacity": 50}),
        )
        .await;
    assert_eq!(renamed.body["version"], 2, "{:?}", renamed.body);
    let read = server
        .get(
            &format!("/api/v1/offerings/{offering_id}"),
            &f.consumer_token,
        )
        .await;
    assert_eq!(read.body["version"], 2, "{:?}", read.body);
    let listed = server.get("/api/v1/offerings", &f.consumer_token).await;
    let item = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"] == offering_id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(item["version"], 2, "{item:?}");
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
    assert!(!lines.is_empty(), "{:?}", invoice.body);
    for line in lines {
        assert_eq!(line["serviceId"], service_id.as_str());
        assert_eq!(
            amount(&line["unitPrice"]),
            3600.0,
            "billed at the quoted price: {line:?}"
        );
    }

    // A new order is quoted at the new price, as the offering's second version.
    let later = place(&server, &f.consumer_token, &order_body(&f, "later")).await;
    assert_eq!(later["quote"]["offeringVersion"], 2);
    assert_eq!(later["quote"]["price"]["hourly"], "36000");
    server.stop().await;
}

#[tokio::test]
async fn an_offering_requiring_acceptance_holds_accepted_orders_for_its_provider() {
    let server = TestServer::start().await;
    let (f, nordic, offering_id) = market(&server, "0.50").await;
    let required = server
        .patch(
            &format!("/api/v1/offerings/{offering_id}"),
            &nordic.token,
            &json!({"requiresAcceptance": true}),
        )
        .await;
    assert_eq!(required.status, 200, "{:?}", required.body);
    assert_eq!(required.body["requiresAcceptance"], true);
    let placed = place(&server, &f.consumer_token, &order_body(&f, "held")).await;
    assert_eq!(placed["quote"]["requiresAcceptance"], true);
    let order_id = id(&placed);
    let (status, waiting) =
        decide(&server, &f.consumer_token, &order_id, "accept", json!({})).await;
    assert_eq!(status, 200, "{waiting:?}");
    assert_eq!(waiting["state"], "AwaitingProvider");
    assert!(services_in_group(&server, &f).await.is_empty());

    // The provider sees what waits for it; the consumer cannot answer for it.
    let theirs = server
        .get("/api/v1/orders?state=AwaitingProvider", &nordic.token)
        .await;
    assert_eq!(theirs.body["totalItems"], 1, "{:?}", theirs.body);
    let (status, _) = decide(&server, &f.consumer_token, &order_id, "confirm", json!({})).await;
    assert_eq!(status, 403);
    // Of the provider's people, an approver or above answers for it.
    let (_, provider_member) = person(&server, &nordic.id, "member").await;
    let (_, provider_approver) = person(&server, &nordic.id, "approver").await;
    let (status, _) = decide(&server, &provider_member, &order_id, "confirm", json!({})).await;
    assert_eq!(status, 403, "a member does not answer for its provider");
    let (status, confirmed) = decide(&server, &nordic.token, &order_id, "confirm", json!({})).await;
    assert_eq!(status, 200, "{confirmed:?}");
    assert_eq!(confirmed["state"], "Provisioning");
    let services = services_in_group(&server, &f).await;
    assert_eq!(services.len(), 1, "{services:?}");
    assert_eq!(services[0]["id"], confirmed["serviceId"]);

    let second = place(&server, &f.consumer_token, &order_body(&f, "declined")).await;
    let (status, _) = decide(
        &server,
        &f.consumer_token,
        &id(&second),
        "accept",
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, bare) = decide(
        &server,
        &provider_approver,
        &id(&second),
        "decline",
        json!({}),
    )
    .await;
    assert_eq!(status, 400, "{bare:?}");
    assert_eq!(error_paths(&bare), ["reason"]);
    let (status, declined) = decide(
        &server,
        &provider_approver,
        &id(&second),
        "decline",
        json!({"reason": "region full until March"}),
    )
    .await;
    assert_eq!(status, 200, "{declined:?}");
    assert_eq!(declined["state"], "Declined");
    assert_eq!(declined["reason"], "region full until March");
    assert_eq!(
        event_kinds(&server, &f.consumer_token, &id(&second)).await,
        ["order.quoted", "order.awaitingProvider", "order.declined"]
    );

    // Until the provider answers, the consumer may still withdraw.
    let third = place(&server, &f.consumer_token, &order_body(&f, "withdrawn")).await;
    let (status, _) = decide(&server, &f.consumer_token, &id(&third), "accept", json!({})).await;
    assert_eq!(status, 200);
    let (status, cancelled) =
        decide(&server, &f.consumer_token, &id(&third), "cancel", json!({})).await;
    assert_eq!(status, 200, "{cancelled:?}");
    assert_eq!(cancelled["state"], "Cancelled");
    let (status, _) = decide(&server, &nordic.token, &id(&third), "confirm", json!({})).await;
    assert_eq!(status, 409);
    assert_eq!(services_in_group(&server, &f).await.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn accepting_is_refused_past_a_service_quota_and_leaves_the_order_quoted() {
    let server = TestServer::start().await;
    let (f, _, _) = market(&server, "0.50").await;
    let project = server
        .post(
            "/api/v1/projects",
            &f.consumer_token,
            &json!({"consumerId": f.consumer_id, "name": "Full", "serviceLimit": 0}),
        )
        .await;
    assert_eq!(project.status, 201, "{:?}", project.body);
    let group = server
        .post(
            "/api/v1/service-groups",
            &f.consumer_token,
            &json!({"name": "full", "consumerId": f.consumer_id, "projectId": id(&project.body)}),
        )
        .await;
    assert_eq!(group.status, 201, "{:?}", group.body);
    let mut body = order_body(&f, "over");
    body["groupId"] = group.body["id"].clone();
    let placed = place(&server, &f.consumer_token, &body).await;
    let (status, refused) = decide(
        &server,
        &f.consumer_token,
        &id(&placed),
        "accept",
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "{refused:?}");
    assert_eq!(refused["quota"]["name"], "project.serviceLimit");
    let order = server
        .get(
            &format!("/api/v1/orders/{}", id(&placed)),
            &f.consumer_token,
        )
        .await;
    assert_eq!(order.body["state"], "Quoted", "{:?}", order.body);
    assert!(order.body.get("serviceId").is_none(), "{:?}", order.body);
    server.stop().await;
}
