//! `POST /agents/me/observations`: an agent reports what the platform shows
//! of the services it runs; see [`federa_exchange::reconciliation`].

use axum::extract::State;
use axum::Json;
use federa_domain::access::{Action, Object};
use federa_domain::event::Initiator;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use federa_api::observations::{ObservationRes, ObservationsReq, ObservationsRes};

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::Body;
use crate::routes::documented::{Invalid, Refused};
use crate::state::AppState;
use federa_exchange::reconciliation::{self, Recorded};

/// Observations one report may carry.
const MAX_OBSERVATIONS: usize = 1000;
/// How far ahead of the exchange's clock an agent's clock may run.
const CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(report))
}

/// An agent reports the observed state of services it runs.
#[utoipa::path(post, path = "/agents/me/observations", tag = "Agents", request_body = ObservationsReq,
    responses((status = 200, body = ObservationsRes), Invalid, Refused))]
async fn report(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ObservationsReq>,
) -> ApiResult<Json<ObservationsRes>> {
    caller.may(Object::Agent, Action::UpdateStatus)?;
    let agent_id = caller
        .agent_id()
        .ok_or_else(|| ApiError::Forbidden("only an agent reports observations".into()))?;
    if req.observations.len() > MAX_OBSERVATIONS {
        return Err(ApiError::field(
            "observations",
            format!("must have at most {MAX_OBSERVATIONS} entries"),
        ));
    }
    let now = clock::now();
    let late: Vec<_> = req
        .observations
        .iter()
        .enumerate()
        .filter(|(_, o)| o.observed_at.is_some_and(|at| at > now + CLOCK_SKEW))
        .map(|(index, _)| {
            federa_domain::listing::FieldError::new(
                format!("observations[{index}].observedAt"),
                "must not be in the future",
            )
        })
        .collect();
    if !late.is_empty() {
        return Err(late.into());
    }
    let initiator = Initiator::of(&caller);
    let mut results = Vec::with_capacity(req.observations.len());
    for observation in req.observations {
        let service = state.store.service(observation.service_id).await?;
        let outcome = match service.filter(|service| service.agent_id == agent_id) {
            None => "ignored",
            Some(service) => {
                let at = observation.observed_at.unwrap_or(now).min(now);
                reconciliation::record(&state, &initiator, &service, observation.state, at)
                    .await
                    .map(Recorded::as_str)?
            }
        };
        results.push(ObservationRes {
            service_id: observation.service_id,
            outcome: outcome.to_string(),
        });
    }
    Ok(Json(ObservationsRes { results }))
}
