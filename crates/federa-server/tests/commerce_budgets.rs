//! Monthly budgets over HTTP: a budget on a project (set by its consumer)
//! or on the consumer itself refuses the service whose monthly price would
//! take the forecast past it, with 409 naming the budget, its forecast and
//! the price refused; each alert threshold the forecast reaches raises one
//! `budgetAlert` event; a project may instead hold such orders for an
//! approver, whose approval passes the project's budget; concurrent orders
//! never pass a budget.

mod commerce_kit;
mod exchange_kit;

use exchange_kit::{market, person};
use federa_testkit::{error_paths, Federation, TestServer};
use serde_json::{json, Value};

/// The offering's hourly price: 14.60 EUR over a 730-hour month.
const HOURLY: &str = "0.02";

/// A project of the consumer with `fields` besides its name, and a group
/// in it: their ids.
async fn project_with(server: &TestServer, f: &Federation, fields: Value) -> (String, String) {
    let (project_id, group_id, _) = commerce_kit::project_with(server, f, fields).await;
    (project_id, group_id)
}

/// An order of the federation's VM named `name` into `group_id`, placed in
/// Finland, where the market's one offering is.
fn placed(f: &Federation, group_id: &str, name: &str) -> Value {
    let mut body = f.order(name);
    body["groupId"] = json!(group_id);
    body["placement"] = json!({"countries": ["FI"]});
    body
}

async fn order_into(server: &TestServer, token: &str, body: &Value) -> (u16, Value) {
    let answer = server.post("/api/v1/services", token, body).await;
    (answer.status, answer.body)
}

async fn budget_of(server: &TestServer, token: &str, path: &str) -> Value {
    let standing = server.get(&format!("{path}/budget"), token).await;
    assert_eq!(standing.status, 200, "{:?}", standing.body);
    standing.body
}

/// The events of `kind` about `entity_id`, oldest first.
async fn events_of(server: &TestServer, token: &str, entity_id: &str, kind: &str) -> Vec<Value> {
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
        .filter(|event| event["type"] == kind)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_project_budget_refuses_the_service_past_it_alerts_once_per_threshold_and_frees_up() {
    let server = TestServer::start().await;
    let (f, nordic, _) = market(&server, HOURLY).await;
    let (project_id, group_id) = project_with(&server, &f, json!({"monthlyBudget": "50.00"})).await;
    let project_path = format!("/api/v1/projects/{project_id}");
    let project = server.get(&project_path, &f.consumer_token).await;
    assert_eq!(project.body["monthlyBudget"], "50.00");
    assert_eq!(project.body["budgetAlerts"], json!([80, 100]));
    assert_eq!(project.body["overBudget"], "Refuse");

    let mut first_id = String::new();
    for n in 1..=3 {
        let (status, ordered) = order_into(
            &server,
            &f.consumer_token,
            &placed(&f, &group_id, &format!("vm-{n}")),
        )
        .await;
        assert_eq!(status, 201, "{ordered:?}");
        server.run_job(&nordic.agent_token, "create").await;
        if n == 1 {
            first_id = ordered["id"].as_str().unwrap().to_string();
        }
    }
    // Three services of 14.60 EUR: 43.80 reaches 80 % of 50.00, not 100 %.
    let standing = budget_of(&server, &f.consumer_token, &project_path).await;
    assert_eq!(
        standing,
        json!({"monthlyBudget": "50.00", "forecast": "43.80", "budgetAlerts": [80, 100], "alerted": 80})
    );
    let (status, refused) =
        order_into(&server, &f.consumer_token, &placed(&f, &group_id, "vm-4")).await;
    assert_eq!(status, 409, "{refused:?}");
    assert_eq!(
        refused["quota"],
        json!({"name": "project.monthlyBudget", "projectId": project_id, "budget": "50.00", "forecast": "43.80", "requested": "14.60"})
    );
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("project.monthlyBudget of 50.00 EUR"),
        "{refused:?}"
    );
    let alerts = events_of(
        &server,
        &f.consumer_token,
        &project_id,
        "project.budgetAlert",
    )
    .await;
    assert_eq!(
        alerts.len(),
        1,
        "one alert per threshold reached: {alerts:?}"
    );
    assert_eq!(alerts[0]["properties"]["threshold"], 80);
    assert_eq!(alerts[0]["properties"]["forecast"], "43.80");
    assert_eq!(alerts[0]["properties"]["monthlyBudget"], "50.00");
    let foreign = server
        .get(&format!("{project_path}/budget"), &nordic.token)
        .await;
    assert_eq!(foreign.status, 403, "{:?}", foreign.body);

    // A service that ended no longer counts.
    let deleting = server
        .delete(&format!("/api/v1/services/{first_id}"), &f.consumer_token)
        .await;
    assert!(deleting.status < 300, "{:?}", deleting.body);
    server.run_job(&nordic.agent_token, "delete").await;
    // Its end takes the forecast back under 80 %: the level falls quietly.
    let standing = budget_of(&server, &f.consumer_token, &project_path).await;
    assert_eq!(standing["forecast"], "29.20");
    assert_eq!(standing["alerted"], 0, "{standing:?}");
    let (status, again) =
        order_into(&server, &f.consumer_token, &placed(&f, &group_id, "vm-4")).await;
    assert_eq!(status, 201, "{again:?}");
    // Climbing past 80 % again alerts again.
    let alerts = events_of(
        &server,
        &f.consumer_token,
        &project_id,
        "project.budgetAlert",
    )
    .await;
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert_eq!(alerts[1]["properties"]["threshold"], 80);

    // Raising the budget lowers the alert level quietly; climbing past a
    // threshold again alerts again.
    let raised = server
        .patch(
            &project_path,
            &f.consumer_token,
            &json!({"monthlyBudget": "100", "budgetAlerts": [50]}),
        )
        .await;
    assert_eq!(raised.status, 200, "{:?}", raised.body);
    assert_eq!(raised.body["monthlyBudget"], "100.00");
    let standing = budget_of(&server, &f.consumer_token, &project_path).await;
    assert_eq!(standing["alerted"], 0, "{standing:?}");
    let (status, _) = order_into(&server, &f.consumer_token, &placed(&f, &group_id, "vm-5")).await;
    assert_eq!(status, 201);
    let standing = budget_of(&server, &f.consumer_token, &project_path).await;
    assert_eq!(standing["forecast"], "58.40");
    assert_eq!(standing["alerted"], 50);
    let alerts = events_of(
        &server,
        &f.consumer_token,
        &project_id,
        "project.budgetAlert",
    )
    .await;
    assert_eq!(alerts.len(), 3, "{alerts:?}");
    assert_eq!(alerts[2]["properties"]["threshold"], 50);

    // Removing the budget lifts it.
    let lifted = server
        .patch(
            &project_path,
            &f.consumer_token,
            &json!({"monthlyBudget": null}),
        )
        .await;
    assert_eq!(lifted.status, 200, "{:?}", lifted.body);
    assert!(
        lifted.body.get("monthlyBudget").is_none(),
        "{:?}",
        lifted.body
    );
    assert!(
        lifted.body.get("budgetAlerts").is_none(),
        "{:?}",
        lifted.body
    );
    server.stop().await;
}

#[tokio::test]
async fn a_consumer_sets_its_own_budget_which_caps_every_group() {
    let server = TestServer::start().await;
    let (f, nordic, _) = market(&server, HOURLY).await;
    let participant = format!("/api/v1/participants/{}", f.consumer_id);
    let set = server
        .patch(
            &participant,
            &f.consumer_token,
            &json!({"monthlyBudget": "20.00", "budgetAlerts": [50]}),
        )
        .await;
    assert_eq!(set.status, 200, "{:?}", set.body);
    assert_eq!(set.body["monthlyBudget"], "20.00");
    assert_eq!(set.body["budgetAlerts"], json!([50]));
    let other = server
        .patch(
            &participant,
            &nordic.token,
            &json!({"monthlyBudget": "1000.00"}),
        )
        .await;
    assert_eq!(
        other.status, 403,
        "another participant does not set it: {:?}",
        other.body
    );

    let (_, group_id) = project_with(&server, &f, json!({})).await;
    let (status, ordered) =
        order_into(&server, &f.consumer_token, &placed(&f, &f.group_id, "vm-1")).await;
    assert_eq!(status, 201, "{ordered:?}");
    // A service ordered without a price (straight to an agent) counts for nothing.
    let (status, unpriced) = order_into(&server, &f.consumer_token, &f.order("vm-free")).await;
    assert_eq!(status, 201, "{unpriced:?}");
    let (status, refused) =
        order_into(&server, &f.consumer_token, &placed(&f, &group_id, "vm-2")).await;
    assert_eq!(status, 409, "{refused:?}");
    assert_eq!(
        refused["quota"],
        json!({"name": "consumer.monthlyBudget", "consumerId": f.consumer_id, "budget": "20.00", "forecast": "14.60", "requested": "14.60"})
    );
    let standing = budget_of(&server, &f.consumer_token, &participant).await;
    assert_eq!(standing["forecast"], "14.60");
    assert_eq!(standing["alerted"], 50);
    let alerts = events_of(
        &server,
        &f.consumer_token,
        &f.consumer_id,
        "participant.budgetAlert",
    )
    .await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_project_may_hold_an_order_past_its_budget_for_an_approver() {
    let server = TestServer::start().await;
    let (f, _, _) = market(&server, HOURLY).await;
    let (project_id, group_id) = project_with(
        &server,
        &f,
        json!({"monthlyBudget": "20.00", "overBudget": "AwaitApproval"}),
    )
    .await;
    let (_, member) = person(&server, &f.consumer_id, "member").await;
    let (approver_id, approver) = person(&server, &f.consumer_id, "approver").await;
    let decide = |token: &str, order_id: &str, verb: &str| {
        let (server, token) = (&server, token.to_string());
        let path = format!("/api/v1/orders/{order_id}/{verb}");
        async move { server.post(&path, &token, &json!({})).await }
    };

    let first = server
        .post("/api/v1/orders", &member, &placed(&f, &group_id, "vm-1"))
        .await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    let accepted = decide(&member, first.body["id"].as_str().unwrap(), "accept").await;
    assert_eq!(
        accepted.body["state"], "Provisioning",
        "{:?}",
        accepted.body
    );

    let second = server
        .post("/api/v1/orders", &member, &placed(&f, &group_id, "vm-2"))
        .await;
    let second_id = second.body["id"].as_str().unwrap().to_string();
    let waiting = decide(&member, &second_id, "accept").await;
    assert_eq!(waiting.status, 200, "{:?}", waiting.body);
    assert_eq!(waiting.body["state"], "AwaitingApproval");
    let approved = decide(&approver, &second_id, "approve").await;
    assert_eq!(approved.status, 200, "{:?}", approved.body);
    assert_eq!(approved.body["state"], "Provisioning");
    assert_eq!(approved.body["decidedBy"], approver_id.as_str());
    let standing = budget_of(
        &server,
        &f.consumer_token,
        &format!("/api/v1/projects/{project_id}"),
    )
    .await;
    assert_eq!(standing["forecast"], "29.20");
    assert_eq!(standing["alerted"], 100);

    // Ordered straight, past the budget, nobody approves: refused.
    let (status, refused) = order_into(&server, &member, &placed(&f, &group_id, "vm-3")).await;
    assert_eq!(status, 409, "{refused:?}");
    assert_eq!(refused["quota"]["name"], "project.monthlyBudget");
    server.stop().await;
}

#[tokio::test]
async fn bad_budgets_are_refused_naming_every_field() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let refused = server
        .post(
            "/api/v1/projects",
            &f.consumer_token,
            &json!({"consumerId": f.consumer_id, "name": "bad", "monthlyBudget": "-1", "budgetAlerts": [0]}),
        )
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(
        error_paths(&refused.body),
        ["monthlyBudget", "budgetAlerts"]
    );
    for (fields, path) in [
        (json!({"monthlyBudget": "1.001"}), "monthlyBudget"),
        (json!({"monthlyBudget": 10}), "monthlyBudget"),
        (json!({"budgetAlerts": [80]}), "budgetAlerts"),
        (
            json!({"monthlyBudget": "10", "budgetAlerts": [1001]}),
            "budgetAlerts",
        ),
        (json!({"overBudget": "Sometimes"}), "overBudget"),
    ] {
        let mut body = json!({"consumerId": f.consumer_id, "name": "bad"});
        body.as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        let refused = server
            .post("/api/v1/projects", &f.consumer_token, &body)
            .await;
        assert_eq!(refused.status, 400, "{fields}: {:?}", refused.body);
        assert_eq!(error_paths(&refused.body), [path], "{fields}");
    }
    let participant = format!("/api/v1/participants/{}", f.consumer_id);
    let refused = server
        .patch(
            &participant,
            &f.consumer_token,
            &json!({"budgetAlerts": [50]}),
        )
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(error_paths(&refused.body), ["budgetAlerts"]);
    let kept = server.get(&participant, &f.consumer_token).await;
    assert!(kept.body.get("monthlyBudget").is_none(), "{:?}", kept.body);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_orders_against_a_budget_for_five_accept_exactly_five() {
    let server = TestServer::start().await;
    let (f, _, _) = market(&server, HOURLY).await;
    // Five services cost 73.00 EUR a month; a sixth would take it to 87.60.
    let (project_id, group_id) = project_with(&server, &f, json!({"monthlyBudget": "80.00"})).await;
    let orders = (0..16)
        .map(|n| placed(&f, &group_id, &format!("vm-race-{n}")))
        .collect();
    let statuses = commerce_kit::concurrently(&server, &f.consumer_token, orders).await;
    let tally = |status: u16| commerce_kit::tally(&statuses, status);
    assert_eq!(tally(201), 5, "{statuses:?}");
    assert_eq!(tally(409), 11, "{statuses:?}");
    let standing = budget_of(
        &server,
        &f.consumer_token,
        &format!("/api/v1/projects/{project_id}"),
    )
    .await;
    assert_eq!(standing["forecast"], "73.00");
    let alerts = events_of(
        &server,
        &f.consumer_token,
        &project_id,
        "project.budgetAlert",
    )
    .await;
    assert_eq!(alerts.len(), 1, "the 80 % crossing alerts once: {alerts:?}");
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        "project budget race",
        &format!(
            "16 concurrent orders, budget for 5: {} accepted, {} refused with 409",
            tally(201),
            tally(409)
        ),
    );
    server.stop().await;
}
