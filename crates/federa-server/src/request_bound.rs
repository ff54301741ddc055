//! A bound on how long any request may take on PostgreSQL, enforced on
//! Federa's side.
//!
//! The database's own timeouts (statement, lock, idle in transaction) end
//! work a busy or blocked server holds up, but a server that stops
//! answering altogether (frozen, or cut off by a partition that drops
//! packets) enforces nothing. Past the bound the request's work is dropped,
//! which rolls back any open transaction, and the client gets 503.
//! A long-poll's own `wait` is added to its bound.

use std::future::Future;
use std::time::Duration;

use axum::http::Uri;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::routes::jobs::parse_wait;

/// The bound on a request to `uri` when the server has `bound`: that plus
/// the long-poll wait the request asks for.
pub fn of(bound: Option<Duration>, uri: &Uri) -> Option<Duration> {
    let wait = uri
        .query()
        .into_iter()
        .flat_map(|query| query.split('&'))
        .find_map(|pair| pair.strip_prefix("wait="))
        .and_then(parse_wait)
        .unwrap_or_default();
    bound.map(|bound| bound + wait)
}

/// Runs `answer`, the rest of the request to `path`, within `bound`; 503
/// past it. Without a bound it runs as long as it takes.
pub async fn within(
    bound: Option<Duration>,
    path: String,
    answer: impl Future<Output = Response>,
) -> Response {
    let Some(bound) = bound else {
        return answer.await;
    };
    match tokio::time::timeout(bound, answer).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%path, ?bound, "the database did not answer within the request bound");
            ApiError::Unavailable.into_response()
        }
    }
}
