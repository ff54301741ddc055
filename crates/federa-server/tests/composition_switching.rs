//! Switching a whole composition over HTTP: a web server and its database
//! on two Finnish providers move to two German ones, each member's target
//! kept on another provider than the other's as the composition asks; the
//! members cut over together only once both imports match their exports,
//! and one member's failure or cancellation rolls back both, leaving the
//! composition on its sources.

mod exchange_kit;

use exchange_kit::{claim_only, finish, offering, profile_in, provider, Provider};
use federa_testkit::{error_paths, Federation, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

/// Four providers, two in Finland and two in Germany, every offering
/// letting the service's data go and come as JSON; and a ready
/// composition of a web server and a database on the Finnish two.
struct World {
    server: TestServer,
    federation: Federation,
    finnish: [Provider; 2],
    german: [Provider; 2],
    composition_id: String,
}

impl World {
    async fn start() -> World {
        let server = TestServer::start().await;
        let federation = Federation::create(&server).await;
        let mut providers = Vec::new();
        for (name, country, region) in [
            ("Helsinki Cloud", "FI", "fi-hel-1"),
            ("Tampere Cloud", "FI", "fi-tmp-1"),
            ("Berlin Cloud", "DE", "de-ber-1"),
            ("Munich Cloud", "DE", "de-muc-1"),
        ] {
            let provider = provider(&server, &federation, name, profile_in(country, region)).await;
            let published = offering(
                &server,
                &federation,
                &provider,
                &[region],
                json!({"hourly": "0.10"}),
            )
            .await;
            let id = published["id"].as_str().expect("offering id");
            let terms = json!({"exitTerms": {
                "transitionalPeriodDays": 30,
                "exportable": [{"name": "data", "format": "application/json"}],
                "importable": ["application/json"],
            }});
            let changed = server
                .patch(&format!("/api/v1/offerings/{id}"), &provider.token, &terms)
                .await;
            assert_eq!(changed.status, 200, "{:?}", changed.body);
            providers.push(provider);
        }
        let german = providers.split_off(2);
        let properties = federation.order("member")["properties"].clone();
        let component = |key: &str| {
            json!({
                "key": key,
                "name": format!("shop-{key}"),
                "serviceTypeId": federation.service_type_id,
                "properties": properties,
                "placement": {"countries": ["FI"]},
            })
        };
        let created = server
            .post(
                "/api/v1/compositions",
                &federation.consumer_token,
                &json!({
                    "groupId": federation.group_id,
                    "name": "shop",
                    "components": [component("web"), component("db")],
                    "relations": [{"components": ["web", "db"], "rule": "differentProviders"}],
                }),
            )
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let placed_on: Vec<&Value> = created.body["members"]
            .as_array()
            .expect("members")
            .iter()
            .map(|member| &member["providerId"])
            .collect();
        assert_ne!(
            placed_on[0], placed_on[1],
            "members ordered in one round still keep their relation: {:?}",
            created.body
        );
        let world = World {
            server,
            composition_id: created.body["id"].as_str().expect("id").to_string(),
            federation,
            finnish: into_pair(providers),
            german: into_pair(german),
        };
        for (index, provider) in world.finnish.iter().enumerate() {
            let instance = json!({"agentInstanceId": format!("fi-{index}")});
            world.run(provider, "create", instance).await;
        }
        assert_eq!(world.composition().await["status"], "Ready");
        world
    }

    async fn composition(&self) -> Value {
        let path = format!("/api/v1/compositions/{}", self.composition_id);
        let read = self
            .server
            .get(&path, &self.federation.consumer_token)
            .await;
        assert_eq!(read.status, 200, "{:?}", read.body);
        read.body
    }

    /// The service each member runs as, by key.
    async fn member_services(&self) -> Vec<(String, String)> {
        let composition = self.composition().await;
        let mut members: Vec<(String, String)> = composition["members"]
            .as_array()
            .expect("members")
            .iter()
            .map(|member| {
                (
                    member["key"].as_str().unwrap_or_default().to_string(),
                    member["serviceId"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        members.sort();
        members
    }

    async fn ask(&self, body: Value) -> federa_testkit::Response {
        self.server
            .post("/api/v1/switches", &self.federation.consumer_token, &body)
            .await
    }

    /// Switches the composition to Germany; the composition switch.
    async fn switch_to_germany(&self) -> Value {
        let created = self
            .ask(json!({"compositionId": self.composition_id, "target": {"countries": ["DE"]}}))
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        created.body
    }

    async fn switch(&self, id: &str) -> Value {
        let read = self
            .server
            .get(
                &format!("/api/v1/switches/{id}"),
                &self.federation.consumer_token,
            )
            .await;
        assert_eq!(read.status, 200, "{:?}", read.body);
        read.body
    }

    async fn stages(&self, switches: &[Value]) -> Vec<String> {
        let mut stages = Vec::new();
        for switch in switches {
            let id = switch["id"].as_str().expect("switch id");
            stages.push(self.switch(id).await["stage"].as_str().unwrap().to_string());
        }
        stages
    }

    /// The provider (of all four) a switch's target went to.
    fn provider_of(&self, id: &str) -> &Provider {
        self.german
            .iter()
            .chain(&self.finnish)
            .find(|provider| provider.id == id)
            .unwrap_or_else(|| panic!("no provider {id}"))
    }

    /// Runs `provider`'s pending `action` job to completion with `report`.
    async fn run(&self, provider: &Provider, action: &str, report: Value) {
        let job = claim_only(&self.server, provider, action).await;
        finish(&self.server, provider, &job, "complete", &report).await;
    }

    /// Runs `provider`'s pending `action` job and fails it.
    async fn fail(&self, provider: &Provider, action: &str, message: &str) {
        let job = claim_only(&self.server, provider, action).await;
        let failure = json!({"errorMessage": message});
        finish(&self.server, provider, &job, "fail", &failure).await;
    }

    /// Takes one member's switch through its target's creation and its
    /// export, which writes `sha256`.
    async fn export(&self, switch: &Value, sha256: &str) {
        let target = self.provider_of(switch["targetProviderId"].as_str().unwrap());
        let source = self.provider_of(switch["sourceProviderId"].as_str().unwrap());
        self.run(target, "create", json!({"agentInstanceId": "de"}))
            .await;
        let exported = json!({"exported": {
            "url": "https://127.0.0.1:7443/exports/1",
            "certificateSha256": "c".repeat(64),
            "sha256": sha256,
            "sizeBytes": 4096,
            "format": "application/json",
            "expiresAt": "2030-01-01T00:00:00Z",
        }});
        self.run(source, "export", exported).await;
    }

    /// The member switch's target imports what it was sent.
    async fn import(&self, switch: &Value, sha256: &str) {
        let target = self.provider_of(switch["targetProviderId"].as_str().unwrap());
        let imported = json!({"imported": {"sha256": sha256, "sizeBytes": 4096}});
        self.run(target, "import", imported).await;
    }
}

fn into_pair(mut providers: Vec<Provider>) -> [Provider; 2] {
    let second = providers.pop().expect("two providers");
    let first = providers.pop().expect("two providers");
    [first, second]
}

fn switches(created: &Value) -> Vec<Value> {
    created["switches"].as_array().expect("switches").clone()
}

#[tokio::test]
async fn a_composition_moves_to_another_country_and_its_members_cut_over_together() {
    let world = World::start().await;
    let before = world.member_services().await;
    let created = world.switch_to_germany().await;
    assert_eq!(created["compositionId"], world.composition_id.as_str());
    let members = switches(&created);
    assert_eq!(members.len(), 2, "{created:?}");
    let keys: Vec<&str> = members
        .iter()
        .map(|switch| switch["memberKey"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["web", "db"], "in the composition's order");
    let german: Vec<&str> = world.german.iter().map(|p| p.id.as_str()).collect();
    let mut targets: Vec<&str> = members
        .iter()
        .map(|switch| switch["targetProviderId"].as_str().unwrap())
        .collect();
    targets.sort();
    let mut expected = german.clone();
    expected.sort();
    assert_eq!(
        targets, expected,
        "both to Germany, on two providers as the composition's relation asks"
    );
    for switch in &members {
        assert_eq!(switch["compositionSwitchId"], created["id"]);
        assert_eq!(switch["compositionId"], world.composition_id.as_str());
        assert_eq!(switch["stage"], "ProvisioningTarget");
        assert_eq!(switch["plan"]["targetCountry"], "DE");
    }

    // A second request while this one runs is refused, naming the member.
    let again = world
        .ask(json!({"compositionId": world.composition_id, "target": {"countries": ["DE"]}}))
        .await;
    assert_eq!(again.status, 409, "{:?}", again.body);

    for switch in &members {
        world.export(switch, &"a".repeat(64)).await;
    }
    world.import(&members[0], &"a".repeat(64)).await;
    assert_eq!(
        world.stages(&members).await,
        ["Verified", "Importing"],
        "the first verified member waits for the other"
    );
    assert_eq!(
        world.member_services().await,
        before,
        "nothing is cut over yet"
    );

    world.import(&members[1], &"a".repeat(64)).await;
    assert_eq!(
        world.stages(&members).await,
        ["Transitional", "Transitional"]
    );
    let mut after: Vec<(String, String)> = members
        .iter()
        .map(|switch| {
            (
                switch["memberKey"].as_str().unwrap().to_string(),
                switch["targetServiceId"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    after.sort();
    assert_eq!(
        world.member_services().await,
        after,
        "each member now runs as its target"
    );
    let composition = world.composition().await;
    for member in composition["members"].as_array().unwrap() {
        assert_eq!(member["country"], "DE", "{member:?}");
    }

    let listed = world
        .server
        .get(
            &format!(
                "/api/v1/switches?compositionSwitchId={}",
                created["id"].as_str().unwrap()
            ),
            &world.federation.consumer_token,
        )
        .await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);

    // Each member's source is erased on its own confirmation.
    for switch in &members {
        let id = switch["id"].as_str().unwrap();
        let confirmed = world
            .server
            .post(
                &format!("/api/v1/switches/{id}/confirm-erasure"),
                &world.federation.consumer_token,
                &json!({}),
            )
            .await;
        assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
        let source = world.provider_of(switch["sourceProviderId"].as_str().unwrap());
        world.run(source, "erase", json!({})).await;
    }
    assert_eq!(world.stages(&members).await, ["Completed", "Completed"]);
}

#[tokio::test]
async fn one_member_failing_its_import_rolls_back_the_whole_composition() {
    let world = World::start().await;
    let before = world.member_services().await;
    let members = switches(&world.switch_to_germany().await);
    for switch in &members {
        world.export(switch, &"a".repeat(64)).await;
    }
    world.import(&members[0], &"a".repeat(64)).await;
    let second_target = world.provider_of(members[1]["targetProviderId"].as_str().unwrap());
    world.fail(second_target, "import", "disk full").await;
    assert_eq!(world.stages(&members).await, ["RollingBack", "RollingBack"]);
    let first = world.switch(members[0]["id"].as_str().unwrap()).await;
    assert_eq!(
        first["failure"],
        "the switch of member db failed: the import job failed: disk full"
    );
    // Both targets are deleted; the sources were never touched.
    for switch in &members {
        let target = world.provider_of(switch["targetProviderId"].as_str().unwrap());
        world.run(target, "delete", json!({})).await;
    }
    assert_eq!(world.stages(&members).await, ["Failed", "Failed"]);
    assert_eq!(world.member_services().await, before);
    for provider in &world.finnish {
        let pending = world
            .server
            .get("/api/v1/jobs/pending", &provider.agent_token)
            .await;
        assert_eq!(pending.body, json!([]), "no job reaches a source");
    }
    // A composition switch that failed does not stop a new one.
    assert_eq!(switches(&world.switch_to_germany().await).len(), 2);
}

#[tokio::test]
async fn cancelling_one_member_s_switch_cancels_them_all() {
    let world = World::start().await;
    let members = switches(&world.switch_to_germany().await);
    world.export(&members[0], &"a".repeat(64)).await;
    let id = members[1]["id"].as_str().unwrap();
    let cancelled = world
        .server
        .post(
            &format!("/api/v1/switches/{id}/cancel"),
            &world.federation.consumer_token,
            &json!({}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{:?}", cancelled.body);
    assert_eq!(world.stages(&members).await, ["RollingBack", "RollingBack"]);
    // Each target's deletion follows the job its agent still had pending:
    // the first member's import, the second's creation.
    let first_target = world.provider_of(members[0]["targetProviderId"].as_str().unwrap());
    let imported = json!({"imported": {"sha256": "a".repeat(64), "sizeBytes": 4096}});
    world.run(first_target, "import", imported).await;
    world.run(first_target, "delete", json!({})).await;
    let second_target = world.provider_of(members[1]["targetProviderId"].as_str().unwrap());
    world
        .run(second_target, "create", json!({"agentInstanceId": "de"}))
        .await;
    world.run(second_target, "delete", json!({})).await;
    assert_eq!(world.stages(&members).await, ["Cancelled", "Cancelled"]);
}

#[tokio::test]
async fn a_member_past_a_quota_refuses_the_request_and_the_members_written_before_it_roll_back() {
    let world = World::start().await;
    let before = world.member_services().await;
    // Room for one more service: the first member's target, not the second's.
    let limited = world
        .server
        .patch(
            &format!("/api/v1/participants/{}", world.federation.consumer_id),
            ADMIN_TOKEN,
            &json!({"serviceLimit": 3}),
        )
        .await;
    assert_eq!(limited.status, 200, "{:?}", limited.body);
    let refused = world
        .ask(json!({"compositionId": world.composition_id, "target": {"countries": ["DE"]}}))
        .await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert!(
        refused.body.to_string().contains("serviceLimit"),
        "names the quota: {:?}",
        refused.body
    );
    let listed = world
        .server
        .get(
            &format!("/api/v1/switches?compositionId={}", world.composition_id),
            &world.federation.consumer_token,
        )
        .await;
    let written = listed.body["items"].as_array().expect("switches").clone();
    assert_eq!(written.len(), 1, "only the first member was written");
    let first = &written[0];
    assert_eq!(first["memberKey"], "web");
    assert_eq!(first["stage"], "RollingBack", "{first:?}");
    assert!(
        first["failure"]
            .as_str()
            .unwrap_or_default()
            .starts_with("member db could not be ordered"),
        "{first:?}"
    );
    // Its target's creation runs, then its deletion; the sources never moved.
    let target = world.provider_of(first["targetProviderId"].as_str().unwrap());
    world
        .run(target, "create", json!({"agentInstanceId": "de"}))
        .await;
    world.run(target, "delete", json!({})).await;
    assert_eq!(world.stages(&written).await, ["Failed"]);
    assert_eq!(world.member_services().await, before);
}

#[tokio::test]
async fn bad_composition_switch_requests_are_refused_with_the_field_or_the_reason() {
    let world = World::start().await;
    let neither = world.ask(json!({"target": {"countries": ["DE"]}})).await;
    assert_eq!(neither.status, 400, "{:?}", neither.body);
    assert_eq!(
        error_paths(&neither.body),
        ["serviceId", "compositionId"],
        "{:?}",
        neither.body
    );
    let service_id = world.member_services().await[0].1.clone();
    let both = world
        .ask(json!({"serviceId": service_id, "compositionId": world.composition_id}))
        .await;
    assert_eq!(both.status, 400, "{:?}", both.body);
    assert_eq!(error_paths(&both.body), ["serviceId", "compositionId"]);
    let with_offering = world
        .ask(json!({"compositionId": world.composition_id,
                    "offeringId": "00000000-0000-7000-8000-000000000000"}))
        .await;
    assert_eq!(with_offering.status, 400, "{:?}", with_offering.body);
    assert_eq!(error_paths(&with_offering.body), ["offeringId"]);
    let unknown = world
        .ask(json!({"compositionId": "00000000-0000-7000-8000-000000000000"}))
        .await;
    assert_eq!(unknown.status, 400, "{:?}", unknown.body);
    assert_eq!(error_paths(&unknown.body), ["compositionId"]);

    // Nowhere to go: no provider in Sweden.
    let nowhere = world
        .ask(json!({"compositionId": world.composition_id, "target": {"countries": ["SE"]}}))
        .await;
    assert_eq!(nowhere.status, 400, "{:?}", nowhere.body);
    assert_eq!(error_paths(&nowhere.body), ["target"]);

    // Another consumer may not move it.
    let stranger = world.server.participant("Stranger").await;
    let token = world.server.token("participant", Some(&stranger)).await;
    let foreign = world
        .server
        .post(
            "/api/v1/switches",
            &token,
            &json!({"compositionId": world.composition_id}),
        )
        .await;
    assert_eq!(foreign.status, 403, "{:?}", foreign.body);

    // Nothing was written by any refusal.
    let listed = world
        .server
        .get("/api/v1/switches", &world.federation.consumer_token)
        .await;
    assert_eq!(listed.body["items"], json!([]), "{:?}", listed.body);
}
