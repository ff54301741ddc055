//! What only service pools do: pool sets and the agents drawing from them,
//! subnet pools generating addresses, and orders taking values in their
//! job and giving them back when the service ends.

use std::collections::BTreeSet;
use std::sync::Arc;

use federa_testkit::{error_paths, Federation, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

use super::family::{attached_set, id, order, pooled_type, total};

const RACERS: usize = 16;

async fn list_pool(
    server: &TestServer,
    federation: &Federation,
    set: &str,
    pool_type: &str,
    property_type: &str,
    values: &[Value],
) -> String {
    let pool = id(&server
        .post(
            "/api/v1/service-pools",
            &federation.provider_token,
            &json!({"name": pool_type, "type": pool_type, "propertyType": property_type, "generatorType": "list", "servicePoolSetId": set}),
        )
        .await);
    for (n, value) in values.iter().enumerate() {
        id(&server
            .post(
                "/api/v1/service-pool-values",
                &federation.provider_token,
                &json!({"servicePoolId": pool, "name": format!("value-{n}"), "value": value}),
            )
            .await);
    }
    pool
}

async fn subnet_pool(
    server: &TestServer,
    federation: &Federation,
    set: &str,
    pool_type: &str,
    config: Value,
) -> String {
    id(&server
        .post(
            "/api/v1/service-pools",
            &federation.provider_token,
            &json!({"name": pool_type, "type": pool_type, "propertyType": "string", "generatorType": "subnet", "generatorConfig": config, "servicePoolSetId": set}),
        )
        .await)
}

/// Claims and reports the agent's next job: completed, or failed with a message.
async fn finish_next_job(server: &TestServer, federation: &Federation, failure: Option<&str>) {
    let pending = server
        .get("/api/v1/jobs/pending", &federation.agent_token)
        .await;
    let job = pending.body[0]["id"]
        .as_str()
        .expect("a pending job")
        .to_string();
    let claimed = server
        .post(
            &format!("/api/v1/jobs/{job}/claim"),
            &federation.agent_token,
            &json!({}),
        )
        .await;
    assert_eq!(claimed.status, 204, "{:?}", claimed.body);
    let reported = match failure {
        None => {
            server
                .post(
                    &format!("/api/v1/jobs/{job}/complete"),
                    &federation.agent_token,
                    &json!({}),
                )
                .await
        }
        Some(message) => {
            server
                .post(
                    &format!("/api/v1/jobs/{job}/fail"),
                    &federation.agent_token,
                    &json!({"errorMessage": message}),
                )
                .await
        }
    };
    assert_eq!(reported.status, 204, "{:?}", reported.body);
}

#[tokio::test]
async fn pool_sets_are_managed_by_their_provider() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let created = server
        .post(
            "/api/v1/service-pool-sets",
            &f.provider_token,
            &json!({"name": "Edge", "providerId": f.provider_id}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["providerId"], json!(f.provider_id));
    // Fulcrum spells the key `providerID` here; both are answered.
    assert_eq!(created.body["providerID"], json!(f.provider_id));
    assert_eq!(created.body["name"], "Edge");
    let set = id(&created);

    let got = server
        .get(
            &format!("/api/v1/service-pool-sets/{set}"),
            &f.provider_token,
        )
        .await;
    assert_eq!(got.status, 200);
    let listed = server
        .get(
            &format!(
                "/api/v1/service-pool-sets?providerId={}&name=edg",
                f.provider_id
            ),
            &f.provider_token,
        )
        .await;
    assert_eq!(listed.body["totalItems"], 1, "{:?}", listed.body);
    // Another participant sees none of them.
    let strangers = server
        .get("/api/v1/service-pool-sets", &f.consumer_token)
        .await;
    assert_eq!(strangers.body["totalItems"], 0);

    let renamed = server
        .patch(
            &format!("/api/v1/service-pool-sets/{set}"),
            &f.provider_token,
            &json!({"name": "Edge EU"}),
        )
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(renamed.body["name"], "Edge EU");

    let blank = server
        .post(
            "/api/v1/service-pool-sets",
            &f.provider_token,
            &json!({"name": " ", "providerId": f.provider_id}),
        )
        .await;
    assert_eq!(blank.status, 400);
    assert_eq!(error_paths(&blank.body), ["name"]);
    let unknown = server
        .post(
            "/api/v1/service-pool-sets",
            ADMIN_TOKEN,
            &json!({"name": "x", "providerId": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(error_paths(&unknown.body), ["providerId"]);
    let missing_field = server
        .post(
            "/api/v1/service-pool-sets",
            &f.provider_token,
            &json!({"name": "x"}),
        )
        .await;
    assert_eq!(missing_field.status, 400, "{:?}", missing_field.body);

    // Wrong roles: another participant, and agents, who never see sets.
    for token in [&f.consumer_token, &f.agent_token] {
        let refused = server
            .post(
                "/api/v1/service-pool-sets",
                token,
                &json!({"name": "x", "providerId": f.provider_id}),
            )
            .await;
        assert_eq!(refused.status, 403, "{:?}", refused.body);
        let hidden = server
            .get(&format!("/api/v1/service-pool-sets/{set}"), token)
            .await;
        assert_eq!(hidden.status, 403);
    }
    let foreign_delete = server
        .delete(
            &format!("/api/v1/service-pool-sets/{set}"),
            &f.consumer_token,
        )
        .await;
    assert_eq!(foreign_delete.status, 403);

    // An agent draws only from a set of its own provider.
    let foreign_set = id(&server
        .post(
            "/api/v1/service-pool-sets",
            ADMIN_TOKEN,
            &json!({"name": "Theirs", "providerId": f.consumer_id}),
        )
        .await);
    for set_id in [foreign_set, uuid::Uuid::now_v7().to_string()] {
        let refused = server
            .patch(
                &format!("/api/v1/agents/{}", f.agent_id),
                &f.provider_token,
                &json!({"servicePoolSetId": set_id}),
            )
            .await;
        assert_eq!(refused.status, 400, "{:?}", refused.body);
        assert_eq!(error_paths(&refused.body), ["servicePoolSetId"]);
    }
    let refused_create = server
        .post(
            "/api/v1/agents",
            &f.provider_token,
            &json!({"name": "a2", "providerId": f.provider_id, "agentTypeId": f.agent_type_id, "servicePoolSetId": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(refused_create.status, 400, "{:?}", refused_create.body);
    assert_eq!(error_paths(&refused_create.body), ["servicePoolSetId"]);

    // Refused while an agent draws from it or a pool belongs to it.
    let attached = attached_set(&server, &f).await;
    let in_use = server
        .delete(
            &format!("/api/v1/service-pool-sets/{attached}"),
            &f.provider_token,
        )
        .await;
    assert_eq!(in_use.status, 409, "{:?}", in_use.body);
    list_pool(&server, &f, &set, "vlan", "integer", &[]).await;
    let has_pools = server
        .delete(
            &format!("/api/v1/service-pool-sets/{set}"),
            &f.provider_token,
        )
        .await;
    assert_eq!(has_pools.status, 409, "{:?}", has_pools.body);

    let empty = id(&server
        .post(
            "/api/v1/service-pool-sets",
            &f.provider_token,
            &json!({"name": "Spare", "providerId": f.provider_id}),
        )
        .await);
    let deleted = server
        .delete(
            &format!("/api/v1/service-pool-sets/{empty}"),
            &f.provider_token,
        )
        .await;
    assert_eq!(deleted.status, 204);
    let gone = server
        .get(
            &format!("/api/v1/service-pool-sets/{empty}"),
            &f.provider_token,
        )
        .await;
    assert_eq!(gone.status, 404);
    server.stop().await;
}

#[tokio::test]
async fn pools_check_their_generator_and_belong_to_the_set_provider() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let set = attached_set(&server, &f).await;
    let subnet = server
        .post(
            "/api/v1/service-pools",
            &f.provider_token,
            &json!({"name": "Public IPs", "type": "public_ip", "propertyType": "string", "generatorType": "subnet",
                    "generatorConfig": {"cidr": "192.0.2.0/24", "excludeFirst": 1, "excludeLast": 1}, "servicePoolSetId": set}),
        )
        .await;
    assert_eq!(subnet.status, 201, "{:?}", subnet.body);
    assert_eq!(subnet.body["type"], "public_ip");
    assert_eq!(subnet.body["generatorType"], "subnet");
    assert_eq!(subnet.body["propertyType"], "string");
    assert_eq!(subnet.body["generatorConfig"]["cidr"], "192.0.2.0/24");
    assert_eq!(subnet.body["servicePoolSetId"], json!(set));
    assert_eq!(subnet.body["servicePoolSetName"], "Production");
    let subnet_id = id(&subnet);
    let list = list_pool(&server, &f, &set, "vlan", "integer", &[]).await;

    let base = json!({"name": "p", "type": "other", "propertyType": "string", "generatorType": "subnet", "servicePoolSetId": set});
    let bad_inputs = [
        (
            json!({"generatorConfig": {"cidr": "192.0.2.0/33"}}),
            "generatorConfig.cidr",
        ),
        (
            json!({"generatorConfig": {"cidr": "nonsense"}}),
            "generatorConfig.cidr",
        ),
        (json!({"generatorConfig": null}), "generatorConfig.cidr"),
        (
            json!({"generatorConfig": {"cidr": "10.0.0.0/24", "excludeFirst": -2}}),
            "generatorConfig.excludeFirst",
        ),
        (
            json!({"generatorConfig": {"cidr": "10.0.0.0/24", "exclude": ["10.0.1.1"]}}),
            "generatorConfig.exclude[0]",
        ),
        (
            json!({"generatorConfig": {"cidr": "10.0.0.0/24"}, "propertyType": "integer"}),
            "propertyType",
        ),
        (json!({"generatorType": "range"}), "generatorType"),
        (
            json!({"generatorType": "list", "propertyType": "uuid"}),
            "propertyType",
        ),
        (json!({"generatorType": "list", "type": ""}), "type"),
        (json!({"generatorType": "list", "name": ""}), "name"),
        (
            json!({"generatorType": "list", "servicePoolSetId": uuid::Uuid::now_v7()}),
            "servicePoolSetId",
        ),
    ];
    for (change, path) in bad_inputs {
        let mut body = base.clone();
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let refused = server
            .post("/api/v1/service-pools", &f.provider_token, &body)
            .await;
        assert_eq!(refused.status, 400, "{body}: {:?}", refused.body);
        assert!(
            error_paths(&refused.body).contains(&path.to_string()),
            "{body}: {:?}",
            refused.body
        );
    }
    let duplicate = server
        .post(
            "/api/v1/service-pools",
            &f.provider_token,
            &json!({"name": "again", "type": "vlan", "propertyType": "integer", "generatorType": "list", "servicePoolSetId": set}),
        )
        .await;
    assert_eq!(duplicate.status, 409, "{:?}", duplicate.body);

    // Wrong roles: another participant cannot add to the set or see its pools.
    let foreign = server
        .post(
            "/api/v1/service-pools",
            &f.consumer_token,
            &json!({"name": "x", "type": "x", "propertyType": "string", "generatorType": "list", "servicePoolSetId": set}),
        )
        .await;
    assert_eq!(foreign.status, 403);
    let foreign_get = server
        .get(&format!("/api/v1/service-pools/{list}"), &f.consumer_token)
        .await;
    assert_eq!(foreign_get.status, 403);
    // The provider's agent may read them, not change them.
    let agent_get = server
        .get(&format!("/api/v1/service-pools/{list}"), &f.agent_token)
        .await;
    assert_eq!(agent_get.status, 200);
    let agent_list = server.get("/api/v1/service-pools", &f.agent_token).await;
    assert_eq!(agent_list.body["totalItems"], 2);
    let agent_patch = server
        .patch(
            &format!("/api/v1/service-pools/{list}"),
            &f.agent_token,
            &json!({"name": "mine"}),
        )
        .await;
    assert_eq!(agent_patch.status, 403);

    let filtered = server
        .get(
            &format!("/api/v1/service-pools?servicePoolSetId={set}&generatorType=subnet"),
            &f.provider_token,
        )
        .await;
    assert_eq!(filtered.body["totalItems"], 1, "{:?}", filtered.body);
    assert_eq!(filtered.body["items"][0]["id"], json!(subnet_id));
    let bad_filter = server
        .get(
            "/api/v1/service-pools?generatorType=range",
            &f.provider_token,
        )
        .await;
    assert_eq!(bad_filter.status, 400);

    let updated = server
        .patch(
            &format!("/api/v1/service-pools/{subnet_id}"),
            &f.provider_token,
            &json!({"name": "Public v4", "generatorConfig": {"cidr": "198.51.100.0/24"}}),
        )
        .await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    assert_eq!(updated.body["name"], "Public v4");
    assert_eq!(updated.body["generatorConfig"]["cidr"], "198.51.100.0/24");
    let bad_update = server
        .patch(
            &format!("/api/v1/service-pools/{subnet_id}"),
            &f.provider_token,
            &json!({"generatorConfig": {"cidr": "198.51.100.0/99"}}),
        )
        .await;
    assert_eq!(bad_update.status, 400);
    assert_eq!(error_paths(&bad_update.body), ["generatorConfig.cidr"]);

    // A pool with values cannot go; an empty one can.
    id(&server
        .post(
            "/api/v1/service-pool-values",
            &f.provider_token,
            &json!({"servicePoolId": list, "name": "v7", "value": 7}),
        )
        .await);
    let has_values = server
        .delete(&format!("/api/v1/service-pools/{list}"), &f.provider_token)
        .await;
    assert_eq!(has_values.status, 409, "{:?}", has_values.body);
    let foreign_delete = server
        .delete(
            &format!("/api/v1/service-pools/{subnet_id}"),
            &f.consumer_token,
        )
        .await;
    assert_eq!(foreign_delete.status, 403);
    let deleted = server
        .delete(
            &format!("/api/v1/service-pools/{subnet_id}"),
            &f.provider_token,
        )
        .await;
    assert_eq!(deleted.status, 204);
    let gone = server
        .get(
            &format!("/api/v1/service-pools/{subnet_id}"),
            &f.provider_token,
        )
        .await;
    assert_eq!(gone.status, 404);
    server.stop().await;
}

#[tokio::test]
async fn list_values_are_typed_and_only_list_pools_take_them() {
    let (server, f) = start_with_type(&pooled_type(&[("vlan", "vlan", "integer")])).await;
    let set = attached_set(&server, &f).await;
    let pool = list_pool(&server, &f, &set, "vlan", "integer", &[]).await;
    let subnet = subnet_pool(
        &server,
        &f,
        &set,
        "public_ip",
        json!({"cidr": "10.0.0.0/29"}),
    )
    .await;
    let created = server
        .post(
            "/api/v1/service-pool-values",
            &f.provider_token,
            &json!({"servicePoolId": pool, "name": "VLAN 100", "value": 100}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["value"], 100);
    let bad_inputs = [
        (
            json!({"servicePoolId": pool, "name": "x", "value": "100"}),
            "value",
        ),
        (
            json!({"servicePoolId": subnet, "name": "x", "value": "10.0.0.1"}),
            "servicePoolId",
        ),
    ];
    for (body, path) in bad_inputs {
        let refused = server
            .post("/api/v1/service-pool-values", &f.provider_token, &body)
            .await;
        assert_eq!(refused.status, 400, "{body}: {:?}", refused.body);
        assert_eq!(error_paths(&refused.body), [path], "{body}");
    }
    // An order's integer property takes the integer as it was entered.
    let ordered = server
        .post("/api/v1/services", &f.consumer_token, &order(&f, "web-1"))
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    assert_eq!(ordered.body["properties"]["vlan"], 100);
    server.stop().await;
}

#[tokio::test]
async fn orders_take_pool_values_in_their_job_and_give_them_back_at_the_end() {
    let (server, f) = start_with_type(&pooled_type(&[
        ("vlan", "vlan", "integer"),
        ("publicIp", "public_ip", "string"),
    ]))
    .await;

    // Without a pool set on the agent the order names the property.
    let unpooled = server
        .post("/api/v1/services", &f.consumer_token, &order(&f, "early"))
        .await;
    assert_eq!(unpooled.status, 400, "{:?}", unpooled.body);
    assert_eq!(
        error_paths(&unpooled.body),
        ["properties.publicIp", "properties.vlan"]
    );

    let set = attached_set(&server, &f).await;
    list_pool(
        &server,
        &f,
        &set,
        "vlan",
        "integer",
        &[json!(10), json!(11)],
    )
    .await;
    let missing_pool = server
        .post("/api/v1/services", &f.consumer_token, &order(&f, "early"))
        .await;
    assert_eq!(missing_pool.status, 400, "{:?}", missing_pool.body);
    assert_eq!(error_paths(&missing_pool.body), ["properties.publicIp"]);
    subnet_pool(
        &server,
        &f,
        &set,
        "public_ip",
        json!({"cidr": "192.0.2.0/30", "excludeFirst": 1, "excludeLast": 1, "exclude": ["192.0.2.1"]}),
    )
    .await;
    let services_before = total(&server, "/api/v1/services").await;

    let ordered = server
        .post("/api/v1/services", &f.consumer_token, &order(&f, "web-1"))
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    assert_eq!(ordered.body["properties"]["vlan"], 10);
    assert_eq!(ordered.body["properties"]["publicIp"], "192.0.2.2");
    let pending = server.get("/api/v1/jobs/pending", &f.agent_token).await;
    assert_eq!(pending.body[0]["params"]["vlan"], 10);
    assert_eq!(pending.body[0]["params"]["publicIp"], "192.0.2.2");

    // The subnet has one address: the next order is refused whole.
    let jobs_before = total(&server, "/api/v1/jobs").await;
    let exhausted = server
        .post("/api/v1/services", &f.consumer_token, &order(&f, "web-2"))
        .await;
    assert_eq!(exhausted.status, 409, "{:?}", exhausted.body);
    let message = exhausted.body["error"].as_str().unwrap_or_default();
    assert!(message.starts_with("properties.publicIp:"), "{message}");
    assert_eq!(
        total(&server, "/api/v1/services").await,
        services_before + 1
    );
    assert_eq!(total(&server, "/api/v1/jobs").await, jobs_before);
    let free_vlans = server
        .get("/api/v1/service-pool-values", &f.provider_token)
        .await;
    let holders: Vec<&Value> = free_vlans.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["serviceId"])
        .collect();
    assert_eq!(
        holders.iter().filter(|h| h.is_string()).count(),
        2,
        "the refused order took nothing: {:?}",
        free_vlans.body
    );

    // Completing the delete ends the service and frees both values.
    finish_next_job(&server, &f, None).await;
    let service = id(&ordered);
    let deleted = server
        .delete(&format!("/api/v1/services/{service}"), &f.consumer_token)
        .await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    finish_next_job(&server, &f, None).await;
    let after = server
        .get(
            &format!("/api/v1/service-pool-values?serviceId={service}"),
            &f.provider_token,
        )
        .await;
    assert_eq!(after.body["totalItems"], 0, "{:?}", after.body);

    let reordered = server
        .post("/api/v1/services", &f.consumer_token, &order(&f, "web-3"))
        .await;
    assert_eq!(reordered.status, 201, "{:?}", reordered.body);
    assert_eq!(reordered.body["properties"]["vlan"], 10);
    assert_eq!(reordered.body["properties"]["publicIp"], "192.0.2.2");

    // A create that fails into a terminal state frees them too.
    finish_next_job(&server, &f, Some("no capacity")).await;
    let failed = server
        .get(
            &format!("/api/v1/services/{}", id(&reordered)),
            &f.consumer_token,
        )
        .await;
    assert_eq!(failed.body["status"], "Failed");
    let after_failure = server
        .get(
            &format!("/api/v1/service-pool-values?serviceId={}", id(&reordered)),
            &f.provider_token,
        )
        .await;
    assert_eq!(
        after_failure.body["totalItems"], 0,
        "{:?}",
        after_failure.body
    );
    server.stop().await;
}

/// Orders `RACERS` services at once and returns the statuses and the bodies
/// of the created ones.
async fn race_orders(server: &Arc<TestServer>, f: &Arc<Federation>) -> (Vec<u16>, Vec<Value>) {
    let racers: Vec<_> = (0..RACERS)
        .map(|n| {
            let (server, f) = (server.clone(), f.clone());
            tokio::spawn(async move {
                server
                    .post(
                        "/api/v1/services",
                        &f.consumer_token,
                        &order(&f, &format!("race-{n}")),
                    )
                    .await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    let mut created = Vec::new();
    for racer in racers {
        let response = racer.await.unwrap();
        statuses.push(response.status);
        if response.status == 201 {
            created.push(response.body);
        } else {
            assert_eq!(response.status, 409, "{:?}", response.body);
            let message = response.body["error"].as_str().unwrap_or_default();
            assert!(message.contains("no free value"), "{message}");
        }
    }
    (statuses, created)
}

#[tokio::test]
async fn concurrent_orders_never_share_a_subnet_address() {
    let (server, f) = start_with_type(&pooled_type(&[("publicIp", "public_ip", "string")])).await;
    let set = attached_set(&server, &f).await;
    // A /29 without its first and last address: six addresses.
    subnet_pool(
        &server,
        &f,
        &set,
        "public_ip",
        json!({"cidr": "203.0.113.8/29", "excludeFirst": 1, "excludeLast": 1}),
    )
    .await;
    let (server, f) = (Arc::new(server), Arc::new(f));

    let (statuses, created) = race_orders(&server, &f).await;
    assert_eq!(created.len(), 6, "{statuses:?}");
    let taken: BTreeSet<String> = created
        .iter()
        .map(|s| {
            s["properties"]["publicIp"]
                .as_str()
                .expect("an address")
                .to_string()
        })
        .collect();
    let expected: BTreeSet<String> = (9..=14).map(|n| format!("203.0.113.{n}")).collect();
    assert_eq!(taken, expected);
    assert_eq!(total(&server, "/api/v1/services").await, 6);
    assert_eq!(total(&server, "/api/v1/jobs").await, 6);
    Arc::try_unwrap(server).ok().unwrap().stop().await;
}

/// A test server with a federation around one service type.
#[tokio::test]
async fn an_order_the_exchange_placed_but_could_not_write_leaves_no_placement() {
    let (server, f) = start_with_type(&pooled_type(&[("ip", "public_ip", "string")])).await;
    let set = attached_set(&server, &f).await;
    list_pool(&server, &f, &set, "public_ip", "string", &[]).await;
    server.report_connected(&f.agent_token).await;
    let profile = server
        .post(
            "/api/v1/provider-profiles",
            &f.provider_token,
            &json!({"participantId": f.provider_id, "jurisdiction": "FI",
                    "regions": [{"code": "fi-hel-1", "country": "FI"}]}),
        )
        .await;
    assert_eq!(profile.status, 201, "{:?}", profile.body);
    let offering = id(&server
        .post(
            "/api/v1/offerings",
            &f.provider_token,
            &json!({"participantId": f.provider_id, "serviceTypeId": f.service_type_id,
                    "regions": ["fi-hel-1"], "price": {"hourly": "0.05"}}),
        )
        .await);
    let mut placed = order(&f, "placed-web");
    placed["placement"] = json!({});
    let refused = server
        .post("/api/v1/services", &f.consumer_token, &placed)
        .await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    let message = refused.body["error"].as_str().unwrap_or_default();
    assert!(message.starts_with("properties.ip:"), "{message}");
    // The placement is written with its service or not at all: no decision
    // was recorded, and nothing holds the offering.
    assert_eq!(
        total(&server, "/api/v1/events?type=placement.decided").await,
        0
    );
    let deleted = server
        .delete(&format!("/api/v1/offerings/{offering}"), &f.provider_token)
        .await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    server.stop().await;
}

async fn start_with_type(service_type: &Value) -> (TestServer, Federation) {
    let server = TestServer::start().await;
    let federation = Federation::create_with(&server, service_type).await;
    (server, federation)
}
