//! Agents, service groups and service options over HTTP.

use federa_testkit::{Federation, TestServer, ADMIN_TOKEN};
use serde_json::json;

#[tokio::test]
async fn providers_register_their_own_agents_with_checked_configuration() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let other = server.participant("Other").await;

    let foreign = server
        .post(
            "/api/v1/agents",
            &federation.provider_token,
            &json!({"name": "x", "providerId": other, "agentTypeId": federation.agent_type_id}),
        )
        .await;
    assert_eq!(foreign.status, 403);

    let bad_config = server
        .post(
            "/api/v1/agents",
            &federation.provider_token,
            &json!({"name": "x", "providerId": federation.provider_id, "agentTypeId": federation.agent_type_id,
                    "configuration": {"region": 42}}),
        )
        .await;
    assert_eq!(bad_config.status, 400);
    assert_eq!(bad_config.body["errors"][0]["path"], "configuration.region");

    let unknown_type = server
        .post(
            "/api/v1/agents",
            &federation.provider_token,
            &json!({"name": "x", "providerId": federation.provider_id, "agentTypeId": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(unknown_type.status, 400);
    assert_eq!(unknown_type.body["errors"][0]["path"], "agentTypeId");

    let created = server
        .post(
            "/api/v1/agents",
            &federation.provider_token,
            &json!({"name": "edge", "providerId": federation.provider_id, "agentTypeId": federation.agent_type_id,
                    "tags": ["gpu", " gpu", "eu-west"], "configuration": {"region": "fr-par"}}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["status"], "New");
    assert_eq!(created.body["tags"], json!(["gpu", "eu-west"]));
    assert_eq!(created.body["configuration"]["region"], "fr-par");

    // The consumer sees none of the provider's agents.
    let consumer_view = server
        .get("/api/v1/agents", &federation.consumer_token)
        .await;
    assert_eq!(consumer_view.body["totalItems"], 0);
    let provider_view = server
        .get("/api/v1/agents", &federation.provider_token)
        .await;
    assert_eq!(provider_view.body["totalItems"], 2);
    let by_name = server.get("/api/v1/agents?name=edge", ADMIN_TOKEN).await;
    assert_eq!(by_name.body["totalItems"], 1);
    let id = created.body["id"].as_str().unwrap();
    let denied = server
        .get(&format!("/api/v1/agents/{id}"), &federation.consumer_token)
        .await;
    assert_eq!(denied.status, 403);
    server.stop().await;
}

#[tokio::test]
async fn an_agent_reads_itself_and_reports_its_health() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;

    let me = server
        .get("/api/v1/agents/me", &federation.agent_token)
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["id"], federation.agent_id.as_str());
    assert_eq!(me.body["agentTypeId"], federation.agent_type_id.as_str());

    let not_an_agent = server
        .get("/api/v1/agents/me", &federation.provider_token)
        .await;
    assert_eq!(not_an_agent.status, 403);

    let connected = server
        .call(
            "PUT",
            "/api/v1/agents/me/status",
            Some(&federation.agent_token),
            Some(&json!({"status": "Connected"})),
        )
        .await;
    assert_eq!(connected.status, 200, "{:?}", connected.body);
    assert_eq!(connected.body["status"], "Connected");
    assert!(connected.body["lastStatusUpdate"].is_string());

    let invalid = server
        .call(
            "PUT",
            "/api/v1/agents/me/status",
            Some(&federation.agent_token),
            Some(&json!({"status": "Disabled"})),
        )
        .await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.body["errors"][0]["path"], "status");
    let unknown = server
        .call(
            "PUT",
            "/api/v1/agents/me/status",
            Some(&federation.agent_token),
            Some(&json!({"status": "Happy"})),
        )
        .await;
    assert_eq!(unknown.status, 400);

    // A disabled agent cannot switch itself back on.
    let disabled = server
        .patch(
            &format!("/api/v1/agents/{}", federation.agent_id),
            &federation.provider_token,
            &json!({"status": "Disabled"}),
        )
        .await;
    assert_eq!(disabled.status, 200);
    let refused = server
        .call(
            "PUT",
            "/api/v1/agents/me/status",
            Some(&federation.agent_token),
            Some(&json!({"status": "Connected"})),
        )
        .await;
    // Its credential is refused outright: a disabled agent does nothing.
    assert_eq!(refused.status, 403, "{}", refused.body);

    // A change of status is an `agent.updated` event as Fulcrum writes it:
    // initiated by the token, with an RFC 6902 diff. Repeated heartbeats
    // that change nothing are no event.
    let agent_tokens = server
        .get(
            &format!("/api/v1/tokens?agentId={}", federation.agent_id),
            ADMIN_TOKEN,
        )
        .await;
    let agent_token_id = agent_tokens.body["items"][0]["id"].as_str().unwrap();
    let events = server
        .get(
            &format!(
                "/api/v1/events?pageSize=100&type=agent.updated&entityId={}",
                federation.agent_id
            ),
            ADMIN_TOKEN,
        )
        .await;
    let updates = events.body["items"].as_array().unwrap();
    let reported: Vec<_> = updates
        .iter()
        .filter(|e| e["initiatorId"] == agent_token_id)
        .collect();
    assert_eq!(reported.len(), 1, "{updates:?}");
    let change = reported[0];
    assert_eq!(change["initiatorType"], "user");
    assert_eq!(change["agentId"], federation.agent_id.as_str());
    assert_eq!(change["properties"]["from"], "New");
    assert_eq!(change["properties"]["to"], "Connected");
    let diff = change["properties"]["diff"].as_array().unwrap();
    let status_ops: Vec<_> = diff.iter().filter(|op| op["path"] == "/status").collect();
    assert_eq!(
        status_ops,
        [
            &json!({"op": "test", "path": "/status", "value": "New"}),
            &json!({"op": "replace", "path": "/status", "value": "Connected"})
        ]
    );
    // The participant's PATCH to Disabled is an `agent.updated` of its own.
    let disabling = updates
        .iter()
        .find(|e| e["properties"]["to"] == "Disabled")
        .expect("the PATCH is logged");
    assert!(disabling["properties"]["diff"]
        .as_array()
        .unwrap()
        .contains(&json!({"op": "replace", "path": "/status", "value": "Disabled"})));
    server.stop().await;
}

#[tokio::test]
async fn deleting_an_agent_revokes_its_tokens() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let deleted = server
        .delete(
            &format!("/api/v1/agents/{}", federation.agent_id),
            &federation.provider_token,
        )
        .await;
    assert_eq!(deleted.status, 204);
    let me = server
        .get("/api/v1/agents/me", &federation.agent_token)
        .await;
    assert_eq!(me.status, 403, "a deleted agent's token is no longer valid");
    assert_eq!(me.body["error"], "invalid token");
    let tokens = server
        .get(
            &format!("/api/v1/tokens?agentId={}", federation.agent_id),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(tokens.body["totalItems"], 0);
    server.stop().await;
}

#[tokio::test]
async fn service_groups_belong_to_their_consumer() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let group = format!("/api/v1/service-groups/{}", federation.group_id);

    assert_eq!(
        server.get(&group, &federation.consumer_token).await.status,
        200
    );
    assert_eq!(
        server.get(&group, &federation.provider_token).await.status,
        403
    );
    // An agent sees a group only once it runs one of its services.
    assert_eq!(
        server.get(&group, &federation.agent_token).await.status,
        403
    );
    federation.order_service(&server, "vm-one").await;
    assert_eq!(
        server.get(&group, &federation.agent_token).await.status,
        200
    );
    let agent_list = server
        .get("/api/v1/service-groups", &federation.agent_token)
        .await;
    assert_eq!(agent_list.body["totalItems"], 1);

    let foreign = server
        .post(
            "/api/v1/service-groups",
            &federation.provider_token,
            &json!({"name": "not mine", "consumerId": federation.consumer_id}),
        )
        .await;
    assert_eq!(foreign.status, 403);

    let renamed = server
        .patch(
            &group,
            &federation.consumer_token,
            &json!({"name": "frontends"}),
        )
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(renamed.body["name"], "frontends");

    let in_use = server.delete(&group, &federation.consumer_token).await;
    assert_eq!(in_use.status, 409);
    let empty = federation.group(&server, "empty").await;
    let deleted = server
        .delete(
            &format!("/api/v1/service-groups/{empty}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(deleted.status, 204);
    server.stop().await;
}

#[tokio::test]
async fn providers_publish_service_options_of_admin_defined_types() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;

    let bad_key = server
        .post(
            "/api/v1/service-option-types",
            ADMIN_TOKEN,
            &json!({"name": "OS", "type": "Operating-System"}),
        )
        .await;
    assert_eq!(bad_key.status, 400);
    assert_eq!(bad_key.body["errors"][0]["path"], "type");
    let by_participant = server
        .post(
            "/api/v1/service-option-types",
            &federation.provider_token,
            &json!({"name": "OS", "type": "os"}),
        )
        .await;
    assert_eq!(by_participant.status, 403);

    let option_type = server
        .post(
            "/api/v1/service-option-types",
            ADMIN_TOKEN,
            &json!({"name": "Operating system", "type": "operating_system", "description": "Images"}),
        )
        .await;
    assert_eq!(option_type.status, 201, "{:?}", option_type.body);
    assert_eq!(option_type.body["type"], "operating_system");
    let type_id = option_type.body["id"].as_str().unwrap().to_string();
    let duplicate = server
        .post(
            "/api/v1/service-option-types",
            ADMIN_TOKEN,
            &json!({"name": "Again", "type": "operating_system"}),
        )
        .await;
    assert_eq!(duplicate.status, 409);

    for (name, value, enabled) in [
        ("Ubuntu 24.04", "ubuntu-24.04", true),
        ("Debian 12", "debian-12", false),
    ] {
        let created = server
            .post(
                "/api/v1/service-options",
                &federation.provider_token,
                &json!({"providerId": federation.provider_id, "serviceOptionTypeId": type_id,
                        "name": name, "value": value, "enabled": enabled}),
            )
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
    }
    let enabled = server
        .get(
            "/api/v1/service-options?enabled=true",
            &federation.provider_token,
        )
        .await;
    assert_eq!(enabled.body["totalItems"], 1);
    assert_eq!(enabled.body["items"][0]["value"], "ubuntu-24.04");

    let foreign = server
        .post(
            "/api/v1/service-options",
            &federation.consumer_token,
            &json!({"providerId": federation.provider_id, "serviceOptionTypeId": type_id, "name": "x", "value": "x"}),
        )
        .await;
    assert_eq!(foreign.status, 403);
    let consumer_view = server
        .get("/api/v1/service-options", &federation.consumer_token)
        .await;
    assert_eq!(consumer_view.body["totalItems"], 0);

    let in_use = server
        .delete(
            &format!("/api/v1/service-option-types/{type_id}"),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(in_use.status, 409);
    server.stop().await;
}

#[tokio::test]
async fn agent_names_are_unique_within_a_provider_even_when_created_at_once() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let body = json!({"name": "edge-1", "providerId": federation.provider_id, "agentTypeId": federation.agent_type_id});
    let (first, second) = tokio::join!(
        server.post("/api/v1/agents", &federation.provider_token, &body),
        server.post("/api/v1/agents", &federation.provider_token, &body),
    );
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{:?} {:?}", first.body, second.body);
    let refused = if first.status == 409 { &first } else { &second };
    assert_eq!(
        refused.body["error"],
        "name: the provider already has an agent named \"edge-1\""
    );

    // Another provider may use the name.
    let other = server.participant("Other provider").await;
    let elsewhere = server
        .post(
            "/api/v1/agents",
            ADMIN_TOKEN,
            &json!({"name": "edge-1", "providerId": other, "agentTypeId": federation.agent_type_id}),
        )
        .await;
    assert_eq!(elsewhere.status, 201, "{:?}", elsewhere.body);

    // Renaming onto a taken name is refused the same way.
    let renamed = server
        .patch(
            &format!("/api/v1/agents/{}", federation.agent_id),
            &federation.provider_token,
            &json!({"name": "edge-1"}),
        )
        .await;
    assert_eq!(renamed.status, 409, "{:?}", renamed.body);
    assert_eq!(
        renamed.body["error"],
        "name: the provider already has an agent named \"edge-1\""
    );
    server.stop().await;
}
