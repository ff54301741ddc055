//! The event log: what happened, in order, and a subscriber's lease on it.

use chrono::{DateTime, Utc};
use federa_domain::event::Event;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EventRes {
    pub id: Uuid,
    /// Gap-free and strictly increasing in commit order.
    pub sequence_number: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub initiator_type: String,
    pub initiator_id: String,
    /// The person who acted, when a personal token (or a person's OpenID
    /// Connect login) caused the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiator_user_id: Option<Uuid>,
    /// The object the event is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub properties: Value,
    pub created_at: DateTime<Utc>,
    /// Events never change; always equal to `createdAt`.
    pub updated_at: DateTime<Utc>,
}

impl From<Event> for EventRes {
    fn from(e: Event) -> EventRes {
        EventRes {
            id: e.id,
            sequence_number: e.sequence_number,
            kind: e.kind,
            initiator_type: e.initiator_type,
            initiator_id: e.initiator_id,
            initiator_user_id: e.initiator_user_id,
            entity_id: e.entity_id,
            provider_id: e.provider_id,
            consumer_id: e.consumer_id,
            agent_id: e.agent_id,
            properties: e.properties,
            created_at: e.created_at,
            updated_at: e.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EventLeaseReq {
    /// The consuming system; its progress is kept under this id.
    pub subscriber_id: String,
    /// The process of that system asking for the lease.
    pub instance_id: String,
    /// 30–3600, default 300; values outside are brought into range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_duration_seconds: Option<i64>,
    /// Events to return, 1–1000, default 100; values outside are brought into range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EventLeaseRes {
    /// The events after `lastEventSequenceProcessed`, oldest first.
    pub events: Vec<EventRes>,
    pub lease_expires_at: DateTime<Utc>,
    pub last_event_sequence_processed: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EventAckReq {
    pub subscriber_id: String,
    pub instance_id: String,
    /// Every event up to and including this one is processed.
    pub last_event_sequence_processed: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EventAckRes {
    pub last_event_sequence_processed: i64,
}
