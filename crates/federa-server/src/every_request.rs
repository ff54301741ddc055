//! What every request passes through before its handler, as one layer: it
//! is counted as open (for a graceful stop), counted and timed for the
//! metrics, refused if its path holds U+0000, and bounded in time on
//! PostgreSQL. One layer rather than four, because each layer keeps a
//! future of its own for as long as the request lasts, and a long-poll
//! parks for up to a minute: every idle poll would hold all four.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::closing::Closing;
use crate::metrics::{route_labels, Metrics};

/// What the layer needs of the server, and no more: a parked request holds
/// a copy.
#[derive(Clone)]
pub struct EveryRequest {
    pub metrics: Arc<Metrics>,
    pub closing: Closing,
    /// See [`crate::request_bound`].
    pub database_bound: Option<Duration>,
}

pub async fn layer(State(every): State<EveryRequest>, request: Request, next: Next) -> Response {
    let _open = every.closing.open_request();
    let labels = route_labels(&request);
    let started = Instant::now();
    let response = if crate::extract::nul_in_path(request.uri()) {
        crate::extract::nul_in_path_refused().into_response()
    } else {
        let bound = crate::request_bound::of(every.database_bound, request.uri());
        // Copied, not the `Uri`: its text shares the connection's read
        // buffer, which a parked long-poll would then keep alive.
        let path = match bound {
            Some(_) => request.uri().path().to_owned(),
            None => String::new(),
        };
        crate::request_bound::within(bound, path, next.run(request)).await
    };
    every
        .metrics
        .observe(labels, response.status().as_u16(), started.elapsed());
    response
}
