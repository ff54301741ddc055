//! What only config pools do: global pools for admins beside participants'
//! own, one pool per type and scope, agents drawing from their provider's
//! pool before the global one, and values kept across an agent's updates.

use federa_testkit::{error_paths, Federation, Response, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

use super::family::{error, id, names, pooled_agent_type};

/// A list pool of `pool_type` owned by `participant` (`None`: global),
/// created with `token`, holding `values`.
async fn pool(
    server: &TestServer,
    token: &str,
    participant: Option<&str>,
    pool_type: &str,
    values: &[Value],
) -> String {
    let mut body = json!({"name": format!("{pool_type} pool"), "type": pool_type, "propertyType": "string", "generatorType": "list"});
    if let Some(participant) = participant {
        body["participantId"] = json!(participant);
    }
    let pool = id(&server.post("/api/v1/config-pools", token, &body).await);
    for (n, value) in values.iter().enumerate() {
        id(&server
            .post(
                "/api/v1/config-pool-values",
                token,
                &json!({"configPoolId": pool, "name": format!("value-{n}"), "value": value}),
            )
            .await);
    }
    pool
}

async fn create_agent(
    server: &TestServer,
    provider: &str,
    agent_type: &str,
    name: &str,
    configuration: Option<Value>,
) -> Response {
    let mut body = json!({"name": name, "providerId": provider, "agentTypeId": agent_type});
    if let Some(configuration) = configuration {
        body["configuration"] = configuration;
    }
    server.post("/api/v1/agents", ADMIN_TOKEN, &body).await
}

async fn values_of(server: &TestServer, pool: &str) -> Vec<Value> {
    let page = server
        .get(
            &format!("/api/v1/config-pool-values?configPoolId={pool}&pageSize=100"),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(page.status, 200, "{:?}", page.body);
    page.body["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn global_and_participant_pools_are_listed_by_scope() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let created = server
        .post(
            "/api/v1/config-pools",
            ADMIN_TOKEN,
            &json!({"name": "Public addresses", "type": "public_ip", "propertyType": "string", "generatorType": "list"}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert!(created.body.get("participantId").is_none(), "a global pool");
    let global = id(&created);
    let own = pool(
        &server,
        &f.provider_token,
        Some(&f.provider_id),
        "vlan",
        &[],
    )
    .await;
    let consumer = pool(&server, ADMIN_TOKEN, Some(&f.consumer_id), "dns", &[]).await;

    let got = server
        .get(&format!("/api/v1/config-pools/{own}"), &f.provider_token)
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["participantId"], json!(f.provider_id));

    let all = |query: &str| {
        let (server, path) = (&server, format!("/api/v1/config-pools?{query}"));
        async move { server.get(&path, ADMIN_TOKEN).await }
    };
    assert_eq!(
        names(&all("sort=name").await),
        ["dns pool", "Public addresses", "vlan pool"]
    );
    assert_eq!(
        names(&all("type=vlan,dns&sort=type").await),
        ["dns pool", "vlan pool"]
    );
    assert_eq!(
        names(&all(&format!("participantId={}", f.consumer_id)).await),
        ["dns pool"]
    );
    for bad in ["generatorType=subnet", "participantId=nope"] {
        let refused = all(bad).await;
        assert_eq!(refused.status, 400, "{bad}: {:?}", refused.body);
    }
    // A participant sees its own pools, an agent its provider's; global
    // pools and other participants' stay hidden from both.
    for token in [&f.provider_token, &f.agent_token] {
        let mine = server.get("/api/v1/config-pools", token).await;
        assert_eq!(names(&mine), ["vlan pool"]);
    }

    for (pool, token) in [
        (&own, &f.provider_token),
        (&global, &ADMIN_TOKEN.to_string()),
        (&consumer, &ADMIN_TOKEN.to_string()),
    ] {
        let deleted = server
            .delete(&format!("/api/v1/config-pools/{pool}"), token)
            .await;
        assert_eq!(deleted.status, 204, "{:?}", deleted.body);
        let gone = server
            .get(&format!("/api/v1/config-pools/{pool}"), ADMIN_TOKEN)
            .await;
        assert_eq!(gone.status, 404);
    }
    server.stop().await;
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let server = TestServer::start().await;
    let valid = json!({"name": "p", "type": "public_ip", "propertyType": "string", "generatorType": "list"});
    let cases: &[(&str, Value, &str)] = &[
        ("name", json!(" "), "name"),
        ("type", json!(" "), "type"),
        ("propertyType", json!("uuid"), "propertyType"),
        ("generatorType", json!("subnet"), "generatorType"),
        ("generatorConfig", json!([1]), "generatorConfig"),
        (
            "participantId",
            json!(uuid::Uuid::now_v7()),
            "participantId",
        ),
    ];
    for (key, bad, path) in cases {
        let mut body = valid.clone();
        body[*key] = bad.clone();
        let refused = server
            .post("/api/v1/config-pools", ADMIN_TOKEN, &body)
            .await;
        assert_eq!(refused.status, 400, "{key}: {:?}", refused.body);
        assert_eq!(error_paths(&refused.body), [*path], "{key}");
    }
    let missing = server
        .post("/api/v1/config-pools", ADMIN_TOKEN, &json!({"name": "p"}))
        .await;
    assert_eq!(missing.status, 400, "{:?}", missing.body);

    server.stop().await;
}

#[tokio::test]
async fn global_pools_are_for_admins_and_participants_keep_to_their_own() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let body = |participant: Option<&str>| {
        let mut body = json!({"name": "p", "type": format!("t{}", uuid::Uuid::now_v7().simple()), "propertyType": "string", "generatorType": "list"});
        if let Some(participant) = participant {
            body["participantId"] = json!(participant);
        }
        body
    };
    // A participant creates neither a global pool nor another's; an agent none.
    for (token, owner) in [
        (&f.provider_token, None),
        (&f.provider_token, Some(f.consumer_id.as_str())),
        (&f.agent_token, Some(f.provider_id.as_str())),
    ] {
        let refused = server
            .post("/api/v1/config-pools", token, &body(owner))
            .await;
        assert_eq!(refused.status, 403, "{owner:?}: {:?}", refused.body);
    }
    // Admins create for anyone.
    let for_consumer = server
        .post(
            "/api/v1/config-pools",
            ADMIN_TOKEN,
            &body(Some(&f.consumer_id)),
        )
        .await;
    assert_eq!(for_consumer.status, 201, "{:?}", for_consumer.body);

    let global = pool(
        &server,
        ADMIN_TOKEN,
        None,
        "public_ip",
        &[json!("198.51.100.1")],
    )
    .await;
    let own = pool(
        &server,
        &f.provider_token,
        Some(&f.provider_id),
        "vlan",
        &[json!("vlan-7")],
    )
    .await;
    let global_value = values_of(&server, &global).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let own_value = values_of(&server, &own).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Global pools and their values: hidden from and closed to participants.
    for (method, path) in [
        ("GET", format!("/api/v1/config-pools/{global}")),
        ("PATCH", format!("/api/v1/config-pools/{global}")),
        ("DELETE", format!("/api/v1/config-pools/{global}")),
        ("GET", format!("/api/v1/config-pool-values/{global_value}")),
        (
            "DELETE",
            format!("/api/v1/config-pool-values/{global_value}"),
        ),
    ] {
        let body = (method == "PATCH").then(|| json!({"name": "mine"}));
        let refused = server
            .call(method, &path, Some(&f.provider_token), body.as_ref())
            .await;
        assert_eq!(refused.status, 403, "{method} {path}: {:?}", refused.body);
    }
    let into_global = server
        .post(
            "/api/v1/config-pool-values",
            &f.provider_token,
            &json!({"configPoolId": global, "name": "v", "value": "198.51.100.2"}),
        )
        .await;
    assert_eq!(into_global.status, 403, "{:?}", into_global.body);

    // Another participant neither reads nor fills the provider's pool.
    for path in [
        format!("/api/v1/config-pools/{own}"),
        format!("/api/v1/config-pool-values/{own_value}"),
    ] {
        let hidden = server.get(&path, &f.consumer_token).await;
        assert_eq!(hidden.status, 403, "{path}");
    }
    let into_foreign = server
        .post(
            "/api/v1/config-pool-values",
            &f.consumer_token,
            &json!({"configPoolId": own, "name": "v", "value": "vlan-8"}),
        )
        .await;
    assert_eq!(into_foreign.status, 403, "{:?}", into_foreign.body);

    // The provider's agent reads its provider's pool but not the values.
    let read = server
        .get(&format!("/api/v1/config-pools/{own}"), &f.agent_token)
        .await;
    assert_eq!(read.status, 200);
    let values = server
        .get(
            &format!("/api/v1/config-pool-values/{own_value}"),
            &f.agent_token,
        )
        .await;
    assert_eq!(values.status, 403);
    let global_read = server
        .get(&format!("/api/v1/config-pools/{global}"), &f.agent_token)
        .await;
    assert_eq!(global_read.status, 403);
    server.stop().await;
}

#[tokio::test]
async fn a_type_is_either_global_or_per_participant() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let create = |token: &str, participant: Option<&str>, pool_type: &str| {
        let mut body = json!({"name": "p", "type": pool_type, "propertyType": "string", "generatorType": "list"});
        if let Some(participant) = participant {
            body["participantId"] = json!(participant);
        }
        let token = token.to_string();
        let server = &server;
        async move { server.post("/api/v1/config-pools", &token, &body).await }
    };
    // Two participants may each have a pool of a type.
    let provider = create(&f.provider_token, Some(&f.provider_id), "shared").await;
    assert_eq!(provider.status, 201, "{:?}", provider.body);
    let consumer = create(ADMIN_TOKEN, Some(&f.consumer_id), "shared").await;
    assert_eq!(consumer.status, 201, "{:?}", consumer.body);
    // …but not two, nor a global one beside theirs.
    let twice = create(&f.provider_token, Some(&f.provider_id), "shared").await;
    assert_eq!(twice.status, 400, "{:?}", twice.body);
    assert_eq!(error_paths(&twice.body), ["type"]);
    let global = create(ADMIN_TOKEN, None, "shared").await;
    assert_eq!(global.status, 400, "{:?}", global.body);
    assert_eq!(error_paths(&global.body), ["type"]);
    assert!(
        error(&global.body).contains("participant"),
        "{:?}",
        global.body
    );

    // A global type excludes participant pools of that type, and itself.
    let first = create(ADMIN_TOKEN, None, "ntp").await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    for (token, participant) in [
        (f.provider_token.as_str(), Some(f.provider_id.as_str())),
        (ADMIN_TOKEN, None),
    ] {
        let refused = create(token, participant, "ntp").await;
        assert_eq!(refused.status, 400, "{:?}", refused.body);
        assert_eq!(error_paths(&refused.body), ["type"]);
        assert!(
            error(&refused.body).contains("global"),
            "{:?}",
            refused.body
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn agents_take_values_from_their_providers_pool_or_the_global_one() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let global_type = pooled_agent_type(&server, "public_ip").await;
    let global = pool(
        &server,
        ADMIN_TOKEN,
        None,
        "public_ip",
        &[json!("198.51.100.1")],
    )
    .await;

    // No configuration given: the pooled property is filled all the same.
    let created = create_agent(&server, &f.provider_id, &global_type, "edge-1", None).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let agent = id(&created);
    assert_eq!(created.body["configuration"]["publicIp"], "198.51.100.1");
    let got = server
        .get(&format!("/api/v1/agents/{agent}"), &f.provider_token)
        .await;
    assert_eq!(got.body["configuration"]["publicIp"], "198.51.100.1");
    let values = values_of(&server, &global).await;
    assert_eq!(values[0]["agentId"], json!(agent));
    assert_eq!(values[0]["propertyName"], "publicIp");
    assert!(values[0]["allocatedAt"].is_string(), "{values:?}");
    let held = server
        .get(
            &format!("/api/v1/config-pool-values?agentId={agent}"),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(names(&held), ["value-0"]);

    // A held value is not deleted; the agent's deletion frees it.
    let value = values[0]["id"].as_str().unwrap().to_string();
    let refused = server
        .delete(&format!("/api/v1/config-pool-values/{value}"), ADMIN_TOKEN)
        .await;
    assert_eq!(refused.status, 400, "as Fulcrum: {:?}", refused.body);
    assert_eq!(refused.body["errors"][0]["path"], "agentId");
    assert!(error(&refused.body).contains(&agent), "{:?}", refused.body);
    let deleted = server
        .delete(&format!("/api/v1/agents/{agent}"), &f.provider_token)
        .await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    let freed = server
        .get(&format!("/api/v1/config-pool-values/{value}"), ADMIN_TOKEN)
        .await;
    assert!(freed.body.get("agentId").is_none(), "{:?}", freed.body);
    assert!(freed.body.get("propertyName").is_none(), "{:?}", freed.body);
    let again = create_agent(
        &server,
        &f.consumer_id,
        &global_type,
        "edge-2",
        Some(json!({})),
    )
    .await;
    assert_eq!(again.body["configuration"]["publicIp"], "198.51.100.1");

    // Two participants with pools of one type: each agent draws from its own
    // provider's.
    let shared_type = pooled_agent_type(&server, "uplink").await;
    pool(
        &server,
        &f.provider_token,
        Some(&f.provider_id),
        "uplink",
        &[json!("10.1.0.1")],
    )
    .await;
    pool(
        &server,
        ADMIN_TOKEN,
        Some(&f.consumer_id),
        "uplink",
        &[json!("10.2.0.1")],
    )
    .await;
    for (provider, expected) in [(&f.consumer_id, "10.2.0.1"), (&f.provider_id, "10.1.0.1")] {
        let created = create_agent(
            &server,
            provider,
            &shared_type,
            "uplinked",
            Some(json!({"region": "fi"})),
        )
        .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        assert_eq!(created.body["configuration"]["publicIp"], expected);
        assert_eq!(created.body["configuration"]["region"], "fi");
    }
    server.stop().await;
}

#[tokio::test]
async fn an_agent_without_a_free_value_is_not_created() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let agent_type = pooled_agent_type(&server, "public_ip").await;
    let count = || {
        let (server, path) = (&server, format!("/api/v1/agents?agentTypeId={agent_type}"));
        async move {
            let page = server.get(&path, ADMIN_TOKEN).await;
            page.body["totalItems"].as_u64().expect("totalItems")
        }
    };

    // No pool of the type for this provider at all.
    let nowhere = create_agent(&server, &f.provider_id, &agent_type, "edge-0", None).await;
    assert_eq!(nowhere.status, 400, "{:?}", nowhere.body);
    assert_eq!(error_paths(&nowhere.body), ["configuration.publicIp"]);
    assert!(
        error(&nowhere.body).contains("public_ip"),
        "{:?}",
        nowhere.body
    );
    // Another participant's pool is not the provider's.
    pool(
        &server,
        ADMIN_TOKEN,
        Some(&f.consumer_id),
        "public_ip",
        &[json!("10.9.0.1")],
    )
    .await;
    let foreign = create_agent(&server, &f.provider_id, &agent_type, "edge-0", None).await;
    assert_eq!(foreign.status, 400, "{:?}", foreign.body);
    assert_eq!(count().await, 0);

    pool(
        &server,
        &f.provider_token,
        Some(&f.provider_id),
        "public_ip",
        &[json!("192.0.2.1")],
    )
    .await;
    let first = create_agent(&server, &f.provider_id, &agent_type, "edge-1", None).await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    let exhausted = create_agent(&server, &f.provider_id, &agent_type, "edge-2", None).await;
    assert_eq!(exhausted.status, 409, "{:?}", exhausted.body);
    let message = error(&exhausted.body);
    assert!(message.contains("configuration.publicIp"), "{message}");
    assert!(message.contains("public_ip"), "{message}");
    assert_eq!(count().await, 1);
    server.stop().await;
}

#[tokio::test]
async fn an_update_keeps_the_value_the_agent_holds() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let agent_type = pooled_agent_type(&server, "public_ip").await;
    let addresses = [json!("192.0.2.1"), json!("192.0.2.2")];
    let pool = pool(
        &server,
        &f.provider_token,
        Some(&f.provider_id),
        "public_ip",
        &addresses,
    )
    .await;
    let agent = id(&create_agent(&server, &f.provider_id, &agent_type, "edge-1", None).await);
    let path = format!("/api/v1/agents/{agent}");

    // Left out, the held value comes back; sent unchanged, it stays.
    for configuration in [
        json!({"region": "fi"}),
        json!({"region": "se", "publicIp": "192.0.2.1"}),
    ] {
        let updated = server
            .patch(
                &path,
                &f.provider_token,
                &json!({"configuration": configuration}),
            )
            .await;
        assert_eq!(updated.status, 200, "{:?}", updated.body);
        assert_eq!(updated.body["configuration"]["publicIp"], "192.0.2.1");
    }
    // Another value is refused: the agent still holds the first.
    let changed = server
        .patch(
            &path,
            &f.provider_token,
            &json!({"configuration": {"publicIp": "192.0.2.2"}}),
        )
        .await;
    assert_eq!(changed.status, 400, "{:?}", changed.body);
    assert_eq!(error_paths(&changed.body), ["configuration.publicIp"]);
    let held: Vec<Value> = values_of(&server, &pool)
        .await
        .into_iter()
        .filter(|v| v["agentId"] == json!(agent))
        .collect();
    assert_eq!(held.len(), 1, "one value per property");
    assert_eq!(held[0]["value"], "192.0.2.1");
    let got = server.get(&path, &f.provider_token).await;
    assert_eq!(got.body["configuration"]["region"], "se");
    server.stop().await;
}
