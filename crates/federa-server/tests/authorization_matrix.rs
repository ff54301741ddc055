//! Every endpoint, called as each kind of caller: the answer is allowed
//! (anything but 401/403), forbidden (403) or unauthenticated (401). A new
//! endpoint without a row here fails the test. People (each member role,
//! through a personal token, belonging to the row's owning participant)
//! are held to [`person_expects`].

use std::collections::BTreeSet;

use federa_testkit::{Federation, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

/// Callers in the order each row is tried: refusals first, so a row that
/// deletes something is refused before the object is gone.
const CALLERS: [&str; 10] = [
    "foreign agent",
    "foreign participant",
    "own agent",
    "viewer",
    "member",
    "approver",
    "manager",
    "person owner",
    "owner",
    "admin",
];

/// The member roles of the people callers, from least to most.
const PEOPLE: [&str; 5] = ["viewer", "member", "approver", "manager", "person owner"];

/// What a person of `role` in the row's owning participant may do: never
/// more than the participant's own credential (the owner column); reading
/// what it reads but its tokens; a member and an approver also order and
/// manage services; a manager also projects, groups and memberships; an
/// owner all of it. Users are the admin's and each person's own, and the
/// matrix's user is none of the people.
fn person_expects(row: &Row, role: &str) -> u8 {
    let owner = row.expect.as_bytes()[1];
    if row.path.starts_with("/users") {
        return b'D';
    }
    if owner != b'A' {
        return owner;
    }
    let reads = row.method == "GET" && !row.path.starts_with("/tokens");
    let orders = matches!(
        (row.method, row.path),
        ("POST", "/services")
            | ("PATCH", "/services/{id}")
            | ("DELETE", "/services/{id}")
            | ("POST", "/services/{id}/{action}")
            | ("POST", "/placement/preview")
            | ("POST", "/orders")
            | ("POST", "/orders/{id}/accept")
            | ("POST", "/orders/{id}/cancel")
    );
    let manages = ["/projects", "/service-groups", "/memberships"]
        .iter()
        .any(|p| row.path.starts_with(p));
    let approves = matches!(
        (row.method, row.path),
        ("POST", "/orders/{id}/approve") | ("POST", "/orders/{id}/reject")
    );
    let allowed = match role {
        "person owner" => true,
        "manager" => reads || orders || manages || approves,
        "approver" => reads || orders || approves,
        "member" => reads || orders,
        _ => reads,
    };
    if allowed {
        b'A'
    } else {
        b'D'
    }
}

struct Row {
    method: &'static str,
    /// The OpenAPI path.
    path: &'static str,
    /// Expected for admin, owner, foreign participant, own agent, foreign
    /// agent: `A` allowed, `D` denied, `H` hidden (404: to this caller
    /// the object does not exist).
    expect: &'static str,
}

const fn row(method: &'static str, path: &'static str, expect: &'static str) -> Row {
    Row {
        method,
        path,
        expect,
    }
}

/// Deletes last, in an order where each still finds what it needs.
const ROWS: &[Row] = &[
    row("GET", "/session", "AAAAA"),
    row("GET", "/participants", "AAAAA"),
    row("POST", "/participants", "ADDDD"),
    row("GET", "/participants/{id}", "AADAD"),
    row("PATCH", "/participants/{id}", "AADDD"),
    row("GET", "/participants/{id}/budget", "AADAD"),
    row("GET", "/tokens", "AAADD"),
    row("POST", "/tokens", "AADDD"),
    row("GET", "/tokens/{id}", "AADDD"),
    row("PATCH", "/tokens/{id}", "AADDD"),
    row("POST", "/tokens/{id}/regenerate", "AADDD"),
    row("GET", "/service-types", "AAAAA"),
    row("POST", "/service-types", "ADDDD"),
    row("GET", "/service-types/{id}", "AAAAA"),
    row("PATCH", "/service-types/{id}", "ADDDD"),
    row("GET", "/agent-types", "AAAAA"),
    row("POST", "/agent-types", "ADDDD"),
    row("GET", "/agent-types/{id}", "AAAAA"),
    row("PATCH", "/agent-types/{id}", "ADDDD"),
    row("GET", "/agents", "AAAAA"),
    row("POST", "/agents", "AADDD"),
    row("GET", "/agents/me", "DDDAA"),
    row("PUT", "/agents/me/status", "DDDAA"),
    row("GET", "/agents/me/token", "DDDAA"),
    row("POST", "/agents/me/token", "DDDAA"),
    row("POST", "/agents/me/observations", "DDDAA"),
    row("GET", "/agents/{id}", "AADAD"),
    row("PATCH", "/agents/{id}", "AADDD"),
    // The matrix's agent type has no install templates: allowed callers get 400/404.
    row("GET", "/agents/{id}/install-command", "AADAD"),
    row("POST", "/agents/{id}/install-command", "AADDD"),
    row("POST", "/agents/{id}/install-command/regenerate", "AADDD"),
    row("GET", "/service-groups", "AAAAA"),
    row("POST", "/service-groups", "AADDD"),
    row("GET", "/service-groups/{id}", "AADAD"),
    row("PATCH", "/service-groups/{id}", "AADDD"),
    // A consumer's projects are its own; a stranger lists none of them.
    row("GET", "/projects", "AAADD"),
    row("POST", "/projects", "AADDD"),
    row("GET", "/projects/{id}", "AADDD"),
    row("PATCH", "/projects/{id}", "AADDD"),
    row("GET", "/projects/{id}/budget", "AADDD"),
    // A consumer's orders; their provider sees one only once it is accepted.
    // Approving and rejecting meet a quoted order (409, or 400 for a
    // missing reason); the first allowed caller accepts it, the rest get 409.
    row("GET", "/orders", "AAADD"),
    row("POST", "/orders", "AADDD"),
    row("GET", "/orders/{id}", "AADDD"),
    row("POST", "/orders/{id}/approve", "AADDD"),
    row("POST", "/orders/{id}/reject", "AADDD"),
    row("POST", "/orders/{id}/accept", "AADDD"),
    row("POST", "/orders/{id}/cancel", "AADDD"),
    // Its provider, no caller of a consumer's row, accepts or declines an
    // order on an offering that requires it (commerce_orders shows that).
    row("POST", "/orders/{id}/confirm", "ADDDD"),
    row("POST", "/orders/{id}/decline", "ADDDD"),
    // Users are the admin's; a participant's own credential manages who
    // belongs to it, and a stranger lists none of its memberships.
    row("GET", "/users", "ADDDD"),
    row("POST", "/users", "ADDDD"),
    row("GET", "/users/{id}", "ADDDD"),
    row("PATCH", "/users/{id}", "ADDDD"),
    row("GET", "/users/{id}/tokens", "ADDDD"),
    row("POST", "/users/{id}/tokens", "ADDDD"),
    row("GET", "/memberships", "AAADD"),
    row("POST", "/memberships", "AADDD"),
    row("GET", "/memberships/{id}", "AADDD"),
    row("PATCH", "/memberships/{id}", "AADDD"),
    row("GET", "/service-option-types", "AAAAA"),
    row("POST", "/service-option-types", "ADDDD"),
    row("GET", "/service-option-types/{id}", "AAAAA"),
    row("PATCH", "/service-option-types/{id}", "ADDDD"),
    row("GET", "/service-options", "AAAAA"),
    row("POST", "/service-options", "AADAD"),
    row("GET", "/service-options/{id}", "AADAD"),
    row("PATCH", "/service-options/{id}", "AADAD"),
    // Agents read their provider's pools and values, never the sets.
    row("GET", "/service-pool-sets", "AAADD"),
    row("POST", "/service-pool-sets", "AADDD"),
    row("GET", "/service-pool-sets/{id}", "AADDD"),
    row("PATCH", "/service-pool-sets/{id}", "AADDD"),
    row("GET", "/service-pools", "AAAAA"),
    row("POST", "/service-pools", "AADDD"),
    row("GET", "/service-pools/{id}", "AADAD"),
    row("PATCH", "/service-pools/{id}", "AADDD"),
    row("GET", "/service-pool-values", "AAAAA"),
    row("POST", "/service-pool-values", "AADDD"),
    row("GET", "/service-pool-values/{id}", "AADAD"),
    // The matrix's config pool is the provider's; agents read their
    // provider's pools, never the values.
    row("GET", "/config-pools", "AAAAA"),
    row("POST", "/config-pools", "AADDD"),
    row("GET", "/config-pools/{id}", "AADAD"),
    row("PATCH", "/config-pools/{id}", "AADDD"),
    row("GET", "/config-pool-values", "AAADD"),
    row("POST", "/config-pool-values", "AADDD"),
    row("GET", "/config-pool-values/{id}", "AADDD"),
    row("GET", "/services", "AAAAA"),
    row("POST", "/services", "AADDD"),
    row("GET", "/services/{id}", "AADAD"),
    row("PATCH", "/services/{id}", "AADDD"),
    row("GET", "/jobs", "AAAAA"),
    row("GET", "/jobs/pending", "DDDAA"),
    row("POST", "/jobs/claim", "DDDAA"),
    row("GET", "/jobs/{id}", "AADAD"),
    row("POST", "/jobs/{id}/claim", "DDDAD"),
    row("POST", "/jobs/{id}/heartbeat", "DDDAD"),
    row("POST", "/jobs/{id}/complete", "DDDAD"),
    row("POST", "/jobs/{id}/fail", "DDDAD"),
    // Another agent's report is refused in the answer, not the request.
    row("POST", "/jobs/finish", "DDDAA"),
    row("POST", "/services/{id}/{action}", "AADDD"),
    row("GET", "/metric-types", "AAAAA"),
    row("POST", "/metric-types", "ADDDD"),
    row("GET", "/metric-types/{id}", "AAAAA"),
    row("PATCH", "/metric-types/{id}", "ADDDD"),
    row("POST", "/metric-entries", "DDDAD"),
    // A batch is judged entry by entry: a foreign agent's entries come back
    // rejected in a 200 answer (the entries test checks that).
    row("POST", "/metric-entries/batch", "DDDAA"),
    // Reading metrics is scoped for people (a stranger sees none) and, as in
    // Fulcrum, refused to agents.
    row("GET", "/metric-entries", "AAADD"),
    row("GET", "/metric-entries/resource-ids", "AAADD"),
    row(
        "GET",
        "/metric-entries/aggregate/{serviceId}/{resourceId}/{typeId}",
        "AAADD",
    ),
    row("GET", "/vault/secrets/{reference}", "DDDAH"),
    row("GET", "/provider-profiles", "AAAAA"),
    row("POST", "/provider-profiles", "AADDD"),
    row("GET", "/provider-profiles/{id}", "AAAAA"),
    row("PATCH", "/provider-profiles/{id}", "AADDD"),
    row("GET", "/offerings", "AAAAA"),
    row("POST", "/offerings", "AADDD"),
    row("GET", "/offerings/{id}", "AAAAA"),
    row("PATCH", "/offerings/{id}", "AADDD"),
    row("GET", "/placement-policies", "AAADD"),
    row("POST", "/placement-policies", "AADDD"),
    row("GET", "/placement-policies/{id}", "AADDD"),
    row("PATCH", "/placement-policies/{id}", "AADDD"),
    // Previewing is open to participants, but only for themselves.
    row("POST", "/placement/preview", "AADDD"),
    // A participant composes only into its own service groups.
    row("GET", "/compositions", "AAADD"),
    row("POST", "/compositions", "AADDD"),
    row("GET", "/compositions/{id}", "AADDD"),
    row("GET", "/switches", "AAADD"),
    row("POST", "/switches", "AADDD"),
    row("GET", "/switches/{id}", "AADDD"),
    row("GET", "/switches/{id}/report", "AADDD"),
    // The owner cancels first; the admin then meets a switch already
    // rolling back (409) and a stage with nothing to erase (409).
    row("POST", "/switches/{id}/cancel", "AADDD"),
    row("POST", "/switches/{id}/confirm-erasure", "AADDD"),
    row("GET", "/invoices", "AADDD"),
    row("GET", "/statements", "AADDD"),
    row("GET", "/events", "AAADD"),
    row("GET", "/events/stream", "AAADD"),
    row("POST", "/events/lease", "ADDDD"),
    row("POST", "/events/ack", "ADDDD"),
    // Endpoints are the provider's; a stranger lists none of them.
    row("GET", "/webhooks", "AAADD"),
    row("POST", "/webhooks", "AADDD"),
    row("GET", "/webhooks/{id}", "AADDD"),
    row("GET", "/webhooks/{id}/deliveries", "AADDD"),
    row("DELETE", "/webhooks/{id}", "AADDD"),
    row("DELETE", "/compositions/{id}", "AADDD"),
    row("DELETE", "/placement-policies/{id}", "AADDD"),
    row("DELETE", "/offerings/{id}", "AADDD"),
    row("DELETE", "/provider-profiles/{id}", "AADDD"),
    row("DELETE", "/metric-types/{id}", "ADDDD"),
    row("DELETE", "/tokens/{id}", "AADDD"),
    row("DELETE", "/services/{id}", "AADDD"),
    row("DELETE", "/service-options/{id}", "AADAD"),
    row("DELETE", "/service-pool-values/{id}", "AADDD"),
    row("DELETE", "/config-pool-values/{id}", "AADDD"),
    row("DELETE", "/config-pools/{id}", "AADDD"),
    row("DELETE", "/service-pools/{id}", "AADDD"),
    row("DELETE", "/service-pool-sets/{id}", "AADDD"),
    row("DELETE", "/service-option-types/{id}", "ADDDD"),
    row("DELETE", "/service-groups/{id}", "AADDD"),
    row("DELETE", "/projects/{id}", "AADDD"),
    row("DELETE", "/memberships/{id}", "AADDD"),
    row("DELETE", "/users/{id}/tokens/{tokenId}", "ADDDD"),
    row("DELETE", "/users/{id}", "ADDDD"),
    row("DELETE", "/agents/{id}/install-command", "AADDD"),
    row("DELETE", "/agents/{id}", "AADDD"),
    row("DELETE", "/agent-types/{id}", "ADDDD"),
    row("DELETE", "/service-types/{id}", "ADDDD"),
    row("DELETE", "/participants/{id}", "ADDDD"),
];

/// Endpoints whose credential is a secret in the path, not a bearer. No
/// bearer opens them: with an unknown path secret every caller, anonymous
/// or not, gets 404. `agents_install` covers the real secret.
const PATH_CREDENTIAL: &[(&str, &str)] = &[
    ("GET", "/agents/install/{token}/config"),
    ("POST", "/agents/install/{token}/exchange"),
];

/// A loopback port nothing listens on: the matrix's endpoints are only
/// subscribed, never reached.
const UNREACHABLE_HOOK: &str = "http://127.0.0.1:9/hook";

struct World {
    federation: Federation,
    foreign_token: String,
    foreign_agent_token: String,
    token_id: String,
    option_type_id: String,
    option_id: String,
    pool_set_id: String,
    pool_id: String,
    pool_value_id: String,
    config_pool_id: String,
    config_value_id: String,
    service_id: String,
    job_id: String,
    metric_type_id: String,
    metric_type_name: String,
    offering_id: String,
    policy_id: String,
    composition_id: String,
    switch: Switching,
    secret_reference: String,
    webhook_id: String,
    project_id: String,
    order_id: String,
    user_id: String,
    spare_user_id: String,
    membership_id: String,
    personal_token_id: String,
    /// Personal tokens by member role, of the consumer's people and of the provider's.
    consumer_people: Vec<(String, String)>,
    provider_people: Vec<(String, String)>,
}

/// A user with a personal token for each member role in `participant_id`.
async fn people_of(server: &TestServer, participant_id: &str) -> Vec<(String, String)> {
    let mut people = Vec::new();
    for role in PEOPLE {
        let user = server
            .post("/api/v1/users", ADMIN_TOKEN, &json!({"name": role}))
            .await;
        assert_eq!(user.status, 201, "{:?}", user.body);
        let member_role = role.strip_prefix("person ").unwrap_or(role);
        let membership = server
            .post(
                "/api/v1/memberships",
                ADMIN_TOKEN,
                &json!({"userId": id(&user.body), "participantId": participant_id, "role": member_role}),
            )
            .await;
        assert_eq!(membership.status, 201, "{:?}", membership.body);
        let token = server
            .post(
                &format!("/api/v1/users/{}/tokens", id(&user.body)),
                ADMIN_TOKEN,
                &json!({"name": role, "participantId": participant_id}),
            )
            .await;
        assert_eq!(token.status, 201, "{:?}", token.body);
        people.push((
            role.to_string(),
            token.body["value"].as_str().unwrap().to_string(),
        ));
    }
    people
}

impl World {
    async fn build(server: &TestServer) -> World {
        let federation = Federation::create(server).await;
        let foreign = server.participant("Foreign").await;
        let foreign_token = server.token("participant", Some(&foreign)).await;
        let foreign_agent = server
            .post(
                "/api/v1/agents",
                ADMIN_TOKEN,
                &json!({"name": "foreign", "providerId": foreign, "agentTypeId": federation.agent_type_id}),
            )
            .await;
        let foreign_agent_token = server
            .token("agent", Some(foreign_agent.body["id"].as_str().unwrap()))
            .await;
        let token = server
            .post(
                "/api/v1/tokens",
                ADMIN_TOKEN,
                &json!({"name": "spare", "role": "participant", "scopeId": federation.provider_id}),
            )
            .await;
        let option_type = server
            .post(
                "/api/v1/service-option-types",
                ADMIN_TOKEN,
                &json!({"name": "OS", "type": "os"}),
            )
            .await;
        let option = server
            .post(
                "/api/v1/service-options",
                ADMIN_TOKEN,
                &json!({"providerId": federation.provider_id, "serviceOptionTypeId": option_type.body["id"], "name": "debian", "value": "debian"}),
            )
            .await;
        let pool_set = server
            .post(
                "/api/v1/service-pool-sets",
                &federation.provider_token,
                &json!({"name": "pools", "providerId": federation.provider_id}),
            )
            .await;
        let pool = server
            .post(
                "/api/v1/service-pools",
                &federation.provider_token,
                &json!({"name": "vlans", "type": "vlan", "propertyType": "integer", "generatorType": "list", "servicePoolSetId": pool_set.body["id"]}),
            )
            .await;
        let pool_value = server
            .post(
                "/api/v1/service-pool-values",
                &federation.provider_token,
                &json!({"servicePoolId": pool.body["id"], "name": "vlan 7", "value": 7}),
            )
            .await;
        let config_pool = server
            .post(
                "/api/v1/config-pools",
                &federation.provider_token,
                &json!({"name": "addresses", "type": "public_ip", "propertyType": "string", "generatorType": "list", "participantId": federation.provider_id}),
            )
            .await;
        let config_value = server
            .post(
                "/api/v1/config-pool-values",
                &federation.provider_token,
                &json!({"configPoolId": config_pool.body["id"], "name": "ip 1", "value": "192.0.2.1"}),
            )
            .await;
        let service_id = federation.order_service(server, "vm-1").await;
        let pending = server
            .get("/api/v1/jobs/pending", &federation.agent_token)
            .await;
        let metric_type_name = format!("cpu.{}", uuid::Uuid::now_v7().simple());
        let metric_type = server
            .post(
                "/api/v1/metric-types",
                ADMIN_TOKEN,
                &json!({"name": metric_type_name, "entityType": "Service"}),
            )
            .await;
        let profile = server
            .post(
                "/api/v1/provider-profiles",
                &federation.provider_token,
                &json!({"participantId": federation.provider_id, "jurisdiction": "FI", "regions": [{"code": "fi-hel-1", "country": "FI"}]}),
            )
            .await;
        assert_eq!(profile.status, 201, "{:?}", profile.body);
        let offering = server
            .post(
                "/api/v1/offerings",
                &federation.provider_token,
                &json!({"participantId": federation.provider_id, "serviceTypeId": federation.service_type_id, "regions": ["fi-hel-1"], "price": {"hourly": "0.10"}}),
            )
            .await;
        let policy = server
            .post(
                "/api/v1/placement-policies",
                &federation.consumer_token,
                &json!({"participantId": federation.consumer_id, "name": "eu", "rules": {"jurisdiction": "eu"}}),
            )
            .await;
        let composition = server
            .post(
                "/api/v1/compositions",
                &federation.consumer_token,
                &composition_body(&federation),
            )
            .await;
        assert_eq!(composition.status, 201, "{:?}", composition.body);
        let mut secret_order = federation.order("vm-secret");
        secret_order["properties"]["rootPassword"] = json!("matrix-secret-value");
        let secret_service = server
            .post(
                "/api/v1/services",
                &federation.consumer_token,
                &secret_order,
            )
            .await;
        let secret_reference = secret_service.body["properties"]["rootPassword"]
            .as_str()
            .and_then(|value| value.strip_prefix("vault://"))
            .unwrap_or_else(|| panic!("a sealed secret: {:?}", secret_service.body))
            .to_string();
        let webhook = server
            .post(
                "/api/v1/webhooks",
                &federation.provider_token,
                &json!({"url": UNREACHABLE_HOOK}),
            )
            .await;
        assert_eq!(webhook.status, 201, "{:?}", webhook.body);
        let project = server
            .post(
                "/api/v1/projects",
                &federation.consumer_token,
                &json!({"consumerId": federation.consumer_id, "name": "matrix"}),
            )
            .await;
        assert_eq!(project.status, 201, "{:?}", project.body);
        let switch = Switching::build(server, &federation, &id(&offering.body)).await;
        let order = server
            .post(
                "/api/v1/orders",
                &federation.consumer_token,
                &order_body(&federation),
            )
            .await;
        assert_eq!(order.status, 201, "{:?}", order.body);
        let user = server
            .post("/api/v1/users", ADMIN_TOKEN, &json!({"name": "matrix"}))
            .await;
        assert_eq!(user.status, 201, "{:?}", user.body);
        let spare_user = server
            .post("/api/v1/users", ADMIN_TOKEN, &json!({"name": "spare"}))
            .await;
        let membership = server
            .post(
                "/api/v1/memberships",
                ADMIN_TOKEN,
                &json!({"userId": id(&user.body), "participantId": federation.provider_id, "role": "viewer"}),
            )
            .await;
        assert_eq!(membership.status, 201, "{:?}", membership.body);
        let personal_token = server
            .post(
                &format!("/api/v1/users/{}/tokens", id(&user.body)),
                ADMIN_TOKEN,
                &json!({"name": "matrix", "participantId": federation.provider_id}),
            )
            .await;
        assert_eq!(personal_token.status, 201, "{:?}", personal_token.body);
        let consumer_people = people_of(server, &federation.consumer_id).await;
        let provider_people = people_of(server, &federation.provider_id).await;
        World {
            user_id: id(&user.body),
            spare_user_id: id(&spare_user.body),
            membership_id: id(&membership.body),
            personal_token_id: id(&personal_token.body),
            consumer_people,
            provider_people,
            project_id: id(&project.body),
            order_id: id(&order.body),
            switch,
            webhook_id: id(&webhook.body),
            metric_type_id: id(&metric_type.body),
            metric_type_name,
            offering_id: id(&offering.body),
            policy_id: id(&policy.body),
            composition_id: id(&composition.body),
            secret_reference,
            foreign_token,
            foreign_agent_token,
            token_id: token.body["id"].as_str().unwrap().to_string(),
            option_type_id: option_type.body["id"].as_str().unwrap().to_string(),
            option_id: option.body["id"].as_str().unwrap().to_string(),
            pool_set_id: id(&pool_set.body),
            pool_id: id(&pool.body),
            pool_value_id: id(&pool_value.body),
            config_pool_id: id(&config_pool.body),
            config_value_id: id(&config_value.body),
            service_id,
            job_id: pending.body[0]["id"].as_str().unwrap().to_string(),
            federation,
        }
    }

    /// The token of a caller for a row; the owner is the participant the
    /// row's object belongs to.
    fn token(&self, caller: &str, path: &str) -> String {
        let f = &self.federation;
        let consumer_owned = [
            "/services",
            "/service-groups",
            "/jobs",
            "/placement",
            "/compositions",
            "/switches",
            "/invoices",
            "/projects",
            "/orders",
        ]
        .iter()
        .any(|p| path.starts_with(p));
        let people = if consumer_owned {
            &self.consumer_people
        } else {
            &self.provider_people
        };
        if let Some((_, token)) = people.iter().find(|(role, _)| role == caller) {
            return token.clone();
        }
        match caller {
            "admin" => ADMIN_TOKEN.to_string(),
            "owner" if consumer_owned => f.consumer_token.clone(),
            "owner" => f.provider_token.clone(),
            "foreign participant" => self.foreign_token.clone(),
            "own agent" => f.agent_token.clone(),
            _ => self.foreign_agent_token.clone(),
        }
    }

    /// The concrete path and a body for a row.
    fn request(&self, row: &Row) -> (String, Option<Value>) {
        let f = &self.federation;
        let id = match row.path.split('/').nth(1).unwrap_or("") {
            "participants" => f.provider_id.clone(),
            "tokens" => self.token_id.clone(),
            "service-types" => f.service_type_id.clone(),
            "agent-types" => f.agent_type_id.clone(),
            "agents" => f.agent_id.clone(),
            "service-groups" => f.group_id.clone(),
            "service-option-types" => self.option_type_id.clone(),
            "service-options" => self.option_id.clone(),
            "service-pool-sets" => self.pool_set_id.clone(),
            "service-pools" => self.pool_id.clone(),
            "service-pool-values" => self.pool_value_id.clone(),
            "config-pools" => self.config_pool_id.clone(),
            "config-pool-values" => self.config_value_id.clone(),
            "services" => self.service_id.clone(),
            "jobs" => self.job_id.clone(),
            "metric-types" => self.metric_type_id.clone(),
            "provider-profiles" => f.provider_id.clone(),
            "offerings" => self.offering_id.clone(),
            "placement-policies" => self.policy_id.clone(),
            "compositions" => self.composition_id.clone(),
            "switches" => self.switch.id.clone(),
            "webhooks" => self.webhook_id.clone(),
            "projects" => self.project_id.clone(),
            "orders" => self.order_id.clone(),
            "users" => self.user_id.clone(),
            "memberships" => self.membership_id.clone(),
            _ => String::new(),
        };
        let mut path = format!(
            "/api/v1{}",
            row.path
                .replace("{id}", &id)
                .replace("{action}", "start")
                .replace("{serviceId}", &self.service_id)
                .replace("{resourceId}", "cpu-1")
                .replace("{typeId}", &self.metric_type_id)
                .replace("{reference}", &self.secret_reference)
                .replace("{tokenId}", &self.personal_token_id)
        );
        let period = "from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z";
        match row.path {
            "/invoices" => path += &format!("?consumerId={}&{period}", f.consumer_id),
            "/statements" => path += &format!("?providerId={}&{period}", f.provider_id),
            _ => {}
        }
        let entry = json!({"serviceId": self.service_id, "resourceId": "cpu-1", "typeName": self.metric_type_name, "value": 1.5});
        let body = match (row.method, row.path) {
            ("POST", "/participants") => json!({"name": "New", "status": "Enabled"}),
            ("POST", "/tokens") => {
                json!({"name": "t", "role": "participant", "scopeId": f.provider_id})
            }
            ("POST", "/service-types") => json!({"name": format!("T {}", uuid::Uuid::now_v7())}),
            ("POST", "/agent-types") => {
                json!({"name": format!("A {}", uuid::Uuid::now_v7()), "configurationSchema": {"properties": {}}})
            }
            ("POST", "/agents") => {
                json!({"name": "a", "providerId": f.provider_id, "agentTypeId": f.agent_type_id})
            }
            ("PUT", "/agents/me/status") => json!({"status": "Connected"}),
            ("POST", "/agents/me/observations") => json!({"observations": []}),
            ("POST", "/service-groups") => json!({"name": "g", "consumerId": f.consumer_id}),
            ("POST", "/projects") => {
                json!({"consumerId": f.consumer_id, "name": format!("p {}", uuid::Uuid::now_v7())})
            }
            ("POST", "/service-option-types") => {
                json!({"name": "o", "type": format!("t{}", uuid::Uuid::now_v7().simple())})
            }
            ("POST", "/service-options") => {
                json!({"providerId": f.provider_id, "serviceOptionTypeId": self.option_type_id, "name": "n", "value": "v"})
            }
            ("POST", "/service-pool-sets") => json!({"name": "s", "providerId": f.provider_id}),
            ("POST", "/service-pools") => {
                json!({"name": "p", "type": format!("t{}", uuid::Uuid::now_v7().simple()), "propertyType": "string", "generatorType": "list", "servicePoolSetId": self.pool_set_id})
            }
            ("POST", "/service-pool-values") => {
                json!({"servicePoolId": self.pool_id, "name": "v", "value": 8})
            }
            ("POST", "/config-pools") => {
                json!({"name": "p", "type": format!("t{}", uuid::Uuid::now_v7().simple()), "propertyType": "string", "generatorType": "list", "participantId": f.provider_id})
            }
            ("POST", "/config-pool-values") => {
                json!({"configPoolId": self.config_pool_id, "name": "v", "value": "192.0.2.8"})
            }
            ("POST", "/services") => f.order(&format!("vm-{}", uuid::Uuid::now_v7().simple())),
            ("POST", "/jobs/{id}/fail") => json!({"errorMessage": "refused"}),
            ("POST", "/jobs/finish") => {
                json!({"jobs": [{"jobId": self.job_id, "outcome": "failed", "errorMessage": "refused"}]})
            }
            ("POST", "/metric-types") => {
                json!({"name": format!("m.{}", uuid::Uuid::now_v7().simple()), "entityType": "Service"})
            }
            ("POST", "/metric-entries") => entry,
            ("POST", "/metric-entries/batch") => json!({"entries": [entry]}),
            ("POST", "/provider-profiles") => {
                json!({"participantId": f.provider_id, "jurisdiction": "FI", "regions": [{"code": "fi-hel-1", "country": "FI"}]})
            }
            ("POST", "/offerings") => {
                json!({"participantId": f.provider_id, "serviceTypeId": f.service_type_id, "regions": ["fi-hel-1"], "price": {"hourly": "0.20"}})
            }
            ("POST", "/placement-policies") => {
                json!({"participantId": f.consumer_id, "name": "p", "rules": {}})
            }
            ("POST", "/placement/preview") => {
                json!({"serviceTypeId": f.service_type_id, "consumerId": f.consumer_id, "properties": f.order("x")["properties"]})
            }
            ("POST", "/compositions") => composition_body(f),
            ("POST", "/orders") => order_body(f),
            ("POST", "/switches") => {
                json!({"serviceId": self.switch.service_id, "target": {"countries": ["DE"]}})
            }
            ("POST", "/events/lease") => json!({"subscriberId": "matrix", "instanceId": "one"}),
            ("POST", "/events/ack") => {
                json!({"subscriberId": "matrix", "instanceId": "one", "lastEventSequenceProcessed": 1})
            }
            ("POST", "/webhooks") => {
                json!({"url": UNREACHABLE_HOOK, "participantId": f.provider_id})
            }
            ("POST", "/users") => json!({"name": "u"}),
            ("PATCH", "/users/{id}") => json!({"name": "renamed"}),
            ("POST", "/users/{id}/tokens") => {
                json!({"name": "t", "participantId": f.provider_id})
            }
            ("POST", "/memberships") => {
                json!({"userId": self.spare_user_id, "participantId": f.provider_id, "role": "viewer"})
            }
            ("PATCH", "/memberships/{id}") => json!({"role": "viewer"}),
            (_, _) => json!({}),
        };
        (
            path,
            (row.method != "GET" && row.method != "DELETE").then_some(body),
        )
    }
}

/// A switch under way: a service placed on the federation's provider, in
/// its own group, running, and switching to a second provider in Germany.
struct Switching {
    id: String,
    service_id: String,
}

impl Switching {
    async fn build(server: &TestServer, f: &Federation, offering_id: &str) -> Switching {
        let terms =
            json!({"exitTerms": {"exportable": [{"name": "data", "format": "application/json"}]}});
        let changed = server
            .patch(
                &format!("/api/v1/offerings/{offering_id}"),
                &f.provider_token,
                &terms,
            )
            .await;
        assert_eq!(changed.status, 200, "{:?}", changed.body);
        let second = server.participant("Second").await;
        server.provider_profile(&second, "DE", "de-ber-1").await;
        let offering = server
            .post(
                "/api/v1/offerings",
                ADMIN_TOKEN,
                &json!({"participantId": second, "serviceTypeId": f.service_type_id, "regions": ["de-ber-1"], "price": {"hourly": "0.10"}, "exitTerms": {"importable": ["application/json"]}}),
            )
            .await;
        assert_eq!(offering.status, 201, "{:?}", offering.body);
        let agent = server
            .post(
                "/api/v1/agents",
                ADMIN_TOKEN,
                &json!({"name": "second", "providerId": second, "agentTypeId": f.agent_type_id}),
            )
            .await;
        let second_agent_token = server.token("agent", Some(&id(&agent.body))).await;
        server.report_connected(&second_agent_token).await;
        server.report_connected(&f.agent_token).await;
        let mut order = f.order("switched");
        order["groupId"] = json!(f.group(server, "switching").await);
        order["placement"] = json!({"countries": ["FI"]});
        let ordered = server
            .post("/api/v1/services", &f.consumer_token, &order)
            .await;
        assert_eq!(ordered.status, 201, "{:?}", ordered.body);
        let service_id = id(&ordered.body);
        let jobs = server
            .get(&format!("/api/v1/jobs?serviceId={service_id}"), ADMIN_TOKEN)
            .await;
        let job_id = jobs.body["items"][0]["id"]
            .as_str()
            .expect("its create job")
            .to_string();
        let claimed = server
            .post(
                &format!("/api/v1/jobs/{job_id}/claim"),
                &f.agent_token,
                &json!({}),
            )
            .await;
        assert_eq!(claimed.status, 204, "{:?}", claimed.body);
        let completed = server
            .post(
                &format!("/api/v1/jobs/{job_id}/complete"),
                &f.agent_token,
                &json!({"agentInstanceId": "switched-1"}),
            )
            .await;
        assert_eq!(completed.status, 204, "{:?}", completed.body);
        let switch = server
            .post(
                "/api/v1/switches",
                &f.consumer_token,
                &json!({"serviceId": service_id, "target": {"countries": ["DE"]}}),
            )
            .await;
        assert_eq!(switch.status, 201, "{:?}", switch.body);
        Switching {
            id: id(&switch.body),
            service_id,
        }
    }
}

/// An order of a VM in the consumer's group, placed in Finland.
fn order_body(f: &Federation) -> Value {
    let mut body = f.order(&format!("ordered-{}", uuid::Uuid::now_v7().simple()));
    body["placement"] = json!({"countries": ["FI"]});
    body
}

/// A one-member composition in the consumer's group.
fn composition_body(f: &Federation) -> Value {
    let mut properties = f.order("db-1")["properties"].clone();
    properties["name"] = json!("db-1");
    json!({
        "groupId": f.group_id,
        "name": "stack",
        "components": [{"key": "db", "name": "db-1", "serviceTypeId": f.service_type_id, "properties": properties}],
    })
}

fn id(body: &Value) -> String {
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {body:?}"))
        .to_string()
}

/// Status only: a stream's body never ends.
async fn status(
    server: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> u16 {
    if path.ends_with("/stream") {
        let mut request = server.http.get(server.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        return request.send().await.unwrap().status().as_u16();
    }
    server.call(method, path, token, body).await.status
}

#[tokio::test]
async fn every_endpoint_answers_each_caller_as_the_rules_say() {
    let server = TestServer::start().await;
    let openapi = server
        .call("GET", "/api/v1/openapi.json", None, None)
        .await
        .body;
    let documented: BTreeSet<(String, String)> = openapi["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, methods)| {
            methods
                .as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let covered: BTreeSet<(String, String)> = ROWS
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .chain(
            PATH_CREDENTIAL
                .iter()
                .map(|(m, p)| (m.to_string(), p.to_string())),
        )
        .collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "endpoints without a row in the matrix: {missing:?}"
    );
    let stale: Vec<_> = covered.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "rows for endpoints that do not exist: {stale:?}"
    );

    let world = World::build(&server).await;
    let mut failures = Vec::new();
    for (method, template) in PATH_CREDENTIAL {
        let path = format!(
            "/api/v1{}",
            template.replace("{token}", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        );
        let mut tokens = vec![None];
        tokens.extend(CALLERS.iter().map(|c| Some(world.token(c, template))));
        for token in tokens {
            let got = status(&server, method, &path, token.as_deref(), None).await;
            if got != 404 {
                failures.push(format!("{method} {template}: {got}, expected 404"));
            }
        }
    }
    for row in ROWS {
        let (path, body) = world.request(row);
        let anonymous = status(&server, row.method, &path, None, body.as_ref()).await;
        if anonymous != 401 {
            failures.push(format!(
                "{} {} anonymous: {anonymous}, expected 401",
                row.method, row.path
            ));
        }
        for caller in CALLERS {
            let expected = match [
                "admin",
                "owner",
                "foreign participant",
                "own agent",
                "foreign agent",
            ]
            .iter()
            .position(|c| *c == caller)
            {
                Some(index) => row.expect.as_bytes()[index],
                None => person_expects(row, caller),
            };
            let token = world.token(caller, row.path);
            let got = status(&server, row.method, &path, Some(&token), body.as_ref()).await;
            let ok = match expected {
                b'A' => got != 401 && got != 403 && got < 500,
                b'H' => got == 404,
                _ => got == 403,
            };
            if !ok {
                failures.push(format!(
                    "{} {} as {caller}: {got}, expected {}",
                    row.method,
                    row.path,
                    match expected {
                        b'A' => "allowed",
                        b'H' => "404",
                        _ => "403",
                    }
                ));
            }
        }
    }
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        "authorization matrix",
        &format!(
            "{} endpoints × {} callers = {} cells checked, {} mismatches",
            ROWS.len(),
            CALLERS.len() + 1,
            ROWS.len() * (CALLERS.len() + 1),
            failures.len()
        ),
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    server.stop().await;
}
