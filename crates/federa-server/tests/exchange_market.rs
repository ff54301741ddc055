//! Provider profiles and offerings over HTTP: who may write them, what
//! makes them invalid, and how they hold each other in place.

mod exchange_kit;

use exchange_kit::{offering, placed_order, profile_in, provider};
use federa_testkit::{error_paths, Federation, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

#[tokio::test]
async fn a_provider_declares_one_profile_that_everyone_reads_and_only_it_changes() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let profile = json!({
        "participantId": federation.provider_id,
        "jurisdiction": "FR",
        "regions": [{"code": "fr-par-1", "country": "FR", "name": "Paris"}],
        "certifications": [{"kind": "SecNumCloud", "expiresAt": "2030-06-30T00:00:00Z"}],
    });
    let refused = server
        .post(
            "/api/v1/provider-profiles",
            &federation.consumer_token,
            &profile,
        )
        .await;
    assert_eq!(refused.status, 403, "another participant's profile");
    let created = server
        .post(
            "/api/v1/provider-profiles",
            &federation.provider_token,
            &profile,
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["subjectToNonEuLaw"], false);
    assert_eq!(
        created.body["participantName"], "Provider",
        "the provider's name"
    );
    assert_eq!(
        created.body["certifications"][0],
        json!({"kind": "SecNumCloud", "expiresAt": "2030-06-30T00:00:00Z"})
    );
    let again = server
        .post(
            "/api/v1/provider-profiles",
            &federation.provider_token,
            &profile,
        )
        .await;
    assert_eq!(again.status, 409, "{:?}", again.body);

    let path = format!("/api/v1/provider-profiles/{}", federation.provider_id);
    let read = server.get(&path, &federation.consumer_token).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["regions"][0]["name"], "Paris");
    assert_eq!(
        read.body["participantName"], "Provider",
        "a consumer learns whom it buys from"
    );
    let listed = server
        .get(
            "/api/v1/provider-profiles?jurisdiction=FR",
            &federation.agent_token,
        )
        .await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    assert_eq!(listed.body["totalItems"], 1);
    assert_eq!(listed.body["items"][0]["participantName"], "Provider");
    let none = server
        .get(
            "/api/v1/provider-profiles?jurisdiction=DE",
            &federation.consumer_token,
        )
        .await;
    assert_eq!(none.body["totalItems"], 0);

    let change = json!({"subjectToNonEuLaw": true});
    assert_eq!(
        server
            .patch(&path, &federation.consumer_token, &change)
            .await
            .status,
        403
    );
    let changed = server
        .patch(&path, &federation.provider_token, &change)
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    assert_eq!(changed.body["subjectToNonEuLaw"], true);
    assert_eq!(changed.body["jurisdiction"], "FR", "unchanged fields stay");
    let by_admin = server
        .patch(&path, ADMIN_TOKEN, &json!({"jurisdiction": "BE"}))
        .await;
    assert_eq!(by_admin.status, 200, "{:?}", by_admin.body);
    assert_eq!(
        server
            .delete(&path, &federation.provider_token)
            .await
            .status,
        204
    );
    assert_eq!(
        server.get(&path, &federation.provider_token).await.status,
        404
    );
}

#[tokio::test]
async fn profile_and_offering_problems_are_reported_with_their_paths() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let bad_profile = server
        .post(
            "/api/v1/provider-profiles",
            &federation.provider_token,
            &json!({
                "participantId": federation.provider_id,
                "jurisdiction": "XX",
                "regions": [
                    {"code": "fr-par-1", "country": "FR"},
                    {"code": "Fr Par", "country": "fr"},
                    {"code": "fr-par-1", "country": "FR"}
                ],
            }),
        )
        .await;
    assert_eq!(bad_profile.status, 400, "{:?}", bad_profile.body);
    assert_eq!(
        error_paths(&bad_profile.body),
        [
            "jurisdiction",
            "regions[1].code",
            "regions[1].country",
            "regions[2].code"
        ]
    );
    let unknown_label = server
        .post(
            "/api/v1/provider-profiles",
            &federation.provider_token,
            &json!({
                "participantId": federation.provider_id,
                "jurisdiction": "FR",
                "regions": [{"code": "fr-par-1", "country": "FR"}],
                "certifications": [{"kind": "ISO9001", "expiresAt": "2030-01-01T00:00:00Z"}],
            }),
        )
        .await;
    assert_eq!(unknown_label.status, 400);
    assert_eq!(error_paths(&unknown_label.body), ["certifications[0].kind"]);

    let offer = |regions: Value, price: Value| {
        json!({
            "participantId": federation.provider_id,
            "serviceTypeId": federation.service_type_id,
            "regions": regions,
            "price": price,
        })
    };
    let without_profile = server
        .post(
            "/api/v1/offerings",
            &federation.provider_token,
            &offer(json!(["fr-par-1"]), json!({"hourly": "0.05"})),
        )
        .await;
    assert_eq!(without_profile.status, 400);
    assert_eq!(error_paths(&without_profile.body), ["participantId"]);

    let declared = server
        .post(
            "/api/v1/provider-profiles",
            &federation.provider_token,
            &json!({
                "participantId": federation.provider_id,
                "jurisdiction": "FR",
                "regions": [{"code": "fr-par-1", "country": "FR"}],
            }),
        )
        .await;
    assert_eq!(declared.status, 201, "{:?}", declared.body);
    let float_price = server
        .post(
            "/api/v1/offerings",
            &federation.provider_token,
            &offer(json!(["fr-par-1"]), json!({"hourly": 0.05})),
        )
        .await;
    assert_eq!(float_price.status, 400);
    assert_eq!(error_paths(&float_price.body), ["price.hourly"]);
    assert!(
        float_price.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("decimal string"),
        "{:?}",
        float_price.body
    );
    let wrong = server
        .post(
            "/api/v1/offerings",
            &federation.provider_token,
            &offer(
                json!(["de-fra-1"]),
                json!({"hourly": "-1", "perProperty": [{"property": "cpu", "unit": "vCPU", "hourlyPerUnit": "-0.01"}]}),
            ),
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert_eq!(
        error_paths(&wrong.body),
        [
            "regions[0]",
            "price.hourly",
            "price.perProperty[0].hourlyPerUnit"
        ]
    );
    let foreign = server
        .post(
            "/api/v1/offerings",
            &federation.consumer_token,
            &offer(json!(["fr-par-1"]), json!({"hourly": "0.05"})),
        )
        .await;
    assert_eq!(foreign.status, 403);
}

#[tokio::test]
async fn prices_keep_their_exact_digits_and_a_new_price_is_published_as_given() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let nordic = provider(&server, &federation, "Nordic", profile_in("FI", "fi-hel-1")).await;
    let created = offering(
        &server,
        &federation,
        &nordic,
        &["fi-hel-1"],
        json!({
            "hourly": "0.050",
            "perProperty": [{"property": "cpu", "unit": "vCPU", "hourlyPerUnit": "0.0000000001"}],
            "perMetric": [{"metricType": "network.egress", "unit": "GiB", "perUnit": "0.01"}]
        }),
    )
    .await;
    assert_eq!(created["price"]["hourly"], "0.050");
    assert_eq!(
        created["price"]["perProperty"][0]["hourlyPerUnit"],
        "0.0000000001"
    );
    assert_eq!(created["enabled"], true);
    assert!(created.get("capacity").is_none(), "unlimited by default");
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/offerings/{id}");
    let limited = server
        .patch(
            &path,
            &nordic.token,
            &json!({"capacity": 3, "price": {"hourly": "0.07"}}),
        )
        .await;
    assert_eq!(limited.status, 200, "{:?}", limited.body);
    assert_eq!(limited.body["capacity"], 3);
    assert_eq!(
        limited.body["price"],
        json!({"hourly": "0.07", "perProperty": [], "perMetric": []})
    );
    let unlimited = server
        .patch(&path, &nordic.token, &json!({"capacity": null}))
        .await;
    assert_eq!(unlimited.status, 200);
    assert!(unlimited.body.get("capacity").is_none());
    assert_eq!(unlimited.body["price"]["hourly"], "0.07", "left as it was");
    let zero = server
        .patch(&path, &nordic.token, &json!({"capacity": 0}))
        .await;
    assert_eq!(zero.status, 400);
    assert_eq!(error_paths(&zero.body), ["capacity"]);
    let read = server.get(&path, &federation.consumer_token).await;
    assert_eq!(read.body["price"]["hourly"], "0.07");
    let listed = server
        .get(
            &format!("/api/v1/offerings?participantId={}&enabled=true", nordic.id),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(listed.body["totalItems"], 1, "{:?}", listed.body);
}

#[tokio::test]
async fn profiles_and_offerings_hold_each_other_in_place() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let nordic = provider(
        &server,
        &federation,
        "Nordic",
        json!({
            "jurisdiction": "FI",
            "regions": [{"code": "fi-hel-1", "country": "FI"}, {"code": "se-sto-1", "country": "SE"}],
        }),
    )
    .await;
    let created = offering(
        &server,
        &federation,
        &nordic,
        &["fi-hel-1"],
        json!({"hourly": "0.05"}),
    )
    .await;
    let profile_path = format!("/api/v1/provider-profiles/{}", nordic.id);
    let dropped = server
        .patch(
            &profile_path,
            &nordic.token,
            &json!({"regions": [{"code": "se-sto-1", "country": "SE"}]}),
        )
        .await;
    assert_eq!(dropped.status, 400, "{:?}", dropped.body);
    assert_eq!(error_paths(&dropped.body), ["regions"]);
    let kept = server
        .patch(
            &profile_path,
            &nordic.token,
            &json!({"regions": [{"code": "fi-hel-1", "country": "FI"}]}),
        )
        .await;
    assert_eq!(kept.status, 200, "the unoffered region may go");
    assert_eq!(
        server.delete(&profile_path, &nordic.token).await.status,
        409,
        "offerings still name the profile's regions"
    );

    // Once a service is placed on it, the offering is what it is billed by.
    let ordered = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &placed_order(&federation, "web-01", json!({})),
        )
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    server.run_job(&nordic.agent_token, "create").await;
    let offering_path = format!("/api/v1/offerings/{}", created["id"].as_str().unwrap());
    let removed = server.delete(&offering_path, &nordic.token).await;
    assert_eq!(removed.status, 409, "{:?}", removed.body);
    let disabled = server
        .patch(&offering_path, &nordic.token, &json!({"enabled": false}))
        .await;
    assert_eq!(disabled.status, 200);
    assert_eq!(disabled.body["enabled"], false);
}

#[tokio::test]
async fn exchange_endpoints_answer_each_role_by_the_rule_table() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let nordic = provider(&server, &federation, "Nordic", profile_in("FI", "fi-hel-1")).await;
    let created = offering(
        &server,
        &federation,
        &nordic,
        &["fi-hel-1"],
        json!({"hourly": "0.05"}),
    )
    .await;
    let offering_id = created["id"].as_str().unwrap().to_string();
    let policy = server
        .post(
            "/api/v1/placement-policies",
            &federation.consumer_token,
            &json!({"participantId": federation.consumer_id, "name": "eu only", "rules": {"jurisdiction": "eu"}}),
        )
        .await;
    assert_eq!(policy.status, 201, "{:?}", policy.body);
    let policy_id = policy.body["id"].as_str().unwrap().to_string();
    let profile = format!("/api/v1/provider-profiles/{}", nordic.id);
    let offering_path = format!("/api/v1/offerings/{offering_id}");
    let policy_path = format!("/api/v1/placement-policies/{policy_id}");
    let period = "from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z";
    let invoice = format!(
        "/api/v1/invoices?consumerId={}&{period}",
        federation.consumer_id
    );
    let statement = format!("/api/v1/statements?providerId={}&{period}", nordic.id);
    let preview = json!({
        "serviceTypeId": federation.service_type_id,
        "consumerId": federation.consumer_id,
        "properties": federation.order("web-01")["properties"],
    });

    // Expected status per caller: admin, owner, another participant, an agent.
    let rows: Vec<(&str, String, Value, [u16; 4])> = vec![
        (
            "GET",
            "/api/v1/provider-profiles".into(),
            Value::Null,
            [200, 200, 200, 200],
        ),
        ("GET", profile.clone(), Value::Null, [200, 200, 200, 200]),
        ("PATCH", profile.clone(), json!({}), [200, 200, 403, 403]),
        (
            "GET",
            "/api/v1/offerings".into(),
            Value::Null,
            [200, 200, 200, 200],
        ),
        (
            "GET",
            offering_path.clone(),
            Value::Null,
            [200, 200, 200, 200],
        ),
        (
            "PATCH",
            offering_path.clone(),
            json!({}),
            [200, 200, 403, 403],
        ),
        (
            "GET",
            "/api/v1/placement-policies".into(),
            Value::Null,
            [200, 200, 200, 403],
        ),
        (
            "GET",
            policy_path.clone(),
            Value::Null,
            [200, 200, 403, 403],
        ),
        (
            "PATCH",
            policy_path.clone(),
            json!({}),
            [200, 200, 403, 403],
        ),
        (
            "POST",
            "/api/v1/placement/preview".into(),
            preview,
            [200, 200, 403, 403],
        ),
        ("GET", invoice, Value::Null, [200, 200, 403, 403]),
        ("GET", statement, Value::Null, [200, 200, 403, 403]),
        // Deleted once, by its owner, after the others are refused.
        ("DELETE", policy_path, Value::Null, [0, 204, 403, 403]),
    ];
    for (method, path, body, expected) in rows {
        // Profiles and offerings belong to the provider; policies, previews
        // and invoices to the consumer.
        let owner = if path.contains("profiles")
            || path.contains("offerings")
            || path.contains("statements")
        {
            nordic.token.clone()
        } else {
            federation.consumer_token.clone()
        };
        let other = if owner == nordic.token {
            federation.consumer_token.clone()
        } else {
            nordic.token.clone()
        };
        let callers = [
            ADMIN_TOKEN.to_string(),
            owner,
            other,
            federation.agent_token.clone(),
        ];
        let order: &[usize] = if method == "DELETE" {
            &[2, 3, 1]
        } else {
            &[0, 1, 2, 3]
        };
        for &index in order {
            let body = if body.is_null() { None } else { Some(&body) };
            let answer = server
                .call(method, &path, Some(&callers[index]), body)
                .await;
            assert_eq!(
                answer.status, expected[index],
                "{method} {path} as caller {index}: {:?}",
                answer.body
            );
        }
    }
}
