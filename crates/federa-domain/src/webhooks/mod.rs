//! Webhook endpoints: where a participant (or an admin) asks for the events
//! it may see to be pushed, which events, and how failed deliveries are
//! retried. Signing and sending live in `federa-exchange`; this module only
//! decides.

mod endpoint;
mod retry;

pub use endpoint::{
    check_event_types, check_url, EndpointStatus, WebhookDelivery, WebhookEndpoint,
    WEBHOOK_DELIVERY_LIST, WEBHOOK_LIST,
};
pub use retry::{later, NextAttempt, RetryPolicy};

/// The event written when an endpoint is subscribed.
pub const ENDPOINT_CREATED: &str = "webhook.created";
/// The event written when an endpoint is removed.
pub const ENDPOINT_DELETED: &str = "webhook.deleted";
/// The event written when an endpoint's deliveries kept failing for the
/// whole retry period and it was turned off.
pub const ENDPOINT_DISABLED: &str = "webhook.disabled";
