//! Switching from the command line against a real exchange: a consumer
//! asks for a switch, follows it, lets the source be erased and reads the
//! report; the agents' jobs are claimed and completed over the API as an
//! agent would.

mod command_line;

use command_line::{federa, stderr, stdout, FEDERA};
use federa_testkit::processes::Exchange;
use federa_testkit::{Api, Federation, ADMIN_TOKEN};
use serde_json::{json, Value};

/// Terms under which a store's data leaves and arrives as JSON.
fn json_terms() -> Value {
    json!({"exportable": [{"name": "data", "format": "application/json"}],
           "importable": ["application/json"], "switchingCharge": "25.00"})
}

/// Publishes `provider`'s profile in `country` and an offering there.
async fn publish(api: &Api, federation: &Federation, provider: &str, country: &str) {
    let region = format!("{}-1", country.to_lowercase());
    api.provider_profile(provider, country, &region).await;
    let offering = api
        .post(
            "/api/v1/offerings",
            ADMIN_TOKEN,
            &json!({"participantId": provider, "serviceTypeId": federation.service_type_id,
                    "regions": [region], "price": {"hourly": "0.10"}, "exitTerms": json_terms()}),
        )
        .await;
    assert_eq!(offering.status, 201, "{:?}", offering.body);
}

/// Claims the agent's only pending job, which must be `action`, and
/// completes it with `report`.
async fn run(api: &Api, agent_token: &str, action: &str, report: Value) {
    let pending = api.get("/api/v1/jobs/pending", agent_token).await;
    let jobs = pending.body.as_array().expect("pending jobs");
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["action"], action, "{jobs:?}");
    let id = jobs[0]["id"].as_str().expect("job id");
    let claimed = api
        .post(&format!("/api/v1/jobs/{id}/claim"), agent_token, &json!({}))
        .await;
    assert_eq!(claimed.status, 204, "{:?}", claimed.body);
    let completed = api
        .post(&format!("/api/v1/jobs/{id}/complete"), agent_token, &report)
        .await;
    assert_eq!(completed.status, 204, "{:?}", completed.body);
}

#[tokio::test]
async fn a_consumer_switches_a_service_follows_it_and_reads_its_report() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = Federation::create(api).await;
    publish(api, &federation, &federation.provider_id, "FI").await;
    let berlin = api.participant("Berlin Cloud").await;
    publish(api, &federation, &berlin, "DE").await;
    let agent = api
        .post(
            "/api/v1/agents",
            ADMIN_TOKEN,
            &json!({"name": "berlin-agent", "providerId": berlin,
                    "agentTypeId": federation.agent_type_id}),
        )
        .await;
    assert_eq!(agent.status, 201, "{:?}", agent.body);
    let berlin_agent = api.token("agent", agent.body["id"].as_str()).await;
    api.report_connected(&berlin_agent).await;
    api.report_connected(&federation.agent_token).await;
    let mut order = federation.order("kv-1");
    order["placement"] = json!({"countries": ["FI"]});
    let ordered = api
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    let service_id = ordered.body["id"].as_str().expect("service id").to_string();
    let source_agent = federation.agent_token.as_str();
    run(
        api,
        source_agent,
        "create",
        json!({"agentInstanceId": "kv-fi-1"}),
    )
    .await;
    let (url, token) = (api.base.as_str(), federation.consumer_token.as_str());

    // An offering that is not one is refused before anything is recorded.
    let no_offering = federa(
        url,
        token,
        &["switches", "create", &service_id, "--offering", &service_id],
    )
    .await;
    assert_eq!(
        no_offering.status.code(),
        Some(1),
        "{}",
        stderr(&no_offering)
    );
    assert!(
        stderr(&no_offering).contains("target"),
        "{}",
        stderr(&no_offering)
    );

    // A bad rule is refused before anything is recorded.
    let refused = federa(
        url,
        token,
        &["switches", "create", &service_id, "--country", "XX"],
    )
    .await;
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("target.countries[0]"),
        "{}",
        stderr(&refused)
    );

    let created = federa(
        url,
        token,
        &[
            "switches",
            "create",
            &service_id,
            "--country",
            "DE",
            "-o",
            "json",
        ],
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    let switch: Value = serde_json::from_str(&stdout(&created)).expect("a switch as JSON");
    let id = switch["id"].as_str().expect("switch id").to_string();
    assert_eq!(switch["stage"], "ProvisioningTarget");
    assert_eq!(switch["targetProviderId"], berlin.as_str());

    let listed = federa(url, token, &["switches", "list"]).await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    let row = stdout(&listed)
        .lines()
        .find(|line| line.starts_with(&id))
        .unwrap_or_else(|| panic!("{}", stdout(&listed)))
        .to_string();
    assert!(
        row.contains("ProvisioningTarget") && row.contains("kv-1"),
        "{row}"
    );
    assert!(row.contains("Berlin Cloud"), "providers by name: {row}");

    run(
        api,
        &berlin_agent,
        "create",
        json!({"agentInstanceId": "kv-de-1"}),
    )
    .await;
    let digest = json!({"sha256": "a".repeat(64), "sizeBytes": 4096});
    let mut exported = digest.clone();
    exported["url"] = json!("https://127.0.0.1:7443/exports/1");
    exported["certificateSha256"] = json!("c".repeat(64));
    exported["format"] = json!("application/json");
    exported["expiresAt"] = json!("2030-01-01T00:00:00Z");
    run(api, source_agent, "export", json!({"exported": exported})).await;
    run(api, &berlin_agent, "import", json!({"imported": digest})).await;

    let shown = federa(url, token, &["switches", "show", &id]).await;
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert!(
        stdout(&shown).starts_with(&format!("Switch:   {id} Transitional\n")),
        "{}",
        stdout(&shown)
    );
    // After the cut-over, nothing cancels it.
    let late = federa(url, token, &["switches", "cancel", &id]).await;
    assert_eq!(late.status.code(), Some(1), "{}", stderr(&late));
    assert!(stderr(&late).contains("Transitional"), "{}", stderr(&late));

    let confirmed = federa(url, token, &["switches", "confirm-erasure", &id]).await;
    assert!(confirmed.status.success(), "{}", stderr(&confirmed));
    assert!(
        stdout(&confirmed).contains(" Erasing\n"),
        "{}",
        stdout(&confirmed)
    );
    run(
        api,
        source_agent,
        "erase",
        json!({"erased": {"at": "2026-12-03T12:00:00Z"}}),
    )
    .await;

    let report = federa(url, token, &["switches", "report", &id]).await;
    assert!(report.status.success(), "{}", stderr(&report));
    let text = stdout(&report);
    for line in [
        format!("Switch:   {id} Completed"),
        format!("From:     Provider (FI), service {service_id}"),
        format!(
            "To:       Berlin Cloud (DE), service {}",
            switch["targetServiceId"].as_str().unwrap()
        ),
        "Format:   application/json".to_owned(),
        format!("Exported: 4096 bytes, SHA-256 {}", "a".repeat(64)),
        format!("Imported: 4096 bytes, SHA-256 {}", "a".repeat(64)),
        "Verified: identical size and SHA-256".to_owned(),
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
    let stages: Vec<&str> = text.lines().filter(|l| l.starts_with("Stage:")).collect();
    assert_eq!(stages.len(), 6, "{text}");
    assert!(stages[0].contains("ProvisioningTarget"), "{text}");
    assert!(
        stages[5].contains("Completed") && stages[5].ends_with(" to -"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("Erased:   ") && l.contains("by agent agent-1 (")),
        "{text}"
    );

    let json = federa(url, token, &["switches", "report", &id, "-o", "json"]).await;
    assert!(json.status.success(), "{}", stderr(&json));
    let report: Value = serde_json::from_str(&stdout(&json)).expect("the report as JSON");
    assert_eq!(report["moved"]["identical"], true);
    assert_eq!(report["erasure"]["agentId"], federation.agent_id.as_str());
    assert_eq!(report["charges"]["switchingCharge"], "25.00");
}

#[tokio::test]
async fn a_consumer_switches_a_whole_composition_from_the_command_line() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = Federation::create(api).await;
    publish(api, &federation, &federation.provider_id, "FI").await;
    let berlin = api.participant("Berlin Cloud").await;
    publish(api, &federation, &berlin, "DE").await;
    let agent = api
        .post(
            "/api/v1/agents",
            ADMIN_TOKEN,
            &json!({"name": "berlin-agent", "providerId": berlin,
                    "agentTypeId": federation.agent_type_id}),
        )
        .await;
    assert_eq!(agent.status, 201, "{:?}", agent.body);
    let berlin_agent = api.token("agent", agent.body["id"].as_str()).await;
    api.report_connected(&berlin_agent).await;
    api.report_connected(&federation.agent_token).await;
    let properties = federation.order("member")["properties"].clone();
    let components: Vec<Value> = ["web", "db"]
        .iter()
        .map(|key| {
            json!({"key": key, "name": key, "serviceTypeId": federation.service_type_id,
                   "properties": properties, "placement": {"countries": ["FI"]}})
        })
        .collect();
    let created = api
        .post(
            "/api/v1/compositions",
            &federation.consumer_token,
            &json!({"groupId": federation.group_id, "name": "shop", "components": components}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let composition_id = created.body["id"].as_str().expect("id").to_string();
    for instance in ["fi-web", "fi-db"] {
        let report = json!({"agentInstanceId": instance});
        run(api, &federation.agent_token, "create", report).await;
    }
    let (url, token) = (api.base.as_str(), federation.consumer_token.as_str());

    let both = federa(
        url,
        token,
        &[
            "switches",
            "create",
            &composition_id,
            "--composition",
            &composition_id,
        ],
    )
    .await;
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
    let composition_to_an_offering = federa(
        url,
        token,
        &[
            "switches",
            "create",
            "--composition",
            &composition_id,
            "--offering",
            &composition_id,
        ],
    )
    .await;
    assert_eq!(composition_to_an_offering.status.code(), Some(2));

    let moved = federa(
        url,
        token,
        &[
            "switches",
            "create",
            "--composition",
            &composition_id,
            "--country",
            "DE",
        ],
    )
    .await;
    assert!(moved.status.success(), "{}", stderr(&moved));
    let printed = stdout(&moved);
    assert!(printed.contains(&composition_id), "{printed}");
    for member in ["web: switch", "db: switch"] {
        assert!(printed.contains(member), "{printed}");
    }
    assert_eq!(
        printed.matches("ProvisioningTarget").count(),
        2,
        "{printed}"
    );

    let listed = api
        .get(
            &format!("/api/v1/switches?compositionId={composition_id}"),
            token,
        )
        .await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(2));
}
