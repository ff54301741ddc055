//! Subscribing and removing webhook endpoints. An endpoint's signing
//! secret is made here, shown to the subscriber once in the answer, and
//! kept only sealed by the vault.

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::OsRng;
use base64::Engine;
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::FieldError;
use federa_domain::webhooks::{check_event_types, check_url, EndpointStatus, WebhookEndpoint};
use serde_json::{json, Value};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::{ExchangeError, ExchangeResult};
use crate::vault::Tampered;
use crate::{clock, Exchange};

/// How a signing secret starts, as Standard Webhooks writes them.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a signing secret.
const SECRET_BYTES: usize = 32;

/// What a subscriber asks for.
pub struct EndpointRequest {
    /// `None` for an admin's own endpoint, sent every event.
    pub participant_id: Option<Uuid>,
    pub url: String,
    pub event_types: Vec<String>,
}

/// A new endpoint and its secret, which is never readable again.
pub struct Subscribed {
    pub endpoint: WebhookEndpoint,
    pub secret: Zeroizing<String>,
}

/// Checks the request, makes the secret and stores the endpoint sealed.
pub async fn subscribe(
    exchange: &Exchange,
    initiator: Initiator,
    request: EndpointRequest,
) -> ExchangeResult<Subscribed> {
    let mut errors: Vec<FieldError> = Vec::new();
    let url = check_url("url", &request.url)
        .map_err(|e| errors.push(e))
        .ok();
    let event_types = check_event_types("eventTypes", &request.event_types)
        .map_err(|e| errors.extend(e))
        .ok();
    let (Some(url), Some(event_types)) = (url, event_types) else {
        return Err(ExchangeError::Invalid(errors));
    };
    let id = Uuid::now_v7();
    let secret = new_secret();
    let sealed_secret = exchange
        .vault
        .seal_inline(&sealed_place(id), &Value::String(secret.to_string()))?;
    let now = clock::now();
    let endpoint = WebhookEndpoint {
        id,
        participant_id: request.participant_id,
        url,
        event_types,
        status: EndpointStatus::Enabled,
        sealed_secret,
        last_event_sequence: 0,
        created_at: now,
        updated_at: now,
    };
    let event = endpoint_event(EventKind::WebhookCreated, initiator, &endpoint);
    exchange.store.insert_webhook(&endpoint, &event).await?;
    Ok(Subscribed { endpoint, secret })
}

/// Removes an endpoint and its delivery log.
pub async fn unsubscribe(
    exchange: &Exchange,
    initiator: Initiator,
    endpoint: &WebhookEndpoint,
) -> ExchangeResult<()> {
    let event = endpoint_event(EventKind::WebhookDeleted, initiator, endpoint);
    exchange
        .store
        .delete_webhook(endpoint.id, &event, clock::now())
        .await?;
    Ok(())
}

/// The event about an endpoint, seen by its participant and admins.
pub fn endpoint_event(
    kind: EventKind,
    initiator: Initiator,
    endpoint: &WebhookEndpoint,
) -> NewEvent {
    NewEvent::new(kind, initiator, endpoint.id)
        .consumer(endpoint.participant_id)
        .properties(json!({"url": endpoint.url, "eventTypes": endpoint.event_types}))
}

/// The endpoint's signing secret, opened from its sealed form.
pub fn open_secret(
    exchange: &Exchange,
    endpoint: &WebhookEndpoint,
) -> Result<Zeroizing<String>, Tampered> {
    match exchange
        .vault
        .open_inline(&sealed_place(endpoint.id), &endpoint.sealed_secret)?
    {
        Value::String(secret) => Ok(Zeroizing::new(secret)),
        _ => Err(Tampered),
    }
}

/// Where a sealed secret belongs, bound into its ciphertext so that it
/// opens for this endpoint only.
fn sealed_place(endpoint_id: Uuid) -> String {
    format!("webhook-endpoint:{endpoint_id}")
}

fn new_secret() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; SECRET_BYTES]);
    OsRng.fill_bytes(bytes.as_mut());
    Zeroizing::new(format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(bytes.as_ref())
    ))
}
