//! The source agent's end of the transfer channel: HTTPS with its own
//! certificate, serving each export to the holder of its transfer token.
//!
//! - `GET /exports/{switchId}` with `Authorization: Bearer <token>`: the
//!   file, streamed a chunk at a time; a `Range` request gets the rest of
//!   it (206), so a broken download resumes where it stopped.
//! - `POST /exports/{switchId}/received`: the target has the whole file
//!   and verified it; the token is spent (204).
//!
//! A wrong or missing token is answered 401, a spent or expired one 410.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use tower_http::services::ServeFile;
use uuid::Uuid;

use super::exports::{Exports, Refusal};

/// How long a client may take to complete its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `exports` on `listener` until the task is aborted.
pub async fn serve(listener: TcpListener, tls: Arc<rustls::ServerConfig>, exports: Arc<Exports>) {
    let app = Router::new()
        .route("/exports/{switch_id}", get(download))
        .route("/exports/{switch_id}/received", post(received))
        .with_state(exports);
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors, most likely: let some close.
                tracing::warn!(%error, "cannot accept a transfer connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    tracing::debug!(%peer, %error, "a transfer handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let served = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app))
                .await;
            if let Err(error) = served {
                tracing::debug!(%peer, %error, "a transfer connection ended early");
            }
        });
    }
}

async fn download(
    State(exports): State<Arc<Exports>>,
    Path(switch_id): Path<Uuid>,
    request: Request,
) -> Response {
    let path = match exports.authorize(switch_id, bearer(&request), chrono::Utc::now()) {
        Ok(path) => path,
        Err(refusal) => return refused(refusal),
    };
    tracing::info!(switch = %switch_id, range = ?request.headers().get(header::RANGE), "serving an export");
    match ServeFile::new(path).oneshot(request).await {
        Ok(response) => response.map(axum::body::Body::new),
        Err(never) => match never {},
    }
}

async fn received(
    State(exports): State<Arc<Exports>>,
    Path(switch_id): Path<Uuid>,
    request: Request,
) -> Response {
    match exports.received(switch_id, bearer(&request), chrono::Utc::now()) {
        Ok(()) => {
            tracing::info!(switch = %switch_id, "the target received its export");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(refusal) => refused(refusal),
    }
}

fn bearer(request: &Request) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn refused(refusal: Refusal) -> Response {
    let (status, message) = match refusal {
        Refusal::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            "no export for this switch accepts this transfer token",
        ),
        Refusal::Spent => (
            StatusCode::GONE,
            "this transfer token is spent: the export was received, or it expired",
        ),
    };
    (status, Json(json!({ "message": message }))).into_response()
}
