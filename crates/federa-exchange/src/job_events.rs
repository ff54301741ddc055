//! The events a job writes about itself and its service.

use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::provisioning::{Job, Service};
use serde_json::{json, Value};

/// An event about `job`, carrying its id and action.
pub fn job_event(kind: EventKind, initiator: Initiator, job: &Job, extra: Value) -> NewEvent {
    let mut properties = json!({"jobId": job.id, "action": job.action});
    if let (Some(target), Value::Object(more)) = (properties.as_object_mut(), extra) {
        target.extend(more);
    }
    NewEvent::new(kind, initiator, job.service_id)
        .provider(Some(job.provider_id))
        .consumer(Some(job.consumer_id))
        .agent(Some(job.agent_id))
        .properties(properties)
}

/// The event of a service moving between lifecycle states because of `job`.
pub fn transition_event(initiator: Initiator, job: &Job, service: &Service, to: &str) -> NewEvent {
    job_event(
        EventKind::ServiceTransitioned,
        initiator,
        job,
        json!({"from": service.status, "to": to}),
    )
}
