//! Fulcrum compatibility, step by step: one scenario of Fulcrum Core's API
//! (setup, catalogue, pools, secrets, agents and tokens, the service
//! lifecycle with failures routed by error regexp, queue order per group,
//! metrics, the event log and its leases, agent installation, deletes, and
//! the error cases of each step) written once.
//!
//! It always runs against Federa and compares each answer with what Fulcrum
//! Core answers, as read from Fulcrum's source (`fulcrum/shapes.rs` and each
//! step's expectation). With `FULCRUM_URL` (and `FULCRUM_ADMIN_TOKEN`) naming
//! a running Fulcrum Core, the same scenario also runs there and the two
//! servers' answers are compared directly: status codes, member names and
//! JSON types, error envelopes, event types and payload shapes.
//!
//! Every difference must be listed in `fulcrum/allowed_differences.json`,
//! each entry citing the README sentence that documents it; any other
//! difference fails the test. The summary line gives the counts.

#[path = "fulcrum/compare.rs"]
mod compare;
#[path = "fulcrum/shapes.rs"]
mod shapes;

use std::collections::BTreeMap;

use compare::{Answer, Difference, Expect, Observation};
use federa_domain::lifecycle::EXAMPLE_VM_LIFECYCLE;
use federa_testkit::{Api, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};
use shapes::*;

const NIL: &str = "00000000-0000-0000-0000-000000000000";

fn expect(status: u16, answer: Answer) -> Expect {
    Expect { status, answer }
}
fn created(shape: Shape) -> Expect {
    expect(201, Answer::One(shape))
}
fn ok(shape: Shape) -> Expect {
    expect(200, Answer::One(shape))
}
fn page(shape: Shape) -> Expect {
    expect(200, Answer::Page(shape))
}
fn array(shape: Shape) -> Expect {
    expect(200, Answer::Array(shape))
}
fn no_content() -> Expect {
    expect(204, Answer::Empty)
}
/// A document that is not JSON, such as an agent's configuration file.
fn document() -> Expect {
    expect(200, Answer::Empty)
}
fn refused(status: u16, text: &'static str) -> Expect {
    expect(status, Answer::Error(text))
}
const INVALID: &str = "Invalid request";
const VALIDATION: &str = "Validation failed";
fn invalid() -> Expect {
    refused(400, INVALID)
}
fn forbidden() -> Expect {
    refused(403, "Forbidden")
}
fn not_found() -> Expect {
    refused(404, "Resource not found")
}

fn id(body: &Value) -> String {
    body["id"].as_str().unwrap_or(NIL).to_string()
}

/// The scenario's run against one server: its answers, and the facts the
/// scenario checked along the way that are not shapes (a state reached, the
/// job the queue hands out).
struct Run {
    api: Api,
    admin: String,
    observations: Vec<Observation>,
    facts: Vec<Difference>,
    /// The agent and the id of its token, for the event checks.
    facts_context: Option<(String, String)>,
}

impl Run {
    async fn step(
        &mut self,
        step: &str,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        expect: Expect,
    ) -> Value {
        let path = if path.starts_with("/api/") {
            path.to_string()
        } else {
            format!("/api/v1{path}")
        };
        let response = self.api.call(method, &path, token, body.as_ref()).await;
        self.observations.push(Observation {
            step: step.to_string(),
            status: response.status,
            body: response.body.clone(),
            expect,
        });
        response.body
    }

    /// Records that `actual` is not what Fulcrum's rules give at `step`.
    fn fact(&mut self, step: &str, detail: &str, actual: &Value, expected: Value) {
        if *actual != expected {
            self.facts.push(Difference {
                step: step.to_string(),
                kind: "value",
                detail: detail.to_string(),
                fulcrum: expected.to_string(),
                federa: actual.to_string(),
            });
        }
    }

    async fn next_job(&mut self, step: &str, agent: &str) -> Value {
        let pending = self
            .step(step, "GET", "/jobs/pending", Some(agent), None, array(JOB))
            .await;
        pending.get(0).cloned().unwrap_or(Value::Null)
    }

    async fn service_status(&mut self, step: &str, token: &str, service: &str, expected: &str) {
        let body = self
            .step(
                step,
                "GET",
                &format!("/services/{service}"),
                Some(token),
                None,
                ok(SERVICE),
            )
            .await;
        self.fact(step, "status", &body["status"], json!(expected));
    }
}

fn service_type() -> Value {
    json!({
        "name": "VM",
        "propertySchema": {"properties": {
            "cpu": {"type": "integer", "required": true},
            "memory": {"type": "integer", "required": true,
                       "validators": [{"type": "min", "config": {"value": 128}}]},
            "publicIp": {"type": "string", "generator": {"type": "pool", "config": {"poolType": "public_ip"}}},
            "password": {"type": "string", "secret": {"type": "persistent"}}
        }},
        "lifecycleSchema": serde_json::from_str::<Value>(EXAMPLE_VM_LIFECYCLE).unwrap(),
    })
}

/// The scenario. Each step names what Fulcrum answers.
async fn scenario(run: &mut Run) {
    let admin = run.admin.clone();
    let admin = admin.as_str();

    // Participants and their tokens.
    let provider = run
        .step(
            "participant.create",
            "POST",
            "/participants",
            Some(admin),
            Some(json!({"name": "Provider", "status": "Enabled"})),
            created(PARTICIPANT),
        )
        .await;
    let provider = id(&provider);
    let consumer = run
        .step(
            "participant.create.consumer",
            "POST",
            "/participants",
            Some(admin),
            Some(json!({"name": "Consumer", "status": "Enabled"})),
            created(PARTICIPANT),
        )
        .await;
    let consumer = id(&consumer);
    run.step(
        "participant.create.noName",
        "POST",
        "/participants",
        Some(admin),
        Some(json!({"name": "", "status": "Enabled"})),
        invalid(),
    )
    .await;
    let token =
        |name: &str, role: &str, scope: &str| json!({"name": name, "role": role, "scopeId": scope});
    let provider_token = run
        .step(
            "token.create",
            "POST",
            "/tokens",
            Some(admin),
            Some(token("provider", "participant", &provider)),
            created(TOKEN),
        )
        .await["value"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let provider_token = provider_token.as_str();
    let consumer_token = run
        .step(
            "token.create.consumer",
            "POST",
            "/tokens",
            Some(admin),
            Some(token("consumer", "participant", &consumer)),
            created(TOKEN),
        )
        .await["value"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let consumer_token = consumer_token.as_str();
    run.step(
        "token.create.badRole",
        "POST",
        "/tokens",
        Some(admin),
        Some(token("x", "wizard", &provider)),
        invalid(),
    )
    .await;

    // The catalogue.
    let vm_type = run
        .step(
            "serviceType.create",
            "POST",
            "/service-types",
            Some(admin),
            Some(service_type()),
            created(SERVICE_TYPE),
        )
        .await;
    let vm_type = id(&vm_type);
    run.step(
        "serviceType.create.badLifecycle",
        "POST",
        "/service-types",
        Some(admin),
        Some(json!({"name": "Bad", "propertySchema": {"properties": {}},
                    "lifecycleSchema": {"states": [], "actions": []}})),
        invalid(),
    )
    .await;
    run.step(
        "serviceType.create.byParticipant",
        "POST",
        "/service-types",
        Some(provider_token),
        Some(service_type()),
        forbidden(),
    )
    .await;
    let hypervisor = run
        .step(
            "agentType.create",
            "POST",
            "/agent-types",
            Some(admin),
            Some(json!({"name": "Hypervisor", "serviceTypeIds": [vm_type],
                "configurationSchema": {"properties": {
                    "region": {"type": "string", "required": true},
                    "apiKey": {"type": "string", "secret": {"type": "persistent"}}}}})),
            created(AGENT_TYPE),
        )
        .await;
    let hypervisor = id(&hypervisor);
    let install_command = "curl -fsS -H 'Authorization: Bearer {{.authToken}}' {{.configUrl}}";
    let installable = json!({"name": "Installable", "serviceTypeIds": [vm_type],
        "configurationSchema": {"properties": {"region": {"type": "string"}}},
        "configTemplate": "region: {{.region}}\n", "cmdTemplate": install_command});
    let installable_type = run
        .step(
            "agentType.create.installable",
            "POST",
            "/agent-types",
            Some(admin),
            Some(installable.clone()),
            created(AGENT_TYPE),
        )
        .await;
    let installable_type = id(&installable_type);
    for (step, command) in [
        ("agentType.create.noAuthToken", "curl {{.configUrl}}"),
        (
            "agentType.create.noConfigUrl",
            "agent --token {{.authToken}}",
        ),
    ] {
        let mut body = installable.clone();
        body["name"] = json!(step);
        body["cmdTemplate"] = json!(command);
        run.step(
            step,
            "POST",
            "/agent-types",
            Some(admin),
            Some(body),
            invalid(),
        )
        .await;
    }
    let cpu_metric = run
        .step(
            "metricType.create",
            "POST",
            "/metric-types",
            Some(admin),
            Some(json!({"name": "vm.cpu.usage", "entityType": "Resource"})),
            created(METRIC_TYPE),
        )
        .await;
    let cpu_metric = id(&cpu_metric);
    run.step(
        "metricType.create.badEntity",
        "POST",
        "/metric-types",
        Some(admin),
        Some(json!({"name": "vm.odd", "entityType": "Planet"})),
        invalid(),
    )
    .await;

    // Pools.
    let set = run
        .step(
            "poolSet.create",
            "POST",
            "/service-pool-sets",
            Some(provider_token),
            Some(json!({"name": "Edge", "providerId": provider})),
            created(POOL_SET),
        )
        .await;
    let set = id(&set);
    let pool = run
        .step(
            "pool.create",
            "POST",
            "/service-pools",
            Some(provider_token),
            Some(
                json!({"name": "ips", "type": "public_ip", "propertyType": "string",
                        "generatorType": "list", "servicePoolSetId": set}),
            ),
            created(POOL),
        )
        .await;
    let pool = id(&pool);
    let mut addresses = Vec::new();
    for (step, address) in [
        ("poolValue.create", "192.0.2.10"),
        ("poolValue.create.second", "192.0.2.11"),
    ] {
        let value = run
            .step(
                step,
                "POST",
                "/service-pool-values",
                Some(provider_token),
                Some(json!({"servicePoolId": pool, "name": address, "value": address})),
                created(POOL_VALUE),
            )
            .await;
        addresses.push(id(&value));
    }
    run.step(
        "poolValue.create.unknownPool",
        "POST",
        "/service-pool-values",
        Some(provider_token),
        Some(json!({"servicePoolId": NIL, "name": "x", "value": "192.0.2.99"})),
        forbidden(),
    )
    .await;

    // The agent, its token, its status and its secrets.
    let agent = run
        .step(
            "agent.create",
            "POST",
            "/agents",
            Some(provider_token),
            Some(
                json!({"name": "edge-1", "providerId": provider, "agentTypeId": hypervisor,
                        "tags": ["eu"], "configuration": {"region": "fi", "apiKey": "s3cr3t-key"},
                        "servicePoolSetId": set}),
            ),
            created(AGENT),
        )
        .await;
    run.fact(
        "agent.create",
        "status",
        &agent["status"],
        json!("Disconnected"),
    );
    let agent = id(&agent);
    run.step(
        "agent.create.missingConfig",
        "POST",
        "/agents",
        Some(provider_token),
        Some(
            json!({"name": "edge-x", "providerId": provider, "agentTypeId": hypervisor,
                    "tags": [], "configuration": {}}),
        ),
        refused(400, VALIDATION),
    )
    .await;
    let agent_token_res = run
        .step(
            "token.create.agent",
            "POST",
            "/tokens",
            Some(provider_token),
            Some(token("edge-1", "agent", &agent)),
            created(TOKEN),
        )
        .await;
    let agent_token = agent_token_res["value"].as_str().unwrap_or("").to_string();
    let agent_token = agent_token.as_str();
    let me = run
        .step(
            "agent.me",
            "GET",
            "/agents/me",
            Some(agent_token),
            None,
            ok(AGENT),
        )
        .await;
    run.step(
        "agent.me.byParticipant",
        "GET",
        "/agents/me",
        Some(provider_token),
        None,
        forbidden(),
    )
    .await;
    run.step(
        "agent.status",
        "PUT",
        "/agents/me/status",
        Some(agent_token),
        Some(json!({"status": "Connected"})),
        ok(AGENT),
    )
    .await;
    run.step(
        "agent.status.unknown",
        "PUT",
        "/agents/me/status",
        Some(agent_token),
        Some(json!({"status": "Happy"})),
        invalid(),
    )
    .await;
    let reference = me["configuration"]["apiKey"]
        .as_str()
        .unwrap_or("vault://none")
        .to_string();
    let secret = run
        .step(
            "vault.agentConfiguration",
            "GET",
            &format!(
                "/vault/secrets/{}",
                reference.trim_start_matches("vault://")
            ),
            Some(agent_token),
            None,
            ok(SECRET),
        )
        .await;
    run.fact(
        "vault.agentConfiguration",
        "value",
        &secret["value"],
        json!("s3cr3t-key"),
    );
    run.step(
        "vault.unknown",
        "GET",
        &format!("/vault/secrets/{NIL}"),
        Some(agent_token),
        None,
        not_found(),
    )
    .await;

    // A service through its lifecycle.
    let group = run
        .step(
            "serviceGroup.create",
            "POST",
            "/service-groups",
            Some(consumer_token),
            Some(json!({"name": "web", "consumerId": consumer})),
            created(SERVICE_GROUP),
        )
        .await;
    let group = id(&group);
    let order = |name: &str| {
        json!({"name": name, "serviceTypeId": vm_type, "groupId": group,
        "agentId": agent, "properties": {"cpu": 2, "memory": 1024, "password": "hunter2-pass"}})
    };
    run.step(
        "service.create.invalidProperties",
        "POST",
        "/services",
        Some(consumer_token),
        Some(
            json!({"name": "bad", "serviceTypeId": vm_type, "groupId": group, "agentId": agent,
                    "properties": {"memory": 64}}),
        ),
        refused(400, VALIDATION),
    )
    .await;
    let vm1 = run
        .step(
            "service.create",
            "POST",
            "/services",
            Some(consumer_token),
            Some(order("vm-1")),
            created(SERVICE),
        )
        .await;
    run.fact(
        "service.create",
        "properties.publicIp",
        &vm1["properties"]["publicIp"],
        json!("192.0.2.10"),
    );
    let vm1 = id(&vm1);
    run.step(
        "jobs.pending.byAdmin",
        "GET",
        "/jobs/pending",
        Some(admin),
        None,
        forbidden(),
    )
    .await;
    let job = run.next_job("jobs.pending.create", agent_token).await;
    run.fact(
        "jobs.pending.create",
        "action",
        &job["action"],
        json!("create"),
    );
    let password = job["params"]["password"]
        .as_str()
        .unwrap_or("vault://none")
        .to_string();
    let secret = run
        .step(
            "vault.serviceSecret",
            "GET",
            &format!("/vault/secrets/{}", password.trim_start_matches("vault://")),
            Some(agent_token),
            None,
            ok(SECRET),
        )
        .await;
    run.fact(
        "vault.serviceSecret",
        "value",
        &secret["value"],
        json!("hunter2-pass"),
    );
    let job_id = id(&job);
    run.step(
        "job.complete.unclaimed",
        "POST",
        &format!("/jobs/{job_id}/complete"),
        Some(agent_token),
        Some(json!({"agentInstanceId": "vm-1"})),
        invalid(),
    )
    .await;
    run.step(
        "job.claim",
        "POST",
        &format!("/jobs/{job_id}/claim"),
        Some(agent_token),
        None,
        no_content(),
    )
    .await;
    run.step(
        "job.claim.repeat",
        "POST",
        &format!("/jobs/{job_id}/claim"),
        Some(agent_token),
        None,
        invalid(),
    )
    .await;
    let report = json!({"agentInstanceId": "vm-1", "agentInstanceData": {"ip": "192.0.2.10"}});
    run.step(
        "job.complete",
        "POST",
        &format!("/jobs/{job_id}/complete"),
        Some(agent_token),
        Some(report.clone()),
        no_content(),
    )
    .await;
    run.step(
        "job.complete.repeat",
        "POST",
        &format!("/jobs/{job_id}/complete"),
        Some(agent_token),
        Some(report),
        invalid(),
    )
    .await;
    run.step(
        "job.complete.other",
        "POST",
        &format!("/jobs/{job_id}/complete"),
        Some(agent_token),
        Some(json!({"agentInstanceId": "vm-other"})),
        invalid(),
    )
    .await;
    run.service_status("service.afterCreate", consumer_token, &vm1, "Stopped")
        .await;

    // start fails with a quota error: the regexp routes it back to Stopped.
    run.step(
        "service.start",
        "POST",
        &format!("/services/{vm1}/start"),
        Some(consumer_token),
        None,
        ok(SERVICE),
    )
    .await;
    run.step(
        "service.stop.duringJob",
        "POST",
        &format!("/services/{vm1}/stop"),
        Some(consumer_token),
        None,
        invalid(),
    )
    .await;
    run.step(
        "service.start.unknownAction",
        "POST",
        &format!("/services/{vm1}/explode"),
        Some(consumer_token),
        None,
        invalid(),
    )
    .await;
    let job = run.next_job("jobs.pending.start", agent_token).await;
    let job_id = id(&job);
    run.step(
        "job.claim.start",
        "POST",
        &format!("/jobs/{job_id}/claim"),
        Some(agent_token),
        None,
        no_content(),
    )
    .await;
    let quota = json!({"errorMessage": "quota exceeded for cores"});
    run.step(
        "job.fail",
        "POST",
        &format!("/jobs/{job_id}/fail"),
        Some(agent_token),
        Some(quota.clone()),
        no_content(),
    )
    .await;
    run.step(
        "job.fail.repeat",
        "POST",
        &format!("/jobs/{job_id}/fail"),
        Some(agent_token),
        Some(quota),
        invalid(),
    )
    .await;
    run.step(
        "job.fail.noMessage",
        "POST",
        &format!("/jobs/{job_id}/fail"),
        Some(agent_token),
        Some(json!({})),
        invalid(),
    )
    .await;
    run.service_status("service.afterQuotaFailure", consumer_token, &vm1, "Stopped")
        .await;
    let failed = run
        .step(
            "job.get.failed",
            "GET",
            &format!("/jobs/{job_id}"),
            Some(admin),
            None,
            ok(JOB),
        )
        .await;
    run.fact(
        "job.get.failed",
        "errorMessage",
        &failed["errorMessage"],
        json!("quota exceeded for cores"),
    );

    // start again, completed this time.
    run.step(
        "service.start.again",
        "POST",
        &format!("/services/{vm1}/start"),
        Some(consumer_token),
        None,
        ok(SERVICE),
    )
    .await;
    let job = run.next_job("jobs.pending.startAgain", agent_token).await;
    let job_id = id(&job);
    run.step(
        "job.claim.startAgain",
        "POST",
        &format!("/jobs/{job_id}/claim"),
        Some(agent_token),
        None,
        no_content(),
    )
    .await;
    run.step(
        "job.complete.startAgain",
        "POST",
        &format!("/jobs/{job_id}/complete"),
        Some(agent_token),
        Some(json!({"agentInstanceId": null, "agentInstanceData": null})),
        no_content(),
    )
    .await;
    run.service_status("service.afterStart", consumer_token, &vm1, "Started")
        .await;

    // Queue order per group: one job per group, the oldest first.
    let vm2 = run
        .step(
            "service.create.second",
            "POST",
            "/services",
            Some(consumer_token),
            Some(order("vm-2")),
            created(SERVICE),
        )
        .await;
    let vm2 = id(&vm2);
    run.step(
        "service.stop",
        "POST",
        &format!("/services/{vm1}/stop"),
        Some(consumer_token),
        None,
        ok(SERVICE),
    )
    .await;
    let pending = run
        .step(
            "jobs.pending.group",
            "GET",
            "/jobs/pending",
            Some(agent_token),
            None,
            array(JOB),
        )
        .await;
    let count = pending.as_array().map_or(0, Vec::len);
    run.fact("jobs.pending.group", "length", &json!(count), json!(1));
    run.fact(
        "jobs.pending.group",
        "[0].serviceId",
        &pending[0]["serviceId"],
        json!(vm2),
    );
    let job_id = id(&pending[0]);
    run.step(
        "job.claim.second",
        "POST",
        &format!("/jobs/{job_id}/claim"),
        Some(agent_token),
        None,
        no_content(),
    )
    .await;
    run.step(
        "job.complete.second",
        "POST",
        &format!("/jobs/{job_id}/complete"),
        Some(agent_token),
        Some(json!({"agentInstanceId": "vm-2"})),
        no_content(),
    )
    .await;
    let job = run.next_job("jobs.pending.stop", agent_token).await;
    run.fact(
        "jobs.pending.stop",
        "serviceId",
        &job["serviceId"],
        json!(vm1),
    );
    let job_id = id(&job);
    run.step(
        "job.claim.stop",
        "POST",
        &format!("/jobs/{job_id}/claim"),
        Some(agent_token),
        None,
        no_content(),
    )
    .await;
    run.step(
        "job.complete.stop",
        "POST",
        &format!("/jobs/{job_id}/complete"),
        Some(agent_token),
        Some(json!({})),
        no_content(),
    )
    .await;
    run.service_status("service.afterStop", consumer_token, &vm1, "Stopped")
        .await;
    run.step(
        "jobs.list",
        "GET",
        &format!("/jobs?serviceId={vm1}"),
        Some(consumer_token),
        None,
        page(JOB),
    )
    .await;
    run.step(
        "services.list",
        "GET",
        "/services",
        Some(consumer_token),
        None,
        page(SERVICE),
    )
    .await;

    // Metrics.
    let entry = |instance: &str, type_name: &str, resource: &str| {
        json!({"agentInstanceId": instance,
        "resourceId": resource, "value": 42.5, "typeName": type_name})
    };
    run.step(
        "metricEntry.create",
        "POST",
        "/metric-entries",
        Some(agent_token),
        Some(entry("vm-1", "vm.cpu.usage", "cpu0")),
        created(METRIC_ENTRY),
    )
    .await;
    run.step(
        "metricEntry.create.byService",
        "POST",
        "/metric-entries",
        Some(agent_token),
        Some(
            json!({"serviceId": vm1, "resourceId": "cpu1", "value": 7, "typeName": "vm.cpu.usage"}),
        ),
        created(METRIC_ENTRY),
    )
    .await;
    run.step(
        "metricEntry.create.unknownType",
        "POST",
        "/metric-entries",
        Some(agent_token),
        Some(entry("vm-1", "vm.nothing", "cpu0")),
        not_found(),
    )
    .await;
    run.step(
        "metricEntry.create.unknownInstance",
        "POST",
        "/metric-entries",
        Some(agent_token),
        Some(entry("vm-404", "vm.cpu.usage", "cpu0")),
        not_found(),
    )
    .await;
    run.step(
        "metricEntry.create.noResource",
        "POST",
        "/metric-entries",
        Some(agent_token),
        Some(entry("vm-1", "vm.cpu.usage", "")),
        invalid(),
    )
    .await;
    run.step(
        "metricEntry.create.byAdmin",
        "POST",
        "/metric-entries",
        Some(admin),
        Some(entry("vm-1", "vm.cpu.usage", "cpu0")),
        forbidden(),
    )
    .await;
    run.step(
        "metricEntries.list",
        "GET",
        "/metric-entries",
        Some(admin),
        None,
        page(METRIC_ENTRY),
    )
    .await;
    run.step(
        "metricEntries.list.byAgent",
        "GET",
        "/metric-entries",
        Some(agent_token),
        None,
        forbidden(),
    )
    .await;
    let aggregate = run
        .step(
            "metricEntries.aggregate",
            "GET",
            &format!(
                "/metric-entries/aggregate/{vm1}/cpu0/{cpu_metric}?aggregateType=max&bucket=hour"
            ),
            Some(admin),
            None,
            ok(AGGREGATE),
        )
        .await;
    run.fact(
        "metricEntries.aggregate",
        "data[0][1]",
        &aggregate["data"][0][1],
        json!(42.5),
    );
    run.step("metricEntries.aggregate.tooLong", "GET",
        &format!("/metric-entries/aggregate/{vm1}/cpu0/{cpu_metric}?bucket=minute&start=2026-01-01T00:00:00Z&end=2026-01-03T00:00:00Z"),
        Some(admin), None, invalid())
        .await;

    // The event log: listing, a lease and acknowledgements.
    run.step(
        "events.list",
        "GET",
        "/events?pageSize=5",
        Some(admin),
        None,
        page(EVENT),
    )
    .await;
    let lease = |instance: &str| {
        json!({"subscriberId": "differential", "instanceId": instance,
        "leaseDurationSeconds": 60, "limit": 5})
    };
    let leased = run
        .step(
            "events.lease",
            "POST",
            "/events/lease",
            Some(admin),
            Some(lease("a")),
            ok(LEASE),
        )
        .await;
    run.step(
        "events.lease.held",
        "POST",
        "/events/lease",
        Some(admin),
        Some(lease("b")),
        refused(409, "Lease Conflict"),
    )
    .await;
    run.step(
        "events.lease.byParticipant",
        "POST",
        "/events/lease",
        Some(provider_token),
        Some(lease("a")),
        forbidden(),
    )
    .await;
    let last = leased["events"]
        .as_array()
        .and_then(|events| events.last())
        .map_or(json!(1), |event| event["sequenceNumber"].clone());
    let ack = |instance: &str| {
        json!({"subscriberId": "differential", "instanceId": instance,
        "lastEventSequenceProcessed": last})
    };
    run.step(
        "events.ack",
        "POST",
        "/events/ack",
        Some(admin),
        Some(ack("a")),
        ok(ACK),
    )
    .await;
    run.step(
        "events.ack.notHolder",
        "POST",
        "/events/ack",
        Some(admin),
        Some(ack("b")),
        refused(409, "Acknowledgement Conflict"),
    )
    .await;

    // Installing an agent.
    let installed = run
        .step(
            "agent.create.installable",
            "POST",
            "/agents",
            Some(provider_token),
            Some(
                json!({"name": "edge-2", "providerId": provider, "agentTypeId": installable_type,
                        "tags": [], "configuration": {"region": "de"}}),
            ),
            created(AGENT),
        )
        .await;
    let installed = id(&installed);
    run.step(
        "install.create.noTemplates",
        "POST",
        &format!("/agents/{agent}/install-command"),
        Some(provider_token),
        None,
        invalid(),
    )
    .await;
    let command = run
        .step(
            "install.create",
            "POST",
            &format!("/agents/{installed}/install-command"),
            Some(provider_token),
            None,
            created(INSTALL_COMMAND),
        )
        .await;
    run.step(
        "install.create.again",
        "POST",
        &format!("/agents/{installed}/install-command"),
        Some(provider_token),
        None,
        refused(409, "Conflict"),
    )
    .await;
    run.step(
        "install.get",
        "GET",
        &format!("/agents/{installed}/install-command"),
        Some(provider_token),
        None,
        ok(INSTALL_META),
    )
    .await;
    let url = command["url"].as_str().unwrap_or("");
    let config_path = url
        .find("/api/v1/")
        .map_or("/api/v1/agents/install/x/config", |at| &url[at..]);
    run.step(
        "install.fetchConfig",
        "GET",
        config_path,
        None,
        None,
        document(),
    )
    .await;
    run.step(
        "install.fetchConfig.unknown",
        "GET",
        "/agents/install/not-a-token/config",
        None,
        None,
        not_found(),
    )
    .await;
    run.step(
        "install.regenerate",
        "POST",
        &format!("/agents/{installed}/install-command/regenerate"),
        Some(provider_token),
        None,
        ok(INSTALL_COMMAND),
    )
    .await;
    run.step(
        "install.revoke",
        "DELETE",
        &format!("/agents/{installed}/install-command"),
        Some(provider_token),
        None,
        no_content(),
    )
    .await;

    // Deletes, and the pool value coming back.
    run.step(
        "service.delete",
        "DELETE",
        &format!("/services/{vm2}"),
        Some(consumer_token),
        None,
        no_content(),
    )
    .await;
    let job = run.next_job("jobs.pending.delete", agent_token).await;
    run.fact(
        "jobs.pending.delete",
        "action",
        &job["action"],
        json!("delete"),
    );
    let job_id = id(&job);
    run.step(
        "job.claim.delete",
        "POST",
        &format!("/jobs/{job_id}/claim"),
        Some(agent_token),
        None,
        no_content(),
    )
    .await;
    run.step(
        "job.complete.delete",
        "POST",
        &format!("/jobs/{job_id}/complete"),
        Some(agent_token),
        Some(json!({})),
        no_content(),
    )
    .await;
    run.service_status("service.afterDelete", consumer_token, &vm2, "Deleted")
        .await;
    let released = run
        .step(
            "poolValue.get.released",
            "GET",
            &format!("/service-pool-values/{}", addresses[1]),
            Some(provider_token),
            None,
            ok(POOL_VALUE),
        )
        .await;
    run.fact(
        "poolValue.get.released",
        "serviceId",
        &released.get("serviceId").cloned().unwrap_or(Value::Null),
        Value::Null,
    );
    run.step(
        "agent.delete",
        "DELETE",
        &format!("/agents/{installed}"),
        Some(provider_token),
        None,
        no_content(),
    )
    .await;
    let spare = run
        .step(
            "token.create.spare",
            "POST",
            "/tokens",
            Some(admin),
            Some(token("spare", "participant", &provider)),
            created(TOKEN),
        )
        .await;
    run.step(
        "token.delete",
        "DELETE",
        &format!("/tokens/{}", id(&spare)),
        Some(admin),
        None,
        no_content(),
    )
    .await;

    // Refusals any route gives.
    run.step(
        "service.get.unknown",
        "GET",
        &format!("/services/{NIL}"),
        Some(admin),
        None,
        not_found(),
    )
    .await;
    run.step(
        "service.get.notUuid",
        "GET",
        "/services/not-a-uuid",
        Some(admin),
        None,
        invalid(),
    )
    .await;
    run.step(
        "services.list.noBearer",
        "GET",
        "/services",
        None,
        None,
        refused(401, "Unauthorized"),
    )
    .await;
    run.step(
        "services.list.unknownBearer",
        "GET",
        "/services",
        Some("no-such-token"),
        None,
        forbidden(),
    )
    .await;
    run.step(
        "service.get.otherConsumer",
        "GET",
        &format!("/services/{vm1}"),
        Some(provider_token),
        None,
        ok(SERVICE),
    )
    .await;

    // Facts for the event checks.
    run.facts_context = Some((agent, id(&agent_token_res)));
}

/// Event types Fulcrum writes in this scenario (`EventType…` constants in
/// `pkg/domain`), each checked to be in the log.
const FULCRUM_EVENT_TYPES: &[&str] = &[
    "participant.created",
    "token.created",
    "token.deleted",
    "service_type.created",
    "agent_type.created",
    "metric_type.created",
    "service_pool_set.created",
    "service_pool.created",
    "service_pool_value.created",
    "agent.created",
    "agent.updated",
    "agent.deleted",
    "agent.install_token_created",
    "agent.install_token_regenerated",
    "agent.install_token_revoked",
    "service_group.created",
    "service.created",
    "service.transitioned",
];

/// The whole log, oldest first, as the admin reads it page by page.
async fn event_log(run: &Run) -> Vec<Value> {
    let mut events = Vec::new();
    for page in 1..=50 {
        let answer = run
            .api
            .get(
                &format!("/api/v1/events?page={page}&pageSize=100"),
                &run.admin,
            )
            .await;
        events.extend(answer.body["items"].as_array().cloned().unwrap_or_default());
        if answer.body["hasNext"] != json!(true) {
            break;
        }
    }
    events
}

/// The first event of each type, as an observation of its own.
fn event_samples(events: &[Value]) -> BTreeMap<String, Value> {
    let mut samples = BTreeMap::new();
    for event in events {
        if let Some(kind) = event["type"].as_str() {
            samples
                .entry(kind.to_string())
                .or_insert_with(|| event.clone());
        }
    }
    samples
}

/// Checks the log against Fulcrum's event types and the shape of Fulcrum's
/// `agent.updated`; each type's first event becomes an observation. Returns
/// how many checks were made besides those observations.
fn check_events(run: &mut Run, events: &[Value]) -> usize {
    let samples = event_samples(events);
    for kind in FULCRUM_EVENT_TYPES {
        if !samples.contains_key(*kind) {
            run.facts.push(Difference {
                step: "events".into(),
                kind: "eventType",
                detail: kind.to_string(),
                fulcrum: "present".into(),
                federa: "absent".into(),
            });
        }
    }
    for kind in samples.keys() {
        if !FULCRUM_EVENT_TYPES.contains(&kind.as_str()) {
            run.facts.push(Difference {
                step: "events".into(),
                kind: "extraEventType",
                detail: kind.clone(),
                fulcrum: "absent".into(),
                federa: "present".into(),
            });
        }
    }
    for event in samples.values() {
        run.observations.push(Observation {
            step: format!("event:{}", event["type"].as_str().unwrap_or("")),
            status: 200,
            body: event.clone(),
            expect: ok(EVENT),
        });
    }
    // The agent's own status report, as Fulcrum logs it.
    let (agent, token) = run.facts_context.clone().unwrap_or_default();
    let report = events.iter().find(|e| {
        e["type"] == "agent.updated"
            && e["agentId"] == json!(agent)
            && e["properties"]["diff"].as_array().is_some_and(|ops| {
                ops.iter()
                    .any(|op| op["path"] == "/status" && op["value"] == "Connected")
            })
    });
    let report = report.cloned().unwrap_or(Value::Null);
    run.fact(
        "event:agent.updated.statusReport",
        "initiatorType",
        &report["initiatorType"],
        json!("user"),
    );
    run.fact(
        "event:agent.updated.statusReport",
        "initiatorId",
        &report["initiatorId"],
        json!(token),
    );
    FULCRUM_EVENT_TYPES.len() + 2
}

impl Run {
    fn new(api: Api, admin: &str) -> Run {
        Run {
            api,
            admin: admin.to_string(),
            observations: Vec::new(),
            facts: Vec::new(),
            facts_context: None,
        }
    }
}

#[tokio::test]
async fn federa_answers_fulcrums_scenario_as_fulcrum_does() {
    let server = TestServer::start().await;
    let mut federa = Run::new((*server).clone(), ADMIN_TOKEN);
    scenario(&mut federa).await;
    let events = event_log(&federa).await;
    let event_steps = check_events(&mut federa, &events);

    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README");
    let allowed = compare::allow_list(include_str!("fulcrum/allowed_differences.json"), &readme);

    let mut differences: Vec<Difference> = federa
        .observations
        .iter()
        .flat_map(compare::against_expectation)
        .collect();
    differences.append(&mut federa.facts);
    let mut mode = "against Fulcrum's source";

    // Beside a running Fulcrum Core, the same scenario there, compared
    // answer by answer; its answers must also meet the expectations.
    let live = std::env::var("FULCRUM_URL")
        .ok()
        .filter(|url| !url.is_empty());
    let mut wrong_expectations = Vec::new();
    if let Some(url) = live {
        let token = std::env::var("FULCRUM_ADMIN_TOKEN").unwrap_or_else(|_| "change-me".into());
        let mut fulcrum = Run::new(Api::remote(&url), &token);
        scenario(&mut fulcrum).await;
        let fulcrum_events = event_log(&fulcrum).await;
        check_events(&mut fulcrum, &fulcrum_events);
        wrong_expectations.extend(
            fulcrum
                .observations
                .iter()
                .flat_map(compare::against_expectation),
        );
        wrong_expectations.append(&mut fulcrum.facts);
        differences.clear();
        let theirs: BTreeMap<&str, &Observation> = fulcrum
            .observations
            .iter()
            .map(|o| (o.step.as_str(), o))
            .collect();
        for ours in &federa.observations {
            match theirs.get(ours.step.as_str()) {
                Some(theirs) => differences.extend(compare::between(theirs, ours)),
                None => differences.push(Difference {
                    step: ours.step.clone(),
                    kind: "extraEventType",
                    detail: ours.step.trim_start_matches("event:").to_string(),
                    fulcrum: "absent".into(),
                    federa: "present".into(),
                }),
            }
        }
        for theirs in &fulcrum.observations {
            if !federa.observations.iter().any(|o| o.step == theirs.step) {
                differences.push(Difference {
                    step: theirs.step.clone(),
                    kind: "eventType",
                    detail: theirs.step.trim_start_matches("event:").to_string(),
                    fulcrum: "present".into(),
                    federa: "absent".into(),
                });
            }
        }
        differences.append(&mut federa.facts);
        mode = "against a running Fulcrum Core";
    }

    let steps = federa.observations.len() + event_steps;
    let (listed, unlisted): (Vec<&Difference>, Vec<&Difference>) = differences
        .iter()
        .partition(|d| allowed.iter().any(|entry| entry.covers(d)));
    for difference in &listed {
        println!("allow-listed: {difference}");
    }
    for difference in &unlisted {
        println!("UNLISTED: {difference}");
    }
    for wrong in &wrong_expectations {
        println!("FULCRUM ANSWERED OTHERWISE THAN EXPECTED: {wrong}");
    }
    println!(
        "fulcrum differential ({mode}): {steps} steps, {} allow-listed differences, {} unlisted",
        listed.len(),
        unlisted.len()
    );
    assert!(
        unlisted.is_empty(),
        "{} differences from Fulcrum are neither fixed nor allow-listed",
        unlisted.len()
    );
    assert!(
        wrong_expectations.is_empty(),
        "the scenario's expectations of Fulcrum are wrong"
    );
    server.stop().await;
}
