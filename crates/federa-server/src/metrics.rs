//! Prometheus metrics of the HTTP layer.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub durations: Family<RouteLabels, Histogram>,
    pub auth_failures: Counter,
    /// Client connections open now.
    pub connections_open: Gauge,
    /// Connections closed or limited because the connection cap was reached.
    pub connections_shed: Counter,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("federa");
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        let auth_failures = Counter::default();
        let connections_open = Gauge::default();
        let connections_shed = Counter::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            durations.clone(),
        );
        registry.register(
            "auth_failures",
            "Requests refused for an unknown or expired token",
            auth_failures.clone(),
        );
        registry.register(
            "connections_open",
            "Client connections open",
            connections_open.clone(),
        );
        registry.register(
            "connections_over_limit",
            "Connections closed, limited to health checks or refused at the connection cap",
            connections_shed.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            auth_failures,
            connections_open,
            connections_shed,
        }
    }

    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// The method as a label: the standard ones by name, anything else as
/// `other`, so made-up methods cannot grow the label set.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The labels a request is counted and timed by: its route template
/// (never the raw path, which would carry ids and grow the label set
/// without bound) and a method from a fixed set.
pub fn route_labels(request: &Request) -> RouteLabels {
    RouteLabels {
        method: method_label(request.method()).to_string(),
        route: request
            .extensions()
            .get::<MatchedPath>()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "unmatched".into()),
    }
}

impl Metrics {
    /// Counts one answered request and records how long it took.
    pub fn observe(&self, labels: RouteLabels, status: u16, took: Duration) {
        self.durations
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method: labels.method,
                route: labels.route,
                status,
            })
            .inc();
    }
}

pub async fn handler(State(metrics): State<Arc<Metrics>>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}
