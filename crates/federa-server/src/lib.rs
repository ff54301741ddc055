//! Federa's HTTP layer: routes, authentication, errors, OpenAPI and the
//! `serve` entry point.

pub mod auth;
pub mod auth_limit;
mod authorized;
mod bootstrap;
pub mod client_address;
pub mod closing;
pub mod composition;
pub mod connections;
pub mod console;
mod database_lock;
pub mod error;
pub mod event_feed;
mod every_request;
pub mod extract;
pub mod metrics;
pub mod oidc;
mod openapi;
mod request_bound;
mod resource;
pub mod routes;
mod serve;
pub mod state;

/// The background upkeep of a server.
pub use federa_exchange::upkeep as maintenance;
/// The exchange's clock, wake-ups and vault, as this crate's own modules
/// for the binaries and tests that reach them through the server.
pub use federa_exchange::{clock, dispatch, liveness, vault};

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use federa_domain::pools::PoolFamily;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa_axum::router::OpenApiRouter;

pub use bootstrap::{ensure_admin_token, AdminToken};
pub use serve::{bind, serve, serve_bound, ServeConfig};
use state::AppState;
pub use vault::VaultKeyConfig;

/// Request bodies above this size are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The `/api/v1` routes with their OpenAPI description.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::document())
        .merge(routes::participants::router())
        .merge(routes::tokens::router())
        .merge(routes::service_types::router())
        .merge(routes::agent_types::router())
        .merge(routes::agents::router())
        .merge(routes::observations::router())
        .merge(routes::agent_install::router())
        .merge(routes::agent_token::router())
        .merge(routes::service_groups::router())
        .merge(routes::projects::router())
        .merge(routes::orders::router())
        .merge(routes::users::router())
        .merge(routes::memberships::router())
        .merge(routes::service_option_types::router())
        .merge(routes::service_options::router())
        .merge(routes::service_pool_sets::router())
        .merge(routes::pools::router(PoolFamily::Service))
        .merge(routes::pool_values::router(PoolFamily::Service))
        .merge(routes::pools::router(PoolFamily::Config))
        .merge(routes::pool_values::router(PoolFamily::Config))
        .merge(routes::services::router())
        .merge(routes::jobs::router())
        .merge(routes::events::router())
        .merge(routes::provider_profiles::router())
        .merge(routes::offerings::router())
        .merge(routes::placement_policies::router())
        .merge(routes::placement::router())
        .merge(routes::compositions::router())
        .merge(routes::switches::router())
        .merge(routes::invoices::router())
        .merge(routes::vault::router())
        .merge(routes::metric_types::router())
        .merge(routes::metric_entries::router())
        .merge(routes::session::router())
        .merge(routes::webhooks::router())
}

/// The whole application: `/api/v1`, health, metrics.
pub fn app(state: AppState) -> Router {
    let (api_router, document) = api().split_for_parts();
    let index = std::sync::Arc::new(api_index(&document));
    let document = std::sync::Arc::new(document);
    let api_router = api_router
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { Json(document.as_ref().clone()) }
            }),
        )
        .route(
            "/",
            get(move || {
                let index = index.clone();
                async move { Json(index.as_ref().clone()) }
            }),
        );
    Router::new()
        .nest("/api/v1", api_router)
        .route("/healthz", get(routes::health::healthz))
        .route("/ready", get(routes::health::ready))
        .route("/metrics", get(metrics::handler))
        .merge(console::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            every_request::EveryRequest {
                metrics: state.metrics.clone(),
                closing: state.closing.clone(),
                database_bound: state.database_bound,
            },
            every_request::layer,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(|_| {
            error::ApiError::internal("a handler panicked").into_response()
        }))
        .with_state(state)
}

/// What `GET /api/v1` answers, so that the printed API URL leads somewhere:
/// the OpenAPI document, the console, and every collection, read from the
/// document so that it never falls behind the routes.
fn api_index(document: &utoipa::openapi::OpenApi) -> serde_json::Value {
    let collections: std::collections::BTreeSet<String> = document
        .paths
        .paths
        .keys()
        .filter_map(|path| path.split('/').nth(1))
        .map(|collection| format!("/api/v1/{collection}"))
        .collect();
    serde_json::json!({
        "name": "Federa",
        "version": env!("CARGO_PKG_VERSION"),
        "openapi": "/api/v1/openapi.json",
        "console": "/console/",
        "authentication": "Authorization: Bearer <token> on every path below",
        "collections": collections,
    })
}

async fn not_found() -> error::ApiError {
    error::ApiError::NotFound
}

async fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(serde_json::json!({"status": "Method not allowed", "error": "this path does not accept this method"})),
    )
        .into_response()
}
