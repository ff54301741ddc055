//! `federa demo`: an exchange, three providers with agents, a consumer and
//! running services, all on this machine and gone again after Ctrl-C.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use federa_agent::process::ProcessDriver;
use federa_agent::{AgentConfig, DriverConfig};
use federa_client::Client;
use serde_json::{json, Value};
use tokio::sync::watch;

/// The providers: a name, a country, and the first port of their agent's range.
const PROVIDERS: [(&str, &str, u16); 3] = [
    ("Aurora Cloud Oy", "FI", 28100),
    ("Rheinwerk Compute GmbH", "DE", 28200),
    ("Cloud Atlantique SAS", "FR", 28300),
];

/// Each provider's region, certifications, and hourly prices (EUR) of a
/// static website and of a key-value store, in the order of [`PROVIDERS`].
const MARKET: [(&str, &str, &[&str], &str, &str); 3] = [
    (
        "fi-hel-1",
        "Helsinki",
        &["ISO27001", "CISPECodeOfConduct"],
        "0.012",
        "0.030",
    ),
    (
        "de-fra-1",
        "Frankfurt",
        &["ISO27001", "BSIC5", "GaiaXLabel1"],
        "0.015",
        "0.025",
    ),
    (
        "fr-par-1",
        "Paris",
        &["ISO27001", "SecNumCloud", "HDS"],
        "0.018",
        "0.028",
    ),
];

/// The repository's `catalogue/demo/`, built in so the demo needs no checkout.
const CATALOGUE: [(&str, &str); 5] = [
    (
        "lifecycle.json",
        include_str!("../../../catalogue/demo/lifecycle.json"),
    ),
    (
        "static-website.json",
        include_str!("../../../catalogue/demo/static-website.json"),
    ),
    (
        "key-value-store.json",
        include_str!("../../../catalogue/demo/key-value-store.json"),
    ),
    (
        "metric-types.json",
        include_str!("../../../catalogue/demo/metric-types.json"),
    ),
    (
        "federa-process-agent.json",
        include_str!("../../../catalogue/demo/federa-process-agent.json"),
    ),
];

pub async fn run(listen: SocketAddr, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    // First, so that a taken address fails at once and names itself.
    let listener = federa_server::bind(listen).await?;
    let listen = listener.local_addr()?;
    let dir = tempfile::Builder::new().prefix("federa-demo-").tempdir()?;
    let admin_token = format!("demo-admin-{}", uuid::Uuid::new_v4().simple());
    let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(federa_server::serve_bound(
        listener,
        federa_server::ServeConfig {
            listen,
            database_url: format!("sqlite://{}", dir.path().join("federa.db").display()),
            database_timeouts: Default::default(),
            admin_token: Some(admin_token.clone()),
            lease: Default::default(),
            sweep_interval: Duration::from_secs(5),
            liveness: Default::default(),
            vault_key: Default::default(),
            public_url: None,
            oidc: None,
            trusted_proxies: Vec::new(),
            connections: Default::default(),
            token_lifetimes: Default::default(),
            max_properties_bytes: federa_domain::property_schema::DEFAULT_MAX_PROPERTIES_BYTES,
            agent_install_ttl: federa_domain::catalogue::INSTALL_TTL,
        },
        async {
            let _ = server_stopped.await;
        },
    ));
    let base = format!("http://{listen}");
    let admin = Client::new(&base, &admin_token)?;
    wait_until_ready(&admin).await?;

    let (stop_agents, agents_stopped) = watch::channel(false);
    let agents = tokio::sync::Mutex::new(Vec::new());
    tokio::pin!(shutdown);
    // Ctrl-C is heard while the federation is being built, too.
    let built = tokio::select! {
        built = build(&admin, dir.path(), &agents_stopped, &agents) => built,
        () = &mut shutdown => Err(anyhow::anyhow!("interrupted before the demo was ready")),
    };
    if let Ok(federation) = &built {
        print_summary(&base, &admin_token, dir.path(), federation);
        shutdown.await;
        println!("Stopping the demo…");
    }
    // Agents stop their services' processes on the way out, also when the
    // demo could not be completed.
    let _ = stop_agents.send(true);
    for agent in agents.lock().await.drain(..) {
        let _ = tokio::time::timeout(Duration::from_secs(40), agent).await;
    }
    let _ = stop_server.send(());
    let _ = server.await;
    drop(dir);
    built?;
    println!("Demo stopped; everything it started is gone.");
    Ok(())
}

struct Federation {
    consumer_token: String,
    services: Vec<(String, String, String)>,
}

/// The demo's running agents, awaited on the way out.
type Agents = tokio::sync::Mutex<Vec<tokio::task::JoinHandle<anyhow::Result<()>>>>;

async fn wait_until_ready(admin: &Client) -> anyhow::Result<()> {
    for _ in 0..100 {
        if admin
            .get("/participants?pageSize=1")
            .await
            .map(|r| r.status.is_success())
            .unwrap_or(false)
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the exchange did not answer at {}", admin.base())
}

fn id(reply: federa_client::Reply) -> anyhow::Result<String> {
    let body: Value = reply.into_json()?;
    body["id"]
        .as_str()
        .map(str::to_string)
        .context("no id in the answer")
}

async fn build(
    admin: &Client,
    dir: &std::path::Path,
    stop: &watch::Receiver<bool>,
    agents: &Agents,
) -> anyhow::Result<Federation> {
    let files: Vec<crate::catalogue::CatalogueFile> = CATALOGUE
        .iter()
        .map(|(path, text)| crate::catalogue::CatalogueFile {
            path: path.into(),
            text: text.to_string(),
        })
        .collect();
    let applied = crate::catalogue::apply(admin, &crate::catalogue::parse(&files)?).await?;
    let catalogue_id = |kind: &str, name: &str| {
        applied
            .id(kind, name)
            .map(str::to_string)
            .with_context(|| format!("the demo catalogue has no {kind} {name}"))
    };
    let website_type = catalogue_id("service type", "Static website")?;
    let kv_type = catalogue_id("service type", "Key-value store")?;
    let agent_type = catalogue_id("agent type", "Federa process agent")?;
    let expire_at = chrono::Utc::now() + chrono::Duration::days(30);

    let mut agent_ids = Vec::new();
    for (index, (name, country, first_port)) in PROVIDERS.iter().enumerate() {
        let provider = id(admin
            .post("/participants", &json!({"name": name, "status": "Enabled"}))
            .await?)?;
        let agent_id = id(admin
            .post(
                "/agents",
                &json!({"name": format!("{} agent", country.to_lowercase()), "providerId": provider, "agentTypeId": agent_type,
                        "tags": [format!("country:{country}")],
                        "configuration": {"country": country, "configDir": dir.join(format!("agent-{index}")),
                                          "workDir": dir.join(format!("agent-{index}")),
                                          "firstPort": first_port, "lastPort": first_port + 99}}),
            )
            .await?)?;
        let token: Value = admin
            .post(
                "/tokens",
                &json!({"name": format!("agent {index}"), "role": "agent", "scopeId": agent_id, "expireAt": expire_at}),
            )
            .await?
            .into_json()?;
        let config = AgentConfig {
            url: admin.base().to_string(),
            token: token["value"].as_str().map(str::to_string),
            token_file: None,
            concurrency: 4,
            poll_wait_seconds: 30,
            heartbeat_seconds: 5,
            metrics_seconds: 10,
            observe_seconds: 10,
            token_check_seconds: 3600,
            driver: DriverConfig::Process {
                work_dir: dir.join(format!("agent-{index}")),
                ports: [*first_port, first_port + 99],
                stop_on_exit: true,
                allow_commands: false,
            },
        };
        let driver = Arc::new(ProcessDriver::new(
            dir.join(format!("agent-{index}")),
            [*first_port, first_port + 99],
            true,
            false,
        )?);
        let mut stop = stop.clone();
        agents.lock().await.push(tokio::spawn(federa_agent::run(
            config,
            driver,
            async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            },
        )));
        agent_ids.push(agent_id);
        offer(
            admin,
            &provider,
            country,
            &MARKET[index],
            [website_type.as_str(), kv_type.as_str()],
        )
        .await?;
    }

    let consumer = id(admin
        .post(
            "/participants",
            &json!({"name": "Demo Consumer", "status": "Enabled"}),
        )
        .await?)?;
    let consumer_token: Value = admin
        .post(
            "/tokens",
            &json!({"name": "demo consumer", "role": "participant", "scopeId": consumer, "expireAt": expire_at}),
        )
        .await?
        .into_json()?;
    let consumer_token = consumer_token["value"]
        .as_str()
        .context("token value")?
        .to_string();
    let consumer_client = Client::new(admin.base(), &consumer_token)?;
    let group = id(consumer_client
        .post(
            "/service-groups",
            &json!({"name": "demo", "consumerId": consumer}),
        )
        .await?)?;

    let orders = [
        (
            "welcome-site",
            &website_type,
            &agent_ids[0],
            json!({"content": WELCOME_PAGE}),
        ),
        (
            "docs-site",
            &website_type,
            &agent_ids[1],
            json!({"content": "<h1>Documentation</h1><p>Served by a provider in Germany.</p>"}),
        ),
        (
            "sessions",
            &kv_type,
            &agent_ids[2],
            json!({"program": "kv-store"}),
        ),
    ];
    let mut services = Vec::new();
    for (name, service_type, agent, properties) in orders {
        let service = id(consumer_client
            .post(
                "/services",
                &json!({"name": name, "serviceTypeId": service_type, "groupId": group, "agentId": agent, "properties": properties}),
            )
            .await?)?;
        services.push((name.to_string(), service));
    }
    let mut running = Vec::new();
    for (name, service) in services {
        wait_for_status(&consumer_client, &service, "Stopped").await?;
        consumer_client
            .post(&format!("/services/{service}/start"), &json!({}))
            .await?
            .into_ok()?;
        let started = wait_for_status(&consumer_client, &service, "Started").await?;
        let url = started["agentInstanceData"]["url"]
            .as_str()
            .unwrap_or("")
            .to_string();
        running.push((name, service, url));
    }
    Ok(Federation {
        consumer_token,
        services: running,
    })
}

/// Publishes a provider's profile and its offerings of both service types,
/// so consumers can order by placement as well as by agent.
async fn offer(
    admin: &Client,
    provider: &str,
    country: &str,
    (region, city, certifications, website_price, kv_price): &(&str, &str, &[&str], &str, &str),
    [website_type, kv_type]: [&str; 2],
) -> anyhow::Result<()> {
    let expires_at = chrono::Utc::now() + chrono::Duration::days(365);
    admin
        .post(
            "/provider-profiles",
            &json!({"participantId": provider, "jurisdiction": country,
                    "regions": [{"code": region, "country": country, "name": city}],
                    "certifications": certifications.iter()
                        .map(|kind| json!({"kind": kind, "expiresAt": expires_at}))
                        .collect::<Vec<_>>()}),
        )
        .await?
        .into_ok()?;
    for (service_type, price) in [(website_type, website_price), (kv_type, kv_price)] {
        admin
            .post(
                "/offerings",
                &json!({"participantId": provider, "serviceTypeId": service_type,
                        "regions": [region], "price": {"hourly": price}}),
            )
            .await?
            .into_ok()?;
    }
    Ok(())
}

async fn wait_for_status(client: &Client, service: &str, status: &str) -> anyhow::Result<Value> {
    for _ in 0..600 {
        let body: Value = client
            .get(&format!("/services/{service}"))
            .await?
            .into_json()?;
        if body["status"] == status {
            return Ok(body);
        }
        if body["status"] == "Failed" {
            anyhow::bail!("service {service} failed");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("service {service} did not reach {status}")
}

fn print_summary(base: &str, admin_token: &str, dir: &std::path::Path, federation: &Federation) {
    println!();
    println!("Federa demo is ready.");
    println!("  Console:        {base}/console/");
    println!("  API:            {base}/api/v1   (OpenAPI: {base}/api/v1/openapi.json)");
    println!("  Admin token:    {admin_token}");
    println!("  Consumer token: {}", federation.consumer_token);
    println!(
        "  Providers:      {}",
        PROVIDERS
            .iter()
            .map(|(n, c, _)| format!("{n} ({c})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("  Data:           {}", dir.display());
    println!("  Services:");
    for (name, id, url) in &federation.services {
        println!("    {name:<14} {id}  {url}");
    }
    println!();
    println!(
        "Try: curl -H 'Authorization: Bearer {}' {base}/api/v1/services",
        federation.consumer_token
    );
    println!("Press Ctrl-C to stop the demo and remove everything it started.");
}

const WELCOME_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Welcome</title></head>\
<body><h1>Welcome to the federation</h1><p>This page is a service ordered through Federa and run by a provider in Finland.</p></body></html>";
