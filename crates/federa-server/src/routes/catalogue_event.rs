//! The event every catalogue change records.

use federa_domain::access::Identity;
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use serde_json::json;
use uuid::Uuid;

/// `kind` on the object `id` named `name`, by `caller`.
pub fn catalogue_event(kind: EventKind, caller: &Identity, id: Uuid, name: &str) -> NewEvent {
    NewEvent::new(kind, Initiator::of(caller), id).properties(json!({"name": name}))
}
