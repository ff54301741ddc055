//! Switching a service to another provider with its data, over HTTP: the
//! switch is planned under the source's exit terms, its jobs go to the
//! right agents with the transfer token only through the vault, the import
//! is checked against the export, and before the cut-over a failure or a
//! cancellation removes the target and leaves the source as it was.

mod exchange_kit;

use chrono::{DateTime, TimeZone, Utc};
use exchange_kit::{
    claim_only, finish, offering, only_pending, placed_order, profile_in, provider, Provider,
};
use federa_server::clock::Clock;
use federa_testkit::{error_paths, Federation, Response, TestServer};
use serde_json::{json, Value};

/// Exit terms that let the service's data go as JSON, at a charge.
fn exit_terms() -> Value {
    json!({
        "noticePeriodDays": 30,
        "transitionalPeriodDays": 30,
        "exportable": [{"name": "data", "format": "application/json"}],
        "importable": ["application/json"],
        "switchingCharge": "25.00",
    })
}

/// A consumer's VM running with a provider in Finland, and a provider in
/// Germany to switch it to.
struct World {
    server: TestServer,
    federation: Federation,
    source: Provider,
    target: Provider,
    service_id: String,
}

/// A day before switching charges end.
fn december() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 10, 9, 0, 0).unwrap()
}

async fn world(source_terms: Value) -> World {
    world_on(source_terms, exit_terms(), december()).await
}

/// The world on an exchange whose clock reads `moment`, the German
/// offering stating `target_terms`.
async fn world_on(source_terms: Value, target_terms: Value, moment: DateTime<Utc>) -> World {
    let server = TestServer::start_configured(|settings| {
        settings.clock = Clock::starting_at(moment);
    })
    .await;
    let federation = Federation::create(&server).await;
    let source = provider(
        &server,
        &federation,
        "Helsinki Cloud",
        profile_in("FI", "fi-hel-1"),
    )
    .await;
    let target = provider(
        &server,
        &federation,
        "Berlin Cloud",
        profile_in("DE", "de-ber-1"),
    )
    .await;
    let hourly = json!({"hourly": "0.10"});
    terms(
        &server,
        offering(&server, &federation, &source, &["fi-hel-1"], hourly.clone()).await,
        &source,
        source_terms,
    )
    .await;
    terms(
        &server,
        offering(&server, &federation, &target, &["de-ber-1"], hourly).await,
        &target,
        target_terms,
    )
    .await;
    let ordered = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &placed_order(&federation, "kv-1", json!({"countries": ["FI"]})),
        )
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    let service_id = ordered.body["id"].as_str().expect("service id").to_string();
    let world = World {
        server,
        federation,
        source,
        target,
        service_id,
    };
    world
        .run(
            &world.source,
            "create",
            json!({"agentInstanceId": "kv-fi-1"}),
        )
        .await;
    world
}

async fn terms(server: &TestServer, offering: Value, provider: &Provider, terms: Value) {
    let id = offering["id"].as_str().expect("offering id");
    let changed = server
        .patch(
            &format!("/api/v1/offerings/{id}"),
            &provider.token,
            &json!({"exitTerms": terms}),
        )
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
}

impl World {
    async fn pending(&self, provider: &Provider, action: &str) -> Value {
        only_pending(&self.server, provider, action).await
    }

    /// Claims `provider`'s pending `action` job and completes it with
    /// `report`; returns the job as it was handed out.
    async fn run(&self, provider: &Provider, action: &str, report: Value) -> Value {
        let job = self.claim(provider, action).await;
        self.complete(provider, &job, report).await;
        job
    }

    async fn claim(&self, provider: &Provider, action: &str) -> Value {
        claim_only(&self.server, provider, action).await
    }

    async fn complete(&self, provider: &Provider, job: &Value, report: Value) {
        finish(&self.server, provider, job, "complete", &report).await;
    }

    /// Claims `provider`'s pending `action` job and fails it.
    async fn fail(&self, provider: &Provider, action: &str, message: &str) {
        let job = self.claim(provider, action).await;
        let failure = json!({"errorMessage": message});
        finish(&self.server, provider, &job, "fail", &failure).await;
    }

    /// The consumer's request to switch the service to Germany, as answered.
    async fn ask_for_germany(&self) -> Response {
        self.server
            .post(
                "/api/v1/switches",
                &self.federation.consumer_token,
                &json!({"serviceId": self.service_id, "target": {"countries": ["DE"]}}),
            )
            .await
    }

    async fn switch_to_germany(&self) -> Value {
        let created = self.ask_for_germany().await;
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

    async fn service(&self, id: &str) -> Value {
        let read = self
            .server
            .get(
                &format!("/api/v1/services/{id}"),
                &self.federation.consumer_token,
            )
            .await;
        assert_eq!(read.status, 200, "{:?}", read.body);
        read.body
    }

    /// The plain transfer token a job's params refer to, as its agent
    /// resolves it.
    async fn token(&self, job: &Value, provider: &Provider) -> String {
        let reference = job["params"]["transferToken"]
            .as_str()
            .and_then(|reference| reference.strip_prefix("vault://"))
            .unwrap_or_else(|| panic!("a vault reference: {job:?}"));
        let resolved = self
            .server
            .get(
                &format!("/api/v1/vault/secrets/{reference}"),
                &provider.agent_token,
            )
            .await;
        assert_eq!(resolved.status, 200, "{:?}", resolved.body);
        resolved.body["value"]
            .as_str()
            .expect("a token")
            .to_string()
    }

    /// Takes a new switch through the target's creation and the export.
    async fn exported(&self, switch_id: &str) -> (Value, String) {
        self.run(
            &self.target,
            "create",
            json!({"agentInstanceId": "kv-de-1"}),
        )
        .await;
        assert_eq!(self.switch(switch_id).await["stage"], "Exporting");
        let export = self.claim(&self.source, "export").await;
        assert_eq!(export["params"]["switchId"], switch_id);
        assert_eq!(export["params"]["format"], "application/json");
        // The agent reads its token while the job is its own.
        let token = self.token(&export, &self.source).await;
        let report = json!({"exported": exported_report()});
        self.complete(&self.source, &export, report).await;
        (export, token)
    }

    /// Takes a new switch through the export and an import of the same
    /// bytes: the cut-over.
    async fn cut_over(&self, switch_id: &str) {
        self.exported(switch_id).await;
        let imported = json!({"imported": {"sha256": "a".repeat(64), "sizeBytes": 4096}});
        self.run(&self.target, "import", imported).await;
    }
}

fn exported_report() -> Value {
    json!({
        "url": "https://127.0.0.1:7443/exports/1",
        "certificateSha256": "c".repeat(64),
        "sha256": "a".repeat(64),
        "sizeBytes": 4096,
        "format": "application/json",
        "expiresAt": "2030-01-01T00:00:00Z",
    })
}

#[tokio::test]
async fn a_verified_switch_cuts_over_and_erases_the_source_on_confirmation() {
    let world = world(exit_terms()).await;
    let switch = world.switch_to_germany().await;
    let id = switch["id"].as_str().expect("switch id");
    assert_eq!(switch["stage"], "ProvisioningTarget");
    assert_eq!(switch["targetProviderId"], world.target.id);
    assert_eq!(switch["sourceProviderId"], world.source.id);
    assert_eq!(switch["plan"]["targetCountry"], "DE");
    assert_eq!(switch["plan"]["format"], "application/json");
    assert_eq!(switch["plan"]["transitionalPeriodDays"], 30);
    assert_eq!(switch["plan"]["noticePeriodDays"], 30);
    assert_eq!(switch["plan"]["switchingCharge"], "25.00");
    assert!(
        switch["plan"]["explanation"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{switch:?}"
    );

    let (_, export_token) = world.exported(id).await;
    assert_eq!(export_token.len(), 64, "256 bits as hex");
    let import = world.pending(&world.target, "import").await;
    assert_eq!(
        import["params"]["source"],
        json!({
            "url": "https://127.0.0.1:7443/exports/1",
            "certificateSha256": "c".repeat(64),
            "sha256": "a".repeat(64),
            "sizeBytes": 4096,
            "format": "application/json",
        })
    );
    // The token reaches each agent only through the vault, and the same.
    let import = world.claim(&world.target, "import").await;
    assert_eq!(world.token(&import, &world.target).await, export_token);
    assert!(!import.to_string().contains(&export_token));
    let imported = json!({"imported": {"sha256": "a".repeat(64), "sizeBytes": 4096}});
    world.complete(&world.target, &import, imported).await;
    // Its job over, the token is gone from the vault.
    let reference = import["params"]["transferToken"].as_str().unwrap();
    let gone = world
        .server
        .get(
            &format!("/api/v1/vault/secrets/{}", &reference["vault://".len()..]),
            &world.target.agent_token,
        )
        .await;
    assert_eq!(gone.status, 404, "{:?}", gone.body);

    let cut_over = world.switch(id).await;
    assert_eq!(cut_over["stage"], "Transitional", "{cut_over:?}");
    assert!(cut_over["cutOverAt"].is_string());
    assert!(cut_over["transitionalPeriodEndsAt"].is_string());
    assert_eq!(cut_over["exported"], cut_over["imported"]);
    // The source runs on, untouched, through the transitional period.
    let source = world.service(&world.service_id).await;
    // As its `create` left it (the example VM starts stopped).
    assert_eq!(source["status"], "Stopped");
    assert_eq!(source["agentInstanceId"], "kv-fi-1");

    let confirmed = world
        .server
        .post(
            &format!("/api/v1/switches/{id}/confirm-erasure"),
            &world.federation.consumer_token,
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    assert_eq!(confirmed.body["stage"], "Erasing");
    world
        .run(
            &world.source,
            "erase",
            json!({"erased": {"at": "2026-12-03T12:00:00Z"}}),
        )
        .await;
    let done = world.switch(id).await;
    assert_eq!(done["stage"], "Completed", "{done:?}");
    let stages: Vec<&str> = done["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|entry| entry["stage"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        stages,
        [
            "ProvisioningTarget",
            "Exporting",
            "Importing",
            "Transitional",
            "Erasing",
            "Completed"
        ]
    );
    let source = world.service(&world.service_id).await;
    assert_eq!(source["status"], "Erased");
    assert!(source["agentInstanceId"].is_null(), "{source:?}");
    let target = world
        .service(done["targetServiceId"].as_str().unwrap())
        .await;
    assert_eq!(target["status"], "Stopped");
    // The service it now is may switch again, here back to Finland.
    let back = world
        .server
        .post(
            "/api/v1/switches",
            &world.federation.consumer_token,
            &json!({"serviceId": done["targetServiceId"], "target": {"countries": ["FI"]}}),
        )
        .await;
    assert_eq!(back.status, 201, "{:?}", back.body);
    assert_eq!(back.body["targetProviderId"], world.source.id.as_str());
    assert_eq!(back.body["sourceServiceId"], done["targetServiceId"]);

    // Every step is in the log, the cut-over naming the source service.
    let events = world
        .server
        .get(
            "/api/v1/events?pageSize=100&sort=-sequenceNumber",
            &world.federation.consumer_token,
        )
        .await;
    let kinds: Vec<String> = events.body["items"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| event["type"].as_str().unwrap_or_default().to_string())
        .collect();
    for kind in [
        "switch.created",
        "switch.stageChanged",
        "service.switchedAway",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}

#[tokio::test]
async fn an_import_that_is_not_the_export_rolls_back_and_the_source_runs_on() {
    let world = world(exit_terms()).await;
    let switch = world.switch_to_germany().await;
    let id = switch["id"].as_str().expect("switch id");
    world.exported(id).await;
    world
        .run(
            &world.target,
            "import",
            json!({"imported": {"sha256": "b".repeat(64), "sizeBytes": 4096}}),
        )
        .await;
    assert_eq!(world.switch(id).await["stage"], "RollingBack");
    world.run(&world.target, "delete", json!({})).await;
    let failed = world.switch(id).await;
    assert_eq!(failed["stage"], "Failed", "{failed:?}");
    let failure = failed["failure"].as_str().expect("a failure");
    assert!(
        failure.contains(&"a".repeat(64)) && failure.contains(&"b".repeat(64)),
        "{failure}"
    );
    assert!(failed["cutOverAt"].is_null());
    let source = world.service(&world.service_id).await;
    // As its `create` left it (the example VM starts stopped).
    assert_eq!(source["status"], "Stopped");
    assert_eq!(source["agentInstanceId"], "kv-fi-1");
    // Nothing is left for the source's agent: no erasure after a failure.
    let pending = world
        .server
        .get("/api/v1/jobs/pending", &world.source.agent_token)
        .await;
    assert_eq!(pending.body, json!([]));
}

#[tokio::test]
async fn a_failed_export_or_a_cancellation_removes_the_target_and_nothing_cancels_after_the_cut_over(
) {
    let world = world(exit_terms()).await;
    let first = world.switch_to_germany().await;
    let first_id = first["id"].as_str().expect("switch id");
    // A second switch of the same service waits for the first to settle.
    let again = world.ask_for_germany().await;
    assert_eq!(again.status, 409, "{:?}", again.body);
    world
        .run(
            &world.target,
            "create",
            json!({"agentInstanceId": "kv-de-1"}),
        )
        .await;
    world.fail(&world.source, "export", "disk unreadable").await;
    world.run(&world.target, "delete", json!({})).await;
    let failed = world.switch(first_id).await;
    assert_eq!(failed["stage"], "Failed");
    assert!(failed["failure"]
        .as_str()
        .unwrap()
        .contains("disk unreadable"));

    let second = world.switch_to_germany().await;
    let second_id = second["id"].as_str().expect("switch id");
    let cancelled = world
        .server
        .post(
            &format!("/api/v1/switches/{second_id}/cancel"),
            &world.federation.consumer_token,
            &json!({}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{:?}", cancelled.body);
    assert_eq!(cancelled.body["stage"], "RollingBack");
    // The target's creation runs first; its deletion follows.
    world
        .run(
            &world.target,
            "create",
            json!({"agentInstanceId": "kv-de-2"}),
        )
        .await;
    world.run(&world.target, "delete", json!({})).await;
    assert_eq!(world.switch(second_id).await["stage"], "Cancelled");

    let third = world.switch_to_germany().await;
    let third_id = third["id"].as_str().expect("switch id");
    world.cut_over(third_id).await;
    let late = world
        .server
        .post(
            &format!("/api/v1/switches/{third_id}/cancel"),
            &world.federation.consumer_token,
            &json!({}),
        )
        .await;
    assert_eq!(late.status, 409, "{:?}", late.body);
    assert_eq!(world.switch(third_id).await["stage"], "Transitional");
}

#[tokio::test]
async fn bad_switch_requests_are_refused_with_the_field_or_the_reason() {
    let world = world(exit_terms()).await;
    let consumer = &world.federation.consumer_token;
    let unknown = world
        .server
        .post(
            "/api/v1/switches",
            consumer,
            &json!({"serviceId": uuid::Uuid::now_v7(), "target": {}}),
        )
        .await;
    assert_eq!(unknown.status, 400, "{:?}", unknown.body);
    assert_eq!(error_paths(&unknown.body), ["serviceId"]);
    // Only whoever may act on the service may move it.
    let stranger = world.server.participant("Stranger").await;
    let stranger_token = world.server.token("participant", Some(&stranger)).await;
    let foreign = world
        .server
        .post(
            "/api/v1/switches",
            &stranger_token,
            &json!({"serviceId": world.service_id, "target": {}}),
        )
        .await;
    assert_eq!(foreign.status, 403, "{:?}", foreign.body);
    let bad_target = world
        .server
        .post(
            "/api/v1/switches",
            consumer,
            &json!({"serviceId": world.service_id, "target": {"countries": ["XX"]}}),
        )
        .await;
    assert_eq!(bad_target.status, 400, "{:?}", bad_target.body);
    assert_eq!(error_paths(&bad_target.body), ["target.countries[0]"]);
    // Only the source's own provider is in Finland: nothing to switch to,
    // and placement says why.
    let nowhere = world
        .server
        .post(
            "/api/v1/switches",
            consumer,
            &json!({"serviceId": world.service_id, "target": {"countries": ["FI"]}}),
        )
        .await;
    assert_eq!(nowhere.status, 400, "{:?}", nowhere.body);
    assert_eq!(error_paths(&nowhere.body), ["target"]);
    assert!(
        nowhere.body.to_string().contains("peerRelation"),
        "{:?}",
        nowhere.body
    );
    let listed = world.server.get("/api/v1/switches", consumer).await;
    assert_eq!(listed.body["items"], json!([]), "nothing was recorded");
}

#[tokio::test]
async fn a_service_whose_exit_terms_export_nothing_cannot_switch() {
    let mut terms = exit_terms();
    terms["exportable"] = json!([]);
    let world = world(terms).await;
    let refused = world.ask_for_germany().await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert!(
        refused.body.to_string().contains("nothing exportable"),
        "{:?}",
        refused.body
    );
}

#[tokio::test]
async fn no_switching_charge_is_due_from_12_january_2027() {
    let moment = Utc.with_ymd_and_hms(2027, 1, 12, 0, 0, 1).unwrap();
    let world = world_on(exit_terms(), exit_terms(), moment).await;
    let switch = world.switch_to_germany().await;
    assert_eq!(switch["plan"]["switchingCharge"], "0", "{switch:?}");
}

#[tokio::test]
async fn only_an_offering_that_imports_the_source_format_is_chosen_and_the_others_say_why() {
    let world = world(exit_terms()).await;
    // Cheaper than Berlin, but it takes only CSV in.
    let paris = provider(
        &world.server,
        &world.federation,
        "Paris Cloud",
        profile_in("FR", "fr-par-1"),
    )
    .await;
    let mut csv_only = exit_terms();
    csv_only["importable"] = json!(["text/csv"]);
    terms(
        &world.server,
        offering(
            &world.server,
            &world.federation,
            &paris,
            &["fr-par-1"],
            json!({"hourly": "0.01"}),
        )
        .await,
        &paris,
        csv_only,
    )
    .await;
    let created = world
        .server
        .post(
            "/api/v1/switches",
            &world.federation.consumer_token,
            &json!({"serviceId": world.service_id, "target": {}}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["targetProviderId"], world.target.id);
    let considered = created.body["plan"]["considered"]
        .as_array()
        .expect("every candidate considered");
    let verdict = |provider: &Provider| {
        considered
            .iter()
            .find(|verdict| verdict["participantId"] == provider.id)
            .unwrap_or_else(|| panic!("{} considered: {considered:?}", provider.id))
            .clone()
    };
    assert_eq!(verdict(&world.target)["accepted"], true);
    let passed_by = verdict(&paris);
    assert_eq!(passed_by["accepted"], false);
    assert_eq!(
        passed_by["rejections"],
        json!([{
            "rule": "importFormat",
            "message": "cannot import application/json, the format the switched service's data leaves in: it imports only text/csv",
        }])
    );
    // The source's own provider is passed by for being the source's.
    assert_eq!(
        verdict(&world.source)["rejections"][0]["rule"],
        "peerRelation"
    );
}

#[tokio::test]
async fn a_switch_to_a_named_offering_goes_there_and_a_named_offering_breaking_a_rule_is_refused() {
    let world = world(exit_terms()).await;
    // Dearer than Berlin, so placement alone would not choose it.
    let vienna = provider(
        &world.server,
        &world.federation,
        "Vienna Cloud",
        profile_in("AT", "at-vie-1"),
    )
    .await;
    let vienna_offering = offering(
        &world.server,
        &world.federation,
        &vienna,
        &["at-vie-1"],
        json!({"hourly": "0.50"}),
    )
    .await;
    terms(
        &world.server,
        vienna_offering.clone(),
        &vienna,
        exit_terms(),
    )
    .await;
    let consumer = &world.federation.consumer_token;
    let ask = |offering_id: &Value, target: Value| json!({"serviceId": world.service_id, "offeringId": offering_id, "target": target});
    // Named, but outside the target's countries: refused, and why.
    let outside = world
        .server
        .post(
            "/api/v1/switches",
            consumer,
            &ask(&vienna_offering["id"], json!({"countries": ["DE"]})),
        )
        .await;
    assert_eq!(outside.status, 400, "{:?}", outside.body);
    assert_eq!(error_paths(&outside.body), ["target"]);
    let created = world
        .server
        .post(
            "/api/v1/switches",
            consumer,
            &ask(&vienna_offering["id"], json!({})),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["targetProviderId"], vienna.id.as_str());
    assert_eq!(created.body["plan"]["targetCountry"], "AT");
}

#[tokio::test]
async fn a_switch_no_offering_can_import_is_refused_naming_the_format() {
    let mut cannot_import = exit_terms();
    cannot_import["importable"] = json!([]);
    let world = world_on(exit_terms(), cannot_import, december()).await;
    let refused = world.ask_for_germany().await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert_eq!(
        refused.body["error"],
        "no other provider's offering of the service's type can import application/json, the format its data leaves in"
    );
    let listed = world
        .server
        .get("/api/v1/switches", &world.federation.consumer_token)
        .await;
    assert_eq!(listed.body["items"], json!([]), "nothing was recorded");
}

#[tokio::test]
async fn the_report_of_a_completed_switch_holds_the_evidence_a_customer_keeps() {
    let world = world(exit_terms()).await;
    let switch = world.switch_to_germany().await;
    let id = switch["id"].as_str().expect("switch id");
    let target_service_id = switch["targetServiceId"].as_str().expect("target id");
    let path = format!("/api/v1/switches/{id}/report");
    let consumer = &world.federation.consumer_token;
    let early = world.server.get(&path, consumer).await;
    assert_eq!(early.status, 200, "{:?}", early.body);
    assert_eq!(early.body["moved"]["identical"], false, "nothing moved yet");
    assert!(early.body.get("erasure").is_none(), "{:?}", early.body);

    world.cut_over(id).await;
    let confirmed = world
        .server
        .post(
            &format!("/api/v1/switches/{id}/confirm-erasure"),
            consumer,
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    let erase = world
        .run(
            &world.source,
            "erase",
            json!({"erased": {"at": "2026-12-10T12:00:00Z"}}),
        )
        .await;

    let report = world.server.get(&path, consumer).await;
    assert_eq!(report.status, 200, "{:?}", report.body);
    let report = report.body;
    assert_eq!(report["switchId"], id);
    assert_eq!(report["stage"], "Completed");
    assert_eq!(
        report["source"],
        json!({"serviceId": world.service_id, "providerId": world.source.id,
               "providerName": "Helsinki Cloud", "country": "FI"})
    );
    assert_eq!(
        report["target"],
        json!({"serviceId": target_service_id, "providerId": world.target.id,
               "providerName": "Berlin Cloud", "country": "DE"})
    );
    let digest = json!({"sha256": "a".repeat(64), "sizeBytes": 4096});
    assert_eq!(
        report["moved"],
        json!({"format": "application/json", "exported": digest, "imported": digest,
               "identical": true})
    );
    let stages = report["stages"].as_array().expect("stages");
    let names: Vec<&str> = stages
        .iter()
        .map(|timing| timing["stage"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "ProvisioningTarget",
            "Exporting",
            "Importing",
            "Transitional",
            "Erasing",
            "Completed"
        ]
    );
    // Each stage ends when the next begins; the last has not ended.
    for pair in stages.windows(2) {
        assert_eq!(pair[0]["endedAt"], pair[1]["beganAt"], "{stages:?}");
    }
    assert!(stages[5].get("endedAt").is_none(), "{stages:?}");
    assert_eq!(report["cutOverAt"], stages[3]["beganAt"]);
    let charges = &report["charges"];
    assert_eq!(charges["switchingCharge"], "25.00");
    assert_eq!(charges["askedOn"], "2026-12-10");
    assert_eq!(charges["chargesEndOn"], "2027-01-12");
    assert_eq!(charges["noticePeriodDays"], 30);
    assert_eq!(charges["transitionalPeriodDays"], 30);
    assert!(
        charges["rule"]
            .as_str()
            .is_some_and(|rule| rule.contains("before 2027-01-12")),
        "{charges:?}"
    );
    let erasure = &report["erasure"];
    assert_eq!(erasure["jobId"], erase["id"]);
    assert_eq!(erasure["agentId"], world.source.agent_id);
    assert_eq!(erasure["agentName"], "Helsinki Cloud agent");
    assert_eq!(
        erasure["agentReport"],
        json!({"at": "2026-12-10T12:00:00Z"})
    );
    assert!(erasure["confirmedAt"].is_string(), "{erasure:?}");

    // The admin reads the same report; another participant does not.
    let admin = world.server.get(&path, federa_testkit::ADMIN_TOKEN).await;
    assert_eq!(admin.status, 200, "{:?}", admin.body);
    assert_eq!(admin.body, report);
    let stranger = world.server.participant("Stranger").await;
    let stranger_token = world.server.token("participant", Some(&stranger)).await;
    let refused = world.server.get(&path, &stranger_token).await;
    assert_eq!(refused.status, 403, "{:?}", refused.body);
}
