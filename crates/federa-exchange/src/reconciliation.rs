//! Reconciliation: an agent reports what the platform shows of its
//! services, and the exchange records it, reports drift from the lifecycle
//! state as `service.drifted` (and its end as `service.driftResolved`), and
//! takes the transition the lifecycle declares for it.
//!
//! A drift is judged only when the service has no job in flight and the
//! observation was made after the service last changed: a job's own moves
//! are not drift, and neither is an observation overtaken by one. Each
//! write is conditional on the state it judged, so of two reports racing,
//! one is recorded and the other changes nothing.

use chrono::{DateTime, TimeDelta, Utc};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::lifecycle::{ObservedState, Reconciliation};
use federa_domain::provisioning::Service;
use serde_json::json;

use crate::error::ExchangeResult;
use crate::type_rules::type_rules;
use crate::Exchange;

/// An unchanged observation is written again only this often, so agents
/// reporting every few seconds do not turn each report into writes.
const REFRESH_UNCHANGED: TimeDelta = TimeDelta::seconds(60);

/// What one observation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Agrees,
    Drifted,
    /// The same drift as last reported; no new event.
    StillDrifted,
    /// Drifted, and the lifecycle's declared transition was taken.
    Transitioned,
    Resolved,
    /// Not judged: a job is in flight, or the service changed after the
    /// observation was made.
    Skipped,
}

impl Recorded {
    pub fn as_str(self) -> &'static str {
        match self {
            Recorded::Agrees => "agrees",
            Recorded::Drifted => "drifted",
            Recorded::StillDrifted => "stillDrifted",
            Recorded::Transitioned => "transitioned",
            Recorded::Resolved => "resolved",
            Recorded::Skipped => "skipped",
        }
    }
}

fn service_event(kind: EventKind, initiator: &Initiator, service: &Service) -> NewEvent {
    NewEvent::new(kind, initiator.clone(), service.id)
        .provider(Some(service.provider_id))
        .consumer(Some(service.consumer_id))
        .agent(Some(service.agent_id))
}

/// Records that `service`'s agent saw it `observed` at `at`.
pub async fn record(
    exchange: &Exchange,
    initiator: &Initiator,
    service: &Service,
    observed: ObservedState,
    at: DateTime<Utc>,
) -> ExchangeResult<Recorded> {
    if at < service.updated_at {
        return Ok(Recorded::Skipped);
    }
    let rules = type_rules(exchange, service.service_type_id, "serviceId").await?;
    let lifecycle = &rules.lifecycle;
    // An observation made before the service last changed says nothing
    // about its present state.
    let previous = service
        .observed_state
        .as_deref()
        .and_then(ObservedState::parse)
        .filter(|_| {
            service
                .observed_at
                .is_some_and(|seen| seen >= service.updated_at)
        });
    let verdict = lifecycle.reconcile(&service.status, previous, observed);
    let properties =
        json!({"status": service.status, "observed": observed, "previousObserved": previous});
    let (events, to, outcome) = match &verdict {
        Reconciliation::Agrees | Reconciliation::StillDrifted => {
            let outcome = if verdict == Reconciliation::Agrees {
                Recorded::Agrees
            } else {
                Recorded::StillDrifted
            };
            let unchanged = previous == Some(observed)
                && service
                    .observed_at
                    .is_some_and(|seen| at - seen < REFRESH_UNCHANGED);
            if unchanged {
                return Ok(outcome);
            }
            (Vec::new(), None, outcome)
        }
        Reconciliation::Drifted { to: None } => (
            vec![
                service_event(EventKind::ServiceDrifted, initiator, service).properties(properties)
            ],
            None,
            Recorded::Drifted,
        ),
        Reconciliation::Drifted { to: Some(to) } => {
            let mut drifted = properties;
            drifted["to"] = json!(to);
            (
                vec![
                    service_event(EventKind::ServiceDrifted, initiator, service).properties(drifted),
                    service_event(EventKind::ServiceTransitioned, initiator, service).properties(
                        json!({"from": service.status, "to": to, "observed": observed, "drift": true}),
                    ),
                ],
                Some(to.as_str()),
                Recorded::Transitioned,
            )
        }
        Reconciliation::Resolved => (
            vec![
                service_event(EventKind::ServiceDriftResolved, initiator, service)
                    .properties(properties),
            ],
            None,
            Recorded::Resolved,
        ),
    };
    let written = exchange
        .store
        .record_observation(
            service,
            observed.as_str(),
            at,
            to,
            &events,
            crate::clock::now(),
        )
        .await?;
    if !written {
        return Ok(Recorded::Skipped);
    }
    if matches!(outcome, Recorded::Drifted | Recorded::Transitioned) {
        tracing::warn!(service = %service.id, status = %service.status, observed = observed.as_str(), to = ?to, "service drifted from its lifecycle state");
    }
    Ok(outcome)
}
