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
