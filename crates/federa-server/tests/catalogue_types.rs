//! Service types and agent types over HTTP: schema checking, access and
//! deletion rules.

use federa_testkit::{error_paths, Federation, TestServer, ADMIN_TOKEN, EXAMPLE_VM_LIFECYCLE};
use serde_json::{json, Value};

fn lifecycle() -> Value {
    serde_json::from_str(EXAMPLE_VM_LIFECYCLE).unwrap()
}

#[tokio::test]
async fn service_types_are_created_read_listed_and_renamed() {
    let server = TestServer::start().await;
    let created = server
        .post(
            "/api/v1/service-types",
            ADMIN_TOKEN,
            &json!({"name": "Object storage", "lifecycleSchema": lifecycle(),
                    "propertySchema": {"properties": {"bucket": {"type": "string", "required": true}}}}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["lifecycleSchema"], lifecycle());

    let participant = server.participant("Reader").await;
    let reader = server.token("participant", Some(&participant)).await;
    let fetched = server
        .get(&format!("/api/v1/service-types/{id}"), &reader)
        .await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body["name"], "Object storage");

    let listed = server
        .get("/api/v1/service-types?name=object", &reader)
        .await;
    assert_eq!(listed.body["totalItems"], 1);
    let none = server
        .get("/api/v1/service-types?name=compute", &reader)
        .await;
    assert_eq!(none.body["totalItems"], 0);

    let renamed = server
        .patch(
            &format!("/api/v1/service-types/{id}"),
            ADMIN_TOKEN,
            &json!({"name": "Buckets"}),
        )
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(renamed.body["name"], "Buckets");
    assert_eq!(
        renamed.body["lifecycleSchema"],
        lifecycle(),
        "untouched schemas are kept"
    );

    let denied = server
        .post("/api/v1/service-types", &reader, &json!({"name": "Mine"}))
        .await;
    assert_eq!(denied.status, 403);
    let duplicate = server
        .post(
            "/api/v1/service-types",
            ADMIN_TOKEN,
            &json!({"name": "Buckets", "lifecycleSchema": lifecycle()}),
        )
        .await;
    assert_eq!(duplicate.status, 409);
    assert!(duplicate.body["error"].as_str().unwrap().contains("name"));
    server.stop().await;
}

#[tokio::test]
async fn broken_schemas_are_refused_with_every_failing_path() {
    let server = TestServer::start().await;
    let response = server
        .post(
            "/api/v1/service-types",
            ADMIN_TOKEN,
            &json!({
                "name": "Broken",
                "propertySchema": {"properties": {
                    "name": {"type": "string", "validators": [{"type": "pattern", "config": {"pattern": "(["}}]},
                    "size": {"type": "integer", "validators": [{"type": "sparkle", "config": {}}]},
                    "count": {"type": "integer", "default": 1, "validators": [{"type": "min", "config": {"value": 5}}]},
                    "mode": {"type": "string", "authorizers": [{"type": "state", "config": {"allowedStates": ["Nowhere"]}}]}
                }},
                "lifecycleSchema": {
                    "states": [{"name": "New"}, {"name": "Ready"}, {"name": "Island"}],
                    "actions": [{"name": "create", "transitions": [{"from": "New", "to": "Ready"}]}],
                    "initialState": "New"
                }
            }),
        )
        .await;
    assert_eq!(response.status, 400, "{:?}", response.body);
    let found = error_paths(&response.body);
    for expected in [
        "propertySchema.name.validators[0].config.pattern",
        "propertySchema.size.validators[0]",
        "propertySchema.count.default",
        "lifecycleSchema.states[2]",
    ] {
        assert!(
            found.iter().any(|p| p.starts_with(expected)),
            "no error under {expected} in {found:?}"
        );
    }
    // With a sound lifecycle, a state authorizer naming no state of it is caught.
    let response = server
        .post(
            "/api/v1/service-types",
            ADMIN_TOKEN,
            &json!({
                "name": "Broken",
                "propertySchema": {"properties": {
                    "mode": {"type": "string", "authorizers": [{"type": "state", "config": {"allowedStates": ["Nowhere"]}}]}
                }},
                "lifecycleSchema": lifecycle(),
            }),
        )
        .await;
    assert_eq!(response.status, 400, "{:?}", response.body);
    assert!(
        error_paths(&response.body)[0].starts_with("propertySchema.mode"),
        "{:?}",
        response.body
    );
    let listed = server.get("/api/v1/service-types", ADMIN_TOKEN).await;
    assert_eq!(listed.body["totalItems"], 0, "nothing was stored");
    server.stop().await;
}

#[tokio::test]
async fn agent_types_check_their_service_types_and_templates() {
    let server = TestServer::start().await;
    let missing = uuid::Uuid::now_v7();
    let refused = server
        .post(
            "/api/v1/agent-types",
            ADMIN_TOKEN,
            &json!({"name": "KVM", "serviceTypeIds": [missing],
                    "configurationSchema": {"properties": {"host": {"type": "string"}}},
                    "configTemplate": "host={{.host}} port={{.port}}",
                    "cmdTemplate": "install {{.configUrl}} {{.authToken}}"}),
        )
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    let paths = error_paths(&refused.body);
    assert!(paths.contains(&"serviceTypeIds".to_string()), "{paths:?}");
    assert!(paths.contains(&"configTemplate".to_string()), "{paths:?}");

    // As in Fulcrum, the install command must use both the config URL and
    // the bootstrap token.
    for (command, missing) in [
        ("install {{.configUrl}}", "{{.authToken}}"),
        ("install --token {{.authToken}}", "{{.configUrl}}"),
    ] {
        let refused = server
            .post(
                "/api/v1/agent-types",
                ADMIN_TOKEN,
                &json!({"name": "KVM", "configurationSchema": {"properties": {"host": {"type": "string"}}},
                        "configTemplate": "host={{.host}}", "cmdTemplate": command}),
            )
            .await;
        assert_eq!(refused.status, 400, "{:?}", refused.body);
        assert_eq!(refused.body["errors"][0]["path"], "cmdTemplate");
        let message = refused.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(missing), "{message}");
    }

    let created = server
        .post(
            "/api/v1/agent-types",
            ADMIN_TOKEN,
            &json!({"name": "KVM", "configurationSchema": {"properties": {"host": {"type": "string"}}},
                    "configTemplate": "host={{.host}}",
                    "cmdTemplate": "curl -H 'Authorization: Bearer {{.authToken}}' {{.configUrl}}",
                    "configContentType": "text/x-ini"}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["serviceTypeIds"], json!([]));
    assert_eq!(created.body["configContentType"], "text/x-ini");
    server.stop().await;
}

#[tokio::test]
async fn types_in_use_cannot_be_deleted() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;

    let service_type = server
        .delete(
            &format!("/api/v1/service-types/{}", federation.service_type_id),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(service_type.status, 409);
    assert!(service_type.body["error"]
        .as_str()
        .unwrap()
        .contains("agent type"));

    let agent_type = server
        .delete(
            &format!("/api/v1/agent-types/{}", federation.agent_type_id),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(agent_type.status, 409);
    assert!(agent_type.body["error"]
        .as_str()
        .unwrap()
        .contains("agents"));

    // Once nothing refers to them they go.
    let agent = server
        .delete(
            &format!("/api/v1/agents/{}", federation.agent_id),
            &federation.provider_token,
        )
        .await;
    assert_eq!(agent.status, 204);
    let agent_type = server
        .delete(
            &format!("/api/v1/agent-types/{}", federation.agent_type_id),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(agent_type.status, 204);
    let service_type = server
        .delete(
            &format!("/api/v1/service-types/{}", federation.service_type_id),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(service_type.status, 204);
    server.stop().await;
}

#[tokio::test]
async fn a_new_lifecycle_must_keep_the_states_services_are_in() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    federation.order_service(&server, "vm-one").await; // in state New
    let mut without_new = lifecycle();
    without_new["states"] = json!([{"name": "Stopped"}, {"name": "Deleted"}]);
    without_new["actions"] =
        json!([{"name": "delete", "transitions": [{"from": "Stopped", "to": "Deleted"}]}]);
    without_new["initialState"] = json!("Stopped");
    without_new["runningStates"] = json!([]);
    let response = server
        .patch(
            &format!("/api/v1/service-types/{}", federation.service_type_id),
            ADMIN_TOKEN,
            &json!({"lifecycleSchema": without_new}),
        )
        .await;
    assert_eq!(response.status, 400, "{:?}", response.body);
    assert!(
        error_paths(&response.body).contains(&"lifecycleSchema.states".to_string()),
        "{:?}",
        response.body
    );
    assert!(response.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("New"));
    server.stop().await;
}

#[tokio::test]
async fn a_changed_schema_applies_to_the_next_order() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    federation.order_service(&server, "before").await;
    let mut schema: Value =
        serde_json::from_str(federa_testkit::EXAMPLE_VM_PROPERTY_SCHEMA).unwrap();
    schema["properties"]["owner"] = json!({"type": "string", "required": true});
    let changed = server
        .patch(
            &format!("/api/v1/service-types/{}", federation.service_type_id),
            ADMIN_TOKEN,
            &json!({"propertySchema": schema}),
        )
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    let refused = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &federation.order("after"),
        )
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(refused.body["errors"][0]["path"], "properties.owner");
    server.stop().await;
}

#[tokio::test]
async fn a_service_type_without_a_lifecycle_is_refused_at_creation() {
    let server = TestServer::start().await;
    let refused = server
        .post("/api/v1/service-types", ADMIN_TOKEN, &json!({"name": ""}))
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(
        error_paths(&refused.body),
        ["name", "lifecycleSchema"],
        "every failing field at once"
    );
    let listed = server.get("/api/v1/service-types", ADMIN_TOKEN).await;
    assert_eq!(listed.body["totalItems"], 0);
    server.stop().await;
}
