//! Orders of a composition over HTTP: every component is placed and
//! quoted when the order is made, in dependency order and under the
//! composition's relations; accepting the order submits the composition
//! with each component held to its quoted offering, each member's
//! service is recorded on its line, and the order follows the
//! composition to `Done` or `Failed`.

mod exchange_kit;

use exchange_kit::{claim_only, finish, person, two_providers};
use federa_testkit::{error_paths, Federation, TestServer};
use serde_json::{json, Value};

fn id(body: &Value) -> String {
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {body:?}"))
        .to_string()
}

/// A component `key` of the federation's VM, placeable in Finland or
/// Spain.
fn component(f: &Federation, key: &str, name: &str) -> Value {
    json!({"key": key, "name": name, "serviceTypeId": f.service_type_id,
           "properties": f.order(name)["properties"],
           "placement": {"countries": ["FI", "ES"]}})
}

/// A shop: `db` first, then `web`, in different countries.
fn shop(f: &Federation, on_failure: &str) -> Value {
    let mut web = component(f, "web", "web-01");
    web["dependsOn"] = json!(["db"]);
    json!({"composition": {
        "groupId": f.group_id, "name": "shop", "onFailure": on_failure,
        "components": [component(f, "db", "db-01"), web],
        "relations": [{"components": ["db", "web"], "rule": "differentCountries"}],
    }})
}

async fn read(server: &TestServer, token: &str, path: &str) -> Value {
    let answer = server.get(path, token).await;
    assert_eq!(answer.status, 200, "{path}: {:?}", answer.body);
    answer.body
}

#[tokio::test]
async fn a_composition_is_quoted_component_by_component_and_composed_at_its_quotes() {
    let server = TestServer::start().await;
    let (f, nordic, iberia, _) = two_providers(&server, "0.50", "0.25", false).await;
    let placed = server
        .post("/api/v1/orders", &f.consumer_token, &shop(&f, "rollback"))
        .await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);
    let order_id = id(&placed.body);
    // The database goes to the cheaper provider; the web server, kept out
    // of the database's country, to the other.
    let lines = placed.body["lines"].as_array().unwrap();
    assert_eq!(lines[0]["item"]["name"], "db-01");
    assert_eq!(lines[0]["quote"]["providerId"], iberia.id.as_str());
    assert_eq!(lines[1]["item"]["name"], "web-01");
    assert_eq!(lines[1]["quote"]["providerId"], nordic.id.as_str());
    assert_eq!(placed.body["monthlyEstimate"], "547.50");
    assert_eq!(placed.body["composition"]["spec"]["name"], "shop");
    assert!(placed.body["composition"].get("compositionId").is_none());

    let accepted = server
        .post(
            &format!("/api/v1/orders/{order_id}/accept"),
            &f.consumer_token,
            &json!({}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    assert_eq!(accepted.body["state"], "Provisioning");
    let composition_id = accepted.body["composition"]["compositionId"]
        .as_str()
        .expect("the composition ordered")
        .to_string();
    let composition = read(
        &server,
        &f.consumer_token,
        &format!("/api/v1/compositions/{composition_id}"),
    )
    .await;
    assert_eq!(composition["name"], "shop");

    // Each member is ordered as its dependencies allow, at its quote.
    let db = claim_only(&server, &iberia, "create").await;
    finish(&server, &iberia, &db, "complete", &json!({})).await;
    let midway = read(
        &server,
        &f.consumer_token,
        &format!("/api/v1/orders/{order_id}"),
    )
    .await;
    assert_eq!(midway["state"], "Provisioning", "{midway:?}");
    let web = claim_only(&server, &nordic, "create").await;
    finish(&server, &nordic, &web, "complete", &json!({})).await;

    let done = read(
        &server,
        &f.consumer_token,
        &format!("/api/v1/orders/{order_id}"),
    )
    .await;
    assert_eq!(done["state"], "Done", "{done:?}");
    for (line, job) in done["lines"].as_array().unwrap().iter().zip([&db, &web]) {
        assert_eq!(line["serviceId"], job["serviceId"], "{done:?}");
        let found = read(
            &server,
            &f.consumer_token,
            &format!(
                "/api/v1/orders?serviceId={}",
                job["serviceId"].as_str().unwrap()
            ),
        )
        .await;
        assert_eq!(found["totalItems"], 1, "{found:?}");
    }
    let service = read(
        &server,
        &f.consumer_token,
        &format!("/api/v1/services/{}", web["serviceId"].as_str().unwrap()),
    )
    .await;
    assert_eq!(service["providerId"], nordic.id.as_str());

    // The provider of a line sees its line, not the rest of the shop.
    let theirs = read(
        &server,
        &iberia.token,
        &format!("/api/v1/orders/{order_id}"),
    )
    .await;
    assert_eq!(theirs["lines"].as_array().unwrap().len(), 1);
    assert_eq!(
        theirs["composition"]["spec"]["components"],
        json!([]),
        "{theirs:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_failed_member_fails_the_order_naming_it() {
    let server = TestServer::start().await;
    let (f, _, iberia, _) = two_providers(&server, "0.50", "0.25", false).await;
    let placed = server
        .post("/api/v1/orders", &f.consumer_token, &shop(&f, "stop"))
        .await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);
    let order_id = id(&placed.body);
    let accepted = server
        .post(
            &format!("/api/v1/orders/{order_id}/accept"),
            &f.consumer_token,
            &json!({}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    let db = claim_only(&server, &iberia, "create").await;
    finish(
        &server,
        &iberia,
        &db,
        "fail",
        &json!({"errorMessage": "disk full"}),
    )
    .await;
    let failed = read(
        &server,
        &f.consumer_token,
        &format!("/api/v1/orders/{order_id}"),
    )
    .await;
    assert_eq!(failed["state"], "Failed", "{failed:?}");
    assert_eq!(failed["reason"], "components.db: disk full");
    server.stop().await;
}

#[tokio::test]
async fn bad_composition_orders_name_each_failing_field() {
    let server = TestServer::start().await;
    let (f, _, _, iberia_offering) = two_providers(&server, "0.50", "0.25", false).await;
    let mut cyclic = shop(&f, "stop");
    cyclic["composition"]["components"][0]["dependsOn"] = json!(["web"]);
    let refused = server
        .post("/api/v1/orders", &f.consumer_token, &cyclic)
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert!(
        error_paths(&refused.body)
            .iter()
            .all(|path| path.starts_with("composition.components[")),
        "{:?}",
        refused.body
    );

    let mut nowhere = shop(&f, "stop");
    nowhere["composition"]["groupId"] = json!(uuid::Uuid::now_v7());
    let refused = server
        .post("/api/v1/orders", &f.consumer_token, &nowhere)
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(error_paths(&refused.body), ["composition.groupId"]);

    let mut unnamed = shop(&f, "stop");
    unnamed["composition"]["components"][1]["name"] = json!(" ");
    unnamed["composition"]["components"][0]["offeringId"] = json!(uuid::Uuid::now_v7());
    let refused = server
        .post("/api/v1/orders", &f.consumer_token, &unnamed)
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(
        error_paths(&refused.body),
        [
            "composition.components[0].offeringId",
            "composition.components[1].name"
        ]
    );

    // A component held to an offering in the same country as its peer
    // cannot keep the relation: the quote names the component.
    let mut pinned = shop(&f, "stop");
    pinned["composition"]["components"][0]["offeringId"] = json!(iberia_offering);
    pinned["composition"]["components"][1]["placement"] = json!({"countries": ["ES"]});
    let refused = server
        .post("/api/v1/orders", &f.consumer_token, &pinned)
        .await;
    assert!(
        refused.status == 400 || refused.status == 409,
        "{:?}",
        refused.body
    );
    assert!(
        refused.body.to_string().contains("components[1]"),
        "{:?}",
        refused.body
    );
    server.stop().await;
}

/// A group of the consumer in a project with a 1.00 EUR monthly budget
/// whose orders past it wait for an approver; the group's id.
async fn tight_group(server: &TestServer, f: &Federation) -> String {
    let project = server
        .post(
            "/api/v1/projects",
            &f.consumer_token,
            &json!({"consumerId": f.consumer_id, "name": "Tight", "monthlyBudget": "1.00",
                    "overBudget": "AwaitApproval"}),
        )
        .await;
    assert_eq!(project.status, 201, "{:?}", project.body);
    let group = server
        .post(
            "/api/v1/service-groups",
            &f.consumer_token,
            &json!({"name": "tight", "consumerId": f.consumer_id, "projectId": id(&project.body)}),
        )
        .await;
    assert_eq!(group.status, 201, "{:?}", group.body);
    id(&group.body)
}

async fn decide(server: &TestServer, token: &str, order_id: &str, verb: &str) -> Value {
    let answer = server
        .post(
            &format!("/api/v1/orders/{order_id}/{verb}"),
            token,
            &json!({}),
        )
        .await;
    assert_eq!(answer.status, 200, "{verb}: {:?}", answer.body);
    answer.body
}

#[tokio::test]
async fn an_approved_order_passes_its_projects_budget_however_it_is_provisioned() {
    let server = TestServer::start().await;
    let (f, nordic, iberia, _) = two_providers(&server, "0.50", "0.25", false).await;
    let group = tight_group(&server, &f).await;
    let (_, approver) = person(&server, &f.consumer_id, "approver").await;

    // A composition past the budget, approved: its members are ordered.
    let mut body = shop(&f, "stop");
    body["composition"]["groupId"] = json!(group);
    let placed = server
        .post("/api/v1/orders", &f.consumer_token, &body)
        .await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);
    let order_id = id(&placed.body);
    let waiting = decide(&server, &f.consumer_token, &order_id, "accept").await;
    assert_eq!(waiting["state"], "AwaitingApproval", "{waiting:?}");
    let approved = decide(&server, &approver, &order_id, "approve").await;
    assert_eq!(approved["state"], "Provisioning", "{approved:?}");
    let db = claim_only(&server, &iberia, "create").await;
    finish(&server, &iberia, &db, "complete", &json!({})).await;
    let web = claim_only(&server, &nordic, "create").await;
    finish(&server, &nordic, &web, "complete", &json!({})).await;
    let done = read(
        &server,
        &f.consumer_token,
        &format!("/api/v1/orders/{order_id}"),
    )
    .await;
    assert_eq!(done["state"], "Done", "{done:?}");

    // Services past the budget, approved, then accepted by their provider.
    let required = server
        .patch(
            &format!(
                "/api/v1/offerings/{}",
                placed.body["lines"][1]["quote"]["offeringId"]
                    .as_str()
                    .unwrap()
            ),
            &nordic.token,
            &json!({"requiresAcceptance": true}),
        )
        .await;
    assert_eq!(required.status, 200, "{:?}", required.body);
    let mut item = f.order("web-02");
    item["groupId"] = json!(group);
    item["placement"] = json!({"countries": ["FI"]});
    let placed = server
        .post("/api/v1/orders", &f.consumer_token, &item)
        .await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);
    let order_id = id(&placed.body);
    decide(&server, &f.consumer_token, &order_id, "accept").await;
    let waiting = decide(&server, &approver, &order_id, "approve").await;
    assert_eq!(waiting["state"], "AwaitingProvider", "{waiting:?}");
    let confirmed = decide(&server, &nordic.token, &order_id, "confirm").await;
    assert_eq!(confirmed["state"], "Provisioning", "{confirmed:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_member_refused_before_it_has_a_job_fails_the_order_at_once() {
    let server = TestServer::start().await;
    let (f, _, iberia, iberia_offering) = two_providers(&server, "0.50", "0.25", false).await;
    let placed = server
        .post("/api/v1/orders", &f.consumer_token, &shop(&f, "stop"))
        .await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);
    let order_id = id(&placed.body);
    assert_eq!(
        placed.body["lines"][0]["quote"]["offeringId"],
        iberia_offering.as_str()
    );
    // The database's quoted offering is withdrawn before the consumer accepts.
    let withdrawn = server
        .delete(
            &format!("/api/v1/offerings/{iberia_offering}"),
            &iberia.token,
        )
        .await;
    assert!(withdrawn.status < 300, "{:?}", withdrawn.body);
    decide(&server, &f.consumer_token, &order_id, "accept").await;
    let failed = read(
        &server,
        &f.consumer_token,
        &format!("/api/v1/orders/{order_id}"),
    )
    .await;
    assert_eq!(failed["state"], "Failed", "{failed:?}");
    assert!(
        failed["reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("components.db: "),
        "{failed:?}"
    );
    server.stop().await;
}
