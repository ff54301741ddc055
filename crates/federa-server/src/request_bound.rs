//! A bound on how long any request may take on PostgreSQL, enforced on
//! Federa's side.
//!
//! The database's own timeouts (statement, lock, idle in transaction) end
//! work a busy or blocked server holds up, but a server that stops
//! answering altogether (frozen, or cut off by a partition that drops
//! packets) enforces nothing. Past the bound the request's work is dropped,
//! which rolls back any open transaction, and the client gets 503.
//! A long-poll's own `wait` is added to its bound.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::routes::jobs::parse_wait;
use crate::state::AppState;

pub async fn bound(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(bound) = state.database_bound else {
        return next.run(request).await;
    };
    let wait = request
        .uri()
        .query()
        .into_iter()
        .flat_map(|query| query.split('&'))
        .find_map(|pair| pair.strip_prefix("wait="))
        .and_then(parse_wait)
        .unwrap_or_default();
    let path = request.uri().path().to_string();
    match tokio::time::timeout(bound + wait, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%path, ?bound, "the database did not answer within the request bound");
            ApiError::Unavailable.into_response()
        }
    }
}
