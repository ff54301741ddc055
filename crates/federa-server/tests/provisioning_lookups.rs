//! Properties checked against the exchange's data: a provider's service
//! options and references to other services.

use federa_testkit::{Federation, TestServer, ADMIN_TOKEN, EXAMPLE_VM_LIFECYCLE};
use serde_json::{json, Value};

#[tokio::test]
async fn options_and_references_are_resolved_when_ordering() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let option_type = server
        .post(
            "/api/v1/service-option-types",
            ADMIN_TOKEN,
            &json!({"name": "OS", "type": "operating_system"}),
        )
        .await;
    let type_id = option_type.body["id"].as_str().unwrap();
    for (value, enabled) in [("debian-12", true), ("centos-7", false)] {
        let created = server
            .post(
                "/api/v1/service-options",
                &federation.provider_token,
                &json!({"providerId": federation.provider_id, "serviceOptionTypeId": type_id, "name": value, "value": value, "enabled": enabled}),
            )
            .await;
        assert_eq!(created.status, 201);
    }
    let app_type = server
        .post(
            "/api/v1/service-types",
            ADMIN_TOKEN,
            &json!({
                "name": "App",
                "lifecycleSchema": serde_json::from_str::<Value>(EXAMPLE_VM_LIFECYCLE).unwrap(),
                "propertySchema": {"properties": {
                    "os": {"type": "string", "required": true,
                           "validators": [{"type": "serviceOption", "config": {"value": "operating_system"}}]},
                    "database": {"type": "uuid",
                                 "validators": [{"type": "serviceReference", "config": {"types": ["VM"], "origin": "consumer"}}]}
                }}
            }),
        )
        .await;
    assert_eq!(app_type.status, 201, "{:?}", app_type.body);
    let app_type_id = app_type.body["id"].as_str().unwrap().to_string();
    server
        .patch(
            &format!("/api/v1/agent-types/{}", federation.agent_type_id),
            ADMIN_TOKEN,
            &json!({"serviceTypeIds": [federation.service_type_id, app_type_id]}),
        )
        .await;

    let order = |properties: Value| json!({"name": "app", "serviceTypeId": app_type_id, "groupId": federation.group_id, "properties": properties});
    let disabled = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &order(json!({"os": "centos-7"})),
        )
        .await;
    assert_eq!(disabled.status, 400, "{:?}", disabled.body);
    assert_eq!(disabled.body["errors"][0]["path"], "properties.os");

    let missing = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &order(json!({"os": "debian-12", "database": uuid::Uuid::now_v7()})),
        )
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.body["errors"][0]["path"], "properties.database");

    // Another consumer's VM cannot be referenced.
    let stranger_id = server.participant("Stranger").await;
    let stranger = server.token("participant", Some(&stranger_id)).await;
    let stranger_group = server
        .post(
            "/api/v1/service-groups",
            &stranger,
            &json!({"name": "s", "consumerId": stranger_id}),
        )
        .await;
    let mut foreign_order = federation.order("foreign-vm");
    foreign_order["groupId"] = stranger_group.body["id"].clone();
    let foreign_vm = server
        .post("/api/v1/services", &stranger, &foreign_order)
        .await;
    assert_eq!(foreign_vm.status, 201, "{:?}", foreign_vm.body);
    let other_consumer = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &order(json!({"os": "debian-12", "database": foreign_vm.body["id"]})),
        )
        .await;
    assert_eq!(other_consumer.status, 400);
    assert!(other_consumer.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("same consumer"));

    let vm = federation.order_service(&server, "db-vm").await;
    let ordered = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &order(json!({"os": "debian-12", "database": vm})),
        )
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    server.stop().await;
}
