//! `federa serve` and a `federa agent` with the kubernetes driver against a
//! real API server (`.ci/kubernetes.sh`, admin kubeconfig in
//! `FEDERA_TEST_KUBECONFIG`), with the service types of
//! `catalogue/kubernetes/`: a consumer orders a container application
//! through placement and it runs; one beyond the provider's quota is routed
//! to `Rejected` by the lifecycle; a tenant namespace's kubeconfig comes
//! back sealed in the vault and works.
#![cfg(feature = "kubernetes")]

use std::time::Duration;

use federa_testkit::processes::{reported_metrics, spawn_agent, terminate, Exchange};
use federa_testkit::{Api, Federation, ADMIN_TOKEN};
use serde_json::{json, Value};

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");
const APPLICATION: &str = include_str!("../../../catalogue/kubernetes/container-application.json");
const TENANT: &str = include_str!("../../../catalogue/kubernetes/tenant-namespace.json");
const METRIC_TYPES: &str = include_str!("../../../catalogue/kubernetes/metric-types.json");
const MANIFESTS: &str = "application/vnd.federa.kubernetes-manifests+json";

fn kubeconfig() -> String {
    std::env::var("FEDERA_TEST_KUBECONFIG").expect(
        "FEDERA_TEST_KUBECONFIG names an admin kubeconfig; start a cluster with `bash .ci/kubernetes.sh start`",
    )
}

async fn load_metric_types(api: &Api) {
    for metric_type in serde_json::from_str::<Vec<Value>>(METRIC_TYPES).unwrap() {
        let created = api
            .post("/api/v1/metric-types", ADMIN_TOKEN, &metric_type)
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
    }
}

/// Polls the service until its status is `expected` (two minutes at most,
/// since rollouts wait for pods).
async fn wait_status(api: &Api, token: &str, service_id: &str, expected: &str) -> Value {
    let path = format!("/api/v1/services/{service_id}");
    let mut last = Value::Null;
    for _ in 0..1200 {
        last = api.get(&path, token).await.body;
        if last["status"] == expected {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never became {expected}: {last}");
}

fn write_agent_config(
    dir: &std::path::Path,
    api: &Api,
    token: &str,
    prefix: &str,
) -> std::path::PathBuf {
    let path = dir.join("agent.toml");
    std::fs::write(
        &path,
        format!(
            "url = \"{}\"\ntoken = \"{token}\"\nheartbeat_seconds = 1\nmetrics_seconds = 1\npoll_wait_seconds = 5\n\n[driver]\nkind = \"kubernetes\"\nkubeconfig = \"{}\"\nnamespace_prefix = \"{prefix}\"\nrollout_timeout_seconds = 90\n\n[driver.app_quota]\ncpu = \"500m\"\n",
            api.base,
            kubeconfig()
        ),
    )
    .unwrap();
    path
}

async fn last_job_error(api: &Api, token: &str, service_id: &str) -> String {
    let jobs = api
        .get(&format!("/api/v1/jobs?serviceId={service_id}"), token)
        .await;
    jobs.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|job| job["errorMessage"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A client of the API server a kubeconfig names (one cluster, a bearer
/// token), its server URL and the token.
fn cluster_of(kubeconfig: &str) -> (reqwest::Client, String, String) {
    let field = |name: &str| {
        kubeconfig
            .lines()
            .find_map(|line| line.trim().strip_prefix(name))
            .unwrap()
            .trim_matches('"')
            .to_string()
    };
    let authority = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(field("certificate-authority-data: "))
            .unwrap()
    };
    let cluster = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&authority).unwrap())
        .build()
        .unwrap();
    (cluster, field("server: "), field("token: "))
}

#[tokio::test]
async fn a_container_application_ordered_through_placement_runs_on_kubernetes() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let service_type: Value = serde_json::from_str(APPLICATION).unwrap();
    let federation = Federation::create_with(api, &service_type).await;
    load_metric_types(api).await;
    let profile = json!({"participantId": federation.provider_id, "jurisdiction": "FI",
                         "regions": [{"code": "fi-hel-1", "country": "FI"}]});
    let published = api
        .post(
            "/api/v1/provider-profiles",
            &federation.provider_token,
            &profile,
        )
        .await;
    assert_eq!(published.status, 201, "{:?}", published.body);
    let offering = json!({"participantId": federation.provider_id, "serviceTypeId": federation.service_type_id,
                          "regions": ["fi-hel-1"], "price": {"hourly": "0.05"}});
    let offered = api
        .post("/api/v1/offerings", &federation.provider_token, &offering)
        .await;
    assert_eq!(offered.status, 201, "{:?}", offered.body);

    let dir = tempfile::tempdir().unwrap();
    let config = write_agent_config(dir.path(), api, &federation.agent_token, "fe-");
    let log = dir.path().join("agent.log");
    let mut agent = spawn_agent(FEDERA, &config, &log);
    let agent_log = || std::fs::read_to_string(&log).unwrap_or_default();

    // Placement only considers connected agents.
    let agent_path = format!("/api/v1/agents/{}", federation.agent_id);
    for _ in 0..600 {
        if api.get(&agent_path, &federation.provider_token).await.body["status"] == "Connected" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let order = |name: &str, properties: Value| {
        json!({"name": name, "serviceTypeId": federation.service_type_id, "groupId": federation.group_id,
               "properties": properties, "placement": {"countries": ["FI"]}})
    };
    let ordered = api
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &order("shop", json!({"image": "registry.example.eu/shop:1", "replicas": 2, "containerPort": 8080})),
        )
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    assert_eq!(ordered.body["agentId"], federation.agent_id.as_str());
    assert_eq!(ordered.body["placement"]["chosen"]["region"], "fi-hel-1");
    let service_id = ordered.body["id"].as_str().unwrap().to_string();
    let started = wait_status(api, &federation.consumer_token, &service_id, "Started").await;
    assert_eq!(
        started["agentInstanceId"],
        format!("fe-{service_id}"),
        "{}",
        agent_log()
    );
    assert_eq!(started["agentInstanceData"]["readyReplicas"], 2);
    assert!(
        reported_metrics(api, &federation.consumer_token, &service_id).await > 0,
        "no metrics; agent log: {}",
        agent_log()
    );

    // Three pods of 250m are beyond the provider's 500m per application:
    // the API server's refusal is routed by the lifecycle's error regexp.
    let greedy = api
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &order(
                "greedy",
                json!({"image": "registry.example.eu/shop:1", "replicas": 3, "cpuRequest": "250m"}),
            ),
        )
        .await;
    assert_eq!(greedy.status, 201, "{:?}", greedy.body);
    let greedy_id = greedy.body["id"].as_str().unwrap().to_string();
    wait_status(api, &federation.consumer_token, &greedy_id, "Rejected").await;
    let error = last_job_error(api, &federation.consumer_token, &greedy_id).await;
    assert!(error.contains("exceeded quota"), "{error}");

    for id in [&service_id, &greedy_id] {
        let deleted = api
            .delete(
                &format!("/api/v1/services/{id}"),
                &federation.consumer_token,
            )
            .await;
        assert!(deleted.status < 300, "{:?}", deleted.body);
        wait_status(api, &federation.consumer_token, id, "Deleted").await;
    }

    terminate(&agent);
    let exit = tokio::time::timeout(Duration::from_secs(30), agent.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "agent exit: {exit:?}; {}", agent_log());
    exchange.terminate();
}

#[tokio::test]
async fn a_tenant_kubeconfig_comes_back_sealed_and_works() {
    let dir = tempfile::tempdir().unwrap();
    let database_file = dir.path().join("federa.db");
    let database = format!("sqlite://{}", database_file.display());
    let work = tempfile::tempdir().unwrap();
    let exchange = Exchange::start_on(FEDERA, &database, "127.0.0.1:0", 60, dir).await;
    let api = &exchange.api;
    let service_type: Value = serde_json::from_str(TENANT).unwrap();
    let federation = Federation::create_with(api, &service_type).await;
    let config = write_agent_config(work.path(), api, &federation.agent_token, "fn-");
    let log = work.path().join("agent.log");
    let mut agent = spawn_agent(FEDERA, &config, &log);

    let ordered = api
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &json!({"name": "team-a", "serviceTypeId": federation.service_type_id, "groupId": federation.group_id,
                    "agentId": federation.agent_id, "properties": {"cpu": "1", "memory": "1Gi", "pods": 3}}),
        )
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    let service_id = ordered.body["id"].as_str().unwrap().to_string();
    let active = wait_status(api, &federation.consumer_token, &service_id, "Active").await;
    let reference = active["properties"]["kubeconfig"]
        .as_str()
        .unwrap_or_default();
    assert!(reference.starts_with("vault://"), "{active}");

    // The agent that runs the service resolves it; it is a kubeconfig.
    let resolved = api
        .get(
            &format!(
                "/api/v1/vault/secrets/{}",
                reference.trim_start_matches("vault://")
            ),
            &federation.agent_token,
        )
        .await;
    assert_eq!(resolved.status, 200, "{:?}", resolved.body);
    let kubeconfig = resolved.body["value"].as_str().unwrap().to_string();

    // It works against the API server, in its namespace only.
    let (cluster, server, token) = cluster_of(&kubeconfig);
    assert!(token.len() > 100, "a service account token");
    let pods_of = |namespace: String| {
        cluster
            .get(format!("{server}/api/v1/namespaces/{namespace}/pods"))
            .bearer_auth(&token)
            .send()
    };
    let own = pods_of(format!("fn-{service_id}")).await.unwrap();
    assert_eq!(own.status(), 200, "{:?}", own.text().await);
    let other = pods_of("default".into()).await.unwrap();
    assert_eq!(other.status(), 403);

    // The plain token is nowhere in the database, the events or the logs.
    let events = api.get("/api/v1/events?pageSize=500", ADMIN_TOKEN).await;
    assert!(!events.body.to_string().contains(&token));
    let jobs = api.get("/api/v1/jobs", ADMIN_TOKEN).await;
    assert!(!jobs.body.to_string().contains(&token));
    for file in std::fs::read_dir(database_file.parent().unwrap()).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "the token is stored in plain text"
        );
    }
    assert!(!std::fs::read_to_string(&log).unwrap().contains(&token));

    api.delete(
        &format!("/api/v1/services/{service_id}"),
        &federation.consumer_token,
    )
    .await;
    wait_status(api, &federation.consumer_token, &service_id, "Deleted").await;
    terminate(&agent);
    let _ = tokio::time::timeout(Duration::from_secs(30), agent.wait()).await;
    exchange.terminate();
}

/// Publishes `provider`'s profile in `country` and an offering there whose
/// exit terms let an application's objects go.
async fn publish_exportable(api: &Api, federation: &Federation, provider: &str, country: &str) {
    let region = format!("{}-1", country.to_lowercase());
    api.provider_profile(provider, country, &region).await;
    let offering = json!({"participantId": provider, "serviceTypeId": federation.service_type_id,
                          "regions": [region], "price": {"hourly": "0.05"},
                          "exitTerms": {"exportable": [{"name": "manifests", "format": MANIFESTS}]}});
    let offered = api.post("/api/v1/offerings", ADMIN_TOKEN, &offering).await;
    assert_eq!(offered.status, 201, "{:?}", offered.body);
}

async fn wait_stage(api: &Api, token: &str, path: &str, stage: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..1800 {
        last = api.get(path, token).await.body;
        if last["stage"] == stage {
            return last;
        }
        assert!(
            !["Failed", "Cancelled"].contains(&last["stage"].as_str().unwrap_or_default()),
            "{last}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never reached {stage}: {last}");
}

#[tokio::test]
async fn a_container_application_switches_to_another_providers_cluster_through_the_exchange() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let service_type: Value = serde_json::from_str(APPLICATION).unwrap();
    let federation = Federation::create_with(api, &service_type).await;
    let target_provider = api.participant("Berlin Containers").await;
    let target_agent = api
        .post(
            "/api/v1/agents",
            ADMIN_TOKEN,
            &json!({"name": "berlin", "providerId": target_provider, "agentTypeId": federation.agent_type_id}),
        )
        .await;
    let target_agent_id = target_agent.body["id"].as_str().unwrap().to_string();
    let target_agent_token = api.token("agent", Some(&target_agent_id)).await;
    publish_exportable(api, &federation, &federation.provider_id, "FI").await;
    publish_exportable(api, &federation, &target_provider, "DE").await;

    let mut agents = Vec::new();
    let mut dirs = Vec::new();
    for (token, prefix) in [
        (&federation.agent_token, "sa-"),
        (&target_agent_token, "sb-"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = write_agent_config(dir.path(), api, token, prefix);
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push_str(&format!(
            "\n[transfer]\ndir = \"{}\"\nlisten = \"127.0.0.1:0\"\n",
            dir.path().join("transfers").display()
        ));
        std::fs::write(&config, text).unwrap();
        agents.push(spawn_agent(FEDERA, &config, &dir.path().join("agent.log")));
        dirs.push(dir);
    }
    for agent_id in [&federation.agent_id, &target_agent_id] {
        let path = format!("/api/v1/agents/{agent_id}");
        for _ in 0..600 {
            if api.get(&path, ADMIN_TOKEN).await.body["status"] == "Connected" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    let consumer = &federation.consumer_token;
    let ordered = api
        .post(
            "/api/v1/services",
            consumer,
            &json!({"name": "shop", "serviceTypeId": federation.service_type_id, "groupId": federation.group_id,
                    "properties": {"image": "registry.example.eu/shop:7", "replicas": 2, "containerPort": 8080,
                                   "env": {"MODE": "blue"}},
                    "placement": {"countries": ["FI"]}}),
        )
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    let source_id = ordered.body["id"].as_str().unwrap().to_string();
    wait_status(api, consumer, &source_id, "Started").await;

    let switch = api
        .post(
            "/api/v1/switches",
            consumer,
            &json!({"serviceId": source_id, "target": {"countries": ["DE"]}}),
        )
        .await;
    assert_eq!(switch.status, 201, "{:?}", switch.body);
    let switch_path = format!("/api/v1/switches/{}", switch.body["id"].as_str().unwrap());
    let cut_over = wait_stage(api, consumer, &switch_path, "Transitional").await;
    assert_eq!(cut_over["exported"], cut_over["imported"]);
    assert_eq!(cut_over["plan"]["format"], MANIFESTS, "{cut_over}");
    let target_id = cut_over["targetServiceId"].as_str().unwrap().to_string();

    // The target provider's namespace runs the application, Available.
    let (cluster, server, token) = cluster_of(&std::fs::read_to_string(kubeconfig()).unwrap());
    let deployment_of = |namespace: String| {
        cluster
            .get(format!(
                "{server}/apis/apps/v1/namespaces/{namespace}/deployments/app"
            ))
            .bearer_auth(&token)
            .send()
    };
    let moved: Value = deployment_of(format!("sb-{target_id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let container = &moved["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "registry.example.eu/shop:7", "{moved}");
    assert_eq!(container["env"], json!([{"name": "MODE", "value": "blue"}]));
    assert_eq!(moved["spec"]["replicas"], 2);
    assert_eq!(moved["status"]["availableReplicas"], 2, "{moved}");
    assert_eq!(moved["metadata"]["labels"]["federa.io/owner"], "sb");

    let confirmed = api
        .post(
            &format!("{switch_path}/confirm-erasure"),
            consumer,
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    wait_stage(api, consumer, &switch_path, "Completed").await;
    wait_status(api, consumer, &source_id, "Erased").await;
    let gone = cluster
        .get(format!("{server}/api/v1/namespaces/sa-{source_id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404, "the source's namespace is gone");

    api.delete(&format!("/api/v1/services/{target_id}"), consumer)
        .await;
    wait_status(api, consumer, &target_id, "Deleted").await;
    for agent in &agents {
        terminate(agent);
    }
    exchange.terminate();
}
