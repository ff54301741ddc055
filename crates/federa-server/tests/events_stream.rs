//! The Server-Sent Events stream of the log, read over a real HTTP
//! connection: delivery, resumption and visibility.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use federa_testkit::{TestServer, ADMIN_TOKEN};
use futures_util::stream::{self, Stream, StreamExt};
use serde_json::Value;

const STREAM: &str = "/api/v1/events/stream";
/// Generous, so a slow CI machine does not fail a test that would pass.
const PATIENCE: Duration = Duration::from_secs(30);

/// One event as it came over the wire.
#[derive(Debug)]
struct Received {
    id: i64,
    data: Value,
}

/// A client reading an open stream frame by frame.
struct SseClient {
    chunks: Pin<Box<dyn Stream<Item = Vec<u8>> + Send>>,
    buffer: String,
}

impl SseClient {
    /// The next event, skipping comments and the retry hint; `None` when the
    /// server ends the response.
    async fn next(&mut self) -> Option<Received> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(value) = line.strip_prefix("id:") {
                        id = Some(value.trim().parse().expect("numeric id"));
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.strip_prefix(' ').unwrap_or(value));
                    }
                }
                if let Some(id) = id {
                    let data = serde_json::from_str(&data).expect("JSON data");
                    return Some(Received { id, data });
                }
            }
            let chunk = tokio::time::timeout(PATIENCE, self.chunks.next())
                .await
                .expect("the stream went quiet")?;
            self.buffer
                .push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    }

    async fn take(&mut self, count: usize) -> Vec<Received> {
        let mut events = Vec::with_capacity(count);
        while events.len() < count {
            events.push(self.next().await.expect("the stream ended early"));
        }
        events
    }
}

/// Opens the stream; the status and, for a 200, the client.
async fn open(
    server: &TestServer,
    token: &str,
    query: &str,
    last_event_id: Option<&str>,
) -> (u16, Option<SseClient>) {
    let mut request = server
        .http
        .get(server.url(&format!("{STREAM}{query}")))
        .bearer_auth(token);
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    if status != 200 {
        return (status, None);
    }
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    let chunks = stream::unfold(response, |mut response| async move {
        match response.chunk().await {
            Ok(Some(bytes)) => Some((bytes.to_vec(), response)),
            _ => None,
        }
    });
    let client = SseClient {
        chunks: Box::pin(chunks),
        buffer: String::new(),
    };
    (status, Some(client))
}

fn ids(events: &[Received]) -> Vec<i64> {
    events.iter().map(|e| e.id).collect()
}

#[tokio::test]
async fn stream_delivers_history_then_live_events_and_resumes_after_last_event_id() {
    let server = TestServer::start().await;
    for name in ["A", "B", "C"] {
        server.participant(name).await;
    }
    let (status, client) = open(&server, ADMIN_TOKEN, "?after=0", None).await;
    assert_eq!(status, 200);
    let mut client = client.unwrap();
    let history = client.take(3).await;
    assert_eq!(ids(&history), [1, 2, 3]);
    assert_eq!(history[0].data["sequenceNumber"], 1);
    assert_eq!(history[0].data["type"], "participant.created");
    assert_eq!(history[2].data["properties"]["name"], "C");

    server.participant("D").await;
    server.participant("E").await;
    assert_eq!(ids(&client.take(2).await), [4, 5]);
    drop(client);

    // A reconnecting browser repeats its URL; the header decides.
    server.participant("F").await;
    let (status, client) = open(&server, ADMIN_TOKEN, "?after=0", Some("3")).await;
    assert_eq!(status, 200);
    let mut client = client.unwrap();
    assert_eq!(ids(&client.take(3).await), [4, 5, 6]);
    drop(client);

    // Without a position the stream starts at the end of the log.
    let (_, client) = open(&server, ADMIN_TOKEN, "", None).await;
    let mut client = client.unwrap();
    server.participant("G").await;
    let live = client.take(1).await;
    assert_eq!(ids(&live), [7]);
    assert_eq!(live[0].data["properties"]["name"], "G");
    drop(client);
    server.stop().await;
}

#[tokio::test]
async fn stream_applies_the_list_filters() {
    let server = TestServer::start().await;
    let nordic = server.participant("Nordic").await;
    server.token("participant", Some(&nordic)).await;
    server.participant("Iberia").await;
    let (_, client) = open(&server, ADMIN_TOKEN, "?after=0&type=participant", None).await;
    let mut client = client.unwrap();
    let events = client.take(2).await;
    assert_eq!(ids(&events), [1, 3]);
    drop(client);
    server.stop().await;
}

#[tokio::test]
async fn stream_shows_a_participant_only_its_own_events() {
    let server = TestServer::start().await;
    let nordic = server.participant("Nordic").await;
    let iberia = server.participant("Iberia").await;
    let token = server.token("participant", Some(&nordic)).await;
    let (status, client) = open(&server, &token, "?after=0", None).await;
    assert_eq!(status, 200);
    let mut client = client.unwrap();
    server
        .patch(
            &format!("/api/v1/participants/{iberia}"),
            ADMIN_TOKEN,
            &serde_json::json!({"name": "Iberia Cloud"}),
        )
        .await;
    server
        .patch(
            &format!("/api/v1/participants/{nordic}"),
            ADMIN_TOKEN,
            &serde_json::json!({"name": "Nordic Cloud"}),
        )
        .await;
    let events = client.take(3).await;
    assert_eq!(ids(&events), [1, 3, 5]);
    for event in &events {
        assert_eq!(
            event.data["providerId"],
            nordic.as_str(),
            "{:?}",
            event.data
        );
    }
    drop(client);
    server.stop().await;
}

#[tokio::test]
async fn stream_refuses_bad_positions_and_anonymous_callers() {
    let server = TestServer::start().await;
    let (status, _) = open(&server, ADMIN_TOKEN, "", Some("yesterday")).await;
    assert_eq!(status, 400);
    let refused = server.get(&format!("{STREAM}?after=-1"), ADMIN_TOKEN).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["errors"][0]["path"], "after");
    let refused = server.call("GET", STREAM, None, None).await;
    assert_eq!(refused.status, 401);
    server.stop().await;
}

/// Eight writers commit concurrently while a client reads the stream: it
/// must receive every sequence number exactly once, in order, with no gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stream_reader_sees_every_concurrent_event_once_in_order() {
    const WRITERS: usize = 8;
    const EACH: usize = 30;
    let server = Arc::new(TestServer::start().await);
    let (_, client) = open(&server, ADMIN_TOKEN, "?after=0", None).await;
    let mut client = client.unwrap();

    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let server = server.clone();
        writers.push(tokio::spawn(async move {
            for n in 0..EACH {
                server.participant(&format!("writer {w} #{n}")).await;
            }
        }));
    }
    let total = WRITERS * EACH;
    let received = client.take(total).await;
    for writer in writers {
        writer.await.unwrap();
    }
    let expected: Vec<i64> = (1..=total as i64).collect();
    assert_eq!(ids(&received), expected);
    drop(client);
    Arc::try_unwrap(server).ok().unwrap().stop().await;
}

/// Idle streams wait on the feed, not on the database: more open streams
/// than either backend's connection pool still leave the API answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idle_streams_hold_no_database_connection() {
    let server = TestServer::start().await;
    let mut clients = Vec::new();
    for _ in 0..24 {
        let (status, client) = open(&server, ADMIN_TOKEN, "", None).await;
        assert_eq!(status, 200);
        clients.push(client.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let listed = tokio::time::timeout(
        Duration::from_secs(3),
        server.get("/api/v1/events", ADMIN_TOKEN),
    )
    .await
    .expect("the list answers while streams idle");
    assert_eq!(listed.status, 200);
    server.participant("Late").await;
    for client in &mut clients {
        assert_eq!(ids(&client.take(1).await), [1]);
    }
    drop(clients);
    server.stop().await;
}
