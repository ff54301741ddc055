//! `federa demo`: an exchange, three providers with agents, a consumer and
//! running services, all on this machine and gone again after Ctrl-C.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use federa_agent::process::ProcessDriver;
use federa_agent::{AgentConfig, DriverConfig};
use federa_client::api::agents::AgentCreateReq;
use federa_client::api::offerings::OfferingCreateReq;
use federa_client::api::participants::ParticipantCreateReq;
use federa_client::api::participants::ParticipantStatus;
use federa_client::api::provider_profiles::ProviderProfileCreateReq;
use federa_client::api::service_groups::ServiceGroupCreateReq;
use federa_client::api::services::{ServiceCreateReq, ServiceRes};
use federa_client::api::tokens::{Role, TokenCreateReq};
use federa_client::{
    Agents, Client, Offerings, Participants, ProviderProfiles, ServiceGroups, Services, Tokens,
};
use federa_domain::exchange::{Certification, CertificationKind, PriceSheet, Region};
use serde_json::{json, Value};
use tokio::sync::watch;
use uuid::Uuid;

/// The providers: a name, a country, and the first port of their agent's range.
const PROVIDERS: [(&str, &str, u16); 3] = [
    ("Aurora Cloud Oy", "FI", 28100),
    ("Rheinwerk Compute GmbH", "DE", 28200),
    ("Cloud Atlantique SAS", "FR", 28300),
];

/// Each provider's region, certifications, and hourly prices (EUR) of a
/// static website and of a key-value store, in the order of [`PROVIDERS`].
const MARKET: [(&str, &str, &[CertificationKind], &str, &str); 3] = [
    (
        "fi-hel-1",
        "Helsinki",
        &[
            CertificationKind::Iso27001,
            CertificationKind::CispeCodeOfConduct,
        ],
        "0.012",
        "0.030",
    ),
    (
        "de-fra-1",
        "Frankfurt",
        &[
            CertificationKind::Iso27001,
            CertificationKind::BsiC5,
            CertificationKind::GaiaXLabel1,
        ],
        "0.015",
        "0.025",
    ),
    (
        "fr-par-1",
        "Paris",
        &[
            CertificationKind::Iso27001,
            CertificationKind::SecNumCloud,
            CertificationKind::Hds,
        ],
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
            quote_validity: federa_domain::commerce::order::DEFAULT_QUOTE_VALIDITY,
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
    services: Vec<(String, Uuid, String)>,
}

/// The demo's running agents, awaited on the way out.
type RunningAgents = tokio::sync::Mutex<Vec<tokio::task::JoinHandle<anyhow::Result<()>>>>;

async fn wait_until_ready(admin: &Client) -> anyhow::Result<()> {
    for _ in 0..100 {
        if admin.list::<Participants>("pageSize=1").await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the exchange did not answer at {}", admin.base())
}

/// An id the demo's built-in catalogue names.
fn catalogue_id(
    applied: &crate::catalogue::Applied,
    kind: &str,
    name: &str,
) -> anyhow::Result<Uuid> {
    applied
        .id(kind, name)
        .and_then(|id| id.parse().ok())
        .with_context(|| format!("the demo catalogue has no {kind} {name}"))
}

async fn participant(admin: &Client, name: &str) -> anyhow::Result<Uuid> {
    let request = ParticipantCreateReq {
        name: name.to_string(),
        status: ParticipantStatus::Enabled,
    };
    Ok(admin.create::<Participants>(&request).await?.id)
}

/// A token's value, shown only in the answer that creates it.
async fn token(admin: &Client, request: TokenCreateReq) -> anyhow::Result<String> {
    admin
        .create::<Tokens>(&request)
        .await?
        .value
        .context("the exchange answered a new token without its value")
}

async fn build(
    admin: &Client,
    dir: &std::path::Path,
    stop: &watch::Receiver<bool>,
    agents: &RunningAgents,
) -> anyhow::Result<Federation> {
    let files: Vec<crate::catalogue::CatalogueFile> = CATALOGUE
        .iter()
        .map(|(path, text)| crate::catalogue::CatalogueFile {
            path: path.into(),
            text: text.to_string(),
        })
        .collect();
    let applied = crate::catalogue::apply(admin, &crate::catalogue::parse(&files)?).await?;
    let website_type = catalogue_id(&applied, "service type", "Static website")?;
    let kv_type = catalogue_id(&applied, "service type", "Key-value store")?;
    let agent_type = catalogue_id(&applied, "agent type", "Federa process agent")?;
    let expire_at = chrono::Utc::now() + chrono::Duration::days(30);

    let mut agent_ids = Vec::new();
    for (index, (name, country, first_port)) in PROVIDERS.iter().enumerate() {
        let provider = participant(admin, name).await?;
        let agent_dir = dir.join(format!("agent-{index}"));
        let configuration = json!({"country": country, "configDir": agent_dir, "workDir": agent_dir,
                                   "firstPort": first_port, "lastPort": first_port + 99});
        let agent = AgentCreateReq {
            name: format!("{} agent", country.to_lowercase()),
            provider_id: provider,
            agent_type_id: agent_type,
            tags: vec![format!("country:{country}")],
            configuration: configuration.as_object().cloned(),
            service_pool_set_id: None,
        };
        let agent_id = admin.create::<Agents>(&agent).await?.id;
        let agent_token = TokenCreateReq {
            name: format!("agent {index}"),
            role: Role::Agent,
            expire_at: Some(expire_at),
            scope_id: Some(agent_id),
        };
        let config = AgentConfig {
            url: admin.base().to_string(),
            token: Some(token(admin, agent_token).await?),
            token_file: None,
            concurrency: 4,
            poll_wait_seconds: 30,
            heartbeat_seconds: 5,
            metrics_seconds: 10,
            observe_seconds: 10,
            token_check_seconds: 3600,
            driver: DriverConfig::Process {
                work_dir: agent_dir.clone(),
                ports: [*first_port, first_port + 99],
                stop_on_exit: true,
                allow_commands: false,
            },
            transfer: None,
        };
        let driver = Arc::new(ProcessDriver::new(
            agent_dir,
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
            provider,
            country,
            &MARKET[index],
            [website_type, kv_type],
        )
        .await?;
    }

    let consumer = participant(admin, "Demo Consumer").await?;
    let consumer_token = token(
        admin,
        TokenCreateReq {
            name: "demo consumer".to_string(),
            role: Role::Participant,
            expire_at: Some(expire_at),
            scope_id: Some(consumer),
        },
    )
    .await?;
    let consumer_client = admin.with_token(&consumer_token);
    let group = ServiceGroupCreateReq {
        name: "demo".to_string(),
        consumer_id: consumer,
        project_id: None,
    };
    let group = consumer_client.create::<ServiceGroups>(&group).await?.id;

    let orders = [
        (
            "welcome-site",
            website_type,
            agent_ids[0],
            json!({"content": WELCOME_PAGE}),
        ),
        (
            "docs-site",
            website_type,
            agent_ids[1],
            json!({"content": "<h1>Documentation</h1><p>Served by a provider in Germany.</p>"}),
        ),
        (
            "sessions",
            kv_type,
            agent_ids[2],
            json!({"program": "kv-store"}),
        ),
    ];
    let mut services = Vec::new();
    for (name, service_type, agent, properties) in orders {
        let order = ServiceCreateReq {
            name: name.to_string(),
            service_type_id: service_type,
            group_id: group,
            agent_id: Some(agent),
            agent_tags: Vec::new(),
            properties: properties.as_object().cloned().unwrap_or_default(),
            placement: None,
        };
        let service = consumer_client.order_service(&order).await?.service.id;
        services.push((name.to_string(), service));
    }
    let mut running = Vec::new();
    for (name, service) in services {
        wait_for_status(&consumer_client, service, "Stopped").await?;
        consumer_client.act_on_service(service, "start").await?;
        let started = wait_for_status(&consumer_client, service, "Started").await?;
        // Each driver reports instance data of its own shape; the process
        // driver's names the URL its service answers at.
        let url = started
            .agent_instance_data
            .as_ref()
            .and_then(|data| data.get("url"))
            .and_then(Value::as_str)
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
    provider: Uuid,
    country: &str,
    (region, city, certifications, website_price, kv_price): &(
        &str,
        &str,
        &[CertificationKind],
        &str,
        &str,
    ),
    [website_type, kv_type]: [Uuid; 2],
) -> anyhow::Result<()> {
    let expires_at = chrono::Utc::now() + chrono::Duration::days(365);
    let profile = ProviderProfileCreateReq {
        participant_id: provider,
        jurisdiction: country.to_string(),
        subject_to_non_eu_law: false,
        regions: vec![Region {
            code: region.to_string(),
            country: country.to_string(),
            name: Some(city.to_string()),
        }],
        certifications: certifications
            .iter()
            .map(|&kind| Certification { kind, expires_at })
            .collect(),
    };
    admin.create::<ProviderProfiles>(&profile).await?;
    for (service_type, price) in [(website_type, website_price), (kv_type, kv_price)] {
        let offering = OfferingCreateReq {
            participant_id: provider,
            service_type_id: service_type,
            regions: vec![region.to_string()],
            price: PriceSheet {
                hourly: price.parse().context("a demo price")?,
                per_property: Vec::new(),
                per_metric: Vec::new(),
            },
            capacity: None,
            enabled: None,
            // No driver exports yet, so the demo states no terms.
            exit_terms: None,
            requires_acceptance: None,
        };
        admin.create::<Offerings>(&offering).await?;
    }
    Ok(())
}

async fn wait_for_status(
    client: &Client,
    service: Uuid,
    status: &str,
) -> anyhow::Result<ServiceRes> {
    for _ in 0..600 {
        let current = client.read::<Services>(service).await?;
        if current.status == status {
            return Ok(current);
        }
        if current.status == "Failed" {
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
