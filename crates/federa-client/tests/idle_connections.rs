//! The client lets go of an idle connection before the exchange would
//! close it (10 s idle by default), so a request is never written onto a
//! connection at the moment the server closes it. Observed from the
//! server's side of real loopback sockets: each accepted connection is
//! counted, and every request on it answered with keep-alive.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use federa_client::{Client, Method, IDLE_CONNECTION_KEPT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `{}` to every request head on every connection, keeping each
/// open; answers the address and the count of connections accepted.
async fn keep_alive_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counted = accepted.clone();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut received = Vec::new();
                let mut buffer = [0u8; 4096];
                loop {
                    let Ok(read) = stream.read(&mut buffer).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    received.extend_from_slice(&buffer[..read]);
                    // The requests here carry no body: a head ends a request.
                    while let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                        received.drain(..end + 4);
                        let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                                      content-length: 2\r\n\r\n{}";
                        if stream.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (address, accepted)
}

#[tokio::test]
async fn a_connection_idle_longer_than_the_exchange_allows_is_not_reused() {
    assert!(IDLE_CONNECTION_KEPT < Duration::from_secs(10));
    let (base, accepted) = keep_alive_server().await;
    let client = Client::new(&base, "token").unwrap();
    let get = || client.send_once(Method::GET, "/healthz", None, None);

    assert_eq!(get().await.unwrap().status, 200);
    assert_eq!(get().await.unwrap().status, 200);
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "requests in quick succession share a connection"
    );

    tokio::time::sleep(IDLE_CONNECTION_KEPT + Duration::from_millis(1500)).await;
    assert_eq!(get().await.unwrap().status, 200);
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        2,
        "after {IDLE_CONNECTION_KEPT:?} idle the request opens a new connection"
    );
}
