//! Placement over HTTP: previews, orders placed through the exchange,
//! consumers' attached policies, capacity, and orders that name their agent
//! as before.

mod exchange_kit;

use exchange_kit::{offering, placed_order, preview, profile_in, provider, rejections, Provider};
use federa_testkit::{Federation, TestServer, ADMIN_TOKEN};
use serde_json::json;

/// Finland (dearer) and Germany (cheaper), each with one offering.
async fn two_providers(server: &TestServer, federation: &Federation) -> (Provider, Provider) {
    let nordic = provider(server, federation, "Nordic", profile_in("FI", "fi-hel-1")).await;
    let rhein = provider(server, federation, "Rhein", profile_in("DE", "de-fra-1")).await;
    offering(
        server,
        federation,
        &nordic,
        &["fi-hel-1"],
        json!({"hourly": "0.09"}),
    )
    .await;
    offering(
        server,
        federation,
        &rhein,
        &["de-fra-1"],
        json!({"hourly": "0.04"}),
    )
    .await;
    (nordic, rhein)
}

#[tokio::test]
async fn a_preview_ranks_the_eligible_and_gives_every_rejected_candidate_its_rules() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let (nordic, rhein) = two_providers(&server, &federation).await;

    let cheapest = preview(&server, &federation, json!({})).await;
    assert_eq!(cheapest["chosen"]["participantId"], rhein.id.as_str());
    assert_eq!(cheapest["chosen"]["hourlyPrice"], "0.04");
    assert_eq!(cheapest["chosen"]["agentId"], rhein.agent_id.as_str());
    // People read the decision by names, not ids.
    assert_eq!(cheapest["chosen"]["providerName"], "Rhein");
    assert_eq!(cheapest["chosen"]["agentName"], "Rhein agent");
    let explanation = cheapest["explanation"].as_str().unwrap_or_default();
    assert!(
        explanation.starts_with(
            "Placed on the offering of Rhein in region de-fra-1 via agent Rhein agent at 0.04 EUR/h"
        ),
        "{explanation}"
    );
    assert!(!explanation.contains(&rhein.id), "{explanation}");
    assert_eq!(cheapest["considered"].as_array().map(Vec::len), Some(2));
    assert!(cheapest["considered"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["accepted"] == true));

    let nearest = preview(
        &server,
        &federation,
        json!({"strategy": "nearest", "nearCountry": "SE"}),
    )
    .await;
    assert_eq!(nearest["chosen"]["participantId"], nordic.id.as_str());
    assert!(
        nearest["chosen"]["explanation"]
            .as_str()
            .unwrap_or_default()
            .contains("nearest eligible region to SE"),
        "{nearest:?}"
    );

    let capped = preview(
        &server,
        &federation,
        json!({"maxHourlyPrice": "0.05", "countries": ["FI", "FR"]}),
    )
    .await;
    assert!(capped.get("chosen").is_none(), "{capped:?}");
    assert_eq!(rejections(&capped, &nordic.id), ["price"]);
    assert_eq!(rejections(&capped, &rhein.id), ["country"]);
    assert!(
        capped["explanation"]
            .as_str()
            .unwrap_or_default()
            .starts_with("No offering can take the service"),
        "{capped:?}"
    );

    let refused = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &placed_order(
                &federation,
                "web-01",
                json!({"maxHourlyPrice": "0.05", "countries": ["FI", "FR"]}),
            ),
        )
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(refused.body["errors"][0]["path"], "placement");
    assert_eq!(
        server
            .get("/api/v1/services", &federation.consumer_token)
            .await
            .body["totalItems"],
        0,
        "nothing was created"
    );
}

#[tokio::test]
async fn invalid_placement_requests_name_the_field() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    two_providers(&server, &federation).await;
    let mut body = federation.order("web-01");
    body["placement"] =
        json!({"countries": ["Finland"], "strategy": "nearest", "maxHourlyPrice": 0.1});
    let answer = server
        .post(
            "/api/v1/placement/preview",
            &federation.consumer_token,
            &body,
        )
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["errors"][0]["path"], "placement.maxHourlyPrice");
    body["placement"] = json!({"countries": ["Finland"], "strategy": "nearest"});
    let answer = server
        .post(
            "/api/v1/placement/preview",
            &federation.consumer_token,
            &body,
        )
        .await;
    assert_eq!(answer.status, 400);
    let paths: Vec<&str> = answer.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["placement.countries[0]", "placement.nearCountry"]);
    body["placement"] = json!({"jurisdicton": "eu"});
    let misspelt = server
        .post("/api/v1/services", &federation.consumer_token, &body)
        .await;
    assert_eq!(misspelt.status, 400);
    assert!(
        misspelt.body["errors"][0]["path"]
            .as_str()
            .unwrap()
            .starts_with("placement"),
        "{:?}",
        misspelt.body
    );
    assert!(misspelt.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("unknown field `jurisdicton`"));

    let mut both = placed_order(&federation, "web-01", json!({}));
    both["agentId"] = json!(federation.agent_id);
    let answer = server
        .post("/api/v1/services", &federation.consumer_token, &both)
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["errors"][0]["path"], "agentId");

    let mut no_consumer = json!({"serviceTypeId": federation.service_type_id});
    let answer = server
        .post("/api/v1/placement/preview", ADMIN_TOKEN, &no_consumer)
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["errors"][0]["path"], "consumerId");
    no_consumer["consumerId"] = json!(federation.consumer_id);
    let answer = server
        .post("/api/v1/placement/preview", ADMIN_TOKEN, &no_consumer)
        .await;
    assert_eq!(
        answer.status, 400,
        "the VM's required properties are missing"
    );
    assert!(answer.body["errors"][0]["path"]
        .as_str()
        .unwrap()
        .starts_with("properties"));
}

#[tokio::test]
async fn an_attached_policy_narrows_every_placement_of_its_consumer() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let (nordic, rhein) = two_providers(&server, &federation).await;
    let created = server
        .post(
            "/api/v1/placement-policies",
            &federation.consumer_token,
            &json!({
                "participantId": federation.consumer_id,
                "name": "Finland only",
                "rules": {"countries": ["FI"]},
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["attached"], true);
    let policy_id = created.body["id"].as_str().unwrap().to_string();

    let ordered = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &placed_order(&federation, "web-01", json!({})),
        )
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    assert_eq!(
        ordered.body["providerId"],
        nordic.id.as_str(),
        "the cheaper one is in DE"
    );
    let placement = &ordered.body["placement"];
    assert_eq!(placement["appliedPolicyIds"], json!([policy_id]));
    assert_eq!(placement["effectiveRequest"]["countries"], json!(["FI"]));
    assert_eq!(rejections(placement, &rhein.id), ["country"]);

    let conflict = server
        .post(
            "/api/v1/placement/preview",
            &federation.consumer_token,
            &json!({"serviceTypeId": federation.service_type_id, "properties": federation.order("web-02")["properties"], "placement": {"countries": ["DE"]}}),
        )
        .await;
    assert_eq!(conflict.status, 400, "{:?}", conflict.body);
    assert_eq!(conflict.body["errors"][0]["path"], "placement.countries");
    assert!(conflict.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Finland only"));

    let others = server
        .get("/api/v1/placement-policies", &nordic.token)
        .await;
    assert_eq!(others.body["totalItems"], 0, "policies are private");
    let detached = server
        .patch(
            &format!("/api/v1/placement-policies/{policy_id}"),
            &federation.consumer_token,
            &json!({"attached": false}),
        )
        .await;
    assert_eq!(detached.status, 200);
    let free = preview(&server, &federation, json!({})).await;
    assert_eq!(free["chosen"]["participantId"], rhein.id.as_str());
    assert_eq!(free["appliedPolicyIds"], json!([]));
}

#[tokio::test]
async fn capacity_and_connected_agents_decide_who_can_take_a_service() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let (nordic, rhein) = two_providers(&server, &federation).await;
    let rhein_offering = server
        .get(
            &format!("/api/v1/offerings?participantId={}", rhein.id),
            &rhein.token,
        )
        .await
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let limited = server
        .patch(
            &format!("/api/v1/offerings/{rhein_offering}"),
            &rhein.token,
            &json!({"capacity": 1}),
        )
        .await;
    assert_eq!(limited.status, 200);

    let first = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &placed_order(&federation, "web-01", json!({})),
        )
        .await;
    assert_eq!(
        first.body["providerId"],
        rhein.id.as_str(),
        "{:?}",
        first.body
    );
    let second = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &placed_order(&federation, "web-02", json!({})),
        )
        .await;
    assert_eq!(second.status, 201, "{:?}", second.body);
    assert_eq!(second.body["providerId"], nordic.id.as_str());
    assert_eq!(
        rejections(&second.body["placement"], &rhein.id),
        ["capacity"]
    );

    let disconnected = server
        .call(
            "PUT",
            "/api/v1/agents/me/status",
            Some(&nordic.agent_token),
            Some(&json!({"status": "Disconnected"})),
        )
        .await;
    assert_eq!(disconnected.status, 200, "{:?}", disconnected.body);
    let nobody = preview(&server, &federation, json!({})).await;
    assert!(nobody.get("chosen").is_none(), "{nobody:?}");
    assert_eq!(rejections(&nobody, &nordic.id), ["noConnectedAgent"]);

    let spread = preview(&server, &federation, json!({"strategy": "spread"})).await;
    assert!(spread.get("chosen").is_none());
}

#[tokio::test]
async fn an_order_naming_its_agent_is_placed_as_before() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    two_providers(&server, &federation).await;
    let mut order = federation.order("web-01");
    order["agentId"] = json!(federation.agent_id);
    let ordered = server
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    assert_eq!(ordered.body["agentId"], federation.agent_id.as_str());
    assert!(ordered.body.get("placement").is_none());
    let plain = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &federation.order("web-02"),
        )
        .await;
    assert_eq!(plain.status, 201, "{:?}", plain.body);
    assert!(plain.body.get("placement").is_none());
}
