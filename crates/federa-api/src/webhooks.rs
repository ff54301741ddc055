//! Webhook endpoints (Federa's addition) and their delivery log.

use chrono::{DateTime, Utc};
use federa_domain::webhooks::{WebhookDelivery, WebhookEndpoint};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookRes {
    pub id: Uuid,
    /// The participant whose events it is sent; absent for an admin's
    /// endpoint, which is sent every event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<Uuid>,
    pub url: String,
    /// Event kinds it is sent; empty means every kind its owner may see.
    pub event_types: Vec<String>,
    /// `Enabled`, or `Disabled` after its deliveries failed for a day.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&WebhookEndpoint> for WebhookRes {
    fn from(endpoint: &WebhookEndpoint) -> WebhookRes {
        WebhookRes {
            id: endpoint.id,
            participant_id: endpoint.participant_id,
            url: endpoint.url.clone(),
            event_types: endpoint.event_types.clone(),
            status: endpoint.status.as_str().into(),
            created_at: endpoint.created_at,
            updated_at: endpoint.updated_at,
        }
    }
}

/// The answer to create: the endpoint and, this once, its secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookCreatedRes {
    #[serde(flatten)]
    pub endpoint: WebhookRes,
    /// `whsec_` and base64 of 32 random bytes: the Standard Webhooks
    /// signing secret. Shown only here.
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookCreateReq {
    /// `https://`; `http://` only to a loopback address.
    pub url: String,
    /// Event kinds to send; empty or absent for every kind.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// The participant the endpoint belongs to: a participant's own (the
    /// default for a participant's token); an admin may name any, or none
    /// for an endpoint sent every event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookDeliveryRes {
    pub id: Uuid,
    /// Also the `webhook-id` header of every attempt.
    pub event_id: Uuid,
    pub event_sequence: i64,
    pub event_type: String,
    pub attempts: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<WebhookDelivery> for WebhookDeliveryRes {
    fn from(d: WebhookDelivery) -> WebhookDeliveryRes {
        WebhookDeliveryRes {
            id: d.id,
            event_id: d.event_id,
            event_sequence: d.event_sequence,
            event_type: d.event_type,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}
