//! Sending events to webhook endpoints: in order per endpoint, at least
//! once, retried with backoff, surviving restarts.
//!
//! Each endpoint has a cursor in the event log. The next event its owner
//! may see (the rule of `GET /events`) and its filter wants gets a delivery
//! row in the same write that moves the cursor; the row is then attempted
//! until it succeeds, and only then is the following event considered. A
//! row stays until delivered, so a restart resumes where the last server
//! stopped. Before each attempt the row is claimed for longer than an
//! attempt can take, so two servers on one database never send the same
//! delivery at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use federa_domain::access::{ListScope, Object};
use federa_domain::event::{Event, Initiator};
use federa_domain::event_kind::EventKind;
use federa_domain::webhooks::{later, NextAttempt, RetryPolicy, WebhookDelivery, WebhookEndpoint};
use federa_store::webhooks::FailedAttempt;
use serde_json::json;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::error::{ExchangeError, ExchangeResult};
use crate::webhook_signing::signature;
use crate::webhooks::{endpoint_event, open_secret};
use crate::{clock, Exchange};

/// Turns an event into the JSON body endpoints receive (the shape `GET
/// /events` answers with, which the HTTP layer owns).
pub type RenderEvent = Arc<dyn Fn(&Event) -> Vec<u8> + Send + Sync>;

/// How deliveries are made.
#[derive(Clone)]
pub struct DeliverySettings {
    pub retry: RetryPolicy,
    /// How often endpoints are looked at for new events and due retries.
    pub poll_interval: Duration,
    /// The longest one attempt may take, response included.
    pub timeout: Duration,
    /// The most of a response body read; the rest is not waited for.
    pub max_response_bytes: usize,
}

impl Default for DeliverySettings {
    fn default() -> DeliverySettings {
        DeliverySettings {
            retry: RetryPolicy::default(),
            poll_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            max_response_bytes: 64 * 1024,
        }
    }
}

/// Events read from the log per look.
const EVENTS_PER_READ: u32 = 100;

/// What one step for an endpoint achieved.
enum Progress {
    /// Something was done; there may be more now.
    More,
    /// Nothing is due for this endpoint.
    Idle,
}

struct Deliverer {
    exchange: Exchange,
    settings: DeliverySettings,
    render: RenderEvent,
    client: reqwest::Client,
}

/// Delivers until dropped.
pub struct Deliveries(tokio::task::JoinHandle<()>);

impl Deliveries {
    pub fn start(
        exchange: Exchange,
        settings: DeliverySettings,
        render: RenderEvent,
    ) -> ExchangeResult<Deliveries> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .build()
            .map_err(|error| ExchangeError::internal(format!("webhook client: {error}")))?;
        let deliverer = Arc::new(Deliverer {
            exchange,
            settings,
            render,
            client,
        });
        Ok(Deliveries(tokio::spawn(run(deliverer))))
    }
}

impl Drop for Deliveries {
    fn drop(&mut self) {
        // Aborting the loop drops its set, which aborts every endpoint's task.
        self.0.abort();
    }
}

/// Every poll interval, starts a task for each enabled endpoint that has
/// none running; a task works its endpoint until nothing is due, so a slow
/// endpoint never holds up another.
async fn run(deliverer: Arc<Deliverer>) {
    let mut ticks = tokio::time::interval(deliverer.settings.poll_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut working: JoinSet<()> = JoinSet::new();
    let mut running: HashMap<Uuid, tokio::task::Id> = HashMap::new();
    loop {
        ticks.tick().await;
        while let Some(done) = working.try_join_next_with_id() {
            let id = match done {
                Ok((id, ())) => id,
                Err(error) => error.id(),
            };
            running.retain(|_, task| *task != id);
        }
        let endpoints = match deliverer.exchange.store.enabled_webhooks().await {
            Ok(endpoints) => endpoints,
            Err(error) => {
                tracing::warn!(%error, "webhook endpoints unreadable; retrying at the next tick");
                continue;
            }
        };
        for endpoint in endpoints {
            if running.contains_key(&endpoint.id) {
                continue;
            }
            let endpoint_id = endpoint.id;
            let task = working.spawn(work(deliverer.clone(), endpoint));
            running.insert(endpoint_id, task.id());
        }
    }
}

async fn work(deliverer: Arc<Deliverer>, mut endpoint: WebhookEndpoint) {
    loop {
        match deliverer.step(&mut endpoint).await {
            Ok(Progress::More) => {}
            Ok(Progress::Idle) => return,
            Err(error) => {
                tracing::warn!(endpoint = %endpoint.id, %error, "webhook delivery step failed; retrying at the next tick");
                return;
            }
        }
    }
}

/// How an attempt ended.
enum Outcome {
    Delivered(u16),
    Failed { status: Option<u16>, error: String },
}

impl Deliverer {
    async fn step(&self, endpoint: &mut WebhookEndpoint) -> ExchangeResult<Progress> {
        let store = &self.exchange.store;
        if let Some(delivery) = store.pending_delivery(endpoint.id).await? {
            let now = clock::now();
            return match delivery.next_attempt_at {
                Some(due) if due <= now => self.attempt(endpoint, delivery).await,
                _ => Ok(Progress::Idle),
            };
        }
        let scope = endpoint
            .watcher()
            .list_scope(Object::Event)
            .map_err(|denied| ExchangeError::internal(denied.to_string()))?;
        let events = store
            .events_after(scope, &[], endpoint.last_event_sequence, EVENTS_PER_READ)
            .await?;
        let Some(last) = events.last() else {
            return Ok(Progress::Idle);
        };
        let now = clock::now();
        let wanted = events.iter().find(|event| endpoint.wants(&event.kind));
        let to = wanted.map_or(last.sequence_number, |event| event.sequence_number);
        let delivery = wanted.map(|event| WebhookDelivery {
            id: Uuid::now_v7(),
            endpoint_id: endpoint.id,
            event_id: event.id,
            event_sequence: event.sequence_number,
            event_type: event.kind.clone(),
            attempts: 0,
            last_status_code: None,
            last_error: None,
            next_attempt_at: Some(now),
            delivered_at: None,
            created_at: now,
        });
        let moved = store
            .advance_webhook(
                endpoint.id,
                endpoint.last_event_sequence,
                to,
                delivery.as_ref(),
                now,
            )
            .await?;
        if !moved {
            // Deleted, disabled, or moved on by another server: start over
            // from what is stored.
            return Ok(match store.webhook(endpoint.id).await? {
                Some(stored) if stored.status == endpoint.status => {
                    *endpoint = stored;
                    Progress::More
                }
                _ => Progress::Idle,
            });
        }
        endpoint.last_event_sequence = to;
        Ok(Progress::More)
    }

    async fn attempt(
        &self,
        endpoint: &WebhookEndpoint,
        delivery: WebhookDelivery,
    ) -> ExchangeResult<Progress> {
        let store = &self.exchange.store;
        let now = clock::now();
        // Longer than an attempt can last, so a claim held by a server that
        // stopped mid-attempt lapses and the delivery is tried again.
        let claim_until = later(now, self.settings.timeout.saturating_mul(2));
        if !store.claim_delivery(&delivery, claim_until, now).await? {
            return Ok(Progress::Idle);
        }
        let event = store
            .events_after(ListScope::All, &[], delivery.event_sequence - 1, 1)
            .await?
            .into_iter()
            .next()
            .filter(|event| event.id == delivery.event_id)
            .ok_or_else(|| ExchangeError::internal("a delivery's event is missing"))?;
        let outcome = self.send(endpoint, &event).await?;
        let attempts = delivery.attempts + 1;
        let now = clock::now();
        match outcome {
            Outcome::Delivered(status) => {
                store
                    .record_delivered(delivery.id, attempts, i64::from(status), now)
                    .await?;
                Ok(Progress::More)
            }
            Outcome::Failed { status, error } => {
                let next = self
                    .settings
                    .retry
                    .after_failure(attempts, delivery.created_at, now);
                let next_attempt_at = match next {
                    NextAttempt::At(at) => Some(at),
                    NextAttempt::GiveUp => None,
                };
                let disabled = (next == NextAttempt::GiveUp).then(|| {
                    endpoint_event(EventKind::WebhookDisabled, Initiator::system(), endpoint).properties(
                        json!({"url": endpoint.url, "eventId": delivery.event_id, "attempts": attempts, "lastError": error}),
                    )
                });
                if disabled.is_some() {
                    tracing::warn!(endpoint = %endpoint.id, attempts, "webhook endpoint disabled after failing for the whole retry period");
                }
                let failure = FailedAttempt {
                    attempts,
                    status_code: status.map(i64::from),
                    error,
                    next_attempt_at,
                };
                store
                    .record_failed_attempt(&delivery, &failure, disabled.as_ref(), now)
                    .await?;
                Ok(Progress::Idle)
            }
        }
    }

    /// One signed POST of `event`.
    async fn send(&self, endpoint: &WebhookEndpoint, event: &Event) -> ExchangeResult<Outcome> {
        let secret = open_secret(&self.exchange, endpoint)
            .map_err(|_| ExchangeError::internal("a webhook secret does not open"))?;
        let body = (self.render)(event);
        let message_id = event.id.to_string();
        let timestamp = clock::now().timestamp();
        let signed = signature(&secret, &message_id, timestamp, &body)
            .map_err(|error| ExchangeError::internal(error.to_string()))?;
        let sent = self
            .client
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signed)
            .body(body)
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(error) => {
                return Ok(Outcome::Failed {
                    status: None,
                    error: describe(&error, self.settings.timeout),
                })
            }
        };
        let status = response.status();
        // The answer's body means nothing to us; read a bounded part of it
        // so the connection is left in order, and stop there.
        let mut read = 0usize;
        while read < self.settings.max_response_bytes {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                Ok(None) | Err(_) => break,
            }
        }
        Ok(if status.is_success() {
            Outcome::Delivered(status.as_u16())
        } else if status.is_redirection() {
            Outcome::Failed {
                status: Some(status.as_u16()),
                error: "redirects are not followed".into(),
            }
        } else {
            Outcome::Failed {
                status: Some(status.as_u16()),
                error: format!("answered {status}"),
            }
        })
    }
}

/// Why a request got no answer, without the request's details.
fn describe(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        format!("no answer within {timeout:?}")
    } else if error.is_connect() {
        "could not connect".into()
    } else {
        "the request failed".into()
    }
}
