//! `GET /session`: who the bearer of a token is, so a client (the console,
//! a script) can show what the caller may reach without probing endpoints.

use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use federa_api::session::SessionRes;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(session))
}

/// The caller's role and the participant or agent its token is scoped to.
#[utoipa::path(get, path = "/session", tag = "Session",
    responses((status = 200, body = SessionRes), (status = 401)))]
async fn session(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<Json<SessionRes>> {
    let participant_name = match caller.participant_id() {
        Some(id) => state.store.participant(id).await?.map(|p| p.name),
        None => None,
    };
    Ok(Json(SessionRes {
        role: caller.role(),
        participant_id: caller.participant_id(),
        participant_name,
        agent_id: caller.agent_id(),
    }))
}
