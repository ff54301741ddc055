//! Leases and progress of external event-log subscribers.
//!
//! Both writes are single conditional statements, so two instances racing
//! for the same subscription are ordered by the database: exactly one lease
//! holder at a time, and progress only moves forward under a live lease.

use chrono::{DateTime, Utc};
use federa_domain::event::{AckRefusal, EventSubscription};

use crate::db::{on_pool, on_pool_again_if_broken};
use crate::error::{Result, StoreError};
use crate::Store;

const COLUMNS: &str = "subscriber_id, last_event_sequence_processed, lease_owner_instance_id, lease_acquired_at, lease_expires_at, created_at, updated_at";

/// Creates the subscription on first use, and takes the lease when it is
/// free, lapsed or already the caller's. Otherwise nothing changes and no
/// row comes back.
const LEASE: &str = "INSERT INTO event_subscriptions (subscriber_id, last_event_sequence_processed, lease_owner_instance_id, lease_acquired_at, lease_expires_at, created_at, updated_at) \
    VALUES ($1, 0, $2, $3, $4, $3, $3) \
    ON CONFLICT (subscriber_id) DO UPDATE SET lease_owner_instance_id = excluded.lease_owner_instance_id, lease_acquired_at = excluded.lease_acquired_at, lease_expires_at = excluded.lease_expires_at, updated_at = excluded.updated_at \
    WHERE event_subscriptions.lease_owner_instance_id IS NULL OR event_subscriptions.lease_owner_instance_id = excluded.lease_owner_instance_id OR event_subscriptions.lease_expires_at <= excluded.lease_acquired_at \
    RETURNING subscriber_id, last_event_sequence_processed, lease_owner_instance_id, lease_acquired_at, lease_expires_at, created_at, updated_at";

/// The same rules as [`EventSubscription::check_ack`], applied atomically.
const ACK: &str =
    "UPDATE event_subscriptions SET last_event_sequence_processed = $3, updated_at = $4 \
    WHERE subscriber_id = $1 AND lease_owner_instance_id = $2 AND lease_expires_at > $4 \
    AND last_event_sequence_processed < $3 \
    AND $3 <= (SELECT last_sequence FROM event_counter WHERE singleton = 1) \
    RETURNING last_event_sequence_processed";

#[derive(sqlx::FromRow)]
struct Row {
    subscriber_id: String,
    last_event_sequence_processed: i64,
    lease_owner_instance_id: Option<String>,
    lease_acquired_at: Option<DateTime<Utc>>,
    lease_expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for EventSubscription {
    fn from(row: Row) -> EventSubscription {
        EventSubscription {
            subscriber_id: row.subscriber_id,
            last_event_sequence_processed: row.last_event_sequence_processed,
            lease_owner_instance_id: row.lease_owner_instance_id,
            lease_acquired_at: row.lease_acquired_at,
            lease_expires_at: row.lease_expires_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The answer to a lease request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseOutcome {
    /// The caller holds the lease until `lease_expires_at`.
    Granted(EventSubscription),
    /// Another instance holds an unexpired lease; nothing changed.
    Held(EventSubscription),
}

/// The answer to an acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckOutcome {
    /// The new acknowledged sequence number.
    Acknowledged(i64),
    Refused(AckRefusal),
}

impl Store {
    pub async fn event_subscription(
        &self,
        subscriber_id: &str,
    ) -> Result<Option<EventSubscription>> {
        let sql = format!("SELECT {COLUMNS} FROM event_subscriptions WHERE subscriber_id = $1");
        let row: Option<Row> = on_pool_again_if_broken!(self.read, pool => sqlx::query_as(&sql)
            .bind(subscriber_id)
            .fetch_optional(pool)
            .await)
        .map_err(StoreError::classify)?;
        Ok(row.map(EventSubscription::from))
    }

    /// Takes or renews the lease of `subscriber_id` for `instance_id` until
    /// `expires_at`, creating the subscription at sequence 0 on first use.
    pub async fn lease_event_subscription(
        &self,
        subscriber_id: &str,
        instance_id: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<LeaseOutcome> {
        let row: Option<Row> = on_pool!(self.write, pool => sqlx::query_as(LEASE)
            .bind(subscriber_id)
            .bind(instance_id)
            .bind(now)
            .bind(expires_at)
            .fetch_optional(pool)
            .await)
        .map_err(StoreError::classify)?;
        if let Some(row) = row {
            return Ok(LeaseOutcome::Granted(row.into()));
        }
        // The row exists (the insert conflicted) and was held by someone else.
        let held = self
            .event_subscription(subscriber_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(LeaseOutcome::Held(held))
    }

    /// Records that the subscriber has processed every event up to and
    /// including `sequence`, if `instance_id` holds its lease at `now`.
    /// An unknown subscriber is [`StoreError::NotFound`].
    pub async fn acknowledge_events(
        &self,
        subscriber_id: &str,
        instance_id: &str,
        sequence: i64,
        now: DateTime<Utc>,
    ) -> Result<AckOutcome> {
        let acknowledged: Option<i64> = on_pool!(self.write, pool => sqlx::query_scalar(ACK)
            .bind(subscriber_id)
            .bind(instance_id)
            .bind(sequence)
            .bind(now)
            .fetch_optional(pool)
            .await)
        .map_err(StoreError::classify)?;
        if let Some(acknowledged) = acknowledged {
            return Ok(AckOutcome::Acknowledged(acknowledged));
        }
        let subscription = self
            .event_subscription(subscriber_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let last = self.last_event_sequence().await?;
        let refusal = subscription
            .check_ack(instance_id, sequence, last, now)
            .err()
            .unwrap_or(AckRefusal::Changed);
        Ok(AckOutcome::Refused(refusal))
    }
}
