//! The audit log: every change is an event with a gap-free sequence number,
//! read by listing, by streaming, or by external subscribers that lease the
//! log and acknowledge their progress.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::access::{Caller, Identity};
use crate::event_kind::EventKind;
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};

/// Who caused a change, as recorded on its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initiator {
    /// `user` (any authenticated caller) or `system`.
    pub kind: &'static str,
    pub id: String,
    /// The person who acted, when the caller was one: the initiator's id
    /// is then the personal token, and this the user who holds it.
    pub user_id: Option<Uuid>,
}

impl Initiator {
    pub fn system() -> Initiator {
        Initiator {
            kind: "system",
            id: "system".into(),
            user_id: None,
        }
    }

    /// Any authenticated caller is a `user`, as in Fulcrum; the id is the
    /// API token that authenticated it, or for a JWT the participant or
    /// agent it names (`admin` for an admin; for a person signed in
    /// through OpenID Connect, its user).
    pub fn of(identity: &Identity) -> Initiator {
        let id = match (identity.token_id, &identity.caller) {
            (Some(token_id), _) => token_id.to_string(),
            (None, Caller::Admin) => "admin".into(),
            (None, Caller::Participant { participant_id }) => participant_id.to_string(),
            (None, Caller::Agent { agent_id, .. }) => agent_id.to_string(),
            (None, Caller::Person(person)) => person.user_id.to_string(),
        };
        Initiator {
            kind: "user",
            id,
            user_id: identity.user_id(),
        }
    }
}

/// An event about to be written with the change it describes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub initiator: Initiator,
    pub entity_id: Option<Uuid>,
    pub provider_id: Option<Uuid>,
    pub consumer_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
    pub properties: Value,
}

impl NewEvent {
    pub fn new(kind: EventKind, initiator: Initiator, entity_id: Uuid) -> NewEvent {
        NewEvent {
            kind,
            initiator,
            entity_id: Some(entity_id),
            provider_id: None,
            consumer_id: None,
            agent_id: None,
            properties: Value::Object(Default::default()),
        }
    }

    pub fn provider(mut self, id: Option<Uuid>) -> NewEvent {
        self.provider_id = id;
        self
    }

    pub fn consumer(mut self, id: Option<Uuid>) -> NewEvent {
        self.consumer_id = id;
        self
    }

    pub fn agent(mut self, id: Option<Uuid>) -> NewEvent {
        self.agent_id = id;
        self
    }

    pub fn properties(mut self, properties: Value) -> NewEvent {
        self.properties = properties;
        self
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: Uuid,
    pub sequence_number: i64,
    pub kind: String,
    pub initiator_type: String,
    pub initiator_id: String,
    /// The person who acted, if one did.
    pub initiator_user_id: Option<Uuid>,
    pub entity_id: Option<Uuid>,
    pub provider_id: Option<Uuid>,
    pub consumer_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
    pub properties: Value,
    pub created_at: DateTime<Utc>,
}

/// Reading the log: Fulcrum's filters, plus `entityId`.
pub const EVENT_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec {
            param: "initiatorType",
            column: "initiator_type",
            kind: FilterKind::Exact,
        },
        // Text, not UUID: the admin and the system are initiators too.
        FilterSpec {
            param: "initiatorId",
            column: "initiator_id",
            kind: FilterKind::Exact,
        },
        FilterSpec {
            param: "initiatorUserId",
            column: "initiator_user_id",
            kind: FilterKind::Uuid,
        },
        FilterSpec {
            param: "type",
            column: "type",
            kind: FilterKind::Contains,
        },
        FilterSpec {
            param: "entityId",
            column: "entity_id",
            kind: FilterKind::Uuid,
        },
    ],
    sorts: &[
        ("sequenceNumber", "sequence_number"),
        ("createdAt", "created_at"),
    ],
    default_sort: ("sequence_number", false),
};

/// How long a subscriber's lease lasts and how many events one lease call
/// returns. Out-of-range values are brought into range rather than refused,
/// as Fulcrum does, so its subscribers behave the same here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTerms {
    pub duration: TimeDelta,
    pub limit: u32,
}

impl LeaseTerms {
    pub const DEFAULT_SECONDS: i64 = 300;
    pub const MIN_SECONDS: i64 = 30;
    pub const MAX_SECONDS: i64 = 3600;
    pub const DEFAULT_LIMIT: i64 = 100;
    pub const MAX_LIMIT: i64 = 1000;

    pub fn new(duration_seconds: Option<i64>, limit: Option<i64>) -> LeaseTerms {
        let seconds = duration_seconds
            .unwrap_or(Self::DEFAULT_SECONDS)
            .clamp(Self::MIN_SECONDS, Self::MAX_SECONDS);
        let limit = limit
            .unwrap_or(Self::DEFAULT_LIMIT)
            .clamp(1, Self::MAX_LIMIT);
        LeaseTerms {
            duration: TimeDelta::seconds(seconds),
            // In range by the clamp above.
            limit: limit as u32,
        }
    }
}

/// The longest subscriber or instance id, so ids stay usable as keys.
pub const MAX_SUBSCRIBER_ID_CHARS: usize = 255;

/// A subscriber or instance id: not blank, at most 255 characters, kept as given.
pub fn check_subscriber_id(path: &str, id: &str) -> Result<String, FieldError> {
    if id.trim().is_empty() {
        return Err(FieldError::new(path, "must not be empty"));
    }
    if id.chars().count() > MAX_SUBSCRIBER_ID_CHARS {
        return Err(FieldError::new(
            path,
            format!("must be at most {MAX_SUBSCRIBER_ID_CHARS} characters"),
        ));
    }
    Ok(id.to_string())
}

/// An external system's progress through the log, and which of its instances
/// may currently advance it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSubscription {
    pub subscriber_id: String,
    /// Every event up to and including this sequence number is done.
    pub last_event_sequence_processed: i64,
    pub lease_owner_instance_id: Option<String>,
    pub lease_acquired_at: Option<DateTime<Utc>>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why an acknowledgement was refused; each answers 409.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckRefusal {
    #[error("no active lease for subscriber {0}; lease again first")]
    NoActiveLease(String),
    #[error("the lease is held by instance {0}, not by the caller")]
    HeldByOther(String),
    #[error("cannot acknowledge sequence {requested}: it must be greater than the acknowledged sequence {current}")]
    NotAfter { requested: i64, current: i64 },
    #[error("cannot acknowledge sequence {requested}: the log ends at {last}")]
    BeyondLog { requested: i64, last: i64 },
    /// The refused update and the explanation read disagree: another call
    /// changed the subscription in between.
    #[error("the subscription changed during the acknowledgement; lease again and retry")]
    Changed,
}

impl EventSubscription {
    /// The instance holding an unexpired lease, if any.
    pub fn active_holder(&self, now: DateTime<Utc>) -> Option<&str> {
        match (&self.lease_owner_instance_id, self.lease_expires_at) {
            (Some(owner), Some(expires)) if expires > now => Some(owner),
            _ => None,
        }
    }

    /// Whether `instance` may acknowledge up to `sequence` when the log's
    /// last sequence number is `last`; the same rules the store applies in
    /// its conditional update, used to explain a refusal.
    pub fn check_ack(
        &self,
        instance: &str,
        sequence: i64,
        last: i64,
        now: DateTime<Utc>,
    ) -> Result<(), AckRefusal> {
        match self.active_holder(now) {
            None => return Err(AckRefusal::NoActiveLease(self.subscriber_id.clone())),
            Some(holder) if holder != instance => {
                return Err(AckRefusal::HeldByOther(holder.to_string()))
            }
            Some(_) => {}
        }
        if sequence <= self.last_event_sequence_processed {
            return Err(AckRefusal::NotAfter {
                requested: sequence,
                current: self.last_event_sequence_processed,
            });
        }
        // Acknowledging a number not yet issued would make the subscriber
        // skip the events that later receive it.
        if sequence > last {
            return Err(AckRefusal::BeyondLog {
                requested: sequence,
                last,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscription(owner: Option<&str>, expires_in: i64, last: i64) -> EventSubscription {
        let now = Utc::now();
        EventSubscription {
            subscriber_id: "billing".into(),
            last_event_sequence_processed: last,
            lease_owner_instance_id: owner.map(str::to_string),
            lease_acquired_at: owner.map(|_| now),
            lease_expires_at: owner.map(|_| now + TimeDelta::seconds(expires_in)),
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn lease_terms_are_brought_into_range() {
        assert_eq!(
            LeaseTerms::new(None, None),
            LeaseTerms {
                duration: TimeDelta::seconds(300),
                limit: 100
            }
        );
        assert_eq!(
            LeaseTerms::new(Some(1), Some(0)).duration,
            TimeDelta::seconds(30)
        );
        assert_eq!(LeaseTerms::new(Some(1), Some(0)).limit, 1);
        assert_eq!(
            LeaseTerms::new(Some(99_999), Some(99_999)),
            LeaseTerms {
                duration: TimeDelta::seconds(3600),
                limit: 1000
            }
        );
    }

    #[test]
    fn ack_needs_the_callers_unexpired_lease() {
        let now = Utc::now();
        assert_eq!(
            subscription(None, 0, 0).check_ack("a", 1, 5, now),
            Err(AckRefusal::NoActiveLease("billing".into()))
        );
        assert_eq!(
            subscription(Some("a"), -1, 0).check_ack("a", 1, 5, now),
            Err(AckRefusal::NoActiveLease("billing".into()))
        );
        assert_eq!(
            subscription(Some("b"), 60, 0).check_ack("a", 1, 5, now),
            Err(AckRefusal::HeldByOther("b".into()))
        );
        assert_eq!(
            subscription(Some("a"), 60, 0).check_ack("a", 1, 5, now),
            Ok(())
        );
    }

    #[test]
    fn ack_moves_forward_within_the_log() {
        let now = Utc::now();
        let held = subscription(Some("a"), 60, 3);
        assert_eq!(
            held.check_ack("a", 3, 5, now),
            Err(AckRefusal::NotAfter {
                requested: 3,
                current: 3
            })
        );
        assert_eq!(
            held.check_ack("a", 6, 5, now),
            Err(AckRefusal::BeyondLog {
                requested: 6,
                last: 5
            })
        );
        assert_eq!(held.check_ack("a", 5, 5, now), Ok(()));
    }

    #[test]
    fn subscriber_ids_must_be_present_and_short() {
        assert!(check_subscriber_id("subscriberId", "  ").is_err());
        assert!(check_subscriber_id("subscriberId", &"x".repeat(256)).is_err());
        assert_eq!(
            check_subscriber_id("subscriberId", "billing").as_deref(),
            Ok("billing")
        );
    }
}
