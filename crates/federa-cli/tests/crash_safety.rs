//! `federa serve` killed with SIGKILL under load, and started again on the
//! same database: nothing acknowledged is lost, nothing is done twice, no
//! pool value is held by two services, and the event log has no gap.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use federa_testkit::processes::Exchange;
use federa_testkit::{
    Api, Federation, TestDatabase, ADMIN_TOKEN, EXAMPLE_VM_LIFECYCLE, EXAMPLE_VM_PROPERTY_SCHEMA,
};
use serde_json::{json, Value};

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");
const RESTARTS: usize = 3;

/// What clients were told succeeded.
#[derive(Default)]
struct Acknowledged {
    services: Vec<String>,
    completed_jobs: Vec<String>,
}

async fn consumer(
    api: Api,
    federation: Arc<Federation>,
    seen: Arc<Mutex<Acknowledged>>,
    worker: usize,
) {
    for n in 0.. {
        let order = federation.order(&format!("vm-{worker}-{n}"));
        let response = api
            .try_call(
                "POST",
                "/api/v1/services",
                Some(&federation.consumer_token),
                Some(&order),
            )
            .await;
        if let Some(response) = response {
            if response.status == 201 {
                seen.lock()
                    .unwrap()
                    .services
                    .push(response.body["id"].as_str().unwrap().to_string());
            }
        } else {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn agent(api: Api, federation: Arc<Federation>, seen: Arc<Mutex<Acknowledged>>) {
    loop {
        let claimed = api
            .try_call(
                "POST",
                "/api/v1/jobs/claim",
                Some(&federation.agent_token),
                Some(&json!({"limit": 5})),
            )
            .await;
        let Some(jobs) = claimed.filter(|r| r.status == 200).map(|r| r.body) else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        for job in jobs.as_array().cloned().unwrap_or_default() {
            let id = job["id"].as_str().unwrap().to_string();
            let path = format!("/api/v1/jobs/{id}/complete");
            let done = api
                .try_call(
                    "POST",
                    &path,
                    Some(&federation.agent_token),
                    Some(&json!({})),
                )
                .await;
            if done.is_some_and(|r| r.status == 204) {
                seen.lock().unwrap().completed_jobs.push(id);
            }
        }
    }
}

/// The federation's VM with a `privateAddress` from a subnet pool of its agent.
async fn pooled_federation(api: &Api) -> Federation {
    let mut schema: Value = serde_json::from_str(EXAMPLE_VM_PROPERTY_SCHEMA).unwrap();
    schema["properties"]["privateAddress"] = json!({
        "type": "string",
        "generator": {"type": "pool", "config": {"poolType": "ip"}},
    });
    let vm = json!({
        "name": "VM",
        "propertySchema": schema,
        "lifecycleSchema": serde_json::from_str::<Value>(EXAMPLE_VM_LIFECYCLE).unwrap(),
    });
    let federation = Federation::create_with(api, &vm).await;
    let token = &federation.provider_token;
    let set = api
        .post(
            "/api/v1/service-pool-sets",
            token,
            &json!({"name": "Addresses", "providerId": federation.provider_id}),
        )
        .await;
    assert_eq!(set.status, 201, "{:?}", set.body);
    let set_id = &set.body["id"];
    let pool = api
        .post(
            "/api/v1/service-pools",
            token,
            &json!({"name": "ip", "type": "ip", "propertyType": "string", "generatorType": "subnet",
                    "generatorConfig": {"cidr": "10.20.0.0/16"}, "servicePoolSetId": set_id}),
        )
        .await;
    assert_eq!(pool.status, 201, "{:?}", pool.body);
    let attached = api
        .patch(
            &format!("/api/v1/agents/{}", federation.agent_id),
            token,
            &json!({"servicePoolSetId": set_id}),
        )
        .await;
    assert_eq!(attached.status, 200, "{:?}", attached.body);
    federation
}

#[tokio::test]
async fn acknowledged_work_survives_repeated_sigkill() {
    // A SQLite file, or a PostgreSQL database when the suite runs on one.
    let test_database = TestDatabase::create().await;
    let database = test_database.url.clone();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let keep = || tempfile::tempdir().unwrap();
    let mut exchange = Exchange::start_on(FEDERA, &database, &listen, 2, keep()).await;
    let api = exchange.api.clone();
    let federation = Arc::new(pooled_federation(&api).await);
    let seen = Arc::new(Mutex::new(Acknowledged::default()));
    let mut load = Vec::new();
    for worker in 0..4 {
        load.push(tokio::spawn(consumer(
            api.clone(),
            federation.clone(),
            seen.clone(),
            worker,
        )));
    }
    for _ in 0..2 {
        load.push(tokio::spawn(agent(
            api.clone(),
            federation.clone(),
            seen.clone(),
        )));
    }
    for _ in 0..RESTARTS {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        exchange.child.start_kill().unwrap();
        exchange.child.wait().await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        exchange = Exchange::start_on(FEDERA, &database, &listen, 2, keep()).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for task in load {
        task.abort();
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        seen.services.len() > 20,
        "the load ran: {} services",
        seen.services.len()
    );

    // Every acknowledged order is there, each with an address of its own.
    let mut addresses = HashSet::new();
    for id in &seen.services {
        let service = api
            .get(&format!("/api/v1/services/{id}"), ADMIN_TOKEN)
            .await;
        assert_eq!(service.status, 200, "acknowledged service {id} is gone");
        let address = service.body["properties"]["privateAddress"]
            .as_str()
            .unwrap_or_else(|| panic!("no pooled address: {:?}", service.body))
            .to_string();
        assert!(
            addresses.insert(address.clone()),
            "{address} is held by two services"
        );
    }
    // Every acknowledged completion is recorded, and no job completed twice.
    let mut completions: HashMap<String, usize> = HashMap::new();
    let mut sequences = Vec::new();
    for page in 1.. {
        let path = format!("/api/v1/events?pageSize=100&page={page}&sort=sequenceNumber");
        // Right after the last kill, PostgreSQL may still be ending the dead
        // server's sessions and the exchange answers 503, retry later: it
        // is asked again, as a client would.
        let mut events = api.get(&path, ADMIN_TOKEN).await;
        for _ in 0..40 {
            if events.status != 503 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            events = api.get(&path, ADMIN_TOKEN).await;
        }
        let items = events.body["items"].as_array().unwrap_or_else(|| {
            panic!(
                "events page {page} after the restarts: {} {}",
                events.status, events.body
            )
        });
        for event in items {
            sequences.push(event["sequenceNumber"].as_i64().unwrap());
            if event["type"] == "job.completed" {
                *completions
                    .entry(event["properties"]["jobId"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
        }
        if events.body["hasNext"] != true {
            break;
        }
    }
    assert!(
        completions.values().all(|n| *n == 1),
        "a job completed twice"
    );
    for id in &seen.completed_jobs {
        assert_eq!(
            completions.get(id),
            Some(&1),
            "acknowledged completion of {id} is missing"
        );
        let job = api.get(&format!("/api/v1/jobs/{id}"), ADMIN_TOKEN).await;
        assert_eq!(job.body["status"], "Completed");
    }
    let expected: Vec<i64> = (1..=sequences.len() as i64).collect();
    assert_eq!(
        sequences, expected,
        "the event sequence has a gap or a repeat"
    );
    // Services and their jobs agree: a completed create left the service Stopped.
    for id in seen.completed_jobs.iter().take(50) {
        let job = api.get(&format!("/api/v1/jobs/{id}"), ADMIN_TOKEN).await;
        let service = api
            .get(
                &format!(
                    "/api/v1/services/{}",
                    job.body["serviceId"].as_str().unwrap()
                ),
                ADMIN_TOKEN,
            )
            .await;
        assert_eq!(service.body["status"], "Stopped");
    }
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        "crash safety",
        &format!(
            "{RESTARTS} SIGKILL restarts survived; {} acknowledged orders and {} acknowledged completions kept; {} events without a gap; {} pool addresses, none shared",
            seen.services.len(),
            seen.completed_jobs.len(),
            sequences.len(),
            addresses.len()
        ),
    );
    exchange.terminate();
}
