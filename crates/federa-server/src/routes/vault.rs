use axum::extract::{Path, State};
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use federa_api::vault::SecretRes;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::routes::documented::{Missing, Refused};
use crate::state::AppState;
use federa_exchange::secrets;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(resolve))
}

/// Resolve a `vault://` reference to its value. Only the agent that runs
/// the service holding the reference, or whose configuration holds it, may;
/// for anyone else the secret does not exist.
#[utoipa::path(get, path = "/vault/secrets/{reference}", tag = "Vault",
    params(("reference" = String, Path, description = "the reference without `vault://`")),
    responses((status = 200, body = SecretRes), Refused, Missing))]
async fn resolve(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(reference): Path<String>,
) -> ApiResult<Response> {
    let value = secrets::resolve(&state, &caller, &reference).await?;
    // Keeps the plain value out of any cache between the agent and us.
    Ok(([(CACHE_CONTROL, "no-store")], Json(SecretRes { value })).into_response())
}
