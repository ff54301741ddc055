//! Webhook endpoints and their delivery log. An endpoint's cursor and its
//! next delivery row move together in one write, so every event the
//! endpoint wants gets exactly one row, in order, and a restart finds the
//! rows not yet delivered.

use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use federa_domain::webhooks::{EndpointStatus, WebhookDelivery, WebhookEndpoint};
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::Result;
use crate::sql::{fetch_page, fetch_scoped_page, Arg, ScopeColumns, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

const SELECT_ENDPOINT: &str = "SELECT id, participant_id, url, event_types, status, sealed_secret, last_event_sequence, created_at, updated_at FROM webhook_endpoints";

const SELECT_DELIVERY: &str = "SELECT id, endpoint_id, event_id, event_sequence, event_type, attempts, last_status_code, last_error, next_attempt_at, delivered_at, created_at FROM webhook_deliveries";

/// An endpoint that is sent events now: enabled, and an admin's or an
/// enabled participant's. (`Enabled` is how `EndpointStatus` and
/// `ParticipantStatus` are both written.)
const SENT_EVENTS: &str = "status = 'Enabled' AND (participant_id IS NULL OR participant_id IN (SELECT id FROM participants WHERE status = 'Enabled'))";

const SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("participant_id"),
    consumer: None,
    agent: None,
};

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: Uuid,
    participant_id: Option<Uuid>,
    url: String,
    event_types: Json<Vec<String>>,
    status: String,
    sealed_secret: String,
    last_event_sequence: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<EndpointRow> for WebhookEndpoint {
    fn from(row: EndpointRow) -> WebhookEndpoint {
        WebhookEndpoint {
            id: row.id,
            participant_id: row.participant_id,
            url: row.url,
            event_types: row.event_types.0,
            // The column's CHECK admits only the two statuses.
            status: EndpointStatus::parse(&row.status).unwrap_or(EndpointStatus::Disabled),
            sealed_secret: row.sealed_secret,
            last_event_sequence: row.last_event_sequence,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    endpoint_id: Uuid,
    event_id: Uuid,
    event_sequence: i64,
    event_type: String,
    attempts: i64,
    last_status_code: Option<i64>,
    last_error: Option<String>,
    next_attempt_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<DeliveryRow> for WebhookDelivery {
    fn from(row: DeliveryRow) -> WebhookDelivery {
        WebhookDelivery {
            id: row.id,
            endpoint_id: row.endpoint_id,
            event_id: row.event_id,
            event_sequence: row.event_sequence,
            event_type: row.event_type,
            attempts: row.attempts,
            last_status_code: row.last_status_code,
            last_error: row.last_error,
            next_attempt_at: row.next_attempt_at,
            delivered_at: row.delivered_at,
            created_at: row.created_at,
        }
    }
}

/// What one failed attempt leaves on its delivery row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedAttempt {
    pub attempts: i64,
    pub status_code: Option<i64>,
    pub error: String,
    /// `None` when the endpoint is being disabled.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Stores a new endpoint; it is sent the events written from now on,
    /// its own creation's among them.
    pub async fn insert_webhook(&self, endpoint: &WebhookEndpoint, event: &NewEvent) -> Result<()> {
        // Events written before now get their numbers first, so they stay
        // below the endpoint's starting point.
        self.number_events().await?;
        let statement = Statement::new(
            "INSERT INTO webhook_endpoints (id, participant_id, url, event_types, status, sealed_secret, last_event_sequence, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, (SELECT last_sequence FROM event_counter WHERE singleton = 1), $7, $8)",
            vec![
                Arg::Uuid(endpoint.id),
                Arg::OptUuid(endpoint.participant_id),
                Arg::Text(endpoint.url.clone()),
                Arg::Json(serde_json::json!(endpoint.event_types)),
                Arg::Text(endpoint.status.as_str().into()),
                Arg::Text(endpoint.sealed_secret.clone()),
                Arg::Time(endpoint.created_at),
                Arg::Time(endpoint.updated_at),
            ],
        );
        self.apply(
            &[statement],
            std::slice::from_ref(event),
            endpoint.created_at,
        )
        .await
    }

    pub async fn webhook(&self, id: Uuid) -> Result<Option<WebhookEndpoint>> {
        let row: Option<EndpointRow> = fetch_optional(
            &self.read,
            &format!("{SELECT_ENDPOINT} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(WebhookEndpoint::from))
    }

    pub async fn webhooks(
        &self,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<WebhookEndpoint>> {
        let page: Page<EndpointRow> = fetch_scoped_page(
            &self.read,
            (SELECT_ENDPOINT, "webhook_endpoints", "id"),
            (scope, SCOPE),
            query,
        )
        .await?;
        Ok(page.map(WebhookEndpoint::from))
    }

    /// Every endpoint to be sent events now: enabled, and an admin's or
    /// an enabled participant's (a disabled participant is suspended from
    /// the exchange; its endpoints resume where they were once it is
    /// enabled again).
    pub async fn enabled_webhooks(&self) -> Result<Vec<WebhookEndpoint>> {
        let rows: Vec<EndpointRow> = fetch_all(
            &self.read,
            &format!("{SELECT_ENDPOINT} WHERE {SENT_EVENTS} ORDER BY id"),
            &[],
        )
        .await?;
        Ok(rows.into_iter().map(WebhookEndpoint::from).collect())
    }

    /// Removes an endpoint with its delivery log.
    pub async fn delete_webhook(
        &self,
        id: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            "DELETE FROM webhook_endpoints WHERE id = $1",
            vec![Arg::Uuid(id)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
    }

    pub async fn webhook_deliveries(
        &self,
        endpoint_id: Uuid,
        query: &ListQuery,
    ) -> Result<Page<WebhookDelivery>> {
        let mut filter = Where::new();
        let endpoint = filter.param(Arg::Uuid(endpoint_id));
        filter.and(format!("endpoint_id = {endpoint}"));
        filter.filters(&query.filters);
        let page: Page<DeliveryRow> = fetch_page(
            &self.read,
            SELECT_DELIVERY,
            "webhook_deliveries",
            &filter,
            query,
            "id",
        )
        .await?;
        Ok(page.map(WebhookDelivery::from))
    }

    /// The endpoint's oldest delivery not yet made, if any.
    pub async fn pending_delivery(&self, endpoint_id: Uuid) -> Result<Option<WebhookDelivery>> {
        let row: Option<DeliveryRow> = fetch_optional(
            &self.read,
            &format!("{SELECT_DELIVERY} WHERE endpoint_id = $1 AND delivered_at IS NULL ORDER BY event_sequence LIMIT 1"),
            &[Arg::Uuid(endpoint_id)],
        )
        .await?;
        Ok(row.map(WebhookDelivery::from))
    }

    /// Moves the endpoint's cursor from `from` to `to`, writing `delivery`
    /// (the event at `to`, when the endpoint wants it) in the same write.
    /// `false`, with nothing written, when the cursor had moved or the
    /// endpoint is gone or disabled.
    pub async fn advance_webhook(
        &self,
        endpoint_id: Uuid,
        from: i64,
        to: i64,
        delivery: Option<&WebhookDelivery>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut statements = vec![Statement::new(
            "UPDATE webhook_endpoints SET last_event_sequence = $3 WHERE id = $1 AND last_event_sequence = $2 AND status = 'Enabled'",
            vec![Arg::Uuid(endpoint_id), Arg::Int(from), Arg::Int(to)],
        )
        .guard()];
        if let Some(delivery) = delivery {
            statements.push(Statement::new(
                "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_sequence, event_type, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7)",
                vec![
                    Arg::Uuid(delivery.id),
                    Arg::Uuid(endpoint_id),
                    Arg::Uuid(delivery.event_id),
                    Arg::Int(delivery.event_sequence),
                    Arg::Text(delivery.event_type.clone()),
                    Arg::OptTime(delivery.next_attempt_at),
                    Arg::Time(delivery.created_at),
                ],
            ));
        }
        self.apply_if(&statements, &[], now).await
    }

    /// Takes a due delivery for one attempt by moving its next attempt to
    /// `until`; `false` when another server took it first, it is done, or
    /// its endpoint is no longer sent events (disabled, deleted, or its
    /// participant disabled since the endpoint was last read).
    pub async fn claim_delivery(
        &self,
        delivery: &WebhookDelivery,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let statement = Statement::new(
            format!("UPDATE webhook_deliveries SET next_attempt_at = $3 WHERE id = $1 AND next_attempt_at = $2 AND delivered_at IS NULL \
                     AND EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = webhook_deliveries.endpoint_id AND {SENT_EVENTS})"),
            vec![
                Arg::Uuid(delivery.id),
                Arg::OptTime(delivery.next_attempt_at),
                Arg::Time(until),
            ],
        )
        .guard();
        self.apply_if(&[statement], &[], now).await
    }

    /// Marks a delivery made, after `attempts` attempts.
    pub async fn record_delivered(
        &self,
        delivery_id: Uuid,
        attempts: i64,
        status_code: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            "UPDATE webhook_deliveries SET attempts = $2, last_status_code = $3, last_error = NULL, next_attempt_at = NULL, delivered_at = $4 WHERE id = $1",
            vec![
                Arg::Uuid(delivery_id),
                Arg::Int(attempts),
                Arg::Int(status_code),
                Arg::Time(now),
            ],
        );
        self.apply(&[statement], &[], now).await
    }

    /// Records a failed attempt; with `disable`, also turns the endpoint
    /// off and records that event.
    pub async fn record_failed_attempt(
        &self,
        delivery: &WebhookDelivery,
        failure: &FailedAttempt,
        disable: Option<&NewEvent>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut statements = vec![Statement::new(
            "UPDATE webhook_deliveries SET attempts = $2, last_status_code = $3, last_error = $4, next_attempt_at = $5 WHERE id = $1",
            vec![
                Arg::Uuid(delivery.id),
                Arg::Int(failure.attempts),
                Arg::OptInt(failure.status_code),
                Arg::Text(failure.error.clone()),
                Arg::OptTime(failure.next_attempt_at),
            ],
        )];
        if disable.is_some() {
            statements.push(Statement::new(
                "UPDATE webhook_endpoints SET status = 'Disabled', updated_at = $2 WHERE id = $1",
                vec![Arg::Uuid(delivery.endpoint_id), Arg::Time(now)],
            ));
        }
        let events: Vec<NewEvent> = disable.into_iter().cloned().collect();
        self.apply(&statements, &events, now).await
    }
}
