//! What the exchange tests share: providers with a profile and a connected
//! agent, offerings, and an agent driving its jobs to completion.

#![allow(dead_code)]

use federa_testkit::{Federation, TestServer, ADMIN_TOKEN, EXAMPLE_VM_LIFECYCLE};
use serde_json::{json, Value};

/// A provider with its token, one connected agent and a profile.
pub struct Provider {
    pub id: String,
    pub token: String,
    pub agent_id: String,
    pub agent_token: String,
}

/// A participant named `name` with `profile` (its `participantId` is
/// filled in) and one agent of the federation's agent type that reports
/// itself connected.
pub async fn provider(
    server: &TestServer,
    federation: &Federation,
    name: &str,
    mut profile: Value,
) -> Provider {
    let id = server.participant(name).await;
    let token = server.token("participant", Some(&id)).await;
    let agent = server
        .post(
            "/api/v1/agents",
            &token,
            &json!({"name": format!("{name} agent"), "providerId": id, "agentTypeId": federation.agent_type_id}),
        )
        .await;
    assert_eq!(agent.status, 201, "{:?}", agent.body);
    let agent_id = agent.body["id"].as_str().expect("agent id").to_string();
    let agent_token = server.token("agent", Some(&agent_id)).await;
    server.report_connected(&agent_token).await;
    profile["participantId"] = json!(id);
    let created = server
        .post("/api/v1/provider-profiles", &token, &profile)
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    Provider {
        id,
        token,
        agent_id,
        agent_token,
    }
}

/// A profile in one region of `country`, headquartered there.
pub fn profile_in(country: &str, region: &str) -> Value {
    json!({
        "jurisdiction": country,
        "regions": [{"code": region, "country": country}],
    })
}

/// The body of an offering of the federation's service type.
pub fn offering_body(
    federation: &Federation,
    provider: &Provider,
    regions: &[&str],
    price: Value,
) -> Value {
    json!({
        "participantId": provider.id,
        "serviceTypeId": federation.service_type_id,
        "regions": regions,
        "price": price,
    })
}

/// Publishes an offering of the federation's service type and returns it.
pub async fn offering(
    server: &TestServer,
    federation: &Federation,
    provider: &Provider,
    regions: &[&str],
    price: Value,
) -> Value {
    let body = offering_body(federation, provider, regions, price);
    let created = server
        .post("/api/v1/offerings", &provider.token, &body)
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body
}

/// A placement preview of the federation's VM order under `placement`.
pub async fn preview(server: &TestServer, federation: &Federation, placement: Value) -> Value {
    let mut body = federation.order("web-01");
    body["placement"] = placement;
    let answer = server
        .post(
            "/api/v1/placement/preview",
            &federation.consumer_token,
            &body,
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body
}

/// The federation's VM order with a placement request instead of an agent.
pub fn placed_order(federation: &Federation, name: &str, placement: Value) -> Value {
    let mut order = federation.order(name);
    order["placement"] = placement;
    order
}

/// Asks the service's lifecycle for `action` as the consumer.
pub async fn act(server: &TestServer, federation: &Federation, service_id: &str, action: &str) {
    let queued = server
        .post(
            &format!("/api/v1/services/{service_id}/{action}"),
            &federation.consumer_token,
            &json!({}),
        )
        .await;
    assert_eq!(queued.status, 200, "{:?}", queued.body);
}

/// The rules each rejected candidate of a placement answer broke, by
/// participant id.
pub fn rejections(placement: &Value, participant_id: &str) -> Vec<String> {
    placement["considered"]
        .as_array()
        .expect("considered")
        .iter()
        .filter(|verdict| verdict["participantId"] == participant_id)
        .flat_map(|verdict| {
            verdict["rejections"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|rejection| rejection["rule"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

/// The only pending job of `provider`'s agent, which must be `action`.
pub async fn only_pending(server: &TestServer, provider: &Provider, action: &str) -> Value {
    let pending = server
        .get("/api/v1/jobs/pending", &provider.agent_token)
        .await;
    assert_eq!(pending.status, 200, "{:?}", pending.body);
    let jobs = pending.body.as_array().expect("a list of jobs");
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["action"], action, "{jobs:?}");
    jobs[0].clone()
}

/// Claims `provider`'s only pending job, which must be `action`.
pub async fn claim_only(server: &TestServer, provider: &Provider, action: &str) -> Value {
    let job = only_pending(server, provider, action).await;
    let id = job["id"].as_str().expect("job id");
    let claimed = server
        .post(
            &format!("/api/v1/jobs/{id}/claim"),
            &provider.agent_token,
            &json!({}),
        )
        .await;
    assert_eq!(claimed.status, 204, "{:?}", claimed.body);
    job
}

/// Ends a claimed job as `provider`'s agent: `outcome` is `complete` with
/// the agent's report as `body`, or `fail` with its error message.
pub async fn finish(
    server: &TestServer,
    provider: &Provider,
    job: &Value,
    outcome: &str,
    body: &Value,
) {
    let id = job["id"].as_str().expect("job id");
    let finished = server
        .post(
            &format!("/api/v1/jobs/{id}/{outcome}"),
            &provider.agent_token,
            body,
        )
        .await;
    assert_eq!(finished.status, 204, "{:?}", finished.body);
}

/// A federation with one provider in Finland whose offering costs `hourly`
/// EUR a running hour.
pub async fn market(server: &TestServer, hourly: &str) -> (Federation, Provider, String) {
    let federation = Federation::create(server).await;
    let nordic = provider(server, &federation, "Nordic", profile_in("FI", "fi-hel-1")).await;
    let offered = offering(
        server,
        &federation,
        &nordic,
        &["fi-hel-1"],
        json!({"hourly": hourly}),
    )
    .await;
    let offering_id = offered["id"].as_str().unwrap().to_string();
    assert_eq!(offered["version"], 1, "{offered:?}");
    (federation, nordic, offering_id)
}

/// A person of `participant_id` with `role`, through a personal token:
/// its user id and token.
pub async fn person(server: &TestServer, participant_id: &str, role: &str) -> (String, String) {
    let user = server
        .post("/api/v1/users", ADMIN_TOKEN, &json!({"name": role}))
        .await;
    assert_eq!(user.status, 201, "{:?}", user.body);
    let user_id = user.body["id"].as_str().unwrap().to_string();
    let membership = server
        .post(
            "/api/v1/memberships",
            ADMIN_TOKEN,
            &json!({"userId": user_id, "participantId": participant_id, "role": role}),
        )
        .await;
    assert_eq!(membership.status, 201, "{:?}", membership.body);
    let token = server
        .post(
            &format!("/api/v1/users/{user_id}/tokens"),
            ADMIN_TOKEN,
            &json!({"name": role, "participantId": participant_id}),
        )
        .await;
    assert_eq!(token.status, 201, "{:?}", token.body);
    (user_id, token.body["value"].as_str().unwrap().to_string())
}

/// Creates the resource at `path` and returns its id.
pub async fn created_id(server: &TestServer, path: &str, token: &str, body: Value) -> String {
    let created = server.post(path, token, &body).await;
    assert_eq!(created.status, 201, "{path}: {:?}", created.body);
    created.body["id"].as_str().expect("id").to_string()
}

/// A federation whose service type, an edge server, takes its `publicIp`
/// from a service pool, and a provider in Germany with an offering there
/// whose agent draws from a list pool of such addresses, empty yet: the
/// federation, the provider and the pool's id.
pub async fn edge_pool(server: &TestServer) -> (Federation, Provider, String) {
    let service_type = json!({
        "name": "Edge server",
        "propertySchema": {"properties": {
            "name": {"type": "string", "required": true},
            "publicIp": {"type": "string", "generator": {"type": "pool", "config": {"poolType": "public_ip"}}},
        }},
        "lifecycleSchema": serde_json::from_str::<Value>(EXAMPLE_VM_LIFECYCLE).unwrap(),
    });
    let federation = Federation::create_with(server, &service_type).await;
    let rhein = provider(server, &federation, "Rhein", profile_in("DE", "de-fra-1")).await;
    offering(
        server,
        &federation,
        &rhein,
        &["de-fra-1"],
        json!({"hourly": "0.04"}),
    )
    .await;
    let set = created_id(
        server,
        "/api/v1/service-pool-sets",
        &rhein.token,
        json!({"name": "edge", "providerId": rhein.id}),
    )
    .await;
    let attached = server
        .patch(
            &format!("/api/v1/agents/{}", rhein.agent_id),
            &rhein.token,
            &json!({"servicePoolSetId": set}),
        )
        .await;
    assert_eq!(attached.status, 200, "{:?}", attached.body);
    let pool = created_id(
        server,
        "/api/v1/service-pools",
        &rhein.token,
        json!({"name": "addresses", "type": "public_ip", "propertyType": "string",
               "generatorType": "list", "servicePoolSetId": set}),
    )
    .await;
    (federation, rhein, pool)
}

/// Adds `address` to `provider`'s list pool `pool` as `name`.
pub async fn pool_address(
    server: &TestServer,
    provider: &Provider,
    pool: &str,
    name: &str,
    address: &str,
) {
    created_id(
        server,
        "/api/v1/service-pool-values",
        &provider.token,
        json!({"servicePoolId": pool, "name": name, "value": address}),
    )
    .await;
}

/// The federation's Finnish provider at `nordic_hourly` EUR an hour and a
/// second, Spanish one at `iberia_hourly`, each with an offering whose
/// acceptance it requires when `acceptance` says so.
pub async fn two_providers(
    server: &TestServer,
    nordic_hourly: &str,
    iberia_hourly: &str,
    acceptance: bool,
) -> (Federation, Provider, Provider, String) {
    let (f, nordic, nordic_offering) = market(server, nordic_hourly).await;
    let iberia = provider(server, &f, "Iberia", profile_in("ES", "es-mad-1")).await;
    let iberia_offering = offering(
        server,
        &f,
        &iberia,
        &["es-mad-1"],
        json!({"hourly": iberia_hourly}),
    )
    .await;
    let iberia_offering = iberia_offering["id"]
        .as_str()
        .expect("offering id")
        .to_string();
    if acceptance {
        for (offering_id, owner) in [(&nordic_offering, &nordic), (&iberia_offering, &iberia)] {
            let required = server
                .patch(
                    &format!("/api/v1/offerings/{offering_id}"),
                    &owner.token,
                    &json!({"requiresAcceptance": true}),
                )
                .await;
            assert_eq!(required.status, 200, "{:?}", required.body);
        }
    }
    (f, nordic, iberia, iberia_offering)
}
