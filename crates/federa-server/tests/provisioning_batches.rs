//! `POST /jobs/finish`: an agent's reports on several jobs in one request,
//! written in one transaction and answered each on its own.

use std::sync::Arc;
use std::time::{Duration, Instant};

use federa_testkit::federa_client::api::jobs::{
    CompleteJobReq, FailJobReq, FinishJobReq, FinishJobsReq, FinishJobsRes,
};
use federa_testkit::{error_paths, Federation, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};
use uuid::Uuid;

/// Orders a service in a group of its own and claims its job as the
/// federation's agent; the service's and the job's ids.
async fn claimed_job(server: &TestServer, federation: &Federation, name: &str) -> (String, Uuid) {
    let group = federation.group(server, name).await;
    let mut order = federation.order(name);
    order["groupId"] = json!(group);
    let ordered = server
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    let service_id = ordered.body["id"].as_str().unwrap().to_string();
    let jobs = server
        .get(
            &format!("/api/v1/jobs?serviceId={service_id}"),
            &federation.agent_token,
        )
        .await;
    let job_id: Uuid = jobs.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let claimed = server
        .post(
            &format!("/api/v1/jobs/{job_id}/claim"),
            &federation.agent_token,
            &json!({}),
        )
        .await;
    assert_eq!(claimed.status, 204, "{:?}", claimed.body);
    (service_id, job_id)
}

/// A second agent of the federation's provider, tagged `second`, with its
/// token; orders asking for that tag are placed on it.
async fn second_agent(server: &TestServer, federation: &Federation) -> (String, String) {
    let (id, token) = federation.agent(server, "agent-2", &["second"]).await;
    // Untagged orders go to the first connected agent by id: the first.
    server.report_connected(&federation.agent_token).await;
    server.report_connected(&token).await;
    (id, token)
}

/// Orders a service for the second agent and claims its job with `token`.
async fn claimed_by_second(
    server: &TestServer,
    federation: &Federation,
    token: &str,
    name: &str,
) -> Uuid {
    let group = federation.group(server, name).await;
    let mut order = federation.order(name);
    order["groupId"] = json!(group);
    order["agentTags"] = json!(["second"]);
    let ordered = server
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    let pending = server.get("/api/v1/jobs/pending", token).await;
    let id: Uuid = pending.body[0]["id"].as_str().unwrap().parse().unwrap();
    let claimed = server
        .post(&format!("/api/v1/jobs/{id}/claim"), token, &json!({}))
        .await;
    assert_eq!(claimed.status, 204, "{:?}", claimed.body);
    id
}

async fn job(server: &TestServer, id: Uuid) -> Value {
    server
        .get(&format!("/api/v1/jobs/{id}"), ADMIN_TOKEN)
        .await
        .body
}

/// The events that finished jobs wrote about `jobs`, in the log's order,
/// as `(type, jobId)`.
async fn finish_events(server: &TestServer, jobs: &[Uuid]) -> Vec<(String, Uuid)> {
    let mut events: Vec<(i64, String, Uuid)> = Vec::new();
    for kind in ["job.completed", "job.failed", "service.transitioned"] {
        let page = server
            .get(
                &format!("/api/v1/events?type={kind}&pageSize=100"),
                ADMIN_TOKEN,
            )
            .await;
        let items = page.body["items"].as_array().cloned().unwrap_or_default();
        assert!(items.len() < 100, "one page holds them all");
        events.extend(items.iter().filter_map(|e| {
            let job: Uuid = e["properties"]["jobId"].as_str()?.parse().ok()?;
            jobs.contains(&job)
                .then(|| (e["sequenceNumber"].as_i64().unwrap(), kind.to_string(), job))
        }));
    }
    events.sort();
    events
        .into_iter()
        .map(|(_, kind, job)| (kind, job))
        .collect()
}

fn completed(id: Uuid) -> FinishJobReq {
    FinishJobReq::completed(id, CompleteJobReq::default())
}

fn failed(id: Uuid, message: &str) -> FinishJobReq {
    FinishJobReq::failed(
        id,
        FailJobReq {
            error_message: message.into(),
            attempt: None,
        },
    )
}

fn codes(answer: &FinishJobsRes) -> Vec<u16> {
    answer.jobs.iter().map(|a| a.code).collect()
}

#[tokio::test]
async fn a_batch_finishes_every_job_with_its_events_in_order_and_a_repeat_changes_nothing() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let mut jobs = Vec::new();
    let mut services = Vec::new();
    for name in ["one", "two", "three"] {
        let (service, job) = claimed_job(&server, &federation, name).await;
        services.push(service);
        jobs.push(job);
    }
    let agent = server.client(&federation.agent_token);
    let with_instance = CompleteJobReq {
        agent_instance_id: Some("vm-3".into()),
        ..CompleteJobReq::default()
    };
    let batch = FinishJobsReq {
        jobs: vec![
            completed(jobs[0]),
            failed(jobs[1], "disk full"),
            FinishJobReq::completed(jobs[2], with_instance),
        ],
    };
    let answer = agent.finish_jobs(&batch).await.expect("batch answered");
    assert_eq!(codes(&answer), [204, 204, 204], "{answer:?}");
    assert_eq!(
        answer.jobs.iter().map(|a| a.job_id).collect::<Vec<_>>(),
        jobs
    );
    assert_eq!(job(&server, jobs[0]).await["status"], "Completed");
    let second = job(&server, jobs[1]).await;
    assert_eq!(second["status"], "Failed");
    assert_eq!(second["errorMessage"], "disk full");
    assert_eq!(job(&server, jobs[2]).await["status"], "Completed");
    let third = server
        .get(&format!("/api/v1/services/{}", services[2]), ADMIN_TOKEN)
        .await;
    assert_eq!(third.body["agentInstanceId"], "vm-3", "{:?}", third.body);
    assert_eq!(third.body["status"], "Stopped", "{:?}", third.body);

    let expected: Vec<(String, Uuid)> = [
        ("job.completed", jobs[0]),
        ("service.transitioned", jobs[0]),
        ("job.failed", jobs[1]),
        ("service.transitioned", jobs[1]),
        ("job.completed", jobs[2]),
        ("service.transitioned", jobs[2]),
    ]
    .into_iter()
    .map(|(kind, job)| (kind.to_string(), job))
    .collect();
    assert_eq!(finish_events(&server, &jobs).await, expected);

    // The same batch again, as an agent whose answer was lost sends it:
    // every report is answered as finished and nothing is written twice.
    let again = agent.finish_jobs(&batch).await.expect("batch answered");
    assert_eq!(codes(&again), [204, 204, 204], "{again:?}");
    assert_eq!(finish_events(&server, &jobs).await, expected);
}

#[tokio::test]
async fn a_batch_finish_wakes_the_agents_long_poll_for_the_groups_next_job() {
    let server = Arc::new(TestServer::start().await);
    let federation = Arc::new(Federation::create(&server).await);
    let (_, first) = claimed_job(&server, &federation, "first").await;
    // A second service in the first one's group: its job waits for the first.
    let group = server
        .get(&format!("/api/v1/jobs/{first}"), ADMIN_TOKEN)
        .await
        .body["service"]["groupId"]
        .as_str()
        .unwrap()
        .to_string();
    let mut order = federation.order("second");
    order["groupId"] = json!(group);
    let ordered = server
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    let waiting = {
        let (server, federation) = (server.clone(), federation.clone());
        tokio::spawn(async move {
            let asked = Instant::now();
            let pending = server
                .get("/api/v1/jobs/pending?wait=20s", &federation.agent_token)
                .await;
            (pending, asked.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let answer = server
        .client(&federation.agent_token)
        .finish_jobs(&FinishJobsReq {
            jobs: vec![completed(first)],
        })
        .await
        .unwrap();
    assert_eq!(codes(&answer), [204]);
    let (pending, waited) = waiting.await.unwrap();
    assert_eq!(
        pending.body.as_array().map(Vec::len),
        Some(1),
        "{:?}",
        pending.body
    );
    assert!(waited < Duration::from_secs(10), "woken after {waited:?}");
}

#[tokio::test]
async fn a_mixed_batch_records_the_good_reports_and_names_each_refused_one() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let (_, good) = claimed_job(&server, &federation, "good").await;
    let (_, done) = claimed_job(&server, &federation, "done").await;
    let (_, invalid) = claimed_job(&server, &federation, "invalid").await;
    let (_, second) = second_agent(&server, &federation).await;
    let foreign = claimed_by_second(&server, &federation, &second, "foreign").await;
    let completion = server
        .post(
            &format!("/api/v1/jobs/{done}/complete"),
            &federation.agent_token,
            &json!({}),
        )
        .await;
    assert_eq!(completion.status, 204);

    let batch = json!({"jobs": [
        {"jobId": good, "outcome": "completed"},
        {"jobId": foreign, "outcome": "completed"},
        {"jobId": done, "outcome": "failed", "errorMessage": "too late"},
        {"jobId": invalid, "outcome": "completed", "agentInstanceId": "x".repeat(1001)},
    ]});
    let answer = server
        .post("/api/v1/jobs/finish", &federation.agent_token, &batch)
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let answer: FinishJobsRes = serde_json::from_value(answer.body).unwrap();
    let refused_status = |index: usize| {
        answer.jobs[index]
            .refused
            .as_ref()
            .map(|r| r.status.clone())
            .unwrap_or_default()
    };
    assert_eq!(codes(&answer), [204, 403, 409, 400], "{answer:?}");
    assert!(answer.jobs[0].refused.is_none());
    assert_eq!(refused_status(1), "Forbidden");
    assert_eq!(refused_status(2), "Conflict");
    let invalid_answer = answer.jobs[3].refused.as_ref().unwrap();
    assert_eq!(invalid_answer.status, "Validation failed");
    let paths: Vec<&str> = invalid_answer
        .errors
        .iter()
        .map(|e| e.path.as_str())
        .collect();
    assert_eq!(paths, ["jobs[3].agentInstanceId"]);

    assert_eq!(job(&server, good).await["status"], "Completed");
    assert_eq!(job(&server, done).await["status"], "Completed");
    assert_eq!(job(&server, invalid).await["status"], "Processing");
    assert_eq!(job(&server, foreign).await["status"], "Processing");
    assert_eq!(
        finish_events(&server, &[good, foreign, invalid]).await,
        [
            ("job.completed".to_string(), good),
            ("service.transitioned".to_string(), good)
        ]
    );
}

#[tokio::test]
async fn a_malformed_batch_is_refused_whole_naming_each_field_by_its_index() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let (_, claimed) = claimed_job(&server, &federation, "kept").await;
    let refused = |body: Value| {
        let (server, token) = (&server, federation.agent_token.clone());
        async move {
            let answer = server.post("/api/v1/jobs/finish", &token, &body).await;
            assert_eq!(answer.status, 400, "{body}: {:?}", answer.body);
            error_paths(&answer.body)
        }
    };
    let paths = refused(json!({"jobs": [
        {"jobId": claimed, "outcome": "completed"},
        {"jobId": "not-an-id", "outcome": "completed"},
        {"jobId": claimed, "outcome": "done"},
    ]}))
    .await;
    assert_eq!(paths, ["jobs[1].jobId", "jobs[2].outcome"]);
    let other = Uuid::now_v7();
    let paths = refused(json!({"jobs": [
        {"jobId": claimed, "outcome": "failed"},
        {"jobId": other, "outcome": "completed", "errorMessage": "both"},
        {"jobId": claimed, "outcome": "completed"},
        {"jobId": Uuid::now_v7(), "outcome": "failed", "errorMessage": "no", "properties": {}},
    ]}))
    .await;
    assert_eq!(
        paths,
        [
            "jobs[0].errorMessage",
            "jobs[1].errorMessage",
            "jobs[2].jobId",
            "jobs[3].properties"
        ]
    );
    assert_eq!(refused(json!({"jobs": []})).await, ["jobs"]);
    let many: Vec<Value> = (0..101)
        .map(|_| json!({"jobId": Uuid::now_v7(), "outcome": "completed"}))
        .collect();
    assert_eq!(refused(json!({ "jobs": many })).await, ["jobs"]);
    assert_eq!(refused(json!({})).await, ["jobs"]);
    // A refused batch writes nothing.
    assert_eq!(job(&server, claimed).await["status"], "Processing");

    // U+0000 is kept as U+FFFD in a failure's message, as `/fail` keeps it,
    // and refused elsewhere.
    let paths = refused(json!({"jobs": [
        {"jobId": claimed, "outcome": "completed", "agentInstanceId": "a\u{0}b"},
    ]}))
    .await;
    assert_eq!(paths, ["jobs[0].agentInstanceId"]);
    let answer = server
        .post(
            "/api/v1/jobs/finish",
            &federation.agent_token,
            &json!({"jobs": [{"jobId": claimed, "outcome": "failed", "errorMessage": "a\u{0}b"}]}),
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["jobs"][0]["code"], 204);
    assert_eq!(job(&server, claimed).await["errorMessage"], "a\u{FFFD}b");
}

#[tokio::test]
async fn only_the_claiming_agent_finishes_its_jobs_in_a_batch() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let (_, claimed) = claimed_job(&server, &federation, "mine").await;
    let (_, second) = second_agent(&server, &federation).await;
    let batch = json!({"jobs": [{"jobId": claimed, "outcome": "completed"}]});
    for token in [
        federation.consumer_token.as_str(),
        federation.provider_token.as_str(),
        ADMIN_TOKEN,
    ] {
        let answer = server.post("/api/v1/jobs/finish", token, &batch).await;
        assert_eq!(answer.status, 403, "{:?}", answer.body);
    }
    let answer = server.post("/api/v1/jobs/finish", &second, &batch).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["jobs"][0]["code"], 403, "{:?}", answer.body);
    assert_eq!(job(&server, claimed).await["status"], "Processing");
    let answer = server
        .post("/api/v1/jobs/finish", &federation.agent_token, &batch)
        .await;
    assert_eq!(answer.body["jobs"][0]["code"], 204, "{:?}", answer.body);
    assert_eq!(job(&server, claimed).await["status"], "Completed");
}

#[tokio::test]
async fn a_batch_and_a_single_report_racing_on_one_job_finish_it_exactly_once() {
    let server = Arc::new(TestServer::start().await);
    let federation = Arc::new(Federation::create(&server).await);
    let (_, other_agent) = second_agent(&server, &federation).await;
    // A second instance of the same agent, with its own token.
    let second_instance = server.token("agent", Some(&federation.agent_id)).await;
    for round in 0..5 {
        let (_, id) = claimed_job(&server, &federation, &format!("race-{round}")).await;

        let batch = {
            let (server, token) = (server.clone(), federation.agent_token.clone());
            tokio::spawn(async move {
                let body = json!({"jobs": [{"jobId": id, "outcome": "completed"}]});
                let answer = server.post("/api/v1/jobs/finish", &token, &body).await;
                assert_eq!(answer.status, 200, "{:?}", answer.body);
                answer.body["jobs"][0]["code"].as_u64().unwrap()
            })
        };
        let single = {
            let (server, token) = (server.clone(), second_instance.clone());
            tokio::spawn(async move {
                let body = json!({"errorMessage": "gave up"});
                let path = format!("/api/v1/jobs/{id}/fail");
                u64::from(server.post(&path, &token, &body).await.status)
            })
        };
        let foreign = server
            .post(
                "/api/v1/jobs/finish",
                &other_agent,
                &json!({"jobs": [{"jobId": id, "outcome": "completed"}]}),
            )
            .await;
        assert_eq!(foreign.body["jobs"][0]["code"], 403, "{:?}", foreign.body);
        let mut answers = [batch.await.unwrap(), single.await.unwrap()];
        answers.sort();
        assert_eq!(answers, [204, 409], "round {round}");
        let finished = finish_events(&server, &[id]).await;
        let finishes = finished
            .iter()
            .filter(|(kind, _)| kind.starts_with("job."))
            .count();
        assert_eq!(finishes, 1, "round {round}: {finished:?}");
        assert_eq!(finished.len(), 2, "round {round}: {finished:?}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_batch_endpoint() {
    let server = TestServer::start().await;
    let doc = server.call("GET", "/api/v1/openapi.json", None, None).await;
    let finish = &doc.body["paths"]["/jobs/finish"]["post"];
    assert!(finish.is_object(), "{:?}", doc.body["paths"]);
    let schema = &finish["requestBody"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(schema, "#/components/schemas/FinishJobsReq");
    for name in [
        "FinishJobsReq",
        "FinishJobReq",
        "FinishJobsRes",
        "FinishedJobRes",
        "JobOutcome",
    ] {
        assert!(
            doc.body["components"]["schemas"][name].is_object(),
            "{name}"
        );
    }
}
