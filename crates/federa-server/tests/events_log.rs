//! The event log: listing with filters, leased consumption with
//! acknowledgements, and the ordering guarantees subscribers rely on.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{Duration, Utc};
use federa_testkit::{backend_name, error_paths, Response, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

const LIST: &str = "/api/v1/events";
const LEASE: &str = "/api/v1/events/lease";
const ACK: &str = "/api/v1/events/ack";

fn sequences(events: &Value) -> Vec<i64> {
    events
        .as_array()
        .expect("an array of events")
        .iter()
        .map(|e| e["sequenceNumber"].as_i64().expect("sequenceNumber"))
        .collect()
}

fn kinds(events: &Value) -> Vec<String> {
    events
        .as_array()
        .expect("an array of events")
        .iter()
        .map(|e| e["type"].as_str().expect("type").to_string())
        .collect()
}

async fn lease(server: &TestServer, subscriber: &str, instance: &str, limit: u32) -> Response {
    server
        .post(
            LEASE,
            ADMIN_TOKEN,
            &json!({"subscriberId": subscriber, "instanceId": instance, "limit": limit}),
        )
        .await
}

async fn ack(server: &TestServer, subscriber: &str, instance: &str, sequence: i64) -> Response {
    server
        .post(
            ACK,
            ADMIN_TOKEN,
            &json!({"subscriberId": subscriber, "instanceId": instance, "lastEventSequenceProcessed": sequence}),
        )
        .await
}

/// Moves a lease's expiry into the past, as if its holder had gone quiet.
async fn expire_lease(server: &TestServer, subscriber: &str) {
    let past = Utc::now() - Duration::seconds(1);
    let sql = "UPDATE event_subscriptions SET lease_expires_at = $1 WHERE subscriber_id = $2";
    let url = &server.database.url;
    let changed = if backend_name() == "postgres" {
        let pool = sqlx::PgPool::connect(url).await.expect("connect");
        let done = sqlx::query(sql)
            .bind(past)
            .bind(subscriber)
            .execute(&pool)
            .await;
        pool.close().await;
        done.expect("update").rows_affected()
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.expect("connect");
        let done = sqlx::query(sql)
            .bind(past)
            .bind(subscriber)
            .execute(&pool)
            .await;
        pool.close().await;
        done.expect("update").rows_affected()
    };
    assert_eq!(changed, 1);
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let server = TestServer::start().await;
    let nordic = server.participant("Nordic").await;
    server.participant("Iberia").await;
    server.participant("Baltic").await;
    server.token("participant", Some(&nordic)).await;

    let all = server.get(LIST, ADMIN_TOKEN).await;
    assert_eq!(all.status, 200, "{:?}", all.body);
    assert_eq!(all.body["totalItems"], 4);
    assert_eq!(sequences(&all.body["items"]), [1, 2, 3, 4]);
    let first = &all.body["items"][0];
    assert_eq!(first["type"], "participant.created");
    // As in Fulcrum, the initiator is the token that made the change.
    let admin_tokens = server.get("/api/v1/tokens?role=admin", ADMIN_TOKEN).await;
    assert_eq!(
        admin_tokens.body["totalItems"], 1,
        "{:?}",
        admin_tokens.body
    );
    let admin_token_id = admin_tokens.body["items"][0]["id"].as_str().unwrap();
    assert_eq!(first["initiatorType"], "user");
    assert_eq!(first["initiatorId"], admin_token_id);
    assert_eq!(first["providerId"], nordic.as_str());
    assert_eq!(first["entityId"], nordic.as_str());
    assert_eq!(first["properties"]["name"], "Nordic");
    assert_eq!(first["createdAt"], first["updatedAt"]);
    assert!(first["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(first.get("agentId").is_none(), "absent ids are left out");

    let participants = server
        .get(&format!("{LIST}?type=PARTICIPANT"), ADMIN_TOKEN)
        .await;
    assert_eq!(participants.body["totalItems"], 3);
    let tokens = server
        .get(&format!("{LIST}?type=token.&type=nothing"), ADMIN_TOKEN)
        .await;
    assert_eq!(kinds(&tokens.body["items"]), ["token.created"]);
    let by_user = server
        .get(
            &format!("{LIST}?initiatorType=system,user&initiatorId={admin_token_id}"),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(by_user.body["totalItems"], 4);
    let by_system = server
        .get(&format!("{LIST}?initiatorType=system"), ADMIN_TOKEN)
        .await;
    assert_eq!(by_system.body["totalItems"], 0);
    let about_nordic = server
        .get(&format!("{LIST}?entityId={nordic}"), ADMIN_TOKEN)
        .await;
    assert_eq!(sequences(&about_nordic.body["items"]), [1]);

    let page = server
        .get(
            &format!("{LIST}?pageSize=3&page=2&sort=-sequenceNumber"),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(sequences(&page.body["items"]), [1]);
    assert_eq!(page.body["totalPages"], 2);
    assert_eq!(page.body["currentPage"], 2);
    assert_eq!(page.body["hasNext"], false);
    assert_eq!(page.body["hasPrev"], true);
    let by_time = server
        .get(&format!("{LIST}?sort=createdAt"), ADMIN_TOKEN)
        .await;
    assert_eq!(sequences(&by_time.body["items"]), [1, 2, 3, 4]);

    for (query, field) in [
        ("pageSize=0", "pageSize"),
        ("page=first", "page"),
        ("sort=name", "sort"),
        ("entityId=nordic", "entityId"),
    ] {
        let refused = server.get(&format!("{LIST}?{query}"), ADMIN_TOKEN).await;
        assert_eq!(refused.status, 400, "{query}");
        assert_eq!(error_paths(&refused.body), [field], "{query}");
    }
    server.stop().await;
}

#[tokio::test]
async fn participant_sees_only_its_own_events() {
    let server = TestServer::start().await;
    let nordic = server.participant("Nordic").await;
    let iberia = server.participant("Iberia").await;
    let nordic_token = server.token("participant", Some(&nordic)).await;
    server.token("participant", Some(&iberia)).await;
    server.token("admin", None).await;

    let seen = server.get(LIST, &nordic_token).await;
    assert_eq!(seen.status, 200, "{:?}", seen.body);
    assert_eq!(
        kinds(&seen.body["items"]),
        ["participant.created", "token.created"]
    );
    for event in seen.body["items"].as_array().unwrap() {
        assert!(
            event["providerId"] == nordic.as_str() || event["consumerId"] == nordic.as_str(),
            "{event}"
        );
    }
    let admin_sees = server.get(LIST, ADMIN_TOKEN).await;
    assert_eq!(admin_sees.body["totalItems"], 5);

    // Leasing reads the whole log, so it is the admin's alone, as in Fulcrum.
    let leased = server
        .post(
            LEASE,
            &nordic_token,
            &json!({"subscriberId": "s", "instanceId": "i"}),
        )
        .await;
    assert_eq!(leased.status, 403);
    let acked = server
        .post(
            ACK,
            &nordic_token,
            &json!({"subscriberId": "s", "instanceId": "i", "lastEventSequenceProcessed": 1}),
        )
        .await;
    assert_eq!(acked.status, 403);
    assert_eq!(server.call("GET", LIST, None, None).await.status, 401);
    server.stop().await;
}

#[tokio::test]
async fn lease_ack_and_lease_again_continues_after_the_acknowledged_sequence() {
    let server = TestServer::start().await;
    for name in ["A", "B", "C", "D", "E"] {
        server.participant(name).await;
    }

    let before = Utc::now();
    let first = lease(&server, "billing", "billing-1", 2).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.body["lastEventSequenceProcessed"], 0);
    assert_eq!(sequences(&first.body["events"]), [1, 2]);
    let expires: chrono::DateTime<Utc> = first.body["leaseExpiresAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // The default lease is five minutes.
    assert!(expires >= before + Duration::seconds(299), "{expires}");
    assert!(expires <= Utc::now() + Duration::seconds(301), "{expires}");

    let acked = ack(&server, "billing", "billing-1", 2).await;
    assert_eq!(acked.status, 200, "{:?}", acked.body);
    assert_eq!(acked.body, json!({"lastEventSequenceProcessed": 2}));

    let second = lease(&server, "billing", "billing-1", 100).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.body["lastEventSequenceProcessed"], 2);
    assert_eq!(sequences(&second.body["events"]), [3, 4, 5]);

    // Without an acknowledgement, a renewal hands out the same events again.
    let renewed = lease(&server, "billing", "billing-1", 100).await;
    assert_eq!(sequences(&renewed.body["events"]), [3, 4, 5]);
    assert_eq!(ack(&server, "billing", "billing-1", 5).await.status, 200);
    let drained = lease(&server, "billing", "billing-1", 100).await;
    assert_eq!(drained.body["events"], json!([]));
    assert_eq!(drained.body["lastEventSequenceProcessed"], 5);

    // Another subscriber keeps its own position.
    let audit = lease(&server, "audit", "audit-1", 100).await;
    assert_eq!(sequences(&audit.body["events"]), [1, 2, 3, 4, 5]);
    server.stop().await;
}

#[tokio::test]
async fn lease_terms_out_of_range_are_brought_into_range() {
    let server = TestServer::start().await;
    server.participant("A").await;
    let short = server
        .post(
            LEASE,
            ADMIN_TOKEN,
            &json!({"subscriberId": "s", "instanceId": "i", "leaseDurationSeconds": 1, "limit": 0}),
        )
        .await;
    assert_eq!(short.status, 200, "{:?}", short.body);
    assert_eq!(sequences(&short.body["events"]), [1]);
    let expires: chrono::DateTime<Utc> = short.body["leaseExpiresAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let seconds = (expires - Utc::now()).num_seconds();
    assert!((28..=30).contains(&seconds), "{seconds}");
    server.stop().await;
}

#[tokio::test]
async fn a_second_instance_gets_409_while_the_lease_is_held() {
    let server = TestServer::start().await;
    server.participant("A").await;
    assert_eq!(lease(&server, "billing", "one", 10).await.status, 200);

    let refused = lease(&server, "billing", "two", 10).await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert_eq!(
        refused.body["status"], "Lease Conflict",
        "Fulcrum's wording"
    );
    assert!(
        refused.body["error"].as_str().unwrap().contains("one"),
        "{:?}",
        refused.body
    );
    // The holder may renew at any time.
    assert_eq!(lease(&server, "billing", "one", 10).await.status, 200);

    // Once the lease lapses, another instance takes over from the
    // acknowledged position and the old holder is locked out.
    assert_eq!(ack(&server, "billing", "one", 1).await.status, 200);
    expire_lease(&server, "billing").await;
    let taken = lease(&server, "billing", "two", 10).await;
    assert_eq!(taken.status, 200, "{:?}", taken.body);
    assert_eq!(taken.body["lastEventSequenceProcessed"], 1);
    assert_eq!(lease(&server, "billing", "one", 10).await.status, 409);
    server.stop().await;
}

#[tokio::test]
async fn racing_instances_get_exactly_one_lease() {
    let server = Arc::new(TestServer::start().await);
    let mut racers = Vec::new();
    for n in 0..8 {
        let server = server.clone();
        racers.push(tokio::spawn(async move {
            lease(&server, "billing", &format!("instance-{n}"), 10)
                .await
                .status
        }));
    }
    let mut statuses = Vec::new();
    for racer in racers {
        statuses.push(racer.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409, 409, 409]);
    Arc::try_unwrap(server).ok().unwrap().stop().await;
}

#[tokio::test]
async fn acknowledgements_need_the_lease_and_move_forward() {
    let server = TestServer::start().await;
    for name in ["A", "B", "C"] {
        server.participant(name).await;
    }
    let unknown = ack(&server, "nobody", "one", 1).await;
    assert_eq!(unknown.status, 404, "{:?}", unknown.body);

    assert_eq!(lease(&server, "billing", "one", 10).await.status, 200);
    let not_holder = ack(&server, "billing", "two", 1).await;
    assert_eq!(not_holder.status, 409, "{:?}", not_holder.body);
    assert_eq!(
        not_holder.body["status"], "Acknowledgement Conflict",
        "Fulcrum's wording"
    );

    assert_eq!(ack(&server, "billing", "one", 2).await.status, 200);
    let repeated = ack(&server, "billing", "one", 2).await;
    assert_eq!(repeated.status, 409, "{:?}", repeated.body);
    let backwards = ack(&server, "billing", "one", 1).await;
    assert_eq!(backwards.status, 409);
    let beyond = ack(&server, "billing", "one", 4).await;
    assert_eq!(beyond.status, 409, "{:?}", beyond.body);
    assert!(beyond.body["error"].as_str().unwrap().contains("ends at 3"));

    expire_lease(&server, "billing").await;
    let lapsed = ack(&server, "billing", "one", 3).await;
    assert_eq!(lapsed.status, 409, "{:?}", lapsed.body);
    let position = lease(&server, "billing", "one", 10).await;
    assert_eq!(position.body["lastEventSequenceProcessed"], 2);
    assert_eq!(sequences(&position.body["events"]), [3]);
    server.stop().await;
}

#[tokio::test]
async fn bad_lease_and_ack_bodies_name_the_field() {
    let server = TestServer::start().await;
    for (path, body, fields) in [
        (LEASE, json!({"instanceId": "i"}), vec!["subscriberId"]),
        (
            LEASE,
            json!({"subscriberId": " ", "instanceId": ""}),
            vec!["subscriberId", "instanceId"],
        ),
        (
            LEASE,
            json!({"subscriberId": "s", "instanceId": "i", "leaseDurationSeconds": "long"}),
            vec!["leaseDurationSeconds"],
        ),
        (
            LEASE,
            json!({"subscriberId": "s", "instanceId": "i", "limit": 1.5}),
            vec!["limit"],
        ),
        (
            LEASE,
            json!({"subscriberId": "x".repeat(256), "instanceId": "i"}),
            vec!["subscriberId"],
        ),
        (
            ACK,
            json!({"subscriberId": "s", "instanceId": "i"}),
            vec!["lastEventSequenceProcessed"],
        ),
        (
            ACK,
            json!({"subscriberId": "s", "instanceId": "i", "lastEventSequenceProcessed": 0}),
            vec!["lastEventSequenceProcessed"],
        ),
        (
            ACK,
            json!({"subscriberId": "s", "instanceId": 7, "lastEventSequenceProcessed": 1}),
            vec!["instanceId"],
        ),
    ] {
        let refused = server.post(path, ADMIN_TOKEN, &body).await;
        assert_eq!(refused.status, 400, "{path} {body}: {:?}", refused.body);
        assert_eq!(error_paths(&refused.body), fields, "{path} {body}");
    }
    let empty = server.call("POST", LEASE, Some(ADMIN_TOKEN), None).await;
    assert_eq!(empty.status, 400);
    assert_eq!(error_paths(&empty.body), ["body"]);
    server.stop().await;
}

/// Eight writers commit concurrently while one subscriber leases, reads and
/// acknowledges in small batches: it must see every sequence number exactly
/// once, in strictly increasing order, with no gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_leasing_subscriber_sees_every_concurrent_event_once_in_order() {
    const WRITERS: usize = 8;
    const EACH: usize = 30;
    let server = Arc::new(TestServer::start().await);

    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let server = server.clone();
        writers.push(tokio::spawn(async move {
            for n in 0..EACH {
                server.participant(&format!("writer {w} #{n}")).await;
            }
        }));
    }

    let total = (WRITERS * EACH) as i64;
    let mut seen: Vec<i64> = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
    while seen.len() < total as usize {
        assert!(
            tokio::time::Instant::now() < deadline,
            "saw {} of {total}",
            seen.len()
        );
        let leased = lease(&server, "race", "reader", 7).await;
        assert_eq!(leased.status, 200, "{:?}", leased.body);
        let batch = sequences(&leased.body["events"]);
        let Some(&last) = batch.last() else {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            continue;
        };
        seen.extend(batch);
        let acked = ack(&server, "race", "reader", last).await;
        assert_eq!(acked.status, 200, "{:?}", acked.body);
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let expected: Vec<i64> = (1..=total).collect();
    assert_eq!(seen, expected);
    let drained = lease(&server, "race", "reader", 7).await;
    assert_eq!(drained.body["events"], json!([]));

    // The list agrees: every number once.
    let mut listed = BTreeSet::new();
    for page in 1..=3 {
        let items = server
            .get(&format!("{LIST}?pageSize=100&page={page}"), ADMIN_TOKEN)
            .await;
        listed.extend(sequences(&items.body["items"]));
    }
    assert_eq!(listed.len(), total as usize);
    Arc::try_unwrap(server).ok().unwrap().stop().await;
}
