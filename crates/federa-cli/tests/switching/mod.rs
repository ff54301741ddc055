//! Two providers for end-to-end switches: a `federa serve` on the suite's
//! backend (a SQLite file, or PostgreSQL with `FEDERA_TEST_POSTGRES_URL`),
//! a source provider in Finland and a target in Germany, each publishing
//! an offering whose exit terms let a key-value store's data go as JSON,
//! and each running a real `federa agent` with a transfer listener.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use federa_testkit::processes::{agent_config, spawn_agent, wait_for, Exchange, KillOnDrop};
use federa_testkit::{Api, Federation, TestDatabase, ADMIN_TOKEN, EXAMPLE_VM_LIFECYCLE};
use serde_json::{json, Value};

pub const FEDERA: &str = env!("CARGO_BIN_EXE_federa");

fn kv_type() -> Value {
    json!({
        "name": "Key-value store",
        "propertySchema": {"properties": {"program": {"type": "string"}}},
        "lifecycleSchema": serde_json::from_str::<Value>(EXAMPLE_VM_LIFECYCLE).unwrap(),
    })
}

/// One provider's side: its agent running as a process with a transfer
/// listener, under `dir`.
pub struct Side {
    pub dir: tempfile::TempDir,
    pub agent: tokio::process::Child,
    config: PathBuf,
}

impl Side {
    fn start(base: &str, token: &str, ports: [u16; 2], transfer_listen: &str) -> Side {
        let dir = tempfile::tempdir().unwrap();
        let config = agent_config(dir.path(), base, token, ports);
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push_str(&format!(
            "\n[transfer]\ndir = \"{}\"\nlisten = \"{transfer_listen}\"\n",
            dir.path().join("transfers").display()
        ));
        std::fs::write(&config, text).unwrap();
        let agent = spawn_agent(FEDERA, &config, &dir.path().join("agent.log"));
        Side { dir, agent, config }
    }

    /// The agent's process id.
    pub fn pid(&self) -> u32 {
        self.agent.id().expect("the agent runs")
    }

    /// Starts the agent again on the same configuration, once the process
    /// before it is gone; its log in `log`.
    pub async fn restart(&mut self, log: &str) {
        self.agent.wait().await.unwrap();
        self.agent = spawn_agent(FEDERA, &self.config, &self.dir.path().join(log));
    }

    /// The directory of one of its services.
    pub fn service_dir(&self, service_id: &str) -> PathBuf {
        self.dir.path().join("work/services").join(service_id)
    }

    /// The key-value store's data file of one of its services.
    pub fn data_file(&self, service_id: &str) -> PathBuf {
        self.service_dir(service_id).join("site/data.json")
    }

    /// Where its agent receives the import of `switch_id`.
    pub fn staging_file(&self, switch_id: &str) -> PathBuf {
        self.dir
            .path()
            .join("transfers/imports")
            .join(format!("{switch_id}.part"))
    }

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }
}

/// An exchange with two providers' agents running, ready for a switch.
pub struct Switching {
    // Dropped first: no service process outlives a failing test.
    _cleanup: [KillOnDrop; 2],
    pub source: Side,
    pub target: Side,
    pub exchange: Exchange,
    pub federation: Federation,
    pub target_provider: String,
    _database: TestDatabase,
}

impl Switching {
    /// Starts the exchange and both agents, and waits until both are
    /// connected. The source's services take ports in `ports[0]`, the
    /// target's in `ports[1]`; the source serves exports on
    /// `source_listen`.
    pub async fn start(ports: [[u16; 2]; 2], source_listen: &str) -> Switching {
        let database = TestDatabase::create().await;
        let dir = tempfile::tempdir().unwrap();
        let exchange = Exchange::start_on(FEDERA, &database.url, "127.0.0.1:0", 60, dir).await;
        let api = &exchange.api;
        let federation = Federation::create_with(api, &kv_type()).await;
        let target_provider = api.participant("Berlin Cloud").await;
        let target_agent = api
            .post(
                "/api/v1/agents",
                ADMIN_TOKEN,
                &json!({"name": "berlin", "providerId": target_provider, "agentTypeId": federation.agent_type_id}),
            )
            .await;
        let target_agent_id = target_agent.body["id"].as_str().unwrap().to_string();
        let target_agent_token = api.token("agent", Some(&target_agent_id)).await;
        publish(api, &federation, &federation.provider_id, "FI").await;
        publish(api, &federation, &target_provider, "DE").await;

        let source = Side::start(&api.base, &federation.agent_token, ports[0], source_listen);
        let target = Side::start(&api.base, &target_agent_token, ports[1], "127.0.0.1:0");
        let cleanup = [
            KillOnDrop(source.dir.path().to_path_buf()),
            KillOnDrop(target.dir.path().to_path_buf()),
        ];
        for agent_id in [&federation.agent_id, &target_agent_id] {
            let path = format!("/api/v1/agents/{agent_id}");
            wait_for(api, ADMIN_TOKEN, &path, "status", "Connected").await;
        }
        Switching {
            _cleanup: cleanup,
            source,
            target,
            exchange,
            federation,
            target_provider,
            _database: database,
        }
    }

    pub fn api(&self) -> &Api {
        &self.exchange.api
    }

    pub fn consumer(&self) -> &str {
        &self.federation.consumer_token
    }

    /// Orders a key-value store placed in Finland and waits until the
    /// source agent created it (`Stopped`); its id and path.
    pub async fn order_store(&self) -> (String, String) {
        let order = json!({"name": "orders", "serviceTypeId": self.federation.service_type_id,
                           "groupId": self.federation.group_id,
                           "properties": {"program": "kv-store"}, "placement": {"countries": ["FI"]}});
        let created = self
            .api()
            .post("/api/v1/services", self.consumer(), &order)
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let service_id = created.body["id"].as_str().unwrap().to_string();
        let path = format!("/api/v1/services/{service_id}");
        wait_for(self.api(), self.consumer(), &path, "status", "Stopped").await;
        (service_id, path)
    }

    /// Asks for the switch of `service_id` to Germany; the switch as
    /// created and its path.
    pub async fn switch_to_germany(&self, service_id: &str) -> (Value, String) {
        let switch = self
            .api()
            .post(
                "/api/v1/switches",
                self.consumer(),
                &json!({"serviceId": service_id, "target": {"countries": ["DE"]}}),
            )
            .await;
        assert_eq!(switch.status, 201, "{:?}", switch.body);
        assert_eq!(
            switch.body["targetProviderId"],
            self.target_provider.as_str()
        );
        let path = format!("/api/v1/switches/{}", switch.body["id"].as_str().unwrap());
        (switch.body, path)
    }
}

/// Publishes `provider`'s profile in `country` and an offering there whose
/// exit terms let a store's data go as JSON.
async fn publish(api: &Api, federation: &Federation, provider: &str, country: &str) {
    let region = format!("{}-1", country.to_lowercase());
    api.provider_profile(provider, country, &region).await;
    let offering = api
        .post(
            "/api/v1/offerings",
            ADMIN_TOKEN,
            &json!({
                "participantId": provider,
                "serviceTypeId": federation.service_type_id,
                "regions": [region],
                "price": {"hourly": "3600"},
                "exitTerms": {"exportable": [{"name": "data", "format": "application/json"}]},
            }),
        )
        .await;
    assert_eq!(offering.status, 201, "{:?}", offering.body);
}

/// Polls the switch at `path` until it reaches `stage` (two minutes at
/// most); fails at once if it fails or is cancelled instead.
pub async fn wait_for_stage(api: &Api, token: &str, path: &str, stage: &str) -> Value {
    for _ in 0..1200 {
        let read = api.get(path, token).await;
        if read.body["stage"] == stage {
            return read.body;
        }
        assert!(
            !["Failed", "Cancelled"].contains(&read.body["stage"].as_str().unwrap_or_default()),
            "{:?}",
            read.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never reached {stage}");
}

/// A free loopback address to listen on.
pub fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}
