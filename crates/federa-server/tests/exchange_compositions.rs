//! Compositions over HTTP: a database and a web server on two providers in
//! different countries, the web server ordered only once the database is
//! up and given its address; rollback and stop on failure; deletion in
//! reverse order; refused requests and foreign callers.

mod exchange_kit;

use std::time::Duration;

use exchange_kit::{created_id, edge_pool, offering, pool_address, profile_in, provider, Provider};
use federa_domain::provisioning::{JobStatus, LeasePolicy, ServiceChange};
use federa_store::provisioning::JobFinish;
use federa_testkit::{Federation, TestServer, ADMIN_TOKEN, EXAMPLE_VM_LIFECYCLE};
use serde_json::{json, Value};
use uuid::Uuid;

/// A service type whose agent reports the address it gives the service,
/// and which can be told where its database is.
async fn app_federation(server: &TestServer) -> Federation {
    let service_type = json!({
        "name": "App server",
        "propertySchema": {"properties": {
            "name": {"type": "string", "required": true},
            "ipAddress": {"type": "string", "authorizers": [{"type": "actor", "config": {"actors": ["agent"]}}]},
            "databaseHost": {"type": "string"},
        }},
        "lifecycleSchema": serde_json::from_str::<Value>(EXAMPLE_VM_LIFECYCLE).unwrap(),
    });
    Federation::create_with(server, &service_type).await
}

/// Rhein in Germany (cheaper) and Nordic in Finland.
async fn two_providers(server: &TestServer, federation: &Federation) -> (Provider, Provider) {
    let rhein = provider(server, federation, "Rhein", profile_in("DE", "de-fra-1")).await;
    let nordic = provider(server, federation, "Nordic", profile_in("FI", "fi-hel-1")).await;
    offering(
        server,
        federation,
        &rhein,
        &["de-fra-1"],
        json!({"hourly": "0.04"}),
    )
    .await;
    offering(
        server,
        federation,
        &nordic,
        &["fi-hel-1"],
        json!({"hourly": "0.09"}),
    )
    .await;
    (rhein, nordic)
}

/// A web server declared before the database it reads its address from,
/// on another provider than the database.
fn shop(federation: &Federation, on_failure: &str) -> Value {
    json!({
        "groupId": federation.group_id,
        "name": "shop",
        "onFailure": on_failure,
        "components": [
            {
                "key": "web",
                "name": "shop-web",
                "serviceTypeId": federation.service_type_id,
                "properties": {"name": "web"},
                "inputs": [{"property": "databaseHost", "from": "db", "output": "ipAddress"}],
            },
            {
                "key": "db",
                "name": "shop-db",
                "serviceTypeId": federation.service_type_id,
                "properties": {"name": "db"},
            },
        ],
        "relations": [{"components": ["web", "db"], "rule": "differentProviders"}],
    })
}

fn member<'a>(composition: &'a Value, key: &str) -> &'a Value {
    composition["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|member| member["key"] == key)
        .unwrap_or_else(|| panic!("no member {key}: {composition:?}"))
}

async fn composition(server: &TestServer, federation: &Federation, id: &str) -> Value {
    let answer = server
        .get(
            &format!("/api/v1/compositions/{id}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body
}

async fn pending(server: &TestServer, agent_token: &str) -> Vec<Value> {
    let answer = server.get("/api/v1/jobs/pending", agent_token).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body.as_array().cloned().unwrap_or_default()
}

/// Claims the agent's only pending job, a `create`, and completes it
/// reporting the address the agent gave the service.
async fn complete_create_with_address(server: &TestServer, agent_token: &str, address: &str) {
    let jobs = pending(server, agent_token).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["action"], "create");
    let id = jobs[0]["id"].as_str().expect("job id");
    let claimed = server
        .post(&format!("/api/v1/jobs/{id}/claim"), agent_token, &json!({}))
        .await;
    assert_eq!(claimed.status, 204, "{:?}", claimed.body);
    let completed = server
        .post(
            &format!("/api/v1/jobs/{id}/complete"),
            agent_token,
            &json!({"properties": {"ipAddress": address}}),
        )
        .await;
    assert_eq!(completed.status, 204, "{:?}", completed.body);
}

/// Claims the agent's only pending job and fails it.
async fn fail_job(server: &TestServer, agent_token: &str) {
    let jobs = pending(server, agent_token).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let id = jobs[0]["id"].as_str().expect("job id");
    let claimed = server
        .post(&format!("/api/v1/jobs/{id}/claim"), agent_token, &json!({}))
        .await;
    assert_eq!(claimed.status, 204, "{:?}", claimed.body);
    let failed = server
        .post(
            &format!("/api/v1/jobs/{id}/fail"),
            agent_token,
            &json!({"errorMessage": "disk full"}),
        )
        .await;
    assert_eq!(failed.status, 204, "{:?}", failed.body);
}

async fn service_status(server: &TestServer, federation: &Federation, id: &Value) -> Value {
    let id = id.as_str().expect("a service id");
    let service = server
        .get(
            &format!("/api/v1/services/{id}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(service.status, 200, "{:?}", service.body);
    service.body["status"].clone()
}

#[tokio::test]
async fn a_two_service_composition_across_two_providers_comes_up_in_order_with_the_output_wired_through(
) {
    let server = TestServer::start().await;
    let federation = app_federation(&server).await;
    let (rhein, nordic) = two_providers(&server, &federation).await;

    let created = server
        .post(
            "/api/v1/compositions",
            &federation.consumer_token,
            &shop(&federation, "rollback"),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().expect("id").to_string();
    assert_eq!(created.body["status"], "Provisioning");
    let db = member(&created.body, "db");
    assert_eq!(db["state"], "creating");
    assert_eq!(db["providerId"], rhein.id.as_str(), "the cheaper provider");
    assert_eq!(db["country"], "DE");
    assert!(db["placementExplanation"]
        .as_str()
        .unwrap_or_default()
        .contains("cheapest eligible offering"));
    assert_eq!(member(&created.body, "web")["state"], "waiting");
    assert!(
        pending(&server, &nordic.agent_token).await.is_empty(),
        "the web server waits for its database"
    );

    complete_create_with_address(&server, &rhein.agent_token, "10.0.0.7").await;
    let provisioning = composition(&server, &federation, &id).await;
    assert_eq!(member(&provisioning, "db")["state"], "ready");
    let web = member(&provisioning, "web");
    assert_eq!(web["state"], "creating");
    assert_eq!(
        web["providerId"],
        nordic.id.as_str(),
        "another provider than the database"
    );
    assert_eq!(web["country"], "FI");
    let web_service = server
        .get(
            &format!(
                "/api/v1/services/{}",
                web["serviceId"].as_str().expect("service")
            ),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(web_service.body["properties"]["databaseHost"], "10.0.0.7");
    assert_eq!(web_service.body["name"], "shop-web");

    server.run_job(&nordic.agent_token, "create").await;
    let ready = composition(&server, &federation, &id).await;
    assert_eq!(ready["status"], "Ready", "{ready:?}");
    assert_eq!(member(&ready, "web")["serviceStatus"], "Stopped");

    let deleted = server
        .delete(
            &format!("/api/v1/compositions/{id}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    let deleting = composition(&server, &federation, &id).await;
    assert_eq!(deleting["status"], "Deleting");
    assert_eq!(member(&deleting, "web")["state"], "deleting");
    assert_eq!(member(&deleting, "db")["state"], "ready");
    assert!(
        pending(&server, &rhein.agent_token).await.is_empty(),
        "the database goes only after the web server"
    );
    server.run_job(&nordic.agent_token, "delete").await;
    assert_eq!(
        member(&composition(&server, &federation, &id).await, "db")["state"],
        "deleting"
    );
    server.run_job(&rhein.agent_token, "delete").await;
    let gone = composition(&server, &federation, &id).await;
    assert_eq!(gone["status"], "Deleted", "{gone:?}");
    for key in ["web", "db"] {
        assert_eq!(
            service_status(&server, &federation, &member(&gone, key)["serviceId"]).await,
            "Deleted"
        );
    }
    let events = server
        .get(
            &format!("/api/v1/events?entityId={id}&pageSize=100"),
            &federation.consumer_token,
        )
        .await;
    let kinds: Vec<&str> = events.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|event| event["type"].as_str())
        .collect();
    assert!(kinds.contains(&"composition.created"), "{kinds:?}");
    assert!(kinds.contains(&"composition.memberChanged"), "{kinds:?}");
    assert!(kinds.contains(&"composition.statusChanged"), "{kinds:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_failed_member_rolls_back_what_was_created_in_reverse_order() {
    let server = TestServer::start().await;
    let federation = app_federation(&server).await;
    let (rhein, nordic) = two_providers(&server, &federation).await;
    let created = server
        .post(
            "/api/v1/compositions",
            &federation.consumer_token,
            &shop(&federation, "rollback"),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().expect("id").to_string();
    complete_create_with_address(&server, &rhein.agent_token, "10.0.0.7").await;
    fail_job(&server, &nordic.agent_token).await;

    let rolling_back = composition(&server, &federation, &id).await;
    assert_eq!(rolling_back["status"], "RollingBack", "{rolling_back:?}");
    assert_eq!(member(&rolling_back, "web")["state"], "deleting");
    assert!(pending(&server, &rhein.agent_token).await.is_empty());
    server.run_job(&nordic.agent_token, "delete").await;
    server.run_job(&rhein.agent_token, "delete").await;
    let rolled_back = composition(&server, &federation, &id).await;
    assert_eq!(rolled_back["status"], "RolledBack", "{rolled_back:?}");
    for key in ["web", "db"] {
        assert_eq!(member(&rolled_back, key)["state"], "deleted");
        assert_eq!(
            service_status(
                &server,
                &federation,
                &member(&rolled_back, key)["serviceId"]
            )
            .await,
            "Deleted"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_failed_member_with_stop_leaves_the_others_as_they_are() {
    let server = TestServer::start().await;
    let federation = app_federation(&server).await;
    let (rhein, nordic) = two_providers(&server, &federation).await;
    let created = server
        .post(
            "/api/v1/compositions",
            &federation.consumer_token,
            &shop(&federation, "stop"),
        )
        .await;
    let id = created.body["id"].as_str().expect("id").to_string();
    fail_job(&server, &rhein.agent_token).await;
    let stopped = composition(&server, &federation, &id).await;
    assert_eq!(stopped["status"], "Failed", "{stopped:?}");
    let db = member(&stopped, "db");
    assert_eq!(db["state"], "failed");
    assert_eq!(db["error"], "disk full");
    assert_eq!(member(&stopped, "web")["state"], "waiting");
    assert!(pending(&server, &rhein.agent_token).await.is_empty());
    assert!(pending(&server, &nordic.agent_token).await.is_empty());
    server.stop().await;
}

/// Posts `body` as `token` and answers the new object's id.
#[tokio::test]
async fn members_take_values_from_their_providers_service_pools() {
    let server = TestServer::start().await;
    let (federation, rhein, pool) = edge_pool(&server).await;
    // One address in Rhein's pool, for two members.
    pool_address(&server, &rhein, &pool, "edge-1", "203.0.113.10").await;
    let edge = |key: &str| {
        json!({"key": key, "name": format!("edge-{key}"), "serviceTypeId": federation.service_type_id,
               "properties": {"name": key}})
    };
    let mut second = edge("b");
    second["dependsOn"] = json!(["a"]);
    let id = created_id(
        &server,
        "/api/v1/compositions",
        &federation.consumer_token,
        json!({"groupId": federation.group_id, "name": "edges", "onFailure": "stop",
               "components": [edge("a"), second]}),
    )
    .await;

    // The first member's service holds the address, claimed with its write.
    let first = composition(&server, &federation, &id).await;
    let a = member(&first, "a");
    assert_eq!(a["state"], "creating", "{first:?}");
    let service = server
        .get(
            &format!("/api/v1/services/{}", a["serviceId"].as_str().unwrap()),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(service.body["properties"]["publicIp"], "203.0.113.10");
    let held = server
        .get(
            &format!("/api/v1/service-pool-values?servicePoolId={pool}"),
            &rhein.token,
        )
        .await;
    assert_eq!(held.body["items"][0]["serviceId"], a["serviceId"]);

    // Once it is up, the second is ordered and finds the pool empty: it
    // fails as an order would be refused, and `stop` keeps the first.
    server.run_job(&rhein.agent_token, "create").await;
    let after = composition(&server, &federation, &id).await;
    assert_eq!(after["status"], "Failed", "{after:?}");
    let b = member(&after, "b");
    assert_eq!(b["state"], "failed", "{after:?}");
    let error = b["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("properties.publicIp:"), "{error}");
    assert!(
        b["serviceId"].is_null(),
        "no service without its value: {b:?}"
    );
    assert_eq!(member(&after, "a")["state"], "ready");
    server.stop().await;
}

async fn refused(
    server: &TestServer,
    federation: &Federation,
    body: &Value,
) -> Vec<(String, String)> {
    let answer = server
        .post("/api/v1/compositions", &federation.consumer_token, body)
        .await;
    assert_eq!(answer.status, 400, "{:?}", answer.body);
    answer.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| {
            (
                error["path"].as_str().unwrap_or_default().to_string(),
                error["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn invalid_compositions_are_refused_naming_the_field() {
    let server = TestServer::start().await;
    let federation = app_federation(&server).await;
    two_providers(&server, &federation).await;

    let mut cycle = shop(&federation, "rollback");
    cycle["components"][1]["dependsOn"] = json!(["web"]);
    let errors = refused(&server, &federation, &cycle).await;
    assert_eq!(errors[0].0, "components[0].dependsOn");
    assert!(errors[0].1.contains("cycle: web → db → web"), "{errors:?}");

    let mut unknown = shop(&federation, "rollback");
    unknown["components"][0]["dependsOn"] = json!(["cache"]);
    let errors = refused(&server, &federation, &unknown).await;
    assert_eq!(errors[0].0, "components[0].dependsOn[0]");
    assert!(errors[0].1.contains("`cache`"), "{errors:?}");

    let mut no_output = shop(&federation, "rollback");
    no_output["components"][0]["inputs"][0]["output"] = json!("address");
    let errors = refused(&server, &federation, &no_output).await;
    assert_eq!(errors[0].0, "components[0].inputs[0].output");
    assert!(errors[0].1.contains("`address`"), "{errors:?}");

    let mut no_property = shop(&federation, "rollback");
    no_property["components"][0]["inputs"][0]["property"] = json!("dbUrl");
    let errors = refused(&server, &federation, &no_property).await;
    assert_eq!(errors[0].0, "components[0].inputs[0].property");

    let mut bad_relation = shop(&federation, "rollback");
    bad_relation["relations"][0]["components"] = json!(["web", "queue"]);
    let errors = refused(&server, &federation, &bad_relation).await;
    assert_eq!(errors[0].0, "relations[0].components[1]");

    let mut bad_failure = shop(&federation, "rollback");
    bad_failure["onFailure"] = json!("retry");
    let errors = refused(&server, &federation, &bad_failure).await;
    assert!(errors[0].0.contains("onFailure"), "{errors:?}");

    let listed = server
        .get("/api/v1/compositions", &federation.consumer_token)
        .await;
    assert_eq!(listed.body["totalItems"], 0, "nothing was created");
    assert_eq!(
        server
            .get("/api/v1/services", &federation.consumer_token)
            .await
            .body["totalItems"],
        0
    );
    server.stop().await;
}

#[tokio::test]
async fn another_consumer_neither_sees_nor_deletes_a_composition() {
    let server = TestServer::start().await;
    let federation = app_federation(&server).await;
    two_providers(&server, &federation).await;
    let created = server
        .post(
            "/api/v1/compositions",
            &federation.consumer_token,
            &shop(&federation, "rollback"),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let path = format!(
        "/api/v1/compositions/{}",
        created.body["id"].as_str().unwrap()
    );
    let stranger = server.participant("Stranger").await;
    let stranger_token = server.token("participant", Some(&stranger)).await;

    assert_eq!(server.get(&path, &stranger_token).await.status, 403);
    assert_eq!(server.delete(&path, &stranger_token).await.status, 403);
    let theirs = server
        .post(
            "/api/v1/compositions",
            &stranger_token,
            &shop(&federation, "rollback"),
        )
        .await;
    assert_eq!(theirs.status, 403, "not into another consumer's group");
    assert_eq!(
        server
            .get("/api/v1/compositions", &stranger_token)
            .await
            .body["totalItems"],
        0
    );
    assert_eq!(
        server.get("/api/v1/compositions", ADMIN_TOKEN).await.body["totalItems"],
        1
    );
    assert_eq!(
        composition(&server, &federation, created.body["id"].as_str().unwrap()).await["status"],
        "Provisioning"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_sweep_takes_the_next_step_when_a_completion_was_recorded_without_it() {
    let server = TestServer::start_with(LeasePolicy::default(), Duration::from_millis(100)).await;
    let replica = server.replica().await;
    let federation = app_federation(&server).await;
    let (rhein, nordic) = two_providers(&server, &federation).await;
    let created = server
        .post(
            "/api/v1/compositions",
            &federation.consumer_token,
            &shop(&federation, "rollback"),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().expect("id").to_string();
    let jobs = pending(&server, &rhein.agent_token).await;
    let job_id = jobs[0]["id"].as_str().expect("job id");
    let claimed = replica
        .post(
            &format!("/api/v1/jobs/{job_id}/claim"),
            &rhein.agent_token,
            &json!({}),
        )
        .await;
    assert_eq!(claimed.status, 204, "{:?}", claimed.body);

    // The completion is written as a replica writes it, and the replica
    // stops right there: nothing orders the web server but the sweep.
    let mut properties = jobs[0]["service"]["properties"]
        .as_object()
        .cloned()
        .expect("properties");
    properties.insert("ipAddress".into(), json!("10.0.0.9"));
    let finish = JobFinish {
        job_id: job_id.parse::<Uuid>().expect("uuid"),
        group_id: jobs[0]["service"]["groupId"]
            .as_str()
            .unwrap()
            .parse::<Uuid>()
            .unwrap(),
        agent_id: jobs[0]["agentId"]
            .as_str()
            .unwrap()
            .parse::<Uuid>()
            .unwrap(),
        service_id: jobs[0]["serviceId"]
            .as_str()
            .and_then(|text| text.parse::<Uuid>().ok())
            .expect("service id"),
        from: &[JobStatus::Processing],
        to: JobStatus::Completed,
        error_message: None,
        outcome_digest: None,
        result: None,
        service: ServiceChange {
            status: "Stopped".into(),
            properties: Some(properties),
            agent_instance_id: None,
            agent_instance_data: None,
        },
        at: chrono::Utc::now(),
        lapsed_before: None,
        attempt: None,
        releases_pool_values: false,
    };
    assert!(server
        .store
        .finish_job(&finish, &[])
        .await
        .expect("finished"));

    let mut healed = Value::Null;
    for _ in 0..100 {
        healed = composition(&server, &federation, &id).await;
        if member(&healed, "web")["state"] == "creating" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(member(&healed, "web")["state"], "creating", "{healed:?}");
    assert_eq!(member(&healed, "db")["state"], "ready");
    let jobs = pending(&server, &nordic.agent_token).await;
    assert_eq!(jobs.len(), 1, "ordered once: {jobs:?}");
    assert_eq!(jobs[0]["service"]["properties"]["databaseHost"], "10.0.0.9");
    let services = server
        .get("/api/v1/services", &federation.consumer_token)
        .await;
    assert_eq!(services.body["totalItems"], 2, "{:?}", services.body);
    replica.stop().await;
    server.stop().await;
}
