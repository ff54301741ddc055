//! The HTTP/1.1 connections of `federa serve`: how many may be open, how
//! long one may take to send a request head or sit idle between requests,
//! and how long a shutdown waits for them.
//!
//! A connection that has no request in progress (still sending its head, or
//! idle between keep-alive requests) costs the server a file descriptor and
//! nothing else it can use, so when the cap is reached the oldest such
//! connection is closed to make room: a flood of half-sent requests cannot
//! lock anyone out. Only when every open connection is busy are new ones
//! turned away, and even then a small reserve answers `/healthz`, `/ready`
//! and `/metrics`, so an orchestrator still sees the process alive.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::metrics::Metrics;

/// Connections beyond the cap that may still ask for health, readiness and
/// metrics while every connection under the cap is busy.
pub const HEALTH_RESERVE: usize = 16;

/// File descriptors kept for everything but client connections: database
/// connections, the SQLite files, the vault key, logs.
const DESCRIPTORS_KEPT: u64 = 128;

#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Client connections open at once (beyond them only [`HEALTH_RESERVE`]);
    /// `None` fits the cap to the process's open-file limit.
    pub max_connections: Option<usize>,
    /// How long a connection may take to send a complete request head,
    /// counted from when it opens or its previous response ends; so also
    /// how long a keep-alive connection may sit idle.
    pub header_read_timeout: Duration,
    /// How long a shutdown waits for requests in progress (long-polls,
    /// event streams) before closing their connections.
    pub shutdown_deadline: Duration,
}

impl ConnectionLimits {
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(20);
    pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

    /// The cap in force: the configured one, else the default lowered to
    /// fit `descriptors` (the open-file limit) with room for the database
    /// and the health reserve.
    pub fn max_connections(&self, descriptors: Option<u64>) -> usize {
        if let Some(max) = self.max_connections {
            return max.max(1);
        }
        let Some(descriptors) = descriptors else {
            return Self::DEFAULT_MAX_CONNECTIONS;
        };
        let usable = descriptors
            .saturating_sub(DESCRIPTORS_KEPT)
            .saturating_sub(HEALTH_RESERVE as u64);
        usize::try_from(usable)
            .unwrap_or(usize::MAX)
            .clamp(1, Self::DEFAULT_MAX_CONNECTIONS)
    }
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: None,
            header_read_timeout: Self::DEFAULT_HEADER_READ_TIMEOUT,
            shutdown_deadline: Self::DEFAULT_SHUTDOWN_DEADLINE,
        }
    }
}

/// Raises the soft limit on open files to the hard limit, so the cap on
/// connections, not the operating system's default of 1,024, decides how
/// many clients are served. Returns the limit in force afterwards.
#[cfg(unix)]
pub fn raise_open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    Some(limit.rlim_cur)
}

#[cfg(not(unix))]
pub fn raise_open_file_limit() -> Option<u64> {
    None
}

/// One open connection as the cap sees it.
struct Tracked {
    /// Requests whose response has not been sent in full yet.
    in_flight: AtomicUsize,
    /// Wakes the connection's task to close it.
    close: Notify,
    health_only: bool,
}

/// Open connections by when they were accepted (ids only grow).
#[derive(Default)]
struct Registry {
    next_id: u64,
    open: BTreeMap<u64, Arc<Tracked>>,
    health_only: usize,
}

enum Admission {
    /// Served; the id removes it again.
    Served(u64, Arc<Tracked>),
    Refused,
}

struct Connections {
    max_connections: usize,
    header_read_timeout: Duration,
    registry: Mutex<Registry>,
    metrics: Arc<Metrics>,
    /// When the cap was last logged (ms since `started`), so a flood gives
    /// one log line every few seconds rather than one per connection.
    last_logged: AtomicU64,
    started: Instant,
}

const LOG_EVERY: Duration = Duration::from_secs(10);

impl Connections {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn admit(&self) -> Admission {
        let mut registry = self.registry();
        let under_cap = registry.open.len() - registry.health_only;
        let health_only = if under_cap < self.max_connections {
            false
        } else if let Some(id) = oldest_idle(&registry) {
            if let Some(idle) = registry.open.remove(&id) {
                idle.close.notify_one();
            }
            self.at_cap("closed the oldest idle connection to make room");
            false
        } else if registry.health_only < HEALTH_RESERVE {
            self.at_cap("every connection is busy; the new one may only check health");
            true
        } else {
            self.at_cap("every connection is busy; refused a new one");
            return Admission::Refused;
        };
        let id = registry.next_id;
        registry.next_id += 1;
        let tracked = Arc::new(Tracked {
            in_flight: AtomicUsize::new(0),
            close: Notify::new(),
            health_only,
        });
        registry.open.insert(id, tracked.clone());
        registry.health_only += usize::from(health_only);
        self.metrics
            .connections_open
            .set(registry.open.len() as i64);
        Admission::Served(id, tracked)
    }

    fn release(&self, id: u64, tracked: &Tracked) {
        let mut registry = self.registry();
        if registry.open.remove(&id).is_some() && tracked.health_only {
            registry.health_only -= 1;
        }
        self.metrics
            .connections_open
            .set(registry.open.len() as i64);
    }

    fn at_cap(&self, what: &str) {
        self.metrics.connections_shed.inc();
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.last_logged.load(Ordering::Relaxed);
        if (last == 0 || now.saturating_sub(last) >= LOG_EVERY.as_millis() as u64)
            && self
                .last_logged
                .compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                max_connections = self.max_connections,
                "connection limit reached: {what}"
            );
        }
    }
}

/// The oldest connection with no request in progress, if any; one that is
/// only there for health checks is never taken for it.
fn oldest_idle(registry: &Registry) -> Option<u64> {
    registry
        .open
        .iter()
        .find(|(_, tracked)| !tracked.health_only && tracked.in_flight.load(Ordering::Acquire) == 0)
        .map(|(id, _)| *id)
}

/// Counts a request in progress from when its head is read until its
/// response body is sent or dropped.
struct InFlight(Arc<Tracked>);

impl InFlight {
    fn new(tracked: Arc<Tracked>) -> InFlight {
        tracked.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(tracked)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

fn is_health_path(path: &str) -> bool {
    matches!(path, "/healthz" | "/ready" | "/metrics")
}

fn over_capacity() -> Response<Body> {
    let body = serde_json::json!({
        "status": "Service unavailable",
        "error": "the server is at its connection limit; retry later",
    });
    Response::builder()
        .status(StatusCode::SERVICE_UNAVAILABLE)
        .header("content-type", "application/json")
        .header("connection", "close")
        .header("retry-after", "1")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests
/// in progress finish for at most the shutdown deadline.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    descriptors: Option<u64>,
    metrics: Arc<Metrics>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let connections = Arc::new(Connections {
        max_connections: limits.max_connections(descriptors),
        header_read_timeout: limits.header_read_timeout,
        registry: Mutex::default(),
        metrics,
        last_logged: AtomicU64::new(0),
        started: Instant::now(),
    });
    let (stopping, stop_signal) = watch::channel(false);
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors or a connection reset before it was
                // taken: wait a little instead of spinning.
                tracing::warn!(%error, "accept error");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let (id, tracked) = match connections.admit() {
            Admission::Served(id, tracked) => (id, tracked),
            Admission::Refused => {
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let connections = connections.clone();
        let app = app.clone();
        let stop_signal = stop_signal.clone();
        tasks.spawn(async move {
            serve_one(stream, peer, app, &connections, &tracked, stop_signal).await;
            connections.release(id, &tracked);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    let open = tasks.len();
    let drained = tokio::time::timeout(limits.shutdown_deadline, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = tasks.len(),
            of = open,
            deadline_seconds = limits.shutdown_deadline.as_secs(),
            "shutdown deadline reached: closing the connections still open"
        );
        tasks.shutdown().await;
    }
}

async fn serve_one(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    connections: &Connections,
    tracked: &Arc<Tracked>,
    mut stop_signal: watch::Receiver<bool>,
) {
    let for_requests = tracked.clone();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let in_flight = InFlight::new(for_requests.clone());
        let health_only = for_requests.health_only;
        let app = app.clone();
        async move {
            if health_only && !is_health_path(request.uri().path()) {
                return Ok::<_, Infallible>(over_capacity());
            }
            // The failed-authentication limit counts by peer address.
            request.extensions_mut().insert(ConnectInfo(peer));
            let response = match app.oneshot(request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            // The request stays in progress until its body is sent: an
            // event stream is busy, not idle.
            Ok(response.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _ = &in_flight;
                    frame
                }))
            }))
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(connections.header_read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        () = tracked.close.notified() => return,
        _ = stop_signal.wait_for(|stop| *stop) => {}
    }
    // Shutting down: idle connections close now, busy ones after their
    // response; the caller's deadline bounds the wait.
    connection.as_mut().graceful_shutdown();
    tokio::select! {
        _ = connection.as_mut() => {}
        () = tracked.close.notified() => {}
    }
}
